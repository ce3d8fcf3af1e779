//! What reading every value of the meter costs (`readings_query`): the dB values are computed
//! when asked for, so that `process` keeps only sums and maxima. The meter's throughput against
//! the `ebur128` crate is in `benches/plugin_path.rs` (the core, the whole plugin and the crate
//! in one process).

use criterion::{Criterion, criterion_group, criterion_main};
use mixmeter::meter::engine::{Meter, MeterConfig};
use std::hint::black_box;

#[path = "common/noise.rs"]
mod common_noise;
use common_noise::noise;

const RATE: u32 = 48_000;

fn bench(c: &mut Criterion) {
    let left = noise(RATE as usize, 1);
    let right = noise(RATE as usize, 2);
    let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2)).unwrap();
    meter.process(&[&left, &right]);
    c.bench_function("readings_query", |b| b.iter(|| black_box(meter.readings())));
}

criterion_group!(benches, bench);
criterion_main!(benches);
