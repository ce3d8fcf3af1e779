//! The session analysis on synthetic stems whose masking is known by construction
//! ([`super::synth`]).

use super::analysis::{SessionOptions, SessionReport, TrackReadings, TrackSeries, analyze_session};
use super::frame::TrackFrame;
use super::staging::Verdict;
use super::summarize::FrameSummarizer;
use super::synth::{STEM_NAMES, stems};

const RATE: f64 = 48_000.0;

fn frames_of(audio: &[f32]) -> Vec<TrackFrame> {
    let mut s = FrameSummarizer::new(RATE as f32, &[1.0]);
    let mut frames = Vec::new();
    for block in audio.chunks(480) {
        s.process(&[block], None, |f| frames.push(*f));
    }
    frames
}

fn report(with_master: bool) -> SessionReport {
    let audio = stems(RATE, 8.0);
    let frames: Vec<Vec<TrackFrame>> = audio.iter().map(|a| frames_of(a)).collect();
    let series: Vec<TrackSeries> = STEM_NAMES
        .iter()
        .zip(&frames)
        .map(|(name, f)| TrackSeries {
            name,
            frames: f,
            readings: TrackReadings::from_frames(f),
        })
        .collect();
    let sum: Vec<f32> = (0..audio[0].len())
        .map(|i| audio.iter().map(|a| a[i]).sum())
        .collect();
    let master_frames = frames_of(&sum);
    let master = TrackSeries {
        name: "master",
        frames: &master_frames,
        readings: TrackReadings::from_frames(&master_frames),
    };
    let options = SessionOptions {
        frame_seconds: Some(2048.0 / RATE),
        ..SessionOptions::default()
    };
    analyze_session(&series, with_master.then_some(&master), &options)
}

#[test]
fn kick_and_bass_and_vocal_and_guitar_are_the_masking_pairs() {
    let r = report(true);
    let mut pairs: Vec<[String; 2]> = r.masking.iter().map(|p| p.tracks.clone()).collect();
    pairs.sort();
    let advice: Vec<&str> = r.masking.iter().map(|p| p.advice.as_str()).collect();
    assert_eq!(
        pairs,
        vec![
            ["kick".to_string(), "bass".to_string()],
            ["vocal".to_string(), "guitar".to_string()]
        ],
        "{advice:#?}"
    );
    let kb = r.masking.iter().find(|p| p.tracks[0] == "kick").unwrap();
    assert!(
        kb.low_hz >= 40.0 && kb.high_hz <= 125.0 && kb.low_hz < 100.0 && kb.high_hz > 60.0,
        "{kb:#?}"
    );
    // The carve of the guide: the bass cut where the kick lives, the kick where the bass does.
    let cut = |track: &str| kb.cuts.iter().find(|c| c.track == track).unwrap();
    assert!(cut("bass").at_hz < 72.0, "{kb:#?}");
    assert!((80.0..100.0).contains(&cut("kick").at_hz), "{kb:#?}");
    for c in &kb.cuts {
        assert!((1.5..=4.0).contains(&c.cut_db), "{c:?}");
    }
    let vg = r.masking.iter().find(|p| p.tracks[0] == "vocal").unwrap();
    assert!(vg.low_hz >= 800.0 && vg.high_hz <= 3150.0, "{vg:#?}");
    assert!(vg.time_share > 0.5, "{vg:#?}");
    // The vocal keeps its presence: only the guitar is cut, where the vocal lives.
    assert_eq!(vg.cuts.len(), 1, "{vg:#?}");
    assert_eq!(vg.cuts[0].track, "guitar");
    assert!((1000.0..2000.0).contains(&vg.cuts[0].at_hz), "{vg:#?}");
}

#[test]
fn the_hot_track_is_flagged_and_the_others_are_not_nagged() {
    let r = report(true);
    for t in &r.tracks {
        let expected = if t.name == "keys" {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        assert_eq!(
            t.staging.verdict, expected,
            "{}: {}",
            t.name, t.staging.evidence
        );
        assert_eq!(t.staging.advice.is_some(), t.name == "keys");
    }
    // The sum of these stems is hot: the master fails the pre-master headroom.
    assert_eq!(r.master.as_ref().unwrap().staging.verdict, Verdict::Fail);
    let moments = r.peak_moments.as_ref().unwrap();
    assert!(!moments.is_empty());
    // From -3 dBTP on (2 dB under the -1 dBTP ceiling), where the master stops passing.
    assert!(moments.iter().all(|m| m.master_true_peak_dbtp >= -3.0));
    // Every track listed peaks within 12 dB of the master in that moment (the hi-hat, far
    // under the master, is never one that drove it).
    for m in moments {
        for t in &m.tracks {
            assert!(
                t.true_peak_dbtp >= m.master_true_peak_dbtp - 12.0 - 1e-9,
                "{m:#?}"
            );
        }
    }
}

#[test]
fn region_shares_add_up_and_the_hihat_owns_the_top() {
    for with_master in [true, false] {
        let r = report(with_master);
        for region in &r.regions {
            for span in [&region.whole, &region.recent] {
                if span.empty {
                    assert!(span.shares.iter().all(|s| s.share.is_none()));
                    continue;
                }
                let total: f64 = span.shares.iter().map(|s| s.share.unwrap()).sum();
                assert!((total - 1.0).abs() < 1e-9, "{}: {total}", region.id);
            }
        }
        let air = r.regions.iter().find(|r| r.id == "air").unwrap();
        let hihat = air
            .whole
            .shares
            .iter()
            .find(|s| s.track == "hihat")
            .unwrap();
        assert!(hihat.share.unwrap() > 0.9, "{air:#?}");
        let bass_region = r.regions.iter().find(|r| r.id == "bass").unwrap();
        let low: f64 = bass_region
            .whole
            .shares
            .iter()
            .filter(|s| s.track == "kick" || s.track == "bass")
            .map(|s| s.share.unwrap())
            .sum();
        assert!(low > 0.95, "{bass_region:#?}");
        // Without a master, the energy shares are of the tracks' sum and add up to 1.
        if !with_master {
            let total: f64 = r.tracks.iter().map(|t| t.energy_share.unwrap()).sum();
            assert!((total - 1.0).abs() < 1e-6, "{total}");
        }
    }
}

#[test]
fn tracks_that_never_play_together_do_not_mask() {
    // The bass only in the first half, the kick only in the second: no pair.
    let audio = stems(RATE, 8.0);
    let half = audio[0].len() / 2;
    let mut kick = audio[0].clone();
    kick[..half].fill(0.0);
    let mut bass = audio[1].clone();
    bass[half..].fill(0.0);
    let (fk, fb) = (frames_of(&kick), frames_of(&bass));
    let series = [
        TrackSeries {
            name: "kick",
            frames: &fk,
            readings: TrackReadings::from_frames(&fk),
        },
        TrackSeries {
            name: "bass",
            frames: &fb,
            readings: TrackReadings::from_frames(&fb),
        },
    ];
    let r = analyze_session(&series, None, &SessionOptions::default());
    assert!(r.masking.is_empty(), "{:#?}", r.masking);
}

#[test]
fn no_frames_is_an_empty_report() {
    let series = [TrackSeries {
        name: "nothing",
        frames: &[],
        readings: TrackReadings::default(),
    }];
    let r = analyze_session(&series, None, &SessionOptions::default());
    assert!(r.masking.is_empty() && r.first_index.is_none());
    assert_eq!(r.tracks[0].staging.verdict, Verdict::None);
    assert!(r.regions.iter().all(|g| g.whole.empty));
}

#[test]
fn tracks_with_gaps_and_late_starts_are_aligned_by_index() {
    // The bass's frames exist only for the second half (a track instance that joined late),
    // the kick's with every other frame missing: the pair is still found where both play,
    // on the same indices, and the shares still add up.
    let audio = stems(RATE, 8.0);
    let kick: Vec<TrackFrame> = frames_of(&audio[0])
        .into_iter()
        .filter(|f| f.index % 2 == 0)
        .collect();
    let all_bass = frames_of(&audio[1]);
    let late = all_bass.len() as u64 / 2;
    let bass: Vec<TrackFrame> = all_bass.into_iter().filter(|f| f.index >= late).collect();
    let series = [
        TrackSeries {
            name: "kick",
            frames: &kick,
            readings: TrackReadings::from_frames(&kick),
        },
        TrackSeries {
            name: "bass",
            frames: &bass,
            readings: TrackReadings::from_frames(&bass),
        },
    ];
    let r = analyze_session(&series, None, &SessionOptions::default());
    assert_eq!(r.first_index, Some(0));
    assert_eq!(r.tracks[1].frames, bass.len());
    let pair = &r.masking[0];
    // Together only where both have frames: the even frames of the second half.
    assert_eq!(
        pair.frames_together,
        bass.iter().filter(|f| f.index % 2 == 0).count()
    );
    for region in &r.regions {
        if !region.whole.empty {
            let total: f64 = region.whole.shares.iter().map(|s| s.share.unwrap()).sum();
            assert!((total - 1.0).abs() < 1e-9);
        }
    }
}

/// Two tracks on time bases a day apart (a track counting its own samples beside tracks on
/// the host's position, or two projects in one group): the grid covers the span asked for,
/// not the distance, and the early track simply has no frames in it.
#[test]
fn far_apart_time_bases_cost_the_span_not_the_distance() {
    let audio = stems(RATE, 4.0);
    let early = frames_of(&audio[0]);
    let mut late = frames_of(&audio[1]);
    for f in &mut late {
        f.index += 2_000_000;
    }
    let series = [
        TrackSeries {
            name: "early",
            frames: &early,
            readings: TrackReadings::from_frames(&early),
        },
        TrackSeries {
            name: "late",
            frames: &late,
            readings: TrackReadings::from_frames(&late),
        },
    ];
    let options = SessionOptions {
        max_span_frames: 1_000,
        ..SessionOptions::default()
    };
    let r = analyze_session(&series, None, &options);
    let (first, last) = (r.first_index.unwrap(), r.last_index.unwrap());
    assert_eq!(last - first + 1, 1_000);
    assert_eq!(r.tracks[0].frames, 0, "the early track is outside the span");
    assert_eq!(r.tracks[1].frames, late.len());
    assert!(r.masking.is_empty());
}
