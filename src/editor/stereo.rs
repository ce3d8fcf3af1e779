//! The stereo view: a vectorscope, correlation, width and mono loss per band (live, with the
//! whole measurement marked), and the mono-compatibility verdict with its suggestions.
//!
//! Plain values in ([`StereoData`], built by [`stereo_data`] from the bridge's snapshot and
//! vectorscope frame), widgets out. The vectorscope is drawn as a goniometer: mid (L+R) up,
//! side (L-R) across, so a mono signal is a vertical line, one channel alone a diagonal, and
//! opposite polarity a horizontal line. It is auto-scaled (the loudest point of the frame
//! reaches 90 % of the radius, magnified at most [`MAX_SCOPE_ZOOM_DB`]) and says so.

use super::format::{NO_VALUE, format_db, format_reading};
use super::panels::correlation_text;
use crate::bridge::{ScopeFrame, StereoSnapshot};
use crate::diagnosis::stereo::{
    Mix, MonoCompatibility, StereoBand, Verdict, format_range, mono_compatibility,
};
use crate::meter::engine::Readings;
use crate::meter::stereo::{BAND_EDGES_HZ, BANDS};
use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Vec2};

/// The vectorscope magnifies quiet material at most this much, dB.
pub const MAX_SCOPE_ZOOM_DB: f32 = 30.0;
/// Largest vectorscope size; it shrinks to a third of a narrow view.
const SCOPE_SIZE: f32 = 230.0;
const BAR_WIDTH: f32 = 110.0;
/// Height of a band row (and of the table's header row) where the pane has room: egui's
/// interaction height, as the rows had before they were fitted.
pub const BAND_ROW_HEIGHT: f32 = 20.0;
/// The least height of a band row: the correlation bar's height, still legible.
pub const BAND_ROW_MIN_HEIGHT: f32 = 14.0;
/// The bands' monospace text size where the rows have their full height, points.
const BAND_TEXT_SIZE: f32 = 12.0;
/// A monospace line's height over its font size (egui's monospace font).
const LINE_HEIGHT_PER_SIZE: f32 = 1.25;
const BAND_ROW_SPACING: f32 = 1.0;
const NEGATIVE_COLOR: Color32 = super::palette::BAD_COLOR;
const POSITIVE_COLOR: Color32 = super::palette::GOOD_COLOR;
const CAUTION_COLOR: Color32 = super::palette::CAUTION_COLOR;
const SCOPE_COLOR: Color32 = Color32::from_rgb(0x7F, 0xD4, 0xFF);

/// What the stereo view draws.
#[derive(Debug, Clone, PartialEq)]
pub struct StereoData {
    /// Live (3 s) readings per band.
    pub live: MonoCompatibility,
    /// Whole measurement: the verdict and suggestions shown.
    pub whole: MonoCompatibility,
    /// Vectorscope points (L, R), oldest first.
    pub points: Vec<[f32; 2]>,
}

/// Builds the view's data from a snapshot and the latest vectorscope frame; `None` for a
/// mono layout.
pub fn stereo_data(
    stereo: Option<&StereoSnapshot>,
    readings: &Readings,
    scope: &ScopeFrame,
) -> Option<StereoData> {
    let stereo = stereo?;
    Some(StereoData {
        live: mono_compatibility(&stereo.live, &Mix::live(readings)),
        whole: mono_compatibility(&stereo.whole, &Mix::whole(readings)),
        points: scope.points[..scope.count.min(scope.points.len())].to_vec(),
    })
}

/// Goniometer coordinates of a point: (side, mid), each `(a ± b) / sqrt(2)`.
pub fn goniometer(point: [f32; 2]) -> (f32, f32) {
    let [l, r] = point;
    let k = std::f32::consts::FRAC_1_SQRT_2;
    ((r - l) * k, (l + r) * k)
}

/// The auto-scale factor: the loudest point reaches 0.9, magnified at most
/// [`MAX_SCOPE_ZOOM_DB`]; 1 for silence.
pub fn scope_scale(points: &[[f32; 2]]) -> f32 {
    let loudest = points
        .iter()
        .map(|&p| {
            let (x, y) = goniometer(p);
            x.abs().max(y.abs())
        })
        .fold(0.0f32, f32::max);
    let max_zoom = 10f32.powf(MAX_SCOPE_ZOOM_DB / 20.0);
    if loudest > 0.0 {
        (0.9 / loudest).min(max_zoom)
    } else {
        1.0
    }
}

fn verdict_color(verdict: Option<Verdict>) -> Color32 {
    match verdict {
        Some(Verdict::Good) => POSITIVE_COLOR,
        Some(Verdict::Caution) => CAUTION_COLOR,
        Some(Verdict::Problem) => NEGATIVE_COLOR,
        None => Color32::GRAY,
    }
}

/// The stereo view on a surround bus: it applies to the front pair (L R), and says so. The
/// vectorscope shows that pair (its correlation and balance are in the readings at a
/// glance); the per-band image is measured on stereo tracks only (the spectrum analyzer's
/// bands need exactly two channels).
pub fn draw_front_pair(ui: &mut egui::Ui, points: &[[f32; 2]], channels: usize) {
    let bus = crate::editor::surround_name(channels).unwrap_or("surround");
    let text = format!(
        "Stereo view of the front pair (L R) of this {bus} bus. Their correlation and balance \
         and the fold-down's loudness changes are beside the readings; the per-band image is \
         measured on stereo tracks."
    );
    let response = ui.label(RichText::new(&text).strong());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &text));
    ui.label(RichText::new("Vectorscope, front pair (L R)").strong());
    draw_scope(ui, points);
}

/// Draws the stereo view.
///
/// `channels` is the track's (0 while the layout is not known: nothing is said about mono
/// or stereo then).
pub fn draw_stereo(ui: &mut egui::Ui, data: Option<&StereoData>, channels: usize) {
    let Some(data) = data else {
        let text = match channels {
            0 => "Stereo: waiting for the host to start audio.",
            1 => "Stereo: the plugin runs on a mono track.",
            _ => "Stereo: no measurement yet.",
        };
        ui.label(RichText::new(text).weak());
        return;
    };
    // The verdict and what to do first: they are what the pane is opened for, and stay in
    // view above the bands however small the pane.
    let whole = &data.whole;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Mono compatibility (whole measurement):").strong());
        // No value, no verdict.
        let text = whole.verdict.map_or(NO_VALUE, Verdict::label);
        let response = ui.label(
            RichText::new(text)
                .strong()
                .size(15.0)
                .color(verdict_color(whole.verdict)),
        );
        response.widget_info(|| {
            let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, "Mono compatibility");
            info.current_text_value = Some(text.to_string());
            info
        });
    });
    for suggestion in &whole.suggestions {
        let response = ui.label(RichText::new(format!("• {}", suggestion.text)).strong());
        let text = suggestion.text.clone();
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &text));
    }
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.label(RichText::new("Vectorscope").strong());
            draw_scope(ui, &data.points);
        });
        ui.add_space(12.0);
        ui.vertical(|ui| {
            ui.label(RichText::new("Per band, last 3 s (| whole measurement)").strong());
            // The header row and the fifteen bands share the room left in the pane, so the
            // lowest bands (where mono compatibility matters most) are not a scroll away.
            let room = ui.available_rect_before_wrap().height();
            let row_height = band_row_height(room);
            let text_size = BAND_TEXT_SIZE.min(row_height / LINE_HEIGHT_PER_SIZE);
            egui::Grid::new("stereo-bands")
                .num_columns(4)
                .spacing([10.0, BAND_ROW_SPACING])
                .min_row_height(row_height)
                .show(ui, |ui| {
                    let header = |text: &str| RichText::new(text).size(text_size * 0.85);
                    ui.label(header("band"));
                    ui.label(header("correlation"));
                    ui.label(header("side/mid"));
                    ui.label(header("mono"));
                    ui.end_row();
                    for b in (0..BANDS).rev() {
                        let range = range_labels()[b].as_str();
                        let (live, whole) = (&data.live.bands[b], &data.whole.bands[b]);
                        band_row(ui, range, live, whole, row_height, text_size);
                    }
                });
        });
    });
}

/// The height of each of the band table's rows (its header and the [`BANDS`] bands) in `room`
/// logical pixels: an equal share, whole pixels, from [`BAND_ROW_MIN_HEIGHT`] to
/// [`BAND_ROW_HEIGHT`]. With no bound on the room (a `Ui` that grows), the full height.
pub fn band_row_height(room: f32) -> f32 {
    if !room.is_finite() {
        return BAND_ROW_HEIGHT;
    }
    let share = (room / (BANDS + 1) as f32).floor() - BAND_ROW_SPACING;
    share.clamp(BAND_ROW_MIN_HEIGHT, BAND_ROW_HEIGHT)
}

/// Each band's range as the table writes it ("300-500 Hz"), written once: band `b` of the
/// diagnosis spans `BAND_EDGES_HZ[b]..BAND_EDGES_HZ[b + 1]`.
fn range_labels() -> &'static [String; BANDS] {
    static LABELS: std::sync::LazyLock<[String; BANDS]> = std::sync::LazyLock::new(|| {
        std::array::from_fn(|b| format_range(BAND_EDGES_HZ[b], BAND_EDGES_HZ[b + 1]))
    });
    &LABELS
}

fn band_row(
    ui: &mut egui::Ui,
    range: &str,
    live: &StereoBand,
    whole: &StereoBand,
    row_height: f32,
    text_size: f32,
) {
    let text = |t: &str| RichText::new(t).monospace().size(text_size);
    ui.label(text(range));
    // Correlation bar: -1 .. +1, filled from 0, red below 0, the whole measurement as a tick.
    let bar_height = BAND_ROW_MIN_HEIGHT.min(row_height);
    let (rect, response) = ui.allocate_exact_size(Vec2::new(BAR_WIDTH, bar_height), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    let x_of = |c: f64| rect.left() + (c.clamp(-1.0, 1.0) as f32 + 1.0) / 2.0 * rect.width();
    let centre = x_of(0.0);
    if let Some(c) = live.correlation {
        let x = x_of(c);
        let color = if c < 0.0 {
            NEGATIVE_COLOR
        } else {
            POSITIVE_COLOR
        };
        let bar = Rect::from_x_y_ranges(centre.min(x)..=centre.max(x), rect.y_range())
            .shrink2(Vec2::new(0.0, 2.0));
        painter.rect_filled(bar, 0.0, color);
    }
    painter.line_segment(
        [
            Pos2::new(centre, rect.top()),
            Pos2::new(centre, rect.bottom()),
        ],
        Stroke::new(1.0, ui.visuals().weak_text_color()),
    );
    if let Some(c) = whole.correlation {
        let x = x_of(c);
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(2.0, ui.visuals().strong_text_color()),
        );
    }
    // What a screen reader is told is formatted only when one asks (egui calls these closures
    // only with its accessibility tree on).
    let value = live.correlation;
    response.widget_info(|| {
        let label = format!("{range} correlation");
        let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, &label);
        info.current_text_value = Some(format!(
            "{}, whole measurement {}",
            correlation_text(live.correlation),
            correlation_text(whole.correlation)
        ));
        info.value = value;
        info
    });
    let width = match live.width_db {
        Some(w) if w <= -59.95 => "mono".to_string(),
        Some(w) if w >= 59.95 => "all side".to_string(),
        Some(w) => format!("{} dB", format_db(w as f32)),
        None => NO_VALUE.to_string(),
    };
    let width_response = ui.label(text(&width));
    width_response.widget_info(|| {
        let label = format!("{range} side to mid");
        let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, &label);
        info.current_text_value = Some(width.clone());
        info
    });
    let (loss, color) = match (live.mono_loss_lu, live.share_db) {
        (Some(l), _) => (
            format!("{} LU", format_reading(Some(l))),
            ui.visuals().text_color(),
        ),
        (None, Some(_)) => ("cancels".to_string(), NEGATIVE_COLOR),
        (None, None) => (NO_VALUE.to_string(), ui.visuals().weak_text_color()),
    };
    let loss_response = ui.label(text(&loss).color(color));
    loss_response.widget_info(|| {
        let label = format!("{range} mono loss");
        let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, &label);
        info.current_text_value = Some(loss.clone());
        info
    });
    ui.end_row();
}

/// The vectorscope's colour at each alpha (premultiplied once, not per point).
fn scope_fade() -> &'static [Color32; 256] {
    static FADE: std::sync::OnceLock<[Color32; 256]> = std::sync::OnceLock::new();
    FADE.get_or_init(|| {
        std::array::from_fn(|alpha| {
            Color32::from_rgba_unmultiplied(
                SCOPE_COLOR.r(),
                SCOPE_COLOR.g(),
                SCOPE_COLOR.b(),
                alpha as u8,
            )
        })
    })
}

fn draw_scope(ui: &mut egui::Ui, points: &[[f32; 2]]) {
    let size = SCOPE_SIZE.min((ui.available_width() * 0.36).max(140.0));
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(size), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::from_gray(16));
    let centre = rect.center();
    let radius = rect.width() / 2.0;
    let guide = Stroke::new(1.0, Color32::from_gray(60));
    // Mid axis (mono), side axis (opposite polarity), and the L and R diagonals.
    painter.line_segment(
        [centre - Vec2::Y * radius, centre + Vec2::Y * radius],
        guide,
    );
    painter.line_segment(
        [centre - Vec2::X * radius, centre + Vec2::X * radius],
        guide,
    );
    let d = radius * std::f32::consts::FRAC_1_SQRT_2;
    painter.line_segment(
        [centre + Vec2::new(-d, -d), centre + Vec2::new(d, d)],
        guide,
    );
    painter.line_segment(
        [centre + Vec2::new(d, -d), centre + Vec2::new(-d, d)],
        guide,
    );
    let font = egui::FontId::proportional(11.0);
    let weak = Color32::from_gray(140);
    painter.text(
        centre - Vec2::Y * (radius - 8.0),
        egui::Align2::CENTER_CENTER,
        "M",
        font.clone(),
        weak,
    );
    painter.text(
        centre + Vec2::new(-d + 8.0, -d + 8.0),
        egui::Align2::CENTER_CENTER,
        "L",
        font.clone(),
        weak,
    );
    painter.text(
        centre + Vec2::new(d - 8.0, -d + 8.0),
        egui::Align2::CENTER_CENTER,
        "R",
        font.clone(),
        weak,
    );
    painter.text(
        centre + Vec2::new(radius - 8.0, -8.0),
        egui::Align2::CENTER_CENTER,
        "S",
        font.clone(),
        weak,
    );
    let scale = scope_scale(points);
    let zoom_db = 20.0 * scale.log10();
    painter.text(
        rect.right_bottom() - Vec2::new(6.0, 6.0),
        egui::Align2::RIGHT_BOTTOM,
        format!("auto {zoom_db:+.0} dB"),
        font,
        weak,
    );
    // One mesh of small quads (a shape per point costs more to tessellate), written straight
    // into its arrays: four corners and two triangles per point, as `Mesh::add_colored_rect`
    // writes them, with the fading colours looked up.
    let fade = scope_fade();
    let count = points.len().max(1) as f32;
    let mut mesh = egui::Mesh::default();
    let blank = egui::epaint::Vertex {
        pos: egui::Pos2::ZERO,
        uv: egui::epaint::WHITE_UV,
        color: Color32::TRANSPARENT,
    };
    mesh.indices.resize(points.len() * 6, 0);
    mesh.vertices.resize(points.len() * 4, blank);
    let half = Vec2::splat(0.8);
    let quads = mesh
        .vertices
        .chunks_exact_mut(4)
        .zip(mesh.indices.chunks_exact_mut(6));
    for (i, (&point, (corners, indices))) in points.iter().zip(quads).enumerate() {
        let (x, y) = goniometer(point);
        let pos = centre + Vec2::new(x, -y) * scale * radius;
        // Older points fade.
        let color = fade[(40.0 + 200.0 * (i as f32 / count)) as u8 as usize];
        let (min, max) = (pos - half, pos + half);
        let base = 4 * i as u32;
        indices.copy_from_slice(&[base, base + 1, base + 2, base + 2, base + 1, base + 3]);
        for (corner, (x, y)) in corners.iter_mut().zip([
            (min.x, min.y),
            (max.x, min.y),
            (min.x, max.y),
            (max.x, max.y),
        ]) {
            *corner = egui::epaint::Vertex {
                pos: egui::pos2(x, y),
                uv: egui::epaint::WHITE_UV,
                color,
            };
        }
    }
    painter.add(egui::Shape::mesh(mesh));
    let summary = format!(
        "Vectorscope, {} points, auto-scaled {zoom_db:+.0} dB",
        points.len()
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &summary));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goniometer_axes() {
        let k = std::f32::consts::FRAC_1_SQRT_2;
        // Mono: straight up. Opposite polarity: across. Left alone: up and to the left.
        assert_eq!(goniometer([0.5, 0.5]), (0.0, 1.0 * k));
        assert_eq!(goniometer([0.5, -0.5]), (-k, 0.0));
        let (x, y) = goniometer([1.0, 0.0]);
        assert!(x < 0.0 && y > 0.0 && (x + y).abs() < 1e-7);
    }

    #[test]
    fn band_rows_share_the_room_within_their_bounds() {
        // Roomy: the full height. A 253 px room (about the default editor's): 14 px rows, the
        // header and fifteen bands with their spacing inside it.
        assert_eq!(band_row_height(f32::INFINITY), BAND_ROW_HEIGHT);
        assert_eq!(band_row_height(1000.0), BAND_ROW_HEIGHT);
        let room = 253.0;
        let row = band_row_height(room);
        assert_eq!(row, 14.0);
        assert!((BANDS + 1) as f32 * (row + BAND_ROW_SPACING) <= room);
        // Never below the legible least, however short the pane.
        assert_eq!(band_row_height(100.0), BAND_ROW_MIN_HEIGHT);
        assert_eq!(band_row_height(0.0), BAND_ROW_MIN_HEIGHT);
    }

    #[test]
    fn scope_scale_fits_the_loudest_point_within_the_zoom_limit() {
        assert_eq!(scope_scale(&[]), 1.0);
        assert_eq!(scope_scale(&[[0.0, 0.0]]), 1.0);
        let s = scope_scale(&[[0.5, 0.5], [0.1, -0.1]]);
        let (_, y) = goniometer([0.5, 0.5]);
        assert!((s * y - 0.9).abs() < 1e-6);
        // -80 dBFS: magnified 30 dB, not to full size.
        let quiet = scope_scale(&[[1e-4, 1e-4]]);
        assert!((20.0 * quiet.log10() - MAX_SCOPE_ZOOM_DB).abs() < 1e-4);
    }
}
