//! Live peaks: true and sample peak per channel as "maximum since the last read". The audio
//! thread raises them with an atomic `fetch_max`, the editor swaps them back to 0 when it
//! draws, so no peak between two frames is lost whatever the frame rate.

use super::PLUGIN_CHANNELS;
use atomic_float::AtomicF32;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Live peaks read by the editor, linear.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LivePeakReading {
    pub true_peak_gain: [f32; PLUGIN_CHANNELS],
    pub sample_peak_gain: [f32; PLUGIN_CHANNELS],
}

#[derive(Debug, Default)]
struct LivePeaks {
    true_peak_gain: [AtomicF32; PLUGIN_CHANNELS],
    sample_peak_gain: [AtomicF32; PLUGIN_CHANNELS],
}

/// Both ends.
pub(super) fn channel() -> (PeakWriter, PeakReader) {
    let peaks = Arc::new(LivePeaks::default());
    (PeakWriter(peaks.clone()), PeakReader(peaks))
}

/// Audio-thread end.
pub(super) struct PeakWriter(Arc<LivePeaks>);

impl PeakWriter {
    /// Raises the live peaks (linear) to at least these values.
    ///
    /// A slot already at or above its value is left alone (a load, no read-modify-write): the
    /// editor takes the peaks a few dozen times a second, so most blocks raise nothing, and a
    /// compare-and-swap loop per channel per block cost more than the rest of the bridge. The
    /// skip is exact: the slot held at least `v` when it was read, so the raise is done as of
    /// that moment, whether the editor takes the interval before or after it.
    pub(super) fn raise(&self, true_peak_gain: &[f32], sample_peak_gain: &[f32]) {
        let slots = self.0.true_peak_gain.iter().zip(true_peak_gain);
        for (slot, &v) in slots.chain(self.0.sample_peak_gain.iter().zip(sample_peak_gain)) {
            if v > slot.load(Ordering::Relaxed) {
                slot.fetch_max(v, Ordering::Relaxed);
            }
        }
    }
}

/// Editor end.
pub(super) struct PeakReader(Arc<LivePeaks>);

impl PeakReader {
    /// Peaks since the previous call (and starts a new interval).
    pub(super) fn take(&self) -> LivePeakReading {
        let mut reading = LivePeakReading::default();
        for (v, slot) in reading
            .true_peak_gain
            .iter_mut()
            .zip(&self.0.true_peak_gain)
        {
            *v = slot.swap(0.0, Ordering::Relaxed);
        }
        for (v, slot) in reading
            .sample_peak_gain
            .iter_mut()
            .zip(&self.0.sample_peak_gain)
        {
            *v = slot.swap(0.0, Ordering::Relaxed);
        }
        reading
    }
}
