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
    pub(super) fn raise(&self, true_peak_gain: &[f32], sample_peak_gain: &[f32]) {
        for (slot, &v) in self.0.true_peak_gain.iter().zip(true_peak_gain) {
            slot.fetch_max(v, Ordering::Relaxed);
        }
        for (slot, &v) in self.0.sample_peak_gain.iter().zip(sample_peak_gain) {
            slot.fetch_max(v, Ordering::Relaxed);
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
