//! Whether a WAV or CAF file states where its channels play, read from its header before
//! symphonia opens it.
//!
//! symphonia 0.6 gives a file that states no layout the first `n` positions of the WAVE
//! channel mask (5 channels become L R C LFE Ls), and reports it exactly as it reports a file
//! whose mask says so. The analyzer wants the documented default for such files instead
//! ([`ChannelRole::default_layout`](crate::meter::layout::ChannelRole::default_layout): 5
//! channels are L R C Ls Rs, as the EBU's test files and libebur128 have them), so it asks the
//! header itself.
//!
//! A WAV file (RIFF, RF64 or BW64) states its layout when its `fmt ` chunk is
//! WAVE_FORMAT_EXTENSIBLE with a non-zero `dwChannelMask`; plain PCM and float formats have
//! no mask. A CAF file states it with a `chan` chunk. Other files are left to symphonia. A
//! header too damaged to read is [`Layout::Unknown`] (symphonia then reports the damage).

use std::io::{Read, Seek, SeekFrom};

/// What the header says of the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A channel mask or layout chunk: symphonia reports it.
    Stated,
    /// A WAV or CAF file without one: the default layout for the channel count applies.
    Absent,
    /// Not a WAV or CAF file, or a header that could not be walked.
    Unknown,
}

/// Chunks walked before giving up on a damaged header.
const MAX_CHUNKS: usize = 10_000;

const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// Bytes of a `fmt ` chunk up to and including `dwChannelMask`.
const FMT_EXTENSIBLE_MASK_END: u64 = 24;

/// Reads the header of `source` and leaves it at its start.
pub fn read(source: &mut (impl Read + Seek)) -> std::io::Result<Layout> {
    source.seek(SeekFrom::Start(0))?;
    let layout = walk(source).unwrap_or(Layout::Unknown);
    source.seek(SeekFrom::Start(0))?;
    Ok(layout)
}

fn walk(source: &mut (impl Read + Seek)) -> std::io::Result<Layout> {
    let mut head = [0u8; 12];
    source.read_exact(&mut head)?;
    let end = source.seek(SeekFrom::End(0))?;
    let riff = matches!(&head[0..4], b"RIFF" | b"RF64" | b"BW64") && &head[8..12] == b"WAVE";
    if riff {
        wave(source, end)
    } else if &head[0..4] == b"caff" {
        caf(source, end)
    } else {
        Ok(Layout::Unknown)
    }
}

fn wave(source: &mut (impl Read + Seek), end: u64) -> std::io::Result<Layout> {
    let mut at = 12u64;
    for _ in 0..MAX_CHUNKS {
        if at + 8 > end {
            break;
        }
        source.seek(SeekFrom::Start(at))?;
        let mut header = [0u8; 8];
        source.read_exact(&mut header)?;
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as u64;
        if &header[0..4] == b"fmt " {
            let mut fmt = [0u8; FMT_EXTENSIBLE_MASK_END as usize];
            let available = size.min(FMT_EXTENSIBLE_MASK_END) as usize;
            source.read_exact(&mut fmt[..available])?;
            let tag = u16::from_le_bytes([fmt[0], fmt[1]]);
            if tag != WAVE_FORMAT_EXTENSIBLE || size < FMT_EXTENSIBLE_MASK_END {
                return Ok(Layout::Absent);
            }
            let mask = u32::from_le_bytes([fmt[20], fmt[21], fmt[22], fmt[23]]);
            return Ok(if mask == 0 {
                Layout::Absent
            } else {
                Layout::Stated
            });
        }
        // RF64 states the data size in `ds64`; its 32-bit field is then 0xFFFFFFFF, which
        // only ever comes after `fmt `.
        at += 8 + size + (size & 1);
    }
    Ok(Layout::Unknown)
}

fn caf(source: &mut (impl Read + Seek), end: u64) -> std::io::Result<Layout> {
    // File header: 'caff', version (2 bytes), flags (2 bytes); then chunks with a four-byte
    // type and a big-endian i64 size.
    let mut at = 8u64;
    for _ in 0..MAX_CHUNKS {
        if at + 12 > end {
            return Ok(Layout::Absent);
        }
        source.seek(SeekFrom::Start(at))?;
        let mut header = [0u8; 12];
        source.read_exact(&mut header)?;
        if &header[0..4] == b"chan" {
            return Ok(Layout::Stated);
        }
        let size = i64::from_be_bytes(header[4..12].try_into().unwrap_or_default());
        if size < 0 {
            // A data chunk of unknown size runs to the end of the file.
            return Ok(Layout::Absent);
        }
        at = at.saturating_add(12).saturating_add(size as u64);
    }
    Ok(Layout::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn wav_header(tag: u16, fmt_size: u32, mask: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend(b"RIFF");
        bytes.extend(100u32.to_le_bytes());
        bytes.extend(b"WAVE");
        bytes.extend(b"LIST");
        bytes.extend(3u32.to_le_bytes());
        bytes.extend([1, 2, 3, 0]); // odd size, padded
        bytes.extend(b"fmt ");
        bytes.extend(fmt_size.to_le_bytes());
        let mut fmt = vec![0u8; fmt_size as usize];
        fmt[0..2].copy_from_slice(&tag.to_le_bytes());
        if fmt_size >= 24 {
            fmt[20..24].copy_from_slice(&mask.to_le_bytes());
        }
        bytes.extend(fmt);
        bytes.extend(b"data");
        bytes.extend(0u32.to_le_bytes());
        bytes
    }

    fn layout_of(bytes: Vec<u8>) -> Layout {
        let mut cursor = Cursor::new(bytes);
        let layout = read(&mut cursor).unwrap();
        assert_eq!(cursor.position(), 0, "left at the start");
        layout
    }

    #[test]
    fn wave_mask_is_stated_only_when_extensible_and_non_zero() {
        assert_eq!(layout_of(wav_header(1, 16, 0)), Layout::Absent);
        assert_eq!(layout_of(wav_header(3, 18, 0)), Layout::Absent);
        assert_eq!(layout_of(wav_header(0xFFFE, 40, 0)), Layout::Absent);
        assert_eq!(layout_of(wav_header(0xFFFE, 40, 0x60F)), Layout::Stated);
    }

    #[test]
    fn caf_layout_is_stated_by_a_chan_chunk() {
        let caf = |chunks: &[&[u8; 4]]| {
            let mut bytes = b"caff\x00\x01\x00\x00".to_vec();
            for kind in chunks {
                bytes.extend(*kind);
                bytes.extend(4i64.to_be_bytes());
                bytes.extend([0u8; 4]);
            }
            bytes
        };
        assert_eq!(layout_of(caf(&[b"desc", b"data"])), Layout::Absent);
        assert_eq!(layout_of(caf(&[b"desc", b"chan", b"data"])), Layout::Stated);
    }

    #[test]
    fn other_and_damaged_files_are_unknown() {
        assert_eq!(layout_of(b"fLaC\0\0\0\x22".to_vec()), Layout::Unknown);
        assert_eq!(layout_of(b"RIF".to_vec()), Layout::Unknown);
        let mut truncated = wav_header(0xFFFE, 40, 0x3F);
        truncated.truncate(30);
        assert_eq!(layout_of(truncated), Layout::Unknown);
    }
}
