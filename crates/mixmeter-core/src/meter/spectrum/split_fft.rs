//! The split real FFT: one frame size's window, power scales and twiddles ([`Plan`]), and the
//! steps that turn a channel's windowed frame into its power spectrum, each of similar cost so
//! the analyzer can run one per `process` call (see the module docs of [`super`]).
//!
//! The real FFT of N samples: (0) window the frame and pack samples 4m, 4m+1 and 4m+2, 4m+3
//! as two blocks of complex values ([`window_and_pack`]); (1, 2) a complex FFT of N/4 points on
//! each block ([`Plan::block_fft`]); (3) one radix-2 step joining them into the N/2-point
//! FFT Z ([`join`]); (4, 5) the standard split that turns Z into the N/2+1 bins of the real
//! spectrum, in two halves ([`split`]); (6) the bins' weighted power ([`add_power`]).
//!
//! Where a step must be small because the deadline is ([`Plan::new`]: the 32768-point frame at
//! 88.2 kHz and above, whose N/4-point FFT is the largest step by far, about 20 us on a 2.6 GHz
//! AVX2 core against a 64-frame call's 333 us at 192 kHz), the frame is packed as four blocks
//! of N/8 points instead (samples 8m+2b, 8m+2b+1 in block b), each transformed in a step of
//! its own, and one more radix-2 level ([`join_blocks`]) joins them pairwise into the two
//! N/4-point FFTs; the windowing and packing and the join into Z are each done in two halves:
//! thirteen steps, the largest (an N/8-point FFT) about half the old largest.
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

/// One step of a channel's transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Window and pack one part of the frame ([`window_and_pack`]).
    Pack(usize),
    /// The complex FFT of one packed block ([`Plan::block_fft`]).
    Fft(usize),
    /// Two of the four blocks joined into one of the two N/4-point FFTs ([`join_blocks`]).
    JoinBlocks(usize),
    /// One part of the join of the two N/4-point FFTs into Z ([`join`]).
    Join(usize),
    /// Half of the split into real bins (`true`: the second half) ([`split`]).
    Split(bool),
    /// The bins' weighted power ([`add_power`]).
    Power,
}

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
    /// Blocks the frame is packed into: 2 (N/4 points each) or 4 (N/8 points each).
    blocks: usize,
    /// The complex FFT of one block.
    block: Arc<dyn Fft<f32>>,
    /// exp(-2 pi i k / (N/4)) for k < N/8, with four blocks (else empty).
    block_join_twiddles: Box<[Complex<f32>]>,
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
    /// Plans an FFT of `size` points (a power of two, at least 16) at `sample_rate_hz` with
    /// `planner` (see [`complex_planner`]). Allocates.
    ///
    /// Four blocks for 32768 points at 88.2 kHz and above (see the module docs). Not below:
    /// a display frame of 32768 points at 44.1 kHz comes every 1470 samples, 23 calls of 64
    /// frames, and the 21 steps of a stereo frame in four blocks would not fit beside the
    /// long-term frame's (a frame whose next is due before its steps have run is finished in
    /// one call); at 88.2 kHz the same frame has 46 calls. There the deadline is 1.45 ms or
    /// more per 64 frames, and the 20 us step 1.4 % of it.
    pub fn new(size: usize, sample_rate_hz: f64, planner: &mut ComplexPlanner) -> Self {
        let blocks = if size >= 32768 && sample_rate_hz >= 88_200.0 {
            4
        } else {
            2
        };
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
            blocks,
            block: planner(size / (2 * blocks)),
            block_join_twiddles: if blocks == 4 {
                (0..size / 8).map(|k| twiddle(k, size / 4)).collect()
            } else {
                Box::default()
            },
            join_twiddles: (0..size / 4).map(|k| twiddle(k, size / 2)).collect(),
            real_twiddles: (0..=size / 2).map(|k| twiddle(k, size)).collect(),
            window,
            scale,
        }
    }

    /// Scratch the block FFT needs.
    pub fn scratch_len(&self) -> usize {
        self.block.get_inplace_scratch_len()
    }

    /// Whether the frame is packed in four blocks (then a channel's steps need the two
    /// N/4-point FFTs' buffer).
    pub fn four_blocks(&self) -> bool {
        self.blocks == 4
    }

    /// Steps that window and pack a channel's frame, and steps that join the two N/4-point
    /// FFTs: 2 each with four blocks, else 1.
    pub fn parts(&self) -> usize {
        self.blocks / 2
    }

    /// Transform steps per channel: 7 with two blocks, 13 with four.
    pub fn steps(&self) -> usize {
        // Packing, an FFT per block, the joins of four blocks into two, the join into Z, the
        // two halves of the split, the power.
        let parts = self.parts();
        let join_blocks = if self.blocks == 4 { 2 } else { 0 };
        parts + self.blocks + join_blocks + parts + 2 + 1
    }

    /// Step `index` (below [`Self::steps`]) of a channel's transform.
    pub fn step(&self, index: usize) -> Step {
        let blocks = self.blocks;
        let parts = self.parts();
        let join_blocks = if blocks == 4 { 2 } else { 0 };
        let join = parts + blocks + join_blocks;
        match index {
            i if i < parts => Step::Pack(i),
            i if i < parts + blocks => Step::Fft(i - parts),
            i if i < join => Step::JoinBlocks(i - parts - blocks),
            i if i < join + parts => Step::Join(i - join),
            i if i == self.steps() - 3 => Step::Split(false),
            i if i == self.steps() - 2 => Step::Split(true),
            _ => Step::Power,
        }
    }

    /// The complex FFT of packed block `block`, in place.
    #[inline(always)]
    pub fn block_fft(
        &self,
        packed: &mut [Complex<f32>],
        block: usize,
        scratch: &mut [Complex<f32>],
    ) {
        let len = self.size / (2 * self.blocks);
        let data = &mut packed[block * len..(block + 1) * len];
        self.block
            .process_with_scratch(data, &mut scratch[..self.scratch_len()]);
    }
}

/// Step 0 (with four blocks, steps 0 and 1, one half of the frame each): windows `part` of
/// [`Plan::parts`] of one channel's frame starting at `start` in its circular `history`
/// and packs it into `packed` (`size / 2` values): samples 4m, 4m+1 form the first
/// quarter-size block, 4m+2, 4m+3 the second; or, in four blocks, samples 8m+2b, 8m+2b+1 form
/// block b, stored in the order 0, 2, 1, 3 (the pairs [`join_blocks`] joins side by side). A
/// part in one contiguous run of the ring is windowed straight into `packed`; one that wraps
/// round the ring's end is windowed into `windowed` first (a wrap can fall inside a group).
#[inline(always)]
pub(super) fn window_and_pack(
    plan: &Plan,
    history: &[f32],
    start: usize,
    part: usize,
    windowed: &mut [f32],
    packed: &mut [Complex<f32>],
    avx2: bool,
) {
    let size = plan.size;
    let len = size / plan.parts();
    let (lo, hi) = (part * len, (part + 1) * len);
    let first_group = lo / (2 * plan.blocks);
    let from = (start + lo) % history.len();
    let first = (history.len() - from).min(len);
    let window = &plan.window[lo..hi];
    if first == len {
        pack(
            plan,
            &history[from..from + len],
            window,
            first_group,
            packed,
            avx2,
        );
        return;
    }
    let windowed = &mut windowed[lo..hi];
    let (head, tail) = windowed.split_at_mut(first);
    let (window_head, window_tail) = window.split_at(first);
    for ((out, &x), &w) in head
        .iter_mut()
        .zip(&history[from..from + first])
        .zip(window_head)
    {
        *out = x * w;
    }
    for ((out, &x), &w) in tail
        .iter_mut()
        .zip(&history[..len - first])
        .zip(window_tail)
    {
        *out = x * w;
    }
    pack(plan, windowed, &[], first_group, packed, avx2);
}

/// Packs `samples` (times `window`, or as they are when `window` is empty), the frame's
/// groups from `first_group` on, into the blocks of `packed`: the same products either way, so
/// both paths of [`window_and_pack`] give the same bits.
#[inline(always)]
fn pack(
    plan: &Plan,
    samples: &[f32],
    window: &[f32],
    first_group: usize,
    packed: &mut [Complex<f32>],
    avx2: bool,
) {
    let len = plan.size / (2 * plan.blocks);
    let groups = first_group..first_group + samples.len() / (2 * plan.blocks);
    if plan.blocks == 4 {
        let (b0, rest) = packed[..4 * len].split_at_mut(len);
        let (b2, rest) = rest.split_at_mut(len);
        let (b1, b3) = rest.split_at_mut(len);
        let blocks = b0[groups.clone()]
            .iter_mut()
            .zip(b1[groups.clone()].iter_mut())
            .zip(b2[groups.clone()].iter_mut().zip(b3[groups].iter_mut()));
        if window.is_empty() {
            for (((z0, z1), (z2, z3)), x) in blocks.zip(samples.chunks_exact(8)) {
                *z0 = Complex::new(x[0], x[1]);
                *z1 = Complex::new(x[2], x[3]);
                *z2 = Complex::new(x[4], x[5]);
                *z3 = Complex::new(x[6], x[7]);
            }
        } else {
            let octets = samples.chunks_exact(8).zip(window.chunks_exact(8));
            for (((z0, z1), (z2, z3)), (x, w)) in blocks.zip(octets) {
                *z0 = Complex::new(x[0] * w[0], x[1] * w[1]);
                *z1 = Complex::new(x[2] * w[2], x[3] * w[3]);
                *z2 = Complex::new(x[4] * w[4], x[5] * w[5]);
                *z3 = Complex::new(x[6] * w[6], x[7] * w[7]);
            }
        }
        return;
    }
    let (even, odd) = packed[..2 * len].split_at_mut(len);
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the caller passes `avx2` only when the CPU has AVX2.
        unsafe {
            avx2::pack_two_blocks(samples, window, &mut even[groups.clone()], &mut odd[groups])
        };
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    let pairs = even[groups.clone()].iter_mut().zip(odd[groups].iter_mut());
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

/// One radix-2 step, or part `part` of `parts` of it: the FFT of 2M points into `out` (2M
/// values) from the M-point FFTs of its even and odd samples, side by side in `input`, with
/// twiddles `w` (M values). Outputs k and k+M depend on inputs k and k+M only, so a part is
/// the pairs with k in its share of 0..M.
#[inline(always)]
fn radix2(
    input: &[Complex<f32>],
    out: &mut [Complex<f32>],
    w: &[Complex<f32>],
    (part, parts): (usize, usize),
    avx2: bool,
) {
    let m = w.len();
    let share = m / parts;
    let k = part * share..(part + 1) * share;
    let (even, odd) = input[..2 * m].split_at(m);
    let (low, high) = out[..2 * m].split_at_mut(m);
    let (low, high) = (&mut low[k.clone()], &mut high[k.clone()]);
    let (even, odd, w) = (&even[k.clone()], &odd[k.clone()], &w[k]);
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the caller passes `avx2` only when the CPU has AVX2 and FMA.
        unsafe { avx2::join(low, high, even, odd, w) };
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    portable::join(low, high, even, odd, w);
}

/// With four blocks: one of the two N/4-point FFTs (`pair` 0: of samples 4m, 4m+1; 1: of
/// 4m+2, 4m+3) into its half of `quarters` (N/2 values), joined from a pair of transformed
/// blocks in `packed` (blocks 0 and 2, or 1 and 3).
#[inline(always)]
pub(super) fn join_blocks(
    plan: &Plan,
    packed: &[Complex<f32>],
    quarters: &mut [Complex<f32>],
    pair: usize,
    avx2: bool,
) {
    let quarter = plan.size / 4;
    let range = pair * quarter..(pair + 1) * quarter;
    radix2(
        &packed[range.clone()],
        &mut quarters[range],
        &plan.block_join_twiddles,
        (0, 1),
        avx2,
    );
}

/// Step 3 (with four blocks, steps 8 and 9, half of the pairs each): Z, the N/2-point FFT,
/// into `spectrum[..N/2]` from the two quarter-size ones side by side in `quarters` (`packed`
/// with two blocks). `avx2`: the CPU has AVX2 and FMA ([`super::Kernel`]).
#[inline(always)]
pub(super) fn join(
    plan: &Plan,
    quarters: &[Complex<f32>],
    spectrum: &mut [Complex<f32>],
    part: usize,
    avx2: bool,
) {
    radix2(
        quarters,
        spectrum,
        &plan.join_twiddles,
        (part, plan.parts()),
        avx2,
    );
}

/// Steps 4 (`second_half` false) and 5 (with four blocks, 10 and 11): the real spectrum's bins from Z, in place in
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

/// Step 6 (with four blocks, 12): one channel's share (`weight`) of the weighted mean power per bin; the first
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 two-block packing gives the scalar loop's bits, windowed and not, for every
    /// part of a frame, with the wrap-around of the sample ring at every position in a part;
    /// and alone, for every count of pairs (its last odd pair is packed apart).
    #[test]
    fn avx2_packing_matches_the_scalar_loop() {
        if Kernel::avx2_fma().is_none() {
            return;
        }
        let size = 64;
        let plan = Plan::new(size, 48_000.0, &mut complex_planner(Kernel::PORTABLE));
        assert!(!plan.four_blocks());
        let mut seed = 11u64;
        let history: Vec<f32> = (0..size * 3 / 2)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        for start in 0..history.len() {
            for part in 0..plan.parts() {
                let mut packed = [
                    vec![Complex::default(); size / 2],
                    vec![Complex::default(); size / 2],
                ];
                let mut windowed = vec![0.0f32; size];
                for (avx2, out) in [false, true].into_iter().zip(&mut packed) {
                    window_and_pack(&plan, &history, start, part, &mut windowed, out, avx2);
                }
                let bits = |p: &[Complex<f32>]| -> Vec<(u32, u32)> {
                    p.iter().map(|z| (z.re.to_bits(), z.im.to_bits())).collect()
                };
                assert_eq!(
                    bits(&packed[0]),
                    bits(&packed[1]),
                    "start {start}, part {part}"
                );
                assert!(packed[1].iter().any(|z| z.re != 0.0));
            }
        }
        for n in 0..9 {
            let (x, w) = (&history[..4 * n], &plan.window[..4 * n]);
            for window in [w, &[][..]] {
                let (mut even, mut odd) =
                    (vec![Complex::default(); n], vec![Complex::default(); n]);
                // SAFETY: checked above that the CPU has AVX2.
                unsafe { avx2::pack_two_blocks(x, window, &mut even, &mut odd) };
                for m in 0..n {
                    let f = |i: usize| {
                        if window.is_empty() {
                            x[i]
                        } else {
                            x[i] * window[i]
                        }
                    };
                    let (e, o) = (f(4 * m).to_bits(), f(4 * m + 1).to_bits());
                    assert_eq!(
                        (even[m].re.to_bits(), even[m].im.to_bits()),
                        (e, o),
                        "{n} {m}"
                    );
                    let (e, o) = (f(4 * m + 2).to_bits(), f(4 * m + 3).to_bits());
                    assert_eq!(
                        (odd[m].re.to_bits(), odd[m].im.to_bits()),
                        (e, o),
                        "{n} {m}"
                    );
                }
            }
        }
    }
}
