//! Real-recordings tier: Mixmeter's analyzer on real music, stems and speech from Debian
//! packages and ffmpeg-made variants of them (formats, rates 8-384 kHz, mono to 7.1, clipped,
//! quiet, short), against independent meters. Corpus, licences and method:
//! docs/real-recordings.md. Every check over the whole corpus is collected; the test fails once
//! at the end with a table of the failures. It also writes the worst difference per class and
//! quantity to target/real-recordings/table.md (scripts/real-recordings-table.sh puts it in the
//! README).
//!
//! Where an independent meter is known to be wrong, it is not the reference:
//! - ffmpeg's `ebur128` filter weighs every back or side channel 1.41 (its BACK_MASK includes
//!   the back centre and 7.1's rear pair). BS.1770-5 (Annex 1, Table 4, the rule for BS.2051
//!   positions) gives 1.41 only below 30 degrees elevation at 60-120 degrees azimuth: 5.1's
//!   surrounds at +-110 and 7.1's sides at +-90, and 1.0 to a back centre (180) and to 7.1's
//!   rear pair (+-135..150). For 6.1 and 7.1 files integrated loudness is checked against
//!   libebur128 with a BS.1770-5 channel map and the driver's own exact computation, and LRA
//!   against the driver's own 10 Hz loudness range, instead of ffmpeg.
//! - ffmpeg's and libebur128's true peaks oversample 4x (below 96 kHz): the reference is a
//!   libsoxr reconstruction at 768 kHz or more instead. They are kept in the results only.
//! - libebur128 takes short-term values for LRA at 1 Hz, below Tech 3342's 10 Hz: LRA is
//!   checked against ffmpeg's filter (10 Hz) and reported for libebur128 only.

#[path = "../common/cli.rs"]
mod cli;
mod corpus;
mod mastering;
mod meters;
mod session;
mod verdicts;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

const INTEGRATED_TOLERANCE_LU: f64 = 0.05;
const LRA_TOLERANCE_LU: f64 = 0.2;
/// LRA is checked on files this long or longer.
const LRA_MIN_DURATION_S: f64 = 20.0;
const MAX_LOUDNESS_TOLERANCE_LU: f64 = 0.05;
const TRUE_PEAK_TOLERANCE_DB: f64 = 0.1;
/// True peak may read above the reconstruction by at most this much.
const TRUE_PEAK_OVER_DB: f64 = 0.05;
const SAMPLE_PEAK_TOLERANCE_DB: f64 = 0.01;

/// One comparison: a reading of ours against an independent one.
#[derive(Debug, Clone)]
struct Check {
    file: String,
    class: &'static str,
    quantity: String,
    against: &'static str,
    ours: Option<f64>,
    theirs: Option<f64>,
    /// Allowed |ours - theirs|, and (true peak) the most ours may exceed theirs by.
    tolerance: f64,
    max_over: Option<f64>,
}

impl Check {
    fn difference(&self) -> Option<f64> {
        Some(self.ours? - self.theirs?)
    }
    fn passes(&self) -> bool {
        match (self.ours, self.theirs) {
            (None, None) => true,
            (Some(o), Some(t)) => {
                let d = o - t;
                d.abs() <= self.tolerance && self.max_over.is_none_or(|m| d <= m)
            }
            _ => false,
        }
    }
}

fn db(gain: f64) -> Option<f64> {
    (gain > 0.0).then(|| 20.0 * gain.log10())
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("none".to_string(), |v| format!("{v:.3}"))
}

fn checks_for(item: &corpus::Item, ours: &Value, reference: &meters::Reference) -> Vec<Check> {
    let file = item
        .path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let d = &reference.driver;
    let lib = &d["libebur128"];
    let own = &d["own"];
    let mut checks = Vec::new();
    let mut add =
        |quantity: &str, against, ours: Option<f64>, theirs: Option<f64>, tolerance, max_over| {
            checks.push(Check {
                file: file.clone(),
                class: item.class,
                quantity: quantity.to_string(),
                against,
                ours,
                theirs,
                tolerance,
                max_over,
            })
        };
    let integrated = ours["integrated_lufs"].as_f64();
    if item.ffmpeg_weights_wrong {
        add(
            "integrated",
            "own BS.1770-5",
            integrated,
            own["integrated"].as_f64(),
            INTEGRATED_TOLERANCE_LU,
            None,
        );
    } else {
        add(
            "integrated",
            "ffmpeg",
            integrated,
            reference.ffmpeg.integrated,
            INTEGRATED_TOLERANCE_LU,
            None,
        );
    }
    add(
        "integrated",
        "libebur128",
        integrated,
        lib["integrated"].as_f64(),
        INTEGRATED_TOLERANCE_LU,
        None,
    );

    let duration_s = d["frames"].as_f64().unwrap() / reference.rate as f64;
    if duration_s >= LRA_MIN_DURATION_S {
        let lra = ours["loudness_range_lu"].as_f64();
        if item.ffmpeg_weights_wrong {
            add(
                "LRA",
                "own 10 Hz",
                lra,
                own["lra_10hz"].as_f64(),
                LRA_TOLERANCE_LU,
                None,
            );
        } else {
            add(
                "LRA",
                "ffmpeg",
                lra,
                reference.ffmpeg.lra,
                LRA_TOLERANCE_LU,
                None,
            );
        }
    }
    add(
        "max momentary",
        "one-sample hop",
        ours["max_momentary_lufs"].as_f64(),
        own["max_momentary"].as_f64(),
        MAX_LOUDNESS_TOLERANCE_LU,
        None,
    );
    add(
        "max short-term",
        "one-sample hop",
        ours["max_short_term_lufs"].as_f64(),
        own["max_short_term"].as_f64(),
        MAX_LOUDNESS_TOLERANCE_LU,
        None,
    );

    let ours_tp = ours["true_peak_dbtp_per_channel"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let reconstructed = d["reconstructed_peak"].as_array().unwrap();
    for (ch, recon) in reconstructed.iter().enumerate() {
        let quantity = if reconstructed.len() == 1 {
            "true peak".to_string()
        } else {
            format!("true peak ch{ch}")
        };
        add(
            &quantity,
            "16x+ soxr",
            ours_tp.get(ch).and_then(Value::as_f64),
            db(recon.as_f64().unwrap()),
            TRUE_PEAK_TOLERANCE_DB,
            Some(TRUE_PEAK_OVER_DB),
        );
    }
    let decoded_peak = d["decoded_peak"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .fold(0.0, f64::max);
    add(
        "sample peak",
        "ffmpeg decode",
        ours["sample_peak_dbfs"].as_f64(),
        db(decoded_peak),
        SAMPLE_PEAK_TOLERANCE_DB,
        None,
    );
    checks
}

/// Worst |difference| per class and quantity, as a markdown table.
fn class_table(checks: &[Check]) -> String {
    const QUANTITIES: &[(&str, &str)] = &[
        ("integrated", "integrated (LU)"),
        ("LRA", "LRA (LU)"),
        ("max momentary", "max M (LU)"),
        ("max short-term", "max S (LU)"),
        ("true peak", "true peak (dB)"),
        ("sample peak", "sample peak (dB)"),
    ];
    let mut worst: BTreeMap<&str, BTreeMap<&str, (f64, bool, usize)>> = BTreeMap::new();
    let mut files: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for c in checks {
        files.entry(c.class).or_default().insert(&c.file);
        let key = QUANTITIES
            .iter()
            .find(|(q, _)| c.quantity.starts_with(q))
            .unwrap()
            .0;
        let entry = worst
            .entry(c.class)
            .or_default()
            .entry(key)
            .or_insert((0.0, true, 0));
        let d = c.difference().map_or(f64::INFINITY, f64::abs);
        entry.0 = entry.0.max(d);
        entry.1 &= c.passes();
        entry.2 += 1;
    }
    let mut out = String::from("| class | files |");
    for (_, title) in QUANTITIES {
        write!(out, " {title} |").unwrap();
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(QUANTITIES.len()));
    out.push('\n');
    for (class, per) in &worst {
        write!(out, "| {class} | {} |", files[class].len()).unwrap();
        for (q, _) in QUANTITIES {
            match per.get(q) {
                Some((d, ok, _)) => {
                    let value = if d.is_finite() {
                        format!("{d:.3}")
                    } else {
                        "no value".into()
                    };
                    if *ok {
                        write!(out, " {value} |")
                    } else {
                        write!(out, " **{value} FAIL** |")
                    }
                    .unwrap()
                }
                None => out.push_str(" - |"),
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn real_recordings_against_independent_meters() {
    let started = Instant::now();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let corpus = corpus::build(&target);
    let built = started.elapsed();
    let driver = meters::compile_driver(&corpus.dir);

    // Two workers (the CI machine has two cores); each file runs its meters one after another.
    let next = Mutex::new(0usize);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(item) = corpus.items.get(i) else {
                        break;
                    };
                    let reference = meters::reference(&driver, &item.path, item.roles);
                    let ours = meters::ours(&item.path);
                    results.lock().unwrap().push((
                        i,
                        checks_for(item, &ours.json, &reference),
                        ours,
                        reference,
                    ));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);
    let checks: Vec<Check> = results.iter().flat_map(|r| r.1.clone()).collect();

    // Everything measured, per file, for whoever reads the figures.
    let all: Vec<Value> = results
        .iter()
        .map(|(i, _, ours, reference)| {
            serde_json::json!({
                "file": corpus.items[*i].path.file_name().unwrap().to_string_lossy(),
                "class": corpus.items[*i].class,
                "ours": ours.json,
                "ffmpeg": {"integrated": reference.ffmpeg.integrated, "lra": reference.ffmpeg.lra,
                           "true_peak_linear": reference.ffmpeg.true_peak},
                "driver": reference.driver,
            })
        })
        .collect();
    let out_dir = target.join("real-recordings");
    std::fs::write(
        out_dir.join("results.json"),
        serde_json::to_string_pretty(&all).unwrap(),
    )
    .unwrap();
    let table = class_table(&checks);
    let elapsed = started.elapsed();
    let summary = format!(
        "{} files in {} classes, {} checks; corpus ready in {:.1} s ({:.1} MB downloaded this run), \
         whole tier {:.1} s.\n",
        corpus.items.len(),
        checks
            .iter()
            .map(|c| c.class)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        checks.len(),
        built.as_secs_f64(),
        corpus.downloaded_bytes as f64 / 1e6,
        elapsed.as_secs_f64()
    );
    std::fs::write(out_dir.join("table.md"), format!("{table}\n{summary}")).unwrap();
    println!("{}\n{table}\n{summary}", corpus.provenance);

    let failures: Vec<&Check> = checks.iter().filter(|c| !c.passes()).collect();
    if !failures.is_empty() {
        let mut report = format!(
            "{} of {} checks failed (tolerances: integrated {INTEGRATED_TOLERANCE_LU} LU, LRA \
             {LRA_TOLERANCE_LU} LU, max M/S {MAX_LOUDNESS_TOLERANCE_LU} LU, true peak \
             {TRUE_PEAK_TOLERANCE_DB} dB and at most +{TRUE_PEAK_OVER_DB} dB over, sample peak \
             {SAMPLE_PEAK_TOLERANCE_DB} dB):\n\n| file | class | quantity | ours | theirs | against | difference |\n|---|---|---|---|---|---|---|\n",
            failures.len(),
            checks.len()
        );
        for c in &failures {
            writeln!(
                report,
                "| {} | {} | {} | {} | {} | {} | {} |",
                c.file,
                c.class,
                c.quantity,
                fmt(c.ours),
                fmt(c.theirs),
                c.against,
                c.difference()
                    .map_or("no value on one side".into(), |d| format!("{d:+.3}"))
            )
            .unwrap();
        }
        std::fs::write(out_dir.join("failures.md"), &report).unwrap();
        panic!("{report}");
    }
}
