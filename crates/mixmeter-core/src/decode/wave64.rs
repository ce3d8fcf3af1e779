//! RF64 and BW64 (EBU Tech 3306 / ITU-R BS.2088) and Sony Wave64 files: WAV's 64-bit
//! successors, which symphonia 0.6 does not read. Their headers are walked here and the PCM
//! samples after them are read by [`PcmReader`] (integer 8 to 32 bit, float 32 and 64 bit,
//! plain or WAVE_FORMAT_EXTENSIBLE, with the extensible channel mask).
//!
//! A data chunk that states a length longer than the file holds is read up to where the file
//! ends; the caller compares the frames read with [`Header::stated_frames`] to report the
//! truncation. Every failure is a [`DecodeError`]; nothing here panics on bad input.

use super::DecodeError;
use super::pcm::{PcmReader, Sample};
use std::io::{Read, Seek, SeekFrom};

/// Chunks walked before giving up on a damaged header.
const MAX_CHUNKS: usize = 10_000;
/// The RF64 32-bit size field that says "see the ds64 chunk".
const SIZE_IN_DS64: u32 = u32::MAX;
const WAVE_FORMAT_PCM: u16 = 1;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 3;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// Wave64 chunk GUIDs: the first four bytes name the chunk, the rest is shared by `wave`,
/// `fmt ` and `data` (the `riff` GUID has its own tail).
const W64_RIFF: [u8; 16] = *b"riff\x2E\x91\xCF\x11\xA5\xD6\x28\xDB\x04\xC1\x00\x00";
const W64_TAIL: [u8; 12] = [
    0xF3, 0xAC, 0xD3, 0x11, 0x8C, 0xD1, 0x00, 0xC0, 0x4F, 0x8E, 0xDB, 0x8A,
];
/// A Wave64 chunk header: a 16-byte GUID and a 64-bit size that includes the header.
const W64_CHUNK_HEADER: u64 = 24;

/// What the header of an RF64, BW64 or Wave64 file says.
#[derive(Debug, Clone)]
pub struct Header {
    /// "RF64", "BW64" or "Wave64", for messages.
    pub container: &'static str,
    pub sample_rate_hz: u32,
    pub channels: usize,
    /// The WAVE_FORMAT_EXTENSIBLE channel mask, when the file states a non-zero one.
    pub channel_mask: Option<u32>,
    sample: Sample,
    data_start: u64,
    /// Bytes of audio the header promises (`None`: until the file ends).
    data_len: Option<u64>,
}

impl Header {
    pub fn codec(&self) -> &'static str {
        self.sample.codec()
    }

    /// The frames the header promises, when it states the data length.
    pub fn stated_frames(&self) -> Option<u64> {
        self.data_len
            .map(|len| len / (self.sample.bytes() * self.channels) as u64)
    }

    /// The reader of the audio after this header; `source` must be at its start (where
    /// [`read_header`] leaves it). It stops at the end of the stated data or of the file,
    /// whichever comes first.
    pub fn reader(&self, source: Box<dyn Read + Send + Sync>) -> PcmReader {
        PcmReader::new(self.sample, self.channels, self.data_len, source)
    }
}

/// The header of `source` if it is an RF64, BW64 or Wave64 file (`Ok(None)` for any other
/// file); leaves `source` at the start of the audio data.
pub fn read_header(source: &mut (impl Read + Seek)) -> Result<Option<Header>, DecodeError> {
    source.seek(SeekFrom::Start(0))?;
    let mut head = [0u8; 16];
    let mut filled = 0;
    while filled < head.len() {
        match source.read(&mut head[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    if filled < head.len() {
        source.seek(SeekFrom::Start(0))?;
        return Ok(None);
    }
    let header = if matches!(&head[0..4], b"RF64" | b"BW64") && &head[8..12] == b"WAVE" {
        let container = if &head[0..4] == b"RF64" {
            "RF64"
        } else {
            "BW64"
        };
        rf64(source, container)?
    } else if head == W64_RIFF {
        wave64(source)?
    } else {
        source.seek(SeekFrom::Start(0))?;
        return Ok(None);
    };
    source.seek(SeekFrom::Start(header.data_start))?;
    Ok(Some(header))
}

/// The header of a RIFF/WAVE file whose sizes do not fit each other, which symphonia rejects
/// ("chunk length exceeds parent chunk length", "invalid riff length") and ffmpeg reads: a
/// RIFF length of 0 or shorter than the data chunk it holds (writers that stream, or append
/// without fixing the header), or a data chunk stating more than the RIFF length. The data
/// is then read as the data chunk states, up to where the file ends (a stated length of 0 or
/// all ones: to the end). `Ok(None)` for any other file, consistent WAVs included (symphonia
/// reads those); leaves `source` at the start of the audio data, or of the file.
pub fn read_wav_with_inconsistent_sizes(
    source: &mut (impl Read + Seek),
) -> Result<Option<Header>, DecodeError> {
    let file_len = source.seek(SeekFrom::End(0))?;
    source.seek(SeekFrom::Start(0))?;
    let mut head = [0u8; 12];
    if file_len < 12 || source.read_exact(&mut head).is_err() || &head[0..4] != b"RIFF" {
        source.seek(SeekFrom::Start(0))?;
        return Ok(None);
    }
    let riff_len = u32_at(&head, 4) as u64;
    // A header this walk cannot read is left to symphonia and its message.
    let mut header = match (&head[8..12] == b"WAVE").then(|| rf64(source, "WAV")) {
        Some(Ok(header)) => header,
        _ => {
            source.seek(SeekFrom::Start(0))?;
            return Ok(None);
        }
    };
    // A data length of 0, like all ones, is what a writer that streams leaves: to the end.
    header.data_len = header.data_len.filter(|&len| len != 0);
    let data_end = header.data_start + header.data_len.unwrap_or(0);
    let riff_end = 8 + riff_len;
    if riff_len != 0 && data_end <= riff_end {
        source.seek(SeekFrom::Start(0))?;
        return Ok(None);
    }
    source.seek(SeekFrom::Start(header.data_start))?;
    Ok(Some(header))
}

fn corrupt(container: &str, what: &str) -> DecodeError {
    DecodeError::Corrupt(format!("{container} header: {what}"))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]))
}

/// The sample format, rate, channels and mask of a `fmt ` chunk body.
fn format(
    container: &'static str,
    fmt: &[u8],
) -> Result<(Sample, u32, usize, Option<u32>), DecodeError> {
    if fmt.len() < 16 {
        return Err(corrupt(container, "fmt chunk too short"));
    }
    let mut tag = u16_at(fmt, 0);
    let channels = u16_at(fmt, 2) as usize;
    let rate = u32_at(fmt, 4);
    let bits = u16_at(fmt, 14);
    let mut mask = None;
    if tag == WAVE_FORMAT_EXTENSIBLE {
        if fmt.len() < 40 {
            return Err(corrupt(container, "extensible fmt chunk too short"));
        }
        mask = Some(u32_at(fmt, 20)).filter(|&m| m != 0);
        tag = u16_at(fmt, 24);
    }
    let sample = match (tag, bits) {
        (WAVE_FORMAT_PCM, 8) => Sample::U8,
        (WAVE_FORMAT_PCM, 16) => Sample::I16,
        (WAVE_FORMAT_PCM, 24) => Sample::I24,
        (WAVE_FORMAT_PCM, 32) => Sample::I32,
        (WAVE_FORMAT_IEEE_FLOAT, 32) => Sample::F32,
        (WAVE_FORMAT_IEEE_FLOAT, 64) => Sample::F64,
        _ => {
            return Err(DecodeError::Unsupported(format!(
                "{container} with sample format {tag:#06x}, {bits} bits (PCM 8 to 32 bit and float 32/64 bit are read)"
            )));
        }
    };
    if channels == 0 || rate == 0 {
        return Err(corrupt(container, "no channels or no sample rate"));
    }
    Ok((sample, rate, channels, mask))
}

fn read_body(
    source: &mut impl Read,
    container: &'static str,
    len: u64,
) -> Result<Vec<u8>, DecodeError> {
    if len > 1 << 16 {
        return Err(corrupt(container, "fmt chunk too long"));
    }
    let mut body = vec![0u8; len as usize];
    source
        .read_exact(&mut body)
        .map_err(|_| corrupt(container, "ends inside the fmt chunk"))?;
    Ok(body)
}

fn rf64(source: &mut (impl Read + Seek), container: &'static str) -> Result<Header, DecodeError> {
    let mut at = 12u64;
    let mut ds64_data_len = None;
    let mut fmt = None;
    for _ in 0..MAX_CHUNKS {
        source.seek(SeekFrom::Start(at))?;
        let mut header = [0u8; 8];
        source
            .read_exact(&mut header)
            .map_err(|_| corrupt(container, "no data chunk"))?;
        let size32 = u32_at(&header, 4);
        let body = at + 8;
        match &header[0..4] {
            b"ds64" => {
                let ds64 = read_body(source, container, size32 as u64)?;
                if ds64.len() < 24 {
                    return Err(corrupt(container, "ds64 chunk too short"));
                }
                ds64_data_len = Some(u64_at(&ds64, 8));
            }
            b"fmt " => {
                fmt = Some(format(
                    container,
                    &read_body(source, container, size32 as u64)?,
                )?)
            }
            b"data" => {
                let (sample, sample_rate_hz, channels, channel_mask) =
                    fmt.ok_or_else(|| corrupt(container, "data before the fmt chunk"))?;
                let data_len = if size32 == SIZE_IN_DS64 {
                    // A ds64 length of zero or all ones: written while streaming, never fixed.
                    ds64_data_len.filter(|&l| l != 0 && l != u64::MAX)
                } else {
                    Some(size32 as u64)
                };
                return Ok(Header {
                    container,
                    sample_rate_hz,
                    channels,
                    channel_mask,
                    sample,
                    data_start: body,
                    data_len,
                });
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        at = body + size32 as u64 + (size32 as u64 & 1);
    }
    Err(corrupt(container, "too many chunks"))
}

fn wave64(source: &mut (impl Read + Seek)) -> Result<Header, DecodeError> {
    const CONTAINER: &str = "Wave64";
    let mut riff = [0u8; 24];
    source.seek(SeekFrom::Start(16))?;
    source
        .read_exact(&mut riff)
        .map_err(|_| corrupt(CONTAINER, "too short"))?;
    if &riff[8..12] != b"wave" || riff[12..24] != W64_TAIL {
        return Err(corrupt(CONTAINER, "not a wave file"));
    }
    let mut at = 40u64;
    let mut fmt = None;
    for _ in 0..MAX_CHUNKS {
        source.seek(SeekFrom::Start(at))?;
        let mut header = [0u8; W64_CHUNK_HEADER as usize];
        source
            .read_exact(&mut header)
            .map_err(|_| corrupt(CONTAINER, "no data chunk"))?;
        let size = u64_at(&header, 16);
        if size < W64_CHUNK_HEADER {
            return Err(corrupt(CONTAINER, "chunk smaller than its header"));
        }
        let body_len = size - W64_CHUNK_HEADER;
        let body = at + W64_CHUNK_HEADER;
        let known = header[4..16] == W64_TAIL;
        match &header[0..4] {
            b"fmt " if known => {
                fmt = Some(format(CONTAINER, &read_body(source, CONTAINER, body_len)?)?)
            }
            b"data" if known => {
                let (sample, sample_rate_hz, channels, channel_mask) =
                    fmt.ok_or_else(|| corrupt(CONTAINER, "data before the fmt chunk"))?;
                return Ok(Header {
                    container: CONTAINER,
                    sample_rate_hz,
                    channels,
                    channel_mask,
                    sample,
                    data_start: body,
                    data_len: Some(body_len),
                });
            }
            _ => {}
        }
        // Chunks are aligned to 8 bytes.
        at = at
            .checked_add(size.div_ceil(8) * 8)
            .ok_or_else(|| corrupt(CONTAINER, "chunk size overflows"))?;
    }
    Err(corrupt(CONTAINER, "too many chunks"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn fmt_pcm16(channels: u16, rate: u32) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend(1u16.to_le_bytes());
        f.extend(channels.to_le_bytes());
        f.extend(rate.to_le_bytes());
        f.extend((rate * 2 * channels as u32).to_le_bytes());
        f.extend((2 * channels).to_le_bytes());
        f.extend(16u16.to_le_bytes());
        f
    }

    fn rf64(samples: &[i16], stated_len: u64) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(b"RF64");
        b.extend(u32::MAX.to_le_bytes());
        b.extend(b"WAVEds64");
        b.extend(28u32.to_le_bytes());
        b.extend(0u64.to_le_bytes());
        b.extend(stated_len.to_le_bytes());
        b.extend(0u64.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend(b"fmt ");
        b.extend(16u32.to_le_bytes());
        b.extend(fmt_pcm16(1, 48_000));
        b.extend(b"data");
        b.extend(u32::MAX.to_le_bytes());
        for s in samples {
            b.extend(s.to_le_bytes());
        }
        b
    }

    fn read_all(bytes: Vec<u8>) -> (Header, Vec<f32>) {
        let mut cursor = Cursor::new(bytes);
        let header = read_header(&mut cursor).unwrap().unwrap();
        let mut reader = header.reader(Box::new(cursor));
        let mut out = Vec::new();
        let mut planes = Vec::new();
        while reader.next_into(&mut planes).unwrap() {
            out.extend_from_slice(&planes[0]);
        }
        (header, out)
    }

    #[test]
    fn rf64_reads_the_ds64_length() {
        let (header, samples) = read_all(rf64(&[16_384, -16_384, 0], 6));
        assert_eq!(header.container, "RF64");
        assert_eq!(header.stated_frames(), Some(3));
        assert_eq!(samples, vec![0.5, -0.5, 0.0]);
    }

    #[test]
    fn a_short_data_chunk_reads_what_is_there() {
        let (header, samples) = read_all(rf64(&[100, 200], 2000));
        assert_eq!(header.stated_frames(), Some(1000));
        assert_eq!(samples.len(), 2);
    }

    #[test]
    fn wave64_headers_are_walked() {
        let mut b = Vec::new();
        b.extend(W64_RIFF);
        b.extend(0u64.to_le_bytes());
        b.extend(b"wave");
        b.extend(W64_TAIL);
        let fmt = fmt_pcm16(2, 44_100);
        b.extend(b"fmt ");
        b.extend(W64_TAIL);
        b.extend((24 + fmt.len() as u64).to_le_bytes());
        b.extend(&fmt);
        b.extend(b"data");
        b.extend(W64_TAIL);
        b.extend((24u64 + 8).to_le_bytes());
        for s in [1i16, 2, 3, 4] {
            b.extend(s.to_le_bytes());
        }
        let (header, left) = read_all(b);
        assert_eq!((header.channels, header.sample_rate_hz), (2, 44_100));
        assert_eq!(header.stated_frames(), Some(2));
        assert_eq!(left.len(), 2);
    }

    #[test]
    fn other_files_are_left_alone() {
        let mut cursor = Cursor::new(b"RIFF\0\0\0\0WAVEfmt ".to_vec());
        assert!(read_header(&mut cursor).unwrap().is_none());
        assert_eq!(cursor.position(), 0);
    }
}
