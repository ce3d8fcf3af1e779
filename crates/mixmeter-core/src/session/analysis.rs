//! A session's tracks read together: [`analyze_session`] takes every track's frames
//! ([`TrackFrame`], aligned by `index`) and readings, and the master's when there is one, and
//! reports what the mixing guides read from them:
//! - gain staging per track and for the master ([`super::staging`]);
//! - who fills each region of the spectrum, over the whole measurement and recently
//!   ([`super::fill`]);
//! - masking pairs, frame by frame, with the carve to make ([`super::masking`]);
//! - the moments the master's true peak nears its ceiling and the tracks that peaked then
//!   ([`super::coincidence`]).
//!
//! Frames are aligned by `index` (the shared time base): a track may start late, stop early
//! or have gaps; a frame a track lacks counts as silence for that track. Without a master,
//! energy shares are of the sum of the tracks' energies (as if uncorrelated) and there is
//! no peak coincidence (it needs the master's true peak). Method, thresholds and sources:
//! `docs/session.md`.

use serde::Serialize;

use crate::meter::engine::Readings;

use super::coincidence::{PeakMoment, peak_moments};
use super::fill::{RegionFill, region_fill};
use super::frame::TrackFrame;
use super::masking::{MaskingPair, masking_pairs};
use super::staging::{MasterStaging, TrackStaging, master_staging, track_staging};

/// One track's whole-measurement readings, from the meter (a file's analysis, or a track
/// instance's meter). `None`: not measured (silence, too short).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TrackReadings {
    /// Maximum sample peak, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Maximum true peak (BS.1770-5 Annex 2), dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Short-term loudness (EBU R128, 3 s), LUFS: the maximum over a file; a live meter may
    /// pass its current value.
    pub short_term_lufs: Option<f64>,
    /// Integrated loudness (BS.1770-5, gated), LUFS.
    pub integrated_lufs: Option<f64>,
}

impl TrackReadings {
    /// A meter's whole-measurement readings (the short-term value is the maximum).
    pub fn from_readings(readings: &Readings) -> Self {
        Self {
            sample_peak_dbfs: readings.max_sample_peak_dbfs,
            true_peak_dbtp: readings.max_true_peak_dbtp,
            short_term_lufs: readings.max_short_term_lufs,
            integrated_lufs: readings.integrated_lufs,
        }
    }

    /// Readings estimated from frames alone, for a track without a meter of its own: peaks
    /// are the frames' maxima; the short-term value is the loudest 3 s (66 frames at 48 kHz,
    /// [`SHORT_TERM_FRAMES`]) and the integrated value the ungated mean over frames above
    /// the absolute gate (-70 LUFS), an approximation of BS.1770-5's gated value.
    pub fn from_frames(frames: &[TrackFrame]) -> Self {
        let db = |gain: f64| (gain > 0.0).then(|| 20.0 * gain.log10());
        let lufs = |ms: f64| (ms > 0.0).then(|| LUFS_OFFSET + 10.0 * ms.log10());
        let max =
            |f: fn(&TrackFrame) -> f32| frames.iter().map(|x| f(x) as f64).fold(0.0, f64::max);
        let mut sorted: Vec<&TrackFrame> = frames.iter().collect();
        sorted.sort_by_key(|f| f.index);
        let mut best = 0.0f64;
        for window in sorted.windows(SHORT_TERM_FRAMES.min(sorted.len()).max(1)) {
            let ms = window.iter().map(|f| f.mean_square as f64).sum::<f64>() / window.len() as f64;
            best = best.max(ms);
        }
        let gate = 10f64.powf((ABSOLUTE_GATE_LUFS - LUFS_OFFSET) / 10.0);
        let active: Vec<f64> = frames
            .iter()
            .map(|f| f.mean_square as f64)
            .filter(|&ms| ms > gate)
            .collect();
        let integrated = if active.is_empty() {
            None
        } else {
            lufs(active.iter().sum::<f64>() / active.len() as f64)
        };
        Self {
            sample_peak_dbfs: db(max(|f| f.sample_peak)),
            true_peak_dbtp: db(max(|f| f.true_peak)),
            short_term_lufs: lufs(best),
            integrated_lufs: integrated,
        }
    }
}

/// The constant of BS.1770-5 Annex 1, clause 2.4: loudness is `-0.691 + 10 log10(mean square)`.
pub const LUFS_OFFSET: f64 = -0.691;
/// BS.1770-5's absolute gate, LUFS.
pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// Frames in about 3 s (at 44.1 and 48 kHz, 2048-sample frames).
pub const SHORT_TERM_FRAMES: usize = 66;

/// One track as the session analysis reads it.
#[derive(Debug, Clone, Copy)]
pub struct TrackSeries<'a> {
    pub name: &'a str,
    /// The track's frames, in any order; frames are matched across tracks by `index`.
    pub frames: &'a [TrackFrame],
    pub readings: TrackReadings,
}

/// What the analysis looks for, and how closely.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionOptions {
    /// The "recent" window of the region fill (the live view), frames at the end of the
    /// measured span (default 220, about 10 s).
    pub recent_frames: usize,
    /// Seconds per frame (hop / sample rate), to give moments a time; `None`: indices only.
    pub frame_seconds: Option<f64>,
    /// Two tracks mask each other in a band when their energies there are within this many
    /// dB (default 6).
    pub masking_within_db: f64,
    /// ... and each holds at least this share of the band's energy in the mix (default 0.2)
    pub masking_min_share: f64,
    /// ... and the band is no more than this many dB below the frame's loudest band
    /// (default 30: a band that quiet is not heard against the rest).
    pub masking_band_floor_db: f64,
    /// A pair is reported when it masks in at least this share of the frames where both
    /// play (default 0.1)...
    pub masking_min_time: f64,
    /// ... and in at least this many frames (default 10, about half a second).
    pub masking_min_frames: usize,
    /// The master's true-peak ceiling, dBTP (default -1, the streaming ceiling).
    pub ceiling_dbtp: f64,
    /// A master frame counts as a peak moment when its true peak is within this many dB of
    /// the ceiling (default 2: at -1 dBTP, every frame past -3 dBTP, where the master's
    /// gain-staging verdict stops passing and points at the peak moments).
    pub near_ceiling_db: f64,
    /// A track peaks together with the master when its frame's true peak is within this
    /// many dB of its own maximum (default 3).
    pub track_near_max_db: f64,
    /// Peak frames at most this many frames apart form one moment (default 5).
    pub moment_gap_frames: u64,
    /// The longest span of frame indices aligned, frames (the latest are kept; default and
    /// most [`MAX_SPAN_FRAMES`], a day). The plugin's master passes a few times what it keeps
    /// of each track, so tracks on far-apart time bases (two projects in one group, a track
    /// counting its own samples) cost memory for the span they share, not for the distance
    /// between them.
    pub max_span_frames: u64,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            recent_frames: 220,
            frame_seconds: None,
            masking_within_db: 6.0,
            masking_min_share: 0.2,
            masking_band_floor_db: 30.0,
            masking_min_time: 0.1,
            masking_min_frames: 10,
            ceiling_dbtp: -1.0,
            near_ceiling_db: 2.0,
            track_near_max_db: 3.0,
            moment_gap_frames: 5,
            max_span_frames: MAX_SPAN_FRAMES,
        }
    }
}

/// Everything the session analysis found.
#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    /// Frames on the shared time base from the first to the last any series holds.
    pub first_index: Option<u64>,
    pub last_index: Option<u64>,
    /// Gain staging, one row per track in the order given.
    pub tracks: Vec<TrackStaging>,
    pub master: Option<MasterStaging>,
    /// Whether the energy shares are of the master (`true`) or of the sum of the tracks.
    pub shares_of_master: bool,
    /// Per region of [`crate::diagnosis::REGIONS`].
    pub regions: Vec<RegionFill>,
    /// Ranked, strongest first.
    pub masking: Vec<MaskingPair>,
    /// With a master: the moments its true peak neared the ceiling (chronological).
    pub peak_moments: Option<Vec<PeakMoment>>,
}

/// The frames of every series on one grid: `grid[t]` holds frame `first + t` of each.
pub(super) struct Aligned<'a> {
    pub first: u64,
    pub len: usize,
    /// Per track, per grid position: the frame, if the track has it.
    pub tracks: Vec<Vec<Option<&'a TrackFrame>>>,
    pub master: Option<Vec<Option<&'a TrackFrame>>>,
}

/// The longest span aligned (frames beyond it, the oldest, are left out): a day of frames at
/// 48 kHz.
pub const MAX_SPAN_FRAMES: u64 = 24 * 3600 * 48_000 / 2048;

impl<'a> Aligned<'a> {
    fn new(
        tracks: &[TrackSeries<'a>],
        master: Option<&TrackSeries<'a>>,
        max_span: u64,
    ) -> Option<Self> {
        let all = tracks.iter().chain(master).flat_map(|s| s.frames.iter());
        let last = all.clone().map(|f| f.index).max()?;
        let first = all
            .map(|f| f.index)
            .min()?
            .max(last.saturating_sub(max_span.clamp(1, MAX_SPAN_FRAMES) - 1));
        let len = (last - first + 1) as usize;
        let place = |frames: &'a [TrackFrame]| {
            let mut grid = vec![None; len];
            for f in frames.iter().filter(|f| f.index >= first) {
                grid[(f.index - first) as usize] = Some(f);
            }
            grid
        };
        Some(Self {
            first,
            len,
            tracks: tracks.iter().map(|t| place(t.frames)).collect(),
            master: master.map(|m| place(m.frames)),
        })
    }
}

/// Reads a session (see the module docs).
pub fn analyze_session(
    tracks: &[TrackSeries],
    master: Option<&TrackSeries>,
    options: &SessionOptions,
) -> SessionReport {
    let Some(aligned) = Aligned::new(tracks, master, options.max_span_frames) else {
        return SessionReport {
            first_index: None,
            last_index: None,
            tracks: tracks.iter().map(|t| track_staging(t, &[], None)).collect(),
            master: master.map(|m| master_staging(m.readings)),
            shares_of_master: master.is_some(),
            regions: region_fill(tracks, &empty_aligned(tracks.len()), options),
            masking: Vec::new(),
            peak_moments: master.map(|_| Vec::new()),
        };
    };
    // Energy shares: of the master's energy over the frames it has, else of the tracks' sum.
    let total_energy = match &aligned.master {
        Some(m) => m
            .iter()
            .flatten()
            .map(|f| f.mean_square as f64)
            .sum::<f64>(),
        None => aligned
            .tracks
            .iter()
            .flat_map(|t| t.iter().flatten())
            .map(|f| f.mean_square as f64)
            .sum(),
    };
    let staging = tracks
        .iter()
        .zip(&aligned.tracks)
        .map(|(t, grid)| track_staging(t, grid, Some(total_energy)))
        .collect();
    SessionReport {
        first_index: Some(aligned.first),
        last_index: Some(aligned.first + aligned.len as u64 - 1),
        tracks: staging,
        master: master.map(|m| master_staging(m.readings)),
        shares_of_master: master.is_some(),
        regions: region_fill(tracks, &aligned, options),
        masking: masking_pairs(tracks, &aligned, options),
        peak_moments: master.map(|_| peak_moments(tracks, &aligned, options)),
    }
}

fn empty_aligned<'a>(tracks: usize) -> Aligned<'a> {
    Aligned {
        first: 0,
        len: 0,
        tracks: vec![Vec::new(); tracks],
        master: None,
    }
}

/// Linear energy to dB (`None` for zero).
pub(super) fn energy_db(energy: f64) -> Option<f64> {
    (energy > 0.0).then(|| 10.0 * energy.log10())
}
