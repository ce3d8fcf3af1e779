//! The two O(N) passes of the split real FFT in portable SIMD ([`wide`]: SSE2 on x86_64, NEON
//! on aarch64), for CPUs without AVX2. Four complex values per step, held as their real parts
//! and their imaginary parts in two registers, so each lane does exactly the scalar loop's
//! arithmetic in the same order: the results are the scalar loops' to the last bit (the
//! compiler vectorises neither the complex products nor the reversed pairs on its own).

use realfft::num_complex::Complex;
use wide::f32x4;

/// Real and imaginary parts of `x[at..at + 4]`.
#[inline(always)]
fn load(x: &[Complex<f32>], at: usize) -> (f32x4, f32x4) {
    let v: &[Complex<f32>; 4] = x[at..at + 4].try_into().expect("four values");
    (
        f32x4::new([v[0].re, v[1].re, v[2].re, v[3].re]),
        f32x4::new([v[0].im, v[1].im, v[2].im, v[3].im]),
    )
}

/// Real and imaginary parts of `x[at]`, `x[at - 1]`, `x[at - 2]`, `x[at - 3]`.
#[inline(always)]
fn load_reversed(x: &[Complex<f32>], at: usize) -> (f32x4, f32x4) {
    let v: &[Complex<f32>; 4] = x[at - 3..=at].try_into().expect("four values");
    (
        f32x4::new([v[3].re, v[2].re, v[1].re, v[0].re]),
        f32x4::new([v[3].im, v[2].im, v[1].im, v[0].im]),
    )
}

#[inline(always)]
fn store(x: &mut [Complex<f32>], at: usize, re: f32x4, im: f32x4) {
    let (re, im) = (re.to_array(), im.to_array());
    for (i, out) in x[at..at + 4].iter_mut().enumerate() {
        *out = Complex::new(re[i], im[i]);
    }
}

#[inline(always)]
fn store_reversed(x: &mut [Complex<f32>], at: usize, re: f32x4, im: f32x4) {
    let (re, im) = (re.to_array(), im.to_array());
    for (i, out) in x[at - 3..=at].iter_mut().rev().enumerate() {
        *out = Complex::new(re[i], im[i]);
    }
}

/// The radix-2 step: `low[k] = even[k] + w[k]·odd[k]`, `high[k] = even[k] − w[k]·odd[k]`.
#[inline(always)]
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
        let (e_re, e_im) = load(even, k);
        let (o_re, o_im) = load(odd, k);
        let (w_re, w_im) = load(w, k);
        // `w * o` as num-complex multiplies.
        let t_re = w_re * o_re - w_im * o_im;
        let t_im = w_re * o_im + w_im * o_re;
        store(low, k, e_re + t_re, e_im + t_im);
        store(high, k, e_re - t_re, e_im - t_im);
        k += 4;
    }
    for k in k..n {
        let t = w[k] * odd[k];
        low[k] = even[k] + t;
        high[k] = even[k] - t;
    }
}

/// The split of the N/2-point FFT `x` (in place) into the real spectrum's bins, for the
/// pairs k in `first..last` and `j = half − k` (see [`super::split_fft::split`] for the
/// formulas, computed here in the same order).
#[inline(always)]
pub fn split(x: &mut [Complex<f32>], w: &[Complex<f32>], half: usize, first: usize, last: usize) {
    let mut k = first;
    let halves = f32x4::splat(0.5);
    // Pairs k..k+4 with half-k ..= half-k-3; the two runs never meet (k < half/2 < j).
    while k + 4 <= last && k + 3 < half - k - 3 && half - k < x.len() && half - k < w.len() {
        let j = half - k;
        let (a_re, a_im) = load(x, k);
        let (b_re, b_im) = load_reversed(x, j);
        let (wk_re, wk_im) = load(w, k);
        let (wj_re, wj_im) = load_reversed(w, j);
        let (s_re, s_im) = (halves * (a_re + b_re), halves * (a_im - b_im));
        let (d_re, d_im) = (halves * (a_im + b_im), -halves * (a_re - b_re));
        store(
            x,
            k,
            s_re + wk_re * d_re - wk_im * d_im,
            s_im + wk_re * d_im + wk_im * d_re,
        );
        store_reversed(
            x,
            j,
            s_re + wj_re * d_re + wj_im * d_im,
            -s_im + wj_im * d_re - wj_re * d_im,
        );
        k += 4;
    }
    for k in k..last {
        let j = half - k;
        let (a, b) = (x[k], x[j]);
        let (s_re, s_im) = (0.5 * (a.re + b.re), 0.5 * (a.im - b.im));
        let (d_re, d_im) = (0.5 * (a.im + b.im), -0.5 * (a.re - b.re));
        x[k] = Complex::new(
            s_re + w[k].re * d_re - w[k].im * d_im,
            s_im + w[k].re * d_im + w[k].im * d_re,
        );
        x[j] = Complex::new(
            s_re + w[j].re * d_re + w[j].im * d_im,
            -s_im + w[j].im * d_re - w[j].re * d_im,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn values(rng: &mut StdRng, n: usize) -> Vec<Complex<f32>> {
        (0..n)
            .map(|_| Complex::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)))
            .collect()
    }

    /// Every lane does the scalar loop's arithmetic: the same bits, including the pairs and
    /// values left over after the groups of four.
    #[test]
    fn the_vector_loops_give_the_scalar_bits() {
        let mut rng = StdRng::seed_from_u64(5);
        for n in [4, 7, 64, 1027] {
            let (even, odd, w) = (
                values(&mut rng, n),
                values(&mut rng, n),
                values(&mut rng, n),
            );
            let (mut low, mut high) = (vec![Complex::default(); n], vec![Complex::default(); n]);
            join(&mut low, &mut high, &even, &odd, &w);
            for k in 0..n {
                let t = w[k] * odd[k];
                assert_eq!(
                    (low[k], high[k]),
                    (even[k] + t, even[k] - t),
                    "join {n} {k}"
                );
            }
        }
        for half in [16, 64, 1024, 4096] {
            let x = values(&mut rng, half + 1);
            let w = values(&mut rng, half + 1);
            for (first, last) in [(1, half / 4), (half / 4, half / 2), (3, half / 2)] {
                let mut fast = x.clone();
                split(&mut fast, &w, half, first, last);
                let mut scalar = x.clone();
                // The scalar loop alone: an empty SIMD range (`first..first`) and the rest.
                for k in first..last {
                    split(&mut scalar, &w, half, k, k + 1);
                }
                assert_eq!(fast, scalar, "split {half} {first}..{last}");
            }
        }
    }
}
