//! The command-line analyzer as users run it: the built `mixmeter` binary on WAV files in
//! every sample format it claims (written here byte by byte), mono and stereo, with `--json`
//! and `--series`, plus unreadable files.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Copy, Debug)]
enum Format {
    Int16,
    Int24,
    Int32,
    Float32,
    Float64,
}

/// Writes a canonical RIFF/WAVE file.
fn write_wav(path: &Path, format: Format, rate: u32, channels: &[Vec<f64>]) {
    let (tag, bits): (u16, u16) = match format {
        Format::Int16 => (1, 16),
        Format::Int24 => (1, 24),
        Format::Int32 => (1, 32),
        Format::Float32 => (3, 32),
        Format::Float64 => (3, 64),
    };
    let count = channels.len() as u16;
    let frames = channels[0].len();
    let block_align = count * bits / 8;
    let mut data = Vec::with_capacity(frames * block_align as usize);
    for n in 0..frames {
        for channel in channels {
            let x = channel[n].clamp(-1.0, 1.0);
            match format {
                Format::Int16 => data.extend(((x * 32767.0).round() as i16).to_le_bytes()),
                Format::Int24 => {
                    data.extend(&((x * 8_388_607.0).round() as i32).to_le_bytes()[..3])
                }
                Format::Int32 => data.extend(((x * 2_147_483_647.0).round() as i32).to_le_bytes()),
                Format::Float32 => data.extend((x as f32).to_le_bytes()),
                Format::Float64 => data.extend(x.to_le_bytes()),
            }
        }
    }
    let mut bytes = Vec::new();
    bytes.extend(b"RIFF");
    bytes.extend((36 + data.len() as u32).to_le_bytes());
    bytes.extend(b"WAVEfmt ");
    bytes.extend(16u32.to_le_bytes());
    bytes.extend(tag.to_le_bytes());
    bytes.extend(count.to_le_bytes());
    bytes.extend(rate.to_le_bytes());
    bytes.extend((rate * block_align as u32).to_le_bytes());
    bytes.extend(block_align.to_le_bytes());
    bytes.extend(bits.to_le_bytes());
    bytes.extend(b"data");
    bytes.extend((data.len() as u32).to_le_bytes());
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

fn sine(rate: u32, dbfs: f64, seconds: f64) -> Vec<f64> {
    let a = 10f64.powf(dbfs / 20.0);
    (0..(rate as f64 * seconds) as usize)
        .map(|n| a * (std::f64::consts::TAU * 997.0 * n as f64 / rate as f64).sin())
        .collect()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mixmeter"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn f(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is {:?}", value[key]))
}

#[test]
fn every_sample_format_reads_the_same_loudness() {
    let dir = scratch_dir("cli-formats");
    let tone = sine(48_000, -20.0, 6.0);
    for format in [
        Format::Int16,
        Format::Int24,
        Format::Int32,
        Format::Float32,
        Format::Float64,
    ] {
        let mono = dir.join(format!("mono-{format:?}.wav"));
        write_wav(&mono, format, 48_000, std::slice::from_ref(&tone));
        let stereo = dir.join(format!("stereo-{format:?}.wav"));
        write_wav(&stereo, format, 48_000, &[tone.clone(), tone.clone()]);
        let (code, stdout, stderr) = run(&[
            "analyze",
            "--json",
            mono.to_str().unwrap(),
            stereo.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stderr}");
        let results = json_lines(&stdout);
        assert_eq!(results.len(), 2);
        let (m, s) = (&results[0], &results[1]);
        // BS.1770: a -20 dBFS mono tone reads -23 LUFS; the same tone on both channels +3 LU.
        assert!(
            (f(m, "integrated_lufs") + 23.0).abs() < 0.05,
            "{format:?}: {m}"
        );
        assert!(
            (f(s, "integrated_lufs") + 20.0).abs() < 0.05,
            "{format:?}: {s}"
        );
        assert_eq!(m["channels"], 1);
        assert_eq!(s["channels"], 2);
        assert_eq!(m["sample_rate"], 48_000);
        assert!((f(m, "duration_s") - 6.0).abs() < 1e-9);
        assert!((f(s, "true_peak_dbtp") + 20.0).abs() < 0.05, "{s}");
        assert_eq!(s["true_peak_dbtp_per_channel"].as_array().unwrap().len(), 2);
        assert!((f(s, "correlation") - 1.0).abs() < 1e-6);
        assert!(f(s, "mono_loss_lu").abs() < 1e-3);
        assert!((f(s, "crest_factor_db") - 3.01).abs() < 0.05);
        assert!(
            (f(s, "plr_db") - 0.0).abs() < 0.1,
            "peak -20 dBTP minus -20 LUFS: {s}"
        );
    }
}

#[test]
fn json_has_every_documented_field_and_nulls_for_no_value() {
    let dir = scratch_dir("cli-schema");
    let silent = dir.join("silence.wav");
    write_wav(
        &silent,
        Format::Int16,
        44_100,
        &[vec![0.0; 44_100], vec![0.0; 44_100]],
    );
    let (code, stdout, _) = run(&["analyze", "--json", silent.to_str().unwrap()]);
    assert_eq!(code, 0);
    let v = &json_lines(&stdout)[0];
    for key in [
        "file",
        "sample_rate",
        "channels",
        "duration_s",
        "integrated_lufs",
        "loudness_range_lu",
        "max_momentary_lufs",
        "max_short_term_lufs",
        "true_peak_dbtp",
        "true_peak_dbtp_per_channel",
        "sample_peak_dbfs",
        "plr_db",
        "crest_factor_db",
        "correlation",
        "mono_loss_lu",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    for key in [
        "integrated_lufs",
        "loudness_range_lu",
        "true_peak_dbtp",
        "plr_db",
        "correlation",
        "mono_loss_lu",
    ] {
        assert!(v[key].is_null(), "silence has no {key}: {v}");
    }
    assert!(
        v.get("momentary_lufs").is_none(),
        "series only with --series"
    );
}

#[test]
fn series_has_one_value_per_100_ms() {
    let dir = scratch_dir("cli-series");
    let path = dir.join("steps.wav");
    let mut signal = sine(44_100, -30.0, 2.0);
    signal.extend(sine(44_100, -10.0, 2.0));
    write_wav(&path, Format::Float32, 44_100, &[signal.clone(), signal]);
    let (code, stdout, _) = run(&["analyze", "--json", "--series", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    let v = &json_lines(&stdout)[0];
    let momentary = v["momentary_lufs"].as_array().unwrap();
    let short_term = v["short_term_lufs"].as_array().unwrap();
    assert_eq!(momentary.len(), 40);
    assert_eq!(short_term.len(), 40);
    // 1.9 s: the -30 dBFS stereo tone; 3.9 s: 1.5 s into the -10 dBFS tone.
    assert!(
        (momentary[18].as_f64().unwrap() + 30.0).abs() < 0.1,
        "{:?}",
        momentary[18]
    );
    assert!(
        (momentary[38].as_f64().unwrap() + 10.0).abs() < 0.1,
        "{:?}",
        momentary[38]
    );
    assert!(
        short_term[38].as_f64().unwrap() < -10.5,
        "short-term still has the quiet part"
    );
}

#[test]
fn unreadable_files_get_a_clear_message_and_the_others_are_analyzed() {
    let dir = scratch_dir("cli-bad");
    let good = dir.join("good.wav");
    write_wav(&good, Format::Int16, 48_000, &[sine(48_000, -20.0, 1.0)]);
    let garbage = dir.join("garbage.wav");
    std::fs::write(&garbage, b"this is not audio at all, just text pretending").unwrap();
    let truncated = dir.join("truncated.wav");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..30]).unwrap();
    let missing = dir.join("missing.wav");
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        garbage.to_str().unwrap(),
        missing.to_str().unwrap(),
        good.to_str().unwrap(),
        truncated.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "any failure is a non-zero exit");
    assert_eq!(
        json_lines(&stdout).len(),
        1,
        "the good file is still analyzed"
    );
    for bad in [&garbage, &missing, &truncated] {
        let name = bad.to_str().unwrap();
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("mixmeter: {name}: "))),
            "{name} named in: {stderr}"
        );
    }
    assert_eq!(stderr.lines().count(), 3, "one line per bad file: {stderr}");
}

#[test]
fn readable_summary_and_usage() {
    let dir = scratch_dir("cli-text");
    let path = dir.join("tone.wav");
    write_wav(
        &path,
        Format::Int24,
        96_000,
        &[sine(96_000, -20.0, 3.0), sine(96_000, -20.0, 3.0)],
    );
    let (code, stdout, _) = run(&["analyze", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Integrated loudness   -20.0 LUFS"),
        "{stdout}"
    );
    assert!(stdout.contains("96000 Hz, 2 channels, 3.0 s"), "{stdout}");
    let (code, _, stderr) = run(&[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("Usage: mixmeter analyze"));
    let (code, _, _) = run(&["analyze", "--bogus", path.to_str().unwrap()]);
    assert_eq!(code, 2);
}
