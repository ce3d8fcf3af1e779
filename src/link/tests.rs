//! The link end to end inside one process: claim, publish, read, expire, reclaim, and
//! segments full of garbage.

use super::layout::{self, ROLE_MASTER, ROLE_TRACK, SEGMENT_SIZE, SLOT_COUNT};
use super::reader::Reader;
use super::segment::{Mapping, segment_path};
use super::slot::{self, EXPIRY_NS, Lease, Meta, Publisher, now_ns};
use super::*;
use mixmeter_core::session::frame::TrackFrame;
use std::sync::atomic::Ordering;

fn meta(name: &str, role: u32) -> Meta {
    Meta {
        role,
        name: name.to_string(),
        colour: Some(0x11_22_33_ff),
        name_from_host: false,
        sample_rate_hz: 48_000.0,
        channels: 2,
    }
}

/// A group no other test (or test process) uses, and its file removed when done.
struct Group(String);

impl Group {
    fn new(test: &str) -> Group {
        let name = format!("unit-{test}-{}-{}", std::process::id(), now_ns());
        Group(name)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(segment_path(&self.0));
    }
}

fn frame(index: u64, level: f32) -> TrackFrame {
    let mut frame = TrackFrame::silent(index);
    frame.sample_peak = level;
    frame.mean_square = level * level;
    frame
}

#[test]
fn a_master_reads_what_tracks_publish() {
    let group = Group::new("publish");
    let kick = Lease::claim(&group.0, &meta("Kick", ROLE_TRACK)).unwrap();
    let bass = Lease::claim(&group.0, &meta("Bass", ROLE_TRACK)).unwrap();
    let master = Lease::claim(&group.0, &meta("Master", ROLE_MASTER)).unwrap();
    assert_ne!(kick.index(), bass.index());
    let mut kick_out = Publisher::new(kick.clone());
    let mut bass_out = Publisher::new(bass.clone());
    for n in 0..200 {
        kick_out.publish(&frame(1000 + n, 0.5));
        if n % 2 == 0 {
            bass_out.publish(&frame(1000 + n, 0.25));
        }
    }
    kick_out.set_reading(Reading::IntegratedLufs, Some(-14.0));
    let mut reader = Reader::new(&group.0);
    let live = reader.poll(now_ns());
    assert!(reader.status().is_ok());
    assert_eq!(live.len(), 3);
    let kick_seen = live.iter().find(|t| t.meta.name == "Kick").unwrap();
    assert_eq!(kick_seen.meta.colour, Some(0x11_22_33_ff));
    assert_eq!(kick_seen.reading(Reading::IntegratedLufs), Some(-14.0));
    assert_eq!(kick_seen.reading(Reading::MomentaryLufs), None);
    // The ring holds the last RING_LEN frames; older ones are gone.
    let frames = reader.frames(kick_seen);
    assert_eq!(frames.len(), layout::RING_LEN);
    assert_eq!(frames.last().unwrap().index, 1199);
    assert!(live.iter().any(|t| t.is_master()));
    // Later frames are appended to the history, none twice.
    kick_out.publish(&frame(1200, 0.5));
    let live = reader.poll(now_ns());
    let kick_seen = live.iter().find(|t| t.meta.name == "Kick").unwrap();
    assert_eq!(reader.frames(kick_seen).len(), layout::RING_LEN + 1);
    drop((kick_out, bass_out));
    kick.release();
    let live = reader.poll(now_ns());
    assert_eq!(live.len(), 2, "a released slot is gone at once");
    drop(master);
    assert_eq!(reader.poll(now_ns()).len(), 1);
}

#[test]
fn stale_slots_expire_and_are_reclaimed() {
    let group = Group::new("stale");
    let mapping = Arc::new(Mapping::open_or_create(&group.0).unwrap());
    // A slot of a process that died long ago (pid 0x7fff_fff0 is not running) with a fresh
    // heartbeat, and one of a live pid whose heartbeat stopped 4 s ago.
    let now = now_ns();
    let dead = mapping.slot(0);
    dead.owner
        .store((0x7fff_fff0u64 << 32) | 5, Ordering::Relaxed);
    dead.heartbeat_ns
        .store(now - EXPIRY_NS / 2, Ordering::Relaxed);
    let hung = mapping.slot(1);
    hung.owner
        .store((u64::from(std::process::id()) << 32) | 7, Ordering::Relaxed);
    hung.heartbeat_ns
        .store(now - EXPIRY_NS - 1_000_000_000, Ordering::Relaxed);
    let fresh = mapping.slot(2);
    fresh
        .owner
        .store((u64::from(std::process::id()) << 32) | 9, Ordering::Relaxed);
    fresh.heartbeat_ns.store(now, Ordering::Relaxed);
    fresh.role.store(ROLE_TRACK, Ordering::Relaxed);
    let mut reader = Reader::with_mapping(&group.0, mapping.clone());
    let live = reader.poll(now);
    assert_eq!(live.iter().map(|t| t.slot).collect::<Vec<_>>(), [2]);
    let a = Lease::claim_in(mapping.clone(), &meta("A", ROLE_TRACK)).unwrap();
    let b = Lease::claim_in(mapping.clone(), &meta("B", ROLE_TRACK)).unwrap();
    let c = Lease::claim_in(mapping.clone(), &meta("C", ROLE_TRACK)).unwrap();
    assert_eq!([a.index(), b.index(), c.index()], [0, 1, 3]);
    // The heartbeat thread keeps leased slots alive while no audio runs.
    std::thread::sleep(slot::HEARTBEAT_INTERVAL * 3);
    assert!(now_ns() - a.mapping().slot(0).heartbeat_ns.load(Ordering::Relaxed) < EXPIRY_NS / 4);
    assert!(slot::heartbeat_slots() >= 3);
}

#[test]
fn a_full_group_says_so() {
    let group = Group::new("full");
    let leases: Vec<_> = (0..SLOT_COUNT)
        .map(|i| Lease::claim(&group.0, &meta(&format!("T{i}"), ROLE_TRACK)).unwrap())
        .collect();
    let error = Lease::claim(&group.0, &meta("one too many", ROLE_TRACK)).unwrap_err();
    assert!(error.to_string().contains("slots"), "{error}");
    let mut reader = Reader::new(&group.0);
    assert_eq!(reader.poll(now_ns()).len(), SLOT_COUNT);
    drop(leases);
    assert_eq!(reader.poll(now_ns()).len(), 0);
}

#[test]
fn the_audio_thread_gets_a_new_slot_when_the_group_changes() {
    let first = Group::new("relink-a");
    let second = Group::new("relink-b");
    let control = Arc::new(LinkControl::default());
    control.set_settings(Settings {
        group: first.0.clone(),
        ..Settings::default()
    });
    assert_eq!(control.view().slot, None, "nothing links before activation");
    control.activated(48_000.0, 2);
    let mut audio = AudioLink::new(control.clone());
    audio.update().unwrap().publish(&frame(1, 0.5));
    let mut reader_a = Reader::new(&first.0);
    let live = reader_a.poll(now_ns());
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].meta.name, "Track");
    control.set_settings(Settings {
        group: second.0.clone(),
        name: "Lead vocal".to_string(),
        colour: Some(0x00ff_00ff),
        ..Settings::default()
    });
    assert!(
        reader_a.poll(now_ns()).is_empty(),
        "the old slot is released at once"
    );
    audio.update().unwrap().publish(&frame(2, 0.5));
    let mut reader_b = Reader::new(&second.0);
    let live = reader_b.poll(now_ns());
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].meta.name, "Lead vocal");
    assert_eq!(reader_b.frames(&live[0]).len(), 1);
    control.set_host_track(HostTrack {
        name: Some("MASTER".to_string()),
        colour: None,
    });
    assert!(
        reader_b.poll(now_ns())[0].is_master(),
        "Auto follows the host's master track"
    );
    control.shutdown();
    drop(audio);
    assert!(reader_b.poll(now_ns()).is_empty());
}

#[test]
fn saved_settings_are_read_leniently() {
    let s = Settings::from_json(&json!({"role": "master", "group": "Band", "name": "Vox"}));
    assert_eq!(
        (s.role, s.group.as_str(), s.name.as_str()),
        (Role::Master, "Band", "Vox")
    );
    assert_eq!(
        Settings::from_json(&json!({"role": 3, "group": null})),
        Settings::default()
    );
    assert_eq!(
        Settings::from_json(&Settings::default().to_json()),
        Settings::default()
    );
    assert_eq!(Role::Auto.resolve(Some(" Master ")), Role::Master);
    assert_eq!(Role::Auto.resolve(Some("Bass")), Role::Track);
    assert_eq!(Role::Track.resolve(Some("Master")), Role::Track);
}

#[test]
fn header_bytes_are_what_a_new_segment_holds() {
    let group = Group::new("header");
    let _mapping = Mapping::open_or_create(&group.0).unwrap();
    let bytes = std::fs::read(segment_path(&group.0)).unwrap();
    assert_eq!(bytes[..layout::HEADER_SIZE], layout::header_bytes());
}

/// Random, corrupt and foreign bytes in a segment: the reader and a claiming instance never
/// panic, and refuse what is not this layout with a reason.
#[test]
fn garbage_segments_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let group = Group::new("fuzz");
    let path = segment_path(&group.0);
    for round in 0..40 {
        let mut bytes = vec![0u8; SEGMENT_SIZE];
        match round % 4 {
            // Pure noise: refused (no magic).
            0 => rng.fill(bytes.as_mut_slice()),
            // A valid header and random slots: read, with every slot's content checked.
            1 | 2 => {
                rng.fill(bytes.as_mut_slice());
                bytes[..layout::HEADER_SIZE].copy_from_slice(&layout::header_bytes());
                if round % 4 == 2 {
                    // Owners that look live: this process's pid and fresh heartbeats.
                    let now = now_ns();
                    for k in 0..SLOT_COUNT {
                        let at = layout::HEADER_SIZE + k * layout::SLOT_SIZE;
                        let owner =
                            (u64::from(std::process::id()) << 32) | rng.random::<u32>() as u64;
                        bytes[at..at + 8].copy_from_slice(&owner.to_le_bytes());
                        bytes[at + 8..at + 16].copy_from_slice(&now.to_le_bytes());
                        bytes[at + 16..at + 20]
                            .copy_from_slice(&(2 * rng.random_range(0..4u32)).to_le_bytes());
                    }
                }
            }
            // Another version, or a short file.
            _ => {
                bytes[..8].copy_from_slice(&layout::MAGIC.to_le_bytes());
                bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
                if rng.random_bool(0.5) {
                    bytes.truncate(rng.random_range(0..SEGMENT_SIZE));
                }
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let mut reader = Reader::new(&group.0);
        let live = reader.poll(now_ns());
        for track in &live {
            assert!(track.meta.name.len() <= layout::NAME_BYTES);
            assert!(reader.frames(track).iter().all(|f| f.power.is_finite()));
        }
        match round % 4 {
            0 | 3 => {
                assert!(reader.status().is_err(), "round {round}");
                assert!(Lease::claim(&group.0, &meta("x", ROLE_TRACK)).is_err());
            }
            _ => {
                assert!(reader.status().is_ok());
                let claimed = Lease::claim(&group.0, &meta("x", ROLE_TRACK));
                if round % 4 == 2 {
                    assert!(claimed.is_err(), "every slot looks live");
                }
            }
        }
    }
}

/// Tracks summarize only while a master watches: the group is watched from a reader's poll
/// until `WATCH_NS` later, and a poll with an older clock never moves the stamp back.
#[test]
fn a_group_is_watched_while_a_master_reads_it() {
    let group = Group::new("watched");
    let track = Lease::claim(&group.0, &meta("Keys", ROLE_TRACK)).unwrap();
    let out = Publisher::new(track.clone());
    let now = now_ns();
    assert!(!out.watched(now), "no master has read the group yet");
    let mut reader = Reader::new(&group.0);
    reader.poll(now);
    assert!(out.watched(now));
    assert!(out.watched(now + layout::WATCH_NS - 1));
    assert!(!out.watched(now + layout::WATCH_NS), "the master went away");
    reader.poll(now - 1_000_000_000);
    assert!(
        !out.watched(now + layout::WATCH_NS),
        "the stamp never goes back"
    );
    reader.poll(now + layout::WATCH_NS);
    assert!(out.watched(now + layout::WATCH_NS));
}
