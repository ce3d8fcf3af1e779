//! The editor opened by a real CLAP host (clack-host), embedded in an X11 window as a DAW
//! embeds it (on the test's own Xvfb unless `DISPLAY` is set). Checks that it opens, draws the
//! mono-check state, survives open/close cycles while audio runs, and saves screenshots to
//! `target/screenshots/` for people to look at.

mod common;

use common::clap::{Bundle, Instance, bundles};
use common::editor_host::{EDITOR_SIZE, close_editor, open_editor, open_editor_scaled, play_sine};
use common::x11::{Display, ParentWindow, display};
use std::path::Path;
use std::time::{Duration, Instant};

/// `editor::MONO_ENGAGED_COLOR`, the colour of the engaged mono check.
const MONO_ORANGE: [u8; 3] = [0xF5, 0xA6, 0x23];
const RATE_HZ: f64 = 48_000.0;
const BLOCK: usize = 480;

fn sine_block(start: usize, amplitude: f32) -> Vec<Vec<f32>> {
    common::clap::sine_block(start, BLOCK, RATE_HZ, amplitude)
}

/// Plays a -6 dBFS sine in real time for `duration` so the editor has live readings.
fn play(instance: &mut Instance, duration: Duration) {
    play_at(instance, duration, 0.5);
}

fn play_at(instance: &mut Instance, duration: Duration, amplitude: f32) {
    play_sine(instance, duration, (RATE_HZ, BLOCK), amplitude, &[]);
}

/// Where the editor's parts are in the host window: the editor's own layout function, inside
/// the central panel's 8-point margin, above the link row of a track instance (scale factor 1
/// on this display).
fn areas() -> mixmeter::editor::Areas {
    mixmeter::editor::areas(egui::Rect::from_min_max(
        egui::pos2(8.0, 8.0),
        egui::pos2(
            EDITOR_SIZE.0 as f32 - 8.0,
            EDITOR_SIZE.1 as f32 - 8.0 - mixmeter::editor::session::ROW_HEIGHT,
        ),
    ))
}

/// The pixels of `rect` (rows of the captured window).
fn crop(pixels: &[[u8; 3]], rect: egui::Rect) -> Vec<[u8; 3]> {
    let width = EDITOR_SIZE.0 as usize;
    let (x0, x1) = (
        rect.left().max(0.0) as usize,
        (rect.right() as usize).min(width),
    );
    let rows = pixels.len() / width;
    let (y0, y1) = (
        rect.top().max(0.0) as usize,
        (rect.bottom() as usize).min(rows),
    );
    (y0..y1)
        .flat_map(|y| pixels[y * width + x0..y * width + x1].iter().copied())
        .collect()
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
    transport_start_restarts_the_measurement(&display);
    spectrum_view_draws_live_audio_and_the_reference(&display);
    stereo_view_draws_correlation_per_band_and_the_vectorscope(&display);
    the_editor_reopens_at_the_size_saved_in_the_project(&display);
    the_editor_honours_the_host_scale_factor(&display);
    a_7_1_4_bus_shows_every_channel_and_the_right_loudness(&display);
}

/// `editor::meters::PEAK_COLOR`, the true-peak bars.
const PEAK_BAR: [u8; 3] = [0xD9, 0x9A, 0x3C];

/// The "done when": a 7.1.4 bus in the host shows every channel and the right
/// loudness. Tech 3341 case 6 on the bed (L R -28 dBFS, C -24, the side pair -30), the LFE,
/// rear pair and four heights each carrying their own quieter 1 kHz tone (-46 to -41 dBFS),
/// played in real time into the plugin with its editor open: the bars column draws twelve
/// true-peak bars (runs of the peak colour), and the measurement reads case 6's loudness plus
/// the quiet channels' share (computed here from the BS.1770-5 weights) within 0.1 LU.
fn a_7_1_4_bus_shows_every_channel_and_the_right_loudness(display: &Display) {
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let amplitude = |dbfs: f64| 10f64.powf(dbfs / 20.0);
    // Per channel: L R C LFE Lrs Rrs Ls Rs Ltf Rtf Ltr Rtr.
    let levels_dbfs = [
        -28.0, -28.0, -24.0, -41.0, -42.0, -43.0, -30.0, -30.0, -44.0, -45.0, -46.0, -46.0,
    ];
    let weights = [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.41, 1.41, 1.0, 1.0, 1.0, 1.0];
    let energy = |levels: &[f64]| -> f64 {
        levels
            .iter()
            .zip(weights)
            .map(|(&l, w)| w * amplitude(l).powi(2))
            .sum()
    };
    let case_6 = [
        -28.0,
        -28.0,
        -24.0,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        -30.0,
        -30.0,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    // Case 6 reads -23.016 LUFS at 48 kHz (tests/clap_host.rs); the quiet channels add this.
    let expected = -23.016 + 10.0 * (energy(&levels_dbfs) / energy(&case_6)).log10();
    for (index, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let mut instance = bundle.instantiate();
        instance.select_channels(12);
        instance.activate(RATE_HZ, 4096);
        let parent = ParentWindow::new(display, EDITOR_SIZE.0, EDITOR_SIZE.1);
        open_editor(&mut instance, &parent);
        let start = Instant::now();
        let mut frame = 0;
        while start.elapsed() < Duration::from_millis(3500) {
            let block: Vec<Vec<f32>> = levels_dbfs
                .iter()
                .map(|&l| {
                    (frame..frame + BLOCK)
                        .map(|n| {
                            (amplitude(l)
                                * (n as f64 * 2.0 * std::f64::consts::PI * 1000.0 / RATE_HZ).sin())
                                as f32
                        })
                        .collect()
                })
                .collect();
            instance.process(&block, &[]);
            frame += BLOCK;
            std::thread::sleep(Duration::from_millis(8));
        }
        std::thread::sleep(Duration::from_millis(300));
        let pixels = parent.capture_rgb();
        parent.save_png(
            &pixels,
            &screenshots.join(format!("editor-clap-{index}-7.1.4.png")),
        );
        let rect = areas().bars;
        let bars = crop(&pixels, rect);
        let width = (rect.right() as usize).min(EDITOR_SIZE.0 as usize) - rect.left() as usize;
        let lit_columns: Vec<bool> = (0..width)
            .map(|x| {
                bars.chunks(width)
                    .filter(|row| count_pixels(&row[x..x + 1], PEAK_BAR) == 1)
                    .count()
                    >= 3
            })
            .collect();
        let runs = lit_columns.windows(2).filter(|w| w[1] && !w[0]).count()
            + usize::from(lit_columns.first() == Some(&true));
        assert_eq!(runs, 12, "{}: twelve true-peak bars", path.display());
        close_editor(&mut instance);
        let state = instance.save_state();
        let json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        let measured: serde_json::Value =
            serde_json::from_str(json["fields"]["last-measurement"].as_str().unwrap()).unwrap();
        let integrated = measured["integrated_lufs"].as_f64().unwrap();
        assert!(
            (integrated - expected).abs() <= 0.1,
            "{}: {integrated} LUFS, expected {expected}",
            path.display()
        );
    }
}

/// A HiDPI host (CLAP `gui.set_scale(2)`; this X server has no Xft.dpi of its own): the
/// window is twice the size in physical pixels and everything in it is drawn at twice the
/// size, the same layout as at scale 1 (the 2x capture averaged over 2x2 pixel squares
/// matches the 1x capture), so text and lines are rendered at the screen's resolution
/// instead of being stretched.
fn the_editor_honours_the_host_scale_factor(display: &Display) {
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let (w, h) = (EDITOR_SIZE.0 as usize, EDITOR_SIZE.1 as usize);
    for (index, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let mut captures = Vec::new();
        for scale in [1u16, 2] {
            let mut instance = bundle.instantiate();
            // The engaged mono check draws a 4-point frame round the editor: a measure of
            // how thick lines are drawn.
            let mono_id = instance.param_id("Mono Check");
            instance.set_param_inactive(mono_id, 1.0);
            instance.activate(RATE_HZ, 4096);
            let parent = ParentWindow::new(display, EDITOR_SIZE.0 * scale, EDITOR_SIZE.1 * scale);
            open_editor_scaled(&mut instance, &parent, Some(f64::from(scale)));
            // No audio: the picture stays the same between the two scales.
            std::thread::sleep(Duration::from_millis(1200));
            let size = instance
                .with_gui(|gui, handle| gui.get_size(handle))
                .expect("editor has a size");
            assert_eq!(
                (size.width, size.height),
                (
                    u32::from(EDITOR_SIZE.0 * scale),
                    u32::from(EDITOR_SIZE.1 * scale)
                ),
                "{}: physical size at scale {scale}",
                path.display()
            );
            let pixels = parent.capture_rgb();
            parent.save_png(
                &pixels,
                &screenshots.join(format!("editor-clap-{index}-scale-{scale}.png")),
            );
            captures.push(pixels);
            close_editor(&mut instance);
        }
        let (one, two) = (&captures[0], &captures[1]);
        let (orange_1, orange_2) = (
            count_pixels(one, MONO_ORANGE),
            count_pixels(two, MONO_ORANGE),
        );
        let ratio = orange_2 as f64 / orange_1.max(1) as f64;
        assert!(
            orange_1 > 2_000 && (3.6..=4.4).contains(&ratio),
            "{}: the mono frame and button at scale 2 cover 4x the pixels ({orange_1} -> {orange_2})",
            path.display()
        );
        // The 2x capture averaged over 2x2 squares against the 1x capture.
        let mut difference = 0u64;
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let sum: u32 = [(0, 0), (1, 0), (0, 1), (1, 1)]
                        .iter()
                        .map(|(dx, dy)| u32::from(two[(2 * y + dy) * 2 * w + 2 * x + dx][c]))
                        .sum();
                    difference += u64::from((sum / 4).abs_diff(u32::from(one[y * w + x][c])));
                }
            }
        }
        let mean = difference as f64 / (w * h * 3) as f64;
        eprintln!(
            "scale: orange {orange_1} -> {orange_2} ({ratio:.3}x), mean difference {mean:.3}"
        );
        assert!(
            mean < 4.0,
            "{}: the 2x editor is the 1x editor drawn at twice the resolution (mean difference {mean:.2} per channel)",
            path.display()
        );
    }
}

/// The host asks for the editor's size when it opens it: a project saved with the editor at
/// 1300x820 opens it at 1300x820 (scale 1 here), the editor says it can be resized, and a
/// resize from the host is kept in the project.
fn the_editor_reopens_at_the_size_saved_in_the_project(display: &Display) {
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        let state = instance.save_state();
        let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        let saved = |json: &serde_json::Value| -> serde_json::Value {
            serde_json::from_str(json["fields"]["editor"].as_str().expect("editor field"))
                .expect("editor field is JSON")
        };
        assert_eq!(
            saved(&json)["width"].as_u64(),
            Some(mixmeter::editor::EDITOR_WIDTH as u64),
            "{}",
            path.display()
        );
        json["fields"]["editor"] =
            serde_json::to_string(&serde_json::json!({"width": 1300, "height": 820}))
                .unwrap()
                .into();
        let body = serde_json::to_vec(&json).unwrap();
        let mut project = (body.len() as u64).to_le_bytes().to_vec();
        project.extend(body);
        instance
            .load_state(&project)
            .expect("state with an editor size loads");
        instance.activate(RATE_HZ, 4096);
        let parent = ParentWindow::new(display, 1300, 820);
        open_editor(&mut instance, &parent);
        let (size, resizable) =
            instance.with_gui(|gui, handle| (gui.get_size(handle), gui.can_resize(handle)));
        let size = size.expect("editor has a size");
        assert_eq!((size.width, size.height), (1300, 820), "{}", path.display());
        assert!(resizable, "{}: the editor can be resized", path.display());
        play(&mut instance, Duration::from_millis(300));
        // The host resizes the view; the new size goes into the project.
        instance
            .with_gui(|gui, handle| {
                gui.set_size(
                    handle,
                    clack_extensions::gui::GuiSize {
                        width: 1200,
                        height: 760,
                    },
                )
            })
            .expect("the host may resize the editor");
        play(&mut instance, Duration::from_millis(400));
        let state = instance.save_state();
        let json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        let editor = saved(&json);
        assert_eq!(
            (editor["width"].as_u64(), editor["height"].as_u64()),
            (Some(1200), Some(760)),
            "{}",
            path.display()
        );
        close_editor(&mut instance);
    }
}

/// Colours of the stereo view's correlation bars (`editor::stereo`).
const POSITIVE_GREEN: [u8; 3] = [0x3C, 0xB3, 0x71];
const NEGATIVE_RED: [u8; 3] = [0xE5, 0x48, 0x4D];
/// `editor::panels::CAUTION_COLOR` (a warning mark).
const CAUTION_AMBER: [u8; 3] = [0xE0, 0xB0, 0x40];

/// The stereo view in the host's window (the project saved with it showing), fed in real
/// time: a mono mix draws every band's correlation bar green, the same mix with one channel
/// inverted draws them red; the vectorscope is drawn. At the default size, without any
/// scrolling, the readings at a glance show the correlation meter and the mono verdict in
/// the same colours (green, then red), and the strip along the bottom shows the checklist's
/// marks.
fn stereo_view_draws_correlation_per_band_and_the_vectorscope(display: &Display) {
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for (index, path) in bundles().iter().enumerate() {
        for inverted in [false, true] {
            let bundle = Bundle::load(path);
            let mut instance = bundle.instantiate();
            let state = instance.save_state();
            let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
            json["fields"]["editor-pane"] = "\"stereo\"".into();
            let body = serde_json::to_vec(&json).unwrap();
            let mut project = (body.len() as u64).to_le_bytes().to_vec();
            project.extend(body);
            instance
                .load_state(&project)
                .expect("state with the stereo pane loads");
            instance.activate(RATE_HZ, 4096);
            let parent = ParentWindow::new(display, EDITOR_SIZE.0, EDITOR_SIZE.1);
            open_editor(&mut instance, &parent);
            for mut block in pink_blocks(400) {
                if inverted {
                    for x in &mut block[1] {
                        *x = -*x;
                    }
                }
                instance.process(&block, &[]);
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(200));
            let pixels = parent.capture_rgb();
            let name = if inverted { "inverted" } else { "mono" };
            parent.save_png(
                &pixels,
                &screenshots.join(format!("editor-clap-{index}-stereo-{name}.png")),
            );
            // The readings at a glance: the correlation meter's fill and the mono verdict.
            let glance = &crop(&pixels, areas().glance);
            let (glance_green, glance_red) = (
                count_pixels(glance, POSITIVE_GREEN),
                count_pixels(glance, NEGATIVE_RED),
            );
            let (shown, other) = if inverted {
                (glance_red, glance_green)
            } else {
                (glance_green, glance_red)
            };
            assert!(
                shown > 300 && other < shown / 4,
                "{}: correlation at a glance (inverted {inverted}): green {glance_green}, red {glance_red}",
                path.display()
            );
            // The checklist's marks: each is outlined in its grade's colour.
            let strip = &crop(&pixels, areas().strip);
            let marks = count_pixels(strip, POSITIVE_GREEN)
                + count_pixels(strip, NEGATIVE_RED)
                + count_pixels(strip, CAUTION_AMBER);
            assert!(
                marks > 100,
                "{}: {marks} px of check marks in the bottom strip",
                path.display()
            );
            // The stereo view.
            let view = &crop(&pixels, areas().pane);
            let green = count_pixels(view, POSITIVE_GREEN);
            let red = count_pixels(view, NEGATIVE_RED);
            // The scope's points: anything light blue-ish on its dark background.
            let scope = view
                .iter()
                .filter(|p| p[2] > 120 && p[2] as u16 > p[0] as u16 + 40 && p[1] > 60)
                .count();
            if inverted {
                assert!(
                    red > 2000 && green < 100,
                    "{}: red {red}, green {green}",
                    path.display()
                );
            } else {
                assert!(
                    green > 2000 && red < 100,
                    "{}: green {green}, red {red}",
                    path.display()
                );
            }
            assert!(
                scope > 200,
                "{}: {scope} vectorscope pixels",
                path.display()
            );
            close_editor(&mut instance);
        }
    }
}

/// Colours of the spectrum view's lines (`editor::spectrum`).
const LIVE_GREEN: [u8; 3] = [0x4C, 0xC9, 0x8B];
const LONG_TERM_BLUE: [u8; 3] = [0x5A, 0x9B, 0xF0];
const REFERENCE_YELLOW: [u8; 3] = [0xF0, 0xE0, 0x80];

/// Pink-ish noise (Paul Kellet's filter on white noise), stereo, -20 dBFS-ish.
fn pink_blocks(blocks: usize) -> Vec<Vec<Vec<f32>>> {
    let mut seed = 0x1234_5678u32;
    let mut b = [0.0f32; 3];
    (0..blocks)
        .map(|_| {
            let l: Vec<f32> = (0..BLOCK)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let white = (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
                    b[0] = 0.99765 * b[0] + white * 0.0990460;
                    b[1] = 0.96300 * b[1] + white * 0.2965164;
                    b[2] = 0.57000 * b[2] + white * 1.0526913;
                    (b[0] + b[1] + b[2] + white * 0.1848) * 0.05
                })
                .collect();
            vec![l.clone(), l]
        })
        .collect()
}

/// The spectrum view in the host's window, fed pink noise in real time: the live spectrum,
/// the long-term average and the (default) pink reference are all drawn in the plot (the
/// reference mostly under the long-term line, which matches it).
fn spectrum_view_draws_live_audio_and_the_reference(display: &Display) {
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for (index, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let mut instance = bundle.instantiate();
        instance.activate(RATE_HZ, 4096);
        let parent = ParentWindow::new(display, EDITOR_SIZE.0, EDITOR_SIZE.1);
        open_editor(&mut instance, &parent);
        for block in pink_blocks(300) {
            instance.process(&block, &[]);
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(200));
        let pixels = parent.capture_rgb();
        parent.save_png(
            &pixels,
            &screenshots.join(format!("editor-clap-{index}-spectrum-pink.png")),
        );
        let plot = &crop(&pixels, areas().pane);
        let live = count_pixels(plot, LIVE_GREEN);
        let long_term = count_pixels(plot, LONG_TERM_BLUE);
        let reference = count_pixels(plot, REFERENCE_YELLOW);
        assert!(
            live > 300 && long_term > 300 && reference > 100,
            "{}: live {live}, long-term {long_term}, reference {reference} px",
            path.display()
        );
        close_editor(&mut instance);
    }
}

/// Plays exactly `blocks` blocks of the -6 dBFS sine in real time with the given transport
/// state, then lets the editor draw the last readings.
fn play_blocks(instance: &mut Instance, first: usize, blocks: usize, playing: bool) -> usize {
    for b in 0..blocks {
        let frame = (first + b) * BLOCK;
        instance.process_with_transport(&sine_block(frame, 0.5), &[], Some(playing));
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    first + blocks
}

/// The host's transport going from stopped to playing restarts the measurement when "Reset on
/// Play" is on (the default), and not when it is off. Seen from outside, in the editor the
/// host embedded: a steady tone measured for 3.2 s while stopped (so even the 3 s short-term
/// window is full and steady), then 0.3 s more with the transport playing. With the reset, the readings restart (momentary, integrated, maxima and
/// PLR have no value again within 400 ms, measured time is back at 0, the status line says
/// why); without it, every reading of the steady tone is the same as before (same second of
/// measured time), so the picture does not change.
fn transport_start_restarts_the_measurement(display: &Display) {
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for (index, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let mut changed = Vec::new();
        for reset_on_play in [true, false] {
            let mut instance = bundle.instantiate();
            let id = instance.param_id("Reset on Play");
            instance.set_param_inactive(id, if reset_on_play { 1.0 } else { 0.0 });
            instance.activate(RATE_HZ, 4096);
            let parent = ParentWindow::new(display, EDITOR_SIZE.0, EDITOR_SIZE.1);
            open_editor(&mut instance, &parent);
            let next = play_blocks(&mut instance, 0, 320, false);
            let stopped = parent.capture_rgb();
            play_blocks(&mut instance, next, 30, true);
            let playing = parent.capture_rgb();
            parent.save_png(
                &playing,
                &screenshots.join(format!(
                    "editor-clap-{index}-transport-started-reset-{}.png",
                    if reset_on_play { "on" } else { "off" }
                )),
            );
            // The loudness readings at the top of the side panel (the spectrum, the history,
            // and the suggestions and checks below the readings move with any signal).
            let side = areas().glance;
            let side = egui::Rect::from_min_size(side.min, egui::vec2(side.width(), 135.0));
            changed.push(
                crop(&stopped, side)
                    .iter()
                    .zip(&crop(&playing, side))
                    .filter(|(a, b)| a != b)
                    .count(),
            );
            close_editor(&mut instance);
        }
        eprintln!(
            "transport start, loudness panel pixels changed: reset on {}, off {}",
            changed[0], changed[1]
        );
        assert!(
            changed[0] > 1_000,
            "{}: transport start with Reset on Play restarts the readings ({} px changed)",
            path.display(),
            changed[0]
        );
        assert!(
            changed[1] < 50,
            "{}: with Reset on Play off the readings carry on ({} px changed)",
            path.display(),
            changed[1]
        );
    }
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
            let parent = ParentWindow::new(display, EDITOR_SIZE.0, EDITOR_SIZE.1);
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
        let parent = ParentWindow::new(display, EDITOR_SIZE.0, EDITOR_SIZE.1);
        // Twelve cycles, open from 20 ms to 300 ms: some close before the first frame is drawn.
        for cycle in 0..12u64 {
            open_editor(&mut instance, &parent);
            play(&mut instance, Duration::from_millis(20 + cycle * 25));
            // Open: audio passes untouched.
            let input = sine_block(cycle as usize * BLOCK, 0.25);
            assert_eq!(instance.process(&input, &[]), input);
            close_editor(&mut instance);
            // Closed: audio keeps flowing and passes untouched.
            let input = sine_block(0, 0.25);
            assert_eq!(instance.process(&input, &[]), input);
        }
        // And the state still saves with the editor's fields after all of it.
        let state = instance.save_state();
        let json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        assert!(json["fields"]["editor"].is_string(), "{}", path.display());
    }
}
