//! The JSON output of `mixmeter analyze --json`: one record per input (docs/cli.md, "Output
//! schema").

use crate::analyze::ranked_suggestions;
use crate::targets::Check;
use mixmeter_core::analysis::FileAnalysis;
use mixmeter_core::diagnosis::TonalComparison;
use mixmeter_core::diagnosis::checks::{self, Item, Profile};
use mixmeter_core::diagnosis::stereo::{MonoCompatibility, StereoBand, Verdict};
use mixmeter_core::reference::Curve;
use serde_json::{Value, json};

/// Version of the JSON and CSV output (docs/cli.md, "Output schema").
pub(crate) const SCHEMA_VERSION: u32 = 8;
/// JSON number, or null for "no value".
pub(crate) fn number(value: Option<f64>) -> Value {
    value
        .filter(|v| v.is_finite())
        .map_or(Value::Null, |v| json!(v))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn to_json(
    a: &FileAnalysis,
    series: bool,
    ceiling_dbtp: Option<f64>,
    checks: &[Check],
    graded: Option<(&Profile, &[Item])>,
    tonal: Option<(&Curve, Option<&TonalComparison>)>,
) -> Value {
    let r = &a.readings;
    let channels = a.info.channels;
    let mut object = json!({
        "schema_version": SCHEMA_VERSION,
        "file": a.file,
        "codec": a.info.codec,
        "sample_rate": a.info.sample_rate_hz,
        "channels": channels,
        "channel_layout": a.info.layout.iter().map(|r| r.label()).collect::<Vec<_>>(),
        "duration_s": a.frames as f64 / a.info.sample_rate_hz as f64,
        "integrated_lufs": number(r.integrated_lufs),
        "loudness_range_lu": number(r.loudness_range_lu),
        "loudness_range_reliable": r.loudness_range_settled(),
        "max_momentary_lufs": number(r.max_momentary_lufs),
        "max_short_term_lufs": number(r.max_short_term_lufs),
        "true_peak_dbtp": number(r.max_true_peak_dbtp),
        "true_peak_dbtp_per_channel": r.true_peak_dbtp[..channels].iter().map(|v| number(*v)).collect::<Vec<_>>(),
        "sample_peak_dbfs": number(r.max_sample_peak_dbfs),
        "plr_db": number(r.plr_db),
        "crest_factor_db": number(r.crest_factor_db),
        "correlation": number(r.integrated_correlation),
        "mono_loss_lu": number(r.mono_loss_integrated_lu),
        "fold_down": a.fold.map_or(Value::Null, |f| json!({
            "stereo_lu": number(f.stereo_integrated_lu),
            "mono_lu": number(f.mono_integrated_lu),
            "stereo_true_peak_dbtp": number(f.stereo_true_peak_dbtp),
            "front_correlation": number(f.front_integrated_correlation),
        })),
        "non_finite_samples": r.non_finite_samples,
        "truncated": a.truncated_from().is_some(),
        "stated_duration_s": a.truncated_from().map_or(Value::Null, |n| json!(n as f64 / a.info.sample_rate_hz as f64)),
        "error": a.truncation(),
        "dual_mono": a.dual_mono,
        "max_true_peak_at_s": number(a.max_true_peak_at_s()),
        "max_short_term_at_s": number(a.max_short_term_at_s()),
        "overs": a.moments.over_ceiling_gain.map_or(Value::Null, |_| json!({
            "ceiling_dbtp": ceiling_dbtp,
            "count": a.moments.overs,
            "first_s": a.over_times_s(),
        })),
    });
    if !checks.is_empty() {
        object["targets"] = checks.iter().map(Check::to_json).collect();
    }
    object["suggestions"] = ranked_suggestions(a, tonal.and_then(|t| t.1))
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "rank": i + 1,
                "kind": s.kind.id(),
                "text": s.text,
                "evidence": s.evidence,
                "confidence": s.confidence,
            })
        })
        .collect();
    if let Some((profile, items)) = graded {
        object["checks"] = checks_json(profile, items);
    }
    object["stereo"] = a.stereo.as_ref().map_or(Value::Null, stereo_json);
    if let Some((curve, comparison)) = tonal {
        object["tonal"] = tonal_json(curve, comparison);
    }
    if series {
        object["momentary_lufs"] = a.momentary.iter().map(|v| number(*v)).collect();
        object["short_term_lufs"] = a.short_term.iter().map(|v| number(*v)).collect();
    }
    object
}

/// The JSON record of an input that could not be analyzed (docs/cli.md, "Output schema").
pub(crate) fn error_json(file: &str, error: &str) -> Value {
    json!({"schema_version": SCHEMA_VERSION, "file": file, "error": error})
}

/// The `checks` object of the JSON output (docs/cli.md, "Output schema").
pub(crate) fn checks_json(profile: &Profile, items: &[Item]) -> Value {
    json!({
        "profile": profile.id,
        "name": profile.name,
        "worst": checks::worst(items).map(|s| s.id()),
        "items": items.iter().map(|i| json!({
            "id": i.id,
            "label": i.label,
            "status": i.status.map(|s| s.id()),
            "value": number(i.value),
            "unit": i.measure.unit(),
            "evidence": i.evidence,
            "source": i.source,
        })).collect::<Vec<_>>(),
    })
}

/// The `tonal` object of the JSON output (docs/cli.md, "Output schema").
pub(crate) fn tonal_json(curve: &Curve, comparison: Option<&TonalComparison>) -> Value {
    let reference = json!({"name": curve.name, "kind": curve.kind, "source": curve.source});
    let Some(c) = comparison else {
        return json!({"reference": reference, "level_offset_db": null, "regions": [], "suggestions": []});
    };
    json!({
        "reference": reference,
        "level_offset_db": number(Some(c.offset_db)),
        "tilt_db_per_octave": number(Some(c.tilt_db_per_octave)),
        "tilt_tolerance_db_per_octave": c.tilt_tolerance_db_per_octave,
        "withheld": c.withheld.map(|w| w.reason()),
        "regions": c.regions.iter().map(|r| json!({
            "id": r.region.id,
            "name": r.region.name,
            "low_hz": r.region.low_hz,
            "high_hz": r.region.high_hz,
            "deviation_db": number(r.deviation_db),
            "tolerance_low_db": r.tolerance_low_db,
            "tolerance_high_db": r.tolerance_high_db,
            "outside": r.outside(),
        })).collect::<Vec<_>>(),
        "suggestions": c.suggestions.iter().map(|s| json!({
            "region": s.region_id,
            "deviation_db": s.deviation_db,
            "frequency_hz": s.frequency_hz,
            "size_db": s.size_db,
            "text": s.text,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn band_json(b: &StereoBand) -> Value {
    json!({
        "low_hz": b.low_hz,
        "high_hz": b.high_hz,
        "correlation": number(b.correlation),
        "width_db": number(b.width_db),
        "mono_loss_lu": number(b.mono_loss_lu),
        "share_db": number(b.share_db),
        "flagged": b.flagged,
    })
}

/// The `stereo` object of the JSON output (docs/cli.md, "Output schema").
pub(crate) fn stereo_json(s: &MonoCompatibility) -> Value {
    json!({
        "verdict": s.verdict.map(Verdict::id),
        "correlation": number(s.correlation),
        "mono_loss_lu": number(s.mono_loss_lu),
        "low_end": band_json(&s.low_end),
        "regions": s.regions.iter().map(|r| {
            let mut v = band_json(&r.readings);
            v["id"] = json!(r.region.id);
            v["name"] = json!(r.region.name);
            v
        }).collect::<Vec<_>>(),
        "bands": s.bands.iter().map(band_json).collect::<Vec<_>>(),
        "worst_bands": s.worst_bands.iter().map(|&b| band_json(&s.bands[b])).collect::<Vec<_>>(),
        "suggestions": s.suggestions.iter().map(|g| json!({
            "finding": g.finding.id(),
            "low_hz": g.low_hz,
            "high_hz": g.high_hz,
            "text": g.text,
        })).collect::<Vec<_>>(),
    })
}
