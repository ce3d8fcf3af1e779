//! The editor's layout and its one drawing entry point: where each part goes ([`areas`]), what
//! one frame draws ([`EditorFrame`]) and what the user did ([`Actions`]).

use super::bars::bars_column;
use super::header::header;
use super::history::{LoudnessHistory, draw_history};
use super::spectrum::{SpectrumActions, SpectrumData, draw_spectrum};
use super::stereo::{StereoData, draw_stereo};
use super::{FOCUS_COLOR, MONO_ENGAGED_COLOR, View, glance, panels, stereo};
use crate::bridge::{Command, PLUGIN_CHANNELS};
use crate::params::Pane;
use egui::{Pos2, Rect, RichText, UiBuilder, Vec2};

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
    editor_style(ui);
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

/// The editor's style, set on its context (from this frame's `ui` on), for what a frame costs:
/// - square corners on every widget, window and menu: a rounded rectangle is a path of 20 to
///   36 points where a square one has 4, and anti-aliasing its edge costs per point, about
///   five times the tessellation; a frame draws some seventy rectangles (buttons, tabs, chips,
///   bars, plot backgrounds);
/// - labels that are not selectable: a selectable label senses clicks and drags and runs
///   egui's text selection every frame, for each of the hundred and fifty labels, for text
///   nobody selects in a meter (every reading is in the analyzer's and the reports' output).
fn editor_style(ui: &mut egui::Ui) {
    fn apply(style: &mut egui::Style) {
        style.interaction.selectable_labels = false;
        let visuals = &mut style.visuals;
        let widgets = &mut visuals.widgets;
        for widget in [
            &mut widgets.noninteractive,
            &mut widgets.inactive,
            &mut widgets.hovered,
            &mut widgets.active,
            &mut widgets.open,
        ] {
            widget.corner_radius = egui::CornerRadius::ZERO;
        }
        visuals.window_corner_radius = egui::CornerRadius::ZERO;
        visuals.menu_corner_radius = egui::CornerRadius::ZERO;
    }
    if ui.style().interaction.selectable_labels
        || ui.visuals().widgets.inactive.corner_radius != egui::CornerRadius::ZERO
    {
        ui.ctx().all_styles_mut(apply);
        apply(ui.style_mut());
    }
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

/// The switch between the spectrum and the stereo view.
pub fn pane_tabs(ui: &mut egui::Ui, pane: &mut Pane) {
    ui.horizontal(|ui| {
        ui.selectable_value(pane, Pane::Spectrum, RichText::new("Spectrum").strong());
        ui.selectable_value(pane, Pane::Stereo, RichText::new("Stereo").strong());
    });
}
