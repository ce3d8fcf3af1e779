#!/usr/bin/env bash
# Regenerates the performance table (docs/performance.md) from one run of the benches on this machine
# (about 35 minutes on 2 cores):
#
#   scripts/performance-table.sh
#
# Builds the release bundle, runs the plugin-path bench (the built CLAP plugin, the meter core
# and the `ebur128` crate in one process; again with MIXMETER_KERNEL=avx2 on a CPU with AVX-512
# and with MIXMETER_KERNEL=portable for the kernels of CPUs without AVX2/FMA), the worst-call bench, the editor-frame bench, the session frame
# summary a linked track adds, and the analyzer
# against ffmpeg, then writes the table between the `performance-table` markers in docs/performance.md.
# Nothing in the table is typed by hand.
#
# The per-frame benches (plugin path, editor frame) run ROUNDS times (default 3), each round
# saved as a criterion baseline (round1, round2, ...); the table takes each figure's lowest
# median over the rounds. On a shared VM a neighbour's load only ever adds time, and it comes
# and goes over minutes: one round can catch the crate at a quiet minute and the plugin at a
# loud one. The lowest of a few rounds measures every row at the machine's quiet pace.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/performance
rounds=${ROUNDS:-3}
mkdir -p "$out"
# Rounds of an earlier run must not count in this one.
find target/criterion -type d -name 'round[0-9]*' -prune -exec rm -rf {} + 2>/dev/null || true
cargo xtask bundle mixmeter --release
for round in $(seq 1 "$rounds"); do
    cargo bench --bench plugin_path -- --save-baseline "round$round" | tee "$out/plugin_path.txt"
    if grep -qw avx512f /proc/cpuinfo; then
        # The main run took the AVX-512 screen; the portable goal compares with AVX2.
        MIXMETER_KERNEL=avx2 cargo bench --bench plugin_path -- '(plugin|core)-avx2' --save-baseline "round$round"
    fi
    MIXMETER_KERNEL=portable cargo bench --bench plugin_path -- '(plugin|core)-portable' --save-baseline "round$round"
    cargo bench --bench editor_frame -- --save-baseline "round$round"
done
cargo bench --bench worst_call | tee "$out/worst_call.txt"
cargo bench --bench summarize -- session_48k_stereo
bash scripts/bench-analyzer.sh | tee "$out/analyzer.txt"
python3 scripts/performance_table.py docs/performance.md
