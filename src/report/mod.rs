//! Render reports: when the host renders offline (CLAP `render.set(offline)`, VST3
//! `kOffline`; nice-plug passes both on as `ProcessMode::Offline`), the plugin measures the
//! whole render and, when the host deactivates it, writes a JSON and a PNG report into the
//! report folder, on a thread of its own (never the audio thread).
//!
//! # When a render is reported
//!
//! Hosts render offline for many reasons besides the final bounce: validation scans
//! (clap-validator, a DAW's plugin scan), fuzzing, freezing or bouncing tracks, previews. One
//! clap-validator run once wrote 895 reports. A render is reported only when **all** of these
//! hold ([`RenderTracker::verdict`]); otherwise the editor says which one failed:
//!
//! 1. **Reports are on** (the project's `reports` field, on by default; the editor's switch).
//! 2. **The whole pass was offline**, from activation to deactivation (the report is written at
//!    deactivation, so at most one per render; a real-time session never reports).
//! 3. **At least [`MIN_RENDER_S`] of audio** (10 s). Validators and fuzzers process a few
//!    blocks to a couple of seconds per activation (clap-validator's fuzzer: 1 to 2 s; pedalboard's
//!    set-up passes: 10 and 55 ms), while a song, a jingle or a stem is longer; and 10 s is
//!    the shortest span over which the integrated loudness and the loudness range (built from
//!    3 s short-term values) say something about a mix.
//! 4. **One straight pass from its start**: the measurement starts at the render's first
//!    sample (reset at activation) and, where the host reports a transport position, each
//!    block continues where the previous one ended. A seek or loop jump means the host is not
//!    rendering a range once through (a fuzzer, a preview looping). A position that does not
//!    move at all is read as "no timeline" (hosts without one send a constant position).
//! 5. **Not silent**: the render has an integrated loudness (something above the BS.1770
//!    absolute gate); a silent render has nothing to report.
//!
//! A freeze or bounce-in-place of a *track* carrying Mixmeter is an offline render the plugin
//! cannot tell from an export; DAWs do not freeze the master bus, where Mixmeter belongs.
//! Turn reports off on a track instance that is frozen often.
//!
//! At most [`files::MAX_REPORTS`] reports are kept per folder: the oldest are removed (only
//! files named like reports). Writes are atomic ([`files`]).
//!
//! # Contents
//!
//! - JSON: the measurement with the analyzer's field names and units
//!   ([`crate::measurement::Measurement`]), plus `kind`, `title`, `track_name`,
//!   `sample_rate`, `channels`, `duration_s`, `written_unix_s`, `start_position_s` (the host's
//!   transport position at the first block, when reported), the per-second series
//!   `short_term_lufs`, `momentary_lufs` and `true_peak_dbtp_per_second` (`null` for no value),
//!   `max_true_peak_at_s`, the `target`, the `checklist` verdicts and the `suggestions`.
//! - PNG: one page a mixer reads at a glance ([`picture`]).
//!
//! The folder is the project's `report-folder` field, or `$XDG_DOCUMENTS_DIR/Mixmeter
//! reports`, or `$HOME/Documents/Mixmeter reports`. A failure (folder not writable, disk
//! full) is kept as the last report's outcome for the editor to show; the render itself is
//! never affected.

pub mod files;
pub mod picture;
pub mod raster;
mod recorder;

pub use recorder::{Recorder, RenderTracker};

use crate::diagnosis::checks::{self, Item};
use crate::diagnosis::platforms::{self, Target};
use crate::diagnosis::stereo::{Mix, mono_compatibility};
use crate::diagnosis::suggestions::{self, Candidate, Findings};
use crate::measurement::Measurement;
use crate::meter::engine::Readings;
use crate::meter::stereo::StereoWindow;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Renders shorter than this are not reported (see the module docs).
pub const MIN_RENDER_S: f64 = 10.0;
/// Per-second values kept per render: 12 hours.
pub const SERIES_CAPACITY: usize = 12 * 3600;

/// Why a render was not reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Skip {
    /// Reports are switched off.
    Off,
    /// Shorter than [`MIN_RENDER_S`] (its length, seconds).
    TooShort(f64),
    /// The host's transport jumped during the render.
    Jumped,
    /// Nothing above the absolute gate.
    Silent,
    /// The measurement was reset or paused during the render (its readings would cover only
    /// part of it).
    Interrupted,
}

impl Skip {
    pub fn reason(self) -> String {
        match self {
            Skip::Off => "render reports are off".to_string(),
            Skip::TooShort(s) => {
                format!("{s:.1} s is shorter than {MIN_RENDER_S:.0} s (a host check, not a bounce)")
            }
            Skip::Jumped => {
                "the host's transport jumped (a loop or seek, not one pass)".to_string()
            }
            Skip::Silent => "the render was silent".to_string(),
            Skip::Interrupted => {
                "the measurement was reset or paused during the render".to_string()
            }
        }
    }
}

/// The per-second series of a render (one value at the end of each second).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// LUFS; NaN: no value.
    pub short_term_lufs: Vec<f32>,
    pub momentary_lufs: Vec<f32>,
    /// The highest true peak within each second, dBTP (NaN: silence).
    pub true_peak_dbtp: Vec<f32>,
}

/// Everything a report is made of, gathered at deactivation.
#[derive(Debug, Clone, PartialEq)]
pub struct Render {
    pub readings: Readings,
    /// The whole render's stereo band sums (stereo only), for the mono diagnosis.
    pub stereo: Option<StereoWindow>,
    pub sample_rate: f64,
    pub series: Series,
    /// The host's name for the track, when it says (CLAP track-info, VST3 channel context).
    pub track_name: Option<String>,
    /// The loudness target and checklist profile the editor has selected (ids).
    pub target_id: String,
    pub check_profile_id: String,
    /// The host's transport position at the render's first block, seconds.
    pub start_position_s: Option<f64>,
}

/// A report as written: the render and what is derived from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub measurement: Measurement,
    pub channels: usize,
    pub sample_rate: f64,
    pub series: Series,
    pub track_name: Option<String>,
    pub start_position_s: Option<f64>,
    pub written_unix_s: u64,
    pub target: Target,
    /// The checklist's name and graded items.
    pub checks: (String, Vec<Item>),
    /// Best first, at most [`suggestions::MAX_SHOWN`].
    pub suggestions: Vec<Candidate>,
    /// Seconds into the render where the highest true peak was (the end of its second).
    pub max_true_peak_at_s: Option<f64>,
}

impl Report {
    pub fn of(render: Render, written_unix_s: u64) -> Report {
        let r = &render.readings;
        let targets = platforms::targets();
        let target = targets
            .iter()
            .find(|t| t.id == render.target_id)
            .or_else(|| {
                targets
                    .iter()
                    .find(|t| t.id == crate::params::DEFAULT_TARGET_ID)
            })
            .or(targets.first())
            .cloned()
            .expect("assets/targets.json has targets (checked by a unit test)");
        let profile = checks::profile(&render.check_profile_id)
            .or_else(|| checks::profile(crate::params::DEFAULT_CHECK_PROFILE_ID));
        // A render has no tonal comparison (the reference curve lives in the editor): the
        // tonal check is left out rather than shown as "not measured".
        let items = profile.as_ref().map_or_else(Vec::new, |p| {
            checks::run(
                p,
                &checks::Inputs {
                    readings: r,
                    tonal: None,
                    finished: true,
                },
            )
            .into_iter()
            .filter(|i| i.measure != checks::Measure::TonalExcess)
            .collect()
        });
        let stereo = render
            .stereo
            .as_ref()
            .map(|w| mono_compatibility(w, &Mix::whole(r)));
        let suggestions = suggestions::whole_file(&Findings::of(r, stereo.as_ref(), None, 0.0));
        let max_true_peak_at_s = render
            .series
            .true_peak_dbtp
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            // The first second reaching the maximum (a steady tone peaks from its start).
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
            .map(|(i, _)| (i + 1) as f64);
        Report {
            measurement: Measurement::of(r),
            channels: r.channels,
            sample_rate: render.sample_rate,
            series: render.series,
            track_name: render.track_name,
            start_position_s: render.start_position_s,
            written_unix_s,
            target,
            checks: (profile.map_or_else(String::new, |p| p.name), items),
            suggestions,
            max_true_peak_at_s,
        }
    }

    pub fn title(&self) -> String {
        match self.track_name.as_deref().filter(|n| !n.trim().is_empty()) {
            Some(name) => format!("Mixmeter render: {name}"),
            None => "Mixmeter render".to_string(),
        }
    }
}

/// What happened to the last render.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Written { json: PathBuf, png: PathBuf },
    Failed(String),
    NotReported(Skip),
}

/// The last render's outcome and main numbers (shown in the editor).
#[derive(Debug, Clone, PartialEq)]
pub struct LastReport {
    pub outcome: Outcome,
    pub integrated_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub duration_s: f64,
}

/// What the plugin, its report thread and its editor share about reports.
#[derive(Debug, Default)]
pub struct Shared {
    /// The last render's outcome (written by the report thread or at deactivation).
    pub last: std::sync::Mutex<Option<LastReport>>,
    /// The host's name for the track (written when the host tells the editor, read at
    /// deactivation; never by the audio thread).
    pub track_name: std::sync::Mutex<Option<String>>,
    /// Set when the plugin is dropped while a report is still being written: the writer stops
    /// at its next step (after the picture, after the PNG) and leaves no report behind.
    pub cancel: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub fn set_last(&self, last: LastReport) {
        if let Ok(mut slot) = self.last.lock() {
            *slot = Some(last);
        }
    }

    pub fn last(&self) -> Option<LastReport> {
        self.last.lock().ok().and_then(|l| l.clone())
    }

    pub fn track_name(&self) -> Option<String> {
        self.track_name.lock().ok().and_then(|n| n.clone())
    }
}

/// The default report folder (see the module docs).
pub fn default_folder() -> PathBuf {
    let documents = std::env::var_os("XDG_DOCUMENTS_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join("Documents")))
        .unwrap_or_else(std::env::temp_dir);
    documents.join("Mixmeter reports")
}

fn series_json(values: &[f32]) -> Value {
    values
        .iter()
        .map(|v| {
            if v.is_finite() {
                json!((f64::from(*v) * 100.0).round() / 100.0)
            } else {
                Value::Null
            }
        })
        .collect()
}

/// The report's JSON.
pub fn to_json(report: &Report) -> Value {
    let mut object = serde_json::to_value(&report.measurement).unwrap_or(Value::Null);
    object["kind"] = "mixmeter render report".into();
    object["title"] = report.title().into();
    object["track_name"] = report.track_name.clone().into();
    object["sample_rate"] = report.sample_rate.into();
    object["channels"] = report.channels.into();
    object["duration_s"] = report.measurement.measured_s.into();
    object["written_unix_s"] = report.written_unix_s.into();
    object["start_position_s"] = report.start_position_s.into();
    object["short_term_lufs"] = series_json(&report.series.short_term_lufs);
    object["momentary_lufs"] = series_json(&report.series.momentary_lufs);
    object["true_peak_dbtp_per_second"] = series_json(&report.series.true_peak_dbtp);
    object["max_true_peak_at_s"] = report.max_true_peak_at_s.into();
    object["target"] = json!({
        "id": report.target.id,
        "name": report.target.name,
        "integrated_lufs": report.target.integrated_lufs,
    });
    object["checklist"] = json!({
        "profile": report.checks.0,
        "items": report.checks.1.iter().map(|i| json!({
            "id": i.id,
            "label": i.label,
            "status": i.status.map(|s| s.id()),
            "value": i.value,
            "evidence": i.evidence,
        })).collect::<Vec<_>>(),
    });
    object["suggestions"] = report
        .suggestions
        .iter()
        .map(|s| json!({"text": s.text, "evidence": s.evidence}))
        .collect();
    object
}

fn write_png(out: &mut dyn Write, rgb: &[u8]) -> std::io::Result<()> {
    let mut encoder = png::Encoder::new(out, picture::WIDTH, picture::HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    writer
        .write_image_data(rgb)
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}

/// Writes the report into `folder` (made if missing): the PNG, then the JSON, each atomically
/// (see [`files`]), then removes the oldest reports beyond [`files::MAX_REPORTS`]. Returns
/// the paths (JSON, PNG).
pub fn write(folder: &Path, report: &Report) -> Result<(PathBuf, PathBuf), String> {
    write_with(folder, report, |_, fill| fill)
}

/// As [`write`], stopping between steps once `cancel` is set (the plugin is being unloaded):
/// then nothing of the report is left (see [`Shared::cancel`]).
pub fn write_unless_cancelled(
    folder: &Path,
    report: &Report,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<(PathBuf, PathBuf), String> {
    write_steps(folder, report, |_, fill| fill, Some(cancel))
}

/// What writes one file's content.
pub type Fill = Box<dyn FnOnce(&mut dyn Write) -> std::io::Result<()>>;

/// As [`write`], with each file's filler passed through `wrap` (tests inject failures).
pub fn write_with(
    folder: &Path,
    report: &Report,
    wrap: impl Fn(&Path, Fill) -> Fill,
) -> Result<(PathBuf, PathBuf), String> {
    write_steps(folder, report, wrap, None)
}

fn write_steps(
    folder: &Path,
    report: &Report,
    wrap: impl Fn(&Path, Fill) -> Fill,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<(PathBuf, PathBuf), String> {
    let cancelled = || cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Acquire));
    const CANCELLED: &str = "not written: the plugin was unloaded while writing it";
    // One report written at a time in this process, so two reports finishing in the same
    // second cannot pick the same free name (the report threads only; never the audio thread).
    static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = WRITING.lock().unwrap_or_else(|e| e.into_inner());
    std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let reserved = files::reserve_report_paths(folder, report.written_unix_s)?;
    let (json_path, png_path) = (reserved.json.clone(), reserved.png.clone());
    let text = serde_json::to_string_pretty(&to_json(report)).map_err(|e| e.to_string())?;
    let rgb = picture::picture(report).rgb;
    if cancelled() {
        return Err(CANCELLED.to_string());
    }
    files::write_atomic(
        &png_path,
        wrap(&png_path, Box::new(move |w| write_png(w, &rgb))),
    )?;
    if cancelled() {
        let _ = std::fs::remove_file(&png_path);
        return Err(CANCELLED.to_string());
    }
    let json_result = files::write_atomic(
        &json_path,
        wrap(&json_path, Box::new(move |w| w.write_all(text.as_bytes()))),
    );
    if let Err(error) = json_result {
        // No picture without its report.
        let _ = std::fs::remove_file(&png_path);
        return Err(error);
    }
    let stem = json_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    files::prune_keeping(folder, files::MAX_REPORTS, stem.as_deref());
    drop(reserved);
    Ok((json_path, png_path))
}

/// Seconds since the Unix epoch now.
pub fn now_unix_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    pub(super) const RATE: f64 = 48_000.0;
    pub(super) fn readings(seconds: f64, integrated: Option<f64>) -> Readings {
        Readings {
            channels: 2,
            measured_s: seconds,
            integrated_lufs: integrated,
            loudness_range_lu: Some(5.2),
            max_momentary_lufs: Some(-9.5),
            max_short_term_lufs: Some(-11.0),
            max_true_peak_dbtp: Some(-0.6),
            plr_db: integrated.map(|i| -0.6 - i),
            crest_factor_db: Some(11.0),
            mono_loss_integrated_lu: Some(0.8),
            ..Readings::default()
        }
    }
    fn report() -> Report {
        let seconds = 150;
        Report::of(
            Render {
                readings: readings(f64::from(seconds), Some(-12.3)),
                stereo: None,
                sample_rate: RATE,
                series: Series {
                    short_term_lufs: (0..seconds)
                        .map(|s| {
                            if s < 10 {
                                f32::NAN
                            } else {
                                -16.0 + 5.0 * (s as f32 / 20.0).sin()
                            }
                        })
                        .collect(),
                    momentary_lufs: (0..seconds)
                        .map(|s| {
                            if s < 10 {
                                f32::NAN
                            } else {
                                -15.0 + 7.0 * (s as f32 / 7.0).sin()
                            }
                        })
                        .collect(),
                    true_peak_dbtp: (0..seconds)
                        .map(|s| if s == 97 { -0.6 } else { -4.0 })
                        .collect(),
                },
                track_name: Some("Master".to_string()),
                target_id: "spotify".to_string(),
                check_profile_id: "pre-master".to_string(),
                start_position_s: Some(0.0),
            },
            1_750_000_000,
        )
    }
    #[test]
    fn the_json_carries_the_measurement_series_and_verdicts() {
        let json = to_json(&report());
        assert_eq!(json["kind"], "mixmeter render report");
        assert_eq!(json["title"], "Mixmeter render: Master");
        assert_eq!(json["integrated_lufs"], -12.3);
        assert_eq!(json["duration_s"], 150.0);
        assert_eq!(json["short_term_lufs"].as_array().unwrap().len(), 150);
        assert_eq!(json["short_term_lufs"][0], Value::Null);
        assert_eq!(json["max_true_peak_at_s"], 98.0);
        assert_eq!(json["target"]["integrated_lufs"], -14.0);
        assert!(!json["checklist"]["items"].as_array().unwrap().is_empty());
    }
    /// Light pixels (text) inside a rectangle of the page.
    fn ink(rgb: &[u8], rect: egui::Rect) -> usize {
        let w = picture::WIDTH as usize;
        let mut n = 0;
        for y in rect.min.y.max(0.0) as usize..(rect.max.y as usize).min(picture::HEIGHT as usize) {
            for x in rect.min.x.max(0.0) as usize..(rect.max.x as usize).min(w) {
                let p = &rgb[(y * w + x) * 3..][..3];
                if p.iter().map(|&c| u32::from(c)).sum::<u32>() > 3 * 0x70 {
                    n += 1;
                }
            }
        }
        n
    }
    #[test]
    fn the_picture_prints_the_json_numbers_where_its_layout_says() {
        let report = report();
        let json = to_json(&report);
        let picture = picture::picture(&report);
        let texts: Vec<&str> = picture.texts.iter().map(|t| t.text.as_str()).collect();
        let number = |field: &str| format!("{:.1}", json[field].as_f64().unwrap());
        for (shown, field) in [
            ("LUFS", "integrated_lufs"),
            ("LU", "loudness_range_lu"),
            ("dBTP", "true_peak_dbtp"),
            ("dB", "plr_db"),
            ("LU", "mono_loss_lu"),
        ] {
            let wanted = format!("{} {shown}", number(field));
            assert!(texts.contains(&wanted.as_str()), "{wanted} in {texts:?}");
        }
        for wanted in [
            "Mixmeter render: Master",
            "Integrated -12.3 LUFS",
            "Target -14 LUFS (Spotify)",
            "-1 dBTP streaming ceiling",
            "-3 dBTP pre-master ceiling",
            "Max true peak -0.6 dBTP at 1:38",
            "LUFS / dBTP",
            "time (min:s)",
            "0:00",
            "2:30",
            "-48",
            "Checklist: ",
            "Suggestions",
        ] {
            assert!(picture.text(wanted).is_some(), "{wanted} in {texts:?}");
        }
        assert!(
            texts.iter().any(|t| t.starts_with("2025-06-15 15:06 UTC")),
            "{texts:?}"
        );
        // Every text is drawn where the layout put it: glyph pixels inside its rectangle, on
        // the page; and the title really is large type.
        for t in &picture.texts {
            assert!(
                egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 900.0))
                    .contains_rect(t.rect),
                "{t:?}"
            );
            if t.text.trim() != "—" {
                assert!(
                    ink(&picture.rgb, t.rect) >= 4 * t.text.trim().len().min(6),
                    "{t:?}"
                );
            }
        }
        let title = picture.text("Mixmeter render").unwrap();
        assert!(title.rect.height() >= 28.0, "{title:?}");
        // The curves: short-term green pixels in the plot, none in the first 10 s (silence;
        // the rows above -36 dB, clear of the legend).
        let green = |x0: f32, x1: f32| {
            let w = picture::WIDTH as usize;
            let [r, g, b, _] = crate::editor::meters::SHORT_TERM_COLOR.to_array();
            (picture::PLOT.min.y as usize..picture::y_of(-36.0) as usize)
                .flat_map(|y| (x0 as usize..x1 as usize).map(move |x| (x, y)))
                .filter(|(x, y)| {
                    let p = &picture.rgb[(y * w + x) * 3..][..3];
                    p[0].abs_diff(r) < 12 && p[1].abs_diff(g) < 12 && p[2].abs_diff(b) < 12
                })
                .count()
        };
        let drawn = green(picture::x_of(12.0, 150.0), picture::PLOT.max.x);
        assert!(drawn > 1000, "{drawn}");
        assert_eq!(
            green(picture::PLOT.min.x + 1.0, picture::x_of(10.0, 150.0)),
            0
        );
    }
    fn folder(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mixmeter-report-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }
    #[test]
    fn a_report_is_written_whole_and_the_folder_keeps_at_most_the_cap() {
        let dir = folder("cap");
        std::fs::create_dir_all(&dir).unwrap();
        // 120 older reports already there.
        for i in 0..120u64 {
            let (json, png) = files::report_paths(&dir, 1_600_000_000 + i * 3600).unwrap();
            std::fs::write(json, "{}").unwrap();
            std::fs::write(png, "").unwrap();
        }
        let report = report();
        let (json, png) = write(&dir, &report).unwrap();
        let stems = files::report_stems(&dir);
        assert_eq!(stems.len(), files::MAX_REPORTS);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            2 * files::MAX_REPORTS
        );
        assert_eq!(
            stems.last().map(String::as_str),
            json.file_stem().and_then(|s| s.to_str())
        );
        let written: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert_eq!(written, to_json(&report));
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
        let info = decoder.read_info().unwrap();
        assert_eq!(
            (info.info().width, info.info().height),
            (picture::WIDTH, picture::HEIGHT)
        );
    }
    #[test]
    fn a_write_failing_midway_leaves_no_partial_report_and_says_why() {
        for failing in ["png", "json"] {
            let dir = folder(&format!("fail-{failing}"));
            let error = write_with(&dir, &report(), |path, fill| {
                if path.extension().is_some_and(|e| e == failing) {
                    Box::new(move |w: &mut dyn Write| {
                        w.write_all(&[0; 4096])?;
                        let _ = fill;
                        Err(std::io::Error::other("No space left on device (injected)"))
                    })
                } else {
                    fill
                }
            })
            .unwrap_err();
            assert!(error.contains("No space left on device"), "{error}");
            let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
            assert!(left.is_empty(), "{failing}: {left:?}");
        }
    }
    #[test]
    fn a_folder_that_cannot_be_made_is_an_error_naming_it() {
        let file = std::env::temp_dir().join("mixmeter-report-not-a-folder");
        std::fs::write(&file, "x").unwrap();
        let error = write(&file.join("sub"), &report()).unwrap_err();
        assert!(error.contains("mixmeter-report-not-a-folder"), "{error}");
    }
    /// Unloading while a report is written (the writer cancelled) leaves no file of it, and
    /// says why.
    #[test]
    fn a_cancelled_report_leaves_nothing() {
        let dir = folder("cancelled");
        std::fs::create_dir_all(&dir).unwrap();
        let cancel = std::sync::atomic::AtomicBool::new(true);
        let error = write_unless_cancelled(&dir, &report(), &cancel).unwrap_err();
        assert!(error.contains("unloaded"), "{error}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        cancel.store(false, std::sync::atomic::Ordering::Release);
        assert!(write_unless_cancelled(&dir, &report(), &cancel).is_ok());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    }
}
