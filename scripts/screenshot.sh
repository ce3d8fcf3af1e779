#!/usr/bin/env bash
# Runs the standalone build under Xvfb, fed live by a JACK client playing a synthesized mix
# (scripts/jack_player.py) through JACK's dummy driver, and saves a screenshot of the editor:
#
#   scripts/screenshot.sh [OUTPUT.png] [SECONDS] [AUDIO_FILE]
#
# Defaults: docs/editor.png, 25 s of audio before the picture, the synthesized mix of
# jack_player.py (or AUDIO_FILE, looped). The README pictures are made with it, on a real song.
# MIXMETER_SHOT_CLICK="X,Y" clicks that point of the editor (xdotool) 5 s before the picture,
# e.g. "275,281" for the Stereo tab at the default size.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh
output="${1:-docs/editor.png}"
seconds="${2:-25}"
audio_file="${3:-}"

ensure_build_tools
ensure_debian_packages pkg-config libasound2-dev libjack-jackd2-dev jackd2 xvfb xauth ffmpeg \
  libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0 libegl1 libegl-mesa0 libgl1 \
  libglx-mesa0 libgl1-mesa-dri python3-venv xdotool
if [ ! -x target/venv/bin/python ]; then python3 -m venv target/venv; fi
target/venv/bin/python -c "import jack, numpy" 2>/dev/null ||
  target/venv/bin/pip install -q JACK-Client numpy
cargo build --release --features standalone --bin mixmeter-standalone

display=":$((90 + RANDOM % 9))"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

Xvfb "$display" -screen 0 2400x1600x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
export JACK_NO_AUDIO_RESERVATION=1 JACK_DEFAULT_SERVER="mixmeter-shot-$$"
jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 512 >"$work/jackd.log" 2>&1 &
pids+=($!)
sleep 2
target/venv/bin/python scripts/jack_player.py ${audio_file:+"$audio_file"} >"$work/player.log" 2>&1 &
pids+=($!)
sleep 2
DISPLAY="$display" target/release/mixmeter-standalone --backend jack \
  --connect-jack-inputs player:out_1,player:out_2 \
  >"$work/standalone.log" 2>&1 &
pids+=($!)
if [ -n "${MIXMETER_SHOT_CLICK:-}" ]; then
  sleep "$((seconds > 5 ? seconds - 5 : 0))"
  DISPLAY="$display" xdotool mousemove "${MIXMETER_SHOT_CLICK%,*}" "${MIXMETER_SHOT_CLICK#*,}" click 1 \
    mousemove 1095 715
  sleep 5
else
  sleep "$seconds"
fi
if ! kill -0 "${pids[-1]}" 2>/dev/null; then
  echo "error: the standalone stopped:" >&2
  cat "$work/standalone.log" >&2
  exit 1
fi
# The window sits at the top left of the screen; crop to its size.
size="$(DISPLAY="$display" xwininfo -root -tree 2>/dev/null | grep -i '"Mixmeter"' | head -1 |
  sed -E 's/.* ([0-9]+)x([0-9]+)\+.*/\1x\2/')"
size="${size:-1100x720}"
mkdir -p "$(dirname "$output")"
ffmpeg -loglevel error -y -f x11grab -video_size "$size" -i "$display+0,0" -frames:v 1 "$output"
echo "saved $output ($size)"
