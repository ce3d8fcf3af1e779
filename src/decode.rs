//! Audio files to sample blocks, with symphonia: for the command-line analyzer (and later the
//! reference-curve import). Decoding streams packet by packet into a callback, so memory does
//! not grow with the file's length.
//!
//! Formats: WAV, AIFF and CAF (integer and float PCM), FLAC, MP3, Ogg Vorbis, and AAC or ALAC
//! in MP4/M4A; any sample rate, up to 8 channels for the meter. Every failure is a
//! [`DecodeError`] that names what went wrong; nothing here panics on bad input.

mod channel_mask;

use crate::meter::layout::ChannelRole;
use std::fs::File;
use std::path::Path;
use symphonia::core::audio::{ChannelLabel, Channels, Position};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

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

/// The role of one positioned channel; `has_sides` says whether the file also has a side pair.
fn role(position: Position, has_sides: bool) -> ChannelRole {
    match position {
        Position::FRONT_LEFT => ChannelRole::Left,
        Position::FRONT_RIGHT => ChannelRole::Right,
        Position::FRONT_CENTER => ChannelRole::Centre,
        Position::LFE1 | Position::LFE2 => ChannelRole::Lfe,
        Position::REAR_LEFT if has_sides => ChannelRole::RearLeft,
        Position::REAR_RIGHT if has_sides => ChannelRole::RearRight,
        Position::REAR_LEFT | Position::SIDE_LEFT => ChannelRole::SurroundLeft,
        Position::REAR_RIGHT | Position::SIDE_RIGHT => ChannelRole::SurroundRight,
        Position::REAR_CENTER => ChannelRole::RearCentre,
        _ => ChannelRole::Other,
    }
}

/// Channel roles from the channels symphonia reports. The rear pair is a 5.1 surround pair
/// unless the file also has a side pair (7.1), where it sits behind 120 degrees. Channels
/// without positions (AIFF beyond 3 channels, for one) take the default layout for their
/// count ([`ChannelRole::default_layout`]).
fn roles(channels: &Channels) -> Vec<ChannelRole> {
    let count = channels.count();
    if count == 1 {
        // Mono is measured as one channel, whatever position the file gives it.
        return vec![ChannelRole::Centre];
    }
    match channels {
        Channels::Positioned(mask) => {
            let has_sides = mask.intersects(Position::SIDE_LEFT | Position::SIDE_RIGHT);
            mask.iter().map(|p| role(p, has_sides)).collect()
        }
        Channels::Custom(labels) => {
            let has_sides = labels.iter().any(|l| {
                matches!(l, ChannelLabel::Positioned(p)
                    if p.intersects(Position::SIDE_LEFT | Position::SIDE_RIGHT))
            });
            labels
                .iter()
                .map(|l| match l {
                    ChannelLabel::Positioned(p) => role(*p, has_sides),
                    _ => ChannelRole::Other,
                })
                .collect()
        }
        Channels::Discrete(_) => ChannelRole::default_layout(count),
        _ => vec![ChannelRole::Other; count],
    }
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
/// symphonia-format-isomp4 0.5.5 reserved memory for the claimed count before reading
/// (`Vec::with_capacity`), so one damaged count asks for tens of gigabytes and the allocation
/// failure ended the process; found by fuzzing (tests/data/isomp4-*.m4a). 0.6.1 caps those
/// first reservations; the check stays, as it is cheap and names the damage. Other files
/// pass untouched (only a file starting with an `ftyp` box is walked).
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
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    info: StreamInfo,
    /// Audio decoded while probing (codecs whose container does not state the channels:
    /// AAC and ALAC in MP4), handed out first.
    pending: Option<Vec<Vec<f32>>>,
}

impl AudioFile {
    /// Opens and probes `path`.
    pub fn open(path: &Path) -> Result<AudioFile, DecodeError> {
        let mut file = File::open(path)?;
        check_mp4_tables(&mut file)?;
        let stated = channel_mask::read(&mut file)?;
        let mut hint = Hint::new();
        if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(extension);
        }
        Self::probe(Box::new(file), hint, stated)
    }

    /// Probes a whole file held in memory (the format is found from the content alone).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<AudioFile, DecodeError> {
        let mut cursor = std::io::Cursor::new(bytes);
        check_mp4_tables(&mut cursor)?;
        let stated = channel_mask::read(&mut cursor)?;
        Self::probe(Box::new(cursor), Hint::new(), stated)
    }

    fn probe(
        source: Box<dyn MediaSource>,
        hint: Hint,
        stated: channel_mask::Layout,
    ) -> Result<AudioFile, DecodeError> {
        let stream = MediaSourceStream::new(source, Default::default());
        let mut format = symphonia::default::get_probe()
            .probe(
                &hint,
                stream,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(describe)?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or(DecodeError::NoTrack)?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or(DecodeError::NoTrack)?
            .clone();
        let track_id = track.id;
        // Gapless (symphonia's default): encoder delay and padding are trimmed, so a lossy
        // file lasts as long as its source.
        let mut decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(describe)?;
        let mut pending = None;
        let channels = match params.channels.clone() {
            Some(channels) if channels.count() > 0 => channels,
            _ => {
                // The container leaves the channels to the codec: decode up to the first
                // audio to learn them, and keep that audio.
                loop {
                    let missing = DecodeError::MissingParameter("channel count");
                    let packet = match format.next_packet() {
                        Ok(Some(packet)) => packet,
                        Ok(None) | Err(SymphoniaError::IoError(_)) => return Err(missing),
                        Err(other) => return Err(describe(other)),
                    };
                    if packet.track_id != track_id {
                        continue;
                    }
                    let decoded = decoder.decode(&packet).map_err(describe)?;
                    if decoded.frames() == 0 {
                        continue;
                    }
                    let mut planes = Vec::new();
                    decoded.copy_to_vecs_planar::<f32>(&mut planes);
                    pending = Some(planes);
                    break decoded.spec().channels().clone();
                }
            }
        };
        let count = channels.count();
        let layout = match stated {
            // A WAV or CAF file that states no layout: symphonia gives it the first `count`
            // mask positions (5 channels would be L R C LFE Ls); the documented default for
            // the count applies instead.
            channel_mask::Layout::Absent if count > 1 => ChannelRole::default_layout(count),
            _ => roles(&channels),
        };
        let codec = symphonia::default::get_codecs()
            .get_audio_decoder(params.codec)
            .map_or_else(
                || "unknown".to_string(),
                |d| d.codec.info.short_name.to_string(),
            );
        let info = StreamInfo {
            sample_rate_hz: params
                .sample_rate
                .ok_or(DecodeError::MissingParameter("sample rate"))?,
            channels: count,
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
        let mut planes = self.pending.take().unwrap_or_default();
        if !planes.is_empty() {
            let block: Vec<&[f32]> = planes.iter().map(Vec::as_slice).collect();
            on_block(&block);
        }
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => return Ok(()),
                Err(SymphoniaError::IoError(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    return Ok(());
                }
                Err(SymphoniaError::ResetRequired) => return Ok(()),
                Err(e) => return Err(describe(e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let decoded = self.decoder.decode(&packet).map_err(describe)?;
            if decoded.frames() == 0 {
                continue;
            }
            decoded.copy_to_vecs_planar::<f32>(&mut planes);
            let block: Vec<&[f32]> = planes.iter().map(Vec::as_slice).collect();
            on_block(&block);
        }
    }
}
