//! The spectrum path per second of stereo audio, at 48 and 192 kHz, in 512-frame blocks:
//! the long-term average alone (what always runs), and with display frames at the default
//! 8192-point size published through the bridge (what runs while the editor is open).
//! Criterion's time per iteration is the cost of one second of audio; 1 s divided by it is the
//! factor faster than real time. Run with `cargo bench --bench spectrum`.
//!
//! `long_term_without_stereo_bands` is the same two channels' transforms with the per-band
//! stereo sums off (a third, weight-0 channel makes the layout not stereo): the difference to
//! `long_term_only` in the same run is what the stereo image per band costs, on a VM whose
//! speed drifts by tens of percent between runs.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mixmeter::meter::spectrum::SpectrumAnalyzer;
use std::hint::black_box;

#[path = "common/noise.rs"]
mod common_noise;
use common_noise::noise;

const BLOCK: usize = 512;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("spectrum_one_second_stereo");
    for rate in [48_000usize, 192_000] {
        let (left, right) = (noise(rate, 1), noise(rate, 2));
        group.throughput(Throughput::Elements(rate as u64));
        for (name, display, weights) in [
            ("long_term_only", None, &[1.0, 1.0][..]),
            ("long_term_without_stereo_bands", None, &[1.0, 1.0, 0.0][..]),
            ("long_term_and_display_8192", Some(8192), &[1.0, 1.0][..]),
        ] {
            group.bench_with_input(BenchmarkId::new(name, rate), &rate, |b, &rate| {
                let mut analyzer = SpectrumAnalyzer::new(rate as f64, weights).unwrap();
                assert_eq!(analyzer.stereo_bands().is_some(), weights.len() == 2);
                analyzer.set_display_size(display);
                let (mut bridge, _editor) = mixmeter::bridge::channel();
                b.iter(|| {
                    for (l, r) in left.chunks(BLOCK).zip(right.chunks(BLOCK)) {
                        analyzer.process(&[l, r]);
                        if display.is_some() {
                            bridge.publish_spectrum(&mut analyzer, false);
                        }
                    }
                    black_box(analyzer.long_term().frames)
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
