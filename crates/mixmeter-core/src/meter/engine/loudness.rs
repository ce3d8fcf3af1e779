//! Loudness over the measurement: the momentary and short-term energies at the last fragment
//! and their maxima, the gated integration (BS.1770-5 Annex 1, clause 5: a 400 ms block every
//! 100 ms into [`IntegratedHistogram`], with a second one for the mono sum), loudness range
//! (Tech 3342 clause 3: a short-term value every 100 ms into [`RangeHistogram`]), the measured
//! time and the whole measurement's sums (crest factor, correlation). Everything but the
//! current energies and the interval maxima is frozen while paused.

use super::super::gating::{IntegratedHistogram, RangeHistogram};
use super::readings::gated_lufs;
use super::windows::Sums;

#[derive(Debug)]
pub(super) struct Loudness {
    integrated: IntegratedHistogram,
    mono_integrated: IntegratedHistogram,
    range: RangeHistogram,
    pub(super) measured_samples: u64,
    /// Mean-square energies of the momentary and short-term windows at the last fragment
    /// (0 until the window is full), and their maxima while running (dB values are computed
    /// when the readings are asked for).
    pub(super) momentary_energy: f64,
    pub(super) short_term_energy: f64,
    pub(super) max_momentary_energy: f64,
    pub(super) max_short_term_energy: f64,
    /// Largest momentary and short-term energies since the last
    /// [`Loudness::take_interval_maxima`] (paused or not): a series read every 100 ms gets the
    /// maximum over the 5 ms hops between its points, not just the value at each point.
    interval_max_momentary_energy: f64,
    interval_max_short_term_energy: f64,
    /// Sums over the whole measurement.
    pub(super) total: Sums,
    /// Kept up to date when their histograms change.
    pub(super) integrated_lufs: Option<f64>,
    pub(super) loudness_range_lu: Option<f64>,
    pub(super) mono_loss_integrated_lu: Option<f64>,
}

impl Loudness {
    pub(super) fn new() -> Self {
        Self {
            integrated: IntegratedHistogram::new(),
            mono_integrated: IntegratedHistogram::new(),
            range: RangeHistogram::new(),
            measured_samples: 0,
            momentary_energy: 0.0,
            short_term_energy: 0.0,
            max_momentary_energy: 0.0,
            max_short_term_energy: 0.0,
            interval_max_momentary_energy: 0.0,
            interval_max_short_term_energy: 0.0,
            total: Sums::default(),
            integrated_lufs: None,
            loudness_range_lu: None,
            mono_loss_integrated_lu: None,
        }
    }

    pub(super) fn reset(&mut self) {
        self.integrated.reset();
        self.mono_integrated.reset();
        self.range.reset();
        self.measured_samples = 0;
        self.momentary_energy = 0.0;
        self.short_term_energy = 0.0;
        self.max_momentary_energy = 0.0;
        self.max_short_term_energy = 0.0;
        self.interval_max_momentary_energy = 0.0;
        self.interval_max_short_term_energy = 0.0;
        self.total = Sums::default();
        self.integrated_lufs = None;
        self.loudness_range_lu = None;
        self.mono_loss_integrated_lu = None;
    }

    /// The windows' energies at a finished fragment, paused or not.
    pub(super) fn windows(&mut self, momentary_energy: f64, short_term_energy: f64) {
        self.momentary_energy = momentary_energy;
        self.short_term_energy = short_term_energy;
        self.interval_max_momentary_energy =
            self.interval_max_momentary_energy.max(momentary_energy);
        self.interval_max_short_term_energy =
            self.interval_max_short_term_energy.max(short_term_energy);
    }

    /// A finished fragment while running (after [`Loudness::windows`]).
    pub(super) fn measure(&mut self, fragment: &Sums) {
        self.measured_samples += fragment.samples;
        self.total.add(fragment);
        // The gate is monotonic in energy: the largest gated value is the gated largest.
        self.max_momentary_energy = self.max_momentary_energy.max(self.momentary_energy);
        self.max_short_term_energy = self.max_short_term_energy.max(self.short_term_energy);
    }

    /// A 400 ms gating block (the momentary window's energy), with the mono sum's energy over
    /// the same block on a stereo meter. `channels` decides the mono loss: 0 LU on mono, no
    /// value beyond stereo (a fold-down of surround is not a mono sum).
    pub(super) fn gating_block(&mut self, channels: usize, mono_energy: Option<f64>) {
        self.integrated.add_block(self.momentary_energy);
        if let Some(mono) = mono_energy {
            self.mono_integrated.add_block(mono);
        }
        self.integrated_lufs = self.integrated.integrated_lufs();
        self.mono_loss_integrated_lu = if channels == 2 {
            self.mono_integrated
                .integrated_lufs()
                .zip(self.integrated_lufs)
                .map(|(m, s)| m - s)
        } else if channels == 1 {
            self.integrated_lufs.map(|_| 0.0)
        } else {
            None
        };
    }

    /// A short-term value for loudness range (the short-term window's energy).
    pub(super) fn range_value(&mut self) {
        self.range.add_short_term(self.short_term_energy);
        self.loudness_range_lu = self.range.loudness_range_lu();
    }

    /// The largest momentary and short-term loudness since the previous call.
    pub(super) fn take_interval_maxima(&mut self) -> (Option<f64>, Option<f64>) {
        (
            gated_lufs(std::mem::take(&mut self.interval_max_momentary_energy)),
            gated_lufs(std::mem::take(&mut self.interval_max_short_term_energy)),
        )
    }

    pub(super) fn integrated_histogram(&self) -> &IntegratedHistogram {
        &self.integrated
    }

    pub(super) fn range_histogram(&self) -> &RangeHistogram {
        &self.range
    }
}
