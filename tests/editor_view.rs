//! The editor's view rendered headless with egui_kittest and queried the way a screen reader
//! sees it: the numbers shown are the numbers given, and the mono check is a toggle.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use mixmeter::editor::{Actions, View, draw};

fn view(mono_engaged: bool) -> View {
    View {
        mono_engaged,
        channels: 2,
        peak_db: [-6.02, f32::NEG_INFINITY],
        non_finite_samples: 0,
    }
}

fn harness(view: View) -> Harness<'static, (View, Actions)> {
    Harness::new_ui_state(
        |ui, (view, actions): &mut (View, Actions)| {
            let now = draw(ui, view);
            actions.toggle_mono |= now.toggle_mono;
        },
        (view, Actions::default()),
    )
}

#[test]
fn shows_the_peak_readings_given() {
    let mut harness = harness(view(false));
    harness.run();
    let left = harness.get_by_label("Left sample peak");
    assert_eq!(left.value().as_deref(), Some("-6.0"));
    assert_eq!(left.accesskit_node().numeric_value(), Some(-6.02f32 as f64));
    let right = harness.get_by_label("Right sample peak");
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
fn mono_layout_shows_one_reading_and_non_finite_input_is_reported() {
    let mut harness = harness(View {
        mono_engaged: false,
        channels: 1,
        peak_db: [-20.0, -3.0],
        non_finite_samples: 12,
    });
    harness.run();
    assert_eq!(
        harness.get_by_label("Mono sample peak").value().as_deref(),
        Some("-20.0")
    );
    assert!(harness.query_by_label("Right sample peak").is_none());
    assert!(
        harness
            .query_by_label_contains("12 non-finite input samples")
            .is_some()
    );
}
