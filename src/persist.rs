//! Saved-state fields that are not parameters, and how nice-plug persists them: the last
//! measurement ([`SavedMeasurement`], key `last-measurement`) and the reference curves
//! ([`SavedLibrary`], key `references`). The values themselves are the core's
//! ([`crate::measurement::Measurement`], [`crate::reference::library::ReferenceLibrary`]);
//! only the plugin knows how a host stores them.
//!
//! Real-time: the audio thread copies the readings into atomics every 100 ms of audio
//! ([`SavedMeasurement::store`]: relaxed stores, no lock, no allocation); the host's state save
//! reads them on its own thread. A save racing a store can mix two neighbouring 100 ms
//! snapshots field by field, which is harmless for a saved summary. The library is written and
//! read on the GUI thread (and by the host when it saves or loads state); the audio thread never
//! touches it. It is stored as plain JSON and read leniently
//! ([`ReferenceLibrary::from_value`]: a damaged curve is dropped with a message, the good ones
//! kept).

use crate::measurement::Measurement;
use crate::meter::engine::Readings;
use crate::reference::library::ReferenceLibrary;
use nice_plug::params::persist::PersistentField;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

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

/// The persisted field (see the module docs).
#[derive(Debug, Default)]
pub struct SavedLibrary {
    library: RwLock<ReferenceLibrary>,
}

impl SavedLibrary {
    /// A copy of the library (GUI thread).
    pub fn get(&self) -> ReferenceLibrary {
        self.library
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Changes the library (GUI thread).
    pub fn update(&self, change: impl FnOnce(&mut ReferenceLibrary)) {
        change(&mut self.library.write().unwrap_or_else(PoisonError::into_inner));
    }
}

impl<'a> PersistentField<'a, Value> for SavedLibrary {
    fn set(&self, new_value: Value) {
        let library = ReferenceLibrary::from_value(&new_value);
        *self.library.write().unwrap_or_else(PoisonError::into_inner) = library;
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Value) -> R,
    {
        f(&self.get().to_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::builtin;
    use crate::reference::library::Selection;

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

    #[test]
    fn round_trip_keeps_curves_and_selection() {
        let saved = SavedLibrary::default();
        let mut curve = builtin::curve("brown").unwrap();
        curve.name = "mix v3".to_string();
        saved.update(|l| l.add(curve.clone()));
        let stored = saved.map(|v| v.clone());
        let loaded = SavedLibrary::default();
        loaded.set(serde_json::from_str(&stored.to_string()).unwrap());
        let library = loaded.get();
        assert_eq!(library.curves, vec![curve.clone()]);
        assert_eq!(library.selection, Selection::Library("mix v3".to_string()));
        assert_eq!(library.selected(), Some(curve));
        assert!(library.problems.is_empty());
    }
}
