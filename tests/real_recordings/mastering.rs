//! What a mastering engineer asks next (issue 17), on real music and speech from the corpus,
//! against ffmpeg (its `ebur128` filter, and its soxr resampler as an independent 16x
//! reconstruction) and the tier's libsoxr driver:
//!
//! - `--album`: the pooled integrated loudness and LRA of three songs read what ffmpeg's
//!   `ebur128` reads on their concatenation (within 0.1 LU and 0.2 LU: the concatenation also
//!   has blocks that straddle the two track changes, which pooling leaves out).
//! - `--dual-mono`: a mono speech recording and a mono song read what ffmpeg reads on the
//!   file with its channel duplicated at full level (`pan=stereo|c0=c0|c1=c0`), within
//!   0.05 LU. (ffmpeg's `-ac 2` upmix is not that: it places a mono channel at -3 dB in each
//!   side, equal power, and reads as the mono file; checked too.)
//! - Where it happens: a song pushed 9 dB over full scale (ffmpeg `volume`): the time of the
//!   maximum true peak, the overs above 0 dBTP (count and times) and the loudest 3 s match an
//!   independent scan: ffmpeg resamples to 768 kHz with soxr and `astats` gives the peak of
//!   each 5 ms frame; its `ebur128` gives the short-term loudness every 100 ms.
//! - `--normalize-to`: a song normalized to -16 LUFS reads -16 LUFS in ffmpeg's `ebur128`
//!   (within 0.1 LU); with `--limit -1`, the written file's true peak is at or under -1 dBTP
//!   by the analyzer and by the driver's 16x libsoxr reconstruction.

use crate::{corpus, meters};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn corpus_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
        corpus::build(target).dir
    })
}

fn file(name: &str) -> PathBuf {
    corpus_dir().join("files").join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn analyze(args: &[&str]) -> Vec<Value> {
    let out = Command::new(crate::cli::mixmeter_cli())
        .arg("analyze")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} in {v}"))
}

/// ffmpeg's per-frame metadata for a filter graph: (pts_time, key, value) triples.
fn ffmpeg_metadata(inputs: &[&Path], graph: &str) -> Vec<(f64, String, f64)> {
    let mut command = Command::new("ffmpeg");
    command.args(["-nostdin", "-v", "error"]);
    for input in inputs {
        command.arg("-i").arg(input);
    }
    let graph = format!("{graph},ametadata=mode=print:file=-");
    let flag = if inputs.len() > 1 {
        "-filter_complex"
    } else {
        "-af"
    };
    let out = crate::corpus::run(command.args([flag, &graph, "-f", "null", "-"]));
    let mut time = 0.0;
    let mut values = Vec::new();
    for line in String::from_utf8_lossy(&out).lines() {
        if let Some(t) = line.split("pts_time:").nth(1) {
            time = t.trim().parse().unwrap();
        } else if let Some((key, value)) = line.split_once('=')
            && let Ok(value) = value.parse::<f64>()
        {
            values.push((time, key.to_string(), value));
        }
    }
    values
}

/// The last integrated loudness and LRA of ffmpeg's `ebur128` (three decimals).
fn ffmpeg_loudness(inputs: &[&Path], before: &str) -> (f64, f64) {
    let values = ffmpeg_metadata(inputs, &format!("{before}ebur128=metadata=1"));
    let last = |key: &str| {
        values
            .iter()
            .rev()
            .find(|v| v.1 == key)
            .map(|v| v.2)
            .unwrap()
    };
    (last("lavfi.r128.I"), last("lavfi.r128.LRA"))
}

#[test]
fn album_loudness_matches_ffmpeg_on_the_concatenation() {
    let names = ["noiz2sa-stg0.ogg", "midi-mix.wav", "noiz2sa-stg3.ogg"];
    let paths: Vec<PathBuf> = names.iter().map(|n| file(n)).collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let mut args = vec!["--json", "--album"];
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(shown.iter().map(String::as_str));
    let lines = analyze(&args);
    let album = &lines[3]["album"];
    let (ours_i, ours_lra) = (f(album, "integrated_lufs"), f(album, "loudness_range_lu"));
    let (theirs_i, theirs_lra) = ffmpeg_loudness(&refs, "[0:a][1:a][2:a]concat=n=3:v=0:a=1,");
    eprintln!(
        "album of {names:?}: I ours {ours_i:.3} ffmpeg {theirs_i:.3} LUFS, LRA ours \
         {ours_lra:.3} ffmpeg {theirs_lra:.3} LU"
    );
    assert!(
        (ours_i - theirs_i).abs() <= 0.1,
        "{ours_i} against {theirs_i}"
    );
    assert!(
        (ours_lra - theirs_lra).abs() <= 0.2,
        "{ours_lra} against {theirs_lra}"
    );
    // The tracks differ by 13 LU: the album is not the mean of the tracks' values.
    let tracks: Vec<f64> = lines[..3].iter().map(|l| f(l, "integrated_lufs")).collect();
    let mean = tracks.iter().sum::<f64>() / 3.0;
    assert!((ours_i - mean).abs() > 1.0, "{tracks:?}");
    for (line, track) in lines[..3].iter().zip(&tracks) {
        assert!((f(line, "album_relative_lu") - (track - ours_i)).abs() < 1e-9);
    }
}

#[test]
fn dual_mono_matches_ffmpeg_on_the_channel_duplicated() {
    for name in ["speech.wav", "a7xpg-bgm1.ogg"] {
        let path = file(name);
        let shown = path.display().to_string();
        let mono = f(&analyze(&["--json", &shown])[0], "integrated_lufs");
        let dual = f(
            &analyze(&["--json", "--dual-mono", &shown])[0],
            "integrated_lufs",
        );
        let (duplicated, _) = ffmpeg_loudness(&[&path], "pan=stereo|c0=c0|c1=c0,");
        let (upmixed, _) = ffmpeg_loudness(&[&path], "aformat=channel_layouts=stereo,");
        eprintln!(
            "{name}: mono {mono:.3}, dual mono {dual:.3}; ffmpeg duplicated {duplicated:.3}, \
             -ac 2 upmix {upmixed:.3} LUFS"
        );
        assert!(
            (dual - duplicated).abs() <= 0.05,
            "{name}: {dual} against {duplicated}"
        );
        assert!((dual - mono - 3.0103).abs() < 0.001, "{name}");
        assert!(
            (upmixed - mono).abs() <= 0.05,
            "{name}: the equal-power upmix"
        );
    }
}

#[test]
fn where_it_happens_on_a_song_pushed_over_full_scale() {
    let dir = scratch("mastering-where");
    let pushed = dir.join("pushed.wav");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(file("midi-mix.wav"))
        .args([
            "-af",
            "aresample=48000:resampler=soxr,volume=9dB",
            "-c:a",
            "pcm_f32le",
        ])
        .arg(&pushed)
        .status()
        .unwrap();
    assert!(status.success());
    let shown = pushed.display().to_string();
    let ours = &analyze(&["--json", "--ceiling", "0", &shown])[0];
    // Independent: 16x soxr reconstruction (turned down 12 dB so nothing can clip on the way,
    // and back up), the peak of each 5 ms frame.
    let frames: Vec<(f64, f64)> = ffmpeg_metadata(
        &[&pushed],
        "volume=-12dB,aresample=768000:resampler=soxr:precision=28,asetnsamples=n=3840:p=0,\
         astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=Peak_level",
    )
    .into_iter()
    .filter(|v| v.1 == "lavfi.astats.Overall.Peak_level")
    .map(|v| (v.0, v.2 + 12.0))
    .collect();
    let (peak_at, peak) =
        frames.iter().copied().fold(
            (0.0, f64::NEG_INFINITY),
            |m, x| if x.1 > m.1 { x } else { m },
        );
    let mut runs = Vec::new();
    let mut previous = false;
    for &(t, p) in &frames {
        if p > 0.0 && !previous {
            runs.push(t);
        }
        previous = p > 0.0;
    }
    let count = ours["overs"]["count"].as_u64().unwrap();
    let times: Vec<f64> = ours["overs"]["first_s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_f64().unwrap())
        .collect();
    eprintln!(
        "pushed song: max true peak ours {:.3} dBTP at {:.3} s, soxr 16x {peak:.3} at \
         {peak_at:.3} s; overs over 0 dBTP ours {count}, soxr {}; first ours {:?}, soxr {:?}",
        f(ours, "true_peak_dbtp"),
        f(ours, "max_true_peak_at_s"),
        runs.len(),
        &times[..times.len().min(8)],
        &runs[..runs.len().min(8)]
    );
    assert!(peak > 1.0, "the song is pushed over: {peak}");
    assert!((f(ours, "max_true_peak_at_s") - peak_at).abs() <= 0.01);
    assert!(
        (count as f64 - runs.len() as f64).abs() <= (0.1 * runs.len() as f64).max(2.0),
        "{count} against {}",
        runs.len()
    );
    // Each kept time is the start of an over the reconstruction finds too (a run that
    // starts on a frame boundary can start one frame apart).
    let matched = times
        .iter()
        .filter(|t| runs.iter().any(|r| (r - *t).abs() <= 0.011))
        .count();
    assert!(
        matched as f64 >= 0.9 * times.len() as f64,
        "{times:?}\n{runs:?}"
    );
    // The loudest 3 s: ffmpeg's short-term loudness at the end of our window is its maximum.
    let short_term: Vec<(f64, f64)> = ffmpeg_metadata(&[&pushed], "ebur128=metadata=1")
        .into_iter()
        .filter(|v| v.1 == "lavfi.r128.S")
        .map(|v| (v.0, v.2))
        .collect();
    let max_s = short_term
        .iter()
        .map(|v| v.1)
        .fold(f64::NEG_INFINITY, f64::max);
    let end = f(ours, "max_short_term_at_s") + 3.0;
    // ffmpeg stamps each 100 ms value with the start of its last 100 ms.
    let at_end = short_term
        .iter()
        .filter(|v| (v.0 + 0.1 - end).abs() <= 0.1)
        .map(|v| v.1)
        .fold(f64::NEG_INFINITY, f64::max);
    eprintln!("loudest 3 s end at {end:.3} s: ffmpeg S there {at_end:.3}, its maximum {max_s:.3}");
    assert!(max_s - at_end <= 0.1, "{at_end} against {max_s}");
}

#[test]
fn normalized_files_read_the_target_and_the_limiter_holds_its_limit() {
    let dir = scratch("mastering-normalize");
    let song = file("noiz2sa-stg0.ogg");
    let song_shown = song.display().to_string();
    let driver = meters::compile_driver(corpus_dir());
    for (depth, limit) in [
        ("f32", None),
        ("24", None),
        ("16", Some("-1")),
        ("f32", Some("-1")),
    ] {
        let out = dir.join(format!(
            "normalized-{depth}-{}.wav",
            limit.unwrap_or("none")
        ));
        let out_shown = out.display().to_string();
        // The song is about -9.9 LUFS at +3 dBTP: to -16 LUFS it comes down 6 dB without a
        // limiter; to -9 LUFS it goes up and the limiter holds -1 dBTP.
        let target = if limit.is_some() { "-9" } else { "-16" };
        let mut args = vec![
            "--json",
            "--normalize-to",
            target,
            "-o",
            &out_shown,
            "--output-depth",
            depth,
        ];
        if let Some(l) = limit {
            args.extend(["--limit", l]);
        }
        args.push(&song_shown);
        let n = analyze(&args)[0]["normalized"].clone();
        let (ffmpeg_i, _) = ffmpeg_loudness(&[&out], "");
        let reference = meters::reference(&driver, &out, "L,R");
        let soxr_peak = reference.driver["reconstructed_peak"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| 20.0 * p.as_f64().unwrap().log10())
            .fold(f64::NEG_INFINITY, f64::max);
        let again = &analyze(&["--json", &out_shown])[0];
        eprintln!(
            "{depth} limit {limit:?}: written {:.3} LUFS (ffmpeg {ffmpeg_i:.3}), true peak \
             ours {:.3}, soxr 16x {soxr_peak:.3} dBTP; limiter {}",
            f(again, "integrated_lufs"),
            f(again, "true_peak_dbtp"),
            n["limiter"]
        );
        match limit {
            None => {
                assert!((ffmpeg_i + 16.0).abs() <= 0.1, "{depth}: {ffmpeg_i}");
                assert!((f(again, "integrated_lufs") + 16.0).abs() <= 0.02);
            }
            Some(l) => {
                let l: f64 = l.parse().unwrap();
                assert!(f(again, "true_peak_dbtp") <= l, "{again}");
                assert!(soxr_peak <= l, "soxr 16x: {soxr_peak}");
                assert!(f(&n["limiter"], "peak_reduction_db") > 2.0, "{n}");
                // Limiting takes a little loudness off; the report says where it ended.
                assert!((f(again, "integrated_lufs") - f(&n, "integrated_lufs")).abs() < 0.02);
                // About 5 dB of limiting on a dense song takes about 1.5 LU off the -9 LUFS.
                assert!(
                    (-12.0..=-9.0).contains(&f(again, "integrated_lufs")),
                    "{again}"
                );
                assert!((ffmpeg_i - f(again, "integrated_lufs")).abs() <= 0.1);
            }
        }
    }
}
