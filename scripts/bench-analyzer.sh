#!/usr/bin/env bash
# Speed of `mixmeter analyze` (decode + full analysis) side by side with ffmpeg's ebur128
# filter (`-af ebur128=peak=true`) and with the `ebur128` crate fed by Mixmeter's decoder, on
# the same files; then many files at once, one job against all CPUs. Figures go in docs/performance.md.
#
#   scripts/bench-analyzer.sh [SECONDS]     (default 600: a 10-minute stereo 48 kHz programme)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
work="target/bench-analyzer"
mkdir -p "$work"
command -v ffmpeg >/dev/null || { echo "needs ffmpeg (./test.sh installs it)" >&2; exit 1; }

cargo build --release --quiet -p mixmeter-cli --bin mixmeter --example ebur128_file
mixmeter=target/release/mixmeter
crate=target/release/examples/ebur128_file

# Pink-ish noise under a moving tone: programme-like level changes, stereo, 48 kHz.
if [ ! -f "$work/programme.wav" ]; then
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "anoisesrc=color=pink:amplitude=0.25:sample_rate=48000:duration=$seconds" \
    -f lavfi -i "sine=frequency=220:sample_rate=48000:duration=$seconds" \
    -filter_complex "[0][1]amix=inputs=2:weights=1 0.3,volume='0.5+0.4*sin(t/7)':eval=frame,aformat=channel_layouts=stereo" \
    -c:a pcm_s24le "$work/programme.wav"
  ffmpeg -hide_banner -loglevel error -y -i "$work/programme.wav" -c:a flac "$work/programme.flac"
fi

# Best of three wall-clock runs of a command, in seconds.
best_of_3() {
  local best=""
  for _ in 1 2 3; do
    local start end elapsed
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    elapsed=$(awk "BEGIN { print $end - $start }")
    if [ -z "$best" ] || awk "BEGIN { exit !($elapsed < $best) }"; then best=$elapsed; fi
  done
  printf '%.2f' "$best"
}

echo "one ${seconds} s stereo 48 kHz file, best of 3 (wall clock, s):"
for f in programme.wav programme.flac; do
  ff=$(best_of_3 ffmpeg -hide_banner -nostats -i "$work/$f" -af ebur128=peak=true -f null -)
  cr=$(best_of_3 "$crate" "$work/$f")
  mm=$(best_of_3 "$mixmeter" analyze "$work/$f")
  printf '  %-15s ffmpeg ebur128 %6s   ebur128 crate %6s   mixmeter %6s   (ffmpeg/mixmeter %.1fx)\n' \
    "$f" "$ff" "$cr" "$mm" "$(awk "BEGIN { print $ff / $mm }")"
done

cpus=$(nproc)
files=()
for i in $(seq 1 $((cpus * 4))); do
  ln -f "$work/programme.flac" "$work/copy-$i.flac" 2>/dev/null || cp "$work/programme.flac" "$work/copy-$i.flac"
  files+=("$work/copy-$i.flac")
done
one=$(best_of_3 "$mixmeter" analyze --jobs 1 "${files[@]}")
all=$(best_of_3 "$mixmeter" analyze "${files[@]}")
printf '%d FLAC files: --jobs 1 %s s, all %d CPUs %s s (%.2fx)\n' \
  "${#files[@]}" "$one" "$cpus" "$all" "$(awk "BEGIN { print $one / $all }")"
