//! Every reading, as plain values, and the conversions from the meter's energies and linear
//! peaks to them. `None` is "no value" (silence, or nothing above the absolute gate of
//! BS.1770-5 Annex 1, clause 5), never a floor number.

use super::super::gating::{ABSOLUTE_GATE_LUFS, energy_to_lufs};
use super::super::{MAX_CHANNELS, gain_to_db};

/// Measured time below which loudness range is not yet stable (Tech 3341 v4 asks the meter to
/// signal this for the first 60 s; EBU R128 s1: LRA is not meaningful for short-form content).
pub const RANGE_SETTLED_S: f64 = 60.0;
/// Balance readings are clamped here when one channel is silent.
pub const BALANCE_LIMIT_DB: f64 = 60.0;

/// Every reading, as plain values. `None` is "no value" (silence, or nothing above the gate
/// yet), never a floor number.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Readings {
    pub channels: usize,
    pub running: bool,
    /// Audio integrated so far (running time), seconds.
    pub measured_s: f64,
    pub momentary_lufs: Option<f64>,
    pub short_term_lufs: Option<f64>,
    pub integrated_lufs: Option<f64>,
    pub loudness_range_lu: Option<f64>,
    pub max_momentary_lufs: Option<f64>,
    pub max_short_term_lufs: Option<f64>,
    /// Maximum true peak per channel over the measurement, dBTP.
    pub true_peak_dbtp: [Option<f64>; MAX_CHANNELS],
    pub max_true_peak_dbtp: Option<f64>,
    /// Maximum sample peak per channel over the measurement, dBFS.
    pub sample_peak_dbfs: [Option<f64>; MAX_CHANNELS],
    pub max_sample_peak_dbfs: Option<f64>,
    /// True peak of the last 3 s, all channels, dBTP.
    pub recent_true_peak_dbtp: Option<f64>,
    pub plr_db: Option<f64>,
    pub psr_db: Option<f64>,
    pub crest_factor_db: Option<f64>,
    pub short_term_crest_factor_db: Option<f64>,
    /// Correlation over the last 400 ms (-1..+1).
    pub correlation: Option<f64>,
    /// Correlation over the whole measurement.
    pub integrated_correlation: Option<f64>,
    /// L over R, K-weighted, last 3 s, dB (positive: left louder).
    pub balance_db: Option<f64>,
    pub mono_loss_short_term_lu: Option<f64>,
    pub mono_loss_integrated_lu: Option<f64>,
    pub non_finite_samples: u64,
    /// Clipped runs over the measurement ([`super::super::clips`]) and the longest, samples.
    pub clipped_runs: u64,
    pub longest_clipped_run: u32,
}

impl Readings {
    /// Whether enough was measured for loudness range to describe a programme: at least
    /// [`RANGE_SETTLED_S`] of running time. Before that the reading is shown with a note.
    pub fn loudness_range_settled(&self) -> bool {
        self.measured_s >= RANGE_SETTLED_S
    }
}

/// Loudness of a mean-square energy, "no value" below the absolute gate.
pub(super) fn gated_lufs(energy: f64) -> Option<f64> {
    energy_to_lufs(energy).filter(|&l| l >= ABSOLUTE_GATE_LUFS)
}

/// A linear peak in dB, "no value" for silence.
pub(super) fn peak_db(gain: f32) -> Option<f64> {
    (gain > 0.0).then(|| gain_to_db(gain) as f64)
}

pub(super) fn max_option(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Correlation of two channels from their sums of squares and cross term.
pub(super) fn correlation(left: f64, right: f64, cross: f64) -> Option<f64> {
    (left > 0.0 && right > 0.0).then(|| (cross / (left * right).sqrt()).clamp(-1.0, 1.0))
}

/// L over R in dB from their K-weighted energies, clamped to [`BALANCE_LIMIT_DB`].
pub(super) fn balance_db(left: f64, right: f64) -> Option<f64> {
    match (left > 0.0, right > 0.0) {
        (true, true) => {
            Some((10.0 * (left / right).log10()).clamp(-BALANCE_LIMIT_DB, BALANCE_LIMIT_DB))
        }
        (true, false) => Some(BALANCE_LIMIT_DB),
        (false, true) => Some(-BALANCE_LIMIT_DB),
        (false, false) => None,
    }
}
