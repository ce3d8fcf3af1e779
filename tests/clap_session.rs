//! Linked instances in a real host (`clack-host`, the built CLAP bundles): track instances
//! fed stems on a shared advancing transport publish into their group's shared memory, and
//! the master's view (the link's reader and the session analysis, as the master's editor runs
//! them) reports the mix. Every test runs each bundle of `MIXMETER_CLAP_BUNDLES`, so the debug
//! `assert_process_allocs` bundle proves the publishing audio thread never allocates.
//!
//! Each test links in a group of its own (pid, bundle and clock in the name), so tests running
//! in parallel never see each other, and removes the group's segment file when done.

mod common;
#[path = "real_recordings/corpus.rs"]
mod corpus;

use common::clap::{Bundle, Instance, bundles};
use mixmeter::link::reader::{LinkedTrack, Reader, SessionView};
use mixmeter::link::segment::segment_path;
use mixmeter::link::slot::{EXPIRY_NS, now_ns, owner_pid};
use mixmeter_core::session::staging::Verdict;
use std::f32::consts::TAU;
use std::time::{Duration, Instant};

const RATE: f64 = 48_000.0;
const BLOCK: usize = 512;
/// Peak of every stem but the hot one: -9 dBFS, the middle of the guides' range.
const STEM_PEAK: f32 = 0.355;
/// The hot stem peaks 6.5 dB higher (-2.5 dBFS, past the -3 dBFS fail line).
const HOT_PEAK: f32 = 0.75;

/// A group used by one test, its segment removed at the end.
struct Group(String);

impl Group {
    fn new(test: &str, bundle: usize) -> Group {
        Group(format!(
            "test-{test}-{}-{bundle}-{}",
            std::process::id(),
            now_ns()
        ))
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(segment_path(&self.0));
    }
}

/// An instance set up as the user would in the editor: role, group and track name (saved
/// state's `session-link` field), activated at 48 kHz.
fn linked(bundle: &Bundle, group: &str, role: &str, name: &str) -> Instance {
    linked_at(bundle, group, role, name, RATE)
}

/// [`linked`] at another sample rate.
fn linked_at(bundle: &Bundle, group: &str, role: &str, name: &str, rate: f64) -> Instance {
    let mut instance = bundle.instantiate();
    let state = instance.save_state();
    let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
    json["fields"]["session-link"] =
        serde_json::json!({"role": role, "group": group, "name": name})
            .to_string()
            .into();
    let body = serde_json::to_vec(&json).unwrap();
    let mut project = (body.len() as u64).to_le_bytes().to_vec();
    project.extend(body);
    instance.load_state(&project).expect("the project loads");
    instance.activate(rate, BLOCK as u32);
    instance
}

/// One block at `position` samples on the host's playing transport.
fn play(instance: &mut Instance, block: &[Vec<f32>], position: usize) {
    instance.process_at(block, &[], Some((true, position as f64 / RATE)));
}

/// A stem: partials (Hz, relative level) under an envelope, peaking at `peak`.
struct Stem {
    name: &'static str,
    partials: &'static [(f32, f32)],
    /// Amplitude envelope as a function of seconds, within 0..=1.
    envelope: fn(f32) -> f32,
    /// Vibrato depth (fraction of the frequency) at 5 Hz.
    vibrato: f32,
    peak: f32,
}

impl Stem {
    fn block(&self, start: usize) -> Vec<Vec<f32>> {
        let sum: f32 = self.partials.iter().map(|p| p.1).sum();
        let samples: Vec<f32> = (start..start + BLOCK)
            .map(|n| {
                let t = n as f32 / RATE as f32;
                let wobble = self.vibrato * (TAU * 5.0 * t).sin() / (TAU * 5.0);
                let x: f32 = self
                    .partials
                    .iter()
                    .map(|(hz, level)| level * (TAU * hz * (t + wobble)).sin())
                    .sum();
                self.peak * (self.envelope)(t) * x / sum
            })
            .collect();
        vec![samples.clone(), samples]
    }
}

fn steady(_: f32) -> f32 {
    1.0
}

fn pulse(t: f32) -> f32 {
    // Four hits a second, each decaying over 200 ms.
    (-(t * 4.0).fract() * 0.25 / 0.2 * 3.0).exp()
}

fn tremolo(t: f32) -> f32 {
    0.75 + 0.25 * (TAU * 3.0 * t).sin()
}

/// The eight stems: kick and bass overlap at 60-100 Hz, vocal and guitar at 1-3 kHz, the
/// hi-hat is alone high, keys are 6 dB too hot.
fn stems() -> Vec<Stem> {
    vec![
        Stem {
            name: "Kick",
            partials: &[(60.0, 1.0), (82.0, 0.8)],
            envelope: tremolo,
            vibrato: 0.0,
            peak: STEM_PEAK,
        },
        Stem {
            name: "Bass",
            partials: &[(68.0, 1.0), (90.0, 0.8)],
            envelope: steady,
            vibrato: 0.0,
            peak: STEM_PEAK,
        },
        Stem {
            name: "Vocal",
            partials: &[(1200.0, 1.0), (1800.0, 0.8), (2400.0, 0.6)],
            envelope: tremolo,
            vibrato: 0.01,
            peak: STEM_PEAK,
        },
        Stem {
            name: "Guitar",
            partials: &[(1300.0, 1.0), (1900.0, 0.8), (2600.0, 0.6)],
            envelope: steady,
            vibrato: 0.0,
            peak: STEM_PEAK,
        },
        Stem {
            name: "Hi-hat",
            partials: &[(12_000.0, 1.0), (15_500.0, 0.7)],
            envelope: pulse,
            vibrato: 0.0,
            peak: STEM_PEAK,
        },
        Stem {
            name: "Keys",
            // One partial: the stem peaks at exactly HOT_PEAK.
            partials: &[(440.0, 1.0)],
            envelope: steady,
            vibrato: 0.0,
            peak: HOT_PEAK,
        },
        Stem {
            name: "Snare",
            partials: &[(210.0, 1.0)],
            envelope: pulse,
            vibrato: 0.0,
            peak: STEM_PEAK,
        },
        Stem {
            name: "Lead",
            partials: &[(5600.0, 1.0)],
            envelope: steady,
            vibrato: 0.0,
            peak: STEM_PEAK,
        },
    ]
}

/// The master's view of `group` now: its reader polled, the analysis run with the master's
/// own frames.
fn master_view(reader: &mut Reader) -> (Vec<LinkedTrack>, SessionView) {
    let live = reader.poll(now_ns());
    let own = live.iter().find(|t| t.is_master()).map(|t| t.owner);
    let view = reader.session(&live, own);
    (live, view)
}

fn has_pair(view: &SessionView, a: &str, b: &str) -> bool {
    view.report
        .masking
        .iter()
        .any(|p| p.tracks.contains(&a.to_string()) && p.tracks.contains(&b.to_string()))
}

#[test]
fn eight_tracks_and_a_master_show_the_mix() {
    for (b, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let group = Group::new("eight", b);
        let stems = stems();
        let mut tracks: Vec<Instance> = stems
            .iter()
            .map(|s| linked(&bundle, &group.0, "track", s.name))
            .collect();
        let mut master = linked(&bundle, &group.0, "master", "");
        let mut reader = Reader::new(&group.0);
        // The master's editor is open from the start: tracks publish frames only while a
        // master watches their group.
        reader.poll(now_ns());
        // 12 s of the song from 1 s in (the shared time base is the host's position).
        let start = RATE as usize;
        let blocks = (12.0 * RATE) as usize / BLOCK;
        for k in 0..blocks {
            let position = start + k * BLOCK;
            let mut mix = vec![vec![0.0f32; BLOCK]; 2];
            for (stem, track) in stems.iter().zip(&mut tracks) {
                let block = stem.block(position);
                for (m, x) in mix.iter_mut().zip(&block) {
                    for (m, x) in m.iter_mut().zip(x) {
                        *m += x;
                    }
                }
                play(track, &block, position);
            }
            play(&mut master, &mix, position);
            if k % 64 == 0 {
                // The master's editor reads far more often than the ring wraps.
                reader.poll(now_ns());
            }
        }
        let (live, view) = master_view(&mut reader);
        assert!(reader.status().is_ok(), "{:?}", reader.status());
        assert_eq!(live.len(), 9, "eight tracks and the master");
        let names: Vec<&str> = view.tracks.iter().map(|(n, _)| n.as_str()).collect();
        for stem in &stems {
            assert!(
                names.contains(&stem.name),
                "{} listed in {names:?}",
                stem.name
            );
        }
        // Every track's frames arrived, on one time base: frame indices are the position
        // over the hop (2048 at 48 kHz), the same for every track.
        for (name, track) in &view.tracks {
            let frames = reader.frames(track);
            assert!(frames.len() > 250, "{name}: {} frames", frames.len());
            assert_eq!(frames[0].index, (start as u64).div_ceil(2048), "{name}");
        }
        for pair in &view.report.masking {
            eprintln!(
                "masking: {} / {} {:.0}-{:.0} Hz, {:.0} % of the time",
                pair.tracks[0],
                pair.tracks[1],
                pair.low_hz,
                pair.high_hz,
                pair.time_share * 100.0
            );
        }
        assert!(
            has_pair(&view, "Kick", "Bass"),
            "{:#?}",
            view.report.masking
        );
        assert!(
            has_pair(&view, "Vocal", "Guitar"),
            "{:#?}",
            view.report.masking
        );
        // Exactly those two pairs, each in its band (no other track in any pair).
        assert_eq!(view.report.masking.len(), 2, "{:#?}", view.report.masking);
        for pair in &view.report.masking {
            let (low, high) = if pair.tracks.contains(&"Kick".to_string()) {
                (40.0, 125.0)
            } else {
                (800.0, 3150.0)
            };
            assert!(
                pair.low_hz >= low && pair.high_hz <= high,
                "{:?} at {}-{} Hz",
                pair.tracks,
                pair.low_hz,
                pair.high_hz
            );
            assert!(!pair.cuts.is_empty() && !pair.advice.is_empty(), "{pair:?}");
        }
        // Every region's shares add up, over the measurement and lately.
        for region in &view.report.regions {
            for span in [&region.whole, &region.recent] {
                if !span.empty {
                    let total: f64 = span.shares.iter().filter_map(|s| s.share).sum();
                    assert!((total - 1.0).abs() < 1e-6, "{}: {total}", region.id);
                }
            }
        }
        for row in &view.report.tracks {
            let expected = if row.name == "Keys" {
                Verdict::Fail
            } else {
                Verdict::Pass
            };
            assert_eq!(row.staging.verdict, expected, "{}: {row:?}", row.name);
        }
        // The highest region is the hi-hat's alone.
        let air = view
            .report
            .regions
            .iter()
            .max_by(|a, b| a.low_hz.total_cmp(&b.low_hz))
            .unwrap();
        let hat = air
            .whole
            .shares
            .iter()
            .find(|s| s.track == "Hi-hat")
            .unwrap();
        assert!(hat.share.unwrap() > 0.9, "{air:?}");
        assert!(
            view.report.master.is_some(),
            "the master's own frames are read"
        );
        // The meters' readings travel too.
        let keys = &view.tracks.iter().find(|(n, _)| n == "Keys").unwrap().1;
        let integrated = keys
            .reading(mixmeter::link::Reading::IntegratedLufs)
            .unwrap();
        // A steady 440 Hz sine peaking at 0.75 on both channels: 10 log10(2 * 0.75^2 / 2)
        // - 0.691 = -3.2 LUFS (K-weighting is within 0.1 dB of flat at 440 Hz).
        assert!((-3.6..-2.8).contains(&integrated), "{integrated}");
        drop(tracks);
        let (live, _) = master_view(&mut reader);
        assert_eq!(live.len(), 1, "removed instances leave at once");
    }
}

#[test]
fn sixty_four_tracks_link() {
    for (b, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let group = Group::new("sixty-four", b);
        let mut tracks: Vec<Instance> = (0..64)
            .map(|i| linked(&bundle, &group.0, "track", &format!("T{i}")))
            .collect();
        let mut master = linked(&bundle, &group.0, "master", "");
        let mut reader = Reader::new(&group.0);
        reader.poll(now_ns());
        let stem = &stems()[3];
        for k in 0..24 {
            let position = k * BLOCK;
            let block = stem.block(position);
            for track in tracks.iter_mut().chain([&mut master]) {
                play(track, &block, position);
            }
        }
        let (live, view) = master_view(&mut reader);
        assert_eq!(live.len(), 65);
        assert_eq!(view.tracks.len(), 64);
        assert_eq!(view.report.tracks.len(), 64);
        for (name, track) in &view.tracks {
            // 24 blocks of 512 are 6 whole frames of 2048.
            assert_eq!(reader.frames(track).len(), 6, "{name}");
        }
    }
}

#[test]
fn instances_come_and_go_while_audio_runs() {
    for (b, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let group = Group::new("come-go", b);
        let other = Group::new("come-go-other", b);
        let stem = &stems()[1];
        let mut tracks: Vec<Instance> = (0..4)
            .map(|i| linked(&bundle, &group.0, "track", &format!("T{i}")))
            .collect();
        let mut reader = Reader::new(&group.0);
        let mut other_reader = Reader::new(&other.0);
        let mut position = 0;
        let mut run = |tracks: &mut Vec<Instance>, blocks: usize| {
            for _ in 0..blocks {
                let block = stem.block(position);
                for track in tracks.iter_mut() {
                    play(track, &block, position);
                }
                position += BLOCK;
            }
        };
        run(&mut tracks, 20);
        // No master watched yet: the tracks are linked but summarized nothing.
        let live = reader.poll(now_ns());
        assert_eq!(live.len(), 4);
        assert!(live.iter().all(|t| reader.frames(t).is_empty()));
        tracks.push(linked(&bundle, &group.0, "track", "Late"));
        run(&mut tracks, 20);
        let live = reader.poll(now_ns());
        assert_eq!(live.len(), 5);
        let late = live.iter().find(|t| t.meta.name == "Late").unwrap();
        assert!(!reader.frames(late).is_empty(), "the late track publishes");
        tracks.remove(1);
        let live = reader.poll(now_ns());
        assert_eq!(live.len(), 4, "a removed instance leaves at once");
        assert!(!live.iter().any(|t| t.meta.name == "T1"));
        // A group changed while the audio runs (a project loaded into a running instance):
        // the instance moves at its next block.
        let state = tracks[0].save_state();
        let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        json["fields"]["session-link"] =
            serde_json::json!({"role": "track", "group": other.0, "name": "Moved"})
                .to_string()
                .into();
        let body = serde_json::to_vec(&json).unwrap();
        let mut project = (body.len() as u64).to_le_bytes().to_vec();
        project.extend(body);
        tracks[0].load_state(&project).unwrap();
        // The other group's master watches once the moved instance made its segment.
        let deadline = Instant::now() + Duration::from_secs(10);
        let moved = loop {
            run(&mut tracks, 1);
            let moved = other_reader.poll(now_ns());
            if moved.len() == 1 && !other_reader.frames(&moved[0]).is_empty() {
                break moved;
            }
            assert!(Instant::now() < deadline, "the moved track never published");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(reader.poll(now_ns()).len(), 3);
        assert_eq!(moved[0].meta.name, "Moved");
        // Stopped transport, no audio: the tracks stay linked (the heartbeat thread).
        std::thread::sleep(Duration::from_nanos(EXPIRY_NS) + Duration::from_millis(500));
        assert_eq!(reader.poll(now_ns()).len(), 3, "idle tracks still exist");
    }
}

/// A stopped transport reports one position for every block. Before the host has ever
/// played (live input, an offline render without a playhead) the track publishes frames on
/// its own count of samples; once it plays they are on the host's position, and a stop
/// pauses them: resuming where it stopped continues the measurement, it does not start it
/// again.
#[test]
fn a_stopped_transport_still_publishes_frames() {
    for (b, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let group = Group::new("stopped", b);
        let mut track = linked(&bundle, &group.0, "track", "Live");
        let mut reader = Reader::new(&group.0);
        reader.poll(now_ns());
        let stem = &stems()[1];
        // 24 blocks of 512 with the transport stopped at 10 s: 6 frames of 2048.
        let stopped_at = 10.0;
        for k in 0..24 {
            track.process_at(&stem.block(k * BLOCK), &[], Some((false, stopped_at)));
        }
        let live = reader.poll(now_ns());
        assert_eq!(live.len(), 1);
        assert_eq!(reader.frames(&live[0]).len(), 6, "frames while stopped");
        // Playback from 20 s: frames on the host's time base again.
        let start = (20.0 * RATE) as usize;
        for k in 0..8 {
            play(
                &mut track,
                &stem.block(start + k * BLOCK),
                start + k * BLOCK,
            );
        }
        let live = reader.poll(now_ns());
        let last = reader.frames(&live[0]).last().unwrap().index;
        assert_eq!(
            last,
            (start + 8 * BLOCK) as u64 / 2048 - 1,
            "on the host's time base"
        );
        let kept = reader.frames(&live[0]).len();
        // Stopped at the end of that block for 256 blocks: no frames...
        let stop = start + 8 * BLOCK;
        for k in 0..256 {
            track.process_at(
                &stem.block(k * BLOCK),
                &[],
                Some((false, stop as f64 / RATE)),
            );
        }
        let live = reader.poll(now_ns());
        assert_eq!(reader.frames(&live[0]).len(), kept, "paused while stopped");
        // ...and playing on from there adds to the same measurement.
        for k in 0..8 {
            play(&mut track, &stem.block(stop + k * BLOCK), stop + k * BLOCK);
        }
        let live = reader.poll(now_ns());
        let frames = reader.frames(&live[0]);
        assert!(frames.len() > kept, "{} frames after {kept}", frames.len());
        assert!(frames.windows(2).all(|w| w[0].index < w[1].index));
    }
}

/// A foreign file where the group's segment should be: every instance meters and passes
/// audio as usual, unlinked, and the reader says why.
#[test]
fn a_foreign_segment_leaves_the_plugin_working() {
    for (b, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let group = Group::new("foreign", b);
        std::fs::write(segment_path(&group.0), vec![0x5a; 4096]).unwrap();
        // Private to this user, as a segment would be: refused for its contents, not its
        // permissions (a file others may write is refused before it is read at all).
        std::fs::set_permissions(
            segment_path(&group.0),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        let mut track = linked(&bundle, &group.0, "track", "T");
        let block = stems()[0].block(0);
        let out = track.process_at(&block, &[], Some((true, 0.0)));
        assert_eq!(out, block, "audio passes untouched");
        let mut reader = Reader::new(&group.0);
        assert!(reader.poll(now_ns()).is_empty());
        let error = reader.status().as_ref().unwrap_err().to_string();
        assert!(error.contains("is 4096 bytes long"), "{error}");
    }
}

const CHILD_GROUP_ENV: &str = "MIXMETER_SESSION_CHILD_GROUP";
const CHILD_BUNDLE_ENV: &str = "MIXMETER_SESSION_CHILD_BUNDLE";

/// The second host process of `two_processes_link_through_shared_memory`: two track
/// instances playing until killed. Does nothing when run on its own.
#[test]
#[ignore = "the child process of two_processes_link_through_shared_memory"]
fn child_host_process() {
    let (Ok(group), Ok(bundle)) = (
        std::env::var(CHILD_GROUP_ENV),
        std::env::var(CHILD_BUNDLE_ENV),
    ) else {
        return;
    };
    let bundle = Bundle::load(std::path::Path::new(&bundle));
    let mut tracks = [
        linked(&bundle, &group, "track", "Child A"),
        linked(&bundle, &group, "track", "Child B"),
    ];
    let stem = &stems()[2];
    let started = Instant::now();
    for k in 0.. {
        let block = stem.block(k * BLOCK);
        for track in &mut tracks {
            play(track, &block, k * BLOCK);
        }
        // About real time, so the parent sees a steady stream; killed mid-block eventually.
        std::thread::sleep(Duration::from_millis(5));
        assert!(started.elapsed() < Duration::from_secs(120), "never killed");
    }
}

#[test]
fn two_processes_link_through_shared_memory() {
    for (b, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let group = Group::new("two-processes", b);
        let mut own = linked(&bundle, &group.0, "track", "Parent");
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "child_host_process",
                "--exact",
                "--ignored",
                "--test-threads=1",
            ])
            .env(CHILD_GROUP_ENV, &group.0)
            .env(CHILD_BUNDLE_ENV, path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let child_pid = child.id();
        let mut reader = Reader::new(&group.0);
        let deadline = Instant::now() + Duration::from_secs(60);
        let stem = &stems()[0];
        let mut position = 0;
        let seen = loop {
            play(&mut own, &stem.block(position), position);
            position += BLOCK;
            let live = reader.poll(now_ns());
            let from_child: Vec<&LinkedTrack> = live
                .iter()
                .filter(|t| owner_pid(t.owner) == child_pid)
                .collect();
            if from_child.len() == 2 && from_child.iter().all(|t| reader.frames(t).len() >= 5) {
                break live;
            }
            assert!(
                Instant::now() < deadline,
                "the child's tracks never arrived"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut names: Vec<&str> = seen.iter().map(|t| t.meta.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["Child A", "Child B", "Parent"]);
        child.kill().unwrap();
        child.wait().unwrap();
        let killed = Instant::now();
        let gone_after = loop {
            let live = reader.poll(now_ns());
            if !live.iter().any(|t| owner_pid(t.owner) == child_pid) {
                assert_eq!(live.len(), 1, "the parent's track stays");
                break killed.elapsed();
            }
            assert!(
                killed.elapsed() < Duration::from_nanos(EXPIRY_NS) + Duration::from_secs(1),
                "the dead process's tracks outlived the expiry"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        eprintln!("the killed process's tracks left after {gone_after:?}");
        // Their slots are free for new instances.
        let newcomers: Vec<Instance> = (0..2)
            .map(|i| linked(&bundle, &group.0, "track", &format!("New {i}")))
            .collect();
        assert_eq!(reader.poll(now_ns()).len(), 3);
        drop(newcomers);
    }
}

/// A real recording's samples as the plugin is fed them: ffmpeg decodes it to 32-bit float
/// (`rate`, stereo), one vector per channel.
fn decode_stereo(path: &std::path::Path) -> [Vec<f32>; 2] {
    corpus::decode_f32(path, &["-ac", "2"])
        .try_into()
        .expect("two channels")
}

/// Where two reports of the same audio differ: every string and count equal, every number
/// within `tolerance(path)` (dB readings, shares, times), listed as `path: ours vs theirs`.
fn report_differences(
    path: &str,
    ours: &serde_json::Value,
    theirs: &serde_json::Value,
    tolerance: &dyn Fn(&str) -> f64,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let (x, y) = (a.get(k), b.get(k));
                match (x, y) {
                    (Some(x), Some(y)) => {
                        report_differences(&format!("{path}/{k}"), x, y, tolerance, out)
                    }
                    _ => out.push(format!("{path}/{k}: {x:?} vs {y:?}")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                report_differences(&format!("{path}/{i}"), x, y, tolerance, out);
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            if (a - b).abs() > tolerance(path) {
                out.push(format!("{path}: {a} vs {b}"));
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: {a} vs {b}")),
    }
}

/// The drums, bass and sax stems of the corpus's MIDI song (44.1 kHz, about 80 s), decoded,
/// padded with silence to whole blocks past the longest (a host plays on past a track's end),
/// and written as 32-bit float WAVs of exactly those samples.
fn real_stems() -> RealStems {
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let files = corpus::build(&target).dir.join("files");
    let names = ["stem-drums", "stem-bass", "stem-sax"];
    let paths: Vec<std::path::PathBuf> = names
        .iter()
        .map(|n| files.join(format!("{n}.wav")))
        .collect();
    let mut stems: Vec<[Vec<f32>; 2]> = paths.iter().map(|p| decode_stereo(p)).collect();
    // The stems end a second apart; a host plays on past a track's end, so each is padded
    // with silence to whole blocks past the longest, and the analyzer reads those very
    // samples (32-bit float WAVs of them): both see the same audio.
    let len = stems
        .iter()
        .map(|s| s[0].len())
        .max()
        .unwrap()
        .div_ceil(BLOCK)
        * BLOCK;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("session-real-stems");
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<std::path::PathBuf> = names
        .iter()
        .zip(&mut stems)
        .map(|(name, stem)| {
            for channel in stem.iter_mut() {
                channel.resize(len, 0.0);
            }
            let path = dir.join(format!("{name}.wav"));
            let channels: Vec<Vec<f64>> = stem
                .iter()
                .map(|c| c.iter().map(|&x| f64::from(x)).collect())
                .collect();
            common::wav::write_wav_extensible(&path, REAL_RATE as u32, &channels, 0x3);
            path
        })
        .collect();

    (names, stems, paths)
}

const REAL_RATE: f64 = 44_100.0;

/// Names, stereo samples and WAV files of the real stems.
type RealStems = (
    [&'static str; 3],
    Vec<[Vec<f32>; 2]>,
    Vec<std::path::PathBuf>,
);

/// The check of the session view on real stems: the drums, bass and sax of a real
/// song (timidity's rendering of one MIDI file, one stem per MIDI channel; 44.1 kHz, about
/// 80 s) played through three track instances and a master fed their sum, in a real host,
/// give the master the same report as `mixmeter session` on the same files: every track's
/// peaks, loudness, crest, share and verdict, every region's shares, the same masking pairs
/// with the same bands and carves, the same peak moments.
#[test]
fn real_stems_read_the_same_in_the_plugin_and_the_cli() {
    let (names, stems, paths) = real_stems();
    let rate = REAL_RATE;
    let len = stems[0][0].len();
    let cli = std::process::Command::new(common::cli::mixmeter_cli())
        .args(["session", "--json"])
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let record: serde_json::Value = serde_json::from_str(
        String::from_utf8(cli.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record["master"]["kind"], "sum");
    let theirs = &record["report"];

    // The release bundle is enough to compare numbers (the debug bundle's allocation check on
    // the publishing path is the other tests' work, and 80 s of four instances in a debug
    // build is minutes).
    let path = &bundles()[0];
    let bundle = Bundle::load(path);
    let group = Group::new("real-stems", 0);
    let mut tracks: Vec<Instance> = names
        .iter()
        .map(|n| linked_at(&bundle, &group.0, "track", n, rate))
        .collect();
    let mut master = linked_at(&bundle, &group.0, "master", "", rate);
    let mut reader = Reader::new(&group.0);
    reader.poll(now_ns());
    let at = |s: &[Vec<f32>; 2], start: usize| -> Vec<Vec<f32>> {
        s.iter().map(|c| c[start..start + BLOCK].to_vec()).collect()
    };
    for k in 0..len / BLOCK {
        let position = k * BLOCK;
        let mut mix = vec![vec![0.0f32; BLOCK]; 2];
        for (stem, track) in stems.iter().zip(&mut tracks) {
            let block = at(stem, position);
            for (m, x) in mix.iter_mut().zip(&block) {
                for (m, x) in m.iter_mut().zip(x) {
                    *m += x;
                }
            }
            track.process_at(&block, &[], Some((true, position as f64 / rate)));
        }
        master.process_at(&mix, &[], Some((true, position as f64 / rate)));
        if k % 32 == 0 {
            reader.poll(now_ns());
        }
    }
    let (live, view) = master_view(&mut reader);
    assert_eq!(live.len(), 4, "three tracks and the master");
    let ours = serde_json::to_value(&view.report).unwrap();
    let tolerance = |path: &str| {
        if path.ends_with("_index") || path.contains("/frames") {
            0.0
        } else if path.contains("share") || path.contains("time") {
            0.01
        } else {
            0.05
        }
    };
    let mut differences = Vec::new();
    report_differences("", &ours, theirs, &tolerance, &mut differences);
    assert!(
        differences.is_empty(),
        "the master's view and `mixmeter session` differ on the same stems:\n{}",
        differences.join("\n")
    );
}

/// The master's editor, open in the host while the real stems play (ten times faster than
/// real time, with pauses so the editor's own reads keep up with the tracks' rings): the
/// editor is the only reader, so the tracks publish because it watches, and its session view
/// shows them. Saves the picture to `target/screenshots/session-real-stems.png` (the README's
/// session picture is that file).
#[test]
fn the_master_editor_watches_and_shows_real_stems() {
    use common::editor_host::{EDITOR_SIZE, close_editor, open_editor};
    use common::x11::{ParentWindow, display};
    let (names, stems, _) = real_stems();
    let display = display();
    let rate = REAL_RATE;
    let len = stems[0][0].len();
    let bundle = Bundle::load(&bundles()[0]);
    let group = Group::new("real-stems-editor", 0);
    let mut tracks: Vec<Instance> = ["Drums", "Bass", "Sax"]
        .iter()
        .map(|n| linked_at(&bundle, &group.0, "track", n, rate))
        .collect();
    assert_eq!(names.len(), tracks.len());
    let mut master = linked_at(&bundle, &group.0, "master", "", rate);
    let parent = ParentWindow::new(&display, EDITOR_SIZE.0, EDITOR_SIZE.1);
    open_editor(&mut master, &parent);
    // The editor reads the group many times a second once its window runs.
    std::thread::sleep(Duration::from_millis(1000));
    let started = Instant::now();
    for k in 0..len / BLOCK {
        let position = k * BLOCK;
        let mut mix = vec![vec![0.0f32; BLOCK]; 2];
        for (stem, track) in stems.iter().zip(&mut tracks) {
            let block: Vec<Vec<f32>> = stem
                .iter()
                .map(|c| c[position..position + BLOCK].to_vec())
                .collect();
            for (m, x) in mix.iter_mut().zip(&block) {
                for (m, x) in m.iter_mut().zip(x) {
                    *m += x;
                }
            }
            track.process_at(&block, &[], Some((true, position as f64 / rate)));
        }
        master.process_at(&mix, &[], Some((true, position as f64 / rate)));
        // Ten times real time: a ring of 128 frames (6 s) lasts 0.6 s between the editor's
        // reads, every 0.1 s.
        let due = Duration::from_secs_f64(position as f64 / rate / 10.0);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    // The analysis runs every second or so, on its own thread.
    std::thread::sleep(Duration::from_millis(2500));
    let pixels = parent.capture_rgb();
    parent.save_png(
        &pixels,
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/screenshots/session-real-stems.png"),
    );
    close_editor(&mut master);
    // Only the editor read the group while the stems played: the tracks' rings hold the
    // song's last frames, so they published because it watched.
    let mut reader = Reader::new(&group.0);
    let live = reader.poll(now_ns());
    let last = (len / 2048) as u64;
    for track in live.iter().filter(|t| !t.is_master()) {
        let frames = reader.frames(track);
        assert!(
            frames.last().is_some_and(|f| f.index + 2 >= last),
            "{}: {} frames, last {:?}, the song's last is {last}",
            track.meta.name,
            frames.len(),
            frames.last().map(|f| f.index)
        );
    }
    assert_eq!(live.len(), 4);
}
