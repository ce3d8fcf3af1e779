//! The fragment being filled: input samples checked (a non-finite sample is counted and
//! measured as a repeat of the last finite one: a dropout, not a step to zero, so it creates no
//! false inter-sample peak), K-weighted (BS.1770-5 Annex 1, clause 2.1, [`KWeighting`]) and
//! summed, with the fragment's sample and true peak (Annex 2, [`TruePeak`]). Sums run sample by
//! sample in order, so the split of the input into blocks cannot change a single bit.

use super::super::kweight::{ChannelState, KWeighting, StereoPipeline, StereoSums};
use super::super::truepeak::TruePeak;
use super::super::{Kernel, MAX_CHANNELS, Variant};
use super::config::MeterConfig;
use super::windows::Sums;

/// A finished fragment: its sums and its peaks per channel (linear).
#[derive(Debug, Clone, Copy)]
pub(super) struct Fragment {
    pub(super) sums: Sums,
    pub(super) sample_peak: [f32; MAX_CHANNELS],
    pub(super) true_peak: [f32; MAX_CHANNELS],
}

#[derive(Debug)]
pub(super) struct FragmentInput {
    kweight: KWeighting,
    /// Per-channel filter states (channels 0 and 1 in `stereo` while `in_pipeline`).
    filter: [ChannelState; MAX_CHANNELS],
    /// Channels 0 and 1's filter states and sums while stereo pieces come, moved there from
    /// `filter`, `k`, `raw` and the cross terms by the first stereo piece, and back (drained)
    /// by a piece of another channel count and at the fragment's end.
    stereo: StereoPipeline,
    in_pipeline: bool,
    true_peak: TruePeak,
    /// The over ceiling as a linear gain (`f32::INFINITY` without one): the true-peak
    /// detector's refinement floor never exceeds it, so every interval that could exceed it
    /// is refined and each fragment's peak is exact where it decides an over.
    over_ceiling_gain: f32,
    /// Sanitized input of the current piece, per channel (max one fragment).
    scratch: Box<[Box<[f32]>]>,
    /// Per-channel K-weighted and unweighted sums of squares, and the stereo cross terms
    /// (channels 0 and 1 in `stereo` while `in_pipeline`).
    k: [f64; MAX_CHANNELS],
    raw: [f64; MAX_CHANNELS],
    k_cross: f64,
    raw_cross: f64,
    samples: u64,
    last_finite: [f32; MAX_CHANNELS],
    sample_peak: [f32; MAX_CHANNELS],
    true_peak_max: [f32; MAX_CHANNELS],
    non_finite_samples: u64,
}

impl FragmentInput {
    /// `max_fragment`: the longest fragment in samples.
    pub(super) fn new(config: &MeterConfig, over_ceiling_gain: Option<f32>) -> Self {
        let rate = config.sample_rate_hz;
        let max_fragment = (rate / super::FRAGMENTS_PER_SECOND as f64).ceil() as usize + 1;
        Self {
            kweight: KWeighting::new(rate),
            filter: [ChannelState::default(); MAX_CHANNELS],
            stereo: StereoPipeline::default(),
            in_pipeline: false,
            true_peak: TruePeak::new(rate),
            over_ceiling_gain: over_ceiling_gain.unwrap_or(f32::INFINITY),
            scratch: (0..config.channels)
                .map(|_| vec![0.0f32; max_fragment].into_boxed_slice())
                .collect(),
            k: [0.0; MAX_CHANNELS],
            raw: [0.0; MAX_CHANNELS],
            k_cross: 0.0,
            raw_cross: 0.0,
            samples: 0,
            last_finite: [0.0; MAX_CHANNELS],
            sample_peak: [0.0; MAX_CHANNELS],
            true_peak_max: [0.0; MAX_CHANNELS],
            non_finite_samples: 0,
        }
    }

    pub(super) fn reset(&mut self) {
        self.filter = [ChannelState::default(); MAX_CHANNELS];
        self.stereo = StereoPipeline::default();
        self.in_pipeline = false;
        self.true_peak.reset();
        self.k = [0.0; MAX_CHANNELS];
        self.raw = [0.0; MAX_CHANNELS];
        self.k_cross = 0.0;
        self.raw_cross = 0.0;
        self.samples = 0;
        self.last_finite = [0.0; MAX_CHANNELS];
        self.sample_peak = [0.0; MAX_CHANNELS];
        self.true_peak_max = [0.0; MAX_CHANNELS];
        self.non_finite_samples = 0;
    }

    /// Non-finite samples met since the reset.
    pub(super) fn non_finite_samples(&self) -> u64 {
        self.non_finite_samples
    }

    /// Adds `block[c][start..start + n]` (at most the rest of the fragment) for the first
    /// `channels` channels. `recent_true_peak(c)`: channel `c`'s largest true peak of the last
    /// 3 s before this fragment; the true-peak detector refines only intervals that could
    /// exceed it (see [`super::super::truepeak`]), so every windowed maximum is refined.
    /// `ends_fragment`: the piece is the fragment's last (what the true peak holds back is
    /// measured now).
    pub(super) fn accumulate<C: AsRef<[f32]>>(
        &mut self,
        block: &[C],
        channels: usize,
        start: usize,
        n: usize,
        ends_fragment: bool,
        recent_true_peak: impl Fn(usize) -> f32,
    ) {
        // One vectorised pass finds the sample peak and whether the piece is all finite (the
        // usual case: measured in place). Otherwise the piece is copied to scratch with each
        // non-finite sample counted and replaced by the last finite one.
        if channels != 2 {
            self.leave_pipeline();
        }
        let mut in_scratch = [false; MAX_CHANNELS];
        for (c, channel) in block.iter().enumerate().take(channels) {
            let input = &channel.as_ref()[start..start + n];
            let (peak, finite) = peak_and_finite(self.kweight.kernel(), input);
            if finite {
                self.sample_peak[c] = self.sample_peak[c].max(peak);
                if let Some(&last) = input.last() {
                    self.last_finite[c] = last;
                }
                continue;
            }
            let scratch = &mut self.scratch[c][..n];
            let mut peak = self.sample_peak[c];
            let mut last = self.last_finite[c];
            let mut bad = 0u64;
            for (s, &x) in scratch.iter_mut().zip(input) {
                let finite = x.is_finite();
                bad += u64::from(!finite);
                let v = if finite { x } else { last };
                last = v;
                peak = peak.max(v.abs());
                *s = v;
            }
            self.non_finite_samples += bad;
            self.last_finite[c] = last;
            self.sample_peak[c] = peak;
            in_scratch[c] = true;
        }
        let mut pieces: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        for (c, channel) in block.iter().enumerate().take(channels) {
            pieces[c] = if in_scratch[c] {
                &self.scratch[c][..n]
            } else {
                &channel.as_ref()[start..start + n]
            };
        }

        let k = &self.kweight;
        if channels == 2 {
            if !self.in_pipeline {
                let sums = StereoSums {
                    k: [self.k[0], self.k[1]],
                    k_cross: self.k_cross,
                    raw: [self.raw[0], self.raw[1]],
                    raw_cross: self.raw_cross,
                };
                self.stereo = StereoPipeline::new([self.filter[0], self.filter[1]], sums);
                self.in_pipeline = true;
            }
            k.run_stereo_pipelined(&mut self.stereo, pieces[0], pieces[1]);
        } else {
            for (c, piece) in pieces.iter().enumerate().take(channels) {
                k.run_mono(&mut self.filter[c], piece, &mut self.k[c], &mut self.raw[c]);
            }
        }
        self.samples += n as u64;

        // The true peak measures whole chunks as they fill and the rest when the fragment
        // ends (the screen's fixed cost once per chunk, not per host block). The fragment's
        // sample peak is already known: a floor no interval below it needs refining for.
        for (c, piece) in pieces.iter().enumerate().take(channels) {
            let floor = self.true_peak_max[c]
                .max(self.sample_peak[c])
                .max(recent_true_peak(c))
                .min(self.over_ceiling_gain);
            let mut peak = self.true_peak.push(c, piece, floor);
            if ends_fragment {
                peak = peak.max(self.true_peak.flush(c, floor.max(peak)));
            }
            self.true_peak_max[c] = self.true_peak_max[c].max(peak);
        }
    }

    /// Drains the stereo pipeline, if channels 0 and 1 are in it, and moves their states and
    /// sums back to `filter`, `k`, `raw` and the cross terms.
    fn leave_pipeline(&mut self) {
        if !self.in_pipeline {
            return;
        }
        self.kweight.drain(&mut self.stereo);
        let sums = self.stereo.sums();
        [self.filter[0], self.filter[1]] = self.stereo.states();
        [self.k[0], self.k[1]] = sums.k;
        [self.raw[0], self.raw[1]] = sums.raw;
        self.k_cross = sums.k_cross;
        self.raw_cross = sums.raw_cross;
        self.in_pipeline = false;
    }

    /// Ends the fragment: its sums (the K-weighted ones scaled and weighted per channel) and
    /// peaks, with everything cleared for the next one.
    pub(super) fn finish(&mut self, config: &MeterConfig) -> Fragment {
        let channels = config.channels;
        self.leave_pipeline();
        for state in &mut self.filter[..channels] {
            KWeighting::sanitize(state);
        }
        let scale = self.kweight.energy_scale();
        let mut k = std::mem::replace(&mut self.k, [0.0; MAX_CHANNELS]);
        for e in &mut k {
            *e *= scale;
        }
        let raw = std::mem::replace(&mut self.raw, [0.0; MAX_CHANNELS]);
        let sums = Sums {
            samples: std::mem::take(&mut self.samples),
            energy: k[..channels]
                .iter()
                .zip(&config.weights)
                .map(|(e, w)| e * w)
                .sum(),
            k_left: k[0],
            k_right: if channels == 2 { k[1] } else { 0.0 },
            k_cross: std::mem::take(&mut self.k_cross) * scale,
            raw_left: raw[0],
            raw_right: if channels == 2 { raw[1] } else { 0.0 },
            raw_cross: std::mem::take(&mut self.raw_cross),
            raw_power: raw[..channels].iter().sum(),
        };
        Fragment {
            sums,
            sample_peak: std::mem::replace(&mut self.sample_peak, [0.0; MAX_CHANNELS]),
            true_peak: std::mem::replace(&mut self.true_peak_max, [0.0; MAX_CHANNELS]),
        }
    }
}

/// The largest |sample| of `input` and whether every sample is finite, in one vector pass.
///
/// It is a maximum of the samples' bit patterns with the sign cleared: for IEEE 754 values
/// that are not NaN, the order of `|x|` is the order of those bit patterns, and every infinity
/// and NaN lies above the largest finite value's (`0x7f7f_ffff`). With the sign cleared they
/// also compare the same as signed integers (SSE2 has no unsigned 32-bit comparison). One
/// integer maximum per sample gives both answers; when a sample is not finite the peak is not
/// read. (The compiler's own vectorisation of a plain per-lane loop, and of the earlier float
/// form with an `x * 0.0` poison sum, shuffled eight vectors at a time through the stack.)
fn peak_and_finite(kernel: Kernel, input: &[f32]) -> (f32, bool) {
    let largest = match kernel.variant() {
        Variant::Portable => largest_magnitude_bits(input),
        // SAFETY: this kernel is only selected when the CPU has AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        Variant::Avx2Fma | Variant::Avx512 => unsafe { largest_magnitude_bits_avx2(input) },
    };
    (f32::from_bits(largest as u32), largest < INFINITY_BITS)
}

/// The sign bit cleared.
const MAGNITUDE: i32 = 0x7fff_ffff;
/// The bits of `f32::INFINITY`: every larger pattern (sign cleared) is a NaN.
const INFINITY_BITS: i32 = 0x7f80_0000;

/// The bits of `|x|` as a signed integer (see [`peak_and_finite`]).
#[inline(always)]
fn magnitude_bits(x: f32) -> i32 {
    x.to_bits() as i32 & MAGNITUDE
}

/// The largest [`magnitude_bits`] of `input` (0 when empty), in `wide` lanes: SSE2 here, NEON
/// on aarch64.
#[inline(always)]
fn largest_magnitude_bits(input: &[f32]) -> i32 {
    use wide::i32x4;
    let chunks = input.chunks_exact(4);
    let rest = chunks.remainder();
    let magnitude = i32x4::splat(MAGNITUDE);
    let mut largest = i32x4::ZERO;
    for chunk in chunks {
        let x: [f32; 4] = chunk.try_into().unwrap();
        largest = largest.max(i32x4::from(x.map(|x| x.to_bits() as i32)) & magnitude);
    }
    let largest = largest.to_array().into_iter().fold(0, i32::max);
    rest.iter().fold(largest, |m, &x| m.max(magnitude_bits(x)))
}

/// [`largest_magnitude_bits`] in AVX2 intrinsics: a load, an and and a maximum per eight
/// samples.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn largest_magnitude_bits_avx2(input: &[f32]) -> i32 {
    use std::arch::x86_64::*;
    let chunks = input.chunks_exact(8);
    let rest = chunks.remainder();
    let magnitude = _mm256_set1_epi32(MAGNITUDE);
    let mut largest = _mm256_setzero_si256();
    for chunk in chunks {
        // SAFETY: `chunk` holds eight floats; the load is unaligned.
        let x = unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) };
        largest = _mm256_max_epi32(largest, _mm256_and_si256(x, magnitude));
    }
    let mut lanes = [0i32; 8];
    // SAFETY: eight i32 into an eight-i32 array.
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), largest) };
    let largest = lanes.into_iter().fold(0, i32::max);
    largest.max(largest_magnitude_bits(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit-pattern maximum against the plain definition, on every kind of value at every
    /// position and length (the lanes' remainders included), for both kernels.
    #[test]
    fn peak_and_finite_matches_its_definition() {
        let specials = [
            0.0f32,
            -0.0,
            1.0e-40,
            -1.0e-40,
            0.5,
            -0.75,
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
        ];
        let kernels = [Some(Kernel::PORTABLE), Kernel::avx2_fma()];
        for len in 0..20 {
            for (position, &special) in specials.iter().enumerate() {
                for at in 0..len {
                    let input: Vec<f32> = (0..len)
                        .map(|i| {
                            if i == at {
                                special
                            } else {
                                0.25 * (i + position) as f32 / 20.0 - 0.1
                            }
                        })
                        .collect();
                    let finite = input.iter().all(|x| x.is_finite());
                    let peak = input.iter().fold(0.0f32, |m, x| m.max(x.abs()));
                    for kernel in kernels.into_iter().flatten() {
                        let (got_peak, got_finite) = peak_and_finite(kernel, &input);
                        assert_eq!(got_finite, finite, "{input:?}");
                        if finite {
                            assert_eq!(got_peak.to_bits(), peak.to_bits(), "{input:?}");
                        }
                    }
                }
            }
        }
    }
}
