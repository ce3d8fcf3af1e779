"""Plays a stereo mix into JACK until killed, looping: the live signal of scripts/screenshot.sh.

    jack_player.py [AUDIO_FILE]

With a file (any format ffmpeg reads), that recording, decoded by ffmpeg at the server's rate.
Without one, a synthesized mix:

The mix (48 kHz or the server's rate): a kick on every beat at 120 BPM, a bass line, a pink-noise
pad spread wide in stereo and a hi-hat, at about -14 LUFS. It loops every 8 s. Ports are named
"player:out_1" and "player:out_2".
"""

import subprocess
import sys
import threading

import jack
import numpy as np


def mix(rate: int, seconds: float = 8.0) -> np.ndarray:
    n = int(rate * seconds)
    t = np.arange(n) / rate
    rng = np.random.default_rng(7)
    beat = 0.5  # 120 BPM
    phase = np.mod(t, beat)
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-phase * 30)) * phase) * np.exp(-phase * 8)
    notes = np.array([55.0, 55.0, 65.4, 73.4])
    bass_f = notes[(t // (2 * beat)).astype(int) % len(notes)]
    bass = 0.5 * np.sin(2 * np.pi * bass_f * t) * (0.6 + 0.4 * np.exp(-np.mod(t, beat) * 4))
    # Pink noise (Voss-McCartney-free: a 1/f spectrum made in the frequency domain).
    def pink() -> np.ndarray:
        spectrum = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / rate)
        f[0] = 1.0
        return np.fft.irfft(spectrum / np.sqrt(f), n)
    pad_l, pad_r = pink(), pink()
    pad_l, pad_r = pad_l / np.std(pad_l), pad_r / np.std(pad_r)
    hat_phase = np.mod(t + beat / 2, beat)
    hat = rng.standard_normal(n) * np.exp(-hat_phase * 60)
    hat = np.diff(hat, prepend=0.0)  # brighter
    left = 0.45 * kick + 0.35 * bass + 0.06 * pad_l + 0.05 * hat
    right = 0.45 * kick + 0.35 * bass + 0.06 * pad_r + 0.04 * hat
    stereo = np.stack([left, right]).astype(np.float32)
    return stereo * (0.5 / np.max(np.abs(stereo)))


def recording(path: str, rate: int) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "f32le", "-ac", "2",
         "-ar", str(rate), "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, 2).T.copy()


def main() -> int:
    client = jack.Client("player", no_start_server=True)
    audio = recording(sys.argv[1], client.samplerate) if len(sys.argv) > 1 else mix(client.samplerate)
    outs = [client.outports.register(f"out_{i + 1}") for i in range(2)]
    position = [0]

    @client.set_process_callback
    def process(frames: int) -> None:
        start = position[0]
        index = (np.arange(frames) + start) % audio.shape[1]
        for c, port in enumerate(outs):
            port.get_array()[:] = audio[c, index]
        position[0] = (start + frames) % audio.shape[1]

    done = threading.Event()
    with client:
        print("player: playing", flush=True)
        done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
