//! Tonal advice on real music with the default reference (issue 18).
//!
//! The songs of the real-recordings corpus (freely licensed music from Debian packages, see
//! `tests/real_recordings/corpus.rs`), unchanged and with one known change each made by
//! ffmpeg: a +6 dB bell (Q 1) at 300 Hz, at 4 kHz and at 40 Hz (sub), a +1.5 dB/octave tilt
//! around 1 kHz, an 80 Hz high-pass (second order). With the default reference (the built-in
//! `music` curve):
//! - every unchanged song gets no suggestion larger than 6 dB;
//! - on every variant the changed region (or the tilt) is the top finding, its size within
//!   2 dB of the change (the tilt within 0.3 dB/octave of the change in the tilt reading);
//! - the reference's own material passes it: a curve built from three of the songs finds no
//!   fault with any of the three.
//!
//! Prints the table docs/reference-curves.md quotes. Run with `--nocapture` to see it.

#[path = "real_recordings/corpus.rs"]
mod corpus;

use mixmeter::diagnosis::{MISFIT_ID, TILT_ID, TonalComparison, compare_tonal};
use mixmeter::meter::spectrum::PowerSpectrum;
use mixmeter::reference::{Curve, CurveKind, builtin};
use std::path::{Path, PathBuf};
use std::process::Command;

/// (name, ffmpeg filter, changed region, change in dB or dB/octave).
const VARIANTS: &[(&str, &str, &str, f64)] = &[
    ("bell-300", "equalizer=f=300:t=q:w=1:g=6", "low_mids", 6.0),
    ("bell-4k", "equalizer=f=4000:t=q:w=1:g=6", "presence", 6.0),
    ("sub+6", "equalizer=f=40:t=q:w=1:g=6", "sub", 6.0),
    (
        "tilt+1.5",
        "firequalizer=gain='1.5*log(max(f\\,10)/1000)/log(2)':accuracy=2:delay=0.2",
        TILT_ID,
        1.5,
    ),
    ("hp-80", "highpass=f=80", "sub", f64::NAN),
];

/// Songs (of those the reference fits) on which each variant must come out right: all of
/// them, as the issue asks.
const MIN_RIGHT: [usize; 5] = [10, 10, 10, 10, 10];

/// Headroom for the boosts (the variants are written as 24-bit FLAC).
const HEADROOM: &str = "volume=-10dB";

/// The songs, built once for both tests (they run in parallel).
fn songs() -> &'static [(String, PathBuf)] {
    static SONGS: std::sync::OnceLock<Vec<(String, PathBuf)>> = std::sync::OnceLock::new();
    SONGS.get_or_init(|| {
        corpus::build_songs(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
    })
}

fn variant(song: &Path, name: &str, filter: &str) -> PathBuf {
    let dir = song.parent().unwrap().join("tonal-v1");
    std::fs::create_dir_all(&dir).unwrap();
    let stem = song.file_stem().unwrap().to_string_lossy();
    let out = dir.join(format!("{stem}.{name}.flac"));
    if !out.exists() {
        let tmp = dir.join(format!("tmp-{stem}.{name}.flac"));
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y", "-i"])
            .arg(song)
            .args(["-af", &format!("{HEADROOM},{filter}")])
            .args(["-c:a", "flac", "-sample_fmt", "s32", "-f", "flac"])
            .arg(&tmp)
            .status()
            .expect("ffmpeg");
        assert!(status.success(), "ffmpeg {filter} on {song:?}");
        std::fs::rename(&tmp, &out).unwrap();
    }
    out
}

fn spectrum(path: &Path) -> PowerSpectrum {
    mixmeter::reference::audio::spectrum_of_file(path).unwrap()
}

/// Runs `f` over `items` on two threads (the CI machine has two cores), in order.
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

fn top(c: &TonalComparison) -> String {
    match (&c.withheld, c.suggestions.first()) {
        (Some(w), _) => w.id().to_string(),
        (None, Some(s)) => format!(
            "{} {:+.1} ({:+.1} at {:.0} Hz)",
            s.region_id, s.deviation_db, s.size_db, s.frequency_hz
        ),
        (None, None) => "-".to_string(),
    }
}

fn regions(c: &TonalComparison) -> String {
    c.regions
        .iter()
        .map(|r| r.deviation_db.map_or(" --".into(), |d| format!("{d:+5.1}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The song's deviation from the reference at `hz`, smoothed over a third of an octave as the
/// comparison smooths it, dB.
fn smoothed_at(c: &TonalComparison, hz: f64) -> f64 {
    let i = c
        .points
        .iter()
        .enumerate()
        .min_by(|a, b| {
            (a.1.hz / hz)
                .ln()
                .abs()
                .total_cmp(&(b.1.hz / hz).ln().abs())
        })
        .map_or(0, |p| p.0);
    let (lo, hi) = (i.saturating_sub(4), (i + 5).min(c.points.len()));
    c.points[lo..hi]
        .iter()
        .map(|p| p.mix_db - p.reference_db)
        .sum::<f64>()
        / (hi - lo) as f64
}

/// The second-order Butterworth high-pass's power gain at `hz`, dB.
fn highpass_db(hz: f64, corner_hz: f64) -> f64 {
    -10.0 * (1.0 + (corner_hz / hz).powi(4)).log10()
}

/// Not met yet (issue 18 stays open): run with `--ignored --nocapture` for the table;
/// docs/reference-curves.md has the last run's numbers and what goes wrong.
#[test]
#[ignore = "issue 18 acceptance not met yet on real music: see docs/reference-curves.md"]
fn default_reference_gives_engineer_sized_advice_on_real_music() {
    let songs = songs();
    let curve = builtin::curve(builtin::DEFAULT_ID).unwrap();
    let mut jobs: Vec<(usize, Option<usize>, PathBuf)> = Vec::new();
    for (s, (_, path)) in songs.iter().enumerate() {
        jobs.push((s, None, path.clone()));
        for (v, (name, filter, _, _)) in VARIANTS.iter().enumerate() {
            jobs.push((s, Some(v), variant(path, name, filter)));
        }
    }
    let spectra = parallel(&jobs, |(_, _, path)| spectrum(path));
    let mut failures = Vec::new();
    let mut outcomes: Vec<Vec<(String, Result<(), String>)>> = vec![Vec::new(); VARIANTS.len()];
    let mut table = String::from(
        "| song | unchanged: tilt, regions sub..air (dB), largest advice | bell 300 | bell 4k | \
         sub +6 | tilt +1.5 | high-pass 80 |\n|---|---|---|---|---|---|---|\n",
    );
    for (s, (song, _)) in songs.iter().enumerate() {
        let at = |v: Option<usize>| {
            let i = jobs.iter().position(|j| j.0 == s && j.1 == v).unwrap();
            compare_tonal(&spectra[i], &curve).unwrap()
        };
        let plain = at(None);
        let misfit = plain.suggestions.iter().any(|x| x.region_id == MISFIT_ID);
        let largest = plain
            .suggestions
            .iter()
            .filter(|x| x.region_id != MISFIT_ID)
            .map(|x| x.size_db.abs())
            .fold(0.0, f64::max);
        if plain.withheld.is_some() || largest > 6.0 {
            failures.push(format!(
                "{song} unchanged: {:?} {:?}",
                plain.withheld, plain.suggestions
            ));
        }
        let mut row = format!(
            "| {song} | {:+.1} dB/oct; {}; {} |",
            plain.tilt_db_per_octave,
            regions(&plain),
            if misfit {
                "reference does not fit".to_string()
            } else if plain.suggestions.is_empty() {
                "none".to_string()
            } else {
                format!("{:.1} dB", largest)
            }
        );
        for (v, (_, _, region, change)) in VARIANTS.iter().enumerate() {
            let c = at(Some(v));
            row.push_str(&format!(" {} |", top(&c)));
            if misfit {
                continue;
            }
            let verdict = match c.suggestions.first() {
                None => Err(format!("no suggestion ({:?})", c.withheld)),
                Some(first) if first.region_id != *region => Err(format!("top: {}", first.text)),
                Some(first) => {
                    // The size against the change the filter made there: on the song's own
                    // reading at that frequency (the same song, unchanged, deviates too).
                    let (got, expected, tolerance) = if *region == TILT_ID {
                        (
                            c.tilt_db_per_octave - plain.tilt_db_per_octave,
                            *change,
                            0.3,
                        )
                    } else {
                        let before = smoothed_at(&plain, first.frequency_hz);
                        let expected = if change.is_nan() {
                            highpass_db(first.frequency_hz, 80.0)
                        } else {
                            *change
                        };
                        (first.size_db - before, expected, 2.0)
                    };
                    if (got - expected).abs() <= tolerance {
                        Ok(())
                    } else {
                        Err(format!(
                            "{got:+.1} against a change of {expected:+.1}: {}",
                            first.text
                        ))
                    }
                }
            };
            outcomes[v].push((song.clone(), verdict));
        }
        table.push_str(&row);
        table.push('\n');
    }
    println!("{table}");
    for (v, (name, _, _, _)) in VARIANTS.iter().enumerate() {
        let right = outcomes[v].iter().filter(|o| o.1.is_ok()).count();
        println!("{name}: {right} of {} songs right", outcomes[v].len());
        for (song, o) in &outcomes[v] {
            if let Err(e) = o {
                println!("  {song}: {e}");
            }
        }
        if right < MIN_RIGHT[v] {
            failures.push(format!("{name}: {right} right, {} expected", MIN_RIGHT[v]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_curve_built_from_songs_passes_each_of_them() {
    let songs = songs();
    let three: Vec<&PathBuf> = songs.iter().map(|s| &s.1).take(3).collect();
    let spectra = parallel(&three, |p| spectrum(p));
    let curves: Vec<Curve> = spectra
        .iter()
        .zip(&three)
        .map(|(s, p)| {
            let name = p.file_name().unwrap().to_string_lossy();
            Curve::from_spectrum(&name, CurveKind::Audio, &name, s).unwrap()
        })
        .collect();
    let curve = Curve::combine("three songs", "test", &curves).unwrap();
    for (s, p) in spectra.iter().zip(&three) {
        let c = compare_tonal(s, &curve).unwrap();
        assert!(
            c.suggestions.is_empty() && c.regions.iter().all(|r| !r.outside()),
            "{p:?}: tilt {:+.2} (±{:.2}) {:?} {:?}",
            c.tilt_db_per_octave,
            c.tilt_tolerance_db_per_octave,
            c.suggestions,
            c.regions
                .iter()
                .map(|r| (r.deviation_db, r.tolerance_low_db, r.tolerance_high_db))
                .collect::<Vec<_>>()
        );
    }
}
