//! The command-line analyzer as users run it: the built `mixmeter` binary on WAV files in
//! every sample format it claims (written here byte by byte), mono and stereo, with `--json`
//! and `--series`, plus unreadable files.

#[path = "../../../tests/common/signals.rs"]
mod signals;
#[path = "../../../tests/common/wav.rs"]
mod wav;
use wav::write_wav_extensible;

use serde_json::Value;
use signals::{invert_band, pink};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's root (the test data and the README are shared with the plugin's tests).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

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
        "fold_down",
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
        // A stereo file has no fold-down.
        "fold_down",
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

/// Each series point is the largest value since the previous point: a 400 ms burst off the
/// 100 ms grid (at 1.234 s) peaks between two points, and the series still reaches the
/// maximum momentary loudness (the value at each point alone reads up to 0.5 dB low).
#[test]
fn series_points_keep_the_maximum_between_them() {
    let dir = scratch_dir("cli-series-burst");
    let path = dir.join("burst.wav");
    let rate = 48_000;
    let mut signal = vec![0.0; (1.234 * rate as f64) as usize];
    signal.extend(sine(rate, -20.0, 0.4));
    signal.resize(3 * rate as usize, 0.0);
    write_wav(&path, Format::Float32, rate, &[signal]);
    let (code, stdout, _) = run(&["analyze", "--json", "--series", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    let v = &json_lines(&stdout)[0];
    let series_max = v["momentary_lufs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let max = v["max_momentary_lufs"].as_f64().unwrap();
    assert!(
        (series_max - max).abs() < 0.05,
        "series {series_max}, max {max}"
    );
    let short_term_max = v["short_term_lufs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let max = v["max_short_term_lufs"].as_f64().unwrap();
    assert!(
        (short_term_max - max).abs() < 0.05,
        "series {short_term_max}, max {max}"
    );
}

/// The LRA of ffmpeg's `ebur128` filter, which takes short-term values at 10 Hz as EBU Tech
/// 3342 asks (the last `lavfi.r128.LRA` frame metadata: three decimals, where the summary
/// prints one).
fn ffmpeg_lra(file: &Path) -> f64 {
    let log = file.with_extension("lra.txt");
    let filter = format!(
        "ebur128=metadata=1,ametadata=mode=print:key=lavfi.r128.LRA:file={}",
        log.display()
    );
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-nostats", "-loglevel", "error", "-i"])
        .arg(file)
        .args(["-af", &filter, "-f", "null", "-"])
        .status()
        .expect("ffmpeg runs (./test.sh installs it)");
    assert!(status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix("lavfi.r128.LRA="))
        .expect("an LRA value")
        .parse()
        .unwrap()
}

/// Loudness range from short-term values at 10 Hz (Tech 3342): stereo pink noise whose level
/// moves every 3.3 s (20 ms fades), 24 s long, reads what ffmpeg's `ebur128` filter reads
/// within 0.2 LU (one value per second, as libebur128 takes them, reads about 2 LU lower
/// here). Under 60 s, the output says the reading is not one of a programme.
#[test]
fn loudness_range_matches_ffmpeg_at_10_hz_and_says_when_the_file_is_short() {
    let dir = scratch_dir("cli-lra");
    let path = dir.join("moving.wav");
    let rate = 48_000u32;
    let frames = 24 * rate as usize;
    let levels_db = [0.0, -10.0, -3.0, -25.0, -5.0];
    let step = (3.3 * rate as f64) as usize;
    let fade = (0.02 * rate as f64) as usize;
    let gain = |n: usize| {
        let level = |i: usize| 10f64.powf(levels_db[i % levels_db.len()] / 20.0);
        let (section, into) = (n / step, n % step);
        if section > 0 && into < fade {
            let t = into as f64 / fade as f64;
            level(section - 1) * (1.0 - t) + level(section) * t
        } else {
            level(section)
        }
    };
    let channels: Vec<Vec<f64>> = [11, 12]
        .iter()
        .map(|&seed| {
            pink(rate, frames, seed, None)
                .iter()
                .enumerate()
                .map(|(n, x)| x * gain(n))
                .collect()
        })
        .collect();
    write_wav(&path, Format::Float32, rate, &channels);
    let (code, stdout, _) = run(&["analyze", "--json", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    let v = &json_lines(&stdout)[0];
    let ours = v["loudness_range_lu"].as_f64().unwrap();
    let theirs = ffmpeg_lra(&path);
    eprintln!("LRA of the 24 s file: ours {ours:.2} LU, ffmpeg {theirs:.2} LU");
    assert!(
        (ours - theirs).abs() <= 0.2,
        "ours {ours} LU, ffmpeg {theirs} LU"
    );
    assert_eq!(v["loudness_range_reliable"], false, "{v}");
    let (code, stdout, _) = run(&["analyze", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("too short for loudness range"), "{stdout}");
    // A minute of it is a programme: no note.
    let long: Vec<Vec<f64>> = channels
        .iter()
        .map(|c| c.iter().cycle().take(61 * rate as usize).copied().collect())
        .collect();
    write_wav(&path, Format::Float32, rate, &long);
    let (code, stdout, _) = run(&["analyze", "--json", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(json_lines(&stdout)[0]["loudness_range_reliable"], true);
    let (_, stdout, _) = run(&["analyze", path.to_str().unwrap()]);
    assert!(!stdout.contains("too short"), "{stdout}");
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
    // Every input has a record, in the order named: the bad ones with their error.
    let records = json_lines(&stdout);
    assert_eq!(records.len(), 4, "{stdout}");
    for (record, bad) in records.iter().zip([true, true, false, true]) {
        assert_eq!(record["error"].is_string(), bad, "{record}");
        assert_eq!(record["integrated_lufs"].is_number(), !bad, "{record}");
    }
    assert!(records[2]["file"].as_str().unwrap().ends_with("good.wav"));
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
    assert!(stderr.contains("Usage: mixmeter <COMMAND>"), "{stderr}");
    let (code, _, _) = run(&["analyze", "--bogus", path.to_str().unwrap()]);
    assert_eq!(code, 2);
}

/// Encodes `wav` with Debian's ffmpeg (installed by ./test.sh), the way real files are made.
fn ffmpeg(wav: &Path, out: &Path, codec_args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(wav)
        .args(codec_args)
        .arg(out)
        .status()
        .expect("ffmpeg runs (./test.sh installs it)");
    assert!(status.success(), "ffmpeg made {}", out.display());
}

/// Real FLAC, AIFF, CAF, MP3, Ogg Vorbis, AAC and ALAC files (encoded by ffmpeg) read the
/// loudness of the WAV they came from: the lossless ones within 0.01 LU, the lossy ones within
/// 0.1 LU (true peak within 0.5 dB: lossy coding moves peaks).
#[test]
fn every_container_and_codec_reads_the_loudness_of_its_source() {
    let dir = scratch_dir("cli-codecs");
    let wav = dir.join("source.wav");
    let rate = 44_100;
    let tone = sine(rate, -20.0, 5.0);
    write_wav(&wav, Format::Float32, rate, &[tone.clone(), tone]);
    let cases: [(&str, &[&str], bool, &str); 7] = [
        (
            "tone.flac",
            &["-c:a", "flac", "-sample_fmt", "s32"],
            true,
            "flac",
        ),
        ("tone.aiff", &["-c:a", "pcm_s24be"], true, "pcm_s24be"),
        ("tone.caf", &["-c:a", "pcm_s24le"], true, "pcm_s24le"),
        ("tone-alac.m4a", &["-c:a", "alac"], true, "alac"),
        (
            "tone.mp3",
            &["-c:a", "libmp3lame", "-b:a", "320k"],
            false,
            "mp3",
        ),
        (
            "tone.ogg",
            &["-c:a", "libvorbis", "-q:a", "8"],
            false,
            "vorbis",
        ),
        (
            "tone-aac.m4a",
            &["-c:a", "aac", "-b:a", "256k"],
            false,
            "aac",
        ),
    ];
    for (name, args, _, _) in &cases {
        ffmpeg(&wav, &dir.join(name), args);
    }
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        wav.to_str().unwrap(),
        dir.join(cases[0].0).to_str().unwrap(),
        dir.join(cases[1].0).to_str().unwrap(),
        dir.join(cases[2].0).to_str().unwrap(),
        dir.join(cases[3].0).to_str().unwrap(),
        dir.join(cases[4].0).to_str().unwrap(),
        dir.join(cases[5].0).to_str().unwrap(),
        dir.join(cases[6].0).to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 8);
    let reference = f(&lines[0], "integrated_lufs");
    let reference_tp = f(&lines[0], "true_peak_dbtp");
    assert!((reference + 20.0).abs() < 0.05, "{reference}");
    for ((name, _, lossless, codec), line) in cases.iter().zip(&lines[1..]) {
        let got = f(line, "integrated_lufs");
        let tolerance = if *lossless { 0.01 } else { 0.1 };
        assert!(
            (got - reference).abs() <= tolerance,
            "{name}: {got} vs {reference} LUFS"
        );
        let tp = f(line, "true_peak_dbtp");
        let tp_tolerance = if *lossless { 0.01 } else { 0.5 };
        assert!(
            (tp - reference_tp).abs() <= tp_tolerance,
            "{name}: {tp} dBTP"
        );
        assert_eq!(line["sample_rate"], rate, "{name}");
        assert_eq!(line["channels"], 2, "{name}");
        assert_eq!(line["codec"], *codec, "{name}");
        assert!((f(line, "duration_s") - 5.0).abs() < 0.1, "{name}");
    }
}

/// Tech 3341 case 6 as a 5.1 WAV with its channel mask: L, R at -28 dBFS, C at -24 dBFS and
/// Ls, Rs at -30 dBFS read -23.0 LUFS through the BS.1770 weights (surrounds +1.5 dB); a loud LFE
/// channel changes nothing (excluded). 7.1 reports its layout; more than 8 channels is a
/// clear error.
#[test]
#[allow(clippy::approx_constant)] // BS.775's printed 0.7071, on purpose
fn multichannel_files_use_the_bs1770_weights() {
    let dir = scratch_dir("cli-surround");
    let rate = 48_000;
    let (front, surround) = (sine(rate, -28.0, 10.0), sine(rate, -30.0, 10.0));
    let centre = sine(rate, -24.0, 10.0);
    let lfe = sine(rate, -6.0, 10.0);
    let five_one = dir.join("five-one.wav");
    write_wav_extensible(
        &five_one,
        rate,
        &[
            front.clone(),
            front.clone(),
            centre.clone(),
            lfe.clone(),
            surround.clone(),
            surround.clone(),
        ],
        0x3F,
    );
    let seven_one = dir.join("seven-one.wav");
    let silent = vec![0.0; front.len()];
    write_wav_extensible(
        &seven_one,
        rate,
        &[
            front.clone(),
            front.clone(),
            centre.clone(),
            lfe.clone(),
            silent.clone(),
            silent.clone(),
            surround.clone(),
            surround.clone(),
        ],
        0x63F,
    );
    // 7.1.4: the 7.1 bed with silent heights (weight 1.0, BS.1770-5 Table 3).
    let seven_one_four = dir.join("seven-one-four.wav");
    let mut bed = vec![
        front.clone(),
        front.clone(),
        centre.clone(),
        lfe.clone(),
        silent.clone(),
        silent.clone(),
        surround.clone(),
        surround.clone(),
    ];
    bed.extend(std::iter::repeat_n(silent.clone(), 4));
    write_wav_extensible(&seven_one_four, rate, &bed, 0x2D63F);
    let too_many = dir.join("thirteen.wav");
    write_wav(&too_many, Format::Int16, rate, &vec![front; 13]);
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        five_one.to_str().unwrap(),
        seven_one.to_str().unwrap(),
        too_many.to_str().unwrap(),
        seven_one_four.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "the 13-channel file is an error");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 4);
    assert!(lines[2]["error"].as_str().unwrap().contains("13 channels"));
    assert_eq!(
        lines[3]["channel_layout"],
        serde_json::json!([
            "L", "R", "C", "LFE", "Lrs", "Rrs", "Ls", "Rs", "Ltf", "Rtf", "Ltr", "Rtr"
        ])
    );
    assert!(
        (f(&lines[3], "integrated_lufs") + 23.0).abs() < 0.05,
        "{}",
        lines[3]
    );
    assert_eq!(
        lines[0]["channel_layout"],
        serde_json::json!(["L", "R", "C", "LFE", "Ls", "Rs"])
    );
    assert!(
        (f(&lines[0], "integrated_lufs") + 23.0).abs() < 0.05,
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1]["channel_layout"],
        serde_json::json!(["L", "R", "C", "LFE", "Lrs", "Rrs", "Ls", "Rs"])
    );
    // The 7.1 file has the 5.1 content on its side pair (the weighted surrounds).
    assert!(
        (f(&lines[1], "integrated_lufs") + 23.0).abs() < 0.05,
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[0]["correlation"],
        Value::Null,
        "correlation is a stereo reading"
    );
    // The BS.775 fold-down (coherent 1 kHz tones, the LFE left out): Lo = Ro = L + 0.7071 C
    // + 0.7071 Ls in amplitude, M = sqrt 2 Lo; the change is the fold's energy over the
    // bus's weighted energy (K-weighting is the same gain on every channel at 1 kHz).
    let amplitude = |dbfs: f64| 10f64.powf(dbfs / 20.0);
    let (a_front, a_centre, a_surround) = (amplitude(-28.0), amplitude(-24.0), amplitude(-30.0));
    let lo = a_front + 0.7071 * a_centre + 0.7071 * a_surround;
    let bus = 2.0 * a_front.powi(2) + a_centre.powi(2) + 2.0 * 1.41 * a_surround.powi(2);
    let expected = 10.0 * (2.0 * lo.powi(2) / bus).log10();
    for line in [&lines[0], &lines[1], &lines[3]] {
        let fold = &line["fold_down"];
        for field in ["stereo_lu", "mono_lu"] {
            let got = fold[field].as_f64().unwrap();
            assert!(
                (got - expected).abs() < 0.01,
                "{field} {got} vs {expected}: {line}"
            );
        }
        // L and R carry the same tone.
        assert!((fold["front_correlation"].as_f64().unwrap() - 1.0).abs() < 1e-6);
        let peak = fold["stereo_true_peak_dbtp"].as_f64().unwrap();
        assert!(
            (peak - 20.0 * lo.log10()).abs() < 0.05,
            "fold true peak {peak}"
        );
    }
    assert!(
        stderr.contains("thirteen.wav: 13 channels"),
        "clear message for 13 channels: {stderr}"
    );
}

/// The sample peak of `path` as ffmpeg's own float decoder gives it (no clamping), in dBFS.
fn ffmpeg_sample_peak_dbfs(path: &Path) -> f64 {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-f", "f32le", "-"])
        .output()
        .expect("ffmpeg runs (./test.sh installs it)");
    assert!(output.status.success(), "ffmpeg decoded {}", path.display());
    let peak = output
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]).abs())
        .fold(0.0f32, f32::max);
    20.0 * (peak as f64).log10()
}

/// MP3 and Ogg Vorbis decode to floats that go over full scale when the music does: a sine at
/// +3 dBFS encoded by ffmpeg reads a sample peak within 0.5 dB of ffmpeg's own float decode,
/// and a true peak over 0 dBTP. symphonia 0.5 clamped both decoders' output to +-1.0 (sample
/// peak 0.00 dBFS, true peak 0.12 dBTP).
#[test]
fn lossy_files_keep_peaks_over_full_scale() {
    let dir = scratch_dir("cli-lossy-overs");
    let wav = dir.join("hot.wav");
    let rate = 44_100;
    let hot = sine(rate, 3.0, 5.0);
    // The extensible writer keeps float samples over 1.0 (stereo mask: FL | FR).
    write_wav_extensible(&wav, rate, &[hot.clone(), hot], 0x3);
    let cases: [(&str, &[&str]); 2] = [
        ("hot.mp3", &["-c:a", "libmp3lame", "-b:a", "320k"]),
        ("hot.ogg", &["-c:a", "libvorbis", "-q:a", "8"]),
    ];
    for (name, args) in &cases {
        ffmpeg(&wav, &dir.join(name), args);
    }
    let paths: Vec<String> = cases
        .iter()
        .map(|(name, _)| dir.join(name).to_str().unwrap().to_string())
        .collect();
    let (code, stdout, stderr) = run(&["analyze", "--json", &paths[0], &paths[1]]);
    assert_eq!(code, 0, "{stderr}");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 2);
    for ((name, _), line) in cases.iter().zip(&lines) {
        let expected = ffmpeg_sample_peak_dbfs(&dir.join(name));
        assert!(expected > 2.0, "{name}: ffmpeg reads {expected} dBFS");
        let sample_peak = f(line, "sample_peak_dbfs");
        assert!(
            (sample_peak - expected).abs() < 0.5,
            "{name}: sample peak {sample_peak} dBFS, ffmpeg {expected} dBFS"
        );
        let true_peak = f(line, "true_peak_dbtp");
        assert!(
            true_peak > 2.0 && true_peak >= sample_peak,
            "{name}: true peak {true_peak} dBTP"
        );
    }
}

/// Tech 3341 case 6 (L, R at -28 dBFS, C at -24, Ls, Rs at -30; 20 s) in a 5-channel WAV
/// without a channel mask, as the EBU's own files are, reads -23.0 LUFS: 5 channels are
/// L R C Ls Rs, as libebur128 takes them (symphonia's default, L R C LFE Ls, read -23.68).
/// With a mask, the mask decides: 5.0 with a side or a back pair, and 5.1 with a side pair
/// and a loud LFE, read the same; so does a 6-channel file without a mask (5.1 by default).
#[test]
fn files_without_a_channel_mask_take_the_default_layout() {
    let dir = scratch_dir("cli-no-mask");
    let rate = 48_000;
    let (front, surround) = (sine(rate, -28.0, 20.0), sine(rate, -30.0, 20.0));
    let centre = sine(rate, -24.0, 20.0);
    let lfe = sine(rate, -6.0, 20.0);
    let five = [
        front.clone(),
        front.clone(),
        centre.clone(),
        surround.clone(),
        surround.clone(),
    ];
    let six = [
        front.clone(),
        front,
        centre,
        lfe,
        surround.clone(),
        surround,
    ];
    let no_mask = dir.join("five-no-mask.wav");
    write_wav(&no_mask, Format::Int16, rate, &five);
    let five_side = dir.join("five-side.wav");
    write_wav_extensible(&five_side, rate, &five, 0x607);
    let five_back = dir.join("five-back.wav");
    write_wav_extensible(&five_back, rate, &five, 0x37);
    let six_side = dir.join("five-one-side.wav");
    write_wav_extensible(&six_side, rate, &six, 0x60F);
    let six_no_mask = dir.join("six-no-mask.wav");
    write_wav(&six_no_mask, Format::Int16, rate, &six);
    let files = [&no_mask, &five_side, &five_back, &six_side, &six_no_mask];
    let mut args = vec!["analyze", "--json"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), files.len());
    let layouts = [
        serde_json::json!(["L", "R", "C", "Ls", "Rs"]),
        serde_json::json!(["L", "R", "C", "Ls", "Rs"]),
        serde_json::json!(["L", "R", "C", "Ls", "Rs"]),
        serde_json::json!(["L", "R", "C", "LFE", "Ls", "Rs"]),
        serde_json::json!(["L", "R", "C", "LFE", "Ls", "Rs"]),
    ];
    for ((path, line), layout) in files.iter().zip(&lines).zip(&layouts) {
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(line["channel_layout"], *layout, "{name}");
        let got = f(line, "integrated_lufs");
        assert!((got + 23.0).abs() <= 0.1, "{name}: {got} LUFS");
    }
}

/// A folder is searched recursively (audio files only, in path order), files are analyzed in
/// parallel, and `--csv` gives a header and one row per file with the documented columns.
#[test]
fn folders_are_searched_recursively_and_csv_has_one_row_per_file() {
    let dir = scratch_dir("cli-folder");
    std::fs::create_dir_all(dir.join("album/disc 2")).unwrap();
    let levels = [
        (-14.0, "album/01.wav"),
        (-20.0, "album/02.wav"),
        (-26.0, "album/disc 2/03.wav"),
        (-32.0, "single, remix.wav"),
    ];
    for (level, name) in levels {
        let tone = sine(48_000, level, 2.0);
        write_wav(
            &dir.join(name),
            Format::Int24,
            48_000,
            &[tone.clone(), tone],
        );
    }
    std::fs::write(dir.join("album/notes.txt"), "not audio").unwrap();
    let (code, stdout, stderr) = run(&["analyze", "--csv", "--jobs", "3", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 1 + levels.len(), "{stdout}");
    let header: Vec<&str> = rows[0].split(',').collect();
    assert_eq!(header[0], "file");
    let integrated = header.iter().position(|c| *c == "integrated_lufs").unwrap();
    for ((level, name), row) in levels.iter().zip(&rows[1..]) {
        assert!(
            row.contains(&name.replace("single, remix", "\"")) || row.contains(name),
            "{row}"
        );
        // The quoted file name holds a comma: split after it.
        let fields: Vec<&str> = row
            .rsplitn(header.len(), ',')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let got: f64 = fields[integrated].parse().unwrap();
        assert!((got - level).abs() < 0.05, "{name}: {got}");
    }
    assert!(
        rows[4].starts_with('"'),
        "a name with a comma is quoted: {}",
        rows[4]
    );
}

/// `--target`: the platform's normalization gain and the true peak after it, and a non-zero
/// exit (3) when a file misses the target.
#[test]
fn delivery_targets_report_gain_and_gate_the_exit_status() {
    let dir = scratch_dir("cli-targets");
    let rate = 48_000;
    // -20 LUFS, -20 dBTP: Spotify raises it 6 dB, YouTube leaves it.
    let quiet = dir.join("quiet.wav");
    let tone = sine(rate, -20.0, 6.0);
    write_wav(&quiet, Format::Float32, rate, &[tone.clone(), tone.clone()]);
    // The same with a 20 ms burst peaking at -0.5 dBFS: no platform turns it down, so its
    // -0.5 dBTP peak stays over the -1 dBTP ceiling.
    let spiky = dir.join("spiky.wav");
    let mut peaked = tone;
    let burst = sine(rate, -0.5, 0.02);
    peaked[rate as usize..rate as usize + burst.len()].copy_from_slice(&burst);
    write_wav(&spiky, Format::Float32, rate, &[peaked.clone(), peaked]);
    // -23 LUFS: EBU R 128 as delivered.
    let broadcast = dir.join("broadcast.wav");
    let tone = sine(rate, -23.0, 6.0);
    write_wav(&broadcast, Format::Float32, rate, &[tone.clone(), tone]);

    let (code, stdout, _) = run(&[
        "analyze",
        "--json",
        "--target",
        "spotify",
        "--target",
        "youtube",
        quiet.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let line = &json_lines(&stdout)[0];
    let spotify = &line["targets"][0];
    assert_eq!(spotify["id"], "spotify");
    assert!((f(spotify, "gain_db") - 6.0).abs() < 0.05, "{spotify}");
    assert!(
        (f(spotify, "true_peak_after_dbtp") + 14.0).abs() < 0.1,
        "{spotify}"
    );
    assert_eq!(spotify["pass"], true);
    let youtube = &line["targets"][1];
    assert_eq!(f(youtube, "gain_db"), 0.0, "YouTube only turns down");
    assert_eq!(youtube["pass"], true);

    let (code, stdout, _) = run(&["analyze", "--target", "youtube", spiky.to_str().unwrap()]);
    assert_eq!(code, 3, "a missed target fails the run: {stdout}");
    assert!(
        stdout.contains("YouTube") && stdout.contains("FAIL"),
        "{stdout}"
    );
    assert!(
        stdout.contains("true peak -0.5 dBTP is over YouTube's -1 dBTP ceiling: FAIL"),
        "{stdout}"
    );

    let (code, stdout, _) = run(&[
        "analyze",
        "--json",
        "--target",
        "ebu-r128",
        broadcast.to_str().unwrap(),
        quiet.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "the -20 LUFS file misses -23 +-0.5");
    let lines = json_lines(&stdout);
    assert_eq!(lines[0]["targets"][0]["pass"], true, "{}", lines[0]);
    assert_eq!(lines[1]["targets"][0]["pass"], false);
    assert!(
        lines[1]["targets"][0]["problems"][0]
            .as_str()
            .unwrap()
            .contains("outside -23 +-0.5")
    );

    let (code, stdout, _) = run(&["targets"]);
    assert_eq!(code, 0);
    for id in [
        "spotify", "apple", "youtube", "amazon", "tidal", "ebu-r128", "atsc-a85",
    ] {
        assert!(stdout.lines().any(|l| l.starts_with(id)), "{id} listed");
    }
    assert_eq!(
        stdout.matches("source: ").count(),
        stdout.lines().filter(|l| !l.starts_with(' ')).count(),
        "every target has its source"
    );
    let (code, _, stderr) = run(&["analyze", "--target", "nowhere", quiet.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown target nowhere"));
}

/// Damaged files of every format (bytes flipped, runs overwritten, cut short, junk inserted;
/// fixed seeds) never crash the analyzer: each run exits 0 or 1, every file either gets a
/// result or exactly one line naming it, and an intact file analyzed alongside still reads
/// right. A bounded stand-in for the fuzzing of issue 9 on the decode-and-measure path.
#[test]
fn damaged_files_of_every_format_never_crash_the_analyzer() {
    let dir = scratch_dir("cli-damaged");
    let wav = dir.join("source.wav");
    let tone = sine(44_100, -20.0, 1.0);
    write_wav(&wav, Format::Int16, 44_100, &[tone.clone(), tone]);
    let mut sources = vec![wav.clone()];
    for (name, args) in [
        ("s.flac", &["-c:a", "flac"][..]),
        ("s.aiff", &["-c:a", "pcm_s16be"][..]),
        ("s.mp3", &["-c:a", "libmp3lame", "-b:a", "128k"][..]),
        ("s.ogg", &["-c:a", "libvorbis"][..]),
        ("s.m4a", &["-c:a", "aac"][..]),
        ("s-alac.m4a", &["-c:a", "alac"][..]),
    ] {
        ffmpeg(&wav, &dir.join(name), args);
        sources.push(dir.join(name));
    }
    let mut seed = 0x5eed_u64;
    let mut next = move |bound: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % bound.max(1)
    };
    let mut damaged = 0;
    for source in &sources {
        let bytes = std::fs::read(source).unwrap();
        let extension = source.extension().unwrap().to_str().unwrap();
        let mut batch = Vec::new();
        for variant in 0..40 {
            let mut b = bytes.clone();
            match variant % 4 {
                0 => {
                    for _ in 0..1 + next(20) {
                        let i = next(b.len());
                        b[i] ^= 1 << next(8);
                    }
                }
                1 => {
                    let start = next(b.len());
                    let len = next(64).min(b.len() - start);
                    let fill = next(256) as u8;
                    b[start..start + len].fill(fill);
                }
                2 => b.truncate(next(b.len())),
                _ => {
                    let at = next(b.len());
                    let junk: Vec<u8> = (0..1 + next(100)).map(|_| next(256) as u8).collect();
                    b.splice(at..at, junk);
                }
            }
            let path = dir.join(format!("damaged-{variant}.{extension}"));
            std::fs::write(&path, &b).unwrap();
            batch.push(path);
        }
        damaged += batch.len();
        let mut args = vec!["analyze".to_string(), "--json".to_string()];
        args.extend(batch.iter().map(|p| p.to_str().unwrap().to_string()));
        args.push(wav.to_str().unwrap().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = run(&args);
        assert!(
            code == 0 || code == 1,
            "{}: exit {code}\n{stderr}",
            source.display()
        );
        let results = json_lines(&stdout);
        assert_eq!(
            results.len(),
            batch.len() + 1,
            "{}: one record per file\n{stderr}",
            source.display()
        );
        // Each failure (unreadable, or truncated and measured) is also one stderr line.
        assert_eq!(
            results.iter().filter(|r| r["error"].is_string()).count(),
            stderr.lines().count(),
            "{}: {stderr}",
            source.display()
        );
        let intact = results.last().unwrap();
        assert!(intact["file"].as_str().unwrap().ends_with("source.wav"));
        assert!((f(intact, "integrated_lufs") + 20.0).abs() < 0.05);
        for line in stderr.lines() {
            assert!(line.starts_with("mixmeter: "), "{line}");
        }
    }
    assert_eq!(damaged, 280);
}

/// On a terminal (a pseudo-terminal from util-linux's `script`) several files get a progress
/// line on stderr that ends cleared; piped, there is none.
#[test]
fn progress_only_on_a_terminal() {
    let dir = scratch_dir("cli-progress");
    let mut names = Vec::new();
    for i in 0..3 {
        let path = dir.join(format!("{i}.wav"));
        write_wav(&path, Format::Int16, 48_000, &[sine(48_000, -20.0, 0.5)]);
        names.push(path.to_str().unwrap().to_string());
    }
    let command = format!(
        "{} analyze --jobs 1 {} > /dev/null",
        env!("CARGO_BIN_EXE_mixmeter"),
        names.join(" ")
    );
    let log = dir.join("tty.log");
    let status = Command::new("script")
        .args(["-qec", &command])
        .arg(&log)
        .status()
        .expect("script (util-linux) runs");
    assert!(status.success());
    let seen = std::fs::read_to_string(&log).unwrap();
    assert!(seen.contains("3/3 files"), "{seen}");
    assert!(seen.contains("\r\x1b[2K"), "the line is cleared: {seen:?}");
    let mut args = vec!["analyze"];
    args.extend(names.iter().map(String::as_str));
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0);
    assert!(stderr.is_empty(), "no progress when piped: {stderr:?}");
    // Several files end with a summary table: a header and one row per file.
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("File "))
        .collect();
    assert_eq!(table.len(), 4, "{stdout}");
    for (row, name) in table[1..].iter().zip(&names) {
        // A mono -20 dBFS tone: -23.0 LUFS, -20.0 dBTP.
        assert!(row.contains("-23.0") && row.contains("-20.0"), "{row}");
        assert!(
            row.starts_with(name.as_str()) || row.starts_with("..."),
            "{row}"
        );
    }
}

/// Found by the `decode_measure` fuzz target: a damaged M4A whose `esds` atom made symphonia
/// 0.5's MP4 reader panic (an `unwrap` on corrupt data; the analyzer contained the panic as
/// that file's error). symphonia 0.6 returns an error for it instead. Either way the analyzer
/// reports it on one line and goes on with the next file.
#[test]
fn a_decoder_panic_is_one_error_line() {
    let dir = scratch_dir("cli-decoder-panic");
    let good = dir.join("good.wav");
    write_wav(&good, Format::Int16, 48_000, &[sine(48_000, -20.0, 1.0)]);
    let data = workspace().join("tests/data");
    let crash = data.join("isomp4-esds-panic.m4a");
    // Also found by fuzzing: a table count that asks the MP4 reader for 12 GB up front.
    let huge = data.join("isomp4-stts-huge-allocation.m4a");
    let huge_too = data.join("isomp4-huge-allocation-2.m4a");
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        crash.to_str().unwrap(),
        huge.to_str().unwrap(),
        huge_too.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let records = json_lines(&stdout);
    assert_eq!(records.len(), 4, "one record per file");
    assert_eq!(
        records.iter().filter(|r| r["error"].is_string()).count(),
        3,
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 3, "{stderr}");
    assert!(
        stderr.contains("isomp4-stts-huge-allocation.m4a: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("isomp4-esds-panic.m4a: corrupt audio data"),
        "{stderr}"
    );
}

fn regions(v: &Value) -> Vec<(String, f64, bool)> {
    v["tonal"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["deviation_db"].as_f64().unwrap(),
                r["outside"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// `mixmeter reference build` makes a curve file from real files (a WAV and an ffmpeg-made
/// FLAC at another rate) with a percentile band; `analyze --reference` flags a mix with its
/// 200-500 Hz region 6 dB up in the low-mids and nowhere else, and the reference itself
/// nowhere; built-in slopes work the same; CSV gets one column per region.
#[test]
fn reference_curves_are_built_from_audio_and_compared() {
    let dir = scratch_dir("cli-reference");
    let a = pink(48_000, 1 << 20, 1, None);
    let b = pink(44_100, 1 << 20, 2, None);
    let mud = pink(48_000, 1 << 20, 3, Some((200.0, 500.0, 6.0)));
    write_wav(&dir.join("a.wav"), Format::Int24, 48_000, &[a.clone(), a]);
    write_wav(&dir.join("b.wav"), Format::Int24, 44_100, &[b.clone(), b]);
    ffmpeg(&dir.join("b.wav"), &dir.join("b.flac"), &[]);
    write_wav(
        &dir.join("mud.wav"),
        Format::Int24,
        48_000,
        &[mud.clone(), mud],
    );
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();

    let (code, stdout, stderr) = run(&[
        "reference",
        "build",
        &path("a.wav"),
        &path("b.flac"),
        "-o",
        &path("ref.json"),
        "--name",
        "two pinks",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("2 files, with the files' envelope as the band"),
        "{stdout}"
    );
    let curve: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ref.json")).unwrap()).unwrap();
    assert_eq!(curve["format"], "mixmeter-reference-curve");
    assert_eq!(curve["version"], 1);
    assert_eq!(curve["name"], "two pinks");
    assert_eq!(curve["kind"], "audio");
    assert!(curve["source"].as_str().unwrap().contains("a.wav, b.flac"));
    let points = curve["frequency_hz"].as_array().unwrap().len();
    assert!(points > 200, "{points}");
    assert_eq!(curve["band_low_db"].as_array().unwrap().len(), points);
    assert_eq!(curve["band_high_db"].as_array().unwrap().len(), points);

    for reference in [path("ref.json"), "builtin:pink".to_string()] {
        let (code, stdout, stderr) = run(&[
            "analyze",
            "--json",
            "--reference",
            &reference,
            &path("mud.wav"),
            &path("a.wav"),
        ]);
        assert_eq!(code, 0, "{stderr}");
        let results = json_lines(&stdout);
        for (id, deviation, outside) in regions(&results[0]) {
            if id == "low_mids" {
                assert!(
                    outside && (deviation - 6.0).abs() < 0.7,
                    "{reference}: {deviation}"
                );
            } else {
                assert!(
                    !outside && deviation.abs() < 0.7,
                    "{reference}: {id} {deviation}"
                );
            }
        }
        let suggestions = results[0]["tonal"]["suggestions"].as_array().unwrap();
        assert_eq!(suggestions.len(), 1, "{reference}: {suggestions:?}");
        assert_eq!(suggestions[0]["region"], "low_mids");
        let text = suggestions[0]["text"].as_str().unwrap();
        assert!(
            text.starts_with("low-mids +") && text.contains("over the reference: cut around"),
            "{text}"
        );
        for (id, deviation, outside) in regions(&results[1]) {
            assert!(
                !outside && deviation.abs() < 0.5,
                "{reference}: a.wav {id} {deviation}"
            );
        }
        assert!(
            results[1]["tonal"]["suggestions"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }

    let (code, stdout, _) = run(&[
        "analyze",
        "--csv",
        "--reference",
        "builtin:pink",
        &path("mud.wav"),
    ]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    let column = lines[0]
        .split(',')
        .position(|c| c == "tonal_low_mids_db")
        .unwrap();
    let value: f64 = lines[1].split(',').nth(column).unwrap().parse().unwrap();
    assert!((value - 6.0).abs() < 0.7, "{value}");

    let (code, stdout, _) = run(&["analyze", "--reference", "builtin:pink", &path("mud.wav")]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Tonal balance against \"Pink noise slope (-3 dB/octave)\""),
        "{stdout}"
    );
    assert!(stdout.contains("- low-mids +"), "{stdout}");

    // One file: a curve without a band.
    let (code, _, stderr) = run(&[
        "reference",
        "build",
        &path("a.wav"),
        "-o",
        &path("one.json"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let one: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("one.json")).unwrap()).unwrap();
    assert!(one.get("band_low_db").is_none());
    assert_eq!(one["name"], "one");
}

/// A damaged or wrong curve file stops the run before any analysis with one line naming the
/// file and the problem (exit status 2), as does an unknown built-in.
#[test]
fn corrupt_reference_curves_give_a_clear_error() {
    let dir = scratch_dir("cli-reference-corrupt");
    let wav = dir.join("tone.wav");
    write_wav(&wav, Format::Int16, 48_000, &[sine(48_000, -20.0, 1.0)]);
    let good = r#"{"format": "mixmeter-reference-curve", "version": 1, "name": "x", "kind": "custom",
        "source": "test", "method": "typed", "frequency_hz": [100, 1000], "level_db": [0, -3]}"#;
    let cases = [
        (
            "truncated.json",
            good[..60].to_string(),
            "not a JSON document",
        ),
        (
            "other.json",
            good.replace("mixmeter-reference-curve", "eq-preset"),
            "not a Mixmeter reference curve",
        ),
        (
            "future.json",
            good.replace("\"version\": 1", "\"version\": 7"),
            "version 7 is not supported",
        ),
        (
            "order.json",
            good.replace("[100, 1000]", "[1000, 100]"),
            "point 1: frequency 100 Hz is not above",
        ),
        (
            "lengths.json",
            good.replace("[0, -3]", "[0]"),
            "\"level_db\" has 1 values",
        ),
        (
            "binary.json",
            "\u{0}\u{1}PK garbage".to_string(),
            "not a JSON document",
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let (code, stdout, stderr) = run(&[
            "analyze",
            "--reference",
            path.to_str().unwrap(),
            wav.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stdout.is_empty());
        let first = stderr.lines().next().unwrap();
        assert!(
            first.contains(name) && first.contains(expected),
            "{name}: {first}"
        );
    }
    // Found by fuzzing (kept as it was found): points at 3 000 and 16 000 dB made a deviation
    // of -inf.
    let fuzzed = workspace().join("tests/data/curve-level-16000-db.json");
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--reference",
        fuzzed.to_str().unwrap(),
        wav.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("point 2: level_db 3000 dB is outside ±300 dB"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&[
        "analyze",
        "--reference",
        "/nonexistent/curve.json",
        wav.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read /nonexistent/curve.json"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&[
        "analyze",
        "--reference",
        "builtin:rock",
        wav.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown built-in curve rock (built-in: music, pink, tilt-4.5, brown)"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["reference", "build", wav.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--output <CURVE.json>"), "{stderr}");
}

fn stereo_regions(v: &Value) -> Vec<(String, Option<f64>, Option<f64>, bool)> {
    v["stereo"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["correlation"].as_f64(),
                r["mono_loss_lu"].as_f64(),
                r["flagged"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Stereo image per band through the CLI: identical channels read +1 and 0 LU in every
/// region; one channel inverted reads -1 and no mono value (null, never NaN); independent
/// noise about 0 and -3 LU; an inversion of 200-500 Hz only shows in the low-mids; a mono file
/// has no stereo object and a mono mix in a stereo file no warning.
#[test]
fn stereo_image_per_band_in_json_and_summary() {
    let dir = scratch_dir("cli-stereo");
    let rate = 48_000;
    let a = pink(rate, 1 << 20, 21, None);
    let b = pink(rate, 1 << 20, 22, None);
    let inverted: Vec<f64> = a.iter().map(|x| -x).collect();
    let band = invert_band(&a, rate, 200.0, 500.0);
    for (name, left, right) in [
        ("same.wav", &a, &a),
        ("inverted.wav", &a, &inverted),
        ("wide.wav", &a, &b),
        ("band.wav", &a, &band),
    ] {
        write_wav(
            &dir.join(name),
            Format::Float32,
            rate,
            &[left.clone(), right.clone()],
        );
    }
    write_wav(
        &dir.join("mono.wav"),
        Format::Float32,
        rate,
        std::slice::from_ref(&a),
    );
    let path = |n: &str| dir.join(n).display().to_string();
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        &path("same.wav"),
        &path("inverted.wav"),
        &path("wide.wav"),
        &path("band.wav"),
        &path("mono.wav"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("NaN"));
    let lines = json_lines(&stdout);
    assert_eq!(lines[0]["schema_version"], 9);

    let same = &lines[0];
    assert_eq!(same["stereo"]["verdict"], "good");
    assert_eq!(same["stereo"]["suggestions"], serde_json::json!([]));
    for (id, c, loss, flagged) in stereo_regions(same) {
        assert!((c.unwrap() - 1.0).abs() < 1e-9, "{id}");
        assert!(loss.unwrap().abs() < 1e-9, "{id}");
        assert!(!flagged);
    }
    assert_eq!(same["stereo"]["bands"].as_array().unwrap().len(), 15);

    let inverted = &lines[1];
    assert!(inverted["mono_loss_lu"].is_null());
    assert!(inverted["stereo"]["mono_loss_lu"].is_null());
    assert_eq!(inverted["stereo"]["verdict"], "problem");
    for (id, c, loss, flagged) in stereo_regions(inverted) {
        assert!((c.unwrap() + 1.0).abs() < 1e-9, "{id}");
        assert_eq!(loss, None, "{id}");
        assert!(flagged, "{id}");
    }

    let wide = &lines[2];
    for (id, c, loss, flagged) in stereo_regions(wide) {
        assert!(c.unwrap().abs() < 0.1, "{id}: {c:?}");
        assert!((loss.unwrap() + 3.01).abs() < 0.3, "{id}: {loss:?}");
        assert!(!flagged, "{id}");
    }
    assert!((f(wide, "mono_loss_lu") + 3.01).abs() < 0.1);
    assert_eq!(wide["stereo"]["verdict"], "caution");
    assert_eq!(wide["stereo"]["suggestions"][0]["finding"], "wide_low_end");

    let band = &lines[3];
    for (id, c, _, flagged) in stereo_regions(band) {
        if id == "low_mids" {
            assert!(c.unwrap() < -0.9, "{id}: {c:?}");
            assert!(flagged);
        } else {
            assert!(c.unwrap() > 0.9, "{id}: {c:?}");
            assert!(!flagged, "{id}");
        }
    }
    let text = band["stereo"]["suggestions"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("200-500 Hz out of phase"), "{text}");

    assert!(lines[4]["stereo"].is_null());

    // The readable summary says the same.
    let (code, stdout, _) = run(&["analyze", &path("band.wav")]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Mono compatibility    cancels in mono"),
        "{stdout}"
    );
    assert!(stdout.contains("- 200-500 Hz out of phase"), "{stdout}");
    // CSV: the verdict column, empty for a mono file.
    let (code, stdout, _) = run(&["analyze", "--csv", &path("same.wav"), &path("mono.wav")]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = stdout.lines().collect();
    // (Schemas 7 and 9 add their columns after `error`, so these keep their places.)
    let schema_6_end = ",non_finite_samples,mono_verdict,truncated,error,";
    let at = rows[0].find(schema_6_end).expect(rows[0]) + schema_6_end.len();
    assert_eq!(
        &rows[0][at..],
        "max_true_peak_at_s,max_short_term_at_s,dual_mono,clipped_runs,longest_clipped_run"
    );
    let cells = |row: &str| -> Vec<String> { row.split(',').map(str::to_string).collect() };
    let header = cells(rows[0]);
    let at = header
        .iter()
        .position(|h| h == "non_finite_samples")
        .unwrap();
    assert_eq!(
        cells(rows[1])[at..at + 4],
        ["0", "good", "false", ""],
        "{}",
        rows[1]
    );
    assert_eq!(
        cells(rows[2])[at..at + 4],
        ["0", "", "false", ""],
        "{}",
        rows[2]
    );
}

/// The statuses of a `checks` object, by item id.
fn statuses(checks: &Value) -> BTreeMap<String, Value> {
    checks["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i["status"].clone()))
        .collect()
}

/// `--check`: a squashed, clipping master fails the pre-master checklist where it should and
/// exits 3; a quiet sine passes headroom, mono and loudness, fails crest and PLR (but
/// gets no "over-compressed" advice: a test tone is not a mix); the
/// tonal item has no grade without a reference and none on a short sine against the pink slope (advice withheld, reason given); every item's
/// value is the file's own reading; the readable summary lists the items.
#[test]
fn checklists_grade_each_file_with_evidence_and_gate_the_exit_status() {
    let dir = scratch_dir("cli-checks");
    let rate = 48_000;
    // Noise driven hard into the ceiling: square-like, about -1 LUFS, over 0 dBTP.
    let mut state = 7u64;
    let mut squashed = || -> Vec<f64> {
        (0..rate as usize * 8)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
                (4.0 * u).clamp(-1.0, 1.0)
            })
            .collect()
    };
    let loud = dir.join("squashed.wav");
    write_wav(&loud, Format::Float32, rate, &[squashed(), squashed()]);
    let tone = sine(rate, -20.0, 8.0);
    let quiet = dir.join("sine.wav");
    write_wav(&quiet, Format::Float32, rate, &[tone.clone(), tone]);

    let (code, stdout, _) = run(&[
        "analyze",
        "--json",
        "--check",
        "pre-master",
        loud.to_str().unwrap(),
        quiet.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "a failed item gates the exit status");
    let lines = json_lines(&stdout);
    let (loud, quiet) = (&lines[0], &lines[1]);
    assert_eq!(loud["checks"]["profile"], "pre-master");
    assert_eq!(loud["checks"]["worst"], "fail");
    let s = statuses(&loud["checks"]);
    for id in ["headroom", "loudness", "crest", "plr"] {
        assert_eq!(s[id], "fail", "{id}: {}", loud["checks"]);
    }
    assert_eq!(s["tonal"], Value::Null, "no reference, no grade");
    let s = statuses(&quiet["checks"]);
    assert_eq!(s["headroom"], "pass");
    assert_eq!(
        s["loudness"], "pass",
        "-20 LUFS (stereo) peaking at -20 dBTP: quiet with headroom is no pre-master fault"
    );
    assert_eq!(s["crest"], "fail", "a sine's crest factor is 3 dB");
    assert_eq!(s["plr"], "fail");
    assert_eq!(s["mono"], "pass", "identical channels lose nothing");
    // The graded readings are the file's, but advice is for mixes: the squashed noise is told
    // it is over-compressed, the sine (a test tone: 3 dB crest factor) is not.
    let kinds = |line: &Value| -> Vec<String> {
        line["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        kinds(loud).contains(&"dynamics".to_string()),
        "{}",
        loud["suggestions"]
    );
    assert!(kinds(quiet).is_empty(), "{}", quiet["suggestions"]);
    // Every item's value is the file's reading, with its unit and a source.
    for line in &lines {
        for item in line["checks"]["items"].as_array().unwrap() {
            let reading = match item["id"].as_str().unwrap() {
                "headroom" => "true_peak_dbtp",
                "loudness" => "integrated_lufs",
                "crest" => "crest_factor_db",
                "plr" => "plr_db",
                "mono" => "mono_loss_lu",
                _ => continue,
            };
            assert!(
                (f(item, "value") - f(line, reading)).abs() < 1e-9,
                "{item} vs {reading}"
            );
            assert!(item["source"].as_str().unwrap().len() > 40);
            assert!(
                item["evidence"]
                    .as_str()
                    .unwrap()
                    .contains(item["unit"].as_str().unwrap())
            );
        }
    }

    // Against a reference.
    let (_, stdout, _) = run(&[
        "analyze",
        "--json",
        "--check",
        "pre-master",
        "--reference",
        "builtin:pink",
        dir.join("sine.wav").to_str().unwrap(),
    ]);
    let line = &json_lines(&stdout)[0];
    let tonal = line["checks"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "tonal")
        .unwrap()
        .clone();
    // A sine under 10 s is neither a mix nor enough audio: no tonal advice, so no grade
    // either, and the evidence says why (it once failed "mids +100 dB").
    assert_eq!(tonal["status"], serde_json::Value::Null, "{tonal}");
    assert_eq!(tonal["value"], serde_json::Value::Null, "{tonal}");
    assert!(
        tonal["evidence"]
            .as_str()
            .unwrap()
            .starts_with("no tonal advice"),
        "{tonal}"
    );

    // Delivery: the squashed master clips (over 0 dBTP) and is louder than -7 LUFS.
    let (code, stdout, _) = run(&[
        "analyze",
        "--json",
        "--check",
        "delivery",
        dir.join("squashed.wav").to_str().unwrap(),
    ]);
    assert_eq!(code, 3);
    let s = statuses(&json_lines(&stdout)[0]["checks"]);
    assert_eq!(
        (&s["headroom"], &s["loudness"]),
        (&"fail".into(), &"fail".into())
    );

    // Readable: the profile's name and one line per item with its grade.
    let (code, stdout, _) = run(&[
        "analyze",
        "--check",
        "delivery",
        dir.join("sine.wav").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "a sine's PLR of 0 dB fails delivery");
    assert!(
        stdout.contains("Delivery check (master going to streaming)"),
        "{stdout}"
    );
    assert!(stdout.contains("pass  True peak"), "{stdout}");
    assert!(stdout.contains("FAIL  Peak to loudness (PLR)"), "{stdout}");

    let (code, _, stderr) = run(&["analyze", "--check", "mastering", "x.wav"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown check profile mastering (one of: pre-master, delivery)"));
}

/// `--check` on a silent file and on a 0.3 s one: no item passes on no evidence. Each ungraded
/// item says what the file lacks (not the editor's "not measured yet"), the file does not pass
/// the checklist (JSON `passes`, the table's `checks` column) and the exit status is 3, as a
/// `--target` gives them; a clean 8 s file beside them passes.
#[test]
fn a_silent_or_too_short_file_does_not_pass_a_checklist() {
    let dir = scratch_dir("cli-checks-empty");
    let rate = 48_000;
    let silent = dir.join("silent.wav");
    write_wav(
        &silent,
        Format::Float32,
        rate,
        &[vec![0.0; 240_000], vec![0.0; 240_000]],
    );
    let short = dir.join("short.wav");
    let blip = sine(rate, -21.0, 0.3);
    write_wav(&short, Format::Float32, rate, &[blip.clone(), blip]);
    let mix = dir.join("mix.wav");
    write_wav(&mix, Format::Float32, rate, &dynamic_mix(rate, 8.0, 0.0));
    let paths = [&silent, &short, &mix].map(|p| p.to_str().unwrap().to_string());

    let mut args = vec!["analyze", "--json", "--check", "pre-master"];
    args.extend(paths.iter().map(String::as_str));
    let (code, stdout, _) = run(&args);
    assert_eq!(code, 3, "{stdout}");
    let lines = json_lines(&stdout);
    let evidence = |line: &Value, id: &str| -> String {
        line["checks"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()["evidence"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(lines[0]["checks"]["worst"], Value::Null);
    assert_eq!(lines[0]["checks"]["passes"], false);
    assert_eq!(evidence(&lines[0], "headroom"), "no value: silent");
    assert_eq!(
        evidence(&lines[0], "loudness"),
        "no value: silent (under -70 LUFS), or shorter than 400 ms"
    );
    // The short file's true peak is graded and passes; its loudness has no value.
    assert_eq!(statuses(&lines[1]["checks"])["headroom"], "pass");
    assert_eq!(lines[1]["checks"]["passes"], false);
    assert_eq!(
        evidence(&lines[1], "loudness"),
        "no value: silent (under -70 LUFS), or shorter than 400 ms"
    );
    assert_eq!(lines[2]["checks"]["passes"], true, "{}", lines[2]["checks"]);
    for line in &lines {
        for item in line["checks"]["items"].as_array().unwrap() {
            assert!(
                !item["evidence"].as_str().unwrap().contains("yet"),
                "{item}"
            );
        }
    }

    // Readable: the table's checks column.
    let mut args = vec!["analyze", "--check", "pre-master"];
    args.extend(paths.iter().map(String::as_str));
    let (code, stdout, _) = run(&args);
    assert_eq!(code, 3);
    let row = |name: &str| {
        stdout
            .lines()
            .rev()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}: {stdout}"))
            .to_string()
    };
    assert!(row("silent.wav").ends_with("FAIL"), "{stdout}");
    assert!(row("short.wav").ends_with("FAIL"), "{stdout}");
    assert!(row("mix.wav").ends_with("pass"), "{stdout}");
    // Alone, the clean mix exits 0.
    let (code, _, _) = run(&["analyze", "--check", "pre-master", &paths[2]]);
    assert_eq!(code, 0);
}

/// A dynamic mix, synthesized: stereo pink noise in 4 s sections, a verse and a chorus 8 dB
/// louder, with a drum hit (a pink burst decaying with a 15 ms time constant) every half
/// second over it. Before `gain_db`, it peaks near -5 dBTP at about -24 LUFS: a PLR near
/// 19 dB, where the songs a tester measured sit (16-19 dB).
fn dynamic_mix(rate: u32, seconds: f64, gain_db: f64) -> [Vec<f64>; 2] {
    let len = (rate as f64 * seconds) as usize;
    let gain = 10f64.powf(gain_db / 20.0);
    let (section, beat, decay_s) = (4.0, 0.5, 0.015);
    let channel = |seed: u64| {
        let bed = pink(rate, len, seed, None);
        let hits = pink(rate, len, seed + 100, None);
        (0..len)
            .map(|i| {
                let t = i as f64 / rate as f64;
                let chorus = (t / section) as usize % 2 == 1;
                let bed_gain = if chorus {
                    10f64.powf(-4.0 / 20.0)
                } else {
                    10f64.powf(-12.0 / 20.0)
                };
                let hit_gain = 10f64.powf(2.0 / 20.0) * (-(t % beat) / decay_s).exp();
                gain * (bed_gain * bed[i] + hit_gain * hits[i])
            })
            .collect::<Vec<f64>>()
    };
    [channel(11), channel(12)]
}

/// The pre-master checklist asks for headroom, not loudness: a clean, dynamic mix peaking
/// between -3 and -7 dBTP with a PLR of 18-20 dB passes headroom, loudness and PLR (with the
/// old -18 LUFS floor it failed loudness, or warned; to pass headroom and loudness together a
/// mix needed a PLR of 15 dB or less). The same mix pushed through a limiter to about -10 LUFS
/// still does not pass loudness or PLR.
#[test]
fn pre_master_passes_a_dynamic_mix_with_headroom_and_flags_a_hot_one() {
    let dir = scratch_dir("cli-pre-master-dynamic");
    let rate = 48_000;
    let seconds = 24.0;
    let mix = dir.join("dynamic.wav");
    let [l, r] = dynamic_mix(rate, seconds, 0.0);
    write_wav(&mix, Format::Float32, rate, &[l, r]);
    // Limited: 17 dB more into a soft clipper at -1 dBFS.
    let ceiling = 10f64.powf(-1.0 / 20.0);
    let limit =
        |x: &Vec<f64>| -> Vec<f64> { x.iter().map(|v| ceiling * (v / ceiling).tanh()).collect() };
    let [l, r] = dynamic_mix(rate, seconds, 17.0);
    let hot = dir.join("hot.wav");
    write_wav(&hot, Format::Float32, rate, &[limit(&l), limit(&r)]);

    let (_, stdout, _) = run(&[
        "analyze",
        "--json",
        "--check",
        "pre-master",
        mix.to_str().unwrap(),
        hot.to_str().unwrap(),
    ]);
    let lines = json_lines(&stdout);
    let (dynamic, hot) = (&lines[0], &lines[1]);
    eprintln!(
        "dynamic: {} LUFS {} dBTP PLR {}; hot: {} LUFS {} dBTP PLR {}",
        dynamic["integrated_lufs"],
        dynamic["true_peak_dbtp"],
        dynamic["plr_db"],
        hot["integrated_lufs"],
        hot["true_peak_dbtp"],
        hot["plr_db"]
    );
    let (peak, plr) = (f(dynamic, "true_peak_dbtp"), f(dynamic, "plr_db"));
    assert!((-7.0..=-3.0).contains(&peak), "{peak} dBTP");
    assert!((18.0..=20.0).contains(&plr), "PLR {plr} dB");
    let s = statuses(&dynamic["checks"]);
    for id in ["headroom", "loudness", "plr", "crest"] {
        assert_eq!(s[id], "pass", "{id}: {}", dynamic["checks"]);
    }

    let loudness = f(hot, "integrated_lufs");
    assert!((-11.0..=-9.0).contains(&loudness), "{loudness} LUFS");
    let s = statuses(&hot["checks"]);
    assert_ne!(s["loudness"], "pass", "{}", hot["checks"]);
    assert_ne!(s["plr"], "pass", "{}", hot["checks"]);

    // Readable: the tester's mix (-25.7 LUFS at -7.4 dBTP) read "FAIL  Integrated loudness".
    let (_, stdout, _) = run(&["analyze", "--check", "pre-master", mix.to_str().unwrap()]);
    assert!(stdout.contains("pass  Integrated loudness"), "{stdout}");
    assert!(stdout.contains("pass  Headroom"), "{stdout}");
}

/// The platform preview says what each platform does: the quiet -20 dBTP tone is raised the
/// full 6 dB by Spotify (Normal) and 9 dB by Spotify Loud, left alone by YouTube; the same
/// tone with a -0.5 dBTP burst is held back by its peak on Spotify Normal and raised into
/// Spotify Loud's limiter, which would cut over 8 dB off its peaks (its -0.5 dBTP is over
/// the -1 dBTP ceiling: exit 3).
#[test]
fn platform_previews_say_whether_the_platform_turns_down_raises_holds_or_limits() {
    let dir = scratch_dir("cli-platform-actions");
    let rate = 48_000;
    let tone = sine(rate, -20.0, 6.0);
    let quiet = dir.join("quiet.wav");
    write_wav(&quiet, Format::Float32, rate, &[tone.clone(), tone.clone()]);
    let mut peaked = tone;
    let burst = sine(rate, -0.5, 0.02);
    peaked[rate as usize..rate as usize + burst.len()].copy_from_slice(&burst);
    let spiky = dir.join("spiky.wav");
    write_wav(&spiky, Format::Float32, rate, &[peaked.clone(), peaked]);
    let args = |file: &Path| {
        run(&[
            "analyze",
            "--json",
            "--target",
            "spotify",
            "--target",
            "spotify-loud",
            "--target",
            "youtube",
            file.to_str().unwrap(),
        ])
    };
    let (code, stdout, _) = args(&quiet);
    assert_eq!(code, 0);
    let line = &json_lines(&stdout)[0];
    let actions: Vec<&str> = (0..3)
        .map(|i| line["targets"][i]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["turn-up", "turn-up", "unchanged"], "{line}");
    assert!((f(&line["targets"][1], "gain_db") - 9.0).abs() < 0.05);
    assert_eq!(line["targets"][1]["limited_db"], Value::Null);

    let (code, stdout, _) = args(&spiky);
    assert_eq!(code, 3, "limited by Spotify Loud");
    let line = &json_lines(&stdout)[0];
    assert_eq!(line["targets"][0]["action"], "held-by-peak", "{line}");
    let loud = &line["targets"][1];
    assert_eq!(loud["action"], "limit", "{loud}");
    // The burst lifts the integrated loudness a little; the limiter takes what the raised
    // peak would exceed the -1 dBTP ceiling by.
    let limited = f(loud, "limited_db");
    let expected = f(line, "true_peak_dbtp") + f(loud, "gain_db") + 1.0;
    assert!((limited - expected).abs() < 1e-9 && limited > 5.0, "{loud}");
    assert!(
        (f(loud, "true_peak_after_dbtp") + 1.0).abs() < 1e-9,
        "{loud}"
    );
    assert_eq!(loud["pass"], false);

    let (_, stdout, _) = run(&[
        "analyze",
        "--target",
        "spotify-loud",
        spiky.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains(&format!(
            "into its limiter, which cuts the peaks {limited:.1} dB; true peak -0.5 dBTP is over"
        )),
        "{stdout}"
    );
}

/// A master far under a platform's target that the platform will not raise (down-only) or
/// raises only as far as its true-peak ceiling allows gets a WARN saying how far under, where
/// it used to pass on its true peak alone: a pink-noise master made 45 dB quieter by ffmpeg
/// (as a tester did with a real song, -59 LUFS) on YouTube, TIDAL, Amazon and Deezer, and a
/// quiet tone with a hot burst that Spotify and Apple can raise only 2 dB. Exit 0: a warning.
#[test]
fn a_master_far_under_a_target_the_platform_will_not_raise_it_to_warns() {
    let dir = scratch_dir("cli-far-under");
    let rate = 48_000;
    let noise = pink(rate, 10 * rate as usize, 7, None);
    let master = dir.join("master.wav");
    write_wav(&master, Format::Float32, rate, &[noise.clone(), noise]);
    let quiet = dir.join("quiet.wav");
    ffmpeg(
        &master,
        &quiet,
        &["-af", "volume=-45dB", "-c:a", "pcm_f32le"],
    );
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        "--target",
        "youtube",
        "--target",
        "tidal",
        "--target",
        "amazon",
        "--target",
        "deezer",
        "--target",
        "spotify",
        quiet.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "a warning, not a missed target: {stderr}");
    let line = &json_lines(&stdout)[0];
    let integrated = f(line, "integrated_lufs");
    assert!(integrated < -55.0, "{line}");
    for (i, (name, to)) in [
        ("YouTube", -14.0),
        ("TIDAL", -14.0),
        ("Amazon Music", -14.0),
        ("Deezer", -15.0),
    ]
    .into_iter()
    .enumerate()
    {
        let t = &line["targets"][i];
        assert_eq!(t["status"], "warn", "{t}");
        assert_eq!(t["pass"], true, "{t}");
        let under = format!("{:.1}", to - integrated);
        let expected = format!(
            "{name}: leaves it at {integrated:.1} LUFS (it only turns down, to {to}); it plays \
             {under} LU under the {to} LUFS target and {name} will not raise it; true peak"
        );
        assert!(
            t["text"].as_str().unwrap().starts_with(&expected),
            "{t}\n{expected}"
        );
        assert!(t["text"].as_str().unwrap().ends_with(": WARN"), "{t}");
        assert_eq!(t["warnings"].as_array().unwrap().len(), 1, "{t}");
    }
    // Spotify raises it the whole way: its peaks leave room.
    assert_eq!(line["targets"][4]["status"], "pass", "{line}");

    // -30 LUFS with a burst at -3 dBFS: Spotify and Apple raise it only 2 dB.
    let tone = sine(rate, -30.0, 10.0);
    let mut peaked = tone;
    let burst = sine(rate, -3.0, 0.02);
    peaked[rate as usize..rate as usize + burst.len()].copy_from_slice(&burst);
    let held = dir.join("held.wav");
    write_wav(&held, Format::Float32, rate, &[peaked.clone(), peaked]);
    let (code, stdout, _) = run(&[
        "analyze",
        "--json",
        "--target",
        "spotify",
        "--target",
        "apple",
        "--target",
        "spotify-loud",
        held.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    let line = &json_lines(&stdout)[0];
    for (i, (name, to)) in [("Spotify", -14.0), ("Apple Music", -16.0)]
        .into_iter()
        .enumerate()
    {
        let t = &line["targets"][i];
        assert_eq!(t["action"], "held-by-peak", "{t}");
        let gain = f(t, "gain_db");
        assert!(gain > 1.0 && gain < 3.0, "{t}");
        let under = to - (f(line, "integrated_lufs") + gain);
        assert!(under > 8.0, "{t}");
        assert_eq!(t["status"], "warn", "{t}");
        let text = t["text"].as_str().unwrap();
        assert!(
            text.starts_with(&format!("{name}: raises it only {gain:.1} dB"))
                && text.contains(&format!(
                    "; it plays {under:.1} LU under the {to} LUFS target and {name} will not \
                     raise it further; true peak"
                ))
                && text.ends_with(": WARN"),
            "{t}"
        );
    }
    let verdicts: Vec<&str> = (0..3)
        .map(|i| line["targets"][i]["text"].as_str().unwrap())
        .collect();
    // Spotify Loud raises it all the way (into its limiter): not under.
    assert!(!verdicts[2].contains("LU under"), "{stdout}");
}

/// A 5.1 file's readable summary shows its layout and its ITU-R BS.775 fold-down (the stereo
/// and mono downmixes' loudness, the stereo one's true peak), and with a target the stereo
/// fold's true peak against the target's ceiling: coherent -6 dBFS tones on L R C Ls Rs stay
/// within -1 dBTP on every channel, but fold to Lo = (1 + 2 x 0.7071) x 0.5 = +1.7 dBTP. The
/// text used to show neither (the JSON's `fold_down` had it).
#[test]
#[allow(clippy::approx_constant)] // BS.775's printed 0.7071, on purpose
fn a_surround_summary_shows_the_layout_and_the_fold_down() {
    let dir = scratch_dir("cli-fold-text");
    let rate = 48_000;
    let tone = sine(rate, -6.0, 10.0);
    let silent = vec![0.0; tone.len()];
    let five_one = dir.join("five-one.wav");
    write_wav_extensible(
        &five_one,
        rate,
        &[
            tone.clone(),
            tone.clone(),
            tone.clone(),
            silent,
            tone.clone(),
            tone.clone(),
        ],
        0x3F,
    );
    let (code, json, _) = run(&["analyze", "--json", five_one.to_str().unwrap()]);
    assert_eq!(code, 0);
    let line = &json_lines(&json)[0];
    let fold = &line["fold_down"];
    let lo_dbtp = 20.0 * ((1.0 + 2.0 * 0.7071) * 10f64.powf(-6.0 / 20.0)).log10();
    assert!(
        (f(fold, "stereo_true_peak_dbtp") - lo_dbtp).abs() < 0.05,
        "{fold}"
    );
    let integrated = f(line, "integrated_lufs");
    let (stereo, mono) = (f(fold, "stereo_lu"), f(fold, "mono_lu"));

    let (code, stdout, _) = run(&[
        "analyze",
        "--check",
        "delivery",
        "--target",
        "youtube",
        "--target",
        "amazon",
        five_one.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "the delivery check fails its loudness: {stdout}");
    assert!(
        stdout.contains("  Layout                L R C LFE Ls Rs\n"),
        "{stdout}"
    );
    let expected = format!(
        "  Stereo fold-down      {:.1} LUFS ({stereo:+.1} LU), true peak {lo_dbtp:+.1} dBTP \
         (BS.775, LFE left out)\n  Mono fold-down        {:.1} LUFS ({mono:+.1} LU)\n",
        integrated + stereo,
        integrated + mono
    );
    assert!(stdout.contains(&expected), "{stdout}\n{expected}");
    assert!(
        stdout.contains(&format!(
            "      Stereo fold-down: true peak {lo_dbtp:+.1} dBTP is over YouTube's -1 dBTP \
             ceiling: WARN\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("is over Amazon Music's -2 dBTP ceiling: WARN"),
        "{stdout}"
    );
    // Every channel is within the ceiling: the file's own verdict is not a true-peak FAIL.
    assert!(
        stdout.contains("true peak -6.0 dBTP is within YouTube's"),
        "{stdout}"
    );

    // A stereo file has neither.
    let stereo_file = dir.join("stereo.wav");
    write_wav(&stereo_file, Format::Float32, rate, &[tone.clone(), tone]);
    let (_, stdout, _) = run(&[
        "analyze",
        "--target",
        "youtube",
        stereo_file.to_str().unwrap(),
    ]);
    assert!(
        !stdout.contains("Layout") && !stdout.contains("fold-down"),
        "{stdout}"
    );
}

/// No value, no verdict: a silent stereo file, an empty one (a header and no frames) and
/// identical channels below the absolute gate (correlation +1, no loudness, so no mono loss)
/// get no mono verdict (JSON null, "no value", an empty CSV cell) and no stereo suggestion,
/// where they used to read "mono-safe" and "cancels in mono (correlation +1.00)".
#[test]
fn silent_empty_and_ungated_files_get_no_mono_verdict() {
    let dir = scratch_dir("cli-no-mono-verdict");
    let rate = 48_000;
    let silent = vec![0.0; rate as usize * 5];
    let faint: Vec<f64> = sine(rate, -85.0, 5.0);
    let files = [
        ("silent.wav", silent.clone()),
        ("empty.wav", Vec::new()),
        ("faint.wav", faint),
    ];
    for (name, samples) in &files {
        write_wav(
            &dir.join(name),
            Format::Float32,
            rate,
            &[samples.clone(), samples.clone()],
        );
    }
    let paths: Vec<String> = files
        .iter()
        .map(|(n, _)| dir.join(n).display().to_string())
        .collect();
    let mut args = vec!["analyze", "--json"];
    args.extend(paths.iter().map(String::as_str));
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 3, "{stdout}");
    for line in &lines {
        assert!(line["integrated_lufs"].is_null(), "{line}");
        assert!(
            line["stereo"]["verdict"].is_null(),
            "{}: {}",
            line["file"],
            line["stereo"]
        );
        assert_eq!(
            line["stereo"]["suggestions"],
            serde_json::json!([]),
            "{line}"
        );
        assert_eq!(line["suggestions"], serde_json::json!([]), "{line}");
    }
    assert!((f(&lines[2], "correlation") - 1.0).abs() < 1e-6);
    let mut readable = vec!["analyze"];
    readable.extend(paths.iter().map(String::as_str));
    let (_, stdout, _) = run(&readable);
    assert_eq!(
        stdout.matches("Mono compatibility    no value").count(),
        3,
        "{stdout}"
    );
    assert!(
        !stdout.contains("cancels") && !stdout.contains("mono-safe"),
        "{stdout}"
    );
    let mut csv = vec!["analyze", "--csv"];
    csv.extend(paths.iter().map(String::as_str));
    let (_, stdout, _) = run(&csv);
    let header: Vec<&str> = stdout.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "mono_verdict").unwrap();
    for row in stdout.lines().skip(1) {
        // No file name here holds a comma, so a plain split finds the column.
        assert_eq!(row.split(',').nth(column), Some(""), "{row}");
    }
}

/// Runs the analyzer, killing it after `limit` (a hang is a failure, not a stuck suite).
fn run_with_timeout(args: &[&str], limit: std::time::Duration) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mixmeter"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("mixmeter {args:?} still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Symbolic links are followed, but a link back up the tree (one link: the same file was
/// analyzed 32 times; two links: the walk never ended) is detected: each file once.
#[cfg(unix)]
#[test]
fn symbolic_link_loops_end_and_each_file_is_analyzed_once() {
    use std::os::unix::fs::symlink;
    let dir = scratch_dir("cli-symlink-loops");
    std::fs::create_dir_all(dir.join("one/sub")).unwrap();
    write_wav(
        &dir.join("one/a.wav"),
        Format::Int16,
        48_000,
        &[sine(48_000, -20.0, 0.5)],
    );
    symlink("..", dir.join("one/sub/up")).unwrap();
    std::fs::create_dir_all(dir.join("two/x")).unwrap();
    std::fs::create_dir_all(dir.join("two/y")).unwrap();
    write_wav(
        &dir.join("two/x/b.wav"),
        Format::Int16,
        48_000,
        &[sine(48_000, -20.0, 0.5)],
    );
    symlink("../y", dir.join("two/x/to-y")).unwrap();
    symlink("../x", dir.join("two/y/to-x")).unwrap();
    // A link to a file already listed is the same file.
    symlink("b.wav", dir.join("two/x/c.wav")).unwrap();
    for (folder, file) in [("one", "one/a.wav"), ("two", "two/x/b.wav")] {
        let path = dir.join(folder);
        let (code, stdout, stderr) = run_with_timeout(
            &["analyze", "--json", path.to_str().unwrap()],
            std::time::Duration::from_secs(60),
        );
        assert_eq!(code, 0, "{stderr}");
        let records = json_lines(&stdout);
        assert_eq!(records.len(), 1, "{folder}: {stdout}");
        assert!(
            records[0]["file"].as_str().unwrap().ends_with(file),
            "{stdout}"
        );
    }
}

/// A folder with nothing to analyze is an error (exit 1), named on stderr and, with --json or
/// --csv, given a record; before, it exited 0 with no output, even with --target.
#[test]
fn a_folder_without_audio_files_fails_and_says_so() {
    let dir = scratch_dir("cli-empty-folders");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let notes = dir.join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(notes.join("readme.txt"), "not audio").unwrap();
    for folder in [&empty, &notes] {
        let name = folder.to_str().unwrap();
        let (code, stdout, stderr) = run(&["analyze", "--target", "spotify", name]);
        assert_eq!(code, 1, "{name}: {stdout}");
        assert!(
            stderr.contains(&format!("mixmeter: {name}: no audio files")),
            "{stderr}"
        );
        let (code, stdout, _) = run(&["analyze", "--json", name]);
        assert_eq!(code, 1);
        let records = json_lines(&stdout);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["file"], name);
        assert!(
            records[0]["error"]
                .as_str()
                .unwrap()
                .starts_with("no audio files")
        );
    }
}

/// Writes a 16-bit WAV whose data chunk states `stated_s` seconds but holds `held_s`.
fn write_truncated_wav(path: &Path, rate: u32, stated_s: f64, held_s: f64) {
    write_wav(path, Format::Int16, rate, &[sine(rate, -20.0, stated_s)]);
    let bytes = std::fs::read(path).unwrap();
    let held = 44 + (rate as f64 * held_s) as usize * 2;
    std::fs::write(path, &bytes[..held]).unwrap();
}

/// A WAV whose header promises 5 s but holds 0.5 s is measured as far as it goes and said to
/// be truncated: in the summary, on stderr, in JSON (`truncated`, `stated_duration_s`,
/// `error`) and CSV; the exit status is 1.
#[test]
fn a_truncated_file_is_measured_and_reported() {
    let dir = scratch_dir("cli-truncated");
    let path = dir.join("cut.wav");
    write_truncated_wav(&path, 48_000, 5.0, 0.5);
    let name = path.to_str().unwrap();
    let (code, stdout, stderr) = run(&["analyze", "--json", name]);
    assert_eq!(code, 1, "{stderr}");
    let record = &json_lines(&stdout)[0];
    assert_eq!(record["truncated"], true);
    assert!((f(record, "duration_s") - 0.5).abs() < 1e-3);
    assert!((f(record, "stated_duration_s") - 5.0).abs() < 1e-3);
    assert!(
        (f(record, "integrated_lufs") + 23.0).abs() < 0.1,
        "{record}"
    );
    assert!(record["error"].as_str().unwrap().starts_with("truncated: "));
    assert!(
        stderr.contains(&format!(
            "mixmeter: {name}: truncated: the header states 5.000 s"
        )),
        "{stderr}"
    );
    let (code, stdout, _) = run(&["analyze", name]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("Truncated             the header states 5.000 s, the file holds 0.500 s"),
        "{stdout}"
    );
    let (_, stdout, _) = run(&["analyze", "--csv", name]);
    let rows: Vec<&str> = stdout.lines().collect();
    let header: Vec<&str> = rows[0].split(',').collect();
    let column = header.iter().position(|c| *c == "truncated").unwrap();
    assert_eq!(rows[1].split(',').nth(column), Some("true"), "{stdout}");
    // A whole file is not truncated.
    let whole = dir.join("whole.wav");
    write_wav(&whole, Format::Int16, 48_000, &[sine(48_000, -20.0, 1.0)]);
    let (code, stdout, _) = run(&["analyze", "--json", whole.to_str().unwrap()]);
    assert_eq!(code, 0);
    let record = &json_lines(&stdout)[0];
    assert_eq!(record["truncated"], false);
    assert!(record["error"].is_null() && record["stated_duration_s"].is_null());
}

/// Unreadable files get a CSV row with their error (a script sees every input), and a run
/// where one file cannot be read and another misses a target exits 1 (documented: reading
/// failures win over missed targets; each record still says whether it passed).
#[test]
fn unreadable_files_have_a_csv_row_and_exit_status_1_wins_over_3() {
    let dir = scratch_dir("cli-unreadable-csv");
    let loud = dir.join("loud.wav");
    let tone = sine(48_000, -3.0, 2.0);
    write_wav(&loud, Format::Int16, 48_000, &[tone.clone(), tone]);
    let missing = dir.join("missing.wav");
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--csv",
        "--target",
        "ebu-r128",
        missing.to_str().unwrap(),
        loud.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    let header: Vec<&str> = rows[0].split(',').collect();
    let error = header.iter().position(|c| *c == "error").unwrap();
    let pass = header.iter().position(|c| *c == "ebu-r128_pass").unwrap();
    let missing_row: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(missing_row.len(), header.len());
    assert_eq!(missing_row[0], missing.to_str().unwrap());
    assert!(missing_row[error].starts_with("cannot open"), "{}", rows[1]);
    let loud_row: Vec<&str> = rows[2].split(',').collect();
    assert_eq!(loud_row[pass], "false");
    assert_eq!(loud_row[error], "");
    // Alone, the loud file's miss is exit 3.
    let (code, _, _) = run(&["analyze", "--target", "ebu-r128", loud.to_str().unwrap()]);
    assert_eq!(code, 3);
}

/// RF64 and Wave64 (ffmpeg-made) read the loudness of their source, as does a WAV on
/// standard input (`-`, named "-"); Opus and 5.1 AAC, which symphonia cannot decode, are
/// reported as unsupported in plain words, also when found in a folder.
#[test]
fn rf64_wave64_and_stdin_are_read_and_unsupported_formats_say_so() {
    let dir = scratch_dir("cli-more-formats");
    let wav = dir.join("source.wav");
    let rate = 48_000;
    let tone = sine(rate, -20.0, 3.0);
    write_wav(&wav, Format::Float32, rate, &[tone.clone(), tone]);
    let rf64 = dir.join("rf64.wav");
    ffmpeg(&wav, &rf64, &["-c:a", "pcm_s24le", "-rf64", "always"]);
    let w64 = dir.join("wave64.w64");
    ffmpeg(&wav, &w64, &["-c:a", "pcm_s16le"]);
    let surround = dir.join("surround.wav");
    let front = sine(rate, -20.0, 3.0);
    write_wav(&surround, Format::Float32, rate, &vec![front; 6]);
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        wav.to_str().unwrap(),
        rf64.to_str().unwrap(),
        w64.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let records = json_lines(&stdout);
    let source = f(&records[0], "integrated_lufs");
    for record in &records[1..] {
        assert!(
            (f(record, "integrated_lufs") - source).abs() < 0.01,
            "{record}"
        );
        assert_eq!(record["channels"], 2);
        assert!((f(record, "duration_s") - 3.0).abs() < 1e-3);
        assert_eq!(record["truncated"], false);
    }
    // Standard input.
    let output = Command::new(env!("CARGO_BIN_EXE_mixmeter"))
        .args(["analyze", "--json", "-"])
        .stdin(std::fs::File::open(&wav).unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let record = &json_lines(&String::from_utf8(output.stdout).unwrap())[0];
    assert_eq!(record["file"], "-");
    assert!((f(record, "integrated_lufs") - source).abs() < 1e-9);
    // Not supported, and said so.
    let opus = dir.join("unsupported/song.opus");
    std::fs::create_dir_all(opus.parent().unwrap()).unwrap();
    ffmpeg(&wav, &opus, &["-c:a", "libopus"]);
    let aac = dir.join("surround.m4a");
    ffmpeg(&surround, &aac, &["-c:a", "aac"]);
    let folder = opus.parent().unwrap();
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        folder.to_str().unwrap(),
        aac.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let records = json_lines(&stdout);
    assert_eq!(records.len(), 2, "{stdout}");
    assert!(
        records[0]["error"]
            .as_str()
            .unwrap()
            .contains("Opus cannot be decoded"),
        "{stderr}"
    );
    assert!(
        records[1]["error"]
            .as_str()
            .unwrap()
            .contains("AAC with more than 2 channels"),
        "{stderr}"
    );
}

/// No option is silently ignored: --series needs --json (a usage error otherwise), and
/// --check adds its grades to --csv.
#[test]
fn no_option_is_silently_ignored() {
    let dir = scratch_dir("cli-ignored-options");
    let path = dir.join("tone.wav");
    let tone = sine(48_000, -20.0, 2.0);
    write_wav(&path, Format::Int16, 48_000, &[tone.clone(), tone]);
    let name = path.to_str().unwrap();
    for args in [
        vec!["analyze", "--series", name],
        vec!["analyze", "--series", "--csv", name],
        vec!["targets", "spotify"],
        vec!["reference", "list", "extra"],
    ] {
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 2, "{args:?}: {stdout}");
        assert!(stdout.is_empty() && stderr.contains("Usage:"), "{stderr}");
    }
    let (code, stdout, _) = run(&["analyze", "--csv", "--check", "pre-master", name]);
    assert_eq!(code, 3, "a -20 LUFS sine fails pre-master");
    let rows: Vec<&str> = stdout.lines().collect();
    let header: Vec<&str> = rows[0].split(',').collect();
    let row: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(header.len(), row.len());
    let column = |c: &str| header.iter().position(|h| *h == c).unwrap();
    assert_eq!(row[column("check_worst")], "fail");
    assert_eq!(row[column("check_headroom")], "pass");
    assert_eq!(row[column("check_crest")], "fail", "a sine has no crest");
}

/// What users of ffmpeg, sox and loudness-scanner expect: --help and -h on stdout with exit 0
/// for the tool and every subcommand, --version, --opt=value, -j N, an unknown target listing
/// the valid ones, and options never read as file names (`--` before a file named --json).
#[test]
fn command_line_conventions() {
    for args in [
        vec!["--help"],
        vec!["-h"],
        vec!["analyze", "--help"],
        vec!["analyze", "-h"],
        vec!["targets", "--help"],
        vec!["reference", "--help"],
        vec!["reference", "build", "-h"],
        vec!["reference", "list", "--help"],
        vec!["session", "--help"],
        vec!["help", "analyze"],
    ] {
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(stdout.contains("Usage: mixmeter"), "{args:?}: {stdout}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
    let (code, stdout, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        format!("mixmeter {}", env!("CARGO_PKG_VERSION"))
    );

    let dir = scratch_dir("cli-conventions");
    let path = dir.join("tone.wav");
    write_wav(&path, Format::Int16, 48_000, &[sine(48_000, -20.0, 1.0)]);
    let name = path.to_str().unwrap();
    let (code, stdout, stderr) = run(&["analyze", "--json", "-j", "1", "--target=youtube", name]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_lines(&stdout)[0]["targets"][0]["id"], "youtube");
    let (code, _, stderr) = run(&["analyze", "--jobs=0", name]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(&["analyze", "--target", "spotfy", name]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown target spotfy (valid targets: spotify, spotify-loud, apple"),
        "{stderr}"
    );
    // A file literally named --json: an option unless after `--`.
    let odd = dir.join("--json");
    std::fs::copy(&path, &odd).unwrap();
    let run_in_dir = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mixmeter"))
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap()
    };
    let as_option = run_in_dir(&["analyze", "--json"]);
    assert_eq!(as_option.status.code(), Some(2), "no PATH given");
    let as_file = run_in_dir(&["analyze", "--", "--json"]);
    assert_eq!(as_file.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&as_file.stdout).starts_with("--json\n"));
}

/// A single long file gets a progress line too (the share of its audio measured), on a
/// terminal only; before, only runs of several files had one.
#[test]
fn progress_for_a_single_file() {
    let dir = scratch_dir("cli-progress-single");
    let path = dir.join("long.wav");
    write_wav(&path, Format::Int16, 48_000, &[sine(48_000, -20.0, 20.0)]);
    let command = format!(
        "{} analyze {} > /dev/null",
        env!("CARGO_BIN_EXE_mixmeter"),
        path.to_str().unwrap()
    );
    let log = dir.join("tty.log");
    let status = Command::new("script")
        .args(["-qec", &command])
        .arg(&log)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("script (util-linux) runs");
    assert!(status.success());
    let seen = std::fs::read_to_string(&log).unwrap();
    assert!(seen.contains("  0%  0/1 files"), "{seen:?}");
    assert!(seen.contains("100%  1/1 files"), "{seen:?}");
    let (_, _, stderr) = run(&["analyze", path.to_str().unwrap()]);
    assert!(stderr.is_empty(), "none when piped: {stderr:?}");
}

/// The analyzer's page (docs/cli.md) shows the usage text exactly as `--help` prints it.
#[test]
fn documented_usage_matches_the_help() {
    let readme = std::fs::read_to_string(workspace().join("docs/cli.md")).unwrap();
    for args in [
        vec!["--help"],
        vec!["analyze", "--help"],
        vec!["session", "--help"],
    ] {
        let (code, stdout, _) = run(&args);
        assert_eq!(code, 0);
        let block = format!("```text\n$ mixmeter {}\n{stdout}```", args.join(" "));
        assert!(
            readme.contains(&block),
            "docs/cli.md lacks, exactly:\n{block}"
        );
    }
}

/// Where it happens: a quiet tone with a loud passage from 8 to 11 s and single-sample clicks
/// over -6 dBTP at 2.5 s and 2.5012 s (one over: the same 5 ms run), 14.25 s and 17.3 s (the
/// largest): the times come back to within 10 ms, in JSON, CSV and the summary.
#[test]
fn where_the_maximum_peak_the_loudest_3_s_and_the_overs_are() {
    let dir = scratch_dir("cli-where");
    let rate = 48_000u32;
    let mut x = sine(rate, -30.0, 20.0);
    for v in &mut x[8 * rate as usize..11 * rate as usize] {
        *v *= 10.0;
    }
    for (t, a) in [(2.5, 0.7), (2.5012, 0.7), (14.25, 0.8), (17.3, 0.95)] {
        x[(t * rate as f64) as usize] = a;
    }
    let path = dir.join("placed.wav");
    write_wav(&path, Format::Float32, rate, &[x]);
    let name = path.to_str().unwrap();
    let (code, stdout, stderr) = run(&["analyze", "--json", "--ceiling", "-6", name]);
    assert_eq!(code, 0, "{stderr}");
    let v = &json_lines(&stdout)[0];
    assert!((f(v, "max_true_peak_at_s") - 17.3).abs() < 0.01, "{v}");
    assert!((f(v, "max_short_term_at_s") - 8.0).abs() < 0.01, "{v}");
    assert_eq!(v["overs"]["count"], 3, "{v}");
    assert_eq!(v["overs"]["ceiling_dbtp"], -6.0);
    let times: Vec<f64> = v["overs"]["first_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_f64().unwrap())
        .collect();
    assert_eq!(times.len(), 3);
    for (found, expected) in times.iter().zip([2.5, 14.25, 17.3]) {
        assert!((found - expected).abs() < 0.01, "{times:?}");
    }
    // A ceiling over every peak: no overs; without --ceiling: no overs object.
    let (_, stdout, _) = run(&["analyze", "--json", "--ceiling=0", name]);
    assert_eq!(json_lines(&stdout)[0]["overs"]["count"], 0);
    let (_, stdout, _) = run(&["analyze", "--json", name]);
    assert!(json_lines(&stdout)[0]["overs"].is_null());
    let (_, stdout, _) = run(&["analyze", "--ceiling", "-6", name]);
    assert!(
        stdout.contains("True peak             -0.4 dBTP at 17.30"),
        "{stdout}"
    );
    assert!(stdout.contains("the loudest 3 s from 8.0"), "{stdout}");
    assert!(
        stdout.contains("Overs                 3 over -6.0 dBTP at 2.50"),
        "{stdout}"
    );
    let (_, stdout, _) = run(&["analyze", "--csv", "--ceiling", "-6", name]);
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split(',').collect()).collect();
    let column = |c: &str| rows[0].iter().position(|h| *h == c).unwrap();
    assert_eq!(rows[0].len(), rows[1].len());
    assert_eq!(rows[1][column("overs")], "3");
    assert_eq!(rows[1][column("overs_first_s")].split(';').count(), 3);
    assert!(rows[1][column("max_true_peak_at_s")].starts_with("17.30"));
}

/// An album of a -23 LUFS and a -33 LUFS tone (10 s each) pools its gating blocks: -25.60
/// LUFS, not the -28 LUFS average of the two; each track's level relative to it in the JSON
/// records, the CSV column and the summary; an unreadable input is left out and named.
#[test]
fn album_loudness_pools_the_tracks_blocks() {
    let dir = scratch_dir("cli-album");
    let a = dir.join("a.wav");
    let b = dir.join("b.wav");
    write_wav(&a, Format::Float32, 48_000, &[sine(48_000, -20.0, 10.0)]);
    write_wav(&b, Format::Float32, 48_000, &[sine(48_000, -30.0, 10.0)]);
    let missing = dir.join("missing.wav");
    let (a, b, missing) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let expected = -23.0 + 10.0 * ((1.0 + 0.1) / 2.0f64).log10();
    let (code, stdout, _) = run(&["analyze", "--album", "--json", a, b]);
    assert_eq!(code, 0);
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 3);
    let album = &lines[2]["album"];
    assert_eq!(lines[2]["schema_version"], 9);
    assert!(
        (f(album, "integrated_lufs") - expected).abs() < 0.02,
        "{album}"
    );
    assert!(
        (f(album, "loudness_range_lu") - 10.0).abs() < 0.1,
        "{album}"
    );
    assert_eq!(album["tracks"], 2);
    assert!((f(&lines[0], "album_relative_lu") - (-23.0 - expected)).abs() < 0.02);
    assert!((f(&lines[1], "album_relative_lu") - (-33.0 - expected)).abs() < 0.02);
    assert!(
        (f(&album["files"][1], "relative_lu") + 7.40).abs() < 0.02,
        "{album}"
    );
    // Without --album there is no album record or relative level.
    let (_, stdout, _) = run(&["analyze", "--json", a, b]);
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 2);
    assert!(lines[0].get("album_relative_lu").is_none());
    // CSV: a column for the relative level and an album row; an error row keeps its width.
    let (code, stdout, _) = run(&["analyze", "--album", "--csv", a, missing, b]);
    assert_eq!(code, 1, "a missing file is exit status 1");
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 5, "{stdout}");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{stdout}");
    let column = |c: &str| rows[0].iter().position(|h| *h == c).unwrap();
    let cell = |row: usize, c: &str| rows[row][column(c)].parse::<f64>().unwrap();
    assert!((cell(1, "album_relative_lu") - (-23.0 - expected)).abs() < 0.02);
    assert_eq!(rows[2][column("album_relative_lu")], "");
    assert!((cell(3, "album_relative_lu") - (-33.0 - expected)).abs() < 0.02);
    assert_eq!(rows[4][column("file")], "(album)");
    assert!(
        (cell(4, "integrated_lufs") - expected).abs() < 0.02,
        "{stdout}"
    );
    let (_, stdout, _) = run(&["analyze", "--album", a, missing, b]);
    assert!(stdout.contains("Album: 2 tracks"), "{stdout}");
    assert!(
        stdout.contains("Integrated loudness   -25.6 LUFS"),
        "{stdout}"
    );
    assert!(stdout.contains("+2.6 LU"), "{stdout}");
    assert!(stdout.contains("-7.4 LU"), "{stdout}");
    assert!(stdout.contains("left out (unreadable)"), "{stdout}");
}

/// `--dual-mono`: a -20 dBFS mono tone reads -23 LUFS as mono and -19.99 LUFS as dual mono
/// (+3.01 LU); a stereo file is measured as it is, with a note on stderr.
#[test]
fn dual_mono_adds_3_lu_to_mono_files_only() {
    let dir = scratch_dir("cli-dual-mono");
    let mono = dir.join("mono.wav");
    let stereo = dir.join("stereo.wav");
    let tone = sine(48_000, -20.0, 6.0);
    write_wav(&mono, Format::Int24, 48_000, std::slice::from_ref(&tone));
    write_wav(&stereo, Format::Int24, 48_000, &[tone.clone(), tone]);
    let (mono, stereo) = (mono.to_str().unwrap(), stereo.to_str().unwrap());
    let (_, plain, _) = run(&["analyze", "--json", mono]);
    let (code, dual, stderr) = run(&["analyze", "--json", "--dual-mono", mono]);
    assert_eq!(code, 0);
    assert!(stderr.is_empty(), "{stderr}");
    let (plain, dual) = (&json_lines(&plain)[0], &json_lines(&dual)[0]);
    let step = f(dual, "integrated_lufs") - f(plain, "integrated_lufs");
    assert!((step - 10.0 * 2f64.log10()).abs() < 1e-6, "{step}");
    assert_eq!(dual["dual_mono"], true);
    assert_eq!(plain["dual_mono"], false);
    assert_eq!(f(dual, "true_peak_dbtp"), f(plain, "true_peak_dbtp"));
    let (code, out, stderr) = run(&["analyze", "--json", "--dual-mono", stereo]);
    assert_eq!(code, 0);
    assert_eq!(json_lines(&out)[0]["dual_mono"], false);
    assert!(
        stderr.contains("--dual-mono applies to mono files"),
        "{stderr}"
    );
    let (_, out, _) = run(&["analyze", "--dual-mono", mono]);
    assert!(out.contains("Dual mono"), "{out}");
}

/// Options that need another are usage errors that say which, and --normalize-to never
/// writes over its input or takes more than one.
#[test]
fn normalize_options_need_each_other_and_never_overwrite_the_input() {
    let dir = scratch_dir("cli-normalize-usage");
    let path = dir.join("tone.wav");
    write_wav(&path, Format::Int16, 48_000, &[sine(48_000, -20.0, 2.0)]);
    let before = std::fs::read(&path).unwrap();
    let name = path.to_str().unwrap();
    let out = dir.join("out.wav");
    let out = out.to_str().unwrap();
    let link = dir.join("link.wav");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    for (mut args, says) in [
        (vec!["--output", out], "use it with --normalize-to"),
        (vec!["--limit", "-1"], "use it with --normalize-to"),
        (vec!["--output-depth", "24"], "use it with --normalize-to"),
        (vec!["--normalize-to", "-14"], "name it with --output"),
        (
            vec!["--normalize-to", "-14", "-o", out, "--output-depth", "12"],
            "unknown --output-depth 12",
        ),
        (
            vec!["--normalize-to", "-14", "-o", name],
            "never overwrites its input",
        ),
        (
            vec!["--normalize-to", "-14", "-o", link.to_str().unwrap()],
            "never overwrites its input",
        ),
        (
            vec!["--normalize-to", "-14", "-o", out, name],
            "name exactly one input file",
        ),
        (
            vec!["--normalize-to", "-14", "-o", out, "--limit", "3"],
            "a limit from -20 to 0 dBTP",
        ),
    ] {
        args.push(name);
        let mut full = vec!["analyze"];
        full.extend(&args);
        let (code, stdout, stderr) = run(&full);
        assert_eq!(code, 2, "{full:?}: {stdout}");
        assert!(stderr.contains(says), "{full:?}: {stderr}");
    }
    assert!(!Path::new(out).exists());
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// --normalize-to: a -23 LUFS tone written at -14 LUFS in float (the written file measured by
/// the analyzer reads the target); 16-bit output whose gain would clip is refused and nothing
/// is written; float keeps overs and says so; --limit holds an fs/4 sine (+3 dB between its
/// samples) at the limit as measured by the analyzer.
#[test]
fn normalize_writes_the_target_and_says_what_the_gain_does_to_peaks() {
    let dir = scratch_dir("cli-normalize");
    let path = dir.join("tone.wav");
    write_wav(&path, Format::Int24, 48_000, &[sine(48_000, -20.0, 8.0)]);
    let name = path.to_str().unwrap();
    let out = dir.join("out.wav");
    let out_name = out.to_str().unwrap();
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        "--normalize-to",
        "-14",
        "-o",
        out_name,
        name,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let n = &json_lines(&stdout)[0]["normalized"];
    assert!((f(n, "gain_db") - 9.0).abs() < 0.02, "{n}");
    assert!((f(n, "integrated_lufs") + 14.0).abs() < 0.01, "{n}");
    assert_eq!(n["format"], "32-bit float");
    assert_eq!(n["over_ceiling"], false);
    let (_, again, _) = run(&["analyze", "--json", out_name]);
    let again = &json_lines(&again)[0];
    assert!((f(again, "integrated_lufs") + 14.0).abs() < 0.01, "{again}");
    assert_eq!(again["codec"], "pcm_f32le");
    // To -3 LUFS the peak goes to +0 dBTP and over: refused as 16-bit, kept in float.
    std::fs::remove_file(&out).unwrap();
    let (code, _, stderr) = run(&[
        "analyze",
        "--normalize-to",
        "-2",
        "-o",
        out_name,
        "--output-depth",
        "16",
        name,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("it would clip"), "{stderr}");
    assert!(!out.exists(), "nothing written");
    assert!(
        std::fs::read_dir(&dir).unwrap().count() == 1,
        "no temporary file left"
    );
    let (code, stdout, _) = run(&["analyze", "--normalize-to", "-2", "-o", out_name, name]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("WARNING: the gain puts the true peak at +1.0 dBTP"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing was clipped"), "{stdout}");
    let (_, again, _) = run(&["analyze", "--json", out_name]);
    assert!(f(&json_lines(&again)[0], "sample_peak_dbfs") > 0.9);
    // 24-bit from the input's depth.
    let (code, _, _) = run(&[
        "analyze",
        "--normalize-to",
        "-18",
        "-o",
        out_name,
        "--output-depth",
        "input",
        name,
    ]);
    assert_eq!(code, 0);
    let (_, again, _) = run(&["analyze", "--json", out_name]);
    let again = &json_lines(&again)[0];
    assert_eq!(again["codec"], "pcm_s24le");
    assert!((f(again, "integrated_lufs") + 18.0).abs() < 0.01, "{again}");
    // The limiter: a -30 dBFS tone with 50 ms bursts of an fs/4 sine at 45 degrees every
    // second (samples at -9 dBFS, true peak -6 dBTP; the bursts make it about -11.6 LUFS),
    // normalized to -6 LUFS (about +5.6 dB, true peak -0.4 dBTP) and held at -4 dBTP.
    let mut burst = sine(48_000, -30.0, 6.0);
    for (n, v) in burst.iter_mut().enumerate() {
        if n % 48_000 < 2_400 {
            *v = 0.5 * (std::f64::consts::FRAC_PI_2 * n as f64 + std::f64::consts::FRAC_PI_4).sin();
        }
    }
    let q = dir.join("bursts.wav");
    write_wav(&q, Format::Float32, 48_000, &[burst.clone(), burst]);
    let target = -6.0;
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--json",
        "--normalize-to",
        &format!("{target}"),
        "-o",
        out_name,
        "--limit",
        "-4",
        q.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let n = &json_lines(&stdout)[0]["normalized"];
    assert!(f(n, "true_peak_dbtp") <= -4.0, "{n}");
    assert!(f(&n["limiter"], "peak_reduction_db") > 3.0, "{n}");
    let (_, again, _) = run(&["analyze", "--json", out_name]);
    let again = f(&json_lines(&again)[0], "true_peak_dbtp");
    assert!((-4.3..=-4.0).contains(&again), "re-measured {again} dBTP");
    let (_, stdout, _) = run(&[
        "analyze",
        "--normalize-to",
        &format!("{target}"),
        "-o",
        out_name,
        "--limit",
        "-4",
        q.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("a true-peak limiter at -4.0 dBTP was applied"),
        "{stdout}"
    );
}

/// A float input holding NaNs is measured (the meter skips them) but not
/// normalized: the written file would carry them or a full-scale click. The refusal names
/// the count, exits 1, and leaves an existing output file as it was and no temporary file.
#[test]
fn normalize_refuses_non_finite_input_and_keeps_the_old_output() {
    let dir = scratch_dir("cli-normalize-non-finite");
    let path = dir.join("broken.wav");
    let mut tone = sine(48_000, -20.0, 12.0);
    tone[100_000] = f64::NAN;
    tone[200_000] = f64::NAN; // (the test writer clamps infinities to full scale)
    write_wav(&path, Format::Float32, 48_000, &[tone]);
    let out = dir.join("out.wav");
    std::fs::write(&out, b"the previous output").unwrap();
    let (code, stdout, stderr) = run(&[
        "analyze",
        "--normalize-to",
        "-14",
        "-o",
        out.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let said = format!("{stdout}{stderr}");
    assert!(said.contains("2 samples are not a finite number"), "{said}");
    assert_eq!(std::fs::read(&out).unwrap(), b"the previous output");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `mixmeter session` on stems written as WAV files (the core's synthetic arrangement:
/// kick and bass sharing 60-100 Hz, vocal and guitar sharing 1-3 kHz, a hi-hat alone above
/// 8 kHz, keys 6 dB hotter than the guide's -6 dBFS): the pairs, the hot track and the shares
/// in the text, the JSON and the CSV; a missing stem is named and sets exit status 1.
#[test]
fn session_reads_stems_together() {
    use mixmeter_core::session::synth::{STEM_NAMES, stems};
    let dir = scratch_dir("cli-session");
    let mut paths = Vec::new();
    for (name, audio) in STEM_NAMES.iter().zip(stems(48_000.0, 8.0)) {
        let path = dir.join(format!("{name}.wav"));
        let audio: Vec<f64> = audio.iter().map(|&x| x as f64).collect();
        write_wav(&path, Format::Float32, 48_000, &[audio]);
        paths.push(path.to_str().unwrap().to_string());
    }
    let with = |extra: &[&str]| {
        let mut args = vec!["session"];
        args.extend(extra);
        args.extend(paths.iter().map(String::as_str));
        run(&args)
    };

    let (code, stdout, stderr) = with(&["--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let record: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(record["schema"], "mixmeter-session");
    assert_eq!(record["master"]["kind"], "sum");
    let report = &record["report"];
    let mut pairs: Vec<String> = report["masking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}/{}", p["tracks"][0], p["tracks"][1]).replace('"', ""))
        .collect();
    pairs.sort();
    assert_eq!(pairs, ["kick/bass", "vocal/guitar"], "{report:#}");
    for t in report["tracks"].as_array().unwrap() {
        let verdict = if t["name"] == "keys" { "fail" } else { "pass" };
        assert_eq!(t["staging"]["verdict"], verdict, "{t}");
    }
    for region in report["regions"].as_array().unwrap() {
        if region["whole"]["empty"] == false {
            let total: f64 = region["whole"]["shares"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["share"].as_f64().unwrap())
                .sum();
            assert!((total - 1.0).abs() < 1e-9, "{region}");
        }
    }

    let (code, text, _) = with(&[]);
    assert_eq!(code, 0);
    assert!(text.contains("Session: 6 stems"), "{text}");
    assert!(
        text.contains("kick and bass mask each other at 50 Hz-100 Hz"),
        "{text}"
    );
    assert!(text.contains("cut bass about"), "{text}");
    assert!(text.contains("keys: peaks at -0.7 dBFS: hot"), "{text}");
    assert!(!text.contains("hihat and"), "{text}");

    let (code, csv, _) = with(&["--csv"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 6 + 1, "{csv}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let column = |c: &str| header.iter().position(|h| *h == c).unwrap();
    let keys: Vec<&str> = lines[6].split(',').collect();
    assert_eq!(keys[column("track")], "keys");
    assert_eq!(keys[column("verdict")], "fail");
    let hihat: Vec<&str> = lines[5].split(',').collect();
    assert!(
        hihat[column("share_air")].parse::<f64>().unwrap() > 0.9,
        "{csv}"
    );
    assert!(lines[7].starts_with("master,"));

    // The masking pairs as CSV: a row per cut, the kick/bass pair's cuts in its range.
    let (code, csv, _) = with(&["--masking-csv"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = csv.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let column = |c: &str| header.iter().position(|h| *h == c).unwrap();
    let rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= 3, "{csv}");
    let kick_bass: Vec<&Vec<&str>> = rows
        .iter()
        .filter(|r| r[column("track_a")] == "kick" && r[column("track_b")] == "bass")
        .collect();
    assert_eq!(kick_bass.len(), 2, "a cut for each: {csv}");
    for r in kick_bass {
        let at: f64 = r[column("cut_at_hz")].parse().unwrap();
        let low: f64 = r[column("low_hz")].parse().unwrap();
        let high: f64 = r[column("high_hz")].parse().unwrap();
        assert!(at >= low / 1.3 && at <= high * 1.3, "{csv}");
        assert!(r[column("cut_db")].parse::<f64>().unwrap() > 0.0);
    }
    assert!(!csv.contains("hihat"), "{csv}");
    let (code, _, _) = with(&["--masking-csv", "--json"]);
    assert_eq!(code, 2, "one output format at a time");

    // A stem that is not there: named on stderr and in the JSON, the rest analyzed, exit 1.
    let missing = dir.join("missing.wav");
    let (code, stdout, stderr) = with(&["--json", "--master", missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("missing.wav"), "{stderr}");
    let record: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(record["errors"][0]["file"], missing.to_str().unwrap());
    assert_eq!(record["master"]["kind"], "none");
    assert_eq!(record["report"]["tracks"].as_array().unwrap().len(), 6);
    let (code, _, _) = run(&["session", "-"]);
    assert_eq!(code, 2);
}

/// `mixmeter analyze ... | head`: when the reader stops early the program ends quietly on
/// SIGPIPE, as `cat` does, instead of panicking (status 101 and a panic on stderr).
#[cfg(unix)]
#[test]
fn a_reader_that_stops_early_ends_it_quietly() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let dir = scratch_dir("cli-sigpipe");
    let tone = sine(48_000, -20.0, 30.0);
    let mut files = Vec::new();
    for k in 0..6 {
        let path = dir.join(format!("tone-{k}.wav"));
        write_wav(&path, Format::Int16, 48_000, &[tone.clone(), tone.clone()]);
        files.push(path);
    }
    // --series: about 40 kB of JSON a file, more than a pipe holds.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mixmeter"))
        .args(["analyze", "--json", "--series", "--jobs", "1"])
        .args(&files)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is closed here.
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.signal(),
        Some(libc_sigpipe()),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

/// SIGPIPE's number on Linux and the BSDs.
#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13
}

/// A mono stem plays on both channels of a stereo mix: the same part as a mono file and as a
/// stereo file of two identical channels holds the same share of the summed master, in
/// every region (it once read half: its energy counted one channel).
#[test]
fn a_mono_stem_counts_as_heard_in_a_stereo_mix() {
    let dir = scratch_dir("cli-session-mono");
    let rate = 48_000;
    let mut state = 11u64;
    let noise: Vec<f64> = (0..rate as usize * 6)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * 0.1
        })
        .collect();
    let mono = dir.join("mono.wav");
    write_wav(&mono, Format::Float32, rate, std::slice::from_ref(&noise));
    let stereo = dir.join("stereo.wav");
    let other: Vec<f64> = noise.iter().rev().copied().collect();
    write_wav(&stereo, Format::Float32, rate, &[other.clone(), other]);
    let (code, stdout, stderr) = run(&[
        "session",
        "--json",
        mono.to_str().unwrap(),
        stereo.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let record: Value = serde_json::from_str(stdout.trim()).unwrap();
    let tracks = record["report"]["tracks"].as_array().unwrap();
    let share = |name: &str| {
        tracks.iter().find(|t| t["name"] == name).unwrap()["energy_share"]
            .as_f64()
            .unwrap()
    };
    // Two unrelated noises of equal level: half each (within the noises' own difference).
    assert!((share("mono") - 0.5).abs() < 0.02, "{}", share("mono"));
    assert!((share("stereo") - 0.5).abs() < 0.02, "{}", share("stereo"));
    for region in record["report"]["regions"].as_array().unwrap() {
        if region["whole"]["empty"] == false {
            let mono_share = region["whole"]["shares"][0]["share"].as_f64().unwrap();
            assert!((mono_share - 0.5).abs() < 0.05, "{region}");
        }
    }
}

/// The session's rate is the one most stems share: one odd stem given first is the one left
/// out (named, exit 1), not the others.
#[test]
fn the_odd_rate_is_the_stem_left_out() {
    let dir = scratch_dir("cli-session-rates");
    let tone = |rate: u32| sine(rate, -20.0, 2.0);
    let odd = dir.join("odd.wav");
    write_wav(&odd, Format::Float32, 44_100, &[tone(44_100)]);
    let (a, b) = (dir.join("a.wav"), dir.join("b.wav"));
    write_wav(&a, Format::Float32, 48_000, &[tone(48_000)]);
    write_wav(&b, Format::Float32, 48_000, &[tone(48_000)]);
    let (code, stdout, stderr) = run(&[
        "session",
        "--json",
        odd.to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let record: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(record["sample_rate_hz"], 48_000);
    assert_eq!(record["report"]["tracks"].as_array().unwrap().len(), 2);
    assert_eq!(record["errors"][0]["file"], odd.to_str().unwrap());
    assert!(stderr.contains("the rate most stems share"), "{stderr}");
}
