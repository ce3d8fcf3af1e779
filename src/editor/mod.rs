//! The egui editor: everything a mixer watches on the master bus, one glance away.
//!
//! Layout ([`areas`]): the header (target, measurement controls, the mono check) across the
//! top; level bars on the left (momentary and short-term on a LUFS scale with the target
//! marked, true peak per channel with hold, the -1 and -3 dBTP ceilings and a latching clip
//! indicator); the loudness history over the spectrum or stereo view in the middle; on the
//! right the readings at a glance (loudness and its distance to the target, true peak,
//! dynamics, correlation, mono loss and the mono verdict) over the details (platforms, each
//! check's evidence, compare, render reports: one tab at a time, the only part that scrolls);
//! along the bottom the checklist's verdicts as a row of marks and at most three suggestions
//! of one line each. Nothing a mixer watches scrolls, from [`EDITOR_MIN_SIZE`] up. The editor
//! is resizable, remembers its size in the project and follows the host's scale factor (egui
//! draws in logical points).
//!
//! Drawing is split in two: [`MixmeterEditor`] gathers plain values from the bridge and the
//! parameters (GUI thread only), and [`draw`] turns an [`EditorFrame`] of plain values into
//! widgets and returns what the user asked for. Widgets never see atomics.
//!
//! Cost: the audio thread asks for a repaint only while the editor is open, and the window polls
//! that request at most every [`REPAINT_INTERVAL`]; nothing here runs while it is closed.
//! Peak hold, bar fall and clip latch are functions of elapsed time ([`hold`], [`meters`]).

pub mod access;
mod app;
mod bars;
pub mod format;
pub mod glance;
mod header;
pub mod history;
pub mod hold;
mod layout;
mod mesh_cache;
pub mod meters;
pub mod palette;
pub mod panels;
pub mod session;
pub mod spectrum;
pub mod stereo;
mod view;
mod window;

pub use crate::params::{EDITOR_MIN_SIZE, Pane};
pub use app::MixmeterEditor;
pub use format::{
    NO_VALUE, channel_caption, channel_name, format_db, format_duration, format_reading,
    surround_name,
};
pub use layout::{
    Actions, Areas, EditorFrame, GLANCE_HEIGHT, HEADER_HEIGHT, STRIP_HEIGHT, areas, draw, pane_tabs,
};
pub use palette::{FOCUS_COLOR, MONO_ENGAGED_COLOR};
pub use view::{
    CheckList, CompareView, TargetMark, View, platform_rows, stereo_summary, summary_of,
    whole_stereo,
};
pub use window::{MixmeterEditorWindow, create};

use crate::params::EDITOR_DEFAULT_SIZE;
use egui::Color32;
use std::time::Duration;

/// Default editor size in logical pixels.
pub const EDITOR_WIDTH: u32 = EDITOR_DEFAULT_SIZE.0;
pub const EDITOR_HEIGHT: u32 = EDITOR_DEFAULT_SIZE.1;

/// Upper bound of the repaint rate driven by the audio thread (about 60 Hz).
pub const REPAINT_INTERVAL: Duration = Duration::from_micros(16_667);

/// True peak above this is shown in the warning colour: the streaming ceiling (dBTP).
pub const STREAMING_CEILING_DBTP: f32 = meters::STREAMING_CEILING_DBTP;
const WARNING_COLOR: Color32 = palette::BAD_COLOR;
