//! Slots: claiming one ([`Lease`], off the audio thread), writing into it from the audio
//! thread ([`Publisher`]), keeping it alive ([`heartbeat`](self#heartbeat)) and telling a live
//! slot from a stale one ([`is_live`]).
//!
//! # Heartbeat
//!
//! A track whose transport is stopped still exists, so a slot's life cannot hang on audio
//! blocks. One thread per process (started with the first lease, stopped and joined when the
//! last is released, so it never outlives the plugin library) stamps every leased slot of the
//! process each [`HEARTBEAT_INTERVAL`]; the audio thread stamps its slot each block too (one
//! vDSO `clock_gettime` and one relaxed store). The editor's timer would not do: a track
//! instance's editor is usually closed. One thread per instance would be 64 threads for 64
//! tracks.

use super::layout::{
    Entry, FLAG_HAS_COLOUR, FLAG_HOST_NAME, RING_LEN, Reading, Slot, load_name, store_name,
};
use super::segment::{LinkError, Mapping};
use mixmeter_core::session::frame::TrackFrame;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A slot whose heartbeat is older than this is stale (the instance went away or its process
/// hangs): readers drop it and a new instance may claim it.
pub const EXPIRY_NS: u64 = 3_000_000_000;
/// A slot whose owner process no longer exists is stale once its heartbeat is older than this
/// (not at once: a pid from another pid namespace, a sandboxed host's, may look dead to us
/// while its heartbeat is fresh).
pub const DEAD_OWNER_GRACE_NS: u64 = 500_000_000;
/// A heartbeat further in the future than this is corrupt (stale).
const FUTURE_TOLERANCE_NS: u64 = 1_000_000_000;
/// How often the process's heartbeat thread stamps its slots.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_millis(250);

/// CLOCK_MONOTONIC in ns: system-wide on Linux, so comparable across processes. Real-time
/// safe (the vDSO answers without a system call).
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec to fill; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// CLOCK_MONOTONIC_COARSE in ns where Linux has it (the clock above as of the last tick,
/// 1-4 ms behind it; the vDSO reads it without the time counter, a few ns instead of about
/// 20 on a VM), [`now_ns`] elsewhere. For the audio thread's stamps and checks, whose
/// deadlines are seconds: a stamp that lags by a tick only makes a slot look a tick older.
pub fn now_coarse_ns() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: a valid timespec to fill; Linux has had CLOCK_MONOTONIC_COARSE since 2.6.32.
        if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) } == 0 {
            return (ts.tv_sec as u64)
                .wrapping_mul(1_000_000_000)
                .wrapping_add(ts.tv_nsec as u64);
        }
    }
    now_ns()
}

/// The pid part of an owner word.
pub fn owner_pid(owner: u64) -> u32 {
    (owner >> 32) as u32
}

/// Whether process `pid` exists (a pid outside `1..=i32::MAX` does not: never signal 0 or a
/// negative pid, which name process groups).
pub fn pid_exists(pid: u32) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return false;
    }
    // SAFETY: signal 0 sends nothing; it only checks that the process exists.
    if unsafe { libc::kill(pid as libc::pid_t, 0) } == 0 {
        return true;
    }
    std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Whether a slot with this owner word and heartbeat is alive at `now` (see the constants).
pub fn is_live(owner: u64, heartbeat_ns: u64, now: u64) -> bool {
    if owner == 0 || heartbeat_ns > now.saturating_add(FUTURE_TOLERANCE_NS) {
        return false;
    }
    let age = now.saturating_sub(heartbeat_ns);
    if age > EXPIRY_NS {
        return false;
    }
    age <= DEAD_OWNER_GRACE_NS || pid_exists(owner_pid(owner))
}

/// A fresh owner word for an instance: this process's pid and a nonce unique in the process
/// (never 0).
fn new_owner() -> u64 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Mixed with the clock so a pid reused after a crash does not repeat the last owner.
    let nonce = (NEXT.fetch_add(1, Ordering::Relaxed) ^ (now_ns() as u32).rotate_left(16)) | 1;
    (u64::from(std::process::id()) << 32) | u64::from(nonce)
}

/// What a slot says about its instance (written off the audio thread under the metadata
/// seqlock).
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub role: u32,
    pub name: String,
    /// 0xRRGGBBAA.
    pub colour: Option<u32>,
    pub name_from_host: bool,
    pub sample_rate_hz: f32,
    pub channels: u32,
}

/// A claimed slot, released when dropped (or by [`Lease::release`]). Never dropped on the
/// audio thread.
pub struct Lease {
    mapping: Arc<Mapping>,
    index: usize,
    owner: u64,
    released: AtomicBool,
    /// Serialises metadata writers (GUI and main thread; never the audio thread).
    meta_lock: Mutex<()>,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lease({:?} slot {})", self.mapping, self.index)
    }
}

impl Lease {
    /// Claims a free or stale slot of `group` (mapping the segment, creating it if needed) and
    /// writes `meta` into it.
    pub fn claim(group: &str, meta: &Meta) -> Result<Arc<Lease>, LinkError> {
        let mapping = Arc::new(Mapping::open_or_create(group)?);
        Self::claim_in(mapping, meta).ok_or_else(|| LinkError::Full {
            group: super::segment::normalize_group(group),
        })
    }

    /// Claims a slot of an open segment (`None`: all are live).
    pub fn claim_in(mapping: Arc<Mapping>, meta: &Meta) -> Option<Arc<Lease>> {
        let owner = new_owner();
        let now = now_ns();
        let index = mapping.slots().find_map(|(index, slot)| {
            let current = slot.owner.load(Ordering::Acquire);
            if is_live(current, slot.heartbeat_ns.load(Ordering::Relaxed), now) {
                return None;
            }
            // Stamp before the exchange: a second claimer that reads the slot now sees it
            // live and moves on; if both exchange, one fails.
            slot.heartbeat_ns.store(now, Ordering::Relaxed);
            slot.owner
                .compare_exchange(current, owner, Ordering::AcqRel, Ordering::Relaxed)
                .ok()
                .map(|_| index)
        })?;
        let slot = mapping.slot(index);
        // The previous owner's frames carry its tag, so none is read as ours; its counter and
        // readings are cleared.
        slot.frames_written.store(0, Ordering::Relaxed);
        for reading in &slot.readings {
            reading.store(f32::NAN.to_bits(), Ordering::Relaxed);
        }
        let lease = Arc::new(Lease {
            mapping,
            index,
            owner,
            released: AtomicBool::new(false),
            meta_lock: Mutex::new(()),
        });
        lease.set_meta(meta);
        registry_add(&lease);
        Some(lease)
    }

    pub fn index(&self) -> usize {
        self.index
    }

    pub fn owner(&self) -> u64 {
        self.owner
    }

    pub fn mapping(&self) -> &Arc<Mapping> {
        &self.mapping
    }

    fn slot(&self) -> &Slot {
        self.mapping.slot(self.index)
    }

    /// Whether the slot is still this lease's (a hung process may find it reclaimed).
    pub fn owned(&self) -> bool {
        !self.released.load(Ordering::Relaxed)
            && self.slot().owner.load(Ordering::Relaxed) == self.owner
    }

    /// Writes the metadata under the seqlock (off the audio thread).
    pub fn set_meta(&self, meta: &Meta) {
        let _guard = self.meta_lock.lock().unwrap_or_else(|p| p.into_inner());
        if !self.owned() {
            return;
        }
        let slot = self.slot();
        let seq = slot.meta_seq.load(Ordering::Relaxed);
        let odd = seq | 1;
        slot.meta_seq.store(odd, Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::Release);
        slot.role.store(meta.role, Ordering::Relaxed);
        slot.colour
            .store(meta.colour.unwrap_or(0), Ordering::Relaxed);
        let flags = if meta.colour.is_some() {
            FLAG_HAS_COLOUR
        } else {
            0
        } | if meta.name_from_host {
            FLAG_HOST_NAME
        } else {
            0
        };
        slot.flags.store(flags, Ordering::Relaxed);
        slot.sample_rate
            .store(meta.sample_rate_hz.to_bits(), Ordering::Relaxed);
        slot.channels.store(meta.channels, Ordering::Relaxed);
        store_name(slot, &meta.name);
        slot.meta_seq.store(odd.wrapping_add(1), Ordering::Release);
    }

    /// Gives the slot back (idempotent); later writes through a [`Publisher`] of this lease
    /// are skipped.
    pub fn release(&self) {
        if self.released.swap(true, Ordering::AcqRel) {
            return;
        }
        registry_remove(self.owner);
        let _ =
            self.slot()
                .owner
                .compare_exchange(self.owner, 0, Ordering::AcqRel, Ordering::Relaxed);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.release();
    }
}

/// Reads a slot's metadata under its seqlock (`None`: being written, or not a valid role).
pub fn read_meta(slot: &Slot) -> Option<Meta> {
    for _ in 0..4 {
        let seq = slot.meta_seq.load(Ordering::Acquire);
        if seq & 1 == 1 {
            std::hint::spin_loop();
            continue;
        }
        let role = slot.role.load(Ordering::Relaxed);
        let colour = slot.colour.load(Ordering::Relaxed);
        let flags = slot.flags.load(Ordering::Relaxed);
        let sample_rate_hz = f32::from_bits(slot.sample_rate.load(Ordering::Relaxed));
        let channels = slot.channels.load(Ordering::Relaxed);
        let name = load_name(slot);
        std::sync::atomic::fence(Ordering::Acquire);
        if slot.meta_seq.load(Ordering::Relaxed) != seq {
            continue;
        }
        if !matches!(role, super::layout::ROLE_TRACK | super::layout::ROLE_MASTER) {
            return None;
        }
        return Some(Meta {
            role,
            name,
            colour: (flags & FLAG_HAS_COLOUR != 0).then_some(colour),
            name_from_host: flags & FLAG_HOST_NAME != 0,
            sample_rate_hz: if sample_rate_hz.is_finite() && sample_rate_hz > 0.0 {
                sample_rate_hz
            } else {
                0.0
            },
            channels: channels.min(64),
        });
    }
    None
}

/// The tag a slot's ring entries carry: the owner's nonce.
pub fn tag_of(owner: u64) -> u32 {
    owner as u32
}

/// Frame number `n` of a slot owned by `owner`, if whole (see [`Entry`]).
pub fn read_frame(slot: &Slot, owner: u64, n: u64) -> Option<TrackFrame> {
    let entry: &Entry = &slot.ring[(n % RING_LEN as u64) as usize];
    entry.read(tag_of(owner), n)
}

/// The audio thread's end of a lease: atomic stores into the mapped slot, nothing else (no
/// allocation, no lock, no system call but the vDSO clock). Moved to the audio thread and
/// back to be dropped elsewhere (see [`super::AudioLink`]).
pub struct Publisher {
    lease: Arc<Lease>,
    tag: u32,
    frames_written: u64,
}

impl Publisher {
    pub fn new(lease: Arc<Lease>) -> Publisher {
        Publisher {
            tag: tag_of(lease.owner),
            lease,
            frames_written: 0,
        }
    }

    pub fn lease(&self) -> &Arc<Lease> {
        &self.lease
    }

    /// Stamps the heartbeat; `false` when the slot is no longer ours (then nothing is written
    /// this block).
    pub fn beat(&self, now: u64) -> bool {
        if !self.lease.owned() {
            return false;
        }
        self.lease.slot().heartbeat_ns.store(now, Ordering::Relaxed);
        true
    }

    /// Whether a master read the group within [`super::layout::WATCH_NS`] of `now` (frames
    /// are summarized and published only then).
    pub fn watched(&self, now: u64) -> bool {
        let stamp = self
            .lease
            .mapping()
            .header()
            .watched_ns
            .load(Ordering::Relaxed);
        stamp != 0 && now.saturating_sub(stamp) < super::layout::WATCH_NS
    }

    /// Appends `frame` to the slot's ring.
    pub fn publish(&mut self, frame: &TrackFrame) {
        if !self.lease.owned() {
            return;
        }
        let slot = self.lease.slot();
        let n = self.frames_written;
        slot.ring[(n % RING_LEN as u64) as usize].write(self.tag, n, frame);
        self.frames_written = n + 1;
        slot.frames_written
            .store(self.frames_written, Ordering::Release);
    }

    /// Stores one of the latest readings (`None`: no value).
    pub fn set_reading(&self, reading: Reading, value: Option<f64>) {
        // A slot taken over (this process froze past the expiry) is someone else's now.
        if !self.lease.owned() {
            return;
        }
        let value = value.map_or(f32::NAN, |v| v as f32);
        self.lease.slot().readings[reading as usize].store(value.to_bits(), Ordering::Relaxed);
    }
}

// The process's heartbeat thread and the slots it stamps.

struct Beat {
    mapping: Arc<Mapping>,
    index: usize,
    owner: u64,
}

struct Heartbeat {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

#[derive(Default)]
struct Registry {
    beats: Vec<Beat>,
    heartbeat: Option<Heartbeat>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    beats: Vec::new(),
    heartbeat: None,
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

fn registry_add(lease: &Lease) {
    let mut beats = registry();
    beats.beats.push(Beat {
        mapping: lease.mapping.clone(),
        index: lease.index,
        owner: lease.owner,
    });
    if beats.heartbeat.is_none() {
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("mixmeter-link-heartbeat".to_string())
            .spawn(move || {
                while !thread_stop.load(Ordering::Acquire) {
                    {
                        let registry = registry();
                        let now = now_ns();
                        for beat in &registry.beats {
                            let slot = beat.mapping.slot(beat.index);
                            if slot.owner.load(Ordering::Relaxed) == beat.owner {
                                slot.heartbeat_ns.store(now, Ordering::Relaxed);
                            }
                        }
                    }
                    std::thread::park_timeout(HEARTBEAT_INTERVAL);
                }
            });
        match spawned {
            Ok(thread) => beats.heartbeat = Some(Heartbeat { stop, thread }),
            // Without the thread, slots live while audio runs (the audio thread stamps them).
            Err(error) => nice_plug::nice_error!("Link heartbeat thread not started: {error}"),
        }
    }
}

fn registry_remove(owner: u64) {
    let stopped = {
        let mut registry = registry();
        registry.beats.retain(|b| b.owner != owner);
        if registry.beats.is_empty() {
            registry.heartbeat.take()
        } else {
            None
        }
    };
    if let Some(heartbeat) = stopped {
        heartbeat.stop.store(true, Ordering::Release);
        heartbeat.thread.thread().unpark();
        let _ = heartbeat.thread.join();
    }
}

/// Slots this process stamps now (tests check the thread's bookkeeping).
pub fn heartbeat_slots() -> usize {
    registry().beats.len()
}

/// Whether read access of a slot found it owned by `owner` (metadata and frames may be
/// trusted only while this holds).
pub fn owned_by(slot: &Slot, owner: u64) -> bool {
    slot.owner.load(Ordering::Acquire) == owner
}

/// The slot's latest readings.
pub fn readings(slot: &Slot) -> [Option<f32>; super::layout::READINGS] {
    std::array::from_fn(|i| {
        Some(f32::from_bits(slot.readings[i].load(Ordering::Relaxed))).filter(|v| v.is_finite())
    })
}

/// Frames the slot's owner says it wrote.
pub fn frames_written(slot: &Slot) -> u64 {
    slot.frames_written.load(Ordering::Acquire)
}

/// For the claim of a stale slot in tests: the name in a slot.
pub fn name(slot: &Slot) -> String {
    load_name(slot)
}
