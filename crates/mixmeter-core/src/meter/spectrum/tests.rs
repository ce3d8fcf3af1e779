//! The analyzer against exact FFTs, white and pink noise, tones, block sizes and kernels.

use super::*;
use crate::smoothing::{LogSmoother, log_grid, power_to_db, tilt_db};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use realfft::RealFftPlanner;

/// The AVX2/FMA loops and the portable ones give the same long-term spectrum and stereo
/// image within float rounding (FMA rounds once per multiply-add), on noise in both
/// channels, at rates whose long-term sizes are 8192, 16384 and 32768 (in four blocks).
#[cfg(target_arch = "x86_64")]
#[test]
fn the_avx2_loops_match_the_portable_ones() {
    if Kernel::detect() == Kernel::PORTABLE {
        return;
    }
    for rate in [48_000.0, 96_000.0, 192_000.0] {
        let mut rng = StdRng::seed_from_u64(7);
        let left: Vec<f32> = (0..200_000).map(|_| rng.random_range(-0.5..0.5)).collect();
        let right: Vec<f32> = left
            .iter()
            .map(|&l| 0.6 * l + rng.random_range(-0.2..0.2))
            .collect();
        let run = |kernel: Kernel| {
            let mut a = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
            a.set_kernel(kernel);
            for (l, r) in left.chunks(333).zip(right.chunks(333)) {
                a.process(&[l, r]);
            }
            a.flush();
            let power = a.long_term().to_owned().power;
            let bands = a.stereo_bands().unwrap().whole_window();
            (power, bands)
        };
        let (fast, fast_bands) = run(Kernel::avx2_fma().unwrap());
        let (portable, portable_bands) = run(Kernel::PORTABLE);
        assert_eq!(fast.len(), portable.len());
        for (k, (a, b)) in fast.iter().zip(&portable).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * b.abs() + 1e-12,
                "{rate} bin {k}: {a} {b}"
            );
        }
        assert_eq!(format!("{fast_bands:.4?}"), format!("{portable_bands:.4?}"));
    }
}

fn sine(rate: f64, hz: f64, amplitude: f32, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| amplitude * (2.0 * std::f64::consts::PI * hz * i as f64 / rate).sin() as f32)
        .collect()
}

/// Exactly pink noise (power ∝ 1/f at every bin of one long transform, random phases),
/// periodic with `len` samples, scaled to an RMS of `rms`.
pub(crate) fn pink_noise(len: usize, seed: u64, rms: f64) -> Vec<f32> {
    shaped_pink_noise(48_000.0, len, seed, rms, None)
}

/// [`pink_noise`] with `boost` = (low Hz, high Hz, dB) applied exactly between those
/// frequencies at `rate` (the RMS is that of the shaped signal).
pub(crate) fn shaped_pink_noise(
    rate: f64,
    len: usize,
    seed: u64,
    rms: f64,
    boost: Option<(f64, f64, f64)>,
) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut planner = RealFftPlanner::<f64>::new();
    let inverse = planner.plan_fft_inverse(len);
    let mut spectrum = inverse.make_input_vec();
    for (k, x) in spectrum.iter_mut().enumerate() {
        if k == 0 || k == len / 2 {
            continue;
        }
        let hz = k as f64 * rate / len as f64;
        let mut magnitude = 1.0 / (k as f64).sqrt();
        if let Some((low, high, db)) = boost
            && hz >= low
            && hz < high
        {
            magnitude *= 10f64.powf(db / 20.0);
        }
        let phase = rng.random::<f64>() * 2.0 * std::f64::consts::PI;
        *x = Complex::from_polar(magnitude, phase);
    }
    let mut out = inverse.make_output_vec();
    inverse.process(&mut spectrum, &mut out).unwrap();
    let mean_square = out.iter().map(|x| x * x).sum::<f64>() / len as f64;
    let gain = rms / mean_square.sqrt();
    out.iter().map(|x| (x * gain) as f32).collect()
}

#[test]
fn sizes_and_grids() {
    assert_eq!(long_term_fft_size(44_100.0), 8192);
    assert_eq!(long_term_fft_size(48_000.0), 8192);
    assert_eq!(long_term_fft_size(96_000.0), 16384);
    assert_eq!(long_term_fft_size(192_000.0), 32768);
    assert_eq!(long_term_fft_size(384_000.0), 32768);
    assert_eq!(nearest_fft_size(5000), 4096);
    assert_eq!(nearest_fft_size(1), 2048);
    let grid = log_grid(3, 20.0, 20_000.0);
    assert_eq!(grid.len(), 29); // 25 Hz to 16 kHz, the ISO third-octave centres
    assert!((grid[0] - 1000.0 * 2f64.powf(-16.0 / 3.0)).abs() < 1e-9);
    assert!(grid.contains(&1000.0));
    assert!((tilt_db(2000.0, 3.0) - 3.0).abs() < 1e-12);
    assert!((tilt_db(250.0, 4.5) + 9.0).abs() < 1e-12);
}

#[test]
fn bin_centred_sine_reads_its_level() {
    // 192 kHz: 32768-point frames in four blocks, most of them wrapping round the ring.
    for &rate in &[44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        let size = long_term_fft_size(rate);
        let bin = 200;
        let hz = bin as f64 * rate / size as f64;
        let signal = sine(rate, hz, 0.5, (rate * 3.0) as usize);
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
        analyzer.set_display_size(Some(4096));
        analyzer.process(&[&signal, &signal]);
        let lt = analyzer.long_term();
        assert!(lt.frames > 10);
        let db = power_to_db(lt.mean_power(bin));
        assert!((db - (-6.0206)).abs() < 0.01, "{rate}: {db}");
        let neighbour = power_to_db(lt.mean_power(bin + 1));
        assert!((neighbour - db + 6.02).abs() < 0.05, "{rate}: {neighbour}");
        assert!(power_to_db(lt.mean_power(bin + 3)) < db - 60.0);
        // The display frame at another size reads the same level.
        let display_bin = bin * 4096 / size;
        let (frame, _) = analyzer.display_frame().unwrap();
        let db = power_to_db(frame[display_bin] as f64);
        assert!((db - (-6.0206)).abs() < 0.01, "display {rate}: {db}");
    }
}

#[test]
fn pink_noise_reads_flat_with_a_three_db_tilt() {
    let rate = 48_000.0;
    let noise = pink_noise(1 << 21, 7, 0.1);
    let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
    analyzer.process(&[&noise]);
    let spectrum = analyzer.long_term().to_owned();
    let centres = log_grid(3, 40.0, 16_000.0);
    let mut smoothed = vec![0.0; centres.len()];
    LogSmoother::default().smooth(
        &spectrum.power,
        spectrum.bin_hz,
        &centres,
        3.0,
        &mut smoothed,
    );
    let tilted: Vec<f64> = centres
        .iter()
        .zip(&smoothed)
        .map(|(&f, &p)| power_to_db(p) + tilt_db(f, 3.0))
        .collect();
    let mean = tilted.iter().sum::<f64>() / tilted.len() as f64;
    for (f, db) in centres.iter().zip(&tilted) {
        assert!((db - mean).abs() < 0.75, "{f} Hz: {db} vs {mean}");
    }
    // Untilted, the slope is -3 dB per octave (least squares over the same bands).
    let xs: Vec<f64> = centres.iter().map(|f| f.log2()).collect();
    let ys: Vec<f64> = smoothed.iter().map(|&p| power_to_db(p)).collect();
    let (mx, my) = (
        xs.iter().sum::<f64>() / xs.len() as f64,
        ys.iter().sum::<f64>() / ys.len() as f64,
    );
    let slope = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum::<f64>()
        / xs.iter().map(|x| (x - mx) * (x - mx)).sum::<f64>();
    assert!((slope + 3.0).abs() < 0.1, "slope {slope}");
}

#[test]
fn block_sizes_do_not_change_a_bit() {
    // 192 kHz: the 32768-point frames in four blocks, displayed too.
    for (rate, display) in [(44_100.0, 2048), (192_000.0, 32768)] {
        block_sizes_do_not_change_a_bit_at(rate, display);
    }
}

fn block_sizes_do_not_change_a_bit_at(rate: f64, display: usize) {
    let mut rng = StdRng::seed_from_u64(3);
    let left: Vec<f32> = (0..200_000).map(|_| rng.random_range(-0.5..0.5)).collect();
    let right: Vec<f32> = (0..200_000).map(|_| rng.random_range(-0.3..0.3)).collect();
    let mut whole = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
    whole.set_display_size(Some(display));
    whole.process(&[&left, &right]);
    let mut split = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
    split.set_display_size(Some(display));
    let mut position = 0;
    while position < left.len() {
        let n = rng.random_range(0..3000).min(left.len() - position);
        split.process(&[
            &left[position..position + n],
            &right[position..position + n],
        ]);
        position += n;
    }
    whole.flush();
    split.flush();
    let (a, b) = (whole.long_term(), split.long_term());
    assert_eq!(a.frames, b.frames);
    assert!(a.frames > 0);
    for k in 0..a.bins() {
        assert_eq!(
            a.mean_power(k).to_bits(),
            b.mean_power(k).to_bits(),
            "bin {k}"
        );
    }
    assert_eq!(
        whole.display_frame().unwrap().1,
        split.display_frame().unwrap().1
    );
}

#[test]
fn follows_pause_and_reset_and_survives_bad_samples() {
    let rate = 48_000.0;
    let tone = sine(rate, 1000.0, 0.5, 48_000);
    let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
    analyzer.process(&[&tone]);
    analyzer.flush();
    let frames = analyzer.long_term().frames;
    assert!(frames >= 10);
    analyzer.set_running(false);
    analyzer.process(&[&tone]);
    assert_eq!(analyzer.long_term().frames, frames, "paused: nothing added");
    analyzer.set_running(true);
    analyzer.reset();
    assert_eq!(analyzer.long_term().frames, 0);
    assert_eq!(analyzer.long_term().mean_power(100), 0.0);
    let bad = vec![f32::NAN, f32::INFINITY, -f32::INFINITY, 1e30, -1e30, 1e-42];
    let mut hostile: Vec<f32> = Vec::new();
    for _ in 0..20_000 {
        hostile.extend_from_slice(&bad);
    }
    analyzer.process(&[&hostile]);
    let lt = analyzer.long_term();
    assert!(lt.frames > 0);
    assert!((0..lt.bins()).all(|k| lt.mean_power(k).is_finite()));
}

#[test]
fn display_frames_only_while_a_size_is_set() {
    let rate = 48_000.0;
    let tone = sine(rate, 1000.0, 0.5, 48_000);
    let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
    analyzer.process(&[&tone, &tone]);
    assert!(analyzer.display_frame().is_none());
    analyzer.set_display_size(Some(32768));
    assert_eq!(analyzer.display_size(), Some(32768));
    for chunk in tone.chunks(480) {
        analyzer.process(&[chunk, chunk]);
    }
    let (frame, count) = analyzer.display_frame().unwrap();
    assert_eq!(frame.len(), 16385);
    // 1 s at 30 frames per second (hop 1600 samples), the last frame may still be pending.
    assert!((29..=31).contains(&count), "{count}");
    // Small frames: 60 per second at most (hop 800 rather than 2048 / 4 = 512).
    analyzer.set_display_size(Some(2048));
    for chunk in tone.chunks(480) {
        analyzer.process(&[chunk, chunk]);
    }
    let (_, total) = analyzer.display_frame().unwrap();
    let small = total - count;
    assert!((58..=60).contains(&small), "{small}");
    assert!(analyzer.display_peak().iter().all(|&p| p >= 0.0));
    analyzer.clear_display_peak();
    assert!(analyzer.display_peak().iter().all(|&p| p == 0.0));
    analyzer.set_display_size(None);
    assert!(analyzer.display_frame().is_none());
}

/// The 32768-point frame is cut in four blocks at 88.2 kHz and up and in eight at 176.4 kHz
/// and up, where a call's deadline is short, so that no step is the whole N/4-point FFT (or
/// the N/8-point one); below, in two (fewer steps, which a display frame at 44.1 kHz needs).
/// Every frame's steps still fit between two display frames of the largest size in 64-frame
/// calls, so none is finished in one call.
#[test]
fn large_frames_are_cut_in_more_blocks_only_at_high_rates() {
    let join = |level, pair, part| Step::JoinBlocks { level, pair, part };
    for (rate, blocks) in [
        (44_100.0, 2),
        (48_000.0, 2),
        (88_200.0, 4),
        (96_000.0, 4),
        (176_400.0, 8),
        (192_000.0, 8),
    ] {
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
        let plan = &analyzer.plans[FFT_SIZES.len() - 1];
        assert_eq!(plan.blocks(), blocks, "{rate}");
        let steps: Vec<Step> = (0..plan.steps()).map(|i| plan.step(i)).collect();
        let expected: Vec<Step> = match blocks {
            2 => vec![
                Step::Pack(0),
                Step::Fft(0),
                Step::Fft(1),
                Step::Join(0),
                Step::Split(0),
                Step::Split(1),
                Step::Power(0),
            ],
            4 => [Step::Pack(0), Step::Pack(1)]
                .into_iter()
                .chain((0..4).map(Step::Fft))
                .chain([join(0, 0, 0), join(0, 1, 0)])
                .chain([Step::Join(0), Step::Join(1)])
                .chain([Step::Split(0), Step::Split(1), Step::Power(0)])
                .collect(),
            // Every join step at most one block's butterflies: the second level's pairs
            // in two parts each; the split in four, the power in two, the stereo sums apart.
            _ => (0..4)
                .map(Step::Pack)
                .chain((0..8).map(Step::Fft))
                .chain([join(0, 0, 0), join(0, 1, 0), join(0, 2, 0), join(0, 3, 0)])
                .chain([join(1, 0, 0), join(1, 0, 1), join(1, 1, 0), join(1, 1, 1)])
                .chain((0..4).map(Step::Join))
                .chain((0..4).map(Step::Split))
                .chain([Step::Power(0), Step::Power(1), Step::Stereo])
                .collect(),
        };
        assert_eq!(steps, expected, "{rate}");
        for p in &analyzer.plans[..FFT_SIZES.len() - 1] {
            assert!(!p.joins_blocks());
            // Up to 8192 points one block: windowing, the N/2-point FFT, split, power.
            let one = p.size <= split_fft::ONE_BLOCK_MAX_SIZE;
            assert_eq!(p.one_block(), one, "{rate} {}", p.size);
            if one {
                let steps: Vec<Step> = (0..p.steps()).map(|i| p.step(i)).collect();
                let expected = [
                    Step::Pack(0),
                    Step::Fft(0),
                    Step::Split(0),
                    Step::Split(1),
                    Step::Power(0),
                ];
                assert_eq!(steps, expected, "{rate} {}", p.size);
            }
        }
        // 64-frame calls, each running a step of each analysis with a frame pending: every
        // frame's steps fit before the same analysis's next frame.
        analyzer.set_display_size(Some(MAX_FFT_SIZE));
        for (long_term, hop) in [
            (false, analyzer.display.hop),
            (true, analyzer.long_term.hop),
        ] {
            let (steps, calls) = (analyzer.steps(long_term), hop / 64);
            assert!(steps < calls, "{rate}: {steps} steps in {calls} calls");
        }
        // And so, over five seconds of 64-frame calls, no frame is ever finished in one call.
        let block = vec![0.25f32; 64];
        for _ in 0..(5.0 * rate) as usize / 64 {
            analyzer.process(&[&block, &block]);
        }
        assert!(analyzer.display.finished > 100, "{rate}");
        assert_eq!(analyzer.rushed, 0, "{rate}");
    }
}

/// Every frame size, packed as the analyzer packs it and in each other layout (one, two, four
/// and eight blocks), against `realfft` on the same windowed samples.
#[test]
fn the_split_transform_is_the_real_fft() {
    let mut rng = StdRng::seed_from_u64(17);
    // Rates at which the long-term average uses each size.
    for ((size, rate), blocks) in FFT_SIZES
        .into_iter()
        .zip([8_000.0, 16_000.0, 48_000.0, 96_000.0, 192_000.0])
        .flat_map(|sr| [None, Some(1), Some(2), Some(4), Some(8)].map(|b| (sr, b)))
    {
        let signal: Vec<f32> = (0..size).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
        assert_eq!(long_term_fft_size(rate), size);
        if let Some(blocks) = blocks {
            let mut planner = split_fft::complex_planner(analyzer.kernel);
            let plan = split_fft::Plan::with_blocks(size, blocks, &mut planner);
            let scratch = plan.scratch_len().max(analyzer.scratch.len());
            analyzer.scratch = vec![Complex::default(); scratch].into_boxed_slice();
            analyzer.long_term.quarters = vec![Complex::default(); size / 2].into_boxed_slice();
            analyzer.plans[analyzer.long_term.plan] = plan;
            // No frame pending (`new` counted the old plan's steps).
            analyzer.long_term.next = usize::MAX;
        }
        // Exactly one long-term frame: the whole signal, taken and finished.
        analyzer.process(&[&signal]);
        analyzer.flush();
        let long_term = analyzer.long_term();
        assert_eq!(long_term.frames, 1);
        // The reference: realfft on the same windowed samples, same scaling.
        let plan = &analyzer.plans[analyzer.long_term.plan];
        let mut windowed: Vec<f32> = signal
            .iter()
            .zip(plan.window.iter())
            .map(|(x, w)| x * w)
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        let mut out = fft.make_output_vec();
        fft.process(&mut windowed, &mut out).unwrap();
        let expected: Vec<f64> = out
            .iter()
            .enumerate()
            .map(|(k, x)| (x.norm_sqr() * plan.scale[k]) as f64)
            .collect();
        let loudest = expected.iter().copied().fold(0.0f64, f64::max);
        for (k, &e) in expected.iter().enumerate() {
            let got = long_term.mean_power(k);
            assert!(
                (got - e).abs() <= 1e-4 * loudest,
                "{size} ({blocks:?} blocks): bin {k}: {got} vs {e}"
            );
        }
    }
}

#[test]
fn smoothing_is_a_band_mean() {
    let power = [1.0f64, 1.0, 4.0, 4.0, 4.0, 4.0, 1.0, 1.0];
    let mut smoother = LogSmoother::default();
    let mut out = [0.0; 2];
    // Bins 2..=5 exactly (edges at 1.5 and 5.5 bins).
    smoother.band_means(&power, 1.0, &[1.5, 5.5, 7.5], &mut out);
    assert_eq!(out, [4.0, 1.0]);
    // Narrower than a bin: that bin.
    smoother.smooth(&power, 1.0, &[3.0], 1000.0, &mut out[..1]);
    assert_eq!(out[0], 4.0);
    // Half a bin each side of the 1.5-bin edge.
    smoother.band_means(&power, 1.0, &[1.0, 2.0], &mut out[..1]);
    assert_eq!(out[0], 2.5);
}

#[test]
fn rejects_what_it_cannot_analyse() {
    assert!(matches!(
        SpectrumAnalyzer::new(4_000.0, &[1.0]),
        Err(SpectrumError::SampleRate(_))
    ));
    assert!(matches!(
        SpectrumAnalyzer::new(48_000.0, &[]),
        Err(SpectrumError::Channels(0))
    ));
    assert!(matches!(
        SpectrumAnalyzer::new(48_000.0, &[0.0, 0.0]),
        Err(SpectrumError::Weights)
    ));
    assert!(matches!(
        SpectrumAnalyzer::new(48_000.0, &[f64::NAN]),
        Err(SpectrumError::Weights)
    ));
    // An LFE channel (weight 0) is left out.
    let analyzer = SpectrumAnalyzer::new(48_000.0, &[1.0, 1.0, 1.0, 0.0, 1.41, 1.41]).unwrap();
    assert_eq!(analyzer.active_count, 5);
}

/// At 192 kHz the long-term frames are packed in eight blocks, the stereo sums in a step of
/// their own: the average and the stereo image are those of the four-block layout within float
/// rounding, on correlated noise fed in calls of 64 frames.
#[test]
fn eight_blocks_give_the_four_block_spectrum_and_stereo_image() {
    let rate = 192_000.0;
    let mut rng = StdRng::seed_from_u64(23);
    let left: Vec<f32> = (0..300_000).map(|_| rng.random_range(-0.5..0.5)).collect();
    let right: Vec<f32> = left
        .iter()
        .map(|&l| 0.7 * l + rng.random_range(-0.2..0.2))
        .collect();
    let run = |blocks: Option<usize>| {
        let mut a = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
        assert_eq!(a.plans[a.long_term.plan].blocks(), 8);
        if let Some(blocks) = blocks {
            let mut planner = split_fft::complex_planner(a.kernel);
            let plan = split_fft::Plan::with_blocks(MAX_FFT_SIZE, blocks, &mut planner);
            let scratch = plan.scratch_len().max(a.scratch.len());
            a.scratch = vec![Complex::default(); scratch].into_boxed_slice();
            a.plans[a.long_term.plan] = plan;
            a.long_term.next = usize::MAX;
        }
        for (l, r) in left.chunks(64).zip(right.chunks(64)) {
            a.process(&[l, r]);
        }
        a.flush();
        let frames = a.long_term().frames;
        let power = a.long_term().to_owned().power;
        let bands = a.stereo_bands().unwrap().whole_window();
        (power, frames, bands)
    };
    let (eight, eight_frames, eight_bands) = run(None);
    let (four, four_frames, four_bands) = run(Some(4));
    assert_eq!(eight_frames, four_frames);
    assert!(eight_frames >= 15, "{eight_frames}");
    for (k, (a, b)) in eight.iter().zip(&four).enumerate() {
        assert!((a - b).abs() <= 1e-4 * b.abs() + 1e-12, "bin {k}: {a} {b}");
    }
    assert_eq!(format!("{eight_bands:.4?}"), format!("{four_bands:.4?}"));
}

/// A long-term frame of 32768 points at 192 kHz is added to the average in four steps, a
/// quarter of the bins each; the average read after every call divides each bin by the frames
/// it holds. Every frame of a sine whose period divides the hop is the same frame, so the
/// average must read the same at every call: a bin divided by the wrong count reads a whole
/// frame high (a factor (N+1)/N). A pause begun between the parts still adds the frame whole.
#[test]
fn the_average_reads_whole_frames_while_a_frame_is_added_in_parts() {
    let rate = 192_000.0;
    let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
    let plan = &analyzer.plans[analyzer.long_term.plan];
    assert_eq!(plan.size, 32_768);
    assert_eq!(plan.finish_parts(), 4);
    let ranges: Vec<_> = (0..4).map(|p| plan.finish_range(p)).collect();
    assert_eq!(ranges[0], 0..4097);
    assert_eq!(ranges[3], 12_291..16_385);
    // 3 kHz: 64 samples a period, the hop 16384.
    let block: Vec<f32> = (0..64)
        .map(|n| 0.5 * (std::f32::consts::TAU * n as f32 / 64.0).sin())
        .collect();
    let mut first: Option<Vec<f32>> = None;
    let mut seen_ahead = 0;
    let mut paused_between_parts = false;
    let mut mean = vec![0.0f32; 16_385];
    for call in 0..(3.0 * rate) as usize / 64 {
        analyzer.process(&[&block, &block]);
        let long_term = analyzer.long_term();
        if long_term.ahead > 0 {
            seen_ahead += 1;
            if !paused_between_parts && long_term.frames >= 3 {
                // Pause with a frame half added: it must still be added whole.
                analyzer.set_running(false);
                paused_between_parts = true;
                continue;
            }
        }
        if paused_between_parts && analyzer.long_term().ahead == 0 {
            analyzer.set_running(true);
        }
        let long_term = analyzer.long_term();
        if long_term.frames == 0 {
            continue;
        }
        long_term.mean_powers_into(&mut mean);
        match &first {
            None => first = Some(mean.clone()),
            Some(reference) => {
                for (k, (&m, &r)) in mean.iter().zip(reference).enumerate() {
                    assert!(
                        (m - r).abs() <= 1e-5 * r.max(1e-12),
                        "call {call}, bin {k} (ahead {}): {m} against {r}",
                        long_term.ahead
                    );
                }
                assert_eq!(long_term.mean_power(1536) as f32, reference[1536]);
            }
        }
    }
    assert!(seen_ahead >= 3 * 9, "{seen_ahead} calls between parts");
    assert!(paused_between_parts);
    // 3 s of audio: a frame at 32768 samples, then one per 16384; the last one captured is
    // still pending. Every finished frame is in the average (none lost to the pause).
    assert_eq!(analyzer.long_term.finished, 33);
    assert_eq!(analyzer.long_term().frames, 33);
}
