//! The JSON output of `mixmeter analyze --json`: one record per input (docs/cli.md, "Output
//! schema").

use crate::analyze::ranked_suggestions;
use crate::targets::Check;
use mixmeter_core::analysis::FileAnalysis;
use mixmeter_core::diagnosis::TonalComparison;
use mixmeter_core::diagnosis::checks::{self, Item, Profile};
use mixmeter_core::diagnosis::stereo::{MonoCompatibility, StereoBand, Verdict};
use mixmeter_core::diagnosis::suggestions::Candidate;
use mixmeter_core::reference::Curve;
use mixmeter_core::reference::CurveKind;
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

/// Version of the JSON and CSV output (docs/cli.md, "Output schema").
pub(crate) const SCHEMA_VERSION: u32 = 9;
/// JSON number, or null for "no value".
pub(crate) fn number(value: Option<f64>) -> Value {
    value
        .filter(|v| v.is_finite())
        .map_or(Value::Null, |v| json!(v))
}

/// A number, or null for "no value" (a non-finite value is no value too).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number(pub(crate) Option<f64>);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.filter(|v| v.is_finite()) {
            Some(v) => serializer.serialize_f64(v),
            None => serializer.serialize_none(),
        }
    }
}

/// One analyzed file: the schema's fields, in one place (docs/cli.md, "Output schema"). The
/// CSV row takes its scalar columns from this record ([`crate::csv::csv_row`]).
#[derive(Serialize)]
pub(crate) struct FileRecord<'a> {
    schema_version: u32,
    file: &'a str,
    codec: &'a str,
    sample_rate: u32,
    channels: usize,
    channel_layout: Vec<&'static str>,
    duration_s: f64,
    integrated_lufs: Number,
    loudness_range_lu: Number,
    loudness_range_reliable: bool,
    max_momentary_lufs: Number,
    max_short_term_lufs: Number,
    true_peak_dbtp: Number,
    true_peak_dbtp_per_channel: Vec<Number>,
    sample_peak_dbfs: Number,
    plr_db: Number,
    crest_factor_db: Number,
    correlation: Number,
    mono_loss_lu: Number,
    fold_down: Option<FoldRecord>,
    non_finite_samples: u64,
    clipped_runs: u64,
    longest_clipped_run: u32,
    truncated: bool,
    stated_duration_s: Option<f64>,
    error: Option<String>,
    dual_mono: bool,
    max_true_peak_at_s: Number,
    max_short_term_at_s: Number,
    overs: Option<OversRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<Vec<Value>>,
    suggestions: Vec<SuggestionRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<ChecksRecord<'a>>,
    stereo: Option<StereoRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tonal: Option<TonalRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    momentary_lufs: Option<Vec<Number>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_term_lufs: Option<Vec<Number>>,
}

#[derive(Serialize)]
struct FoldRecord {
    stereo_lu: Number,
    mono_lu: Number,
    stereo_true_peak_dbtp: Number,
    front_correlation: Number,
}

#[derive(Serialize)]
struct OversRecord {
    ceiling_dbtp: Option<f64>,
    count: u64,
    first_s: Vec<f64>,
}

#[derive(Serialize)]
struct SuggestionRecord<'a> {
    rank: usize,
    kind: &'static str,
    text: &'a str,
    evidence: &'a str,
    confidence: f64,
}

#[derive(Serialize)]
struct ChecksRecord<'a> {
    profile: &'a str,
    name: &'a str,
    worst: Option<&'static str>,
    passes: bool,
    items: Vec<CheckItemRecord<'a>>,
}

#[derive(Serialize)]
struct CheckItemRecord<'a> {
    id: &'a str,
    label: &'a str,
    status: Option<&'static str>,
    value: Number,
    unit: &'static str,
    evidence: &'a str,
    source: &'a str,
}

#[derive(Serialize)]
struct TonalRecord<'a> {
    reference: ReferenceRecord<'a>,
    level_offset_db: Number,
    #[serde(skip_serializing_if = "Option::is_none")]
    tilt_db_per_octave: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tilt_tolerance_db_per_octave: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    withheld: Option<Option<String>>,
    regions: Vec<TonalRegionRecord>,
    suggestions: Vec<TonalSuggestionRecord<'a>>,
}

#[derive(Serialize)]
struct ReferenceRecord<'a> {
    name: &'a str,
    kind: CurveKind,
    source: &'a str,
}

#[derive(Serialize)]
struct TonalRegionRecord {
    id: &'static str,
    name: &'static str,
    low_hz: f64,
    high_hz: f64,
    deviation_db: Number,
    tolerance_low_db: f64,
    tolerance_high_db: f64,
    outside: bool,
}

#[derive(Serialize)]
struct TonalSuggestionRecord<'a> {
    region: &'static str,
    deviation_db: f64,
    frequency_hz: f64,
    size_db: f64,
    text: &'a str,
}

#[derive(Serialize)]
struct BandRecord {
    low_hz: f64,
    high_hz: f64,
    correlation: Number,
    width_db: Number,
    mono_loss_lu: Number,
    share_db: Number,
    flagged: bool,
}

impl BandRecord {
    fn of(b: &StereoBand) -> Self {
        Self {
            low_hz: b.low_hz,
            high_hz: b.high_hz,
            correlation: Number(b.correlation),
            width_db: Number(b.width_db),
            mono_loss_lu: Number(b.mono_loss_lu),
            share_db: Number(b.share_db),
            flagged: b.flagged,
        }
    }
}

#[derive(Serialize)]
struct StereoRegionRecord {
    #[serde(flatten)]
    band: BandRecord,
    id: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
pub(crate) struct StereoRecord<'a> {
    verdict: Option<&'static str>,
    correlation: Number,
    mono_loss_lu: Number,
    low_end: BandRecord,
    regions: Vec<StereoRegionRecord>,
    bands: Vec<BandRecord>,
    worst_bands: Vec<BandRecord>,
    suggestions: Vec<StereoSuggestionRecord<'a>>,
}

#[derive(Serialize)]
struct StereoSuggestionRecord<'a> {
    finding: &'static str,
    low_hz: f64,
    high_hz: f64,
    text: &'a str,
}

impl<'a> FileRecord<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        a: &'a FileAnalysis,
        series: bool,
        ceiling_dbtp: Option<f64>,
        checks: &[Check],
        graded: Option<(&'a Profile, &'a [Item])>,
        tonal: Option<(&'a Curve, Option<&'a TonalComparison>)>,
        suggestions: &'a [Candidate],
    ) -> Self {
        let r = &a.readings;
        let rate = a.info.sample_rate_hz as f64;
        let numbers = |values: &[Option<f64>]| values.iter().map(|&v| Number(v)).collect();
        FileRecord {
            schema_version: SCHEMA_VERSION,
            file: &a.file,
            codec: &a.info.codec,
            sample_rate: a.info.sample_rate_hz,
            channels: a.info.channels,
            channel_layout: a.info.layout.iter().map(|r| r.label()).collect(),
            duration_s: a.frames as f64 / rate,
            integrated_lufs: Number(r.integrated_lufs),
            loudness_range_lu: Number(r.loudness_range_lu),
            loudness_range_reliable: r.loudness_range_settled(),
            max_momentary_lufs: Number(r.max_momentary_lufs),
            max_short_term_lufs: Number(r.max_short_term_lufs),
            true_peak_dbtp: Number(r.max_true_peak_dbtp),
            true_peak_dbtp_per_channel: numbers(&r.true_peak_dbtp[..a.info.channels]),
            sample_peak_dbfs: Number(r.max_sample_peak_dbfs),
            plr_db: Number(r.plr_db),
            crest_factor_db: Number(r.crest_factor_db),
            correlation: Number(r.integrated_correlation),
            mono_loss_lu: Number(r.mono_loss_integrated_lu),
            fold_down: a.fold.map(|f| FoldRecord {
                stereo_lu: Number(f.stereo_integrated_lu),
                mono_lu: Number(f.mono_integrated_lu),
                stereo_true_peak_dbtp: Number(f.stereo_true_peak_dbtp),
                front_correlation: Number(f.front_integrated_correlation),
            }),
            non_finite_samples: r.non_finite_samples,
            clipped_runs: r.clipped_runs,
            longest_clipped_run: r.longest_clipped_run,
            truncated: a.truncated_from().is_some(),
            stated_duration_s: a.truncated_from().map(|n| n as f64 / rate),
            error: a.truncation(),
            dual_mono: a.dual_mono,
            max_true_peak_at_s: Number(a.max_true_peak_at_s()),
            max_short_term_at_s: Number(a.max_short_term_at_s()),
            overs: a.moments.over_ceiling_gain.map(|_| OversRecord {
                ceiling_dbtp,
                count: a.moments.overs,
                first_s: a.over_times_s(),
            }),
            targets: (!checks.is_empty()).then(|| checks.iter().map(Check::to_json).collect()),
            suggestions: suggestions
                .iter()
                .enumerate()
                .map(|(i, s)| SuggestionRecord {
                    rank: i + 1,
                    kind: s.kind.id(),
                    text: &s.text,
                    evidence: &s.evidence,
                    confidence: s.confidence,
                })
                .collect(),
            checks: graded.map(|(profile, items)| ChecksRecord::new(profile, items)),
            stereo: a.stereo.as_ref().map(StereoRecord::new),
            tonal: tonal.map(|(curve, comparison)| TonalRecord::new(curve, comparison)),
            momentary_lufs: series.then(|| numbers(&a.momentary)),
            short_term_lufs: series.then(|| numbers(&a.short_term)),
        }
    }

    /// The record as a JSON value (keys in the order the output has always had: sorted).
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a record of plain values serializes")
    }
}

impl<'a> ChecksRecord<'a> {
    fn new(profile: &'a Profile, items: &'a [Item]) -> Self {
        Self {
            profile: &profile.id,
            name: &profile.name,
            worst: checks::worst(items).map(|s| s.id()),
            passes: checks::passes(items),
            items: items
                .iter()
                .map(|i| CheckItemRecord {
                    id: &i.id,
                    label: &i.label,
                    status: i.status.map(|s| s.id()),
                    value: Number(i.value),
                    unit: i.measure.unit(),
                    evidence: &i.evidence,
                    source: &i.source,
                })
                .collect(),
        }
    }
}

impl<'a> TonalRecord<'a> {
    fn new(curve: &'a Curve, comparison: Option<&'a TonalComparison>) -> Self {
        let reference = ReferenceRecord {
            name: &curve.name,
            kind: curve.kind,
            source: &curve.source,
        };
        let Some(c) = comparison else {
            return Self {
                reference,
                level_offset_db: Number(None),
                tilt_db_per_octave: None,
                tilt_tolerance_db_per_octave: None,
                withheld: None,
                regions: Vec::new(),
                suggestions: Vec::new(),
            };
        };
        Self {
            reference,
            level_offset_db: Number(Some(c.offset_db)),
            tilt_db_per_octave: Some(Number(c.tilt())),
            tilt_tolerance_db_per_octave: Some(c.tilt_tolerance_db_per_octave),
            withheld: Some(c.withheld.map(|w| w.reason())),
            regions: c
                .regions
                .iter()
                .map(|r| TonalRegionRecord {
                    id: r.region.id,
                    name: r.region.name,
                    low_hz: r.region.low_hz,
                    high_hz: r.region.high_hz,
                    deviation_db: Number(r.deviation_db),
                    tolerance_low_db: r.tolerance_low_db,
                    tolerance_high_db: r.tolerance_high_db,
                    outside: r.outside(),
                })
                .collect(),
            suggestions: c
                .suggestions
                .iter()
                .map(|s| TonalSuggestionRecord {
                    region: s.region_id,
                    deviation_db: s.deviation_db,
                    frequency_hz: s.frequency_hz,
                    size_db: s.size_db,
                    text: &s.text,
                })
                .collect(),
        }
    }
}

impl<'a> StereoRecord<'a> {
    pub(crate) fn new(s: &'a MonoCompatibility) -> Self {
        Self {
            verdict: s.verdict.map(Verdict::id),
            correlation: Number(s.correlation),
            mono_loss_lu: Number(s.mono_loss_lu),
            low_end: BandRecord::of(&s.low_end),
            regions: s
                .regions
                .iter()
                .map(|r| StereoRegionRecord {
                    band: BandRecord::of(&r.readings),
                    id: r.region.id,
                    name: r.region.name,
                })
                .collect(),
            bands: s.bands.iter().map(BandRecord::of).collect(),
            worst_bands: s
                .worst_bands
                .iter()
                .map(|&b| BandRecord::of(&s.bands[b]))
                .collect(),
            suggestions: s
                .suggestions
                .iter()
                .map(|g| StereoSuggestionRecord {
                    finding: g.finding.id(),
                    low_hz: g.low_hz,
                    high_hz: g.high_hz,
                    text: &g.text,
                })
                .collect(),
        }
    }
}

/// The JSON record of an analyzed file.
pub(crate) fn to_json(
    a: &FileAnalysis,
    series: bool,
    ceiling_dbtp: Option<f64>,
    checks: &[Check],
    graded: Option<(&Profile, &[Item])>,
    tonal: Option<(&Curve, Option<&TonalComparison>)>,
) -> Value {
    let suggestions = ranked_suggestions(a, tonal.and_then(|t| t.1));
    FileRecord::new(a, series, ceiling_dbtp, checks, graded, tonal, &suggestions).to_value()
}

/// The JSON record of an input that could not be analyzed (docs/cli.md, "Output schema").
pub(crate) fn error_json(file: &str, error: &str) -> Value {
    json!({"schema_version": SCHEMA_VERSION, "file": file, "error": error})
}
