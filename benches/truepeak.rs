//! Cost of the true-peak detector alone (`crates/mixmeter-core/src/meter/truepeak.rs`), 48 kHz stereo in 512-frame
//! blocks, on the three kinds of material that decide how often it refines: noise (like
//! dense music: few intervals come within the screening margin of the 3 s maximum), a steady
//! sine (about 40 % of its intervals do) and noise hard-clipped 12 dB into full scale (a
//! loud master: most of its samples sit at the clip point). The floor passed on is the
//! running maximum, as the meter passes the 3 s maximum. Criterion's "thrpt" is frames per
//! second; ns per stereo frame is 1e9 / thrpt. The share of intervals refined is printed.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mixmeter::meter::truepeak::TruePeak;
use std::hint::black_box;

#[path = "common/noise.rs"]
mod common_noise;
use common_noise::noise;

const RATE: f64 = 48_000.0;
const FRAMES: usize = RATE as usize;
const BLOCK: usize = 512;

fn material() -> Vec<(&'static str, [Vec<f32>; 2])> {
    let sine = |phase: f64| -> Vec<f32> {
        (0..FRAMES)
            .map(|n| (0.5 * (std::f64::consts::TAU * 997.0 * n as f64 / RATE + phase).sin()) as f32)
            .collect()
    };
    let clip = |x: Vec<f32>| -> Vec<f32> { x.iter().map(|v| (v * 8.0).clamp(-1.0, 1.0)).collect() };
    vec![
        ("noise", [noise(FRAMES, 1), noise(FRAMES, 2)]),
        ("sine", [sine(0.0), sine(1.0)]),
        ("clipped", [clip(noise(FRAMES, 3)), clip(noise(FRAMES, 4))]),
    ]
}

fn run(tp: &mut TruePeak, channels: &[Vec<f32>; 2], floor: &mut [f32; 2]) {
    for start in (0..FRAMES).step_by(BLOCK) {
        for (c, samples) in channels.iter().enumerate() {
            let piece = &samples[start..(start + BLOCK).min(FRAMES)];
            floor[c] = floor[c].max(tp.process(c, piece, floor[c]));
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("true_peak_48k_stereo");
    group.throughput(Throughput::Elements(FRAMES as u64));
    for (name, channels) in material() {
        // The share refined over one second from a fresh start (the first crests included).
        let mut tp = TruePeak::new(RATE);
        run(&mut tp, &channels, &mut [0.0; 2]);
        eprintln!(
            "{name}: {:.2} % of intervals refined",
            100.0 * tp.refined_intervals() as f64 / (2 * FRAMES) as f64
        );
        let mut tp = TruePeak::new(RATE);
        let mut floor = [0.0f32; 2];
        group.bench_function(name, |b| {
            b.iter(|| {
                // Each pass starts from no known maximum, as after a reset.
                floor = [0.0; 2];
                run(&mut tp, &channels, &mut floor);
                black_box(floor)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
