//! From readings to findings, shared by the editor and the CLI.
//!
//! **Tonal balance** ([`compare_tonal`]): the mix's long-term average spectrum against a
//! reference curve, level-matched, region by region.
//!
//! 1. Both are taken on the standard 1/24-octave grid ([`crate::reference::standard_grid`]),
//!    over the points the curve covers and below the mix's Nyquist frequency: the mix as
//!    1/24-octave mean power per bin, the curve by interpolation.
//! 2. Level matching: the curve is shifted to the mix's loudness by the loudness-weighted
//!    median of the per-point differences (each point weighted by its share of the curve's
//!    K-weighted power, BS.1770-5 K-weighting): when the shapes agree this gives both the same
//!    loudness, so only balance differs; when one region deviates it does not drag the
//!    others. (Matching total loudness instead would: a region 6 dB up over 1.3 octaves raises
//!    the loudness by about 1 dB and every other region would read -1 dB.)
//! 3. Per region ([`REGIONS`]: sub 20-60 Hz, bass 60-200, low-mids 200-500, mids 500-2k,
//!    presence 2-6k, sibilance/harshness 6-12k, air 12-20k): the deviation is the ratio of the
//!    mean power of the mix to that of the matched curve over the region's points, in dB. The
//!    tolerance is the curve's band averaged over the region (relative to its level, widened
//!    to at least ±[`MIN_TOLERANCE_DB`]), or ±[`DEFAULT_TOLERANCE_DB`] for a curve without a
//!    band.
//! 4. A region outside its tolerance becomes a suggestion, ranked by how far outside it is
//!    (at most [`MAX_SUGGESTIONS`]), naming the frequency where the deviation (smoothed over a
//!    third of an octave) is largest.

pub mod checks;
pub mod compare;
pub mod dynamics;
pub mod platforms;
pub mod stereo;
pub mod suggestions;

use crate::meter::spectrum::{LogSmoother, PowerSpectrum, power_to_db};
use crate::reference::{Curve, POINTS_PER_OCTAVE, k_weighting_power, standard_grid};

/// Tolerance of a curve that has no band of its own, ± dB.
pub const DEFAULT_TOLERANCE_DB: f64 = 2.0;
/// A curve's band is widened to at least ± this, dB: references that agree closely (or one
/// file's band) must not turn sub-dB differences into advice.
pub const MIN_TOLERANCE_DB: f64 = 1.0;
/// Suggestions shown at most.
pub const MAX_SUGGESTIONS: usize = 3;
/// Half-width of the smoothing of the per-point deviation used to name a frequency, in grid
/// points (4 of 24 per octave: a third of an octave in all).
const WORST_SMOOTHING_POINTS: usize = 4;

/// A tonal region of the mixing guides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// Stable identifier (JSON).
    pub id: &'static str,
    /// Short name shown to the user.
    pub name: &'static str,
    pub low_hz: f64,
    pub high_hz: f64,
    /// What to do when the region is over the reference, and when under ("{action} around
    /// {frequency}").
    pub over_action: &'static str,
    pub under_action: &'static str,
}

pub const REGIONS: [Region; 7] = [
    Region {
        id: "sub",
        name: "sub",
        low_hz: 20.0,
        high_hz: 60.0,
        over_action: "cut or high-pass",
        under_action: "boost",
    },
    Region {
        id: "bass",
        name: "bass",
        low_hz: 60.0,
        high_hz: 200.0,
        over_action: "cut",
        under_action: "boost",
    },
    Region {
        id: "low_mids",
        name: "low-mids",
        low_hz: 200.0,
        high_hz: 500.0,
        over_action: "cut",
        under_action: "boost",
    },
    Region {
        id: "mids",
        name: "mids",
        low_hz: 500.0,
        high_hz: 2_000.0,
        over_action: "cut",
        under_action: "boost",
    },
    Region {
        id: "presence",
        name: "presence",
        low_hz: 2_000.0,
        high_hz: 6_000.0,
        over_action: "cut",
        under_action: "boost",
    },
    Region {
        id: "sibilance",
        name: "sibilance/harshness",
        low_hz: 6_000.0,
        high_hz: 12_000.0,
        over_action: "de-ess or cut",
        under_action: "boost",
    },
    Region {
        id: "air",
        name: "air",
        low_hz: 12_000.0,
        high_hz: 20_000.0,
        over_action: "cut or soften the top",
        under_action: "add a high shelf",
    },
];

/// One region of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionDeviation {
    pub region: Region,
    /// Mix over (+) or under (-) the level-matched reference, dB; `None` where the curve or
    /// the mix's bandwidth does not reach.
    pub deviation_db: Option<f64>,
    /// Acceptable deviation, dB relative to the reference (low is negative).
    pub tolerance_low_db: f64,
    pub tolerance_high_db: f64,
    /// Frequency in the region where the smoothed deviation is largest in its direction.
    pub worst_hz: Option<f64>,
}

impl RegionDeviation {
    /// How far outside the tolerance the deviation is, dB (0 inside).
    pub fn excess_db(&self) -> f64 {
        match self.deviation_db {
            Some(d) if d > self.tolerance_high_db => d - self.tolerance_high_db,
            Some(d) if d < self.tolerance_low_db => self.tolerance_low_db - d,
            _ => 0.0,
        }
    }

    pub fn outside(&self) -> bool {
        self.excess_db() > 0.0
    }
}

/// A suggestion with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub region_id: &'static str,
    pub deviation_db: f64,
    pub excess_db: f64,
    pub frequency_hz: f64,
    /// E.g. "low-mids +4.1 dB over the reference: cut around 250 Hz".
    pub text: String,
}

/// The mix against one reference curve.
#[derive(Debug, Clone, PartialEq)]
pub struct TonalComparison {
    pub reference_name: String,
    /// Added to the curve to match the mix's loudness (loudness-weighted median), dB.
    pub offset_db: f64,
    /// Grid points compared: frequency, mix level and matched reference level (with its
    /// band, equal to the level without one), dB.
    pub points: Vec<ComparedPoint>,
    pub regions: Vec<RegionDeviation>,
    pub suggestions: Vec<Suggestion>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComparedPoint {
    pub hz: f64,
    pub mix_db: f64,
    pub reference_db: f64,
    pub band_low_db: f64,
    pub band_high_db: f64,
}

/// Compares a mix's long-term spectrum with a curve; `None` when the mix has no audio in the
/// curve's range yet.
pub fn compare_tonal(mix: &PowerSpectrum, curve: &Curve) -> Option<TonalComparison> {
    if mix.bin_hz <= 0.0 || mix.power.is_empty() {
        return None;
    }
    let nyquist_hz = mix.bin_hz * (mix.fft_size / 2) as f64;
    let half = 2f64.powf(0.5 / POINTS_PER_OCTAVE as f64);
    let grid: Vec<f64> = standard_grid()
        .into_iter()
        .filter(|&f| f * half <= nyquist_hz && curve.covers(f))
        .collect();
    if grid.is_empty() {
        return None;
    }
    let mut mix_power = vec![0.0; grid.len()];
    LogSmoother::default().smooth(
        &mix.power,
        mix.bin_hz,
        &grid,
        POINTS_PER_OCTAVE as f64,
        &mut mix_power,
    );
    let loudest = mix_power.iter().copied().fold(0.0f64, f64::max);
    if loudest <= 0.0 || !loudest.is_finite() {
        return None;
    }
    // Bands with no energy at all read 150 dB under the loudest (not -inf).
    let floor_db = power_to_db(loudest) - 150.0;
    let mix_db: Vec<f64> = mix_power
        .iter()
        .map(|&p| power_to_db(p).max(floor_db))
        .collect();
    let reference: Vec<(f64, f64, f64)> = grid.iter().filter_map(|&f| curve.at(f)).collect();
    let offset_db = match_level_db(&grid, &mix_db, &reference)?;
    let points: Vec<ComparedPoint> = grid
        .iter()
        .enumerate()
        .map(|(i, &hz)| ComparedPoint {
            hz,
            mix_db: mix_db[i],
            reference_db: reference[i].0 + offset_db,
            band_low_db: reference[i].1 + offset_db,
            band_high_db: reference[i].2 + offset_db,
        })
        .collect();

    let difference: Vec<f64> = points.iter().map(|p| p.mix_db - p.reference_db).collect();
    let smoothed: Vec<f64> = (0..difference.len())
        .map(|i| {
            let lo = i.saturating_sub(WORST_SMOOTHING_POINTS);
            let hi = (i + WORST_SMOOTHING_POINTS + 1).min(difference.len());
            difference[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect();
    let regions: Vec<RegionDeviation> = REGIONS
        .iter()
        .map(|&region| {
            let inside: Vec<usize> = (0..points.len())
                .filter(|&i| points[i].hz >= region.low_hz && points[i].hz < region.high_hz)
                .collect();
            if inside.is_empty() {
                return RegionDeviation {
                    region,
                    deviation_db: None,
                    tolerance_low_db: -DEFAULT_TOLERANCE_DB,
                    tolerance_high_db: DEFAULT_TOLERANCE_DB,
                    worst_hz: None,
                };
            }
            let mean_power = |db: &dyn Fn(&ComparedPoint) -> f64| {
                inside
                    .iter()
                    .map(|&i| 10f64.powf(db(&points[i]) / 10.0))
                    .sum::<f64>()
                    / inside.len() as f64
            };
            let deviation = power_to_db(mean_power(&|p| p.mix_db))
                - power_to_db(mean_power(&|p| p.reference_db));
            let (tolerance_low_db, tolerance_high_db) = if curve.has_band() {
                let n = inside.len() as f64;
                let low = inside
                    .iter()
                    .map(|&i| points[i].band_low_db - points[i].reference_db)
                    .sum::<f64>()
                    / n;
                let high = inside
                    .iter()
                    .map(|&i| points[i].band_high_db - points[i].reference_db)
                    .sum::<f64>()
                    / n;
                (low.min(-MIN_TOLERANCE_DB), high.max(MIN_TOLERANCE_DB))
            } else {
                (-DEFAULT_TOLERANCE_DB, DEFAULT_TOLERANCE_DB)
            };
            let sign = if deviation >= 0.0 { 1.0 } else { -1.0 };
            let worst = inside
                .iter()
                .copied()
                .max_by(|&a, &b| (sign * smoothed[a]).total_cmp(&(sign * smoothed[b])))
                .map(|i| points[i].hz);
            RegionDeviation {
                region,
                deviation_db: Some(deviation),
                tolerance_low_db,
                tolerance_high_db,
                worst_hz: worst,
            }
        })
        .collect();

    let mut outside: Vec<&RegionDeviation> = regions.iter().filter(|r| r.outside()).collect();
    outside.sort_by(|a, b| b.excess_db().total_cmp(&a.excess_db()));
    let suggestions = outside
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .filter_map(|r| {
            let deviation_db = r.deviation_db?;
            let frequency_hz = round_frequency(r.worst_hz?);
            let (direction, action) = if deviation_db > 0.0 {
                ("over", r.region.over_action)
            } else {
                ("under", r.region.under_action)
            };
            Some(Suggestion {
                region_id: r.region.id,
                deviation_db,
                excess_db: r.excess_db(),
                frequency_hz,
                text: format!(
                    "{} {:+.1} dB {direction} the reference: {action} around {}",
                    r.region.name,
                    deviation_db,
                    format_frequency(frequency_hz)
                ),
            })
        })
        .collect();
    Some(TonalComparison {
        reference_name: curve.name.clone(),
        offset_db,
        points,
        regions,
        suggestions,
    })
}

/// The level-matching offset (see the module docs): the loudness-weighted median of the
/// per-point differences, weights being each point's share of the curve's K-weighted power.
fn match_level_db(grid: &[f64], mix_db: &[f64], reference: &[(f64, f64, f64)]) -> Option<f64> {
    let mut pairs: Vec<(f64, f64)> = grid
        .iter()
        .zip(mix_db)
        .zip(reference)
        .map(|((&f, &m), &(r, _, _))| (m - r, 10f64.powf(r / 10.0) * k_weighting_power(f) * f))
        .filter(|(d, w)| d.is_finite() && w.is_finite())
        .collect();
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    if pairs.is_empty() || total <= 0.0 {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut cumulative = 0.0;
    for &(difference, weight) in &pairs {
        cumulative += weight;
        if cumulative >= 0.5 * total {
            return Some(difference);
        }
    }
    pairs.last().map(|p| p.0)
}

/// Rounds a frequency to two significant digits (250 Hz, 3.2 kHz): advice, not a measurement.
pub fn round_frequency(hz: f64) -> f64 {
    if hz <= 0.0 || !hz.is_finite() {
        return hz;
    }
    let magnitude = 10f64.powf(hz.log10().floor() - 1.0);
    (hz / magnitude).round() * magnitude
}

/// "250 Hz", "3.2 kHz", "12 kHz".
pub fn format_frequency(hz: f64) -> String {
    if hz >= 10_000.0 {
        format!("{:.0} kHz", hz / 1000.0)
    } else if hz >= 1000.0 {
        format!("{:.1} kHz", hz / 1000.0)
    } else {
        format!("{hz:.0} Hz")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::spectrum::SpectrumAnalyzer;
    use crate::reference::{CurveKind, builtin};

    /// Pink noise with `boost_db` added between `low_hz` and `high_hz` (exact, in the
    /// frequency domain of one long transform).
    fn shaped_pink(rate: f64, len: usize, seed: u64, boost: Option<(f64, f64, f64)>) -> Vec<f32> {
        crate::meter::spectrum::tests::shaped_pink_noise(rate, len, seed, 0.1, boost)
    }

    fn long_term(signal: &[f32], rate: f64) -> PowerSpectrum {
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
        analyzer.process(&[signal]);
        analyzer.flush();
        analyzer.long_term().to_owned()
    }

    #[test]
    fn a_curve_compared_with_itself_deviates_zero() {
        let rate = 48_000.0;
        let mix = long_term(&shaped_pink(rate, 1 << 20, 1, None), rate);
        let curve = Curve::from_spectrum("self", CurveKind::Captured, "test", &mix).unwrap();
        let comparison = compare_tonal(&mix, &curve).unwrap();
        for region in &comparison.regions {
            let d = region.deviation_db.unwrap();
            assert!(d.abs() < 1e-9, "{}: {d}", region.region.name);
        }
        assert!(comparison.suggestions.is_empty());
        for p in &comparison.points {
            assert!((p.mix_db - p.reference_db).abs() < 1e-9);
        }
    }

    #[test]
    fn pink_noise_matches_the_pink_slope() {
        let rate = 44_100.0;
        let mix = long_term(&shaped_pink(rate, 1 << 20, 2, None), rate);
        let comparison = compare_tonal(&mix, &builtin::curve("pink").unwrap()).unwrap();
        for region in &comparison.regions {
            let d = region.deviation_db.unwrap();
            assert!(d.abs() < 0.5, "{}: {d}", region.region.name);
        }
        assert!(comparison.suggestions.is_empty());
    }

    #[test]
    fn boosted_low_mids_are_flagged_there_and_nowhere_else() {
        let rate = 48_000.0;
        let mix = long_term(
            &shaped_pink(rate, 1 << 20, 3, Some((200.0, 500.0, 6.0))),
            rate,
        );
        let comparison = compare_tonal(&mix, &builtin::curve("pink").unwrap()).unwrap();
        for region in &comparison.regions {
            let d = region.deviation_db.unwrap();
            if region.region.id == "low_mids" {
                assert!(region.outside() && (d - 6.0).abs() < 0.5, "low-mids {d}");
            } else {
                // Matching does not drag the untouched regions.
                assert!(d.abs() < 0.5, "{} reads {d}", region.region.name);
                assert!(!region.outside(), "{} flagged at {d}", region.region.name);
            }
        }
        assert_eq!(comparison.suggestions.len(), 1);
        let suggestion = &comparison.suggestions[0];
        assert_eq!(suggestion.region_id, "low_mids");
        assert!((200.0..=500.0).contains(&suggestion.frequency_hz));
        assert!(
            suggestion.text.starts_with("low-mids +")
                && suggestion.text.contains("over the reference: cut around"),
            "{}",
            suggestion.text
        );
        // The same mix cut there instead.
        let mix = long_term(
            &shaped_pink(rate, 1 << 20, 3, Some((200.0, 500.0, -6.0))),
            rate,
        );
        let comparison = compare_tonal(&mix, &builtin::curve("pink").unwrap()).unwrap();
        assert_eq!(comparison.suggestions.len(), 1);
        assert!(
            comparison.suggestions[0]
                .text
                .contains("under the reference: boost around")
        );
    }

    #[test]
    fn a_band_sets_the_tolerance() {
        let rate = 48_000.0;
        let mix = long_term(
            &shaped_pink(rate, 1 << 20, 4, Some((2_000.0, 6_000.0, 2.5))),
            rate,
        );
        let mut curve = builtin::curve("pink").unwrap();
        // A wide band: a 2.5 dB presence lift is inside it.
        curve.band_low_db = Some(curve.level_db.iter().map(|l| l - 4.0).collect());
        curve.band_high_db = Some(curve.level_db.iter().map(|l| l + 4.0).collect());
        let comparison = compare_tonal(&mix, &curve).unwrap();
        assert!(comparison.suggestions.is_empty());
        let presence = &comparison.regions[4];
        assert!((presence.tolerance_high_db - 4.0).abs() < 1e-9);
        // A narrow one: flagged (the band is widened to ±1 dB, not less).
        curve.band_low_db = Some(curve.level_db.iter().map(|l| l - 0.2).collect());
        curve.band_high_db = Some(curve.level_db.iter().map(|l| l + 0.2).collect());
        let comparison = compare_tonal(&mix, &curve).unwrap();
        assert_eq!(comparison.suggestions[0].region_id, "presence");
        assert_eq!(comparison.regions[4].tolerance_high_db, MIN_TOLERANCE_DB);
    }

    #[test]
    fn silence_and_missing_bandwidth_give_no_value() {
        let rate = 48_000.0;
        let silent = long_term(&vec![0.0; 48_000], rate);
        assert!(compare_tonal(&silent, &builtin::curve("pink").unwrap()).is_none());
        // At 22.05 kHz the air region is only partly there; at 16 kHz not at all.
        let mix = long_term(&shaped_pink(16_000.0, 1 << 18, 5, None), 16_000.0);
        let comparison = compare_tonal(&mix, &builtin::curve("pink").unwrap()).unwrap();
        assert_eq!(comparison.regions[6].deviation_db, None);
        assert!(comparison.regions[5].deviation_db.is_some());
    }

    #[test]
    fn frequencies_are_rounded_for_advice() {
        assert_eq!(round_frequency(251.3), 250.0);
        assert_eq!(format_frequency(round_frequency(3162.0)), "3.2 kHz");
        assert_eq!(format_frequency(12_340.0), "12 kHz");
    }
}
