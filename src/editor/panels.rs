//! The side panels: loudness numbers, dynamics, platforms and the stereo summary. Every value
//! is a labelled widget with its value for screen readers (`Role::Meter`, the caption as its
//! label), so what is read out is what is shown.

use super::View;
use super::format::{NO_VALUE, format_db, format_reading};
pub use super::palette::{BAD_COLOR, CAUTION_COLOR, GOOD_COLOR};
use crate::diagnosis::checks::Status;
use crate::diagnosis::dynamics::{self, DynamicsGrade};
use crate::diagnosis::stereo::{Verdict, signed_tenths};
use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Vec2};

/// One platform's preview, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformRow {
    pub name: String,
    pub gain_db: Option<f64>,
    pub true_peak_after_dbtp: Option<f64>,
    pub ceiling_dbtp: f64,
    /// What the platform does: "turns it down", "held back by its peak", "limits it 4.0 dB".
    pub action: Option<crate::diagnosis::platforms::Action>,
    /// The platform's verdict on the file as delivered and after its gain, the one the CLI
    /// prints (`diagnosis::platforms::preview`), and the published ceiling it is judged
    /// against (dBTP).
    pub status: crate::diagnosis::checks::Status,
    pub master_ceiling_dbtp: f64,
    /// The verdict as one sentence (hover text and screen readers).
    pub sentence: String,
    /// The selected loudness target.
    pub selected: bool,
}

/// The stereo summary shown beside the meters.
#[derive(Debug, Clone, PartialEq)]
pub struct StereoSummary {
    /// `None`: no value, no verdict.
    pub verdict: Option<Verdict>,
    /// The worst band by mono loss ("120-200 Hz -3.1 LU"), if any band loses more than 1 LU.
    pub worst_band: Option<String>,
}

/// A reading on one grid row: caption, value (exposed with its caption), unit.
pub fn reading(ui: &mut egui::Ui, name: &str, value: Option<f64>, unit: &'static str, size: f32) {
    ui.label(name);
    let text = format_reading(value);
    let response = value_label(ui, name, &text, value, size, None);
    super::access::set_unit(ui.ctx(), response.id, unit);
    ui.label(RichText::new(unit).small());
    ui.end_row();
}

/// A value label exposed to screen readers as a meter named `name`.
pub fn value_label(
    ui: &mut egui::Ui,
    name: &str,
    text: &str,
    value: Option<f64>,
    size: f32,
    color: Option<Color32>,
) -> egui::Response {
    let mut rich = RichText::new(text).size(size).monospace().strong();
    if let Some(color) = color {
        rich = rich.color(color);
    }
    let response = ui.label(rich);
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, name);
        info.current_text_value = Some(text.to_string());
        info.value = value.filter(|v| v.is_finite());
        info
    });
    response
}

/// One line of a numbered list, exposed to screen readers as a list item called `name` with
/// the line as its value (and `value` as its number).
fn list_item(ui: &mut egui::Ui, name: &str, text: &str, value: Option<f64>) {
    let response = ui.label(RichText::new(text).size(12.0));
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(egui::Role::ListItem, true, name);
        info.current_text_value = Some(text.to_string());
        info.value = value;
        info
    });
}

fn heading(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).strong().size(14.0));
}

/// A reading and its maximum on one grid row: caption, value, unit, "max", maximum.
fn reading_with_max(
    ui: &mut egui::Ui,
    name: &str,
    value: Option<f64>,
    max_name: &str,
    max: Option<f64>,
    unit: &'static str,
    size: f32,
) {
    ui.label(name);
    let response = value_label(ui, name, &format_reading(value), value, size, None);
    super::access::set_unit(ui.ctx(), response.id, unit);
    ui.label(RichText::new(unit).small());
    ui.label(RichText::new("max").small());
    let response = value_label(ui, max_name, &format_reading(max), max, 13.0, None);
    super::access::set_unit(ui.ctx(), response.id, unit);
    ui.end_row();
}

/// Loudness numbers: integrated (large) and its distance to the target, the live values with
/// their maxima, loudness range and the peaks of the measurement.
pub fn loudness_panel(ui: &mut egui::Ui, view: &View) {
    let r = &view.readings;
    heading(ui, "Loudness");
    egui::Grid::new("loudness-numbers")
        .num_columns(5)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            ui.label("Integrated");
            let response = value_label(
                ui,
                "Integrated loudness",
                &format_reading(r.integrated_lufs),
                r.integrated_lufs,
                22.0,
                None,
            );
            super::access::set_unit(ui.ctx(), response.id, "LUFS");
            ui.label(RichText::new("LUFS").small());
            ui.label(RichText::new(format!("vs {}", view.target.short)).small());
            let to_target = r.integrated_lufs.map(|i| i - view.target.lufs);
            let text = to_target.map_or(NO_VALUE.to_string(), |d| {
                format!("{:+.1}", signed_tenths(d))
            });
            let response = value_label(ui, "Integrated vs target", &text, to_target, 13.0, None);
            super::access::set_unit(ui.ctx(), response.id, "LU");
            ui.end_row();
            reading_with_max(
                ui,
                "Short-term",
                r.short_term_lufs,
                "Max short-term",
                r.max_short_term_lufs,
                "LUFS",
                17.0,
            );
            reading_with_max(
                ui,
                "Momentary",
                r.momentary_lufs,
                "Max momentary",
                r.max_momentary_lufs,
                "LUFS",
                17.0,
            );
            ui.label("LRA");
            let response = value_label(
                ui,
                "Loudness range",
                &format_reading(r.loudness_range_lu),
                r.loudness_range_lu,
                15.0,
                None,
            );
            super::access::set_unit(ui.ctx(), response.id, "LU");
            ui.label(RichText::new("LU").small());
            ui.end_row();
            ui.label("True peak");
            let over = r.max_true_peak_dbtp.is_some_and(|p| p > -1.0);
            let response = value_label(
                ui,
                "True peak max",
                &format_reading(r.max_true_peak_dbtp),
                r.max_true_peak_dbtp,
                15.0,
                over.then_some(BAD_COLOR),
            );
            super::access::set_unit(ui.ctx(), response.id, "dBTP");
            ui.label(RichText::new("dBTP").small());
            ui.label(RichText::new("sample").small());
            let response = value_label(
                ui,
                "Sample peak max",
                &format_reading(r.max_sample_peak_dbfs),
                r.max_sample_peak_dbfs,
                13.0,
                None,
            );
            super::access::set_unit(ui.ctx(), response.id, "dBFS");
            ui.end_row();
        });
}

/// PLR, PSR and the crest factor, and the crest factor's grade.
pub fn dynamics_panel(ui: &mut egui::Ui, view: &View) {
    let r = &view.readings;
    let grade = dynamics::grade(r.crest_factor_db);
    let (text, color) = match grade {
        Some(g) => (
            g.text(),
            match g {
                DynamicsGrade::OverCompressed => BAD_COLOR,
                DynamicsGrade::Dense => CAUTION_COLOR,
                DynamicsGrade::Healthy | DynamicsGrade::VeryDynamic => GOOD_COLOR,
            },
        ),
        None => (NO_VALUE, ui.visuals().weak_text_color()),
    };
    ui.horizontal(|ui| {
        ui.label(RichText::new("Dynamics").strong().size(14.0));
        value_label(ui, "Dynamics", text, None, 14.0, Some(color));
    })
    .response
    .on_hover_text(format!(
        "Crest factor {:.0}-{:.0} dB is healthy, below {:.0} dB over-compressed",
        dynamics::HEALTHY_DB.0,
        dynamics::HEALTHY_DB.1,
        dynamics::OVER_COMPRESSED_BELOW_DB
    ));
    ui.horizontal(|ui| {
        for (name, caption, value) in [
            ("PLR", "PLR", r.plr_db),
            ("PSR", "PSR", r.psr_db),
            ("Crest factor", "crest", r.crest_factor_db),
        ] {
            ui.label(caption);
            let response = value_label(ui, name, &format_reading(value), value, 15.0, None);
            super::access::set_unit(ui.ctx(), response.id, "dB");
            ui.add_space(4.0);
        }
        ui.label(RichText::new("dB").small());
    });
}

/// Per streaming platform: the normalization gain and the true peak after it.
pub fn platforms_panel(ui: &mut egui::Ui, view: &View) {
    heading(ui, "Platforms (gain, true peak after)");
    egui::Grid::new("platforms")
        .num_columns(4)
        .spacing([10.0, 1.0])
        .show(ui, |ui| {
            for row in &view.platforms {
                let mut name = RichText::new(&row.name);
                if row.selected {
                    name = name.strong().underline();
                }
                ui.label(name);
                let gain_text = row
                    .gain_db
                    .map_or(NO_VALUE.to_string(), |g| format_db(g as f32));
                let gain_color = row.gain_db.filter(|g| *g < -0.05).map(|_| CAUTION_COLOR);
                value_label(
                    ui,
                    &format!("{} gain", row.name),
                    &gain_text,
                    row.gain_db,
                    13.0,
                    gain_color,
                );
                let after = row.true_peak_after_dbtp;
                let over = after.is_some_and(|a| a > row.ceiling_dbtp + 1e-9);
                value_label(
                    ui,
                    &format!("{} true peak after", row.name),
                    &after.map_or(NO_VALUE.to_string(), |a| {
                        format!("{} dBTP", format_db(a as f32))
                    }),
                    after,
                    13.0,
                    // Over the ceiling: red when the file itself is over (a FAIL), amber when
                    // only the platform's raise puts it there (a WARN).
                    over.then_some(if row.status == Status::Fail {
                        BAD_COLOR
                    } else {
                        CAUTION_COLOR
                    }),
                );
                // What the platform does, and the verdict: the same preview the CLI prints.
                let mut action = row.action.map_or(String::new(), |a| a.describe());
                let color = match row.status {
                    Status::Fail if row.action.is_some() => {
                        action = format!(
                            "{action}; over its {} dBTP ceiling",
                            format_db(row.master_ceiling_dbtp as f32)
                        );
                        Some(BAD_COLOR)
                    }
                    Status::Fail => Some(BAD_COLOR),
                    Status::Warn => Some(CAUTION_COLOR),
                    Status::Pass => None,
                };
                let text = RichText::new(action).small();
                let text = match color {
                    Some(c) => text.color(c),
                    None => text.weak(),
                };
                let response = ui.label(text).on_hover_text(&row.sentence);
                response.widget_info(|| {
                    let label = format!("{} verdict", row.name);
                    let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, &label);
                    info.current_text_value = Some(row.sentence.clone());
                    info
                });
                ui.end_row();
            }
        });
    let down: Vec<&str> = view
        .platforms
        .iter()
        .filter(|p| p.gain_db.is_some_and(|g| g < -0.05))
        .map(|p| p.name.as_str())
        .collect();
    let summary = if view.readings.integrated_lufs.is_none() {
        "no integrated loudness yet".to_string()
    } else if down.is_empty() {
        "no platform turns it down".to_string()
    } else if down.len() == view.platforms.len() {
        "every platform turns it down".to_string()
    } else {
        format!("turned down by {}", down.join(", "))
    };
    let response = ui.label(RichText::new(&summary).small());
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, "Platforms");
        info.current_text_value = Some(summary.clone());
        info
    });
}

/// A horizontal correlation meter from -1 to +1, filled from 0 (red below 0), with the whole
/// measurement as a tick.
pub fn correlation_meter(ui: &mut egui::Ui, live: Option<f64>, whole: Option<f64>, width: f32) {
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, 16.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    let x_of = |c: f64| rect.left() + (c.clamp(-1.0, 1.0) as f32 + 1.0) / 2.0 * rect.width();
    let centre = x_of(0.0);
    if let Some(c) = live.filter(|c| c.is_finite()) {
        let x = x_of(c);
        let color = if c < 0.0 { BAD_COLOR } else { GOOD_COLOR };
        painter.rect_filled(
            Rect::from_x_y_ranges(centre.min(x)..=centre.max(x), rect.y_range())
                .shrink2(Vec2::new(0.0, 2.0)),
            0.0,
            color,
        );
    }
    for c in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let x = x_of(c);
        painter.line_segment(
            [
                Pos2::new(x, rect.bottom() - 4.0),
                Pos2::new(x, rect.bottom()),
            ],
            Stroke::new(1.0, ui.visuals().weak_text_color()),
        );
    }
    if let Some(c) = whole.filter(|c| c.is_finite()) {
        let x = x_of(c);
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(2.0, ui.visuals().strong_text_color()),
        );
    }
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, "Correlation");
        info.current_text_value = Some(format!(
            "{}, whole measurement {}",
            correlation_text(live),
            correlation_text(whole)
        ));
        info.value = live.filter(|c| c.is_finite());
        info
    });
}

/// Correlation as text with two decimals and a sign.
pub fn correlation_text(value: Option<f64>) -> String {
    value
        .filter(|c| c.is_finite())
        .map_or(NO_VALUE.to_string(), |c| {
            format!("{:+.2}", (c * 100.0).round() / 100.0 + 0.0)
        })
}

/// Balance as text: "L +0.3" (left louder), "R +1.2", "centre".
pub fn balance_text(balance_db: Option<f64>) -> String {
    match balance_db.filter(|b| b.is_finite()) {
        None => NO_VALUE.to_string(),
        Some(b) if b.abs() < 0.05 => "centre".to_string(),
        Some(b) if b > 0.0 => format!("L +{:.1} dB", b),
        Some(b) => format!("R +{:.1} dB", -b),
    }
}

/// The checklist's details: a profile picker, then one row per item (grade, name, evidence);
/// its threshold's source shows on hover. (The grades themselves are read out from the row of
/// marks, [`super::glance::checks_row`], which is always in view.) Returns the profile
/// picked, if the user picked another.
pub fn checks_panel(ui: &mut egui::Ui, view: &View) -> Option<String> {
    let list = &view.checks;
    let mut chosen = list.profile_id.clone();
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("Profile").strong().size(14.0));
        egui::ComboBox::from_id_salt("check-profile")
            .selected_text(&list.profile_name)
            .width(220.0)
            .show_ui(ui, |ui| {
                for (id, name) in &list.profiles {
                    ui.selectable_value(&mut chosen, id.clone(), name);
                }
            })
            .response
            .labelled_by(label.id);
    });
    // Two lines per item (grade and name, then the evidence, wrapped), so nothing runs out
    // of the panel at its narrowest; tight spacing keeps the list short.
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing.y = 0.0;
        for item in &list.items {
            let (glyph, text, color) = super::glance::mark(item.status);
            let color = color.unwrap_or_else(|| ui.visuals().weak_text_color());
            ui.horizontal(|ui| {
                ui.add_sized([44.0, 14.0], |ui: &mut egui::Ui| {
                    ui.label(
                        RichText::new(format!("{glyph} {text}"))
                            .size(12.0)
                            .strong()
                            .color(color),
                    )
                })
                .on_hover_text(&item.source);
                ui.label(&item.label).on_hover_text(&item.source);
            });
            ui.horizontal_wrapped(|ui| {
                ui.add_space(40.0);
                ui.label(RichText::new(&item.evidence).small().weak());
            });
            ui.add_space(3.0);
        }
    });
    (chosen != list.profile_id).then_some(chosen)
}

/// What the compare panel's buttons asked for.
#[derive(Debug, Default)]
pub struct CompareClicks {
    pub freeze: bool,
    pub clear: bool,
    pub select: Option<String>,
}

/// Snapshot and compare: a button that freezes the mix's readings as a version (kept with the
/// project), the version compared with (pick among those kept), then the live mix against it,
/// notable differences first (each exposed to screen readers as "Difference N").
pub fn compare_panel(ui: &mut egui::Ui, view: &View) -> CompareClicks {
    let mut clicks = CompareClicks::default();
    ui.horizontal(|ui| {
        let label = if view.compare.is_some() {
            "Freeze again"
        } else {
            "Freeze this mix"
        };
        clicks.freeze = ui
            .button(label)
            .on_hover_text("keep every reading of the mix as it is now, to compare with (saved with the project)")
            .clicked();
        if view.compare.is_some() {
            clicks.clear = ui
                .button("Forget")
                .on_hover_text("forget the version compared with")
                .clicked();
        }
    });
    if let Some(error) = &view.compare_error {
        ui.label(RichText::new(error).small().color(BAD_COLOR));
    }
    let Some(c) = &view.compare else {
        ui.label(
            RichText::new("freeze a version, change the mix, and see what moved")
                .small()
                .weak(),
        );
        return clicks;
    };
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("now against").small());
        let mut selected = c.name.clone();
        egui::ComboBox::from_id_salt("compare-version")
            .selected_text(&selected)
            .width(56.0)
            .show_ui(ui, |ui| {
                for name in &c.versions {
                    ui.selectable_value(&mut selected, name.clone(), name);
                }
            })
            .response
            .labelled_by(label.id);
        if selected != c.name {
            clicks.select = Some(selected);
        }
        ui.label(
            RichText::new(format!(
                "(frozen after {})",
                super::format_duration(c.measured_s)
            ))
            .small(),
        );
    });
    let notable: Vec<_> = c.differences.iter().filter(|d| d.notable).collect();
    if notable.is_empty() {
        ui.label(RichText::new("no notable difference").small().weak());
    }
    for (i, d) in notable.iter().enumerate() {
        list_item(ui, &format!("Difference {}", i + 1), &d.describe(), d.delta);
    }
    let same = c.differences.len() - notable.len();
    ui.label(
        RichText::new(format!(
            "{same} other readings unchanged (within 0.5 dB or LU, 0.1 of correlation)"
        ))
        .small()
        .weak(),
    );
    clicks
}

/// What the report panel's controls asked for.
#[derive(Debug, Default)]
pub struct ReportClicks {
    /// The folder text as edited (when changed), and "Use" clicked.
    pub text: Option<String>,
    pub use_folder: bool,
    /// The switch flipped to this.
    pub enabled: Option<bool>,
}

/// The status line of the last render: the report written, or why not.
pub fn report_status(report: &crate::report::LastReport) -> (String, bool) {
    use crate::report::Outcome;
    match &report.outcome {
        Outcome::Written { json, .. } => (
            format!(
                "last: {} ({} LUFS, {} dBTP, {})",
                json.file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
                format_reading(report.integrated_lufs),
                format_reading(report.true_peak_dbtp),
                super::format_duration(report.duration_s)
            ),
            true,
        ),
        Outcome::Failed(error) => (format!("last render: report NOT written: {error}"), false),
        Outcome::NotReported(skip) => {
            (format!("last render not reported: {}", skip.reason()), true)
        }
    }
}

/// Render reports: the on/off switch (saved with the project), the folder they go to
/// (editable; "Use" keeps it in the project), when they are written, and the last report's
/// file and main numbers, or why it was not written.
pub fn report_panel(ui: &mut egui::Ui, view: &View) -> ReportClicks {
    let mut clicks = ReportClicks::default();
    ui.horizontal(|ui| {
        heading(ui, "Render reports");
        let mut on = view.reports_enabled;
        let label = if on { "on" } else { "off" };
        if ui
            .checkbox(&mut on, label)
            .on_hover_text("write a JSON and PNG report of each offline render (export/bounce)")
            .changed()
        {
            clicks.enabled = Some(on);
        }
    });
    let mut text = view.report_folder_text.clone();
    ui.horizontal(|ui| {
        let label = ui.label("Folder");
        ui.add(egui::TextEdit::singleline(&mut text).desired_width(200.0))
            .labelled_by(label.id);
        clicks.use_folder = ui
            .add_enabled(text.trim() != view.report_folder, egui::Button::new("Use"))
            .clicked();
    });
    clicks.text = (text != view.report_folder_text).then_some(text);
    let when = if view.reports_enabled {
        format!(
            "written after each offline render (export) of {:.0} s or more, played once through; at most {} kept",
            crate::report::MIN_RENDER_S,
            crate::report::files::MAX_REPORTS
        )
    } else {
        "off: no report is written".to_string()
    };
    ui.label(RichText::new(when).small().weak());
    let Some(report) = &view.last_report else {
        return clicks;
    };
    let (line, ok) = report_status(report);
    let color = if ok {
        ui.visuals().text_color()
    } else {
        BAD_COLOR
    };
    let response = ui.label(RichText::new(&line).size(12.0).color(color));
    if let crate::report::Outcome::Written { json, png } = &report.outcome {
        response.on_hover_text(format!("{}\n{}", json.display(), png.display()));
    }
    clicks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_texts() {
        assert_eq!(balance_text(Some(0.31)), "L +0.3 dB");
        assert_eq!(balance_text(Some(-1.24)), "R +1.2 dB");
        assert_eq!(balance_text(Some(0.01)), "centre");
        assert_eq!(balance_text(None), "—");
        assert_eq!(correlation_text(Some(-0.004)), "+0.00");
        assert_eq!(correlation_text(Some(0.618)), "+0.62");
        assert_eq!(correlation_text(Some(f64::NAN)), "—");
    }
}
