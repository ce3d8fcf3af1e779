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
//! Frames up to [`ONE_BLOCK_MAX_SIZE`] points are one block: samples 2m, 2m+1 windowed
//! straight into the channel's spectrum buffer as complex values, the N/2-point FFT of them
//! in place there is Z, and the split follows: five steps, no join and no packing buffer (the
//! join was a pass over the whole frame costing half as much as its two FFTs, the data cold
//! in cache in every call that ran it).
//!
//! Where a step must be small because the deadline is ([`Plan::new`]: the 32768-point frame at
//! 88.2 kHz and above, whose N/4-point FFT is the largest step by far, about 20 us on a 2.6 GHz
//! AVX2 core against a 64-frame call's 333 us at 192 kHz), the frame is packed as four blocks
//! of N/8 points instead (samples 8m+2b, 8m+2b+1 in block b), each transformed in a step of
//! its own, and one more radix-2 level ([`join_blocks`]) joins them pairwise into the two
//! N/4-point FFTs; the windowing and packing and the join into Z are each done in two halves:
//! thirteen steps, the largest (an N/8-point FFT) about half the old largest.
//!
//! At 176.4 kHz and above the 32768-point frame is packed as eight blocks of N/16 points
//! (block b at the place of b's bits reversed, so that every level joins neighbours), with two
//! levels of joins, the first into the second buffer and the second back; every join step does
//! at most one block's length of butterflies, the packing and the join into Z are in four
//! parts, the split in four, the power in two and the stereo image's sums in a step of their
//! own: 31 steps, none more than about half of the four-block layout's largest (measured at
//! 192 kHz on a 2.6 GHz AVX-512 core, medians: an N/16-point FFT 4.3 us against 9.7 us for
//! the N/8-point one; packing a quarter of the frame 3.7 us, with AVX2 four groups at a time,
//! against 8.7 us for a half; the stereo sums 4.0 us against 10.9 us with the power).
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
    /// Part `part` of the join of the pair `pair` of transformed blocks at level `level`
    /// into one FFT twice their size ([`join_blocks`]; with four or eight blocks).
    JoinBlocks {
        level: usize,
        pair: usize,
        part: usize,
    },
    /// One part of the join of the two N/4-point FFTs into Z ([`join`]).
    Join(usize),
    /// One part of the split into real bins ([`split`]).
    Split(usize),
    /// The bins' weighted power, or one part of them ([`add_power`]).
    Power(usize),
    /// With eight blocks: the stereo image's sums of a stereo frame, after its last
    /// channel's power (with fewer blocks the last power step adds them).
    Stereo,
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

/// The largest frame packed as one block: its N/2-point FFT (4096 points, about 10 us on a
/// 2.6 GHz AVX2 core) is as large as a 16384-point frame's N/4-point step.
pub(super) const ONE_BLOCK_MAX_SIZE: usize = 8192;

/// Blocks a frame of `size` points at `sample_rate_hz` is packed into (see [`Plan::new`]).
fn blocks_for(size: usize, sample_rate_hz: f64) -> usize {
    if size <= ONE_BLOCK_MAX_SIZE {
        1
    } else if size >= 32768 && sample_rate_hz >= 176_400.0 {
        8
    } else if size >= 32768 && sample_rate_hz >= 88_200.0 {
        4
    } else {
        2
    }
}

/// `b`'s bits reversed, in a number of `bits` bits.
fn reverse_bits(b: usize, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        b.reverse_bits() >> (usize::BITS - bits)
    }
}

/// One frame size: its window, per-bin power scales, and the pieces of the split real FFT
/// (a complex FFT of half the size, or of a quarter or an eighth and the twiddles that join
/// the blocks, and the twiddles that turn Z into the real spectrum).
pub(super) struct Plan {
    pub size: usize,
    /// Blocks the frame is packed into: 1 (N/2 points), 2 (N/4 points each), 4 (N/8) or 8
    /// (N/16).
    blocks: usize,
    /// The complex FFT of one block.
    block: Arc<dyn Fft<f32>>,
    /// Per level of the joins of blocks before the join into Z (none with one or two blocks,
    /// one with four, two with eight): joining pairs of n-point FFTs, exp(-2 pi i k / 2n)
    /// for k < n.
    level_twiddles: Box<[Box<[Complex<f32>]>]>,
    /// The steps of one channel's transform, in order.
    steps: Box<[Step]>,
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
    /// One block up to [`ONE_BLOCK_MAX_SIZE`] points: no join pass over the frame, and its
    /// largest step no larger than a 16384-point frame's. Eight blocks for 32768 points at
    /// 176.4 kHz and above, four at 88.2 kHz and above (see the module docs). Not below:
    /// a display frame of 32768 points at 44.1 kHz comes every 1470 samples, 22 calls of 64
    /// frames, and the 27 steps of a stereo frame in four blocks would not fit (a frame whose
    /// next is due before its steps have run is finished in one call); at 88.2 kHz the same
    /// frame has 45 calls. There the deadline is 1.45 ms or more per 64 frames, and the 20 us
    /// step 1.4 % of it.
    pub fn new(size: usize, sample_rate_hz: f64, planner: &mut ComplexPlanner) -> Self {
        Self::with_blocks(size, blocks_for(size, sample_rate_hz), planner)
    }

    /// [`Plan::new`] with the frame packed in `blocks` blocks (1, 2, 4 or 8; tests compare
    /// them).
    pub fn with_blocks(size: usize, blocks: usize, planner: &mut ComplexPlanner) -> Self {
        assert!(matches!(blocks, 1 | 2 | 4 | 8), "{blocks} blocks");
        assert!(
            size >= 16 * blocks && size.is_power_of_two(),
            "{size} points"
        );
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
        let block_len = size / (2 * blocks);
        let levels = (blocks / 2).max(1).trailing_zeros();
        let level_twiddles = (0..levels)
            .map(|level| {
                let n = block_len << level;
                (0..n).map(|k| twiddle(k, 2 * n)).collect()
            })
            .collect();
        let mut plan = Plan {
            size,
            blocks,
            block: planner(block_len),
            level_twiddles,
            steps: Box::default(),
            join_twiddles: (0..size / 4).map(|k| twiddle(k, size / 2)).collect(),
            real_twiddles: (0..=size / 2).map(|k| twiddle(k, size)).collect(),
            window,
            scale,
        };
        plan.steps = plan.step_list();
        plan
    }

    /// The steps of one channel's transform, in order. Every join step does at most one
    /// block's length of butterflies: a level's pair of n-point FFTs is joined in n / block
    /// length parts.
    fn step_list(&self) -> Box<[Step]> {
        let mut steps: Vec<Step> = (0..self.pack_parts()).map(Step::Pack).collect();
        steps.extend((0..self.blocks).map(Step::Fft));
        for level in 0..self.levels() {
            let pairs = self.blocks >> (level + 1);
            for pair in 0..pairs {
                let parts = 0..1 << level;
                steps.extend(parts.map(|part| Step::JoinBlocks { level, pair, part }));
            }
        }
        steps.extend((0..self.join_parts()).map(Step::Join));
        steps.extend((0..self.split_parts()).map(Step::Split));
        steps.extend((0..self.power_parts()).map(Step::Power));
        if self.blocks == 8 {
            steps.push(Step::Stereo);
        }
        steps.into_boxed_slice()
    }

    /// Scratch the block FFT needs.
    pub fn scratch_len(&self) -> usize {
        self.block.get_inplace_scratch_len()
    }

    /// Whether the frame is packed in four blocks or more (then a channel's steps need the
    /// second buffer the levels of joins alternate with).
    pub fn joins_blocks(&self) -> bool {
        self.blocks >= 4
    }

    /// Blocks the frame is packed into.
    #[cfg(test)]
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// Levels of joins of blocks before the join into Z.
    pub fn levels(&self) -> usize {
        self.level_twiddles.len()
    }

    /// Whether the frame is one block: windowed and transformed where its spectrum goes, with
    /// no join (see the module docs).
    pub fn one_block(&self) -> bool {
        self.blocks == 1
    }

    /// Steps that window and pack a channel's frame: half the blocks, at least 1.
    pub fn pack_parts(&self) -> usize {
        (self.blocks / 2).max(1)
    }

    /// Steps that join the two N/4-point FFTs into Z: half the blocks (none with one).
    pub fn join_parts(&self) -> usize {
        self.blocks / 2
    }

    /// Steps of the split into real bins: half the blocks, at least 2.
    pub fn split_parts(&self) -> usize {
        (self.blocks / 2).max(2)
    }

    /// Steps of the power: 2 with eight blocks, else 1.
    pub fn power_parts(&self) -> usize {
        if self.blocks == 8 { 2 } else { 1 }
    }

    /// Steps that finish a frame (add its power to the long-term sums, or to the display
    /// peak), after every channel's transform: one per 8192 points, at least 1. Each is one
    /// pass over at most 4097 bins.
    pub fn finish_parts(&self) -> usize {
        (self.size / 8192).max(1)
    }

    /// The bins of finishing step `part` (below [`Self::finish_parts`]).
    pub fn finish_range(&self, part: usize) -> std::ops::Range<usize> {
        let bins = self.size / 2 + 1;
        let share = bins.div_ceil(self.finish_parts());
        (part * share).min(bins)..((part + 1) * share).min(bins)
    }

    /// Transform steps per channel: 5 with one block, 7 with two, 13 with four, 31 with eight.
    pub fn steps(&self) -> usize {
        self.steps.len()
    }

    /// Whether the stereo image's sums follow `step` (run after it on a frame's last channel):
    /// the stereo step with eight blocks, else the last power step.
    pub fn stereo_after(&self, step: Step) -> bool {
        match step {
            Step::Stereo => true,
            Step::Power(part) => part + 1 == self.power_parts() && self.blocks < 8,
            _ => false,
        }
    }

    /// Step `index` (below [`Self::steps`]) of a channel's transform.
    pub fn step(&self, index: usize) -> Step {
        self.steps[index]
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

/// The packing steps: windows `part` of [`Plan::pack_parts`] of one channel's frame starting
/// at `start` in its circular `history` and packs it into `packed` (`size / 2` values): in one
/// block samples 2m, 2m+1 are value m; in two, samples 4m, 4m+1 form the first quarter-size
/// block, 4m+2, 4m+3 the second; in four or eight (B), samples 2Bm+2b, 2Bm+2b+1 form block b,
/// stored at the place of b's bits reversed (0, 2, 1, 3 for four: the pairs [`join_blocks`]
/// joins side by side). A
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
    let len = size / plan.pack_parts();
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

/// `values` as arrays of `N` (a rest shorter than `N` left out): `<[f32]>::as_chunks`, which
/// is newer than the crate's minimum Rust. The packing loops need the size at compile time:
/// `chunks_exact(2)` zipped was built out of line and its product ran a pair at a time.
#[inline(always)]
fn arrays<const N: usize>(values: &[f32]) -> &[[f32; N]] {
    // SAFETY: `[f32; N]` is `N` consecutive f32 with f32's alignment, and the first
    // `len / N * N` values are in bounds.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), values.len() / N) }
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
    if plan.blocks == 1 {
        // Samples 2m, 2m+1 are value m: a straight product (the compiler vectorises it).
        let out = &mut packed[groups];
        let samples = arrays::<2>(samples);
        if window.is_empty() {
            for (z, x) in out.iter_mut().zip(samples) {
                *z = Complex::new(x[0], x[1]);
            }
        } else {
            let window = arrays::<2>(window);
            for ((z, x), w) in out.iter_mut().zip(samples).zip(window) {
                *z = Complex::new(x[0] * w[0], x[1] * w[1]);
            }
        }
        return;
    }
    if plan.blocks >= 4 {
        // Block b (samples 2Bm+2b, 2Bm+2b+1) at the position of b's bits reversed, so every
        // level of joins takes neighbouring blocks.
        let blocks = plan.blocks;
        let bits = blocks.trailing_zeros();
        let mut at = [0usize; 8];
        for (b, at) in at[..blocks].iter_mut().enumerate() {
            *at = reverse_bits(b, bits) * len;
        }
        let at = &at[..blocks];
        // Four groups at a time with AVX2, the rest here.
        #[cfg(target_arch = "x86_64")]
        let done = if avx2 {
            // SAFETY: the caller passes `avx2` only when the CPU has AVX2.
            unsafe { avx2::pack_blocks(samples, window, packed, at, first_group) }
        } else {
            0
        };
        #[cfg(not(target_arch = "x86_64"))]
        let done = 0;
        let samples = &samples[2 * blocks * done..];
        let window = &window[window.len().min(2 * blocks * done)..];
        let first_group = first_group + done;
        for (i, group) in samples.chunks_exact(2 * blocks).enumerate() {
            let g = first_group + i;
            let w = (!window.is_empty()).then(|| &window[2 * blocks * i..2 * blocks * (i + 1)]);
            for (b, &start) in at.iter().enumerate() {
                let (mut x0, mut x1) = (group[2 * b], group[2 * b + 1]);
                // Times the window, or as they are (the same products either way).
                if let Some(w) = w {
                    (x0, x1) = (x0 * w[2 * b], x1 * w[2 * b + 1]);
                }
                packed[start + g] = Complex::new(x0, x1);
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
        for ((e, o), x) in pairs.zip(arrays::<4>(samples)) {
            *e = Complex::new(x[0], x[1]);
            *o = Complex::new(x[2], x[3]);
        }
    } else {
        let quads = arrays::<4>(samples).iter().zip(arrays::<4>(window));
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

/// With four or eight blocks, part `part` of a join at `level` (of [`Plan::levels`]): the
/// pair `pair` of neighbouring n-point FFTs in `input` (the blocks at level 0) joined into one
/// 2n-point FFT at the same place in `output` (N/2 values each). Levels alternate between the
/// packing buffer and the second one: with four blocks the level's two N/4-point FFTs (of
/// samples 4m, 4m+1 and of 4m+2, 4m+3) land in the second buffer, with eight its first level
/// lands there and its second back in the packing buffer.
#[inline(always)]
pub(super) fn join_blocks(
    plan: &Plan,
    input: &[Complex<f32>],
    output: &mut [Complex<f32>],
    (level, pair, part): (usize, usize, usize),
    avx2: bool,
) {
    let w = &plan.level_twiddles[level];
    let range = pair * 2 * w.len()..(pair + 1) * 2 * w.len();
    radix2(
        &input[range.clone()],
        &mut output[range],
        w,
        (part, 1 << level),
        avx2,
    );
}

/// The join steps, part `part` of [`Plan::join_parts`]: Z, the N/2-point FFT, into
/// `spectrum[..N/2]` from the two quarter-size ones side by side in `quarters` (the packing
/// buffer with two or eight blocks, the second buffer with four). `avx2`: the CPU has AVX2 and FMA ([`super::Kernel`]).
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
        (part, plan.join_parts()),
        avx2,
    );
}

/// The split steps, part `part` of [`Plan::split_parts`]: the real spectrum's bins from Z, in
/// place in `spectrum` (N/2+1 values). X[k] = (Z[k] + Z*[N/2-k]) / 2 - i/2 W^k (Z[k] -
/// Z*[N/2-k]): bins k and j = N/2-k depend on the same two values (written out in reals so the
/// loop compiles to straight vector code). Part p does the pairs with k in its share of
/// 1..N/4 (part 0 also the bins 0, N/4 and N/2).
#[inline(always)]
pub(super) fn split(plan: &Plan, spectrum: &mut [Complex<f32>], part: usize, avx2: bool) {
    let half = plan.size / 2;
    let w = &plan.real_twiddles;
    if part == 0 {
        let z0 = spectrum[0];
        spectrum[0] = Complex::new(z0.re + z0.im, 0.0);
        spectrum[half] = Complex::new(z0.re - z0.im, 0.0);
        spectrum[half / 2] = spectrum[half / 2].conj();
    }
    let share = half / 2 / plan.split_parts();
    let (first, last) = ((part * share).max(1), (part + 1) * share);
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

/// The power steps: one channel's share (`weight`) of the weighted mean power per bin, for
/// part `part` of [`Plan::power_parts`] of the bins; the first channel of a frame sets
/// `power`, the others add to it.
#[inline(always)]
pub(super) fn add_power(
    plan: &Plan,
    spectrum: &[Complex<f32>],
    power: &mut [f32],
    weight: f32,
    first_channel: bool,
    part: usize,
) {
    let bins = plan.size / 2 + 1;
    let share = bins.div_ceil(plan.power_parts());
    let range = part * share..((part + 1) * share).min(bins);
    let (spectrum, power) = (&spectrum[range.clone()], &mut power[range.clone()]);
    let scale = &plan.scale[range];
    if first_channel {
        for ((p, x), &scale) in power.iter_mut().zip(spectrum.iter()).zip(scale.iter()) {
            *p = weight * scale * x.norm_sqr();
        }
    } else {
        for ((p, x), &scale) in power.iter_mut().zip(spectrum.iter()).zip(scale.iter()) {
            *p += weight * scale * x.norm_sqr();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 packings (two blocks; four and eight blocks, four groups at a time) give the
    /// scalar loop's bits, windowed and not, for every part of a frame, with the wrap-around
    /// of the sample ring at every position in a part; and the two-block one alone, for every
    /// count of pairs (its last odd pair is packed apart).
    #[test]
    fn avx2_packing_matches_the_scalar_loop() {
        if Kernel::avx2_fma().is_none() {
            return;
        }
        // Parts of 2 to 16 groups: fewer than four (the four-group loop packs none), four,
        // and more.
        for (size, blocks) in [(64, 2), (64, 4), (256, 4), (128, 8), (512, 8)] {
            let plan = Plan::with_blocks(size, blocks, &mut complex_planner(Kernel::PORTABLE));
            assert_eq!(plan.blocks(), blocks);
            packing_matches_the_scalar_loop(&plan);
        }
        let plan = Plan::with_blocks(64, 2, &mut complex_planner(Kernel::PORTABLE));
        two_block_packing_alone_matches(&plan, &history(plan.size * 3 / 2));
    }

    /// `len` samples of uniform noise in -0.5..0.5, the same every time.
    fn history(len: usize) -> Vec<f32> {
        let mut seed = 11u64;
        (0..len)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    }

    fn packing_matches_the_scalar_loop(plan: &Plan) {
        let size = plan.size;
        let history = history(size * 3 / 2);
        for start in 0..history.len() {
            for part in 0..plan.pack_parts() {
                let mut packed = [
                    vec![Complex::default(); size / 2],
                    vec![Complex::default(); size / 2],
                ];
                let mut windowed = vec![0.0f32; size];
                for (avx2, out) in [false, true].into_iter().zip(&mut packed) {
                    window_and_pack(plan, &history, start, part, &mut windowed, out, avx2);
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
    }

    fn two_block_packing_alone_matches(plan: &Plan, history: &[f32]) {
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
