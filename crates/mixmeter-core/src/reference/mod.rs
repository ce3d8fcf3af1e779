//! Reference curves: what a mix's long-term spectrum is compared with.
//!
//! A curve is a list of frequency points with a level in dB each, optionally a tolerance band
//! (low and high level per point), a name, where it came from and how it was made: the open,
//! versioned JSON format documented in docs/reference-curves.md, read and written by
//! [`Curve::from_json`] and [`Curve::to_json`]. Curves come from three places:
//!
//! - **captured**: the mix's own long-term average spectrum frozen in the plugin
//!   ([`Curve::from_spectrum`]);
//! - **audio**: built from one or more reference files ([`audio::spectrum_of_file`] and
//!   [`Curve::combine`]: the median of the files' levels, with the files' envelope as the band when
//!   there are several);
//! - **built-in** ([`builtin`]): the default `music` curve (approximate, documented there) and
//!   slopes labelled as what they are (a slope in dB
//!   per octave), not as statistics of any genre.
//!
//! Levels are the 1/24-octave mean power per FFT bin of the spectrum module (pink noise falls
//! 3 dB per octave), normalised so that the curve's K-weighted power (ITU-R BS.1770-5 Annex 1
//! K-weighting, integrated over the standard grid) is 0 dB: only the shape matters, and a
//! curve is level-matched to a mix by one offset that gives both the same K-weighted power,
//! i.e. the same loudness ([`k_weighted_level_db`]).

pub mod align;
pub mod audio;
pub mod builtin;
pub mod library;

use crate::meter::kweight::Biquad;
use crate::meter::spectrum::PowerSpectrum;
use crate::smoothing::{LogSmoother, log_grid, power_to_db};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` field of every curve file.
pub const FORMAT_ID: &str = "mixmeter-reference-curve";
/// The version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Curves made here have this many points per octave...
pub const POINTS_PER_OCTAVE: u32 = 24;
/// ...from here...
pub const GRID_LOW_HZ: f64 = 20.0;
/// ...to here.
pub const GRID_HIGH_HZ: f64 = 20_000.0;
/// Frequencies a curve may name.
pub const MIN_FREQUENCY_HZ: f64 = 1.0;
pub const MAX_FREQUENCY_HZ: f64 = 100_000.0;
/// Largest curve accepted (the standard grid has 240 points).
pub const MAX_POINTS: usize = 4096;
/// Longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Levels and band edges lie within ±this, dB: far beyond any audio, and far enough inside
/// f64's range that their powers (10^(dB/10)) and sums stay finite (found by fuzzing: a curve
/// point at 16 000 dB made a deviation of -inf).
pub const LEVEL_LIMIT_DB: f64 = 300.0;
/// Levels of a curve made from audio are kept within this many dB below its loudest point
/// (a band with no energy at all, e.g. above an MP3's low-pass, reads this floor).
pub const FLOOR_BELOW_PEAK_DB: f64 = 120.0;
/// Rate at which the K-weighting response is evaluated for level matching.
const K_WEIGHTING_RATE_HZ: f64 = 48_000.0;

/// Where a curve came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CurveKind {
    /// The mix's own long-term spectrum, frozen.
    Captured,
    /// Built from reference audio files.
    Audio,
    /// A documented slope shipped with Mixmeter.
    Builtin,
    /// Made by hand or by another tool.
    Custom,
}

/// A reference curve (the JSON format, field for field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Always [`FORMAT_ID`].
    pub format: String,
    /// Always [`FORMAT_VERSION`] when written here.
    pub version: u32,
    pub name: String,
    /// Optional in a file (`custom` when absent).
    #[serde(default = "custom_kind")]
    pub kind: CurveKind,
    /// Where it came from, in words (file names, "captured in Mixmeter", the formula).
    /// Optional in a file.
    #[serde(default)]
    pub source: String,
    /// How it was made (analysis, averaging, normalisation), in words. Optional in a file.
    #[serde(default)]
    pub method: String,
    /// Strictly increasing, 1 Hz to 100 kHz.
    pub frequency_hz: Vec<f64>,
    /// Level at each frequency, dB.
    pub level_db: Vec<f64>,
    /// Optional tolerance band: lowest and highest acceptable level at each frequency, dB
    /// (same scale as `level_db`, containing it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_low_db: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_high_db: Option<Vec<f64>>,
    /// Optional: how far a mix's overall tilt may lie from the curve's, ± dB per octave
    /// (see [`align`]); without it the comparison's default applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tilt_tolerance_db_per_octave: Option<f64>,
}

fn custom_kind() -> CurveKind {
    CurveKind::Custom
}

/// Largest tilt tolerance a curve may state, dB per octave.
pub const MAX_TILT_TOLERANCE_DB_PER_OCTAVE: f64 = 6.0;

/// Why a curve cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CurveError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("not a JSON document ({0})")]
    Json(String),
    #[error("not a Mixmeter reference curve (\"format\" is {0}, expected \"{FORMAT_ID}\")")]
    Format(String),
    #[error(
        "curve format version {0} is not supported (this Mixmeter reads version {FORMAT_VERSION})"
    )]
    Version(String),
    #[error("malformed curve: {0}")]
    Field(String),
    #[error("the name is empty or longer than {MAX_NAME_CHARS} characters")]
    Name,
    #[error("a curve needs at least 2 points, this one has {0}")]
    TooFewPoints(usize),
    #[error("a curve has at most {MAX_POINTS} points, this one has {0}")]
    TooManyPoints(usize),
    #[error("\"{field}\" has {found} values but \"frequency_hz\" has {expected}")]
    Length {
        field: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("point {index}: frequency {hz} Hz is outside 1 Hz to 100 kHz")]
    Frequency { index: usize, hz: f64 },
    #[error("point {index}: frequency {hz} Hz is not above the previous point's {previous} Hz")]
    Order {
        index: usize,
        hz: f64,
        previous: f64,
    },
    #[error("point {index}: {field} is not a finite number")]
    NotFinite { index: usize, field: &'static str },
    #[error("point {index}: {field} {value} dB is outside ±{LEVEL_LIMIT_DB} dB")]
    Level {
        index: usize,
        field: &'static str,
        value: f64,
    },
    #[error(
        "point {index}: the tolerance band {low_db} to {high_db} dB does not contain the level {level_db} dB"
    )]
    Band {
        index: usize,
        low_db: f64,
        level_db: f64,
        high_db: f64,
    },
    #[error("only one of \"band_low_db\" and \"band_high_db\" is given")]
    HalfBand,
    #[error("there is no audio to make a curve from")]
    NoAudio,
    #[error(
        "\"tilt_tolerance_db_per_octave\" {0} is not between 0 and {MAX_TILT_TOLERANCE_DB_PER_OCTAVE}"
    )]
    TiltTolerance(f64),
}

impl Curve {
    /// Parses and checks a curve file's text.
    pub fn from_json(text: &str) -> Result<Curve, CurveError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| CurveError::Json(e.to_string()))?;
        Self::from_value(value)
    }

    /// Checks a parsed curve (e.g. from saved plugin state).
    pub fn from_value(value: serde_json::Value) -> Result<Curve, CurveError> {
        match value.get("format") {
            Some(serde_json::Value::String(s)) if s == FORMAT_ID => {}
            Some(other) => return Err(CurveError::Format(other.to_string())),
            None => return Err(CurveError::Format("missing".to_string())),
        }
        match value.get("version") {
            Some(v) if v.as_u64() == Some(FORMAT_VERSION as u64) => {}
            Some(other) => return Err(CurveError::Version(other.to_string())),
            None => return Err(CurveError::Version("missing".to_string())),
        }
        let curve: Curve =
            serde_json::from_value(value).map_err(|e| CurveError::Field(e.to_string()))?;
        curve.validate()?;
        Ok(curve)
    }

    /// Reads and checks a curve file.
    pub fn load(path: &Path) -> Result<Curve, CurveError> {
        let text = std::fs::read_to_string(path).map_err(|source| CurveError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Every rule of the format (docs/reference-curves.md).
    pub fn validate(&self) -> Result<(), CurveError> {
        let chars = self.name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            return Err(CurveError::Name);
        }
        let n = self.frequency_hz.len();
        if n < 2 {
            return Err(CurveError::TooFewPoints(n));
        }
        if n > MAX_POINTS {
            return Err(CurveError::TooManyPoints(n));
        }
        let lengths = [
            ("level_db", Some(self.level_db.len())),
            ("band_low_db", self.band_low_db.as_ref().map(Vec::len)),
            ("band_high_db", self.band_high_db.as_ref().map(Vec::len)),
        ];
        for (field, len) in lengths {
            if let Some(found) = len.filter(|&len| len != n) {
                return Err(CurveError::Length {
                    field,
                    expected: n,
                    found,
                });
            }
        }
        if self.band_low_db.is_some() != self.band_high_db.is_some() {
            return Err(CurveError::HalfBand);
        }
        if let Some(t) = self.tilt_tolerance_db_per_octave
            && !(0.0..=MAX_TILT_TOLERANCE_DB_PER_OCTAVE).contains(&t)
        {
            return Err(CurveError::TiltTolerance(t));
        }
        for (index, &hz) in self.frequency_hz.iter().enumerate() {
            if !hz.is_finite() {
                return Err(CurveError::NotFinite {
                    index,
                    field: "frequency_hz",
                });
            }
            if !(MIN_FREQUENCY_HZ..=MAX_FREQUENCY_HZ).contains(&hz) {
                return Err(CurveError::Frequency { index, hz });
            }
            if index > 0 && hz <= self.frequency_hz[index - 1] {
                return Err(CurveError::Order {
                    index,
                    hz,
                    previous: self.frequency_hz[index - 1],
                });
            }
            let level_db = self.level_db[index];
            if !level_db.is_finite() {
                return Err(CurveError::NotFinite {
                    index,
                    field: "level_db",
                });
            }
            let within = |field: &'static str, value: f64| {
                if value.abs() <= LEVEL_LIMIT_DB {
                    Ok(())
                } else {
                    Err(CurveError::Level {
                        index,
                        field,
                        value,
                    })
                }
            };
            within("level_db", level_db)?;
            if let (Some(low), Some(high)) = (&self.band_low_db, &self.band_high_db) {
                let (low_db, high_db) = (low[index], high[index]);
                if !low_db.is_finite() || !high_db.is_finite() {
                    return Err(CurveError::NotFinite {
                        index,
                        field: "band",
                    });
                }
                within("band_low_db", low_db)?;
                within("band_high_db", high_db)?;
                if !(low_db <= level_db && level_db <= high_db) {
                    return Err(CurveError::Band {
                        index,
                        low_db,
                        level_db,
                        high_db,
                    });
                }
            }
        }
        Ok(())
    }

    pub fn has_band(&self) -> bool {
        self.band_low_db.is_some() && self.band_high_db.is_some()
    }

    pub fn covers(&self, hz: f64) -> bool {
        let (first, last) = (
            self.frequency_hz[0],
            self.frequency_hz[self.frequency_hz.len() - 1],
        );
        (first..=last).contains(&hz)
    }

    /// Level, band low and band high at `hz` (linear interpolation over log frequency), or
    /// `None` outside the curve's range. Without a band, low and high equal the level.
    pub fn at(&self, hz: f64) -> Option<(f64, f64, f64)> {
        if !self.covers(hz) {
            return None;
        }
        let upper = self
            .frequency_hz
            .partition_point(|&f| f < hz)
            .clamp(1, self.frequency_hz.len() - 1);
        let lower = upper - 1;
        let (f0, f1) = (self.frequency_hz[lower], self.frequency_hz[upper]);
        let t = ((hz / f0).ln() / (f1 / f0).ln()).clamp(0.0, 1.0);
        let lerp = |v: &[f64]| v[lower] + t * (v[upper] - v[lower]);
        let level = lerp(&self.level_db);
        match (&self.band_low_db, &self.band_high_db) {
            (Some(low), Some(high)) => Some((level, lerp(low), lerp(high))),
            _ => Some((level, level, level)),
        }
    }

    /// Shifts level and band by `offset_db`.
    fn shift(&mut self, offset_db: f64) {
        let shift = |v: &mut Vec<f64>| v.iter_mut().for_each(|x| *x += offset_db);
        shift(&mut self.level_db);
        if let Some(v) = self.band_low_db.as_mut() {
            shift(v);
        }
        if let Some(v) = self.band_high_db.as_mut() {
            shift(v);
        }
    }

    /// Shifts the curve so its K-weighted power is 0 dB (see the module docs).
    pub fn normalise(&mut self) {
        let grid = standard_grid();
        let points: Vec<(f64, f64)> = grid
            .iter()
            .filter_map(|&f| self.at(f).map(|(level, _, _)| (f, level)))
            .collect();
        if let Some(level) = k_weighted_level_db(&points) {
            self.shift(-level);
        }
    }

    /// A curve from a long-term spectrum: 1/24-octave mean power on the standard grid (up to
    /// the spectrum's Nyquist frequency), normalised.
    pub fn from_spectrum(
        name: &str,
        kind: CurveKind,
        source: &str,
        spectrum: &PowerSpectrum,
    ) -> Result<Curve, CurveError> {
        let nyquist_hz = spectrum.bin_hz * (spectrum.fft_size / 2) as f64;
        let half = 2f64.powf(0.5 / POINTS_PER_OCTAVE as f64);
        let grid: Vec<f64> = standard_grid()
            .into_iter()
            .filter(|&f| f * half <= nyquist_hz)
            .collect();
        let mut power = vec![0.0; grid.len()];
        LogSmoother::default().smooth(
            &spectrum.power,
            spectrum.bin_hz,
            &grid,
            POINTS_PER_OCTAVE as f64,
            &mut power,
        );
        let loudest = power.iter().copied().fold(0.0f64, f64::max);
        if grid.len() < 2 || loudest <= 0.0 || !loudest.is_finite() {
            return Err(CurveError::NoAudio);
        }
        let floor_db = power_to_db(loudest) - FLOOR_BELOW_PEAK_DB;
        let level_db = power
            .iter()
            .map(|&p| power_to_db(p).max(floor_db))
            .collect();
        let mut curve = Curve {
            format: FORMAT_ID.to_string(),
            version: FORMAT_VERSION,
            name: clean_name(name),
            kind,
            source: source.to_string(),
            method: format!(
                "long-term average power spectrum (Hann-windowed {}-point FFT, 50 % overlap, \
                 {:.1} s of audio), 1/{POINTS_PER_OCTAVE}-octave mean power per bin, \
                 normalised to 0 dB K-weighted power",
                spectrum.fft_size, spectrum.covered_s
            ),
            frequency_hz: grid,
            level_db,
            band_low_db: None,
            band_high_db: None,
            tilt_tolerance_db_per_octave: None,
        };
        curve.normalise();
        curve.validate()?;
        Ok(curve)
    }

    /// The highest frequency the curve covers, Hz.
    pub fn top_hz(&self) -> f64 {
        self.frequency_hz[self.frequency_hz.len() - 1]
    }

    /// Combines curves made by [`Curve::from_spectrum`] (one per reference file) into one;
    /// see [`Curve::combine_with_notes`].
    pub fn combine(name: &str, source: &str, curves: &[Curve]) -> Result<Curve, CurveError> {
        Self::combine_with_notes(name, source, curves).map(|(curve, _)| curve)
    }

    /// Combines curves made by [`Curve::from_spectrum`] (one per reference file) into one:
    ///
    /// - **Range**: every point at least one file covers. A file that stops lower (a lower
    ///   sample rate) is left out above its top, and a note says so (never a silent cut).
    /// - **Level**: each file is level-matched to the median of all of them (the comparison's
    ///   own matching, [`align::match_level_db`]), then the median is taken again.
    /// - **Band** (two files or more): each file is aligned with the median exactly as a mix
    ///   is in the comparison (level and tilt, [`align::align`]); the band is the envelope of
    ///   what remains, lowest to highest file at each point. So every file lies inside its own
    ///   curve, region by region, whatever its length or rate. The spread of the files' tilts
    ///   is the curve's tilt tolerance.
    ///
    /// Returns the curve and the notes about files that cover less than the curve.
    pub fn combine_with_notes(
        name: &str,
        source: &str,
        curves: &[Curve],
    ) -> Result<(Curve, Vec<String>), CurveError> {
        let Some(first) = curves.first() else {
            return Err(CurveError::NoAudio);
        };
        if curves.len() == 1 {
            let mut curve = first.clone();
            curve.name = clean_name(name);
            curve.source = source.to_string();
            return Ok((curve, Vec::new()));
        }
        let grid: Vec<f64> = standard_grid()
            .into_iter()
            .filter(|&f| curves.iter().any(|c| c.covers(f)))
            .collect();
        if grid.len() < 2 {
            return Err(CurveError::NoAudio);
        }
        let top_hz = grid[grid.len() - 1];
        let mut notes = Vec::new();
        for c in curves {
            if c.top_hz() < top_hz / 2f64.powf(1.0 / POINTS_PER_OCTAVE as f64) {
                notes.push(format!(
                    "{} reaches only {:.1} kHz (its sample rate): above that the curve rests \
                     on the other files",
                    c.source,
                    c.top_hz() / 1000.0
                ));
            }
        }
        // Each file's levels on the grid (None where it does not reach).
        let levels: Vec<Vec<Option<f64>>> = curves
            .iter()
            .map(|c| grid.iter().map(|&f| c.at(f).map(|l| l.0)).collect())
            .collect();
        let median_of = |levels: &[Vec<Option<f64>>]| -> Vec<f64> {
            (0..grid.len())
                .map(|i| {
                    let mut v: Vec<f64> = levels.iter().filter_map(|l| l[i]).collect();
                    v.sort_by(f64::total_cmp);
                    percentile(&v, 0.5)
                })
                .collect()
        };
        let first_median = median_of(&levels);
        let matched: Vec<Vec<Option<f64>>> = levels
            .iter()
            .map(|l| {
                let (g, m, r) = covered(&grid, l, &first_median);
                let offset = align::match_level_db(&g, &m, &r).unwrap_or(0.0);
                l.iter().map(|v| v.map(|v| v - offset)).collect()
            })
            .collect();
        let level_db = median_of(&matched);
        let mut low_db = level_db.clone();
        let mut high_db = level_db.clone();
        let mut widest_tilt: f64 = 0.0;
        for l in &levels {
            let (g, m, r) = covered(&grid, l, &level_db);
            let Some(a) = align::align(&g, &m, &r) else {
                continue;
            };
            widest_tilt = widest_tilt.max(a.tilt_db_per_octave.abs());
            for (i, &f) in grid.iter().enumerate() {
                if let Some(v) = l[i] {
                    let residual = v - a.apply(f, level_db[i]) + level_db[i];
                    low_db[i] = low_db[i].min(residual);
                    high_db[i] = high_db[i].max(residual);
                }
            }
        }
        let files: Vec<String> = curves
            .iter()
            .map(|c| format!("{}: {}", c.source, c.method))
            .collect();
        let mut curve = Curve {
            format: FORMAT_ID.to_string(),
            version: FORMAT_VERSION,
            name: clean_name(name),
            kind: CurveKind::Audio,
            source: source.to_string(),
            method: format!(
                "{} files ({}); combined per point over the files that reach it: each file \
                 level-matched to the median, the median level, and as the band the lowest to \
                 highest file after matching level and tilt as the comparison does; tilt \
                 tolerance: the largest file tilt{}",
                curves.len(),
                files.join("; "),
                if notes.is_empty() {
                    String::new()
                } else {
                    format!(". {}", notes.join(". "))
                }
            ),
            frequency_hz: grid,
            level_db,
            band_low_db: Some(low_db),
            band_high_db: Some(high_db),
            tilt_tolerance_db_per_octave: Some(widest_tilt.min(MAX_TILT_TOLERANCE_DB_PER_OCTAVE)),
        };
        curve.normalise();
        curve.validate()?;
        Ok((curve, notes))
    }
}

/// The grid points a file covers, with its levels and the curve's there.
fn covered(grid: &[f64], levels: &[Option<f64>], curve: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for ((&f, l), &c) in grid.iter().zip(levels).zip(curve) {
        if let Some(l) = l {
            out.0.push(f);
            out.1.push(*l);
            out.2.push(c);
        }
    }
    out
}

fn clean_name(name: &str) -> String {
    let name: String = name.trim().chars().take(MAX_NAME_CHARS).collect();
    if name.is_empty() {
        "Reference".to_string()
    } else {
        name
    }
}

/// `p`-quantile of sorted values (linear interpolation between ranks).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = p * (sorted.len() - 1) as f64;
    let lower = rank.floor() as usize;
    let upper = (lower + 1).min(sorted.len() - 1);
    sorted[lower] + (rank - lower as f64) * (sorted[upper] - sorted[lower])
}

/// The 1/24-octave grid from 20 Hz to 20 kHz that curves are made on and compared over.
pub fn standard_grid() -> Vec<f64> {
    log_grid(POINTS_PER_OCTAVE, GRID_LOW_HZ, GRID_HIGH_HZ)
}

/// K-weighting power gain at `hz` (BS.1770-5 Annex 1 pre-filter and RLB high-pass, at 48 kHz).
pub fn k_weighting_power(hz: f64) -> f64 {
    let rate = K_WEIGHTING_RATE_HZ;
    let gain = Biquad::shelf(rate).gain_at(hz, rate) * Biquad::highpass(rate).gain_at(hz, rate);
    gain * gain
}

/// K-weighted power in dB of a spectrum given as (frequency, level dB per bin) points on a
/// logarithmic grid: `10·log10 Σ 10^(L/10) · K²(f) · f` (each point stands for a band whose
/// width is proportional to its frequency; constant factors cancel in comparisons). `None`
/// without points.
pub fn k_weighted_level_db(points: &[(f64, f64)]) -> Option<f64> {
    let total: f64 = points
        .iter()
        .map(|&(f, db)| 10f64.powf(db / 10.0) * k_weighting_power(f) * f)
        .sum();
    (total > 0.0 && total.is_finite()).then(|| power_to_db(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "format": FORMAT_ID,
            "version": 1,
            "name": "hand-made",
            "kind": "custom",
            "source": "test",
            "method": "typed in",
            "frequency_hz": [100.0, 1000.0, 10000.0],
            "level_db": [0.0, -3.0, -9.0],
        })
    }

    #[test]
    fn reads_writes_and_interpolates() {
        let curve = Curve::from_value(minimal()).unwrap();
        let back = Curve::from_json(&curve.to_json()).unwrap();
        assert_eq!(back, curve);
        let (level, low, high) = curve.at(316.227_766).unwrap();
        assert!((level + 1.5).abs() < 1e-6);
        assert_eq!((low, high), (level, level));
        assert!(curve.at(50.0).is_none());
        assert!(curve.at(20_000.0).is_none());
    }

    #[test]
    fn corrupt_curves_say_what_is_wrong() {
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (
                serde_json::json!({"format": "something-else", "version": 1}),
                "not a Mixmeter reference curve",
            ),
            (
                serde_json::json!({"version": 1}),
                "not a Mixmeter reference curve",
            ),
            (
                {
                    let mut v = minimal();
                    v["version"] = 2.into();
                    v
                },
                "version 2 is not supported",
            ),
            (
                {
                    let mut v = minimal();
                    v.as_object_mut().unwrap().remove("level_db");
                    v
                },
                "missing field `level_db`",
            ),
            (
                {
                    let mut v = minimal();
                    v["level_db"] = serde_json::json!([0.0, 1.0]);
                    v
                },
                "\"level_db\" has 2 values but \"frequency_hz\" has 3",
            ),
            (
                {
                    let mut v = minimal();
                    v["frequency_hz"] = serde_json::json!([100.0, 90.0, 1000.0]);
                    v
                },
                "point 1: frequency 90 Hz is not above the previous point's 100 Hz",
            ),
            (
                // Found by fuzzing: powers of such levels overflow to infinity.
                {
                    let mut v = minimal();
                    v["level_db"] = serde_json::json!([3.0, 300.0, 16000.0]);
                    v
                },
                "point 2: level_db 16000 dB is outside ±300 dB",
            ),
            (
                {
                    let mut v = minimal();
                    v["level_db"] = serde_json::json!([0.0, 0.0, 0.0]);
                    v["band_low_db"] = serde_json::json!([-1.0, -400.0, -1.0]);
                    v["band_high_db"] = serde_json::json!([1.0, 1.0, 1.0]);
                    v
                },
                "point 1: band_low_db -400 dB is outside ±300 dB",
            ),
            (
                {
                    let mut v = minimal();
                    v["frequency_hz"] = serde_json::json!([0.0, 90.0, 1000.0]);
                    v
                },
                "point 0: frequency 0 Hz is outside",
            ),
            (
                {
                    let mut v = minimal();
                    v["frequency_hz"] = serde_json::json!([100.0]);
                    v["level_db"] = serde_json::json!([1.0]);
                    v
                },
                "at least 2 points",
            ),
            (
                {
                    let mut v = minimal();
                    v["name"] = "".into();
                    v
                },
                "name is empty",
            ),
            (
                {
                    let mut v = minimal();
                    v["kind"] = "genre-average".into();
                    v
                },
                "unknown variant `genre-average`",
            ),
            (
                {
                    let mut v = minimal();
                    v["band_low_db"] = serde_json::json!([-1.0, -4.0, -8.0]);
                    v["band_high_db"] = serde_json::json!([1.0, -2.0, -7.0]);
                    v
                },
                "point 2: the tolerance band -8 to -7 dB does not contain the level -9 dB",
            ),
            (
                {
                    let mut v = minimal();
                    v["band_low_db"] = serde_json::json!([-1.0, -4.0, -10.0]);
                    v
                },
                "only one of",
            ),
            (
                {
                    let mut v = minimal();
                    v["level_db"] = serde_json::json!([0.0, "loud", 1.0]);
                    v
                },
                "malformed curve",
            ),
        ];
        for (value, expected) in cases {
            let error = Curve::from_value(value.clone()).unwrap_err().to_string();
            assert!(error.contains(expected), "{value}: {error}");
        }
        let error = Curve::from_json("{\"format\": ").unwrap_err().to_string();
        assert!(error.starts_with("not a JSON document"), "{error}");
        let error = Curve::load(Path::new("/nonexistent/curve.json"))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("cannot read /nonexistent/curve.json"),
            "{error}"
        );
    }

    #[test]
    fn builtins_are_normalised_slopes() {
        for curve in builtin::all() {
            curve.validate().unwrap();
            assert_eq!(curve.kind, CurveKind::Builtin);
            let points: Vec<(f64, f64)> = curve
                .frequency_hz
                .iter()
                .copied()
                .zip(curve.level_db.iter().copied())
                .collect();
            assert!(k_weighted_level_db(&points).unwrap().abs() < 1e-9);
        }
        let pink = builtin::curve("pink").unwrap();
        let (a, _, _) = pink.at(250.0).unwrap();
        let (b, _, _) = pink.at(500.0).unwrap();
        assert!((b - a + 3.0).abs() < 1e-9);
        assert!(builtin::curve("rock").is_none());
    }

    #[test]
    fn combining_keeps_every_file_inside_and_reports_short_ones() {
        let base = builtin::curve("pink").unwrap();
        let shaped = |tilt: f64, bump_db: f64, top_hz: f64| {
            let mut c = base.clone();
            for (l, f) in c.level_db.iter_mut().zip(&c.frequency_hz) {
                *l += tilt * (f / 1000.0).log2();
                if (200.0..500.0).contains(f) {
                    *l += bump_db;
                }
            }
            let keep = c.frequency_hz.iter().filter(|&&f| f <= top_hz).count();
            c.frequency_hz.truncate(keep);
            c.level_db.truncate(keep);
            c.source = format!("tilt {tilt} bump {bump_db}");
            c
        };
        let curves = [
            shaped(-0.5, 0.0, 20_000.0),
            shaped(0.0, 2.0, 20_000.0),
            shaped(0.5, -1.0, 5_500.0),
        ];
        let (combined, notes) = Curve::combine_with_notes("three", "a, b, c", &curves).unwrap();
        combined.validate().unwrap();
        // The union of the ranges, and a note naming the file that stops at 5.5 kHz.
        assert!(combined.top_hz() > 19_000.0);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("tilt 0.5 bump -1") && notes[0].contains("5.5 kHz"));
        assert!(combined.method.contains("tilt -0.5 bump 0: "));
        // The tilt tolerance is the widest file tilt against the median.
        let tolerance = combined.tilt_tolerance_db_per_octave.unwrap();
        assert!((tolerance - 0.5).abs() < 0.1, "{tolerance}");
        // Every file lies inside the band after alignment, at every point.
        let (low, high) = (
            combined.band_low_db.as_ref().unwrap(),
            combined.band_high_db.as_ref().unwrap(),
        );
        for c in &curves {
            let grid: Vec<f64> = combined
                .frequency_hz
                .iter()
                .copied()
                .filter(|&f| c.covers(f))
                .collect();
            let mix: Vec<f64> = grid.iter().map(|&f| c.at(f).unwrap().0).collect();
            let level: Vec<f64> = grid.iter().map(|&f| combined.at(f).unwrap().0).collect();
            let a = align::align(&grid, &mix, &level).unwrap();
            for (i, &f) in grid.iter().enumerate() {
                let j = combined.frequency_hz.iter().position(|&g| g == f).unwrap();
                let v = mix[i] - a.apply(f, level[i]) + level[i];
                assert!(
                    low[j] - 1e-9 <= v && v <= high[j] + 1e-9,
                    "{} at {f}",
                    c.source
                );
            }
        }
        let single = Curve::combine("one", "a", &curves[..1]).unwrap();
        assert!(!single.has_band());
    }

    #[test]
    fn optional_fields_of_a_hand_written_curve() {
        let mut v = minimal();
        for field in ["kind", "source", "method"] {
            v.as_object_mut().unwrap().remove(field);
        }
        let curve = Curve::from_value(v).unwrap();
        assert_eq!(curve.kind, CurveKind::Custom);
        let mut v = minimal();
        v["tilt_tolerance_db_per_octave"] = serde_json::json!(-1.0);
        let error = Curve::from_value(v).unwrap_err().to_string();
        assert!(error.contains("tilt_tolerance_db_per_octave"), "{error}");
    }
}
