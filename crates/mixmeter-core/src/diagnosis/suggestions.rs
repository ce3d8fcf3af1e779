//! At most three suggestions at a time, across tonal, stereo and dynamics findings, ranked,
//! each with its evidence and a confidence, and stable: a finding has to hold for
//! [`HOLD_S`] before it shows, and has to be gone for as long before it goes, so the list
//! does not flicker with the music.
//!
//! **Candidates** ([`candidates`]) come from the diagnoses that already exist: the tonal
//! comparison's ranked regions outside the reference's tolerance, the stereo diagnosis's
//! suggestions (negative correlation, a wide low end, mono loss in a band), the dynamics
//! grade (crest factor below 8 dB: over-compressed) and clipped runs (flat tops,
//! [`crate::meter::clips`]; the margin 1.5 dB per doubling of their count). Each gets:
//! - a **confidence** in 0..1, the product of how much audio it rests on
//!   (`min(1, seconds / 30)`: a long-term spectrum or a whole-measurement reading over less
//!   than half a minute of music is not yet the mix) and how clear the finding is
//!   (`1 - exp(-margin / 3)` for a margin in dB or LU past its threshold: 1 dB gives 0.28,
//!   3 dB 0.63, 6 dB 0.86; for a negative correlation the margin is ten times the band's
//!   correlation below 0, for a wide low end the side-to-mid ratio over -10 dB). A heuristic,
//!   stated as such in docs/editor.md.
//! - a **score** for the ranking: confidence times (1 + margin).
//!
//! A candidate under [`MIN_CONFIDENCE`] is no suggestion at all: a finding on the first 3 s
//! of audio, or a hair past its threshold, is a guess, and "cut around 250 Hz (3 %
//! confidence)" on a two-second clip is advice nobody should take.
//!
//! **Stability** ([`Board`]): a pure function of elapsed time, not of frame rate. A candidate
//! is known by a key (kind and place, e.g. `tonal:mids:over`), so a finding whose numbers move
//! stays the same suggestion.

use super::TonalComparison;
use super::stereo::{MonoCompatibility, StereoFinding};

/// Seconds a finding must hold before it shows, and be gone before it goes.
pub const HOLD_S: f64 = 3.0;
/// Suggestions shown at once.
pub const MAX_SHOWN: usize = 3;
/// Seconds of audio for full confidence.
pub const FULL_CONFIDENCE_S: f64 = 30.0;
/// The least confidence a suggestion is made with (see the module docs): never from less
/// than 3 s of audio, and from 30 s only for a finding at least 0.3 dB past its threshold.
pub const MIN_CONFIDENCE: f64 = 0.1;
/// Crest factor below which a mix is over-compressed (`super::dynamics`).
const OVER_COMPRESSED_DB: f64 = super::dynamics::OVER_COMPRESSED_BELOW_DB;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tonal,
    Stereo,
    Dynamics,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Kind::Tonal => "tonal",
            Kind::Stereo => "stereo",
            Kind::Dynamics => "dynamics",
        }
    }
}

/// A finding that may become a suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Stable identity: kind and place.
    pub key: String,
    pub kind: Kind,
    /// What to do, with the evidence ("low-mids +4.1 dB over the reference: cut around 250 Hz").
    pub text: String,
    /// The readings it rests on and the threshold they pass ("low-mids +4.1 dB against
    /// \"Pink\", 2.1 dB outside its tolerance").
    pub evidence: String,
    /// 0..1, see the module docs.
    pub confidence: f64,
    pub score: f64,
}

fn confidence(seconds: f64, margin: f64) -> f64 {
    let amount = (seconds / FULL_CONFIDENCE_S).clamp(0.0, 1.0);
    let clarity = 1.0 - (-margin.max(0.0) / 3.0).exp();
    amount * clarity
}

fn candidate(
    key: String,
    kind: Kind,
    (text, evidence): (String, String),
    seconds: f64,
    margin: f64,
) -> Candidate {
    let confidence = confidence(seconds, margin);
    Candidate {
        key,
        kind,
        text,
        evidence,
        confidence,
        score: confidence * (1.0 + margin.max(0.0)),
    }
}

/// What the candidates are drawn from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Findings<'a> {
    pub tonal: Option<&'a TonalComparison>,
    /// Seconds the long-term spectrum covers.
    pub spectrum_s: f64,
    pub stereo: Option<&'a MonoCompatibility>,
    pub crest_factor_db: Option<f64>,
    /// Seconds the measurement covers.
    pub measured_s: f64,
    /// Clipped runs over the measurement and the longest, samples ([`crate::meter::clips`]).
    pub clipped_runs: u64,
    pub longest_clipped_run: u32,
    /// The audio is a test tone (or a few tones), not a mix: the tonal comparison withheld its
    /// advice for it, or the stereo bands say so ([`MonoCompatibility::narrow_band`]). No mix
    /// advice from its dynamics then (a sine's 3 dB crest factor is not "over-compressed").
    pub test_tone: bool,
}

impl<'a> Findings<'a> {
    /// The findings of a measurement, as the editor and the CLI both gather them: the whole
    /// measurement's readings and stereo diagnosis, and the tonal comparison of a long-term
    /// spectrum covering `spectrum_s`.
    pub fn of(
        readings: &crate::meter::engine::Readings,
        stereo: Option<&'a MonoCompatibility>,
        tonal: Option<&'a TonalComparison>,
        spectrum_s: f64,
    ) -> Self {
        Findings {
            tonal,
            spectrum_s,
            stereo,
            // No loudness (silent, or below the absolute gate): no dynamics finding either.
            crest_factor_db: readings.integrated_lufs.and(readings.crest_factor_db),
            measured_s: readings.measured_s,
            clipped_runs: readings.clipped_runs,
            longest_clipped_run: readings.longest_clipped_run,
            test_tone: tonal.is_some_and(|t| {
                matches!(t.withheld, Some(super::tonal::Withheld::NarrowBand { .. }))
            }) || stereo.is_some_and(|s| s.narrow_band().is_some()),
        }
    }
}

/// The suggestions of a whole file (the CLI, a finished measurement): what the editor's
/// [`Board`] shows once every finding has held for [`HOLD_S`], the best [`MAX_SHOWN`]
/// candidates, best first (rank = index + 1).
pub fn whole_file(f: &Findings) -> Vec<Candidate> {
    let mut found = candidates(f);
    found.truncate(MAX_SHOWN);
    found
}

/// Every candidate of the findings, best first.
pub fn candidates(f: &Findings) -> Vec<Candidate> {
    let mut out = Vec::new();
    if let Some(tonal) = f.tonal {
        for s in &tonal.suggestions {
            let direction = if s.deviation_db > 0.0 {
                "over"
            } else {
                "under"
            };
            let region = super::REGIONS
                .iter()
                .find(|r| r.id == s.region_id)
                .map_or(s.region_id, |r| r.name);
            let evidence = format!(
                "{region} {:+.1} dB against \"{}\", {:.1} dB outside its tolerance",
                s.deviation_db, tonal.reference_name, s.excess_db
            );
            out.push(candidate(
                format!("tonal:{}:{direction}", s.region_id),
                Kind::Tonal,
                (s.text.clone(), evidence),
                f.spectrum_s,
                s.excess_db,
            ));
        }
    }
    if let Some(stereo) = f.stereo {
        for s in &stereo.suggestions {
            // The margin: how far the band's own reading is past its limit.
            let band = stereo
                .bands
                .iter()
                .find(|b| b.low_hz >= s.low_hz && b.high_hz <= s.high_hz && b.flagged);
            let margin = match s.finding {
                StereoFinding::NegativeCorrelation => {
                    band.and_then(|b| b.correlation).map_or(1.0, |c| -10.0 * c)
                }
                StereoFinding::MonoLoss => band
                    .and_then(|b| b.mono_loss_lu)
                    .map_or(3.0, |l| -l - super::stereo::MAX_MONO_LOSS_LU),
                StereoFinding::WideLowEnd => stereo
                    .low_end
                    .width_db
                    .map_or(1.0, |w| w - super::stereo::LOW_END_WIDTH_DB),
            };
            out.push(candidate(
                format!("stereo:{}:{:.0}", s.finding.id(), s.low_hz),
                Kind::Stereo,
                (s.text.clone(), s.evidence.clone()),
                f.measured_s,
                margin.max(0.5),
            ));
        }
    }
    if f.clipped_runs > 0 {
        let (runs, longest) = (f.clipped_runs, f.longest_clipped_run);
        let floor = crate::meter::clips::FLOOR_DBFS;
        out.push(candidate(
            "dynamics:clipped".to_string(),
            Kind::Dynamics,
            (
                format!(
                    "clipped: {}; turn the level down before the stage that clips (a clipper, \
                     a bus over 0 dBFS, a fixed-point export)",
                    crate::meter::clips::describe(runs, longest)
                ),
                format!(
                    "{runs} runs of {} or more equal samples at {floor:.0} dBFS or above over \
                     {:.0} s, the longest {longest} samples",
                    crate::meter::clips::MIN_RUN,
                    f.measured_s
                ),
            ),
            f.measured_s,
            // One run may be chance; each doubling of the count is 1.5 dB of margin (4 runs
            // over 30 s: 63 % confidence; 64 runs: 95 %).
            1.5 * (runs as f64).log2(),
        ));
    }
    if let Some(crest) = f
        .crest_factor_db
        .filter(|c| *c < OVER_COMPRESSED_DB && !f.test_tone)
    {
        out.push(candidate(
            "dynamics:over-compressed".to_string(),
            Kind::Dynamics,
            (
                format!(
                    "crest factor {crest:.1} dB (healthy 12-18): over-compressed; back off the \
                     bus compressor or limiter"
                ),
                format!(
                    "crest factor {crest:.1} dB over {:.0} s (over-compressed below \
                     {OVER_COMPRESSED_DB:.0} dB)",
                    f.measured_s
                ),
            ),
            f.measured_s,
            OVER_COMPRESSED_DB - crest,
        ));
    }
    out.retain(|c| c.confidence >= MIN_CONFIDENCE);
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// One suggestion on the board.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub candidate: Candidate,
    /// Seconds the finding has been present without a break (while pending or shown).
    pub present_s: f64,
    /// Seconds it has been absent (0 while present).
    pub absent_s: f64,
    pub shown: bool,
}

/// The suggestions over time (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Board {
    entries: Vec<Entry>,
    /// The measured time of the last [`Board::update_measured`] (it going down is a reset).
    measured_s: f64,
}

impl Board {
    pub fn new() -> Self {
        Self::default()
    }

    /// As [`Board::update`], for a measurement that has run `measured_s`: when that goes
    /// down the measurement was reset (by hand or by the transport), and the previous
    /// measurement's advice goes with its readings instead of lingering for the hold time.
    pub fn update_measured(&mut self, found: &[Candidate], elapsed_s: f64, measured_s: f64) {
        if measured_s < self.measured_s {
            self.clear();
        }
        self.measured_s = measured_s;
        self.update(found, elapsed_s);
    }

    /// Advances by `elapsed_s` with the candidates found now.
    pub fn update(&mut self, found: &[Candidate], elapsed_s: f64) {
        let elapsed_s = elapsed_s.max(0.0);
        for entry in &mut self.entries {
            match found.iter().find(|c| c.key == entry.candidate.key) {
                Some(c) => {
                    entry.candidate = c.clone();
                    entry.present_s += elapsed_s;
                    entry.absent_s = 0.0;
                }
                None => {
                    entry.absent_s += elapsed_s;
                    entry.present_s = 0.0;
                }
            }
        }
        for c in found {
            if !self.entries.iter().any(|e| e.candidate.key == c.key) {
                self.entries.push(Entry {
                    candidate: c.clone(),
                    present_s: 0.0,
                    absent_s: 0.0,
                    shown: false,
                });
            }
        }
        // Gone long enough: off the board; pending ones that went are forgotten at once.
        self.entries.retain(|e| {
            if e.shown {
                e.absent_s < HOLD_S
            } else {
                e.absent_s == 0.0
            }
        });
        // Held long enough: shown, best first, while there is room.
        self.entries
            .sort_by(|a, b| b.candidate.score.total_cmp(&a.candidate.score));
        let mut shown = self.entries.iter().filter(|e| e.shown).count();
        for e in &mut self.entries {
            if !e.shown && e.present_s >= HOLD_S && shown < MAX_SHOWN {
                e.shown = true;
                shown += 1;
            }
        }
    }

    /// The suggestions shown now, best first (at most [`MAX_SHOWN`]).
    pub fn shown(&self) -> impl Iterator<Item = &Candidate> {
        self.entries
            .iter()
            .filter(|e| e.shown)
            .map(|e| &e.candidate)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(key: &str, score: f64) -> Candidate {
        Candidate {
            key: key.to_string(),
            kind: Kind::Tonal,
            text: key.to_string(),
            evidence: String::new(),
            confidence: 0.5,
            score,
        }
    }

    fn keys(board: &Board) -> Vec<String> {
        board.shown().map(|c| c.key.clone()).collect()
    }

    /// Runs `seconds` in frames of `dt` with the same candidates.
    fn run(board: &mut Board, found: &[Candidate], seconds: f64, dt: f64) {
        let mut t = 0.0;
        while t < seconds - 1e-9 {
            board.update(found, dt);
            t += dt;
        }
    }

    #[test]
    fn a_finding_shows_after_holding_and_goes_after_being_gone() {
        for dt in [1.0 / 60.0, 1.0 / 30.0, 0.2] {
            let mut board = Board::new();
            let found = [c("a", 1.0)];
            run(&mut board, &found, HOLD_S - 0.25, dt);
            assert!(keys(&board).is_empty(), "not yet at {dt}");
            run(&mut board, &found, 0.5, dt);
            assert_eq!(keys(&board), ["a"], "after {HOLD_S} s at {dt}");
            run(&mut board, &[], HOLD_S - 0.25, dt);
            assert_eq!(
                keys(&board),
                ["a"],
                "still shown while briefly gone at {dt}"
            );
            run(&mut board, &[], 0.5, dt);
            assert!(keys(&board).is_empty(), "gone after {HOLD_S} s at {dt}");
        }
    }

    #[test]
    fn a_flickering_finding_never_shows_and_a_shown_one_survives_gaps() {
        let mut board = Board::new();
        for _ in 0..20 {
            run(&mut board, &[c("flicker", 5.0)], 1.0, 0.05);
            run(&mut board, &[], 1.0, 0.05);
        }
        assert!(keys(&board).is_empty());
        run(&mut board, &[c("steady", 1.0)], 4.0, 0.05);
        for _ in 0..20 {
            run(&mut board, &[], 1.0, 0.05);
            run(&mut board, &[c("steady", 1.0)], 1.0, 0.05);
        }
        assert_eq!(keys(&board), ["steady"]);
    }

    #[test]
    fn at_most_three_best_first_and_a_new_better_one_waits_for_room() {
        let mut board = Board::new();
        let four = [c("a", 1.0), c("b", 4.0), c("c", 2.0), c("d", 3.0)];
        run(&mut board, &four, 4.0, 0.1);
        assert_eq!(keys(&board), ["b", "d", "c"]);
        // A better one appears: it does not push a shown one off at once.
        let five = [
            c("a", 1.0),
            c("b", 4.0),
            c("c", 2.0),
            c("d", 3.0),
            c("e", 9.0),
        ];
        run(&mut board, &five, 4.0, 0.1);
        assert_eq!(keys(&board), ["b", "d", "c"]);
        // When one goes for good, the best waiting one takes its place.
        let without_b = [c("a", 1.0), c("c", 2.0), c("d", 3.0), c("e", 9.0)];
        run(&mut board, &without_b, 3.5, 0.1);
        assert_eq!(keys(&board), ["e", "d", "c"]);
    }

    #[test]
    fn a_whole_file_gets_what_the_board_shows_once_everything_has_held() {
        let findings = Findings {
            crest_factor_db: Some(5.0),
            measured_s: 60.0,
            ..Findings::default()
        };
        let mut found = candidates(&findings);
        found.extend([c("a", 0.1), c("b", 9.0), c("c", 2.0)]);
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut board = Board::new();
        board.update(&found, 0.0);
        board.update(&found, HOLD_S);
        let shown: Vec<Candidate> = board.shown().cloned().collect();
        let mut ranked = found.clone();
        ranked.truncate(MAX_SHOWN);
        assert_eq!(shown, ranked);
        assert_eq!(whole_file(&findings), candidates(&findings));
        assert!(
            whole_file(&findings)[0]
                .evidence
                .contains("crest factor 5.0 dB over 60 s")
        );
    }

    #[test]
    fn confidence_grows_with_audio_and_margin() {
        assert_eq!(confidence(0.0, 6.0), 0.0);
        assert!((confidence(30.0, 3.0) - 0.632).abs() < 0.001);
        assert!((confidence(15.0, 3.0) - 0.316).abs() < 0.001);
        assert!(confidence(60.0, 6.0) > confidence(60.0, 1.0));
        assert_eq!(confidence(60.0, -1.0), 0.0);
    }

    #[test]
    fn over_compression_is_a_candidate_only_below_8_db() {
        let squashed = Findings {
            crest_factor_db: Some(5.0),
            measured_s: 60.0,
            ..Findings::default()
        };
        let found = candidates(&squashed);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, Kind::Dynamics);
        assert!(
            found[0].text.contains("crest factor 5.0 dB"),
            "{}",
            found[0].text
        );
        assert!((found[0].confidence - 0.632).abs() < 0.001);
        let healthy = Findings {
            crest_factor_db: Some(13.0),
            measured_s: 60.0,
            ..Findings::default()
        };
        assert!(candidates(&healthy).is_empty());
        // A sine's crest factor is 3 dB: a test tone is not an over-compressed mix.
        let tone = Findings {
            crest_factor_db: Some(3.0),
            measured_s: 60.0,
            test_tone: true,
            ..Findings::default()
        };
        assert!(candidates(&tone).is_empty());
    }

    /// An over-compressed finding is no suggestion on 2 s of audio (crest factor 5 dB: 4 %
    /// confidence), nor a hair past its threshold on a minute (7.9 dB: 3 %); it is one on 4 s
    /// far past it (1 dB: 12 %).
    #[test]
    fn a_finding_under_the_least_confidence_is_no_suggestion() {
        let squashed = |crest: f64, seconds: f64| Findings {
            crest_factor_db: Some(crest),
            measured_s: seconds,
            ..Findings::default()
        };
        assert!(candidates(&squashed(5.0, 2.0)).is_empty());
        assert!(candidates(&squashed(7.9, 60.0)).is_empty());
        let found = candidates(&squashed(1.0, 4.0));
        assert_eq!(found.len(), 1);
        assert!(found[0].confidence >= MIN_CONFIDENCE);
    }

    /// Clipped runs are a suggestion, ranked above the over-compression they cause, with the
    /// count and the longest run in its text and evidence; one run is none (no margin).
    #[test]
    fn clipped_runs_are_named_first() {
        let clipped = Findings {
            crest_factor_db: Some(4.1),
            measured_s: 60.0,
            clipped_runs: 231,
            longest_clipped_run: 14,
            ..Findings::default()
        };
        let found = candidates(&clipped);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].key, "dynamics:clipped");
        assert!(
            found[0]
                .text
                .starts_with("clipped: 231 flat tops, the longest 14 samples")
        );
        assert!(
            found[0]
                .evidence
                .contains("231 runs of 3 or more equal samples at -3 dBFS")
        );
        assert!(found[0].confidence > 0.95, "{}", found[0].confidence);
        assert_eq!(found[1].key, "dynamics:over-compressed");
        let once = Findings {
            clipped_runs: 1,
            longest_clipped_run: 3,
            ..clipped
        };
        assert!(
            candidates(&once)
                .iter()
                .all(|c| c.key != "dynamics:clipped")
        );
    }

    /// After a reset (the measured time goes down) nothing of the previous measurement's
    /// advice is shown, not even for the hold time.
    #[test]
    fn a_reset_clears_the_board_at_once() {
        let mut board = Board::new();
        let found = [c("a", 1.0)];
        for step in 1..=10 {
            board.update_measured(&found, 0.5, f64::from(step) * 0.5);
        }
        assert_eq!(board.shown().count(), 1);
        board.update_measured(&[], 0.1, 0.1);
        assert_eq!(board.shown().count(), 0);
    }
}
