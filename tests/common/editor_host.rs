//! The editor embedded the way a CLAP host embeds it (X11), and audio played to it in real
//! time: shared by the GUI and screen-reader host tests.

#![allow(dead_code)]

use super::clap::{Instance, ParamChange, sine_block};
use super::x11::ParentWindow;
use clack_extensions::gui::{GuiApiType, GuiConfiguration, Window};
use std::time::{Duration, Instant};

/// The host window is the editor's default size.
pub const EDITOR_SIZE: (u16, u16) = (
    mixmeter::editor::EDITOR_WIDTH as u16,
    mixmeter::editor::EDITOR_HEIGHT as u16,
);

/// Opens the editor in `parent` the way a CLAP host does: create, then (a HiDPI host) the
/// scale factor, then the size it asks for, embed, show.
pub fn open_editor_scaled(instance: &mut Instance, parent: &ParentWindow, scale: Option<f64>) {
    instance.with_gui(|gui, handle| {
        let config = GuiConfiguration {
            api_type: GuiApiType::X11,
            is_floating: false,
        };
        assert!(gui.is_api_supported(handle, config), "embedded X11 editor");
        gui.create(handle, config).expect("editor created");
        if let Some(scale) = scale {
            gui.set_scale(handle, scale)
                .expect("the editor takes the host's scale");
        }
        let size = gui.get_size(handle).expect("editor has a size");
        assert!(size.width >= 300 && size.height >= 150, "{size:?}");
        // SAFETY: the parent window outlives the editor (destroyed in close_editor first).
        unsafe { gui.set_parent(handle, Window::from_x11_handle(parent.window as _)) }
            .expect("editor embedded");
        gui.show(handle).expect("editor shown");
    });
}

/// [`open_editor_scaled`] at the display's own scale.
pub fn open_editor(instance: &mut Instance, parent: &ParentWindow) {
    open_editor_scaled(instance, parent, None);
}

pub fn close_editor(instance: &mut Instance) {
    instance.with_gui(|gui, handle| {
        let _ = gui.hide(handle);
        gui.destroy(handle);
    });
    // The editor's window thread finishes closing on its own; give it time before the host
    // window it was embedded in goes away, as a DAW's window outlives its plugin view.
    std::thread::sleep(Duration::from_millis(250));
}

/// Plays a stereo 1 kHz sine of `amplitude` in real time for `duration`, in blocks of `block`
/// frames at `rate_hz`, with `changes` in the first block.
pub fn play_sine(
    instance: &mut Instance,
    duration: Duration,
    (rate_hz, block): (f64, usize),
    amplitude: f32,
    changes: &[ParamChange],
) {
    let start = Instant::now();
    let mut frame = 0;
    while start.elapsed() < duration {
        let events = if frame == 0 { changes } else { &[] };
        instance.process(&sine_block(frame, block, rate_hz, amplitude), events);
        frame += block;
        std::thread::sleep(Duration::from_millis(10));
    }
}
