//! Stage 1, the screen (see the module docs of [`super`]): every sample interval's estimated
//! peak from a short polyphase interpolator, with the chunk's largest estimate and curvature,
//! in portable code and in vector intrinsics (AVX2 + FMA, eight lanes; AVX-512F, sixteen).

use super::*;

/// Outputs computed together in registers by the screening kernels (two AVX vectors per phase).
pub(super) const LANES: usize = 8;

/// Half the screening taps: the kernels work on the sums and differences of mirrored taps.
pub(super) const HALF_TAPS: usize = SCREEN_TAPS / 2;

/// The screening phases in the form the kernels use. Phase `F - p` is phase `p` mirrored
/// (`h[F-p][k] = h[p][TAPS-1-k]`: the sinc and the window are even about the interval's
/// centre), so with `s[k] = x[k] + x[TAPS-1-k]` and `d[k] = x[k] - x[TAPS-1-k]` (k < TAPS/2),
/// `A = sum a[k] s[k]`, `B = sum b[k] d[k]`, `a = (h[p][k] + h[p][TAPS-1-k]) / 2` and
/// `b = (h[p][k] - h[p][TAPS-1-k]) / 2`, the two phases are `A + B` and `A - B`, and the
/// larger of their magnitudes is `|A| + |B|`: half the multiplies for both. The half-sample
/// phase (even factor) is symmetric, `sum h[k] s[k]`.
#[derive(Clone, Debug)]
pub(super) struct ScreenPhases {
    /// `[a, b]` of each mirrored pair of phases.
    pub(super) pairs: Vec<[[f32; HALF_TAPS]; 2]>,
    /// The half-sample phase's first half, when the factor is even.
    pub(super) half: Option<[f32; HALF_TAPS]>,
}

impl ScreenPhases {
    pub(super) fn new(factor: usize) -> Self {
        let taps = |p: usize| -> [f64; SCREEN_TAPS] {
            phase_coefficients::<SCREEN_TAPS>(p, factor, SCREEN_BETA).map(f64::from)
        };
        let pairs = (1..factor.div_ceil(2))
            .map(|p| {
                let h = taps(p);
                let mut ab = [[0.0f32; HALF_TAPS]; 2];
                for k in 0..HALF_TAPS {
                    let (near, far) = (h[k], h[SCREEN_TAPS - 1 - k]);
                    ab[0][k] = ((near + far) / 2.0) as f32;
                    ab[1][k] = ((near - far) / 2.0) as f32;
                }
                ab
            })
            .collect();
        let half = (factor % 2 == 0).then(|| {
            let h = taps(factor / 2);
            std::array::from_fn(|k| h[k] as f32)
        });
        Self { pairs, half }
    }
}

/// Raises `estimate[i]` to the largest |output| of the `P` mirrored pairs in `pairs` (and of
/// the half-sample phase when `HALF`) at output `i`; `window` holds `n + SCREEN_TAPS - 1`
/// inputs. Each block of [`LANES`] outputs forms every `s[k]` and `d[k]` once and accumulates
/// them into all phases in registers.
#[inline(always)]
pub(super) fn screen_pass<const P: usize, const HALF: bool, const FMA: bool>(
    window: &[f32],
    estimate: &mut [f32],
    pairs: &[[[f32; HALF_TAPS]; 2]; P],
    half: &[f32; HALF_TAPS],
) {
    let n = estimate.len();
    let mut i = 0;
    while i + LANES <= n {
        let mut even = [[0.0f32; LANES]; P];
        let mut odd = [[0.0f32; LANES]; P];
        let mut middle = [0.0f32; LANES];
        for k in 0..HALF_TAPS {
            let near: &[f32; LANES] = window[i + k..i + k + LANES].try_into().unwrap();
            let m = SCREEN_TAPS - 1 - k;
            let far: &[f32; LANES] = window[i + m..i + m + LANES].try_into().unwrap();
            let mut sum = [0.0f32; LANES];
            let mut difference = [0.0f32; LANES];
            for j in 0..LANES {
                sum[j] = near[j] + far[j];
                difference[j] = near[j] - far[j];
            }
            for p in 0..P {
                let (a, b) = (pairs[p][0][k], pairs[p][1][k]);
                for j in 0..LANES {
                    even[p][j] = madd::<FMA>(a, sum[j], even[p][j]);
                    odd[p][j] = madd::<FMA>(b, difference[j], odd[p][j]);
                }
            }
            if HALF {
                for j in 0..LANES {
                    middle[j] = madd::<FMA>(half[k], sum[j], middle[j]);
                }
            }
        }
        let out: &mut [f32; LANES] = (&mut estimate[i..i + LANES]).try_into().unwrap();
        for p in 0..P {
            for j in 0..LANES {
                out[j] = max_abs(even[p][j].abs() + odd[p][j].abs(), out[j]);
            }
        }
        if HALF {
            for j in 0..LANES {
                out[j] = max_abs(middle[j], out[j]);
            }
        }
        i += LANES;
    }
    while i < n {
        let mut even = [0.0f32; P];
        let mut odd = [0.0f32; P];
        let mut middle = 0.0f32;
        for k in 0..HALF_TAPS {
            let (near, far) = (window[i + k], window[i + SCREEN_TAPS - 1 - k]);
            let (sum, difference) = (near + far, near - far);
            for p in 0..P {
                even[p] = madd::<FMA>(pairs[p][0][k], sum, even[p]);
                odd[p] = madd::<FMA>(pairs[p][1][k], difference, odd[p]);
            }
            middle = madd::<FMA>(half[k], sum, middle);
        }
        for p in 0..P {
            estimate[i] = max_abs(even[p].abs() + odd[p].abs(), estimate[i]);
        }
        if HALF {
            estimate[i] = max_abs(middle, estimate[i]);
        }
        i += 1;
    }
}

/// The vector operations of the screening pass, for each x86-64 width it runs in: AVX2 + FMA
/// (eight lanes) and AVX-512F (sixteen). Each operation is one instruction.
///
/// # Safety
/// Every method needs the CPU to have the type's instructions (for `__m256` AVX2 and FMA,
/// for `__m512` AVX-512F with AVX2 and FMA); the kernels call them only
/// inside functions compiled for those ([`screen_avx2`], [`screen_avx512`]), into which they
/// inline.
#[cfg(target_arch = "x86_64")]
pub(super) trait Lanes: Copy {
    /// Floats per vector.
    const WIDTH: usize;
    unsafe fn splat(x: f32) -> Self;
    /// `WIDTH` floats from `p` (unaligned).
    unsafe fn load(p: *const f32) -> Self;
    /// `WIDTH` floats to `p` (unaligned).
    unsafe fn store(self, p: *mut f32);
    unsafe fn add(self, other: Self) -> Self;
    unsafe fn sub(self, other: Self) -> Self;
    unsafe fn mul(self, other: Self) -> Self;
    /// `self * b + c`, rounded once.
    unsafe fn mul_add(self, b: Self, c: Self) -> Self;
    /// `c - self * b`, rounded once.
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self;
    unsafe fn max(self, other: Self) -> Self;
    unsafe fn abs(self) -> Self;
    /// The largest lane, in a tree of halvings (the kernels' lanes are never NaN: they start
    /// at +0 and only take maxima of magnitudes of finite input).
    unsafe fn reduce_max(self) -> f32;
    /// Screens the intervals past the last whole vector of a chunk ([`screen_chunk`]'s
    /// arguments): AVX-512 hands them to the AVX2 kernel, so both widths compute every
    /// interval alike.
    unsafe fn screen_rest(
        window: &[f32],
        estimate: &mut [f32],
        bound: &mut [f32],
        phases: &ScreenPhases,
    ) -> ChunkStats;
}

#[cfg(target_arch = "x86_64")]
impl Lanes for std::arch::x86_64::__m256 {
    const WIDTH: usize = 8;
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY (each method): the caller runs on a CPU with AVX2 and FMA (see the trait).
        unsafe { std::arch::x86_64::_mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller passes eight readable floats.
        unsafe { std::arch::x86_64::_mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller passes eight writable floats.
        unsafe { std::arch::x86_64::_mm256_storeu_ps(p, self) }
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        unsafe { std::arch::x86_64::_mm256_add_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn sub(self, other: Self) -> Self {
        unsafe { std::arch::x86_64::_mm256_sub_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn mul(self, other: Self) -> Self {
        unsafe { std::arch::x86_64::_mm256_mul_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        unsafe { std::arch::x86_64::_mm256_fmadd_ps(self, b, c) }
    }
    #[inline(always)]
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self {
        unsafe { std::arch::x86_64::_mm256_fnmadd_ps(self, b, c) }
    }
    #[inline(always)]
    unsafe fn max(self, other: Self) -> Self {
        unsafe { std::arch::x86_64::_mm256_max_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn abs(self) -> Self {
        use std::arch::x86_64::*;
        unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), self) }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        use std::arch::x86_64::*;
        unsafe {
            let m = _mm_max_ps(
                _mm256_castps256_ps128(self),
                _mm256_extractf128_ps::<1>(self),
            );
            let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
            _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)))
        }
    }
    #[inline(always)]
    unsafe fn screen_rest(
        window: &[f32],
        estimate: &mut [f32],
        bound: &mut [f32],
        phases: &ScreenPhases,
    ) -> ChunkStats {
        screen_chunk::<false>(window, estimate, bound, phases)
    }
}

// The crate's minimum Rust is 1.85; this code is compiled only by 1.89 and later (build.rs).
#[cfg(all(target_arch = "x86_64", mixmeter_avx512))]
#[allow(clippy::incompatible_msrv)]
impl Lanes for std::arch::x86_64::__m512 {
    const WIDTH: usize = 16;
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY (each method): the caller runs on a CPU with AVX-512F, AVX2 and FMA (the
        // trait's contract for this type: `Kernel::avx512` checks all three, and
        // `screen_rest` runs the AVX2 kernel).
        unsafe { std::arch::x86_64::_mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller passes sixteen readable floats.
        unsafe { std::arch::x86_64::_mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller passes sixteen writable floats.
        unsafe { std::arch::x86_64::_mm512_storeu_ps(p, self) }
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        unsafe { std::arch::x86_64::_mm512_add_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn sub(self, other: Self) -> Self {
        unsafe { std::arch::x86_64::_mm512_sub_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn mul(self, other: Self) -> Self {
        unsafe { std::arch::x86_64::_mm512_mul_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        unsafe { std::arch::x86_64::_mm512_fmadd_ps(self, b, c) }
    }
    #[inline(always)]
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self {
        unsafe { std::arch::x86_64::_mm512_fnmadd_ps(self, b, c) }
    }
    #[inline(always)]
    unsafe fn max(self, other: Self) -> Self {
        unsafe { std::arch::x86_64::_mm512_max_ps(self, other) }
    }
    #[inline(always)]
    unsafe fn abs(self) -> Self {
        unsafe { std::arch::x86_64::_mm512_abs_ps(self) }
    }
    #[inline(always)]
    unsafe fn reduce_max(self) -> f32 {
        unsafe { std::arch::x86_64::_mm512_reduce_max_ps(self) }
    }
    #[inline(always)]
    unsafe fn screen_rest(
        window: &[f32],
        estimate: &mut [f32],
        bound: &mut [f32],
        phases: &ScreenPhases,
    ) -> ChunkStats {
        // SAFETY: this type's contract includes AVX2 and FMA (`Kernel::avx512` checks all
        // three).
        unsafe { screen_chunk_lanes::<std::arch::x86_64::__m256>(window, estimate, bound, phases) }
    }
}

/// [`screen_pass`] in vector intrinsics, [`Lanes::WIDTH`] outputs per block (the generic loop,
/// left to the compiler, kept every `s[k]` and `d[k]` of a step live at once and spilled
/// them). The first pass (`FIRST`) also takes each interval's endpoints and its allowance from
/// the loads it makes anyway (`x[7]`, `x[8]` are the endpoints, `x[6..=9]` the samples of the
/// second differences at both, in the same operations as [`curvature`]'s) and stores its
/// estimates without reading the old ones; the last pass (`LAST`, the first too when there is
/// one) stores each interval's bound, its estimate plus its allowance (which waits in `bound`
/// between a first and a last pass). Returns the largest estimate and, in the last pass, the
/// largest bound.
///
/// # Safety
/// The CPU must have `V`'s instructions (see [`Lanes`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn screen_pass_lanes<
    V: Lanes,
    const P: usize,
    const HALF: bool,
    const FIRST: bool,
    const LAST: bool,
>(
    window: &[f32],
    estimate: &mut [f32],
    bound: &mut [f32],
    pairs: &[[[f32; HALF_TAPS]; 2]; P],
    half: &[f32; HALF_TAPS],
) -> (f32, f32) {
    let n = estimate.len();
    let w = V::WIDTH;
    assert!(n % w == 0 && bound.len() == n && window.len() >= n + SCREEN_TAPS - 1);
    // SAFETY: the caller guarantees `V`'s instructions; each load and store is in bounds as
    // noted at it.
    unsafe {
        let zero = V::splat(0.0);
        let two = V::splat(2.0);
        let per_curvature = V::splat(SCREEN_ALLOWANCE_PER_CURVATURE);
        let mut largest = zero;
        let mut largest_bound = zero;
        let mut i = 0;
        // `B` blocks of `w` outputs per step: each coefficient broadcast serves all of them.
        // Two blocks when one pair (and the half-sample phase) keeps every accumulator, sum
        // and coefficient of both in registers (the factor-4 rates, 48 kHz and up); with two
        // pairs they would spill in AVX2's sixteen registers, so one.
        macro_rules! blocks {
            ($blocks:literal) => {{
                const B: usize = $blocks;
                let mut even = [[zero; P]; B];
                let mut odd = [[zero; P]; B];
                let mut middle = [zero; B];
                // The first pass's endpoints and allowances: x[6] and x[9] until x[7] and x[8]
                // arrive, then the larger endpoint magnitude and the allowance of the larger
                // second difference at x[7] and x[8].
                let mut x6 = [zero; B];
                let mut x9 = [zero; B];
                let mut endpoints = [zero; B];
                let mut allowance = [zero; B];
                for k in 0..HALF_TAPS {
                    let mut sum = [zero; B];
                    let mut difference = [zero; B];
                    for b in 0..B {
                        // At + w <= n and k, TAPS - 1 - k < TAPS, so both loads end inside
                        // `window` (asserted above).
                        let at = i + w * b;
                        let near = V::load(window.as_ptr().add(at + k));
                        let far = V::load(window.as_ptr().add(at + SCREEN_TAPS - 1 - k));
                        if FIRST && k == HALF_TAPS - 2 {
                            (x6[b], x9[b]) = (near, far);
                        }
                        if FIRST && k == HALF_TAPS - 1 {
                            let (x7, x8) = (near, far);
                            // As `curvature` computes them (`x6 - 2 x7` is exact either way).
                            let before = two.neg_mul_add(x7, x6[b]).add(x8).abs();
                            let after = two.neg_mul_add(x8, x7).add(x9[b]).abs();
                            allowance[b] = per_curvature.mul(before.max(after));
                            endpoints[b] = x7.abs().max(x8.abs());
                        }
                        sum[b] = near.add(far);
                        difference[b] = near.sub(far);
                    }
                    for p in 0..P {
                        let (a, c) = (V::splat(pairs[p][0][k]), V::splat(pairs[p][1][k]));
                        for b in 0..B {
                            even[b][p] = a.mul_add(sum[b], even[b][p]);
                            odd[b][p] = c.mul_add(difference[b], odd[b][p]);
                        }
                    }
                    if HALF {
                        let h = V::splat(half[k]);
                        for b in 0..B {
                            middle[b] = h.mul_add(sum[b], middle[b]);
                        }
                    }
                }
                for b in 0..B {
                    // i + w * (b + 1) <= n = estimate.len() = bound.len() (asserted above).
                    let out = estimate.as_mut_ptr().add(i + w * b);
                    let bound_out = bound.as_mut_ptr().add(i + w * b);
                    let mut best = if FIRST { endpoints[b] } else { V::load(out) };
                    for p in 0..P {
                        best = even[b][p].abs().add(odd[b][p].abs()).max(best);
                    }
                    if HALF {
                        best = middle[b].abs().max(best);
                    }
                    largest = best.max(largest);
                    best.store(out);
                    if LAST {
                        let a = if FIRST {
                            allowance[b]
                        } else {
                            V::load(bound_out)
                        };
                        let sum = best.add(a);
                        largest_bound = sum.max(largest_bound);
                        sum.store(bound_out);
                    } else if FIRST {
                        // The allowance waits there for the last pass.
                        allowance[b].store(bound_out);
                    }
                }
                i += w * B;
            }};
        }
        if P <= 1 {
            while i + 2 * w <= n {
                blocks!(2);
            }
        }
        while i < n {
            blocks!(1);
        }
        // Both are maxima of magnitudes and of magnitudes plus allowances: no lane is negative.
        (largest.reduce_max(), largest_bound.reduce_max())
    }
}

/// [`screen_chunk`] with the vector passes: the same estimates (up to the rounding of the
/// fused multiply-adds) and statistics, the whole multiples of [`Lanes::WIDTH`] intervals in
/// vector passes, the rest by [`Lanes::screen_rest`].
///
/// # Safety
/// The CPU must have `V`'s instructions (see [`Lanes`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn screen_chunk_lanes<V: Lanes>(
    window: &[f32],
    estimate: &mut [f32],
    bound: &mut [f32],
    phases: &ScreenPhases,
) -> ChunkStats {
    const NONE: [f32; HALF_TAPS] = [0.0; HALF_TAPS];
    let n = estimate.len();
    let whole = n - n % V::WIDTH;
    let screened = &window[SCREEN_OFFSET..SCREEN_OFFSET + n + SCREEN_TAPS - 1];
    let (vector, tail) = estimate.split_at_mut(whole);
    let (vector_bound, tail_bound) = bound.split_at_mut(whole);
    // The first pass takes the half-sample phase with one pair, or two pairs; the others
    // two pairs at a time.
    let first_pairs = match (phases.half.is_some(), phases.pairs.len()) {
        (true, p) => p.min(1),
        (false, p) => p.min(2),
    };
    let (first, rest) = phases.pairs.split_at(first_pairs);
    let only = rest.is_empty();
    // SAFETY (each pass): the caller guarantees `V`'s instructions.
    macro_rules! first_pass {
        ($p:literal, $half:literal, $pairs:expr, $h:expr) => {
            if only {
                unsafe {
                    screen_pass_lanes::<V, $p, $half, true, true>(
                        screened,
                        vector,
                        vector_bound,
                        $pairs,
                        $h,
                    )
                }
            } else {
                unsafe {
                    screen_pass_lanes::<V, $p, $half, true, false>(
                        screened,
                        vector,
                        vector_bound,
                        $pairs,
                        $h,
                    )
                }
            }
        };
    }
    let (mut largest, mut largest_bound) = match (phases.half.as_ref(), first.len()) {
        (Some(half), 0) => first_pass!(0, true, &[], half),
        (Some(half), _) => first_pass!(1, true, first.try_into().unwrap(), half),
        (None, 1) => first_pass!(1, false, first.try_into().unwrap(), &NONE),
        (None, _) => first_pass!(2, false, first.try_into().unwrap(), &NONE),
    };
    let groups = rest.len().div_ceil(2);
    for (g, group) in rest.chunks(2).enumerate() {
        let last = g + 1 == groups;
        macro_rules! pass {
            ($p:literal) => {
                if last {
                    unsafe {
                        screen_pass_lanes::<V, $p, false, false, true>(
                            screened,
                            vector,
                            vector_bound,
                            group.try_into().unwrap(),
                            &NONE,
                        )
                    }
                } else {
                    unsafe {
                        screen_pass_lanes::<V, $p, false, false, false>(
                            screened,
                            vector,
                            vector_bound,
                            group.try_into().unwrap(),
                            &NONE,
                        )
                    }
                }
            };
        }
        let (estimate, bound) = match group.len() {
            1 => pass!(1),
            _ => pass!(2),
        };
        largest = estimate;
        if last {
            largest_bound = bound;
        }
    }
    let mut stats = ChunkStats {
        sample_peak: 0.0,
        largest_estimate: largest,
        largest_bound,
    };
    if !tail.is_empty() {
        // SAFETY: the caller guarantees `V`'s instructions.
        let rest = unsafe { V::screen_rest(&window[whole..], tail, tail_bound, phases) };
        stats.largest_estimate = stats.largest_estimate.max(rest.largest_estimate);
        stats.largest_bound = stats.largest_bound.max(rest.largest_bound);
    }
    // SAFETY: the caller guarantees `V`'s instructions.
    stats.sample_peak = unsafe { peak_lanes::<V>(&window[HISTORY..HISTORY + n]) };
    stats
}

/// The largest |x| of `x`, a vector at a time (the compiler's own vectorisation of a loop of
/// per-lane maxima, inside these functions, shuffled single lanes into place).
///
/// # Safety
/// The CPU must have `V`'s instructions (see [`Lanes`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn peak_lanes<V: Lanes>(x: &[f32]) -> f32 {
    let whole = x.len() - x.len() % V::WIDTH;
    // SAFETY: the caller guarantees `V`'s instructions; each load reads `V::WIDTH` floats
    // starting at a multiple of it below `whole`.
    let vector = unsafe {
        let mut peak = V::splat(0.0);
        for i in (0..whole).step_by(V::WIDTH) {
            peak = V::load(x.as_ptr().add(i)).abs().max(peak);
        }
        peak.reduce_max()
    };
    x[whole..].iter().fold(vector, |m, &v| max_abs(v, m))
}

/// Screens every phase: the half-sample phase with the first pair, then the pairs two at a
/// time (at most ten vector accumulators, so nothing spills).
#[inline(always)]
pub(super) fn screen_generic<const FMA: bool>(
    window: &[f32],
    estimate: &mut [f32],
    phases: &ScreenPhases,
) {
    const NONE: [f32; HALF_TAPS] = [0.0; HALF_TAPS];
    let mut pairs = phases.pairs.as_slice();
    match (phases.half.as_ref(), pairs.len()) {
        (Some(half), 0) => screen_pass::<0, true, FMA>(window, estimate, &[], half),
        (Some(half), _) => {
            screen_pass::<1, true, FMA>(window, estimate, pairs[..1].try_into().unwrap(), half);
            pairs = &pairs[1..];
        }
        (None, _) => {}
    }
    for group in pairs.chunks(2) {
        match group.len() {
            1 => screen_pass::<1, false, FMA>(window, estimate, group.try_into().unwrap(), &NONE),
            _ => screen_pass::<2, false, FMA>(window, estimate, group.try_into().unwrap(), &NONE),
        }
    }
}

/// What screening a chunk learns: its largest sample, its largest screening estimate and its
/// largest bound (an interval's estimate plus its allowance: the most it may hold).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ChunkStats {
    pub(super) sample_peak: f32,
    pub(super) largest_estimate: f32,
    pub(super) largest_bound: f32,
}

/// Screens the chunk whose refining window is `window` (`HISTORY + n` inputs, `n =
/// estimate.len()`): each interval's estimate is the larger of its endpoints and every
/// screening phase; then one pass in lanes of eight (per-lane maxima, which the compiler keeps
/// in vector registers; a running scalar maximum would not vectorise) stores each interval's
/// bound (its estimate plus [`SCREEN_ALLOWANCE_PER_CURVATURE`] times its [`curvature`]) and
/// finds the chunk's [`ChunkStats`].
#[inline(always)]
pub(super) fn screen_chunk<const FMA: bool>(
    window: &[f32],
    estimate: &mut [f32],
    bound: &mut [f32],
    phases: &ScreenPhases,
) -> ChunkStats {
    const W: usize = 8;
    let n = estimate.len();
    let centre = REFINE_TAPS / 2 - 1;
    let starts = &window[centre..centre + n];
    let ends = &window[centre + 1..centre + 1 + n];
    for ((e, &a), &b) in estimate.iter_mut().zip(starts).zip(ends) {
        *e = max_abs(a, b.abs());
    }
    screen_generic::<FMA>(
        &window[SCREEN_OFFSET..SCREEN_OFFSET + n + SCREEN_TAPS - 1],
        estimate,
        phases,
    );
    let x0 = &window[centre - 1..centre - 1 + n];
    let x1 = &window[centre..centre + n];
    let x2 = &window[centre + 1..centre + 1 + n];
    let x3 = &window[centre + 2..centre + 2 + n];
    let samples = &window[HISTORY..HISTORY + n];
    let mut peak = [0.0f32; W];
    let mut largest = [0.0f32; W];
    let mut largest_bound = [0.0f32; W];
    let whole = n - n % W;
    let mut i = 0;
    while i < whole {
        // Fixed-size views: no bounds checks inside, so each line is one vector operation.
        let lane = |v: &[f32]| -> [f32; W] { v[i..i + W].try_into().unwrap() };
        let (s, e) = (lane(samples), lane(estimate));
        let (a, b, c, d) = (lane(x0), lane(x1), lane(x2), lane(x3));
        let out: &mut [f32; W] = (&mut bound[i..i + W]).try_into().unwrap();
        for j in 0..W {
            peak[j] = max_abs(s[j], peak[j]);
            largest[j] = max_abs(e[j], largest[j]);
            let before = (a[j] - 2.0 * b[j] + c[j]).abs();
            let after = (b[j] - 2.0 * c[j] + d[j]).abs();
            let bend = if before > after { before } else { after };
            out[j] = e[j] + SCREEN_ALLOWANCE_PER_CURVATURE * bend;
            largest_bound[j] = max_abs(out[j], largest_bound[j]);
        }
        i += W;
    }
    for k in whole..n {
        peak[0] = max_abs(samples[k], peak[0]);
        largest[0] = max_abs(estimate[k], largest[0]);
        bound[k] =
            estimate[k] + SCREEN_ALLOWANCE_PER_CURVATURE * curvature(x0[k], x1[k], x2[k], x3[k]);
        largest_bound[0] = max_abs(bound[k], largest_bound[0]);
    }
    let fold = |v: [f32; W]| v.iter().fold(0.0f32, |m, &x| max_abs(x, m));
    ChunkStats {
        sample_peak: fold(peak),
        largest_estimate: fold(largest),
        largest_bound: fold(largest_bound),
    }
}

/// The larger |second difference| at either end of the interval between `b` and `c`.
#[inline(always)]
pub(super) fn curvature(a: f32, b: f32, c: f32, d: f32) -> f32 {
    let before = (a - 2.0 * b + c).abs();
    let after = (b - 2.0 * c + d).abs();
    if before > after { before } else { after }
}

pub(super) fn screen_portable(
    window: &[f32],
    estimate: &mut [f32],
    bound: &mut [f32],
    phases: &ScreenPhases,
) -> ChunkStats {
    screen_chunk::<false>(window, estimate, bound, phases)
}

/// The vector kernels in eight lanes, chosen at run time when the CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn screen_avx2(
    window: &[f32],
    estimate: &mut [f32],
    bound: &mut [f32],
    phases: &ScreenPhases,
) -> ChunkStats {
    // SAFETY: compiled for AVX2 and FMA, `__m256`'s instructions.
    unsafe { screen_chunk_lanes::<std::arch::x86_64::__m256>(window, estimate, bound, phases) }
}

/// The vector kernels in sixteen lanes, chosen at run time when the CPU has AVX-512F too
/// (compiled by Rust 1.89 and later, see build.rs).
#[cfg(all(target_arch = "x86_64", mixmeter_avx512))]
#[allow(clippy::incompatible_msrv)]
#[target_feature(enable = "avx2,fma,avx512f")]
pub(super) fn screen_avx512(
    window: &[f32],
    estimate: &mut [f32],
    bound: &mut [f32],
    phases: &ScreenPhases,
) -> ChunkStats {
    // SAFETY: compiled for AVX-512F, `__m512`'s instructions.
    unsafe { screen_chunk_lanes::<std::arch::x86_64::__m512>(window, estimate, bound, phases) }
}
