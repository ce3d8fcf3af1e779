use super::*;
use std::f64::consts::PI;

fn db(x: f32) -> f64 {
    20.0 * (x as f64).log10()
}

/// A sine with a 10 ms raised-cosine fade-in, so the onset's own (real) overshoot does not
/// mask the steady-state gain being measured.
fn sine(rate: f64, freq: f64, phase_deg: f64, amplitude: f64, seconds: f64) -> Vec<f32> {
    let fade = (0.01 * rate) as usize;
    (0..(rate * seconds) as usize)
        .map(|n| {
            let ramp = if n < fade {
                0.5 - 0.5 * (PI * n as f64 / fade as f64).cos()
            } else {
                1.0
            };
            (ramp * amplitude * (2.0 * PI * freq * n as f64 / rate + phase_deg.to_radians()).sin())
                as f32
        })
        .collect()
}

fn whole(rate: f64, x: &[f32]) -> f32 {
    TruePeak::new(rate).process(0, x, 0.0)
}

/// An independent ideal reconstruction: a 1024-tap sinc with a 4-term Blackman-Harris
/// window (sidelobes -92 dB) in f64, evaluated at 64 points per sample interval around the
/// largest samples (every interval with a sample within 12 dB of the sample peak nearby).
fn reference_peak(x: &[f32]) -> f64 {
    const HALF: isize = 512;
    const POINTS: usize = 64;
    let sample_peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
    let mut peak = sample_peak;
    let n = x.len() as isize;
    for m in 0..n - 1 {
        let near = (m - 2..=m + 3)
            .filter(|&k| (0..n).contains(&k))
            .any(|k| (x[k as usize].abs() as f64) > sample_peak / 4.0);
        if !near {
            continue;
        }
        for q in 1..POINTS {
            let t = m as f64 + q as f64 / POINTS as f64;
            let mut y = 0.0;
            for k in (m - HALF + 1).max(0)..(m + HALF + 1).min(n) {
                let d = t - k as f64;
                let r = (d / HALF as f64).clamp(-1.0, 1.0);
                let a = PI * (r + 1.0);
                let w = 0.35875 - 0.48829 * a.cos() + 0.14128 * (2.0 * a).cos()
                    - 0.01168 * (3.0 * a).cos();
                y += x[k as usize] as f64 * (PI * d).sin() / (PI * d) * w;
            }
            peak = peak.max(y.abs());
        }
    }
    peak
}

/// A linear-phase low-pass (a 255-tap Kaiser-windowed sinc in f64) at `cutoff` of the
/// sample rate.
fn low_pass(x: &[f32], cutoff: f64) -> Vec<f32> {
    const HALF: isize = 127;
    let taps: Vec<f64> = (-HALF..=HALF)
        .map(|k| {
            let t = k as f64;
            let s = if k == 0 {
                1.0
            } else {
                (2.0 * PI * cutoff * t).sin() / (PI * t) / (2.0 * cutoff)
            };
            let r = t / (HALF + 1) as f64;
            let w = 0.42 + 0.5 * (PI * r).cos() + 0.08 * (2.0 * PI * r).cos();
            2.0 * cutoff * s * w
        })
        .collect();
    let n = x.len() as isize;
    (0..n)
        .map(|i| {
            let mut y = 0.0;
            for (j, &h) in taps.iter().enumerate() {
                let k = i + j as isize - HALF;
                if (0..n).contains(&k) {
                    y += h * x[k as usize] as f64;
                }
            }
            y as f32
        })
        .collect()
}

/// Deterministic uniform noise in [-0.5, 0.5).
fn noise(len: usize, mut seed: u64) -> Vec<f32> {
    (0..len)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        })
        .collect()
}

#[test]
fn screen_reaches_192_khz_with_at_least_four_phases() {
    assert_eq!(factor_for_rate(44_100.0), 5);
    assert_eq!(factor_for_rate(48_000.0), 4);
    assert_eq!(factor_for_rate(88_200.0), 4);
    assert_eq!(factor_for_rate(96_000.0), 4);
    assert_eq!(factor_for_rate(192_000.0), 4);
    assert_eq!(factor_for_rate(384_000.0), 4);
    assert_eq!(factor_for_rate(8_000.0), 24);
    for rate in [8_000.0, 22_050.0, 32_000.0, 44_100.0, 48_000.0, 96_000.0] {
        assert!(rate * factor_for_rate(rate) as f64 >= MIN_OVERSAMPLED_RATE_HZ);
    }
}

#[test]
fn fs4_sine_at_45_degrees_reads_3_db_over_its_samples() {
    for rate in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        let x = sine(rate, rate / 4.0, 45.0, 0.5, 0.5);
        let sample_peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((db(sample_peak) - (-9.03)).abs() < 0.01);
        let peak = whole(rate, &x);
        assert!(
            (db(peak) - (-6.02)).abs() < 0.01,
            "{rate}: {} dBTP",
            db(peak)
        );
    }
}

/// Steady sines from 100 Hz to 0.46 fs at every rate class read their amplitude within
/// 0.05 dB, never more than 0.01 dB over it (the old 16-tap interpolator read -4.7 dB at
/// 0.46 fs in the middle of a sample interval).
#[test]
fn sines_up_to_046_fs_read_their_amplitude() {
    for rate in [8_000.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0, 384_000.0] {
        for fraction in [0.002, 0.1, 0.23, 0.3, 0.4, 0.43, 0.45, ACCURATE_UP_TO_FS] {
            for phase in [0.0, 33.0, 90.0] {
                let x = sine(rate, rate * fraction, phase, 0.5, 0.3);
                let error = db(whole(rate, &x)) - db(0.5);
                assert!(
                    (-0.05..=0.01).contains(&error),
                    "{rate} Hz, {fraction} fs, {phase} deg: {error:+.3} dB"
                );
            }
        }
    }
}

/// The worst cases near Nyquist: isolated band-limited pulses (every component up to
/// 0.46 fs in phase at one instant) at fractional positions across a sample interval,
/// against the independent reconstruction. Within 0.1 dB, never 0.01 dB over.
#[test]
fn band_limited_pulses_at_any_position_are_read_within_a_tenth_of_a_db() {
    for rate in [44_100.0, 48_000.0, 96_000.0] {
        for step in 0..8 {
            let centre = 300.0 + step as f64 / 8.0;
            let x: Vec<f32> = (0..600)
                .map(|n| {
                    let t = n as f64 - centre;
                    // A sinc low-passed at 0.46 fs, shaped by a wide Hann window.
                    let lp = 2.0 * ACCURATE_UP_TO_FS;
                    let s = if t == 0.0 {
                        1.0
                    } else {
                        (PI * lp * t).sin() / (PI * lp * t)
                    };
                    let w = 0.5 + 0.5 * (PI * t / 300.0).cos();
                    (0.8 * s * w) as f32
                })
                .collect();
            let reference = reference_peak(&x);
            let ours = whole(rate, &x) as f64;
            let error = 20.0 * (ours / reference).log10();
            assert!(
                (-0.1..=0.01).contains(&error),
                "{rate} Hz, pulse at {centre}: ours {ours} reference {reference} ({error:+.3} dB)"
            );
        }
    }
}

/// Hard-clipped material (noise with a falling spectrum, like music, driven 12 dB into
/// the clip point: the clip spreads harmonics up to Nyquist), then band-limited to
/// 0.46 fs as an encoder or a sample-rate converter would, where the old interpolator
/// under-read by 0.2-0.8 dB: within 0.1 dB of the independent reconstruction. (Clipped
/// audio that is not band-limited has content at Nyquist itself, where no finite
/// reconstruction filter agrees with another to 0.1 dB; the real-recordings tier compares
/// such files with a 16x soxr reconstruction.)
#[test]
fn hard_clipped_noise_is_read_within_a_tenth_of_a_db() {
    for (rate, seed) in [(44_100.0, 3), (48_000.0, 5), (96_000.0, 7)] {
        let mut state = 0.0f32;
        let x: Vec<f32> = noise(3_000, seed)
            .iter()
            .map(|v| {
                // A leaky integrator: -6 dB per octave above about 700 Hz at 44.1 kHz.
                state = 0.9 * state + v;
                (state * 4.0).clamp(-0.5, 0.5)
            })
            .collect();
        let x = low_pass(&x, ACCURATE_UP_TO_FS);
        let reference = reference_peak(&x);
        let ours = whole(rate, &x) as f64;
        let error = 20.0 * (ours / reference).log10();
        assert!(
            (-0.1..=0.05).contains(&error),
            "{rate}: ours {ours} reference {reference} ({error:+.3} dB)"
        );
    }
}

#[test]
fn impulse_response_peaks_at_the_impulse_and_is_reported_with_the_documented_latency() {
    let mut x = vec![0.0f32; 2 * LATENCY_SAMPLES + 64];
    x[10] = 1.0;
    // The impulse itself is the peak; nothing larger rings out around it.
    assert_eq!(whole(48_000.0, &x), 1.0);
    // Fed one sample at a time, the interval that ends at the impulse is measured
    // LATENCY_SAMPLES - 1 samples after it (the impulse sample itself counts at once).
    let mut tp = TruePeak::new(48_000.0);
    let reports: Vec<usize> = x
        .iter()
        .enumerate()
        .filter(|&(_, &v)| tp.process(0, &[v], 0.0) > 0.5)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        reports,
        vec![10, 10 + LATENCY_SAMPLES - 1, 10 + LATENCY_SAMPLES]
    );
}

#[test]
fn never_below_sample_peak_and_chunking_does_not_matter() {
    let x = noise(5000, 1);
    let whole_peak = whole(44_100.0, &x);
    let mut tp = TruePeak::new(44_100.0);
    let mut split = 0.0f32;
    for piece in x.chunks(77) {
        split = split.max(tp.process(1, piece, 0.0));
    }
    assert!(
        (whole_peak - split).abs() <= 1e-6 * whole_peak,
        "{whole_peak} {split}"
    );
    let sample_peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(whole_peak >= sample_peak);
}

/// Refinement happens only where a new maximum is possible: nothing is refined in audio
/// more than the margin below the floor, and on a steady tone only the first crests are.
#[test]
fn refines_only_where_a_new_maximum_is_possible() {
    let rate = 48_000.0;
    let x = sine(rate, 997.0, 0.0, 0.25, 1.0);
    let mut tp = TruePeak::new(rate);
    let below = tp.process(0, &x, 0.5);
    assert!((db(below) - db(0.25)).abs() < 0.6, "{}", db(below));
    assert_eq!(tp.refined_intervals(), 0);
    // With the floor carried from call to call, a steady 1 kHz sine refines only the
    // intervals at its crests: the screen is allowed 0.1 x its second difference (0.17 %
    // of the amplitude), which |sin| exceeds within 3.3 degrees of a crest (3.7 % of the
    // time), plus the interval reaching into each crest (two a period, 4.2 %).
    let mut tp = TruePeak::new(rate);
    let mut floor = 0.0f32;
    for piece in x.chunks(240) {
        floor = floor.max(tp.process(0, piece, floor));
    }
    assert!((db(floor) - db(0.25)).abs() < 0.01);
    let fraction = tp.refined_intervals() as f64 / x.len() as f64;
    assert!(
        (0.02..0.10).contains(&fraction),
        "refined {:.1} % of intervals",
        100.0 * fraction
    );
}

/// The portable kernel and every vector kernel this CPU runs agree for every screening factor.
#[test]
fn portable_and_simd_kernels_agree() {
    let vector: Vec<Kernel> = [Kernel::avx2_fma(), Kernel::avx512()]
        .into_iter()
        .flatten()
        .collect();
    for rate in [
        8_000.0, 22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0,
    ] {
        for x in [sine(rate, rate * 0.23, 30.0, 0.8, 0.2), noise(4_000, 9)] {
            for &kernel in &vector {
                let mut portable = TruePeak::with_kernel(rate, Kernel::PORTABLE);
                let mut simd = TruePeak::with_kernel(rate, kernel);
                for piece in x.chunks(100) {
                    let a = portable.process(0, piece, 0.0);
                    let b = simd.process(0, piece, 0.0);
                    // FMA rounds once per tap instead of twice.
                    assert!(
                        (a - b).abs() <= 1e-5,
                        "{rate} {}: {a} vs {b}",
                        kernel.name()
                    );
                }
            }
        }
    }
}

/// The AVX-512 screen does per lane exactly what the AVX2 one does, so the two store the same
/// bits for every interval, at every rate, on chunks with and without a remainder past the
/// last whole sixteen or eight.
#[cfg(all(target_arch = "x86_64", mixmeter_avx512))]
#[test]
fn avx512_and_avx2_screens_store_the_same_bits() {
    if Kernel::avx512().is_none() {
        eprintln!("skipped: this CPU has no AVX-512F");
        return;
    }
    for rate in [
        8_000.0, 22_050.0, 32_000.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0,
    ] {
        let phases = ScreenPhases::new(factor_for_rate(rate));
        for n in [1, 8, 16, 24, 77, 120, CHUNK] {
            let window = noise(HISTORY + n, 3 + n as u64);
            let mut out = [
                (vec![0.0f32; n], vec![0.0f32; n]),
                (vec![0.0f32; n], vec![0.0f32; n]),
            ];
            let [(e8, b8), (e16, b16)] = &mut out;
            // SAFETY: `avx512` is only `Some` on a CPU with AVX2, FMA and AVX-512F.
            let (s8, s16) = unsafe {
                (
                    screen_avx2(&window, e8, b8, &phases),
                    screen_avx512(&window, e16, b16, &phases),
                )
            };
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(e8), bits(e16), "{rate} Hz, {n}: estimates");
            assert_eq!(bits(b8), bits(b16), "{rate} Hz, {n}: bounds");
            assert_eq!(s8.largest_bound, s16.largest_bound, "{rate} Hz, {n}");
            assert_eq!(s8.largest_estimate, s16.largest_estimate, "{rate} Hz, {n}");
            assert_eq!(s8.sample_peak, s16.sample_peak, "{rate} Hz, {n}");
        }
    }
}

/// Pushed in small, uneven blocks and flushed at the end of each run (as the meter does at
/// each fragment's end), the detector reads every run exactly as processing the run whole
/// does, across its buffer's wrap-arounds, and the overall maximum is the whole signal's.
#[test]
fn pushing_blocks_and_flushing_reads_what_processing_whole_runs_reads() {
    let x = noise(20_000, 7);
    let mut whole_runs = TruePeak::new(192_000.0);
    let mut pushed = TruePeak::new(192_000.0);
    let (mut start, mut run, mut block) = (0, 961, 1);
    let mut overall = 0.0f32;
    while start < x.len() {
        let end = (start + run).min(x.len());
        let expected = whole_runs.process(3, &x[start..end], 0.0);
        let mut got = 0.0f32;
        for piece in x[start..end].chunks(block) {
            // The floor a caller passes: what it has read of the run so far.
            got = got.max(pushed.push(3, piece, got));
            block = (block * 5 + 3) % 97 + 1;
        }
        got = got.max(pushed.flush(3, got));
        assert_eq!(got.to_bits(), expected.to_bits(), "run at {start}");
        overall = overall.max(got);
        start = end;
        run = (run * 7 + 11) % 1200 + 1;
    }
    let whole_peak = whole(192_000.0, &x);
    assert!(
        (whole_peak - overall).abs() <= 1e-6 * whole_peak,
        "{whole_peak} {overall}"
    );
    assert_eq!(pushed.flush(3, 0.0), 0.0, "nothing left waiting");
}

/// Every interval's bound, as both screens store it, is its estimate plus the allowance of
/// its curvature, at every rate (one screening pass or several), on chunks with and without a
/// remainder of intervals past the last whole eight or sixteen.
#[test]
fn screens_store_each_intervals_estimate_plus_allowance() {
    for rate in [8_000.0, 22_050.0, 32_000.0, 44_100.0, 48_000.0, 192_000.0] {
        let phases = ScreenPhases::new(factor_for_rate(rate));
        for n in [1, 8, 16, 77, CHUNK] {
            let window = noise(HISTORY + n, n as u64);
            let centre = REFINE_TAPS / 2 - 1;
            let mut kernels = vec![Kernel::PORTABLE];
            kernels.extend(Kernel::avx2_fma());
            kernels.extend(Kernel::avx512());
            for kernel in kernels {
                let (mut estimate, mut bound) = (vec![0.0f32; n], vec![0.0f32; n]);
                let stats = match kernel.variant() {
                    Variant::Portable => {
                        screen_portable(&window, &mut estimate, &mut bound, &phases)
                    }
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: `avx2_fma` is only `Some` on a CPU with AVX2 and FMA.
                    Variant::Avx2Fma => unsafe {
                        screen_avx2(&window, &mut estimate, &mut bound, &phases)
                    },
                    #[cfg(all(target_arch = "x86_64", mixmeter_avx512))]
                    // SAFETY: `avx512` is only `Some` on a CPU with AVX2, FMA and AVX-512F.
                    Variant::Avx512 => unsafe {
                        screen_avx512(&window, &mut estimate, &mut bound, &phases)
                    },
                    // `avx512` is `None` in a build without the AVX-512 screen.
                    #[cfg(all(target_arch = "x86_64", not(mixmeter_avx512)))]
                    Variant::Avx512 => continue,
                };
                let mut largest = 0.0f32;
                for i in 0..n {
                    let k = centre + i;
                    let allowance = SCREEN_ALLOWANCE_PER_CURVATURE
                        * curvature(window[k - 1], window[k], window[k + 1], window[k + 2]);
                    assert!(allowance > 0.0);
                    assert_eq!(bound[i], estimate[i] + allowance, "{rate} Hz, {n}, {i}");
                    largest = largest.max(bound[i]);
                }
                assert_eq!(stats.largest_bound, largest, "{rate} Hz, {n}");
            }
        }
    }
}
