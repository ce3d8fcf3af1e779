//! What a track instance pays for the session view: the frame summarizer
//! (`crates/mixmeter-core/src/session/summarize.rs`: K-weighting, true peak and one FFT per
//! frame and channel) beside the whole meter (`Meter::process`) on the same audio, 48 kHz
//! stereo noise (like dense music) in 512-frame blocks. Criterion's "thrpt" is frames per
//! second; ns per stereo sample frame is 1e9 / thrpt, and one `TrackFrame` is 2048 of them.
//!
//! `analyze_session` (off the audio thread: the master instance's editor, or the CLI) is
//! timed on 16 tracks of 10 minutes of frames (13 184 frames each, noise-like band energies)
//! and on 64 tracks of the 4096 frames a master's editor keeps of each.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mixmeter::meter::engine::{Meter, MeterConfig};
use mixmeter_core::session::frame::{BANDS, TrackFrame};
use mixmeter_core::session::summarize::FrameSummarizer;
use mixmeter_core::session::{SessionOptions, TrackReadings, TrackSeries, analyze_session};
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

    // 16 tracks of 10 minutes (a CLI session), and 64 tracks of what a master's editor keeps
    // (4096 frames, about 3 minutes, per track).
    for (count, frames, name) in [
        (
            16u64,
            10 * 60 * RATE / 2048,
            "analyze_session_16_tracks_10_min",
        ),
        (64, 4096, "analyze_session_64_tracks_3_min"),
    ] {
        let tracks = noise_tracks(count, frames);
        let names: Vec<String> = (0..count).map(|t| format!("track {t}")).collect();
        let series: Vec<TrackSeries> = tracks
            .iter()
            .zip(&names)
            .map(|(f, name)| TrackSeries {
                name,
                frames: f,
                readings: TrackReadings::default(),
            })
            .collect();
        let options = SessionOptions::default();
        let mut group = c.benchmark_group("session");
        group.sample_size(10);
        group.bench_function(name, |b| {
            b.iter(|| black_box(analyze_session(&series, None, &options).masking.len()))
        });
        group.finish();
    }
}

/// `count` tracks of `frames` frames with noise-like band energies (every band of every
/// track busy: the analysis's worst case).
fn noise_tracks(count: u64, frames: usize) -> Vec<Vec<TrackFrame>> {
    (0..count)
        .map(|t| {
            let energy = noise(frames * BANDS, t + 10);
            (0..frames)
                .map(|i| {
                    let mut f = TrackFrame::silent(i as u64);
                    for (b, e) in f.bands.iter_mut().enumerate() {
                        *e = energy[i * BANDS + b].abs() * 1e-2;
                    }
                    f.mean_square = f.bands.iter().sum();
                    f.power = f.mean_square;
                    f.sample_peak = 0.3;
                    f.true_peak = 0.3;
                    f
                })
                .collect()
        })
        .collect()
}

criterion_group!(benches, bench);
criterion_main!(benches);
