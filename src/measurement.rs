//! The last measurement, saved with the project: the plugin's state carries the readings of
//! the measurement running when the project was saved (key `last-measurement`), so a reopened
//! project (and anything reading its state) knows what was measured, with the same fields and
//! units as `mixmeter analyze --json`.
//!
//! Real-time: the audio thread copies the readings into atomics every 100 ms of audio
//! ([`SavedMeasurement::store`]: relaxed stores, no lock, no allocation); the host's state save
//! reads them on its own thread. A save racing a store can mix two neighbouring 100 ms
//! snapshots field by field, which is harmless for a saved summary.

use crate::meter::engine::Readings;
use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

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

const FIELDS: usize = 14;

/// `None` travels as NaN.
fn bits(value: Option<f64>) -> u64 {
    value.unwrap_or(f64::NAN).to_bits()
}

fn value(bits: u64) -> Option<f64> {
    Some(f64::from_bits(bits)).filter(|v| v.is_finite())
}

#[derive(Debug, Default)]
struct Slots {
    present: AtomicBool,
    fields: [AtomicU64; FIELDS],
}

/// Lock-free home of the last measurement, shared (cloned) by the audio thread and the
/// plugin's state.
#[derive(Debug, Default, Clone)]
pub struct SavedMeasurement {
    slots: Arc<Slots>,
}

impl SavedMeasurement {
    /// From the audio thread: relaxed atomic stores only (no allocation: `Measurement` is
    /// plain values).
    pub fn store(&self, r: &Readings) {
        self.restore(&Measurement::of(r));
    }

    pub fn load(&self) -> Option<Measurement> {
        if !self.slots.present.load(Ordering::Acquire) {
            return None;
        }
        let f: [u64; FIELDS] =
            std::array::from_fn(|i| self.slots.fields[i].load(Ordering::Relaxed));
        Some(Measurement {
            measured_s: f64::from_bits(f[0]),
            integrated_lufs: value(f[1]),
            loudness_range_lu: value(f[2]),
            max_momentary_lufs: value(f[3]),
            max_short_term_lufs: value(f[4]),
            true_peak_dbtp: value(f[5]),
            true_peak_dbtp_per_channel: [value(f[6]), value(f[7])],
            sample_peak_dbfs: value(f[8]),
            plr_db: value(f[9]),
            crest_factor_db: value(f[10]),
            correlation: value(f[11]),
            mono_loss_lu: value(f[12]),
            non_finite_samples: f[13],
        })
    }

    fn restore(&self, m: &Measurement) {
        let values = [
            m.measured_s.to_bits(),
            bits(m.integrated_lufs),
            bits(m.loudness_range_lu),
            bits(m.max_momentary_lufs),
            bits(m.max_short_term_lufs),
            bits(m.true_peak_dbtp),
            bits(m.true_peak_dbtp_per_channel[0]),
            bits(m.true_peak_dbtp_per_channel[1]),
            bits(m.sample_peak_dbfs),
            bits(m.plr_db),
            bits(m.crest_factor_db),
            bits(m.correlation),
            bits(m.mono_loss_lu),
            m.non_finite_samples,
        ];
        for (slot, v) in self.slots.fields.iter().zip(values) {
            slot.store(v, Ordering::Relaxed);
        }
        self.slots.present.store(true, Ordering::Release);
    }
}

impl<'a> PersistentField<'a, Option<Measurement>> for SavedMeasurement {
    fn set(&self, new_value: Option<Measurement>) {
        match new_value {
            Some(m) => self.restore(&m),
            None => self.slots.present.store(false, Ordering::Release),
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<Measurement>) -> R,
    {
        f(&self.load())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_readings_with_no_value_as_none() {
        let saved = SavedMeasurement::default();
        assert_eq!(saved.load(), None);
        let r = Readings {
            measured_s: 12.5,
            integrated_lufs: Some(-14.2),
            plr_db: None,
            non_finite_samples: 3,
            ..Readings::default()
        };
        saved.store(&r);
        let m = saved.load().unwrap();
        assert_eq!(m.measured_s, 12.5);
        assert_eq!(m.integrated_lufs, Some(-14.2));
        assert_eq!(m.plr_db, None);
        assert_eq!(m.non_finite_samples, 3);
        let json = serde_json::to_string(&m).unwrap();
        let back: Measurement = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }
}
