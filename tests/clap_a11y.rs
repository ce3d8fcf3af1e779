//! A screen reader inside a real host: the editor opened by the CLAP test host (clack-host)
//! on Xvfb, with a private D-Bus session and the AT-SPI registry (at-spi2-core), read from
//! outside by an AT-SPI client (`tests/a11y/atspi_client.py`, Debian's Atspi typelib), as Orca
//! reads it. Keys are typed into the editor's X11 window with XTEST, as a user types them.

mod common;

use common::a11y::{self, Node, find, outline};
use common::clap::{Instance, ParamChange, bundles};
use common::editor_host::{EDITOR_SIZE, close_editor, open_editor, play_sine};
use common::x11::{ParentWindow, display};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, InputFocus};
use x11rb::protocol::xtest::ConnectionExt as _;

const RATE_HZ: f64 = 48_000.0;
const BLOCK: usize = 480;

/// Plays a stereo 1 kHz sine in real time for `duration`, with `changes` in the first block.
fn play(instance: &mut Instance, duration: Duration, amplitude: f32, changes: &[ParamChange]) {
    play_sine(instance, duration, (RATE_HZ, BLOCK), amplitude, changes);
}

/// Plays silence for `duration` (the host keeps calling `process`, so the editor's parameter
/// changes reach it).
fn idle(instance: &mut Instance, duration: Duration) {
    play(instance, duration, 0.0, &[]);
}

/// Reads the tree until `done` holds (the bridge sends value changes at most every 250 ms),
/// while the host keeps processing silence; the last tree read otherwise.
fn tree_until(instance: &mut Instance, done: impl Fn(&[Node]) -> bool) -> Vec<Node> {
    tree_until_playing(instance, |i| idle(i, Duration::from_millis(200)), done)
}

/// [`tree_until`] with `between` played between reads.
fn tree_until_playing(
    instance: &mut Instance,
    mut between: impl FnMut(&mut Instance),
    done: impl Fn(&[Node]) -> bool,
) -> Vec<Node> {
    let start = Instant::now();
    loop {
        let tree = a11y::tree(std::process::id());
        // 30 s: on a loaded machine (a build running beside the tests) one read of the tree
        // has taken seconds, and 10 s ran out before the live readings showed.
        if done(&tree) || start.elapsed() > Duration::from_secs(30) {
            return tree;
        }
        between(instance);
    }
}

/// Plays a stereo -20 dBFS 1 kHz square wave in real time for `duration`, continuing from
/// `frame`.
fn play_square(instance: &mut Instance, duration: Duration, frame: &mut usize) {
    let start = Instant::now();
    while start.elapsed() < duration {
        let square: Vec<Vec<f32>> = common::clap::sine_block(*frame, BLOCK, RATE_HZ, 1.0)
            .into_iter()
            .map(|c| c.into_iter().map(|x| 0.1 * x.signum()).collect())
            .collect();
        instance.process(&square, &[]);
        *frame += BLOCK;
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The editor's own X11 window (the child of the host's window).
fn editor_window(parent: &ParentWindow) -> u32 {
    let tree = parent
        .conn
        .query_tree(parent.window)
        .unwrap()
        .reply()
        .unwrap();
    *tree.children.first().expect("the editor is embedded")
}

/// Types `keysym` (press and release) with XTEST into whatever window has the keyboard.
fn type_key(parent: &ParentWindow, keysym: u32) {
    let conn = &parent.conn;
    let setup = conn.setup();
    let (min, max) = (setup.min_keycode, setup.max_keycode);
    let mapping = conn
        .get_keyboard_mapping(min, max - min + 1)
        .unwrap()
        .reply()
        .unwrap();
    let per = mapping.keysyms_per_keycode as usize;
    let index = mapping
        .keysyms
        .iter()
        .position(|&k| k == keysym)
        .expect("the key is on the keyboard");
    let keycode = min + (index / per) as u8;
    let root = conn.setup().roots[0].root;
    for kind in [
        x11rb::protocol::xproto::KEY_PRESS_EVENT,
        x11rb::protocol::xproto::KEY_RELEASE_EVENT,
    ] {
        conn.xtest_fake_input(kind, keycode, x11rb::CURRENT_TIME, root, 0, 0, 0)
            .unwrap();
        conn.flush().unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }
}

const TAB: u32 = 0xff09;
const SPACE: u32 = 0x0020;
const RETURN: u32 = 0xff0d;

/// `editor::FOCUS_COLOR`, the ring around the widget with keyboard focus.
const FOCUS_RING: [u8; 3] = [0x4F, 0xC3, 0xF7];

fn focus_ring_pixels(parent: &ParentWindow) -> usize {
    parent
        .capture_rgb()
        .iter()
        .filter(|p| p.iter().zip(FOCUS_RING).all(|(a, b)| a.abs_diff(b) <= 8))
        .count()
}

/// The name of the node that has keyboard focus, if any.
fn focused(tree: &[Node]) -> Option<String> {
    tree.iter()
        .skip(1) // the window itself is focused too
        .find(|n| n.has("focused"))
        .map(|n| n.name.clone())
}

/// One test function: the X server and the D-Bus session this binary may start must outlive
/// every editor window, so the cases run in sequence.
#[test]
fn a_screen_reader_reads_and_operates_the_editor_in_a_real_host() {
    let display = display();
    let _session = a11y::session();
    for path in bundles() {
        eprintln!("{}", path.display());
        let bundle = common::clap::Bundle::load(&path);
        let mut instance = bundle.instantiate();
        instance.activate(RATE_HZ, 4096);
        let parent = ParentWindow::new(&display, EDITOR_SIZE.0, EDITOR_SIZE.1);
        open_editor(&mut instance, &parent);
        readings_and_lists_reach_the_screen_reader(&mut instance);
        the_screen_reader_toggles_the_mono_check(&mut instance);
        the_keyboard_moves_focus_in_order_and_toggles_the_mono_check(&mut instance, &parent);
        a_screen_reader_moving_focus_brings_the_keyboard_along(&mut instance, &parent);
        a_clip_and_a_failing_check_are_announced_once(&mut instance);
        close_editor(&mut instance);
    }
}

/// The "done when": an AT-SPI client reads the live meter values from the editor in a
/// real host. A -20 dBFS stereo square wave for 3 s: the window is found by name, the integrated
/// loudness reads the value the meter holds (the one the plugin saves in its state) as "minus
/// N LUFS" and as a number, the mono check is a check box that follows the parameter when the
/// host changes it, the checklist is a list of graded items and the suggestions a list of
/// lines.
fn readings_and_lists_reach_the_screen_reader(instance: &mut Instance) {
    let mono = instance.param_id("Mono Check");
    // A square wave: broadband (its harmonics fill the spectrum, so it is material, not a test
    // tone) with a 0 dB crest factor, which the suggestions call over-compressed.
    let mut frame = 0;
    play_square(instance, Duration::from_secs(3), &mut frame);
    let measured = common::clap::saved_measurement(&instance.save_state())["integrated_lufs"]
        .as_f64()
        .expect("3 s of a -20 dBFS square wave has an integrated loudness");
    let expected = format!("Integrated loudness, minus {:.1} LUFS", -measured);
    // The square keeps playing between reads: the live true peak is held 1.5 s of the editor's
    // wall clock, and one slow read of the tree can take longer than that.
    // By name: a level bar with no reading still carries a value (0) over AT-SPI.
    let live = |t: &[Node]| find(t, "Left true peak").is_some_and(|n| n.name.ends_with(" dBTP"));
    let tree = tree_until_playing(
        instance,
        |i| play_square(i, Duration::from_millis(200), &mut frame),
        |t| find(t, "Integrated loudness").is_some_and(|n| n.name == expected) && live(t),
    );
    eprintln!("{}", outline(&tree));
    assert_eq!(tree[0].role, "frame", "{}", outline(&tree));
    assert_eq!(tree[0].name, "Mixmeter");
    let integrated = find(&tree, "Integrated loudness").expect("integrated loudness in the tree");
    assert_eq!(integrated.name, expected, "the meter holds {measured}");
    assert_eq!(integrated.role, "level bar");
    let value = integrated.value.expect("the reading is a number too");
    assert!((value - measured).abs() < 0.01, "{value} vs {measured}");
    // Other readings are named with value and unit as well.
    for (name, unit) in [
        ("Left true peak", "dBTP"),
        ("True peak max", "dBTP"),
        ("Max momentary", "LUFS"),
        ("Crest factor", "dB"),
    ] {
        let node = find(&tree, name).unwrap_or_else(|| panic!("{name} in the tree"));
        assert!(node.name.ends_with(&format!(" {unit}")), "{}", node.name);
    }

    // The checklist: a list whose items are graded checks.
    let list_at = tree
        .iter()
        .position(|n| n.role == "list" && n.name == "Checklist")
        .expect("the checklist is a list");
    let items: Vec<&Node> = tree[list_at + 1..]
        .iter()
        .take_while(|n| n.depth > tree[list_at].depth)
        .filter(|n| n.depth == tree[list_at].depth + 1)
        .collect();
    assert!(items.len() >= 5, "{items:?}");
    let headroom = items
        .iter()
        .find(|n| n.name.starts_with("Headroom check, "))
        .expect("the headroom check is listed");
    assert_eq!(
        headroom.name, "Headroom check, pass",
        "-20 dBTP has headroom"
    );

    // The suggestions, once a finding has held 3 s (the square wave's 0 dB crest factor
    // reads as over-compressed): a list of numbered lines, each read whole.
    let tree = tree_until(instance, |t| {
        t.iter()
            .any(|n| n.role == "list" && n.name == "Suggestions")
    });
    let list_at = tree
        .iter()
        .position(|n| n.role == "list" && n.name == "Suggestions")
        .unwrap_or_else(|| panic!("the suggestions are a list:\n{}", outline(&tree)));
    let first = &tree[list_at + 1];
    assert_eq!(first.depth, tree[list_at].depth + 1);
    assert_eq!(first.role, "list item");
    assert!(
        first.name.starts_with("Suggestion 1, 1. "),
        "{}",
        first.name
    );

    // The mono check is a toggle whose state follows the parameter the host sets.
    let check = find(&tree, "Mono check").expect("the mono check");
    assert_eq!(check.role, "check box");
    assert!(!check.has("checked"));
    assert!(
        check.actions.iter().any(|a| a == "click"),
        "{:?}",
        check.actions
    );
    for (value, checked) in [(1.0, true), (0.0, false)] {
        let change = ParamChange {
            offset: 0,
            param_id: mono,
            value,
        };
        play(instance, Duration::from_millis(50), 0.0, &[change]);
        let tree = tree_until(instance, |t| {
            find(t, "Mono check").is_some_and(|n| n.has("checked") == checked)
        });
        assert_eq!(
            find(&tree, "Mono check").unwrap().has("checked"),
            checked,
            "the host set the mono check to {value}"
        );
    }
}

/// A screen reader's click on the mono check (AT-SPI Action "click") is a parameter change
/// the host receives, and the toggle reads the new state; a second click turns it off.
fn the_screen_reader_toggles_the_mono_check(instance: &mut Instance) {
    let mono = instance.param_id("Mono Check");
    instance.take_param_changes_from_plugin();
    for (value, checked) in [(1.0, true), (0.0, false)] {
        let done = a11y::client(&[
            "act",
            &std::process::id().to_string(),
            "Mono check",
            "click",
        ]);
        assert_eq!(done["done"], true, "{done}");
        let tree = tree_until(instance, |t| {
            find(t, "Mono check").is_some_and(|n| n.has("checked") == checked)
        });
        assert_eq!(find(&tree, "Mono check").unwrap().has("checked"), checked);
        let changes = instance.take_param_changes_from_plugin();
        assert!(
            changes.contains(&(mono, value)),
            "the host sees the mono check go to {value}: {changes:?}"
        );
        assert_eq!(instance.param_value(mono), value);
    }
}

/// With the keyboard in the editor's window (as a host gives it when the user clicks in or
/// tabs into the plugin), Tab moves focus through the controls in their visual order, with a
/// ring drawn around the focused one; Space and Enter toggle the mono check, a parameter change
/// the host receives. Before any Tab no ring is drawn.
fn the_keyboard_moves_focus_in_order_and_toggles_the_mono_check(
    instance: &mut Instance,
    parent: &ParentWindow,
) {
    let mono = instance.param_id("Mono Check");
    let editor = editor_window(parent);
    parent
        .conn
        .set_input_focus(InputFocus::PARENT, editor, x11rb::CURRENT_TIME)
        .unwrap();
    parent.conn.flush().unwrap();
    idle(instance, Duration::from_millis(300));
    assert_eq!(
        focus_ring_pixels(parent),
        0,
        "no ring before the keyboard is used"
    );
    let order = ["Target", "Pause", "Reset", "Mono check"];
    let mut heard = Vec::new();
    for expected in order {
        type_key(parent, TAB);
        let tree = tree_until(instance, |t| focused(t).as_deref() == Some(expected));
        heard.push(focused(&tree).unwrap_or_default());
    }
    assert_eq!(heard, order, "focus follows the controls in order");
    idle(instance, Duration::from_millis(100));
    let ring = focus_ring_pixels(parent);
    assert!(
        ring > 100,
        "a focus ring is drawn around the mono check ({ring} pixels)"
    );
    instance.take_param_changes_from_plugin();
    for (key, value, checked) in [(SPACE, 1.0, true), (RETURN, 0.0, false)] {
        type_key(parent, key);
        let tree = tree_until(instance, |t| {
            find(t, "Mono check").is_some_and(|n| n.has("checked") == checked)
        });
        assert_eq!(find(&tree, "Mono check").unwrap().has("checked"), checked);
        let changes = instance.take_param_changes_from_plugin();
        assert!(
            changes.contains(&(mono, value)),
            "key {key:#x}: the host sees the mono check go to {value}: {changes:?}"
        );
        assert_eq!(
            focused(&tree).as_deref(),
            Some("Mono check"),
            "focus stays on the mono check"
        );
    }
}

/// With the keyboard back in the host's window, a screen reader moving focus to the mono check
/// (AT-SPI GrabFocus) focuses it and makes the editor's window take the keyboard: Space then
/// toggles it, and the host receives the change.
fn a_screen_reader_moving_focus_brings_the_keyboard_along(
    instance: &mut Instance,
    parent: &ParentWindow,
) {
    let mono = instance.param_id("Mono Check");
    parent
        .conn
        .set_input_focus(InputFocus::PARENT, parent.window, x11rb::CURRENT_TIME)
        .unwrap();
    parent.conn.flush().unwrap();
    idle(instance, Duration::from_millis(300));
    let pid = std::process::id().to_string();
    // Focus elsewhere first, so the move to the mono check is a real move.
    let done = a11y::client(&["act", &pid, "Reset", "focus"]);
    assert_eq!(done["done"], true, "{done}");
    tree_until(instance, |t| focused(t).as_deref() == Some("Reset"));
    let done = a11y::client(&["act", &pid, "Mono check", "focus"]);
    assert_eq!(done["done"], true, "{done}");
    let tree = tree_until(instance, |t| focused(t).as_deref() == Some("Mono check"));
    assert_eq!(focused(&tree).as_deref(), Some("Mono check"));
    let keyboard = parent
        .conn
        .get_input_focus()
        .unwrap()
        .reply()
        .unwrap()
        .focus;
    assert_eq!(
        keyboard,
        editor_window(parent),
        "the editor's window has the keyboard"
    );
    instance.take_param_changes_from_plugin();
    type_key(parent, SPACE);
    let tree = tree_until(instance, |t| {
        find(t, "Mono check").is_some_and(|n| n.has("checked"))
    });
    assert!(find(&tree, "Mono check").unwrap().has("checked"));
    assert!(
        instance
            .take_param_changes_from_plugin()
            .contains(&(mono, 1.0))
    );
    // Leave it off for the next case.
    type_key(parent, SPACE);
    tree_until(instance, |t| {
        find(t, "Mono check").is_some_and(|n| !n.has("checked"))
    });
    assert!(
        instance
            .take_param_changes_from_plugin()
            .contains(&(mono, 0.0))
    );
}

/// A loud passage (a +1.6 dBFS sine) latches the clip indicators and turns the headroom check
/// to fail: the listener hears one announcement of the clip (both channels in one sentence)
/// and one of the failing check, each about `ANNOUNCE_INTERVAL` (more than 1.8 s) after the one
/// before.
fn a_clip_and_a_failing_check_are_announced_once(instance: &mut Instance) {
    let listener = a11y::spawn_client(&["listen", &std::process::id().to_string(), "7"]);
    // Let the listener register before the event.
    idle(instance, Duration::from_millis(1500));
    play(instance, Duration::from_secs(1), 1.2, &[]);
    idle(instance, Duration::from_millis(5000));
    let heard = a11y::finish(listener);
    let heard: Vec<(f64, String)> = heard["heard"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "announcement")
        .map(|e| {
            let text = e["text"].as_str().unwrap_or_default().to_string();
            (e["t"].as_f64().unwrap(), text)
        })
        .collect();
    let announcements: Vec<&String> = heard.iter().map(|h| &h.1).collect();
    eprintln!("announced: {announcements:?}");
    assert!(
        announcements
            .iter()
            .any(|a| a.starts_with("Clip on Left and Right, true peak plus ")),
        "{announcements:?}"
    );
    assert!(
        announcements
            .iter()
            .any(|a| a.starts_with("Headroom check fails")),
        "{announcements:?}"
    );
    // Rate-limited: never two within `ANNOUNCE_INTERVAL` (2 s) of each other, less a frame and
    // the bus's delivery jitter as the listener sees it.
    for pair in heard.windows(2) {
        let gap_s = pair[1].0 - pair[0].0;
        assert!(
            gap_s > 1.8,
            "{gap_s:.2} s between {:?} and {:?}",
            pair[0].1,
            pair[1].1
        );
    }
}
