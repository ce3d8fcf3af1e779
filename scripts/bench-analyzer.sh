#!/usr/bin/env bash
# Speed of `mixmeter analyze` (decode + full analysis) side by side with ffmpeg's ebur128
# filter (`-af ebur128=peak=true`) and with the `ebur128` crate fed by Mixmeter's decoder, on
# the same files; its peak memory on the whole file and on its first minute (flat: no
# whole-file buffering); then many files at once, one job against all CPUs. Figures go in
# docs/performance.md.
#
#   scripts/bench-analyzer.sh [SECONDS]     (default 600: a 10-minute stereo 48 kHz programme)
#   ROUNDS=N scripts/bench-analyzer.sh      (default 5)
#
# A shared machine's load changes from second to second, so each round runs ffmpeg, the crate
# and Mixmeter back to back on one file, and the figures are the medians over the rounds; the
# ratio of each round is printed too (the spread says how far to trust the median).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
rounds="${ROUNDS:-5}"
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
if [ ! -f "$work/first-minute.wav" ]; then
  ffmpeg -hide_banner -loglevel error -y -i "$work/programme.wav" -t 60 -c:a pcm_s24le "$work/first-minute.wav"
fi

# Wall-clock seconds of one run of a command.
wall() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk "BEGIN { printf \"%.3f\", $end - $start }"
}

# The median of the arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Peak resident memory of a command in MB (GNU time), or "?" without it.
peak_mb() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'
  else
    printf '?'
  fi
}

echo "one ${seconds} s stereo 48 kHz file, median of ${rounds} rounds (wall clock, s; each round runs the three back to back):"
for f in programme.wav programme.flac; do
  ffs=() crs=() mms=() ratios=()
  for _ in $(seq 1 "$rounds"); do
    ff=$(wall ffmpeg -hide_banner -nostats -i "$work/$f" -af ebur128=peak=true -f null -)
    cr=$(wall "$crate" "$work/$f")
    mm=$(wall "$mixmeter" analyze "$work/$f")
    ffs+=("$ff") crs+=("$cr") mms+=("$mm")
    ratios+=("$(awk "BEGIN { printf \"%.1f\", $ff / $mm }")")
  done
  ff=$(median "${ffs[@]}") cr=$(median "${crs[@]}") mm=$(median "${mms[@]}")
  printf '  %-15s ffmpeg ebur128 %6.2f   ebur128 crate %6.2f   mixmeter %6.2f   (ffmpeg/mixmeter %.1fx)\n' \
    "$f" "$ff" "$cr" "$mm" "$(awk "BEGIN { print $ff / $mm }")"
  mm_sorted=$(printf '%s\n' "${mms[@]}" | sort -g)
  printf '    each round ffmpeg/mixmeter: %s (median %sx); mixmeter %s-%s s, ffmpeg %s-%s s\n' \
    "$(printf '%sx ' "${ratios[@]}")" "$(median "${ratios[@]}")" \
    "$(head -1 <<<"$mm_sorted")" "$(tail -1 <<<"$mm_sorted")" \
    "$(printf '%s\n' "${ffs[@]}" | sort -g | head -1)" "$(printf '%s\n' "${ffs[@]}" | sort -g | tail -1)"
done
printf 'peak memory (MB): mixmeter %s on the %s s WAV, %s on its first minute, %s on the FLAC; ffmpeg %s on the WAV\n' \
  "$(peak_mb "$mixmeter" analyze "$work/programme.wav")" "$seconds" \
  "$(peak_mb "$mixmeter" analyze "$work/first-minute.wav")" \
  "$(peak_mb "$mixmeter" analyze "$work/programme.flac")" \
  "$(peak_mb ffmpeg -hide_banner -nostats -i "$work/programme.wav" -af ebur128=peak=true -f null -)"

# Best of three wall-clock runs of a command, in seconds.
best_of_3() {
  local best=""
  for _ in 1 2 3; do
    local elapsed
    elapsed=$(wall "$@")
    if [ -z "$best" ] || awk "BEGIN { exit !($elapsed < $best) }"; then best=$elapsed; fi
  done
  printf '%.2f' "$best"
}

cpus=$(nproc)
files=()
for i in $(seq 1 $((cpus * 4))); do
  ln -f "$work/programme.flac" "$work/copy-$i.flac" 2>/dev/null || cp "$work/programme.flac" "$work/copy-$i.flac"
  files+=("$work/copy-$i.flac")
done
one=$(best_of_3 "$mixmeter" analyze --jobs 1 "${files[@]}")
all=$(best_of_3 "$mixmeter" analyze "${files[@]}")
printf '%d FLAC files: --jobs 1 %s s, all %d CPUs %s s (%.2fx), best of 3\n' \
  "${#files[@]}" "$one" "$cpus" "$all" "$(awk "BEGIN { print $one / $all }")"
