//! True peak (ITU-R BS.1770-5, Annex 2): the peak of the signal reconstructed between samples.
//!
//! Annex 2 estimates it by oversampling (at least 4x at 48 kHz) and notes that a short
//! interpolation filter under-reads content close to Nyquist. Hard-clipped and brightened
//! masters have exactly that content, and their inter-sample overs are what a ceiling check
//! exists for, so this detector promises more than the Annex: **within 0.1 dB of an ideal
//! (band-limited) reconstruction for content up to [`ACCURATE_UP_TO_FS`] of the sample rate, at
//! every rate, and never above it by more than 0.01 dB** (tests below; the real-recordings
//! tier checks it against a 16x soxr reconstruction).
//!
//! Two stages, so the cost of accuracy is paid only where a new maximum is possible:
//!
//! 1. **Screen** (every sample): a short polyphase interpolator, a Kaiser-windowed sinc (beta
//!    [`SCREEN_BETA`]) with [`SCREEN_TAPS`] taps per phase at `factor = max(4, ceil(192 kHz /
//!    fs))` phases per sample, gives an estimate of each sample interval's peak (the larger
//!    endpoint and every phase in between). What it can miss grows with the content's
//!    frequency (its filter droops near Nyquist, its grid misses crests by up to half a phase
//!    step), and so does the second difference of the samples (4 sin^2(pi f / fs) times the
//!    amplitude for a sine), so each interval is allowed [`SCREEN_ALLOWANCE_PER_CURVATURE`]
//!    times the largest second difference around it: an interval whose estimate plus that
//!    allowance stays at or below a maximum already known cannot hold a new one. (Measured:
//!    the screen under-reads band-limited content below [`ACCURATE_UP_TO_FS`] by at most
//!    0.55 dB, about 0.065 of the amplitude, where the second difference is about 1.3 to 4
//!    times it; a 1 kHz sine at 48 kHz is allowed 0.015 dB.)
//! 2. **Refine** (only intervals that could exceed the caller's floor or the largest peak found
//!    in the call so far; first the interval with the largest estimate of each chunk): a
//!    64-tap Kaiser-windowed sinc (beta 9) locates the largest of [`REFINE_PHASES`] points per
//!    sample, a [`REFINE_TAPS`]-tap one (beta [`REFINE_BETA`]) measures it and its neighbours,
//!    and a parabola through those three gives the peak. Measured on tones up to 0.46 fs at
//!    every position: within 0.003 dB. The long filter matters for hard-clipped masters, whose
//!    content reaches Nyquist: there a 64-tap sinc reads up to 0.15 dB off a 16x
//!    reconstruction, the 256-tap one within 0.05 dB.
//!
//! The caller passes the floor: the meter passes the largest true peak of the last 3 s, so
//! every reading that is a maximum over a window of at least 100 ms (the 3 s true peak behind
//! PSR, the maximum true peak, each channel's true peak) is refined, while the per-fragment
//! values that only drive the bars may be the screen's estimate (at most 0.55 dB low below
//! that floor). Cost: see `cargo bench --bench truepeak` (dense noise, a steady sine and
//! clipped noise, with the share of intervals refined).
//!
//! Content above [`ACCURATE_UP_TO_FS`] is attenuated by the refine filter (-0.3 dB at
//! 0.47 fs, -1.7 dB at 0.48 fs); a reconstruction at exactly Nyquist is not defined.
//!
//! Latency: the interval between inputs `n - 32` and `n - 31` is measured at input `n`
//! ([`LATENCY_SAMPLES`]); the meter attributes a peak to the fragment it is computed in,
//! which shifts no reading by more than 32 samples. Every sample itself counts at once, so
//! the true peak is never below the sample peak.
//!
//! Real-time: all buffers are fixed arrays sized at construction; [`TruePeak::process`] works
//! in chunks of [`CHUNK`] samples appended to a per-channel buffer (the history is moved back
//! once per `SPAN` samples, not copied per call). Cost of the screen: phase `F - p` is phase
//! `p` mirrored, so each pair of phases is computed from the sums and differences of mirrored
//! taps with half the multiplies, and the larger of the pair's two magnitudes is `|A| + |B|`
//! (see `ScreenPhases`); each interval's endpoints, second differences and bound (estimate plus
//! allowance) come from the same pass, with the chunk's largest bound. When that stays at or
//! below what is known, no interval of it is looked at again. A caller feeding small blocks
//! pushes them ([`TruePeak::push`]) and flushes at the end of its own period
//! ([`TruePeak::flush`]), so the screen runs on whole chunks: its fixed cost per call, about
//! 160 instructions a channel, is paid once per chunk, not once per host block. On x86-64 CPUs with AVX2 and FMA the
//! screen runs in intrinsics, eight intervals per vector (sixteen with AVX-512F, the same
//! operations per lane and so the same bits), and the refining dot products in AVX2, chosen
//! at run time.
//! Never allocates.

use super::MAX_CHANNELS;

/// Taps of each screening phase.
pub const SCREEN_TAPS: usize = 16;
/// Kaiser window shape of the screening filter.
pub const SCREEN_BETA: f64 = 6.0;
/// How far the screen may under-read an interval, per unit of the largest second difference
/// of the samples around it (see the module docs): an interval is refined when its estimate
/// plus this allowance exceeds a known maximum.
pub const SCREEN_ALLOWANCE_PER_CURVATURE: f32 = 0.1;
/// Taps of the interpolator that locates the peak inside a refined interval.
pub const LOCATE_TAPS: usize = 64;
/// Kaiser window shape of the locating interpolator.
pub const LOCATE_BETA: f64 = 9.0;
/// Taps of the interpolator that measures the located peak. Hard-clipped audio has content
/// up to Nyquist, where an ideal reconstruction converges slowly: on real clipped masters a
/// 64-tap sinc reads up to 0.15 dB off a 16x reconstruction, 256 taps within 0.05 dB.
pub const REFINE_TAPS: usize = 256;
/// Kaiser window shape of the measuring interpolator.
pub const REFINE_BETA: f64 = 12.0;
/// Points per sample interval on the refining grid (then a parabola).
pub const REFINE_PHASES: usize = 8;
/// Highest frequency, as a fraction of the sample rate, read within 0.1 dB.
pub const ACCURATE_UP_TO_FS: f64 = 0.46;
/// Input samples between a peak and its report.
pub const LATENCY_SAMPLES: usize = REFINE_TAPS / 2;
/// Lowest effective rate of the screening interpolator, in Hz.
pub const MIN_OVERSAMPLED_RATE_HZ: f64 = 192_000.0;
/// Fewest screening phases per sample (below 4 the screen's grid alone misses too much).
pub const MIN_FACTOR: usize = 4;
/// Highest screening factor (reached at 8 kHz).
pub const MAX_FACTOR: usize = 24;
/// Samples filtered per pass. Small enough that a call which completes a chunk stays close to
/// one that does not (at 192 kHz in 64-frame blocks, every other call screens 128 samples a
/// channel, about 0.6 us more than a 64-sample screen; a 256-sample chunk every fourth call
/// doubled the core's 99.9th percentile call), large enough that a 5 ms fragment at 48 kHz
/// takes two screens a channel.
pub const CHUNK: usize = 128;

/// Inputs kept from one chunk to the next: the refining window less one.
const HISTORY: usize = REFINE_TAPS - 1;
/// New samples a channel's buffer takes before its history is moved back to the front.
const SPAN: usize = 16 * CHUNK;
/// Length of each channel's buffer.
const BUFFER: usize = HISTORY + SPAN;
/// Where the screening and locating windows start in the refining window, so all three
/// interpolate the same interval (between window positions `i + REFINE_TAPS / 2 - 1` and
/// `i + REFINE_TAPS / 2`).
const SCREEN_OFFSET: usize = REFINE_TAPS / 2 - SCREEN_TAPS / 2;
const LOCATE_OFFSET: usize = REFINE_TAPS / 2 - LOCATE_TAPS / 2;

/// Inner points of the refining grid (its ends are the samples themselves).
const INNER: usize = REFINE_PHASES - 1;

/// Screening factor for a sample rate (see the module docs).
pub fn factor_for_rate(sample_rate_hz: f64) -> usize {
    ((MIN_OVERSAMPLED_RATE_HZ / sample_rate_hz).ceil() as usize).clamp(MIN_FACTOR, MAX_FACTOR)
}

mod filters;
mod refine;
mod screen;
#[cfg(test)]
mod tests;

pub use super::Kernel;
use super::Variant;
use filters::*;
use refine::*;
use screen::*;

/// Per-channel true-peak detector.
#[derive(Clone)]
pub struct TruePeak {
    factor: usize,
    kernel: Kernel,
    /// Screening branches for phases 1..factor.
    screen: ScreenPhases,
    /// Locating and measuring branches for phases 1..REFINE_PHASES.
    refine: Box<RefinePhases>,
    /// Each channel's recent input, oldest first: the refining window of every interval still
    /// to be measured is a slice of it. New samples are appended; only when a channel's buffer
    /// is full are its last `HISTORY` samples moved to the front (once per [`SPAN`] samples,
    /// instead of copying the history into a window for every call).
    buffers: Box<[[f32; BUFFER]]>,
    /// Samples held in each channel's buffer (at least `HISTORY`).
    fill: [usize; MAX_CHANNELS],
    /// Samples at the end of each channel's buffer not measured yet (less than [`CHUNK`]
    /// between calls).
    pending: [usize; MAX_CHANNELS],
    /// Each channel's largest |sample| measured since [`TruePeak::take_sample_peak`] (the
    /// screen finds it on the way).
    sample_peak: [f32; MAX_CHANNELS],
    /// Screening estimate of each interval of the chunk.
    estimate: Box<[f32; CHUNK]>,
    /// The most each interval of the chunk may hold: its estimate plus its allowance.
    bound: Box<[f32; CHUNK]>,
    /// Intervals refined since construction (for tests and benches).
    refined: u64,
}

impl std::fmt::Debug for TruePeak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TruePeak")
            .field("factor", &self.factor)
            .field("kernel", &self.kernel)
            .field("refined", &self.refined)
            .finish()
    }
}

impl TruePeak {
    pub fn new(sample_rate_hz: f64) -> Self {
        Self::with_kernel(sample_rate_hz, Kernel::detect())
    }

    /// A detector using a given kernel (tests compare the two).
    pub fn with_kernel(sample_rate_hz: f64, kernel: Kernel) -> Self {
        let factor = factor_for_rate(sample_rate_hz);
        let mut refine = Box::new(RefinePhases {
            locate: [[0.0; LOCATE_TAPS]; INNER],
            measure: [[0.0; REFINE_TAPS]; INNER],
        });
        for p in 0..INNER {
            refine.locate[p] = phase_coefficients(p + 1, REFINE_PHASES, LOCATE_BETA);
            refine.measure[p] = phase_coefficients(p + 1, REFINE_PHASES, REFINE_BETA);
        }
        Self {
            factor,
            kernel,
            screen: ScreenPhases::new(factor),
            refine,
            buffers: vec![[0.0; BUFFER]; MAX_CHANNELS].into_boxed_slice(),
            fill: [HISTORY; MAX_CHANNELS],
            pending: [0; MAX_CHANNELS],
            sample_peak: [0.0; MAX_CHANNELS],
            estimate: Box::new([0.0; CHUNK]),
            bound: Box::new([0.0; CHUNK]),
            refined: 0,
        }
    }

    /// Screening phases per sample.
    pub fn factor(&self) -> usize {
        self.factor
    }

    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Intervals refined since construction.
    pub fn refined_intervals(&self) -> u64 {
        self.refined
    }

    pub fn reset(&mut self) {
        for buffer in self.buffers.iter_mut() {
            buffer[..HISTORY].fill(0.0);
        }
        self.fill = [HISTORY; MAX_CHANNELS];
        self.pending = [0; MAX_CHANNELS];
        self.sample_peak = [0.0; MAX_CHANNELS];
    }

    /// Channel `channel`'s largest |sample| among those measured (by [`TruePeak::push`] as
    /// its chunks fill, and by [`TruePeak::flush`]) since the last call, and starts again from
    /// 0. Samples still waiting for their chunk are not in it: a caller that flushes at the end
    /// of its period gets that period's sample peak, without a pass of its own.
    pub fn take_sample_peak(&mut self, channel: usize) -> f32 {
        std::mem::take(&mut self.sample_peak[channel])
    }

    /// The largest |reconstructed value| of the intervals that `samples` completes (and of
    /// the samples themselves), continuing channel `channel`'s history. Intervals that could
    /// exceed `floor` (a peak the caller already knows) or the largest value found so far in
    /// this call are refined; the others count with their screening estimate. Finite input
    /// only (the caller replaces non-finite samples). Never below the sample peak.
    pub fn process(&mut self, channel: usize, samples: &[f32], floor: f32) -> f32 {
        let peak = self.push(channel, samples, floor);
        peak.max(self.flush(channel, floor.max(peak)))
    }

    /// Appends `samples` to channel `channel`'s input and measures every whole [`CHUNK`] of
    /// it as it fills (as [`TruePeak::process`] does, returning their peak); the rest waits
    /// for more samples or [`TruePeak::flush`]. A caller that feeds small blocks measures in
    /// whole chunks this way, paying the screen's fixed cost per chunk instead of per block.
    pub fn push(&mut self, channel: usize, samples: &[f32], floor: f32) -> f32 {
        let mut peak = 0.0f32;
        let mut rest = samples;
        while !rest.is_empty() {
            let room = CHUNK - self.pending[channel];
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.append(channel, now);
            if self.pending[channel] == CHUNK {
                peak = peak.max(self.measure_pending(channel, floor.max(peak)));
            }
            rest = later;
        }
        peak
    }

    /// Measures what [`TruePeak::push`] left waiting on channel `channel` (0 when nothing
    /// waits).
    pub fn flush(&mut self, channel: usize, floor: f32) -> f32 {
        if self.pending[channel] == 0 {
            return 0.0;
        }
        self.measure_pending(channel, floor)
    }

    /// Appends at most `CHUNK - pending` samples; when the buffer is full its history and
    /// the samples waiting are moved to its front first.
    fn append(&mut self, channel: usize, samples: &[f32]) {
        let n = samples.len();
        let buffer = &mut self.buffers[channel];
        let mut fill = self.fill[channel];
        let keep = HISTORY + self.pending[channel];
        if fill + n > BUFFER {
            buffer.copy_within(fill - keep..fill, 0);
            fill = keep;
        }
        buffer[fill..fill + n].copy_from_slice(samples);
        self.fill[channel] = fill + n;
        self.pending[channel] += n;
    }

    /// Screens, and refines where needed, the samples waiting on channel `channel` (at most
    /// one chunk).
    fn measure_pending(&mut self, channel: usize, floor: f32) -> f32 {
        let n = std::mem::take(&mut self.pending[channel]);
        let fill = self.fill[channel];
        // `[history | chunk]`: interval `i` of the chunk is refined on `window[i..i +
        // REFINE_TAPS]`.
        let window = &self.buffers[channel][fill - n - HISTORY..fill];
        let estimate = &mut self.estimate[..n];
        let bound = &mut self.bound[..n];
        let stats = match self.kernel.variant() {
            Variant::Portable => screen_portable(window, estimate, bound, &self.screen),
            // SAFETY: this kernel is only selected when the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Variant::Avx2Fma => unsafe { screen_avx2(window, estimate, bound, &self.screen) },
            // SAFETY: this kernel is only selected when the CPU has AVX2, FMA and AVX-512F.
            #[cfg(all(target_arch = "x86_64", mixmeter_avx512))]
            Variant::Avx512 => unsafe { screen_avx512(window, estimate, bound, &self.screen) },
            // Not selected by a build without the AVX-512 screen (`Kernel::avx512` is `None`);
            // SAFETY: as the AVX2 kernel, which the variant includes.
            #[cfg(all(target_arch = "x86_64", not(mixmeter_avx512)))]
            Variant::Avx512 => unsafe { screen_avx2(window, estimate, bound, &self.screen) },
        };
        let peak = stats.sample_peak;
        self.sample_peak[channel] = self.sample_peak[channel].max(peak);
        let mut known = floor.max(peak);
        let mut largest_estimate = stats.largest_estimate;
        // What the screen may have missed in an interval is proportional to the local
        // curvature of the samples (the screen's errors, both its filter's near Nyquist and its
        // grid's, grow with the content's frequency, as the second difference does): each
        // interval's bound is its estimate plus that allowance. When the chunk's largest bound
        // stays at or below what is known, nothing in it needs a closer look.
        if stats.largest_bound > known {
            // Refine, the interval with the largest bound first so that it raises the bar for
            // the others.
            let first = bound
                .iter()
                .position(|&b| b == stats.largest_bound)
                .unwrap_or(0);
            for i in std::iter::once(first).chain(0..n) {
                if bound[i] <= known {
                    continue;
                }
                let window = &window[i..i + REFINE_TAPS];
                let value = match self.kernel.variant() {
                    Variant::Portable => refine_portable(window, &self.refine),
                    // SAFETY: as above.
                    #[cfg(target_arch = "x86_64")]
                    Variant::Avx2Fma | Variant::Avx512 => unsafe {
                        refine_avx2(window, &self.refine)
                    },
                };
                self.refined += 1;
                // The screen's own estimate stays a lower bound if the parabola lands lower.
                let value = value.max(estimate[i]);
                // Refined once: the bound is what it measured.
                bound[i] = value;
                estimate[i] = value;
                known = known.max(value);
                largest_estimate = largest_estimate.max(value);
            }
        }
        peak.max(largest_estimate)
    }
}
