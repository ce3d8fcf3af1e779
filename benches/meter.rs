//! What reading every value of the meter costs (`readings_query`): the dB values are computed
//! when asked for, so that `process` keeps only sums and maxima. The meter's throughput against
//! the `ebur128` crate is in `benches/plugin_path.rs` (the core, the whole plugin and the crate
//! in one process).
//!
//! `kweight_48k_stereo`: the stereo K-weighting as the meter runs it, its AVX2 kernel's
//! pipeline kept across the calls of a 100 ms fragment (`pipelined`, drained at each fragment's
//! end), against the same filter drained after every call (`per_call`), per second of audio in
//! host blocks of 64, 512 and 4096 frames.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mixmeter::meter::engine::{Meter, MeterConfig};
use mixmeter::meter::kweight::{ChannelState, KWeighting, StereoPipeline, StereoSums};
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

    let filter = KWeighting::new(RATE as f64);
    let fragment = RATE as usize / 10;
    let mut group = c.benchmark_group("kweight_48k_stereo");
    group.throughput(Throughput::Elements(RATE as u64));
    for block in [64usize, 512, 4096] {
        group.bench_with_input(BenchmarkId::new("per_call", block), &block, |b, &block| {
            b.iter(|| {
                let mut states = [ChannelState::default(); 2];
                let mut sums = StereoSums::default();
                for (l, r) in left.chunks(block).zip(right.chunks(block)) {
                    filter.run_stereo(&mut states, l, r, &mut sums);
                }
                black_box(sums)
            })
        });
        group.bench_with_input(BenchmarkId::new("pipelined", block), &block, |b, &block| {
            b.iter(|| {
                let mut pipeline = StereoPipeline::default();
                let mut done = 0;
                for (l, r) in left.chunks(block).zip(right.chunks(block)) {
                    // Cut at the fragments' ends, as the meter cuts its input.
                    let mut start = 0;
                    while start < l.len() {
                        let n = (fragment - done % fragment).min(l.len() - start);
                        filter.run_stereo_pipelined(
                            &mut pipeline,
                            &l[start..start + n],
                            &r[start..start + n],
                        );
                        (start, done) = (start + n, done + n);
                        if done % fragment == 0 {
                            filter.drain(&mut pipeline);
                        }
                    }
                }
                filter.drain(&mut pipeline);
                black_box(pipeline.sums())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
