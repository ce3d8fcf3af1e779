//! Masking pairs, frame by frame: two tracks mask each other in a band at a frame when, in
//! that frame,
//! - both play (K-weighted loudness above the absolute gate, -70 LUFS),
//! - their energies in the band are within [`SessionOptions::masking_within_db`],
//! - each holds at least [`SessionOptions::masking_min_share`] of the band's energy summed
//!   over all tracks (so a third track that dominates the band makes the pair moot), and
//! - the band is within [`SessionOptions::masking_band_floor_db`] of the frame's loudest band
//!   (a band that quiet against the rest of the mix is not what is heard).
//!
//! A long-term average would call a kick and a bass that alternate "masking"; counting frames
//! does not. A pair is reported when it masks in at least [`SessionOptions::masking_min_time`]
//! of the frames where both play and in at least [`SessionOptions::masking_min_frames`] frames;
//! pairs are ranked by that share of time times how much of the band they hold together
//! when they mask (the strength).
//!
//! Where: the run of at most [`MAX_RANGE_BANDS`] bands masked most often, trimmed of end bands
//! masked less than half as often as its most masked band, is the pair's range
//! ([`masked_range`]), widened by a band each side when narrower than [`MIN_CARVE_BANDS`];
//! every band it happened in is listed too. The carve is the guides' ("bass guitar and kick drum
//! both have energy at 60-100 Hz ... cut the bass slightly at 60 Hz where the kick lives, and
//! cut the kick slightly at 80-100 Hz where the bass lives"): over the range (widened by one
//! band each side when narrower than [`MIN_CARVE_BANDS`]), each track's own energy peak (summed over the frames both play) is where
//! it lives; when the two peaks differ, each track is cut where the other lives; when they
//! coincide ("guitars and vocals mask each other in the 1-3 kHz range"), the track with the
//! smaller part of its own energy there is cut and the other keeps its peak. A lead
//! (a track named like a vocal: [`LEAD_NAMES`]) is never cut against a track that is not
//! one: the other track is cut where the lead lives, as mixers carve guitars and keys around
//! a vocal rather than the reverse. The size of a cut
//! follows the evidence: `(d + 6) / 2` dB, where `d` is how far the track to cut is above
//! (+) or below (-) the other in that band, clamped to [`MIN_CUT_DB`]..[`MAX_CUT_DB`] in steps
//! of half a dB: an EQ move of a few dB, never a hole.

use serde::Serialize;

use super::analysis::{ABSOLUTE_GATE_LUFS, Aligned, LUFS_OFFSET, SessionOptions, TrackSeries};
use super::frame::{BAND_EDGES_HZ, BANDS};
use crate::diagnosis::format_frequency;

/// The smallest cut advised, dB.
pub const MIN_CUT_DB: f64 = 1.5;
/// The largest cut advised, dB.
pub const MAX_CUT_DB: f64 = 4.0;

/// Word starts in a track's name that mark it as a voice the mix is built around (matched
/// case-insensitively at the start of a word: "Vocals", "Lead Vox 2", "lead_vocal", "VOX1")...
pub const LEAD_NAMES: [&str; 3] = ["vocal", "vox", "voice"];
/// ...and whole words that do ("Lead", "Singer"; not "Single coil gtr", "Mislead").
pub const LEAD_WORDS: [&str; 6] = ["lead", "leads", "sing", "singer", "singers", "singing"];

/// Whether a track's name marks it as a lead.
pub fn is_lead(name: &str) -> bool {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| LEAD_NAMES.iter().any(|w| word.starts_with(w)) || LEAD_WORDS.contains(&word))
}

/// A band where a pair masks, and how often.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaskedBand {
    pub low_hz: f64,
    pub high_hz: f64,
    /// Frames in which the pair masks in this band.
    pub frames: usize,
}

/// One EQ move of a carve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cut {
    /// The track to cut.
    pub track: String,
    /// Where (the centre of the band where the other track's energy peaks), Hz.
    pub at_hz: f64,
    /// By how much, dB (positive: a cut of this size).
    pub cut_db: f64,
    /// The track that lives there.
    pub for_track: String,
}

/// Two tracks that mask each other.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaskingPair {
    pub tracks: [String; 2],
    /// The range where it happens most (contiguous bands; widened by a band each side when
    /// narrower than [`MIN_CARVE_BANDS`], to where each track lives), Hz.
    pub low_hz: f64,
    pub high_hz: f64,
    /// Every band where it happened in at least one frame, low to high.
    pub bands: Vec<MaskedBand>,
    /// Frames in which it happens in at least one band, and frames where both play.
    pub frames_masked: usize,
    pub frames_together: usize,
    /// The share of `frames_together` in which it happens inside the range.
    pub time_share: f64,
    /// Mean share of the band's energy the two hold together when they mask (0 to 1).
    pub strength: f64,
    /// `time_share * strength`: the ranking.
    pub score: f64,
    /// Where each track's own energy peaks near the range, Hz (in the order of `tracks`).
    pub peak_hz: [f64; 2],
    /// The carve: one cut, or one per track.
    pub cuts: Vec<Cut>,
    /// The pair and the carve in one sentence.
    pub advice: String,
}

// The masked bands of a frame fit one `u32`.
const _: () = assert!(BANDS <= 32);

#[derive(Clone)]
struct PairSums {
    together: usize,
    masked: usize,
    strength: f64,
    masked_count: usize,
    band_frames: [usize; BANDS],
    /// The bands masked in each frame where both play (bit `b`: band `b`).
    masks: Vec<u32>,
    /// Each track's band energy over the frames both play.
    energy: [[f64; BANDS]; 2],
}

pub(super) fn masking_pairs(
    tracks: &[TrackSeries],
    aligned: &Aligned,
    options: &SessionOptions,
) -> Vec<MaskingPair> {
    let n = tracks.len();
    let gate = 10f64.powf((ABSOLUTE_GATE_LUFS - LUFS_OFFSET) / 10.0);
    let within = 10f64.powf(options.masking_within_db.abs() / 10.0);
    let band_floor = 10f64.powf(-options.masking_band_floor_db.abs() / 10.0);
    let mut sums = vec![
        PairSums {
            together: 0,
            masked: 0,
            strength: 0.0,
            masked_count: 0,
            band_frames: [0; BANDS],
            masks: Vec::new(),
            energy: [[0.0; BANDS]; 2],
        };
        n * n
    ];
    for t in 0..aligned.len {
        let frames: Vec<Option<[f64; BANDS]>> = aligned
            .tracks
            .iter()
            .map(|grid| {
                grid[t]
                    .filter(|f| f.mean_square as f64 > gate)
                    .map(|f| std::array::from_fn(|b| f.bands[b] as f64))
            })
            .collect();
        let mut total = [0.0f64; BANDS];
        for bands in frames.iter().flatten() {
            for (sum, e) in total.iter_mut().zip(bands) {
                *sum += e;
            }
        }
        let loudest = total.iter().copied().fold(0.0, f64::max);
        if loudest <= 0.0 {
            continue;
        }
        for i in 0..n {
            let Some(a) = &frames[i] else { continue };
            for j in i + 1..n {
                let Some(b) = &frames[j] else { continue };
                let s = &mut sums[i * n + j];
                s.together += 1;
                let mut mask = 0u32;
                for band in 0..BANDS {
                    s.energy[0][band] += a[band];
                    s.energy[1][band] += b[band];
                    let (ea, eb, tb) = (a[band], b[band], total[band]);
                    let masks = tb >= loudest * band_floor
                        && ea >= options.masking_min_share * tb
                        && eb >= options.masking_min_share * tb
                        && ea <= eb * within
                        && eb <= ea * within;
                    if masks {
                        mask |= 1 << band;
                        s.band_frames[band] += 1;
                        s.strength += (ea + eb) / tb;
                        s.masked_count += 1;
                    }
                }
                s.masked += usize::from(mask != 0);
                s.masks.push(mask);
            }
        }
    }

    let mut pairs = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let s = &sums[i * n + j];
            if s.together == 0 || s.masked < options.masking_min_frames.max(1) {
                continue;
            }
            let time_share = s.masked as f64 / s.together as f64;
            if time_share < options.masking_min_time {
                continue;
            }
            // The pair is reported for the range it masks in most: that range itself must
            // pass the time threshold (masking scattered over many bands, each rarely, is not
            // "A and B mask each other at 1.6-5 kHz 3 % of the time").
            let pair = describe(tracks[i].name, tracks[j].name, s);
            if pair.time_share < options.masking_min_time {
                continue;
            }
            pairs.push(pair);
        }
    }
    pairs.sort_by(|a, b| b.score.total_cmp(&a.score));
    pairs
}

/// The widest range reported, bands (5 thirds of an octave: 1-3 kHz).
pub const MAX_RANGE_BANDS: usize = 5;
/// A range narrower than this is widened by a band each side to find where each track lives.
pub const MIN_CARVE_BANDS: usize = 3;

/// The range a pair masks in most, `(first band, last band)`: the run of at most
/// [`MAX_RANGE_BANDS`] bands with the most masked frames, trimmed at each end of bands masked
/// in fewer than half as many frames as the most masked band.
pub fn masked_range(band_frames: &[usize; BANDS]) -> (usize, usize) {
    let (mut low, mut best) = (0, 0);
    for start in 0..=BANDS - MAX_RANGE_BANDS {
        let total: usize = band_frames[start..start + MAX_RANGE_BANDS].iter().sum();
        if total > best {
            (low, best) = (start, total);
        }
    }
    let mut high = low + MAX_RANGE_BANDS - 1;
    let most = band_frames[low..=high].iter().copied().max().unwrap_or(0);
    while low < high && 2 * band_frames[low] < most {
        low += 1;
    }
    while high > low && 2 * band_frames[high] < most {
        high -= 1;
    }
    (low, high)
}

/// The geometric centre of band `b`, Hz.
pub fn band_centre_hz(b: usize) -> f64 {
    (BAND_EDGES_HZ[b] as f64 * BAND_EDGES_HZ[b + 1] as f64).sqrt()
}

fn describe(a: &str, b: &str, s: &PairSums) -> MaskingPair {
    let (low, high) = masked_range(&s.band_frames);
    let range_mask = ((1u32 << (high + 1)) - 1) & !((1u32 << low) - 1);
    let in_range = s.masks.iter().filter(|&&m| m & range_mask != 0).count();
    let time_share = in_range as f64 / s.together.max(1) as f64;
    // Each track's own peak in the range (widened by a band each side when it is narrower
    // than MIN_CARVE_BANDS, so that where each lives can be told apart).
    let (from, to) = if high - low + 1 < MIN_CARVE_BANDS {
        (low.saturating_sub(1), (high + 1).min(BANDS - 1))
    } else {
        (low, high)
    };
    let peak = |k: usize| {
        (from..=to)
            .max_by(|&x, &y| s.energy[k][x].total_cmp(&s.energy[k][y]))
            .unwrap_or(low)
    };
    let peaks = [peak(0), peak(1)];
    let names = [a, b];
    let level_db = |k: usize, band: usize| {
        let other = s.energy[1 - k][band].max(f64::MIN_POSITIVE);
        10.0 * (s.energy[k][band].max(f64::MIN_POSITIVE) / other).log10()
    };
    let cut = |k: usize, band: usize| Cut {
        track: names[k].to_string(),
        at_hz: band_centre_hz(band),
        cut_db: cut_size_db(level_db(k, band)),
        for_track: names[1 - k].to_string(),
    };
    let leads = [is_lead(a), is_lead(b)];
    let cuts = if leads[0] != leads[1] {
        // Cut the other track where the lead lives.
        let lead = usize::from(leads[1]);
        vec![cut(1 - lead, peaks[lead])]
    } else if peaks[0] != peaks[1] {
        vec![cut(0, peaks[1]), cut(1, peaks[0])]
    } else {
        // Same place: cut the track for which it matters less (the smaller part of its own
        // energy there).
        let part = |k: usize| s.energy[k][peaks[0]] / s.energy[k].iter().sum::<f64>().max(1e-30);
        let k = if part(0) <= part(1) { 0 } else { 1 };
        vec![cut(k, peaks[0])]
    };
    let range = format!(
        "{}-{}",
        format_frequency(BAND_EDGES_HZ[from] as f64),
        format_frequency(BAND_EDGES_HZ[to + 1] as f64)
    );
    let moves: Vec<String> = cuts
        .iter()
        .map(|c| {
            format!(
                "cut {} about {:.1} dB around {} where {} lives",
                c.track,
                c.cut_db,
                format_frequency(c.at_hz),
                c.for_track
            )
        })
        .collect();
    let advice = format!(
        "{a} and {b} mask each other at {range} ({:.0} % of the time they play together): {}",
        100.0 * time_share,
        moves.join(", and ")
    );
    let strength = s.strength / s.masked_count.max(1) as f64;
    MaskingPair {
        tracks: [a.to_string(), b.to_string()],
        low_hz: BAND_EDGES_HZ[from] as f64,
        high_hz: BAND_EDGES_HZ[to + 1] as f64,
        bands: (0..BANDS)
            .filter(|&k| s.band_frames[k] > 0)
            .map(|k| MaskedBand {
                low_hz: BAND_EDGES_HZ[k] as f64,
                high_hz: BAND_EDGES_HZ[k + 1] as f64,
                frames: s.band_frames[k],
            })
            .collect(),
        frames_masked: s.masked,
        frames_together: s.together,
        time_share,
        strength,
        score: time_share * strength,
        peak_hz: [band_centre_hz(peaks[0]), band_centre_hz(peaks[1])],
        cuts,
        advice,
    }
}

/// The size of a cut for a track `level_db` above (+) or below (-) the other in the band.
pub fn cut_size_db(level_db: f64) -> f64 {
    let size = ((level_db + 6.0) / 2.0).clamp(MIN_CUT_DB, MAX_CUT_DB);
    (size * 2.0).round() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads_are_told_by_whole_words() {
        for lead in [
            "Vocals",
            "Lead Vox 2",
            "lead_vocal",
            "Singer",
            "BGV voice",
            "VOX",
        ] {
            assert!(is_lead(lead), "{lead}");
        }
        for other in [
            "Bussing",
            "Mislead",
            "Processing",
            "Rising pad",
            "Kick",
            "Vocoder pad",
            "Single coil gtr",
            "Leadership",
        ] {
            assert!(!is_lead(other), "{other}");
        }
    }

    #[test]
    fn the_range_is_the_most_masked_run_of_at_most_five_bands() {
        let mut frames = [0usize; BANDS];
        frames[4] = 100; // 63-80 Hz
        frames[5] = 60;
        frames[6] = 20; // under half of the most: trimmed
        frames[20] = 30; // far away, alone
        assert_eq!(masked_range(&frames), (4, 5));
        let broad = [50usize; BANDS];
        let (low, high) = masked_range(&broad);
        assert_eq!(high - low + 1, MAX_RANGE_BANDS);
    }

    #[test]
    fn cuts_are_a_few_db_and_grow_with_the_level() {
        assert_eq!(cut_size_db(-20.0), MIN_CUT_DB);
        assert_eq!(cut_size_db(0.0), 3.0);
        assert_eq!(cut_size_db(1.0), 3.5);
        assert_eq!(cut_size_db(30.0), MAX_CUT_DB);
    }
}
