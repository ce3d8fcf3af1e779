//! Clipped runs: where the waveform was cut flat.
//!
//! A clipper, a converter or a fixed-point bounce driven past its ceiling replaces every
//! sample over it by the ceiling itself, so the signal holds one value for as long as it stays
//! over. Music does not: a mix, or a real recording, practically never repeats one high sample
//! value three times running (measured on the real-recordings corpus: none of its clean
//! songs, stems or speech has a single run at or above -12 dBFS; a master clipped after
//! +12 dB of gain has tens of thousands). So a **clipped run** here is at least [`MIN_RUN`]
//! consecutive samples of one channel with the same value, at or above [`FLOOR_DBFS`]: the
//! convention of CD mastering's "over" counters (three consecutive samples at full scale),
//! with the level relaxed from full scale to the floor so that a clip followed by a gain
//! change, or a clipper set under 0 dBFS, still counts.
//!
//! BS.1770 defines no such measure; this is a diagnosis, not a standard reading. What it does
//! not see: soft clipping (a curve, not a flat top), a clip later turned down under the floor,
//! and lossy-coded copies of a clipped master (the coder smooths the flat tops); the true peak
//! and the crest factor still show those. A float signal over full scale that was not clipped
//! has no flat tops and no runs: its true peak says what a converter would do to it.
//!
//! A dropout is not a clip: the meter repeats the last finite sample in place of NaN or
//! infinity, and a channel with such samples in a piece is not scanned in it.
//!
//! Real-time: a few fixed fields per channel; the caller passes only pieces that reach the
//! floor (their largest sample is known from the input check), and a piece is scanned
//! sample by sample only when it holds two equal neighbours at the floor.

use super::MAX_CHANNELS;

/// Shortest run of equal samples that counts as clipped.
pub const MIN_RUN: u32 = 3;
/// Lowest level of a clipped run, dBFS.
pub const FLOOR_DBFS: f32 = -3.0;
/// [`FLOOR_DBFS`] as a linear magnitude.
pub const FLOOR: f32 = 0.707_945_8;

/// What a stretch of audio held: clipped runs and the longest of them (samples; 0 with none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClipCount {
    pub runs: u64,
    pub longest: u32,
}

impl ClipCount {
    /// Adds `other`'s runs.
    pub fn add(&mut self, other: ClipCount) {
        self.runs += other.runs;
        self.longest = self.longest.max(other.longest);
    }
}

/// The runs in words, as the analyzer and the suggestions say them: "none", "1 flat top of 5
/// samples", "231 flat tops, the longest 111 samples".
pub fn describe(runs: u64, longest: u32) -> String {
    match runs {
        0 => "none".to_string(),
        1 => format!("1 flat top of {longest} samples"),
        n => format!("{n} flat tops, the longest {longest} samples"),
    }
}

/// Each channel's run in progress, across calls.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    value: f32,
    length: u32,
}

/// The runs in progress of every channel.
#[derive(Debug, Clone)]
pub struct Clips {
    runs: [Run; MAX_CHANNELS],
}

impl Default for Clips {
    fn default() -> Self {
        Self::new()
    }
}

impl Clips {
    pub fn new() -> Self {
        Self {
            runs: [Run::default(); MAX_CHANNELS],
        }
    }

    pub fn reset(&mut self) {
        self.runs = [Run::default(); MAX_CHANNELS];
    }

    /// Channel `channel`'s next samples (finite), adding the runs that reach [`MIN_RUN`] in
    /// them to `count`. A run continues from the previous piece.
    pub fn scan(&mut self, channel: usize, piece: &[f32], count: &mut ClipCount) {
        let Some(&first) = piece.first() else {
            return;
        };
        let run = &mut self.runs[channel];
        // Two equal neighbours at the floor, anywhere (the usual answer, "none", without a
        // branch per sample: the loop vectorises).
        let pairs = piece[1..].iter().zip(piece).fold(0u32, |any, (&b, &a)| {
            any | u32::from(a == b && b.abs() >= FLOOR)
        });
        let continues = run.length > 0 && first == run.value && first.abs() >= FLOOR;
        if pairs == 0 && !continues {
            // No run grows here: the one in progress ends at the piece's last sample.
            *run = Run {
                value: piece[piece.len() - 1],
                length: 1,
            };
            return;
        }
        for &x in piece {
            if x == run.value && x.abs() >= FLOOR {
                // Saturating: a constant held for 2^32 samples must not wrap (or panic).
                run.length = run.length.saturating_add(1);
                if run.length == MIN_RUN {
                    count.runs += 1;
                }
                if run.length >= MIN_RUN {
                    count.longest = count.longest.max(run.length);
                }
            } else {
                *run = Run {
                    value: x,
                    length: 1,
                };
            }
        }
    }

    /// Channel `channel`'s next samples held nothing at the floor: its run in progress ends.
    pub fn interrupt(&mut self, channel: usize) {
        self.runs[channel] = Run::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs counted by definition, sample by sample.
    fn reference(x: &[f32]) -> ClipCount {
        let mut count = ClipCount::default();
        let mut i = 0;
        while i < x.len() {
            let mut j = i + 1;
            while j < x.len() && x[j] == x[i] {
                j += 1;
            }
            let length = (j - i) as u32;
            if length >= MIN_RUN && x[i].abs() >= FLOOR {
                count.runs += 1;
                count.longest = count.longest.max(length);
            }
            i = j;
        }
        count
    }

    #[test]
    fn runs_are_described_in_words() {
        assert_eq!(describe(0, 0), "none");
        assert_eq!(describe(1, 5), "1 flat top of 5 samples");
        assert_eq!(describe(231, 111), "231 flat tops, the longest 111 samples");
    }

    #[test]
    fn the_floor_is_its_level() {
        assert!((20.0 * FLOOR.log10() - FLOOR_DBFS).abs() < 1e-5);
    }

    /// Flat tops at the floor and above count; two equal samples, a run under the floor, a
    /// sine's crest and float overs that were not clipped do not; a run split over pieces of
    /// every size counts once, with its whole length.
    #[test]
    fn runs_are_counted_by_their_definition_however_the_input_is_cut() {
        let mut x: Vec<f32> = (0..2000).map(|i| 1.5 * (i as f32 * 0.05).sin()).collect();
        let unclipped = x.clone();
        // Hard-clipped at full scale, and a second stretch clipped at -2 dBFS.
        for v in &mut x[..1000] {
            *v = v.clamp(-1.0, 1.0);
        }
        for v in &mut x[1000..1500] {
            *v = v.clamp(-0.794, 0.794);
        }
        // Under the floor; a pair at full scale.
        x[1600..1610].fill(0.5);
        x[1700..1702].fill(1.0);
        let want = reference(&x);
        assert!(want.runs > 20, "{want:?}");
        for size in [1, 2, 3, 7, 64, 2000] {
            let mut clips = Clips::new();
            let mut got = ClipCount::default();
            for piece in x.chunks(size) {
                clips.scan(0, piece, &mut got);
            }
            assert_eq!(got, want, "pieces of {size}");
        }
        // The same sine not clipped (peaks at +3.5 dBFS): no flat top.
        let mut clips = Clips::new();
        let mut got = ClipCount::default();
        clips.scan(0, &unclipped, &mut got);
        assert_eq!(got, ClipCount::default());
        // A run interrupted by a piece the caller skipped does not join across it.
        let mut clips = Clips::new();
        let mut got = ClipCount::default();
        clips.scan(0, &[1.0, 1.0], &mut got);
        clips.interrupt(0);
        clips.scan(0, &[1.0], &mut got);
        assert_eq!(got.runs, 0);
    }
}
