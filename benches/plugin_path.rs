//! What a user pays per frame: the built CLAP plugin (`target/bundled/mixmeter.clap`, loaded
//! through `clack-host` exactly as the host tests and a DAW load it) processing 48 kHz stereo
//! noise with its editor closed, against the `ebur128` crate measuring M, S, I, LRA and true
//! peak and against the meter core alone, all in the same process. The plugin's call is
//! everything it runs per block: the loudness meter and true peak, the long-term spectrum and
//! the stereo bands, the loudness history and peaks published to the editor's bridge, the
//! saved measurement, the render recorder and the monitor path (passthrough), plus the CLAP
//! wrapper's own work. Criterion's time is per second of audio (48 000 frames); ns per frame is
//! that divided by 48 000. Build the bundle first: `cargo xtask bundle mixmeter --release`.
//!
//! A fourth case, `editor-open`, is what the plugin runs while its editor is open, without the
//! CLAP wrapper (a headless bench cannot open the editor inside the plugin): the meter with the
//! spectrum's display frames at the default size and everything published to the editor.

use clack_host::prelude::*;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ebur128::{EbuR128, Mode};
use mixmeter::meter::engine::{Meter, MeterConfig};
use mixmeter::meter::spectrum::DEFAULT_DISPLAY_FFT_SIZE;
use std::hint::black_box;

#[path = "../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

#[path = "common/noise.rs"]
mod common_noise;
use common_noise::noise;

#[path = "common/editor_open.rs"]
mod editor_open;
use editor_open::process_with_editor_open;

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
    let bundle_path = common::clap::bundles().remove(0);
    let bundle = common::clap::Bundle::load(&bundle_path);

    // `MIXMETER_KERNEL=portable` runs the portable kernels (in the plugin too: it reads the
    // same variable); the ids carry the kernel, so both runs keep their results.
    let kernel = mixmeter::meter::Kernel::detect().name();
    let (plugin_id, core_id) = (format!("plugin-{kernel}"), format!("core-{kernel}"));
    let open_id = format!("editor-open-{kernel}");
    let mut group = c.benchmark_group("plugin_48k");
    group.throughput(Throughput::Elements(FRAMES as u64));
    for block in [64usize, 512, 4096] {
        let mut instance = bundle.instantiate();
        instance.activate(RATE as f64, block as u32);
        let mut inputs = [left.clone(), right.clone()];
        let mut outputs = [vec![0.0f32; FRAMES], vec![0.0f32; FRAMES]];
        let mut input_ports = AudioPorts::with_capacity(2, 1);
        let mut output_ports = AudioPorts::with_capacity(2, 1);
        group.bench_with_input(BenchmarkId::new(&plugin_id, block), &block, |b, &block| {
            b.iter(|| {
                let processor = instance.started_processor();
                let mut start = 0;
                while start < FRAMES {
                    let end = (start + block).min(FRAMES);
                    let [in_l, in_r] = &mut inputs;
                    let [out_l, out_r] = &mut outputs;
                    let input_audio = input_ports.with_input_buffers([AudioPortBuffer {
                        latency: 0,
                        channels: AudioPortBufferType::f32_input_only(
                            [&mut in_l[start..end], &mut in_r[start..end]]
                                .into_iter()
                                .map(InputChannel::variable),
                        ),
                    }]);
                    let mut output_audio = output_ports.with_output_buffers([AudioPortBuffer {
                        latency: 0,
                        channels: AudioPortBufferType::f32_output_only(
                            [&mut out_l[start..end], &mut out_r[start..end]].into_iter(),
                        ),
                    }]);
                    processor
                        .process(
                            &input_audio,
                            &mut output_audio,
                            &InputEvents::empty(),
                            &mut OutputEvents::void(),
                            None,
                            None,
                        )
                        .expect("process succeeds");
                    start = end;
                }
                black_box(outputs[0][FRAMES - 1])
            })
        });
        drop(instance);

        let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2)).unwrap();
        group.bench_with_input(BenchmarkId::new(&core_id, block), &block, |b, &block| {
            b.iter(|| {
                for (l, r) in left.chunks(block).zip(right.chunks(block)) {
                    meter.process(&[l, r]);
                }
                black_box(meter.readings().integrated_lufs)
            })
        });

        // What the plugin adds while its editor is open, without the CLAP wrapper: the meter
        // with the spectrum's display frames at the size a new instance shows, and everything
        // `process` publishes to the editor (as `benches/worst_call.rs` does at 192 kHz).
        let mut meter = Meter::new(MeterConfig::new(RATE as f64, 2).with_spectrum()).unwrap();
        meter
            .spectrum_mut()
            .unwrap()
            .set_display_size(Some(DEFAULT_DISPLAY_FFT_SIZE));
        let (mut bridge, _editor) = mixmeter::bridge::channel();
        bridge.configure_scope(RATE as f64);
        group.bench_with_input(BenchmarkId::new(&open_id, block), &block, |b, &block| {
            b.iter(|| {
                for (l, r) in left.chunks(block).zip(right.chunks(block)) {
                    process_with_editor_open(&mut meter, &mut bridge, l, r);
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
