//! A measurement's summary as saved and exchanged: the plugin's state carries the readings of
//! the measurement running when the project was saved (key `last-measurement`, kept by the
//! plugin's `persist::SavedMeasurement`), so a reopened project (and anything reading its
//! state) knows what was measured, with the same fields and units as `mixmeter analyze
//! --json`.

use crate::meter::engine::Readings;
use serde::{Deserialize, Serialize};

/// The saved readings (the analyzer's JSON field names; `null` for no value).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub measured_s: f64,
    pub integrated_lufs: Option<f64>,
    pub loudness_range_lu: Option<f64>,
    pub max_momentary_lufs: Option<f64>,
    pub max_short_term_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub true_peak_dbtp_per_channel: [Option<f64>; 2],
    pub sample_peak_dbfs: Option<f64>,
    pub plr_db: Option<f64>,
    pub crest_factor_db: Option<f64>,
    pub correlation: Option<f64>,
    pub mono_loss_lu: Option<f64>,
    pub non_finite_samples: u64,
}

impl Measurement {
    /// The saved fields of the readings (plain values: no allocation).
    pub fn of(r: &Readings) -> Measurement {
        Measurement {
            measured_s: r.measured_s,
            integrated_lufs: r.integrated_lufs,
            loudness_range_lu: r.loudness_range_lu,
            max_momentary_lufs: r.max_momentary_lufs,
            max_short_term_lufs: r.max_short_term_lufs,
            true_peak_dbtp: r.max_true_peak_dbtp,
            true_peak_dbtp_per_channel: [r.true_peak_dbtp[0], r.true_peak_dbtp[1]],
            sample_peak_dbfs: r.max_sample_peak_dbfs,
            plr_db: r.plr_db,
            crest_factor_db: r.crest_factor_db,
            correlation: r.integrated_correlation,
            mono_loss_lu: r.mono_loss_integrated_lu,
            non_finite_samples: r.non_finite_samples,
        }
    }
}
