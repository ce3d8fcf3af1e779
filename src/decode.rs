//! Audio files to sample blocks, with symphonia: for the command-line analyzer (and later the
//! reference-curve import). Decoding streams packet by packet into a callback, so memory does
//! not grow with the file's length.
//!
//! Formats: WAV, AIFF and CAF (integer and float PCM), FLAC, MP3, Ogg Vorbis, and AAC or ALAC
//! in MP4/M4A; any sample rate, up to 8 channels for the meter. Every failure is a
//! [`DecodeError`] that names what went wrong; nothing here panics on bad input.

use crate::meter::layout::ChannelRole;
use std::fs::File;
use std::path::Path;
use symphonia::core::audio::{Channels, SampleBuffer};
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// What a file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    pub sample_rate_hz: u32,
    pub channels: usize,
    /// Each channel's role, from the file's channel mask (or the default order for its
    /// count when it has none).
    pub layout: Vec<ChannelRole>,
    /// The codec, for messages and reports (e.g. "pcm_s24le", "flac", "mp3").
    pub codec: String,
}

/// Channel roles from symphonia's channel mask. The rear pair is a 5.1 surround pair unless
/// the file also has a side pair (7.1), where it sits behind 120 degrees.
fn roles(channels: Channels) -> Vec<ChannelRole> {
    let has_sides =
        channels.contains(Channels::SIDE_LEFT) || channels.contains(Channels::SIDE_RIGHT);
    channels
        .iter()
        .map(|c| match c {
            Channels::FRONT_LEFT => ChannelRole::Left,
            Channels::FRONT_RIGHT => ChannelRole::Right,
            Channels::FRONT_CENTRE => ChannelRole::Centre,
            Channels::LFE1 | Channels::LFE2 => ChannelRole::Lfe,
            Channels::REAR_LEFT if has_sides => ChannelRole::RearLeft,
            Channels::REAR_RIGHT if has_sides => ChannelRole::RearRight,
            Channels::REAR_LEFT => ChannelRole::SurroundLeft,
            Channels::REAR_RIGHT => ChannelRole::SurroundRight,
            Channels::SIDE_LEFT => ChannelRole::SurroundLeft,
            Channels::SIDE_RIGHT => ChannelRole::SurroundRight,
            Channels::REAR_CENTRE => ChannelRole::RearCentre,
            _ => ChannelRole::Other,
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot open: {0}")]
    Open(#[from] std::io::Error),
    #[error("not a supported audio file: {0}")]
    Unsupported(String),
    #[error("no audio track")]
    NoTrack,
    #[error("the file does not state its {0}")]
    MissingParameter(&'static str),
    #[error("corrupt audio data: {0}")]
    Corrupt(String),
}

fn describe(error: SymphoniaError) -> DecodeError {
    match error {
        SymphoniaError::Unsupported(what) => DecodeError::Unsupported(what.to_string()),
        SymphoniaError::IoError(e) => DecodeError::Corrupt(e.to_string()),
        other => DecodeError::Corrupt(other.to_string()),
    }
}

/// Rejects an MP4/M4A file whose sample tables claim more entries than their atoms hold.
/// symphonia-format-isomp4 0.5.5 reserves memory for the claimed count before reading
/// (`Vec::with_capacity`), so one damaged count asks for tens of gigabytes and the allocation
/// failure ends the process; found by fuzzing (tests/data/isomp4-*.m4a). Other files pass
/// untouched (only a file starting with an `ftyp` box is walked).
fn check_mp4_tables(source: &mut (impl std::io::Read + std::io::Seek)) -> Result<(), DecodeError> {
    use std::io::SeekFrom;
    let corrupt = |what: &str| DecodeError::Corrupt(format!("MP4 {what}"));
    let mut head = [0u8; 8];
    if source.read_exact(&mut head).is_err() || &head[4..8] != b"ftyp" {
        source.seek(SeekFrom::Start(0))?;
        return Ok(());
    }
    let end = source.seek(SeekFrom::End(0))?;
    // (start, end) of the atom lists still to walk; only the path to the sample tables.
    let mut lists = vec![(0u64, end)];
    let mut atoms = 0;
    while let Some((mut at, list_end)) = lists.pop() {
        while at + 8 <= list_end {
            atoms += 1;
            if atoms > 100_000 {
                return Err(corrupt("has too many atoms"));
            }
            source.seek(SeekFrom::Start(at))?;
            let mut header = [0u8; 8];
            source.read_exact(&mut header)?;
            let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as u64;
            let kind = [header[4], header[5], header[6], header[7]];
            let (size, body) = match size32 {
                0 => (list_end - at, at + 8),
                1 => {
                    let mut large = [0u8; 8];
                    source.read_exact(&mut large)?;
                    (u64::from_be_bytes(large), at + 16)
                }
                n => (n, at + 8),
            };
            if size < body - at || at + size > list_end {
                return Err(corrupt("atom runs past its container"));
            }
            let atom_end = at + size;
            match &kind {
                b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" => lists.push((body, atom_end)),
                b"stts" | b"ctts" | b"stsc" | b"stco" | b"co64" | b"stss" | b"stsz" => {
                    let mut fields = [0u8; 12];
                    let available = (atom_end - body).min(12) as usize;
                    source.read_exact(&mut fields[..available])?;
                    let word = |i: usize| {
                        u32::from_be_bytes([fields[i], fields[i + 1], fields[i + 2], fields[i + 3]])
                            as u64
                    };
                    let (header_len, count, entry) = match &kind {
                        b"stsz" => (12, word(8), if word(4) == 0 { 4 } else { 0 }),
                        b"stsc" => (8, word(4), 12),
                        b"stts" | b"ctts" | b"co64" => (8, word(4), 8),
                        _ => (8, word(4), 4),
                    };
                    if available < header_len || header_len as u64 + count * entry > atom_end - body
                    {
                        return Err(corrupt("sample table claims more entries than it holds"));
                    }
                }
                _ => {}
            }
            at = atom_end;
        }
    }
    source.seek(SeekFrom::Start(0))?;
    Ok(())
}

/// An opened audio file: its stream format is known, its samples not yet decoded.
pub struct AudioFile {
    format: Box<dyn symphonia::core::formats::FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::Decoder>,
    track_id: u32,
    info: StreamInfo,
    /// Audio decoded while probing (codecs whose container does not state the channels:
    /// AAC and ALAC in MP4), handed out first.
    pending: Option<Vec<Vec<f32>>>,
}

/// Copies a decoded buffer into planar channels.
fn planar(decoded: symphonia::core::audio::AudioBufferRef<'_>) -> Vec<Vec<f32>> {
    let spec = *decoded.spec();
    let frames = decoded.frames();
    let channels = spec.channels.count();
    let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
    buffer.copy_planar_ref(decoded);
    let samples = buffer.samples();
    (0..channels)
        .map(|c| samples[c * frames..(c + 1) * frames].to_vec())
        .collect()
}

impl AudioFile {
    /// Opens and probes `path`.
    pub fn open(path: &Path) -> Result<AudioFile, DecodeError> {
        let mut file = File::open(path)?;
        check_mp4_tables(&mut file)?;
        let mut hint = Hint::new();
        if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(extension);
        }
        Self::probe(Box::new(file), hint)
    }

    /// Probes a whole file held in memory (the format is found from the content alone).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<AudioFile, DecodeError> {
        check_mp4_tables(&mut std::io::Cursor::new(&bytes))?;
        Self::probe(Box::new(std::io::Cursor::new(bytes)), Hint::new())
    }

    fn probe(
        source: Box<dyn symphonia::core::io::MediaSource>,
        hint: Hint,
    ) -> Result<AudioFile, DecodeError> {
        let stream = MediaSourceStream::new(source, Default::default());
        let probed = symphonia::default::get_probe()
            .format(
                &hint,
                stream,
                &FormatOptions::default(),
                &MetadataOptions::default(),
            )
            .map_err(describe)?;
        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .ok_or(DecodeError::NoTrack)?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        let mut format = format;
        let mut decoder = symphonia::default::get_codecs()
            .make(&params, &DecoderOptions::default())
            .map_err(describe)?;
        let mut pending = None;
        let mask = match params.channels {
            Some(mask) => mask,
            None => {
                // The container leaves the channels to the codec: decode up to the first
                // audio to learn them, and keep that audio.
                loop {
                    let packet = format.next_packet().map_err(|e| match e {
                        SymphoniaError::IoError(_) => {
                            DecodeError::MissingParameter("channel count")
                        }
                        other => describe(other),
                    })?;
                    if packet.track_id() != track_id {
                        continue;
                    }
                    let decoded = decoder.decode(&packet).map_err(describe)?;
                    if decoded.frames() == 0 {
                        continue;
                    }
                    let mask = decoded.spec().channels;
                    pending = Some(planar(decoded));
                    break mask;
                }
            }
        };
        let channels = mask.count();
        let layout = if channels == 1 {
            vec![ChannelRole::Centre]
        } else {
            roles(mask)
        };
        let codec = symphonia::default::get_codecs()
            .get_codec(params.codec)
            .map_or_else(|| "unknown".to_string(), |d| d.short_name.to_string());
        let info = StreamInfo {
            sample_rate_hz: params
                .sample_rate
                .ok_or(DecodeError::MissingParameter("sample rate"))?,
            channels,
            layout,
            codec,
        };
        Ok(AudioFile {
            track_id,
            format,
            decoder,
            info,
            pending,
        })
    }

    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// Decodes the whole stream, calling `on_block` with planar blocks (`block[c]` is
    /// channel `c`) in order.
    pub fn decode(mut self, mut on_block: impl FnMut(&[&[f32]])) -> Result<(), DecodeError> {
        if let Some(first) = self.pending.take() {
            let planes: Vec<&[f32]> = first.iter().map(Vec::as_slice).collect();
            on_block(&planes);
        }
        let mut buffer: Option<SampleBuffer<f32>> = None;
        loop {
            let packet = match self.format.next_packet() {
                Ok(packet) => packet,
                Err(SymphoniaError::IoError(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    return Ok(());
                }
                Err(SymphoniaError::ResetRequired) => return Ok(()),
                Err(e) => return Err(describe(e)),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoded = self.decoder.decode(&packet).map_err(describe)?;
            let spec = *decoded.spec();
            let frames = decoded.frames();
            if frames == 0 {
                continue;
            }
            let channels = spec.channels.count();
            let capacity = decoded.capacity() as u64;
            if buffer
                .as_ref()
                .is_none_or(|b| (b.capacity() as u64) < capacity * channels as u64)
            {
                buffer = Some(SampleBuffer::new(capacity, spec));
            }
            if let Some(buffer) = buffer.as_mut() {
                buffer.copy_planar_ref(decoded);
                let samples = buffer.samples();
                let planes: Vec<&[f32]> = (0..channels)
                    .map(|c| &samples[c * frames..(c + 1) * frames])
                    .collect();
                on_block(&planes);
            }
        }
    }
}
