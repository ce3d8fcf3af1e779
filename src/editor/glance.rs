//! What stays in view at any size: the stereo readings at a glance (correlation, mono loss,
//! balance, the mono verdict), the checklist's verdicts as a row of marks, the suggestions of
//! one line each, and the tabs that pick which details fill the rest of the side column.
//!
//! Room is shared by rule: the readings come first and have a fixed height
//! ([`GLANCE_HEIGHT`]); the suggestions get one line each, at most three, elided with the full
//! text on hover (and for screen readers), so they never take more room than the readings;
//! everything that can grow (each check's evidence, every platform, compare, reports) lives
//! behind a tab and scrolls there.

use super::View;
use super::format::{NO_VALUE, format_reading};
use super::panels::{
    BAD_COLOR, CAUTION_COLOR, GOOD_COLOR, balance_text, correlation_meter, correlation_text,
    value_label,
};
use crate::diagnosis::checks::Status;
use crate::diagnosis::stereo::Verdict;
use egui::{Color32, RichText};

/// Height of the readings at a glance (loudness, dynamics, stereo), logical pixels.
pub const GLANCE_HEIGHT: f32 = 270.0;
/// Height of the bottom strip: a row of check marks and [`MAX_SUGGESTION_LINES`] lines.
pub const STRIP_HEIGHT: f32 = 84.0;
/// Suggestions shown, one line each.
pub const MAX_SUGGESTION_LINES: usize = 3;
/// Text size of a suggestion line.
const SUGGESTION_SIZE: f32 = 12.5;

/// The details shown under the readings, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailsTab {
    #[default]
    Platforms,
    Checks,
    Compare,
    Reports,
}

impl DetailsTab {
    pub const ALL: [DetailsTab; 4] = [
        DetailsTab::Platforms,
        DetailsTab::Checks,
        DetailsTab::Compare,
        DetailsTab::Reports,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DetailsTab::Platforms => "Platforms",
            DetailsTab::Checks => "Check details",
            DetailsTab::Compare => "Compare",
            DetailsTab::Reports => "Reports",
        }
    }
}

/// The tabs over the details.
pub fn details_tabs(ui: &mut egui::Ui, tab: &mut DetailsTab) {
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for t in DetailsTab::ALL {
            ui.selectable_value(tab, t, RichText::new(t.label()).strong());
        }
    });
}

fn verdict_color(ui: &egui::Ui, verdict: Option<Verdict>) -> Color32 {
    match verdict {
        Some(Verdict::Good) => GOOD_COLOR,
        Some(Verdict::Caution) => CAUTION_COLOR,
        Some(Verdict::Problem) => BAD_COLOR,
        None => ui.visuals().weak_text_color(),
    }
}

/// On a surround bus, in place of the stereo readings: how much loudness the fold-down
/// changes (BS.775 stereo and mono, last 3 s and whole measurement), the front pair's
/// correlation and balance, and the stereo fold's true peak.
pub fn fold_glance(ui: &mut egui::Ui, view: &View) {
    let fold = view.fold.unwrap_or_default();
    // Three rows, as the stereo readings have: the front pair's correlation, the folds'
    // loudness changes (last 3 s | whole), the front pair's balance and the fold's peak.
    ui.horizontal(|ui| {
        ui.label(RichText::new("Front L R").strong().size(14.0));
        ui.label(
            RichText::new(correlation_text(fold.front_correlation))
                .monospace()
                .strong()
                .size(14.0),
        );
        let width = (ui.max_rect().right() - ui.cursor().left() - 4.0).max(60.0);
        correlation_meter(
            ui,
            fold.front_correlation,
            fold.front_integrated_correlation,
            width,
        );
    });
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        ui.label("BS.775 fold").on_hover_text(
            "Loudness change of the ITU-R BS.775 downmix against the bus: last 3 s | whole",
        );
        for (what, live, whole) in [
            (
                "Stereo fold",
                fold.stereo_short_term_lu,
                fold.stereo_integrated_lu,
            ),
            (
                "Mono fold",
                fold.mono_short_term_lu,
                fold.mono_integrated_lu,
            ),
        ] {
            ui.label(
                RichText::new(if what == "Stereo fold" {
                    "stereo"
                } else {
                    "mono"
                })
                .small(),
            );
            value_label(ui, what, &format_reading(live), live, 13.0, None);
            ui.label(RichText::new("|").small().weak());
            value_label(
                ui,
                &format!("{what}, whole"),
                &format_reading(whole),
                whole,
                13.0,
                None,
            );
        }
        ui.label(RichText::new("LU").small());
    });
    ui.horizontal(|ui| {
        ui.label("Balance");
        let text = balance_text(fold.front_balance_db);
        value_label(
            ui,
            "Front balance",
            &text,
            fold.front_balance_db,
            14.0,
            None,
        );
        ui.add_space(6.0);
        // Short beside the balance; its accessible name is spelled out.
        ui.label("Fold TP");
        let peak = fold.stereo_true_peak_dbtp;
        let text = peak.map_or(NO_VALUE.to_string(), |p| format!("{p:+.1}"));
        let color = peak
            .is_some_and(|p| p > crate::editor::STREAMING_CEILING_DBTP as f64)
            .then_some(super::palette::BAD_COLOR);
        value_label(ui, "Stereo fold true peak", &text, peak, 14.0, color);
    });
}

/// Correlation (number and meter), mono loss (last 3 s and whole), balance and the mono
/// verdict with the worst band; on a mono track, a line saying so; while the layout is not
/// known (before the host activates the plugin), nothing about mono or stereo.
pub fn stereo_glance(ui: &mut egui::Ui, view: &View) {
    let r = &view.readings;
    let heading = |ui: &mut egui::Ui| ui.label(RichText::new("Stereo").strong().size(14.0));
    match view.channels {
        0 => {
            ui.horizontal(|ui| {
                heading(ui);
                ui.label(RichText::new("waiting for the host to start audio").weak());
            });
            return;
        }
        1 => {
            ui.horizontal(|ui| {
                heading(ui);
                ui.label(RichText::new("mono track: no correlation or mono loss").weak());
            });
            return;
        }
        _ => {}
    }
    ui.horizontal(|ui| {
        heading(ui);
        ui.label("Correlation");
        ui.label(
            RichText::new(correlation_text(r.correlation))
                .monospace()
                .strong()
                .size(14.0),
        );
        let width = (ui.max_rect().right() - ui.cursor().left() - 4.0).max(60.0);
        correlation_meter(ui, r.correlation, r.integrated_correlation, width);
    });
    egui::Grid::new("stereo-glance")
        .num_columns(5)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            ui.label("Mono loss");
            let response = value_label(
                ui,
                "Mono loss",
                &format_reading(r.mono_loss_short_term_lu),
                r.mono_loss_short_term_lu,
                14.0,
                None,
            );
            super::access::set_unit(ui.ctx(), response.id, "LU");
            ui.label(RichText::new("LU").small());
            ui.label(RichText::new("whole").small());
            let response = value_label(
                ui,
                "Mono loss, whole",
                &format_reading(r.mono_loss_integrated_lu),
                r.mono_loss_integrated_lu,
                14.0,
                None,
            );
            super::access::set_unit(ui.ctx(), response.id, "LU");
            ui.end_row();
        });
    ui.horizontal(|ui| {
        ui.label("Balance");
        let text = balance_text(r.balance_db);
        value_label(ui, "Balance", &text, r.balance_db, 14.0, None);
        ui.add_space(6.0);
        ui.label(RichText::new("in mono").small());
        let verdict = view.stereo.as_ref().and_then(|s| s.verdict);
        // No value, no verdict.
        let text = verdict.map_or(NO_VALUE, Verdict::label);
        let color = verdict_color(ui, verdict);
        let response = value_label(ui, "Mono verdict", text, None, 14.0, Some(color));
        if let Some(worst) = view.stereo.as_ref().and_then(|s| s.worst_band.as_ref()) {
            response.on_hover_text(format!("Whole measurement; worst band {worst}"));
        }
    });
}

/// The mark, word and colour of a grade. The marks differ in shape as well as colour, and are
/// glyphs the editor's only font (egui's Ubuntu-Light) has.
pub fn mark(status: Option<Status>) -> (&'static str, &'static str, Option<Color32>) {
    match status {
        Some(Status::Pass) => ("√", "pass", Some(GOOD_COLOR)),
        Some(Status::Warn) => ("!", "warn", Some(CAUTION_COLOR)),
        Some(Status::Fail) => ("×", "FAIL", Some(BAD_COLOR)),
        None => (NO_VALUE, NO_VALUE, None),
    }
}

/// The checklist as one row of marks (√ pass, ! warn, × fail, — no value), each with its
/// short name; each mark is exposed to screen readers as "{label} check" with its grade, shows
/// its evidence on hover, and opens the check details when clicked. Returns whether one was.
pub fn checks_row(ui: &mut egui::Ui, view: &View) -> bool {
    let mut open = false;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        ui.spacing_mut().button_padding = egui::vec2(4.0, 1.0);
        let caption = RichText::new("Checks").strong().size(14.0);
        ui.label(caption)
            .on_hover_text(view.checks.profile_name.as_str());
        // A list for screen readers: "Checklist, N items".
        let list = egui::UiBuilder::new()
            .layout(egui::Layout::left_to_right(egui::Align::Center))
            .accessibility_role(egui::Role::List)
            .accessibility_label("Checklist");
        ui.scope_builder(list, |ui| {
            for item in &view.checks.items {
                let (glyph, word, color) = mark(item.status);
                let color = color.unwrap_or_else(|| ui.visuals().weak_text_color());
                let mut job = egui::text::LayoutJob::default();
                RichText::new(format!("{glyph} "))
                    .strong()
                    .color(color)
                    .append_to(
                        &mut job,
                        ui.style(),
                        egui::FontSelection::Default,
                        egui::Align::Center,
                    );
                RichText::new(&item.short).append_to(
                    &mut job,
                    ui.style(),
                    egui::FontSelection::Default,
                    egui::Align::Center,
                );
                let response = ui
                    .add(egui::Button::new(job).stroke(egui::Stroke::new(1.0, color)))
                    .on_hover_text(format!("{}: {} — {}", item.label, word, item.evidence));
                let value = item.value;
                response.widget_info(|| {
                    let name = format!("{} check", item.label);
                    let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, &name);
                    info.current_text_value = Some(word.to_string());
                    info.value = value.filter(|v| v.is_finite());
                    info
                });
                open |= response.clicked();
            }
        });
        if view.checks.items.is_empty() {
            ui.label(RichText::new(NO_VALUE).weak());
        }
    });
    open
}

/// The suggestions shown now (at most [`MAX_SUGGESTION_LINES`], held so they do not
/// flicker), one line each: elided with the full text on hover, and exposed whole to screen
/// readers as "Suggestion N".
pub fn suggestion_lines(ui: &mut egui::Ui, view: &View) {
    ui.spacing_mut().item_spacing.y = 1.0;
    if view.suggestions.is_empty() {
        ui.label(
            RichText::new("No suggestions (a finding shows once it has held for 3 s).")
                .weak()
                .size(SUGGESTION_SIZE),
        );
        return;
    }
    let list = egui::UiBuilder::new()
        .accessibility_role(egui::Role::List)
        .accessibility_label("Suggestions");
    ui.scope_builder(list, |ui| {
        ui.spacing_mut().item_spacing.y = 1.0;
        for (i, s) in view
            .suggestions
            .iter()
            .take(MAX_SUGGESTION_LINES)
            .enumerate()
        {
            let text = format!(
                "{}. {} ({:.0} % confidence)",
                i + 1,
                s.text,
                100.0 * s.confidence
            );
            let response =
                ui.add(egui::Label::new(RichText::new(&text).size(SUGGESTION_SIZE)).truncate());
            let confidence = s.confidence;
            response.widget_info(|| {
                let name = format!("Suggestion {}", i + 1);
                let mut info = egui::WidgetInfo::labeled(egui::Role::ListItem, true, &name);
                info.current_text_value = Some(text.clone());
                info.value = Some(confidence);
                info
            });
        }
    });
}
