//! Any bytes in a group's shared-memory segment (another program's file, a damaged or hostile
//! segment, a half-written slot): the master's reader, its session analysis and an instance
//! claiming a slot never panic. The input patches a segment with a valid header: each chunk of
//! 16 bytes is an offset (4 bytes) and 12 bytes written there; a first byte of 0xff instead
//! truncates the file to the input's length or spoils the header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mixmeter::link::layout::{HEADER_SIZE, SEGMENT_SIZE, header_bytes};
use mixmeter::link::reader::Reader;
use mixmeter::link::segment::segment_path;
use mixmeter::link::slot::{Lease, Meta, now_ns};

fuzz_target!(|data: &[u8]| {
    let group = format!("fuzz-{}", std::process::id());
    let mut bytes = vec![0u8; SEGMENT_SIZE];
    bytes[..HEADER_SIZE].copy_from_slice(&header_bytes());
    if data.first() == Some(&0xff) {
        bytes.truncate(data.len().min(SEGMENT_SIZE));
        for (b, d) in bytes.iter_mut().zip(data) {
            *b ^= d;
        }
    } else {
        for chunk in data.chunks(16) {
            if chunk.len() < 5 {
                continue;
            }
            let offset = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) as usize
                % SEGMENT_SIZE;
            let end = (offset + chunk.len() - 4).min(SEGMENT_SIZE);
            bytes[offset..end].copy_from_slice(&chunk[4..4 + end - offset]);
        }
        // Owners that look alive (this process, a fresh heartbeat) where the input set an
        // owner at all, so the reader reads those slots' contents.
        let now = now_ns().to_le_bytes();
        let pid = u64::from(std::process::id()) << 32;
        for slot in 0..mixmeter::link::layout::SLOT_COUNT {
            let at = HEADER_SIZE + slot * mixmeter::link::layout::SLOT_SIZE;
            let owner = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            if owner != 0 {
                bytes[at..at + 8].copy_from_slice(&(pid | (owner & 0xffff_ffff)).to_le_bytes());
                bytes[at + 8..at + 16].copy_from_slice(&now);
            }
        }
    }
    let path = segment_path(&group);
    std::fs::write(&path, &bytes).unwrap();
    // Private to this user, as Mixmeter makes segments (others are refused before any check
    // of their contents, which is what this target exercises).
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut reader = Reader::new(&group);
    let live = reader.poll(now_ns());
    let _ = reader.session(&live, None);
    let meta = Meta {
        role: mixmeter::link::layout::ROLE_TRACK,
        name: "fuzz".to_string(),
        colour: None,
        name_from_host: false,
        sample_rate_hz: 48_000.0,
        channels: 2,
    };
    drop(Lease::claim(&group, &meta));
    let _ = std::fs::remove_file(&path);
});
