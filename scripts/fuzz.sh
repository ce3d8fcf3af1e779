#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ for a bounded time each (default 60 s; the first
# argument overrides it): `decode_measure` (any bytes as an audio file, probed, decoded and
# measured as the analyzer does), `meter_core` (arbitrary rates, channel counts, block
# sizes and sample values), `reference_curve` (any bytes as a curve file and as the saved
# library) and `plugin_state` (any bytes as the plugin's persisted fields). A crash, panic,
# hang or NaN reading fails the run and leaves the input in fuzz/artifacts/.
#
# The toolchain here is stable only; libFuzzer's instrumentation needs rustc's unstable
# sanitizer flags, which RUSTC_BOOTSTRAP=1 allows on the stable compiler (as cargo-fuzz's own
# documentation suggests for stable users). Seeds are small files made by ffmpeg.
#
# -malloc_limit_mb=16384: symphonia-format-isomp4 0.5.5 sizes a table from a count in the file
# (`Vec::with_capacity` in atoms/stts.rs), so a damaged MP4 asks for gigabytes up front; the
# pages are never touched and the file then fails with "end of stream" (a regression test,
# tests/data/isomp4-stts-huge-allocation.m4a). A single request up to 16 GB is let through;
# the resident-memory limit stays at libFuzzer's 2 GB, so real memory growth still fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export RUSTC_BOOTSTRAP=1

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2

seeds=fuzz/corpus/decode_measure
mkdir -p "$seeds" fuzz/corpus/meter_core
if command -v ffmpeg >/dev/null 2>&1 && [ -z "$(ls -A "$seeds")" ]; then
  # No MP4/M4A seeds: see fuzz/fuzz_targets/decode_measure.rs.
  for spec in "wav:pcm_s16le" "aiff:pcm_s24be" "flac:flac" "mp3:libmp3lame" "ogg:libvorbis" "caf:pcm_f32le"; do
    ext="${spec%%:*}"; codec="${spec#*:}"
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "sine=frequency=997:sample_rate=44100:duration=0.15" \
      -ac 2 -c:a "$codec" "$seeds/seed.$ext"
  done
fi

mkdir -p fuzz/corpus/reference_curve
# A small curve with a band as the seed of the reference-curve target.
cat > fuzz/corpus/reference_curve/seed.json <<'CURVE'
{"format": "mixmeter-reference-curve", "version": 1, "name": "seed", "kind": "custom",
 "source": "fuzz seed", "method": "typed", "frequency_hz": [30, 300, 3000, 16000],
 "level_db": [3, 0, -6, -12], "band_low_db": [1, -1, -8, -15], "band_high_db": [5, 1, -4, -9]}
CURVE

mkdir -p fuzz/corpus/plugin_state
# The persisted fields of a saved project as the seed of the plugin-state target.
cat > fuzz/corpus/plugin_state/seed.json <<'STATE'
{"editor":"{\"width\":1300,\"height\":820,\"target\":\"apple\",\"history_s\":120}",
 "editor-pane":"\"stereo\"",
 "spectrum-view":"{\"fft_size\":8192,\"smoothing_octave_fraction\":6,\"tilt_db_per_octave\":4.5,\"peak_hold\":true}",
 "last-measurement":"{\"measured_s\":10.0,\"integrated_lufs\":-14.2,\"loudness_range_lu\":5.1,\"max_momentary_lufs\":-9.0,\"max_short_term_lufs\":-11.0,\"true_peak_dbtp\":-0.8,\"true_peak_dbtp_per_channel\":[-0.8,-1.1],\"sample_peak_dbfs\":-1.0,\"plr_db\":13.4,\"crest_factor_db\":14.0,\"correlation\":0.7,\"mono_loss_lu\":-1.2,\"non_finite_samples\":0}"}
STATE

cd fuzz
mkdir -p corpus/link_segment
printf "\x00\x00\x00\x00MXMLINK1" > corpus/link_segment/seed
for target in decode_measure meter_core reference_curve plugin_state link_segment; do
  echo "fuzzing $target for $seconds s"
  log="target/$target.log"
  mkdir -p target
  status=0
  cargo fuzz run -O "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=20 -malloc_limit_mb=16384 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::new_units_added|Done )" "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log" >&2
    echo "fuzz target $target failed (exit $status); inputs in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
