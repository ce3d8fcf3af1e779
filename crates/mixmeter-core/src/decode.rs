//! Audio files to sample blocks, with symphonia: for the command-line analyzer (and later the
//! reference-curve import). Decoding streams block by block, into a callback
//! ([`AudioFile::decode`]) or into planes the caller owns and reuses
//! ([`AudioFile::read_block`]), so memory does not grow with the file's length.
//!
//! Formats: WAV, RF64/BW64, Wave64, AIFF and CAF (integer and float PCM), FLAC, MP3, Ogg
//! Vorbis, AAC-LC (mono or stereo) or ALAC in MP4/M4A; any sample rate, up to 8 channels for
//! the meter. RF64/BW64 and Wave64 are read by [`wave64`] (symphonia 0.6 has no reader for
//! them), and so are WAV files whose RIFF and data lengths do not fit each other (a RIFF
//! length of 0 or too short, as streaming writers leave it), which symphonia rejects; Opus and multichannel or HE-AAC are refused with a message saying so (symphonia 0.6
//! has no decoder for them). Every failure is a [`DecodeError`] that names what went wrong;
//! nothing here panics on bad input.
//!
//! The samples of little-endian PCM WAV files are read by [`pcm`] once symphonia has read and
//! checked the header (so every header, layout and error reads as before): the same numbers,
//! bit for bit, at a fraction of the cost (see its docs).

mod channel_mask;
pub mod pcm;
pub mod wave64;

use crate::meter::layout::ChannelRole;
use pcm::PcmReader;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use symphonia::core::audio::{ChannelLabel, Channels, Position};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::well_known::FORMAT_ID_WAVE;
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
    /// The frames the header promises, for formats where that count is exact (PCM in WAV,
    /// RF64, Wave64, AIFF and CAF; FLAC): fewer frames decoded means a truncated file.
    pub stated_frames: Option<u64>,
    /// The frames the container states, exact or not (for progress reports).
    pub approx_frames: Option<u64>,
    /// Bits per sample of the stored audio, when the codec states them (lossless codecs).
    pub bits_per_sample: Option<u32>,
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
        Position::TOP_FRONT_LEFT => ChannelRole::TopFrontLeft,
        Position::TOP_FRONT_RIGHT => ChannelRole::TopFrontRight,
        Position::TOP_REAR_LEFT => ChannelRole::TopRearLeft,
        Position::TOP_REAR_RIGHT => ChannelRole::TopRearRight,
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
        // symphonia 0.6's AAC decoder reads AAC-LC in mono or stereo only.
        SymphoniaError::Unsupported(what) if what.contains("aac too complex") => {
            DecodeError::Unsupported(
                "AAC with more than 2 channels, or HE-AAC, cannot be decoded (only mono or \
                 stereo AAC-LC); convert it to FLAC or WAV"
                    .to_string(),
            )
        }
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
    info: StreamInfo,
    reader: Reader,
}

/// The reader is the decoder's state: debug output shows the stream.
impl std::fmt::Debug for AudioFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioFile")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// What reads the samples.
enum Reader {
    Symphonia {
        format: Box<dyn FormatReader>,
        decoder: Box<dyn AudioDecoder>,
        track_id: u32,
        /// Audio decoded while probing (codecs whose container does not state the channels:
        /// AAC and ALAC in MP4), handed out first.
        pending: Option<Vec<Vec<f32>>>,
    },
    /// Little-endian PCM read directly: RF64, BW64 and Wave64, and WAV after symphonia has
    /// read its header.
    Pcm(PcmReader),
    /// The stream has ended (or failed): nothing more to read.
    Ended,
}

/// Whether WAV files with PCM samples are read by [`pcm`] (always, but for the tests that
/// compare it with symphonia's own path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WavSamples {
    Direct,
    #[cfg(test)]
    Symphonia,
}

impl AudioFile {
    /// Opens and probes `path`.
    pub fn open(path: &Path) -> Result<AudioFile, DecodeError> {
        let file = File::open(path)?;
        let mut hint = Hint::new();
        if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(extension);
        }
        Self::open_source(file, hint, WavSamples::Direct)
    }

    /// Probes a whole file held in memory (the format is found from the content alone).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<AudioFile, DecodeError> {
        Self::open_source(std::io::Cursor::new(bytes), Hint::new(), WavSamples::Direct)
    }

    /// Reads all of standard input, then probes it as [`from_bytes`](Self::from_bytes) does.
    /// (Read whole because MP4 files keep their index at the end, and a pipe cannot seek.)
    pub fn from_stdin() -> Result<AudioFile, DecodeError> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)?;
        if bytes.is_empty() {
            return Err(DecodeError::Unsupported(
                "standard input is empty".to_string(),
            ));
        }
        Self::from_bytes(bytes)
    }

    fn open_source<S: MediaSource + 'static>(
        mut source: S,
        hint: Hint,
        wav_samples: WavSamples,
    ) -> Result<AudioFile, DecodeError> {
        check_mp4_tables(&mut source)?;
        let own = match wave64::read_header(&mut source)? {
            Some(header) => Some(header),
            None => wave64::read_wav_with_inconsistent_sizes(&mut source)?,
        };
        if let Some(header) = own {
            let layout = match header.channel_mask {
                Some(mask) => {
                    let positions = Position::from_bits_truncate(mask as _);
                    if positions.iter().count() == header.channels {
                        roles(&Channels::Positioned(positions))
                    } else {
                        ChannelRole::default_layout(header.channels)
                    }
                }
                None => ChannelRole::default_layout(header.channels),
            };
            let layout = if header.channels == 1 {
                vec![ChannelRole::Centre]
            } else {
                layout
            };
            let info = StreamInfo {
                sample_rate_hz: header.sample_rate_hz,
                channels: header.channels,
                layout,
                codec: header.codec().to_string(),
                stated_frames: header.stated_frames(),
                approx_frames: header.stated_frames(),
                bits_per_sample: None,
            };
            return Ok(AudioFile {
                info,
                reader: Reader::Pcm(header.reader(Box::new(source))),
            });
        }
        let stated = channel_mask::read(&mut source)?;
        Self::probe(Box::new(source), hint, stated, wav_samples)
    }

    fn probe(
        source: Box<dyn MediaSource>,
        hint: Hint,
        stated: channel_mask::Layout,
        wav_samples: WavSamples,
    ) -> Result<AudioFile, DecodeError> {
        let stream = MediaSourceStream::new(source, Default::default());
        let mut format = symphonia::default::get_probe()
            .probe(
                &hint,
                stream,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| match e {
                SymphoniaError::Unsupported(_) => DecodeError::Unsupported(
                    "not a format this analyzer reads (WAV, RF64/BW64, Wave64, AIFF, CAF, \
                     FLAC, MP3, Ogg Vorbis, AAC or ALAC in MP4/M4A)"
                        .to_string(),
                ),
                other => describe(other),
            })?;
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
        let track_frames = track.num_frames;
        if params.codec == symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS {
            return Err(DecodeError::Unsupported(
                "Opus cannot be decoded (symphonia 0.6 has no Opus decoder); convert it to \
                 FLAC or WAV"
                    .to_string(),
            ));
        }
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
        // Only lossless codecs state an exact count (a lossy codec's count includes or
        // leaves out its encoder delay depending on the container).
        let exact = codec.starts_with("pcm") || codec == "flac";
        let info = StreamInfo {
            sample_rate_hz: params
                .sample_rate
                .ok_or(DecodeError::MissingParameter("sample rate"))?,
            channels: count,
            layout,
            codec,
            stated_frames: track_frames.filter(|_| exact),
            approx_frames: track_frames,
            bits_per_sample: params.bits_per_sample,
        };
        let direct = wav_samples == WavSamples::Direct
            && format.format_info().format == FORMAT_ID_WAVE
            && pending.is_none();
        let reader = match pcm::Sample::from_codec(&info.codec).filter(|_| direct) {
            // symphonia's WAV reader stops right after the data chunk's header; its PCM
            // decoder shifts no sample (WAV states the same coded and decoded width), so the
            // samples are plain little-endian PCM from here.
            Some(sample) => {
                let mut stream = format.into_inner();
                let data_len = data_chunk_len(&mut stream)?;
                Reader::Pcm(PcmReader::new(
                    sample,
                    info.channels,
                    data_len,
                    Box::new(stream),
                ))
            }
            None => Reader::Symphonia {
                track_id,
                format,
                decoder,
                pending,
            },
        };
        Ok(AudioFile { info, reader })
    }

    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// Decodes the whole stream, calling `on_block` with planar blocks (`block[c]` is
    /// channel `c`) in order.
    pub fn decode(mut self, mut on_block: impl FnMut(&[&[f32]])) -> Result<(), DecodeError> {
        let mut planes = Vec::new();
        while self.read_block(&mut planes)? {
            let block: Vec<&[f32]> = planes.iter().map(Vec::as_slice).collect();
            on_block(&block);
        }
        Ok(())
    }

    /// Decodes the next block of the stream into `planes`: one plane per channel, each
    /// replaced by the block's samples (their allocations are reused). `Ok(false)` once the
    /// stream has ended (then and after an error, nothing more is read).
    pub fn read_block(&mut self, planes: &mut Vec<Vec<f32>>) -> Result<bool, DecodeError> {
        let result = self.next_block(planes);
        if !matches!(result, Ok(true)) {
            self.reader = Reader::Ended;
        }
        result
    }

    fn next_block(&mut self, planes: &mut Vec<Vec<f32>>) -> Result<bool, DecodeError> {
        let (format, decoder, track_id, pending) = match &mut self.reader {
            Reader::Ended => return Ok(false),
            Reader::Pcm(reader) => return reader.next_into(planes),
            Reader::Symphonia {
                format,
                decoder,
                track_id,
                pending,
            } => (format, decoder, *track_id, pending),
        };
        if let Some(first) = pending.take().filter(|p| !p.is_empty()) {
            *planes = first;
            return Ok(true);
        }
        loop {
            let packet = match format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => return Ok(false),
                Err(SymphoniaError::IoError(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    return Ok(false);
                }
                Err(SymphoniaError::ResetRequired) => return Ok(false),
                Err(e) => return Err(describe(e)),
            };
            if packet.track_id != track_id {
                continue;
            }
            let decoded = decoder.decode(&packet).map_err(describe)?;
            if decoded.frames() == 0 {
                continue;
            }
            decoded.copy_to_vecs_planar::<f32>(planes);
            return Ok(true);
        }
    }
}

/// The length the data chunk states, read from its header just before `stream`'s position
/// (where symphonia's WAV reader leaves it), which it leaves where it was. `None`: the
/// length is unknown (0xFFFFFFFF, or 0: what writers leave when they stream and cannot seek
/// back) and the audio runs to the end of the file, as ffmpeg reads it (a file whose data
/// chunk is really empty ends there anyway).
fn data_chunk_len(stream: &mut (impl Read + Seek)) -> Result<Option<u64>, DecodeError> {
    let data_start = stream.stream_position()?;
    let header_start = data_start
        .checked_sub(8)
        .ok_or_else(|| DecodeError::Corrupt("WAV data chunk header not found".to_string()))?;
    stream.seek(SeekFrom::Start(header_start))?;
    let mut header = [0u8; 8];
    stream.read_exact(&mut header)?;
    if &header[0..4] != b"data" {
        return Err(DecodeError::Corrupt(
            "WAV data chunk header not found".to_string(),
        ));
    }
    let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    Ok((len != u32::MAX && len != 0).then_some(len as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A RIFF/WAVE file: `fmt ` from `(tag, bits, channels, mask)` (WAVE_FORMAT_EXTENSIBLE
    /// when `mask` is given), `before` and `after` as extra chunks around the data chunk,
    /// whose length field is `stated` (`None`: the true length).
    struct Wav {
        tag: u16,
        bits: u16,
        channels: u16,
        mask: Option<u32>,
        before: Vec<([u8; 4], Vec<u8>)>,
        after: Vec<([u8; 4], Vec<u8>)>,
        stated: Option<u32>,
    }

    fn chunk(out: &mut Vec<u8>, tag: &[u8; 4], body: &[u8]) {
        out.extend(tag);
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(body);
        if body.len() % 2 == 1 {
            out.push(0);
        }
    }

    impl Wav {
        fn plain(tag: u16, bits: u16, channels: u16) -> Wav {
            Wav {
                tag,
                bits,
                channels,
                mask: None,
                before: Vec::new(),
                after: Vec::new(),
                stated: None,
            }
        }

        fn bytes(&self, data: &[u8]) -> Vec<u8> {
            let block_align = self.channels * self.bits / 8;
            let mut fmt = Vec::new();
            let tag = if self.mask.is_some() {
                0xFFFE
            } else {
                self.tag
            };
            fmt.extend(tag.to_le_bytes());
            fmt.extend(self.channels.to_le_bytes());
            fmt.extend(48_000u32.to_le_bytes());
            fmt.extend((48_000 * block_align as u32).to_le_bytes());
            fmt.extend(block_align.to_le_bytes());
            fmt.extend(self.bits.to_le_bytes());
            if let Some(mask) = self.mask {
                fmt.extend(22u16.to_le_bytes());
                fmt.extend(self.bits.to_le_bytes());
                fmt.extend(mask.to_le_bytes());
                fmt.extend((self.tag as u32).to_le_bytes());
                fmt.extend([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA]);
                fmt.extend([0x00, 0x38, 0x9B, 0x71]);
            }
            let mut body = b"WAVE".to_vec();
            chunk(&mut body, b"fmt ", &fmt);
            for (tag, chunk_body) in &self.before {
                chunk(&mut body, tag, chunk_body);
            }
            let data_at = body.len();
            chunk(&mut body, b"data", data);
            if let Some(stated) = self.stated {
                body[data_at + 4..data_at + 8].copy_from_slice(&stated.to_le_bytes());
            }
            for (tag, chunk_body) in &self.after {
                chunk(&mut body, tag, chunk_body);
            }
            let mut out = b"RIFF".to_vec();
            // A file written while streaming states no length at either level.
            let riff_len = match self.stated {
                Some(u32::MAX) => u32::MAX,
                _ => body.len() as u32,
            };
            out.extend(riff_len.to_le_bytes());
            out.extend(body);
            out
        }
    }

    /// Every block of a file, read one way.
    fn read(bytes: Vec<u8>, samples: WavSamples) -> (StreamInfo, bool, Vec<Vec<f32>>) {
        let mut file =
            AudioFile::open_source(std::io::Cursor::new(bytes), Hint::new(), samples).unwrap();
        let direct = matches!(file.reader, Reader::Pcm(_));
        let mut out = vec![Vec::new(); file.info().channels];
        let mut planes = Vec::new();
        while file.read_block(&mut planes).unwrap() {
            for (o, p) in out.iter_mut().zip(&planes) {
                o.extend_from_slice(p);
            }
        }
        (file.info().clone(), direct, out)
    }

    /// The direct PCM path reads every WAV format, layout and chunk arrangement as symphonia
    /// does: the same stream description and the same samples, bit for bit.
    #[test]
    fn wav_samples_read_directly_equal_symphonias() {
        let noise = pcm::noise_bytes(0x9E37_79B9, 70_001);
        // Floats from noise can be NaN; compare bits.
        let bits = |planes: &[Vec<f32>]| -> Vec<Vec<u32>> {
            planes
                .iter()
                .map(|p| p.iter().map(|x| x.to_bits()).collect())
                .collect()
        };
        let mut cases = Vec::new();
        for (tag, bits) in [(1, 8), (1, 16), (1, 24), (1, 32), (3, 32), (3, 64)] {
            for channels in [1, 2, 3, 6] {
                cases.push((Wav::plain(tag, bits, channels), 60_000));
            }
        }
        let mut extensible = Wav::plain(1, 24, 6);
        extensible.mask = Some(0x3F);
        cases.push((extensible, 60_000));
        let mut float_extensible = Wav::plain(3, 32, 2);
        float_extensible.mask = Some(0x3);
        cases.push((float_extensible, 60_000));
        // Chunks before the data (one of odd length) and after it (never read as audio).
        let mut chunks = Wav::plain(1, 24, 2);
        chunks.before = vec![(*b"junk", vec![1, 2, 3]), (*b"bext", vec![0; 602])];
        chunks.after = vec![(*b"LIST", b"INFOISFT\x03\x00\x00\x00ab\x00\x00".to_vec())];
        cases.push((chunks, 60_000));
        // A data length that is not a whole number of frames.
        cases.push((Wav::plain(1, 24, 2), 60_001));
        // Written while streaming: no length, the audio runs to the end of the file.
        let mut streamed = Wav::plain(1, 16, 2);
        streamed.stated = Some(u32::MAX);
        cases.push((streamed, 60_000));
        for (i, (wav, len)) in cases.iter().enumerate() {
            let bytes = wav.bytes(&noise[..*len]);
            let (info, direct, fast) = read(bytes.clone(), WavSamples::Direct);
            let (reference_info, _, reference) = read(bytes.clone(), WavSamples::Symphonia);
            assert!(direct, "case {i}: not read directly");
            assert_eq!(info, reference_info, "case {i}");
            assert_eq!(bits(&fast), bits(&reference), "case {i}");
            assert!(!fast[0].is_empty(), "case {i}");
            // Cut short: inside the data, inside a frame.
            let cut = bytes.len() - len / 3 - 1;
            let (_, _, fast) = read(bytes[..cut].to_vec(), WavSamples::Direct);
            let (_, _, reference) = read(bytes[..cut].to_vec(), WavSamples::Symphonia);
            assert_eq!(bits(&fast), bits(&reference), "case {i} cut");
        }
    }

    /// WAVs whose lengths do not fit each other, as writers leave them, are read as ffmpeg
    /// reads them (symphonia rejects them): a RIFF length of 0 with a data length of 0 (all
    /// the audio), a RIFF length shorter than the data chunk (all the audio), a data length
    /// past the RIFF length and the file (the audio the file holds). The same samples as the
    /// intact file's, bit for bit.
    #[test]
    fn wavs_with_inconsistent_lengths_are_read_to_their_audio() {
        let audio = pcm::noise_bytes(0x5EED, 48_000 * 6);
        let intact = Wav::plain(1, 24, 2).bytes(&audio);
        let (info, _, expected) = read(intact.clone(), WavSamples::Direct);
        let data_at = intact.windows(4).position(|w| w == b"data").unwrap();
        let patched = |riff: Option<u32>, data: Option<u32>| {
            let mut bytes = intact.clone();
            if let Some(riff) = riff {
                bytes[4..8].copy_from_slice(&riff.to_le_bytes());
            }
            if let Some(data) = data {
                bytes[data_at + 4..data_at + 8].copy_from_slice(&data.to_le_bytes());
            }
            bytes
        };
        for (riff, data) in [
            (Some(0), Some(0)),
            (Some(0), None),
            (Some(1000), None),
            (None, Some(10 * audio.len() as u32)),
        ] {
            let bytes = patched(riff, data);
            // Why the file is read without symphonia's header reader.
            let symphonia = AudioFile::probe(
                Box::new(std::io::Cursor::new(bytes.clone())),
                Hint::new(),
                channel_mask::Layout::Absent,
                WavSamples::Symphonia,
            );
            assert!(symphonia.is_err(), "{riff:?} {data:?}: symphonia reads it");
            let (got_info, direct, got) = read(bytes, WavSamples::Direct);
            assert!(direct, "{riff:?} {data:?}");
            assert_eq!(got_info.sample_rate_hz, info.sample_rate_hz);
            assert_eq!(got_info.channels, 2);
            assert_eq!(got_info.codec, info.codec);
            assert_eq!(got[0].len(), expected[0].len(), "{riff:?} {data:?}");
            assert!(got == expected, "{riff:?} {data:?}: other samples");
        }
        // A consistent file still goes through symphonia's header reader (its bit depth).
        assert_eq!(info.bits_per_sample, Some(24));
    }

    /// A data chunk stating 0 bytes with audio after it (what some writers leave when they
    /// stream and cannot seek back) is read to the end of the file, as ffmpeg reads it: all
    /// of the audio, not a silent empty file. A really empty data chunk stays empty.
    #[test]
    fn a_data_length_of_zero_reads_to_the_end() {
        let audio: Vec<u8> = (0..48_000u32 * 4).map(|i| (i * 7 % 251) as u8).collect();
        let stated = |len: &[u8]| {
            let mut wav = Wav::plain(1, 16, 2);
            wav.stated = Some(0);
            wav.bytes(len)
        };
        let (_, direct, planes) = read(stated(&audio), WavSamples::Direct);
        assert!(direct);
        assert_eq!(planes[0].len(), 48_000);
        let (_, full, _) = read(Wav::plain(1, 16, 2).bytes(&audio), WavSamples::Direct);
        assert!(full);
        let (_, _, empty) = read(stated(&[]), WavSamples::Direct);
        assert!(empty[0].is_empty());
    }
}
