//! The interpolation filters: Kaiser-windowed sinc phases for the screen and the refining
//! stage, and the arithmetic their kernels share.

/// Zeroth-order modified Bessel function of the first kind (series; converges fast for the
/// arguments of a Kaiser window).
pub(super) fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= (half / k as f64) * (half / k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Coefficients of the fractional phase `phase / factor` of a `TAPS`-tap Kaiser-windowed sinc:
/// the branch that interpolates between window positions `TAPS / 2 - 1` and `TAPS / 2`,
/// normalised to unity gain at DC, stored so that output `i` is the dot product with the input
/// window `[i, i + TAPS)`.
pub(super) fn phase_coefficients<const TAPS: usize>(
    phase: usize,
    factor: usize,
    beta: f64,
) -> [f32; TAPS] {
    let centre = (TAPS / 2 - 1) as f64;
    let offset = phase as f64 / factor as f64;
    let half_width = TAPS as f64 / 2.0;
    let mut taps = [0.0f64; TAPS];
    for (k, tap) in taps.iter_mut().enumerate() {
        // Tap k weighs input window[k] for the output at centre + offset.
        let t = centre + offset - k as f64;
        let sinc = if t == 0.0 {
            1.0
        } else {
            (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
        };
        let r = (t / half_width).clamp(-1.0, 1.0);
        let window = bessel_i0(beta * (1.0 - r * r).sqrt()) / bessel_i0(beta);
        *tap = sinc * window;
    }
    let dc: f64 = taps.iter().sum();
    let mut out = [0.0f32; TAPS];
    for (o, tap) in out.iter_mut().zip(&taps) {
        *o = (tap / dc) as f32;
    }
    out
}

/// max(|a|, b) in a form that compiles to plain SIMD max (inputs are finite).
#[inline(always)]
pub(super) fn max_abs(a: f32, b: f32) -> f32 {
    let a = a.abs();
    if a > b { a } else { b }
}

#[inline(always)]
pub(super) fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { c + a * b }
}
