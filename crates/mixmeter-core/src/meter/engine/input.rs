//! The fragment being filled: input samples checked (a non-finite sample is counted and
//! measured as a repeat of the last finite one: a dropout, not a step to zero, so it creates no
//! false inter-sample peak), K-weighted (BS.1770-5 Annex 1, clause 2.1, [`KWeighting`]) and
//! summed, with the fragment's sample and true peak (Annex 2, [`TruePeak`]) and its clipped
//! runs ([`Clips`]). Sums run sample by sample in order, so the split of the input into blocks
//! cannot change a single bit.

use super::super::clips::{self, ClipCount, Clips};
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
    pub(super) clips: ClipCount,
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
    true_peak_max: [f32; MAX_CHANNELS],
    non_finite_samples: u64,
    /// Runs in progress, and the fragment's clipped runs.
    clips: Clips,
    clip_count: ClipCount,
}

impl FragmentInput {
    /// `max_fragment`: the longest fragment in samples.
    pub(super) fn new(config: &MeterConfig, over_ceiling_gain: Option<f32>) -> Self {
        let rate = config.sample_rate_hz;
        let max_fragment = super::max_fragment_frames(rate);
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
            true_peak_max: [0.0; MAX_CHANNELS],
            non_finite_samples: 0,
            clips: Clips::new(),
            clip_count: ClipCount::default(),
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
        self.true_peak_max = [0.0; MAX_CHANNELS];
        self.non_finite_samples = 0;
        self.clips.reset();
        self.clip_count = ClipCount::default();
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
        // One vectorised pass over every channel finds whether the piece is all finite (the
        // usual case: measured in place). Otherwise each channel that is not is copied to
        // scratch, each non-finite sample counted and replaced by the last finite one. The
        // sample peak needs no pass of its own: the true-peak screen finds it.
        if channels != 2 {
            self.leave_pipeline();
        }
        let mut pieces: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        for (piece, channel) in pieces.iter_mut().zip(block).take(channels) {
            *piece = &channel.as_ref()[start..start + n];
        }
        let kernel = self.kweight.kernel();
        let largest = largest_magnitude(kernel, &pieces[..channels]);
        // Channels whose non-finite samples were replaced (repeats of the last finite one: a
        // dropout, not a flat top for the clip count).
        let mut in_scratch = [false; MAX_CHANNELS];
        if largest < INFINITY_BITS {
            for (last, piece) in self.last_finite.iter_mut().zip(&pieces[..channels]) {
                if let Some(&x) = piece.last() {
                    *last = x;
                }
            }
        } else {
            for (c, piece) in pieces.iter().enumerate().take(channels) {
                if largest_magnitude(kernel, &[piece]) < INFINITY_BITS {
                    if let Some(&x) = piece.last() {
                        self.last_finite[c] = x;
                    }
                    continue;
                }
                let scratch = &mut self.scratch[c][..n];
                let mut last = self.last_finite[c];
                let mut bad = 0u64;
                for (s, &x) in scratch.iter_mut().zip(piece.iter()) {
                    let finite = x.is_finite();
                    bad += u64::from(!finite);
                    let v = if finite { x } else { last };
                    last = v;
                    *s = v;
                }
                self.non_finite_samples += bad;
                self.last_finite[c] = last;
                in_scratch[c] = true;
            }
            for (c, piece) in pieces.iter_mut().enumerate().take(channels) {
                if in_scratch[c] {
                    *piece = &self.scratch[c][..n];
                }
            }
        }

        // Clipped runs: only a piece reaching the floor can hold one.
        if largest >= clips::FLOOR.to_bits() as i32 {
            for (c, piece) in pieces.iter().enumerate().take(channels) {
                if in_scratch[c] {
                    self.clips.interrupt(c);
                } else {
                    self.clips.scan(c, piece, &mut self.clip_count);
                }
            }
        } else {
            for c in 0..channels {
                self.clips.interrupt(c);
            }
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
        // ends (the screen's fixed cost once per chunk, not per host block), and finds each
        // chunk's sample peak on the way. No interval needs refining below what the fragment
        // and the last 3 s already hold.
        for (c, piece) in pieces.iter().enumerate().take(channels) {
            let floor = self.true_peak_max[c]
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
            sample_peak: std::array::from_fn(|c| self.true_peak.take_sample_peak(c)),
            true_peak: std::mem::replace(&mut self.true_peak_max, [0.0; MAX_CHANNELS]),
            clips: std::mem::take(&mut self.clip_count),
        }
    }
}

/// The largest [`magnitude_bits`] of every sample of every piece, in one vector pass over them
/// all: every sample is finite when it is under [`INFINITY_BITS`], and it says whether a piece
/// reaches a level (the bits of a positive float) without a pass of its own.
///
/// It is a maximum of the samples' bit patterns with the sign cleared: every infinity and NaN
/// lies above the largest finite value's (`0x7f7f_ffff`), and with the sign cleared the
/// patterns compare the same as signed integers (SSE2 has no unsigned 32-bit comparison), in
/// the order of the magnitudes. One integer maximum per sample. (The compiler's own
/// vectorisation of `is_finite` per lane shuffled eight vectors at a time through the stack.)
fn largest_magnitude(kernel: Kernel, pieces: &[&[f32]]) -> i32 {
    match kernel.variant() {
        Variant::Portable => pieces
            .iter()
            .map(|piece| largest_magnitude_bits(piece))
            .fold(0, i32::max),
        // SAFETY: this kernel is only selected when the CPU has AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        Variant::Avx2Fma | Variant::Avx512 => unsafe { largest_magnitude_avx2(pieces) },
    }
}

/// The sign bit cleared.
const MAGNITUDE: i32 = 0x7fff_ffff;
/// The bits of `f32::INFINITY`: every larger pattern (sign cleared) is a NaN.
const INFINITY_BITS: i32 = 0x7f80_0000;

/// The bits of `|x|` as a signed integer (see [`largest_magnitude`]).
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

/// [`largest_magnitude`] in AVX2 intrinsics: a load, an and and a maximum per eight samples,
/// one reduction for all the pieces at the end.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn largest_magnitude_avx2(pieces: &[&[f32]]) -> i32 {
    use std::arch::x86_64::*;
    let magnitude = _mm256_set1_epi32(MAGNITUDE);
    let mut largest = _mm256_setzero_si256();
    let mut rest = 0;
    for piece in pieces {
        let chunks = piece.chunks_exact(8);
        rest = rest.max(largest_magnitude_bits(chunks.remainder()));
        for chunk in chunks {
            // SAFETY: `chunk` holds eight floats; the load is unaligned.
            let x = unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) };
            largest = _mm256_max_epi32(largest, _mm256_and_si256(x, magnitude));
        }
    }
    let half = _mm_max_epi32(
        _mm256_castsi256_si128(largest),
        _mm256_extracti128_si256::<1>(largest),
    );
    let half = _mm_max_epi32(half, _mm_shuffle_epi32::<0b01_00_11_10>(half));
    let half = _mm_max_epi32(half, _mm_shuffle_epi32::<0b10_11_00_01>(half));
    _mm_cvtsi128_si32(half).max(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit-pattern maximum and finite test against the plain definition, on every kind of value at every
    /// position and length (the lanes' remainders included), alone and with a second piece,
    /// for both kernels.
    #[test]
    fn largest_magnitude_matches_its_definition() {
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
        let clean: Vec<f32> = (0..13).map(|i| 0.9 - 0.1 * i as f32).collect();
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
                    for kernel in kernels.into_iter().flatten() {
                        for pieces in [
                            vec![&input[..]],
                            vec![&clean[..], &input[..]],
                            vec![&input[..], &clean[..]],
                        ] {
                            let largest = pieces
                                .iter()
                                .flat_map(|p| p.iter())
                                .map(|&x| magnitude_bits(x))
                                .max()
                                .unwrap_or(0);
                            let got = largest_magnitude(kernel, &pieces);
                            assert_eq!(got, largest, "{pieces:?}");
                            assert_eq!(got < INFINITY_BITS, finite, "{pieces:?}");
                        }
                    }
                }
            }
        }
    }
}
