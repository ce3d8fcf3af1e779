//! `mixmeter analyze FILE --normalize-to LUFS --output OUT.wav [--limit DBTP]`: the file with
//! the gain that brings its integrated loudness (ITU-R BS.1770-5) to a target, written as WAV,
//! optionally through a true-peak limiter ([`limiter`]), and measured as written.
//!
//! - The gain is one constant (`target - integrated`), so the written file's integrated
//!   loudness is the target (to the rounding of the written format) unless a limiter cuts
//!   peaks: then it is a little lower, and the report says by how much.
//! - Without `--limit` nothing is clipped in float output: peaks the gain raises over full
//!   scale stay in the file and the report says so. Integer output cannot hold them: the
//!   caller refuses a gain that would raise the sample peak over full scale, and the samples
//!   the dither alone pushes past it are counted and reported.
//! - With `--limit`, the limiter aims [`MARGIN_DB`] under the limit (the meter's stated
//!   accuracy against an ideal reconstruction is 0.1 dB); the written samples are measured
//!   by the meter core while they are written, and if their true peak still reads over the
//!   limit less half the margin, the file is rendered again with the threshold lowered by
//!   the excess (at most [`MAX_ATTEMPTS`] times). The file is renamed into place only once
//!   accepted.
//! - The written file is a temporary beside the output until complete ([`wav`]); the caller
//!   makes sure it is not the input.

pub mod limiter;
pub mod wav;

use crate::decode::AudioFile;
use crate::meter::MAX_CHANNELS;
use crate::meter::engine::{Meter, MeterConfig, Readings};
use limiter::{LimiterStats, TruePeakLimiter};
use std::path::Path;
use wav::{Depth, WavWriter};

/// How far under `--limit` the limiter aims, dB.
pub const MARGIN_DB: f64 = 0.15;
/// Renders tried before giving up on holding the limit.
pub const MAX_ATTEMPTS: u32 = 4;
/// Frames measured at a time.
const BLOCK: usize = 4096;

/// What to write.
#[derive(Debug, Clone)]
pub struct Settings {
    pub gain_db: f64,
    pub depth: Depth,
    pub limit_dbtp: Option<f64>,
    /// The meter weights of the input's channels (as measured: dual mono included), so the
    /// written file is measured as the input was.
    pub weights: Vec<f64>,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The meter's readings of the samples as written.
    pub written: Readings,
    /// The limiter's threshold (dBTP) and what it did, when one was asked for.
    pub limiter: Option<(f64, LimiterStats)>,
    /// Samples clipped at full scale by the integer conversion (dither at the edge).
    pub clipped_samples: u64,
    pub attempts: u32,
    rate_hz: f64,
}

impl Rendered {
    /// The written file's sample rate.
    pub fn written_rate_hz(&self) -> f64 {
        self.rate_hz
    }
}

/// Renders `input` with the gain into `output` (see the module docs).
pub fn render(input: &Path, output: &Path, settings: &Settings) -> Result<Rendered, String> {
    let mut threshold = settings.limit_dbtp.map(|l| l - MARGIN_DB);
    for attempt in 1..=MAX_ATTEMPTS {
        let (writer, rendered) = render_once(input, output, settings, threshold, attempt)?;
        let (Some(limit), Some(used)) = (settings.limit_dbtp, threshold) else {
            writer.finish()?;
            return Ok(rendered);
        };
        let peak = rendered
            .written
            .max_true_peak_dbtp
            .unwrap_or(f64::NEG_INFINITY);
        if peak <= limit - MARGIN_DB / 2.0 {
            writer.finish()?;
            return Ok(rendered);
        }
        // The writer is dropped unfinished: its temporary file goes.
        threshold = Some(used - (peak - (limit - MARGIN_DB)) - 0.05);
    }
    Err(format!(
        "the limiter could not hold {input} under {:.1} dBTP in {MAX_ATTEMPTS} attempts",
        settings.limit_dbtp.unwrap_or_default(),
        input = input.display()
    ))
}

fn render_once(
    input: &Path,
    output: &Path,
    settings: &Settings,
    threshold: Option<f64>,
    attempt: u32,
) -> Result<(WavWriter, Rendered), String> {
    let file = AudioFile::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let info = file.info().clone();
    let channels = info.channels;
    if !(1..=2).contains(&channels) {
        return Err(format!(
            "{}: {channels} channels; --normalize-to writes mono and stereo files",
            input.display()
        ));
    }
    let rate = f64::from(info.sample_rate_hz);
    let mut meter = Meter::new(MeterConfig::new(rate, channels).with_weights(&settings.weights))
        .map_err(|e| e.to_string())?;
    let mut writer = WavWriter::create(output, settings.depth, info.sample_rate_hz, channels)?;
    let mut limiter = threshold.map(|t| TruePeakLimiter::new(rate, channels, t));
    let gain = 10f64.powf(settings.gain_db / 20.0) as f32;
    let mut planar: Vec<Vec<f32>> = vec![Vec::with_capacity(BLOCK); channels];
    let mut error: Option<String> = None;
    // Each limited (or plain) frame: written, and its written values measured in blocks.
    let emit = |frame: &[f32],
                writer: &mut WavWriter,
                meter: &mut Meter,
                planar: &mut Vec<Vec<f32>>,
                error: &mut Option<String>| {
        if error.is_some() {
            return;
        }
        let mut written = [0.0f32; MAX_CHANNELS];
        if let Err(e) = writer.frame(frame, &mut written[..channels]) {
            *error = Some(e);
            return;
        }
        for (c, p) in planar.iter_mut().enumerate() {
            p.push(written[c]);
        }
        if planar[0].len() >= BLOCK {
            meter.process(planar);
            for p in planar.iter_mut() {
                p.clear();
            }
        }
    };
    let mut non_finite: u64 = 0;
    let decoded = file.decode(|block| {
        let frames = block.first().map_or(0, |c| c.len());
        let mut frame = [0.0f32; MAX_CHANNELS];
        for n in 0..frames {
            for (to, from) in frame.iter_mut().zip(&block[..channels]) {
                let x = from[n];
                if !x.is_finite() {
                    non_finite += 1;
                }
                *to = if x.is_finite() { x * gain } else { 0.0 };
            }
            match limiter.as_mut() {
                Some(l) => l.push(&frame[..channels], &mut |f| {
                    emit(f, &mut writer, &mut meter, &mut planar, &mut error)
                }),
                None => emit(
                    &frame[..channels],
                    &mut writer,
                    &mut meter,
                    &mut planar,
                    &mut error,
                ),
            }
        }
    });
    decoded.map_err(|e| format!("{}: {e}", input.display()))?;
    if let Some(l) = limiter.as_mut() {
        l.finish(&mut |f| emit(f, &mut writer, &mut meter, &mut planar, &mut error));
    }
    if let Some(e) = error {
        return Err(e);
    }
    if non_finite > 0 {
        // The meter skips such samples; a written file would carry them (float) or turn them
        // into full-scale clicks (integer). Refused: the writer is dropped, its temporary
        // file goes, the input and any existing output stay as they were.
        return Err(format!(
            "{}: {non_finite} sample{} not a finite number (NaN or infinity); --normalize-to \
             does not write a file from them (repair the input first)",
            input.display(),
            if non_finite == 1 { " is" } else { "s are" }
        ));
    }
    meter.process(&planar);
    let rendered = Rendered {
        written: meter.readings(),
        limiter: threshold.zip(limiter.map(|l| l.stats())),
        clipped_samples: writer.clipped(),
        attempts: attempt,
        rate_hz: rate,
    };
    Ok((writer, rendered))
}
