//! The editor opened by a real CLAP host (clack-host), embedded in an X11 window as a DAW
//! embeds it (on the test's own Xvfb unless `DISPLAY` is set). Checks that it opens, draws the
//! mono-check state, survives open/close cycles while audio runs, and saves screenshots to
//! `target/screenshots/` for people to look at.

mod common;

use clack_extensions::gui::{GuiApiType, GuiConfiguration, Window};
use common::clap::{Bundle, Instance, bundles};
use common::x11::{Display, ParentWindow, display};
use std::path::Path;
use std::time::{Duration, Instant};

/// `editor::MONO_ENGAGED_COLOR`, the colour of the engaged mono check.
const MONO_ORANGE: [u8; 3] = [0xF5, 0xA6, 0x23];
const RATE_HZ: f64 = 48_000.0;
const BLOCK: usize = 480;

fn sine_block(start: usize, amplitude: f32) -> Vec<Vec<f32>> {
    let l: Vec<f32> = (start..start + BLOCK)
        .map(|n| {
            amplitude * (n as f32 * 2.0 * std::f32::consts::PI * 1000.0 / RATE_HZ as f32).sin()
        })
        .collect();
    vec![l.clone(), l]
}

fn open_editor(instance: &mut Instance, parent: &ParentWindow) {
    instance.with_gui(|gui, handle| {
        let config = GuiConfiguration {
            api_type: GuiApiType::X11,
            is_floating: false,
        };
        assert!(gui.is_api_supported(handle, config), "embedded X11 editor");
        gui.create(handle, config).expect("editor created");
        let size = gui.get_size(handle).expect("editor has a size");
        assert!(size.width >= 300 && size.height >= 150, "{size:?}");
        // SAFETY: the parent window outlives the editor (destroyed in close_editor first).
        unsafe { gui.set_parent(handle, Window::from_x11_handle(parent.window as _)) }
            .expect("editor embedded");
        gui.show(handle).expect("editor shown");
    });
}

fn close_editor(instance: &mut Instance) {
    instance.with_gui(|gui, handle| {
        let _ = gui.hide(handle);
        gui.destroy(handle);
    });
    // The editor's window thread finishes closing on its own; give it time before the host
    // window it was embedded in goes away, as a DAW's window outlives its plugin view.
    std::thread::sleep(Duration::from_millis(250));
}

/// Plays a -6 dBFS sine in real time for `duration` so the editor has live readings.
fn play(instance: &mut Instance, duration: Duration) {
    play_at(instance, duration, 0.5);
}

fn play_at(instance: &mut Instance, duration: Duration, amplitude: f32) {
    let start = Instant::now();
    let mut frame = 0;
    while start.elapsed() < duration {
        instance.process(&sine_block(frame, amplitude), &[]);
        frame += BLOCK;
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn count_pixels(pixels: &[[u8; 3]], color: [u8; 3]) -> usize {
    pixels
        .iter()
        .filter(|p| p.iter().zip(color).all(|(a, b)| a.abs_diff(b) <= 8))
        .count()
}

/// One test function: the X server this binary may start must outlive every editor window
/// (Xlib ends the process when its server goes away), so the cases run in sequence.
#[test]
fn editor_in_a_real_host_window() {
    let display = display();
    editor_opens_embedded_and_shows_the_mono_state(&display);
    editor_survives_open_close_cycles_while_audio_runs(&display);
}

fn editor_opens_embedded_and_shows_the_mono_state(display: &Display) {
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for (index, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let mut counts = Vec::new();
        for mono in [false, true] {
            let mut instance = bundle.instantiate();
            let mono_id = instance.param_id("Mono Check");
            instance.set_param_inactive(mono_id, if mono { 1.0 } else { 0.0 });
            instance.activate(RATE_HZ, 4096);
            let parent = ParentWindow::new(display, 600, 420);
            open_editor(&mut instance, &parent);
            play(&mut instance, Duration::from_millis(1500));
            let pixels = parent.capture_rgb();
            let name = format!(
                "editor-clap-{index}-mono-{}.png",
                if mono { "on" } else { "off" }
            );
            parent.save_png(&pixels, &screenshots.join(name));
            let lit = pixels.iter().filter(|p| p.iter().any(|&c| c > 40)).count();
            assert!(
                lit > 5_000,
                "{}: the editor drew something ({lit} lit pixels)",
                path.display()
            );
            counts.push(count_pixels(&pixels, MONO_ORANGE));
            if !mono {
                // Live: with no input event at all, audio alone redraws the readout once the
                // 1.5 s hold has passed (-6 dBFS, then -26 dBFS).
                play_at(&mut instance, Duration::from_millis(2500), 0.05);
                let quieter = parent.capture_rgb();
                parent.save_png(
                    &quieter,
                    &screenshots.join(format!("editor-clap-{index}-quieter.png")),
                );
                let changed = pixels.iter().zip(&quieter).filter(|(a, b)| a != b).count();
                assert!(
                    changed > 200,
                    "{}: the readout follows the audio ({changed} px)",
                    path.display()
                );
            }
            close_editor(&mut instance);
        }
        assert_eq!(
            counts[0],
            0,
            "{}: no mono colour while the check is off",
            path.display()
        );
        assert!(
            counts[1] > 2_000,
            "{}: engaged mono check is loud ({} px)",
            path.display(),
            counts[1]
        );
    }
}

fn editor_survives_open_close_cycles_while_audio_runs(display: &Display) {
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        instance.activate(RATE_HZ, 4096);
        let parent = ParentWindow::new(display, 600, 420);
        for _ in 0..4 {
            open_editor(&mut instance, &parent);
            play(&mut instance, Duration::from_millis(200));
            close_editor(&mut instance);
            // Closed: audio keeps flowing and passes untouched.
            let input = sine_block(0, 0.25);
            assert_eq!(instance.process(&input, &[]), input);
        }
    }
}
