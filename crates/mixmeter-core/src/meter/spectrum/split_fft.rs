//! The split real FFT: one frame size's window, power scales and twiddles ([`Plan`]), and the
//! steps that turn a channel's windowed frame into its power spectrum, each of similar cost so
//! the analyzer can run one per `process` call (see the module docs of [`super`]).
//!
//! The real FFT of N samples: (0) window the frame and pack samples 4m, 4m+1 and 4m+2, 4m+3
//! as two blocks of complex values ([`window_and_pack`]); (1, 2) a complex FFT of N/4 points on
//! each block ([`Plan::quarter_fft`]); (3) one radix-2 step joining them into the N/2-point
//! FFT Z ([`join`]); (4, 5) the standard split that turns Z into the N/2+1 bins of the real
//! spectrum, in two halves ([`split`]); (6) the bins' weighted power ([`add_power`]).
//!
//! Every step is `#[inline(always)]`: the analyzer calls them from a function compiled for
//! AVX2 where the CPU has it, and they must be compiled into it.

#[cfg(target_arch = "x86_64")]
use super::avx2;
use super::portable;
use super::{Kernel, Variant};
use realfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Transform steps per channel and frame.
pub(super) const STEPS: usize = 7;

/// Power scale of bin `k` of an `size`-point frame windowed by a window summing to
/// `window_sum`: a bin-centred sine of amplitude `A` reads `A²`.
fn bin_scale(k: usize, size: usize, window_sum: f64) -> f32 {
    let edge = k == 0 || k == size / 2;
    let factor = if edge { 1.0 } else { 2.0 };
    ((factor / window_sum) * (factor / window_sum)) as f32
}

/// Plans a forward complex FFT of the given size.
pub(super) type ComplexPlanner = Box<dyn FnMut(usize) -> Arc<dyn Fft<f32>>>;

/// The complex FFTs for `kernel`. rustfft picks its SIMD from the CPU by itself, so for the
/// portable kernel on x86_64 it is held to what a CPU without AVX runs (its SSE4.1 code, or
/// its scalar code without SSE4.1): forcing the portable kernel then measures and tests the
/// whole portable path, the transforms included.
pub(super) fn complex_planner(kernel: Kernel) -> ComplexPlanner {
    #[cfg(target_arch = "x86_64")]
    if kernel.variant() == Variant::Portable {
        if let Ok(mut sse) = rustfft::FftPlannerSse::<f32>::new() {
            return Box::new(move |size| sse.plan_fft_forward(size));
        }
        let mut scalar = rustfft::FftPlannerScalar::<f32>::new();
        return Box::new(move |size| scalar.plan_fft_forward(size));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = kernel;
    let mut planner = FftPlanner::<f32>::new();
    Box::new(move |size| planner.plan_fft_forward(size))
}

/// One frame size: its window, per-bin power scales, and the pieces of the split real FFT
/// (a complex FFT of a quarter of the size, and the twiddles that join its two halves and
/// turn them into the real spectrum).
pub(super) struct Plan {
    pub size: usize,
    quarter: Arc<dyn Fft<f32>>,
    /// exp(-2 pi i k / (N/2)) for k < N/4.
    join_twiddles: Box<[Complex<f32>]>,
    /// exp(-2 pi i k / N) for k <= N/2.
    real_twiddles: Box<[Complex<f32>]>,
    /// Periodic Hann window.
    pub window: Box<[f32]>,
    /// Power scale per bin ([`bin_scale`]).
    pub scale: Box<[f32]>,
}

impl Plan {
    /// Plans an FFT of `size` points (a power of two, at least 16) with `planner` (see
    /// [`complex_planner`]). Allocates.
    pub fn new(size: usize, planner: &mut ComplexPlanner) -> Self {
        let window: Box<[f32]> = (0..size)
            .map(|i| {
                (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / size as f64).cos()) as f32
            })
            .collect();
        let window_sum: f64 = window.iter().map(|&w| w as f64).sum();
        let scale = (0..=size / 2)
            .map(|k| bin_scale(k, size, window_sum))
            .collect();
        let twiddle = |k: usize, n: usize| {
            let angle = -2.0 * std::f64::consts::PI * k as f64 / n as f64;
            Complex::new(angle.cos() as f32, angle.sin() as f32)
        };
        Plan {
            size,
            quarter: planner(size / 4),
            join_twiddles: (0..size / 4).map(|k| twiddle(k, size / 2)).collect(),
            real_twiddles: (0..=size / 2).map(|k| twiddle(k, size)).collect(),
            window,
            scale,
        }
    }

    /// Scratch the quarter-size FFT needs.
    pub fn scratch_len(&self) -> usize {
        self.quarter.get_inplace_scratch_len()
    }

    /// Steps 1 and 2: the complex FFT of the first (`block` 0) or second packed block, in place.
    #[inline(always)]
    pub fn quarter_fft(
        &self,
        packed: &mut [Complex<f32>],
        block: usize,
        scratch: &mut [Complex<f32>],
    ) {
        let quarter = self.size / 4;
        let data = &mut packed[block * quarter..(block + 1) * quarter];
        self.quarter
            .process_with_scratch(data, &mut scratch[..self.scratch_len()]);
    }
}

/// Step 0: windows the frame of one channel starting at `start` in its circular `history` and
/// packs it into `packed` (`size / 2` values): samples 4m, 4m+1 form the first quarter-size
/// block, 4m+2, 4m+3 the second. A frame in one contiguous run of the ring (all but about
/// one in eight) is windowed straight into `packed`; one that wraps round the ring's end is
/// windowed into `windowed` first (a wrap can fall inside a group of four).
#[inline(always)]
pub(super) fn window_and_pack(
    plan: &Plan,
    history: &[f32],
    start: usize,
    windowed: &mut [f32],
    packed: &mut [Complex<f32>],
) {
    let size = plan.size;
    let first = (history.len() - start).min(size);
    if first == size {
        pack(&history[start..start + size], &plan.window, packed);
        return;
    }
    let windowed = &mut windowed[..size];
    let (head, tail) = windowed.split_at_mut(first);
    let (window_head, window_tail) = plan.window.split_at(first);
    for ((out, &x), &w) in head
        .iter_mut()
        .zip(&history[start..start + first])
        .zip(window_head)
    {
        *out = x * w;
    }
    for ((out, &x), &w) in tail
        .iter_mut()
        .zip(&history[..size - first])
        .zip(window_tail)
    {
        *out = x * w;
    }
    pack(windowed, &[], packed);
}

/// Packs `samples` (times `window`, or as they are when `window` is empty) into the two
/// quarter-size blocks of `packed`: the same products either way, so both paths of
/// [`window_and_pack`] give the same bits.
#[inline(always)]
fn pack(samples: &[f32], window: &[f32], packed: &mut [Complex<f32>]) {
    let quarter = samples.len() / 4;
    let (even, odd) = packed[..2 * quarter].split_at_mut(quarter);
    let pairs = even.iter_mut().zip(odd.iter_mut());
    if window.is_empty() {
        for ((e, o), x) in pairs.zip(samples.chunks_exact(4)) {
            *e = Complex::new(x[0], x[1]);
            *o = Complex::new(x[2], x[3]);
        }
    } else {
        let quads = samples.chunks_exact(4).zip(window.chunks_exact(4));
        for ((e, o), (x, w)) in pairs.zip(quads) {
            *e = Complex::new(x[0] * w[0], x[1] * w[1]);
            *o = Complex::new(x[2] * w[2], x[3] * w[3]);
        }
    }
}

/// Step 3: Z, the N/2-point FFT, into `spectrum[..N/2]` from the two quarter-size ones in
/// `packed` (a radix-2 step). `avx2`: the CPU has AVX2 and FMA ([`super::Kernel`]).
#[inline(always)]
pub(super) fn join(
    plan: &Plan,
    packed: &[Complex<f32>],
    spectrum: &mut [Complex<f32>],
    avx2: bool,
) {
    let quarter = plan.size / 4;
    let (even, odd) = packed[..2 * quarter].split_at(quarter);
    let (z_low, rest) = spectrum.split_at_mut(quarter);
    let z_high = &mut rest[..quarter];
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the caller passes `avx2` only when the CPU has AVX2 and FMA.
        unsafe { avx2::join(z_low, z_high, even, odd, &plan.join_twiddles) };
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    portable::join(z_low, z_high, even, odd, &plan.join_twiddles);
}

/// Steps 4 (`second_half` false) and 5: the real spectrum's bins from Z, in place in
/// `spectrum` (N/2+1 values). X[k] = (Z[k] + Z*[N/2-k]) / 2 - i/2 W^k (Z[k] - Z*[N/2-k]): bins
/// k and j = N/2-k depend on the same two values (written out in reals so the loop compiles
/// to straight vector code). Step 4 does the pairs with k below N/8, step 5 the rest.
#[inline(always)]
pub(super) fn split(plan: &Plan, spectrum: &mut [Complex<f32>], second_half: bool, avx2: bool) {
    let half = plan.size / 2;
    let w = &plan.real_twiddles;
    if !second_half {
        let z0 = spectrum[0];
        spectrum[0] = Complex::new(z0.re + z0.im, 0.0);
        spectrum[half] = Complex::new(z0.re - z0.im, 0.0);
        spectrum[half / 2] = spectrum[half / 2].conj();
    }
    let (first, last) = if second_half {
        (half / 4, half / 2)
    } else {
        (1, half / 4)
    };
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the caller passes `avx2` only when the CPU has AVX2 and FMA.
        unsafe { avx2::split(spectrum, w, half, first, last) };
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    portable::split(spectrum, w, half, first, last);
}

/// Step 6: one channel's share (`weight`) of the weighted mean power per bin; the first
/// channel of a frame sets `power`, the others add to it.
#[inline(always)]
pub(super) fn add_power(
    plan: &Plan,
    spectrum: &[Complex<f32>],
    power: &mut [f32],
    weight: f32,
    first_channel: bool,
) {
    if first_channel {
        for ((p, x), &scale) in power.iter_mut().zip(spectrum.iter()).zip(plan.scale.iter()) {
            *p = weight * scale * x.norm_sqr();
        }
    } else {
        for ((p, x), &scale) in power.iter_mut().zip(spectrum.iter()).zip(plan.scale.iter()) {
            *p += weight * scale * x.norm_sqr();
        }
    }
}
