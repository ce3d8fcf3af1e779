//! EBU Tech 3341 (EBU mode, cases 1-6 and 9-19) and Tech 3342 (loudness range, cases 1-4),
//! synthesized in code from the published descriptions (the EBU files cannot be downloaded
//! here), at 48 kHz and again at 44.1 and 96 kHz. Each check states the spec tolerance and the
//! tighter one we hold ourselves to on steady tones (0.01 LU).
//!
//! Not here: cases 7 and 8 (authentic programme files). Cases 20-23 (true-peak test files
//! expected to read 0.0 dBTP, +0.2/-0.4 dB) are published only as audio; in their place four
//! signals of our own with the same expected reading are synthesized below, each with a
//! continuous-time peak of exactly 0 dBTP known analytically and sample peaks well below it.
//! They test the same requirement; they are not the EBU signals.

use mixmeter::meter::engine::{Meter, MeterConfig, Readings, WEIGHT_SURROUND};
use mixmeter::meter::gating::LOUDNESS_OFFSET_LU;
use mixmeter::meter::kweight::KWeighting;

const RATES: [f64; 3] = [48_000.0, 44_100.0, 96_000.0];
/// Tech 3341 tolerance on loudness readings.
const SPEC_LU: f64 = 0.1;
/// What we reach on steady tones against the exact BS.1770 value of the signal.
const STEADY_LU: f64 = 0.001;

/// The exact BS.1770 loudness of 1 kHz sines of the given peak levels (dBFS) and weights:
/// the K-weighting filter's own gain at 1 kHz, derived for this rate, included. It is
/// -23.0 +- 0.011 for the -23 dBFS stereo tone depending on the rate (the filter is calibrated at
/// 997 Hz), which is what "aim for 0.01 LU" can mean for these cases.
fn exact_lufs(rate: f64, levels_dbfs: &[f64], weights: &[f64]) -> f64 {
    let (shelf, highpass) = KWeighting::new(rate).stages();
    let gain = shelf.gain_at(1000.0, rate) * highpass.gain_at(1000.0, rate);
    let energy: f64 = levels_dbfs
        .iter()
        .zip(weights)
        .map(|(l, w)| w * (gain * 10f64.powf(l / 20.0)).powi(2) / 2.0)
        .sum();
    LOUDNESS_OFFSET_LU + 10.0 * energy.log10()
}

/// A 1 kHz sine at `dbfs` (peak) for `seconds`, starting at phase 0.
fn tone(rate: f64, dbfs: f64, seconds: f64) -> Vec<f32> {
    let amplitude = 10f64.powf(dbfs / 20.0);
    (0..(seconds * rate).round() as usize)
        .map(|n| (amplitude * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / rate).sin()) as f32)
        .collect()
}

fn silence(rate: f64, seconds: f64) -> Vec<f32> {
    vec![0.0; (seconds * rate).round() as usize]
}

/// Feeds the same signal to every channel in uneven blocks, like a host would.
fn feed(meter: &mut Meter, signal: &[f32]) {
    let channels = meter.config().channels;
    let mut start = 0;
    let mut size = 97;
    while start < signal.len() {
        let end = (start + size).min(signal.len());
        let block: Vec<&[f32]> = (0..channels).map(|_| &signal[start..end]).collect();
        meter.process(&block);
        start = end;
        size = (size * 31 + 7) % 2048 + 1;
    }
}

fn stereo(rate: f64) -> Meter {
    Meter::new(MeterConfig::new(rate, 2)).unwrap()
}

fn assert_near(what: &str, got: Option<f64>, want: f64, tolerance: f64) {
    let got = got.unwrap_or_else(|| panic!("{what}: no value"));
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: {got:.4}, want {want} +-{tolerance}"
    );
}

#[test]
fn case_1_and_2_steady_tones() {
    for rate in RATES {
        for (case, level) in [(1, -23.0), (2, -33.0)] {
            let mut m = stereo(rate);
            feed(&mut m, &tone(rate, level, 20.0));
            let r = m.readings();
            let what = |q: &str| format!("3341 case {case} {q} at {rate}");
            let exact = exact_lufs(rate, &[level, level], &[1.0, 1.0]);
            for (q, value) in [
                ("M", r.momentary_lufs),
                ("S", r.short_term_lufs),
                ("I", r.integrated_lufs),
            ] {
                assert_near(&what(q), value, level, SPEC_LU);
                assert_near(&what(q), value, exact, STEADY_LU);
            }
        }
    }
}

#[test]
fn case_3_4_5_gating() {
    for rate in RATES {
        let mut m = stereo(rate);
        for (level, seconds) in [(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)] {
            feed(&mut m, &tone(rate, level, seconds));
        }
        // Blocks straddling the level changes pass the gate at in-between levels: spec
        // tolerance is 0.1; we read within 0.05 LU (0.011 of it is the filter gain at 96 kHz).
        assert_near(
            &format!("3341 case 3 at {rate}"),
            m.readings().integrated_lufs,
            -23.0,
            0.05,
        );

        let mut m = stereo(rate);
        for (level, seconds) in [
            (-72.0, 10.0),
            (-36.0, 10.0),
            (-23.0, 60.0),
            (-36.0, 10.0),
            (-72.0, 10.0),
        ] {
            feed(&mut m, &tone(rate, level, seconds));
        }
        assert_near(
            &format!("3341 case 4 at {rate}"),
            m.readings().integrated_lufs,
            -23.0,
            0.05,
        );

        let mut m = stereo(rate);
        for (level, seconds) in [(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)] {
            feed(&mut m, &tone(rate, level, seconds));
        }
        // Mixed levels: the gate boundary blocks make this the spec tolerance, not 0.01.
        assert_near(
            &format!("3341 case 5 at {rate}"),
            m.readings().integrated_lufs,
            -23.0,
            SPEC_LU,
        );
    }
}

#[test]
fn case_6_five_channels_with_surround_weights() {
    for rate in RATES {
        let config = MeterConfig::new(rate, 5).with_weights(&[
            1.0,
            1.0,
            1.0,
            WEIGHT_SURROUND,
            WEIGHT_SURROUND,
        ]);
        let mut m = Meter::new(config).unwrap();
        let front = tone(rate, -28.0, 20.0);
        let centre = tone(rate, -24.0, 20.0);
        let surround = tone(rate, -30.0, 20.0);
        m.process(&[&front, &front, &centre, &surround, &surround]);
        let what = format!("3341 case 6 at {rate}");
        let exact = exact_lufs(
            rate,
            &[-28.0, -28.0, -24.0, -30.0, -30.0],
            &[1.0, 1.0, 1.0, WEIGHT_SURROUND, WEIGHT_SURROUND],
        );
        assert_near(&what, m.readings().integrated_lufs, -23.0, SPEC_LU);
        assert_near(&what, m.readings().integrated_lufs, exact, STEADY_LU);
    }
}

/// Which window a burst case reads.
#[derive(Clone, Copy)]
enum Window {
    Momentary,
    ShortTerm,
}

impl Window {
    fn now(self, r: &Readings) -> Option<f64> {
        match self {
            Window::Momentary => r.momentary_lufs,
            Window::ShortTerm => r.short_term_lufs,
        }
    }

    fn max(self, r: &Readings) -> Option<f64> {
        match self {
            Window::Momentary => r.max_momentary_lufs,
            Window::ShortTerm => r.max_short_term_lufs,
        }
    }
}

/// Tech 3341 cases 10/11 (short-term, 3 s bursts) and 13/14 (momentary, 0.4 s bursts):
/// 20 bursts, each starting at a different offset in time, first all at -23 dBFS (the maximum
/// must read -23), then at -38 + i dBFS (each must read its own level).
fn bursts_starting_anywhere(
    cases: (u32, u32),
    window: Window,
    burst_s: f64,
    offset_step_s: f64,
    gap_s: f64,
) {
    for rate in RATES {
        let mut m = stereo(rate);
        for i in 0..20 {
            feed(&mut m, &silence(rate, offset_step_s * i as f64 + 0.0037));
            feed(&mut m, &tone(rate, -23.0, burst_s));
            let what = format!("3341 case {} burst {i} at {rate}", cases.0);
            assert_near(&what, window.now(&m.readings()), -23.0, SPEC_LU);
            feed(&mut m, &silence(rate, 1.0));
        }
        let what = format!("3341 case {} max at {rate}", cases.0);
        assert_near(&what, window.max(&m.readings()), -23.0, SPEC_LU);

        let mut m = stereo(rate);
        for i in 0..20 {
            let level = -38.0 + i as f64;
            feed(&mut m, &silence(rate, gap_s + offset_step_s * i as f64));
            feed(&mut m, &tone(rate, level, burst_s));
            let what = format!("3341 case {} burst {i} at {rate}", cases.1);
            assert_near(&what, window.now(&m.readings()), level, SPEC_LU);
        }
    }
}

#[test]
fn case_10_and_11_short_term_of_bursts_starting_anywhere() {
    bursts_starting_anywhere((10, 11), Window::ShortTerm, 3.0, 0.15, 3.0);
}

#[test]
fn case_13_and_14_momentary_of_bursts_starting_anywhere() {
    bursts_starting_anywhere((13, 14), Window::Momentary, 0.4, 0.02, 1.0);
}

/// Tech 3341 cases 9 (short-term) and 12 (momentary): -20 and -30 dBFS tones alternating
/// with a period equal to the window, so the reading is -23 LUFS at every switch once the
/// window has filled: checked after each loud half from period `loud_from` on and after each
/// quiet half from period `quiet_from` on.
fn alternating_tones(
    case: u32,
    window: Window,
    (loud_s, quiet_s): (f64, f64),
    periods: usize,
    (loud_from, quiet_from): (usize, usize),
) {
    for rate in RATES {
        let mut m = stereo(rate);
        let loud = tone(rate, -20.0, loud_s);
        let quiet = tone(rate, -30.0, quiet_s);
        for period in 0..periods {
            for (signal, from) in [(&loud, loud_from), (&quiet, quiet_from)] {
                feed(&mut m, signal);
                if period >= from {
                    let what = format!("3341 case {case} period {period} at {rate}");
                    assert_near(&what, window.now(&m.readings()), -23.0, SPEC_LU);
                }
            }
        }
    }
}

#[test]
fn case_9_short_term_of_alternating_tones_is_constant() {
    alternating_tones(9, Window::ShortTerm, (1.34, 1.66), 5, (1, 0));
}

#[test]
fn case_12_momentary_of_alternating_tones_is_constant() {
    alternating_tones(12, Window::Momentary, (0.18, 0.22), 25, (3, 3));
}

/// A steady sine at `fraction` of the sample rate with a phase offset, as the true-peak cases
/// define, entering with a 10 ms raised-cosine fade: a tone switched on mid-cycle really does
/// overshoot after reconstruction (by up to +0.35 dB for case 17), which would measure the
/// switch, not the tone.
fn tp_sine(rate: f64, fraction: f64, phase_deg: f64, amplitude: f64) -> Vec<f32> {
    let fade = (0.01 * rate) as usize;
    (0..rate as usize)
        .map(|n| {
            let ramp = if n < fade {
                0.5 - 0.5 * (std::f64::consts::PI * n as f64 / fade as f64).cos()
            } else {
                1.0
            };
            (ramp
                * amplitude
                * (2.0 * std::f64::consts::PI * fraction * n as f64 + phase_deg.to_radians()).sin())
                as f32
        })
        .collect()
}

#[test]
fn case_15_to_19_true_peak() {
    // Tech 3341: true-peak readings within +0.2 / -0.4 dB.
    let cases = [
        (15, 0.25, 0.0, 0.5, -6.0),
        (16, 0.25, 45.0, 0.5, -6.0),
        (17, 1.0 / 6.0, 60.0, 0.5, -6.0),
        (18, 0.125, 67.5, 0.5, -6.0),
        (19, 0.25, 45.0, 1.41, 3.0),
    ];
    for rate in RATES {
        for (case, fraction, phase, amplitude, want) in cases {
            let mut m = stereo(rate);
            feed(&mut m, &tp_sine(rate, fraction, phase, amplitude));
            let got = m.readings().max_true_peak_dbtp.unwrap();
            assert!(
                got <= want + 0.2 && got >= want - 0.4,
                "3341 case {case} at {rate}: {got:.3} dBTP, want {want} +0.2/-0.4"
            );
            // What we reach: the sine's own amplitude within 0.02 dB at every rate (the
            // interpolator before the two-stage one read the 44.1 kHz case 16 0.11 dB low).
            let exact = 20.0 * amplitude.log10();
            assert!(
                (got - exact).abs() <= 0.02,
                "3341 case {case} at {rate}: {got:.3} dBTP, the sine's peak is {exact:.3}"
            );
            for channel in &m.readings().true_peak_dbtp[..2] {
                assert!(channel.unwrap() >= m.readings().sample_peak_dbfs[0].unwrap());
            }
        }
    }
}

#[test]
fn tech_3342_cases_1_to_4_loudness_range() {
    let cases: [(u32, &[f64], f64); 4] = [
        (1, &[-20.0, -30.0], 10.0),
        (2, &[-20.0, -15.0], 5.0),
        (3, &[-40.0, -20.0], 20.0),
        (4, &[-50.0, -35.0, -20.0, -35.0, -50.0], 15.0),
    ];
    for rate in RATES {
        for (case, levels, want) in cases {
            let mut m = stereo(rate);
            for &level in levels {
                feed(&mut m, &tone(rate, level, 20.0));
            }
            // Tech 3342 allows +-1 LU; the histogram reads within its 0.01 LU bins.
            assert_near(
                &format!("3342 case {case} at {rate}"),
                m.readings().loudness_range_lu,
                want,
                0.05,
            );
        }
    }
}

/// A band-limited signal given as a continuous function of time (seconds), normalised so that
/// its continuous-time peak is exactly 1.0 (0 dBTP), then sampled at `rate`.
struct Analytic {
    name: &'static str,
    seconds: f64,
    f: Box<dyn Fn(f64) -> f64>,
}

impl Analytic {
    /// The continuous peak: a dense grid (1 us), then golden-section refinement around the
    /// largest grid points.
    fn continuous_peak(&self) -> (f64, f64) {
        let step = 1e-6;
        let n = (self.seconds / step) as usize;
        let mut candidates: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let t = i as f64 * step;
                ((self.f)(t).abs(), t)
            })
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut best = (0.0f64, 0.0f64);
        for &(_, t0) in candidates.iter().take(16) {
            let (mut a, mut b) = (t0 - step, t0 + step);
            let g = (5f64.sqrt() - 1.0) / 2.0;
            for _ in 0..60 {
                let (c, d) = (b - g * (b - a), a + g * (b - a));
                if (self.f)(c).abs() > (self.f)(d).abs() {
                    b = d;
                } else {
                    a = c;
                }
            }
            let t = (a + b) / 2.0;
            let v = (self.f)(t).abs();
            if v > best.0 {
                best = (v, t);
            }
        }
        best
    }

    /// Sampled at `rate`, scaled to a 0 dBTP continuous peak that falls half-way between two
    /// samples (the worst case for a sample-peak meter).
    fn sampled(&self, rate: f64) -> Vec<f32> {
        let (peak, at) = self.continuous_peak();
        let start = at - ((at * rate).floor() + 0.5) / rate;
        (0..(self.seconds * rate) as usize)
            .map(|i| ((self.f)(start + i as f64 / rate) / peak) as f32)
            .collect()
    }
}

/// Raised-cosine fade in and out over `fade` seconds, so a signal starts and stops smoothly
/// (an abrupt start is not band-limited and would overshoot on its own).
fn envelope(t: f64, seconds: f64, fade: f64) -> f64 {
    let edge = t.min(seconds - t).max(0.0);
    if edge >= fade {
        1.0
    } else {
        0.5 - 0.5 * (std::f64::consts::PI * edge / fade).cos()
    }
}

/// The four stand-ins at `rate` (the periodic ones are locked to the rate, so that every cycle
/// meets the sample grid the same way and the crest stays between samples).
fn true_peak_stand_ins(rate: f64) -> Vec<Analytic> {
    use std::f64::consts::PI;
    // "20": programme-like multitone: 12 partials, amplitudes falling 3 dB per partial,
    // fixed pseudo-random
    // frequencies (55 Hz - 14 kHz) and phases.
    let partials: Vec<(f64, f64, f64)> = (0..12)
        .map(|i| {
            let u = ((i as f64 + 1.0) * 0.618_033_988_75).fract();
            let freq = 55.0 * (14_000.0f64 / 55.0).powf(i as f64 / 11.0) * (1.0 + 0.05 * u);
            (freq, 1.0 / (1.0 + i as f64).sqrt(), 2.0 * PI * u)
        })
        .collect();
    // "22": the first odd harmonics of a square wave with a period of exactly 48 samples at
    // 48 and 44.1 kHz (96 at 96 kHz): the shape of a clipped master, Gibbs overshoot between
    // samples.
    let fundamental = rate / (48.0 * (rate / 48_000.0).round().max(1.0));
    let square: Vec<(f64, f64, f64)> = [1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0]
        .iter()
        .map(|&k| (fundamental * k, 1.0 / k, 0.0))
        .collect();
    // "23": a 60 ms burst at 3/16 of the rate (9 kHz at 48 kHz) whose crests all sit 11.25
    // degrees from the nearest sample.
    let burst_freq = rate * 3.0 / 16.0;
    vec![
        Analytic {
            name: "20 (stand-in: multitone programme)",
            seconds: 2.0,
            f: Box::new(move |t| {
                envelope(t, 2.0, 0.02)
                    * partials
                        .iter()
                        .map(|(f, a, p)| a * (2.0 * PI * f * t + p).sin())
                        .sum::<f64>()
            }),
        },
        Analytic {
            name: "21 (stand-in: band-limited click between two samples)",
            seconds: 0.5,
            f: Box::new(|t| {
                // A Hann-windowed sinc, 16 kHz wide, centred 0.37 of a 48 kHz sample after
                // 0.25 s (between samples at every rate tested).
                let centre = 0.25 + 0.37 / 48_000.0;
                let x = t - centre;
                let width = 0.002;
                if x.abs() >= width {
                    return 0.0;
                }
                let arg = 2.0 * PI * 16_000.0 * x;
                let sinc = if arg == 0.0 { 1.0 } else { arg.sin() / arg };
                sinc * (0.5 + 0.5 * (PI * x / width).cos())
            }),
        },
        Analytic {
            name: "22 (stand-in: square-wave partials)",
            seconds: 1.0,
            f: Box::new(move |t| {
                envelope(t, 1.0, 0.02)
                    * square
                        .iter()
                        .map(|(f, a, p)| a * (2.0 * PI * f * t + p).sin())
                        .sum::<f64>()
            }),
        },
        Analytic {
            name: "23 (stand-in: 3/16-rate tone burst)",
            seconds: 0.5,
            f: Box::new(move |t| {
                envelope(t - 0.2, 0.06, 0.015) * (2.0 * PI * burst_freq * t).sin()
            }),
        },
    ]
}

#[test]
fn case_20_to_23_true_peak_stand_ins_read_0_dbtp() {
    for rate in RATES {
        for signal in true_peak_stand_ins(rate) {
            let x = signal.sampled(rate);
            let mut m = stereo(rate);
            feed(&mut m, &x);
            let r = m.readings();
            let got = r.max_true_peak_dbtp.unwrap();
            let sample_peak = r.sample_peak_dbfs[0].unwrap();
            // The signals really are inter-sample-peak tests: the samples alone under-read.
            assert!(
                sample_peak < -0.01,
                "3341 case {} at {rate}: sample peak {sample_peak:.3} dBFS",
                signal.name
            );
            // Tech 3341: 0.0 dBTP, +0.2 / -0.4 dB.
            assert!(
                (-0.4..=0.2).contains(&got),
                "3341 case {} at {rate}: {got:.3} dBTP (sample peak {sample_peak:.3}), want 0.0 +0.2/-0.4",
                signal.name
            );
            // What we reach: within 0.02 dB (0.000 to +0.006 measured; the interpolator
            // before the two-stage one read down to -0.072).
            assert!(
                got.abs() <= 0.02,
                "3341 case {} at {rate}: {got:.3} dBTP",
                signal.name
            );
            eprintln!(
                "3341 case {} at {rate}: {got:.3} dBTP, sample peak {sample_peak:.3} dBFS",
                signal.name
            );
        }
    }
}
