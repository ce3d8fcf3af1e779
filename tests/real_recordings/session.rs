//! The session analysis (issue 20) on the corpus's MIDI stems: drums, bass and sax of one song
//! rendered by timidity, each stem one MIDI channel, and the whole song (`midi-mix.wav`, which
//! holds the song's other channels too).
//!
//! - The master made of the stems summed is the sum ffmpeg makes (`amix`, unnormalized),
//!   measured by `mixmeter analyze`: integrated loudness within 0.05 LU, true peak 0.1 dB.
//! - Shares: of that sum, the stems' energy shares add up to about 1 (three unrelated parts);
//!   of `midi-mix.wav` they add up to less (the mix has more parts); each region's shares add
//!   up to 1.
//! - What an engineer would say of these stems: the bass owns the bass region, the sax the
//!   mids, the drums the air; all three peak at or under -10 dBFS and are not nagged; drums
//!   and bass mask each other in the low end (under 200 Hz) with cuts of a few dB inside
//!   the range, and no cut anywhere is outside its pair's range by more than a band.

use crate::corpus;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn files() -> &'static Path {
    static FILES: OnceLock<PathBuf> = OnceLock::new();
    FILES.get_or_init(|| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
        corpus::build(target).dir.join("files")
    })
}

fn path(name: &str) -> String {
    files().join(name).display().to_string()
}

fn mixmeter(args: &[&str]) -> Value {
    let out = Command::new(crate::cli::mixmeter_cli())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(stdout.lines().next().unwrap()).unwrap()
}

fn f(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} missing in {v}"))
}

fn stems() -> Vec<String> {
    ["stem-drums.wav", "stem-bass.wav", "stem-sax.wav"]
        .iter()
        .map(|s| path(s))
        .collect()
}

fn session(extra: &[&str]) -> Value {
    let stems = stems();
    let mut args = vec!["session", "--json"];
    args.extend(extra);
    args.extend(stems.iter().map(String::as_str));
    mixmeter(&args)
}

#[test]
fn session_of_the_midi_stems() {
    let record = session(&[]);
    let report = &record["report"];
    assert_eq!(record["master"]["kind"], "sum");
    assert!(record["errors"].as_array().unwrap().is_empty());

    // The summed master is ffmpeg's unnormalized sum, as the analyzer reads it.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("session-real");
    std::fs::create_dir_all(&dir).unwrap();
    let sum = dir.join("sum.wav");
    let stems = stems();
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg.args(["-hide_banner", "-loglevel", "error", "-y"]);
    for s in &stems {
        ffmpeg.args(["-i", s]);
    }
    let status = ffmpeg
        .args([
            "-filter_complex",
            "amix=inputs=3:normalize=0:duration=longest",
            "-c:a",
            "pcm_f32le",
        ])
        .arg(&sum)
        .status()
        .unwrap();
    assert!(status.success());
    let analyzed = mixmeter(&["analyze", "--json", sum.to_str().unwrap()]);
    let master = &report["master"]["readings"];
    let integrated = f(master, "/integrated_lufs");
    assert!(
        (integrated - f(&analyzed, "/integrated_lufs")).abs() < 0.05,
        "{master} vs {analyzed}"
    );
    assert!((f(master, "/true_peak_dbtp") - f(&analyzed, "/true_peak_dbtp")).abs() < 0.1);

    let tracks = report["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 3);
    let shares: f64 = tracks.iter().map(|t| f(t, "/energy_share")).sum();
    assert!((0.85..1.15).contains(&shares), "{shares}");
    for t in tracks {
        // Quiet-but-fine stems (-10 to -21 dBFS) are not nagged.
        assert!(f(t, "/readings/sample_peak_dbfs") <= -10.0, "{t}");
        assert_eq!(t["staging"]["verdict"], "pass", "{t}");
        assert!(t["staging"]["advice"].is_null(), "{t}");
    }

    let top = |id: &str| {
        let region = report["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap();
        let shares = region["whole"]["shares"].as_array().unwrap();
        let total: f64 = shares.iter().map(|s| s["share"].as_f64().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-9, "{id}: {total}");
        shares
            .iter()
            .max_by(|a, b| f(a, "/share").total_cmp(&f(b, "/share")))
            .unwrap()["track"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(top("bass"), "stem-bass");
    assert_eq!(top("mids"), "stem-sax");
    assert_eq!(top("air"), "stem-drums");

    let pairs = report["masking"].as_array().unwrap();
    let low_end = pairs
        .iter()
        .find(|p| {
            let names: Vec<&str> = p["tracks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            names.contains(&"stem-drums") && names.contains(&"stem-bass")
        })
        .unwrap_or_else(|| panic!("no drums/bass pair: {pairs:#?}"));
    assert!(f(low_end, "/high_hz") <= 200.0, "{low_end}");
    for p in pairs {
        let (low, high) = (f(p, "/low_hz"), f(p, "/high_hz"));
        for cut in p["cuts"].as_array().unwrap() {
            let at = f(cut, "/at_hz");
            assert!(at > low / 1.3 && at < high * 1.3, "{p}");
            assert!((1.5..=4.0).contains(&f(cut, "/cut_db")), "{p}");
        }
    }

    // The whole song as the master: the same stems are less than all of it.
    let mix = path("midi-mix.wav");
    let with_mix = session(&["--master", &mix]);
    assert_eq!(with_mix["master"]["kind"], "file");
    let shares: f64 = with_mix["report"]["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| f(t, "/energy_share"))
        .sum();
    assert!(shares < 0.9, "{shares}");
    let analyzed_mix = mixmeter(&["analyze", "--json", &mix]);
    assert_eq!(
        f(&with_mix, "/report/master/readings/integrated_lufs"),
        f(&analyzed_mix, "/integrated_lufs")
    );
}
