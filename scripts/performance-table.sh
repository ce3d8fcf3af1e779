#!/usr/bin/env bash
# Regenerates the performance table (docs/performance.md) from one run of the benches on this machine
# (about 15 minutes on 2 cores):
#
#   scripts/performance-table.sh
#
# Builds the release bundle, runs the plugin-path bench (the built CLAP plugin, the meter core
# and the `ebur128` crate in one process; again with MIXMETER_KERNEL=avx2 on a CPU with AVX-512
# and with MIXMETER_KERNEL=portable for the kernels of CPUs without AVX2/FMA), the worst-call bench, the editor-frame bench, the session frame
# summary a linked track adds, and the analyzer
# against ffmpeg, then writes the table between the `performance-table` markers in docs/performance.md.
# Nothing in the table is typed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/performance
mkdir -p "$out"
cargo xtask bundle mixmeter --release
cargo bench --bench plugin_path | tee "$out/plugin_path.txt"
if grep -qw avx512f /proc/cpuinfo; then
    # The main run took the AVX-512 screen; the portable goal compares with AVX2.
    MIXMETER_KERNEL=avx2 cargo bench --bench plugin_path -- '(plugin|core)-avx2'
fi
MIXMETER_KERNEL=portable cargo bench --bench plugin_path -- '(plugin|core)-portable'
cargo bench --bench worst_call | tee "$out/worst_call.txt"
cargo bench --bench editor_frame
cargo bench --bench summarize -- session_48k_stereo
bash scripts/bench-analyzer.sh | tee "$out/analyzer.txt"
python3 scripts/performance_table.py docs/performance.md
