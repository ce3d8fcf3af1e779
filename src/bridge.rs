//! What crosses threads between the audio thread and the editor.
//!
//! Endpoints come in pairs made by one constructor: the audio thread owns the `*Input`, the
//! editor the `*Output`. Everything here is lock-free and allocation-free on the audio side.
//!
//! Peaks travel as "maximum since the last read": the audio thread raises each channel's value
//! with an atomic `fetch_max`, the editor swaps it back to 0 when it draws a frame. So a peak
//! between two GUI frames is never lost, whatever the frame rate, and nothing accumulates while
//! the editor is closed beyond one float per channel.

use crate::meter::MAX_CHANNELS;
use atomic_float::AtomicF32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[derive(Debug, Default)]
struct PeakShared {
    /// Largest |sample| per channel since the editor's last read, linear gain.
    /// Written (raised) by the audio thread, swapped to 0 by the GUI thread.
    peak_gain: [AtomicF32; MAX_CHANNELS],
    /// Number of measured channels (1 or 2). Written by the audio thread at activation.
    channels: AtomicUsize,
    /// Non-finite input samples since the plugin was activated. Written by the audio thread.
    non_finite_samples: AtomicU64,
}

/// Creates the two ends of the peak channel.
pub fn peak_channel() -> (PeakInput, PeakOutput) {
    let shared = Arc::new(PeakShared::default());
    shared.channels.store(MAX_CHANNELS, Ordering::Relaxed);
    (
        PeakInput {
            shared: shared.clone(),
        },
        PeakOutput { shared },
    )
}

/// Audio-thread end.
#[derive(Debug)]
pub struct PeakInput {
    shared: Arc<PeakShared>,
}

impl PeakInput {
    /// Declares how many channels are measured (called at activation).
    pub fn set_channels(&self, channels: usize) {
        self.shared
            .channels
            .store(channels.clamp(1, MAX_CHANNELS), Ordering::Relaxed);
    }

    /// Raises the published peaks to at least `peak_gain`; lock-free and allocation-free.
    pub fn publish(&self, peak_gain: [f32; MAX_CHANNELS], non_finite_samples: u64) {
        for (slot, value) in self.shared.peak_gain.iter().zip(peak_gain) {
            slot.fetch_max(value, Ordering::Relaxed);
        }
        self.shared
            .non_finite_samples
            .store(non_finite_samples, Ordering::Relaxed);
    }
}

/// GUI-thread end.
#[derive(Debug, Clone)]
pub struct PeakOutput {
    shared: Arc<PeakShared>,
}

/// One read of the peak channel, as plain values for the editor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeakReading {
    /// Channels measured (1 or 2).
    pub channels: usize,
    /// Largest |sample| per channel since the previous read, linear gain.
    pub peak_gain: [f32; MAX_CHANNELS],
    /// Non-finite input samples since activation.
    pub non_finite_samples: u64,
}

impl PeakOutput {
    /// Reads the peaks since the previous call and starts a new interval.
    pub fn take(&self) -> PeakReading {
        let mut peak_gain = [0.0; MAX_CHANNELS];
        for (value, slot) in peak_gain.iter_mut().zip(&self.shared.peak_gain) {
            *value = slot.swap(0.0, Ordering::Relaxed);
        }
        PeakReading {
            channels: self.shared.channels.load(Ordering::Relaxed),
            peak_gain,
            non_finite_samples: self.shared.non_finite_samples.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_between_reads_are_kept_and_reads_reset() {
        let (input, output) = peak_channel();
        input.set_channels(2);
        input.publish([0.5, 0.1], 0);
        input.publish([0.2, 0.3], 4);
        let reading = output.take();
        assert_eq!(reading.peak_gain, [0.5, 0.3]);
        assert_eq!(reading.non_finite_samples, 4);
        assert_eq!(reading.channels, 2);
        assert_eq!(output.take().peak_gain, [0.0, 0.0]);
    }

    #[test]
    fn concurrent_writer_never_loses_the_maximum() {
        let (input, output) = peak_channel();
        let writer = std::thread::spawn(move || {
            for i in 0..100_000u32 {
                let value = if i == 77_777 {
                    0.99
                } else {
                    (i % 100) as f32 / 1000.0
                };
                input.publish([value, value], 0);
            }
        });
        let mut seen_max = 0.0f32;
        while !writer.is_finished() {
            seen_max = seen_max.max(output.take().peak_gain[0]);
        }
        writer.join().unwrap();
        seen_max = seen_max.max(output.take().peak_gain[0]);
        assert_eq!(seen_max, 0.99);
    }
}
