//! A WAVE_FORMAT_EXTENSIBLE writer (32-bit float, with a channel mask), byte by byte, for
//! the analyzer and host tests.

#![allow(dead_code)]

use std::path::Path;

/// Writes `channels` as a 32-bit float WAVE_FORMAT_EXTENSIBLE file with `mask` as its
/// `dwChannelMask`.
pub fn write_wav_extensible(path: &Path, rate: u32, channels: &[Vec<f64>], mask: u32) {
    let count = channels.len() as u16;
    let frames = channels[0].len();
    let block_align = count * 4;
    let mut data = Vec::with_capacity(frames * block_align as usize);
    for n in 0..frames {
        for channel in channels {
            data.extend((channel[n] as f32).to_le_bytes());
        }
    }
    let mut bytes = Vec::new();
    bytes.extend(b"RIFF");
    bytes.extend((4 + 8 + 40 + 8 + data.len() as u32).to_le_bytes());
    bytes.extend(b"WAVEfmt ");
    bytes.extend(40u32.to_le_bytes());
    bytes.extend(0xFFFEu16.to_le_bytes());
    bytes.extend(count.to_le_bytes());
    bytes.extend(rate.to_le_bytes());
    bytes.extend((rate * block_align as u32).to_le_bytes());
    bytes.extend(block_align.to_le_bytes());
    bytes.extend(32u16.to_le_bytes());
    bytes.extend(22u16.to_le_bytes());
    bytes.extend(32u16.to_le_bytes());
    bytes.extend(mask.to_le_bytes());
    // KSDATAFORMAT_SUBTYPE_IEEE_FLOAT
    bytes.extend(3u32.to_le_bytes());
    bytes.extend([
        0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
    ]);
    bytes.extend(b"data");
    bytes.extend((data.len() as u32).to_le_bytes());
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}
