//! Reference curves from audio files: each file is analysed ([`crate::analysis`]: decoded and
//! run through the same meter core and spectrum analyzer as the plugin); its long-term average becomes a
//! curve, and several files combine into one with a tolerance band ([`Curve::combine`]).
//! Runs wherever it is called: the CLI's main thread, or a worker thread of the editor (never
//! the audio thread).

use super::{Curve, CurveKind};
use crate::analysis::{Options, analyze_file};
use crate::meter::spectrum::PowerSpectrum;
use std::path::Path;

/// The long-term average spectrum of a whole file (the analysis pipeline the CLI runs,
/// [`crate::analysis`]).
pub fn spectrum_of_file(path: &Path) -> Result<PowerSpectrum, String> {
    let options = Options {
        spectrum: true,
        ..Options::default()
    };
    let spectrum = analyze_file(path, &options)
        .map_err(|e| e.to_string())?
        .spectrum
        .ok_or("no spectrum")?;
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
