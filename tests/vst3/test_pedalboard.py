"""Host tests: the built mixmeter.vst3 loaded by pedalboard (JUCE's VST3 hosting).

Run by the README's test command against the release bundle and a debug bundle built with
nice-plug's `assert_process_allocs` (any allocation in process() aborts the interpreter, which
fails this suite). Bundles come from MIXMETER_VST3_BUNDLES (separated by ':'), or the release
bundle that `cargo xtask bundle mixmeter --release` writes.
"""

import os
from pathlib import Path

import numpy as np
import pedalboard
import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = [
    Path(p)
    for p in os.environ.get(
        "MIXMETER_VST3_BUNDLES", str(ROOT / "target/bundled/mixmeter.vst3")
    ).split(":")
    if p
]
RATES_HZ = [44_100.0, 48_000.0, 96_000.0, 192_000.0]
ODD_BUFFER_SIZES = [1, 7, 64, 333, 1000, 4096, 8191]


@pytest.fixture(params=BUNDLES, ids=[str(p) for p in BUNDLES])
def bundle(request):
    path = request.param
    assert path.exists(), f"{path} missing: run `cargo xtask bundle mixmeter --release`"
    return str(path)


def signal(rng, channels, frames, rate_hz):
    t = np.arange(frames) / rate_hz
    x = np.stack(
        [0.5 * np.sin(2 * np.pi * (440 + 110 * c) * t) + rng.uniform(-0.25, 0.25, frames) for c in range(channels)]
    ).astype(np.float32)
    # Values a meter must survive untouched: a denormal, negative zero, full scale.
    x[0, frames // 5] = np.float32(1e-42)
    x[-1, frames // 4] = np.float32(-0.0)
    x[0, frames // 3] = np.float32(1.0)
    return x


def test_plugin_identifies_itself(bundle):
    plugin = pedalboard.load_plugin(bundle)
    assert plugin.name == "Mixmeter"
    assert plugin.is_effect


def test_mono_check_is_listed_and_settable(bundle):
    plugin = pedalboard.load_plugin(bundle)
    assert "mono_check" in plugin.parameters
    param = plugin.parameters["mono_check"]
    assert param.name == "Mono Check"
    assert param.type is bool
    assert param.valid_values == [False, True]
    assert plugin.mono_check == False  # noqa: E712 (pedalboard returns a bool-like wrapper)
    plugin.mono_check = True
    assert plugin.mono_check == True  # noqa: E712
    plugin.mono_check = False
    assert plugin.mono_check == False  # noqa: E712 (pedalboard returns a bool-like wrapper)


@pytest.mark.parametrize("rate_hz", RATES_HZ)
def test_passthrough_is_bit_exact(bundle, rate_hz):
    plugin = pedalboard.load_plugin(bundle)
    rng = np.random.default_rng(int(rate_hz))
    x = signal(rng, 2, int(rate_hz // 2), rate_hz)
    for buffer_size in ODD_BUFFER_SIZES:
        y = plugin.process(x, rate_hz, buffer_size=buffer_size)
        assert y.shape == x.shape
        assert y.dtype == np.float32
        assert np.array_equal(x.view(np.uint32), y.view(np.uint32)), f"changed at block {buffer_size}"


@pytest.mark.parametrize("buffer_size", ODD_BUFFER_SIZES)
def test_mono_sum_is_exact(bundle, buffer_size):
    plugin = pedalboard.load_plugin(bundle)
    plugin.mono_check = True
    rng = np.random.default_rng(buffer_size)
    x = signal(rng, 2, 20_000, 48_000.0)
    # reset=True (the default) starts a new stream: nothing has played since the reset, so the
    # fold is engaged from the first sample, with no fade.
    y = plugin.process(x, 48_000.0, buffer_size=buffer_size)
    expected = ((x[0] + x[1]) / np.float32(2)).astype(np.float32)
    assert np.array_equal(y[0], expected)
    assert np.array_equal(y[1], expected)


def test_switching_back_restores_bit_exact_passthrough(bundle):
    plugin = pedalboard.load_plugin(bundle)
    rng = np.random.default_rng(5)
    x = signal(rng, 2, 48_000, 48_000.0)
    plugin.mono_check = True
    plugin.process(x, 48_000.0, buffer_size=512)
    plugin.mono_check = False
    # Continue the same stream: a 10 ms fade back, then the untouched input.
    y = plugin.process(x, 48_000.0, buffer_size=512, reset=False)
    fade = 480
    assert not np.array_equal(y[0, :fade], x[0, :fade])
    assert np.array_equal(y[:, fade + 1 :].view(np.uint32), x[:, fade + 1 :].view(np.uint32))


def test_mono_level_match_raises_the_fold_by_the_measured_loss(bundle):
    """Independent equal noise loses 3 dB folded to mono; with level match the fold of the
    last seconds is as strong (RMS, equal spectra) as the stereo input."""
    plugin = pedalboard.load_plugin(bundle)
    assert "mono_level_match" in plugin.parameters
    plugin.mono_check = True
    plugin.mono_level_match = True
    rng = np.random.default_rng(21)
    rate = 48_000.0
    x = rng.uniform(-0.3, 0.3, (2, int(rate * 10))).astype(np.float32)
    y = plugin.process(x, rate, buffer_size=512)
    tail = slice(int(rate * 6), None)
    stereo_db = 10 * np.log10(np.mean(x[:, tail].astype(np.float64) ** 2))
    mono_db = 10 * np.log10(np.mean(y[:, tail].astype(np.float64) ** 2))
    assert abs(mono_db - stereo_db) < 0.15, (mono_db, stereo_db)
    plain_db = 10 * np.log10(np.mean(((x[0, tail] + x[1, tail]) / 2).astype(np.float64) ** 2))
    assert abs(plain_db - stereo_db + 3.01) < 0.1
    assert np.array_equal(y[0], y[1])


def test_mono_input_passes_through(bundle):
    plugin = pedalboard.load_plugin(bundle)
    rng = np.random.default_rng(11)
    x = signal(rng, 1, 30_000, 44_100.0)
    y = plugin.process(x, 44_100.0, buffer_size=333)
    assert y.shape == x.shape
    assert np.array_equal(x.view(np.uint32), y.view(np.uint32))
    # The mono check has nothing to fold on a mono track.
    plugin.mono_check = True
    y = plugin.process(x, 44_100.0, buffer_size=333)
    assert np.array_equal(x.view(np.uint32), y.view(np.uint32))


def engaged_state(bundle):
    plugin = pedalboard.load_plugin(bundle)
    plugin.mono_check = True
    # VST3 delivers parameter changes with the next process call; then the state has them.
    plugin.process(np.zeros((2, 64), np.float32), 48_000.0)
    return plugin.raw_state


def test_state_round_trips_into_a_fresh_instance(bundle):
    state = engaged_state(bundle)
    restored = pedalboard.load_plugin(bundle)
    restored.raw_state = state
    assert restored.mono_check == True  # noqa: E712
    x = signal(np.random.default_rng(2), 2, 4096, 48_000.0)
    y = restored.process(x, 48_000.0, buffer_size=512)
    assert np.array_equal(y[0], ((x[0] + x[1]) / np.float32(2)).astype(np.float32))


def corrupt_component_state(state: bytes) -> bytes:
    """The host's state wrapper intact, the plugin's own (encoded) state inside it scrambled."""
    start = state.index(b"<IComponent>") + len(b"<IComponent>")
    end = state.index(b"</IComponent>")
    payload = bytearray(state[start:end])
    for i in range(4, len(payload), 3):
        payload[i] = b"AbCdEfGh"[i % 8]
    return state[:start] + bytes(payload) + state[end:]


def test_garbage_state_keeps_defaults_and_the_plugin_working(bundle):
    state = engaged_state(bundle)
    rng = np.random.default_rng(13)
    cases = {
        "empty": b"",
        "text": b"garbage",
        "truncated": state[: len(state) // 2],
        "random": rng.integers(0, 256, 700, dtype=np.uint8).tobytes(),
        "scrambled plugin state": corrupt_component_state(state),
    }
    x = signal(rng, 2, 2048, 48_000.0)
    for what, garbage in cases.items():
        plugin = pedalboard.load_plugin(bundle)
        try:
            plugin.raw_state = garbage
        except Exception:  # the host may refuse it; the plugin must simply not change
            pass
        assert plugin.mono_check == False, what  # noqa: E712
        y = plugin.process(x, 48_000.0, buffer_size=256)
        assert np.array_equal(x.view(np.uint32), y.view(np.uint32)), what


RENDER_SCRIPT = """
import sys, time
import numpy as np, pedalboard
plugin = pedalboard.load_plugin(sys.argv[1])
for seconds in sys.argv[2:]:
    t = np.arange(int(float(seconds) * 48_000)) / 48_000.0
    x = (0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    plugin.process(np.stack([x, x]), 48_000.0)
time.sleep(1.5)  # the report is written on the plugin's own thread
"""


def render(bundle, folder, *seconds):
    """Renders in a fresh interpreter whose documents folder is `folder` (the plugin reads
    XDG_DOCUMENTS_DIR from the process environment)."""
    import subprocess
    import sys

    env = dict(os.environ, XDG_DOCUMENTS_DIR=str(folder))
    args = [sys.executable, "-c", RENDER_SCRIPT, bundle, *map(str, seconds)]
    subprocess.run(args, env=env, check=True, timeout=180)
    return folder / "Mixmeter reports"


def test_an_offline_render_writes_one_report(bundle, tmp_path):
    """pedalboard's process() is an offline render (VST3 kOffline): one JSON and one PNG report
    of a 12 s render, and none for the host's short set-up passes (10 and 55 ms)."""
    import json

    folder = render(bundle, tmp_path, 12)
    reports = sorted(folder.glob("*.json"))
    assert len(reports) == 1, reports
    assert len(list(folder.glob("*.png"))) == 1
    report = json.loads(reports[0].read_text())
    assert report["duration_s"] == 12.0
    assert abs(report["integrated_lufs"] + 20.0) < 0.1
    assert len(report["short_term_lufs"]) == 12


def test_short_offline_passes_write_no_report(bundle, tmp_path):
    """Renders shorter than 10 s (a host's checks, a preview) leave the folder untouched."""
    folder = render(bundle, tmp_path, 1, 2, 5, 9.5)
    assert not folder.exists() or not any(folder.iterdir()), list(folder.iterdir())


# Surround buses (issue 22). pedalboard asks JUCE for a bus of the array's channel count; JUCE
# turns the count into a VST3 speaker arrangement (5: k50, 6: k51, 7: k70Music, 8: k71Music),
# offers it with setBusArrangements and keeps the bus only if getBusArrangement reports the same
# arrangement back. nice-plug 0.4.2 reported k70Cine/k71Cine (front wide Lc Rc) for 7 and 8
# channels, so JUCE refused those buses; the patched nice-plug in vendor/ reports (and accepts
# only) the arrangements whose order is the plugin's (docs/surround.md). pedalboard hands the
# array's channels to the plugin in VST3 order: index 5, 6 of a 7.0 bus are k70Music's Sl Sr.

# Channel indices in VST3 order: L, R, C, the side pair (weighted +1.5 dB), the rear pair
# (weighted 1.0) and the LFE (not counted), per channel count.
SURROUND_ROLES = {
    5: dict(front=(0, 1), centre=2, side=(3, 4), rear=None, lfe=None),
    6: dict(front=(0, 1), centre=2, side=(4, 5), rear=None, lfe=3),
    7: dict(front=(0, 1), centre=2, side=(5, 6), rear=(3, 4), lfe=None),
    8: dict(front=(0, 1), centre=2, side=(6, 7), rear=(4, 5), lfe=3),
}
SURROUND_CHANNELS = list(SURROUND_ROLES)

CASE_6_SCRIPT = """
import json, sys, time
import numpy as np, pedalboard
plugin = pedalboard.load_plugin(sys.argv[1])
channels, roles, surround_on = int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
t = np.arange(12 * 48_000) / 48_000.0
tone = lambda dbfs, hz: (10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * t)).astype(np.float32)
x = np.zeros((channels, t.size), np.float32)
x[roles["front"]] = tone(-28, 1000)
x[roles["centre"]] = tone(-24, 1000)
x[roles[surround_on]] = tone(-30, 1000)
if roles["lfe"] is not None:
    x[roles["lfe"]] = tone(-6, 50)  # a loud LFE, which BS.1770 leaves out
y = plugin.process(x, 48_000.0, buffer_size=333)
assert y.shape == x.shape, y.shape
assert np.array_equal(x.view(np.uint32), y.view(np.uint32)), "passthrough"
time.sleep(1.5)  # the report is written on the plugin's own thread
"""


def case_6_integrated_lufs(bundle, folder, channels, surround_on="side"):
    """EBU Tech 3341 case 6 (L R -28 dBFS, C -24, the surround pair -30, 1 kHz, plus a -6 dBFS
    50 Hz LFE where the bus has one) rendered through the VST3 on a bus of `channels`, with the
    surround tones on the bus's side or rear pair; the render report's integrated loudness."""
    import json
    import subprocess
    import sys

    env = dict(os.environ, XDG_DOCUMENTS_DIR=str(folder))
    roles = json.dumps(SURROUND_ROLES[channels])
    args = [sys.executable, "-c", CASE_6_SCRIPT, bundle, str(channels), roles, surround_on]
    subprocess.run(args, env=env, check=True, timeout=180)
    reports = sorted((folder / "Mixmeter reports").glob("*.json"))
    assert len(reports) == 1, reports
    return json.loads(reports[0].read_text())["integrated_lufs"]


@pytest.mark.parametrize("channels", SURROUND_CHANNELS)
def test_surround_case_6_reads_minus_23(bundle, tmp_path, channels):
    """Case 6 on a 5.0, 5.1, 7.0 and 7.1 bus reads -23.0 +- 0.1 LUFS (surrounds +1.5 dB, LFE
    excluded, the rear pair of 7.x silent)."""
    integrated = case_6_integrated_lufs(bundle, tmp_path, channels)
    assert abs(integrated + 23.0) <= 0.1, integrated


@pytest.mark.parametrize("channels", [7, 8])
def test_rear_pair_of_seven_channel_buses_is_not_weighted(bundle, tmp_path, channels):
    """The same tones on the rear pair of a 7.x bus (k70Music/k71Music Ls Rs, beyond 120
    degrees: weight 1.0) read -23.39 LUFS, without the side pair's +1.5 dB. A host
    and plugin that disagree on which pair is which miss one of the two readings."""
    integrated = case_6_integrated_lufs(bundle, tmp_path, channels, surround_on="rear")
    assert abs(integrated + 23.39) <= 0.05, integrated


@pytest.mark.parametrize("channels", SURROUND_CHANNELS)
@pytest.mark.parametrize("rate_hz", RATES_HZ)
def test_surround_passthrough_is_bit_exact(bundle, channels, rate_hz):
    plugin = pedalboard.load_plugin(bundle)
    rng = np.random.default_rng(int(rate_hz) + channels)
    x = signal(rng, channels, int(rate_hz // 4), rate_hz)
    for buffer_size in ODD_BUFFER_SIZES:
        y = plugin.process(x, rate_hz, buffer_size=buffer_size)
        assert y.shape == x.shape
        assert np.array_equal(x.view(np.uint32), y.view(np.uint32)), f"changed at block {buffer_size}"


def test_surround_fold_down_is_the_bs775_downmix(bundle):
    """A 5.1 bus with the mono check on plays Lo = L + 0.7071 C + 0.7071 Ls on L (Ro on R) and
    silence elsewhere, exactly (BS.775-3 Table 2, LFE omitted)."""
    plugin = pedalboard.load_plugin(bundle)
    plugin.mono_check = True
    x = signal(np.random.default_rng(51), 6, 4096, 48_000.0)
    y = plugin.process(x, 48_000.0, buffer_size=512)
    c = np.float32(0.7071)
    lo = (x[0] + c * x[2]) + c * x[4]
    ro = (x[1] + c * x[2]) + c * x[5]
    assert np.array_equal(y[0].view(np.uint32), lo.astype(np.float32).view(np.uint32))
    assert np.array_equal(y[1].view(np.uint32), ro.astype(np.float32).view(np.uint32))
    assert not np.any(y[2:])


def test_twelve_channels_are_refused_because_juce_asks_for_discrete_channels(bundle):
    """Records a limit of the test host, not of the plugin: pedalboard can only ask JUCE for a
    channel count, and JUCE names layouts of 1 to 8 channels only
    (AudioChannelSet::canonicalChannelSet/namedChannelSet); for 12 it offers 12 discrete
    channels (a mono speaker and eleven others, not k71_4), which the plugin refuses, as it
    must (it cannot know which speakers those are). The 7.1.4 bus over VST3 is tested with
    an arrangement-aware host in tests/vst3_host.rs; the CLAP host test covers it too."""
    plugin = pedalboard.load_plugin(bundle)
    with pytest.raises(ValueError, match="does not support 12-channel"):
        plugin.process(np.zeros((12, 480), np.float32), 48_000.0)


LINK_SCRIPT = r"""
import glob, json, mmap, os, struct, sys, time
import numpy as np, pedalboard

RATE = 48_000.0
tracks = [pedalboard.load_plugin(sys.argv[1]) for _ in range(2)]
t = np.arange(int(2 * RATE)) / RATE
# Track 0: a 1 kHz sine at -20 dBFS on both channels; track 1: the same at -30 dBFS.
tones = [np.float32(10 ** (db / 20)) * np.sin(2 * np.pi * 1000 * t).astype(np.float32) for db in (-20, -30)]


def play(seconds):
    for plugin, x in zip(tracks, tones):
        n = int(seconds * RATE)
        plugin.process(np.stack([x[:n], x[:n]]), RATE, buffer_size=512, reset=False)


def segment():
    # The default group: a host that names no track gives the Auto role a track.
    paths = glob.glob(f"/dev/shm/mixmeter-link-v2-{os.getuid()}-default-*")
    assert len(paths) == 1, paths
    f = open(paths[0], "r+b")
    return mmap.mmap(f.fileno(), 0)


def ours(m):
    magic, version, count, size, ring, words, header = struct.unpack_from("<QIIIIII", m, 0)
    assert magic == int.from_bytes(b"MXMLINK1", "little") and version == 2, (magic, version)
    slots = []
    for k in range(count):
        base = header + k * size
        owner, = struct.unpack_from("<Q", m, base)
        if owner >> 32 != os.getpid():
            continue
        role, colour, flags, rate, channels, name_len = struct.unpack_from("<IIIfII", m, base + 20)
        name = bytes(m[base + 44 : base + 44 + name_len]).decode()
        readings = struct.unpack_from("<7f", m, base + 108)
        written, = struct.unpack_from("<Q", m, base + 136)
        slots.append(dict(slot=k, role=role, rate=rate, channels=channels, name=name,
                          integrated=readings[2], frames=written))
    return slots


play(0.1)  # activates and links them
m = segment()
# Nobody watches (an earlier run of this test may have stamped the group moments ago).
struct.pack_into("<Q", m, 32, 0)
start = ours(m)
play(1.0)
before = ours(m)
# A master's editor reads the group: it stamps the header, and the tracks publish frames.
struct.pack_into("<Q", m, 32, time.monotonic_ns())
play(1.0)
after = ours(m)
print(json.dumps(dict(start=start, before=before, after=after)))
"""


def test_vst3_instances_link_and_publish_while_watched(bundle, tmp_path):
    """Two VST3 instances in pedalboard (JUCE's host; no track name, so Auto makes them track
    instances of the default group) claim slots in the group's shared memory with the
    documented layout (read here from Python, not through the plugin's own reader), carry
    their meters' integrated loudness, and summarize frames only once a master watches:
    none in a second unwatched, about 23 in the second after a stamp. With the debug bundle, the
    publishing runs under assert_process_allocs."""
    import json
    import subprocess
    import sys

    env = dict(os.environ, XDG_DOCUMENTS_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", LINK_SCRIPT, bundle],
        env=env, check=True, timeout=180, capture_output=True, text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    start, before, after = result["start"], result["before"], result["after"]
    assert len(before) == 2 and len(after) == 2, result
    for slot in after:
        assert slot["role"] == 1, slot  # a track
        assert slot["name"] == "Track", slot
        assert (slot["rate"], slot["channels"]) == (48_000.0, 2), slot
    # A second unwatched: no new frame.
    assert [s["frames"] for s in before] == [s["frames"] for s in start], result
    # 1 s at 48 kHz after the stamp: 23 frames of 2048 (the one in progress at the stamp is
    # dropped).
    for slot, earlier in zip(after, before):
        assert 20 <= slot["frames"] - earlier["frames"] <= 24, (slot, earlier)
    # A stereo 1 kHz sine of peak p reads 20 log10(p) + 0.69 (K-weighting at 1 kHz) - 0.691
    # + 10 log10(2 / 2): -20.0 and -30.0 LUFS.
    loudness = sorted(s["integrated"] for s in after)
    assert abs(loudness[0] - -30.0) < 0.1 and abs(loudness[1] - -20.0) < 0.1, after
