//! The shared-memory layout, version 2: a [`Header`] then [`SLOT_COUNT`] [`Slot`]s, every
//! field an atomic (the memory is shared with other processes, which may write it at any
//! time; a reader never forms a plain reference to bytes another process writes).
//!
//! All fields are little-endian machine words of the host (the segment never leaves the
//! machine). Sizes are checked at compile time below, and at run time against the header (a
//! segment made by a build with another layout is refused, never misread).

use mixmeter_core::session::frame::{BANDS, TrackFrame};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// "MXMLINK1" as a little-endian word: the first eight bytes of every segment.
pub const MAGIC: u64 = u64::from_le_bytes(*b"MXMLINK1");
/// The layout version. Bump it (and the file name's `v2`) with any change to this file.
/// Version 2: the seventh reading word ([`Reading::MaxShortTermLufs`]), version 1's padding.
pub const LAYOUT_VERSION: u32 = 2;
/// Slots per segment: the most instances one group links (tracks and masters).
pub const SLOT_COUNT: usize = 128;
/// Frames kept per slot: 128 frames of about 43-46 ms, about 6 s of each track, the slack a
/// master's reader has between two reads.
pub const RING_LEN: usize = 128;
/// UTF-8 bytes of a track name (longer names are cut at a character boundary).
pub const NAME_BYTES: usize = 64;
const NAME_WORDS: usize = NAME_BYTES / 4;
/// 32-bit words of one frame: the index (two words), four levels, the bands.
pub const FRAME_WORDS: usize = 2 + 4 + BANDS;
/// Latest readings per slot (see [`Reading`]).
pub const READINGS: usize = 7;

/// The latest readings a slot carries, each an `f32` in its own word (NaN: no value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    MomentaryLufs = 0,
    ShortTermLufs = 1,
    IntegratedLufs = 2,
    MaxTruePeakDbtp = 3,
    CrestFactorDb = 4,
    LoudnessRangeLu = 5,
    /// The largest short-term value of the measurement (the gain-staging table's, as the
    /// analyzer reports it for a file).
    MaxShortTermLufs = 6,
}

/// Slot flag: the colour word is set.
pub const FLAG_HAS_COLOUR: u32 = 1;
/// Slot flag: the name came from the host (not typed by the user).
pub const FLAG_HOST_NAME: u32 = 2;

/// Track instances summarize and publish frames only while a master read the group within
/// this long (a master's editor polls it many times a second): with no master watching, a
/// linked track costs an atomic load and a clock read per block, not the summarizer.
pub const WATCH_NS: u64 = 2_000_000_000;

/// A slot's role word.
pub const ROLE_TRACK: u32 = 1;
pub const ROLE_MASTER: u32 = 2;

#[repr(C)]
pub struct Header {
    pub magic: AtomicU64,
    pub version: AtomicU32,
    pub slot_count: AtomicU32,
    pub slot_size: AtomicU32,
    pub ring_len: AtomicU32,
    pub frame_words: AtomicU32,
    pub header_size: AtomicU32,
    /// CLOCK_MONOTONIC ns when a master last read the group (relaxed; see [`WATCH_NS`]).
    pub watched_ns: AtomicU64,
    pub reserved: [AtomicU64; 3],
}

/// One frame of the ring, under its own sequence word (see the module docs of `link`).
#[repr(C)]
pub struct Entry {
    /// `tag << 32 | (2 * (n + 1)) mod 2^32` once frame number `n` of the slot is complete,
    /// odd in the low half while it is written; `tag` is the owner's nonce, so a previous
    /// owner's frames never read as the current owner's.
    pub seq: AtomicU64,
    pub words: [AtomicU32; FRAME_WORDS],
}

#[repr(C)]
pub struct Slot {
    /// `pid << 32 | nonce` of the owning instance; 0: free. Claimed and released by CAS.
    pub owner: AtomicU64,
    /// CLOCK_MONOTONIC ns of the owner's last sign of life (audio thread or heartbeat thread).
    pub heartbeat_ns: AtomicU64,
    /// Metadata seqlock: odd while the fields below up to `name` are written.
    pub meta_seq: AtomicU32,
    pub role: AtomicU32,
    /// 0xRRGGBBAA (valid with [`FLAG_HAS_COLOUR`]).
    pub colour: AtomicU32,
    pub flags: AtomicU32,
    /// `f32` bits, Hz.
    pub sample_rate: AtomicU32,
    pub channels: AtomicU32,
    pub name_len: AtomicU32,
    pub name: [AtomicU32; NAME_WORDS],
    /// `f32` bits each, indexed by [`Reading`]. Independent scalars, relaxed.
    pub readings: [AtomicU32; READINGS],
    /// Frames written into `ring` since the slot was claimed (entry `n % RING_LEN`).
    pub frames_written: AtomicU64,
    pub ring: [Entry; RING_LEN],
}

pub const HEADER_SIZE: usize = std::mem::size_of::<Header>();
pub const SLOT_SIZE: usize = std::mem::size_of::<Slot>();
/// Bytes of a whole segment.
pub const SEGMENT_SIZE: usize = HEADER_SIZE + SLOT_COUNT * SLOT_SIZE;

const _: () = assert!(HEADER_SIZE == 64);
const _: () = assert!(std::mem::size_of::<Entry>() == 8 + 4 * FRAME_WORDS);
const _: () = assert!(SLOT_SIZE % 8 == 0);
const _: () = assert!(std::mem::align_of::<Slot>() == 8);
const _: () = assert!(std::mem::size_of::<TrackFrame>() == 4 * FRAME_WORDS);

impl Header {
    /// What a segment of this build's layout holds in its header.
    pub fn init(&self) {
        self.version.store(LAYOUT_VERSION, Ordering::Relaxed);
        self.slot_count.store(SLOT_COUNT as u32, Ordering::Relaxed);
        self.slot_size.store(SLOT_SIZE as u32, Ordering::Relaxed);
        self.ring_len.store(RING_LEN as u32, Ordering::Relaxed);
        self.frame_words
            .store(FRAME_WORDS as u32, Ordering::Relaxed);
        self.header_size
            .store(HEADER_SIZE as u32, Ordering::Relaxed);
        self.magic.store(MAGIC, Ordering::Release);
    }

    /// Why this header is not this build's layout (`None`: it is).
    pub fn mismatch(&self) -> Option<String> {
        let magic = self.magic.load(Ordering::Acquire);
        if magic != MAGIC {
            return Some(format!("not a Mixmeter link segment (magic {magic:#018x})"));
        }
        let fields = [
            (
                "layout version",
                self.version.load(Ordering::Relaxed),
                LAYOUT_VERSION,
            ),
            (
                "slot count",
                self.slot_count.load(Ordering::Relaxed),
                SLOT_COUNT as u32,
            ),
            (
                "slot size",
                self.slot_size.load(Ordering::Relaxed),
                SLOT_SIZE as u32,
            ),
            (
                "ring length",
                self.ring_len.load(Ordering::Relaxed),
                RING_LEN as u32,
            ),
            (
                "frame words",
                self.frame_words.load(Ordering::Relaxed),
                FRAME_WORDS as u32,
            ),
            (
                "header size",
                self.header_size.load(Ordering::Relaxed),
                HEADER_SIZE as u32,
            ),
        ];
        fields
            .iter()
            .find(|(_, found, expected)| found != expected)
            .map(|(what, found, expected)| {
                format!("another layout ({what} {found}, this build expects {expected})")
            })
    }
}

/// The header bytes of this layout (what [`Header::init`] writes), for tests and fuzzing.
pub fn header_bytes() -> [u8; HEADER_SIZE] {
    let mut bytes = [0u8; HEADER_SIZE];
    bytes[0..8].copy_from_slice(&MAGIC.to_le_bytes());
    let words = [
        LAYOUT_VERSION,
        SLOT_COUNT as u32,
        SLOT_SIZE as u32,
        RING_LEN as u32,
        FRAME_WORDS as u32,
        HEADER_SIZE as u32,
    ];
    for (i, word) in words.iter().enumerate() {
        bytes[8 + 4 * i..12 + 4 * i].copy_from_slice(&word.to_le_bytes());
    }
    bytes
}

impl Entry {
    /// Writes `frame` as frame number `n` of the slot (only the slot's owner, one thread).
    pub fn write(&self, tag: u32, n: u64, frame: &TrackFrame) {
        self.seq.store(seq(tag, n) - 1, Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::Release);
        let words = frame_words(frame);
        for (slot, word) in self.words.iter().zip(words) {
            slot.store(word, Ordering::Relaxed);
        }
        self.seq.store(seq(tag, n), Ordering::Release);
    }

    /// Frame number `n`, if this entry holds it whole (not torn, not overwritten).
    pub fn read(&self, tag: u32, n: u64) -> Option<TrackFrame> {
        let expected = seq(tag, n);
        if self.seq.load(Ordering::Acquire) != expected {
            return None;
        }
        let words: [u32; FRAME_WORDS] =
            std::array::from_fn(|i| self.words[i].load(Ordering::Relaxed));
        std::sync::atomic::fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != expected {
            return None;
        }
        Some(frame_from_words(&words))
    }
}

/// The sequence word of a complete frame `n` written by `tag` (never odd in its low half, so
/// `seq - 1` is the "being written" value).
fn seq(tag: u32, n: u64) -> u64 {
    (u64::from(tag) << 32) | u64::from((n as u32).wrapping_add(1).wrapping_mul(2).max(2))
}

fn frame_words(frame: &TrackFrame) -> [u32; FRAME_WORDS] {
    let mut words = [0u32; FRAME_WORDS];
    words[0] = frame.index as u32;
    words[1] = (frame.index >> 32) as u32;
    words[2] = frame.sample_peak.to_bits();
    words[3] = frame.true_peak.to_bits();
    words[4] = frame.mean_square.to_bits();
    words[5] = frame.power.to_bits();
    for (word, band) in words[6..].iter_mut().zip(frame.bands) {
        *word = band.to_bits();
    }
    words
}

fn frame_from_words(words: &[u32; FRAME_WORDS]) -> TrackFrame {
    TrackFrame {
        index: u64::from(words[0]) | (u64::from(words[1]) << 32),
        sample_peak: f32::from_bits(words[2]),
        true_peak: f32::from_bits(words[3]),
        mean_square: f32::from_bits(words[4]),
        power: f32::from_bits(words[5]),
        bands: std::array::from_fn(|i| f32::from_bits(words[6 + i])),
    }
}

/// Writes `name` into the slot's name words (within the metadata seqlock), cut to
/// [`NAME_BYTES`] at a character boundary.
pub fn store_name(slot: &Slot, name: &str) {
    let mut end = name.len().min(NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let mut bytes = [0u8; NAME_BYTES];
    bytes[..end].copy_from_slice(&name.as_bytes()[..end]);
    for (i, word) in slot.name.iter().enumerate() {
        let b = [
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ];
        word.store(u32::from_le_bytes(b), Ordering::Relaxed);
    }
    slot.name_len.store(end as u32, Ordering::Relaxed);
}

/// The slot's name (within the metadata seqlock); invalid UTF-8 or length is replaced.
pub fn load_name(slot: &Slot) -> String {
    let len = (slot.name_len.load(Ordering::Relaxed) as usize).min(NAME_BYTES);
    let mut bytes = [0u8; NAME_BYTES];
    for (i, word) in slot.name.iter().enumerate() {
        bytes[4 * i..4 * i + 4].copy_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
    }
    String::from_utf8_lossy(&bytes[..len]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_entries() {
        let entry: Entry = unsafe { std::mem::zeroed() };
        let mut frame = TrackFrame::silent(0x1_0000_0005);
        frame.true_peak = 0.5;
        frame.bands[BANDS - 1] = 3.0;
        assert_eq!(entry.read(9, 7), None, "an empty entry holds no frame");
        entry.write(9, 7, &frame);
        assert_eq!(entry.read(9, 7), Some(frame));
        assert_eq!(
            entry.read(9, 6),
            None,
            "another frame number is not this one"
        );
        assert_eq!(
            entry.read(8, 7),
            None,
            "another owner's frame is not this one's"
        );
        entry.seq.store(seq(9, 7) - 1, Ordering::Relaxed);
        assert_eq!(entry.read(9, 7), None, "a frame being written is torn");
    }

    #[test]
    fn names_are_cut_at_a_character_boundary() {
        let slot: Box<Slot> = unsafe { Box::new(std::mem::zeroed()) };
        store_name(&slot, "Kick");
        assert_eq!(load_name(&slot), "Kick");
        let long = "é".repeat(40);
        store_name(&slot, &long);
        assert_eq!(load_name(&slot), "é".repeat(32));
        slot.name_len.store(u32::MAX, Ordering::Relaxed);
        assert_eq!(load_name(&slot).len(), NAME_BYTES);
    }
}
