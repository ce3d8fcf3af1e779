//! Peaks that coincide: the frames where the master's true peak (BS.1770-5 Annex 2) comes
//! within [`SessionOptions::near_ceiling_db`] of [`SessionOptions::ceiling_dbtp`], and the
//! tracks that peaked with it (a track whose true peak in that frame is within
//! [`SessionOptions::track_near_max_db`] of its own maximum). Such frames at most
//! [`SessionOptions::moment_gap_frames`] apart are one moment. The tracks of a moment are
//! the ones to look at when the master runs out of headroom there (a kick and a bass hit on
//! the same beat, a crash over a vocal peak): lower one, or shape the transient.
//!
//! Limits: a frame's peaks are the largest in its hop (about 45 ms): two tracks peaking
//! 30 ms apart in one frame count as together. The master is whatever series is passed as
//! master (the CLI's sum of the stems, or a bounce).

use serde::Serialize;

use super::analysis::{Aligned, SessionOptions, TrackSeries};

/// A track in a peak moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeakingTrack {
    pub track: String,
    /// Its largest true peak during the moment, dBTP.
    pub true_peak_dbtp: f64,
    /// How far below its own maximum that is, dB.
    pub below_own_max_db: f64,
}

/// A moment the master neared its ceiling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeakMoment {
    pub first_index: u64,
    pub last_index: u64,
    /// With [`SessionOptions::frame_seconds`]: when, in seconds on the time base.
    pub start_s: Option<f64>,
    /// ... and the end of its last frame.
    pub end_s: Option<f64>,
    /// The master's largest true peak in the moment, dBTP.
    pub master_true_peak_dbtp: f64,
    /// Tracks that peaked with it, loudest peak first.
    pub tracks: Vec<PeakingTrack>,
}

fn db(gain: f32) -> f64 {
    20.0 * (gain.max(1e-20) as f64).log10()
}

/// A track peaking more than this far below the master's peak in the moment is not listed as
/// one of the tracks that drove it (under a quarter of the peak's amplitude).
pub const MAX_BELOW_MASTER_DB: f64 = 12.0;

pub(super) fn peak_moments(
    tracks: &[TrackSeries],
    aligned: &Aligned,
    options: &SessionOptions,
) -> Vec<PeakMoment> {
    let Some(master) = &aligned.master else {
        return Vec::new();
    };
    let threshold = options.ceiling_dbtp - options.near_ceiling_db.abs();
    let track_max: Vec<f64> = aligned
        .tracks
        .iter()
        .map(|grid| {
            grid.iter()
                .flatten()
                .map(|f| db(f.true_peak))
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let mut moments: Vec<PeakMoment> = Vec::new();
    for (t, frame) in master.iter().enumerate() {
        let Some(frame) = frame else { continue };
        let peak = db(frame.true_peak);
        if frame.true_peak <= 0.0 || peak < threshold {
            continue;
        }
        let index = aligned.first + t as u64;
        let joins = moments
            .last()
            .is_some_and(|m| index - m.last_index <= options.moment_gap_frames.max(1));
        if !joins {
            moments.push(PeakMoment {
                first_index: index,
                last_index: index,
                start_s: options.frame_seconds.map(|s| index as f64 * s),
                end_s: None,
                master_true_peak_dbtp: peak,
                tracks: Vec::new(),
            });
        }
        let Some(moment) = moments.last_mut() else {
            continue;
        };
        moment.last_index = index;
        moment.end_s = options.frame_seconds.map(|s| (index + 1) as f64 * s);
        moment.master_true_peak_dbtp = moment.master_true_peak_dbtp.max(peak);
        for (k, grid) in aligned.tracks.iter().enumerate() {
            let Some(f) = grid[t] else { continue };
            let tp = db(f.true_peak);
            if f.true_peak <= 0.0 || tp < track_max[k] - options.track_near_max_db.abs() {
                continue;
            }
            let name = tracks[k].name;
            match moment.tracks.iter_mut().find(|p| p.track == name) {
                Some(p) => p.true_peak_dbtp = p.true_peak_dbtp.max(tp),
                None => moment.tracks.push(PeakingTrack {
                    track: name.to_string(),
                    true_peak_dbtp: tp,
                    below_own_max_db: 0.0,
                }),
            }
        }
    }
    for m in &mut moments {
        // Loud enough against the moment's master peak to be part of it (a pad at -30 dBTP
        // at its own maximum does not drive a -0.5 dBTP master).
        let floor = m.master_true_peak_dbtp - MAX_BELOW_MASTER_DB;
        m.tracks.retain(|p| p.true_peak_dbtp >= floor);
        for p in &mut m.tracks {
            let k = tracks.iter().position(|t| t.name == p.track).unwrap_or(0);
            p.below_own_max_db = track_max[k] - p.true_peak_dbtp;
        }
        m.tracks
            .sort_by(|a, b| b.true_peak_dbtp.total_cmp(&a.true_peak_dbtp));
    }
    moments
}
