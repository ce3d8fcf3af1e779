//! Audio files to sample blocks, with symphonia: for the command-line analyzer (and later the
//! reference-curve import). Decoding streams packet by packet into a callback, so memory does
//! not grow with the file's length.
//!
//! Formats today: WAV with 16/24/32-bit integer or 32/64-bit float samples. Every failure is a
//! [`DecodeError`] that names what went wrong; nothing here panics on bad input.

use std::fs::File;
use std::path::Path;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamInfo {
    pub sample_rate_hz: u32,
    pub channels: usize,
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

/// An opened audio file: its stream format is known, its samples not yet decoded.
pub struct AudioFile {
    format: Box<dyn symphonia::core::formats::FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::Decoder>,
    track_id: u32,
    info: StreamInfo,
}

impl AudioFile {
    /// Opens and probes `path`.
    pub fn open(path: &Path) -> Result<AudioFile, DecodeError> {
        let file = File::open(path)?;
        let stream = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(extension);
        }
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
        let info = StreamInfo {
            sample_rate_hz: params
                .sample_rate
                .ok_or(DecodeError::MissingParameter("sample rate"))?,
            channels: params
                .channels
                .map(|c| c.count())
                .ok_or(DecodeError::MissingParameter("channel count"))?,
        };
        let decoder = symphonia::default::get_codecs()
            .make(&params, &DecoderOptions::default())
            .map_err(describe)?;
        Ok(AudioFile {
            track_id: track.id,
            format,
            decoder,
            info,
        })
    }

    pub fn info(&self) -> StreamInfo {
        self.info
    }

    /// Decodes the whole stream, calling `on_block` with planar blocks (`block[c]` is
    /// channel `c`) in order.
    pub fn decode(mut self, mut on_block: impl FnMut(&[&[f32]])) -> Result<(), DecodeError> {
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
