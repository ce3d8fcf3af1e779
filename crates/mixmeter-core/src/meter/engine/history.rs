//! The loudness history: momentary and short-term loudness at every 100 ms hop, the points a
//! reader (the plugin's bridge, the editor's history) takes between two reads. A timeline: a
//! reset of the measurement does not clear it.

/// Loudness history points kept in the meter between two reads: 12.8 s of 100 ms hops, more
/// than any host block.
pub const HISTORY_HOPS: usize = 128;

/// Momentary and short-term loudness at one 100 ms hop, LUFS; `-inf` is "no value" (below the
/// absolute gate). `f32` keeps a point to 8 bytes (one atomic word in the editor's bridge).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessPoint {
    pub momentary_lufs: f32,
    pub short_term_lufs: f32,
}

impl LoudnessPoint {
    pub const SILENT: LoudnessPoint = LoudnessPoint {
        momentary_lufs: f32::NEG_INFINITY,
        short_term_lufs: f32::NEG_INFINITY,
    };
}

impl Default for LoudnessPoint {
    fn default() -> Self {
        Self::SILENT
    }
}

/// The last [`HISTORY_HOPS`] points and how many there have been since the meter was made.
#[derive(Debug)]
pub(super) struct History {
    points: [LoudnessPoint; HISTORY_HOPS],
    count: u64,
}

impl History {
    pub(super) fn new() -> Self {
        Self {
            points: [LoudnessPoint::SILENT; HISTORY_HOPS],
            count: 0,
        }
    }

    pub(super) fn push(&mut self, point: LoudnessPoint) {
        self.points[(self.count % HISTORY_HOPS as u64) as usize] = point;
        self.count += 1;
    }

    pub(super) fn count(&self) -> u64 {
        self.count
    }

    /// Points numbered `next` and up, as far as they are still kept.
    pub(super) fn since(&self, next: u64) -> impl Iterator<Item = (u64, LoudnessPoint)> + '_ {
        let first = next.max(self.count.saturating_sub(HISTORY_HOPS as u64));
        (first..self.count).map(|n| (n, self.points[(n % HISTORY_HOPS as u64) as usize]))
    }
}
