//! The loudness history: the meter's momentary and short-term loudness every 100 ms, copied
//! into a ring of [`HISTORY_POINTS`] atomic words (10 minutes; one point packed in one word,
//! so a point is never torn) with a count of points written. The audio thread writes it
//! whether the editor is open or not (two words per 100 ms of audio), so an editor opened
//! later shows the last minutes; the editor copies whatever is new at each frame.

use crate::meter::engine::{LoudnessPoint, Meter};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Loudness history points kept for the editor: 10 minutes of 100 ms points.
pub const HISTORY_POINTS: usize = 6000;
/// Points of the ring the editor never reads, so a point cannot be overwritten while it is
/// read (the audio thread would have to run 30 s ahead of one editor frame).
const HISTORY_SLACK: usize = 300;
/// Points the editor can read back at most.
pub const HISTORY_READABLE: usize = HISTORY_POINTS - HISTORY_SLACK;

/// The ring shared by both ends.
struct HistoryRing {
    points: Box<[AtomicU64]>,
    written: AtomicU64,
}

fn pack(point: LoudnessPoint) -> u64 {
    ((point.momentary_lufs.to_bits() as u64) << 32) | point.short_term_lufs.to_bits() as u64
}

fn unpack(word: u64) -> LoudnessPoint {
    LoudnessPoint {
        momentary_lufs: f32::from_bits((word >> 32) as u32),
        short_term_lufs: f32::from_bits(word as u32),
    }
}

/// Both ends.
pub(super) fn channel() -> (HistoryWriter, HistoryReader) {
    let ring = Arc::new(HistoryRing {
        points: (0..HISTORY_POINTS)
            .map(|_| AtomicU64::new(pack(LoudnessPoint::SILENT)))
            .collect(),
        written: AtomicU64::new(0),
    });
    (
        HistoryWriter {
            ring: ring.clone(),
            next: 0,
        },
        HistoryReader(ring),
    )
}

/// Audio-thread end.
pub(super) struct HistoryWriter {
    ring: Arc<HistoryRing>,
    /// The meter's next history point to copy.
    next: u64,
}

impl HistoryWriter {
    /// Copies the meter's new points (a new meter, after the plugin was initialized again, is
    /// followed from its first point).
    pub(super) fn publish(&mut self, meter: &Meter) {
        if meter.history_count() < self.next {
            self.next = 0;
        }
        let ring = &*self.ring;
        let mut written = ring.written.load(Ordering::Relaxed);
        for (n, point) in meter.history_since(self.next) {
            ring.points[(written % HISTORY_POINTS as u64) as usize]
                .store(pack(point), Ordering::Relaxed);
            written += 1;
            self.next = n + 1;
        }
        ring.written.store(written, Ordering::Release);
    }
}

/// Editor end.
pub(super) struct HistoryReader(Arc<HistoryRing>);

impl HistoryReader {
    /// Appends the points numbered `*next` and up to `out` (as far back as
    /// [`HISTORY_READABLE`] points) and advances `*next`; false when points were skipped.
    pub(super) fn read(&self, next: &mut u64, out: &mut impl Extend<LoudnessPoint>) -> bool {
        let ring = &*self.0;
        let written = ring.written.load(Ordering::Acquire);
        let oldest = written.saturating_sub(HISTORY_READABLE as u64);
        let complete = *next >= oldest;
        let first = (*next).max(oldest).min(written);
        out.extend((first..written).map(|n| {
            unpack(ring.points[(n % HISTORY_POINTS as u64) as usize].load(Ordering::Relaxed))
        }));
        *next = written;
        complete
    }
}
