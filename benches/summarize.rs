//! What a track instance pays for the session view: the frame summarizer
//! (`crates/mixmeter-core/src/session/summarize.rs`: K-weighting, true peak and one FFT per
//! frame and channel) beside the whole meter (`Meter::process`) on the same audio, 48 kHz
//! stereo noise (like dense music) in 512-frame blocks. Criterion's "thrpt" is frames per
//! second; ns per stereo sample frame is 1e9 / thrpt, and one `TrackFrame` is 2048 of them.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mixmeter::meter::engine::{Meter, MeterConfig};
use mixmeter_core::session::summarize::FrameSummarizer;
use std::hint::black_box;

#[path = "common/noise.rs"]
mod common_noise;
use common_noise::noise;

const RATE: usize = 48_000;
const BLOCK: usize = 512;

fn bench(c: &mut Criterion) {
    let left = noise(RATE, 1);
    let right = noise(RATE, 2);
    let mut group = c.benchmark_group("session_48k_stereo");
    group.throughput(Throughput::Elements(RATE as u64));

    let mut summarizer = FrameSummarizer::new(RATE as f32, &[1.0, 1.0]);
    group.bench_function("frame_summarizer", |b| {
        b.iter(|| {
            let mut energy = 0.0f32;
            for start in (0..RATE).step_by(BLOCK) {
                let end = (start + BLOCK).min(RATE);
                summarizer.process(&[&left[start..end], &right[start..end]], None, |f| {
                    energy += f.mean_square
                });
            }
            black_box(energy)
        })
    });

    let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2)).unwrap();
    group.bench_function("meter", |b| {
        b.iter(|| {
            for start in (0..RATE).step_by(BLOCK) {
                let end = (start + BLOCK).min(RATE);
                meter.process(&[&left[start..end], &right[start..end]]);
            }
            black_box(meter.readings().momentary_lufs)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
