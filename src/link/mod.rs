//! Linked instances: track instances publish a running summary of their audio into shared
//! memory; the master instance reads every track of its group (see `docs/session-link.md`).
//!
//! # Segment layout (version 2, [`layout`])
//!
//! One file per (user, group) under `/dev/shm` ([`segment::segment_path`]), mapped shared by
//! every instance of the group in every process:
//!
//! ```text
//! Header (64 bytes): magic "MXMLINK1", layout version, slot count, slot size, ring length,
//!                    frame words, header size
//! Slot x 128:        owner (pid << 32 | nonce; 0 free), heartbeat (CLOCK_MONOTONIC ns),
//!                    metadata under a seqlock (role, colour, flags, rate, channels, name),
//!                    7 latest readings (f32 each), frames written,
//!                    ring of 128 entries: sequence word + one TrackFrame (34 words)
//! ```
//!
//! A reader refuses a segment whose size or header is not this build's layout, with the
//! reason ([`reader::Reader::status`]); an instance that cannot link says why in the editor
//! ([`LinkControl::status`]) and meters as usual.
//!
//! # Who writes what, and the memory-ordering argument
//!
//! - `owner`: claimed by compare-exchange (AcqRel) from 0 or from a stale owner, released by
//!   compare-exchange back to 0, both off the audio thread ([`slot::Lease`]). Only the owner
//!   writes the rest of the slot.
//! - `heartbeat_ns`: relaxed stores by the owner's audio thread (each block) and its process's
//!   heartbeat thread (every 250 ms); readers only compare it with their clock, so no ordering
//!   is needed. Stale: older than 3 s, or older than 0.5 s with the owner's pid gone
//!   ([`slot::is_live`]).
//! - metadata: a seqlock written off the audio thread (one writer at a time, under the
//!   lease's mutex): the sequence is made odd, a release fence, relaxed field stores, then
//!   the next even value with release. A reader loads the sequence (acquire), the fields
//!   (relaxed), an acquire fence and the sequence again; a change or an odd value means a
//!   torn read, retried a few times and otherwise skipped until the next poll.
//! - ring entries: the same seqlock per entry, written by the audio thread only. The entry's
//!   sequence names the owner's nonce and the frame number, so the reader knows which frame it
//!   holds and never takes a previous owner's frame or an overwritten one for the one it
//!   wants. `frames_written` is stored with release after the entry; a reader that loads it
//!   with acquire reads entries below it.
//! - readings: independent scalars, relaxed (each is one word, never torn).
//!
//! All of it is atomics on the mapping (lock-free on every target the plugin builds for), so
//! a write by another process, even garbage, is a value a check can refuse, never undefined
//! behaviour in the reader. The audio thread performs atomic loads and stores and reads the
//! vDSO clock; mapping, claiming and releasing happen on the main or GUI thread, and the
//! handover of a new slot to the audio thread goes through a bounded lock-free queue, the old
//! one coming back the same way to be dropped elsewhere ([`AudioLink`]).
//!
//! # Limits
//!
//! A process frozen for more than 3 s loses its slot and, once running again, stops writing
//! when it sees the slot is no longer its own (checked each block; a write racing the
//! reclaim lands in the ring under the old tag and is refused by readers). Liveness by pid is
//! only a shortcut after 0.5 s of silence, since pids of another pid namespace mean nothing
//! here. Segments stay in `/dev/shm` until reboot (about 2.4 MB each).

pub mod layout;
pub mod reader;
pub mod segment;
pub mod slot;

#[cfg(test)]
mod tests;

use crossbeam::queue::ArrayQueue;
pub use layout::Reading;
pub use segment::{DEFAULT_GROUP, LinkError, normalize_group};
use serde_json::{Value, json};
use slot::{Lease, Meta, Publisher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What an instance is in its group (saved with the project).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Master when the host names the instance's track "Master" (nice-plug's track info
    /// carries a name and a colour, no master flag), otherwise a track.
    #[default]
    Auto,
    Track,
    Master,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Auto, Role::Track, Role::Master];

    pub fn id(self) -> &'static str {
        match self {
            Role::Auto => "auto",
            Role::Track => "track",
            Role::Master => "master",
        }
    }

    pub fn from_id(id: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.id() == id)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Auto => "Auto",
            Role::Track => "Track",
            Role::Master => "Master",
        }
    }

    /// Track or Master: Auto resolved with the host's track name.
    pub fn resolve(self, host_track_name: Option<&str>) -> Role {
        match self {
            Role::Auto if host_track_name.is_some_and(is_master_name) => Role::Master,
            Role::Auto => Role::Track,
            role => role,
        }
    }
}

/// Whether a host's track name is its master track's ("Master", "MASTER", "Master Track",
/// "Master Bus"; REAPER, Bitwig and Live name it so).
pub fn is_master_name(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    matches!(
        name.as_str(),
        "master" | "master track" | "master bus" | "main"
    )
}

/// The saved link settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub role: Role,
    /// As typed; [`normalize_group`] gives the group used.
    pub group: String,
    /// The track name typed by the user (used when the host gives none; empty: none).
    pub name: String,
    /// The colour picked by the user, 0xRRGGBBAA (used when the host gives none).
    pub colour: Option<u32>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            role: Role::Auto,
            group: DEFAULT_GROUP.to_string(),
            name: String::new(),
            colour: None,
        }
    }
}

impl Settings {
    /// `{"role": "auto", "group": "default", "name": "", "colour": null}` (the colour as the
    /// number 0xRRGGBBAA).
    pub fn to_json(&self) -> Value {
        json!({"role": self.role.id(), "group": self.group, "name": self.name,
               "colour": self.colour})
    }

    /// Lenient: anything missing or unreadable keeps its default.
    pub fn from_json(value: &Value) -> Settings {
        let default = Settings::default();
        Settings {
            role: value["role"]
                .as_str()
                .and_then(Role::from_id)
                .unwrap_or(default.role),
            group: value["group"]
                .as_str()
                .map(|g| g.chars().take(segment::MAX_GROUP_CHARS).collect())
                .unwrap_or(default.group),
            name: value["name"]
                .as_str()
                .map(|n| n.chars().take(layout::NAME_BYTES).collect())
                .unwrap_or(default.name),
            colour: value["colour"].as_u64().and_then(|c| u32::try_from(c).ok()),
        }
    }
}

/// The host's word on the instance's track.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostTrack {
    pub name: Option<String>,
    /// 0xRRGGBBAA.
    pub colour: Option<u32>,
}

#[derive(Default)]
struct State {
    settings: Settings,
    host: HostTrack,
    /// Sample rate and channels, once activated (linking waits for it).
    format: Option<(f32, u32)>,
    lease: Option<Arc<Lease>>,
    /// The group the lease is in.
    linked_group: Option<String>,
    error: Option<LinkError>,
}

/// An instance's link, shared by the plugin (main thread), the editor and the saved state;
/// never touched by the audio thread except through its queues ([`AudioLink`]).
pub struct LinkControl {
    state: Mutex<State>,
    /// A new publisher for the audio thread (at most one waits).
    to_audio: ArrayQueue<Publisher>,
    /// Publishers the audio thread is done with, dropped here.
    from_audio: ArrayQueue<Publisher>,
    /// Bumped at every change of settings, host track or lease (the editor re-reads).
    generation: AtomicU64,
}

impl Default for LinkControl {
    fn default() -> Self {
        LinkControl {
            state: Mutex::new(State::default()),
            to_audio: ArrayQueue::new(1),
            from_audio: ArrayQueue::new(RETURN_CAPACITY),
            generation: AtomicU64::new(0),
        }
    }
}

/// Publishers on their way back from the audio thread (one per relink not yet collected).
const RETURN_CAPACITY: usize = 4;

impl std::fmt::Debug for LinkControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkControl")
    }
}

/// What the editor shows of the link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkView {
    pub settings: Settings,
    pub role: Role,
    pub group: String,
    pub name: String,
    pub host: HostTrack,
    /// (slot, owner word) when linked.
    pub slot: Option<(usize, u64)>,
    /// Why not linked (`None` while linked or before activation).
    pub error: Option<String>,
}

impl LinkControl {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn settings(&self) -> Settings {
        self.lock().settings.clone()
    }

    /// New settings (editor or loaded state): a new group relinks, the rest rewrites the
    /// slot's metadata.
    pub fn set_settings(&self, settings: Settings) {
        let mut state = self.lock();
        state.settings = settings;
        self.refresh(&mut state);
    }

    /// The host told the track's name and colour (main thread).
    pub fn set_host_track(&self, host: HostTrack) {
        let mut state = self.lock();
        state.host = host;
        self.refresh(&mut state);
    }

    /// The plugin activated at this rate and channel count: links if not linked yet.
    pub fn activated(&self, sample_rate_hz: f32, channels: u32) {
        let mut state = self.lock();
        state.format = Some((sample_rate_hz, channels));
        self.refresh(&mut state);
    }

    /// Releases the slot (the plugin is going away); the audio thread must no longer run.
    pub fn shutdown(&self) {
        let mut state = self.lock();
        while self.to_audio.pop().is_some() {}
        while self.from_audio.pop().is_some() {}
        if let Some(lease) = state.lease.take() {
            lease.release();
        }
        state.linked_group = None;
    }

    /// The lease of this instance (the master reads its group through its mapping).
    pub fn lease(&self) -> Option<Arc<Lease>> {
        self.lock().lease.clone()
    }

    pub fn view(&self) -> LinkView {
        let state = self.lock();
        LinkView {
            settings: state.settings.clone(),
            role: resolved_role(&state),
            group: normalize_group(&state.settings.group),
            name: display_name(&state),
            host: state.host.clone(),
            slot: state.lease.as_ref().map(|l| (l.index(), l.owner())),
            error: state.error.as_ref().map(ToString::to_string),
        }
    }

    fn refresh(&self, state: &mut State) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        // Publishers the audio thread gave back are dropped here, on this thread.
        while self.from_audio.pop().is_some() {}
        let Some((rate, channels)) = state.format else {
            return;
        };
        let meta = Meta {
            role: match resolved_role(state) {
                Role::Master => layout::ROLE_MASTER,
                _ => layout::ROLE_TRACK,
            },
            name: display_name(state),
            colour: state.host.colour.or(state.settings.colour),
            name_from_host: host_name(state).is_some(),
            sample_rate_hz: rate,
            channels,
        };
        let group = normalize_group(&state.settings.group);
        if state.linked_group.as_deref() == Some(group.as_str())
            && let Some(lease) = state.lease.as_ref()
            && lease.owned()
        {
            lease.set_meta(&meta);
            return;
        }
        // A new group (or a slot lost while the process hung): claim a slot there and hand it
        // to the audio thread; the old slot is released now (the audio thread stops writing
        // into it at its next block, seeing it is no longer its own).
        if let Some(old) = state.lease.take() {
            old.release();
        }
        while self.to_audio.pop().is_some() {}
        state.linked_group = Some(group.clone());
        match Lease::claim(&group, &meta) {
            Ok(lease) => {
                state.error = None;
                let _ = self.to_audio.push(Publisher::new(lease.clone()));
                state.lease = Some(lease);
            }
            Err(error) => {
                nice_plug::nice_warn!("Not linked: {error}");
                state.error = Some(error);
            }
        }
    }
}

fn host_name(state: &State) -> Option<&str> {
    state
        .host
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

fn resolved_role(state: &State) -> Role {
    state.settings.role.resolve(host_name(state))
}

/// The host's name, else the user's, else "Track" (the master shows slot numbers beside it).
fn display_name(state: &State) -> String {
    host_name(state)
        .map(str::to_string)
        .or_else(|| Some(state.settings.name.trim().to_string()).filter(|n| !n.is_empty()))
        .unwrap_or_else(|| match resolved_role(state) {
            Role::Master => "Master".to_string(),
            _ => "Track".to_string(),
        })
}

/// The saved field (`session-link`): the settings as JSON, applied to the instance's link.
#[derive(Debug, Default, Clone)]
pub struct SavedLink(pub Arc<LinkControl>);

impl<'a> nice_plug::params::persist::PersistentField<'a, Value> for SavedLink {
    fn set(&self, value: Value) {
        self.0.set_settings(Settings::from_json(&value));
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Value) -> R,
    {
        f(&self.0.settings().to_json())
    }
}

/// The audio thread's end of the link (owned by the plugin, used in `process`).
pub struct AudioLink {
    control: Arc<LinkControl>,
    current: Option<Publisher>,
    /// A publisher replaced while the return queue was full, sent back at a later block.
    retired: Option<Publisher>,
}

impl AudioLink {
    pub fn new(control: Arc<LinkControl>) -> AudioLink {
        AudioLink {
            control,
            current: None,
            retired: None,
        }
    }

    /// Takes a new publisher if one waits (lock-free queue operations only); the one it
    /// replaces goes back to be dropped off the audio thread.
    pub fn update(&mut self) -> Option<&mut Publisher> {
        if let Some(old) = self.retired.take()
            && let Err(old) = self.control.from_audio.push(old)
        {
            self.retired = Some(old);
        }
        // `is_empty` first: two plain loads, where `pop` on an empty queue issues a full
        // fence on every `process` call.
        if self.retired.is_none()
            && !self.control.to_audio.is_empty()
            && let Some(new) = self.control.to_audio.pop()
            && let Some(old) = self.current.replace(new)
            && let Err(old) = self.control.from_audio.push(old)
        {
            self.retired = Some(old);
        }
        self.current.as_mut()
    }
}

/// Copies the meter's latest readings into the slot (relaxed stores; audio thread).
pub fn publish_readings(publisher: &Publisher, r: &crate::meter::engine::Readings) {
    publisher.set_reading(Reading::MomentaryLufs, r.momentary_lufs);
    publisher.set_reading(Reading::ShortTermLufs, r.short_term_lufs);
    publisher.set_reading(Reading::IntegratedLufs, r.integrated_lufs);
    publisher.set_reading(Reading::MaxTruePeakDbtp, r.max_true_peak_dbtp);
    publisher.set_reading(Reading::CrestFactorDb, r.crest_factor_db);
    publisher.set_reading(Reading::LoudnessRangeLu, r.loudness_range_lu);
    publisher.set_reading(Reading::MaxShortTermLufs, r.max_short_term_lufs);
}
