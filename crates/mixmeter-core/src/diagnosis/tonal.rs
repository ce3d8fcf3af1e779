//! Tonal balance ([`compare_tonal`]): the mix's long-term average spectrum against a
//! reference curve, aligned in level and tilt, region by region.
//!
//! 1. Both are taken on the standard 1/24-octave grid ([`crate::reference::standard_grid`]),
//!    over the points the curve covers and below the mix's Nyquist frequency: the mix as
//!    1/24-octave mean power per bin, the curve by interpolation.
//! 2. **Alignment** ([`crate::reference::align`]): the curve is shifted to the mix's loudness
//!    (a loudness-weighted median of the per-point differences) and tilted to the mix's
//!    overall balance (a Theil-Sen line in dB per octave around 1 kHz, fitted from 50 Hz to
//!    12 kHz with a second pass that leaves out points far from the first line). **The tilt is one reading**: outside the
//!    curve's tilt tolerance (its own, or ±[`DEFAULT_TILT_TOLERANCE_DB_PER_OCTAVE`]) it is one
//!    suggestion ("1.3 dB/octave darker than the reference: a high shelf..."), not three
//!    regional problems.
//! 3. Per region ([`REGIONS`]: sub 20-60 Hz, bass 60-200, low-mids 200-500, mids 500-2k,
//!    presence 2-6k, sibilance/harshness 6-12k, air 12-20k), after the tilt: the deviation is
//!    the ratio of the mix's mean power to the aligned curve's over the region's points, in
//!    dB. The tolerance is the same ratio for the curve's band edges (so a spectrum inside the
//!    band at every point is inside it in every region: a reference's own files pass it),
//!    widened to at least ±[`MIN_TOLERANCE_DB`], or ±[`DEFAULT_TOLERANCE_DB`] for a curve
//!    without a band. Curves built here and the built-in `music` curve have their widest
//!    bands at the ends (below 40 Hz, above 14 kHz), where sources and encoders differ most.
//! 4. **Advice of mix-EQ size**: a region outside its tolerance becomes a suggestion, ranked
//!    by how far outside it is (the tilt's excess counts 3 octaves of it), naming the
//!    frequency where the deviation (smoothed over a third of an octave) peaks inside the
//!    region and its size there ("cut around 300 Hz, about 6 dB"); a suggestion that would
//!    name a frequency within [`SAME_PLACE_OCTAVES`] of a better-ranked one in the same
//!    direction is the same problem seen from the next region, and is dropped. At most
//!    [`MAX_SUGGESTIONS`].
//! 5. **A reference that does not fit**: a region deviating by more than
//!    [`MAX_MIX_EQ_DB`] (more than an equaliser on a mix would change) gives one suggestion,
//!    "this reference does not fit this material", instead of any cut or boost.
//! 6. **What it is looking at** ([`Withheld`]): no advice on less than [`MIN_ADVICE_S`] of
//!    audio (a long-term average is not yet the mix), nor on a spectrum whose energy lies in
//!    fewer than [`MIN_BROADBAND_BANDS`] third-octave bands within [`BROADBAND_RANGE_DB`] of
//!    the loudest (a test tone, a few tones, a hum); the comparison says why. Silence gives no
//!    comparison at all.

use crate::meter::spectrum::PowerSpectrum;
use crate::reference::align::{self, TILT_PIVOT_HZ};
use crate::reference::{Curve, FLOOR_BELOW_PEAK_DB, POINTS_PER_OCTAVE, standard_grid};
use crate::smoothing::{LogSmoother, power_to_db};

/// Tolerance of a curve that has no band of its own, ± dB.
pub const DEFAULT_TOLERANCE_DB: f64 = 2.0;
/// A curve's band is widened to at least ± this, dB: references that agree closely (or one
/// file's band) must not turn sub-dB differences into advice.
pub const MIN_TOLERANCE_DB: f64 = 1.0;
/// Differences this small are rounding (a file exactly on its own curve's band edge is inside).
const ROUNDING_DB: f64 = 1e-6;
/// Tilt tolerance of a curve that states none, ± dB per octave.
pub const DEFAULT_TILT_TOLERANCE_DB_PER_OCTAVE: f64 = 0.5;
/// A curve's tilt tolerance is widened to at least ± this, dB per octave.
pub const MIN_TILT_TOLERANCE_DB_PER_OCTAVE: f64 = 0.25;
/// The tilt's excess counts this many octaves of it when it is ranked with regions (a tilt
/// 0.5 dB/octave past its tolerance moves 125 Hz and 8 kHz by 1.5 dB each).
pub const TILT_RANK_OCTAVES: f64 = 3.0;
/// A region deviating by more than this (dB, either way) is beyond what an equaliser on a mix
/// would change: the reference does not fit the material.
pub const MAX_MIX_EQ_DB: f64 = 12.0;
/// Seconds of audio before tonal advice is given.
pub const MIN_ADVICE_S: f64 = 10.0;
/// Third-octave bands (of the 28 from 25 Hz to 12.5 kHz) that must hold energy for the
/// spectrum to be material and not a test tone...
pub const MIN_BROADBAND_BANDS: usize = 8;
/// ...each within this many dB of the loudest band.
pub const BROADBAND_RANGE_DB: f64 = 40.0;
/// Two suggestions in the same direction naming frequencies closer than this (octaves) are
/// one problem.
pub const SAME_PLACE_OCTAVES: f64 = 2.0 / 3.0;
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
    /// The smoothed deviation there (a third of an octave), dB: the size of the EQ move.
    pub peak_db: Option<f64>,
}

impl RegionDeviation {
    /// How far outside the tolerance the deviation is, dB (0 inside).
    pub fn excess_db(&self) -> f64 {
        match self.deviation_db {
            Some(d) if d > self.tolerance_high_db + ROUNDING_DB => d - self.tolerance_high_db,
            Some(d) if d < self.tolerance_low_db - ROUNDING_DB => self.tolerance_low_db - d,
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
    /// A region's id, [`TILT_ID`] or [`MISFIT_ID`].
    pub region_id: &'static str,
    /// The region's deviation, dB (the tilt's in dB per octave).
    pub deviation_db: f64,
    /// How far outside the tolerance, dB (the tilt's counted over [`TILT_RANK_OCTAVES`]).
    pub excess_db: f64,
    pub frequency_hz: f64,
    /// The size of the move at `frequency_hz`, dB (signed like the deviation; for the tilt
    /// its dB per octave).
    pub size_db: f64,
    /// E.g. "low-mids +4.1 dB over the reference: cut around 250 Hz, about 5 dB".
    pub text: String,
}

/// `region_id` of the tilt suggestion.
pub const TILT_ID: &str = "tilt";
/// `region_id` of "this reference does not fit this material".
pub const MISFIT_ID: &str = "reference";

/// Why a comparison gives no advice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Withheld {
    /// Less than [`MIN_ADVICE_S`] of audio.
    TooShort { seconds: f64 },
    /// Energy in only this many third-octave bands: a test tone, not material.
    NarrowBand { bands: usize },
}

impl Withheld {
    pub fn id(self) -> &'static str {
        match self {
            Withheld::TooShort { .. } => "too-short",
            Withheld::NarrowBand { .. } => "narrow-band",
        }
    }

    /// Why, in words.
    pub fn reason(self) -> String {
        match self {
            Withheld::TooShort { seconds } => format!(
                "no tonal advice yet: {seconds:.1} s of audio averaged, {MIN_ADVICE_S:.0} s \
                 needed before the long-term spectrum stands for the mix"
            ),
            Withheld::NarrowBand { bands } => format!(
                "no tonal advice: the energy lies in {bands} third-octave band{} (a test tone \
                 or a few tones, not a mix)",
                if bands == 1 { "" } else { "s" }
            ),
        }
    }
}

/// The mix against one reference curve.
#[derive(Debug, Clone, PartialEq)]
pub struct TonalComparison {
    pub reference_name: String,
    /// Added to the curve to match the mix's loudness (loudness-weighted median), dB.
    pub offset_db: f64,
    /// The mix's overall tilt against the curve around 1 kHz, dB per octave (negative:
    /// darker), as fitted; readers take [`TonalComparison::tilt`], which has no value on a
    /// test tone.
    pub tilt_db_per_octave: f64,
    /// ± dB per octave.
    pub tilt_tolerance_db_per_octave: f64,
    /// Grid points compared: frequency, mix level and aligned reference level (offset and
    /// tilt; with its band, equal to the level without one), dB.
    pub points: Vec<ComparedPoint>,
    pub regions: Vec<RegionDeviation>,
    /// Ranked, at most [`MAX_SUGGESTIONS`]; empty when advice is withheld.
    pub suggestions: Vec<Suggestion>,
    /// Why there is no advice, when there is none for a reason.
    pub withheld: Option<Withheld>,
}

impl TonalComparison {
    /// The tilt, or no value on a test tone (a line fitted through a few bands of a sine says
    /// nothing about a mix's balance, as the regions' levels do not).
    pub fn tilt(&self) -> Option<f64> {
        match self.withheld {
            Some(Withheld::NarrowBand { .. }) => None,
            _ => Some(self.tilt_db_per_octave),
        }
    }

    /// Whether the tilt is outside its tolerance (never without a tilt).
    pub fn tilt_outside(&self) -> bool {
        self.tilt()
            .is_some_and(|t| t.abs() > self.tilt_tolerance_db_per_octave + ROUNDING_DB)
    }

    /// "0.8 dB/octave darker than the reference", "as bright as the reference (+0.1 dB/octave)",
    /// or "no value" on a test tone.
    pub fn tilt_text(&self) -> String {
        match self.tilt() {
            Some(tilt) => tilt_words(tilt, self.tilt_outside()),
            None => "no value".to_string(),
        }
    }
}

fn tilt_words(tilt: f64, outside: bool) -> String {
    let word = if tilt < 0.0 { "darker" } else { "brighter" };
    if outside {
        format!("{:.1} dB/octave {word} than the reference", tilt.abs())
    } else {
        format!("balance within the reference's tilt ({tilt:+.1} dB/octave)")
    }
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
    // Bands with no energy at all read the floor curves are made with (not -inf).
    let floor_db = power_to_db(loudest) - FLOOR_BELOW_PEAK_DB;
    let mix_db: Vec<f64> = mix_power
        .iter()
        .map(|&p| power_to_db(p).max(floor_db))
        .collect();
    let reference: Vec<(f64, f64, f64)> = grid.iter().filter_map(|&f| curve.at(f)).collect();
    let levels: Vec<f64> = reference.iter().map(|r| r.0).collect();
    let alignment = align::align(&grid, &mix_db, &levels)?;
    let points: Vec<ComparedPoint> = grid
        .iter()
        .enumerate()
        .map(|(i, &hz)| ComparedPoint {
            hz,
            mix_db: mix_db[i],
            reference_db: alignment.apply(hz, reference[i].0),
            band_low_db: alignment.apply(hz, reference[i].1),
            band_high_db: alignment.apply(hz, reference[i].2),
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
    // A region where the mix has no points (above its Nyquist frequency) still has the
    // curve's tolerance there, from the curve's own points laid over the mix the same way.
    let curve_points: Vec<ComparedPoint> = standard_grid()
        .into_iter()
        .filter(|&f| f * half > nyquist_hz)
        .filter_map(|hz| {
            let (level, low, high) = curve.covers(hz).then(|| curve.at(hz)).flatten()?;
            Some(ComparedPoint {
                hz,
                mix_db: f64::NAN,
                reference_db: alignment.apply(hz, level),
                band_low_db: alignment.apply(hz, low),
                band_high_db: alignment.apply(hz, high),
            })
        })
        .collect();
    let regions: Vec<RegionDeviation> = REGIONS
        .iter()
        .map(|&region| {
            region_deviation(region, &points, &curve_points, &smoothed, curve.has_band())
        })
        .collect();
    let tilt_tolerance_db_per_octave = curve
        .tilt_tolerance_db_per_octave
        .unwrap_or(DEFAULT_TILT_TOLERANCE_DB_PER_OCTAVE)
        .max(MIN_TILT_TOLERANCE_DB_PER_OCTAVE);
    let mut comparison = TonalComparison {
        reference_name: curve.name.clone(),
        offset_db: alignment.offset_db,
        tilt_db_per_octave: alignment.tilt_db_per_octave,
        tilt_tolerance_db_per_octave,
        points,
        regions,
        suggestions: Vec::new(),
        withheld: withheld(mix, &grid, &mix_power),
    };
    match comparison.withheld {
        None => comparison.suggestions = suggestions(&comparison),
        // On a test tone a region's level against a curve of music means nothing: no value,
        // so no reader (editor, summary, JSON, checklist) shows "+100 dB" for it.
        Some(Withheld::NarrowBand { .. }) => {
            for region in &mut comparison.regions {
                region.deviation_db = None;
                region.worst_hz = None;
                region.peak_db = None;
            }
        }
        Some(Withheld::TooShort { .. }) => {}
    }
    Some(comparison)
}

/// The mean power over `points` of the level `db` gives, in dB.
fn mean_db(points: &[&ComparedPoint], db: impl Fn(&ComparedPoint) -> f64) -> f64 {
    power_to_db(points.iter().map(|p| 10f64.powf(db(p) / 10.0)).sum::<f64>() / points.len() as f64)
}

/// A region's tolerance over `points` (not empty): the same ratio as the deviation, for the
/// band's edges, so inside the band at every point means inside it over the region.
fn tolerance(points: &[&ComparedPoint], has_band: bool) -> (f64, f64) {
    if !has_band {
        return (-DEFAULT_TOLERANCE_DB, DEFAULT_TOLERANCE_DB);
    }
    let reference = mean_db(points, |p| p.reference_db);
    let low = mean_db(points, |p| p.band_low_db) - reference;
    let high = mean_db(points, |p| p.band_high_db) - reference;
    (low.min(-MIN_TOLERANCE_DB), high.max(MIN_TOLERANCE_DB))
}

/// `curve_points`: the curve's points where the mix has none (their tolerance stands for a
/// region the mix does not reach).
fn region_deviation(
    region: Region,
    points: &[ComparedPoint],
    curve_points: &[ComparedPoint],
    smoothed: &[f64],
    has_band: bool,
) -> RegionDeviation {
    let in_region = |p: &ComparedPoint| p.hz >= region.low_hz && p.hz < region.high_hz;
    let inside: Vec<usize> = (0..points.len())
        .filter(|&i| in_region(&points[i]))
        .collect();
    if inside.is_empty() {
        let curve_inside: Vec<&ComparedPoint> =
            curve_points.iter().filter(|p| in_region(p)).collect();
        let (tolerance_low_db, tolerance_high_db) = if curve_inside.is_empty() {
            (-DEFAULT_TOLERANCE_DB, DEFAULT_TOLERANCE_DB)
        } else {
            tolerance(&curve_inside, has_band)
        };
        return RegionDeviation {
            region,
            deviation_db: None,
            tolerance_low_db,
            tolerance_high_db,
            worst_hz: None,
            peak_db: None,
        };
    }
    let inside_points: Vec<&ComparedPoint> = inside.iter().map(|&i| &points[i]).collect();
    let deviation =
        mean_db(&inside_points, |p| p.mix_db) - mean_db(&inside_points, |p| p.reference_db);
    let (tolerance_low_db, tolerance_high_db) = tolerance(&inside_points, has_band);
    let sign = if deviation >= 0.0 { 1.0 } else { -1.0 };
    let worst = inside
        .iter()
        .copied()
        .max_by(|&a, &b| (sign * smoothed[a]).total_cmp(&(sign * smoothed[b])));
    RegionDeviation {
        region,
        deviation_db: Some(deviation),
        tolerance_low_db,
        tolerance_high_db,
        worst_hz: worst.map(|i| points[i].hz),
        peak_db: worst.map(|i| smoothed[i]),
    }
}

/// Third-octave band centres the broadband test looks at (25 Hz to 12.5 kHz).
fn third_octave_centres() -> impl Iterator<Item = f64> {
    (-16..=11).map(|n| TILT_PIVOT_HZ * 2f64.powf(n as f64 / 3.0))
}

/// Why advice is withheld, if it is (see the module docs).
fn withheld(mix: &PowerSpectrum, grid: &[f64], mix_power: &[f64]) -> Option<Withheld> {
    if mix.covered_s < MIN_ADVICE_S {
        return Some(Withheld::TooShort {
            seconds: mix.covered_s.max(0.0),
        });
    }
    // Band power: per-bin power times the band's width (proportional to frequency).
    let bands: Vec<f64> = third_octave_centres()
        .filter_map(|centre| {
            let edge = 2f64.powf(1.0 / 6.0);
            let inside: Vec<usize> = (0..grid.len())
                .filter(|&i| grid[i] >= centre / edge && grid[i] < centre * edge)
                .collect();
            (!inside.is_empty()).then(|| {
                inside.iter().map(|&i| mix_power[i]).sum::<f64>() / inside.len() as f64 * centre
            })
        })
        .collect();
    let loudest = bands.iter().copied().fold(0.0f64, f64::max);
    let floor = loudest * 10f64.powf(-BROADBAND_RANGE_DB / 10.0);
    let holding = bands.iter().filter(|&&b| b > 0.0 && b >= floor).count();
    (holding < MIN_BROADBAND_BANDS).then_some(Withheld::NarrowBand { bands: holding })
}

/// The ranked suggestions of a comparison (see the module docs).
fn suggestions(c: &TonalComparison) -> Vec<Suggestion> {
    // A reference that does not fit: one suggestion instead of any EQ advice.
    let misfit = c
        .regions
        .iter()
        .filter(|r| r.deviation_db.is_some_and(|d| d.abs() > MAX_MIX_EQ_DB))
        .max_by(|a, b| a.excess_db().total_cmp(&b.excess_db()));
    if let Some(r) = misfit {
        let deviation_db = r.deviation_db.unwrap_or(0.0);
        let frequency_hz = round_frequency(r.worst_hz.unwrap_or(r.region.low_hz));
        return vec![Suggestion {
            region_id: MISFIT_ID,
            deviation_db,
            excess_db: r.excess_db(),
            frequency_hz,
            size_db: deviation_db,
            text: format!(
                "this reference does not fit this material: {} {deviation_db:+.1} dB against \
                 \"{}\", more than an EQ on a mix would change ({MAX_MIX_EQ_DB:.0} dB); pick \
                 or build a reference closer to this music",
                r.region.name, c.reference_name
            ),
        }];
    }
    let mut found: Vec<Suggestion> = c
        .regions
        .iter()
        .filter(|r| r.outside())
        .filter_map(|r| {
            let deviation_db = r.deviation_db?;
            let frequency_hz = round_frequency(r.worst_hz?);
            let size_db = r.peak_db?;
            let (direction, action) = if deviation_db > 0.0 {
                ("over", r.region.over_action)
            } else {
                ("under", r.region.under_action)
            };
            let size = if size_db.abs() > MAX_MIX_EQ_DB {
                format!(
                    " (it reaches {size_db:+.0} dB there: look for a filter, or a reference \
                     that does not fit)"
                )
            } else {
                format!(", about {:.0} dB", size_db.abs().max(1.0))
            };
            Some(Suggestion {
                region_id: r.region.id,
                deviation_db,
                excess_db: r.excess_db(),
                frequency_hz,
                size_db,
                text: format!(
                    "{} {:+.1} dB {direction} the reference: {action} around {}{size}",
                    r.region.name,
                    deviation_db,
                    format_frequency(frequency_hz)
                ),
            })
        })
        .collect();
    if c.tilt_outside() {
        let tilt = c.tilt_db_per_octave;
        let fix = if tilt < 0.0 {
            "a high shelf up (or a brighter master) rather than boosts region by region"
        } else {
            "a high shelf down (or a darker master) rather than cuts region by region"
        };
        found.push(Suggestion {
            region_id: TILT_ID,
            deviation_db: tilt,
            excess_db: (tilt.abs() - c.tilt_tolerance_db_per_octave) * TILT_RANK_OCTAVES,
            frequency_hz: TILT_PIVOT_HZ,
            size_db: tilt,
            text: format!("{}: {fix}", tilt_words(tilt, true)),
        });
    }
    found.sort_by(|a, b| b.excess_db.total_cmp(&a.excess_db));
    let mut kept: Vec<Suggestion> = Vec::new();
    for s in found {
        let same_place = s.region_id != TILT_ID
            && kept.iter().any(|k| {
                k.region_id != TILT_ID
                    && (k.deviation_db > 0.0) == (s.deviation_db > 0.0)
                    && (k.frequency_hz / s.frequency_hz).log2().abs() < SAME_PLACE_OCTAVES
            });
        if !same_place && kept.len() < MAX_SUGGESTIONS {
            kept.push(s);
        }
    }
    kept
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
    use crate::diagnosis::checks;
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

    /// A region the mix does not reach (above its Nyquist frequency) has no value, and the
    /// tolerance it shows is still the curve's own there, not the default for curves without
    /// a band.
    #[test]
    fn a_region_beyond_nyquist_keeps_the_curves_tolerance() {
        let mut curve = builtin::curve("pink").unwrap();
        let (low, high) = (3.0, 5.0);
        curve.band_low_db = Some(curve.level_db.iter().map(|l| l - low).collect());
        curve.band_high_db = Some(curve.level_db.iter().map(|l| l + high).collect());
        let mix = long_term(&shaped_pink(8_000.0, 1 << 17, 5, None), 8_000.0);
        let comparison = compare_tonal(&mix, &curve).unwrap();
        for region in &comparison.regions[5..] {
            assert_eq!(region.deviation_db, None, "{}", region.region.name);
            assert!(
                (region.tolerance_low_db + low).abs() < 1e-9
                    && (region.tolerance_high_db - high).abs() < 1e-9,
                "{}: {} to {}",
                region.region.name,
                region.tolerance_low_db,
                region.tolerance_high_db
            );
        }
    }

    #[test]
    fn no_advice_on_a_test_tone_or_too_little_audio_and_it_says_why() {
        let rate = 48_000.0;
        let sine: Vec<f32> = (0..1 << 20)
            .map(|n| (0.5 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / rate).sin()) as f32)
            .collect();
        let c = compare_tonal(&long_term(&sine, rate), &builtin::curve("music").unwrap()).unwrap();
        assert!(c.suggestions.is_empty());
        assert!(matches!(c.withheld, Some(Withheld::NarrowBand { bands }) if bands < 3));
        assert!(c.withheld.unwrap().reason().contains("test tone"));
        assert!(
            c.regions
                .iter()
                .all(|r| r.deviation_db.is_none() && !r.outside())
        );
        // Nor a tilt: the line fitted through a sine's few bands is not a balance.
        assert_eq!(c.tilt(), None);
        assert!(!c.tilt_outside());
        assert_eq!(c.tilt_text(), "no value");
        // No advice means no grade either: the checklist's tonal check says the same reason.
        let tonal_check = |c: &TonalComparison| {
            let readings = crate::meter::engine::Readings::default();
            let profile = checks::profile("pre-master").unwrap();
            let inputs = checks::Inputs {
                readings: &readings,
                tonal: Some(c),
                finished: false,
            };
            checks::run(&profile, &inputs)
                .into_iter()
                .find(|i| i.measure == checks::Measure::TonalExcess)
                .unwrap()
        };
        let item = tonal_check(&c);
        assert_eq!(item.status, None, "{item:?}");
        assert_eq!(item.evidence, c.withheld.unwrap().reason());
        let short = long_term(
            &shaped_pink(rate, 48_000 * 5, 6, Some((200.0, 500.0, 9.0))),
            rate,
        );
        let c = compare_tonal(&short, &builtin::curve("pink").unwrap()).unwrap();
        assert!(c.suggestions.is_empty());
        assert!(
            matches!(c.withheld, Some(Withheld::TooShort { seconds }) if seconds < MIN_ADVICE_S)
        );
        let item = tonal_check(&c);
        assert_eq!(item.status, None, "{item:?}");
        assert!(item.evidence.starts_with("no tonal advice yet"), "{item:?}");
        // Enough of the same boosted mix is graded (the 9 dB low-mid boost fails).
        let long = long_term(
            &shaped_pink(rate, 48_000 * 12, 6, Some((200.0, 500.0, 9.0))),
            rate,
        );
        let c = compare_tonal(&long, &builtin::curve("pink").unwrap()).unwrap();
        assert_eq!(c.withheld, None);
        assert!(tonal_check(&c).status.is_some());
    }

    #[test]
    fn a_tilt_is_one_reading_not_regional_problems() {
        let rate = 48_000.0;
        let mix = long_term(&shaped_pink(rate, 1 << 20, 7, None), rate);
        // The pink slope tilted 1.5 dB/octave darker: the mix reads 1.5 brighter.
        let mut curve = builtin::curve("pink").unwrap();
        for (l, f) in curve.level_db.iter_mut().zip(&curve.frequency_hz) {
            *l -= 1.5 * (f / 1000.0).log2();
        }
        let c = compare_tonal(&mix, &curve).unwrap();
        assert!(
            (c.tilt_db_per_octave - 1.5).abs() < 0.1,
            "{}",
            c.tilt_db_per_octave
        );
        assert_eq!(c.suggestions.len(), 1, "{:?}", c.suggestions);
        assert_eq!(c.suggestions[0].region_id, TILT_ID);
        assert!(
            c.suggestions[0]
                .text
                .starts_with("1.5 dB/octave brighter than the reference")
        );
        for r in &c.regions {
            assert!(
                r.deviation_db.unwrap().abs() < 0.5,
                "{}: {:?}",
                r.region.name,
                r.deviation_db
            );
        }
    }

    #[test]
    fn frequencies_are_rounded_for_advice() {
        assert_eq!(round_frequency(251.3), 250.0);
        assert_eq!(format_frequency(round_frequency(3162.0)), "3.2 kHz");
        assert_eq!(format_frequency(12_340.0), "12 kHz");
    }
}
