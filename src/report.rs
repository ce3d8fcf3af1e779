//! Render reports: when the host renders offline (CLAP `render.set(offline)`, VST3
//! `kOffline`; nice-plug passes both on as `ProcessMode::Offline`), the plugin measures the
//! whole render and, when the host deactivates it, writes a JSON and a PNG report into the
//! report folder, on a thread of its own (never the audio thread).
//!
//! - JSON: the measurement with the analyzer's field names and units
//!   ([`crate::measurement::Measurement`]), plus `kind`, `sample_rate`, `channels`,
//!   `duration_s`, `written_unix_s` and `short_term_lufs` (one value per second, `null` for
//!   silence).
//! - PNG (1200x400): the short-term loudness over the render (green), the integrated loudness
//!   (white) and -14 LUFS (violet) as lines, over a grid every 6 LU from -48 to 0 LUFS; the
//!   numbers are in the JSON.
//!
//! The folder is the project's `report-folder` field, or `$XDG_DOCUMENTS_DIR/Mixmeter
//! reports`, or `$HOME/Documents/Mixmeter reports`. A failure (folder not writable, disk
//! full) is kept as the last report's error for the editor to show; the render itself is never
//! affected.

use crate::measurement::Measurement;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Renders shorter than this are not reported: hosts make short offline passes when they load
/// or reset a plugin (pedalboard's VST3 host makes two, of 10 and 55 ms, before each render),
/// and those are not renders of a mix.
pub const MIN_RENDER_S: f64 = 1.0;
/// Short-term values kept per render: one per second, 12 hours.
pub const SERIES_CAPACITY: usize = 12 * 3600;
pub const PNG_WIDTH: u32 = 1200;
pub const PNG_HEIGHT: u32 = 400;

/// Everything a report is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Render {
    pub measurement: Measurement,
    pub sample_rate: f64,
    pub channels: usize,
    /// Short-term loudness once per second of the render, LUFS (NaN: no value).
    pub short_term_lufs: Vec<f32>,
}

/// A written report, or why it could not be written.
#[derive(Debug, Clone, PartialEq)]
pub struct LastReport {
    pub result: Result<(PathBuf, PathBuf), String>,
    pub integrated_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub duration_s: f64,
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

/// The report's JSON.
pub fn to_json(render: &Render, written_unix_s: u64) -> Value {
    let mut object = serde_json::to_value(&render.measurement).unwrap_or(Value::Null);
    object["kind"] = "mixmeter render report".into();
    object["sample_rate"] = render.sample_rate.into();
    object["channels"] = render.channels.into();
    object["duration_s"] = render.measurement.measured_s.into();
    object["written_unix_s"] = written_unix_s.into();
    object["short_term_lufs"] = render
        .short_term_lufs
        .iter()
        .map(|v| {
            if v.is_finite() {
                json!((f64::from(*v) * 100.0).round() / 100.0)
            } else {
                Value::Null
            }
        })
        .collect();
    object
}

const BACKGROUND: [u8; 3] = [0x1B, 0x1B, 0x1B];
const GRID: [u8; 3] = [0x3A, 0x3A, 0x3A];
const SHORT_TERM: [u8; 3] = [0x3C, 0xB3, 0x71];
const INTEGRATED: [u8; 3] = [0xF0, 0xF0, 0xF0];
const TARGET: [u8; 3] = [0xB4, 0x8C, 0xF0];
const TOP_LUFS: f32 = 0.0;
const BOTTOM_LUFS: f32 = -48.0;

/// The report's picture as RGB rows.
pub fn picture(render: &Render) -> Vec<[u8; 3]> {
    let (w, h) = (PNG_WIDTH as usize, PNG_HEIGHT as usize);
    let mut pixels = vec![BACKGROUND; w * h];
    let y_of = |lufs: f32| -> Option<usize> {
        lufs.is_finite().then(|| {
            let f = ((TOP_LUFS - lufs) / (TOP_LUFS - BOTTOM_LUFS)).clamp(0.0, 1.0);
            ((f * (h - 1) as f32).round() as usize).min(h - 1)
        })
    };
    let hline = |pixels: &mut [[u8; 3]], y: usize, color: [u8; 3]| {
        for x in 0..w {
            pixels[y * w + x] = color;
        }
    };
    let mut lufs = TOP_LUFS;
    while lufs >= BOTTOM_LUFS {
        if let Some(y) = y_of(lufs) {
            hline(&mut pixels, y, GRID);
        }
        lufs -= 6.0;
    }
    // The short-term line: one column per pixel, each spanning its seconds (highest value),
    // joined vertically to the previous column.
    let series = &render.short_term_lufs;
    let mut previous: Option<usize> = None;
    for x in 0..w {
        let (from, to) = (
            x * series.len() / w,
            ((x + 1) * series.len() / w).max(x * series.len() / w + 1),
        );
        let value = series
            .get(from..to.min(series.len()))
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f32::NEG_INFINITY, f32::max);
        let Some(y) = y_of(value) else {
            previous = None;
            continue;
        };
        let (a, b) = previous.map_or((y, y), |p| (p.min(y), p.max(y)));
        for row in a..=b {
            for dy in 0..2 {
                let r = (row + dy).min(h - 1);
                pixels[r * w + x] = SHORT_TERM;
            }
        }
        previous = Some(y);
    }
    // The reference levels over the curve.
    if let Some(y) = y_of(-14.0) {
        hline(&mut pixels, y, TARGET);
    }
    if let Some(y) = render
        .measurement
        .integrated_lufs
        .and_then(|i| y_of(i as f32))
    {
        hline(&mut pixels, y, INTEGRATED);
    }
    pixels
}

fn encode_png(pixels: &[[u8; 3]], path: &Path) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), PNG_WIDTH, PNG_HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writer
        .write_image_data(pixels.as_flattened())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes the JSON and the PNG into `folder` (made if missing) as
/// `mixmeter-render-<unix seconds>[-n].json/.png`; returns their paths.
pub fn write(folder: &Path, render: &Render) -> Result<(PathBuf, PathBuf), String> {
    std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (json_path, png_path) = (0..1000)
        .map(|n| {
            let stem = if n == 0 {
                format!("mixmeter-render-{now}")
            } else {
                format!("mixmeter-render-{now}-{n}")
            };
            (
                folder.join(format!("{stem}.json")),
                folder.join(format!("{stem}.png")),
            )
        })
        .find(|(j, _)| !j.exists())
        .ok_or_else(|| format!("{}: too many reports this second", folder.display()))?;
    let text = serde_json::to_string_pretty(&to_json(render, now)).map_err(|e| e.to_string())?;
    std::fs::write(&json_path, text).map_err(|e| format!("{}: {e}", json_path.display()))?;
    encode_png(&picture(render), &png_path)?;
    Ok((json_path, png_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render() -> Render {
        Render {
            measurement: Measurement {
                measured_s: 120.0,
                integrated_lufs: Some(-12.0),
                ..Measurement::default()
            },
            sample_rate: 48_000.0,
            channels: 2,
            short_term_lufs: (0..120)
                .map(|s| {
                    if s < 10 {
                        f32::NAN
                    } else {
                        -18.0 + 6.0 * (s as f32 / 20.0).sin()
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn the_picture_draws_the_lines_where_the_levels_are() {
        let pixels = picture(&render());
        let w = PNG_WIDTH as usize;
        let row = |lufs: f32| ((-lufs / 48.0) * (PNG_HEIGHT - 1) as f32).round() as usize;
        // Integrated -12 LUFS across the whole width, -14 LUFS the target.
        assert!((0..w).all(|x| pixels[row(-12.0) * w + x] == INTEGRATED));
        assert!((0..w).all(|x| pixels[row(-14.0) * w + x] == TARGET));
        let green = pixels.iter().filter(|p| **p == SHORT_TERM).count();
        assert!(green > 1500, "{green}");
        // Silence (the first 10 s) draws nothing: the first 100 columns have no green.
        assert!((0..PNG_HEIGHT as usize).all(|y| (0..95).all(|x| pixels[y * w + x] != SHORT_TERM)));
    }

    #[test]
    fn the_json_carries_the_measurement_and_one_value_per_second() {
        let json = to_json(&render(), 1_700_000_000);
        assert_eq!(json["kind"], "mixmeter render report");
        assert_eq!(json["integrated_lufs"], -12.0);
        assert_eq!(json["duration_s"], 120.0);
        assert_eq!(json["short_term_lufs"].as_array().unwrap().len(), 120);
        assert_eq!(json["short_term_lufs"][0], Value::Null);
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_an_error_naming_it() {
        let file = std::env::temp_dir().join("mixmeter-report-not-a-folder");
        std::fs::write(&file, "x").unwrap();
        let error = write(&file.join("sub"), &render()).unwrap_err();
        assert!(error.contains("mixmeter-report-not-a-folder"), "{error}");
    }
}
