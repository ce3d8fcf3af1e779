//! The long-term average spectrum: as accumulated by the analyzer (borrowed), and owned, with
//! its resolution, for what is kept, compared and smoothed off the audio thread.

/// The long-term average power spectrum as accumulated (borrowed from the analyzer).
#[derive(Debug, Clone, Copy)]
pub struct LongTermSpectrum<'a> {
    pub(super) sums: &'a [f64],
    /// Frames averaged (0: no value yet).
    pub frames: u64,
    /// The bins below this hold one frame more than `frames`: a frame being added a part of
    /// the bins per call (0 between frames).
    pub(super) ahead: usize,
    pub fft_size: usize,
    pub sample_rate_hz: f64,
}

impl LongTermSpectrum<'_> {
    pub fn bins(&self) -> usize {
        self.sums.len()
    }

    pub fn bin_hz(&self) -> f64 {
        self.sample_rate_hz / self.fft_size as f64
    }

    /// Mean power of bin `k` (linear, full-scale sine = 1), 0 before the first frame.
    pub fn mean_power(&self, k: usize) -> f64 {
        let frames = self.frames + u64::from(k < self.ahead);
        if self.frames == 0 {
            0.0
        } else {
            self.sums[k] / frames as f64
        }
    }

    /// The mean power of every bin into `out` (as many as fit), linear; zeros before the
    /// first frame.
    pub fn mean_powers_into(&self, out: &mut [f32]) {
        let scale = |frames: u64| {
            if self.frames == 0 {
                0.0
            } else {
                1.0 / frames as f64
            }
        };
        let ahead = self.ahead.min(out.len()).min(self.sums.len());
        let (out_ahead, out_rest) = out.split_at_mut(ahead);
        let (sums_ahead, sums_rest) = self.sums.split_at(ahead);
        for (outs, sums, scale) in [
            (out_ahead, sums_ahead, scale(self.frames + 1)),
            (out_rest, sums_rest, scale(self.frames)),
        ] {
            for (o, &sum) in outs.iter_mut().zip(sums) {
                *o = (sum * scale) as f32;
            }
        }
    }

    /// Seconds of audio the average covers (frames times hop).
    pub fn covered_s(&self) -> f64 {
        self.frames as f64 * (self.fft_size / 2) as f64 / self.sample_rate_hz
    }

    /// Copies the mean power per bin into an owned spectrum.
    pub fn to_owned(&self) -> PowerSpectrum {
        PowerSpectrum {
            power: (0..self.bins()).map(|k| self.mean_power(k)).collect(),
            bin_hz: self.bin_hz(),
            fft_size: self.fft_size,
            covered_s: self.covered_s(),
        }
    }
}

/// Mean power per bin with its resolution: what is kept, compared and smoothed off the audio
/// thread.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PowerSpectrum {
    /// Power per bin, linear (a bin-centred full-scale sine reads 1).
    pub power: Vec<f64>,
    pub bin_hz: f64,
    pub fft_size: usize,
    /// Seconds of audio behind it (0 for a single frame).
    pub covered_s: f64,
}
