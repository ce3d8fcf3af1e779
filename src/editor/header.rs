//! The header across the top: the target, the measurement controls, the mono check (or the
//! fold-down on surround buses) and the status line.

use super::meters::TARGET_COLOR;
use super::{Actions, MONO_ENGAGED_COLOR, View, WARNING_COLOR, format_duration, surround_name};
use crate::bridge::Command;
use crate::meter::fold::FoldTarget;
use egui::{Align, Color32, Layout, RichText, Vec2};

/// Width the header keeps for the mono check and its level-match box, logical pixels.
const MONO_CONTROLS_WIDTH: f32 = 320.0;

pub(super) fn header(ui: &mut egui::Ui, view: &View, actions: &mut Actions) {
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
        // Flat tops: something before this insert clips (crate::meter::clips).
        if r.clipped_runs > 0 {
            let runs = if r.clipped_runs == 1 {
                "1 clipped run".to_string()
            } else {
                format!("{} clipped runs", r.clipped_runs)
            };
            // Short, so that it fits beside the other notes at the smallest size; the hover
            // says what it is.
            ui.label(
                RichText::new(format!("{runs} (longest {})", r.longest_clipped_run))
                    .color(WARNING_COLOR),
            )
            .on_hover_text(format!(
                "Flat tops in the input: runs of 3 or more equal samples at -3 dBFS or above, \
                 the longest {} samples. A clipper, a bus over 0 dBFS or a fixed-point bounce \
                 cut the waveform before this insert.",
                r.longest_clipped_run
            ));
        }
    });
}
