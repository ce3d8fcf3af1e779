//! No slowdown in a long session: the cost of one second of 48 kHz stereo audio (512-frame
//! blocks, the plugin's per-block work with the editor open: meter with the spectrum, history
//! and snapshot published) on a fresh meter, and on one that has already measured
//! `MIXMETER_BENCH_HOURS` (default 24) hours. The gating histograms are Fenwick trees and
//! every buffer is fixed at construction, so the two should cost the same. Setting up the
//! long meter plays the hours first (a few minutes).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mixmeter::bridge::MeterInput;
use mixmeter::meter::engine::{Meter, MeterConfig};
use std::hint::black_box;

#[path = "common/noise.rs"]
mod common_noise;
use common_noise::noise;

const RATE: usize = 48_000;
const BLOCK: usize = 512;

/// One second through the meter and the bridge, as `process()` does with the editor open.
fn second(meter: &mut Meter, bridge: &mut MeterInput, audio: &[Vec<f32>; 2]) {
    for start in (0..RATE).step_by(BLOCK) {
        let end = (start + BLOCK).min(RATE);
        meter.process(&[&audio[0][start..end], &audio[1][start..end]]);
        bridge.publish_history(meter);
        let (true_peak, sample_peak) = meter.take_live_peaks();
        bridge.raise_peaks(&true_peak[..2], &sample_peak[..2]);
        bridge.publish_all(&meter.readings(), false, meter.stereo_bands(), 1.0);
    }
}

fn bench(c: &mut Criterion) {
    let hours: usize = std::env::var("MIXMETER_BENCH_HOURS")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(24);
    let audio = [noise(RATE, 1), noise(RATE, 2)];
    let config = MeterConfig::new(RATE as f64, 2).with_spectrum();
    let mut group = c.benchmark_group("one_second_48k_stereo");
    group.throughput(Throughput::Elements(RATE as u64));
    for measured_hours in [0, hours] {
        let mut meter = Meter::new(config).unwrap();
        let (mut bridge, _editor) = mixmeter::bridge::channel();
        for _ in 0..measured_hours * 3600 {
            second(&mut meter, &mut bridge, &audio);
        }
        group.bench_with_input(
            BenchmarkId::new("after_hours", measured_hours),
            &measured_hours,
            |b, _| b.iter(|| second(&mut meter, &mut bridge, black_box(&audio))),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
