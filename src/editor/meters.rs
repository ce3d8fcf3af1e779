//! The level bars (momentary, short-term, true peak per channel), their scale and ballistics,
//! and the clip latch. Everything that changes with time is a pure function of the previous
//! state, the new value and the elapsed time, so it behaves alike at any frame rate.
//!
//! Ballistics: the true-peak bars rise at once and fall at [`PEAK_FALL_DB_PER_S`] (IEC
//! 60268-10 Type I programme meters return 20 dB in 1.7 s); the held peak (a tick and the
//! number) is [`super::hold`]'s. Momentary and short-term loudness are already time averages
//! (400 ms and 3 s, BS.1770-5 / EBU Tech 3341), so their bars show them as they are.

use super::format::format_db;
use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Vec2};

/// Return speed of the true-peak bars, dB per second (20 dB in 1.7 s).
pub const PEAK_FALL_DB_PER_S: f32 = 20.0 / 1.7;
/// True peak above this latches the clip indicator, dBTP: a sample over full scale after
/// reconstruction clips in the converter or the encoder.
pub const CLIP_THRESHOLD_DBTP: f32 = 0.0;
/// The streaming ceiling (most platforms' maximum true peak), dBTP.
pub const STREAMING_CEILING_DBTP: f32 = -1.0;
/// The pre-master ceiling (headroom left for mastering), dBTP.
pub const PRE_MASTER_CEILING_DBTP: f32 = -3.0;

/// Bar colours (distinct from the spectrum's and the stereo view's line colours).
pub use super::palette::{
    CEILING_COLOR, MOMENTARY_COLOR, PEAK_COLOR, SHORT_TERM_COLOR, TARGET_COLOR,
};
pub const CLIP_COLOR: Color32 = super::palette::BAD_COLOR;

/// A vertical dB scale from `bottom_db` to `top_db`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarScale {
    pub bottom_db: f32,
    pub top_db: f32,
}

/// The scale of every bar: LUFS and dBTP share the dB axis (both relative to full scale), so
/// the target and the ceilings line up across the bars.
pub const LEVEL_SCALE: BarScale = BarScale {
    bottom_db: -48.0,
    top_db: 3.0,
};

impl BarScale {
    /// Height fraction of a value (0 at the bottom, 1 at the top), clamped; no value (`-inf`,
    /// NaN) is 0.
    pub fn fraction(&self, db: f32) -> f32 {
        if db.is_nan() {
            return 0.0;
        }
        ((db - self.bottom_db) / (self.top_db - self.bottom_db)).clamp(0.0, 1.0)
    }

    /// The y coordinate of a value in `rect`.
    pub fn y(&self, rect: Rect, db: f32) -> f32 {
        rect.bottom() - self.fraction(db) * rect.height()
    }

    /// Tick values every `step_db` from the top multiple of the step down to the bottom.
    pub fn ticks(&self, step_db: f32) -> impl Iterator<Item = f32> + '_ {
        let first = (self.top_db / step_db).floor() as i32;
        let last = (self.bottom_db / step_db).ceil() as i32;
        (last..=first).rev().map(move |k| k as f32 * step_db)
    }
}

/// A falling peak bar: rises at once, falls at [`PEAK_FALL_DB_PER_S`].
pub fn fall_peak(previous_db: f32, new_db: f32, elapsed_s: f32) -> f32 {
    let elapsed_s = if elapsed_s.is_finite() {
        elapsed_s.max(0.0)
    } else {
        0.0
    };
    let new_db = if new_db.is_nan() {
        f32::NEG_INFINITY
    } else {
        new_db
    };
    if new_db >= previous_db || previous_db.is_nan() {
        return new_db;
    }
    let fallen = previous_db - PEAK_FALL_DB_PER_S * elapsed_s;
    // Below the scale the bar is empty: let it reach "no value".
    if fallen < LEVEL_SCALE.bottom_db {
        new_db
    } else {
        fallen.max(new_db)
    }
}

/// The clip indicator of one channel: the highest true peak over [`CLIP_THRESHOLD_DBTP`]
/// since it was last cleared (by a click).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClipLatch {
    pub over_db: Option<f32>,
}

impl ClipLatch {
    /// Takes in the highest true peak since the last call.
    pub fn update(&mut self, true_peak_db: f32) {
        if true_peak_db > CLIP_THRESHOLD_DBTP {
            self.over_db = Some(self.over_db.map_or(true_peak_db, |o| o.max(true_peak_db)));
        }
    }

    pub fn clear(&mut self) {
        self.over_db = None;
    }
}

/// One bar to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Caption under the bar ("M", "S", "L", "R").
    pub caption: &'static str,
    /// Name for screen readers ("Momentary bar", ...).
    pub name: String,
    pub value_db: f32,
    /// A tick above the bar (held peak), if any.
    pub hold_db: Option<f32>,
    pub color: Color32,
    /// Horizontal marks across this bar: (value, colour, label).
    pub marks: Vec<(f32, Color32, String)>,
}

/// More bars than this (a surround bus: M, S and 5 to 12 channels) are drawn compact.
pub const MANY_BARS: usize = 4;

/// Draws the bars side by side in `rect` with the scale on the left; returns nothing (bars are
/// read-only). Each bar is exposed to screen readers with its value.
pub fn draw_bars(ui: &mut egui::Ui, rect: Rect, bars: &[Bar]) {
    let painter = ui.painter_at(rect);
    let scale_width = 26.0;
    let caption_height = if bars.len() > MANY_BARS { 24.0 } else { 16.0 };
    let plot = Rect::from_min_max(
        Pos2::new(rect.left() + scale_width, rect.top() + 6.0),
        Pos2::new(rect.right(), rect.bottom() - caption_height),
    );
    let text_color = ui.visuals().weak_text_color();
    let font = egui::FontId::proportional(10.0);
    for tick in LEVEL_SCALE.ticks(6.0) {
        let y = LEVEL_SCALE.y(plot, tick);
        painter.text(
            Pos2::new(rect.left() + scale_width - 4.0, y),
            egui::Align2::RIGHT_CENTER,
            format!("{tick:.0}"),
            font.clone(),
            text_color,
        );
        painter.line_segment(
            [Pos2::new(plot.left(), y), Pos2::new(plot.right(), y)],
            Stroke::new(0.5, ui.visuals().faint_bg_color),
        );
    }
    let n = bars.len().max(1) as f32;
    // A surround bus's many bars sit closer, with smaller captions, staggered on two rows
    // when a caption is wider than its bar.
    let many = bars.len() > MANY_BARS;
    let gap = if many { 2.0 } else { 6.0 };
    let width = ((plot.width() - gap * (n - 1.0)) / n).max(4.0);
    let caption_size = if many { 10.0 } else { 12.0 };
    let stagger = many && width < 18.0;
    for (i, bar) in bars.iter().enumerate() {
        let x0 = plot.left() + i as f32 * (width + gap);
        let column =
            Rect::from_min_size(Pos2::new(x0, plot.top()), Vec2::new(width, plot.height()));
        painter.rect_filled(column, 0.0, ui.visuals().extreme_bg_color);
        if bar.value_db.is_finite() {
            let top = LEVEL_SCALE.y(column, bar.value_db);
            painter.rect_filled(
                Rect::from_min_max(Pos2::new(column.left(), top), column.max),
                0.0,
                bar.color,
            );
        }
        if let Some(hold) = bar.hold_db.filter(|h| h.is_finite()) {
            let y = LEVEL_SCALE.y(column, hold);
            painter.line_segment(
                [Pos2::new(column.left(), y), Pos2::new(column.right(), y)],
                Stroke::new(2.0, ui.visuals().strong_text_color()),
            );
        }
        for (value, color, label) in &bar.marks {
            let y = LEVEL_SCALE.y(column, *value);
            painter.line_segment(
                [
                    Pos2::new(column.left() - 2.0, y),
                    Pos2::new(column.right() + 2.0, y),
                ],
                Stroke::new(1.5, *color),
            );
            // A mark shared by neighbouring bars is labelled once, on the last of them.
            let next_has_it = bars
                .get(i + 1)
                .is_some_and(|b| b.marks.iter().any(|m| &m.2 == label));
            if !label.is_empty() && !next_has_it {
                painter.text(
                    Pos2::new(column.right(), y - 1.0),
                    egui::Align2::RIGHT_BOTTOM,
                    label,
                    font.clone(),
                    *color,
                );
            }
        }
        let caption_y = if stagger && i % 2 == 1 {
            rect.bottom() - caption_height / 4.0
        } else if stagger {
            rect.bottom() - caption_height * 3.0 / 4.0
        } else {
            rect.bottom() - caption_height / 2.0
        };
        painter.text(
            Pos2::new(column.center().x, caption_y),
            egui::Align2::CENTER_CENTER,
            bar.caption,
            egui::FontId::proportional(caption_size),
            ui.visuals().text_color(),
        );
        let response = ui.interact(column, ui.auto_id_with(("bar", i)), Sense::hover());
        let name = bar.name.clone();
        let text = format_db(bar.value_db);
        let value = bar.value_db;
        response.widget_info(|| {
            let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, &name);
            info.current_text_value = Some(text.clone());
            info.value = value.is_finite().then_some(value as f64);
            info
        });
        // The loudness bars read LUFS, the others true peak.
        let unit = if bar.hold_db.is_some() {
            "dBTP"
        } else {
            "LUFS"
        };
        super::access::set_unit(ui.ctx(), response.id, unit);
    }
}

/// The clip indicator of one channel as a button: lit (with the overshoot) while latched,
/// dim otherwise; a click clears it. Returns true when clicked.
pub fn clip_button(ui: &mut egui::Ui, channel: &str, latch: ClipLatch, width: f32) -> bool {
    let (text, fill, color) = match latch.over_db {
        Some(over) => (
            format!("CLIP {}", format_db(over)),
            CLIP_COLOR,
            Color32::WHITE,
        ),
        None => (
            "clip".to_string(),
            ui.visuals().widgets.inactive.bg_fill,
            ui.visuals().weak_text_color(),
        ),
    };
    let response = ui.add(
        egui::Button::new(RichText::new(&text).size(11.0).strong().color(color))
            .fill(fill)
            .min_size(Vec2::new(width, 20.0)),
    );
    let label = format!("{channel} clip");
    let spoken = match latch.over_db {
        Some(over) => format!(
            "clipped, true peak {} dBTP; click to clear",
            format_db(over)
        ),
        None => "no clip".to_string(),
    };
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(egui::Role::Button, true, &label);
        info.current_text_value = Some(spoken.clone());
        info
    });
    response
        .on_hover_text("Latched true peak over 0 dBTP; click to clear")
        .clicked()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_maps_values_and_clamps_what_is_outside() {
        assert_eq!(LEVEL_SCALE.fraction(-48.0), 0.0);
        assert_eq!(LEVEL_SCALE.fraction(3.0), 1.0);
        assert!((LEVEL_SCALE.fraction(-22.5) - 0.5).abs() < 1e-6);
        assert_eq!(LEVEL_SCALE.fraction(f32::NEG_INFINITY), 0.0);
        assert_eq!(LEVEL_SCALE.fraction(f32::NAN), 0.0);
        assert_eq!(LEVEL_SCALE.fraction(40.0), 1.0);
        let rect = Rect::from_min_size(Pos2::new(0.0, 100.0), Vec2::new(10.0, 510.0));
        assert!((LEVEL_SCALE.y(rect, -14.0) - (100.0 + 170.0)).abs() < 1e-3);
        let ticks: Vec<f32> = LEVEL_SCALE.ticks(6.0).collect();
        assert_eq!(
            ticks,
            vec![0.0, -6.0, -12.0, -18.0, -24.0, -30.0, -36.0, -42.0, -48.0]
        );
    }

    #[test]
    fn peak_bars_fall_at_the_same_speed_whatever_the_frame_rate() {
        for frame_s in [1.0 / 144.0, 1.0 / 30.0, 0.2] {
            let mut bar = fall_peak(f32::NEG_INFINITY, -1.0, frame_s);
            assert_eq!(bar, -1.0, "rises at once");
            let mut t = 0.0;
            while t < 0.85 - 1e-6 {
                bar = fall_peak(bar, -40.0, frame_s);
                t += frame_s;
            }
            let expected = -1.0 - PEAK_FALL_DB_PER_S * t;
            assert!((bar - expected).abs() < 1e-3, "{bar} after {t} s");
            // 20 dB in 1.7 s.
            assert!((PEAK_FALL_DB_PER_S * 1.7 - 20.0).abs() < 1e-4);
        }
        // Never below the signal, and silence empties the bar once it leaves the scale.
        assert_eq!(fall_peak(-10.0, -10.5, 1.0), -10.5);
        assert_eq!(fall_peak(-45.0, f32::NEG_INFINITY, 1.0), f32::NEG_INFINITY);
        assert_eq!(
            fall_peak(-6.0, f32::NAN, 0.1),
            -6.0 - PEAK_FALL_DB_PER_S * 0.1
        );
        assert_eq!(fall_peak(-6.0, -20.0, f32::NAN), -6.0);
    }

    #[test]
    fn the_clip_latch_holds_the_worst_overshoot_until_cleared() {
        let mut latch = ClipLatch::default();
        latch.update(-0.1);
        latch.update(0.0);
        assert_eq!(latch.over_db, None, "0 dBTP itself does not clip");
        latch.update(0.4);
        latch.update(-30.0);
        latch.update(0.2);
        assert_eq!(latch.over_db, Some(0.4));
        latch.update(1.3);
        assert_eq!(latch.over_db, Some(1.3));
        latch.update(f32::NAN);
        assert_eq!(latch.over_db, Some(1.3));
        latch.clear();
        assert_eq!(latch.over_db, None);
    }
}
