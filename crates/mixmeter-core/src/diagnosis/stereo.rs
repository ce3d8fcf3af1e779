//! Mono compatibility: the stereo image per band turned into flags, a verdict and suggestions.
//!
//! Input: the per-band sums of [`crate::meter::stereo`] over one window (live, 3 s; or the
//! whole measurement) and the whole-mix correlation and mono loss of the meter.
//!
//! - **Per band and per region** ([`super::REGIONS`]; a region is the exact sum of its bands):
//!   correlation, width (side relative to mid, dB), mono loss (LU) and the band's share of the
//!   mix's energy.
//! - **Flag**: evidence of cancellation, not of decorrelation. A band is flagged when all of
//!   - its correlation is clearly negative: below [`FLAG_CORRELATION`] and below 0 by more
//!     than the estimate's noise, three standard errors, `3 / sqrt(n)`, with `n` = bins ×
//!     frames / 2 (Hann frames at 50 % overlap and neighbouring bins are not independent;
//!     halving is the usual allowance);
//!   - folding it to mono loses more than [`MAX_MONO_LOSS_LU`] in that band (more than
//!     uncorrelated channels lose, 3 LU), or cancels it;
//!   - it carries at least [`MIN_SHARE_DB`] of the mix's energy.
//!
//!   Decorrelated material (reverb, wide pads, independent noise, a Haas delay) hovers around
//!   0 and loses about 3 LU: that is width, not a fault, however many frames make its
//!   correlation of -0.03 "significant". A polarity or phase problem reads far below.
//! - **Verdict** (none without a value: a silent or empty window, or one below the absolute
//!   gate, has no verdict, see [`Mix`]): `Problem` when a band is flagged or the whole mix
//!   loses more than [`MAX_MONO_LOSS_LU`] in mono (more than uncorrelated channels would) or
//!   cancels; `Caution` when the low end (below [`LOW_END_HZ`]) carries side energy within
//!   [`LOW_END_WIDTH_DB`] of its mid energy; else `Good`.
//! - **Suggestions** (at most [`super::MAX_SUGGESTIONS`]), in order: flagged bands (worst mono
//!   loss first, neighbouring flagged bands merged; flagged bands holding nearly all the
//!   energy ([`CHANNEL_POLARITY_SHARE`]) read as one channel's polarity), side energy in the low end (unless a flagged band there says more),
//!   the whole-mix loss (when no band is flagged to explain it).
//!
//! Thresholds, with their reasons: side energy in the low end is what vinyl cutting and mono
//! playback (phone, Bluetooth, club systems) punish first; 120 Hz is the usual "mono below"
//! crossover of bass-management and mastering practice. -10 dB side under mid corresponds to a
//! correlation of about +0.82 for equal channels. Independent channels lose 3.01 LU in mono; a
//! whole-mix loss beyond 4 LU means the channels are clearly anti-correlated (about -0.2 for
//! equal channels).

use super::{MAX_SUGGESTIONS, REGIONS, Region, format_frequency};
use crate::meter::stereo::{
    BAND_EDGES_HZ, BANDS, BandSums, StereoWindow, band_in_range, sum_range,
};

/// Bands with less than this share of the mix's energy are not flagged, dB: a tenth of a
/// percent of the energy, whose cancellation moves the mix by under 0.005 dB.
pub const MIN_SHARE_DB: f64 = -30.0;
/// Flagged bands holding this much of the mix's energy (in one run) read as one channel's
/// polarity rather than a source's.
pub const CHANNEL_POLARITY_SHARE: f64 = 0.9;
/// A band's correlation must be below this to be flagged: clearly negative (for equal
/// channels, -0.2 is where the band loses 4 LU in mono, [`MAX_MONO_LOSS_LU`]).
pub const FLAG_CORRELATION: f64 = -0.2;
/// Standard errors a negative correlation must lie below 0 to be flagged.
pub const FLAG_STANDARD_ERRORS: f64 = 3.0;
/// The low end that should stay centred: below this, Hz.
pub const LOW_END_HZ: f64 = 120.0;
/// Side energy within this many dB of mid energy below [`LOW_END_HZ`] is a caution.
pub const LOW_END_WIDTH_DB: f64 = -10.0;
/// A whole mix losing more than this in mono is a problem, LU.
pub const MAX_MONO_LOSS_LU: f64 = 4.0;

/// Stereo readings of one band or region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StereoBand {
    pub low_hz: f64,
    pub high_hz: f64,
    pub correlation: Option<f64>,
    /// Side energy relative to mid energy, dB (clamped to ±60).
    pub width_db: Option<f64>,
    /// Level lost when folded to mono, LU (`None`: silent, or cancels).
    pub mono_loss_lu: Option<f64>,
    /// The band's share of the mix's energy, dB (`None`: silent band).
    pub share_db: Option<f64>,
    /// Cancels in mono: correlation clearly below 0 (beyond [`FLAG_CORRELATION`] and the
    /// estimation noise) with a band mono loss over [`MAX_MONO_LOSS_LU`], in a band that
    /// matters ([`MIN_SHARE_DB`]).
    pub flagged: bool,
}

/// A region's readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StereoRegion {
    pub region: Region,
    pub readings: StereoBand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to fix.
    Good,
    /// Side energy in the low end.
    Caution,
    /// Something cancels in mono.
    Problem,
}

impl Verdict {
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::Caution => "caution",
            Verdict::Problem => "problem",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Good => "mono-safe",
            Verdict::Caution => "check the low end",
            Verdict::Problem => "cancels in mono",
        }
    }
}

/// What kind of finding a suggestion comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StereoFinding {
    NegativeCorrelation,
    WideLowEnd,
    MonoLoss,
}

impl StereoFinding {
    pub fn id(self) -> &'static str {
        match self {
            StereoFinding::NegativeCorrelation => "negative_correlation",
            StereoFinding::WideLowEnd => "wide_low_end",
            StereoFinding::MonoLoss => "mono_loss",
        }
    }
}

/// A suggestion with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct StereoSuggestion {
    pub finding: StereoFinding,
    pub low_hz: f64,
    pub high_hz: f64,
    /// E.g. "side energy below 120 Hz (-4.2 dB under mid): keep the bass centred".
    pub text: String,
    /// The readings behind it and the threshold they pass, e.g. "below 120 Hz: side -4.2 dB
    /// against mid (a caution above -10 dB)".
    pub evidence: String,
}

/// The meter's whole-mix readings of the window judged: the loudness of the stereo mix (no
/// value: silent, or below the BS.1770 absolute gate), the correlation and the mono loss.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Mix {
    pub loudness_lufs: Option<f64>,
    pub correlation: Option<f64>,
    /// `None` with a loudness: the mix cancels in mono.
    pub mono_loss_lu: Option<f64>,
}

impl Mix {
    /// The whole measurement: integrated loudness, correlation and mono loss.
    pub fn whole(r: &crate::meter::engine::Readings) -> Mix {
        Mix {
            loudness_lufs: r.integrated_lufs,
            correlation: r.integrated_correlation,
            mono_loss_lu: r.mono_loss_integrated_lu,
        }
    }

    /// Live: short-term loudness and mono loss (3 s), momentary correlation (400 ms).
    pub fn live(r: &crate::meter::engine::Readings) -> Mix {
        Mix {
            loudness_lufs: r.short_term_lufs,
            correlation: r.correlation,
            mono_loss_lu: r.mono_loss_short_term_lu,
        }
    }
}

/// The mono-compatibility summary of one window.
#[derive(Debug, Clone, PartialEq)]
pub struct MonoCompatibility {
    /// Whole-mix correlation and mono loss (the meter's, time domain, BS.1770 gating for the
    /// loss).
    pub correlation: Option<f64>,
    pub mono_loss_lu: Option<f64>,
    pub bands: Vec<StereoBand>,
    pub regions: Vec<StereoRegion>,
    /// Low end (below [`LOW_END_HZ`]).
    pub low_end: StereoBand,
    /// Indices into `bands` of the worst bands (most mono loss, at most three, only those
    /// losing more than 1 LU), worst first.
    pub worst_bands: Vec<usize>,
    /// `None`: no value, no verdict (silent, empty, or below the absolute gate).
    pub verdict: Option<Verdict>,
    pub suggestions: Vec<StereoSuggestion>,
}

/// Stereo bands (of [`BANDS`], about two thirds of an octave to an octave wide) that must hold
/// energy within [`super::tonal::BROADBAND_RANGE_DB`] of the loudest for the audio to be
/// material and not a test tone: the tonal comparison's rule (8 third-octave bands, about 2.7
/// octaves, [`super::tonal::MIN_BROADBAND_BANDS`]) carried over to these bands, rounded down
/// so that no instrument's recording is taken for a tone.
pub const MIN_BROADBAND_BANDS: usize = 3;

impl MonoCompatibility {
    /// `Some(bands holding energy)` when the whole measurement's energy lies in fewer than
    /// [`MIN_BROADBAND_BANDS`] bands (a sine, two tones, a hum): a test tone, not a mix, so no
    /// advice about mixing (over-compression) is given on it. `None`: material, or silent.
    pub fn narrow_band(&self) -> Option<usize> {
        let shares: Vec<f64> = self.bands.iter().filter_map(|b| b.share_db).collect();
        let loudest = shares.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !loudest.is_finite() {
            return None;
        }
        let holding = shares
            .iter()
            .filter(|&&s| s >= loudest - super::tonal::BROADBAND_RANGE_DB)
            .count();
        (holding < MIN_BROADBAND_BANDS).then_some(holding)
    }
}

/// One band's (or a range's) readings and flag, from its sums, the spectral estimates behind
/// them (`bins` × `frames`) and the mix's total energy.
fn judge(sums: &BandSums, low_hz: f64, high_hz: f64, estimates: f64, total: f64) -> StereoBand {
    // A difference of logarithms: the ratio of a tiny band to a loud mix can underflow to 0.
    let share_db = (sums.energy() > 0.0 && total > 0.0)
        .then(|| 10.0 * (sums.energy().log10() - total.log10()))
        .filter(|s| s.is_finite());
    let correlation = sums.correlation();
    let n = estimates / 2.0;
    let noise = if n > 0.0 {
        FLAG_STANDARD_ERRORS / n.sqrt()
    } else {
        f64::INFINITY
    };
    let mono_loss_lu = sums.mono_loss_lu();
    // Cancellation, not decorrelation: clearly negative, and losing what matters.
    let cancels = correlation.is_some_and(|c| c < FLAG_CORRELATION && c < -noise)
        && mono_loss_lu.is_none_or(|l| l < -MAX_MONO_LOSS_LU);
    StereoBand {
        low_hz,
        high_hz,
        correlation,
        width_db: sums.width_db(),
        mono_loss_lu,
        share_db,
        flagged: share_db.is_some_and(|s| s >= MIN_SHARE_DB) && cancels,
    }
}

/// Readings of the bands whose centres lie in `low_hz..high_hz`, judged together.
fn judge_range(window: &StereoWindow, low_hz: f64, high_hz: f64, total: f64) -> StereoBand {
    let bins: usize = (0..BANDS)
        .filter(|&b| band_in_range(b, low_hz, high_hz))
        .map(|b| window.bins[b])
        .sum();
    let sums = sum_range(&window.sums, low_hz, high_hz);
    judge(
        &sums,
        low_hz,
        high_hz,
        (bins as u64 * window.frames) as f64,
        total,
    )
}

/// A value rounded to tenths for `{:+.1}`, without "-0.0" for what rounds to zero.
pub fn signed_tenths(value: f64) -> f64 {
    (value * 10.0).round() / 10.0 + 0.0
}

/// "200-500 Hz", "2-6 kHz", "500 Hz-2 kHz".
pub fn format_range(low_hz: f64, high_hz: f64) -> String {
    let k = |hz: f64| {
        let v = hz / 1000.0;
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    };
    if high_hz < 1000.0 {
        format!("{low_hz:.0}-{high_hz:.0} Hz")
    } else if low_hz >= 1000.0 {
        format!("{}-{} kHz", k(low_hz), k(high_hz))
    } else {
        format!("{low_hz:.0} Hz-{} kHz", k(high_hz))
    }
}

fn format_loss(loss: Option<f64>) -> String {
    match loss {
        Some(l) => format!("{l:+.1} LU in mono"),
        None => "cancels in mono".to_string(),
    }
}

/// Judges one window. `mix` holds the meter's whole-mix values for the same window
/// ([`Mix::live`], [`Mix::whole`]).
pub fn mono_compatibility(window: &StereoWindow, mix: &Mix) -> MonoCompatibility {
    let Mix {
        loudness_lufs,
        correlation,
        mono_loss_lu,
    } = *mix;
    let total: f64 = window.sums.iter().map(BandSums::energy).sum();
    // No value, no verdict: nothing measured, or nothing above the absolute gate.
    let measured = loudness_lufs.is_some() && correlation.is_some() && total > 0.0;
    // Without a value nothing is flagged either.
    let judged = |low_hz: f64, high_hz: f64| {
        let mut band = judge_range(window, low_hz, high_hz, total);
        band.flagged &= measured;
        band
    };
    let bands: Vec<StereoBand> = (0..BANDS)
        .map(|b| judged(BAND_EDGES_HZ[b], BAND_EDGES_HZ[b + 1]))
        .collect();
    let regions: Vec<StereoRegion> = REGIONS
        .iter()
        .map(|&region| StereoRegion {
            region,
            readings: judged(region.low_hz, region.high_hz),
        })
        .collect();
    let low_end = judged(BAND_EDGES_HZ[0], LOW_END_HZ);

    let mut worst_bands: Vec<usize> = (0..BANDS)
        .filter(|&b| {
            measured
                && bands[b].share_db.is_some_and(|s| s >= MIN_SHARE_DB)
                && bands[b].mono_loss_lu.is_none_or(|l| l < -1.0)
                && bands[b].width_db.is_some()
        })
        .collect();
    let loss_key = |b: &usize| bands[*b].mono_loss_lu.unwrap_or(f64::NEG_INFINITY);
    worst_bands.sort_by(|a, b| loss_key(a).total_cmp(&loss_key(b)));
    worst_bands.truncate(3);

    let mut suggestions = Vec::new();
    // Flagged bands, neighbours merged, worst first.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (b, _) in bands.iter().enumerate().filter(|(_, band)| band.flagged) {
        match runs.last_mut() {
            Some((_, end)) if *end == b => *end = b + 1,
            _ => runs.push((b, b + 1)),
        }
    }
    let mut run_sums: Vec<(StereoBand, usize, usize)> = runs
        .iter()
        .map(|&(first, end)| {
            let range = judged(BAND_EDGES_HZ[first], BAND_EDGES_HZ[end]);
            (range, first, end)
        })
        .collect();
    run_sums.sort_by(|a, b| {
        let key = |r: &StereoBand| r.mono_loss_lu.unwrap_or(f64::NEG_INFINITY);
        key(&a.0).total_cmp(&key(&b.0))
    });
    // The share of the mix's energy in flagged bands: nearly all of it in one run is one
    // channel's polarity (a real mix's decorrelated top octave may not read negative enough
    // to be flagged with the rest).
    let covered_share: f64 = bands
        .iter()
        .filter(|b| b.flagged)
        .filter_map(|b| b.share_db)
        .map(|s| 10f64.powf(s / 10.0))
        .sum();
    for (run, _, _) in &run_sums {
        let what = if covered_share >= CHANNEL_POLARITY_SHARE && run_sums.len() == 1 {
            // Nearly the whole mix: one channel's polarity, not a source.
            "flip the polarity of one channel, or find the source inverted in it"
        } else {
            "check the polarity of sources there, or a widener or chorus"
        };
        suggestions.push(StereoSuggestion {
            finding: StereoFinding::NegativeCorrelation,
            low_hz: run.low_hz,
            high_hz: run.high_hz,
            text: format!(
                "{} out of phase (correlation {:+.2}, {}): {what}",
                format_range(run.low_hz, run.high_hz),
                run.correlation.unwrap_or(-1.0),
                format_loss(run.mono_loss_lu)
            ),
            evidence: format!(
                "{}: correlation {:+.2} (flagged below {FLAG_CORRELATION:+.1}), {} (flagged \
                 beyond -{MAX_MONO_LOSS_LU:.0} LU), {:.0} dB of the mix's energy",
                format_range(run.low_hz, run.high_hz),
                run.correlation.unwrap_or(-1.0),
                format_loss(run.mono_loss_lu),
                run.share_db.unwrap_or(f64::NEG_INFINITY)
            ),
        });
    }
    let wide_low_end = measured
        && low_end.share_db.is_some_and(|s| s >= MIN_SHARE_DB)
        && low_end.width_db.is_some_and(|w| w > LOW_END_WIDTH_DB);
    if wide_low_end && !bands.iter().any(|b| b.flagged && b.high_hz <= LOW_END_HZ) {
        suggestions.push(StereoSuggestion {
            finding: StereoFinding::WideLowEnd,
            low_hz: BAND_EDGES_HZ[0],
            high_hz: LOW_END_HZ,
            text: format!(
                "side energy below {} ({:+.1} dB against mid): keep the bass centred",
                format_frequency(LOW_END_HZ),
                signed_tenths(low_end.width_db.unwrap_or(0.0))
            ),
            evidence: format!(
                "below {}: side {:+.1} dB against mid (a caution above {LOW_END_WIDTH_DB:+.0} dB)",
                format_frequency(LOW_END_HZ),
                signed_tenths(low_end.width_db.unwrap_or(0.0))
            ),
        });
    }
    // No mono loss with a loudness: the mix cancels folded to mono.
    let heavy_loss = measured && mono_loss_lu.is_none_or(|l| l < -MAX_MONO_LOSS_LU);
    // Flagged bands already explain a loss; otherwise it is spread over the spectrum.
    if heavy_loss && run_sums.is_empty() {
        suggestions.push(StereoSuggestion {
            finding: StereoFinding::MonoLoss,
            low_hz: BAND_EDGES_HZ[0],
            high_hz: BAND_EDGES_HZ[BANDS],
            text: format!(
                "the mix {} (correlation {:+.2}): narrow the widest elements and check them in mono",
                match mono_loss_lu {
                    Some(l) => format!("loses {:.1} LU folded to mono", -l),
                    None => "cancels folded to mono".to_string(),
                },
                correlation.unwrap_or(0.0)
            ),
            evidence: format!(
                "whole mix: {} in mono, correlation {:+.2} (a problem beyond \
                 -{MAX_MONO_LOSS_LU:.0} LU; independent channels lose 3 LU)",
                match mono_loss_lu {
                    Some(l) => format!("{:+.1} LU", signed_tenths(l)),
                    None => "cancels".to_string(),
                },
                correlation.unwrap_or(0.0)
            ),
        });
    }
    suggestions.truncate(MAX_SUGGESTIONS);

    let verdict = if !measured {
        None
    } else if bands.iter().any(|b| b.flagged) || heavy_loss {
        Some(Verdict::Problem)
    } else if wide_low_end {
        Some(Verdict::Caution)
    } else {
        Some(Verdict::Good)
    };
    MonoCompatibility {
        correlation,
        mono_loss_lu,
        bands,
        regions,
        low_end,
        worst_bands,
        verdict,
        suggestions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::engine::{Meter, MeterConfig};
    use crate::meter::stereo::tests::{Relation, stereo_pink};

    const RATE: f64 = 48_000.0;

    /// The whole-measurement summary of a stereo pair, through the meter the plugin and the
    /// CLI run.
    fn summary(left: &[f32], right: &[f32]) -> MonoCompatibility {
        let mut meter = Meter::new(MeterConfig::new(RATE, 2).with_spectrum()).unwrap();
        for (l, r) in left.chunks(1024).zip(right.chunks(1024)) {
            meter.process(&[l, r]);
        }
        meter.spectrum_mut().unwrap().flush();
        let r = meter.readings();
        let window = meter.stereo_bands().unwrap().whole_window();
        mono_compatibility(&window, &Mix::whole(&r))
    }

    /// A sine, or two tones, is not material; pink noise (and a single instrument's spread of
    /// harmonics) is.
    #[test]
    fn test_tones_are_told_from_material() {
        let n = 10 * RATE as usize;
        let tone = |hz: &[f64]| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    let t = i as f64 / RATE;
                    hz.iter()
                        .map(|f| 0.2 * (std::f64::consts::TAU * f * t).sin())
                        .sum::<f64>() as f32
                })
                .collect()
        };
        let sine = tone(&[700.0]);
        assert_eq!(summary(&sine, &sine).narrow_band(), Some(1));
        // On a band edge it is in two.
        let edge = tone(&[1000.0]);
        assert_eq!(summary(&edge, &edge).narrow_band(), Some(2));
        let two = tone(&[100.0, 3000.0]);
        assert_eq!(summary(&two, &two).narrow_band(), Some(2));
        // A note and its first harmonics, 110 Hz to 1.76 kHz: four bands and more.
        let note = tone(&[110.0, 220.0, 440.0, 880.0, 1760.0]);
        assert_eq!(summary(&note, &note).narrow_band(), None);
        let (l, r) = stereo_pink(RATE, 1 << 19, 16, |_| Relation::Same);
        assert_eq!(summary(&l, &r).narrow_band(), None);
        let silence = vec![0.0f32; n];
        assert_eq!(summary(&silence, &silence).narrow_band(), None);
    }

    #[test]
    fn a_mono_mix_never_warns() {
        let (l, _) = stereo_pink(RATE, 1 << 20, 11, |_| Relation::Same);
        let s = summary(&l, &l);
        assert_eq!(s.verdict, Some(Verdict::Good));
        assert!(s.suggestions.is_empty());
        assert!(s.worst_bands.is_empty());
        assert!(s.bands.iter().all(|b| !b.flagged));
        assert_eq!(s.low_end.width_db, Some(-60.0));
        // Quiet too: the same mix 40 dB down.
        let quiet: Vec<f32> = l.iter().map(|x| x * 0.01).collect();
        assert_eq!(summary(&quiet, &quiet).verdict, Some(Verdict::Good));
    }

    #[test]
    fn independent_channels_are_wide_but_not_flagged() {
        let (l, r) = stereo_pink(RATE, 1 << 20, 12, |_| Relation::Independent);
        let s = summary(&l, &r);
        assert!(s.bands.iter().all(|b| !b.flagged), "{:?}", s.bands);
        // Side energy equal to mid in the low end: a caution with its evidence.
        assert_eq!(s.verdict, Some(Verdict::Caution));
        assert_eq!(s.suggestions.len(), 1);
        assert_eq!(s.suggestions[0].finding, StereoFinding::WideLowEnd);
        assert!(
            s.suggestions[0]
                .text
                .starts_with("side energy below 120 Hz ("),
            "{}",
            s.suggestions[0].text
        );
        assert!(s.suggestions[0].text.ends_with("keep the bass centred"));
        let loss = s.mono_loss_lu.unwrap();
        assert!((loss + 3.01).abs() < 0.1, "{loss}");
    }

    #[test]
    fn an_inverted_band_is_flagged_with_its_evidence() {
        let (l, r) = stereo_pink(RATE, 1 << 20, 13, |hz| {
            if (300.0..500.0).contains(&hz) {
                Relation::Inverted
            } else {
                Relation::Same
            }
        });
        let s = summary(&l, &r);
        assert_eq!(s.verdict, Some(Verdict::Problem));
        let flagged: Vec<usize> = (0..BANDS).filter(|&b| s.bands[b].flagged).collect();
        assert_eq!(flagged, vec![6]);
        assert_eq!(s.worst_bands.first(), Some(&6));
        let text = &s.suggestions[0].text;
        assert!(
            text.starts_with("300-500 Hz out of phase (correlation -"),
            "{text}"
        );
        assert_eq!(s.suggestions.len(), 1, "{:?}", s.suggestions);
        // The low-mids region reads it; its neighbours do not.
        let region = |id: &str| {
            s.regions
                .iter()
                .find(|r| r.region.id == id)
                .unwrap()
                .readings
        };
        assert!(region("low_mids").correlation.unwrap() < 0.0);
        assert!(region("bass").correlation.unwrap() > 0.95);
        assert!(region("mids").correlation.unwrap() > 0.95);
    }

    #[test]
    fn side_energy_in_the_bass_alone_is_a_caution() {
        let (l, r) = stereo_pink(RATE, 1 << 20, 14, |hz| {
            if hz < 100.0 {
                Relation::Independent
            } else {
                Relation::Same
            }
        });
        let s = summary(&l, &r);
        assert_eq!(s.verdict, Some(Verdict::Caution));
        assert_eq!(s.suggestions[0].finding, StereoFinding::WideLowEnd);
        assert!(s.bands[6..].iter().all(|b| b.correlation.unwrap() > 0.999));
    }

    #[test]
    fn adjacent_flagged_bands_merge_and_anticorrelated_mixes_say_so() {
        let (l, r) = stereo_pink(RATE, 1 << 20, 15, |hz| {
            if hz >= 6000.0 {
                Relation::Inverted
            } else {
                Relation::Same
            }
        });
        let s = summary(&l, &r);
        let text = &s.suggestions[0].text;
        assert!(text.starts_with("6-20 kHz out of phase"), "{text}");
        assert_eq!(s.suggestions.len(), 1, "{:?}", s.suggestions);
        // Pink noise has 1.7 of its 10 octaves up there: the whole mix still folds.
        assert!(
            s.mono_loss_lu.unwrap() > -MAX_MONO_LOSS_LU,
            "{:?}",
            s.mono_loss_lu
        );

        // One channel inverted (and 1 dB down): one suggestion, about the channel.
        let (l, _) = stereo_pink(RATE, 1 << 19, 16, |_| Relation::Same);
        let r: Vec<f32> = l.iter().map(|x| -0.9 * x).collect();
        let s = summary(&l, &r);
        assert_eq!(s.verdict, Some(Verdict::Problem));
        assert_eq!(s.suggestions.len(), 1, "{:?}", s.suggestions);
        let text = &s.suggestions[0].text;
        assert!(
            text.starts_with("20 Hz-20 kHz out of phase (correlation -1.00, -25.6 LU in mono): flip the polarity of one channel"),
            "{text}"
        );

        // Anti-correlated everywhere but not beyond the noise in any one band: the whole-mix
        // loss speaks.
        let spread = mono_compatibility(
            &crate::meter::stereo::StereoWindow {
                sums: [BandSums {
                    left: 1.0,
                    right: 1.0,
                    cross: -0.5,
                }; BANDS],
                frames: 1,
                bins: [1; BANDS],
            },
            &Mix {
                loudness_lufs: Some(-20.0),
                correlation: Some(-0.5),
                mono_loss_lu: Some(-6.0),
            },
        );
        assert_eq!(spread.verdict, Some(Verdict::Problem));
        assert!(spread.bands.iter().all(|b| !b.flagged));
        let finding = |f| spread.suggestions.iter().any(|s| s.finding == f);
        assert!(finding(StereoFinding::MonoLoss), "{:?}", spread.suggestions);
        assert!(finding(StereoFinding::WideLowEnd));
    }

    /// A window of `frames` frames whose bands all read correlation `correlation` with equal
    /// channels, and a whole-mix reading to go with it.
    fn window_of(correlation: f64, frames: u64) -> (StereoWindow, Mix) {
        let window = StereoWindow {
            sums: [BandSums {
                left: 1.0,
                right: 1.0,
                cross: correlation,
            }; BANDS],
            frames,
            bins: [200; BANDS],
        };
        let loss = 10.0 * ((1.0 + correlation) / 2.0).log10();
        let mix = Mix {
            loudness_lufs: Some(-14.0),
            correlation: Some(correlation),
            mono_loss_lu: Some(loss),
        };
        (window, mix)
    }

    #[test]
    fn decorrelation_is_width_not_cancellation() {
        // -0.03 over 10 minutes of frames is far outside the estimation noise, but it is what
        // a reverb or a Haas delay reads: about 3 LU lost, like independent channels.
        let (window, mix) = window_of(-0.03, 30_000);
        let s = mono_compatibility(&window, &mix);
        assert!(s.bands.iter().all(|b| !b.flagged), "{:?}", s.bands);
        assert_ne!(s.verdict, Some(Verdict::Problem));
        assert!(
            s.suggestions
                .iter()
                .all(|g| g.finding != StereoFinding::NegativeCorrelation)
        );
        // Clearly negative, with its loss: flagged.
        let (window, mix) = window_of(-0.5, 30_000);
        let s = mono_compatibility(&window, &mix);
        assert!(s.bands.iter().all(|b| b.flagged));
        assert_eq!(s.verdict, Some(Verdict::Problem));
    }

    #[test]
    fn no_value_means_no_verdict() {
        // Silence, and an empty measurement.
        let silent = vec![0.0f32; 48_000 * 5];
        let s = summary(&silent, &silent);
        assert_eq!(s.verdict, None);
        assert!(s.suggestions.is_empty());
        assert_eq!(summary(&[], &[]).verdict, None);
        // Identical channels below the absolute gate (-70 LUFS): correlation +1, no loudness,
        // so no mono loss either. Not "cancels in mono".
        let (l, _) = stereo_pink(RATE, 1 << 18, 17, |_| Relation::Same);
        let faint: Vec<f32> = l.iter().map(|x| x * 1e-4).collect();
        let mut meter = Meter::new(MeterConfig::new(RATE, 2).with_spectrum()).unwrap();
        meter.process(&[&faint, &faint]);
        meter.spectrum_mut().unwrap().flush();
        let r = meter.readings();
        assert_eq!(r.integrated_lufs, None);
        assert!(r.integrated_correlation.unwrap() > 0.99);
        let s = mono_compatibility(
            &meter.stereo_bands().unwrap().whole_window(),
            &Mix::whole(&r),
        );
        assert_eq!(s.verdict, None, "{:?}", s.suggestions);
        assert!(s.suggestions.is_empty() && s.bands.iter().all(|b| !b.flagged));
        // A loud mix that cancels completely does have a verdict.
        let inverted: Vec<f32> = l.iter().map(|x| -x).collect();
        assert_eq!(summary(&l, &inverted).verdict, Some(Verdict::Problem));
    }

    #[test]
    fn no_negative_zero_in_texts() {
        assert_eq!(format!("{:+.1}", signed_tenths(-0.0004)), "+0.0");
        assert_eq!(format!("{:+.1}", signed_tenths(-0.06)), "-0.1");
        assert_eq!(format!("{:+.1}", signed_tenths(2.349)), "+2.3");
    }

    #[test]
    fn ranges_read_naturally() {
        assert_eq!(format_range(200.0, 500.0), "200-500 Hz");
        assert_eq!(format_range(2000.0, 6000.0), "2-6 kHz");
        assert_eq!(format_range(500.0, 2000.0), "500 Hz-2 kHz");
        assert_eq!(format_range(500.0, 1500.0), "500 Hz-1.5 kHz");
        assert_eq!(format_range(9000.0, 12000.0), "9-12 kHz");
    }

    #[test]
    fn region_edges_are_band_edges() {
        for region in REGIONS {
            assert!(BAND_EDGES_HZ.contains(&region.low_hz), "{}", region.id);
            assert!(BAND_EDGES_HZ.contains(&region.high_hz), "{}", region.id);
        }
        assert!(BAND_EDGES_HZ.contains(&LOW_END_HZ));
    }
}
