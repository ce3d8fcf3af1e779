//! Synthetic stems of a small arrangement whose masking is known by construction, for the
//! session analysis's tests (the core's and the CLI's): a kick (decaying 65-55 Hz sine
//! bursts with a click) and a bass (notes at 82-98 Hz under the kicks) that share 60-100 Hz;
//! a vocal-like and a guitar-like part, both harmonic sounds whose energy sits at 1-3 kHz,
//! playing the same phrases; a hi-hat alone above 8 kHz; and keys in the low mids, alone,
//! 6 dB hotter than the guide's -6 dBFS.

use std::f64::consts::TAU;

/// The stems' names, in the order [`stems`] returns them.
pub const STEM_NAMES: [&str; 6] = ["kick", "bass", "vocal", "guitar", "hihat", "keys"];

/// Mono stems of `seconds` at `rate`, in the order of [`STEM_NAMES`].
pub fn stems(rate: f64, seconds: f64) -> Vec<Vec<f32>> {
    let n = (rate * seconds) as usize;
    let t = |i: usize| i as f64 / rate;
    let beat = 0.5;

    let kick: Vec<f32> = (0..n)
        .map(|i| {
            let since = t(i) % beat;
            // 65 Hz falling to 55 Hz in about 50 ms: the phase is the integral of that.
            let phase = TAU * (55.0 * since + 10.0 * 0.05 * (1.0 - (-since / 0.05).exp()));
            let body = (-since / 0.18).exp() * phase.sin();
            let click = if since < 0.002 {
                (TAU * 3000.0 * since).sin() * (1.0 - since / 0.002)
            } else {
                0.0
            };
            (0.4 * body + 0.1 * click) as f32
        })
        .collect();

    let notes = [82.4, 92.5, 98.0, 87.3];
    let bass: Vec<f32> = (0..n)
        .map(|i| {
            let note = notes[((t(i) / (2.0 * beat)) as usize) % notes.len()];
            let since = t(i) % (2.0 * beat);
            let env = (1.0 - (-since / 0.01).exp()) * (-since / 1.5).exp();
            let x = (TAU * note * t(i)).sin() + 0.3 * (TAU * 2.0 * note * t(i)).sin();
            (0.3 * env * x) as f32
        })
        .collect();

    // Phrases of 1.5 s with 0.5 s rests, the same for both parts.
    let phrase = |x: f64| if x % 2.0 < 1.5 { 1.0 } else { 0.0 };
    let harmonic = |f0: f64, centre: f64, i: usize, vibrato: f64| {
        let mut sum = 0.0;
        let mut k = 1.0;
        while k * f0 < 4000.0 {
            let f = k * f0;
            // Energy in 1-3 kHz only, peaking at `centre`.
            if (1000.0..3000.0).contains(&f) {
                let w = (-((f / centre).log2() * 2.0).powi(2)).exp();
                let phase = TAU * f * t(i) + vibrato * k * (TAU * 5.0 * t(i)).sin() / 5.0;
                sum += w * phase.sin();
            }
            k += 1.0;
        }
        sum
    };
    let vocal: Vec<f32> = (0..n)
        .map(|i| (0.08 * phrase(t(i)) * harmonic(220.0, 1600.0, i, 2.0)) as f32)
        .collect();
    let guitar: Vec<f32> = (0..n)
        .map(|i| (0.08 * phrase(t(i)) * harmonic(196.0, 2200.0, i, 0.0)) as f32)
        .collect();

    // White noise through four high-pass biquads at 9 kHz (48 dB per octave), in 16ths.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let (b, a) = highpass(9000.0, rate);
    let mut z = [[0.0f64; 4]; 4];
    let hihat: Vec<f32> = (0..n)
        .map(|i| {
            let mut x = noise();
            for s in z.iter_mut() {
                let y = b[0] * x + b[1] * s[0] + b[2] * s[1] - a[1] * s[2] - a[2] * s[3];
                *s = [x, s[0], y, s[2]];
                x = y;
            }
            let since = t(i) % (beat / 4.0);
            (0.3 * (-since / 0.03).exp() * x) as f32
        })
        .collect();

    // Keys: a chord at 330-520 Hz peaking near -0.5 dBFS.
    let keys: Vec<f32> = (0..n)
        .map(|i| {
            let x: f64 = [330.0, 415.0, 494.0]
                .iter()
                .map(|f| (TAU * f * t(i)).sin())
                .sum();
            (0.31 * x) as f32
        })
        .collect();

    vec![kick, bass, vocal, guitar, hihat, keys]
}

/// RBJ high-pass biquad (Q 0.707): `(b, a)` with `a[0] = 1`.
fn highpass(frequency_hz: f64, rate: f64) -> ([f64; 3], [f64; 3]) {
    let w = TAU * frequency_hz / rate;
    let alpha = w.sin() / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
    let cos = w.cos();
    let a0 = 1.0 + alpha;
    (
        [
            (1.0 + cos) / 2.0 / a0,
            -(1.0 + cos) / a0,
            (1.0 + cos) / 2.0 / a0,
        ],
        [1.0, -2.0 * cos / a0, (1.0 - alpha) / a0],
    )
}
