//! Snapshot and compare: the complete set of readings of a mix version, frozen, and the live
//! mix compared with it difference by difference.
//!
//! A [`Frozen`] holds the loudness readings (integrated, LRA, maxima, true peak, PLR, PSR,
//! crest factor, correlation, balance, mono loss), the tonal balance (each region's deviation
//! from the active reference curve after level matching, so a louder version does not read as
//! "more of everything"), and the stereo image of each of the stereo diagnosis's 15 bands
//! (correlation, width, mono loss).
//! [`compare`] lists every quantity both have, then minus now, and marks a difference
//! notable when it is at least [`NOTABLE_DB`] (levels, dB or LU) or [`NOTABLE_CORRELATION`].

use super::TonalComparison;
use super::stereo::MonoCompatibility;
use crate::meter::engine::Readings;

/// A level difference worth reading, dB or LU (twice Tech 3341's +-0.1 LU would be noise;
/// half a dB is what a mix engineer hears as a change).
pub const NOTABLE_DB: f64 = 0.5;
/// A correlation difference worth reading.
pub const NOTABLE_CORRELATION: f64 = 0.1;
/// The smallest notable difference of a quantity in `unit` (correlation has none).
fn notable_limit(unit: &str) -> f64 {
    if unit.is_empty() {
        NOTABLE_CORRELATION
    } else {
        NOTABLE_DB
    }
}

/// How "no value" is written (as in the editor).
const NO_VALUE: &str = "—";

/// One quantity of a frozen version.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    /// What it is ("Integrated", "low-mids balance", "bass width").
    pub what: String,
    pub unit: &'static str,
    pub value: Option<f64>,
}

/// The readings of one mix version.
#[derive(Debug, Clone, PartialEq)]
pub struct Frozen {
    pub name: String,
    /// Seconds the measurement covered when it was frozen.
    pub measured_s: f64,
    pub quantities: Vec<Quantity>,
}

fn q(what: impl Into<String>, unit: &'static str, value: Option<f64>) -> Quantity {
    Quantity {
        what: what.into(),
        unit,
        value: value.filter(|v| v.is_finite()),
    }
}

/// Freezes the readings, the tonal comparison and the stereo diagnosis as they are now.
pub fn freeze(
    name: &str,
    r: &Readings,
    tonal: Option<&TonalComparison>,
    stereo: Option<&MonoCompatibility>,
) -> Frozen {
    let mut quantities = vec![
        q("Integrated", "LUFS", r.integrated_lufs),
        q("Loudness range", "LU", r.loudness_range_lu),
        q("Max momentary", "LUFS", r.max_momentary_lufs),
        q("Max short-term", "LUFS", r.max_short_term_lufs),
        q("True peak", "dBTP", r.max_true_peak_dbtp),
        q("PLR", "dB", r.plr_db),
        q("PSR", "dB", r.psr_db),
        q("Crest factor", "dB", r.crest_factor_db),
        q("Correlation", "", r.integrated_correlation),
        q("Balance", "dB", r.balance_db),
        q("Mono loss", "LU", r.mono_loss_integrated_lu),
    ];
    if let Some(tonal) = tonal {
        for region in &tonal.regions {
            quantities.push(q(
                format!("{} balance", region.region.name),
                "dB",
                region.deviation_db,
            ));
        }
    }
    if let Some(stereo) = stereo {
        // Each of the 15 bands of the stereo diagnosis ("120-200 Hz correlation").
        for b in &stereo.bands {
            let name = super::stereo::format_range(b.low_hz, b.high_hz);
            quantities.push(q(format!("{name} correlation"), "", b.correlation));
            quantities.push(q(format!("{name} width"), "dB", b.width_db));
            quantities.push(q(format!("{name} mono loss"), "LU", b.mono_loss_lu));
        }
    }
    Frozen {
        name: name.to_string(),
        measured_s: r.measured_s,
        quantities,
    }
}

/// Units a saved quantity may have (a saved unit is matched to one of these).
const UNITS: [&str; 5] = ["LUFS", "LU", "dBTP", "dB", ""];
/// Quantities a saved version may hold (today's versions have 11 + 7 regions + 45 bands).
pub const MAX_QUANTITIES: usize = 128;
/// Longest name or quantity label read back from saved state, characters.
pub const MAX_LABEL_CHARS: usize = 80;

impl Frozen {
    /// The version as saved with the project:
    /// `{"name": "v2", "measured_s": 184.2, "quantities": [["Integrated", "LUFS", -14.1], ...]}`
    /// (`null` for no value).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "measured_s": self.measured_s,
            "quantities": self
                .quantities
                .iter()
                .map(|q| serde_json::json!([q.what, q.unit, q.value]))
                .collect::<Vec<_>>(),
        })
    }

    /// A saved version, or what is wrong with it.
    pub fn from_json(value: &serde_json::Value) -> Result<Frozen, String> {
        let label = |v: &serde_json::Value, what: &str| -> Result<String, String> {
            v.as_str()
                .filter(|s| s.chars().count() <= MAX_LABEL_CHARS)
                .map(str::to_string)
                .ok_or_else(|| format!("{what} is not a short text"))
        };
        let name = label(&value["name"], "the name")?;
        let measured_s = value["measured_s"]
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| format!("{name}: no measured time"))?;
        let list = value["quantities"]
            .as_array()
            .ok_or_else(|| format!("{name}: no readings"))?;
        if list.len() > MAX_QUANTITIES {
            return Err(format!(
                "{name}: {} readings (at most {MAX_QUANTITIES})",
                list.len()
            ));
        }
        let quantities = list
            .iter()
            .map(|q| {
                let unit = q[1].as_str().and_then(|u| UNITS.iter().find(|k| **k == u));
                match (label(&q[0], "a reading"), unit, &q[2]) {
                    (Ok(what), Some(unit), v) if v.is_null() || v.is_f64() || v.is_i64() => {
                        Ok(Quantity {
                            what,
                            unit,
                            value: v.as_f64().filter(|v| v.is_finite()),
                        })
                    }
                    _ => Err(format!("{name}: unreadable reading {q}")),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Frozen {
            name,
            measured_s,
            quantities,
        })
    }
}

/// One quantity, then and now.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub what: String,
    pub unit: &'static str,
    pub then: Option<f64>,
    pub now: Option<f64>,
    /// Now minus then, when both have a value.
    pub delta: Option<f64>,
    pub notable: bool,
}

impl Difference {
    /// "Integrated -14.2 -> -12.9 LUFS (+1.3)".
    pub fn describe(&self) -> String {
        let value = |v: Option<f64>| {
            v.map_or(NO_VALUE.to_string(), |v| {
                if self.unit.is_empty() {
                    format!("{v:+.2}")
                } else {
                    format!("{v:.1}")
                }
            })
        };
        let delta = self.delta.map_or(String::new(), |d| {
            if self.unit.is_empty() {
                format!(" ({d:+.2})")
            } else {
                format!(" ({d:+.1})")
            }
        });
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        format!(
            "{} {} -> {}{unit}{delta}",
            self.what,
            value(self.then),
            value(self.now)
        )
    }
}

/// Every quantity of `then` against the same quantity `now`, notable ones first (largest
/// first), then the rest in their order.
pub fn compare(then: &Frozen, now: &Frozen) -> Vec<Difference> {
    let mut out: Vec<Difference> = then
        .quantities
        .iter()
        .map(|t| {
            let n = now
                .quantities
                .iter()
                .find(|n| n.what == t.what)
                .and_then(|n| n.value);
            let delta = t.value.zip(n).map(|(a, b)| b - a);
            let limit = notable_limit(t.unit);
            Difference {
                what: t.what.clone(),
                unit: t.unit,
                then: t.value,
                now: n,
                delta,
                // Rounded as shown, so a notable difference is never shown as +0.5 of 0.49.
                notable: delta.is_some_and(|d| d.abs() >= limit - 1e-9)
                    || t.value.is_some() != n.is_some(),
            }
        })
        .collect();
    // Notable first, by size relative to its own limit; the order of the list otherwise.
    let weight = |d: &Difference| {
        d.delta
            .map_or(f64::INFINITY, |x| x.abs() / notable_limit(d.unit))
    };
    out.sort_by(|a, b| {
        b.notable.cmp(&a.notable).then(if a.notable && b.notable {
            weight(b).total_cmp(&weight(a))
        } else {
            std::cmp::Ordering::Equal
        })
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readings(integrated: f64, peak: f64) -> Readings {
        Readings {
            channels: 2,
            measured_s: 60.0,
            integrated_lufs: Some(integrated),
            max_true_peak_dbtp: Some(peak),
            plr_db: Some(peak - integrated),
            integrated_correlation: Some(0.8),
            ..Readings::default()
        }
    }

    #[test]
    fn an_identical_mix_has_no_notable_difference() {
        let r = readings(-14.0, -1.0);
        let a = freeze("v1", &r, None, None);
        let diffs = compare(&a, &freeze("now", &r, None, None));
        assert!(diffs.iter().all(|d| !d.notable), "{diffs:?}");
        assert_eq!(
            diffs.iter().find(|d| d.what == "Integrated").unwrap().delta,
            Some(0.0)
        );
    }

    #[test]
    fn differences_are_now_minus_then_and_the_largest_notable_come_first() {
        let v1 = freeze("v1", &readings(-14.0, -1.0), None, None);
        let mut louder = readings(-12.7, -0.2);
        louder.integrated_correlation = Some(0.55);
        let now = freeze("now", &louder, None, None);
        let diffs = compare(&v1, &now);
        let notable: Vec<&str> = diffs
            .iter()
            .filter(|d| d.notable)
            .map(|d| d.what.as_str())
            .collect();
        // Correlation -0.25 is 2.5 limits, integrated +1.3 is 2.6, true peak +0.8 is 1.6,
        // PLR -0.5 is 1.0.
        assert_eq!(notable, ["Integrated", "Correlation", "True peak", "PLR"]);
        let integrated = &diffs[0];
        assert!((integrated.delta.unwrap() - 1.3).abs() < 1e-9);
        assert_eq!(
            integrated.describe(),
            "Integrated -14.0 -> -12.7 LUFS (+1.3)"
        );
        assert_eq!(diffs[1].describe(), "Correlation +0.80 -> +0.55 (-0.25)");
    }

    #[test]
    fn a_value_that_appears_or_disappears_is_notable() {
        let mut silent = readings(-14.0, -1.0);
        silent.integrated_lufs = None;
        let diffs = compare(
            &freeze("v1", &readings(-14.0, -1.0), None, None),
            &freeze("now", &silent, None, None),
        );
        let integrated = diffs.iter().find(|d| d.what == "Integrated").unwrap();
        assert!(integrated.notable && integrated.delta.is_none());
        assert_eq!(integrated.describe(), "Integrated -14.0 -> — LUFS");
    }

    #[test]
    fn a_version_round_trips_through_its_saved_form_and_bad_ones_say_why() {
        let mut r = readings(-14.0, -1.0);
        r.loudness_range_lu = None;
        let v2 = freeze("v2", &r, None, None);
        let text = serde_json::to_string(&v2.to_json()).unwrap();
        let back = Frozen::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, v2);
        for (bad, says) in [
            (serde_json::json!({"name": 3}), "name"),
            (
                serde_json::json!({"name": "v1", "measured_s": -1}),
                "measured time",
            ),
            (
                serde_json::json!({"name": "v1", "measured_s": 1, "quantities": [["x", "furlongs", 1]]}),
                "unreadable",
            ),
            (
                serde_json::json!({"name": "v1", "measured_s": 1, "quantities": vec![serde_json::json!(["x", "dB", 1]); 200]}),
                "at most",
            ),
        ] {
            let error = Frozen::from_json(&bad).unwrap_err();
            assert!(error.contains(says), "{error}");
        }
    }
}
