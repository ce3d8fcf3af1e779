//! The meter as a whole: readings against golden values, block-size independence, reset,
//! pause, non-finite input, history and maxima.

use super::*;
use crate::meter::gating::ABSOLUTE_GATE_LUFS;

const RATE: f64 = 48_000.0;

fn sine(freq: f64, amplitude_dbfs: f64, seconds: f64, rate: f64) -> Vec<f32> {
    let a = 10f64.powf(amplitude_dbfs / 20.0);
    (0..(seconds * rate).round() as usize)
        .map(|n| (a * (2.0 * std::f64::consts::PI * freq * n as f64 / rate).sin()) as f32)
        .collect()
}

fn noise(seed: &mut u64, n: usize, amplitude: f32) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0) * amplitude
        })
        .collect()
}

fn stereo_meter() -> Meter {
    Meter::new(MeterConfig::new(RATE, 2)).unwrap()
}

#[test]
fn rejects_what_it_cannot_measure() {
    assert_eq!(
        Meter::new(MeterConfig::new(4_000.0, 2)).unwrap_err(),
        MeterError::SampleRate(4_000.0)
    );
    assert_eq!(
        Meter::new(MeterConfig::new(RATE, 0)).unwrap_err(),
        MeterError::Channels(0)
    );
    assert_eq!(
        Meter::new(MeterConfig::new(RATE, MAX_CHANNELS + 1)).unwrap_err(),
        MeterError::Channels(MAX_CHANNELS + 1)
    );
    assert_eq!(
        Meter::new(MeterConfig::new(RATE, 2).with_weights(&[1.0, f64::NAN])).unwrap_err(),
        MeterError::Weights
    );
}

#[test]
fn stereo_sine_at_minus_23_dbfs_reads_minus_23_lufs_everywhere() {
    let mut m = stereo_meter();
    let x = sine(1000.0, -23.0, 20.0, RATE);
    m.process(&[&x, &x]);
    let r = m.readings();
    for value in [r.momentary_lufs, r.short_term_lufs, r.integrated_lufs] {
        assert!((value.unwrap() + 23.0).abs() < 0.01, "{r:?}");
    }
    assert!(r.loudness_range_lu.unwrap() < 0.011);
    assert!((r.measured_s - 20.0).abs() < 0.006);
    assert!((r.correlation.unwrap() - 1.0).abs() < 1e-9);
    assert!(r.mono_loss_short_term_lu.unwrap().abs() < 1e-9);
    assert!(r.mono_loss_integrated_lu.unwrap().abs() < 1e-6);
    assert!(r.balance_db.unwrap().abs() < 1e-9);
    // Crest of a sine: 3.01 dB.
    assert!((r.crest_factor_db.unwrap() - 3.0103).abs() < 0.01);
}

#[test]
fn loudness_history_has_one_point_per_100_ms_whatever_the_blocks() {
    // 2 s of silence, then 6 s at -23 dBFS, then 1 s of -13 dBFS, in odd block sizes.
    let mut x = vec![0.0f32; 2 * RATE as usize];
    x.extend(sine(1000.0, -23.0, 6.0, RATE));
    x.extend(sine(1000.0, -13.0, 1.0, RATE));
    let mut m = stereo_meter();
    let mut seen = Vec::new();
    let mut next = 0;
    let mut start = 0;
    for (i, size) in [1usize, 4410, 37, 8192, 480].iter().cycle().enumerate() {
        if start >= x.len() {
            break;
        }
        let end = (start + size).min(x.len());
        m.process(&[&x[start..end], &x[start..end]]);
        start = end;
        if i % 3 == 0 {
            for (n, point) in m.history_since(next) {
                assert_eq!(n, seen.len() as u64, "no point lost or repeated");
                seen.push(point);
                next = n + 1;
            }
        }
    }
    seen.extend(m.history_since(next).map(|(_, p)| p));
    assert_eq!(seen.len(), 90);
    assert_eq!(m.history_count(), 90);
    // Silence has no value; the tone reads -23 once each window is full.
    assert_eq!(seen[19], LoudnessPoint::SILENT);
    assert!(
        (seen[30].momentary_lufs + 23.0).abs() < 0.01,
        "{:?}",
        seen[30]
    );
    assert!(
        (seen[79].short_term_lufs + 23.0).abs() < 0.01,
        "{:?}",
        seen[79]
    );
    assert!(
        (seen[89].momentary_lufs + 13.0).abs() < 0.01,
        "{:?}",
        seen[89]
    );
    // A late reader gets the last HISTORY_HOPS points only, numbered as they were.
    assert_eq!(m.history_since(0).count(), 90);
    // Reset does not renumber the timeline; a late reader gets the last HISTORY_HOPS
    // points only, numbered as they were.
    m.reset();
    m.process(&[&x, &x]);
    assert_eq!(m.history_count(), 180);
    let late: Vec<u64> = m.history_since(0).map(|(n, _)| n).collect();
    assert_eq!(late.first(), Some(&(180 - HISTORY_HOPS as u64)));
    assert_eq!(late.last(), Some(&179));
}

/// Tech 3341 windows: after a reset, momentary has no value until 400 ms of audio have
/// been measured and short-term none until 3 s (a partly filled window reads low: a -6
/// LUFS tone 300 ms in would read -7.3 LUFS), and neither do their maxima, PSR, the
/// short-term mono loss or the history points; once full, they read the tone exactly.
/// The level match's mono loss follows from the first fragment.
#[test]
fn no_partial_window_values_after_a_reset() {
    // A -6 LUFS stereo tone (as the -23 dBFS one above reads -23 LUFS).
    let x = sine(1000.0, -6.0, 4.0, RATE);
    let at = |seconds: f64| (seconds * RATE).round() as usize;
    let mut m = stereo_meter();
    // Run a while, then reset: the windows restart empty.
    m.process(&[&x, &x]);
    assert!(m.readings().momentary_lufs.is_some());
    m.reset();
    let history_before = m.history_count();
    m.process(&[&x[..at(0.3)], &x[..at(0.3)]]);
    let r = m.readings();
    assert_eq!(r.momentary_lufs, None, "300 ms in: {r:?}");
    assert_eq!(r.max_momentary_lufs, None);
    assert_eq!(r.short_term_lufs, None);
    assert_eq!(r.mono_loss_short_term_lu, None);
    assert!(m.mono_loss_short_term_lu().unwrap().abs() < 1e-9);
    m.process(&[&x[at(0.3)..at(0.4)], &x[at(0.3)..at(0.4)]]);
    let r = m.readings();
    let full = r
        .momentary_lufs
        .expect("400 ms in: the momentary window is full");
    assert!((full - (-6.0)).abs() < 0.1, "{full}");
    assert_eq!(r.max_momentary_lufs, Some(full));
    assert_eq!(r.short_term_lufs, None, "400 ms in");
    assert_eq!(r.max_short_term_lufs, None);
    assert_eq!(r.psr_db, None);
    m.process(&[&x[at(0.4)..at(2.995)], &x[at(0.4)..at(2.995)]]);
    assert_eq!(m.readings().short_term_lufs, None, "2.995 s in");
    m.process(&[&x[at(2.995)..at(3.0)], &x[at(2.995)..at(3.0)]]);
    let r = m.readings();
    let short = r
        .short_term_lufs
        .expect("3 s in: the short-term window is full");
    assert!((short - full).abs() < 0.01, "{short} {full}");
    assert!(r.psr_db.is_some() && r.mono_loss_short_term_lu.is_some());
    // History: 30 points since the reset; momentary from the 4th (400 ms), short-term
    // only at the 30th (3 s).
    let points: Vec<LoudnessPoint> = m.history_since(history_before).map(|(_, p)| p).collect();
    assert_eq!(points.len(), 30);
    assert!(
        points[..3]
            .iter()
            .all(|p| p.momentary_lufs == f32::NEG_INFINITY)
    );
    assert!(points[3..].iter().all(|p| p.momentary_lufs.is_finite()));
    assert!(
        points[..29]
            .iter()
            .all(|p| p.short_term_lufs == f32::NEG_INFINITY)
    );
    assert!(points[29].short_term_lufs.is_finite());
}

#[test]
fn mono_minus_20_dbfs_tone_reads_minus_23_lufs() {
    let mut m = Meter::new(MeterConfig::new(RATE, 1)).unwrap();
    m.process(&[sine(1000.0, -20.0, 10.0, RATE)]);
    assert!((m.readings().integrated_lufs.unwrap() + 23.0).abs() < 0.02);
    assert_eq!(m.readings().mono_loss_integrated_lu, Some(0.0));
    assert_eq!(m.readings().correlation, None);
}

#[test]
fn silence_is_no_value_not_a_floor() {
    let mut m = stereo_meter();
    let x = vec![0.0f32; 48_000 * 5];
    m.process(&[&x, &x]);
    let r = m.readings();
    assert_eq!(r.momentary_lufs, None);
    assert_eq!(r.short_term_lufs, None);
    assert_eq!(r.integrated_lufs, None);
    assert_eq!(r.loudness_range_lu, None);
    assert_eq!(r.max_true_peak_dbtp, None);
    assert_eq!(r.plr_db, None);
    assert_eq!(r.correlation, None);
    assert_eq!(r.mono_loss_integrated_lu, None);
}

#[test]
fn correlation_and_mono_loss_golden_values() {
    let mut seed = 7;
    let l = noise(&mut seed, 48_000 * 10, 0.3);
    let r_indep = noise(&mut seed, 48_000 * 10, 0.3);
    let inverted: Vec<f32> = l.iter().map(|x| -x).collect();

    let mut same = stereo_meter();
    same.process(&[&l, &l]);
    assert!((same.readings().integrated_correlation.unwrap() - 1.0).abs() < 1e-9);
    assert!(same.readings().mono_loss_integrated_lu.unwrap().abs() < 1e-6);

    let mut opposite = stereo_meter();
    opposite.process(&[&l, &inverted]);
    assert!((opposite.readings().integrated_correlation.unwrap() + 1.0).abs() < 1e-9);
    assert!((opposite.readings().correlation.unwrap() + 1.0).abs() < 1e-9);
    // The fold cancels completely: no finite mono loudness, reported as no value.
    assert_eq!(opposite.readings().mono_loss_integrated_lu, None);
    assert_eq!(opposite.readings().mono_loss_short_term_lu, None);

    let mut independent = stereo_meter();
    independent.process(&[&l, &r_indep]);
    let r = independent.readings();
    assert!(r.integrated_correlation.unwrap().abs() < 0.02, "{r:?}");
    assert!(
        (r.mono_loss_integrated_lu.unwrap() + 3.01).abs() < 0.1,
        "{r:?}"
    );
    assert!(
        (r.mono_loss_short_term_lu.unwrap() + 3.01).abs() < 0.15,
        "{r:?}"
    );
    // The level match's shortcut is the same reading.
    assert_eq!(
        independent.mono_loss_short_term_lu(),
        r.mono_loss_short_term_lu
    );
    assert_eq!(opposite.mono_loss_short_term_lu(), None);
    assert_eq!(
        same.mono_loss_short_term_lu(),
        same.readings().mono_loss_short_term_lu
    );
}

#[test]
fn balance_follows_the_louder_channel() {
    let mut m = stereo_meter();
    let l = sine(1000.0, -20.0, 4.0, RATE);
    let r = sine(1000.0, -26.0, 4.0, RATE);
    m.process(&[&l, &r]);
    assert!((m.readings().balance_db.unwrap() - 6.0).abs() < 0.01);
    let silent = vec![0.0f32; l.len()];
    let mut m = stereo_meter();
    m.process(&[&silent, &r]);
    assert_eq!(m.readings().balance_db, Some(-BALANCE_LIMIT_DB));
}

#[test]
fn non_finite_input_is_counted_and_never_poisons_a_reading() {
    let mut m = stereo_meter();
    let mut x = sine(1000.0, -23.0, 10.0, RATE);
    for i in (0..x.len()).step_by(4801) {
        x[i] = if i % 2 == 0 { f32::NAN } else { f32::INFINITY };
    }
    m.process(&[&x, &x]);
    let r = m.readings();
    assert_eq!(r.non_finite_samples, 2 * x.len().div_ceil(4801) as u64);
    assert!((r.integrated_lufs.unwrap() + 23.0).abs() < 0.05, "{r:?}");
    assert!(r.max_true_peak_dbtp.unwrap().is_finite());
    assert!((r.max_true_peak_dbtp.unwrap() + 23.0).abs() < 0.1, "{r:?}");
}

#[test]
fn pause_freezes_integration_but_not_momentary() {
    let mut m = stereo_meter();
    let loud = sine(1000.0, -20.0, 5.0, RATE);
    let quiet = sine(1000.0, -40.0, 5.0, RATE);
    m.process(&[&loud, &loud]);
    let before = m.readings();
    m.pause();
    m.process(&[&quiet, &quiet]);
    let after = m.readings();
    assert_eq!(after.integrated_lufs, before.integrated_lufs);
    assert_eq!(after.measured_s, before.measured_s);
    assert!(!after.running);
    assert!((after.momentary_lufs.unwrap() + 40.0).abs() < 0.05);
    m.start();
    m.process(&[&quiet, &quiet]);
    assert!(m.readings().integrated_lufs.unwrap() < before.integrated_lufs.unwrap());
    m.reset();
    assert_eq!(m.readings().integrated_lufs, None);
    assert_eq!(m.readings().measured_s, 0.0);
}

#[test]
fn readings_do_not_depend_on_block_size() {
    let mut seed = 3;
    let l = noise(&mut seed, 44_100 * 7, 0.5);
    let r = noise(&mut seed, 44_100 * 7, 0.2);
    let mut whole = Meter::new(MeterConfig::new(44_100.0, 2)).unwrap();
    whole.process(&[&l, &r]);
    let mut split = Meter::new(MeterConfig::new(44_100.0, 2)).unwrap();
    let mut start = 0;
    let mut size = 1;
    while start < l.len() {
        let end = (start + size).min(l.len());
        split.process(&[&l[start..end], &r[start..end]]);
        start = end;
        size = (size * 7 + 3) % 5000;
    }
    assert_eq!(whole.readings(), split.readings());
}

/// Host blocks of a few frames are gathered and measured per fragment (`GATHER_FRAMES`): the
/// readings, at every fragment's end, are those of the same audio in one block, at the rates
/// where a fragment is shorter and longer than what is gathered, with non-finite samples, and
/// when the channel count changes between blocks.
#[test]
fn gathered_small_blocks_read_the_same_as_one_block() {
    for rate in [44_100.0, 48_000.0, 192_000.0] {
        let frames = (rate * 4.0) as usize;
        let mut seed = 7;
        let mut l = noise(&mut seed, frames, 0.5);
        let r = noise(&mut seed, frames, 0.3);
        for i in (1000..frames).step_by(7919) {
            l[i] = if i % 2 == 0 { f32::NAN } else { f32::INFINITY };
        }
        let mut whole = Meter::new(MeterConfig::new(rate, 2)).unwrap();
        let mut split = Meter::new(MeterConfig::new(rate, 2)).unwrap();
        // Stereo, then a mono stretch (a block with one channel measures only that one), then
        // stereo: the stretches' ends fall inside fragments.
        let stretches = [
            (0, frames / 3 + 37, 2),
            (frames / 3 + 37, frames / 2 + 11, 1),
        ];
        let stretches = stretches
            .into_iter()
            .chain(std::iter::once((frames / 2 + 11, frames, 2)));
        let mut size = 1;
        for (from, to, channels) in stretches {
            let channels_of =
                |a: usize, b: usize| -> Vec<&[f32]> { [&l[a..b], &r[a..b]][..channels].to_vec() };
            whole.process(&channels_of(from, to));
            let mut start = from;
            while start < to {
                let end = (start + size).min(to);
                split.process(&channels_of(start, end));
                start = end;
                size = [64, 1, 33, 255, 256, 257, 700][(size * 7 + start) % 7];
            }
        }
        // 4 s ends on a fragment boundary at these rates.
        assert_eq!(whole.readings(), split.readings(), "{rate} Hz");
        assert!(split.readings().non_finite_samples > 0);
        assert_eq!(
            whole.take_live_peaks(),
            split.take_live_peaks(),
            "{rate} Hz"
        );
    }
}

/// A hard-clipped mix (a 100 Hz tone under noise, +12 dB, clipped at full scale in the left
/// channel only) reads its clipped runs: those of the left channel counted by definition,
/// none in the right, in 64-frame blocks as in one; the same audio not clipped reads none; a
/// pause freezes the count and a reset clears it.
#[test]
fn clipped_runs_are_counted_over_the_measurement() {
    let mut seed = 5;
    let hiss = noise(&mut seed, (RATE * 4.0) as usize, 0.1);
    let tone = sine(100.0, -6.0, 4.0, RATE);
    let hot: Vec<f32> = tone.iter().zip(&hiss).map(|(t, n)| 4.0 * (t + n)).collect();
    let clipped: Vec<f32> = hot.iter().map(|x| x.clamp(-1.0, 1.0)).collect();
    let right: Vec<f32> = tone.iter().zip(&hiss).map(|(t, n)| 0.5 * (t + n)).collect();
    // By definition: maximal runs of at least 3 equal samples at -3 dBFS or above.
    let mut want = (0u64, 0u32);
    let mut i = 0;
    while i < clipped.len() {
        let j = (i..clipped.len())
            .find(|&j| clipped[j] != clipped[i])
            .unwrap_or(clipped.len());
        if j - i >= 3 && clipped[i].abs() >= crate::meter::clips::FLOOR {
            want = (want.0 + 1, want.1.max((j - i) as u32));
        }
        i = j;
    }
    assert!(
        want.0 >= 700,
        "two flat tops per cycle of the tone: {want:?}"
    );
    let mut whole = stereo_meter();
    whole.process(&[&clipped, &right]);
    let r = whole.readings();
    assert_eq!((r.clipped_runs, r.longest_clipped_run), want);
    let mut blocks = stereo_meter();
    for (l, r) in clipped.chunks(64).zip(right.chunks(64)) {
        blocks.process(&[l, r]);
    }
    assert_eq!(blocks.readings(), r);
    let mut unclipped = stereo_meter();
    unclipped.process(&[&hot, &right]);
    assert_eq!(unclipped.readings().clipped_runs, 0);
    // A dropout (non-finite samples, measured as repeats of the last finite one) after a
    // loud sample is no flat top.
    let mut dropout = right.clone();
    let loud = dropout.len() / 2;
    dropout[loud] = 0.95;
    dropout[loud + 1..loud + 40].fill(f32::NAN);
    let mut m = stereo_meter();
    m.process(&[&dropout, &dropout]);
    assert_eq!(m.readings().non_finite_samples, 2 * 39);
    assert_eq!(m.readings().clipped_runs, 0);
    // Paused: frozen; reset: cleared.
    whole.pause();
    whole.process(&[&clipped, &right]);
    assert_eq!(whole.readings().clipped_runs, want.0);
    whole.start();
    whole.process(&[&clipped, &right]);
    assert!(whole.readings().clipped_runs >= 2 * want.0 - 1);
    whole.reset();
    assert_eq!(whole.readings().clipped_runs, 0);
}

/// A programme whose loudest sample (and its clipped runs) lies in its last partial fragment:
/// without `end_programme` the readings miss them; with it they count, in one block or in
/// 64-frame blocks, while the loudness readings stay those of the whole fragments.
#[test]
fn the_last_partial_fragment_counts_its_peaks_when_the_programme_ends() {
    let mut x = sine(1000.0, -20.0, 2.0, RATE);
    x.extend(std::iter::repeat_n(0.0, 100));
    let n = x.len();
    x[n - 10..n - 6].fill(0.9);
    for blocks in [n, 64] {
        let mut m = stereo_meter();
        for piece in x.chunks(blocks) {
            m.process(&[piece, piece]);
        }
        let before = m.readings();
        assert!(before.max_sample_peak_dbfs.unwrap() < -19.0, "{before:?}");
        m.end_programme();
        let after = m.readings();
        assert!((after.max_sample_peak_dbfs.unwrap() - 20.0 * 0.9f64.log10()).abs() < 1e-6);
        assert!(after.max_true_peak_dbtp.unwrap() >= after.max_sample_peak_dbfs.unwrap());
        assert_eq!((after.clipped_runs, after.longest_clipped_run), (2, 4));
        assert_eq!(after.integrated_lufs, before.integrated_lufs);
        assert_eq!(after.measured_s, before.measured_s);
        // Again: nothing more to add.
        m.end_programme();
        assert_eq!(m.readings(), after);
    }
}

/// Tech 3342 LRA computed exactly from a list of short-term loudness values (absolute gate,
/// relative gate 20 LU under their energy mean, 10th to 95th percentile by nearest rank).
fn exact_range(short_term_lufs: &[f64]) -> f64 {
    let above: Vec<f64> = short_term_lufs
        .iter()
        .copied()
        .filter(|&l| l >= ABSOLUTE_GATE_LUFS)
        .collect();
    let mean = above
        .iter()
        .map(|&l| super::super::gating::lufs_to_energy(l))
        .sum::<f64>()
        / above.len() as f64;
    let gate = energy_to_lufs(mean).unwrap() - 20.0;
    let mut gated: Vec<f64> = above.into_iter().filter(|&l| l >= gate).collect();
    gated.sort_by(f64::total_cmp);
    let at = |p: f64| gated[((gated.len() - 1) as f64 * p).round() as usize];
    at(0.95) - at(0.10)
}

/// A tone whose level moves every 1.3 s, 12 s long.
fn uneven_programme() -> Vec<f32> {
    let levels = [-20.0, -31.0, -24.0, -38.0, -18.0, -27.0, -35.0, -22.0];
    let step = (1.3 * RATE) as usize;
    let tone = sine(1000.0, 0.0, 12.0, RATE);
    tone.iter()
        .enumerate()
        .map(|(n, &x)| x * 10f32.powf(levels[(n / step) % levels.len()] / 20.0))
        .collect()
}

#[test]
fn loudness_range_takes_short_term_values_at_10_hz() {
    // Read the short-term loudness at every 100 ms from 3 s on (the values Tech 3342
    // clause 3 asks for, at 10 Hz): the meter's LRA is theirs, to within the histogram's
    // bin; one value per second (libebur128's step) would read far from it.
    let x = uneven_programme();
    let mut m = Meter::new(MeterConfig::new(RATE, 1)).unwrap();
    let hop = (RATE * 0.1) as usize;
    let mut at_10_hz = Vec::new();
    for (i, piece) in x.chunks(hop).enumerate() {
        m.process(&[piece]);
        if i + 1 >= 30 {
            at_10_hz.push(m.readings().short_term_lufs.unwrap());
        }
    }
    let at_1_hz: Vec<f64> = at_10_hz.iter().copied().step_by(10).collect();
    let lra = m.readings().loudness_range_lu.unwrap();
    let expected = exact_range(&at_10_hz);
    assert!((lra - expected).abs() <= 0.011, "{lra} against {expected}");
    assert!(
        (exact_range(&at_1_hz) - expected).abs() > 0.5,
        "the signal tells 1 Hz from 10 Hz: {} against {expected}",
        exact_range(&at_1_hz)
    );
    // 12 s is no programme: the reading says so until 60 s are measured.
    assert!(!m.readings().loudness_range_settled());
    let long = sine(1000.0, -23.0, 48.0, RATE);
    m.process(&[&long]);
    assert!(m.readings().loudness_range_settled());
}

#[test]
fn loudness_maxima_between_reads_catch_a_burst_off_the_100_ms_grid() {
    // 400 ms at -20 dBFS starting at 1.234 s in silence, read every 100 ms: the value at
    // each point misses the peak of the momentary window; the maximum since the last
    // point does not.
    let mut x = vec![0.0f32; (1.234 * RATE) as usize];
    x.extend(sine(1000.0, -20.0, 0.4, RATE));
    x.resize(4 * RATE as usize, 0.0);
    let mut m = Meter::new(MeterConfig::new(RATE, 1)).unwrap();
    let mut at_points = f64::NEG_INFINITY;
    let mut maxima = f64::NEG_INFINITY;
    for piece in x.chunks((RATE * 0.1) as usize) {
        m.process(&[piece]);
        at_points = at_points.max(m.readings().momentary_lufs.unwrap_or(f64::NEG_INFINITY));
        let (momentary, _) = m.take_loudness_maxima();
        maxima = maxima.max(momentary.unwrap_or(f64::NEG_INFINITY));
    }
    let max = m.readings().max_momentary_lufs.unwrap();
    assert!((maxima - max).abs() < 1e-12, "{maxima} against {max}");
    assert!(
        max - at_points > 0.2,
        "the grid alone reads {at_points}, {max} at most"
    );
    assert_eq!(m.take_loudness_maxima(), (None, None));
}

#[test]
fn true_peak_maxima_and_plr() {
    let mut m = stereo_meter();
    let x = sine(997.0, -6.0, 5.0, RATE);
    m.process(&[&x, &x]);
    let r = m.readings();
    assert!((r.max_true_peak_dbtp.unwrap() + 6.0).abs() < 0.02);
    let plr = r.plr_db.unwrap();
    assert!((plr - (r.max_true_peak_dbtp.unwrap() - r.integrated_lufs.unwrap())).abs() < 1e-12);
    assert!(r.psr_db.is_some());
    let (live_tp, live_sp) = m.take_live_peaks();
    assert!(live_tp[0] >= live_sp[0] && live_sp[0] > 0.49);
    assert_eq!(m.take_live_peaks().0[0], 0.0);
}

/// Where it happens: clicks placed at known samples in a quiet tone, and a loud 3 s
/// passage; the positions come back to the fragment, the overs counted once per run.
#[test]
fn moments_place_the_maximum_peak_the_loudest_3_s_and_the_overs() {
    let mut m = Meter::new(MeterConfig::new(RATE, 1).with_over_ceiling(-6.0)).unwrap();
    let mut x = sine(997.0, -30.0, 20.0, RATE);
    // Loud 3 s from 8.0 s to 11.0 s.
    for v in &mut x[(8.0 * RATE) as usize..(11.0 * RATE) as usize] {
        *v *= 10.0;
    }
    // Clicks (single samples) over -6 dBTP at 2.5 s, 2.5012 s (the same fragment run),
    // 14.25 s and the largest at 17.3 s.
    let clicks = [(2.5, 0.7f32), (2.5012, 0.7), (14.25, 0.8), (17.3, 0.95)];
    for (t, a) in clicks {
        x[(t * RATE) as usize] = a;
    }
    for piece in x.chunks(1000) {
        m.process(&[piece]);
    }
    let moments = *m.moments();
    let at = |s: u64| s as f64 / RATE;
    let peak_at = at(moments.max_true_peak_at.unwrap());
    assert!((peak_at - 17.3).abs() < 0.008, "{peak_at}");
    let loudest_end = at(moments.max_short_term_end_at.unwrap());
    assert!((loudest_end - 11.0).abs() < 0.006, "{loudest_end}");
    assert_eq!(moments.overs, 3, "{moments:?}");
    let starts: Vec<f64> = moments.kept_overs().iter().map(|&s| at(s)).collect();
    for (found, expected) in starts.iter().zip([2.5, 14.25, 17.3]) {
        assert!((found - expected).abs() < 0.008, "{starts:?}");
    }
    m.reset();
    assert_eq!(m.moments().overs, 0);
    assert_eq!(m.moments().max_true_peak_at, None);
    assert!(Meter::new(MeterConfig::new(RATE, 1).with_over_ceiling(f64::NAN)).is_err());
}

/// A block with fewer channels than configured measures those it has, and a stereo meter fed
/// stereo and mono blocks in turn keeps each channel's filter running across them (the stereo
/// pieces' pipeline hands its states and sums back before a mono piece and at a fragment's
/// end): a -20 dBFS 1 kHz sine reads its loudness in every arrangement.
#[test]
fn blocks_with_fewer_channels_than_configured_measure_what_they_have() {
    let rate = 48_000.0;
    let tone = sine(1000.0, -20.0, 5.0, rate);
    let integrated = |channels: usize, feed: &dyn Fn(&mut Meter)| {
        let mut m = Meter::new(MeterConfig::new(rate, channels)).unwrap();
        feed(&mut m);
        m.readings().integrated_lufs.expect("a reading")
    };
    // One channel of a stereo meter: -20 dBFS reads -23.0 LUFS (K-weighting +0.7 dB at 1 kHz,
    // -0.691 offset, one channel at weight 1).
    let mono = integrated(2, &|m| {
        for piece in tone.chunks(480) {
            m.process(&[piece]);
        }
    });
    assert!((mono - -23.0).abs() < 0.05, "{mono}");
    // Two channels of a 5.1 meter: 3 dB more.
    let pair = integrated(6, &|m| {
        for piece in tone.chunks(480) {
            m.process(&[piece, piece]);
        }
    });
    assert!((pair - -19.99).abs() < 0.05, "{pair}");
    // Stereo and mono blocks in turn, every length: the left channel always, the right on
    // the stereo blocks only, so between the two.
    let mixed = integrated(2, &|m| {
        let (mut start, mut n) = (0, 1);
        while start < tone.len() {
            let end = (start + n).min(tone.len());
            let piece = &tone[start..end];
            if n % 2 == 0 {
                m.process(&[piece, piece]);
            } else {
                m.process(&[piece]);
            }
            (start, n) = (end, (n * 7 + 3) % 997);
        }
    });
    assert!(mixed > mono + 0.5 && mixed < pair - 0.5, "{mixed}");
    // The same blocks in stereo throughout read as stereo throughout.
    let stereo = integrated(2, &|m| {
        for piece in tone.chunks(333) {
            m.process(&[piece, piece]);
        }
    });
    assert!((stereo - pair).abs() < 0.01, "{stereo} vs {pair}");
}
