//! Sample peak per channel: the largest absolute sample value, "maximum since the last read".
//!
//! This is the sample peak of ITU-R BS.1770-5 Annex 2 ("true-peak" is the oversampled
//! counterpart, which arrives with the full meter core). Peaks follow the read-and-reset pattern
//! of x42's meters: [`SamplePeak::take`] returns the maximum since the previous `take` and
//! starts a new interval, so no peak is lost whatever the reader's frame rate.
//!
//! Non-finite samples (NaN, +-inf) are excluded and counted; they never poison the reading.

use super::MAX_CHANNELS;

#[derive(Debug, Clone)]
pub struct SamplePeak {
    channels: usize,
    /// Largest |x| per channel since the last `take`, linear gain.
    peak_gain: [f32; MAX_CHANNELS],
    /// Non-finite input samples seen since `reset`.
    non_finite_samples: u64,
}

impl SamplePeak {
    /// A peak meter for `channels` channels (clamped to 1..=[`MAX_CHANNELS`]).
    pub fn new(channels: usize) -> Self {
        Self {
            channels: channels.clamp(1, MAX_CHANNELS),
            peak_gain: [0.0; MAX_CHANNELS],
            non_finite_samples: 0,
        }
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn reset(&mut self) {
        self.peak_gain = [0.0; MAX_CHANNELS];
        self.non_finite_samples = 0;
    }

    /// Measures one block; `block[c]` is channel `c`. Extra channels are ignored.
    pub fn process<C: AsRef<[f32]>>(&mut self, block: &[C]) {
        for (peak, channel) in self.peak_gain.iter_mut().zip(block).take(self.channels) {
            let mut block_peak = *peak;
            for &sample in channel.as_ref() {
                let magnitude = sample.abs();
                if magnitude.is_finite() {
                    block_peak = block_peak.max(magnitude);
                } else {
                    self.non_finite_samples += 1;
                }
            }
            *peak = block_peak;
        }
    }

    /// The per-channel peak (linear) since the previous call, and starts a new interval.
    pub fn take(&mut self) -> [f32; MAX_CHANNELS] {
        std::mem::replace(&mut self.peak_gain, [0.0; MAX_CHANNELS])
    }

    /// Non-finite samples seen since the last `reset`.
    pub fn non_finite_samples(&self) -> u64 {
        self.non_finite_samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_largest_magnitude_per_channel() {
        let mut meter = SamplePeak::new(2);
        meter.process(&[vec![0.1, -0.5, 0.25], vec![0.0, 0.0, -0.9]]);
        assert_eq!(meter.take(), [0.5, 0.9]);
    }

    #[test]
    fn take_reads_and_resets_so_no_peak_is_lost() {
        let mut meter = SamplePeak::new(2);
        meter.process(&[[0.7f32], [0.2]]);
        meter.process(&[[0.1f32], [0.3]]);
        assert_eq!(meter.take(), [0.7, 0.3]);
        assert_eq!(meter.take(), [0.0, 0.0]);
        meter.process(&[[0.05f32], [0.05]]);
        assert_eq!(meter.take(), [0.05, 0.05]);
    }

    #[test]
    fn non_finite_samples_are_counted_and_skipped() {
        let mut meter = SamplePeak::new(2);
        meter.process(&[
            vec![f32::NAN, 0.25, f32::INFINITY],
            vec![f32::NEG_INFINITY, -0.125, 0.0],
        ]);
        assert_eq!(meter.take(), [0.25, 0.125]);
        assert_eq!(meter.non_finite_samples(), 3);
        meter.reset();
        assert_eq!(meter.non_finite_samples(), 0);
    }

    #[test]
    fn mono_measures_one_channel_and_ignores_extra_input() {
        let mut meter = SamplePeak::new(1);
        meter.process(&[vec![0.5f32], vec![1.0]]);
        assert_eq!(meter.take(), [0.5, 0.0]);
        assert_eq!(SamplePeak::new(0).channels(), 1);
        assert_eq!(SamplePeak::new(8).channels(), MAX_CHANNELS);
    }

    #[test]
    fn db_conversion_has_no_floor() {
        assert_eq!(crate::meter::gain_to_db(1.0), 0.0);
        assert!((crate::meter::gain_to_db(0.5) + 6.0206).abs() < 1e-3);
        assert_eq!(crate::meter::gain_to_db(0.0), f32::NEG_INFINITY);
    }
}
