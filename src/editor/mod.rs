//! The egui editor. This first editor shows the mono check and a live sample-peak readout;
//! the full metering view grows here as the meter core lands.
//!
//! Drawing is split in two: [`MixmeterEditor`] gathers plain values from the bridge and the
//! parameters (GUI thread only), and [`draw`] turns a [`View`] of plain numbers into widgets and
//! returns what the user asked for. Widgets never see atomics.
//!
//! Cost: the audio thread asks for a repaint only while the editor is open, and the window polls
//! that request at most every [`REPAINT_INTERVAL`]; nothing here runs while it is closed.

pub mod hold;

use crate::bridge::PeakOutput;
use crate::meter::{MAX_CHANNELS, gain_to_db};
use crate::params::MixmeterParams;
use egui::{Align, Color32, Layout, RichText, Vec2};
use hold::{HeldPeak, hold_peak};
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug_egui::{
    EguiEditor, EguiEditorState, EguiNiceSettings, Frame, NiceEguiApp, RepaintNotifier,
    create_egui_editor,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default editor size in logical pixels.
pub const EDITOR_WIDTH: u32 = 520;
pub const EDITOR_HEIGHT: u32 = 260;

/// Upper bound of the repaint rate driven by the audio thread (about 60 Hz).
pub const REPAINT_INTERVAL: Duration = Duration::from_micros(16_667);

/// Colour of everything that says "the output is folded to mono".
pub const MONO_ENGAGED_COLOR: Color32 = Color32::from_rgb(0xF5, 0xA6, 0x23);
/// Sample peak at or above this is shown as a clip (dBFS).
pub const CLIP_THRESHOLD_DB: f32 = 0.0;

pub fn default_editor_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(LogicalSize::new(EDITOR_WIDTH, EDITOR_HEIGHT), 1.0)
}

/// Plain values the editor draws in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub mono_engaged: bool,
    pub channels: usize,
    /// Held sample peak per channel, dBFS; `-inf` means no signal.
    pub peak_db: [f32; MAX_CHANNELS],
    pub non_finite_samples: u64,
}

/// What the user did in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Actions {
    pub toggle_mono: bool,
}

/// Text for a dB reading; undefined readings are shown as a dash, never as a floor value.
pub fn format_db(value_db: f32) -> String {
    if value_db.is_finite() {
        format!("{value_db:+.1}")
    } else {
        "—".to_string()
    }
}

/// Label of channel `index` out of `channels`.
pub fn channel_name(index: usize, channels: usize) -> &'static str {
    match (channels, index) {
        (1, _) => "Mono",
        (_, 0) => "Left",
        _ => "Right",
    }
}

/// Draws the editor from plain values and returns the user's actions.
pub fn draw(ui: &mut egui::Ui, view: &View) -> Actions {
    let mut actions = Actions::default();
    ui.horizontal(|ui| {
        ui.heading(RichText::new("Mixmeter").strong());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let (text, fill, text_color) = if view.mono_engaged {
                ("MONO CHECK  ON", MONO_ENGAGED_COLOR, Color32::BLACK)
            } else {
                (
                    "MONO CHECK  off",
                    ui.visuals().widgets.inactive.bg_fill,
                    ui.visuals().text_color(),
                )
            };
            let button =
                egui::Button::new(RichText::new(text).size(16.0).strong().color(text_color))
                    .fill(fill)
                    .min_size(Vec2::new(170.0, 34.0));
            let response = ui.add(button);
            let engaged = view.mono_engaged;
            response.widget_info(|| {
                egui::WidgetInfo::selected(egui::Role::CheckBox, true, engaged, "Mono check")
            });
            if response.clicked() {
                actions.toggle_mono = true;
            }
        });
    });
    ui.separator();

    if view.mono_engaged {
        ui.label(
            RichText::new(
                "Output folded to mono: (L+R)/2. The meters still measure the stereo input.",
            )
            .color(MONO_ENGAGED_COLOR),
        );
    } else {
        ui.label("Output is the untouched input.");
    }
    ui.add_space(8.0);

    ui.label(RichText::new("Sample peak (dBFS, held 1.5 s)").strong());
    for channel in 0..view.channels.clamp(1, MAX_CHANNELS) {
        let name = channel_name(channel, view.channels);
        let value_db = view.peak_db[channel];
        let color = if value_db >= CLIP_THRESHOLD_DB {
            Color32::from_rgb(0xE5, 0x48, 0x4D)
        } else {
            ui.visuals().strong_text_color()
        };
        ui.horizontal(|ui| {
            ui.add_sized([60.0, 28.0], egui::Label::new(name));
            let text = format_db(value_db);
            let response = ui.label(RichText::new(&text).size(26.0).monospace().color(color));
            let label = format!("{name} sample peak");
            response.widget_info(|| {
                let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, &label);
                info.current_text_value = Some(text.clone());
                if value_db.is_finite() {
                    info.value = Some(value_db as f64);
                }
                info
            });
        });
    }
    if view.non_finite_samples > 0 {
        ui.add_space(4.0);
        ui.label(
            RichText::new(format!(
                "{} non-finite input samples (NaN/inf) ignored by the meters",
                view.non_finite_samples
            ))
            .color(Color32::from_rgb(0xE5, 0x48, 0x4D)),
        );
    }
    actions
}

/// The editor's GUI-thread state.
pub struct MixmeterEditor {
    params: Arc<MixmeterParams>,
    peaks: PeakOutput,
    gui_context: Option<GuiContext>,
    held: [HeldPeak; MAX_CHANNELS],
    last_frame: Option<Instant>,
}

impl MixmeterEditor {
    pub fn new(params: Arc<MixmeterParams>, peaks: PeakOutput) -> Self {
        Self {
            params,
            peaks,
            gui_context: None,
            held: [HeldPeak::default(); MAX_CHANNELS],
            last_frame: None,
        }
    }

    fn next_view(&mut self) -> View {
        let now = Instant::now();
        let elapsed_s = self
            .last_frame
            .map(|last| now.duration_since(last).as_secs_f32())
            .unwrap_or(0.0);
        self.last_frame = Some(now);
        let reading = self.peaks.take();
        for (held, gain) in self.held.iter_mut().zip(reading.peak_gain) {
            *held = hold_peak(*held, gain_to_db(gain), elapsed_s);
        }
        View {
            mono_engaged: self.params.mono_check.value(),
            channels: reading.channels,
            peak_db: self.held.map(|h| h.peak_db),
            non_finite_samples: reading.non_finite_samples,
        }
    }
}

impl NiceEguiApp for MixmeterEditor {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui_context = Some(nice_gui_ctx);
        self.last_frame = None;
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        let view = self.next_view();
        let actions = egui::CentralPanel::default()
            .show(ui, |ui| draw(ui, &view))
            .inner;
        if actions.toggle_mono
            && let Some(context) = &self.gui_context
        {
            let setter = context.param_setter();
            setter.begin_set_parameter(&self.params.mono_check);
            setter.set_parameter(&self.params.mono_check, !view.mono_engaged);
            setter.end_set_parameter(&self.params.mono_check);
        }
    }

    fn editor_closed(&mut self) {
        self.gui_context = None;
    }
}

/// Creates the plugin's editor.
pub fn create(
    params: Arc<MixmeterParams>,
    peaks: PeakOutput,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<MixmeterEditor>> {
    create_egui_editor(
        editor_state,
        repaint,
        EguiNiceSettings::new()
            .with_tile("Mixmeter")
            .with_repaint_poll_interval(REPAINT_INTERVAL),
        MixmeterEditor::new(params, peaks),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_readings_show_a_dash_not_a_floor() {
        assert_eq!(format_db(f32::NEG_INFINITY), "—");
        assert_eq!(format_db(f32::NAN), "—");
        assert_eq!(format_db(-6.02), "-6.0");
        assert_eq!(format_db(0.04), "+0.0");
    }

    #[test]
    fn channel_names_follow_the_layout() {
        assert_eq!(channel_name(0, 1), "Mono");
        assert_eq!(channel_name(0, 2), "Left");
        assert_eq!(channel_name(1, 2), "Right");
    }
}
