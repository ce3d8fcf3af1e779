//! Aligning a spectrum with a curve: the level offset and the overall tilt between them.
//!
//! Shared by the comparison ([`crate::diagnosis::compare_tonal`]) and by the building of curves
//! from several files ([`super::Curve::combine`]), so a file's place in the band of the curve it
//! helped build is measured exactly as a mix is compared with it: a reference's own material
//! passes it.
//!
//! 1. **Level**: the loudness-weighted median of the per-point differences (each point weighted
//!    by its share of the curve's K-weighted power, BS.1770-5 K-weighting). When the shapes
//!    agree this gives both the same loudness; when one region deviates it does not drag the
//!    others (matching total loudness instead would: a region 6 dB up over 1.3 octaves raises
//!    the loudness by about 1 dB and every other region would read -1 dB).
//! 2. **Tilt**: a straight line in dB per octave through [`TILT_PIVOT_HZ`], fitted to the
//!    level-matched difference between [`TILT_LOW_HZ`] and [`TILT_HIGH_HZ`] (the spectrum's
//!    ends vary most between sources and lossy encoders cut them, so they do not steer it) by
//!    the Theil-Sen estimator: the median of the slopes between every two points of the
//!    difference averaged over sixth-octaves, at least an octave apart. A median of slopes is
//!    moved less by a bell or a shelf than a least-squares line, and a second pass leaves out
//!    the points further than [`TILT_OUTLIER_DB`] from the first line. Known limit (tested
//!    on real music, docs/reference-curves.md): a bell near an end of the range (4 kHz) still
//!    moves the tilt by up to about 0.7 dB/octave.
//! 3. The level is matched again against the tilted curve.

use super::k_weighting_power;

/// The tilt turns around this frequency (its level does not change with the tilt).
pub const TILT_PIVOT_HZ: f64 = 1_000.0;
/// The tilt is fitted from here...
pub const TILT_LOW_HZ: f64 = 50.0;
/// ...to here.
pub const TILT_HIGH_HZ: f64 = 12_000.0;
/// Points of the fit per octave (each the mean of the difference over its part of an octave).
const TILT_POINTS_PER_OCTAVE: f64 = 6.0;
/// Two points give a slope only this many octaves apart or more (closer ones are noise).
const TILT_MIN_SPAN_OCTAVES: f64 = 1.0;
/// A tilt needs this many octaves of spectrum to be fitted at all.
const TILT_MIN_RANGE_OCTAVES: f64 = 2.0;
/// Second pass: points further than this from the first line (dB) are left out, so a bell
/// near an end of the range (a presence boost) is not taken for a tilt.
pub const TILT_OUTLIER_DB: f64 = 2.5;

/// How a curve is laid over a spectrum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alignment {
    /// Added to the curve, dB.
    pub offset_db: f64,
    /// Added to the curve per octave above [`TILT_PIVOT_HZ`] (negative: the spectrum is
    /// darker than the curve), dB per octave.
    pub tilt_db_per_octave: f64,
}

impl Alignment {
    /// The curve's level at `hz` moved by this alignment.
    pub fn apply(&self, hz: f64, level_db: f64) -> f64 {
        level_db + self.offset_db + self.tilt_db_per_octave * (hz / TILT_PIVOT_HZ).log2()
    }
}

/// Aligns `reference_db` (the curve's levels on `grid`) with `mix_db`; `None` without points.
pub fn align(grid: &[f64], mix_db: &[f64], reference_db: &[f64]) -> Option<Alignment> {
    let first = match_level_db(grid, mix_db, reference_db)?;
    let difference: Vec<f64> = mix_db
        .iter()
        .zip(reference_db)
        .map(|(m, r)| m - r - first)
        .collect();
    let tilt = fit_tilt(grid, &difference).unwrap_or(0.0);
    let tilted: Vec<f64> = grid
        .iter()
        .zip(reference_db)
        .map(|(&f, &r)| r + tilt * (f / TILT_PIVOT_HZ).log2())
        .collect();
    let offset_db = match_level_db(grid, mix_db, &tilted)?;
    Some(Alignment {
        offset_db,
        tilt_db_per_octave: tilt,
    })
}

/// The level-matching offset (see the module docs).
pub fn match_level_db(grid: &[f64], mix_db: &[f64], reference_db: &[f64]) -> Option<f64> {
    let mut pairs: Vec<(f64, f64)> = grid
        .iter()
        .zip(mix_db)
        .zip(reference_db)
        .map(|((&f, &m), &r)| (m - r, 10f64.powf(r / 10.0) * k_weighting_power(f) * f))
        .filter(|(d, w)| d.is_finite() && w.is_finite())
        .collect();
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    if pairs.is_empty() || total <= 0.0 {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut cumulative = 0.0;
    for &(difference, weight) in &pairs {
        cumulative += weight;
        if cumulative >= 0.5 * total {
            return Some(difference);
        }
    }
    pairs.last().map(|p| p.0)
}

/// The Theil-Sen tilt of `difference` (dB on `grid`), dB per octave (see the module docs);
/// `None` when the grid spans too little of the fitting range.
pub fn fit_tilt(grid: &[f64], difference: &[f64]) -> Option<f64> {
    // Mean difference per sixth-octave cell, at the cell's mean log frequency.
    let mut cells: Vec<(f64, f64, usize)> = Vec::new();
    let mut current: Option<i64> = None;
    for (&f, &d) in grid.iter().zip(difference) {
        if !(TILT_LOW_HZ..=TILT_HIGH_HZ).contains(&f) || !d.is_finite() {
            continue;
        }
        let octave = (f / TILT_PIVOT_HZ).log2();
        let cell = (octave * TILT_POINTS_PER_OCTAVE).floor() as i64;
        if current != Some(cell) {
            cells.push((0.0, 0.0, 0));
            current = Some(cell);
        }
        let last = cells.last_mut()?;
        last.0 += octave;
        last.1 += d;
        last.2 += 1;
    }
    let points: Vec<(f64, f64)> = cells
        .iter()
        .map(|&(o, d, n)| (o / n as f64, d / n as f64))
        .collect();
    let first = theil_sen(&points)?;
    // The line's level: the median residual.
    let mut residuals: Vec<f64> = points.iter().map(|p| p.1 - first * p.0).collect();
    residuals.sort_by(f64::total_cmp);
    let level = residuals[residuals.len() / 2];
    let kept: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|p| (p.1 - first * p.0 - level).abs() <= TILT_OUTLIER_DB)
        .collect();
    Some(theil_sen(&kept).unwrap_or(first))
}

/// The median of the slopes between points at least [`TILT_MIN_SPAN_OCTAVES`] apart.
fn theil_sen(points: &[(f64, f64)]) -> Option<f64> {
    let (first, last) = (points.first()?, points.last()?);
    if last.0 - first.0 < TILT_MIN_RANGE_OCTAVES {
        return None;
    }
    let mut slopes = Vec::with_capacity(points.len() * points.len() / 2);
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            if b.0 - a.0 >= TILT_MIN_SPAN_OCTAVES {
                slopes.push((b.1 - a.1) / (b.0 - a.0));
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let n = slopes.len();
    Some(if n % 2 == 1 {
        slopes[n / 2]
    } else {
        0.5 * (slopes[n / 2 - 1] + slopes[n / 2])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::standard_grid;

    #[test]
    fn a_tilt_reads_as_a_tilt_and_a_bell_does_not() {
        let grid = standard_grid();
        let flat = vec![0.0; grid.len()];
        for tilt in [-1.5, -0.4, 0.0, 0.8, 1.5] {
            let mix: Vec<f64> = grid
                .iter()
                .map(|&f| 7.0 + tilt * (f / TILT_PIVOT_HZ).log2())
                .collect();
            let a = align(&grid, &mix, &flat).unwrap();
            assert!((a.tilt_db_per_octave - tilt).abs() < 1e-9, "{tilt}: {a:?}");
            assert!((a.offset_db - 7.0).abs() < 0.05, "{tilt}: {a:?}");
        }
        // A +6 dB bell an octave and a half wide at 300 Hz, or at 4 kHz: no tilt to speak of.
        for centre in [300.0, 4000.0] {
            let mix: Vec<f64> = grid
                .iter()
                .map(|&f| {
                    let x: f64 = (f / centre).log2() / 0.7;
                    6.0 * (-x * x).exp()
                })
                .collect();
            let a = align(&grid, &mix, &flat).unwrap();
            assert!(a.tilt_db_per_octave.abs() < 0.15, "{centre}: {a:?}");
            assert!(a.offset_db.abs() < 0.3, "{centre}: {a:?}");
        }
    }

    #[test]
    fn too_little_range_gives_no_tilt() {
        let grid: Vec<f64> = standard_grid().into_iter().filter(|&f| f < 150.0).collect();
        let d = vec![0.0; grid.len()];
        assert_eq!(fit_tilt(&grid, &d), None);
    }
}
