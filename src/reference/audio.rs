//! Reference curves from audio files: each file is decoded ([`crate::decode`]) and run through
//! the same meter core and spectrum analyzer as the plugin; its long-term average becomes a
//! curve, and several files combine into one with a tolerance band ([`Curve::combine`]).
//! Runs wherever it is called: the CLI's main thread, or a worker thread of the editor (never
//! the audio thread).

use super::{Curve, CurveKind};
use crate::decode::AudioFile;
use crate::meter::MAX_CHANNELS;
use crate::meter::engine::{Meter, MeterConfig};
use crate::meter::layout;
use crate::meter::spectrum::PowerSpectrum;
use std::path::Path;

/// The long-term average spectrum of a whole file.
pub fn spectrum_of_file(path: &Path) -> Result<PowerSpectrum, String> {
    let file = AudioFile::open(path).map_err(|e| e.to_string())?;
    let info = file.info().clone();
    if info.channels == 0 || info.channels > MAX_CHANNELS {
        return Err(format!(
            "{} channels (1 to {MAX_CHANNELS} can be analysed)",
            info.channels
        ));
    }
    let weights = layout::weights(&info.layout);
    let config = MeterConfig::new(info.sample_rate_hz as f64, info.channels)
        .with_weights(&weights)
        .with_spectrum();
    let mut meter = Meter::new(config).map_err(|e| e.to_string())?;
    file.decode(|block| meter.process(block))
        .map_err(|e| e.to_string())?;
    let analyzer = meter.spectrum_mut().ok_or("no spectrum")?;
    analyzer.flush();
    let spectrum = analyzer.long_term().to_owned();
    if spectrum.covered_s <= 0.0 {
        return Err("too short for a spectrum (under one analysis frame)".to_string());
    }
    Ok(spectrum)
}

/// A curve named `name` from one or more files (see [`Curve::combine`]). Errors name the file.
pub fn curve_from_files(name: &str, paths: &[&Path]) -> Result<Curve, String> {
    let mut curves = Vec::with_capacity(paths.len());
    for path in paths {
        let file_name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let spectrum = spectrum_of_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let curve = Curve::from_spectrum(&file_name, CurveKind::Audio, &file_name, &spectrum)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        curves.push(curve);
    }
    let names: Vec<String> = curves.iter().map(|c| c.source.clone()).collect();
    let source = format!("built from audio: {}", names.join(", "));
    Curve::combine(name, &source, &curves).map_err(|e| e.to_string())
}
