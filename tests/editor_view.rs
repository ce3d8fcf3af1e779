//! The editor's view rendered headless with egui_kittest and queried the way a screen reader
//! sees it: the numbers shown are the numbers given, undefined readings are a dash, the mono
//! check is a toggle and the EBU-mode buttons send their commands.

#[path = "common/signals.rs"]
mod signals;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use mixmeter::bridge::{Command, LongTermFrame, SpectrumFrame};
use mixmeter::diagnosis::platforms::targets;
use mixmeter::editor::history::LoudnessHistory;
use mixmeter::editor::spectrum::{SpectrumData, SpectrumState};
use mixmeter::editor::stereo::StereoData;
use mixmeter::editor::{Actions, EditorFrame, Pane, View, draw};
use mixmeter::meter::engine::Readings;
use mixmeter::params::SpectrumSettings;
use mixmeter::reference::library::ReferenceLibrary;

fn readings() -> Readings {
    Readings {
        channels: 2,
        running: true,
        measured_s: 125.0,
        momentary_lufs: Some(-12.34),
        short_term_lufs: Some(-13.96),
        integrated_lufs: Some(-14.04),
        loudness_range_lu: Some(5.42),
        max_momentary_lufs: Some(-9.8),
        max_short_term_lufs: Some(-11.2),
        max_true_peak_dbtp: Some(-0.6),
        plr_db: Some(13.44),
        psr_db: None,
        ..Readings::default()
    }
}

fn view(mono_engaged: bool) -> View {
    let mut view = View::new(readings(), &targets(), "spotify");
    view.mono_engaged = mono_engaged;
    view.true_peak_db = [-6.02, f32::NEG_INFINITY];
    view
}

/// An empty spectrum view (no audio yet), as the editor builds it.
fn empty_spectrum() -> SpectrumData {
    SpectrumState::new().update(
        &SpectrumFrame::default(),
        &LongTermFrame::default(),
        SpectrumSettings::default(),
        &ReferenceLibrary::default(),
        0.0,
    )
}

/// Everything the whole editor draws, owned (the harness's state).
struct Scene {
    view: View,
    history: LoudnessHistory,
    pane: Pane,
    spectrum: SpectrumData,
    stereo: Option<StereoData>,
    actions: Actions,
    /// Where the editor was drawn (points).
    full: egui::Rect,
}

impl Scene {
    fn new(view: View) -> Self {
        Self {
            view,
            history: LoudnessHistory::new(),
            pane: Pane::Spectrum,
            spectrum: empty_spectrum(),
            stereo: None,
            actions: Actions::default(),
            full: egui::Rect::NOTHING,
        }
    }
}

/// The whole editor at `size` (logical pixels); actions of every frame are merged.
fn harness_sized(scene: Scene, size: (f32, f32)) -> Harness<'static, Scene> {
    Harness::builder()
        .with_size(egui::Vec2::new(size.0, size.1))
        .build_ui_state(
            |ui, scene: &mut Scene| {
                scene.full = ui.available_rect_before_wrap();
                let frame = EditorFrame {
                    view: &scene.view,
                    history: &scene.history,
                    pane: scene.pane,
                    spectrum: &scene.spectrum,
                    stereo: scene.stereo.as_ref(),
                };
                let now = draw(ui, &frame);
                let a = &mut scene.actions;
                a.toggle_mono |= now.toggle_mono;
                a.toggle_level_match |= now.toggle_level_match;
                a.toggle_fold_to |= now.toggle_fold_to;
                a.command = now.command.or(a.command);
                a.select_target = now.select_target.or(a.select_target.take());
                a.select_check_profile = now.select_check_profile.or(a.select_check_profile.take());
                a.freeze |= now.freeze;
                a.clear_frozen |= now.clear_frozen;
                a.select_version = now.select_version.or(a.select_version.take());
                a.reports_enabled = now.reports_enabled.or(a.reports_enabled);
                a.report_folder_text = now.report_folder_text.or(a.report_folder_text.take());
                a.use_report_folder |= now.use_report_folder;
                a.history_s = now.history_s.or(a.history_s);
                a.pane = now.pane.or(a.pane);
                for (c, n) in a.clear_clip.iter_mut().zip(now.clear_clip) {
                    *c |= n;
                }
            },
            scene,
        )
}

fn harness(view: View) -> Harness<'static, Scene> {
    harness_sized(
        Scene::new(view),
        (
            mixmeter::editor::EDITOR_WIDTH as f32,
            mixmeter::editor::EDITOR_HEIGHT as f32,
        ),
    )
}

/// The value of the meter reading called `label` (its visible caption is a separate label).
fn value_of(harness: &Harness<'_, Scene>, label: &str) -> Option<String> {
    harness
        .get_by_role_and_label(egui::Role::Meter, label)
        .value()
}

#[test]
fn shows_the_loudness_readings_given() {
    let mut harness = harness(view(false));
    harness.run();
    assert_eq!(value_of(&harness, "Momentary").as_deref(), Some("-12.3"));
    assert_eq!(value_of(&harness, "Short-term").as_deref(), Some("-14.0"));
    assert_eq!(
        value_of(&harness, "Integrated loudness").as_deref(),
        Some("-14.0")
    );
    assert_eq!(value_of(&harness, "Loudness range").as_deref(), Some("5.4"));
    assert_eq!(value_of(&harness, "Max momentary").as_deref(), Some("-9.8"));
    assert_eq!(
        value_of(&harness, "Max short-term").as_deref(),
        Some("-11.2")
    );
    assert_eq!(value_of(&harness, "True peak max").as_deref(), Some("-0.6"));
    assert_eq!(value_of(&harness, "PLR").as_deref(), Some("13.4"));
    assert_eq!(
        value_of(&harness, "PSR").as_deref(),
        Some("—"),
        "no value is a dash"
    );
    let integrated = harness.get_by_role_and_label(egui::Role::Meter, "Integrated loudness");
    assert_eq!(integrated.accesskit_node().numeric_value(), Some(-14.04));
    assert!(
        harness
            .query_by_label_contains("0:02:05 measuring")
            .is_some()
    );
}

#[test]
fn shows_the_live_true_peaks_given() {
    let mut harness = harness(view(false));
    harness.run();
    let left = harness.get_by_label("Left true peak");
    assert_eq!(left.value().as_deref(), Some("-6.0"));
    assert_eq!(left.accesskit_node().numeric_value(), Some(-6.02f32 as f64));
    let right = harness.get_by_label("Right true peak");
    assert_eq!(
        right.value().as_deref(),
        Some("—"),
        "no signal is a dash, not a floor value"
    );
    assert_eq!(right.accesskit_node().numeric_value(), None);
}

#[test]
fn mono_check_is_a_toggle_that_reports_its_state_and_clicks() {
    for engaged in [false, true] {
        let mut harness = harness(view(engaged));
        harness.run();
        let button = harness.get_by_label("Mono check");
        let expected = if engaged {
            egui::accesskit::Toggled::True
        } else {
            egui::accesskit::Toggled::False
        };
        assert_eq!(button.accesskit_node().toggled(), Some(expected));
        button.click();
        harness.run();
        assert!(
            harness.state().actions.toggle_mono,
            "a click asks to toggle"
        );
    }
}

#[test]
fn ebu_mode_buttons_send_their_commands() {
    let mut harness = harness(view(false));
    harness.run();
    harness.get_by_label("Pause").click();
    harness.run();
    assert_eq!(harness.state().actions.command, Some(Command::Pause));
    harness.get_by_label("Reset").click();
    harness.run();
    assert_eq!(harness.state().actions.command, Some(Command::Reset));

    let mut paused = view(false);
    paused.readings.running = false;
    let mut harness = self::harness(paused);
    harness.run();
    harness.get_by_label("Continue").click();
    harness.run();
    assert_eq!(harness.state().actions.command, Some(Command::Start));
}

#[test]
fn engaged_mono_check_says_so_in_words() {
    let mut harness = harness(view(true));
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Output folded to mono")
            .is_some()
    );
    let mut harness = self::harness(view(false));
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Output folded to mono")
            .is_none()
    );
}

/// At a sample rate the meter cannot measure (the plugin stays active and passes audio
/// through), the header says so in words, in place of the output state, even with the mono
/// check on (it is not applied then).
#[test]
fn an_unsupported_rate_says_why_nothing_is_measured() {
    let mut v = view(true);
    v.not_measuring = Some(mixmeter::bridge::not_measuring_message(768_000.0));
    let mut harness = harness(v);
    harness.run();
    assert!(
        harness
            .query_by_label_contains(
                "Not measuring: 768 kHz is outside the 8-384 kHz this meter supports"
            )
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Output folded to mono")
            .is_none()
    );
}

#[test]
fn level_match_is_a_checkbox_and_its_gain_is_shown() {
    let mut v = view(true);
    v.mono_level_match = true;
    v.mono_level_gain_db = 3.01;
    let mut harness = harness(v);
    harness.run();
    assert!(
        harness
            .query_by_label_contains("level-matched +3.0 dB")
            .is_some()
    );
    let checkbox = harness.get_by_label("level-matched");
    assert_eq!(
        checkbox.accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True)
    );
    checkbox.click();
    harness.run();
    assert!(harness.state().actions.toggle_level_match);
    assert!(!harness.state().actions.toggle_mono);
}

#[test]
fn mono_layout_shows_one_peak_and_non_finite_input_is_reported() {
    let mut v = view(false);
    v.channels = 1;
    v.true_peak_db = [-20.0, -3.0];
    v.readings.non_finite_samples = 12;
    let mut harness = harness(v);
    harness.run();
    assert_eq!(
        value_of(&harness, "Mono true peak").as_deref(),
        Some("-20.0")
    );
    assert!(harness.query_by_label("Right true peak").is_none());
    assert!(
        harness
            .query_by_label_contains("12 non-finite input samples")
            .is_some()
    );
    assert!(harness.query_by_label_contains("clipped run").is_none());
}

/// Clipped runs in the input are named in the status line, with the longest, inside the
/// header beside a non-finite warning, at the default and the smallest size (saved for the
/// eye: target/screenshots/editor-clipped-WxH.png).
#[test]
fn clipped_runs_in_the_input_are_reported() {
    use mixmeter::editor::{EDITOR_HEIGHT, EDITOR_MIN_SIZE, EDITOR_WIDTH, areas};
    for (w, h) in [
        (EDITOR_WIDTH as f32, EDITOR_HEIGHT as f32),
        (EDITOR_MIN_SIZE.0 as f32, EDITOR_MIN_SIZE.1 as f32),
    ] {
        let mut v = glance_view();
        v.readings.clipped_runs = 231;
        v.readings.longest_clipped_run = 111;
        v.readings.non_finite_samples = 12;
        let mut harness = harness_sized(Scene::new(v), (w, h));
        harness.run();
        save_screenshot(&mut harness, &format!("editor-clipped-{w}x{h}.png"));
        let header = areas(harness.state().full).header;
        for text in [
            "231 clipped runs (longest 111)",
            "12 non-finite input samples",
        ] {
            let rect = harness.get_by_label_contains(text).rect();
            assert!(
                header.expand(1.0).contains_rect(rect) && rect.width() > 2.0,
                "{text}: {rect:?} outside the header {header:?} at {w}x{h}"
            );
        }
    }
}

/// The shared exact pink noise (seed 21, -20 dBFS RMS) as f32 samples.
fn pink(rate: f64, len: usize, boost: Option<(f64, f64, f64)>) -> Vec<f32> {
    signals::pink(rate as u32, len, 21, boost)
        .into_iter()
        .map(|x| x as f32)
        .collect()
}

/// The same noise with another seed.
fn pink_seeded(rate: f64, len: usize, seed: u64) -> Vec<f32> {
    signals::pink(rate as u32, len, seed, None)
        .into_iter()
        .map(|x| x as f32)
        .collect()
}

/// The spectrum view fed by the real analyzer through the real bridge (as the plugin does),
/// rendered headless: the deviations shown per region are the measured ones (the boosted
/// low-mids read about +6 and are the one suggestion), the plot describes itself, Capture
/// freezes the long-term spectrum as a curve, and Import reads a curve file on a worker thread.
/// 21.8 s of pink noise with the low-mids (200-500 Hz) 6 dB up, through the real analyzer and
/// bridge into the spectrum view's state, compared with the pink slope (selected: the default is now the `music` curve).
fn low_mid_boost_spectrum() -> (SpectrumState, SpectrumData, mixmeter::bridge::MeterOutput) {
    pink_spectrum(Some((200.0, 500.0, 6.0)))
}

/// Pink noise (with an optional band boost) through the real analyzer and bridge into the
/// spectrum view's state, compared with the pink slope.
fn pink_spectrum(
    boost: Option<(f64, f64, f64)>,
) -> (SpectrumState, SpectrumData, mixmeter::bridge::MeterOutput) {
    spectrum_of(&pink(48_000.0, 1 << 20, boost))
}

/// Any 48 kHz mono audio through the real analyzer and bridge into the spectrum view's state,
/// compared with the pink slope.
fn spectrum_of(audio: &[f32]) -> (SpectrumState, SpectrumData, mixmeter::bridge::MeterOutput) {
    use mixmeter::meter::engine::{Meter, MeterConfig};
    let rate = 48_000.0;
    let mut meter = Meter::new(MeterConfig::new(rate, 1).with_spectrum()).unwrap();
    let (mut input, mut output) = mixmeter::bridge::channel();
    meter.spectrum_mut().unwrap().set_display_size(Some(4096));
    for block in audio.chunks(512) {
        meter.process(&[block]);
        input.publish_spectrum(meter.spectrum_mut().unwrap(), false);
    }
    let mut state = SpectrumState::new();
    let mut library = ReferenceLibrary::default();
    library.selection = mixmeter::reference::library::Selection::Builtin("pink".to_string());
    let (live, long_term) = output.spectra();
    let data = state.update(live, long_term, SpectrumSettings::default(), &library, 0.0);
    (state, data, output)
}

/// A test tone gives no tonal advice, so the regions show no deviation (a sine is not "mids
/// +100 dB"): dashes, nothing in the warning colour, and the reason in words.
#[test]
fn a_test_tone_shows_no_region_deviations_and_says_why() {
    use mixmeter::editor::spectrum::{SpectrumActions, SpectrumData, draw_spectrum};
    let rate = 48_000.0;
    let sine: Vec<f32> = (0..1 << 20)
        .map(|n| (0.5 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / rate).sin()) as f32)
        .collect();
    let (_state, data, _output) = spectrum_of(&sine);
    assert!(data.comparison.as_ref().unwrap().withheld.is_some());
    let mut harness = Harness::new_ui_state(
        |ui, (data, actions): &mut (SpectrumData, SpectrumActions)| {
            let now = draw_spectrum(ui, data);
            if now != SpectrumActions::default() {
                *actions = now;
            }
        },
        (data, SpectrumActions::default()),
    );
    harness.run();
    for region in [
        "sub",
        "bass",
        "low-mids",
        "mids",
        "presence",
        "sibilance/harshness",
        "air",
    ] {
        let label = format!("{region} deviation");
        let node = harness.get_by_role_and_label(egui::Role::Meter, &label);
        assert_eq!(node.accesskit_node().numeric_value(), None, "{region}");
        assert_eq!(node.value().as_deref(), Some("—"), "{region}");
    }
    assert!(
        harness
            .query_by_label_contains("no tonal advice: the energy lies in")
            .is_some()
    );
}

#[test]
fn spectrum_view_shows_the_measured_deviations_and_captures_and_imports() {
    use mixmeter::editor::spectrum::{SpectrumActions, SpectrumData, draw_spectrum};
    use mixmeter::reference::CurveKind;

    let (mut state, data, mut output) = low_mid_boost_spectrum();
    let library = ReferenceLibrary::default();
    assert_eq!(data.live_db.len(), data.frequencies_hz.len());
    assert_eq!(data.long_term_db.len(), data.frequencies_hz.len());
    assert!(data.reference.is_some());

    let mut harness = Harness::new_ui_state(
        |ui, (data, actions): &mut (SpectrumData, SpectrumActions)| {
            let now = draw_spectrum(ui, data);
            if now != SpectrumActions::default() {
                *actions = now;
            }
        },
        (data, SpectrumActions::default()),
    );
    harness.run();
    let low_mids = harness.get_by_role_and_label(egui::Role::Meter, "low-mids deviation");
    let value = low_mids.accesskit_node().numeric_value().unwrap();
    assert!((value - 6.0).abs() < 0.5, "{value}");
    assert_eq!(low_mids.value(), Some(format!("{value:+.1}")));
    for region in [
        "sub",
        "bass",
        "mids",
        "presence",
        "sibilance/harshness",
        "air",
    ] {
        let label = format!("{region} deviation");
        let node = harness.get_by_role_and_label(egui::Role::Meter, &label);
        let value = node.accesskit_node().numeric_value().unwrap();
        assert!(value.abs() < 0.5, "{region}: {value}");
    }
    assert!(harness.query_by_label_contains("low-mids +").is_some());
    assert!(
        harness
            .query_by_label_contains("over the reference: cut around")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Spectrum, FFT 8192, 1/6 octave, tilt +4.5 dB per octave")
            .is_some()
    );

    harness.get_by_label("Capture").click();
    harness.run();
    let actions = harness.state().1.clone();
    assert_eq!(actions.capture.as_deref(), Some("mix v1"));
    let curve = state.handle(&actions).expect("a captured curve");
    assert_eq!(
        (curve.name.as_str(), curve.kind),
        ("mix v1", CurveKind::Captured)
    );
    assert!(
        curve.source.contains("captured in Mixmeter from 2"),
        "{}",
        curve.source
    );

    // Import the captured curve back from a file, on the worker thread.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("editor-import");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("captured.json");
    std::fs::write(&file, curve.to_json()).unwrap();
    let import = SpectrumActions {
        import: Some(file.display().to_string()),
        ..SpectrumActions::default()
    };
    assert!(state.handle(&import).is_none());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let imported = loop {
        let (live, long_term) = output.spectra();
        state.update(live, long_term, SpectrumSettings::default(), &library, 1.0);
        if let Some(curve) = state.take_imported() {
            break curve;
        }
        assert!(std::time::Instant::now() < deadline, "import finishes");
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert_eq!(imported, curve);
    // A broken file: a message, no curve.
    std::fs::write(dir.join("broken.json"), "{\"format\": 3}").unwrap();
    let broken = SpectrumActions {
        import: Some(dir.join("broken.json").display().to_string()),
        ..SpectrumActions::default()
    };
    state.handle(&broken);
    let message = loop {
        let (live, long_term) = output.spectra();
        let data = state.update(live, long_term, SpectrumSettings::default(), &library, 2.0);
        if !state.importing() {
            break data.status.join("\n");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(
        message.contains("not a Mixmeter reference curve"),
        "{message}"
    );
    assert!(state.take_imported().is_none());
}

/// The stereo view fed by the real meter through the real bridge (as the plugin does): a mix
/// whose 300-500 Hz band is inverted in one channel reads about -1 there and +1 elsewhere,
/// the verdict and the suggestion name the band, and the vectorscope holds its points.
#[test]
fn stereo_view_shows_the_measured_bands_verdict_and_vectorscope() {
    use mixmeter::editor::stereo::{StereoData, draw_stereo, stereo_data};
    use mixmeter::meter::engine::{Meter, MeterConfig};

    let rate = 48_000.0;
    let left = pink(rate, 1 << 19, None);
    // The right channel: the left with 300-500 Hz in opposite polarity (exactly, one transform).
    let left_f64: Vec<f64> = left.iter().map(|&x| x as f64).collect();
    let right: Vec<f32> = signals::invert_band(&left_f64, rate as u32, 300.0, 500.0)
        .into_iter()
        .map(|x| x as f32)
        .collect();

    let mut meter = Meter::new(MeterConfig::new(rate, 2).with_spectrum()).unwrap();
    let (mut bridge_in, mut bridge_out) = mixmeter::bridge::channel();
    bridge_in.configure_scope(rate);
    for (l, r) in left.chunks(512).zip(right.chunks(512)) {
        meter.process(&[l, r]);
        bridge_in.feed_scope(l, r);
        bridge_in.publish_all(&meter.readings(), false, meter.stereo_bands(), 1.0);
    }
    let snapshot = bridge_out.snapshot();
    let (scope, _) = bridge_out.scope();
    let data = stereo_data(snapshot.stereo.as_ref(), &snapshot.readings, scope).unwrap();
    assert_eq!(data.points.len(), 2048);

    let mut harness = Harness::new_ui_state(
        |ui, data: &mut StereoData| draw_stereo(ui, Some(data), 2),
        data,
    );
    harness.run();
    let correlation = |harness: &Harness<'_, StereoData>, label: &str| {
        harness
            .get_by_role_and_label(egui::Role::Meter, label)
            .accesskit_node()
            .numeric_value()
            .unwrap()
    };
    assert!(correlation(&harness, "300-500 Hz correlation") < -0.9);
    for band in ["60-90 Hz", "1-2 kHz", "500 Hz-1 kHz", "12-16 kHz"] {
        let c = correlation(&harness, &format!("{band} correlation"));
        assert!(c > 0.9, "{band}: {c}");
    }
    let mono = harness.get_by_role_and_label(egui::Role::Meter, "60-90 Hz side to mid");
    assert_eq!(mono.value().as_deref(), Some("mono"));
    let verdict = harness.get_by_role_and_label(egui::Role::Meter, "Mono compatibility");
    assert_eq!(verdict.value().as_deref(), Some("cancels in mono"));
    assert!(
        harness
            .query_by_label_contains("300-500 Hz out of phase (correlation -")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Vectorscope, 2048 points")
            .is_some()
    );
    // A mono layout says so instead of drawing empty bars.
    let mut harness = Harness::new_ui(|ui| draw_stereo(ui, None, 1));
    harness.run();
    assert!(harness.query_by_label_contains("mono track").is_some());
}

/// The whole editor from a scripted meter state: a real meter fed 21.8 s of stereo pink noise
/// through the real bridge (readings, stereo bands, vectorscope and loudness history, as the
/// plugin does), rendered at the default size with the stereo view open. Every number read out
/// is the number measured: loudness, the distance to the selected target, the platform
/// previews, dynamics and its grade, correlation, the bars and the history.
#[test]
fn the_whole_editor_shows_what_the_meter_measured() {
    use mixmeter::diagnosis::dynamics;
    use mixmeter::diagnosis::platforms::preview;
    use mixmeter::editor::stereo::stereo_data;
    use mixmeter::editor::{format_db, format_reading};
    use mixmeter::meter::engine::{Meter, MeterConfig};

    let rate = 48_000.0;
    let left = pink(rate, 1 << 20, None);
    let other = pink_seeded(rate, 1 << 20, 22);
    // Partly correlated: most of the left channel plus some independent noise.
    let right: Vec<f32> = left
        .iter()
        .zip(&other)
        .map(|(l, o)| 0.8 * l + 0.4 * o)
        .collect();
    let mut meter = Meter::new(MeterConfig::new(rate, 2).with_spectrum()).unwrap();
    let (mut input, mut output) = mixmeter::bridge::channel();
    input.configure_scope(rate);
    let mut history = LoudnessHistory::new();
    for (i, (l, r)) in left.chunks(1024).zip(right.chunks(1024)).enumerate() {
        meter.process(&[l, r]);
        input.publish_history(&meter);
        input.feed_scope(l, r);
        input.publish_all(&meter.readings(), false, meter.stereo_bands(), 1.0);
        if i % 50 == 0 {
            history.update(&output);
        }
    }
    history.update(&output);
    assert_eq!(history.len(), 218, "one point per 100 ms of 21.8 s");
    let snapshot = output.snapshot();
    let r = snapshot.readings;
    let all = targets();
    let mut view = View::new(r, &all, "apple");
    view.bar_peak_db = [-9.0, -10.0];
    view.stereo = mixmeter::editor::stereo_summary(snapshot.stereo.as_ref(), &r);
    let (scope, _) = output.scope();
    let stereo = stereo_data(snapshot.stereo.as_ref(), &r, scope);
    let scene = Scene {
        view,
        history,
        pane: Pane::Stereo,
        spectrum: empty_spectrum(),
        stereo,
        actions: Actions::default(),
        full: egui::Rect::NOTHING,
    };
    let mut harness = harness_sized(
        scene,
        (
            mixmeter::editor::EDITOR_WIDTH as f32,
            mixmeter::editor::EDITOR_HEIGHT as f32,
        ),
    );
    harness.run();

    let integrated = r.integrated_lufs.unwrap();
    assert!((-26.0..-14.0).contains(&integrated), "{integrated}");
    assert_eq!(
        value_of(&harness, "Integrated loudness"),
        Some(format_reading(Some(integrated)))
    );
    assert_eq!(
        value_of(&harness, "Integrated vs target"),
        Some(format!("{:+.1}", integrated + 16.0))
    );
    assert_eq!(
        value_of(&harness, "Short-term"),
        Some(format_reading(r.short_term_lufs))
    );
    assert_eq!(
        value_of(&harness, "Loudness range"),
        Some(format_reading(r.loudness_range_lu))
    );
    // Platforms: every preview is the diagnosis's, for the measured readings.
    for (id, name) in [
        ("spotify", "Spotify"),
        ("apple", "Apple Music"),
        ("youtube", "YouTube"),
    ] {
        let target = all.iter().find(|t| t.id == id).unwrap();
        let p = preview(target, &r);
        assert_eq!(
            value_of(&harness, &format!("{name} gain")),
            Some(format_db(p.gain_db.unwrap() as f32)),
            "{name}"
        );
        assert_eq!(
            value_of(&harness, &format!("{name} true peak after")),
            Some(format!(
                "{} dBTP",
                format_db(p.true_peak_after_dbtp.unwrap() as f32)
            )),
            "{name}"
        );
    }
    // Quieter than every platform's target: nobody turns it down.
    assert_eq!(
        value_of(&harness, "Platforms").as_deref(),
        Some("no platform turns it down")
    );
    // Dynamics: pink noise has a crest factor far above a limited master's.
    let crest = r.crest_factor_db.unwrap();
    assert_eq!(
        value_of(&harness, "Crest factor"),
        Some(format_reading(Some(crest)))
    );
    assert_eq!(
        value_of(&harness, "Dynamics").as_deref(),
        Some(dynamics::grade(Some(crest)).unwrap().text())
    );
    // Stereo: the measured correlation, as a number and on the meter.
    let correlation = harness.get_by_role_and_label(egui::Role::Meter, "Correlation");
    assert_eq!(correlation.accesskit_node().numeric_value(), r.correlation);
    assert!(r.correlation.unwrap() > 0.7 && r.correlation.unwrap() < 0.99);
    assert_eq!(
        value_of(&harness, "Mono verdict").as_deref(),
        Some("mono-safe")
    );
    // Bars: momentary and short-term are the readings; the true-peak bars the falling value.
    let bar = harness.get_by_role_and_label(egui::Role::Meter, "Momentary bar");
    assert_eq!(
        bar.accesskit_node().numeric_value(),
        Some(r.momentary_lufs.unwrap() as f32 as f64)
    );
    assert_eq!(
        value_of(&harness, "Left true peak bar").as_deref(),
        Some("-9.0")
    );
    // History: the latest short-term point is the meter's short-term loudness.
    let latest = format_reading(r.short_term_lufs);
    assert!(
        harness
            .query_by_label_contains(&format!(
                "Loudness history, last 2 min: short-term now {latest} LUFS"
            ))
            .is_some(),
        "history summary with {latest}"
    );
    // The stereo view below is populated too.
    assert!(
        harness
            .query_by_label_contains("Vectorscope, 2048 points")
            .is_some()
    );
}

/// One click each: a latched clip indicator clears, the history zooms, another target is picked.
#[test]
fn clip_zoom_and_target_are_one_click_each() {
    let mut v = view(false);
    v.clip[0].over_db = Some(0.42);
    let mut harness = harness(v);
    harness.run();
    let clip = harness.get_by_label("Left clip");
    assert_eq!(
        clip.value().as_deref(),
        Some("clipped, true peak +0.4 dBTP; click to clear")
    );
    assert_eq!(
        harness.get_by_label("Right clip").value().as_deref(),
        Some("no clip")
    );
    clip.click();
    harness.run();
    assert_eq!(harness.state().actions.clear_clip[..2], [true, false]);
    assert!(!harness.state().actions.clear_clip[2..].contains(&true));

    harness.get_by_label("5 min").click();
    harness.run();
    assert_eq!(harness.state().actions.history_s, Some(300));

    harness.get_by_label("Target").click();
    harness.run();
    harness
        .get_by_label("Apple Music (Sound Check) (-16 LUFS)")
        .click();
    harness.run();
    assert_eq!(
        harness.state().actions.select_target.as_deref(),
        Some("apple")
    );
}

/// The same without a mouse: the history zoom takes Space and Enter on a focused button, and
/// the target picker opens with Enter, Tab walks into its list and Enter picks a target.
#[test]
fn zoom_and_target_work_from_the_keyboard() {
    let mut harness = harness(view(false));
    harness.run();
    harness.get_by_label("5 min").focus();
    harness.run();
    harness.key_press(egui::Key::Space);
    harness.run();
    assert_eq!(harness.state().actions.history_s, Some(300));
    harness.get_by_label("1 min").focus();
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert_eq!(harness.state().actions.history_s, Some(60));

    harness.get_by_label("Target").focus();
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    let wanted = "Apple Music (Sound Check) (-16 LUFS)";
    let mut reached = false;
    for _ in 0..40 {
        harness.key_press(egui::Key::Tab);
        harness.run();
        if harness
            .query_by_label(wanted)
            .is_some_and(|node| node.is_focused())
        {
            reached = true;
            break;
        }
    }
    assert!(
        reached,
        "Tab never reached {wanted} in the open target list"
    );
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert_eq!(
        harness.state().actions.select_target.as_deref(),
        Some("apple")
    );
}

/// A view with every reading defined (live and whole-measurement stereo readings too), the
/// pre-master checklist graded, and three long suggestions (longer than a line, so they must
/// be elided).
fn glance_view() -> View {
    use mixmeter::diagnosis::suggestions::{Candidate, Kind};
    let mut r = readings();
    r.psr_db = Some(9.1);
    r.crest_factor_db = Some(11.2);
    r.max_sample_peak_dbfs = Some(-0.9);
    r.correlation = Some(0.62);
    r.integrated_correlation = Some(0.7);
    r.balance_db = Some(0.31);
    r.mono_loss_short_term_lu = Some(-1.1);
    r.mono_loss_integrated_lu = Some(-0.8);
    let mut v = View::new(r, &targets(), "spotify");
    v.true_peak_db = [-0.6, -3.4];
    v.bar_peak_db = [-0.6, -3.4];
    v.stereo = Some(mixmeter::editor::panels::StereoSummary {
        verdict: Some(mixmeter::diagnosis::stereo::Verdict::Good),
        worst_band: Some("120-250 Hz -1.3 LU".to_string()),
    });
    v.grade(&mixmeter::diagnosis::checks::profiles(), "pre-master", None);
    v.suggestions = [
        (
            Kind::Tonal,
            "low-mids +4.1 dB over the reference: cut about 3 dB around 250 Hz with a wide bell \
             on the mix bus, or find the instrument that fills the region and cut it there",
        ),
        (
            Kind::Dynamics,
            "crest factor 7.0 dB: the mix is over-compressed; ease the bus compressor or the \
             limiter until transients come back (12-18 dB is healthy)",
        ),
        (
            Kind::Stereo,
            "300-500 Hz cancels when folded to mono (correlation -0.8): check the polarity of \
             the doubled guitars or narrow that range",
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (kind, text))| Candidate {
        key: format!("test:{i}"),
        kind,
        text: text.to_string(),
        evidence: String::new(),
        confidence: 0.6 - 0.1 * i as f64,
        score: 3.0 - i as f64,
    })
    .collect();
    v
}

/// The stereo view's data for a few seconds of partly correlated pink noise, as the editor
/// builds it.
fn measured_stereo_data() -> StereoData {
    use mixmeter::editor::stereo::stereo_data;
    use mixmeter::meter::engine::{Meter, MeterConfig};
    let rate = 48_000.0;
    let left = pink(rate, 1 << 18, None);
    let other = pink_seeded(rate, 1 << 18, 22);
    let right: Vec<f32> = left
        .iter()
        .zip(&other)
        .map(|(l, o)| 0.8 * l + 0.4 * o)
        .collect();
    let mut meter = Meter::new(MeterConfig::new(rate, 2).with_spectrum()).unwrap();
    let (mut input, mut output) = mixmeter::bridge::channel();
    input.configure_scope(rate);
    for (l, r) in left.chunks(1024).zip(right.chunks(1024)) {
        meter.process(&[l, r]);
        input.feed_scope(l, r);
    }
    input.publish_all(&meter.readings(), false, meter.stereo_bands(), 1.0);
    let snapshot = output.snapshot();
    let (scope, _) = output.scope();
    stereo_data(snapshot.stereo.as_ref(), &snapshot.readings, scope).expect("stereo data")
}

/// Every reading a mixer watches, by its screen-reader label: the bars, every loudness and
/// true-peak reading, the distance to the target, dynamics, correlation, mono loss and the
/// mono verdict, the checklist's marks, three suggestions and the mono check.
fn at_a_glance_labels(view: &View) -> Vec<(egui::Role, String)> {
    let meter = |l: &str| (egui::Role::Meter, l.to_string());
    let mut labels: Vec<(egui::Role, String)> = [
        "Momentary bar",
        "Short-term bar",
        "Left true peak bar",
        "Right true peak bar",
        "Left true peak",
        "Right true peak",
        "Integrated loudness",
        "Integrated vs target",
        "Short-term",
        "Max short-term",
        "Momentary",
        "Max momentary",
        "Loudness range",
        "True peak max",
        "Sample peak max",
        "Dynamics",
        "PLR",
        "PSR",
        "Crest factor",
        "Correlation",
        "Mono loss",
        "Mono loss, whole",
        "Balance",
        "Mono verdict",
    ]
    .into_iter()
    .map(meter)
    .collect();
    labels.extend(
        view.checks
            .items
            .iter()
            .map(|i| meter(&format!("{} check", i.label))),
    );
    labels.extend((1..=3).map(|n| (egui::Role::ListItem, format!("Suggestion {n}"))));
    labels.push((egui::Role::CheckBox, "Mono check".to_string()));
    labels
}

/// Renders the harness's window and saves it as `target/screenshots/NAME`, for the eye.
fn save_screenshot<S>(harness: &mut Harness<'_, S>, name: &str) {
    let image = harness.render().expect("the editor renders headless");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    image.save(dir.join(name)).unwrap();
}

/// Asserts that the layout's parts ([`mixmeter::editor::areas`] of `editor`) lie inside it
/// and apart from each other.
fn assert_parts_inside_and_apart(editor: egui::Rect, where_: &str) {
    let a = mixmeter::editor::areas(editor);
    let parts = [
        ("header", a.header),
        ("bars", a.bars),
        ("history", a.history),
        ("pane", a.pane),
        ("glance", a.glance),
        ("details", a.details),
        ("strip", a.strip),
    ];
    for (i, (x_name, x)) in parts.iter().enumerate() {
        assert!(
            editor.contains_rect(*x),
            "{x_name} {x:?} outside {editor:?} {where_}"
        );
        for (y_name, y) in &parts[i + 1..] {
            assert!(
                !x.intersects(*y),
                "{x_name} {x:?} overlaps {y_name} {y:?} {where_}"
            );
        }
    }
}

/// Asserts that the tonal balance's seven region deviations and the reference selector are
/// drawn whole inside `pane` and not over the spectrum's `plot`.
fn assert_tonal_row_in_view<S>(
    harness: &Harness<'_, S>,
    pane: egui::Rect,
    plot: egui::Rect,
    where_: &str,
) {
    let mut shown: Vec<(String, egui::Rect)> = mixmeter::diagnosis::tonal::REGIONS
        .iter()
        .map(|region| {
            let label = format!("{} deviation", region.name);
            let rect = harness
                .get_by_role_and_label(egui::Role::Meter, &label)
                .rect();
            (label, rect)
        })
        .collect();
    let references: Vec<_> = harness
        .query_all_by_label("Reference")
        .map(|n| n.rect())
        .collect();
    assert!(!references.is_empty(), "no reference selector {where_}");
    shown.extend(references.into_iter().map(|r| ("Reference".to_string(), r)));
    for (label, rect) in &shown {
        assert!(
            rect.width() > 2.0 && rect.height() > 2.0,
            "{label} {rect:?} {where_}"
        );
        assert!(
            pane.expand(0.5).contains_rect(*rect),
            "{label} {rect:?} outside the pane {pane:?} {where_}"
        );
        assert!(
            !plot.intersects(rect.shrink(0.5)),
            "{label} {rect:?} over the plot {plot:?} {where_}"
        );
    }
}

/// Asserts that every reading at a glance ([`at_a_glance_labels`]) is drawn whole inside
/// `window` (the editor's own rectangle), in its own area of the layout, over no other reading
/// and in no scrolling area; returns the readings' rectangles.
fn assert_at_a_glance_in_view<S>(
    harness: &Harness<'_, S>,
    view: &View,
    window: egui::Rect,
    where_: &str,
) -> Vec<(String, egui::Rect)> {
    let a = mixmeter::editor::areas(window);
    let mut seen: Vec<(String, egui::Rect)> = Vec::new();
    for (role, label) in at_a_glance_labels(view) {
        let node = harness.get_by_role_and_label(role, &label);
        let rect = node.rect();
        assert!(
            rect.width() > 2.0 && rect.height() > 2.0,
            "{label} {rect:?} {where_}"
        );
        assert!(
            window.expand(0.5).contains_rect(rect),
            "{label} {rect:?} outside the window {window:?} {where_}"
        );
        assert!(
            !a.details.intersects(rect) && !a.pane.intersects(rect),
            "{label} {rect:?} in a scrolling area {where_}"
        );
        for (other, other_rect) in &seen {
            assert!(
                !rect.shrink(0.5).intersects(other_rect.shrink(0.5)),
                "{label} {rect:?} overlaps {other} {other_rect:?} {where_}"
            );
        }
        seen.push((label, rect));
    }
    // The loudness readings are in the glance area, the checks and suggestions in the strip.
    for (label, rect) in &seen {
        let area = if label == "Mono check" {
            a.header
        } else if label.starts_with("Suggestion") || label.ends_with(" check") {
            a.strip
        } else if label.contains("bar") || label.ends_with("true peak") {
            a.bars
        } else {
            a.glance
        };
        assert!(
            area.expand(0.5).contains_rect(*rect),
            "{label} {rect:?} outside its area {area:?} {where_}"
        );
    }
    seen
}

/// At the default size (1100x720, where a DAW opens the window) and at the smallest the
/// editor allows, with either pane open, the checklist graded and three suggestions showing:
/// every reading at a glance is drawn whole inside the window, none overlaps another, none is
/// in a scrolled area (the readings sit above the details, which alone scroll), the parts of
/// the layout do not overlap, and the suggestions are one line each (elided, the whole text
/// still read out) and take less room than the readings.
#[test]
fn every_reading_at_a_glance_is_in_view_at_the_default_and_smallest_size() {
    use mixmeter::editor::{EDITOR_HEIGHT, EDITOR_MIN_SIZE, EDITOR_WIDTH, areas};
    let stereo = measured_stereo_data();
    for (w, h) in [
        (EDITOR_WIDTH as f32, EDITOR_HEIGHT as f32),
        (EDITOR_MIN_SIZE.0 as f32, EDITOR_MIN_SIZE.1 as f32),
    ] {
        let full = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::Vec2::new(w, h));
        let a = areas(full);
        assert_parts_inside_and_apart(full, &format!("at {w}x{h}"));
        assert!(
            a.pane.width() >= 300.0 && a.pane.height() >= 200.0,
            "{:?}",
            a.pane
        );
        assert!(a.history.height() >= 120.0 && a.bars.height() >= 400.0);
        assert!(a.details.height() >= 80.0, "{:?} at {w}x{h}", a.details);

        for pane in [Pane::Spectrum, Pane::Stereo] {
            let mut scene = Scene::new(glance_view());
            scene.pane = pane;
            scene.stereo = Some(stereo.clone());
            let mut harness = harness_sized(scene, (w, h));
            harness.run();
            let window = harness.state().full;
            let a = areas(window);
            let view = harness.state().view.clone();
            let seen = assert_at_a_glance_in_view(
                &harness,
                &view,
                window,
                &format!("at {w}x{h} ({pane:?})"),
            );
            // One line per suggestion, the whole text read out.
            let line = |n: usize| {
                seen.iter()
                    .find(|(l, _)| l == &format!("Suggestion {n}"))
                    .unwrap()
                    .1
            };
            for n in 1..=3 {
                assert!(line(n).height() < 22.0, "suggestion {n}: {:?}", line(n));
                let text = harness
                    .get_by_label(&format!("Suggestion {n}"))
                    .value()
                    .unwrap();
                assert!(
                    text.starts_with(&format!("{n}. "))
                        && text.ends_with("% confidence)")
                        && text.len() > 120,
                    "{text}"
                );
            }
            let suggestions_height = line(3).bottom() - line(1).top();
            assert!(
                suggestions_height < a.glance.height() / 3.0,
                "suggestions {suggestions_height} px against readings {} px",
                a.glance.height()
            );
            // The pane shows its own view.
            match pane {
                Pane::Spectrum => assert!(harness.query_by_label("FFT").is_some()),
                Pane::Stereo => assert!(
                    harness
                        .query_by_label_contains("Vectorscope, 2048 points")
                        .is_some()
                ),
            }
        }
    }
}

/// The whole editor laid out as the plugin lays it out (`MixmeterEditor::ui`): the link panel
/// (a track instance's row, `editor::session`) along the window's bottom and the editor in a
/// central panel above it. The harness's own margin is left out: the window is the harness's
/// whole screen, as the plugin's root `Ui` is the whole window.
struct LinkedScene {
    scene: Scene,
    session: mixmeter::editor::session::SessionPanel,
    link: std::sync::Arc<mixmeter::link::LinkControl>,
}

fn harness_linked(scene: Scene, size: (f32, f32)) -> Harness<'static, LinkedScene> {
    harness_linked_to(scene, size, Default::default())
}

/// [`harness_linked`] with the instance's link (a master's, say).
fn harness_linked_to(
    scene: Scene,
    size: (f32, f32),
    link: std::sync::Arc<mixmeter::link::LinkControl>,
) -> Harness<'static, LinkedScene> {
    let state = LinkedScene {
        scene,
        session: Default::default(),
        link,
    };
    Harness::builder()
        .with_size(egui::Vec2::new(size.0, size.1))
        .build_ui_state(
            |ui, state: &mut LinkedScene| {
                let window = ui.ctx().content_rect();
                let LinkedScene {
                    scene,
                    session,
                    link,
                } = state;
                ui.scope_builder(egui::UiBuilder::new().max_rect(window), |ui| {
                    session.below(ui, link, |ui| {
                        egui::CentralPanel::default().show(ui, |ui| {
                            scene.full = ui.available_rect_before_wrap();
                            let frame = EditorFrame {
                                view: &scene.view,
                                history: &scene.history,
                                pane: scene.pane,
                                spectrum: &scene.spectrum,
                                stereo: scene.stereo.as_ref(),
                            };
                            draw(ui, &frame)
                        })
                    });
                });
            },
            state,
        )
}

/// The tonal balance is read at a glance too: with a real long-term comparison in the spectrum
/// pane (pink noise with the low-mids 6 dB up, through the real analyzer and bridge, over and
/// under the 10 s advice gate), at the default size and the smallest, in the room the plugin
/// gives the editor (the link row under it), the seven region deviations and the reference
/// selector are drawn inside the pane, not below its edge where only a scroll reaches them;
/// the plot keeps a readable height and nothing under it overlaps it.
#[test]
fn the_tonal_deviations_and_the_reference_are_in_view_in_the_real_editor() {
    use mixmeter::diagnosis::tonal::MIN_ADVICE_S;
    use mixmeter::editor::spectrum::{PLOT_HEIGHT, PLOT_MIN_HEIGHT};
    use mixmeter::editor::{EDITOR_HEIGHT, EDITOR_MIN_SIZE, EDITOR_WIDTH, areas};
    let rate = 48_000.0;
    let long = pink(rate, 1 << 20, Some((200.0, 500.0, 6.0)));
    let short_len = (0.6 * MIN_ADVICE_S * rate) as usize;
    let spectra = [
        ("under the advice gate", spectrum_of(&long[..short_len]).1),
        ("over the advice gate", spectrum_of(&long).1),
    ];
    for (gate, data) in &spectra {
        let comparison = data.comparison.as_ref().expect("a comparison");
        assert_eq!(
            comparison.withheld.is_some(),
            data.long_term_s < MIN_ADVICE_S,
            "{gate}: {} s",
            data.long_term_s
        );
    }
    assert!(spectra[0].1.long_term_s < MIN_ADVICE_S && spectra[1].1.long_term_s > MIN_ADVICE_S);
    for (w, h) in [
        (EDITOR_WIDTH as f32, EDITOR_HEIGHT as f32),
        (EDITOR_MIN_SIZE.0 as f32, EDITOR_MIN_SIZE.1 as f32),
    ] {
        for (gate, data) in &spectra {
            let mut scene = Scene::new(glance_view());
            scene.spectrum = data.clone();
            let mut harness = harness_linked(scene, (w, h));
            harness.run();
            // For the eye: target/screenshots/editor-tonal-WxH-{under,over}.png.
            save_screenshot(
                &mut harness,
                &format!(
                    "editor-tonal-{w}x{h}-{}.png",
                    &gate[..gate.find(' ').unwrap()]
                ),
            );
            let window = harness.state().scene.full;
            // The link row takes the window's bottom: the editor is drawn above it.
            assert!(window.bottom() < h - 30.0, "{window:?} in {w}x{h}");
            let pane = areas(window).pane;
            let where_ = format!("at {w}x{h}, {gate}");
            let plot = harness.get_by_label_contains("Spectrum, FFT ").rect();
            println!(
                "plot {plot:?} ({} px high) in pane {pane:?} {where_}",
                plot.height()
            );
            assert!(
                pane.expand(0.5).contains_rect(plot),
                "plot {plot:?} outside {pane:?} {where_}"
            );
            // At the default size the plot keeps most of its full height; at the smallest, no
            // less than its least.
            let least = if w == EDITOR_WIDTH as f32 {
                0.6 * PLOT_HEIGHT
            } else {
                PLOT_MIN_HEIGHT
            };
            assert!(
                plot.height() >= least - 0.5,
                "plot squashed to {plot:?} {where_}"
            );
            assert_tonal_row_in_view(&harness, pane, plot, &where_);
        }
    }
}

/// The stereo pane's bands are read at a glance too: with measured stereo data, at the default
/// size, in the room the plugin gives the editor (the link row under it), the
/// mono-compatibility verdict and every one of the 15 bands (its range, correlation bar and
/// mono loss) are drawn whole inside the pane, not below its edge where only a scroll reaches
/// them. The low bands, where mono compatibility matters most, come last in the list.
#[test]
fn every_stereo_band_is_in_view_in_the_real_editor() {
    use mixmeter::editor::{EDITOR_HEIGHT, EDITOR_WIDTH};
    assert_stereo_bands_in_view((EDITOR_WIDTH as f32, EDITOR_HEIGHT as f32));
}

/// [`every_stereo_band_is_in_view_in_the_real_editor`] at the smallest size. Known to fail:
/// the pane is 328x218 there, fifteen rows of at least 14 px and the tabs do not fit in one
/// column, and the table beside the vectorscope is wider than the pane; it wants another
/// layout (two half-tables, fewer columns or the vectorscope elsewhere), not yet chosen.
#[test]
#[ignore = "known defect: the stereo bands do not fit the pane at EDITOR_MIN_SIZE"]
fn every_stereo_band_is_in_view_at_the_smallest_size() {
    use mixmeter::editor::EDITOR_MIN_SIZE;
    assert_stereo_bands_in_view((EDITOR_MIN_SIZE.0 as f32, EDITOR_MIN_SIZE.1 as f32));
}

/// The whole editor at `(w, h)` with the stereo pane open: the verdict and every band row
/// whole inside the pane. Saves target/screenshots/editor-stereo-WxH.png for the eye.
fn assert_stereo_bands_in_view((w, h): (f32, f32)) {
    use mixmeter::diagnosis::stereo::format_range;
    use mixmeter::editor::areas;
    use mixmeter::editor::stereo::BAND_ROW_MIN_HEIGHT;
    use mixmeter::meter::stereo::{BAND_EDGES_HZ, BANDS};
    let mut scene = Scene::new(glance_view());
    scene.pane = Pane::Stereo;
    scene.stereo = Some(measured_stereo_data());
    let mut harness = harness_linked(scene, (w, h));
    harness.run();
    save_screenshot(&mut harness, &format!("editor-stereo-{w}x{h}.png"));
    let window = harness.state().scene.full;
    // The link row takes the window's bottom: the editor is drawn above it.
    assert!(window.bottom() < h - 30.0, "{window:?} in {w}x{h}");
    let pane = areas(window).pane;
    let where_ = format!("at {w}x{h}");
    let verdict = harness
        .get_by_role_and_label(egui::Role::Meter, "Mono compatibility")
        .rect();
    let mut shown = vec![("Mono compatibility".to_string(), verdict)];
    let mut labels = Vec::new();
    for b in (0..BANDS).rev() {
        let range = format_range(BAND_EDGES_HZ[b], BAND_EDGES_HZ[b + 1]);
        let label = harness.get_by_label(&range).rect();
        labels.push(label);
        shown.push((range.clone(), label));
        for what in ["correlation", "mono loss"] {
            let name = format!("{range} {what}");
            let rect = harness
                .get_by_role_and_label(egui::Role::Meter, &name)
                .rect();
            shown.push((name, rect));
        }
    }
    // Rows no closer than the least legible row height, labels no smaller than 10 px.
    let pitch = (labels[BANDS - 1].center().y - labels[0].center().y) / (BANDS - 1) as f32;
    println!(
        "band rows {pitch:.1} px apart, labels {:.1} px high, lowest band {:?}, pane {pane:?} {where_}",
        labels[0].height(),
        labels[BANDS - 1]
    );
    assert!(
        pitch >= BAND_ROW_MIN_HEIGHT - 0.01,
        "rows {pitch} px apart {where_}"
    );
    let mut failures = Vec::new();
    for (label, rect) in &shown {
        if rect.width() <= 2.0 || rect.height() < 10.0 {
            failures.push(format!("{label} {rect:?} too small {where_}"));
        }
        if !pane.expand(0.5).contains_rect(*rect) {
            failures.push(format!(
                "{label} {rect:?} outside the pane {pane:?} {where_}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Track instances linked in a group of their own, as the `master_64_tracks` editor bench
/// links them (`benches/editor_frame.rs`): track k plays the core's synthetic stem k % 6
/// (kick, bass, vocal, guitar, hi-hat, keys), each stem's copies 3 dB apart, a ring's worth
/// of frames each. Dropped: the slots are released and the group's segment removed.
struct LinkedTracks {
    group: String,
    names: Vec<String>,
    publishers: Vec<mixmeter::link::slot::Publisher>,
}

impl LinkedTracks {
    fn new(count: usize) -> Self {
        use mixmeter::link::layout::{RING_LEN, ROLE_TRACK};
        use mixmeter::link::slot::{Lease, Meta, Publisher, now_ns};
        use mixmeter_core::session::summarize::FrameSummarizer;
        use mixmeter_core::session::synth;
        let rate = 48_000.0;
        let group = format!("editor-view-{}-{}", std::process::id(), now_ns());
        let stems: Vec<Vec<_>> = synth::stems(rate, 10.0)
            .iter()
            .map(|stem| {
                let mut summarizer = FrameSummarizer::new(rate as f32, &[1.0]);
                let mut frames = Vec::new();
                summarizer.process(&[stem], Some(0), |f| frames.push(*f));
                frames
            })
            .collect();
        let names: Vec<String> = (0..count)
            .map(|k| format!("{} {}", synth::STEM_NAMES[k % 6], k / 6 + 1))
            .collect();
        let publishers = names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let meta = Meta {
                    role: ROLE_TRACK,
                    name: name.clone(),
                    colour: Some(0x4080_c0ff),
                    name_from_host: true,
                    sample_rate_hz: rate as f32,
                    channels: 2,
                };
                let mut publisher =
                    Publisher::new(Lease::claim(&group, &meta).expect("a slot for every track"));
                let source = &stems[k % stems.len()];
                let gain = 10f32.powf(-3.0 * (k / stems.len()) as f32 / 20.0);
                publisher.beat(now_ns());
                for n in 0..RING_LEN as u64 {
                    let mut f = source[n as usize % source.len()];
                    f.index = n;
                    f.sample_peak *= gain;
                    f.true_peak *= gain;
                    f.mean_square *= gain * gain;
                    f.power *= gain * gain;
                    f.bands.iter_mut().for_each(|b| *b *= gain * gain);
                    publisher.publish(&f);
                }
                publisher
            })
            .collect();
        Self {
            group,
            names,
            publishers,
        }
    }

    /// The tracks' heartbeat (a slot not stamped for 3 s expires).
    fn beat(&self) {
        let now = mixmeter::link::slot::now_ns();
        self.publishers.iter().for_each(|p| {
            p.beat(now);
        });
    }

    /// The link of a master instance of the group, activated.
    fn master(&self) -> std::sync::Arc<mixmeter::link::LinkControl> {
        use mixmeter::link::{LinkControl, Role, Settings};
        let control = std::sync::Arc::new(LinkControl::default());
        control.set_settings(Settings {
            role: Role::Master,
            group: self.group.clone(),
            ..Settings::default()
        });
        control.activated(48_000.0, 2);
        control
    }
}

impl Drop for LinkedTracks {
    fn drop(&mut self) {
        self.publishers.clear();
        let _ = std::fs::remove_file(mixmeter::link::segment::segment_path(&self.group));
    }
}

/// The master's editor with its tracks linked (the session view under the meters), laid out
/// as the plugin lays it out, with 8 and with 64 tracks, at the default size, the smallest and
/// a taller one: the master's own readings at a glance and its tonal deviations stay whole and
/// in view (the session panel takes only the room the meters leave over their least), and the
/// panel lists tracks in view (the list scrolls inside the panel, as a list may): four at the
/// default size, ten in a window 900 px high. At the smallest size the meters need the whole
/// window but the link row, which then says how many tracks are linked and what needs
/// attention.
#[test]
fn a_master_with_linked_tracks_keeps_its_readings_and_a_track_list_in_view() {
    use mixmeter::editor::spectrum::PLOT_MIN_HEIGHT;
    use mixmeter::editor::{EDITOR_HEIGHT, EDITOR_MIN_SIZE, EDITOR_WIDTH, areas};
    let rate = 48_000.0;
    let data = spectrum_of(&pink(rate, 1 << 20, Some((200.0, 500.0, 6.0)))).1;
    for count in [8, 64] {
        let tracks = LinkedTracks::new(count);
        for (w, h, least_rows) in [
            (EDITOR_WIDTH as f32, EDITOR_HEIGHT as f32, Some(4)),
            (EDITOR_MIN_SIZE.0 as f32, EDITOR_MIN_SIZE.1 as f32, None),
            (EDITOR_WIDTH as f32, 900.0, Some(10)),
        ] {
            let where_ = format!("with {count} tracks at {w}x{h}");
            let mut scene = Scene::new(glance_view());
            scene.spectrum = data.clone();
            let mut harness = harness_linked_to(scene, (w, h), tracks.master());
            // The analysis runs on a thread of its own: draw on until it arrives.
            let tab = format!("Tracks ({count})");
            let folded = format!("{count} tracks linked: ");
            let started = std::time::Instant::now();
            while harness.query_by_label(&tab).is_none()
                && harness.query_by_label_contains(&folded).is_none()
            {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(60),
                    "no analysis arrived {where_}"
                );
                tracks.beat();
                std::thread::sleep(std::time::Duration::from_millis(20));
                harness.step();
            }
            harness.run();
            // For the eye: target/screenshots/editor-master-N-tracks-WxH.png.
            save_screenshot(
                &mut harness,
                &format!("editor-master-{count}-tracks-{w}x{h}.png"),
            );

            let editor = harness.state().scene.full;
            let a = areas(editor);
            println!(
                "{where_}: editor {editor:?} ({} px high), bars {} px, glance {} px, \
                 details {} px, pane {} px",
                editor.height(),
                a.bars.height(),
                a.glance.height(),
                a.details.height(),
                a.pane.height()
            );
            // The layout's parts inside the editor, apart, each with its least room.
            assert_parts_inside_and_apart(editor, &where_);
            assert!(
                a.bars.height() >= 400.0 && a.history.height() >= 120.0,
                "bars {:?}, history {:?} {where_}",
                a.bars,
                a.history
            );
            let view = harness.state().scene.view.clone();
            assert_at_a_glance_in_view(&harness, &view, editor, &where_);

            // The tonal balance: the plot no less than its least, the seven deviations and the
            // reference selector under it, inside the pane.
            let plot = harness.get_by_label_contains("Spectrum, FFT ").rect();
            assert!(
                a.pane.expand(0.5).contains_rect(plot) && plot.height() >= PLOT_MIN_HEIGHT - 0.5,
                "plot {plot:?} in {:?} {where_}",
                a.pane
            );
            assert_tonal_row_in_view(&harness, a.pane, plot, &where_);

            // The session panel: under the editor, its tabs in view, and a useful number of
            // tracks listed whole inside the window; folded to the link row at the smallest
            // size, which then says what the session view would.
            let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(w, h));
            let panel = egui::Rect::from_min_max(egui::pos2(0.0, editor.bottom()), window.max);
            let Some(least_rows) = least_rows else {
                assert!(harness.query_by_label(&tab).is_none(), "{where_}");
                let status = harness.get_by_label_contains(&folded);
                let text = status
                    .value()
                    .unwrap_or_else(|| status.accesskit_node().label().unwrap_or_default());
                let rect = status.rect();
                println!("{where_}: session panel {} px high: {text}", panel.height());
                assert!(
                    panel.contains_rect(rect) && rect.width() > 100.0,
                    "the session's line {rect:?} outside {panel:?} {where_}"
                );
                assert!(
                    text.contains("too hot") && text.contains("most masking"),
                    "{text}"
                );
                continue;
            };
            let tab_rect = harness.get_by_label(&tab).rect();
            assert!(
                panel.contains_rect(tab_rect),
                "tab {tab_rect:?} outside the panel {panel:?} {where_}"
            );
            let rows: Vec<egui::Rect> = tracks
                .names
                .iter()
                .filter_map(|name| harness.query_by_label(name).map(|n| n.rect()))
                .filter(|rect| panel.contains_rect(*rect) && rect.top() > tab_rect.bottom())
                .collect();
            println!(
                "{where_}: session panel {} px high, {} track rows in view",
                panel.height(),
                rows.len()
            );
            assert!(
                rows.len() >= least_rows.min(count),
                "{} of {count} track rows in view, fewer than {least_rows} {where_}",
                rows.len()
            );
        }
    }
}

/// Before the host's first audio block: a stereo instance (its layout published at
/// activation) names its channels left and right and says nothing of a mono track; an editor
/// opened before activation (layout not known) calls itself neither mono nor stereo.
#[test]
fn before_the_first_block_a_stereo_track_is_not_called_mono() {
    use mixmeter::meter::engine::{Meter, MeterConfig};
    let meter = Meter::new(MeterConfig::new(48_000.0, 2).with_spectrum()).unwrap();
    let (mut input, mut output) = mixmeter::bridge::channel();
    let before = output.snapshot();
    input.publish_activated(&meter, false);
    let activated = output.snapshot();
    for (snapshot, stereo) in [(activated, true), (before, false)] {
        let view = View::new(snapshot.readings, &targets(), "spotify");
        let mut harness = harness(view);
        harness.run();
        assert!(
            harness.query_by_label_contains("mono track").is_none(),
            "stereo {stereo}"
        );
        assert!(
            harness
                .query_by_role_and_label(egui::Role::Meter, "Mono true peak")
                .is_none()
        );
        let (first, second) = if stereo {
            ("Left true peak", "Right true peak")
        } else {
            ("Channel 1 true peak", "Channel 2 true peak")
        };
        for label in [first, second] {
            assert!(
                harness
                    .query_by_role_and_label(egui::Role::Meter, label)
                    .is_some(),
                "{label}"
            );
        }
        if stereo {
            // The stereo readings are there, with no value yet.
            assert_eq!(value_of(&harness, "Mono loss").as_deref(), Some("—"));
            assert_eq!(value_of(&harness, "Mono verdict").as_deref(), Some("—"));
        } else {
            assert!(
                harness
                    .query_by_label_contains("waiting for the host to start audio")
                    .is_some()
            );
            assert!(
                harness
                    .query_by_role_and_label(egui::Role::Meter, "Mono loss")
                    .is_none()
            );
        }
    }
    // A mono track says so.
    let mono = Meter::new(MeterConfig::new(48_000.0, 1)).unwrap();
    input.publish_activated(&mono, false);
    let mut harness = harness(View::new(output.snapshot().readings, &targets(), "spotify"));
    harness.run();
    assert!(harness.query_by_label_contains("mono track").is_some());
    assert!(
        harness
            .query_by_role_and_label(egui::Role::Meter, "Mono true peak")
            .is_some()
    );
}

/// The scripted scene of the image snapshots: the loudness readings above, a left channel
/// that went over (clip latched at +0.4 dBTP), three minutes of a verse/chorus history.
fn snapshot_scene() -> Scene {
    use mixmeter::meter::engine::LoudnessPoint;
    let mut view = view(false);
    view.true_peak_db = [-0.6, -3.4];
    view.bar_peak_db = [-0.6, -3.4];
    view.clip[0].update(0.4);
    view.grade(&mixmeter::diagnosis::checks::profiles(), "pre-master", None);
    view.suggestions = vec![mixmeter::diagnosis::suggestions::Candidate {
        key: "tonal:low_mids:over".to_string(),
        kind: mixmeter::diagnosis::suggestions::Kind::Tonal,
        text: "low-mids +4.1 dB over the reference: cut around 250 Hz".to_string(),
        evidence: String::new(),
        confidence: 0.62,
        score: 2.0,
    }];
    let history = LoudnessHistory::from_points((0..1800).map(|i| {
        let t = i as f32 / 10.0;
        let section = if (t / 20.0) as u32 % 2 == 0 {
            -16.0
        } else {
            -12.5
        };
        LoudnessPoint {
            momentary_lufs: section + 2.0 * (t * 2.1).sin(),
            short_term_lufs: section + 0.5 * (t * 0.2).sin(),
        }
    }));
    let mut scene = Scene::new(view);
    scene.history = history;
    scene.view.history_s = 120;
    scene
}

/// The part of `image` (rendered at `scale` pixels per point) under `rect` (points).
fn crop(image: &image::RgbaImage, rect: egui::Rect, scale: f32) -> image::RgbaImage {
    let (x, y) = ((rect.left() * scale) as u32, (rect.top() * scale) as u32);
    let (w, h) = (
        (rect.width() * scale).ceil() as u32,
        (rect.height() * scale).ceil() as u32,
    );
    image::imageops::crop_imm(image, x, y, w, h).to_image()
}

/// A few small image snapshots (`tests/snapshots/*.png`; a changed picture fails with a diff
/// image next to it, `UPDATE_SNAPSHOTS=1` accepts it): the bars column, the side panel and the
/// header, cut from the whole editor at its default size, and the bars again at scale factor
/// 2 (HiDPI: twice the pixels, text and lines drawn at that resolution).
#[test]
fn image_snapshots_of_the_bars_side_panel_and_header() {
    use mixmeter::editor::{EDITOR_HEIGHT, EDITOR_WIDTH, areas};
    let (w, h) = (EDITOR_WIDTH as f32, EDITOR_HEIGHT as f32);
    let options = egui_kittest::SnapshotOptions::new();
    let mut harness = harness_sized(snapshot_scene(), (w, h));
    harness.run();
    let a = areas(harness.state().full);
    let image = harness.render().expect("the editor renders headless");
    assert_eq!(image.dimensions(), (EDITOR_WIDTH, EDITOR_HEIGHT));
    for (name, rect) in [
        ("editor_bars", a.bars),
        ("editor_glance", a.glance),
        ("editor_header", a.header),
    ] {
        egui_kittest::image_snapshot_options(&crop(&image, rect, 1.0), name, &options);
    }
    // The whole editor at the default and the smallest size, with each pane: every reading
    // at a glance, three suggestions of one line.
    let stereo = measured_stereo_data();
    for ((w, h), size) in [
        ((EDITOR_WIDTH as f32, EDITOR_HEIGHT as f32), "default"),
        (
            (
                mixmeter::editor::EDITOR_MIN_SIZE.0 as f32,
                mixmeter::editor::EDITOR_MIN_SIZE.1 as f32,
            ),
            "smallest",
        ),
    ] {
        for (pane, pane_name) in [(Pane::Spectrum, "spectrum"), (Pane::Stereo, "stereo")] {
            let mut scene = snapshot_scene();
            let glance = glance_view();
            scene.view.readings = glance.readings;
            scene.view.stereo = glance.stereo;
            scene.view.checks = glance.checks;
            scene.view.suggestions = glance.suggestions;
            scene.pane = pane;
            scene.stereo = Some(stereo.clone());
            let mut harness = harness_sized(scene, (w, h));
            harness.run();
            let image = harness.render().expect("the editor renders headless");
            egui_kittest::image_snapshot_options(
                &image,
                format!("editor_{size}_{pane_name}"),
                &options,
            );
        }
    }

    let mut hidpi = Harness::builder()
        .with_size(egui::Vec2::new(w, h))
        .with_pixels_per_point(2.0)
        .build_ui_state(
            |ui, scene: &mut Scene| {
                scene.full = ui.available_rect_before_wrap();
                let frame = EditorFrame {
                    view: &scene.view,
                    history: &scene.history,
                    pane: scene.pane,
                    spectrum: &scene.spectrum,
                    stereo: scene.stereo.as_ref(),
                };
                draw(ui, &frame);
            },
            snapshot_scene(),
        );
    hidpi.run();
    let image = hidpi
        .render()
        .expect("the editor renders headless at scale 2");
    assert_eq!(image.dimensions(), (2 * EDITOR_WIDTH, 2 * EDITOR_HEIGHT));
    egui_kittest::image_snapshot_options(&crop(&image, a.bars, 2.0), "editor_bars_2x", &options);
}

/// The checklist in the side panel: each item's grade read back by label (the numbers graded
/// are the view's readings: true peak -0.6 dBTP fails a pre-master's -3 dBTP headroom, -14.0
/// LUFS and a PLR of 13.4 dB pass, no crest factor is no grade), its evidence in words, and
/// another profile one pick away.
#[test]
fn the_checklist_grades_the_readings_and_switches_profile() {
    use mixmeter::diagnosis::checks::profiles;
    let mut v = view(false);
    v.grade(&profiles(), "pre-master", None);
    let mut harness = harness(v);
    harness.run();
    let grade = |harness: &Harness<'_, Scene>, label: &str| {
        harness
            .get_by_role_and_label(egui::Role::Meter, &format!("{label} check"))
            .value()
    };
    assert_eq!(grade(&harness, "Headroom").as_deref(), Some("FAIL"));
    assert_eq!(
        grade(&harness, "Integrated loudness").as_deref(),
        Some("pass")
    );
    assert_eq!(
        grade(&harness, "Peak to loudness (PLR)").as_deref(),
        Some("pass")
    );
    assert_eq!(grade(&harness, "Crest factor").as_deref(), Some("—"));
    assert_eq!(grade(&harness, "Tonal balance").as_deref(), Some("—"));
    // The evidence is one click away: any mark opens the check details.
    assert!(
        harness
            .query_by_label("-0.6 dBTP (pass at most -3.0 dBTP)")
            .is_none()
    );
    harness
        .get_by_role_and_label(egui::Role::Meter, "Headroom check")
        .click();
    harness.run();
    assert!(
        harness
            .query_by_label("-0.6 dBTP (pass at most -3.0 dBTP)")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("no reference curve compared yet")
            .is_some()
    );

    harness.get_by_label("Profile").click();
    harness.run();
    harness
        .get_by_label("Delivery check (master going to streaming)")
        .click();
    harness.run();
    assert_eq!(
        harness.state().actions.select_check_profile.as_deref(),
        Some("delivery")
    );
}

/// Suggestions from real findings, held: the low-mid boost measured by the real analyzer is a
/// tonal candidate (its confidence from 21.8 s of audio and 4 dB past the tolerance), shows
/// only once it has held for 3 s, and is drawn with its evidence and confidence, read back by
/// label; an over-compressed crest factor joins it, ranked below.
#[test]
fn suggestions_come_from_the_findings_and_show_once_held() {
    use mixmeter::diagnosis::suggestions::{Board, Findings, HOLD_S, Kind, candidates};
    let (_, data, _) = low_mid_boost_spectrum();
    let findings = Findings {
        tonal: data.comparison.as_ref(),
        spectrum_s: data.long_term_s,
        crest_factor_db: Some(7.0),
        measured_s: 60.0,
        ..Findings::default()
    };
    let found = candidates(&findings);
    assert_eq!(
        found.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
        ["tonal:low_mids:over", "dynamics:over-compressed"],
        "{found:?}"
    );
    let tonal = &found[0];
    assert_eq!(tonal.kind, Kind::Tonal);
    // 21.8 of 30 s, and the boost's excess over the tolerance.
    let excess = data.comparison.as_ref().unwrap().suggestions[0].excess_db;
    let expected = (data.long_term_s / 30.0) * (1.0 - (-excess / 3.0).exp());
    assert!((tonal.confidence - expected).abs() < 1e-9, "{tonal:?}");
    assert!(
        tonal.confidence > 0.3 && tonal.confidence < 0.9,
        "{tonal:?}"
    );

    let mut board = Board::new();
    board.update(&found, 0.0);
    board.update(&found, HOLD_S - 0.1);
    assert_eq!(board.shown().count(), 0, "not before it has held");
    board.update(&found, 0.2);
    let shown: Vec<_> = board.shown().cloned().collect();
    assert_eq!(shown.len(), 2);

    let mut v = view(false);
    v.suggestions = shown;
    let mut harness = harness(v);
    harness.run();
    let first = harness.get_by_label("Suggestion 1").value().unwrap();
    assert!(
        first.starts_with("1. low-mids +") && first.contains("cut around"),
        "{first}"
    );
    assert!(
        first.ends_with(&format!("({:.0} % confidence)", 100.0 * tonal.confidence)),
        "{first}"
    );
    let second = harness.get_by_label("Suggestion 2").value().unwrap();
    assert!(second.contains("crest factor 7.0 dB"), "{second}");
}

/// Snapshot and compare in the side panel: "Freeze this mix" asks for a freeze in one click;
/// with a frozen version (the readings above, then the same mix 1.3 LU louder with the
/// correlation down to 0.55) the notable differences are listed largest first, read back by
/// label, with the count of unchanged readings, and Forget forgets it.
#[test]
fn compare_lists_what_moved_since_the_frozen_version() {
    use mixmeter::diagnosis::compare::{compare, freeze};
    use mixmeter::editor::CompareView;
    let mut harness = harness(view(false));
    harness.run();
    harness.get_by_label("Compare").click();
    harness.run();
    harness.get_by_label("Freeze this mix").click();
    harness.run();
    assert!(harness.state().actions.freeze);

    let then = readings();
    let mut now = then;
    now.integrated_lufs = Some(-12.74);
    now.integrated_correlation = Some(0.55);
    let mut frozen_then = then;
    frozen_then.integrated_correlation = Some(0.8);
    let v1 = freeze("v1", &frozen_then, None, None);
    let mut v = View::new(now, &targets(), "spotify");
    v.compare = Some(CompareView {
        name: v1.name.clone(),
        versions: vec!["v1".to_string(), "v2".to_string()],
        measured_s: v1.measured_s,
        differences: compare(&v1, &freeze("now", &now, None, None)),
    });
    let mut harness = harness_sized(
        Scene::new(v),
        (
            mixmeter::editor::EDITOR_WIDTH as f32,
            mixmeter::editor::EDITOR_HEIGHT as f32,
        ),
    );
    harness.run();
    harness.get_by_label("Compare").click();
    harness.run();
    assert_eq!(
        harness.get_by_label("Difference 1").value().as_deref(),
        Some("Integrated -14.0 -> -12.7 LUFS (+1.3)")
    );
    assert_eq!(
        harness.get_by_label("Difference 2").value().as_deref(),
        Some("Correlation +0.80 -> +0.55 (-0.25)")
    );
    assert!(harness.query_by_label("Difference 3").is_none());
    assert!(harness.query_by_label("now against").is_some());
    assert!(
        harness
            .query_by_label_contains("(frozen after 0:02:05)")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("9 other readings unchanged")
            .is_some()
    );
    harness.get_by_label("Forget").click();
    harness.run();
    assert!(harness.state().actions.clear_frozen);
}

/// The render-report panel says plainly whether reports are on and when they are written,
/// flips the switch in one click, and shows the last report's file and main numbers, or why
/// the last render was not reported, or why its report could not be written (in the warning
/// colour).
#[test]
fn the_last_render_report_is_shown_or_why_it_failed() {
    use mixmeter::report::{LastReport, Outcome, Skip};
    let dir = std::path::Path::new("/music/reports");
    let mut v = view(false);
    v.last_report = Some(LastReport {
        outcome: Outcome::Written {
            json: dir.join("mixmeter-render-2026-11-21-101527.json"),
            png: dir.join("mixmeter-render-2026-11-21-101527.png"),
        },
        integrated_lufs: Some(-14.04),
        true_peak_dbtp: Some(-1.26),
        duration_s: 201.0,
    });
    // Tall enough that the panel at the bottom of the side column is on screen to click.
    let mut shown = harness_sized(Scene::new(v), (1100.0, 2400.0));
    shown.run();
    shown.get_by_label("Reports").click();
    shown.run();
    assert!(
        shown
            .query_by_label(
                "last: mixmeter-render-2026-11-21-101527.json (-14.0 LUFS, -1.3 dBTP, 0:03:21)"
            )
            .is_some()
    );
    assert!(
        shown
            .query_by_label_contains("written after each offline render (export) of 10 s or more")
            .is_some()
    );
    shown.get_by_label("on").click();
    shown.run();
    assert_eq!(shown.state().actions.reports_enabled, Some(false));

    let mut v = view(false);
    v.reports_enabled = false;
    v.last_report = Some(LastReport {
        outcome: Outcome::NotReported(Skip::TooShort(2.0)),
        integrated_lufs: None,
        true_peak_dbtp: None,
        duration_s: 2.0,
    });
    let mut skipped = harness(v);
    skipped.run();
    skipped.get_by_label("Reports").click();
    skipped.run();
    assert!(
        skipped
            .query_by_label("off: no report is written")
            .is_some()
    );
    assert!(
        skipped
            .query_by_label_contains("last render not reported: 2.0 s is shorter than 10 s")
            .is_some()
    );

    let mut v = view(false);
    v.last_report = Some(LastReport {
        outcome: Outcome::Failed("/music/reports: Permission denied (os error 13)".to_string()),
        integrated_lufs: None,
        true_peak_dbtp: None,
        duration_s: 0.0,
    });
    let mut failed = harness(v);
    failed.run();
    failed.get_by_label("Reports").click();
    failed.run();
    assert!(
        failed
            .query_by_label(
                "last render: report NOT written: /music/reports: Permission denied (os error 13)"
            )
            .is_some()
    );
}

/// Stereo findings become suggestions too: a mix with 300-500 Hz in opposite polarity in one
/// channel gives a stereo candidate for that range (with a confidence from its 10.9 s), the
/// same mix with both channels alike gives none; frozen and compared, the band's correlation is
/// what moved.
#[test]
fn a_band_that_cancels_in_mono_is_a_stereo_suggestion_and_a_mono_mix_is_not() {
    use mixmeter::diagnosis::stereo::{Mix, mono_compatibility};
    use mixmeter::diagnosis::suggestions::{Findings, Kind, candidates};
    use mixmeter::meter::engine::{Meter, MeterConfig};
    let rate = 48_000.0;
    let left = pink(rate, 1 << 19, None);
    let left_f64: Vec<f64> = left.iter().map(|&x| x as f64).collect();
    let inverted: Vec<f32> = signals::invert_band(&left_f64, rate as u32, 300.0, 500.0)
        .into_iter()
        .map(|x| x as f32)
        .collect();
    let mut frozen = Vec::new();
    for (right, expect_stereo) in [(&inverted, true), (&left, false)] {
        let mut meter = Meter::new(MeterConfig::new(rate, 2).with_spectrum()).unwrap();
        for (l, r) in left.chunks(512).zip(right.chunks(512)) {
            meter.process(&[l, r]);
        }
        let r = meter.readings();
        let bands = meter.stereo_bands().unwrap().whole_window();
        let whole = mono_compatibility(&bands, &Mix::whole(&r));
        let found = candidates(&Findings {
            stereo: Some(&whole),
            measured_s: r.measured_s,
            crest_factor_db: r.crest_factor_db,
            ..Findings::default()
        });
        let stereo: Vec<_> = found.iter().filter(|c| c.kind == Kind::Stereo).collect();
        if expect_stereo {
            assert!(!stereo.is_empty(), "{found:?}");
            assert!(
                stereo
                    .iter()
                    .any(|c| c.key.starts_with("stereo:") && c.text.contains("Hz")),
                "{stereo:?}"
            );
            let expected_amount = r.measured_s / 30.0;
            assert!(
                stereo
                    .iter()
                    .all(|c| c.confidence > 0.0 && c.confidence <= expected_amount + 1e-9),
                "{stereo:?}"
            );
        } else {
            assert!(stereo.is_empty(), "a mono mix: {stereo:?}");
        }
        // Pink noise is not over-compressed.
        assert!(found.iter().all(|c| c.kind != Kind::Dynamics), "{found:?}");
        frozen.push(mixmeter::diagnosis::compare::freeze(
            "mix",
            &r,
            None,
            Some(&whole),
        ));
    }
    // Snapshot and compare per band: fixing the polarity moves the 300-500 Hz correlation
    // from about -1 to +1, the most notable difference; the bands around it barely move.
    let diffs = mixmeter::diagnosis::compare::compare(&frozen[0], &frozen[1]);
    let band = diffs
        .iter()
        .find(|d| d.what == "300-500 Hz correlation")
        .unwrap();
    assert!(band.notable && band.delta.unwrap() > 1.8, "{band:?}");
    let far = diffs
        .iter()
        .find(|d| d.what == "1-2 kHz correlation")
        .unwrap();
    assert!(!far.notable, "{far:?}");
}

/// The render-report folder: shown, editable, and kept with "Use" only when it changed (the
/// editor then writes it into the project's `report-folder`).
#[test]
fn the_report_folder_is_shown_and_a_new_one_is_used_on_click() {
    let mut v = view(false);
    v.report_folder = "/music/reports".to_string();
    v.report_folder_text = "/music/reports".to_string();
    let size = (
        mixmeter::editor::EDITOR_WIDTH as f32,
        mixmeter::editor::EDITOR_HEIGHT as f32,
    );
    let mut same = harness_sized(Scene::new(v.clone()), size);
    same.run();
    same.get_by_label("Reports").click();
    same.run();
    assert_eq!(
        same.get_by_label("Folder").value().as_deref(),
        Some("/music/reports")
    );
    same.get_by_label("Use").click();
    same.run();
    assert!(!same.state().actions.use_report_folder, "nothing to use");

    v.report_folder_text = "/music/renders".to_string();
    let mut edited = harness_sized(Scene::new(v), size);
    edited.run();
    edited.get_by_label("Reports").click();
    edited.run();
    edited.get_by_label("Use").click();
    edited.run();
    assert!(edited.state().actions.use_report_folder);
    assert!(
        edited
            .query_by_label_contains("written after each offline render (export) of 10 s or more")
            .is_some()
    );
}

/// The same pink noise without the boost matches the pink slope: no tonal suggestion, and the
/// checklist's tonal item passes (the boosted one fails it).
#[test]
fn a_balanced_mix_gives_no_tonal_suggestion_and_passes_the_tonal_check() {
    use mixmeter::diagnosis::checks::{Inputs, Status, profile, run};
    use mixmeter::diagnosis::suggestions::{Findings, candidates};
    let tonal_status = |data: &SpectrumData| {
        let r = readings();
        run(
            &profile("pre-master").unwrap(),
            &Inputs {
                readings: &r,
                tonal: data.comparison.as_ref(),
                finished: false,
            },
        )
        .into_iter()
        .find(|i| i.id == "tonal")
        .unwrap()
        .status
    };
    let (_, balanced, _) = pink_spectrum(None);
    let found = candidates(&Findings {
        tonal: balanced.comparison.as_ref(),
        spectrum_s: balanced.long_term_s,
        ..Findings::default()
    });
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(tonal_status(&balanced), Some(Status::Pass));
    let (_, boosted, _) = low_mid_boost_spectrum();
    // About 4 dB past the tolerance: a warning or a fail, never a pass.
    let status = tonal_status(&boosted);
    assert!(
        matches!(status, Some(Status::Warn | Status::Fail)),
        "{status:?}"
    );
}

/// A 7.1.4 bus through the real meter, the real fold-down and the real bridge: a bar per
/// channel named by its role (L R C LFE Lrs Rrs Ls Rs Ltf Rtf Ltr Rtr), one clip indicator for
/// the bus, the Fold-down switch (engaged, folding to mono) with its target button, the
/// folds' loudness changes where the stereo readings are on a stereo track (the numbers the
/// fold measured), no mono-loss reading, and a stereo pane that names the front pair. At the
/// default size and the smallest, every one of them inside the window.
#[test]
fn a_surround_bus_shows_every_channel_by_role_and_the_fold_down() {
    use mixmeter::meter::engine::{Meter, MeterConfig};
    use mixmeter::meter::fold::{Fold, FoldTarget};
    use mixmeter::meter::layout::{BusLayout, weights};
    let bus = BusLayout::Surround714;
    let rate = 48_000.0;
    let mut meter =
        Meter::new(MeterConfig::new(rate, 12).with_weights(&weights(bus.roles()))).unwrap();
    let mut fold = Fold::new(rate, bus.roles()).unwrap();
    let mut seed = 3u64;
    let block: Vec<Vec<f32>> = (0..12)
        .map(|_| {
            (0..5 * 48_000)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
                })
                .collect()
        })
        .collect();
    meter.process(&block);
    fold.process(&block);
    let (mut input, mut output) = mixmeter::bridge::channel();
    let readings = meter.readings();
    let fold_readings = fold.readings(&readings);
    input.publish_with_fold(&readings, false, None, Some(fold_readings), 1.0);
    let snapshot = output.snapshot();
    assert_eq!(snapshot.fold, Some(fold_readings));
    let mut view = View::new(snapshot.readings, &targets(), "spotify");
    view.fold = snapshot.fold;
    view.fold_to = FoldTarget::Mono;
    view.mono_engaged = true;
    for c in 0..12 {
        view.set_peaks(c, -10.0 - c as f32, -10.0 - c as f32);
    }
    view.clip[9].update(0.7);
    let labels = [
        "L", "R", "C", "LFE", "Lrs", "Rrs", "Ls", "Rs", "Ltf", "Rtf", "Ltr", "Rtr",
    ];
    for size in [(1100.0, 720.0), (800.0, 560.0)] {
        let mut scene = Scene::new(view.clone());
        scene.pane = Pane::Stereo;
        let mut harness = harness_sized(scene, size);
        harness.run();
        // For the eye: target/screenshots/editor-7.1.4-WxH.png.
        save_screenshot(
            &mut harness,
            &format!("editor-7.1.4-{}x{}.png", size.0, size.1),
        );
        let window = harness.state().full;
        let glance = mixmeter::editor::areas(window).glance;
        let inside = |harness: &Harness<'_, Scene>, role, label: &str| {
            let node = harness.get_by_role_and_label(role, label);
            let rect = node.rect();
            assert!(
                window.contains(rect.min) && window.contains(rect.max),
                "{label} at {rect:?} outside {window:?} ({size:?})"
            );
        };
        // The readings at a glance are drawn (not clipped away) inside their own area.
        let in_glance = |harness: &Harness<'_, Scene>, label: &str| {
            let rect = harness
                .get_by_role_and_label(egui::Role::Meter, label)
                .rect();
            assert!(
                glance.expand(0.5).contains_rect(rect),
                "{label} at {rect:?} outside the readings' area {glance:?} ({size:?})"
            );
        };
        for (c, label) in labels.iter().enumerate() {
            let name = format!("{label} true peak bar");
            inside(&harness, egui::Role::Meter, &name);
            let reading = format!("{label} true peak");
            inside(&harness, egui::Role::Meter, &reading);
            assert_eq!(
                value_of(&harness, &reading),
                Some(format!("{:+.1}", -10.0 - c as f32)),
                "{reading}"
            );
        }
        assert!(harness.query_by_label("Left true peak").is_none());
        inside(&harness, egui::Role::Button, "Any channel clip");
        assert!(
            harness
                .get_by_role_and_label(egui::Role::Button, "Any channel clip")
                .value()
                .is_some_and(|v| v.contains("+0.7")),
            "the worst channel's overshoot"
        );
        inside(&harness, egui::Role::CheckBox, "Fold-down");
        assert!(harness.query_by_label("Mono check").is_none());
        inside(&harness, egui::Role::Button, "Fold to");
        assert_eq!(
            harness
                .get_by_role_and_label(egui::Role::Button, "Fold to")
                .value()
                .as_deref(),
            Some("to mono")
        );
        assert!(
            harness
                .query_by_label_contains("Output folded to mono (ITU-R BS.775 downmix on C)")
                .is_some()
        );
        let lu = mixmeter::editor::format_reading;
        for (label, value) in [
            ("Stereo fold", fold_readings.stereo_short_term_lu),
            ("Mono fold", fold_readings.mono_short_term_lu),
            ("Stereo fold, whole", fold_readings.stereo_integrated_lu),
            ("Mono fold, whole", fold_readings.mono_integrated_lu),
        ] {
            in_glance(&harness, label);
            assert!(value.is_some(), "{label} has a value");
            assert_eq!(value_of(&harness, label), Some(lu(value)), "{label}");
        }
        in_glance(&harness, "Stereo fold true peak");
        // The front pair (independent noise: correlation near 0), read as a stereo track.
        in_glance(&harness, "Correlation");
        let correlation = harness
            .get_by_role_and_label(egui::Role::Meter, "Correlation")
            .value()
            .and_then(|v| v.split(',').next()?.parse::<f64>().ok())
            .expect("front correlation shown");
        assert!(
            (correlation - fold_readings.front_correlation.unwrap()).abs() < 0.006,
            "{correlation}"
        );
        assert!(correlation.abs() < 0.1, "{correlation}");
        in_glance(&harness, "Front balance");
        assert!(fold_readings.front_balance_db.is_some());
        assert!(
            harness
                .query_by_role_and_label(egui::Role::Meter, "Mono loss")
                .is_none()
        );
        assert!(
            harness
                .query_by_label_contains("Stereo view of the front pair (L R)")
                .is_some()
        );
        // A click on the target asks to switch it.
        harness
            .get_by_role_and_label(egui::Role::Button, "Fold to")
            .click();
        harness.run();
        assert!(harness.state().actions.toggle_fold_to);
    }
    // The folds changed loudness as the coefficients say for 12 equal independent channels
    // (weights 1, 1, 1, 0, 1, 1, 1.41, 1.41, 1, 1, 1, 1): the stereo fold -2.4 LU.
    let stereo = fold_readings.stereo_integrated_lu.unwrap();
    let expected = 10.0 * (2.0f64 * (1.0 + 5.0 * 0.5) / (9.0 + 2.0 * 1.41)).log10();
    assert!((stereo - expected).abs() < 0.15, "{stereo} vs {expected}");
}
