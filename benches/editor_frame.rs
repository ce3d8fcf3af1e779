//! One full editor frame on the CPU: egui layout of every widget plus tessellation into
//! triangles (what the GPU is then handed), no GPU. The data is real: a stereo meter with the
//! spectrum runs over 20 s of pink noise with one band in opposite polarity, and its snapshot,
//! spectra, vectorscope and loudness history come through the real bridge, as in the plugin;
//! the history is filled to its full 10 minutes and shown at the 10-minute zoom. Every view is
//! populated: bars, history, loudness, dynamics, platforms and stereo panels, and each of the
//! two lower panes (spectrum with the pink reference and its comparison; stereo with 15 bands
//! and 2048 vectorscope points), at the default size and 1x scale. Run with
//! `cargo bench --bench editor_frame`; the target is under 1 ms per frame.
//!
//! The `*_screen_reader` cases run the same frames with the window's screen-reader bridge
//! (`editor::access`) connected to a real AT-SPI adapter: AccessKit on, the tree named for
//! listeners, diffed and handed to `accesskit_unix` every frame (the frames alternate between
//! two sets of readings and the bridge's rate limit is off, so every frame pushes an update:
//! the worst case; in the plugin value changes go at most every 250 ms). The adapter applies
//! the updates on its own thread (measured separately and printed). They need a D-Bus
//! session with accessibility on: `scripts/bench-screen-reader.sh` runs the bench so; without
//! one they are skipped with a message.
//!
//! `master_64_tracks` is the master instance's editor with 64 track instances linked
//! (`docs/session.md`): the same frame with the session view below it, fed through the real
//! shared-memory link. 64 track slots are claimed in a group of their own and filled with the
//! frames of the core's synthetic stems (kick, bass, vocal, guitar, hi-hat, keys, each
//! stem's copies 3 dB apart, so many pairs mask each other), published at the audio's pace by a thread
//! that plays the tracks' part while the bench runs; the panel's reader reads the slots every
//! 250 ms and for each analysis, which runs on its own thread, as in the plugin. What is
//! measured is the editor thread's CPU time per frame (layout, the reads of 64 slots spread
//! over the frames between them, tessellation), not wall time:
//! the analysis's thread runs meanwhile and is not the frame's cost (`docs/session.md` gives
//! its own). `master_64_tracks_read` is one read of the slots alone.

use criterion::{Criterion, criterion_group, criterion_main};
use mixmeter::diagnosis::platforms::targets;
use mixmeter::editor::history::LoudnessHistory;
use mixmeter::editor::spectrum::{SpectrumData, SpectrumState};
use mixmeter::editor::stereo::{StereoData, stereo_data};
use mixmeter::editor::{
    EDITOR_HEIGHT, EDITOR_WIDTH, EditorFrame, Pane, View, draw, stereo_summary,
};
use mixmeter::meter::engine::LoudnessPoint;
use mixmeter::meter::engine::{Meter, MeterConfig};
use mixmeter::params::SpectrumSettings;
use mixmeter::reference::library::ReferenceLibrary;
use std::hint::black_box;

/// Pink-ish stereo noise (Paul Kellet's filter), the right channel inverted in the 4th second
/// of every 5 (so the stereo view has something to flag).
fn material(rate: usize, seconds: usize) -> (Vec<f32>, Vec<f32>) {
    let mut seed = 0x2468_ace1u32;
    let mut b = [0.0f32; 3];
    let mut left = Vec::with_capacity(rate * seconds);
    let mut right = Vec::with_capacity(rate * seconds);
    for n in 0..rate * seconds {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let white = (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
        b[0] = 0.99765 * b[0] + white * 0.0990460;
        b[1] = 0.96300 * b[1] + white * 0.2965164;
        b[2] = 0.57000 * b[2] + white * 1.0526913;
        let x = (b[0] + b[1] + b[2] + white * 0.1848) * 0.05;
        left.push(x);
        right.push(if (n / rate) % 5 == 3 { -x } else { x * 0.8 });
    }
    (left, right)
}

struct Frame {
    view: View,
    history: LoudnessHistory,
    spectrum: SpectrumData,
    stereo: StereoData,
}

fn frame_data() -> Frame {
    let rate = 48_000;
    let (left, right) = material(rate, 20);
    let mut meter = Meter::new(MeterConfig::new(rate as f64, 2).with_spectrum()).unwrap();
    meter.spectrum_mut().unwrap().set_display_size(Some(8192));
    let (mut input, mut output) = mixmeter::bridge::channel();
    input.configure_scope(rate as f64);
    let mut history = LoudnessHistory::new();
    for (l, r) in left.chunks(512).zip(right.chunks(512)) {
        meter.process(&[l, r]);
        input.publish_history(&meter);
        input.feed_scope(l, r);
        input.publish_all(&meter.readings(), false, meter.stereo_bands(), 1.0);
        input.publish_spectrum(meter.spectrum_mut().unwrap(), false);
    }
    let snapshot = output.snapshot();
    let mut state = SpectrumState::new();
    let library = ReferenceLibrary::default();
    let (live, long_term) = output.spectra();
    let spectrum = state.update(live, long_term, SpectrumSettings::default(), &library, 0.0);
    assert!(spectrum.comparison.is_some() && !spectrum.live_db.is_empty());
    let (scope, _) = output.scope();
    let stereo = stereo_data(snapshot.stereo.as_ref(), &snapshot.readings, scope).unwrap();
    assert_eq!(stereo.points.len(), 2048);
    // Ten minutes of history: the 20 s measured, after 9:40 of a varying older part.
    history.extend((0..5800).map(|i| LoudnessPoint {
        momentary_lufs: -18.0 + 6.0 * ((i as f32) * 0.05).sin(),
        short_term_lufs: -18.0 + 2.0 * ((i as f32) * 0.005).sin(),
    }));
    history.update(&output);
    assert_eq!(history.len(), 6000);
    let mut view = View::new(snapshot.readings, &targets(), "spotify");
    view.true_peak_db = [-3.2, -4.1];
    view.bar_peak_db = [-5.0, -6.0];
    view.history_s = 600;
    view.stereo = stereo_summary(snapshot.stereo.as_ref(), &snapshot.readings);
    view.grade(
        &mixmeter::diagnosis::checks::profiles(),
        "pre-master",
        spectrum.comparison.as_ref(),
    );
    Frame {
        view,
        history,
        spectrum,
        stereo,
    }
}

/// Lays out and tessellates one frame; returns the triangle count.
fn run_frame(ctx: &egui::Context, frame: &Frame, pane: Pane) -> usize {
    run_view(ctx, frame, &frame.view, pane)
}

/// One frame's input: the editor's default size, nothing else.
fn editor_input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(EDITOR_WIDTH as f32, EDITOR_HEIGHT as f32),
        )),
        ..Default::default()
    }
}

/// [`run_frame`] with another set of readings.
fn run_view(ctx: &egui::Context, frame: &Frame, view: &View, pane: Pane) -> usize {
    let input = editor_input();
    let editor_frame = EditorFrame {
        view,
        history: &frame.history,
        pane,
        spectrum: &frame.spectrum,
        stereo: Some(&frame.stereo),
    };
    let output = ctx.run_ui(input, |ui| {
        egui::CentralPanel::default().show(ui, |ui| {
            draw(ui, &editor_frame);
        });
    });
    let meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
    meshes
        .iter()
        .map(|m| match &m.primitive {
            egui::epaint::Primitive::Mesh(mesh) => mesh.indices.len() / 3,
            egui::epaint::Primitive::Callback(_) => 0,
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let frame = frame_data();
    let mut group = c.benchmark_group("editor_frame");
    for (name, pane) in [("spectrum", Pane::Spectrum), ("stereo", Pane::Stereo)] {
        let ctx = egui::Context::default();
        // Warm up: fonts are rasterised and layouts cached on the first frames.
        for _ in 0..3 {
            run_frame(&ctx, &frame, pane);
        }
        println!(
            "{name}: {} triangles per frame",
            run_frame(&ctx, &frame, pane)
        );
        group.bench_function(name, |b| {
            b.iter(|| black_box(run_frame(&ctx, &frame, pane)))
        });
    }
    session_case(&mut group, &frame);
    screen_reader_cases(&mut group, &frame);
    group.finish();
}

/// CPU time the calling thread has used (Linux `CLOCK_THREAD_CPUTIME_ID`).
fn thread_cpu_time() -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    assert!(ok, "the thread's CPU clock");
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The master's editor with 64 linked tracks (see the module docs).
fn session_case(
    group: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    frame: &Frame,
) {
    use mixmeter::editor::session::SessionPanel;
    use mixmeter::link::layout::{RING_LEN, ROLE_TRACK};
    use mixmeter::link::slot::{Lease, Meta, Publisher, now_ns};
    use mixmeter::link::{LinkControl, Role, Settings};
    use mixmeter_core::session::frame::TrackFrame;
    use mixmeter_core::session::summarize::FrameSummarizer;
    use mixmeter_core::session::synth;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    const TRACKS: usize = 64;
    let rate = 48_000.0;
    let name = format!("bench-editor-{}-{}", std::process::id(), now_ns());
    // The stems' frames, summarized once; track k plays stem k % 6 at its own gain.
    let stems: Vec<Vec<TrackFrame>> = synth::stems(rate, 20.0)
        .iter()
        .map(|stem| {
            let mut summarizer = FrameSummarizer::new(rate as f32, &[1.0]);
            let mut frames = Vec::new();
            summarizer.process(&[stem], Some(0), |f| frames.push(*f));
            frames
        })
        .collect();
    let track_frame = move |k: usize, n: u64| {
        let source = &stems[k % stems.len()];
        let mut f = source[n as usize % source.len()];
        // Each stem's copies 3 dB apart: a few of them carry most of a band, as in a mix.
        let gain = 10f32.powf(-3.0 * (k / stems.len()) as f32 / 20.0);
        f.index = n;
        f.sample_peak *= gain;
        f.true_peak *= gain;
        f.mean_square *= gain * gain;
        f.power *= gain * gain;
        f.bands.iter_mut().for_each(|b| *b *= gain * gain);
        f
    };
    let mut publishers: Vec<Publisher> = (0..TRACKS)
        .map(|k| {
            let meta = Meta {
                role: ROLE_TRACK,
                name: format!("{} {}", synth::STEM_NAMES[k % 6], k / 6 + 1),
                colour: Some(0x4080_c0ff),
                name_from_host: true,
                sample_rate_hz: rate as f32,
                channels: 2,
            };
            Publisher::new(Lease::claim(&name, &meta).expect("a slot for every track"))
        })
        .collect();
    let hop_s = mixmeter_core::session::frame::hop_for_rate(rate as f32) as f64 / rate;
    let mut written = 0u64;
    let mut publish_up_to = move |publishers: &mut [Publisher], n: u64| {
        for (k, p) in publishers.iter_mut().enumerate() {
            p.beat(now_ns());
            for i in written..n {
                p.publish(&track_frame(k, i));
            }
        }
        written = written.max(n);
    };
    publish_up_to(&mut publishers, RING_LEN as u64);
    // The tracks' audio threads: a frame every hop for every track, for as long as the bench.
    let playing = Arc::new(AtomicBool::new(true));
    let tracks = {
        let playing = playing.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            while playing.load(Ordering::Relaxed) {
                let due = RING_LEN as u64 + (started.elapsed().as_secs_f64() / hop_s) as u64;
                publish_up_to(&mut publishers, due);
                std::thread::sleep(Duration::from_secs_f64(hop_s));
            }
            publishers
        })
    };

    let control = LinkControl::default();
    control.set_settings(Settings {
        role: Role::Master,
        group: name.clone(),
        ..Settings::default()
    });
    control.activated(rate as f32, 2);
    let mut panel = SessionPanel::default();
    let ctx = egui::Context::default();
    let run = |panel: &mut SessionPanel| {
        let input = editor_input();
        let editor_frame = EditorFrame {
            view: &frame.view,
            history: &frame.history,
            pane: Pane::Spectrum,
            spectrum: &frame.spectrum,
            stereo: Some(&frame.stereo),
        };
        let output = ctx.run_ui(input, |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                panel.below(ui, &control, |ui| draw(ui, &editor_frame));
            });
        });
        ctx.tessellate(output.shapes, output.pixels_per_point).len()
    };
    // Until the first analysis of all 64 tracks has arrived (it runs on its own thread).
    let started = Instant::now();
    loop {
        run(&mut panel);
        let view = panel.refresh(&control, Instant::now());
        if view.is_some_and(|v| v.report.tracks.len() == TRACKS) {
            let report = &view.unwrap().report;
            println!(
                "master_64_tracks: {} tracks, {} masking pairs, analysis ready after {:.1} s",
                report.tracks.len(),
                report.masking.len(),
                started.elapsed().as_secs_f64()
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the session analysis of 64 tracks never arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The editor thread's CPU time per frame (the session analysis's thread, which also runs
    // while this is measured, must not count, nor the helpers' builds on a shared machine).
    group.bench_function("master_64_tracks", |b| {
        b.iter_custom(|iters| {
            let started = thread_cpu_time();
            for _ in 0..iters {
                black_box(run(&mut panel));
            }
            thread_cpu_time() - started
        })
    });
    // One read of the 64 slots, as the panel makes every 250 ms and before each analysis
    // (a reader of its own: reading takes nothing from the rings).
    let mut reader = mixmeter::link::reader::Reader::new(&name);
    group.bench_function("master_64_tracks_read", |b| {
        b.iter(|| black_box(reader.poll(now_ns()).len()))
    });
    playing.store(false, Ordering::Relaxed);
    let publishers = tracks.join().expect("the tracks' thread");
    drop(panel);
    control.shutdown();
    for p in &publishers {
        p.lease().release();
    }
    let _ = std::fs::remove_file(mixmeter::link::segment::segment_path(&name));
}

/// The frames with the screen-reader bridge connected (see the module docs).
fn screen_reader_cases(
    group: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    frame: &Frame,
) {
    use mixmeter::editor::access::Bridge;
    use std::time::{Duration, Instant};
    // The second set of readings differs in every loudness and peak value a listener hears.
    let mut other = frame.view.clone();
    let r = &mut other.readings;
    for v in [
        &mut r.integrated_lufs,
        &mut r.momentary_lufs,
        &mut r.short_term_lufs,
        &mut r.max_true_peak_dbtp,
    ] {
        *v = v.map(|x| x - 0.3);
    }
    other.true_peak_db = [-3.5, -4.4];
    for (name, pane) in [("spectrum", Pane::Spectrum), ("stereo", Pane::Stereo)] {
        let ctx = egui::Context::default();
        let (bridge, handle) = Bridge::connect(|| {}, Duration::ZERO);
        bridge.install(&ctx);
        let start = Instant::now();
        while !handle.is_active() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if !handle.is_active() {
            println!(
                "{name}_screen_reader: skipped, no AT-SPI bus with accessibility on \
                 (run scripts/bench-screen-reader.sh)"
            );
            return;
        }
        let views = [&frame.view, &other];
        for i in 0..6 {
            run_view(&ctx, frame, views[i % 2], pane);
        }
        let before = handle.stats();
        let mut i = 0;
        group.bench_function(format!("{name}_screen_reader"), |b| {
            b.iter(|| {
                i += 1;
                black_box(run_view(&ctx, frame, views[i % 2], pane))
            })
        });
        // Let the adapter's thread catch up before reading its time.
        std::thread::sleep(Duration::from_millis(500));
        let after = handle.stats();
        let pushes = after.pushes - before.pushes;
        let applied = after.adapter_updates - before.adapter_updates;
        if after.frames > before.frames {
            println!(
                "{name}_screen_reader: {pushes} updates sent for {} frames, {:.0} nodes each; \
                 the adapter's thread applied {applied}, {:.3} ms each",
                after.frames - before.frames,
                (after.nodes_pushed - before.nodes_pushed) as f64 / pushes.max(1) as f64,
                (after.adapter_ns - before.adapter_ns) as f64 / applied.max(1) as f64 / 1e6
            );
            assert!(pushes > 0 && applied > 0, "the adapter received the tree");
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
