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
pub mod format;
pub mod glance;
pub mod history;
pub mod hold;
pub mod meters;
pub mod palette;
pub mod panels;
pub mod session;
pub mod spectrum;
pub mod stereo;
mod window;

pub use format::{
    NO_VALUE, channel_caption, channel_name, format_db, format_duration, format_reading,
    surround_name,
};
pub use palette::{FOCUS_COLOR, MONO_ENGAGED_COLOR};

use crate::bridge::{Command, MeterOutput, PLUGIN_CHANNELS};
use crate::diagnosis::platforms::{self, Target};
use crate::diagnosis::stereo::{Mix, format_range, mono_compatibility};
use crate::diagnosis::{checks, compare, suggestions};
use crate::meter::engine::Readings;
use crate::meter::fold::{FoldReadings, FoldTarget};
use crate::meter::gain_to_db;
use crate::params::{DEFAULT_TARGET_ID, EDITOR_DEFAULT_SIZE, MixmeterParams};
pub use crate::params::{EDITOR_MIN_SIZE, Pane};
use egui::{Align, Color32, Layout, Pos2, Rect, RichText, UiBuilder, Vec2};
use history::{LoudnessHistory, draw_history};
use hold::{HeldPeak, hold_peak};
use meters::{
    Bar, CEILING_COLOR, ClipLatch, MOMENTARY_COLOR, PEAK_COLOR, PRE_MASTER_CEILING_DBTP,
    SHORT_TERM_COLOR, TARGET_COLOR, clip_button, draw_bars, fall_peak,
};
use nice_plug::context::gui::GuiContext;
use nice_plug_egui::{Frame, NiceEguiApp};
use panels::{PlatformRow, StereoSummary};
use spectrum::{SpectrumActions, SpectrumData, SpectrumState, draw_spectrum};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stereo::{StereoData, draw_stereo, stereo_data};
pub use window::{MixmeterEditorWindow, create};

/// Default editor size in logical pixels.
pub const EDITOR_WIDTH: u32 = EDITOR_DEFAULT_SIZE.0;
pub const EDITOR_HEIGHT: u32 = EDITOR_DEFAULT_SIZE.1;

/// Upper bound of the repaint rate driven by the audio thread (about 60 Hz).
pub const REPAINT_INTERVAL: Duration = Duration::from_micros(16_667);

/// True peak above this is shown in the warning colour: the streaming ceiling (dBTP).
pub const STREAMING_CEILING_DBTP: f32 = meters::STREAMING_CEILING_DBTP;
const WARNING_COLOR: Color32 = palette::BAD_COLOR;

/// A loudness target as shown: the selected one is marked on the bars and the history.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMark {
    pub id: String,
    pub name: String,
    /// Short name ("Spotify").
    pub short: String,
    pub lufs: f64,
}

impl TargetMark {
    pub fn of(target: &Target) -> Self {
        Self {
            id: target.id.clone(),
            name: target.name.clone(),
            short: target.short_name().to_string(),
            lufs: target.integrated_lufs,
        }
    }
}

/// Plain values the editor draws in one frame (everything but the history, the spectrum and
/// the stereo view, which come in the [`EditorFrame`] by reference).
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub mono_engaged: bool,
    /// Channels of the track (1, 2, or 5 to 12 on a surround bus); 0 while the layout is not
    /// known (the host has not activated the plugin yet): nothing is said about mono or
    /// stereo then.
    pub channels: usize,
    /// Held live true peak of channels 1 and 2 (stereo, or a surround bus's front pair),
    /// dBTP; `-inf` means no signal. Channels 3 and up are in [`View::more_true_peak_db`]
    /// (read any channel with [`View::true_peak`]).
    pub true_peak_db: [f32; 2],
    /// The true-peak bars (falling) of channels 1 and 2, dBTP.
    pub bar_peak_db: [f32; 2],
    /// The same for channels 3 and up of a surround bus.
    pub more_true_peak_db: [f32; PLUGIN_CHANNELS - 2],
    pub more_bar_peak_db: [f32; PLUGIN_CHANNELS - 2],
    pub clip: [ClipLatch; PLUGIN_CHANNELS],
    pub readings: Readings,
    /// The measurement was started by the host transport.
    pub reset_by_transport: bool,
    /// Why nothing is measured (the host's sample rate is unsupported), shown in the header's
    /// status line in place of the output state; `None` while the meter runs.
    pub not_measuring: Option<String>,
    /// "Reset on Play" is on.
    pub reset_on_play: bool,
    /// The mono check's level match is on, and the gain it applies now (dB).
    pub mono_level_match: bool,
    pub mono_level_gain_db: f32,
    /// On a surround bus (more than 2 channels) the mono check is the fold-down: what it
    /// folds to, and the folds' loudness changes.
    pub fold_to: FoldTarget,
    pub fold: Option<FoldReadings>,
    /// The front pair's vectorscope points on a surround bus (stereo pane only).
    pub front_scope: Vec<[f32; 2]>,
    pub target: TargetMark,
    pub targets: Vec<TargetMark>,
    pub platforms: Vec<PlatformRow>,
    pub stereo: Option<StereoSummary>,
    /// Seconds the history shows.
    pub history_s: u32,
    /// The checklist (mix readiness or delivery), graded.
    pub checks: CheckList,
    /// The suggestions shown now (held, at most three, best first).
    pub suggestions: Vec<suggestions::Candidate>,
    /// The live mix against a frozen version, if one was frozen.
    pub compare: Option<CompareView>,
    /// Why saved compare versions could not be restored, if that happened.
    pub compare_error: Option<String>,
    /// Whether render reports are written.
    pub reports_enabled: bool,
    /// The last render's report, or why there is none (written when the host rendered
    /// offline).
    pub last_report: Option<crate::report::LastReport>,
    /// The render-report folder as being edited, and the folder in use.
    pub report_folder_text: String,
    pub report_folder: String,
}

/// The live mix against a frozen version.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareView {
    pub name: String,
    /// Every version kept (oldest first), to pick the one compared with.
    pub versions: Vec<String>,
    /// Seconds the frozen measurement covered.
    pub measured_s: f64,
    /// Notable first (see `diagnosis::compare`).
    pub differences: Vec<compare::Difference>,
}

/// The checklist the side panel shows: the chosen profile, graded, and the profiles to pick.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckList {
    pub profile_id: String,
    pub profile_name: String,
    /// (id, name) of every profile.
    pub profiles: Vec<(String, String)>,
    pub items: Vec<checks::Item>,
}

impl View {
    /// Held live true peak of channel `c`, dBTP.
    pub fn true_peak(&self, c: usize) -> f32 {
        match c {
            0 | 1 => self.true_peak_db[c],
            _ => self.more_true_peak_db[c - 2],
        }
    }

    /// The falling true-peak bar of channel `c`, dBTP.
    pub fn bar_peak(&self, c: usize) -> f32 {
        match c {
            0 | 1 => self.bar_peak_db[c],
            _ => self.more_bar_peak_db[c - 2],
        }
    }

    /// Sets channel `c`'s held peak and bar.
    pub fn set_peaks(&mut self, c: usize, true_peak_db: f32, bar_peak_db: f32) {
        match c {
            0 | 1 => {
                self.true_peak_db[c] = true_peak_db;
                self.bar_peak_db[c] = bar_peak_db;
            }
            _ => {
                self.more_true_peak_db[c - 2] = true_peak_db;
                self.more_bar_peak_db[c - 2] = bar_peak_db;
            }
        }
    }

    /// A view of `readings` with no live peaks yet, the given target and the platform previews
    /// computed from the readings.
    pub fn new(readings: Readings, targets: &[Target], target_id: &str) -> Self {
        let target = targets
            .iter()
            .find(|t| t.id == target_id)
            .or_else(|| targets.iter().find(|t| t.id == DEFAULT_TARGET_ID))
            .or(targets.first())
            .map(TargetMark::of)
            .unwrap_or(TargetMark {
                id: String::new(),
                name: "none".to_string(),
                short: "none".to_string(),
                lufs: -14.0,
            });
        Self {
            mono_engaged: false,
            channels: readings.channels,
            true_peak_db: [f32::NEG_INFINITY; 2],
            bar_peak_db: [f32::NEG_INFINITY; 2],
            more_true_peak_db: [f32::NEG_INFINITY; PLUGIN_CHANNELS - 2],
            more_bar_peak_db: [f32::NEG_INFINITY; PLUGIN_CHANNELS - 2],
            clip: [ClipLatch::default(); PLUGIN_CHANNELS],
            readings,
            reset_by_transport: false,
            not_measuring: None,
            reset_on_play: true,
            mono_level_match: false,
            mono_level_gain_db: 0.0,
            fold_to: FoldTarget::Stereo,
            fold: None,
            front_scope: Vec::new(),
            platforms: platform_rows(targets, &readings, &target.id),
            targets: targets.iter().map(TargetMark::of).collect(),
            target,
            stereo: None,
            history_s: crate::params::DEFAULT_HISTORY_ZOOM_S,
            checks: CheckList::default(),
            suggestions: Vec::new(),
            compare: None,
            compare_error: None,
            reports_enabled: true,
            last_report: None,
            report_folder_text: String::new(),
            report_folder: String::new(),
        }
    }

    /// Grades the view's readings with the profile `profile_id` (or the first one) and the
    /// comparison with the active reference, if any.
    pub fn grade(
        &mut self,
        profiles: &[checks::Profile],
        profile_id: &str,
        tonal: Option<&crate::diagnosis::TonalComparison>,
    ) {
        let Some(profile) = profiles
            .iter()
            .find(|p| p.id == profile_id)
            .or(profiles.first())
        else {
            return;
        };
        let inputs = checks::Inputs {
            readings: &self.readings,
            tonal,
        };
        self.checks = CheckList {
            profile_id: profile.id.clone(),
            profile_name: profile.name.clone(),
            profiles: profiles
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect(),
            items: checks::run(profile, &inputs),
        };
    }
}

/// The streaming platforms' previews for the readings.
pub fn platform_rows(targets: &[Target], readings: &Readings, selected: &str) -> Vec<PlatformRow> {
    targets
        .iter()
        .filter(|t| !t.broadcast && t.id != "aes-streaming")
        .map(|t| {
            let preview = platforms::preview(t, readings);
            PlatformRow {
                name: t.short_name().to_string(),
                gain_db: preview.gain_db,
                true_peak_after_dbtp: preview.true_peak_after_dbtp,
                ceiling_dbtp: t.max_true_peak_dbtp,
                action: preview.action,
                status: preview.status,
                master_ceiling_dbtp: preview.ceiling_dbtp,
                sentence: preview.sentence,
                selected: t.id == selected,
            }
        })
        .collect()
}

/// The stereo summary of the whole measurement (stereo tracks).
pub fn stereo_summary(
    stereo: Option<&crate::bridge::StereoSnapshot>,
    r: &Readings,
) -> Option<StereoSummary> {
    whole_stereo(stereo, r).as_ref().map(summary_of)
}

/// The mono compatibility of the whole measurement (stereo tracks).
pub fn whole_stereo(
    stereo: Option<&crate::bridge::StereoSnapshot>,
    r: &Readings,
) -> Option<crate::diagnosis::stereo::MonoCompatibility> {
    let s = stereo?;
    Some(mono_compatibility(&s.whole, &Mix::whole(r)))
}

/// The side panel's stereo summary of a mono-compatibility diagnosis.
pub fn summary_of(whole: &crate::diagnosis::stereo::MonoCompatibility) -> StereoSummary {
    StereoSummary {
        verdict: whole.verdict,
        worst_band: whole.worst_bands.first().map(|&b| {
            let band = &whole.bands[b];
            format!(
                "{} {} LU",
                format_range(band.low_hz, band.high_hz),
                format_reading(band.mono_loss_lu)
            )
        }),
    }
}

/// Everything one frame draws.
#[derive(Debug, Clone, Copy)]
pub struct EditorFrame<'a> {
    pub view: &'a View,
    pub history: &'a LoudnessHistory,
    pub pane: Pane,
    pub spectrum: &'a SpectrumData,
    /// The stereo view's data (with the stereo pane on a stereo track).
    pub stereo: Option<&'a StereoData>,
}

/// What the user did in one frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Actions {
    pub toggle_mono: bool,
    pub toggle_level_match: bool,
    /// Switch the fold-down between stereo and mono (surround buses).
    pub toggle_fold_to: bool,
    pub command: Option<Command>,
    pub select_target: Option<String>,
    pub select_check_profile: Option<String>,
    /// Freeze the readings now as a version to compare with.
    pub freeze: bool,
    /// Forget the frozen version compared with.
    pub clear_frozen: bool,
    /// Compare with this version instead.
    pub select_version: Option<String>,
    /// Turn render reports on or off.
    pub reports_enabled: Option<bool>,
    /// The report-folder text as edited, and "use it".
    pub report_folder_text: Option<String>,
    pub use_report_folder: bool,
    pub clear_clip: [bool; PLUGIN_CHANNELS],
    pub history_s: Option<u32>,
    pub pane: Option<Pane>,
    pub spectrum: SpectrumActions,
}

/// Width the header keeps for the mono check and its level-match box, logical pixels.
const MONO_CONTROLS_WIDTH: f32 = 320.0;
/// Height of the header (controls and status line), logical pixels.
pub const HEADER_HEIGHT: f32 = 64.0;
/// Height of the bottom strip: the checklist's row of marks and three one-line suggestions.
pub const STRIP_HEIGHT: f32 = glance::STRIP_HEIGHT;
/// Height of the readings at a glance at the top of the side column (they never scroll; the
/// details below them take the rest).
pub const GLANCE_HEIGHT: f32 = glance::GLANCE_HEIGHT;
const GAP: f32 = 8.0;

/// Where each part of the editor goes in a window of `full` size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Areas {
    pub header: Rect,
    pub bars: Rect,
    pub history: Rect,
    pub pane: Rect,
    /// The readings at a glance (top of the right-hand column).
    pub glance: Rect,
    /// The details under them (tabs; the only part that scrolls).
    pub details: Rect,
    /// The checklist's marks and the suggestions, along the bottom of the centre and side.
    pub strip: Rect,
}

/// The editor's layout: fixed proportions with bounds, so every part stays readable from the
/// smallest size ([`EDITOR_MIN_SIZE`]) up.
pub fn areas(full: Rect) -> Areas {
    let header = Rect::from_min_size(full.min, Vec2::new(full.width(), HEADER_HEIGHT));
    let body = Rect::from_min_max(Pos2::new(full.left(), header.bottom() + GAP), full.max);
    let bars_width = (full.width() * 0.14).clamp(140.0, 220.0);
    let side_width = (full.width() * 0.29).clamp(300.0, 400.0);
    let bars = Rect::from_min_size(body.min, Vec2::new(bars_width, body.height()));
    let strip = Rect::from_min_max(
        Pos2::new(bars.right() + GAP, body.bottom() - STRIP_HEIGHT),
        body.max,
    );
    let upper_bottom = strip.top() - GAP;
    let side = Rect::from_min_max(
        Pos2::new(body.right() - side_width, body.top()),
        Pos2::new(body.right(), upper_bottom),
    );
    let glance = Rect::from_min_size(side.min, Vec2::new(side.width(), GLANCE_HEIGHT));
    let details = Rect::from_min_max(Pos2::new(side.left(), glance.bottom() + GAP), side.max);
    let centre = Rect::from_min_max(
        Pos2::new(bars.right() + GAP, body.top()),
        Pos2::new(side.left() - GAP, upper_bottom),
    );
    let history_height = (centre.height() * 0.34).clamp(120.0, 300.0);
    let history = Rect::from_min_size(centre.min, Vec2::new(centre.width(), history_height));
    let pane = Rect::from_min_max(Pos2::new(centre.left(), history.bottom() + GAP), centre.max);
    Areas {
        header,
        bars,
        history,
        pane,
        glance,
        details,
        strip,
    }
}

/// Draws the whole editor into `ui` and returns the user's actions.
pub fn draw(ui: &mut egui::Ui, frame: &EditorFrame) -> Actions {
    let mut actions = Actions::default();
    let view = frame.view;
    let full = ui.available_rect_before_wrap();
    let a = areas(full);
    ui.scope_builder(UiBuilder::new().max_rect(a.header), |ui| {
        header(ui, view, &mut actions);
    });
    ui.scope_builder(UiBuilder::new().max_rect(a.bars), |ui| {
        bars_column(ui, view, &mut actions);
    });
    ui.scope_builder(UiBuilder::new().max_rect(a.history), |ui| {
        let target = Some(view.target.lufs);
        if let Some(zoom) = draw_history(
            ui,
            frame.history,
            view.history_s,
            target,
            a.history.height(),
        ) {
            actions.history_s = Some(zoom);
        }
    });
    ui.scope_builder(UiBuilder::new().max_rect(a.pane), |ui| {
        // Nothing of the view is drawn outside its area, however narrow the window.
        ui.set_clip_rect(a.pane.intersect(ui.clip_rect()));
        let mut pane = frame.pane;
        pane_tabs(ui, &mut pane);
        if pane != frame.pane {
            actions.pane = Some(pane);
        }
        egui::ScrollArea::both()
            .id_salt("pane")
            .auto_shrink([false, false])
            .show(ui, |ui| match frame.pane {
                Pane::Spectrum => actions.spectrum = draw_spectrum(ui, frame.spectrum),
                Pane::Stereo if view.channels > 2 => {
                    stereo::draw_front_pair(ui, &view.front_scope, view.channels)
                }
                Pane::Stereo => draw_stereo(ui, frame.stereo, view.channels),
            });
    });
    // The readings at a glance: never in a scroll area.
    ui.scope_builder(UiBuilder::new().max_rect(a.glance), |ui| {
        ui.set_clip_rect(a.glance.intersect(ui.clip_rect()));
        panels::loudness_panel(ui, view);
        ui.separator();
        panels::dynamics_panel(ui, view);
        ui.separator();
        if view.channels > 2 {
            glance::fold_glance(ui, view);
        } else {
            glance::stereo_glance(ui, view);
        }
    });
    let details_id = ui.scope_id().with("details-tab");
    let mut tab = ui.data(|d| {
        d.get_temp::<glance::DetailsTab>(details_id)
            .unwrap_or_default()
    });
    ui.scope_builder(UiBuilder::new().max_rect(a.strip), |ui| {
        ui.set_clip_rect(a.strip.intersect(ui.clip_rect()));
        if glance::checks_row(ui, view) {
            tab = glance::DetailsTab::Checks;
        }
        glance::suggestion_lines(ui, view);
    });
    ui.scope_builder(UiBuilder::new().max_rect(a.details), |ui| {
        ui.set_clip_rect(a.details.intersect(ui.clip_rect()));
        glance::details_tabs(ui, &mut tab);
        egui::ScrollArea::vertical()
            .id_salt("details")
            .auto_shrink([false, false])
            .show(ui, |ui| match tab {
                glance::DetailsTab::Platforms => panels::platforms_panel(ui, view),
                glance::DetailsTab::Checks => {
                    if let Some(id) = panels::checks_panel(ui, view) {
                        actions.select_check_profile = Some(id);
                    }
                }
                glance::DetailsTab::Compare => {
                    let compare = panels::compare_panel(ui, view);
                    actions.freeze |= compare.freeze;
                    actions.clear_frozen |= compare.clear;
                    actions.select_version = compare.select.or(actions.select_version.take());
                }
                glance::DetailsTab::Reports => {
                    let report = panels::report_panel(ui, view);
                    actions.report_folder_text = report.text.or(actions.report_folder_text.take());
                    actions.use_report_folder |= report.use_folder;
                    actions.reports_enabled = report.enabled.or(actions.reports_enabled);
                }
            });
    });
    ui.data_mut(|d| d.insert_temp(details_id, tab));
    focus_ring(ui);
    if view.mono_engaged {
        // Impossible to miss: the whole editor is framed in the mono colour.
        ui.painter().rect_stroke(
            full.expand(4.0),
            4.0,
            egui::Stroke::new(4.0, MONO_ENGAGED_COLOR),
            egui::StrokeKind::Inside,
        );
    }
    actions
}

/// Draws a ring around the widget with keyboard focus, once the keyboard (Tab) or a screen
/// reader moved it, until the pointer is used again (as browsers' `:focus-visible`).
fn focus_ring(ui: &mut egui::Ui) {
    let ctx = ui.ctx().clone();
    let flag = egui::Id::unique("mixmeter-focus-visible");
    let (keyboard, pointer) = ctx.input(|i| {
        let keyboard = i.events.iter().any(|e| match e {
            egui::Event::Key {
                key: egui::Key::Tab,
                pressed: true,
                ..
            } => true,
            egui::Event::AccessKitActionRequest(r) => r.action == egui::accesskit::Action::Focus,
            _ => false,
        });
        (keyboard, i.pointer.any_pressed())
    });
    let mut visible = ctx.data(|d| d.get_temp::<bool>(flag).unwrap_or(false));
    visible = (visible || keyboard) && !pointer;
    ctx.data_mut(|d| d.insert_temp(flag, visible));
    if !visible {
        return;
    }
    let Some(rect) = ctx
        .memory(|m| m.focused())
        .and_then(|id| ctx.read_response(id))
        .map(|r| r.rect)
    else {
        return;
    };
    ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("mixmeter-focus-ring"),
    ))
    .rect_stroke(
        rect.expand(2.0),
        3.0,
        egui::Stroke::new(2.0, FOCUS_COLOR),
        egui::StrokeKind::Outside,
    );
}

fn header(ui: &mut egui::Ui, view: &View, actions: &mut Actions) {
    let r = &view.readings;
    ui.horizontal(|ui| {
        ui.heading(RichText::new("Mixmeter").strong());
        let label = ui.label("Target");
        let mut chosen = view.target.id.clone();
        egui::ComboBox::from_id_salt("target")
            .selected_text(format!(
                "{} {:.0} LUFS",
                view.target.short, view.target.lufs
            ))
            .width(150.0)
            .show_ui(ui, |ui| {
                for t in &view.targets {
                    ui.selectable_value(
                        &mut chosen,
                        t.id.clone(),
                        format!("{} ({:.0} LUFS)", t.name, t.lufs),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        if chosen != view.target.id {
            actions.select_target = Some(chosen);
        }
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
        let auto = if view.reset_on_play {
            "auto-reset on play"
        } else {
            "manual reset"
        };
        if ui.button("Reset").on_hover_text(auto).clicked() {
            actions.command = Some(Command::Reset);
        }
        // Only where it leaves the mono check its room (it is the Reset button's hover text
        // too).
        if ui.available_width() > MONO_CONTROLS_WIDTH + 110.0 {
            ui.label(RichText::new(auto).small().weak());
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let surround = view.channels > 2;
            let (on, off, name) = if surround {
                ("FOLD-DOWN ON", "FOLD-DOWN off", "Fold-down")
            } else {
                ("MONO CHECK  ON", "MONO CHECK  off", "Mono check")
            };
            let (text, fill, text_color) = if view.mono_engaged {
                (on, MONO_ENGAGED_COLOR, Color32::BLACK)
            } else {
                (
                    off,
                    ui.visuals().widgets.inactive.bg_fill,
                    ui.visuals().text_color(),
                )
            };
            // On a surround bus the fold target's button sits beside it: the pair keeps to the
            // same width.
            let (text_size, width) = if surround {
                (13.0, 104.0)
            } else {
                (16.0, 170.0)
            };
            let button = egui::Button::new(
                RichText::new(text)
                    .size(text_size)
                    .strong()
                    .color(text_color),
            )
            .fill(fill)
            .min_size(Vec2::new(width, 34.0));
            let response = ui.add(button);
            let engaged = view.mono_engaged;
            response.widget_info(|| {
                egui::WidgetInfo::selected(egui::Role::CheckBox, true, engaged, name)
            });
            if response.clicked() {
                actions.toggle_mono = true;
            }
            if surround {
                // What the fold-down plays: one click switches stereo and mono.
                let to = match view.fold_to {
                    FoldTarget::Stereo => "to stereo",
                    FoldTarget::Mono => "to mono",
                };
                let response = ui.button(to).on_hover_text(
                    "Fold to the BS.775 stereo downmix or to mono (click to switch)",
                );
                let text = to.to_string();
                response.widget_info(|| {
                    let mut info = egui::WidgetInfo::labeled(egui::Role::Button, true, "Fold to");
                    info.current_text_value = Some(text.clone());
                    info
                });
                if response.clicked() {
                    actions.toggle_fold_to = true;
                }
            }
            let mut level_match = view.mono_level_match;
            if ui
                .checkbox(
                    &mut level_match,
                    // Shorter beside the fold target's button.
                    if surround { "matched" } else { "level-matched" },
                )
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
    ui.horizontal(|ui| {
        if let Some(message) = &view.not_measuring {
            // The mono check is not applied either: the output is the input.
            ui.label(RichText::new(message).color(WARNING_COLOR).strong());
        } else if view.mono_engaged && view.channels > 2 {
            let bus = surround_name(view.channels).unwrap_or("surround");
            let fold = match view.fold_to {
                FoldTarget::Stereo => "stereo (ITU-R BS.775 downmix on L and R)",
                FoldTarget::Mono => "mono (ITU-R BS.775 downmix on C)",
            };
            let level = if view.mono_level_match {
                format!(", level-matched {:+.1} dB", view.mono_level_gain_db)
            } else {
                String::new()
            };
            let text = format!(
                "Output folded to {fold}{level}, other channels silent. The meters still \
                 measure the {bus} input."
            );
            ui.label(RichText::new(text).color(MONO_ENGAGED_COLOR).strong());
        } else if view.mono_engaged {
            let text = if view.mono_level_match {
                format!(
                    "Output folded to mono: (L+R)/2, level-matched {:+.1} dB. The meters still \
                     measure the stereo input.",
                    view.mono_level_gain_db
                )
            } else {
                "Output folded to mono: (L+R)/2. The meters still measure the stereo input."
                    .to_string()
            };
            ui.label(RichText::new(text).color(MONO_ENGAGED_COLOR).strong());
        } else if view.reset_by_transport {
            ui.label(
                RichText::new("Measurement restarted when playback started.").color(TARGET_COLOR),
            );
        } else {
            ui.label("Output is the untouched input.");
        }
        if r.non_finite_samples > 0 {
            ui.label(
                RichText::new(format!(
                    "{} non-finite input samples (NaN/inf) ignored by the meters",
                    r.non_finite_samples
                ))
                .color(WARNING_COLOR),
            );
        }
    });
}

fn bars_column(ui: &mut egui::Ui, view: &View, actions: &mut Actions) {
    let r = &view.readings;
    let rect = ui.max_rect();
    // An unknown layout (0) draws two bars, named by number.
    let channels = match view.channels {
        0 => 2,
        n => n.min(PLUGIN_CHANNELS),
    };
    let surround = channels > 2;
    let target_label = format!("{:.0} target", view.target.lufs);
    let target_mark = vec![(view.target.lufs as f32, TARGET_COLOR, target_label)];
    let ceilings = vec![
        (STREAMING_CEILING_DBTP, CEILING_COLOR, "-1 TP".to_string()),
        (
            PRE_MASTER_CEILING_DBTP,
            CEILING_COLOR.gamma_multiply(0.6),
            "-3".to_string(),
        ),
    ];
    let db = |v: Option<f64>| v.map_or(f32::NEG_INFINITY, |v| v as f32);
    let mut bars = vec![
        Bar {
            caption: "M",
            name: "Momentary bar".to_string(),
            value_db: db(r.momentary_lufs),
            hold_db: None,
            color: MOMENTARY_COLOR,
            marks: target_mark.clone(),
        },
        Bar {
            caption: "S",
            name: "Short-term bar".to_string(),
            value_db: db(r.short_term_lufs),
            hold_db: None,
            color: SHORT_TERM_COLOR,
            marks: target_mark,
        },
    ];
    for c in 0..channels {
        let name = channel_name(c, view.channels);
        bars.push(Bar {
            caption: channel_caption(c, view.channels),
            name: format!("{name} true peak bar"),
            value_db: view.bar_peak(c),
            hold_db: Some(view.true_peak(c)),
            color: PEAK_COLOR,
            marks: ceilings.clone(),
        });
    }
    // Clip indicators over the true-peak bars.
    let clip_height = 24.0;
    // A surround bus lists its true peaks two channels to a row.
    let value_rows = if surround {
        channels.div_ceil(2)
    } else {
        channels
    };
    let values_height = if surround { 22.0 } else { 30.0 } * value_rows as f32 + 34.0;
    ui.horizontal(|ui| {
        ui.label(RichText::new("LUFS  |  dBTP").small().weak());
    });
    // Over the true-peak bars (the right-hand ones), right to left.
    ui.with_layout(Layout::right_to_left(Align::Min), |ui| {
        if surround {
            // One indicator for the bus (no room for one per channel): the worst overshoot of
            // any channel; a click clears them all.
            let worst = view.clip[..channels]
                .iter()
                .copied()
                .max_by(|a, b| {
                    a.over_db
                        .unwrap_or(f32::NEG_INFINITY)
                        .total_cmp(&b.over_db.unwrap_or(f32::NEG_INFINITY))
                })
                .unwrap_or_default();
            if clip_button(ui, "Any channel", worst, 96.0) {
                actions.clear_clip[..channels].fill(true);
            }
            return;
        }
        for c in (0..channels).rev() {
            if clip_button(ui, channel_name(c, view.channels), view.clip[c], 48.0) {
                actions.clear_clip[c] = true;
            }
        }
    });
    let top = rect.top() + clip_height + 22.0;
    let bars_rect = Rect::from_min_max(
        Pos2::new(rect.left(), top),
        Pos2::new(rect.right(), rect.bottom() - values_height),
    );
    draw_bars(ui, bars_rect, &bars);
    ui.scope_builder(
        UiBuilder::new().max_rect(Rect::from_min_max(
            Pos2::new(rect.left(), bars_rect.bottom() + 4.0),
            rect.max,
        )),
        |ui| {
            ui.label(RichText::new("True peak, live (held 1.5 s)").small());
            let value = |ui: &mut egui::Ui, c: usize, label_width: f32, size: f32| {
                let name = channel_name(c, view.channels);
                let value_db = view.true_peak(c);
                let color = (value_db > STREAMING_CEILING_DBTP).then_some(WARNING_COLOR);
                let row_height = if surround { 18.0 } else { 24.0 };
                ui.add_sized([label_width, row_height], egui::Label::new(name));
                let value = value_db.is_finite().then_some(value_db as f64);
                let response = panels::value_label(
                    ui,
                    &format!("{name} true peak"),
                    &format_db(value_db),
                    value,
                    size,
                    color,
                );
                access::set_unit(ui.ctx(), response.id, "dBTP");
            };
            if surround {
                for row in 0..value_rows {
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = 3.0;
                        for c in 2 * row..(2 * row + 2).min(channels) {
                            value(ui, c, 24.0, 12.0);
                        }
                    });
                }
            } else {
                for c in 0..channels {
                    ui.horizontal(|ui| value(ui, c, 44.0, 22.0));
                }
            }
        },
    );
}

/// The switch between the spectrum and the stereo view.
pub fn pane_tabs(ui: &mut egui::Ui, pane: &mut Pane) {
    ui.horizontal(|ui| {
        ui.selectable_value(pane, Pane::Spectrum, RichText::new("Spectrum").strong());
        ui.selectable_value(pane, Pane::Stereo, RichText::new("Stereo").strong());
    });
}

/// The editor's GUI-thread state (kept while the window closes and opens again).
pub struct MixmeterEditor {
    params: Arc<MixmeterParams>,
    /// The link settings and, on a master, the session view (`session`).
    session: session::SessionPanel,
    meter: MeterOutput,
    gui_context: Option<GuiContext>,
    held: [HeldPeak; PLUGIN_CHANNELS],
    bar_peak_db: [f32; PLUGIN_CHANNELS],
    clip: [ClipLatch; PLUGIN_CHANNELS],
    last_frame: Option<Instant>,
    spectrum: SpectrumState,
    history: LoudnessHistory,
    targets: Vec<Target>,
    check_profiles: Vec<checks::Profile>,
    /// The held suggestions, and when they were last updated.
    suggestions: suggestions::Board,
    suggestions_at: Option<Instant>,
    /// A freeze asked for (taken at the next frame, where the whole set of readings is at
    /// hand). The versions themselves live in the project (`params.compare_versions`).
    freeze_requested: bool,
    /// The last render report (written by the plugin's report thread).
    reports: Arc<crate::report::Shared>,
    /// The report folder as typed, not yet used (`None`: show the one in use).
    report_folder_text: Option<String>,
    clock: Instant,
    /// The open window's screen-reader bridge, if one is connected.
    access: Option<access::BridgeHandle>,
    /// What the screen reader is told of events that matter (clips, checks turning to fail).
    announcer: access::Announcer,
    /// The clip latches and check grades of the last frame, to tell what just happened.
    last_clip: [ClipLatch; PLUGIN_CHANNELS],
    last_checks: std::collections::HashMap<String, Option<checks::Status>>,
}

impl MixmeterEditor {
    pub fn new(
        params: Arc<MixmeterParams>,
        meter: MeterOutput,
        reports: Arc<crate::report::Shared>,
    ) -> Self {
        Self {
            params,
            meter,
            gui_context: None,
            held: [HeldPeak::default(); PLUGIN_CHANNELS],
            bar_peak_db: [f32::NEG_INFINITY; PLUGIN_CHANNELS],
            clip: [ClipLatch::default(); PLUGIN_CHANNELS],
            last_frame: None,
            spectrum: SpectrumState::new(),
            history: LoudnessHistory::new(),
            targets: platforms::targets(),
            check_profiles: checks::profiles(),
            suggestions: suggestions::Board::new(),
            suggestions_at: None,
            session: session::SessionPanel::default(),
            freeze_requested: false,
            reports,
            report_folder_text: None,
            clock: Instant::now(),
            access: None,
            announcer: access::Announcer::new(),
            last_clip: [ClipLatch::default(); PLUGIN_CHANNELS],
            last_checks: std::collections::HashMap::new(),
        }
    }

    /// The screen-reader bridge of the window being opened.
    pub fn set_access(&mut self, access: Option<access::BridgeHandle>) {
        self.access = access;
    }

    /// Queues announcements for what just happened (a clip latched, a check turned to fail)
    /// and puts the live text into the tree. Only while a screen reader listens.
    fn announce(&mut self, ctx: &egui::Context, view: &View) {
        if !self.access.as_ref().is_some_and(|a| a.is_active()) {
            self.last_clip = view.clip;
            self.last_checks.clear();
            return;
        }
        // One announcement for the channels that latched in this frame, with the worst peak.
        let channels = view.channels.clamp(1, PLUGIN_CHANNELS);
        let latched: Vec<(usize, f32)> = (0..channels)
            .filter_map(
                |c| match (self.last_clip[c].over_db, view.clip[c].over_db) {
                    (None, Some(over)) => Some((c, over)),
                    _ => None,
                },
            )
            .collect();
        if let Some(worst) = latched.iter().map(|l| l.1).reduce(f32::max) {
            let names: Vec<&str> = latched
                .iter()
                .map(|&(c, _)| channel_name(c, view.channels))
                .collect();
            self.announcer.say(format!(
                "Clip on {}, true peak {}",
                names.join(" and "),
                access::spoken_value(&format_db(worst), "dBTP")
            ));
        }
        self.last_clip = view.clip;
        for item in &view.checks.items {
            let failed = item.status == Some(checks::Status::Fail);
            // Only a graded check that turns to fail: a measurement that starts (no grade
            // yet) is not an event.
            if failed
                && let Some(Some(checks::Status::Pass | checks::Status::Warn)) =
                    self.last_checks.get(&item.id)
            {
                self.announcer
                    .say(format!("{} check fails: {}", item.label, item.evidence));
            }
        }
        self.last_checks = view
            .checks
            .items
            .iter()
            .map(|i| (i.id.clone(), i.status))
            .collect();
        let (text, wait) = self.announcer.update(Instant::now());
        access::announcement_node(ctx, text);
        if let Some(wait) = wait {
            ctx.request_repaint_after(wait);
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
        for c in 0..PLUGIN_CHANNELS {
            let db = gain_to_db(peaks.true_peak_gain[c]);
            self.held[c] = hold_peak(self.held[c], db, elapsed_s);
            self.bar_peak_db[c] = fall_peak(self.bar_peak_db[c], db, elapsed_s);
            self.clip[c].update(db);
        }
        self.history.update(&self.meter);
        let snapshot = self.meter.snapshot();
        let r = snapshot.readings;
        let mut view = View::new(r, &self.targets, &self.params.editor.target());
        view.mono_engaged = self.params.mono_check.value();
        for c in 0..PLUGIN_CHANNELS {
            view.set_peaks(c, self.held[c].peak_db, self.bar_peak_db[c]);
        }
        view.clip = self.clip;
        view.reset_by_transport = snapshot.reset_by_transport;
        view.not_measuring = snapshot
            .unsupported_rate_hz
            .map(crate::bridge::not_measuring_message);
        view.reset_on_play = self.params.reset_on_play.value();
        view.mono_level_match = self.params.mono_level_match.value();
        view.mono_level_gain_db = gain_to_db(snapshot.mono_level_gain);
        view.fold_to = self.params.fold_to.value().target();
        view.fold = snapshot.fold;
        view.history_s = self.params.editor.history_s();
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

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut Frame) {
        if self.access.as_ref().is_some_and(|a| a.take_focus_request()) {
            // A screen reader moved focus into the editor: the keyboard follows it (the
            // host's window has it otherwise). A failure leaves it where it was.
            let _ = frame.baseview_window().focus();
        }
        let (mut view, snapshot) = self.next_view();
        let settings = self.params.spectrum_view.get().sanitized();
        let library = self.params.references.get();
        let now_s = self.clock.elapsed().as_secs_f64();
        let (live, long_term) = self.meter.spectra();
        let data = self
            .spectrum
            .update(live, long_term, settings, &library, now_s);
        view.grade(
            &self.check_profiles,
            &self.params.editor.check_profile(),
            data.comparison.as_ref(),
        );
        let r = &snapshot.readings;
        // One diagnosis of the whole measurement per frame, for the summary, the
        // suggestions and the comparison.
        let whole_stereo = whole_stereo(snapshot.stereo.as_ref(), r);
        view.stereo = whole_stereo.as_ref().map(summary_of);
        view.suggestions = self.suggest(r, whole_stereo.as_ref(), &data);
        let now = || compare::freeze("now", r, data.comparison.as_ref(), whole_stereo.as_ref());
        if std::mem::take(&mut self.freeze_requested) {
            let frozen = now();
            self.params.compare_versions.update(|v| v.add(frozen));
        }
        view.reports_enabled = self.params.reports.enabled();
        view.last_report = self.reports.last();
        view.report_folder = self.report_folder().display().to_string();
        view.report_folder_text = self
            .report_folder_text
            .clone()
            .unwrap_or_else(|| view.report_folder.clone());
        let versions = self.params.compare_versions.get();
        view.compare_error = self.params.compare_versions.load_error();
        view.compare = versions.current().map(|frozen| CompareView {
            name: frozen.name.clone(),
            versions: versions.list.iter().map(|v| v.name.clone()).collect(),
            measured_s: frozen.measured_s,
            differences: compare::compare(frozen, &now()),
        });
        let pane = self.params.editor_pane.get();
        let stereo = match pane {
            Pane::Stereo => {
                let (scope, _) = self.meter.scope();
                if view.channels > 2 {
                    view.front_scope = scope.points[..scope.count.min(scope.points.len())].to_vec();
                }
                stereo_data(snapshot.stereo.as_ref(), &snapshot.readings, scope)
            }
            Pane::Spectrum => None,
        };
        let frame = EditorFrame {
            view: &view,
            history: &self.history,
            pane,
            spectrum: &data,
            stereo: stereo.as_ref(),
        };
        let actions = self.session.below(ui, &self.params.session_link.0, |ui| {
            egui::CentralPanel::default()
                .show(ui, |ui| draw(ui, &frame))
                .inner
        });
        self.apply(&actions, &view);
        self.announce(ui.ctx(), &view);
        if self.spectrum.importing() {
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    }

    fn resized(&mut self, new_size: nice_plug_egui::baseview::WindowSize) {
        let logical = new_size.logical;
        self.params
            .editor
            .set_size(logical.width.round() as u32, logical.height.round() as u32);
    }

    fn editor_closed(&mut self) {
        self.gui_context = None;
        self.access = None;
    }
}

impl MixmeterEditor {
    /// The suggestions of this frame: this frame's findings held on the board (a function of
    /// the time since the last frame, see `diagnosis::suggestions`).
    fn suggest(
        &mut self,
        r: &Readings,
        stereo: Option<&crate::diagnosis::stereo::MonoCompatibility>,
        spectrum: &SpectrumData,
    ) -> Vec<suggestions::Candidate> {
        let now = Instant::now();
        let elapsed_s = self
            .suggestions_at
            .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
        self.suggestions_at = Some(now);
        let found = suggestions::candidates(&suggestions::Findings::of(
            r,
            stereo,
            spectrum.comparison.as_ref(),
            spectrum.long_term_s,
        ));
        self.suggestions
            .update_measured(&found, elapsed_s, r.measured_s);
        self.suggestions.shown().cloned().collect()
    }

    /// The folder render reports go to: the project's, or the default.
    fn report_folder(&self) -> std::path::PathBuf {
        let chosen = self
            .params
            .report_folder
            .read()
            .map(|f| f.trim().to_string())
            .unwrap_or_default();
        if chosen.is_empty() {
            crate::report::default_folder()
        } else {
            std::path::PathBuf::from(chosen)
        }
    }

    /// Carries out what the user did.
    fn apply(&mut self, actions: &Actions, view: &View) {
        if let Some(pane) = actions.pane {
            self.params.editor_pane.store(pane);
        }
        if let Some(id) = &actions.select_target {
            self.params.editor.set_target(id);
        }
        if let Some(id) = &actions.select_check_profile {
            self.params.editor.set_check_profile(id);
        }
        if actions.clear_frozen {
            self.params.compare_versions.update(|v| v.remove_current());
        }
        if let Some(name) = &actions.select_version {
            self.params
                .compare_versions
                .update(|v| v.selected = Some(name.clone()));
        }
        if let Some(on) = actions.reports_enabled {
            self.params.reports.set_enabled(on);
        }
        self.freeze_requested |= actions.freeze;
        if let Some(text) = &actions.report_folder_text {
            self.report_folder_text = Some(text.clone());
        }
        if actions.use_report_folder
            && let Some(text) = self.report_folder_text.take()
            && let Ok(mut folder) = self.params.report_folder.write()
        {
            *folder = text.trim().to_string();
        }
        if let Some(seconds) = actions.history_s {
            self.params.editor.set_history_s(seconds);
        }
        for (latch, clear) in self.clip.iter_mut().zip(actions.clear_clip) {
            if clear {
                latch.clear();
            }
        }
        let spectrum_actions = &actions.spectrum;
        if let Some(settings) = spectrum_actions.settings {
            self.params.spectrum_view.store(settings);
        }
        if let Some(selection) = spectrum_actions.select.clone() {
            self.params.references.update(|l| l.selection = selection);
        }
        if let Some(name) = &spectrum_actions.remove {
            self.params.references.update(|l| l.remove(name));
        }
        let captured = self.spectrum.handle(spectrum_actions);
        for curve in captured.into_iter().chain(self.spectrum.take_imported()) {
            self.params.references.update(|l| l.add(curve));
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
            if actions.toggle_fold_to {
                let next = match self.params.fold_to.value() {
                    crate::params::FoldTo::Stereo => crate::params::FoldTo::Mono,
                    crate::params::FoldTo::Mono => crate::params::FoldTo::Stereo,
                };
                let setter = context.param_setter();
                setter.begin_set_parameter(&self.params.fold_to);
                setter.set_parameter(&self.params.fold_to, next);
                setter.end_set_parameter(&self.params.fold_to);
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
}

/// Sets a host parameter from the editor as one gesture (begin, set, end), so the host records
/// it as a user change.
fn set_bool_param(context: &GuiContext, param: &nice_plug::prelude::BoolParam, value: bool) {
    let setter = context.param_setter();
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
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
        // Not known yet: named by number, neither mono nor left/right.
        assert_eq!(channel_name(0, 0), "Channel 1");
        assert_eq!(channel_name(1, 0), "Channel 2");
    }
}
