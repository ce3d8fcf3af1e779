//! The editor's view rendered headless with egui_kittest and queried the way a screen reader
//! sees it: the numbers shown are the numbers given, undefined readings are a dash, the mono
//! check is a toggle and the EBU-mode buttons send their commands.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use mixmeter::bridge::Command;
use mixmeter::editor::{Actions, View, draw};
use mixmeter::meter::engine::Readings;

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
    View {
        mono_engaged,
        channels: 2,
        true_peak_db: [-6.02, f32::NEG_INFINITY],
        readings: readings(),
        reset_by_transport: false,
    }
}

fn harness(view: View) -> Harness<'static, (View, Actions)> {
    Harness::new_ui_state(
        |ui, (view, actions): &mut (View, Actions)| {
            let now = draw(ui, view);
            actions.toggle_mono |= now.toggle_mono;
            if now.command.is_some() {
                actions.command = now.command;
            }
        },
        (view, Actions::default()),
    )
}

/// The value of the meter reading called `label` (its visible caption is a separate label).
fn value_of(harness: &Harness<'_, (View, Actions)>, label: &str) -> Option<String> {
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
    assert_eq!(value_of(&harness, "Integrated").as_deref(), Some("-14.0"));
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
    let integrated = harness.get_by_role_and_label(egui::Role::Meter, "Integrated");
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
        assert!(harness.state().1.toggle_mono, "a click asks to toggle");
    }
}

#[test]
fn ebu_mode_buttons_send_their_commands() {
    let mut harness = harness(view(false));
    harness.run();
    harness.get_by_label("Pause").click();
    harness.run();
    assert_eq!(harness.state().1.command, Some(Command::Pause));
    harness.get_by_label("Reset").click();
    harness.run();
    assert_eq!(harness.state().1.command, Some(Command::Reset));

    let mut paused = view(false);
    paused.readings.running = false;
    let mut harness = self::harness(paused);
    harness.run();
    harness.get_by_label("Continue").click();
    harness.run();
    assert_eq!(harness.state().1.command, Some(Command::Start));
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
}
