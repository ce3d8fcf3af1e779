//! The scrolling loudness history: momentary and short-term loudness every 100 ms (from the
//! meter through the bridge's ring, see [`crate::bridge`]), the last 30 s to 10 minutes.
//!
//! Drawing decimates to the plot's pixel columns: each column shows the highest momentary and
//! the last short-term value of the points it covers (the momentary line keeps its peaks
//! whatever the zoom): one pass over at most 6000 points, made only when the history, the zoom
//! or the plot's size changed ([`LoudnessHistory::generation`]); the lines are painted from
//! their cached mesh in the frames between (`super::mesh_cache`).

use super::format::format_reading;
use super::mesh_cache::{RectKey, paint_cached};
use super::meters::{MOMENTARY_COLOR, SHORT_TERM_COLOR, TARGET_COLOR};
use crate::bridge::{HISTORY_POINTS, MeterOutput};
use crate::meter::engine::LoudnessPoint;
use crate::params::HISTORY_ZOOM_CHOICES_S;
use egui::{Pos2, Rect, RichText, Sense, Shape, Stroke, Vec2};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

/// Points per second of history.
pub const POINTS_PER_SECOND: usize = 10;
/// The history plot's loudness range, LUFS.
pub const TOP_LUFS: f32 = 0.0;
pub const BOTTOM_LUFS: f32 = -48.0;

/// The editor's copy of the history (GUI thread).
#[derive(Debug, Clone, Default)]
pub struct LoudnessHistory {
    points: VecDeque<LoudnessPoint>,
    next: u64,
    /// Changes whenever `points` do (see [`Self::generation`]).
    generation: u64,
}

/// The last generation handed out, for all histories: two histories share a generation only
/// when one is a copy of the other (or both are new and empty).
static LAST_GENERATION: AtomicU64 = AtomicU64::new(0);

impl LoudnessHistory {
    pub fn new() -> Self {
        Self::default()
    }

    /// A history holding `points` (oldest first), for tests and benches.
    pub fn from_points(points: impl IntoIterator<Item = LoudnessPoint>) -> Self {
        let mut history = Self::new();
        history.extend(points);
        history
    }

    /// Appends points, keeping the last [`HISTORY_POINTS`].
    pub fn extend(&mut self, points: impl IntoIterator<Item = LoudnessPoint>) {
        let before = self.points.len();
        self.points.extend(points);
        let excess = self.points.len().saturating_sub(HISTORY_POINTS);
        self.points.drain(..excess);
        if self.points.len() != before || excess > 0 {
            self.changed();
        }
    }

    /// Copies what is new from the bridge. After a gap (points no longer kept) the history
    /// starts again from what is there.
    pub fn update(&mut self, meter: &MeterOutput) {
        let mut fresh = Vec::new();
        if !meter.read_history(&mut self.next, &mut fresh) && !self.points.is_empty() {
            self.points.clear();
            self.changed();
        }
        self.extend(fresh);
    }

    /// A number that changes whenever the points do, different from every other history's
    /// (what the drawing's cache is keyed on).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn changed(&mut self) {
        self.generation = LAST_GENERATION.fetch_add(1, Ordering::Relaxed) + 1;
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn latest(&self) -> Option<LoudnessPoint> {
        self.points.back().copied()
    }

    /// The last `seconds` of history, oldest first.
    pub fn window(&self, seconds: u32) -> impl Iterator<Item = &LoudnessPoint> {
        let n = (seconds as usize * POINTS_PER_SECOND).min(self.points.len());
        self.points.range(self.points.len() - n..)
    }
}

/// One pixel column of the decimated history: the highest momentary and the last short-term
/// value of its points (`-inf`: no value), or `None` for a column before the history starts.
pub type Column = Option<(f32, f32)>;

/// Decimates the last `seconds` of `history` to `columns` columns, the newest at the right.
pub fn decimate(history: &LoudnessHistory, seconds: u32, columns: usize) -> Vec<Column> {
    let span = seconds as usize * POINTS_PER_SECOND;
    let mut out = vec![None; columns];
    if columns == 0 || span == 0 {
        return out;
    }
    let available = history.points.len().min(span);
    // Point k of the span (0 = oldest of the window, span - 1 = newest) goes to column
    // k * columns / span; the history fills the span's right end.
    let offset = span - available;
    for (i, p) in history.window(seconds).enumerate() {
        let column = ((offset + i) * columns / span).min(columns - 1);
        let m = if p.momentary_lufs.is_nan() {
            f32::NEG_INFINITY
        } else {
            p.momentary_lufs
        };
        let s = if p.short_term_lufs.is_nan() {
            f32::NEG_INFINITY
        } else {
            p.short_term_lufs
        };
        out[column] = Some(match out[column] {
            Some((m0, _)) => (m0.max(m), s),
            None => (m, s),
        });
    }
    out
}

fn y_of(rect: Rect, lufs: f32) -> f32 {
    let f = ((lufs - BOTTOM_LUFS) / (TOP_LUFS - BOTTOM_LUFS)).clamp(0.0, 1.0);
    rect.bottom() - f * rect.height()
}

/// Zoom label.
pub fn zoom_label(seconds: u32) -> String {
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min", seconds / 60)
    }
}

/// Below this width (points) the history's header leaves out its legend.
const HISTORY_LEGEND_MIN_WIDTH: f32 = 520.0;

/// Draws the history with its zoom buttons in `height` pixels; returns a new zoom when the
/// user picked one.
pub fn draw_history(
    ui: &mut egui::Ui,
    history: &LoudnessHistory,
    seconds: u32,
    target_lufs: Option<f64>,
    height: f32,
) -> Option<u32> {
    let mut zoom = None;
    ui.horizontal(|ui| {
        // Narrow (the smallest editor): a short title, the legend on its hover.
        if ui.available_width() >= HISTORY_LEGEND_MIN_WIDTH {
            ui.label(RichText::new("Loudness history").strong());
            ui.label(RichText::new("— momentary").color(MOMENTARY_COLOR).small());
            ui.label(
                RichText::new("— short-term")
                    .color(SHORT_TERM_COLOR)
                    .small(),
            );
        } else {
            ui.label(RichText::new("History").strong())
                .on_hover_text("Loudness history: momentary (blue) and short-term (green)");
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.spacing_mut().item_spacing.x = 2.0;
            for &choice in HISTORY_ZOOM_CHOICES_S.iter().rev() {
                if ui
                    .selectable_label(choice == seconds, zoom_label(choice))
                    .clicked()
                    && choice != seconds
                {
                    zoom = Some(choice);
                }
            }
        });
    });
    let width = ui.available_width().max(100.0);
    let (rect, response) =
        ui.allocate_exact_size(Vec2::new(width, (height - 24.0).max(60.0)), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    let weak = ui.visuals().weak_text_color();
    let font = egui::FontId::proportional(10.0);
    for lufs in [-6.0, -12.0, -18.0, -24.0, -30.0, -36.0, -42.0] {
        let y = y_of(rect, lufs);
        painter.line_segment(
            [Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
            Stroke::new(0.5, ui.visuals().faint_bg_color),
        );
        painter.text(
            Pos2::new(rect.left() + 2.0, y),
            egui::Align2::LEFT_BOTTOM,
            format!("{lufs:.0}"),
            font.clone(),
            weak,
        );
    }
    if let Some(target) = target_lufs.filter(|t| t.is_finite()) {
        let y = y_of(rect, target as f32);
        let dash = Shape::dashed_line(
            &[Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
            Stroke::new(1.0, TARGET_COLOR),
            6.0,
            4.0,
        );
        painter.extend(dash);
    }
    // The lines depend on the points, the zoom and the plot's rectangle only.
    let key = (history.generation(), seconds, RectKey(rect));
    paint_cached(&painter, key, || history_lines(history, seconds, rect));
    painter.text(
        Pos2::new(rect.right() - 4.0, rect.bottom() - 2.0),
        egui::Align2::RIGHT_BOTTOM,
        format!("−{} … now", zoom_label(seconds)),
        font,
        weak,
    );
    // Said only when a screen reader asks (the closure runs only with AccessKit on).
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Image, true, history_summary(history, seconds))
    });
    zoom
}

/// The momentary and short-term lines of the last `seconds` of `history` in `rect`, one
/// point per pixel column ([`decimate`]).
fn history_lines(history: &LoudnessHistory, seconds: u32, rect: Rect) -> Vec<Shape> {
    let columns = decimate(history, seconds, rect.width().max(1.0) as usize);
    let step = rect.width() / columns.len().max(1) as f32;
    let x_of = |c: usize| rect.left() + (c as f32 + 0.5) * step;
    let mut shapes = Vec::new();
    for (pick, color, width) in [
        (0usize, MOMENTARY_COLOR, 1.0f32),
        (1usize, SHORT_TERM_COLOR, 2.0f32),
    ] {
        let mut line: Vec<Pos2> = Vec::new();
        for (c, column) in columns.iter().enumerate() {
            // A column no point falls in (zoomed in, or before the history) is skipped; a
            // point without a value (silence) breaks the line.
            let Some((m, s)) = column else { continue };
            let value = if pick == 0 { *m } else { *s };
            match Some(value).filter(|v| v.is_finite() && *v > BOTTOM_LUFS) {
                Some(v) => line.push(Pos2::new(x_of(c), y_of(rect, v))),
                None => {
                    if line.len() > 1 {
                        shapes.push(Shape::line(
                            std::mem::take(&mut line),
                            Stroke::new(width, color),
                        ));
                    }
                    line.clear();
                }
            }
        }
        if line.len() > 1 {
            shapes.push(Shape::line(line, Stroke::new(width, color)));
        }
    }
    shapes
}

/// One line describing the history for screen readers: the window, the latest short-term value
/// and the short-term range shown.
pub fn history_summary(history: &LoudnessHistory, seconds: u32) -> String {
    let values: Vec<f64> = history
        .window(seconds)
        .map(|p| p.short_term_lufs as f64)
        .filter(|v| v.is_finite())
        .collect();
    let latest = history
        .latest()
        .map(|p| p.short_term_lufs as f64)
        .filter(|v| v.is_finite());
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.is_empty() {
        format!("Loudness history, last {}: no signal", zoom_label(seconds))
    } else {
        format!(
            "Loudness history, last {}: short-term now {} LUFS, from {} to {} LUFS",
            zoom_label(seconds),
            format_reading(latest),
            format_reading(Some(low)),
            format_reading(Some(high))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(m: f32, s: f32) -> LoudnessPoint {
        LoudnessPoint {
            momentary_lufs: m,
            short_term_lufs: s,
        }
    }

    #[test]
    fn decimation_keeps_momentary_peaks_and_the_newest_point_at_the_right() {
        // 60 s of -20, with one 100 ms momentary peak at -6 in the middle.
        let mut points = vec![point(-20.0, -21.0); 600];
        points[300] = point(-6.0, -19.0);
        let history = LoudnessHistory::from_points(points);
        let columns = decimate(&history, 60, 50);
        assert_eq!(columns.len(), 50);
        let peak = columns.iter().filter(|c| c.unwrap().0 == -6.0).count();
        assert_eq!(peak, 1, "the peak survives decimation by 12");
        assert_eq!(columns[49], Some((-20.0, -21.0)));
        // A 2-minute window over 60 s of history: the left half is empty.
        let columns = decimate(&history, 120, 100);
        assert!(columns[..50].iter().all(Option::is_none));
        assert!(columns[50..].iter().all(Option::is_some));
        // More columns than points: each point lands in its own column (the first of the two
        // its 100 ms cover; the drawing joins points across empty columns).
        let short = LoudnessHistory::from_points(vec![point(-10.0, -10.0); 5]);
        let columns = decimate(&short, 30, 600);
        assert_eq!(columns.iter().filter(|c| c.is_some()).count(), 5);
        assert!(columns[598].is_some() && columns[590].is_some());
    }

    #[test]
    fn the_generation_changes_with_the_points_and_only_then() {
        let mut history = LoudnessHistory::from_points(vec![point(-20.0, -21.0); 10]);
        let filled = history.generation();
        let copy = history.clone();
        assert_eq!(copy.generation(), filled, "a copy draws the same");
        history.extend(std::iter::empty());
        assert_eq!(
            history.generation(),
            filled,
            "nothing new, nothing to redraw"
        );
        history.extend([point(-10.0, -20.0)]);
        let grown = history.generation();
        assert_ne!(grown, filled);
        // A full history that takes a point drops one: another generation.
        let mut full = LoudnessHistory::from_points(vec![point(-20.0, -21.0); HISTORY_POINTS]);
        let before = full.generation();
        full.extend([point(-20.0, -21.0)]);
        assert_eq!(full.len(), HISTORY_POINTS);
        assert_ne!(full.generation(), before);
        // Another history with the same number of points is not taken for this one.
        let other = LoudnessHistory::from_points(vec![point(-30.0, -31.0); 11]);
        assert_ne!(other.generation(), grown);
    }

    #[test]
    fn the_history_keeps_ten_minutes_and_summarises_what_it_shows() {
        let mut history = LoudnessHistory::new();
        history.extend((0..7000).map(|i| point(-30.0 + (i % 10) as f32, -25.0)));
        assert_eq!(history.len(), HISTORY_POINTS);
        assert_eq!(history.window(30).count(), 300);
        assert_eq!(history.window(600).count(), 6000);
        assert_eq!(
            history_summary(&history, 30),
            "Loudness history, last 30 s: short-term now -25.0 LUFS, from -25.0 to -25.0 LUFS"
        );
        let silent = LoudnessHistory::from_points(vec![LoudnessPoint::SILENT; 10]);
        assert_eq!(
            history_summary(&silent, 120),
            "Loudness history, last 2 min: no signal"
        );
        assert!(decimate(&silent, 120, 10)[9].unwrap().0.is_infinite());
    }
}
