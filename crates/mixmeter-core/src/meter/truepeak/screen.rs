//! Stage 1, the screen (see the module docs of [`super`]): every sample interval's estimated
//! peak from a short polyphase interpolator, with the chunk's largest estimate and curvature,
//! in portable code and in AVX2 + FMA intrinsics.

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

/// [`screen_pass`] in AVX2 + FMA intrinsics, eight outputs per step (the generic loop, left to
/// the compiler, kept every `s[k]` and `d[k]` of a step live at once and spilled them). The
/// first pass (`FIRST`) also takes each interval's endpoints and its allowance from the loads
/// it makes anyway (`x[7]`, `x[8]` are the endpoints, `x[6..=9]` the samples of the second
/// differences at both, in the same operations as [`curvature`]'s) and stores its estimates
/// without reading the old ones; the last pass (`LAST`, the first too when there is one)
/// stores each interval's bound, its estimate plus its allowance (which waits in `bound`
/// between a first and a last pass). Returns the largest estimate and, in the last pass, the
/// largest bound.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn screen_pass_avx2<
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
    use std::arch::x86_64::*;
    let n = estimate.len();
    assert!(n % 8 == 0 && bound.len() == n && window.len() >= n + SCREEN_TAPS - 1);
    let sign = _mm256_set1_ps(-0.0);
    let abs = |v: __m256| _mm256_andnot_ps(sign, v);
    let per_curvature = _mm256_set1_ps(SCREEN_ALLOWANCE_PER_CURVATURE);
    let mut largest = _mm256_setzero_ps();
    let mut largest_bound = _mm256_setzero_ps();
    let mut i = 0;
    // `B` blocks of eight outputs per step: each coefficient broadcast serves all of them.
    // Two blocks when one pair (and the half-sample phase) keeps every accumulator, sum and
    // coefficient of both in registers (the factor-4 rates, 48 kHz and up); with two pairs
    // they would spill, so one.
    macro_rules! blocks {
        ($blocks:literal) => {{
            const B: usize = $blocks;
            let mut even = [[_mm256_setzero_ps(); P]; B];
            let mut odd = [[_mm256_setzero_ps(); P]; B];
            let mut middle = [_mm256_setzero_ps(); B];
            // The first pass's endpoints and allowances: x[6] and x[9] until x[7] and x[8]
            // arrive, then the larger endpoint magnitude and the allowance of the larger
            // second difference at x[7] and x[8].
            let mut x6 = [_mm256_setzero_ps(); B];
            let mut x9 = [_mm256_setzero_ps(); B];
            let mut endpoints = [_mm256_setzero_ps(); B];
            let mut allowance = [_mm256_setzero_ps(); B];
            for k in 0..HALF_TAPS {
                let mut sum = [_mm256_setzero_ps(); B];
                let mut difference = [_mm256_setzero_ps(); B];
                for b in 0..B {
                    let at = i + 8 * b;
                    // SAFETY: at + 8 <= n and k, TAPS - 1 - k < TAPS, so both 8-float loads
                    // end inside `window` (asserted above).
                    let (near, far) = unsafe {
                        (
                            _mm256_loadu_ps(window.as_ptr().add(at + k)),
                            _mm256_loadu_ps(window.as_ptr().add(at + SCREEN_TAPS - 1 - k)),
                        )
                    };
                    if FIRST && k == HALF_TAPS - 2 {
                        (x6[b], x9[b]) = (near, far);
                    }
                    if FIRST && k == HALF_TAPS - 1 {
                        let (x7, x8) = (near, far);
                        // As `curvature` computes them (`x6 - 2 x7` is exact either way).
                        let two = _mm256_set1_ps(2.0);
                        let before = abs(_mm256_add_ps(_mm256_fnmadd_ps(two, x7, x6[b]), x8));
                        let after = abs(_mm256_add_ps(_mm256_fnmadd_ps(two, x8, x7), x9[b]));
                        let bend = _mm256_max_ps(before, after);
                        allowance[b] = _mm256_mul_ps(per_curvature, bend);
                        endpoints[b] = _mm256_max_ps(abs(x7), abs(x8));
                    }
                    sum[b] = _mm256_add_ps(near, far);
                    difference[b] = _mm256_sub_ps(near, far);
                }
                for p in 0..P {
                    let (a, c) = (
                        _mm256_set1_ps(pairs[p][0][k]),
                        _mm256_set1_ps(pairs[p][1][k]),
                    );
                    for b in 0..B {
                        even[b][p] = _mm256_fmadd_ps(a, sum[b], even[b][p]);
                        odd[b][p] = _mm256_fmadd_ps(c, difference[b], odd[b][p]);
                    }
                }
                if HALF {
                    let h = _mm256_set1_ps(half[k]);
                    for b in 0..B {
                        middle[b] = _mm256_fmadd_ps(h, sum[b], middle[b]);
                    }
                }
            }
            for b in 0..B {
                // SAFETY: i + 8 * (b + 1) <= n = estimate.len().
                let out = unsafe { estimate.as_mut_ptr().add(i + 8 * b) };
                let mut best = if FIRST {
                    endpoints[b]
                } else {
                    // SAFETY: as the store below.
                    unsafe { _mm256_loadu_ps(out) }
                };
                for p in 0..P {
                    best = _mm256_max_ps(_mm256_add_ps(abs(even[b][p]), abs(odd[b][p])), best);
                }
                if HALF {
                    best = _mm256_max_ps(abs(middle[b]), best);
                }
                largest = _mm256_max_ps(best, largest);
                // SAFETY: as above.
                unsafe { _mm256_storeu_ps(out, best) };
                // SAFETY: `bound` has the length of `estimate` (asserted above).
                let bound_out = unsafe { bound.as_mut_ptr().add(i + 8 * b) };
                if LAST {
                    // SAFETY: as the store below.
                    let a = if FIRST {
                        allowance[b]
                    } else {
                        unsafe { _mm256_loadu_ps(bound_out) }
                    };
                    let sum = _mm256_add_ps(best, a);
                    largest_bound = _mm256_max_ps(sum, largest_bound);
                    // SAFETY: as above.
                    unsafe { _mm256_storeu_ps(bound_out, sum) };
                } else if FIRST {
                    // The allowance waits there for the last pass.
                    // SAFETY: as above.
                    unsafe { _mm256_storeu_ps(bound_out, allowance[b]) };
                }
            }
            i += 8 * B;
        }};
    }
    if P <= 1 {
        while i + 16 <= n {
            blocks!(2);
        }
    }
    while i < n {
        blocks!(1);
    }
    let fold = |v: __m256| {
        let mut lanes = [0.0f32; 8];
        // SAFETY: eight floats into an eight-float array.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), v) };
        lanes.iter().fold(0.0f32, |m, &x| max_abs(x, m))
    };
    (fold(largest), fold(largest_bound))
}

/// [`screen_chunk`] with the AVX2 passes: the same estimates (up to the rounding of the fused
/// multiply-adds) and statistics, the whole multiples of eight intervals in vector passes, the
/// rest in the generic form.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn screen_chunk_avx2(
    window: &[f32],
    estimate: &mut [f32],
    bound: &mut [f32],
    phases: &ScreenPhases,
) -> ChunkStats {
    const NONE: [f32; HALF_TAPS] = [0.0; HALF_TAPS];
    let n = estimate.len();
    let whole = n - n % 8;
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
    macro_rules! first_pass {
        ($p:literal, $half:literal, $pairs:expr, $h:expr) => {
            if only {
                screen_pass_avx2::<$p, $half, true, true>(
                    screened,
                    vector,
                    vector_bound,
                    $pairs,
                    $h,
                )
            } else {
                screen_pass_avx2::<$p, $half, true, false>(
                    screened,
                    vector,
                    vector_bound,
                    $pairs,
                    $h,
                )
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
                    screen_pass_avx2::<$p, false, false, true>(
                        screened,
                        vector,
                        vector_bound,
                        group.try_into().unwrap(),
                        &NONE,
                    )
                } else {
                    screen_pass_avx2::<$p, false, false, false>(
                        screened,
                        vector,
                        vector_bound,
                        group.try_into().unwrap(),
                        &NONE,
                    )
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
        let rest = screen_chunk::<false>(&window[whole..], tail, tail_bound, phases);
        stats.largest_estimate = stats.largest_estimate.max(rest.largest_estimate);
        stats.largest_bound = stats.largest_bound.max(rest.largest_bound);
    }
    stats.sample_peak = lane_peak(&window[HISTORY..HISTORY + n]);
    stats
}

/// The largest |x| of `x`, in per-lane maxima the compiler vectorises.
#[inline(always)]
pub(super) fn lane_peak(x: &[f32]) -> f32 {
    const W: usize = 8;
    let mut peak = [0.0f32; W];
    let chunks = x.chunks_exact(W);
    let rest = chunks.remainder();
    for chunk in chunks {
        let v: &[f32; W] = chunk.try_into().unwrap();
        for j in 0..W {
            peak[j] = max_abs(v[j], peak[j]);
        }
    }
    for (j, &v) in rest.iter().enumerate() {
        peak[j] = max_abs(v, peak[j]);
    }
    peak.iter().fold(0.0f32, |m, &v| max_abs(v, m))
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

/// The same kernels compiled for AVX2 + FMA, chosen at run time when the CPU has them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn screen_avx2(
    window: &[f32],
    estimate: &mut [f32],
    bound: &mut [f32],
    phases: &ScreenPhases,
) -> ChunkStats {
    screen_chunk_avx2(window, estimate, bound, phases)
}
