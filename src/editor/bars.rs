//! The left column: the loudness bars and a true-peak bar per channel of the layout, with
//! their clip latches and held values ([`super::meters`] draws the bars themselves).

use super::meters::{
    Bar, CEILING_COLOR, MOMENTARY_COLOR, PEAK_COLOR, PRE_MASTER_CEILING_DBTP, SHORT_TERM_COLOR,
    TARGET_COLOR, clip_button, draw_bars,
};
use super::{
    Actions, STREAMING_CEILING_DBTP, View, WARNING_COLOR, access, channel_caption, channel_name,
    format_db, panels,
};
use crate::bridge::PLUGIN_CHANNELS;
use egui::{Align, Layout, Pos2, Rect, RichText, UiBuilder};

pub(super) fn bars_column(ui: &mut egui::Ui, view: &View, actions: &mut Actions) {
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
