//! Throughput of the full meter core (everything but the spectrum) against the `ebur128` crate
//! with M | S | I | LRA | TRUE_PEAK, 48 kHz stereo noise, in host blocks of 64, 512 and 4096
//! frames. Only `process` is timed. Criterion's "thrpt" is in frames per second; ns per frame
//! is 1e9 / thrpt (the README lists both).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ebur128::{EbuR128, Mode};
use mixmeter::meter::engine::{Meter, MeterConfig};
use std::hint::black_box;

#[path = "common/noise.rs"]
mod common_noise;
use common_noise::noise;

const RATE: u32 = 48_000;
/// One second of audio per iteration.
const FRAMES: usize = RATE as usize;

fn bench(c: &mut Criterion) {
    let left = noise(FRAMES, 1);
    let right = noise(FRAMES, 2);
    let interleaved: Vec<f32> = left
        .iter()
        .zip(&right)
        .flat_map(|(l, r)| [*l, *r])
        .collect();
    let mut group = c.benchmark_group("stereo_48k");
    group.throughput(Throughput::Elements(FRAMES as u64));
    for block in [64usize, 512, 4096] {
        let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2)).unwrap();
        group.bench_with_input(BenchmarkId::new("mixmeter", block), &block, |b, &block| {
            b.iter(|| {
                for (l, r) in left.chunks(block).zip(right.chunks(block)) {
                    meter.process(&[l, r]);
                }
                black_box(meter.readings().integrated_lufs)
            })
        });
        let mut reference = EbuR128::new(
            2,
            RATE,
            Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK,
        )
        .unwrap();
        group.bench_with_input(BenchmarkId::new("ebur128", block), &block, |b, &block| {
            b.iter(|| {
                for chunk in interleaved.chunks(block * 2) {
                    reference.add_frames_f32(chunk).unwrap();
                }
                black_box(reference.loudness_global().unwrap())
            })
        });
    }
    group.finish();

    // Reading cost: what the editor or CLI pays to query every reading.
    let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2)).unwrap();
    meter.process(&[&left, &right]);
    c.bench_function("readings_query", |b| b.iter(|| black_box(meter.readings())));
}

criterion_group!(benches, bench);
criterion_main!(benches);
