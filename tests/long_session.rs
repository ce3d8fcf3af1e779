//! A long session, pushed through offline at full speed: 24 hours of a 48 kHz stereo mix
//! (`MIXMETER_LONG_SESSION_HOURS` changes it) through the meter core and the plugin's
//! audio-side bridge, doing per block what `process()` does with the editor open. Checked:
//!
//! - integrated loudness at every hour against an exact f64 computation (BS.1770-5 Annex 1:
//!   K-weighting with the standard's 48 kHz coefficients, 400 ms blocks every 100 ms, the
//!   -70 LUFS absolute and -10 LU relative gates over every block of the session), within
//!   0.01 LU;
//! - no reading drifts: the maxima, true peak and loudness range of hour 24 equal those of
//!   hour 1 (the programme repeats every minute), the measured time is exact;
//! - memory constant: not one allocation or free after the first minute (a counting
//!   allocator), so nothing grows with the session;
//! - the time each hour took is printed (the no-slowdown figure is a benchmark:
//!   `cargo bench --bench long_session`).

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_in;
use mixmeter::meter::engine::{Meter, MeterConfig, Readings};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const RATE: usize = 48_000;
/// The programme repeats every minute.
const CYCLE_S: usize = 60;
const HOP: usize = RATE / 10;
const HOPS_PER_CYCLE: usize = CYCLE_S * 10;
const BLOCK: usize = 512;

/// One minute of a stereo programme in six 10-second sections, each a different kind of
/// material and level: independent noise in L and R (decorrelated, like a wide mix), a 997 Hz
/// sine, loud noise, a quiet 100 Hz tone (below the relative gate), digital silence (below the
/// absolute gate), and noise at -23 dBFS with the right channel 6 dB down.
fn programme() -> [Vec<f32>; 2] {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut left = Vec::with_capacity(CYCLE_S * RATE);
    let mut right = Vec::with_capacity(CYCLE_S * RATE);
    let noise_amplitude = |rms_dbfs: f64| (10f64.powf(rms_dbfs / 20.0) * 3f64.sqrt()) as f32;
    for n in 0..CYCLE_S * RATE {
        let t = n as f64 / RATE as f64;
        let sine = |f: f64, dbfs: f64| {
            (10f64.powf(dbfs / 20.0) * (std::f64::consts::TAU * (t * f).fract()).sin()) as f32
        };
        let (l, r) = match n / (10 * RATE) {
            0 => {
                let a = noise_amplitude(-20.0);
                (rng.random_range(-a..a), rng.random_range(-a..a))
            }
            1 => (sine(997.0, -26.0), sine(997.0, -26.0)),
            2 => {
                let a = noise_amplitude(-14.0);
                (rng.random_range(-a..a), rng.random_range(-a..a))
            }
            3 => (sine(100.0, -40.0), sine(100.0, -40.0)),
            4 => (0.0, 0.0),
            _ => {
                let a = noise_amplitude(-23.0);
                (rng.random_range(-a..a), 0.5 * rng.random_range(-a..a))
            }
        };
        left.push(l);
        right.push(r);
    }
    [left, right]
}

/// BS.1770-5 Annex 1, Tables 1 and 2: the K-weighting's two biquads at 48 kHz, run in f64.
struct KWeighting {
    state: [[f64; 4]; 2],
}

impl KWeighting {
    const STAGES: [([f64; 3], [f64; 2]); 2] = [
        (
            [
                1.535_124_859_586_97,
                -2.691_696_189_406_38,
                1.198_392_810_852_85,
            ],
            [-1.690_659_293_182_41, 0.732_480_774_215_85],
        ),
        (
            [1.0, -2.0, 1.0],
            [-1.990_047_454_833_98, 0.990_072_250_366_21],
        ),
    ];

    fn new() -> Self {
        Self {
            state: [[0.0; 4]; 2],
        }
    }

    fn next(&mut self, x: f64) -> f64 {
        let mut v = x;
        for ((b, a), s) in Self::STAGES.iter().zip(&mut self.state) {
            // Direct form I: s = [x1, x2, y1, y2].
            let y = b[0] * v + b[1] * s[0] + b[2] * s[1] - a[0] * s[2] - a[1] * s[3];
            *s = [v, s[0], y, s[2]];
            v = y;
        }
        v
    }
}

/// The weighted energy (sum of squares over both channels) of every 100 ms hop of the
/// programme, played twice in a row: the first play's hops, and the second's, which every
/// later repetition equals (the filters have settled into the programme's cycle).
fn hop_energies(programme: &[Vec<f32>; 2]) -> (Vec<f64>, Vec<f64>) {
    let mut filters = [KWeighting::new(), KWeighting::new()];
    let mut plays = Vec::new();
    for _ in 0..2 {
        let mut hops = vec![0.0; HOPS_PER_CYCLE];
        for (c, filter) in filters.iter_mut().enumerate() {
            for (n, &x) in programme[c].iter().enumerate() {
                let y = filter.next(f64::from(x));
                hops[n / HOP] += y * y;
            }
        }
        plays.push(hops);
    }
    let second = plays.pop().unwrap();
    (plays.pop().unwrap(), second)
}

fn loudness(mean_square: f64) -> f64 {
    -0.691 + 10.0 * mean_square.log10()
}

/// The exact integrated loudness after `cycles` plays of the programme: every 400 ms block
/// (four hops) ending at each hop from the fourth on, gated as BS.1770-5 Annex 1 clause 5
/// says. Blocks ending in the first play come from its own hops; those ending in any later
/// play are the second play's blocks (its first three reach back into the settled tail).
fn exact_integrated(first: &[f64], settled: &[f64], cycles: usize) -> Option<f64> {
    let block = |hops: &dyn Fn(isize) -> f64, end: isize| {
        (end - 3..=end).map(hops).sum::<f64>() / (4 * HOP) as f64
    };
    let first_blocks: Vec<f64> = (3..HOPS_PER_CYCLE as isize)
        .map(|k| block(&|i| first[i as usize], k))
        .collect();
    let n = HOPS_PER_CYCLE as isize;
    let settled_blocks: Vec<f64> = (0..n)
        .map(|k| block(&|i| settled[i.rem_euclid(n) as usize], k))
        .collect();
    let repeats = (cycles - 1) as f64;
    // (energy, multiplicity) of every block above the absolute gate.
    let blocks: Vec<(f64, f64)> = first_blocks
        .iter()
        .map(|&e| (e, 1.0))
        .chain(settled_blocks.iter().map(|&e| (e, repeats)))
        .filter(|&(e, count)| count > 0.0 && e > 0.0 && loudness(e) > -70.0)
        .collect();
    let mean = |blocks: &mut dyn Iterator<Item = &(f64, f64)>| {
        let (sum, count) = blocks.fold((0.0, 0.0), |(s, c), (e, n)| (s + e * n, c + n));
        (count > 0.0).then(|| sum / count)
    };
    let relative_gate = loudness(mean(&mut blocks.iter())?) - 10.0;
    let gated = mean(&mut blocks.iter().filter(|(e, _)| loudness(*e) > relative_gate))?;
    Some(loudness(gated))
}

/// What must not drift: the maxima, peaks and range, compared between hours.
fn steady_readings(r: &Readings) -> [Option<f64>; 6] {
    [
        r.max_momentary_lufs,
        r.max_short_term_lufs,
        r.max_true_peak_dbtp,
        r.sample_peak_dbfs[0],
        r.loudness_range_lu,
        r.crest_factor_db,
    ]
}

#[test]
fn a_day_of_audio_measures_exactly_with_constant_memory() {
    let hours: usize = std::env::var("MIXMETER_LONG_SESSION_HOURS")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(24);
    let programme = programme();
    let (first, settled) = hop_energies(&programme);
    let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2).with_spectrum()).unwrap();
    let (mut bridge, _editor) = mixmeter::bridge::channel();
    let saved = mixmeter::persist::SavedMeasurement::default();

    // Per block, what the plugin's process() does with its editor open.
    let mut unsaved = 0;
    let mut play_cycle = |meter: &mut Meter, bridge: &mut mixmeter::bridge::MeterInput| {
        let mut sink = 0.0f32;
        for start in (0..CYCLE_S * RATE).step_by(BLOCK) {
            let end = (start + BLOCK).min(CYCLE_S * RATE);
            let block = [&programme[0][start..end], &programme[1][start..end]];
            meter.process(&block);
            bridge.publish_history(meter);
            unsaved += end - start;
            if unsaved >= HOP {
                unsaved = 0;
                saved.store(&meter.readings());
            }
            let (true_peak, sample_peak) = meter.take_live_peaks();
            bridge.raise_peaks(&true_peak[..2], &sample_peak[..2]);
            bridge.publish_all(&meter.readings(), false, meter.stereo_bands(), 1.0);
            sink += true_peak[0];
        }
        std::hint::black_box(sink);
    };

    // The first minute (buffers settle, the FFT's first frames) and the first hour.
    play_cycle(&mut meter, &mut bridge);
    let mut cycles = 1;
    let mut hour_one = None;
    let mut worst_lu: f64 = 0.0;
    let mut seconds_per_hour = Vec::new();
    let mut allocations = 0;
    // Largest change allowed between hour 1 and any later hour: none for the maxima and
    // peaks; one histogram bin (0.01 LU) per percentile for the range; the crest factor's
    // RMS is a running sum over the whole session.
    let tolerances = [1e-9, 1e-9, 1e-9, 1e-9, 0.02, 0.01];
    for hour in 1..=hours {
        let started = Instant::now();
        allocations += allocations_in(|| {
            while cycles < hour * 60 {
                play_cycle(&mut meter, &mut bridge);
                cycles += 1;
            }
        });
        seconds_per_hour.push(started.elapsed().as_secs_f64());
        let r = meter.readings();
        let exact = exact_integrated(&first, &settled, cycles).expect("loud enough");
        let measured = r.integrated_lufs.expect("integrated loudness");
        worst_lu = worst_lu.max((measured - exact).abs());
        assert!(
            (measured - exact).abs() <= 0.01,
            "hour {hour}: integrated {measured} LUFS, exact {exact} LUFS"
        );
        assert_eq!(r.measured_s, (cycles * CYCLE_S) as f64, "hour {hour}");
        let now = steady_readings(&r);
        let first_hour = *hour_one.get_or_insert(now);
        for ((a, b), tolerance) in first_hour.iter().zip(&now).zip(tolerances) {
            assert!(
                matches!((a, b), (Some(a), Some(b)) if (a - b).abs() <= tolerance),
                "hour {hour}: {first_hour:?} became {now:?}"
            );
        }
    }
    assert_eq!(
        allocations, 0,
        "no allocation in {hours} hours of processing"
    );
    let r = meter.readings();
    assert_eq!(r.non_finite_samples, 0);
    eprintln!(
        "{hours} h: integrated {:.4} LUFS, worst distance to the exact value over the hours \
         {worst_lu:.1e} LU; LRA {:?}; seconds per hour of audio: first {:.1}, last {:.1}, \
         slowest {:.1}",
        r.integrated_lufs.unwrap(),
        r.loudness_range_lu,
        seconds_per_hour[0],
        seconds_per_hour[seconds_per_hour.len() - 1],
        seconds_per_hour.iter().cloned().fold(0.0, f64::max),
    );
}
