//! The CSV output of `mixmeter analyze --csv`: one row per input, the columns of the JSON
//! record's scalar fields.

use crate::targets::Check;
use mixmeter_core::diagnosis::checks::{self, Item, Profile};
use mixmeter_core::diagnosis::platforms::Target;
use mixmeter_core::diagnosis::{REGIONS, TonalComparison};
use serde_json::Value;

/// CSV field: empty for no value, quoted when needed.
pub(crate) fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

pub(crate) fn csv_number(value: Option<f64>) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(String::new, |v| format!("{v:.3}"))
}

pub(crate) const CSV_COLUMNS: &[&str] = &[
    "file",
    "codec",
    "sample_rate",
    "channels",
    "duration_s",
    "integrated_lufs",
    "loudness_range_lu",
    "loudness_range_reliable",
    "max_momentary_lufs",
    "max_short_term_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "plr_db",
    "crest_factor_db",
    "correlation",
    "mono_loss_lu",
    "non_finite_samples",
    "mono_verdict",
    "truncated",
    "error",
];
/// Columns added after `error`, so the earlier columns keep their places: in schema 7 the first
/// three, in schema 9 the clipped runs.
pub(crate) const CSV_WHERE_COLUMNS: &[&str] = &[
    "max_true_peak_at_s",
    "max_short_term_at_s",
    "dual_mono",
    "clipped_runs",
    "longest_clipped_run",
];

pub(crate) fn csv_header(
    targets: &[Target],
    profile: Option<&Profile>,
    tonal: bool,
    overs: bool,
    album: bool,
) -> String {
    let mut columns: Vec<String> = CSV_COLUMNS
        .iter()
        .chain(CSV_WHERE_COLUMNS)
        .map(|c| c.to_string())
        .collect();
    if overs {
        columns.push("overs".to_string());
        columns.push("overs_first_s".to_string());
    }
    for t in targets {
        columns.push(format!("{}_gain_db", t.id));
        columns.push(format!("{}_true_peak_after_dbtp", t.id));
        columns.push(format!("{}_pass", t.id));
    }
    if let Some(profile) = profile {
        columns.push("check_worst".to_string());
        for check in &profile.checks {
            columns.push(format!("check_{}", check.id));
        }
    }
    if tonal {
        for region in REGIONS {
            columns.push(format!("tonal_{}_db", region.id));
        }
    }
    if album {
        columns.push("album_relative_lu".to_string());
    }
    columns.join(",")
}

/// The CSV row of an input that could not be analyzed: its name and error, the rest empty.
pub(crate) fn csv_error_row(file: &str, error: &str, columns: usize) -> String {
    let mut fields = vec![String::new(); columns];
    fields[0] = csv_field(file);
    fields[CSV_COLUMNS.len() - 1] = csv_field(error);
    fields.join(",")
}

/// One column of the file's JSON record: the field of the same name (`mono_verdict` is the
/// stereo verdict), so the CSV and the JSON cannot disagree. Numbers with three decimals,
/// integers as they are, no value empty.
fn record_field(record: &Value, column: &str) -> String {
    let value = match column {
        "mono_verdict" => &record["stereo"]["verdict"],
        _ => &record[column],
    };
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => csv_number(n.as_f64()),
        Value::Number(n) => n.to_string(),
        Value::String(s) => csv_field(s),
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    }
}

/// The CSV row of an analyzed file from its JSON record ([`crate::json::FileRecord`]), with
/// the columns of the targets, the checklist and the tonal comparison asked for.
pub(crate) fn csv_row(
    record: &Value,
    checks: &[Check],
    graded: Option<(&Profile, &[Item])>,
    tonal: Option<Option<&TonalComparison>>,
) -> String {
    let mut fields: Vec<String> = CSV_COLUMNS
        .iter()
        .chain(CSV_WHERE_COLUMNS)
        .map(|column| record_field(record, column))
        .collect();
    if let Some(overs) = record["overs"].as_object() {
        fields.push(overs["count"].to_string());
        let times: Vec<String> = overs["first_s"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_f64)
            .map(|t| format!("{t:.3}"))
            .collect();
        fields.push(times.join(";"));
    }
    for c in checks {
        fields.push(csv_number(c.preview.gain_db));
        fields.push(csv_number(c.preview.true_peak_after_dbtp));
        fields.push(c.preview.pass.to_string());
    }
    if let Some((_, items)) = graded {
        fields.push(checks::worst(items).map_or("", |s| s.id()).to_string());
        for item in items {
            fields.push(item.status.map_or("", |s| s.id()).to_string());
        }
    }
    if let Some(comparison) = tonal {
        for (i, _) in REGIONS.iter().enumerate() {
            fields.push(csv_number(
                comparison.and_then(|c| c.regions[i].deviation_db),
            ));
        }
    }
    fields.join(",")
}
