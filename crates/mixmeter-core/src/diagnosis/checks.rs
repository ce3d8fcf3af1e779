//! Mix-readiness and delivery checks: a short list of pass / warn / fail items, each with the
//! measured evidence and the source of its threshold, shared by the editor and the CLI
//! (`mixmeter analyze --check PROFILE`).
//!
//! The thresholds are data: `assets/checks.json`, one profile per use (`pre-master`: a mix
//! going to mastering; `delivery`: a master going to streaming), each check naming the
//! measurement it reads and two ranges: inside `pass` passes, else inside `warn` warns, else
//! fails. The measurements:
//! - `true_peak_dbtp`: maximum true peak (BS.1770-5 Annex 2);
//! - `integrated_lufs`: integrated loudness (BS.1770-5 Annex 1, EBU R128);
//! - `crest_factor_db`, `plr_db`: peak to RMS, and true peak to integrated loudness;
//! - `mono_loss_lu`: loudness of (L+R)/2 minus that of L and R, whole measurement;
//! - `tonal_excess_db`: how far the worst region of the long-term spectrum lies outside the
//!   active reference curve's tolerance band ([`super::RegionDeviation::excess_db`]).
//!
//! A measurement without a value (too short, silence, no reference selected) gives no grade:
//! the item says what is missing instead of passing. Live, that is "not measured yet"; of a
//! finished programme (a file, a render), it is what the audio lacks ("silent, or shorter
//! than 400 ms"). A list passes as a whole ([`passes`]) only when nothing fails and every
//! measurement that any audio has (true peak, loudness, crest factor, PLR) was graded: a
//! silent file does not pass a checklist.

use super::{TonalComparison, format_frequency};
use crate::meter::engine::Readings;
use serde_json::Value;

/// The checks file, compiled in.
pub const CHECKS_JSON: &str = include_str!("../../../../assets/checks.json");

/// What a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    TruePeak,
    Integrated,
    CrestFactor,
    Plr,
    MonoLoss,
    TonalExcess,
}

impl Measure {
    fn parse(id: &str) -> Option<Measure> {
        Some(match id {
            "true_peak_dbtp" => Measure::TruePeak,
            "integrated_lufs" => Measure::Integrated,
            "crest_factor_db" => Measure::CrestFactor,
            "plr_db" => Measure::Plr,
            "mono_loss_lu" => Measure::MonoLoss,
            "tonal_excess_db" => Measure::TonalExcess,
            _ => return None,
        })
    }

    pub fn unit(self) -> &'static str {
        match self {
            Measure::TruePeak => "dBTP",
            Measure::Integrated => "LUFS",
            Measure::CrestFactor | Measure::Plr | Measure::TonalExcess => "dB",
            Measure::MonoLoss => "LU",
        }
    }

    /// What to say when there is no value: live (`finished` false), or of a whole programme.
    fn missing(self, finished: bool) -> &'static str {
        match (self, finished) {
            (Measure::TonalExcess, false) => "no reference curve compared yet",
            (Measure::TonalExcess, true) => "no reference curve compared",
            (Measure::MonoLoss, false) => "no stereo signal measured yet",
            (_, false) => "not measured yet",
            // Integrated loudness needs one 400 ms gating block above -70 LUFS (BS.1770-5
            // clause 5), and PLR needs integrated loudness.
            (Measure::Integrated | Measure::Plr | Measure::MonoLoss, true) => {
                "no value: silent (under -70 LUFS), or shorter than 400 ms"
            }
            (Measure::TruePeak | Measure::CrestFactor, true) => "no value: silent",
        }
    }

    /// Whether any audio, long enough and not silent, has a value for it (a reference curve
    /// or a stereo input is not needed).
    pub fn always_measured(self) -> bool {
        matches!(
            self,
            Measure::TruePeak | Measure::Integrated | Measure::CrestFactor | Measure::Plr
        )
    }
}

/// A range with optional bounds (both inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Range {
    pub fn contains(&self, value: f64) -> bool {
        self.min.is_none_or(|m| value >= m) && self.max.is_none_or(|m| value <= m)
    }

    /// "-31.0 to -14.0", "at most -3.0", "at least 12.0".
    pub fn describe(&self, unit: &str) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{a:.1} to {b:.1} {unit}"),
            (None, Some(b)) => format!("at most {b:.1} {unit}"),
            (Some(a), None) => format!("at least {a:.1} {unit}"),
            (None, None) => "any value".to_string(),
        }
    }
}

/// One check of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub id: String,
    pub label: String,
    /// A word or two for the editor's row of marks (the label when the file has none).
    pub short: String,
    pub measure: Measure,
    pub pass: Range,
    pub warn: Range,
    pub source: String,
}

/// A named list of checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn id(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One graded item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub label: String,
    /// A word or two for the editor's row of marks.
    pub short: String,
    pub measure: Measure,
    /// `None`: no value to grade.
    pub status: Option<Status>,
    pub value: Option<f64>,
    /// The measured evidence in words ("true peak -4.2 dBTP, pass at most -3.0 dBTP").
    pub evidence: String,
    pub source: String,
}

/// Every profile of the compiled-in file, in its order.
pub fn profiles() -> Vec<Profile> {
    parse_profiles(CHECKS_JSON).expect("assets/checks.json is valid (checked by a unit test)")
}

/// The profile called `id`, if any.
pub fn profile(id: &str) -> Option<Profile> {
    profiles().into_iter().find(|p| p.id == id)
}

/// Parses a checks file; a malformed entry is an error naming it.
pub fn parse_profiles(text: &str) -> Result<Vec<Profile>, String> {
    let data: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let list = data["profiles"]
        .as_array()
        .ok_or_else(|| "no \"profiles\" list".to_string())?;
    list.iter()
        .map(|p| {
            let id = p["id"].as_str().ok_or("a profile without an \"id\"")?;
            let text = |v: &Value, key: &str, what: &str| {
                v[key]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{what}: \"{key}\" missing"))
            };
            let checks = p["checks"]
                .as_array()
                .ok_or_else(|| format!("profile {id}: no \"checks\" list"))?
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let what = format!("profile {id}, check {i}");
                    let measure_id = text(c, "measure", &what)?;
                    let measure = Measure::parse(&measure_id)
                        .ok_or_else(|| format!("{what}: unknown measure \"{measure_id}\""))?;
                    let range = |key: &str| -> Result<Range, String> {
                        let bound = |v: &Value| match v {
                            Value::Null => Ok(None),
                            v => v
                                .as_f64()
                                .filter(|x| x.is_finite())
                                .map(Some)
                                .ok_or_else(|| format!("{what}: \"{key}\" bounds are numbers")),
                        };
                        match c[key].as_array().map(Vec::as_slice) {
                            Some([min, max]) => Ok(Range {
                                min: bound(min)?,
                                max: bound(max)?,
                            }),
                            _ => Err(format!("{what}: \"{key}\" is [min, max]")),
                        }
                    };
                    let (pass, warn) = (range("pass")?, range("warn")?);
                    // The pass range lies inside the warn range, bound by bound.
                    let within =
                        |warn: Option<f64>, pass: Option<f64>, ok: fn(f64, f64) -> bool| match (
                            warn, pass,
                        ) {
                            (None, _) => true,
                            (Some(_), None) => false,
                            (Some(w), Some(p)) => ok(p, w),
                        };
                    if !within(warn.min, pass.min, |p, w| p >= w)
                        || !within(warn.max, pass.max, |p, w| p <= w)
                    {
                        return Err(format!("{what}: \"pass\" must lie inside \"warn\""));
                    }
                    let label = text(c, "label", &what)?;
                    Ok(Check {
                        id: text(c, "id", &what)?,
                        short: text(c, "short", &what).unwrap_or_else(|_| label.clone()),
                        label,
                        measure,
                        pass,
                        warn,
                        source: text(c, "source", &what)?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Profile {
                id: id.to_string(),
                name: text(p, "name", &format!("profile {id}"))?,
                checks,
            })
        })
        .collect()
}

/// What the checks read.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub readings: &'a Readings,
    /// The comparison with the active reference curve, if one is selected and there is a
    /// long-term spectrum.
    pub tonal: Option<&'a TonalComparison>,
    /// The whole programme is measured (a file, a render): a missing value is said to be
    /// the audio's, not "yet".
    pub finished: bool,
}

/// The value of `measure` and its evidence's detail (the worst region for the tonal check).
fn measured(measure: Measure, inputs: &Inputs) -> (Option<f64>, String) {
    let r = inputs.readings;
    let value = match measure {
        Measure::TruePeak => r.max_true_peak_dbtp,
        Measure::Integrated => r.integrated_lufs,
        Measure::CrestFactor => r.crest_factor_db,
        Measure::Plr => r.plr_db,
        // A mono input has nothing to lose when folded to mono: no grade, and the reason
        // (not "no stereo signal yet", which reads as a fault in a finished mono file).
        Measure::MonoLoss if r.channels == 1 => {
            return (None, "mono input: nothing to fold down".to_string());
        }
        Measure::MonoLoss if r.channels > 2 => {
            return (None, "measured on stereo only".to_string());
        }
        // A stereo mix with a loudness whose mono fold has none (under the -70 LUFS gate)
        // cancels in mono: the worst mono loss there is, not a missing value.
        Measure::MonoLoss if r.mono_loss_integrated_lu.is_none() && r.integrated_lufs.is_some() => {
            return (
                Some(f64::NEG_INFINITY),
                "cancels in mono: the mono fold is under the -70 LUFS gate".to_string(),
            );
        }
        Measure::MonoLoss => r.mono_loss_integrated_lu,
        Measure::TonalExcess => {
            let Some(tonal) = inputs.tonal else {
                return (None, String::new());
            };
            // Advice withheld (too short, a test tone) means no grade either: the same reason.
            if let Some(withheld) = tonal.withheld {
                return (None, withheld.reason());
            }
            let worst = tonal
                .regions
                .iter()
                .filter(|d| d.deviation_db.is_some())
                .max_by(|a, b| a.excess_db().total_cmp(&b.excess_db()));
            return match worst {
                Some(w) => {
                    let deviation = w.deviation_db.unwrap_or(0.0);
                    let at = w
                        .worst_hz
                        .map(|hz| format!(" around {}", format_frequency(hz)))
                        .unwrap_or_default();
                    (
                        Some(w.excess_db()),
                        format!(
                            "; worst: {} {deviation:+.1} dB{at} against {}",
                            w.region.name, tonal.reference_name
                        ),
                    )
                }
                None => (None, String::new()),
            };
        }
    };
    (value.filter(|v| v.is_finite()), String::new())
}

/// Grades every check of `profile`.
pub fn run(profile: &Profile, inputs: &Inputs) -> Vec<Item> {
    profile
        .checks
        .iter()
        .map(|check| {
            let unit = check.measure.unit();
            let (value, detail) = measured(check.measure, inputs);
            let status = value.map(|v| {
                if check.pass.contains(v) {
                    Status::Pass
                } else if check.warn.contains(v) {
                    Status::Warn
                } else {
                    Status::Fail
                }
            });
            let evidence = match value {
                // No number to show (a mix that cancels in mono): the detail says it.
                Some(v) if v.is_infinite() => detail,
                // Rounded without a sign on zero: a sine's PLR of -0.02 dB reads 0.0, not -0.0.
                Some(v) => format!(
                    "{:.1} {unit} (pass {}){detail}",
                    super::stereo::signed_tenths(v),
                    check.pass.describe(unit)
                ),
                None if detail.is_empty() => check.measure.missing(inputs.finished).to_string(),
                None => detail,
            };
            Item {
                id: check.id.clone(),
                label: check.label.clone(),
                short: check.short.clone(),
                measure: check.measure,
                status,
                value,
                evidence,
                source: check.source.clone(),
            }
        })
        .collect()
}

/// The worst grade of a list (no grade counts as nothing).
pub fn worst(items: &[Item]) -> Option<Status> {
    items.iter().filter_map(|i| i.status).max()
}

/// Whether a list passes as a whole: no item fails, and every item whose measurement any
/// audio has ([`Measure::always_measured`]) is graded. A file that is silent or too short to
/// have a loudness does not pass; a mono file with no mono-loss grade, or a list with no
/// reference curve to compare, can.
pub fn passes(items: &[Item]) -> bool {
    worst(items) != Some(Status::Fail)
        && items
            .iter()
            .all(|i| i.status.is_some() || !i.measure.always_measured())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readings() -> Readings {
        Readings {
            channels: 2,
            integrated_lufs: Some(-16.0),
            max_true_peak_dbtp: Some(-4.0),
            crest_factor_db: Some(14.0),
            plr_db: Some(12.0),
            mono_loss_integrated_lu: Some(-1.0),
            ..Readings::default()
        }
    }

    fn status(profile: &str, r: &Readings, id: &str) -> Option<Status> {
        let p = profile_named(profile);
        run(
            &p,
            &Inputs {
                readings: r,
                tonal: None,
                finished: false,
            },
        )
        .into_iter()
        .find(|i| i.id == id)
        .unwrap()
        .status
    }

    fn profile_named(id: &str) -> Profile {
        profile(id).unwrap_or_else(|| panic!("profile {id}"))
    }

    #[test]
    fn the_file_parses_and_every_check_has_a_source() {
        let all = profiles();
        assert_eq!(
            all.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            ["pre-master", "delivery"]
        );
        for p in &all {
            assert!(p.checks.len() >= 5, "{}", p.id);
            for c in &p.checks {
                assert!(c.source.len() > 40, "{}/{}", p.id, c.id);
            }
        }
    }

    #[test]
    fn a_clean_pre_master_passes_every_graded_check() {
        let p = profile_named("pre-master");
        let items = run(
            &p,
            &Inputs {
                readings: &readings(),
                tonal: None,
                finished: false,
            },
        );
        for item in &items {
            match item.measure {
                Measure::TonalExcess => {
                    assert_eq!(item.status, None);
                    assert_eq!(item.evidence, "no reference curve compared yet");
                }
                _ => assert_eq!(item.status, Some(Status::Pass), "{item:?}"),
            }
        }
        assert_eq!(worst(&items), Some(Status::Pass));
    }

    #[test]
    fn headroom_grades_at_its_thresholds() {
        let mut r = readings();
        for (peak, pre, delivery) in [
            (-6.0, Status::Pass, Status::Pass),
            (-3.0, Status::Pass, Status::Pass),
            (-2.9, Status::Warn, Status::Pass),
            (-1.0, Status::Warn, Status::Pass),
            (-0.9, Status::Fail, Status::Warn),
            (0.0, Status::Fail, Status::Warn),
            (0.4, Status::Fail, Status::Fail),
        ] {
            r.max_true_peak_dbtp = Some(peak);
            assert_eq!(status("pre-master", &r, "headroom"), Some(pre), "{peak}");
            assert_eq!(status("delivery", &r, "headroom"), Some(delivery), "{peak}");
        }
    }

    #[test]
    fn pre_master_loudness_grades_at_its_thresholds() {
        let mut r = readings();
        for (integrated, grade) in [
            (-9.5, Status::Fail),
            (-11.0, Status::Warn),
            (-13.9, Status::Warn),
            (-14.0, Status::Pass),
            (-25.7, Status::Pass),
            (-31.0, Status::Pass),
            (-31.1, Status::Warn),
            (-40.0, Status::Warn),
            (-40.1, Status::Fail),
        ] {
            r.integrated_lufs = Some(integrated);
            assert_eq!(
                status("pre-master", &r, "loudness"),
                Some(grade),
                "{integrated}"
            );
        }
    }

    /// Loudness is peak level minus PLR: a pre-master peaking where mastering engineers ask
    /// (-3 to -6 dBTP) with the PLR of a dynamic mix (11 dB up to a classical 25 dB) passes
    /// headroom, loudness and PLR together. Under the old -18 LUFS floor the three passed
    /// together only up to a PLR of 15 dB, and the songs a tester measured have 16-19 dB.
    #[test]
    fn a_dynamic_pre_master_with_the_requested_headroom_passes_loudness() {
        let mut r = readings();
        for peak in [-3.0, -4.5, -6.0] {
            for plr in [11.0, 15.0, 16.0, 18.5, 20.0, 25.0] {
                r.max_true_peak_dbtp = Some(peak);
                r.plr_db = Some(plr);
                r.integrated_lufs = Some(peak - plr);
                for id in ["headroom", "loudness", "plr"] {
                    assert_eq!(
                        status("pre-master", &r, id),
                        Some(Status::Pass),
                        "{id} at {peak} dBTP, PLR {plr} dB"
                    );
                }
            }
        }
        // The tester's mix: -25.7 LUFS peaking at -7.4 dBTP has more headroom than asked for,
        // and its loudness passes too.
        r.max_true_peak_dbtp = Some(-7.4);
        r.integrated_lufs = Some(-25.7);
        r.plr_db = Some(18.3);
        assert_eq!(status("pre-master", &r, "loudness"), Some(Status::Pass));
        // A hot, limited mix is still flagged: -10 LUFS at -1 dBTP fails loudness, warns on
        // headroom and PLR.
        r.max_true_peak_dbtp = Some(-1.0);
        r.integrated_lufs = Some(-10.0);
        r.plr_db = Some(9.0);
        assert_eq!(status("pre-master", &r, "loudness"), Some(Status::Fail));
        assert_eq!(status("pre-master", &r, "headroom"), Some(Status::Warn));
        assert_eq!(status("pre-master", &r, "plr"), Some(Status::Warn));
        r.integrated_lufs = Some(-12.5);
        assert_eq!(status("pre-master", &r, "loudness"), Some(Status::Warn));
    }

    #[test]
    fn loudness_crest_plr_and_mono_grade_both_ways() {
        let mut r = readings();
        r.integrated_lufs = Some(-9.5);
        assert_eq!(status("pre-master", &r, "loudness"), Some(Status::Fail));
        assert_eq!(status("delivery", &r, "loudness"), Some(Status::Pass));
        r.integrated_lufs = Some(-45.0);
        assert_eq!(status("pre-master", &r, "loudness"), Some(Status::Fail));
        r.integrated_lufs = Some(-35.0);
        assert_eq!(status("pre-master", &r, "loudness"), Some(Status::Warn));
        r.crest_factor_db = Some(7.0);
        assert_eq!(status("pre-master", &r, "crest"), Some(Status::Fail));
        r.crest_factor_db = Some(10.0);
        assert_eq!(status("pre-master", &r, "crest"), Some(Status::Warn));
        r.plr_db = Some(7.0);
        assert_eq!(status("pre-master", &r, "plr"), Some(Status::Fail));
        assert_eq!(status("delivery", &r, "plr"), Some(Status::Warn));
        r.mono_loss_integrated_lu = Some(-3.0);
        assert_eq!(status("pre-master", &r, "mono"), Some(Status::Warn));
        r.mono_loss_integrated_lu = Some(-6.0);
        assert_eq!(status("delivery", &r, "mono"), Some(Status::Fail));
        // A mono track has nothing to fold, and says so (not "no stereo signal yet").
        r.channels = 1;
        assert_eq!(status("delivery", &r, "mono"), None);
        let evidence = |r: &Readings| {
            let items = run(
                &profile_named("delivery"),
                &Inputs {
                    readings: r,
                    tonal: None,
                    finished: false,
                },
            );
            items.into_iter().find(|i| i.id == "mono").unwrap().evidence
        };
        assert_eq!(evidence(&r), "mono input: nothing to fold down");
        r.channels = 6;
        assert_eq!(evidence(&r), "measured on stereo only");
        r.channels = 2;
        r.mono_loss_integrated_lu = None;
        r.integrated_lufs = None;
        assert_eq!(evidence(&r), "no stereo signal measured yet");
    }

    #[test]
    fn a_value_that_rounds_to_zero_has_no_sign() {
        let sine = Readings {
            plr_db: Some(-0.02),
            ..readings()
        };
        let items = run(
            &profile_named("pre-master"),
            &Inputs {
                readings: &sine,
                tonal: None,
                finished: true,
            },
        );
        let plr = items.iter().find(|i| i.id == "plr").unwrap();
        assert!(plr.evidence.starts_with("0.0 dB (pass"), "{}", plr.evidence);
    }

    #[test]
    fn no_value_is_no_grade() {
        let r = Readings::default();
        let items = run(
            &profile_named("delivery"),
            &Inputs {
                readings: &r,
                tonal: None,
                finished: false,
            },
        );
        assert!(items.iter().all(|i| i.status.is_none()), "{items:?}");
        assert_eq!(worst(&items), None);
        assert!(items.iter().all(|i| i.evidence.contains("yet")));
        assert!(!passes(&items));
    }

    /// Of a finished file, a missing value is the audio's: no "yet", and the reason.
    #[test]
    fn a_finished_file_without_a_value_says_why() {
        let silent = Readings {
            channels: 2,
            ..Readings::default()
        };
        let items = run(
            &profile_named("pre-master"),
            &Inputs {
                readings: &silent,
                tonal: None,
                finished: true,
            },
        );
        let evidence = |id: &str| &items.iter().find(|i| i.id == id).unwrap().evidence;
        assert!(
            items.iter().all(|i| !i.evidence.contains("yet")),
            "{items:?}"
        );
        assert_eq!(
            evidence("loudness"),
            "no value: silent (under -70 LUFS), or shorter than 400 ms"
        );
        assert_eq!(evidence("headroom"), "no value: silent");
        assert_eq!(evidence("tonal"), "no reference curve compared");
    }

    /// A list passes as a whole only when nothing fails and what any audio has is graded.
    #[test]
    fn a_list_passes_only_with_every_always_measured_item_graded() {
        let p = profile_named("pre-master");
        let grade = |r: &Readings| {
            run(
                &p,
                &Inputs {
                    readings: r,
                    tonal: None,
                    finished: true,
                },
            )
        };
        // Clean, with no reference curve (tonal ungraded): passes.
        assert!(passes(&grade(&readings())));
        // A mono file: no mono-loss grade, still passes.
        let mono = Readings {
            channels: 1,
            mono_loss_integrated_lu: None,
            ..readings()
        };
        assert!(passes(&grade(&mono)));
        // Silent: nothing fails, nothing is graded: does not pass.
        assert!(!passes(&grade(&Readings {
            channels: 2,
            ..Readings::default()
        })));
        // Too short for a loudness (true peak and crest factor graded and passing).
        let short = Readings {
            integrated_lufs: None,
            plr_db: None,
            ..readings()
        };
        let items = grade(&short);
        assert_eq!(worst(&items), Some(Status::Pass));
        assert!(!passes(&items));
        // A stereo mix that cancels in mono (its fold under the gate) fails, not "no value".
        let cancels = Readings {
            mono_loss_integrated_lu: None,
            ..readings()
        };
        let items = grade(&cancels);
        let mono = items.iter().find(|i| i.id == "mono").unwrap();
        assert_eq!(mono.status, Some(Status::Fail));
        assert!(
            mono.evidence.starts_with("cancels in mono"),
            "{}",
            mono.evidence
        );
        assert!(!passes(&items));
        // A failing item fails the list.
        let hot = Readings {
            max_true_peak_dbtp: Some(0.5),
            ..readings()
        };
        assert!(!passes(&grade(&hot)));
    }

    #[test]
    fn malformed_files_are_errors_naming_the_entry() {
        let base = |check: &str| {
            format!(r#"{{"profiles": [{{"id": "p", "name": "P", "checks": [{check}]}}]}}"#)
        };
        let good = r#"{"id": "a", "label": "A", "measure": "plr_db", "pass": [10, null], "warn": [8, null], "source": "s"}"#;
        assert!(parse_profiles(&base(good)).is_ok());
        for (bad, says) in [
            (good.replace("plr_db", "volume"), "unknown measure"),
            (good.replace("[10, null]", "[10]"), "is [min, max]"),
            (
                good.replace("[10, null]", "[\"x\", null]"),
                "bounds are numbers",
            ),
            (good.replace("[10, null]", "[6, null]"), "must lie inside"),
            (good.replace(r#", "source": "s""#, ""), "\"source\" missing"),
        ] {
            let error = parse_profiles(&base(&bad)).unwrap_err();
            assert!(
                error.contains(says) && error.contains("profile p, check 0"),
                "{error}"
            );
        }
    }
}
