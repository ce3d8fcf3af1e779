//! The egui editor. This first editor shows the mono check, the EBU-mode controls, the loudness
//! readings (momentary, short-term, integrated, loudness range, maxima) and true peak, live;
//! the full metering view grows here issue by issue.
//!
//! Drawing is split in two: [`MixmeterEditor`] gathers plain values from the bridge and the
//! parameters (GUI thread only), and [`draw`] turns a [`View`] of plain numbers into widgets and
//! returns what the user asked for. Widgets never see atomics.
//!
//! Cost: the audio thread asks for a repaint only while the editor is open, and the window polls
//! that request at most every [`REPAINT_INTERVAL`]; nothing here runs while it is closed.

pub mod hold;
pub mod spectrum;
pub mod stereo;

use crate::bridge::{Command, MeterOutput, PLUGIN_CHANNELS};
use crate::meter::engine::Readings;
use crate::meter::gain_to_db;
use crate::params::MixmeterParams;
pub use crate::params::Pane;
use egui::{Align, Color32, Layout, RichText, Vec2};
use hold::{HeldPeak, hold_peak};
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug_egui::{
    EguiEditor, EguiEditorState, EguiNiceSettings, Frame, NiceEguiApp, RepaintNotifier,
    create_egui_editor,
};
use spectrum::{SpectrumState, draw_spectrum};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stereo::{draw_stereo, stereo_data};

/// Default editor size in logical pixels.
pub const EDITOR_WIDTH: u32 = 820;
pub const EDITOR_HEIGHT: u32 = 720;

/// Upper bound of the repaint rate driven by the audio thread (about 60 Hz).
pub const REPAINT_INTERVAL: Duration = Duration::from_micros(16_667);

/// Colour of everything that says "the output is folded to mono".
pub const MONO_ENGAGED_COLOR: Color32 = Color32::from_rgb(0xF5, 0xA6, 0x23);
/// True peak above this is shown in the warning colour: the streaming ceiling (dBTP).
pub const STREAMING_CEILING_DBTP: f32 = -1.0;
const WARNING_COLOR: Color32 = Color32::from_rgb(0xE5, 0x48, 0x4D);

pub fn default_editor_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(LogicalSize::new(EDITOR_WIDTH, EDITOR_HEIGHT), 1.0)
}

/// Plain values the editor draws in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub mono_engaged: bool,
    pub channels: usize,
    /// Held live true peak per channel, dBTP; `-inf` means no signal.
    pub true_peak_db: [f32; PLUGIN_CHANNELS],
    pub readings: Readings,
    /// The measurement was started by the host transport.
    pub reset_by_transport: bool,
    /// The mono check's level match is on, and the gain it applies now (dB).
    pub mono_level_match: bool,
    pub mono_level_gain_db: f32,
}

/// What the user did in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Actions {
    pub toggle_mono: bool,
    pub toggle_level_match: bool,
    pub command: Option<Command>,
}

/// Text for a dB reading; undefined readings are shown as a dash, never as a floor value.
pub fn format_db(value_db: f32) -> String {
    if value_db.is_finite() {
        // Adding 0.0 turns a rounded -0.0 into 0.0.
        format!("{:+.1}", (value_db * 10.0).round() / 10.0 + 0.0)
    } else {
        NO_VALUE.to_string()
    }
}

/// How "no value" is shown.
pub const NO_VALUE: &str = "—";

/// Text for an optional reading with one decimal (loudness is shown to 0.1 LU, as Tech 3341
/// asks).
pub fn format_reading(value: Option<f64>) -> String {
    match value {
        // Adding 0.0 turns a rounded -0.0 into 0.0 (no "-0.0 dB").
        Some(v) if v.is_finite() => format!("{:.1}", (v * 10.0).round() / 10.0 + 0.0),
        _ => NO_VALUE.to_string(),
    }
}

/// Measured time as h:mm:ss.
pub fn format_duration(seconds: f64) -> String {
    let total = seconds.max(0.0) as u64;
    format!("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60)
}

/// A reading with its name and unit, exposed to screen readers with its value.
fn reading(ui: &mut egui::Ui, name: &str, value: Option<f64>, unit: &str, big: bool) {
    ui.label(name);
    let text = format_reading(value);
    let size = if big { 26.0 } else { 18.0 };
    let response = ui.label(RichText::new(&text).size(size).monospace().strong());
    ui.label(unit);
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, name);
        info.current_text_value = Some(text.clone());
        info.value = value.filter(|v| v.is_finite());
        info
    });
    ui.end_row();
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
    let r = &view.readings;
    ui.horizontal(|ui| {
        ui.heading(RichText::new("Mixmeter").strong());
        let (state, pause_label) = if r.running {
            ("measuring", "Pause")
        } else {
            ("paused", "Continue")
        };
        ui.label(format!("{} {state}", format_duration(r.measured_s)));
        if ui.button(pause_label).clicked() {
            actions.command = Some(if r.running {
                Command::Pause
            } else {
                Command::Start
            });
        }
        if ui.button("Reset").clicked() {
            actions.command = Some(Command::Reset);
        }
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
            let mut level_match = view.mono_level_match;
            if ui
                .checkbox(&mut level_match, "level-matched")
                .on_hover_text(
                    "Raise the mono sum by the measured mono loss (last 3 s, at most +6 dB), \
                     so the A/B compares balance, not level",
                )
                .changed()
            {
                actions.toggle_level_match = true;
            }
        });
    });
    ui.separator();

    if view.mono_engaged {
        let text = if view.mono_level_match {
            format!(
                "Output folded to mono: (L+R)/2, level-matched {:+.1} dB. The meters still \
                 measure the stereo input.",
                view.mono_level_gain_db
            )
        } else {
            "Output folded to mono: (L+R)/2. The meters still measure the stereo input.".to_string()
        };
        ui.label(RichText::new(text).color(MONO_ENGAGED_COLOR));
    } else if view.reset_by_transport {
        ui.label("Measurement restarted when playback started.");
    } else {
        ui.label("Output is the untouched input.");
    }
    ui.add_space(6.0);

    ui.columns(2, |columns| {
        egui::Grid::new("loudness")
            .num_columns(3)
            .spacing([12.0, 4.0])
            .show(&mut columns[0], |ui| {
                reading(ui, "Momentary", r.momentary_lufs, "LUFS", true);
                reading(ui, "Short-term", r.short_term_lufs, "LUFS", true);
                reading(ui, "Integrated", r.integrated_lufs, "LUFS", true);
                reading(ui, "Loudness range", r.loudness_range_lu, "LU", false);
                reading(ui, "Max momentary", r.max_momentary_lufs, "LUFS", false);
                reading(ui, "Max short-term", r.max_short_term_lufs, "LUFS", false);
            });
        let ui = &mut columns[1];
        egui::Grid::new("peaks")
            .num_columns(3)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                reading(ui, "True peak max", r.max_true_peak_dbtp, "dBTP", true);
                reading(ui, "PLR", r.plr_db, "dB", false);
                reading(ui, "PSR", r.psr_db, "dB", false);
            });
        ui.add_space(8.0);
        ui.label(RichText::new("True peak, live (held 1.5 s)").strong());
        for channel in 0..view.channels.clamp(1, PLUGIN_CHANNELS) {
            let name = channel_name(channel, view.channels);
            let value_db = view.true_peak_db[channel];
            let color = if value_db > STREAMING_CEILING_DBTP {
                WARNING_COLOR
            } else {
                ui.visuals().strong_text_color()
            };
            ui.horizontal(|ui| {
                ui.add_sized([50.0, 28.0], egui::Label::new(name));
                let text = format_db(value_db);
                let response = ui.label(RichText::new(&text).size(26.0).monospace().color(color));
                let label = format!("{name} true peak");
                response.widget_info(|| {
                    let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, &label);
                    info.current_text_value = Some(text.clone());
                    if value_db.is_finite() {
                        info.value = Some(value_db as f64);
                    }
                    info
                });
                ui.label("dBTP");
            });
        }
    });

    if r.non_finite_samples > 0 {
        ui.add_space(4.0);
        ui.label(
            RichText::new(format!(
                "{} non-finite input samples (NaN/inf) ignored by the meters",
                r.non_finite_samples
            ))
            .color(WARNING_COLOR),
        );
    }
    actions
}

/// The switch between the spectrum and the stereo view.
pub fn pane_tabs(ui: &mut egui::Ui, pane: &mut Pane) {
    ui.horizontal(|ui| {
        ui.selectable_value(pane, Pane::Spectrum, RichText::new("Spectrum").strong());
        ui.selectable_value(pane, Pane::Stereo, RichText::new("Stereo").strong());
    });
}

/// The editor's GUI-thread state.
pub struct MixmeterEditor {
    params: Arc<MixmeterParams>,
    meter: MeterOutput,
    gui_context: Option<GuiContext>,
    held: [HeldPeak; PLUGIN_CHANNELS],
    last_frame: Option<Instant>,
    spectrum: SpectrumState,
    clock: Instant,
}

impl MixmeterEditor {
    pub fn new(params: Arc<MixmeterParams>, meter: MeterOutput) -> Self {
        Self {
            params,
            meter,
            gui_context: None,
            held: [HeldPeak::default(); PLUGIN_CHANNELS],
            last_frame: None,
            spectrum: SpectrumState::new(),
            clock: Instant::now(),
        }
    }

    fn next_view(&mut self) -> (View, crate::bridge::Snapshot) {
        let now = Instant::now();
        let elapsed_s = self
            .last_frame
            .map(|last| now.duration_since(last).as_secs_f32())
            .unwrap_or(0.0);
        self.last_frame = Some(now);
        let peaks = self.meter.take_peaks();
        for (held, gain) in self.held.iter_mut().zip(peaks.true_peak_gain) {
            *held = hold_peak(*held, gain_to_db(gain), elapsed_s);
        }
        let snapshot = self.meter.snapshot();
        let view = View {
            mono_engaged: self.params.mono_check.value(),
            channels: snapshot.readings.channels.max(1),
            true_peak_db: self.held.map(|h| h.peak_db),
            readings: snapshot.readings,
            reset_by_transport: snapshot.reset_by_transport,
            mono_level_match: self.params.mono_level_match.value(),
            mono_level_gain_db: gain_to_db(snapshot.mono_level_gain),
        };
        (view, snapshot)
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
        let (view, snapshot) = self.next_view();
        let settings = self.params.spectrum_view.get().sanitized();
        let library = self.params.references.get();
        let now_s = self.clock.elapsed().as_secs_f64();
        let (live, long_term) = self.meter.spectra();
        let data = self
            .spectrum
            .update(live, long_term, settings, &library, now_s);
        let mut pane = self.params.editor_pane.get();
        let stereo = match pane {
            Pane::Stereo => {
                let (scope, _) = self.meter.scope();
                stereo_data(snapshot.stereo.as_ref(), &snapshot.readings, scope)
            }
            Pane::Spectrum => None,
        };
        let (actions, spectrum_actions) = egui::CentralPanel::default()
            .show(ui, |ui| {
                let actions = draw(ui, &view);
                ui.separator();
                pane_tabs(ui, &mut pane);
                let spectrum_actions = match pane {
                    Pane::Spectrum => draw_spectrum(ui, &data),
                    Pane::Stereo => {
                        draw_stereo(ui, stereo.as_ref());
                        spectrum::SpectrumActions::default()
                    }
                };
                (actions, spectrum_actions)
            })
            .inner;
        if pane != self.params.editor_pane.get() {
            self.params.editor_pane.store(pane);
        }
        if let Some(settings) = spectrum_actions.settings {
            self.params.spectrum_view.store(settings);
        }
        if let Some(selection) = spectrum_actions.select.clone() {
            self.params.references.update(|l| l.selection = selection);
        }
        if let Some(name) = &spectrum_actions.remove {
            self.params.references.update(|l| l.remove(name));
        }
        let captured = self.spectrum.handle(&spectrum_actions);
        for curve in captured.into_iter().chain(self.spectrum.take_imported()) {
            self.params.references.update(|l| l.add(curve));
        }
        if self.spectrum.importing() {
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
        if let Some(command) = actions.command {
            // A full queue means the audio thread is not running; the click has no effect
            // then, as a paused transport would not measure either.
            let _ = self.meter.send(command);
        }
        if let Some(context) = &self.gui_context {
            if actions.toggle_mono {
                set_bool_param(context, &self.params.mono_check, !view.mono_engaged);
            }
            if actions.toggle_level_match {
                set_bool_param(
                    context,
                    &self.params.mono_level_match,
                    !view.mono_level_match,
                );
            }
        }
    }

    fn editor_closed(&mut self) {
        self.gui_context = None;
    }
}

/// Sets a host parameter from the editor as one gesture (begin, set, end), so the host records
/// it as a user change.
fn set_bool_param(context: &GuiContext, param: &nice_plug::prelude::BoolParam, value: bool) {
    let setter = context.param_setter();
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

/// Creates the plugin's editor.
pub fn create(
    params: Arc<MixmeterParams>,
    meter: MeterOutput,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<MixmeterEditor>> {
    create_egui_editor(
        editor_state,
        repaint,
        EguiNiceSettings::new()
            .with_tile("Mixmeter")
            .with_repaint_poll_interval(REPAINT_INTERVAL),
        MixmeterEditor::new(params, meter),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_readings_show_a_dash_not_a_floor() {
        assert_eq!(format_reading(None), "—");
        assert_eq!(format_reading(Some(f64::NAN)), "—");
        assert_eq!(format_reading(Some(-14.04)), "-14.0");
        assert_eq!(format_reading(Some(-0.04)), "0.0");
        assert_eq!(format_duration(3725.9), "1:02:05");
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
