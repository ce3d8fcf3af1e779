//! The built-in curves.
//!
//! - **`music`** (the default): a typical long-term average spectrum of a finished mix, with
//!   the spread between mixes as its tolerance band ([`MUSIC_ANCHORS`]; where its numbers come
//!   from is said there and in `docs/reference-curves.md`).
//! - **Slopes** ([`SLOPES`]): straight lines in dB per octave, analysis aids labelled as what
//!   they are, not statistics of any music.

use super::*;

/// The default curve's id.
pub const DEFAULT_ID: &str = "music";

/// (id, name, dB per octave, what it is).
pub const SLOPES: [(&str, &str, f64, &str); 3] = [
    (
        "pink",
        "Pink noise slope (-3 dB/octave)",
        -3.0,
        "equal power in every octave: the spectrum of pink noise (an analysis aid, not a music \
         average)",
    ),
    (
        "tilt-4.5",
        "Slope -4.5 dB/octave",
        -4.5,
        "a straight slope of -4.5 dB per octave, the tilt many spectrum analyzers apply for \
         music (a rule of thumb and an analysis aid, not a measured average)",
    ),
    (
        "brown",
        "Brown noise slope (-6 dB/octave)",
        -6.0,
        "power falling 6 dB per octave: the spectrum of brown (red) noise (an analysis aid)",
    ),
];

/// The `music` curve at third-octave centres: (frequency Hz, level against a pink line through
/// 1 kHz dB, lowest and highest of the usual spread around it dB). Per-bin levels are these
/// minus 3 dB per octave above 1 kHz (plus 3 below).
///
/// **Where the numbers come from.** The shape follows what the published long-term average
/// spectrum (LTAS) studies of commercial recordings report: Pestana, Ma, Reiss, Barbosa and
/// Black, "Spectral characteristics of popular commercial recordings 1950-2010" (AES 135th
/// Convention, 2013), and Elowsson and Friberg, "Long-term average spectrum in popular music
/// and its relation to the level of the percussion" (AES 142nd Convention, 2017, paper 9762):
/// the mean LTAS has its maximum in the bass (between about 50 and 120 Hz), falls on a
/// log-frequency axis along a concave curve (their fits are quadratic in log frequency), close
/// to pink through the mids and steeper and steeper above a few kHz, and falls off below
/// about 40 Hz; the spread between recordings is smallest in the mids and largest at the
/// ends (the low end with the genre and the era, the top with the amount of percussion and
/// with lossy encoding). **No value below is quoted from those papers**: they could not be
/// consulted when this table was written, so every number is an approximation written for
/// Mixmeter to that description, then checked against the freely licensed songs of the
/// real-recordings test set (docs/reference-curves.md gives their readings). Replace it with
/// a curve built from your own references (`mixmeter reference build`) when you have them.
pub const MUSIC_ANCHORS: [(f64, f64, f64, f64); 31] = [
    (20.0, -5.0, -24.0, 5.0),
    (25.0, -1.0, -20.0, 6.0),
    (31.5, 3.0, -14.0, 6.0),
    (40.0, 8.5, -9.0, 6.0),
    (50.0, 11.5, -7.0, 5.0),
    (63.0, 11.0, -6.0, 4.5),
    (80.0, 9.5, -5.0, 4.0),
    (100.0, 8.5, -4.5, 4.0),
    (125.0, 7.5, -4.0, 3.5),
    (160.0, 6.5, -3.5, 3.5),
    (200.0, 6.0, -3.0, 3.0),
    (250.0, 6.0, -3.0, 3.0),
    (315.0, 5.0, -3.0, 3.0),
    (400.0, 4.0, -3.0, 3.0),
    (500.0, 3.0, -3.0, 3.0),
    (630.0, 2.0, -3.0, 3.0),
    (800.0, 1.0, -3.0, 3.0),
    (1000.0, 0.0, -3.0, 3.0),
    (1250.0, -0.5, -3.0, 3.0),
    (1600.0, -1.0, -3.0, 3.0),
    (2000.0, -1.5, -3.0, 3.0),
    (2500.0, -2.0, -3.0, 3.0),
    (3150.0, -2.0, -3.0, 3.0),
    (4000.0, -2.5, -3.0, 3.0),
    (5000.0, -3.0, -3.5, 3.5),
    (6300.0, -3.5, -4.0, 4.0),
    (8000.0, -4.5, -4.5, 4.5),
    (10000.0, -6.0, -5.5, 5.0),
    (12500.0, -8.0, -7.0, 5.5),
    (16000.0, -11.0, -12.0, 6.0),
    (20000.0, -17.0, -30.0, 7.0),
];

/// Tilt tolerance of the `music` curve, ± dB per octave: how far mixes' overall balance
/// spreads (brighter with more percussion, Elowsson and Friberg) — an approximation, like the
/// table.
pub const MUSIC_TILT_TOLERANCE_DB_PER_OCTAVE: f64 = 1.0;

/// Every built-in curve: (id, name, what it is), the default first.
pub fn list() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut out = vec![(
        DEFAULT_ID,
        "Music (typical mix, approximate)",
        "a typical long-term average spectrum of a finished mix with the usual spread between \
         mixes as its band, approximated to the published LTAS studies of commercial \
         recordings (Pestana et al., AES 2013; Elowsson and Friberg, AES 2017); no value is \
         quoted from them (docs/reference-curves.md)",
    )];
    out.extend(SLOPES.iter().map(|s| (s.0, s.1, s.3)));
    out
}

/// The built-in curve `id`, if there is one.
pub fn curve(id: &str) -> Option<Curve> {
    if id == DEFAULT_ID {
        return Some(music());
    }
    let &(id, name, slope, what) = SLOPES.iter().find(|s| s.0 == id)?;
    let grid = standard_grid();
    let level_db = grid.iter().map(|&f| slope * (f / 1000.0).log2()).collect();
    let mut curve = Curve {
        format: FORMAT_ID.to_string(),
        version: FORMAT_VERSION,
        name: name.to_string(),
        kind: CurveKind::Builtin,
        source: format!("built into Mixmeter (id \"{id}\"): {what}"),
        method: format!(
            "level = {slope} dB x log2(f / 1 kHz) on the 1/{POINTS_PER_OCTAVE}-octave \
             grid, normalised to 0 dB K-weighted power"
        ),
        frequency_hz: grid,
        level_db,
        band_low_db: None,
        band_high_db: None,
        tilt_tolerance_db_per_octave: None,
    };
    curve.normalise();
    Some(curve)
}

fn music() -> Curve {
    let (name, what) = list()
        .into_iter()
        .find(|c| c.0 == DEFAULT_ID)
        .map(|c| (c.1, c.2))
        .unwrap_or_default();
    let grid = standard_grid();
    // Linear interpolation over log frequency between the anchors, then from "against pink"
    // to per-bin levels.
    let at = |f: f64, pick: fn(&(f64, f64, f64, f64)) -> f64| {
        let upper = MUSIC_ANCHORS
            .partition_point(|a| a.0 < f)
            .clamp(1, MUSIC_ANCHORS.len() - 1);
        let (a, b) = (&MUSIC_ANCHORS[upper - 1], &MUSIC_ANCHORS[upper]);
        let t = ((f / a.0).ln() / (b.0 / a.0).ln()).clamp(0.0, 1.0);
        pick(a) + t * (pick(b) - pick(a)) - 3.0 * (f / 1000.0).log2()
    };
    let level_db: Vec<f64> = grid.iter().map(|&f| at(f, |a| a.1)).collect();
    let band_low_db = grid.iter().map(|&f| at(f, |a| a.1 + a.2)).collect();
    let band_high_db = grid.iter().map(|&f| at(f, |a| a.1 + a.3)).collect();
    let mut curve = Curve {
        format: FORMAT_ID.to_string(),
        version: FORMAT_VERSION,
        name: name.to_string(),
        kind: CurveKind::Builtin,
        source: format!("built into Mixmeter (id \"{DEFAULT_ID}\"): {what}"),
        method: format!(
            "third-octave anchors (level and spread against a pink line through 1 kHz, \
             crates/mixmeter-core/src/reference/builtin.rs), interpolated over log frequency onto the \
             1/{POINTS_PER_OCTAVE}-octave grid, normalised to 0 dB K-weighted power; tilt \
             tolerance ±{MUSIC_TILT_TOLERANCE_DB_PER_OCTAVE} dB/octave"
        ),
        frequency_hz: grid,
        level_db,
        band_low_db: Some(band_low_db),
        band_high_db: Some(band_high_db),
        tilt_tolerance_db_per_octave: Some(MUSIC_TILT_TOLERANCE_DB_PER_OCTAVE),
    };
    curve.normalise();
    curve
}

/// Every built-in curve.
pub fn all() -> Vec<Curve> {
    list().iter().filter_map(|s| curve(s.0)).collect()
}
