//! `--normalize-to`: the file written at a target loudness (optionally true-peak limited),
//! with what was done reported in JSON and in the summary.

use crate::json::number;
use crate::options::{DepthChoice, NormalizeOptions, Options, input_depth};
use crate::summary::text;
use mixmeter_core::analysis::FileAnalysis;
use mixmeter_core::normalize::{self, wav::Depth};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A written normalized file and what it measured.
pub(crate) struct Normalized {
    pub(crate) output: PathBuf,
    pub(crate) target_lufs: f64,
    pub(crate) gain_db: f64,
    pub(crate) depth: Depth,
    /// The true peak the gain alone gives (before any limiter), dBTP.
    pub(crate) peak_after_gain_dbtp: Option<f64>,
    pub(crate) rendered: normalize::Rendered,
    pub(crate) limit_dbtp: Option<f64>,
}

/// `--normalize-to`: the refusals that need the measurement, then the render.
pub(crate) fn normalize_file(
    n: &NormalizeOptions,
    a: &FileAnalysis,
    input: &Path,
    _ceiling_dbtp: Option<f64>,
) -> Result<Normalized, String> {
    let integrated = a.readings.integrated_lufs.ok_or_else(|| {
        "cannot normalize: no integrated loudness (silence, or nothing above the -70 LUFS \
         gate); nothing written"
            .to_string()
    })?;
    let gain_db = n.target_lufs - integrated;
    let depth = match n.depth {
        DepthChoice::Fixed(d) => d,
        DepthChoice::Input => input_depth(&a.info),
    };
    let sample_peak_after = a.readings.max_sample_peak_dbfs.map(|p| p + gain_db);
    if let Depth::Int(bits) = depth {
        let clips = match n.limit_dbtp {
            Some(limit) => limit > 0.0,
            None => sample_peak_after.is_some_and(|p| p > 0.0),
        };
        if clips {
            return Err(format!(
                "cannot normalize to {:.1} LUFS as {bits}-bit integer: the gain of {:+.1} dB \
                 raises the sample peak to {:+.1} dBFS, over full scale, and it would clip; \
                 nothing written (write 32-bit float with --output-depth f32, which keeps the \
                 overs, or hold the peaks with --limit DBTP)",
                n.target_lufs,
                gain_db,
                sample_peak_after.unwrap_or_default()
            ));
        }
    }
    let weights = a.weights();
    let rendered = normalize::render(
        input,
        &n.output,
        &normalize::Settings {
            gain_db,
            depth,
            limit_dbtp: n.limit_dbtp,
            weights,
        },
    )?;
    Ok(Normalized {
        output: n.output.clone(),
        target_lufs: n.target_lufs,
        gain_db,
        depth,
        peak_after_gain_dbtp: a.readings.max_true_peak_dbtp.map(|p| p + gain_db),
        rendered,
        limit_dbtp: n.limit_dbtp,
    })
}

/// The true peak a normalized file must not pass without saying so: 0 dBTP, or the
/// `--ceiling` when lower.
pub(crate) fn normalize_ceiling(options: &Options) -> f64 {
    options.ceiling_dbtp.map_or(0.0, |c| c.min(0.0))
}

/// The `normalized` object of the JSON output (docs/cli.md, "Output schema").
pub(crate) fn normalized_json(options: &Options, n: &Result<Normalized, String>) -> Value {
    let output = options
        .normalize
        .as_ref()
        .map(|o| o.output.display().to_string());
    let n = match n {
        Ok(n) => n,
        Err(e) => return json!({"output": output, "error": e}),
    };
    let w = &n.rendered.written;
    let limiter = n.rendered.limiter.map(|(threshold, stats)| {
        json!({
            "limit_dbtp": n.limit_dbtp,
            "threshold_dbtp": threshold,
            "peak_reduction_db": number(n.peak_after_gain_dbtp.zip(w.max_true_peak_dbtp).map(|(b, a)| (b - a).max(0.0))),
            "max_gain_reduction_db": -20.0 * f64::from(stats.min_gain).log10(),
            "limited_s": stats.limited_frames as f64 / n.rendered.written_rate_hz(),
            "attempts": n.rendered.attempts,
        })
    });
    let peak = w.max_true_peak_dbtp;
    json!({
        "output": n.output.display().to_string(),
        "target_lufs": n.target_lufs,
        "gain_db": n.gain_db,
        "format": n.depth.label(),
        "dither": matches!(n.depth, Depth::Int(_)),
        "true_peak_after_gain_dbtp": number(n.peak_after_gain_dbtp),
        "integrated_lufs": number(w.integrated_lufs),
        "true_peak_dbtp": number(peak),
        "sample_peak_dbfs": number(w.max_sample_peak_dbfs),
        "over_ceiling": peak.is_some_and(|p| p > normalize_ceiling(options)),
        "ceiling_dbtp": normalize_ceiling(options),
        "limiter": limiter,
        "clipped_samples": n.rendered.clipped_samples,
        "error": null,
    })
}

pub(crate) fn print_normalized(options: &Options, n: &Result<Normalized, String>) {
    let n = match n {
        Ok(n) => n,
        Err(e) => {
            println!("  Normalized            not written: {e}");
            return;
        }
    };
    let w = &n.rendered.written;
    println!(
        "  Normalized            to {:.1} LUFS with {:+.2} dB of gain: written to {} ({}{})",
        n.target_lufs,
        n.gain_db,
        n.output.display(),
        n.depth.label(),
        if matches!(n.depth, Depth::Int(_)) {
            ", TPDF dither"
        } else {
            ""
        }
    );
    println!(
        "                        as written: {}, true peak {}, sample peak {}",
        text(w.integrated_lufs, "LUFS"),
        text(w.max_true_peak_dbtp, "dBTP"),
        text(w.max_sample_peak_dbfs, "dBFS")
    );
    let ceiling = normalize_ceiling(options);
    match n.rendered.limiter {
        Some((_, stats)) => {
            let reduction = n
                .peak_after_gain_dbtp
                .zip(w.max_true_peak_dbtp)
                .map_or(0.0, |(b, a)| (b - a).max(0.0));
            if stats.limited_frames == 0 {
                println!(
                    "                        a true-peak limiter at {:.1} dBTP was applied and \
                     found nothing to do",
                    n.limit_dbtp.unwrap_or_default()
                );
            } else {
                println!(
                    "                        a true-peak limiter at {:.1} dBTP was applied: it \
                     took the true peak from {} down by {reduction:.1} dB (gain reduction up to \
                     {:.1} dB, on {:.2} s of audio)",
                    n.limit_dbtp.unwrap_or_default(),
                    text(n.peak_after_gain_dbtp, "dBTP"),
                    -20.0 * f64::from(stats.min_gain).log10(),
                    stats.limited_frames as f64 / n.rendered.written_rate_hz()
                );
            }
            if let Some(peak) = w.max_true_peak_dbtp.filter(|&p| p > ceiling) {
                println!(
                    "                        WARNING: the written true peak {peak:+.1} dBTP is \
                     over the {ceiling:.1} dBTP ceiling (the limiter holds {:.1} dBTP)",
                    n.limit_dbtp.unwrap_or_default()
                );
            }
        }
        None => {
            if let Some(peak) = w.max_true_peak_dbtp.filter(|&p| p > ceiling) {
                println!(
                    "                        WARNING: the gain puts the true peak at {peak:+.1} \
                     dBTP, over {ceiling:.1} dBTP; {} (add --limit DBTP to hold it)",
                    if matches!(n.depth, Depth::Float32) {
                        "the float file keeps the overs, nothing was clipped"
                    } else {
                        "it will clip when converted or played"
                    }
                );
            }
        }
    }
    if n.rendered.clipped_samples > 0 {
        println!(
            "                        {} samples clipped at full scale by the integer \
             conversion",
            n.rendered.clipped_samples
        );
    }
}
