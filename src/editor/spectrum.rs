//! The spectrum view: the live spectrum (1/N-octave smoothed, with the display tilt), its peak
//! hold, the long-term average of the whole measurement, and the selected reference curve
//! level-matched to the mix with its tolerance band; under it the reference selector and the
//! deviation per tonal region, then the capture and import controls and the suggestions of the
//! comparison (see [`crate::diagnosis`]).
//!
//! The plot takes the room the pane has left once the rows under it are drawn (their height is
//! remembered from the last pass, [`plot_height`]), from [`PLOT_HEIGHT`] down to
//! [`PLOT_MIN_HEIGHT`], so the deviations and the reference selector stay in view, not below
//! the pane's edge where only a scroll would reach them.
//!
//! [`SpectrumState`] (GUI thread) turns the frames from the bridge into a [`SpectrumData`] of
//! plain values; [`draw_spectrum`] draws that and returns what the user asked for. The live
//! spectrum is smoothed only when a new frame arrived; the comparison is recomputed only when
//! the long-term average or the reference changed (a few times a second).
//!
//! Levels are power per FFT bin in dB (a full-scale sine reads 0 dB). The long-term average and
//! the reference are drawn at the live view's resolution: noise reads 3 dB lower per doubling
//! of the FFT size, so both are shifted by `10·log10(N_long_term / N_display)` to sit where the
//! live spectrum of the same sound sits.

use super::mesh_cache::{RectKey, ValuesKey, paint_cached};
use crate::bridge::{LongTermFrame, SpectrumFrame};
use crate::diagnosis::{TonalComparison, compare_tonal, format_frequency};
use crate::meter::spectrum::{FFT_SIZES, PowerSpectrum};
use crate::params::{SMOOTHING_CHOICES, SpectrumSettings, TILT_CHOICES};
use crate::reference::library::{ReferenceLibrary, Selection};
use crate::reference::{Curve, CurveKind, builtin};
use crate::smoothing::{LogSmoother, log_grid, power_to_db, tilt_db};
use egui::{Color32, Pos2, Rect, RichText, Sense, Shape, Stroke, Vec2};
use std::path::PathBuf;
use std::thread::JoinHandle;

/// Points per octave of the drawn lines.
pub const DISPLAY_POINTS_PER_OCTAVE: u32 = 48;
/// Horizontal range, Hz.
pub const VIEW_LOW_HZ: f64 = 20.0;
pub const VIEW_HIGH_HZ: f64 = 20_000.0;
/// Vertical range, dB per bin (after the tilt).
pub const VIEW_TOP_DB: f32 = 0.0;
pub const VIEW_BOTTOM_DB: f32 = -100.0;
const DB_GRID_STEP: f32 = 10.0;
const FREQUENCY_TICKS_HZ: [f64; 10] = [
    30.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0, 20_000.0,
];
/// Spectrum peak hold: a peak stays this long, then falls at this rate.
pub const SPECTRUM_PEAK_HOLD_S: f32 = 2.0;
pub const SPECTRUM_PEAK_FALL_DB_PER_S: f32 = 12.0;
/// Height of the plot where the pane has the room, logical pixels.
pub const PLOT_HEIGHT: f32 = 240.0;
/// The least height of the plot (logical pixels): ten 10 dB divisions of 7 px, where the pane
/// is too short for [`PLOT_HEIGHT`] and everything under it. At the smallest editor size
/// ([`crate::params::EDITOR_MIN_SIZE`]) the plot is about this high and the reference selector
/// and the deviations still fit under it; the capture and import row and the suggestions
/// (shown in the editor's bottom strip too) are then a scroll away.
pub const PLOT_MIN_HEIGHT: f32 = 72.0;
/// Below this plot height, the dB scale is labelled every other grid line (labels 10 px high
/// would crowd lines closer than about 15 px).
const DENSE_GRID_HEIGHT: f32 = 150.0;
/// Spacing between the rows of the tonal balance and between its columns, logical pixels
/// (seven columns fit the pane at the smallest editor size).
const TONAL_ROW_SPACING: f32 = 1.0;
const TONAL_COLUMN_SPACING: f32 = 6.0;

const LIVE_COLOR: Color32 = Color32::from_rgb(0x4C, 0xC9, 0x8B);
const PEAK_COLOR: Color32 = Color32::from_rgb(0x8A, 0x94, 0x9E);
const LONG_TERM_COLOR: Color32 = Color32::from_rgb(0x5A, 0x9B, 0xF0);
const REFERENCE_COLOR: Color32 = Color32::from_rgb(0xF0, 0xE0, 0x80);
const BAND_COLOR: Color32 = Color32::from_rgba_premultiplied(0x40, 0x3C, 0x20, 0x60);
const OUTSIDE_COLOR: Color32 = super::palette::BAD_COLOR;

/// Advances one point of the spectrum peak hold by `elapsed_s`, during which the level was
/// `new_db`: a higher level replaces the held one at once; a held level stays for
/// [`SPECTRUM_PEAK_HOLD_S`], then falls at [`SPECTRUM_PEAK_FALL_DB_PER_S`], never below the
/// current level. Returns (held dB, seconds held). A pure function of elapsed time.
pub fn hold_spectrum_peak(held_db: f32, held_s: f32, new_db: f32, elapsed_s: f32) -> (f32, f32) {
    let elapsed_s = if elapsed_s.is_finite() {
        elapsed_s.max(0.0)
    } else {
        0.0
    };
    // A new level at or above the held one (or a held level that is no number) takes over.
    if new_db.partial_cmp(&held_db) != Some(std::cmp::Ordering::Less) {
        return (new_db, 0.0);
    }
    let before = held_s;
    let after = held_s + elapsed_s;
    let falling_s = (after - SPECTRUM_PEAK_HOLD_S.max(before)).max(0.0);
    let fallen = held_db - falling_s * SPECTRUM_PEAK_FALL_DB_PER_S;
    if fallen <= new_db {
        (new_db, 0.0)
    } else {
        (fallen, after)
    }
}

/// The reference as drawn: matched and shifted to the display's resolution and tilt.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceOverlay {
    pub name: String,
    pub frequencies_hz: Vec<f64>,
    pub level_db: Vec<f32>,
    pub band_low_db: Vec<f32>,
    pub band_high_db: Vec<f32>,
    pub has_band: bool,
}

/// Plain values the spectrum view draws.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpectrumData {
    pub settings: SpectrumSettings,
    /// Frequencies of `live_db`, `peak_db` and `long_term_db`.
    pub frequencies_hz: Vec<f64>,
    /// Empty before the first frame.
    pub live_db: Vec<f32>,
    /// Empty when the peak hold is off.
    pub peak_db: Vec<f32>,
    /// Empty before the first long-term frame.
    pub long_term_db: Vec<f32>,
    /// Seconds of audio in the long-term average.
    pub long_term_s: f64,
    pub reference: Option<ReferenceOverlay>,
    pub comparison: Option<TonalComparison>,
    /// The reference choices (selection and label) and the current one.
    pub choices: Vec<(Selection, String)>,
    pub selection: Option<Selection>,
    /// Import in progress, result, or problems with saved curves.
    pub status: Vec<String>,
    /// Text in the capture-name and import-path fields.
    pub capture_name: String,
    pub import_path: String,
}

/// What the user did in the spectrum view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpectrumActions {
    pub settings: Option<SpectrumSettings>,
    pub select: Option<Selection>,
    /// Freeze the long-term average as a curve of this name.
    pub capture: Option<String>,
    /// Import a curve file (.json) or build a curve from an audio file.
    pub import: Option<String>,
    /// Remove the selected library curve.
    pub remove: Option<String>,
    pub capture_name: Option<String>,
    pub import_path: Option<String>,
}

/// GUI-thread state of the spectrum view.
pub struct SpectrumState {
    smoother: LogSmoother,
    frequencies_hz: Vec<f64>,
    scratch: Vec<f64>,
    live_db: Vec<f32>,
    held: Vec<(f32, f32)>,
    live_generation: u64,
    live_fft_size: usize,
    long_term: Option<PowerSpectrum>,
    long_term_generation: u64,
    long_term_db: Vec<f32>,
    comparison: Option<TonalComparison>,
    compared: Option<Curve>,
    derived_settings: Option<SpectrumSettings>,
    capture_name: String,
    import_path: String,
    import: Option<(String, JoinHandle<Result<Curve, String>>)>,
    imported: Option<Curve>,
    status: Option<String>,
    /// Clock reading (seconds) of the last peak-hold update.
    last_hold_s: Option<f64>,
}

impl Default for SpectrumState {
    fn default() -> Self {
        Self::new()
    }
}

impl SpectrumState {
    pub fn new() -> Self {
        let frequencies_hz = log_grid(DISPLAY_POINTS_PER_OCTAVE, VIEW_LOW_HZ, VIEW_HIGH_HZ);
        let n = frequencies_hz.len();
        Self {
            smoother: LogSmoother::default(),
            frequencies_hz,
            scratch: vec![0.0; n],
            live_db: Vec::new(),
            held: vec![(f32::NEG_INFINITY, 0.0); n],
            live_generation: 0,
            live_fft_size: 0,
            long_term: None,
            long_term_generation: 0,
            long_term_db: Vec::new(),
            comparison: None,
            compared: None,
            derived_settings: None,
            capture_name: "mix v1".to_string(),
            import_path: String::new(),
            import: None,
            imported: None,
            status: None,
            last_hold_s: None,
        }
    }

    /// Takes in the newest frames and settings and returns what to draw.
    pub fn update(
        &mut self,
        live: &SpectrumFrame,
        long_term: &LongTermFrame,
        settings: SpectrumSettings,
        library: &ReferenceLibrary,
        now_s: f64,
    ) -> SpectrumData {
        let smoothing = settings.smoothing as f64;
        let tilt = settings.tilt_db_per_octave as f64;
        let settings_changed = self.derived_settings != Some(settings);
        self.derived_settings = Some(settings);

        // Live spectrum and peak hold.
        if live.bins > 0 && (live.generation != self.live_generation || settings_changed) {
            let fresh = live.generation != self.live_generation;
            self.live_generation = live.generation;
            self.live_fft_size = live.fft_size;
            let bin_hz = live.sample_rate_hz / live.fft_size as f64;
            self.smoother.smooth(
                &live.power[..live.bins],
                bin_hz,
                &self.frequencies_hz,
                smoothing,
                &mut self.scratch,
            );
            self.live_db = self
                .scratch
                .iter()
                .zip(&self.frequencies_hz)
                .map(|(&p, &f)| (power_to_db(p) + tilt_db(f, tilt)) as f32)
                .collect();
            if fresh {
                let elapsed_s = self.last_hold_s.map_or(0.0, |t| (now_s - t) as f32);
                self.last_hold_s = Some(now_s);
                self.smoother.smooth(
                    &live.peak[..live.bins],
                    bin_hz,
                    &self.frequencies_hz,
                    smoothing,
                    &mut self.scratch,
                );
                for ((held, &p), &f) in self
                    .held
                    .iter_mut()
                    .zip(&self.scratch)
                    .zip(&self.frequencies_hz)
                {
                    let db = (power_to_db(p) + tilt_db(f, tilt)) as f32;
                    *held = hold_spectrum_peak(held.0, held.1, db, elapsed_s);
                }
            }
        }
        if settings_changed {
            self.held.fill((f32::NEG_INFINITY, 0.0));
        }

        // Long-term average and comparison.
        let selected = library.selected();
        let mut recompare = selected != self.compared;
        if long_term.bins > 0 && long_term.generation != self.long_term_generation {
            self.long_term_generation = long_term.generation;
            self.long_term = (long_term.frames > 0).then(|| PowerSpectrum {
                power: long_term.power[..long_term.bins]
                    .iter()
                    .map(|&p| p as f64)
                    .collect(),
                bin_hz: long_term.sample_rate_hz / long_term.fft_size as f64,
                fft_size: long_term.fft_size,
                covered_s: long_term.covered_s,
            });
            recompare = true;
        }
        if recompare || settings_changed {
            self.derive_long_term(&settings);
        }
        if recompare {
            self.compared = selected.clone();
            self.comparison = match (&self.long_term, &selected) {
                (Some(mix), Some(curve)) => compare_tonal(mix, curve),
                _ => None,
            };
        }

        self.poll_import();
        let display_offset = self.resolution_offset_db();
        let reference = match (&self.comparison, &selected) {
            (Some(c), Some(curve)) => Some(ReferenceOverlay {
                name: curve.name.clone(),
                frequencies_hz: c.points.iter().map(|p| p.hz).collect(),
                level_db: c
                    .points
                    .iter()
                    .map(|p| (p.reference_db + display_offset + tilt_db(p.hz, tilt)) as f32)
                    .collect(),
                band_low_db: c
                    .points
                    .iter()
                    .map(|p| (p.band_low_db + display_offset + tilt_db(p.hz, tilt)) as f32)
                    .collect(),
                band_high_db: c
                    .points
                    .iter()
                    .map(|p| (p.band_high_db + display_offset + tilt_db(p.hz, tilt)) as f32)
                    .collect(),
                has_band: curve.has_band(),
            }),
            _ => None,
        };

        let mut choices = vec![(Selection::None, "None".to_string())];
        for (id, name, _) in builtin::list() {
            choices.push((Selection::Builtin(id.to_string()), name.to_string()));
        }
        for curve in &library.curves {
            choices.push((Selection::Library(curve.name.clone()), curve.name.clone()));
        }
        let mut status: Vec<String> = library.problems.clone();
        if let Some((path, _)) = &self.import {
            status.push(format!("Importing {path} ..."));
        }
        if let Some(message) = &self.status {
            status.push(message.clone());
        }
        SpectrumData {
            settings,
            frequencies_hz: self.frequencies_hz.clone(),
            live_db: self.live_db.clone(),
            peak_db: if settings.peak_hold && !self.live_db.is_empty() {
                self.held.iter().map(|h| h.0).collect()
            } else {
                Vec::new()
            },
            long_term_db: self.long_term_db.clone(),
            long_term_s: self.long_term.as_ref().map_or(0.0, |s| s.covered_s),
            reference,
            comparison: self.comparison.clone(),
            choices,
            selection: Some(library.selection.clone()),
            status,
            capture_name: self.capture_name.clone(),
            import_path: self.import_path.clone(),
        }
    }

    /// dB added to long-term levels to draw them at the live view's resolution.
    fn resolution_offset_db(&self) -> f64 {
        match (&self.long_term, self.live_fft_size) {
            (Some(lt), live) if live > 0 => 10.0 * (lt.fft_size as f64 / live as f64).log10(),
            _ => 0.0,
        }
    }

    fn derive_long_term(&mut self, settings: &SpectrumSettings) {
        let offset = self.resolution_offset_db();
        let tilt = settings.tilt_db_per_octave as f64;
        self.long_term_db = match &self.long_term {
            Some(lt) => {
                self.smoother.smooth(
                    &lt.power,
                    lt.bin_hz,
                    &self.frequencies_hz,
                    settings.smoothing as f64,
                    &mut self.scratch,
                );
                self.scratch
                    .iter()
                    .zip(&self.frequencies_hz)
                    .map(|(&p, &f)| (power_to_db(p) + offset + tilt_db(f, tilt)) as f32)
                    .collect()
            }
            None => Vec::new(),
        };
    }

    /// The current long-term average, for capturing.
    pub fn long_term(&self) -> Option<&PowerSpectrum> {
        self.long_term.as_ref()
    }

    /// Applies the text-field edits and starts captures and imports; returns a curve to add
    /// to the library when one is ready.
    pub fn handle(&mut self, actions: &SpectrumActions) -> Option<Curve> {
        if let Some(name) = &actions.capture_name {
            self.capture_name = name.clone();
        }
        if let Some(path) = &actions.import_path {
            self.import_path = path.clone();
        }
        if let Some(name) = &actions.capture {
            let Some(spectrum) = &self.long_term else {
                self.status = Some("Nothing to capture yet: play some audio first.".to_string());
                return None;
            };
            let source = format!(
                "captured in Mixmeter from {:.0} s of the mix",
                spectrum.covered_s
            );
            return match Curve::from_spectrum(name, CurveKind::Captured, &source, spectrum) {
                Ok(curve) => {
                    self.status = Some(format!("Captured \"{}\".", curve.name));
                    self.capture_name = next_capture_name(&curve.name);
                    Some(curve)
                }
                Err(e) => {
                    self.status = Some(format!("Cannot capture: {e}"));
                    None
                }
            };
        }
        if let Some(path) = &actions.import {
            self.start_import(path.trim());
        }
        None
    }

    /// Reads a curve file or analyses an audio file on a worker thread (never the GUI or the
    /// audio thread).
    fn start_import(&mut self, path: &str) {
        if self.import.is_some() {
            return;
        }
        if path.is_empty() {
            self.status = Some("Type the path of a curve (.json) or an audio file.".to_string());
            return;
        }
        let path_buf = PathBuf::from(path);
        let handle = std::thread::Builder::new()
            .name("mixmeter-import".to_string())
            .spawn(move || import_curve(&path_buf));
        match handle {
            Ok(handle) => {
                self.import = Some((path.to_string(), handle));
                self.status = None;
            }
            Err(e) => self.status = Some(format!("Cannot start the import: {e}")),
        }
    }

    /// A curve whose import has finished, once.
    pub fn take_imported(&mut self) -> Option<Curve> {
        self.imported.take()
    }

    /// A finished import's curve goes to the library on the next [`Self::take_imported`].
    fn poll_import(&mut self) {
        if self.import.as_ref().is_some_and(|(_, h)| h.is_finished())
            && let Some((path, handle)) = self.import.take()
        {
            match handle.join() {
                Ok(Ok(curve)) => {
                    self.status = Some(format!("Imported \"{}\" from {path}.", curve.name));
                    self.imported = Some(curve);
                }
                Ok(Err(message)) => self.status = Some(format!("Cannot import {path}: {message}")),
                Err(_) => self.status = Some(format!("Cannot import {path}: the decoder failed")),
            }
        }
    }

    /// Whether an import is running (the editor keeps repainting until it ends).
    pub fn importing(&self) -> bool {
        self.import.is_some()
    }
}

/// A curve from a path: a curve file is read and checked, anything else is analysed as audio.
pub fn import_curve(path: &std::path::Path) -> Result<Curve, String> {
    let is_json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        Curve::load(path).map_err(|e| e.to_string())
    } else {
        let name = path.file_stem().map_or_else(
            || "Reference".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        crate::reference::audio::curve_from_files(&name, &[path])
    }
}

/// "mix v3" -> "mix v4"; other names get " 2".
fn next_capture_name(name: &str) -> String {
    if let Some((stem, number)) = name.rsplit_once(" v")
        && let Ok(n) = number.parse::<u32>()
    {
        return format!("{stem} v{}", n + 1);
    }
    format!("{name} 2")
}

fn x_of(rect: Rect, hz: f64) -> f32 {
    let t = (hz / VIEW_LOW_HZ).ln() / (VIEW_HIGH_HZ / VIEW_LOW_HZ).ln();
    rect.left() + rect.width() * t as f32
}

fn y_of(rect: Rect, db: f32) -> f32 {
    let db = if db.is_finite() { db } else { VIEW_BOTTOM_DB };
    let t = ((VIEW_TOP_DB - db) / (VIEW_TOP_DB - VIEW_BOTTOM_DB)).clamp(0.0, 1.0);
    rect.top() + rect.height() * t
}

/// The plot's height with `room` left in the pane under the controls (logical pixels, the
/// spacing after the plot already taken off) and `below_height` needed by the rows under it:
/// all the room left after them, from [`PLOT_MIN_HEIGHT`] to [`PLOT_HEIGHT`]. With no bound on
/// the room (a `Ui` that grows, as in a sizing pass), the full height.
pub fn plot_height(room: f32, below_height: f32) -> f32 {
    if !room.is_finite() {
        return PLOT_HEIGHT;
    }
    let below = if below_height.is_finite() {
        below_height.max(0.0)
    } else {
        0.0
    };
    (room - below).clamp(PLOT_MIN_HEIGHT, PLOT_HEIGHT)
}

fn line(rect: Rect, frequencies_hz: &[f64], db: &[f32]) -> Vec<Pos2> {
    frequencies_hz
        .iter()
        .zip(db)
        .map(|(&f, &d)| Pos2::new(x_of(rect, f), y_of(rect, d)))
        .collect()
}

/// Draws the view; returns what the user did.
pub fn draw_spectrum(ui: &mut egui::Ui, data: &SpectrumData) -> SpectrumActions {
    let mut actions = SpectrumActions::default();
    let mut settings = data.settings;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Spectrum").strong());
        let label = ui.label("FFT");
        egui::ComboBox::from_id_salt("fft-size")
            .selected_text(format!("{}", settings.fft_size))
            .width(70.0)
            .show_ui(ui, |ui| {
                for size in FFT_SIZES {
                    ui.selectable_value(&mut settings.fft_size, size, format!("{size}"));
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Smoothing");
        egui::ComboBox::from_id_salt("smoothing")
            .selected_text(format!("1/{} oct", settings.smoothing))
            .width(80.0)
            .show_ui(ui, |ui| {
                for n in SMOOTHING_CHOICES {
                    ui.selectable_value(&mut settings.smoothing, n, format!("1/{n} octave"));
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Tilt");
        egui::ComboBox::from_id_salt("tilt")
            .selected_text(format!("{:+.1} dB/oct", settings.tilt_db_per_octave))
            .width(90.0)
            .show_ui(ui, |ui| {
                for t in TILT_CHOICES {
                    ui.selectable_value(
                        &mut settings.tilt_db_per_octave,
                        t,
                        format!("{t:+.1} dB/octave"),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        ui.checkbox(&mut settings.peak_hold, "Peak hold");
    });
    if settings != data.settings {
        actions.settings = Some(settings);
    }

    // The rows under the plot as tall as in the last pass; the plot takes what they leave.
    let below_id = ui.scope_id().with("spectrum-below-plot");
    let remembered = ui.data(|d| d.get_temp::<f32>(below_id));
    let room = ui.available_rect_before_wrap().height() - ui.spacing().item_spacing.y;
    let height = plot_height(room, remembered.unwrap_or(0.0));
    let width = ui.available_width().max(200.0);
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, height), Sense::hover());
    paint_plot(ui, rect, data);
    // Said only when a screen reader asks (the closure runs only with AccessKit on).
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, plot_summary(data)));

    let top = ui.cursor().top();
    // What a mixer reads at a glance first: against which reference, and the deviations (the
    // three rows close together, they read as one).
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing.y = TONAL_ROW_SPACING;
        reference_row(ui, data, &mut actions);
        regions_row(ui, data);
    });
    // Then what is used now and then, a scroll away where the pane is short.
    for line in &data.status {
        ui.label(RichText::new(line).small());
    }
    capture_row(ui, data, &mut actions);
    // The same advice leads the editor's bottom strip; here it is under its evidence.
    for suggestion in data.comparison.iter().flat_map(|c| &c.suggestions) {
        let response = ui.label(RichText::new(format!("• {}", suggestion.text)).strong());
        let text = suggestion.text.clone();
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &text));
    }
    // All the rows under the plot, with the spacing before each. When that changed (the first
    // pass, a new comparison, a narrower pane wrapping a row), this pass is laid out again
    // before it is shown, so the plot never pushes them out of view for a frame.
    let below_height = ui.cursor().top() - top;
    if remembered.is_none_or(|h| (h - below_height).abs() > 0.5) {
        ui.data_mut(|d| d.insert_temp(below_id, below_height));
        if plot_height(room, below_height) != height {
            ui.ctx()
                .request_discard("the rows under the spectrum changed height");
        }
    }
    actions
}

/// The reference selector (and Remove for a library curve), with what the comparison is: the
/// reference the deviations are read against, first under the plot.
fn reference_row(ui: &mut egui::Ui, data: &SpectrumData, actions: &mut SpectrumActions) {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Reference");
        let current = data
            .choices
            .iter()
            .find(|(s, _)| Some(s) == data.selection.as_ref())
            .map_or("None".to_string(), |(_, l)| l.clone());
        let mut chosen = data.selection.clone().unwrap_or(Selection::None);
        // Narrower where the pane is, so it keeps to the label's line.
        let width = (ui.available_width() - 40.0).clamp(120.0, 220.0);
        egui::ComboBox::from_id_salt("reference")
            .selected_text(current)
            .width(width)
            .show_ui(ui, |ui| {
                for (selection, text) in &data.choices {
                    ui.selectable_value(&mut chosen, selection.clone(), text);
                }
            })
            .response
            .labelled_by(label.id);
        if Some(&chosen) != data.selection.as_ref() {
            actions.select = Some(chosen);
        }
        if let Some(Selection::Library(name)) = &data.selection
            && ui.button("Remove").clicked()
        {
            actions.remove = Some(name.clone());
        }
    });
}

/// Capture the long-term spectrum as a curve, or import one from a file.
fn capture_row(ui: &mut egui::Ui, data: &SpectrumData, actions: &mut SpectrumActions) {
    ui.horizontal_wrapped(|ui| {
        let mut name = data.capture_name.clone();
        let label = ui.label("Capture as");
        if ui
            .add(egui::TextEdit::singleline(&mut name).desired_width(90.0))
            .labelled_by(label.id)
            .changed()
        {
            actions.capture_name = Some(name.clone());
        }
        if ui
            .button("Capture")
            .on_hover_text("Freeze the long-term spectrum of this mix as a reference")
            .clicked()
        {
            actions.capture = Some(name);
        }
        let mut path = data.import_path.clone();
        let label = ui.label("File");
        if ui
            .add(
                egui::TextEdit::singleline(&mut path)
                    .hint_text("curve .json or audio file path")
                    .desired_width(200.0),
            )
            .labelled_by(label.id)
            .changed()
        {
            actions.import_path = Some(path.clone());
        }
        if ui.button("Import").clicked() {
            actions.import = Some(path);
        }
    });
}

/// One line describing the plot for screen readers.
fn plot_summary(data: &SpectrumData) -> String {
    let reference = data
        .reference
        .as_ref()
        .map_or("no reference".to_string(), |r| {
            format!("reference {}", r.name)
        });
    format!(
        "Spectrum, FFT {}, 1/{} octave, tilt {:+.1} dB per octave, long-term average over {:.0} s, {reference}",
        data.settings.fft_size,
        data.settings.smoothing,
        data.settings.tilt_db_per_octave,
        data.long_term_s
    )
}

fn paint_plot(ui: &egui::Ui, rect: Rect, data: &SpectrumData) {
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    painter.rect_filled(rect, 0.0, visuals.extreme_bg_color);
    let grid = Stroke::new(1.0, visuals.faint_bg_color.gamma_multiply(2.0));
    let text_color = visuals.weak_text_color();
    let font = egui::FontId::proportional(10.0);
    let label_every = if rect.height() < DENSE_GRID_HEIGHT {
        2
    } else {
        1
    };
    let mut db = VIEW_TOP_DB - DB_GRID_STEP;
    let mut line_index = 1;
    while db > VIEW_BOTTOM_DB {
        let y = y_of(rect, db);
        painter.hline(rect.x_range(), y, grid);
        if line_index % label_every == 0 {
            painter.text(
                Pos2::new(rect.left() + 2.0, y),
                egui::Align2::LEFT_BOTTOM,
                format!("{db:.0}"),
                font.clone(),
                text_color,
            );
        }
        db -= DB_GRID_STEP;
        line_index += 1;
    }
    for hz in FREQUENCY_TICKS_HZ {
        let x = x_of(rect, hz);
        painter.vline(x, rect.y_range(), grid);
        painter.text(
            Pos2::new(x + 2.0, rect.bottom() - 2.0),
            egui::Align2::LEFT_BOTTOM,
            format_frequency(hz),
            font.clone(),
            text_color,
        );
    }

    // The curves, each painted from its cached mesh while its values and the plot's rectangle
    // stay the same (`super::mesh_cache`).
    if let Some(reference) = &data.reference {
        let key = (
            "reference",
            RectKey(rect),
            ValuesKey(&reference.frequencies_hz),
            ValuesKey(&reference.level_db),
            ValuesKey(&reference.band_low_db),
            ValuesKey(&reference.band_high_db),
            reference.has_band,
        );
        paint_cached(&painter, key, || reference_shapes(rect, reference));
    }
    for (name, db, width, color) in [
        ("long-term", &data.long_term_db, 2.0, LONG_TERM_COLOR),
        ("peak", &data.peak_db, 1.0, PEAK_COLOR),
        ("live", &data.live_db, 1.5, LIVE_COLOR),
    ] {
        if db.is_empty() {
            continue;
        }
        let key = (
            name,
            RectKey(rect),
            ValuesKey(&data.frequencies_hz),
            ValuesKey(db),
        );
        paint_cached(&painter, key, || {
            vec![Shape::line(
                line(rect, &data.frequencies_hz, db),
                Stroke::new(width, color),
            )]
        });
    }
    // Legend.
    let mut x = rect.right() - 8.0;
    let entries = [
        ("live", LIVE_COLOR, true),
        ("peak", PEAK_COLOR, !data.peak_db.is_empty()),
        ("long-term", LONG_TERM_COLOR, !data.long_term_db.is_empty()),
        ("reference", REFERENCE_COLOR, data.reference.is_some()),
    ];
    for (label, color, shown) in entries.iter().rev() {
        if !shown {
            continue;
        }
        let galley = painter.layout_no_wrap(label.to_string(), font.clone(), *color);
        x -= galley.size().x;
        painter.galley(Pos2::new(x, rect.top() + 4.0), galley, *color);
        x -= 10.0;
    }
}

/// The reference's tolerance band (if it has one) and its line.
fn reference_shapes(rect: Rect, reference: &ReferenceOverlay) -> Vec<Shape> {
    let mut shapes = Vec::new();
    if reference.has_band {
        let mut mesh = egui::Mesh::default();
        for (i, &f) in reference.frequencies_hz.iter().enumerate() {
            let x = x_of(rect, f);
            mesh.colored_vertex(
                Pos2::new(x, y_of(rect, reference.band_high_db[i])),
                BAND_COLOR,
            );
            mesh.colored_vertex(
                Pos2::new(x, y_of(rect, reference.band_low_db[i])),
                BAND_COLOR,
            );
            if i > 0 {
                let v = (2 * i) as u32;
                mesh.add_triangle(v - 2, v - 1, v);
                mesh.add_triangle(v - 1, v + 1, v);
            }
        }
        shapes.push(Shape::mesh(mesh));
    }
    shapes.push(Shape::line(
        line(rect, &reference.frequencies_hz, &reference.level_db),
        Stroke::new(2.0, REFERENCE_COLOR),
    ));
    shapes
}

/// Region names with their deviation, outside ones in the warning colour.
fn regions_row(ui: &mut egui::Ui, data: &SpectrumData) {
    let Some(comparison) = &data.comparison else {
        let text = if data.reference.is_none() && data.selection == Some(Selection::None) {
            "No reference selected."
        } else {
            "Collecting the long-term spectrum..."
        };
        ui.label(RichText::new(text).weak());
        return;
    };
    // One line: what the numbers are, or why no advice is given (elided where the pane is
    // narrow; the whole text on hover and for screen readers). Withheld advice: before enough
    // audio the deviations are shown, but never in the warning colour (a test tone's have no
    // value at all).
    let caption = match comparison.withheld {
        Some(withheld) => RichText::new(withheld.reason()).weak(),
        None => RichText::new(format!(
            "Tonal balance vs \"{}\" (level-matched, {:.0} s averaged), dB:",
            comparison.reference_name, data.long_term_s
        )),
    };
    ui.add(egui::Label::new(caption).truncate());
    egui::Grid::new("regions")
        .num_columns(comparison.regions.len())
        .spacing([TONAL_COLUMN_SPACING, 0.0])
        .show(ui, |ui| {
            for region in &comparison.regions {
                // "sibilance/harshness" is captioned "sibilance" (whole on hover; the value
                // is read out with the whole name).
                let name = region.region.name;
                let short = name.split('/').next().unwrap_or(name);
                let caption = ui.label(RichText::new(short).small());
                if short != name {
                    caption.on_hover_text(name);
                }
            }
            ui.end_row();
            for region in &comparison.regions {
                let deviation = region.deviation_db;
                let (text, color) = match deviation {
                    Some(d) if region.outside() && comparison.withheld.is_none() => {
                        (format!("{d:+.1}"), OUTSIDE_COLOR)
                    }
                    Some(d) => (format!("{d:+.1}"), ui.visuals().text_color()),
                    None => ("—".to_string(), ui.visuals().weak_text_color()),
                };
                let response = ui.label(RichText::new(&text).size(15.0).monospace().color(color));
                let label = format!("{} deviation", region.region.name);
                let value = deviation;
                response.widget_info(|| {
                    let mut info = egui::WidgetInfo::labeled(egui::Role::Meter, true, &label);
                    info.current_text_value = Some(text.clone());
                    info.value = value;
                    info
                });
            }
            ui.end_row();
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_hold_is_a_function_of_time() {
        // Higher replaces at once.
        assert_eq!(hold_spectrum_peak(-40.0, 1.0, -30.0, 0.1), (-30.0, 0.0));
        // Held for the hold time whatever the frame rate.
        let mut held = (-30.0, 0.0);
        for _ in 0..60 {
            held = hold_spectrum_peak(held.0, held.1, -60.0, 1.0 / 30.0);
        }
        assert_eq!(held.0, -30.0);
        let once = hold_spectrum_peak(-30.0, 0.0, -60.0, 2.0);
        assert_eq!(once.0, -30.0);
        // Then it falls at the fall rate, the same in one step or many.
        let one_step = hold_spectrum_peak(-30.0, 0.0, -60.0, 2.5);
        let mut many = (-30.0, 0.0);
        for _ in 0..250 {
            many = hold_spectrum_peak(many.0, many.1, -60.0, 0.01);
        }
        assert!((one_step.0 - (-36.0)).abs() < 1e-4, "{one_step:?}");
        assert!((many.0 - one_step.0).abs() < 1e-3, "{many:?}");
        // Never below the signal.
        assert_eq!(hold_spectrum_peak(-30.0, 0.0, -35.0, 10.0).0, -35.0);
        // A bad clock holds.
        assert_eq!(hold_spectrum_peak(-30.0, 0.0, -60.0, f32::NAN).0, -30.0);
    }

    #[test]
    fn the_plot_takes_the_room_the_rows_under_it_leave() {
        assert_eq!(plot_height(600.0, 100.0), PLOT_HEIGHT);
        assert_eq!(plot_height(300.0, 100.0), 200.0);
        assert_eq!(plot_height(150.0, 100.0), PLOT_MIN_HEIGHT);
        assert_eq!(plot_height(-20.0, 100.0), PLOT_MIN_HEIGHT);
        // No bound on the room, or no sensible height of the rows: the room decides.
        assert_eq!(plot_height(f32::INFINITY, 100.0), PLOT_HEIGHT);
        assert_eq!(plot_height(200.0, f32::NAN), 200.0);
    }

    #[test]
    fn capture_names_count_up() {
        assert_eq!(next_capture_name("mix v3"), "mix v4");
        assert_eq!(next_capture_name("master"), "master 2");
    }
}
