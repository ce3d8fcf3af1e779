//! The master's side: every live slot of a group, read from the editor thread, with each
//! track's frames collected into a history on the shared time base.
//!
//! Everything read is checked: a slot that is free, stale, half-written or says nonsense is
//! skipped; a frame that is torn, overwritten, another owner's, not finite or out of order is
//! dropped. A segment that is not this layout is "not linked" with the reason
//! ([`Reader::status`]).

use super::layout::{RING_LEN, Reading, SLOT_COUNT};
use super::segment::{LinkError, Mapping};
use super::slot::{self, Meta};
use mixmeter_core::session::frame::TrackFrame;
use std::collections::HashMap;
use std::sync::Arc;

/// Frames kept per track: about 3 minutes at every rate (up to [`HISTORY_SLACK`] more, so the
/// oldest are dropped in chunks, not one by one).
pub const HISTORY_FRAMES: usize = 4_096;
const HISTORY_SLACK: usize = 512;
/// How often a missing or refused segment is looked for again.
const RETRY_NS: u64 = 1_000_000_000;

/// One linked instance as the reader last saw it.
#[derive(Debug, Clone)]
pub struct LinkedTrack {
    pub slot: usize,
    pub owner: u64,
    pub meta: Meta,
    pub readings: [Option<f32>; super::layout::READINGS],
    /// Age of its last sign of life, ns.
    pub age_ns: u64,
}

impl LinkedTrack {
    pub fn reading(&self, reading: Reading) -> Option<f32> {
        self.readings[reading as usize]
    }

    pub fn is_master(&self) -> bool {
        self.meta.role == super::layout::ROLE_MASTER
    }
}

struct History {
    frames: Vec<TrackFrame>,
    /// The next frame number to read from the slot.
    next: u64,
}

/// Reads a group's segment (see the module docs).
pub struct Reader {
    group: String,
    mapping: Option<Arc<Mapping>>,
    status: Result<(), LinkError>,
    last_try_ns: Option<u64>,
    histories: HashMap<(usize, u64), History>,
}

impl Reader {
    pub fn new(group: &str) -> Reader {
        Reader {
            group: super::segment::normalize_group(group),
            mapping: None,
            status: Ok(()),
            last_try_ns: None,
            histories: HashMap::new(),
        }
    }

    /// Reads an already mapped segment (the master's own lease's mapping).
    pub fn with_mapping(group: &str, mapping: Arc<Mapping>) -> Reader {
        let mut reader = Reader::new(group);
        reader.mapping = Some(mapping);
        reader
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    /// `Err`: why the group's segment cannot be read (shown as "not linked").
    pub fn status(&self) -> &Result<(), LinkError> {
        &self.status
    }

    /// Every live slot now, tracks and masters, with their new frames added to their
    /// histories. Histories of slots gone stale are forgotten.
    pub fn poll(&mut self, now: u64) -> Vec<LinkedTrack> {
        if self.mapping.is_none()
            && self
                .last_try_ns
                .is_none_or(|t| now.saturating_sub(t) >= RETRY_NS)
        {
            self.last_try_ns = Some(now);
            match Mapping::open_existing(&self.group) {
                Ok(mapping) => {
                    self.mapping = mapping.map(Arc::new);
                    self.status = Ok(());
                }
                Err(error) => self.status = Err(error),
            }
        }
        let Some(mapping) = self.mapping.clone() else {
            return Vec::new();
        };
        if let Some(reason) = mapping.header().mismatch() {
            // Overwritten by something else since it was mapped.
            self.status = Err(LinkError::Foreign {
                path: mapping.path().display().to_string(),
                reason,
            });
            self.mapping = None;
            self.histories.clear();
            return Vec::new();
        }
        // Track instances summarize only while a master watches (see `layout::WATCH_NS`).
        mapping
            .header()
            .watched_ns
            .fetch_max(now, std::sync::atomic::Ordering::Relaxed);
        let mut live = Vec::new();
        for index in 0..SLOT_COUNT {
            let slot = mapping.slot(index);
            let owner = slot.owner.load(std::sync::atomic::Ordering::Acquire);
            let heartbeat = slot.heartbeat_ns.load(std::sync::atomic::Ordering::Relaxed);
            if !slot::is_live(owner, heartbeat, now) {
                continue;
            }
            let Some(meta) = slot::read_meta(slot) else {
                continue;
            };
            let history = self
                .histories
                .entry((index, owner))
                .or_insert_with(|| History {
                    frames: Vec::new(),
                    next: 0,
                });
            let written = slot::frames_written(slot);
            if written < history.next {
                // The counter went back: not the owner we knew; start again.
                history.next = 0;
                history.frames.clear();
            }
            let first = history.next.max(written.saturating_sub(RING_LEN as u64));
            let frames = &mut history.frames;
            for n in first..written {
                let Some(frame) = slot::read_frame(slot, owner, n) else {
                    continue;
                };
                if !frame_is_sane(&frame) {
                    continue;
                }
                match frames.last() {
                    Some(last) if last.index == frame.index => continue,
                    // The transport went back (a loop, a replay): the history starts again.
                    Some(last) if last.index > frame.index => frames.clear(),
                    _ => {}
                }
                frames.push(frame);
            }
            if frames.len() > HISTORY_FRAMES + HISTORY_SLACK {
                frames.drain(..frames.len() - HISTORY_FRAMES);
            }
            history.next = written;
            if !slot::owned_by(slot, owner) {
                continue;
            }
            live.push(LinkedTrack {
                slot: index,
                owner,
                meta,
                readings: slot::readings(slot),
                age_ns: now.saturating_sub(heartbeat),
            });
        }
        self.histories
            .retain(|key, _| live.iter().any(|t| (t.slot, t.owner) == *key));
        live
    }
}

impl Reader {
    /// The frames collected from `track`, in order of index.
    pub fn frames(&self, track: &LinkedTrack) -> &[TrackFrame] {
        self.histories
            .get(&(track.slot, track.owner))
            .map_or(&[], |h| h.frames.as_slice())
    }
}

/// The largest level a frame may hold (linear; +120 dB over full scale): anything above is
/// not audio but a damaged or foreign slot.
const MAX_LEVEL: f32 = 1e6;

/// Every level finite, not negative and below [`MAX_LEVEL`].
fn frame_is_sane(frame: &TrackFrame) -> bool {
    [
        frame.sample_peak,
        frame.true_peak,
        frame.mean_square,
        frame.power,
    ]
    .iter()
    .chain(frame.bands.iter())
    .all(|v| (0.0..=MAX_LEVEL).contains(v))
}

/// What the master's session view shows: the linked tracks (masters left out), in slot
/// order, and the analysis of them with the master's own frames.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// Every live slot but the reading master's own: (display name, slot).
    pub tracks: Vec<(String, LinkedTrack)>,
    pub report: mixmeter_core::session::analysis::SessionReport,
}

/// Everything one analysis of the session needs, copied out of the reader (so it can run on
/// another thread while the editor keeps drawing).
#[derive(Debug, Clone)]
pub struct SessionInput {
    tracks: Vec<(String, LinkedTrack)>,
    frames: Vec<Vec<TrackFrame>>,
    readings: Vec<mixmeter_core::session::analysis::TrackReadings>,
    master: Option<(
        Vec<TrackFrame>,
        mixmeter_core::session::analysis::TrackReadings,
    )>,
    options: mixmeter_core::session::analysis::SessionOptions,
}

impl SessionInput {
    /// Runs the analysis (allocates; O(frames x pairs x bands): off the editor's drawing).
    pub fn analyze(self) -> SessionView {
        use mixmeter_core::session::analysis::{TrackSeries, analyze_session};
        let series: Vec<TrackSeries> = self
            .tracks
            .iter()
            .zip(&self.frames)
            .zip(&self.readings)
            .map(|(((name, _), frames), readings)| TrackSeries {
                name,
                frames,
                readings: *readings,
            })
            .collect();
        let master_series = self.master.as_ref().map(|(frames, readings)| TrackSeries {
            name: "Master",
            frames,
            readings: *readings,
        });
        let report = analyze_session(&series, master_series.as_ref(), &self.options);
        SessionView {
            tracks: self.tracks,
            report,
        }
    }
}

impl Reader {
    /// Reads the session as the master `own` (its owner word) sees it: the tracks' frames
    /// and readings, and its own as the master series. Names that repeat get their slot
    /// number, so every row is told apart.
    pub fn session(&self, live: &[LinkedTrack], own: Option<u64>) -> SessionView {
        self.session_input(live, own).analyze()
    }

    /// What [`Reader::session`] analyses, copied out of the reader.
    pub fn session_input(&self, live: &[LinkedTrack], own: Option<u64>) -> SessionInput {
        use mixmeter_core::session::analysis::{SessionOptions, TrackReadings};
        let master = live.iter().find(|t| Some(t.owner) == own);
        let tracks: Vec<&LinkedTrack> = live
            .iter()
            .filter(|t| !t.is_master() && Some(t.owner) != own)
            .collect();
        let names: Vec<String> = tracks
            .iter()
            .map(|t| {
                let repeats = tracks.iter().filter(|o| o.meta.name == t.meta.name).count() > 1;
                if repeats {
                    format!("{} {}", t.meta.name, t.slot + 1)
                } else {
                    t.meta.name.clone()
                }
            })
            .collect();
        let readings = |t: &LinkedTrack| {
            let mut readings = TrackReadings::from_frames(self.frames(t));
            // The track's own meter knows its whole measurement better than the frames the
            // master collected.
            let meter = |r: Reading| t.reading(r).map(f64::from);
            readings.integrated_lufs = meter(Reading::IntegratedLufs).or(readings.integrated_lufs);
            readings.short_term_lufs =
                meter(Reading::MaxShortTermLufs).or(readings.short_term_lufs);
            readings
        };
        let rate = master
            .or(tracks.first().copied())
            .map(|t| t.meta.sample_rate_hz)
            .filter(|r| *r > 0.0);
        let options = SessionOptions {
            frame_seconds: rate
                .map(|r| mixmeter_core::session::frame::hop_for_rate(r) as f64 / f64::from(r)),
            // Twice what is kept of each track: a grid of about 6 minutes, whatever the
            // distance between the tracks' indices (see `max_span_frames`).
            max_span_frames: 2 * (HISTORY_FRAMES + HISTORY_SLACK) as u64,
            ..SessionOptions::default()
        };
        SessionInput {
            frames: tracks.iter().map(|t| self.frames(t).to_vec()).collect(),
            readings: tracks.iter().map(|t| readings(t)).collect(),
            master: master.map(|m| (self.frames(m).to_vec(), readings(m))),
            tracks: names.into_iter().zip(tracks.into_iter().cloned()).collect(),
            options,
        }
    }
}
