//! Test signals shared by the CLI and editor tests: exact pink noise made in one long inverse
//! FFT, and a band put in opposite polarity exactly.

/// Pink noise (power exactly proportional to 1/f at every bin of one long inverse FFT, random
/// phases) at an RMS of -20 dBFS, with `boost` = (low Hz, high Hz, dB) applied exactly.
pub fn pink(rate: u32, len: usize, seed: u64, boost: Option<(f64, f64, f64)>) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let inverse = realfft::RealFftPlanner::<f64>::new().plan_fft_inverse(len);
    let mut spectrum = inverse.make_input_vec();
    for (k, x) in spectrum.iter_mut().enumerate().take(len / 2).skip(1) {
        let hz = k as f64 * rate as f64 / len as f64;
        let gain = match boost {
            Some((low, high, db)) if hz >= low && hz < high => 10f64.powf(db / 20.0),
            _ => 1.0,
        };
        let phase = rng.random::<f64>() * std::f64::consts::TAU;
        *x = realfft::num_complex::Complex::from_polar(gain / (k as f64).sqrt(), phase);
    }
    let mut out = inverse.make_output_vec();
    inverse.process(&mut spectrum, &mut out).unwrap();
    let rms = (out.iter().map(|x| x * x).sum::<f64>() / len as f64).sqrt();
    out.iter().map(|x| x * 0.1 / rms).collect()
}

/// `signal` with the bins whose frequency lies in `low..high` Hz multiplied by -1 (exactly, in one
/// long transform).
pub fn invert_band(signal: &[f64], rate: u32, low: f64, high: f64) -> Vec<f64> {
    let len = signal.len();
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(len);
    let inverse = planner.plan_fft_inverse(len);
    let mut input = signal.to_vec();
    let mut spectrum = forward.make_output_vec();
    forward.process(&mut input, &mut spectrum).unwrap();
    for (k, x) in spectrum.iter_mut().enumerate() {
        let hz = k as f64 * rate as f64 / len as f64;
        if hz >= low && hz < high {
            *x = -*x;
        }
    }
    let mut out = inverse.make_output_vec();
    inverse.process(&mut spectrum, &mut out).unwrap();
    out.iter().map(|x| x / len as f64).collect()
}
