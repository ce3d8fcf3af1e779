//! One file-analysis pipeline: open, check the channels, weight them, measure, and read the
//! results, for everything that analyses audio files: the `mixmeter` command line, reference
//! curves built from audio ([`crate::reference::audio`]) and the `decode_measure` fuzz target.
//!
//! A file is decoded ([`crate::decode`]) and fed to the same [`Meter`] the plugin uses (so a
//! file analysed here and the same audio played through the plugin give the same numbers),
//! with the BS.775 fold-down on more than two channels ([`Fold`], as on a surround bus) and the
//! spectrum analyser on stereo files (its frames feed the per-band stereo image) or when the
//! long-term spectrum is asked for. Decoding, metering and the spectrum run on three threads:
//! the decoder decodes each block straight into buffers of its own ([`AudioFile::read_block`]:
//! no copy between decoder and queues) and hands it to both through short queues, and whichever
//! finishes with a block last sends its buffers back to be reused, so the blocks in flight are
//! all the memory the audio takes, whatever the file's length. Neither the meter nor the
//! spectrum depends on how the audio is sliced, so the results equal a single-threaded run.
//!
//! With [`Options::frames`] the meter's thread also summarizes the audio into session frames
//! ([`crate::session`]), so a stem read by `mixmeter session` is measured exactly as a track
//! instance measures it.
//!
//! A panic inside a decoder (a bug in it on corrupt data) becomes the file's
//! [`AnalysisError::DecoderFailed`] instead of ending the caller: [`analyze`] contains it.

use crate::decode::{AudioFile, DecodeError, StreamInfo};
use crate::diagnosis::stereo::{Mix, MonoCompatibility, mono_compatibility};
use crate::meter::MAX_CHANNELS;
use crate::meter::engine::{Meter, MeterConfig, MeterError, Readings, spectrum_analyzer};
use crate::meter::fold::{Fold, FoldReadings};
use crate::meter::gating::{IntegratedHistogram, RangeHistogram};
use crate::meter::layout;
use crate::meter::moments::Moments;
use crate::meter::spectrum::PowerSpectrum;
use crate::session::frame::TrackFrame;
use crate::session::summarize::FrameSummarizer;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A mono file measured as dual mono (`Options::dual_mono`): the one channel weighted as the
/// two identical channels of a stereo file would be (BS.1770-5 Annex 1: the sum of two
/// weight-1 channels carrying the same signal), i.e. +3.01 dB.
pub const DUAL_MONO_WEIGHT: f64 = 2.0;
/// The spacing of the loudness series (`Options::series`), seconds.
pub const SERIES_STEP_S: f64 = 0.1;
/// The short-term window (EBU Tech 3341, 2.2), seconds.
const SHORT_TERM_S: f64 = 3.0;
/// Blocks queued between the decoder and each consumer.
const BLOCKS_IN_FLIGHT: usize = 8;

/// What one analysis includes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Options {
    /// The largest momentary and short-term loudness of every 100 ms ([`SERIES_STEP_S`]).
    pub series: bool,
    /// Keep the long-term average spectrum (for a reference comparison or a curve).
    pub spectrum: bool,
    /// Measure a mono file as dual mono (ignored on other files).
    pub dual_mono: bool,
    /// Count and time the true-peak overs above this ceiling.
    pub ceiling_dbtp: Option<f64>,
    /// Keep the gating histograms, to pool several files into an album.
    pub pool: bool,
    /// Summarize the file into session frames ([`FileAnalysis::track_frames`], the
    /// [`FrameSummarizer`] a track instance runs), for `mixmeter session`.
    pub frames: bool,
}

/// Where the audio comes from.
#[derive(Debug)]
pub enum Source<'a> {
    Path(&'a Path),
    Stdin,
    Bytes(Vec<u8>),
}

impl Source<'_> {
    /// The input as messages name it (`-` for standard input).
    pub fn name(&self) -> String {
        match self {
            Source::Path(path) => path.display().to_string(),
            Source::Stdin => "-".to_string(),
            Source::Bytes(_) => "(bytes)".to_string(),
        }
    }
}

/// How far an analysis has got, readable from another thread (for a progress line).
#[derive(Debug, Default)]
pub struct Progress {
    /// Frames measured so far.
    pub done_frames: AtomicU64,
    /// The frames the container states, 0 while unknown.
    pub total_frames: AtomicU64,
}

/// Why a file could not be analysed. Each names what went wrong in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("{0} channels (the analyzer measures 1 to {MAX_CHANNELS} channels, up to 7.1.4)")]
    Channels(usize),
    #[error(transparent)]
    Meter(#[from] MeterError),
    #[error("corrupt audio data (the decoder failed: {0})")]
    DecoderFailed(String),
    #[error("the spectrum analysis failed ({0})")]
    SpectrumFailed(String),
}

/// Everything measured over one file.
#[derive(Debug, Clone)]
pub struct FileAnalysis {
    /// The input as messages name it ([`Source::name`]).
    pub file: String,
    pub info: StreamInfo,
    /// Frames decoded and measured.
    pub frames: u64,
    pub readings: Readings,
    /// The BS.775 fold-down's loudness changes (more than two channels).
    pub fold: Option<FoldReadings>,
    /// With [`Options::series`]: the largest momentary and short-term loudness of each 100 ms.
    pub momentary: Vec<Option<f64>>,
    pub short_term: Vec<Option<f64>>,
    /// With [`Options::spectrum`]: the long-term average spectrum.
    pub spectrum: Option<PowerSpectrum>,
    /// Mono compatibility per band over the whole file (stereo files).
    pub stereo: Option<MonoCompatibility>,
    /// Where the maximum true peak, the loudest 3 s and the overs are.
    pub moments: Moments,
    /// Measured as dual mono ([`Options::dual_mono`] on a mono file).
    pub dual_mono: bool,
    /// With [`Options::pool`]: the gating blocks and short-term values.
    pub pooled: Option<Box<(IntegratedHistogram, RangeHistogram)>>,
    /// With [`Options::frames`]: the session frames from the file's first sample (position
    /// 0), one per [`crate::session::frame::hop_for_rate`] samples; a last partial frame is
    /// not included.
    pub track_frames: Vec<TrackFrame>,
}

impl FileAnalysis {
    /// The frames the header promised, when fewer were there to decode.
    pub fn truncated_from(&self) -> Option<u64> {
        self.info.stated_frames.filter(|&n| self.frames < n)
    }

    /// What the header promised and what was there, when the file is truncated.
    pub fn truncation_detail(&self) -> Option<String> {
        self.truncated_from().map(|stated| {
            let rate = self.info.sample_rate_hz as f64;
            format!(
                "the header states {:.3} s, the file holds {:.3} s (measured what is there)",
                stated as f64 / rate,
                self.frames as f64 / rate
            )
        })
    }

    /// The weight of each channel as it was measured (dual mono included): what the file's
    /// loudness was summed with, for anything that re-measures or renders it.
    pub fn weights(&self) -> Vec<f64> {
        channel_weights(&self.info, self.dual_mono)
    }

    /// The file's error when it is truncated.
    pub fn truncation(&self) -> Option<String> {
        self.truncation_detail().map(|d| format!("truncated: {d}"))
    }

    /// A sample position in seconds from the start.
    pub fn seconds(&self, samples: u64) -> f64 {
        samples as f64 / self.info.sample_rate_hz as f64
    }

    /// Time of the maximum true peak, seconds from the start.
    pub fn max_true_peak_at_s(&self) -> Option<f64> {
        self.moments.max_true_peak_at.map(|s| self.seconds(s))
    }

    /// Start of the loudest 3 s (maximum short-term loudness), seconds from the start.
    pub fn max_short_term_at_s(&self) -> Option<f64> {
        self.readings.max_short_term_lufs?;
        self.moments
            .max_short_term_end_at
            .map(|s| (self.seconds(s) - SHORT_TERM_S).max(0.0))
    }

    /// The kept overs' start times, seconds.
    pub fn over_times_s(&self) -> Vec<f64> {
        self.moments
            .kept_overs()
            .iter()
            .map(|&s| self.seconds(s))
            .collect()
    }
}

/// The BS.1770-5 weight of each channel of `info` as measured (dual mono: [`DUAL_MONO_WEIGHT`]).
fn channel_weights(info: &StreamInfo, dual_mono: bool) -> Vec<f64> {
    if dual_mono {
        vec![DUAL_MONO_WEIGHT]
    } else {
        layout::weights(&info.layout)
    }
}

/// Analyses the file at `path`.
pub fn analyze_file(path: &Path, options: &Options) -> Result<FileAnalysis, AnalysisError> {
    analyze(Source::Path(path), options, None)
}

/// Analyses `source`, publishing how far it has got into `progress`. A panic in the decoder or
/// the spectrum analyser is contained and returned as the file's error.
pub fn analyze(
    source: Source<'_>,
    options: &Options,
    progress: Option<&Progress>,
) -> Result<FileAnalysis, AnalysisError> {
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(source, options, progress)
    }));
    unwound.unwrap_or_else(|payload| {
        let message = PANIC_MESSAGE
            .with(|m| m.borrow_mut().take())
            .or_else(|| panic_message(&*payload))
            .unwrap_or_else(|| "no message".to_string());
        Err(AnalysisError::DecoderFailed(message))
    })
}

fn run(
    source: Source<'_>,
    options: &Options,
    progress: Option<&Progress>,
) -> Result<FileAnalysis, AnalysisError> {
    let name = source.name();
    let file = match source {
        Source::Path(path) => AudioFile::open(path),
        Source::Stdin => AudioFile::from_stdin(),
        Source::Bytes(bytes) => AudioFile::from_bytes(bytes),
    }?;
    let info = file.info().clone();
    let idle = Progress::default();
    let progress = progress.unwrap_or(&idle);
    progress
        .total_frames
        .store(info.approx_frames.unwrap_or(0), Ordering::Relaxed);
    if info.channels == 0 || info.channels > MAX_CHANNELS {
        return Err(AnalysisError::Channels(info.channels));
    }
    let dual_mono = options.dual_mono && info.channels == 1;
    let weights = channel_weights(&info, dual_mono);
    let mut config =
        MeterConfig::new(info.sample_rate_hz as f64, info.channels).with_weights(&weights);
    config.over_ceiling_dbtp = options.ceiling_dbtp;
    // Stereo files always run the spectrum: its frames feed the stereo image per band.
    let mut analyzer = (options.spectrum || info.channels == 2)
        .then(|| spectrum_analyzer(&config))
        .transpose()?;
    let mut meter = Meter::new(config)?;
    // The session frames run on the meter's thread, on the same pieces.
    let mut summarizer = options
        .frames
        .then(|| FrameSummarizer::new(info.sample_rate_hz as f32, &weights));
    let mut track_frames = Vec::new();
    // More than two channels: the BS.775 fold-down is measured too (as the plugin does on a
    // surround bus), for its loudness change.
    let mut fold = (info.channels > 2)
        .then(|| Fold::new(info.sample_rate_hz as f64, &info.layout))
        .transpose()?;
    let series_step = (info.sample_rate_hz as f64 * SERIES_STEP_S).round() as u64;
    let mut next_series_frame = series_step;
    let mut frames: u64 = 0;
    let mut momentary = Vec::new();
    let mut short_term = Vec::new();
    type Shared = Arc<Vec<Vec<f32>>>;
    let (to_meter, received) = crossbeam::channel::bounded::<Shared>(BLOCKS_IN_FLIGHT);
    let (to_spectrum, spectrum_blocks) = crossbeam::channel::bounded::<Shared>(BLOCKS_IN_FLIGHT);
    let (recycle, reusable) =
        crossbeam::channel::bounded::<Vec<Vec<f32>>>(2 * BLOCKS_IN_FLIGHT + 2);
    let give_back = |block: Shared, recycle: &crossbeam::channel::Sender<Vec<Vec<f32>>>| {
        if let Ok(buffers) = Arc::try_unwrap(block) {
            let _ = recycle.try_send(buffers);
        }
    };
    let spectrum_on = analyzer.is_some();
    let (decoded, spectrum_done) = std::thread::scope(|scope| {
        let spectrum_worker = analyzer.take().map(|mut analyzer| {
            let recycle = recycle.clone();
            scope.spawn(move || {
                for block in spectrum_blocks {
                    analyzer.process(&block[..]);
                    give_back(block, &recycle);
                }
                analyzer.flush();
                analyzer
            })
        });
        let decoder = scope.spawn(move || {
            let mut file = file;
            loop {
                // Decoded straight into a block's own buffers (reused once both consumers
                // are done with it): no copy between the decoder and the queues.
                let mut owned = reusable.try_recv().unwrap_or_default();
                if !file.read_block(&mut owned)? {
                    return Ok::<(), DecodeError>(());
                }
                let owned = Arc::new(owned);
                // A receiver only goes away when its side has failed.
                if spectrum_on {
                    let _ = to_spectrum.send(owned.clone());
                }
                let _ = to_meter.send(owned);
            }
        });
        for block in received {
            let len = block.first().map_or(0, Vec::len);
            let mut start = 0;
            while start < len {
                // With the series, feed up to each 100 ms boundary and read M and S there.
                let end = if options.series {
                    (start as u64 + (next_series_frame - frames)).min(len as u64) as usize
                } else {
                    len
                };
                let mut piece: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
                for (p, c) in piece.iter_mut().zip(block.iter()) {
                    *p = &c[start..end];
                }
                let piece = &piece[..block.len().min(MAX_CHANNELS)];
                meter.process(piece);
                if let Some(summarizer) = summarizer.as_mut() {
                    summarizer.process(piece, None, |f| track_frames.push(*f));
                }
                if let Some(fold) = fold.as_mut() {
                    fold.process(piece);
                }
                frames += (end - start) as u64;
                progress.done_frames.store(frames, Ordering::Relaxed);
                start = end;
                if options.series && frames == next_series_frame {
                    // The largest value since the previous point (the meter moves every
                    // 5 ms), so a burst between two points is not read low.
                    let (max_momentary, max_short_term) = meter.take_loudness_maxima();
                    momentary.push(max_momentary);
                    short_term.push(max_short_term);
                    next_series_frame += series_step;
                }
            }
            give_back(block, &recycle);
        }
        let decoded = decoder.join();
        (decoded, spectrum_worker.map(|w| w.join()))
    });
    let analyzer = match spectrum_done {
        None => None,
        Some(Ok(analyzer)) => Some(analyzer),
        Some(Err(payload)) => {
            return Err(AnalysisError::SpectrumFailed(
                panic_message(&*payload).unwrap_or_else(|| "no message".to_string()),
            ));
        }
    };
    match decoded {
        Ok(result) => result?,
        Err(payload) => {
            return Err(AnalysisError::DecoderFailed(
                panic_message(&*payload).unwrap_or_else(|| "no message".to_string()),
            ));
        }
    }
    // The last samples' peaks count (the last partial 5 ms fragment).
    meter.end_programme();
    if let Some(fold) = fold.as_mut() {
        fold.end_programme();
    }
    let readings = meter.readings();
    let stereo = analyzer
        .as_ref()
        .and_then(|a| a.stereo_bands())
        .map(|bands| mono_compatibility(&bands.whole_window(), &Mix::whole(&readings)));
    let spectrum = options
        .spectrum
        .then(|| analyzer.as_ref().map(|a| a.long_term().to_owned()))
        .flatten();
    let pooled = options.pool.then(|| {
        Box::new((
            meter.integrated_histogram().clone(),
            meter.range_histogram().clone(),
        ))
    });
    let fold = fold.map(|f| f.readings(&readings));
    Ok(FileAnalysis {
        file: name,
        info,
        frames,
        readings,
        fold,
        momentary,
        short_term,
        spectrum,
        stereo,
        moments: *meter.moments(),
        dual_mono,
        pooled,
        track_frames,
    })
}

thread_local! {
    /// The message of the last panic on this thread, recorded by [`record_panic_messages`].
    static PANIC_MESSAGE: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

/// The text a panic was raised with, if it was a string.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

/// Installs a panic hook that records each panic's message and place for [`analyze`]'s error
/// instead of printing it (a program that analyses many files says which file failed and
/// why, on one line). Process-wide: call it from `main`, not from a library.
pub fn record_panic_messages() {
    std::panic::set_hook(Box::new(|info| {
        let message = panic_message(info.payload()).unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(format!("{message}{location}")));
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit WAV of `frames` frames of a 1 kHz tone at -20 dBFS on every channel.
    fn wav(frames: usize, channels: u16) -> Vec<u8> {
        let rate = 48_000u32;
        let mut data = Vec::with_capacity(frames * 2 * channels as usize);
        for n in 0..frames {
            let x = 0.1 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / rate as f64).sin();
            let s = (x * 32767.0).round() as i16;
            for _ in 0..channels {
                data.extend_from_slice(&s.to_le_bytes());
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * 2 * channels as u32).to_le_bytes());
        out.extend_from_slice(&(2 * channels).to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&data);
        out
    }

    #[test]
    fn the_pipeline_equals_the_meter_fed_in_one_thread() {
        let bytes = wav(48_000 * 5, 2);
        let options = Options {
            series: true,
            spectrum: true,
            frames: true,
            ..Options::default()
        };
        let a = analyze(Source::Bytes(bytes.clone()), &options, None).unwrap();
        assert_eq!(a.frames, 48_000 * 5);
        // Session frames: every whole hop, numbered from 0, the same as a summarizer fed
        // the file in one go.
        assert_eq!(a.track_frames.len(), 48_000 * 5 / 2048);
        let mut summarizer = FrameSummarizer::new(48_000.0, &a.weights());
        let mut direct = Vec::new();
        AudioFile::from_bytes(bytes.clone())
            .unwrap()
            .decode(|block| summarizer.process(block, None, |f| direct.push(*f)))
            .unwrap();
        assert_eq!(a.track_frames, direct);
        assert_eq!(a.momentary.len(), 50);
        assert!(a.stereo.is_some() && a.spectrum.is_some() && a.fold.is_none());

        let file = AudioFile::from_bytes(bytes).unwrap();
        let config = MeterConfig::new(48_000.0, 2);
        let mut meter = Meter::new(config).unwrap();
        file.decode(|block| meter.process(block)).unwrap();
        let single = meter.readings();
        assert_eq!(a.readings.integrated_lufs, single.integrated_lufs);
        assert_eq!(a.readings.max_true_peak_dbtp, single.max_true_peak_dbtp);
        // A 1 kHz sine of peak 0.1 (RMS -23.01 dBFS) on both channels: -23.01 + 3.01, K-weighting
        // is within 0.01 dB of unity at 1 kHz (BS.1770-5 calibrates it there).
        let integrated = a.readings.integrated_lufs.unwrap();
        assert!((integrated - (-20.0)).abs() < 0.02, "{integrated}");
    }

    #[test]
    fn dual_mono_is_three_decibels_over_mono_and_errors_are_typed() {
        let mono = |dual_mono| {
            let options = Options {
                dual_mono,
                ..Options::default()
            };
            let a = analyze(Source::Bytes(wav(48_000 * 2, 1)), &options, None).unwrap();
            assert_eq!(a.dual_mono, dual_mono);
            assert!(a.stereo.is_none() && a.spectrum.is_none());
            a.readings.integrated_lufs.unwrap()
        };
        let difference = mono(true) - mono(false);
        assert!((difference - 3.0103).abs() < 1e-6, "{difference}");

        let options = Options::default();
        let error = analyze(Source::Bytes(b"not audio at all".to_vec()), &options, None);
        assert!(matches!(error, Err(AnalysisError::Decode(_))), "{error:?}");
        let missing = analyze_file(Path::new("/nonexistent/mix.wav"), &options).unwrap_err();
        assert!(missing.to_string().contains("cannot open"), "{missing}");
    }
}
