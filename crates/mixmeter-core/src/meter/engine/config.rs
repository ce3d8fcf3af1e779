//! What the meter measures: the sample rate, the channels and their BS.1770-5 weights (Annex 1,
//! clause 2.4, Table 3), the spectrum and the over ceiling; and the configurations it refuses.

use super::super::MAX_CHANNELS;
use super::super::spectrum::{SpectrumAnalyzer, SpectrumError};

/// The supported sample-rate range, Hz.
pub const MIN_SAMPLE_RATE_HZ: f64 = 8_000.0;
pub const MAX_SAMPLE_RATE_HZ: f64 = 384_000.0;

/// BS.1770-5 Table 3 channel weights.
pub const WEIGHT_FRONT: f64 = 1.0;
pub use super::super::layout::WEIGHT_SURROUND;

/// A configuration the meter cannot measure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeterError {
    #[error("unsupported sample rate {0} Hz (the meter measures 8 kHz to 384 kHz)")]
    SampleRate(f64),
    #[error("unsupported channel count {0} (the meter measures 1 to {MAX_CHANNELS} channels)")]
    Channels(usize),
    #[error("channel weights must be finite and non-negative")]
    Weights,
    #[error("the over ceiling must be a finite dBTP value")]
    OverCeiling,
    #[error(transparent)]
    Spectrum(#[from] SpectrumError),
}

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterConfig {
    pub sample_rate_hz: f64,
    pub channels: usize,
    /// BS.1770 weight per channel (1.0 front, 1.41 surround, 0.0 for LFE).
    pub weights: [f64; MAX_CHANNELS],
    /// Also run the spectrum analyzer ([`super::super::spectrum`]), with the same weights.
    pub spectrum: bool,
    /// Count overs above this true-peak ceiling, dBTP ([`super::super::moments`]); the
    /// true-peak detector then also refines every interval that could exceed it.
    pub over_ceiling_dbtp: Option<f64>,
}

impl MeterConfig {
    /// Mono or stereo (all weights 1.0), the plugin's layouts.
    pub fn new(sample_rate_hz: f64, channels: usize) -> Self {
        Self {
            sample_rate_hz,
            channels,
            weights: [WEIGHT_FRONT; MAX_CHANNELS],
            spectrum: false,
            over_ceiling_dbtp: None,
        }
    }

    /// Counts overs above a true-peak ceiling ([`super::Meter::moments`]).
    pub fn with_over_ceiling(mut self, ceiling_dbtp: f64) -> Self {
        self.over_ceiling_dbtp = Some(ceiling_dbtp);
        self
    }

    /// Adds the spectrum analyzer (long-term average always, display frames on request).
    pub fn with_spectrum(mut self) -> Self {
        self.spectrum = true;
        self
    }

    pub fn with_weights(mut self, weights: &[f64]) -> Self {
        for (slot, &w) in self.weights.iter_mut().zip(weights) {
            *slot = w;
        }
        self
    }

    /// Checks the configuration; returns the over ceiling as a linear gain, if there is one.
    pub(super) fn validate(&self) -> Result<Option<f32>, MeterError> {
        let rate = self.sample_rate_hz;
        if !(MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&rate) {
            return Err(MeterError::SampleRate(rate));
        }
        if !(1..=MAX_CHANNELS).contains(&self.channels) {
            return Err(MeterError::Channels(self.channels));
        }
        if self.weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(MeterError::Weights);
        }
        match self.over_ceiling_dbtp {
            Some(db) if db.is_finite() => Ok(Some(10f64.powf(db / 20.0) as f32)),
            Some(_) => Err(MeterError::OverCeiling),
            None => Ok(None),
        }
    }
}

/// The spectrum analyzer a meter of this configuration runs (the analysis pipeline runs it on
/// a thread of its own, fed the same blocks), reset as [`super::Meter::new`] leaves it.
pub fn spectrum_analyzer(config: &MeterConfig) -> Result<SpectrumAnalyzer, MeterError> {
    let weights = &config.weights[..config.channels];
    // A layout with only weight-0 channels (a lone LFE) is analysed unweighted.
    let mut analyzer = if weights.iter().sum::<f64>() > 0.0 {
        SpectrumAnalyzer::new(config.sample_rate_hz, weights)?
    } else {
        SpectrumAnalyzer::new(
            config.sample_rate_hz,
            &[1.0; MAX_CHANNELS][..config.channels],
        )?
    };
    analyzer.reset();
    Ok(analyzer)
}
