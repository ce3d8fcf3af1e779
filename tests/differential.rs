//! Differential property tests against the `ebur128` crate (0.1.11, a port of libebur128):
//! random sample rates, mono and stereo, multi-sine and noise signals with level changes,
//! random host block splits, fixed seeds. Tolerances are per quantity and explained.
//!
//! Loudness range is the one reading compared differently: the crate, like libebur128, takes
//! one short-term value per second, while EBU Tech 3342 (v4) clause 3 asks for 10 Hz or more
//! and Mixmeter takes them every 100 ms. So the expected LRA is computed here, exactly as
//! Tech 3342 defines it, from the crate's own short-term loudness read every 100 ms.

use ebur128::{EbuR128, Mode};
use mixmeter::meter::engine::{Meter, MeterConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const RATES: [f64; 7] = [
    22_050.0, 32_000.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0,
];
const CASES: u64 = 16;

/// Same filter, same windows, same gating: the integrated, momentary and short-term
/// loudness agree to float rounding, plus the histogram's bin at the relative gate.
const LOUDNESS_TOLERANCE_LU: f64 = 0.005;
/// Same short-term values (the crate's, read every 100 ms); our percentiles are 0.01 LU bin
/// centres and our relative gate is a bin edge.
const RANGE_TOLERANCE_LU: f64 = 0.02;
/// Short-term values for loudness range: one per 100 ms (Tech 3342 clause 3: 10 Hz or more).
const RANGE_STEP_S: f64 = 0.1;
/// Tech 3342 clause 3: absolute gate, relative gate, percentiles.
const ABSOLUTE_GATE_LUFS: f64 = -70.0;
const RANGE_RELATIVE_GATE_LU: f64 = -20.0;

/// Tech 3342 loudness range of a list of short-term loudness values, computed exactly: values
/// under the absolute gate dropped, then those more than 20 LU under the energy mean of the
/// rest, then the 95th minus the 10th percentile (nearest rank). `None` when nothing is left.
fn tech_3342_range(short_term_lufs: &[f64]) -> Option<f64> {
    let above: Vec<f64> = short_term_lufs
        .iter()
        .copied()
        .filter(|&l| l >= ABSOLUTE_GATE_LUFS)
        .collect();
    if above.is_empty() {
        return None;
    }
    let mean_energy = above.iter().map(|l| 10f64.powf(l / 10.0)).sum::<f64>() / above.len() as f64;
    let gate = 10.0 * mean_energy.log10() + RANGE_RELATIVE_GATE_LU;
    let mut gated: Vec<f64> = above.into_iter().filter(|&l| l >= gate).collect();
    gated.sort_by(f64::total_cmp);
    let at = |p: f64| gated[((gated.len() - 1) as f64 * p).round() as usize];
    Some(at(0.95) - at(0.10))
}
/// The crate oversamples 4x below 96 kHz, 2x below 192 kHz with a short interpolator that
/// under-reads content near Nyquist (this noise's one-pole low-pass leaves it there); ours is
/// flat to 0.46 fs and measures refined peaks with a 256-tap sinc (checked against an ideal
/// reconstruction in `crates/mixmeter-core/src/meter/truepeak.rs` and against a 16x soxr one in the
/// real-recordings tier), so we read up to 0.7 dB higher on these signals (case 13: +0.68).
const TRUE_PEAK_TOLERANCE_DB: f64 = 1.0;
/// How much lower than the crate's our true peak may read (interpolator ripple).
const TRUE_PEAK_BELOW_TOLERANCE_DB: f64 = 0.1;

fn signal(rng: &mut StdRng, channels: usize, rate: f64, seconds: f64) -> Vec<Vec<f32>> {
    let frames = (rate * seconds).round() as usize;
    let tones: Vec<(f64, f64, f64)> = (0..rng.random_range(2..6))
        .map(|_| {
            (
                // Below 0.35 fs, where both interpolators are flat (see truepeak.rs).
                rng.random_range(30.0..(rate * 0.35).min(16_000.0)),
                rng.random_range(0.02..0.2),
                rng.random_range(0.0..std::f64::consts::TAU),
            )
        })
        .collect();
    let noise_level = rng.random_range(0.0..0.2);
    // Noise through a one-pole low-pass at about 0.1 fs: broadband like music, without the
    // full-band white noise whose true peak depends on each interpolator's response at Nyquist.
    let smoothing = (-std::f64::consts::TAU * 0.1).exp();
    // A level that moves every 2-6 s by up to +-12 dB (over 50 ms, as a fader would; an
    // instant step would make true peak measure the step), starting from silence, so gating
    // and LRA have work to do. One envelope for all channels.
    let ramp_step = 1.0 / (0.05 * rate);
    let mut gain = 0.0;
    let mut target = 1.0;
    let mut next_step = 0;
    let envelope: Vec<f64> = (0..frames)
        .map(|n| {
            if n >= next_step {
                target = 10f64.powf(rng.random_range(-12.0..3.0) / 20.0);
                next_step = n + (rng.random_range(2.0..6.0) * rate) as usize;
            }
            gain += (target - gain).clamp(-ramp_step, ramp_step);
            gain
        })
        .collect();
    (0..channels)
        .map(|c| {
            let mut local = StdRng::seed_from_u64(rng.random());
            let mut lowpassed = 0.0;
            (0..frames)
                .map(|n| {
                    let t = n as f64 / rate;
                    let tonal: f64 = tones
                        .iter()
                        .map(|(f, a, p)| a * (std::f64::consts::TAU * f * t + p + c as f64).sin())
                        .sum();
                    lowpassed =
                        smoothing * lowpassed + (1.0 - smoothing) * local.random_range(-1.0..1.0);
                    (envelope[n] * (tonal + 3.0 * noise_level * lowpassed)) as f32
                })
                .collect()
        })
        .collect()
}

/// Checks one reading and returns its deviation (0 when both have no value).
fn assert_close(what: &str, ours: Option<f64>, theirs: f64, tolerance: f64) -> f64 {
    match ours {
        Some(ours) => {
            assert!(
                (ours - theirs).abs() <= tolerance,
                "{what}: ours {ours:.4}, ebur128 {theirs:.4} (tolerance {tolerance})"
            );
            (ours - theirs).abs()
        }
        None => {
            assert!(
                !theirs.is_finite() || theirs < -69.9,
                "{what}: ours has no value, ebur128 {theirs:.4}"
            );
            0.0
        }
    }
}

#[test]
fn agrees_with_the_ebur128_crate() {
    let mut rng = StdRng::seed_from_u64(20_261_121);
    // Largest deviation seen per quantity: integrated, momentary, short-term, range, true peak.
    let mut worst = [0.0f64; 5];
    let mut worst_below = 0.0f64;
    // How far the crate's own (1 Hz) LRA is from the 10 Hz one, for the record.
    let mut worst_1_hz = 0.0f64;
    for case in 0..CASES {
        let rate = RATES[rng.random_range(0..RATES.len())];
        let channels = rng.random_range(1..=2usize);
        // Whole 100 ms so both meters' windows end on the same sample.
        let seconds = rng.random_range(60..140) as f64 / 10.0;
        let audio = signal(&mut rng, channels, rate, seconds);

        let mut ours = Meter::new(MeterConfig::new(rate, channels)).unwrap();
        let mut theirs = EbuR128::new(
            channels as u32,
            rate as u32,
            Mode::I | Mode::M | Mode::S | Mode::LRA | Mode::TRUE_PEAK | Mode::SAMPLE_PEAK,
        )
        .unwrap();
        let mut start = 0;
        let frames = audio[0].len();
        // The crate is also cut at every 100 ms, where its short-term loudness is read once
        // its 3 s window is full.
        let step = (rate * RANGE_STEP_S).round() as usize;
        let first_full = (3.0 / RANGE_STEP_S).round() as usize;
        let mut short_term_10_hz = Vec::new();
        while start < frames {
            let end = (start + rng.random_range(0..=4096)).min(frames);
            let block: Vec<&[f32]> = audio.iter().map(|c| &c[start..end]).collect();
            ours.process(&block);
            let mut from = start;
            while from < end {
                let to = ((from / step + 1) * step).min(end);
                let piece: Vec<&[f32]> = audio.iter().map(|c| &c[from..to]).collect();
                theirs.add_frames_planar_f32(&piece).unwrap();
                if to % step == 0 && to / step >= first_full {
                    short_term_10_hz.push(theirs.loudness_shortterm().unwrap());
                }
                from = to;
            }
            start = end;
        }
        let range_10_hz = tech_3342_range(&short_term_10_hz);

        let r = ours.readings();
        let what = |q: &str| format!("case {case} ({rate} Hz, {channels} ch, {seconds} s) {q}");
        let deviations = [
            assert_close(
                &what("integrated"),
                r.integrated_lufs,
                theirs.loudness_global().unwrap(),
                LOUDNESS_TOLERANCE_LU,
            ),
            assert_close(
                &what("momentary"),
                r.momentary_lufs,
                theirs.loudness_momentary().unwrap(),
                LOUDNESS_TOLERANCE_LU,
            ),
            assert_close(
                &what("short-term"),
                r.short_term_lufs,
                theirs.loudness_shortterm().unwrap(),
                LOUDNESS_TOLERANCE_LU,
            ),
            assert_close(
                &what("range (Tech 3342, 10 Hz)"),
                r.loudness_range_lu,
                range_10_hz.unwrap_or(f64::NEG_INFINITY),
                RANGE_TOLERANCE_LU,
            ),
        ];
        if let Some(range) = range_10_hz {
            worst_1_hz = worst_1_hz.max((theirs.loudness_range().unwrap() - range).abs());
        }
        for (w, d) in worst.iter_mut().zip(deviations) {
            *w = w.max(d);
        }
        for c in 0..channels {
            let sample_peak = 20.0 * theirs.sample_peak(c as u32).unwrap().log10();
            assert_close(
                &what("sample peak"),
                r.sample_peak_dbfs[c],
                sample_peak,
                1e-4,
            );
            let true_peak = 20.0 * theirs.true_peak(c as u32).unwrap().log10();
            // From 192 kHz up the crate reads the sample peak (no oversampling); we still
            // oversample 4x, so there we are only checked not to read lower.
            if rate < 192_000.0 {
                worst[4] = worst[4].max(assert_close(
                    &what("true peak"),
                    r.true_peak_dbtp[c],
                    true_peak,
                    TRUE_PEAK_TOLERANCE_DB,
                ));
            }
            // Where we differ, it is because we oversample more: we never read much lower.
            worst_below = worst_below.max(true_peak - r.true_peak_dbtp[c].unwrap());
            assert!(
                r.true_peak_dbtp[c].unwrap() >= true_peak - TRUE_PEAK_BELOW_TOLERANCE_DB,
                "{}: ours {:?} below ebur128 {true_peak}",
                what("true peak"),
                r.true_peak_dbtp[c]
            );
            assert!(r.true_peak_dbtp[c].unwrap() >= r.sample_peak_dbfs[c].unwrap());
        }
    }
    eprintln!(
        "largest deviation from ebur128 over {CASES} cases: integrated {:.5} LU, momentary {:.5} LU, \
         short-term {:.5} LU, range {:.5} LU (10 Hz; the crate's 1 Hz range is up to {:.3} LU \
         from it), true peak {:.3} dB (ours lower by at most {:.3} dB)",
        worst[0], worst[1], worst[2], worst[3], worst_1_hz, worst[4], worst_below
    );
}
