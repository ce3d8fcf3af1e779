//! The two O(N) passes of the split real FFT written for AVX2 and FMA, four complex values
//! per register (the compiler does not vectorise the complex products and the reversed pairs
//! of the scalar loops). FMA rounds once per multiply-add, so the results differ from the
//! portable loops in the last bits (tests bound it); a machine always uses the same kernel.

use realfft::num_complex::Complex;
use std::arch::x86_64::*;

/// `w · z` for four complex values in each register.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn multiply(w: __m256, z: __m256) -> __m256 {
    let re = _mm256_moveldup_ps(w);
    let im = _mm256_movehdup_ps(w);
    let swapped = _mm256_permute_ps(z, 0b10_11_00_01);
    _mm256_fmaddsub_ps(re, z, _mm256_mul_ps(im, swapped))
}

/// The four complex values in reverse order.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn reverse(z: __m256) -> __m256 {
    _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(z), 0b00_01_10_11))
}

#[inline]
#[target_feature(enable = "avx2,fma")]
fn conj(z: __m256) -> __m256 {
    _mm256_xor_ps(
        z,
        _mm256_setr_ps(0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0),
    )
}

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn load(from: &[Complex<f32>], at: usize) -> __m256 {
    debug_assert!(at + 4 <= from.len());
    // SAFETY: the caller keeps `at + 4` within `from`.
    unsafe { _mm256_loadu_ps(from.as_ptr().add(at).cast::<f32>()) }
}

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn store(to: &mut [Complex<f32>], at: usize, value: __m256) {
    debug_assert!(at + 4 <= to.len());
    // SAFETY: the caller keeps `at + 4` within `to`.
    unsafe { _mm256_storeu_ps(to.as_mut_ptr().add(at).cast::<f32>(), value) }
}

/// The radix-2 step: `low[k] = even[k] + w[k]·odd[k]`, `high[k] = even[k] − w[k]·odd[k]`.
#[target_feature(enable = "avx2,fma")]
pub fn join(
    low: &mut [Complex<f32>],
    high: &mut [Complex<f32>],
    even: &[Complex<f32>],
    odd: &[Complex<f32>],
    w: &[Complex<f32>],
) {
    let n = low
        .len()
        .min(high.len())
        .min(even.len())
        .min(odd.len())
        .min(w.len());
    let mut k = 0;
    while k + 4 <= n {
        // SAFETY: k + 4 <= n, the shortest of the slices.
        unsafe {
            let e = load(even, k);
            let t = multiply(load(w, k), load(odd, k));
            store(low, k, _mm256_add_ps(e, t));
            store(high, k, _mm256_sub_ps(e, t));
        }
        k += 4;
    }
    for k in k..n {
        let t = w[k] * odd[k];
        low[k] = even[k] + t;
        high[k] = even[k] - t;
    }
}

/// The split of the N/2-point FFT `x` (in place) into the real spectrum's bins, for the
/// pairs k in `first..last` and `j = half − k`: with `s = (Z[k] + Z*[j]) / 2` and
/// `d = −i (Z[k] − Z*[j]) / 2`, `X[k] = s + W^k d` and `X[j] = (s + conj(W^j) d)*`.
#[target_feature(enable = "avx2,fma")]
pub fn split(x: &mut [Complex<f32>], w: &[Complex<f32>], half: usize, first: usize, last: usize) {
    let halves = _mm256_set1_ps(0.5);
    let odd_sign = _mm256_setr_ps(0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0);
    let mut k = first;
    // Pairs k..k+4 with half-k-3 ..= half-k; the two runs never meet (k < half/2 < j).
    while k + 4 <= last && k + 3 < half - k - 3 && half - k < x.len() && half - k < w.len() {
        let j = half - k - 3;
        // SAFETY: k + 4 <= last and j + 4 = half - k + 1 <= the lengths (checked above).
        unsafe {
            let a = load(x, k);
            let b = reverse(load(x, j));
            let wk = load(w, k);
            let wj = conj(reverse(load(w, j)));
            let b_conj = conj(b);
            let s = _mm256_mul_ps(halves, _mm256_add_ps(a, b_conj));
            let q = _mm256_sub_ps(a, b_conj);
            // -i·q = (q.im, -q.re)
            let d = _mm256_mul_ps(
                halves,
                _mm256_xor_ps(_mm256_permute_ps(q, 0b10_11_00_01), odd_sign),
            );
            store(x, k, _mm256_add_ps(s, multiply(wk, d)));
            store(x, j, reverse(conj(_mm256_add_ps(s, multiply(wj, d)))));
        }
        k += 4;
    }
    for k in k..last {
        let j = half - k;
        let (a, b) = (x[k], x[j]);
        let s = Complex::new(0.5 * (a.re + b.re), 0.5 * (a.im - b.im));
        let d = Complex::new(0.5 * (a.im + b.im), -0.5 * (a.re - b.re));
        x[k] = s + w[k] * d;
        x[j] = (s + w[j].conj() * d).conj();
    }
}

/// The two-block packing of [`super::split_fft`]: each four samples `x[4m..4m + 4]` (times
/// `window`, when it is not empty) become `even[m] = (x0, x1)` and `odd[m] = (x2, x3)`. Eight
/// samples per step: one multiply, one permutation of the four pairs to `(0, 2, 1, 3)` and a
/// store of each half; the same products as the scalar loop, so the same bits. `samples` (and
/// a non-empty `window`) hold four values per pair of outputs.
#[target_feature(enable = "avx2")]
pub fn pack_two_blocks(
    samples: &[f32],
    window: &[f32],
    even: &mut [Complex<f32>],
    odd: &mut [Complex<f32>],
) {
    let n = even.len().min(odd.len()).min(samples.len() / 4);
    let windowed = !window.is_empty();
    assert!(!windowed || window.len() >= 4 * n);
    let mut m = 0;
    while m + 2 <= n {
        // SAFETY: 4 * (m + 2) <= 4 * n floats of `samples` (and of `window`, asserted), and
        // m + 2 <= n values of `even` and `odd`.
        unsafe {
            let mut x = _mm256_loadu_ps(samples.as_ptr().add(4 * m));
            if windowed {
                x = _mm256_mul_ps(x, _mm256_loadu_ps(window.as_ptr().add(4 * m)));
            }
            let pairs = _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(x));
            _mm_storeu_pd(
                even.as_mut_ptr().add(m).cast::<f64>(),
                _mm256_castpd256_pd128(pairs),
            );
            _mm_storeu_pd(
                odd.as_mut_ptr().add(m).cast::<f64>(),
                _mm256_extractf128_pd::<1>(pairs),
            );
        }
        m += 2;
    }
    for m in m..n {
        let x = &samples[4 * m..4 * m + 4];
        let w: [f32; 4] = if windowed {
            window[4 * m..4 * m + 4].try_into().unwrap()
        } else {
            [1.0; 4]
        };
        // Times 1.0 is exact: the same bits as no window.
        even[m] = Complex::new(x[0] * w[0], x[1] * w[1]);
        odd[m] = Complex::new(x[2] * w[2], x[3] * w[3]);
    }
}

/// The four- and eight-block packing of [`super::split_fft`]: each group of `2B` samples
/// (`B = at.len()`, 4 or 8; times `window`, when it is not empty) gives one complex value to
/// each block, value `b` (samples `2b`, `2b + 1`) going to `packed[at[b] + group]`. Four
/// groups at a time: their values, read as 64-bit lanes, transposed four by four so that each
/// block gets one 32-byte store. The same products as the scalar loop, so the same bits.
/// Packs the groups `first_group..` up to a multiple of four and returns how many it packed
/// (the caller packs the rest).
#[target_feature(enable = "avx2")]
pub fn pack_blocks(
    samples: &[f32],
    window: &[f32],
    packed: &mut [Complex<f32>],
    at: &[usize],
    first_group: usize,
) -> usize {
    let blocks = at.len();
    assert!(blocks == 4 || blocks == 8);
    let windowed = !window.is_empty();
    let groups = samples.len() / (2 * blocks) / 4 * 4;
    assert!(!windowed || window.len() >= groups * 2 * blocks);
    assert!(at.iter().all(|&a| a + first_group + groups <= packed.len()));
    let mut g = 0;
    while g < groups {
        for quarter in 0..blocks / 4 {
            let mut rows = [_mm256_setzero_pd(); 4];
            for (r, row) in rows.iter_mut().enumerate() {
                let i = (g + r) * 2 * blocks + 8 * quarter;
                // SAFETY: i + 8 <= groups * 2 * blocks <= the lengths of `samples` and (when
                // windowed, asserted) `window`.
                unsafe {
                    let mut x = _mm256_loadu_ps(samples.as_ptr().add(i));
                    if windowed {
                        x = _mm256_mul_ps(x, _mm256_loadu_ps(window.as_ptr().add(i)));
                    }
                    *row = _mm256_castps_pd(x);
                }
            }
            let t0 = _mm256_unpacklo_pd(rows[0], rows[1]);
            let t1 = _mm256_unpackhi_pd(rows[0], rows[1]);
            let t2 = _mm256_unpacklo_pd(rows[2], rows[3]);
            let t3 = _mm256_unpackhi_pd(rows[2], rows[3]);
            let columns = [
                _mm256_permute2f128_pd::<0x20>(t0, t2),
                _mm256_permute2f128_pd::<0x20>(t1, t3),
                _mm256_permute2f128_pd::<0x31>(t0, t2),
                _mm256_permute2f128_pd::<0x31>(t1, t3),
            ];
            for (j, column) in columns.into_iter().enumerate() {
                let to = at[4 * quarter + j] + first_group + g;
                // SAFETY: to + 4 <= at[b] + first_group + groups <= packed.len() (asserted).
                unsafe { _mm256_storeu_pd(packed.as_mut_ptr().add(to).cast::<f64>(), column) };
            }
        }
        g += 4;
    }
    groups
}
