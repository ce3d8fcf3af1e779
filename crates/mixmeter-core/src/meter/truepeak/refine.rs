//! Stage 2, the refine (see the module docs of [`super`]): the peak of one interval located on
//! a fine grid with a 64-tap interpolator and measured with a 256-tap one, then a parabola.

use super::*;

/// `|window . phase|` with 32 partial sums, so the multiply-adds do not wait on each other.
#[inline(always)]
pub(super) fn dot_abs<const TAPS: usize, const FMA: bool>(
    window: &[f32; TAPS],
    phase: &[f32; TAPS],
) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: FMA kernels run only on CPUs with AVX2 and FMA (see `Kernel::detect`).
        return unsafe { dot_abs_avx2(window, phase) };
    }
    const PARTS: usize = 32;
    let mut acc = [0.0f32; PARTS];
    for (w, c) in window.chunks_exact(PARTS).zip(phase.chunks_exact(PARTS)) {
        for j in 0..PARTS {
            acc[j] = madd::<FMA>(c[j], w[j], acc[j]);
        }
    }
    acc.iter().sum::<f32>().abs()
}

/// [`dot_abs`] in AVX2 + FMA intrinsics: the compiler does not vectorise the generic loop
/// inside the refining stage on its own (measured: scalar multiply-adds, 360 ns a refinement).
/// Four accumulators of eight lanes; `window.len()` is a multiple of 32.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn dot_abs_avx2(window: &[f32], phase: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    debug_assert!(window.len() == phase.len() && window.len() % 32 == 0);
    let mut acc = [_mm256_setzero_ps(); 4];
    for (w, c) in window.chunks_exact(32).zip(phase.chunks_exact(32)) {
        for (j, a) in acc.iter_mut().enumerate() {
            // SAFETY: each chunk holds 32 floats, so every 8-float load is in bounds.
            let (wv, cv) = unsafe {
                (
                    _mm256_loadu_ps(w.as_ptr().add(8 * j)),
                    _mm256_loadu_ps(c.as_ptr().add(8 * j)),
                )
            };
            *a = _mm256_fmadd_ps(cv, wv, *a);
        }
    }
    let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let quad = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
    let one = _mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1));
    _mm_cvtss_f32(one).abs()
}

/// The vertex of the parabola through three equally spaced points around a maximum at `b`,
/// or `b` itself when they do not bend down.
#[inline(always)]
pub(super) fn parabola_peak(a: f32, b: f32, c: f32) -> f32 {
    let curvature = a - 2.0 * b + c;
    if curvature < 0.0 {
        let shift = 0.5 * (a - c) / curvature;
        b - 0.25 * (a - c) * shift
    } else {
        b
    }
}

/// The phase tables of the refining stage.
#[derive(Clone)]
pub(super) struct RefinePhases {
    pub(super) locate: [[f32; LOCATE_TAPS]; INNER],
    pub(super) measure: [[f32; REFINE_TAPS]; INNER],
}

/// The peak of the interval whose refining window starts at `window[0]`: the locating
/// interpolator finds the largest point of the grid, the measuring one evaluates it and its
/// neighbours, and a parabola through those gives the peak. A largest point at either end is
/// the sample itself.
#[inline(always)]
pub(super) fn refine_generic<const FMA: bool>(window: &[f32], phases: &RefinePhases) -> f32 {
    let w: &[f32; REFINE_TAPS] = window[..REFINE_TAPS].try_into().unwrap();
    let near: &[f32; LOCATE_TAPS] = window[LOCATE_OFFSET..LOCATE_OFFSET + LOCATE_TAPS]
        .try_into()
        .unwrap();
    let start = w[REFINE_TAPS / 2 - 1].abs();
    let end = w[REFINE_TAPS / 2].abs();
    let mut best = 0;
    let mut best_value = start;
    for (k, phase) in phases.locate.iter().enumerate() {
        let v = dot_abs::<LOCATE_TAPS, FMA>(near, phase);
        if v > best_value {
            best = k + 1;
            best_value = v;
        }
    }
    if end > best_value {
        best = REFINE_PHASES;
    }
    if best == 0 || best == REFINE_PHASES {
        return best_value;
    }
    // (No closure here: a closure would not inherit the caller's target features, and the
    // multiply-adds would become calls.)
    let below = if best == 1 {
        start
    } else {
        dot_abs::<REFINE_TAPS, FMA>(w, &phases.measure[best - 2])
    };
    let at = dot_abs::<REFINE_TAPS, FMA>(w, &phases.measure[best - 1]);
    let above = if best == INNER {
        end
    } else {
        dot_abs::<REFINE_TAPS, FMA>(w, &phases.measure[best])
    };
    parabola_peak(below, at, above)
}

pub(super) fn refine_portable(window: &[f32], phases: &RefinePhases) -> f32 {
    refine_generic::<false>(window, phases)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn refine_avx2(window: &[f32], phases: &RefinePhases) -> f32 {
    refine_generic::<true>(window, phases)
}
