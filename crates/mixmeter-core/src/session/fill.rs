//! Who fills each region of the spectrum ([`crate::diagnosis::REGIONS`], sub to air): each
//! track's share of the region's energy, summed over the tracks, over the whole measurement
//! and over the last [`SessionOptions::recent_frames`] frames (the live view).
//!
//! A band of [`BAND_EDGES_HZ`] that straddles a region edge (50-63 Hz across 60 Hz) counts in
//! each region by the share of its width in octaves on that side (energy per octave taken as
//! even inside a third of an octave). Shares of a region add up to 1. A region whose energy is
//! more than [`EMPTY_REGION_BELOW_DB`] below the loudest region's, or zero, is **empty**: its
//! shares are `None` rather than a split of noise.

use serde::Serialize;

use super::analysis::{Aligned, SessionOptions, TrackSeries, energy_db};
use super::frame::{BAND_EDGES_HZ, BANDS, TrackFrame};
use crate::diagnosis::REGIONS;

/// A region this far below the loudest region (its energy summed over tracks) is empty.
pub const EMPTY_REGION_BELOW_DB: f64 = 60.0;

/// One track's share of a region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackShare {
    pub track: String,
    /// 0 to 1; `None` when the region is empty.
    pub share: Option<f64>,
}

/// The shares of one region over one span of frames.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionShares {
    /// The region's energy summed over tracks, mean per frame of the span, dB.
    pub energy_db: Option<f64>,
    pub empty: bool,
    /// In the order of the tracks.
    pub shares: Vec<TrackShare>,
}

/// Who fills one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionFill {
    pub id: String,
    pub name: String,
    pub low_hz: f64,
    pub high_hz: f64,
    pub whole: RegionShares,
    pub recent: RegionShares,
}

/// How much of band `b` lies in `[low_hz, high_hz)`, as a share of its width in octaves.
pub fn band_weight(b: usize, low_hz: f64, high_hz: f64) -> f64 {
    let (lo, hi) = (BAND_EDGES_HZ[b] as f64, BAND_EDGES_HZ[b + 1] as f64);
    let (a, z) = (lo.max(low_hz), hi.min(high_hz));
    if z <= a {
        0.0
    } else {
        (z / a).log2() / (hi / lo).log2()
    }
}

pub(super) fn region_fill(
    tracks: &[TrackSeries],
    aligned: &Aligned,
    options: &SessionOptions,
) -> Vec<RegionFill> {
    let weights: Vec<[f64; BANDS]> = REGIONS
        .iter()
        .map(|r| std::array::from_fn(|b| band_weight(b, r.low_hz, r.high_hz)))
        .collect();
    let recent_start = aligned.len.saturating_sub(options.recent_frames.max(1));
    let spans = [(0, aligned.len), (recent_start, aligned.len)];
    // energy[span][region][track]
    let energy: Vec<Vec<Vec<f64>>> = spans
        .iter()
        .map(|&(from, to)| {
            weights
                .iter()
                .map(|w| {
                    aligned
                        .tracks
                        .iter()
                        .map(|grid| {
                            grid.get(from..to)
                                .unwrap_or(&[])
                                .iter()
                                .flatten()
                                .map(|f| weighted(f, w))
                                .sum()
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let shares = |span: usize, region: usize| {
        let (from, to) = spans[span];
        let frames = (to - from).max(1) as f64;
        let loudest = energy[span]
            .iter()
            .map(|r| r.iter().sum::<f64>())
            .fold(0.0, f64::max);
        let per_track = &energy[span][region];
        let total: f64 = per_track.iter().sum();
        let empty = total <= 0.0 || total < loudest * 10f64.powf(-EMPTY_REGION_BELOW_DB / 10.0);
        RegionShares {
            energy_db: energy_db(total / frames),
            empty,
            shares: tracks
                .iter()
                .zip(per_track)
                .map(|(t, &e)| TrackShare {
                    track: t.name.to_string(),
                    share: (!empty).then(|| e / total),
                })
                .collect(),
        }
    };
    REGIONS
        .iter()
        .enumerate()
        .map(|(r, region)| RegionFill {
            id: region.id.to_string(),
            name: region.name.to_string(),
            low_hz: region.low_hz,
            high_hz: region.high_hz,
            whole: shares(0, r),
            recent: shares(1, r),
        })
        .collect()
}

fn weighted(frame: &TrackFrame, weights: &[f64; BANDS]) -> f64 {
    frame
        .bands
        .iter()
        .zip(weights)
        .map(|(&e, &w)| e as f64 * w)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_weights_split_by_octaves_and_cover_each_band_once() {
        for b in 0..BANDS {
            let total: f64 = REGIONS
                .iter()
                .map(|r| band_weight(b, r.low_hz, r.high_hz))
                .sum();
            assert!((total - 1.0).abs() < 1e-9, "band {b}: {total}");
        }
        // 50-63 Hz across 60 Hz: most of it below.
        let below = band_weight(3, 20.0, 60.0);
        assert!(below > 0.7 && below < 0.85, "{below}");
    }
}
