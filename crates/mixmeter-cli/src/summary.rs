//! The readable summary `mixmeter analyze` prints by default, and the table of several files.

use mixmeter_core::analysis::FileAnalysis;
use mixmeter_core::diagnosis::TonalComparison;
use mixmeter_core::diagnosis::checks::{self, Item, Profile};
use mixmeter_core::diagnosis::stereo::{MonoCompatibility, Verdict, signed_tenths};
use mixmeter_core::diagnosis::suggestions::Candidate;
use mixmeter_core::meter::engine::{RANGE_SETTLED_S, Readings};
use mixmeter_core::meter::fold::FoldReadings;
use mixmeter_core::meter::stereo::WIDTH_LIMIT_DB;
use mixmeter_core::reference::Curve;
use serde_json::Value;
/// The ranked suggestions in the readable summary.
pub(crate) fn print_suggestions(list: &[Candidate]) {
    if list.is_empty() {
        return;
    }
    println!("  Suggestions");
    for (i, s) in list.iter().enumerate() {
        println!(
            "    {}. {} ({:.0} % confidence)",
            i + 1,
            s.text,
            100.0 * s.confidence
        );
        println!("       {}", s.evidence);
    }
}

/// The checklist in the readable summary.
pub(crate) fn print_checks(profile: &Profile, items: &[Item]) {
    println!("  {}", profile.name);
    for item in items {
        let status = item.status.map_or("--", |s| match s {
            checks::Status::Pass => "pass",
            checks::Status::Warn => "WARN",
            checks::Status::Fail => "FAIL",
        });
        println!("    {status:<4}  {:<24} {}", item.label, item.evidence);
    }
}

pub(crate) fn print_stereo(s: &MonoCompatibility) {
    println!(
        "  Mono compatibility    {}",
        s.verdict.map_or("no value", Verdict::label)
    );
    for r in &s.regions {
        let b = &r.readings;
        let correlation = b.correlation.map_or("no value".to_string(), |c| {
            format!("{:+.2}", (c * 100.0).round() / 100.0 + 0.0)
        });
        let width = match b.width_db {
            Some(w) if w <= -WIDTH_LIMIT_DB => "mono".to_string(),
            Some(w) if w >= WIDTH_LIMIT_DB => "all side".to_string(),
            Some(w) => format!("{:+.1} dB", signed_tenths(w)),
            None => "no value".to_string(),
        };
        let loss = match (b.mono_loss_lu, b.share_db) {
            (Some(l), _) => format!("{:.1} LU", l + 0.0),
            (None, Some(_)) => "cancels".to_string(),
            (None, None) => "no value".to_string(),
        };
        println!(
            "      {:<20} correlation {correlation:>8}  side/mid {width:>9}  mono {loss:>8}",
            r.region.name
        );
    }
    for g in &s.suggestions {
        println!("    - {}", g.text);
    }
}

pub(crate) fn print_tonal(curve: &Curve, comparison: Option<&TonalComparison>) {
    println!("  Tonal balance against \"{}\"", curve.name);
    let Some(c) = comparison else {
        println!("      no value (silence, or no audio in the curve's range)");
        return;
    };
    println!("      {:<20} {}", "tilt", c.tilt_text());
    for r in &c.regions {
        let value = match r.deviation_db {
            Some(d) => format!("{d:+5.1} dB"),
            None => "no value".to_string(),
        };
        let flag = if r.outside() { "  outside" } else { "" };
        println!(
            "      {:<20} {value}  (tolerance {:+.1} to {:+.1}){flag}",
            r.region.name, r.tolerance_low_db, r.tolerance_high_db
        );
    }
    if let Some(w) = c.withheld {
        println!("    {}", w.reason());
    }
    for s in &c.suggestions {
        println!("    - {}", s.text);
    }
}

pub(crate) fn text(value: Option<f64>, unit: &str) -> String {
    match value {
        // A value that rounds to zero reads 0.0, not -0.0 (a true peak of -0.02 dBTP).
        Some(v) if v.is_finite() => format!("{:.1} {unit}", signed_tenths(v)),
        _ => "no value".to_string(),
    }
}

/// A time as seconds and, from a minute on, minutes:seconds ("83.456 s (1:23.456)").
pub(crate) fn clock(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.3} s")
    } else {
        let minutes = (seconds / 60.0).floor();
        format!(
            "{seconds:.3} s ({minutes:.0}:{:06.3})",
            seconds - 60.0 * minutes
        )
    }
}

/// The summary's reading rows: the label, the file record's field it shows (the JSON field and
/// CSV column of the same name, [`crate::json::FileRecord`]) and the unit.
const READING_ROWS: [(&str, &str, &str); 8] = [
    ("Integrated loudness", "integrated_lufs", "LUFS"),
    ("Loudness range", "loudness_range_lu", "LU"),
    ("Max momentary", "max_momentary_lufs", "LUFS"),
    ("Max short-term", "max_short_term_lufs", "LUFS"),
    ("True peak", "true_peak_dbtp", "dBTP"),
    ("Sample peak", "sample_peak_dbfs", "dBFS"),
    ("PLR", "plr_db", "dB"),
    ("Crest factor", "crest_factor_db", "dB"),
];

/// The readable summary of one file, its readings taken from the file's record.
pub(crate) fn print_summary(a: &FileAnalysis, record: &Value, ceiling_dbtp: Option<f64>) {
    let r = &a.readings;
    let seconds = a.frames as f64 / a.info.sample_rate_hz as f64;
    println!("{}", a.file);
    println!(
        "  {} Hz, {} channel{}, {:.1} s",
        a.info.sample_rate_hz,
        a.info.channels,
        if a.info.channels == 1 { "" } else { "s" },
        seconds
    );
    for (label, field, unit) in READING_ROWS {
        let note = match field {
            "loudness_range_lu" if r.loudness_range_lu.is_some() && !r.loudness_range_settled() => {
                format!(
                    " (under {RANGE_SETTLED_S:.0} s measured: too short for loudness range to \
                     describe a programme, EBU Tech 3341/R128 s1)"
                )
            }
            "max_short_term_lufs" => a.max_short_term_at_s().map_or(String::new(), |t| {
                format!(", the loudest 3 s from {}", clock(t))
            }),
            "true_peak_dbtp" => a
                .max_true_peak_at_s()
                .map_or(String::new(), |t| format!(" at {}", clock(t))),
            _ => String::new(),
        };
        println!("  {label:<22}{}{note}", text(record[field].as_f64(), unit));
    }
    if a.info.channels > 2 {
        let roles: Vec<&str> = a.info.layout.iter().map(|r| r.label()).collect();
        println!("  Layout                {}", roles.join(" "));
    }
    if let Some(fold) = &a.fold {
        print_fold(r, fold);
    }
    if a.info.channels == 2 {
        match r.integrated_correlation {
            Some(c) => println!("  Correlation           {c:+.2}"),
            None => println!("  Correlation           no value"),
        }
        println!(
            "  Mono loss             {}",
            text(r.mono_loss_integrated_lu, "LU")
        );
    }
    if let (Some(ceiling), Some(_)) = (ceiling_dbtp, a.moments.over_ceiling_gain) {
        let times = a.over_times_s();
        let listed: Vec<String> = times.iter().map(|&t| clock(t)).collect();
        let overs = a.moments.overs;
        println!(
            "  Overs                 {overs} over {ceiling:.1} dBTP{}",
            if overs == 0 {
                String::new()
            } else if overs as usize > times.len() {
                format!(", the first {} at {}", times.len(), listed.join(", "))
            } else {
                format!(" at {}", listed.join(", "))
            }
        );
    }
    if a.dual_mono {
        println!("  Dual mono             measured as played on both channels (+3.01 LU)");
    }
    println!(
        "  Clipped runs          {}",
        mixmeter_core::meter::clips::describe(r.clipped_runs, r.longest_clipped_run)
    );
    if r.non_finite_samples > 0 {
        println!("  Non-finite samples    {} (skipped)", r.non_finite_samples);
    }
    if let Some(detail) = a.truncation_detail() {
        println!("  Truncated             {detail}");
    }
}

/// The ITU-R BS.775 fold-down of a file of more than two channels (docs/surround.md): the
/// loudness of the stereo and mono downmixes (and their change from the file's), and the
/// stereo downmix's true peak, which can be over full scale where no channel is.
fn print_fold(r: &Readings, fold: &FoldReadings) {
    let folded = |change: Option<f64>| match (r.integrated_lufs, change) {
        (Some(i), Some(c)) => format!("{:.1} LUFS ({:+.1} LU)", i + c, signed_tenths(c)),
        _ => "no value".to_string(),
    };
    println!(
        "  Stereo fold-down      {}, true peak {} (BS.775, LFE left out)",
        folded(fold.stereo_integrated_lu),
        fold.stereo_true_peak_dbtp
            .map_or("no value".to_string(), |p| format!(
                "{:+.1} dBTP",
                signed_tenths(p)
            ))
    );
    println!(
        "  Mono fold-down        {}",
        folded(fold.mono_integrated_lu)
    );
}

/// The summary table after several files.
pub(crate) fn print_table(rows: &[(String, Option<Readings>, bool)], with_targets: bool) {
    let cell = |v: Option<f64>| {
        v.filter(|v| v.is_finite())
            .map_or("-".to_string(), |v| format!("{:.1}", signed_tenths(v)))
    };
    let width = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    println!();
    println!(
        "{:<width$}  {:>9}  {:>6}  {:>9}  {:>6}{}",
        "File",
        "LUFS",
        "LRA",
        "dBTP",
        "PLR",
        if with_targets { "  checks" } else { "" }
    );
    for (file, readings, pass) in rows {
        let shown: String = if file.chars().count() > width {
            let tail: String = file
                .chars()
                .rev()
                .take(width - 3)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("...{tail}")
        } else {
            file.clone()
        };
        match readings {
            Some(r) => println!(
                "{shown:<width$}  {:>9}  {:>6}  {:>9}  {:>6}{}",
                cell(r.integrated_lufs),
                cell(r.loudness_range_lu),
                cell(r.max_true_peak_dbtp),
                cell(r.plr_db),
                if with_targets {
                    if *pass { "  pass" } else { "  FAIL" }
                } else {
                    ""
                }
            ),
            None => println!("{shown:<width$}  unreadable"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn a_value_that_rounds_to_zero_has_no_sign() {
        assert_eq!(text(Some(-0.02), "dBTP"), "0.0 dBTP");
        assert_eq!(text(Some(-0.0), "dB"), "0.0 dB");
        assert_eq!(text(Some(0.04), "dB"), "0.0 dB");
        assert_eq!(text(Some(-0.06), "dBTP"), "-0.1 dBTP");
        assert_eq!(text(Some(-1.26), "LUFS"), "-1.3 LUFS");
        assert_eq!(text(None, "LU"), "no value");
        assert_eq!(text(Some(f64::NAN), "LU"), "no value");
    }
}
