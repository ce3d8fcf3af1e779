//! Gain staging: each track's peaks, loudness, crest factor and share of the mix, graded
//! against the mixing guide's ranges ("aim for individual tracks to peak around -6 to -12
//! dBFS, and the master bus no higher than -3 dBFS before mastering").
//!
//! - A track is graded on its maximum **sample peak** (dBFS, what a DAW's track meter shows):
//!   at or below [`TRACK_PEAK_HIGH_DBFS`] passes (quieter than the guide's range passes too:
//!   in a floating-point mix a quiet track loses nothing, so it is not nagged), up to
//!   [`TRACK_PEAK_HOT_DBFS`] warns, above fails. Source: [`TRACK_SOURCE`].
//! - The master is graded on its maximum **true peak** (BS.1770-5 Annex 2) with the
//!   `pre-master` profile's `headroom` check of `assets/checks.json` (pass at most -3 dBTP,
//!   warn at most -1 dBTP), so the session view and `--check pre-master` agree.
//! - Crest factor: sample peak to RMS (dB), the RMS over the frames where the track plays
//!   (K-weighted loudness above the absolute gate, -70 LUFS), so a track that plays for a
//!   minute of a five-minute song is not read as spiky.
//! - Share: the track's K-weighted energy over the measurement divided by the master's (or
//!   by the sum of the tracks' when there is no master). Shares of a master need not add up
//!   to 1: tracks that are correlated add more than their energies, tracks that cancel less.

use serde::Serialize;

use super::analysis::{ABSOLUTE_GATE_LUFS, LUFS_OFFSET, TrackReadings, TrackSeries, energy_db};
use super::frame::TrackFrame;
use crate::diagnosis::checks;

/// A track peaking above this passes no longer (the top of the guide's -6 to -12 dBFS).
pub const TRACK_PEAK_HIGH_DBFS: f64 = -6.0;
/// A track peaking above this fails (half the guide's headroom left).
pub const TRACK_PEAK_HOT_DBFS: f64 = -3.0;
/// The bottom of the guide's range (said in the evidence, not graded).
pub const TRACK_PEAK_LOW_DBFS: f64 = -12.0;
/// Where a hot track is advised to peak: the middle of the guide's range.
pub const TRACK_PEAK_TARGET_DBFS: f64 = -9.0;

/// The source of the track thresholds.
pub const TRACK_SOURCE: &str = "Mixing guides' gain-staging rule: aim for individual tracks to peak around -6 to -12 dBFS, and the master bus no higher than -3 dBFS before mastering (a convention, not a standard: it leaves headroom for the bus processing and for mastering). Tracks quieter than -12 dBFS pass: a floating-point mix loses nothing by them.";

/// Pass, warn or fail (or nothing to grade).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
    /// No value to grade (silent track, no peak measured).
    None,
}

impl Verdict {
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::None => "none",
        }
    }
}

/// A graded reading with its evidence and the source of its threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Graded {
    pub verdict: Verdict,
    /// The reading and the range in words ("peaks at -0.5 dBFS, pass at most -6.0 dBFS").
    pub evidence: String,
    /// What to do, when something is to be done.
    pub advice: Option<String>,
    pub source: String,
}

/// One row of the gain-staging table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackStaging {
    pub name: String,
    pub readings: TrackReadings,
    /// Sample peak to RMS over the frames where the track plays, dB.
    pub crest_factor_db: Option<f64>,
    /// The track's share of the master's (or the tracks' summed) K-weighted energy, 0 to 1.
    pub energy_share: Option<f64>,
    /// Frames the track has on the shared time base.
    pub frames: usize,
    pub staging: Graded,
}

/// The master's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MasterStaging {
    pub readings: TrackReadings,
    pub staging: Graded,
}

/// A track's row; `total_energy`: the energy its share is of.
pub(super) fn track_staging(
    track: &TrackSeries,
    grid: &[Option<&TrackFrame>],
    total_energy: Option<f64>,
) -> TrackStaging {
    let frames: Vec<&TrackFrame> = grid.iter().flatten().copied().collect();
    let mut readings = track.readings;
    let from_frames = TrackReadings::from_frames(track.frames);
    readings.sample_peak_dbfs = readings.sample_peak_dbfs.or(from_frames.sample_peak_dbfs);
    readings.true_peak_dbtp = readings.true_peak_dbtp.or(from_frames.true_peak_dbtp);

    let gate = 10f64.powf((ABSOLUTE_GATE_LUFS - LUFS_OFFSET) / 10.0);
    let active: Vec<f64> = frames
        .iter()
        .filter(|f| f.mean_square as f64 > gate)
        .map(|f| f.power as f64)
        .collect();
    let rms_db = energy_db(active.iter().sum::<f64>() / active.len().max(1) as f64);
    let crest_factor_db = readings
        .sample_peak_dbfs
        .zip(rms_db)
        .map(|(peak, rms)| peak - rms);
    let energy: f64 = frames.iter().map(|f| f.mean_square as f64).sum();
    let energy_share = total_energy.filter(|&t| t > 0.0).map(|t| energy / t);
    TrackStaging {
        name: track.name.to_string(),
        readings,
        crest_factor_db,
        energy_share,
        frames: frames.len(),
        staging: grade_track(readings.sample_peak_dbfs),
    }
}

/// A track's peak graded.
pub fn grade_track(sample_peak_dbfs: Option<f64>) -> Graded {
    let source = TRACK_SOURCE.to_string();
    let Some(peak) = sample_peak_dbfs else {
        return Graded {
            verdict: Verdict::None,
            evidence: "no signal".to_string(),
            advice: None,
            source,
        };
    };
    let trim = (peak - TRACK_PEAK_TARGET_DBFS).round();
    let advice = format!(
        "lower its gain before its plugins (clip gain or trim) by about {trim:.0} dB, to peak near {TRACK_PEAK_TARGET_DBFS:.0} dBFS"
    );
    let (verdict, evidence, advice) = if peak > TRACK_PEAK_HOT_DBFS {
        (
            Verdict::Fail,
            format!(
                "peaks at {peak:.1} dBFS: hot (the guide: around {TRACK_PEAK_HIGH_DBFS:.0} to {TRACK_PEAK_LOW_DBFS:.0} dBFS; fails above {TRACK_PEAK_HOT_DBFS:.0} dBFS)"
            ),
            Some(advice),
        )
    } else if peak > TRACK_PEAK_HIGH_DBFS {
        (
            Verdict::Warn,
            format!(
                "peaks at {peak:.1} dBFS: a little above the guide's {TRACK_PEAK_HIGH_DBFS:.0} to {TRACK_PEAK_LOW_DBFS:.0} dBFS"
            ),
            Some(advice),
        )
    } else if peak >= TRACK_PEAK_LOW_DBFS {
        (
            Verdict::Pass,
            format!(
                "peaks at {peak:.1} dBFS, inside the guide's {TRACK_PEAK_HIGH_DBFS:.0} to {TRACK_PEAK_LOW_DBFS:.0} dBFS"
            ),
            None,
        )
    } else {
        (
            Verdict::Pass,
            format!(
                "peaks at {peak:.1} dBFS, below the guide's {TRACK_PEAK_HIGH_DBFS:.0} to {TRACK_PEAK_LOW_DBFS:.0} dBFS (fine in a floating-point mix)"
            ),
            None,
        )
    };
    Graded {
        verdict,
        evidence,
        advice,
        source,
    }
}

/// The master's row: its true peak against the pre-master headroom check.
pub(super) fn master_staging(readings: TrackReadings) -> MasterStaging {
    MasterStaging {
        readings,
        staging: grade_master(readings.true_peak_dbtp),
    }
}

/// The master's true peak graded with `assets/checks.json`'s pre-master headroom check.
pub fn grade_master(true_peak_dbtp: Option<f64>) -> Graded {
    let check = checks::profile("pre-master")
        .and_then(|p| p.checks.into_iter().find(|c| c.id == "headroom"));
    let (pass_max, warn_max, source) = match check {
        Some(c) => (
            c.pass.max.unwrap_or(-3.0),
            c.warn.max.unwrap_or(-1.0),
            c.source,
        ),
        None => (-3.0, -1.0, TRACK_SOURCE.to_string()),
    };
    let Some(peak) = true_peak_dbtp else {
        return Graded {
            verdict: Verdict::None,
            evidence: "no signal".to_string(),
            advice: None,
            source,
        };
    };
    let verdict = if peak <= pass_max {
        Verdict::Pass
    } else if peak <= warn_max {
        Verdict::Warn
    } else {
        Verdict::Fail
    };
    let advice = (verdict != Verdict::Pass).then(|| {
        format!(
            "lower the master (or every track) by about {:.0} dB, or find what drives the peaks (see the peak moments); no limiter on a pre-master",
            (peak - pass_max).ceil()
        )
    });
    Graded {
        verdict,
        evidence: format!(
            "true peak {peak:.1} dBTP (pass at most {pass_max:.1} dBTP, warn at most {warn_max:.1} dBTP)"
        ),
        advice,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_tracks_fail_quiet_ones_pass() {
        assert_eq!(grade_track(Some(-0.3)).verdict, Verdict::Fail);
        assert_eq!(grade_track(Some(-4.5)).verdict, Verdict::Warn);
        assert_eq!(grade_track(Some(-8.0)).verdict, Verdict::Pass);
        let quiet = grade_track(Some(-24.0));
        assert_eq!(quiet.verdict, Verdict::Pass);
        assert!(quiet.advice.is_none());
        let hot = grade_track(Some(-0.3));
        assert!(hot.advice.unwrap().contains("by about 9 dB"));
        assert!(hot.source.contains("-6 to -12 dBFS"));
    }

    #[test]
    fn the_master_follows_the_pre_master_headroom_check() {
        assert_eq!(grade_master(Some(-3.5)).verdict, Verdict::Pass);
        assert_eq!(grade_master(Some(-2.0)).verdict, Verdict::Warn);
        assert_eq!(grade_master(Some(0.2)).verdict, Verdict::Fail);
        assert!(grade_master(Some(0.2)).source.contains("-3 dBTP"));
    }
}
