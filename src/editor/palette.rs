//! The editor's colours with a meaning shared across panels: grades (good, caution, bad), the
//! loudness and peak colours the bars and the history share, the mono check's engaged colour and
//! the keyboard focus ring. Colours that belong to one view (the spectrum's curves, the
//! vectorscope) stay in that view.

use egui::Color32;

/// A reading or check that passes.
pub const GOOD_COLOR: Color32 = Color32::from_rgb(0x3C, 0xB3, 0x71);
/// A reading or check that warns.
pub const CAUTION_COLOR: Color32 = Color32::from_rgb(0xE0, 0xB0, 0x40);
/// A reading or check that fails, a clip, a region outside its tolerance.
pub const BAD_COLOR: Color32 = Color32::from_rgb(0xE5, 0x48, 0x4D);
/// Momentary loudness (bar and history).
pub const MOMENTARY_COLOR: Color32 = Color32::from_rgb(0x4A, 0x90, 0xD9);
/// Short-term loudness (bar, history and the render report's curve).
pub const SHORT_TERM_COLOR: Color32 = Color32::from_rgb(0x62, 0xB5, 0x6B);
/// The true-peak bars.
pub const PEAK_COLOR: Color32 = Color32::from_rgb(0xD9, 0x9A, 0x3C);
/// The loudness target's marks.
pub const TARGET_COLOR: Color32 = Color32::from_rgb(0xB9, 0x8C, 0xF0);
/// The true-peak ceilings' marks.
pub const CEILING_COLOR: Color32 = Color32::from_rgb(0xE0, 0x6C, 0x75);
/// Everything that says "the output is folded to mono".
pub const MONO_ENGAGED_COLOR: Color32 = Color32::from_rgb(0xF5, 0xA6, 0x23);
/// The ring around the widget with keyboard focus.
pub const FOCUS_COLOR: Color32 = Color32::from_rgb(0x4F, 0xC3, 0xF7);
