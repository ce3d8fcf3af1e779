//! The report's one-page picture ([`WIDTH`] x [`HEIGHT`], readable at 100 % on a laptop):
//!
//! - the title (the track's name when the host says it, else "Mixmeter render"), the date
//!   written, the render's length, rate and channels;
//! - the key readings in a row: integrated, loudness range, true peak, PLR, mono loss;
//! - short-term (thick) and momentary (thin) loudness over the render on a dB scale from
//!   [`TOP_DB`] to [`BOTTOM_DB`] with labelled dB and time axes; the loudness target, the
//!   integrated loudness and the -1 / -3 dBTP true-peak ceilings as labelled lines; the
//!   maximum true peak marked at the second it happened;
//! - the checklist's verdicts, and the top suggestions.
//!
//! It is painted with egui's own painter and font (a headless `egui::Context`, the editor's
//! colours) and rasterized on the CPU ([`super::raster`]). Every text drawn is also returned
//! with its rectangle ([`Picture::texts`]), so tests check the page against its numbers.

use super::Report;
use super::raster::Canvas;
use crate::diagnosis::checks::Status;
use crate::editor::meters::{
    CEILING_COLOR, MOMENTARY_COLOR, PEAK_COLOR, PRE_MASTER_CEILING_DBTP, SHORT_TERM_COLOR,
    STREAMING_CEILING_DBTP, TARGET_COLOR,
};
use crate::editor::panels::{BAD_COLOR, CAUTION_COLOR, GOOD_COLOR};
use crate::editor::{format_duration, format_reading};
use egui::{Align2, Color32, FontId, Painter, Pos2, Rect, Stroke, pos2, vec2};

pub const WIDTH: u32 = 1400;
pub const HEIGHT: u32 = 900;
/// The plot's dB range (loudness in LUFS and true peak in dBTP share it).
pub const TOP_DB: f32 = 3.0;
pub const BOTTOM_DB: f32 = -48.0;
/// A labelled grid line every this many dB.
pub const GRID_STEP_DB: f32 = 6.0;
/// Time-axis tick choices, seconds (the first giving at most [`MAX_TIME_TICKS`] ticks).
const TIME_STEPS_S: [f64; 14] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
];
const MAX_TIME_TICKS: f64 = 12.0;
/// Suggestions printed (the editor shows three too).
pub const SUGGESTIONS_SHOWN: usize = 3;

pub const BACKGROUND: Color32 = Color32::from_rgb(0x1B, 0x1B, 0x1B);
const PANEL: Color32 = Color32::from_rgb(0x26, 0x26, 0x26);
const GRID: Color32 = Color32::from_rgb(0x3A, 0x3A, 0x3A);
pub const TEXT: Color32 = Color32::from_rgb(0xEE, 0xEE, 0xEE);
const WEAK: Color32 = Color32::from_rgb(0xA0, 0xA0, 0xA0);
const INTEGRATED_COLOR: Color32 = Color32::from_rgb(0xF0, 0xF0, 0xF0);

/// The plot area on the page.
pub const PLOT: Rect = Rect {
    min: Pos2 { x: 90.0, y: 200.0 },
    max: Pos2 {
        x: 1120.0,
        y: 620.0,
    },
};

/// A text on the page and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub text: String,
    pub rect: Rect,
    pub color: Color32,
}

/// The picture as RGB bytes, and its texts.
pub struct Picture {
    pub rgb: Vec<u8>,
    pub texts: Vec<Text>,
}

impl Picture {
    /// The first text starting with `prefix`.
    pub fn text(&self, prefix: &str) -> Option<&Text> {
        self.texts.iter().find(|t| t.text.starts_with(prefix))
    }
}

/// The y of a dB value in the plot.
pub fn y_of(db: f32) -> f32 {
    let f = ((TOP_DB - db) / (TOP_DB - BOTTOM_DB)).clamp(0.0, 1.0);
    PLOT.min.y + f * PLOT.height()
}

/// The x of a time (seconds into the render of `length_s`) in the plot.
pub fn x_of(t_s: f64, length_s: f64) -> f32 {
    PLOT.min.x + (t_s / length_s.max(1.0)).clamp(0.0, 1.0) as f32 * PLOT.width()
}

/// `m:ss` for the time axis.
fn clock(t_s: f64) -> String {
    let t = t_s.round() as u64;
    if t >= 3600 {
        format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    } else {
        format!("{}:{:02}", t / 60, t % 60)
    }
}

struct Page<'a> {
    painter: &'a Painter,
    texts: Vec<Text>,
}

impl Page<'_> {
    fn text(&mut self, pos: Pos2, anchor: Align2, text: &str, size: f32, color: Color32) -> Rect {
        let rect = self
            .painter
            .text(pos, anchor, text, FontId::proportional(size), color);
        self.texts.push(Text {
            text: text.to_string(),
            rect,
            color,
        });
        rect
    }

    /// A text wrapped to `width`; returns its rectangle.
    fn wrapped(&mut self, pos: Pos2, text: &str, size: f32, width: f32, color: Color32) -> Rect {
        let galley =
            self.painter
                .layout(text.to_string(), FontId::proportional(size), color, width);
        let rect = Rect::from_min_size(pos, galley.size());
        self.painter.galley(pos, galley, color);
        self.texts.push(Text {
            text: text.to_string(),
            rect,
            color,
        });
        rect
    }

    /// A horizontal line across the plot with a label at its right end.
    fn level(&mut self, db: f32, color: Color32, dashed: bool, label: &str) {
        let y = y_of(db);
        let stroke = Stroke::new(1.5, color);
        if dashed {
            let mut x = PLOT.min.x;
            while x < PLOT.max.x {
                let end = (x + 10.0).min(PLOT.max.x);
                self.painter
                    .line_segment([pos2(x, y), pos2(end, y)], stroke);
                x += 16.0;
            }
        } else {
            self.painter
                .line_segment([pos2(PLOT.min.x, y), pos2(PLOT.max.x, y)], stroke);
        }
        self.text(
            pos2(PLOT.max.x + 8.0, y),
            Align2::LEFT_CENTER,
            label,
            14.0,
            color,
        );
    }
}

/// The readings row: label over value.
fn readings(page: &mut Page, report: &Report) {
    let m = &report.measurement;
    let items = [
        ("Integrated", m.integrated_lufs, "LUFS"),
        ("Loudness range", m.loudness_range_lu, "LU"),
        ("True peak", m.true_peak_dbtp, "dBTP"),
        ("PLR", m.plr_db, "dB"),
        ("Mono loss", m.mono_loss_lu, "LU"),
    ];
    let width = (WIDTH as f32 - 60.0) / items.len() as f32;
    for (i, (label, value, unit)) in items.into_iter().enumerate() {
        let x = 30.0 + i as f32 * width;
        let rect = Rect::from_min_size(pos2(x, 100.0), vec2(width - 14.0, 74.0));
        page.painter.rect_filled(rect, 6.0, PANEL);
        page.text(pos2(x + 14.0, 108.0), Align2::LEFT_TOP, label, 15.0, WEAK);
        page.text(
            pos2(x + 14.0, 132.0),
            Align2::LEFT_TOP,
            &format!("{} {unit}", format_reading(value)),
            28.0,
            TEXT,
        );
    }
}

fn plot(page: &mut Page, report: &Report) {
    let p = page.painter;
    let length_s = report.measurement.measured_s;
    p.rect_filled(PLOT, 0.0, PANEL);
    // dB axis.
    let mut db = 0.0;
    while db >= BOTTOM_DB {
        let y = y_of(db);
        p.line_segment(
            [pos2(PLOT.min.x, y), pos2(PLOT.max.x, y)],
            Stroke::new(1.0, GRID),
        );
        page.text(
            pos2(PLOT.min.x - 8.0, y),
            Align2::RIGHT_CENTER,
            &format!("{db:.0}"),
            14.0,
            WEAK,
        );
        db -= GRID_STEP_DB;
    }
    page.text(
        pos2(PLOT.min.x - 8.0, PLOT.min.y - 14.0),
        Align2::RIGHT_BOTTOM,
        "LUFS / dBTP",
        14.0,
        WEAK,
    );
    // Time axis.
    let step = TIME_STEPS_S
        .iter()
        .copied()
        .find(|s| length_s / s <= MAX_TIME_TICKS)
        .unwrap_or(7200.0);
    let mut t = 0.0;
    while t <= length_s + 1e-9 {
        let x = x_of(t, length_s);
        p.line_segment(
            [pos2(x, PLOT.min.y), pos2(x, PLOT.max.y)],
            Stroke::new(1.0, GRID),
        );
        page.text(
            pos2(x, PLOT.max.y + 6.0),
            Align2::CENTER_TOP,
            &clock(t),
            14.0,
            WEAK,
        );
        t += step;
    }
    page.text(
        pos2(PLOT.max.x, PLOT.max.y + 26.0),
        Align2::RIGHT_TOP,
        "time (min:s)",
        14.0,
        WEAK,
    );
    // Curves: momentary under short-term, one point per second (at the second's end).
    let curve = |series: &[f32], width: f32, color: Color32| {
        let mut run: Vec<Pos2> = Vec::new();
        let flush = |run: &mut Vec<Pos2>| {
            if run.len() > 1 {
                p.add(egui::Shape::line(
                    std::mem::take(run),
                    Stroke::new(width, color),
                ));
            }
            run.clear();
        };
        for (i, v) in series.iter().enumerate() {
            if v.is_finite() {
                run.push(pos2(x_of(i as f64 + 1.0, length_s), y_of(*v)));
            } else {
                flush(&mut run);
            }
        }
        flush(&mut run);
    };
    curve(&report.series.momentary_lufs, 1.0, MOMENTARY_COLOR);
    curve(&report.series.short_term_lufs, 2.5, SHORT_TERM_COLOR);
    // Reference levels, labelled at the right.
    page.level(
        STREAMING_CEILING_DBTP,
        CEILING_COLOR,
        false,
        &format!("{STREAMING_CEILING_DBTP:.0} dBTP streaming ceiling"),
    );
    page.level(
        PRE_MASTER_CEILING_DBTP,
        PEAK_COLOR,
        true,
        &format!("{PRE_MASTER_CEILING_DBTP:.0} dBTP pre-master ceiling"),
    );
    let target = &report.target;
    page.level(
        target.integrated_lufs as f32,
        TARGET_COLOR,
        true,
        &format!(
            "Target {:.0} LUFS ({})",
            target.integrated_lufs,
            target.short_name()
        ),
    );
    if let Some(i) = report.measurement.integrated_lufs {
        page.level(
            i as f32,
            INTEGRATED_COLOR,
            false,
            &format!("Integrated {i:.1} LUFS"),
        );
    }
    // The maximum true peak where it happened.
    if let (Some(tp), Some(at)) = (report.measurement.true_peak_dbtp, report.max_true_peak_at_s) {
        let centre = pos2(x_of(at, length_s), y_of(tp as f32));
        p.circle(centre, 6.0, CEILING_COLOR, Stroke::new(2.0, TEXT));
        let right_half = centre.x > PLOT.center().x;
        let (anchor, dx) = if right_half {
            (Align2::RIGHT_BOTTOM, -10.0)
        } else {
            (Align2::LEFT_BOTTOM, 10.0)
        };
        page.text(
            centre + vec2(dx, -6.0),
            anchor,
            &format!("Max true peak {tp:.1} dBTP at {}", clock(at)),
            15.0,
            TEXT,
        );
    }
    // Legend.
    let mut x = PLOT.min.x + 10.0;
    for (label, color, width) in [
        ("short-term (3 s)", SHORT_TERM_COLOR, 2.5),
        ("momentary (400 ms)", MOMENTARY_COLOR, 1.0),
    ] {
        let y = PLOT.max.y - 16.0;
        p.line_segment([pos2(x, y), pos2(x + 24.0, y)], Stroke::new(width, color));
        let r = page.text(pos2(x + 30.0, y), Align2::LEFT_CENTER, label, 14.0, TEXT);
        x = r.max.x + 24.0;
    }
}

/// The checklist and suggestions under the plot.
fn verdicts(page: &mut Page, report: &Report) {
    let top = 680.0;
    page.text(
        pos2(30.0, top),
        Align2::LEFT_TOP,
        &format!("Checklist: {}", report.checks.0),
        18.0,
        TEXT,
    );
    let mut y = top + 30.0;
    for item in &report.checks.1 {
        let (word, color) = match item.status {
            Some(Status::Pass) => ("PASS", GOOD_COLOR),
            Some(Status::Warn) => ("WARN", CAUTION_COLOR),
            Some(Status::Fail) => ("FAIL", BAD_COLOR),
            None => ("—", WEAK),
        };
        page.text(pos2(30.0, y), Align2::LEFT_TOP, word, 15.0, color);
        page.wrapped(
            pos2(84.0, y),
            &format!("{}: {}", item.label, item.evidence),
            15.0,
            560.0,
            TEXT,
        );
        y += 24.0;
    }
    let x = 700.0;
    page.text(pos2(x, top), Align2::LEFT_TOP, "Suggestions", 18.0, TEXT);
    let mut y = top + 30.0;
    if report.suggestions.is_empty() {
        page.text(
            pos2(x, y),
            Align2::LEFT_TOP,
            "none: nothing stands out",
            15.0,
            WEAK,
        );
    }
    for (i, s) in report
        .suggestions
        .iter()
        .take(SUGGESTIONS_SHOWN)
        .enumerate()
    {
        let r = page.wrapped(
            pos2(x, y),
            &format!("{}. {}", i + 1, s.text),
            15.0,
            WIDTH as f32 - x - 30.0,
            TEXT,
        );
        y = r.max.y + 8.0;
    }
}

/// Paints the page.
pub fn picture(report: &Report) -> Picture {
    let ctx = egui::Context::default();
    let size = vec2(WIDTH as f32, HEIGHT as f32);
    let input = egui::RawInput {
        screen_rect: Some(Rect::from_min_size(Pos2::ZERO, size)),
        ..Default::default()
    };
    let mut texts = Vec::new();
    let mut output = ctx.run_ui(input, |ui| {
        let painter = ui.painter().clone();
        painter.rect_filled(Rect::from_min_size(Pos2::ZERO, size), 0.0, BACKGROUND);
        let mut page = Page {
            painter: &painter,
            texts: Vec::new(),
        };
        let title = report
            .track_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map_or_else(
                || "Mixmeter render".to_string(),
                |n| format!("Mixmeter render: {n}"),
            );
        page.text(pos2(30.0, 22.0), Align2::LEFT_TOP, &title, 30.0, TEXT);
        let channels = if report.channels == 1 {
            "mono"
        } else {
            "stereo"
        };
        page.text(
            pos2(30.0, 62.0),
            Align2::LEFT_TOP,
            &format!(
                "{}   ·   length {}   ·   {:.1} kHz {channels}",
                super::files::format_utc(report.written_unix_s),
                format_duration(report.measurement.measured_s),
                report.sample_rate / 1000.0
            ),
            17.0,
            WEAK,
        );
        readings(&mut page, report);
        plot(&mut page, report);
        verdicts(&mut page, report);
        texts = page.texts;
    });
    let ppp = output.pixels_per_point;
    let mut font = egui::ColorImage::new([1, 1], vec![Color32::WHITE]);
    // The font atlas as egui hands it over (whole, then patches); nothing else is uploaded.
    let deltas = std::mem::take(&mut output.textures_delta.set);
    output.textures_delta.free.clear();
    for delta in deltas
        .get(&egui::TextureId::default())
        .map_or(&[][..], |d| d.as_slice())
    {
        let egui::ImageData::Color(image) = &delta.image;
        match delta.pos {
            None => font = (**image).clone(),
            Some([x0, y0]) => {
                for y in 0..image.size[1] {
                    for x in 0..image.size[0] {
                        let (fx, fy) = (x0 + x, y0 + y);
                        if fx < font.size[0] && fy < font.size[1] {
                            font.pixels[fy * font.size[0] + fx] =
                                image.pixels[y * image.size[0] + x];
                        }
                    }
                }
            }
        }
    }
    let primitives = ctx.tessellate(output.shapes, ppp);
    let mut canvas = Canvas::new(WIDTH as usize, HEIGHT as usize, BACKGROUND);
    canvas.draw(&primitives, &font);
    Picture {
        rgb: canvas.to_rgb(),
        texts,
    }
}
