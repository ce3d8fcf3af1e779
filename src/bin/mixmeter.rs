//! `mixmeter analyze FILE... [--json] [--series]`: the plugin's meter core run over audio files.
//!
//! Each file is decoded (see `mixmeter::decode`) and fed to the same `Meter` the plugin uses,
//! so a file analyzed here and the same audio played through the plugin give the same numbers.
//! An unreadable file gets one line on stderr naming it and the problem; the other files are
//! still analyzed, and the exit status is 1. The JSON schema is documented in the README.

use mixmeter::decode::{AudioFile, StreamInfo};
use mixmeter::meter::engine::{Meter, MeterConfig, Readings};
use serde_json::{Value, json};
use std::path::Path;
use std::process::ExitCode;

/// Channels the analyzer measures today (surround arrives with the full analyzer).
const MAX_FILE_CHANNELS: usize = 2;
/// One `--series` value per this many seconds.
const SERIES_STEP_S: f64 = 0.1;

const USAGE: &str = "Usage: mixmeter analyze FILE... [--json] [--series]

Measures loudness (EBU R128 / ITU-R BS.1770-5), loudness range, true peak, dynamics and
stereo of WAV files (16/24/32-bit integer, 32/64-bit float; mono or stereo).

  --json     one JSON object per file (one per line) instead of the readable summary
  --series   add momentary and short-term loudness, one value per 100 ms";

struct Analysis {
    file: String,
    info: StreamInfo,
    frames: u64,
    readings: Readings,
    momentary: Vec<Option<f64>>,
    short_term: Vec<Option<f64>>,
}

fn analyze(path: &Path, series: bool) -> Result<Analysis, String> {
    let file = AudioFile::open(path).map_err(|e| e.to_string())?;
    let info = file.info();
    if info.channels == 0 || info.channels > MAX_FILE_CHANNELS {
        return Err(format!(
            "{} channels (the analyzer measures mono and stereo files)",
            info.channels
        ));
    }
    let mut meter = Meter::new(MeterConfig::new(info.sample_rate_hz as f64, info.channels))
        .map_err(|e| e.to_string())?;
    let series_step = (info.sample_rate_hz as f64 * SERIES_STEP_S).round() as u64;
    let mut next_series_frame = series_step;
    let mut frames: u64 = 0;
    let mut momentary = Vec::new();
    let mut short_term = Vec::new();
    file.decode(|block| {
        let len = block[0].len();
        let mut start = 0;
        while start < len {
            // With --series, feed up to each 100 ms boundary and read M and S there (the
            // readings do not depend on how the audio is sliced).
            let end = if series {
                (start as u64 + (next_series_frame - frames)).min(len as u64) as usize
            } else {
                len
            };
            let piece: Vec<&[f32]> = block.iter().map(|c| &c[start..end]).collect();
            meter.process(&piece);
            frames += (end - start) as u64;
            start = end;
            if series && frames == next_series_frame {
                momentary.push(meter.readings().momentary_lufs);
                short_term.push(meter.readings().short_term_lufs);
                next_series_frame += series_step;
            }
        }
    })
    .map_err(|e| e.to_string())?;
    Ok(Analysis {
        file: path.display().to_string(),
        info,
        frames,
        readings: meter.readings(),
        momentary,
        short_term,
    })
}

/// JSON number, or null for "no value".
fn number(value: Option<f64>) -> Value {
    value
        .filter(|v| v.is_finite())
        .map_or(Value::Null, |v| json!(v))
}

fn to_json(a: &Analysis, series: bool) -> Value {
    let r = &a.readings;
    let channels = a.info.channels;
    let mut object = json!({
        "file": a.file,
        "sample_rate": a.info.sample_rate_hz,
        "channels": channels,
        "duration_s": a.frames as f64 / a.info.sample_rate_hz as f64,
        "integrated_lufs": number(r.integrated_lufs),
        "loudness_range_lu": number(r.loudness_range_lu),
        "max_momentary_lufs": number(r.max_momentary_lufs),
        "max_short_term_lufs": number(r.max_short_term_lufs),
        "true_peak_dbtp": number(r.max_true_peak_dbtp),
        "true_peak_dbtp_per_channel": r.true_peak_dbtp[..channels].iter().map(|v| number(*v)).collect::<Vec<_>>(),
        "sample_peak_dbfs": number(r.max_sample_peak_dbfs),
        "plr_db": number(r.plr_db),
        "crest_factor_db": number(r.crest_factor_db),
        "correlation": number(r.integrated_correlation),
        "mono_loss_lu": number(r.mono_loss_integrated_lu),
        "non_finite_samples": r.non_finite_samples,
    });
    if series {
        object["momentary_lufs"] = a.momentary.iter().map(|v| number(*v)).collect();
        object["short_term_lufs"] = a.short_term.iter().map(|v| number(*v)).collect();
    }
    object
}

fn text(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.1} {unit}"),
        _ => "no value".to_string(),
    }
}

fn print_summary(a: &Analysis) {
    let r = &a.readings;
    let seconds = a.frames as f64 / a.info.sample_rate_hz as f64;
    println!("{}", a.file);
    println!(
        "  {} Hz, {} channel{}, {:.1} s",
        a.info.sample_rate_hz,
        a.info.channels,
        if a.info.channels == 1 { "" } else { "s" },
        seconds
    );
    println!(
        "  Integrated loudness   {}",
        text(r.integrated_lufs, "LUFS")
    );
    println!(
        "  Loudness range        {}",
        text(r.loudness_range_lu, "LU")
    );
    println!(
        "  Max momentary         {}",
        text(r.max_momentary_lufs, "LUFS")
    );
    println!(
        "  Max short-term        {}",
        text(r.max_short_term_lufs, "LUFS")
    );
    println!(
        "  True peak             {}",
        text(r.max_true_peak_dbtp, "dBTP")
    );
    println!(
        "  Sample peak           {}",
        text(r.max_sample_peak_dbfs, "dBFS")
    );
    println!("  PLR                   {}", text(r.plr_db, "dB"));
    println!("  Crest factor          {}", text(r.crest_factor_db, "dB"));
    if a.info.channels == 2 {
        match r.integrated_correlation {
            Some(c) => println!("  Correlation           {c:+.2}"),
            None => println!("  Correlation           no value"),
        }
        println!(
            "  Mono loss             {}",
            text(r.mono_loss_integrated_lu, "LU")
        );
    }
    if r.non_finite_samples > 0 {
        println!("  Non-finite samples    {} (skipped)", r.non_finite_samples);
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("analyze") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let json_output = args.iter().any(|a| a == "--json");
    let series = args.iter().any(|a| a == "--series");
    if let Some(unknown) = args[1..]
        .iter()
        .find(|a| a.starts_with("--") && *a != "--json" && *a != "--series")
    {
        eprintln!("mixmeter: unknown option {unknown}\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let files: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with("--")).collect();
    if files.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for (index, file) in files.iter().enumerate() {
        match analyze(Path::new(file), series) {
            Ok(analysis) => {
                if json_output {
                    println!("{}", to_json(&analysis, series));
                } else {
                    if index > 0 {
                        println!();
                    }
                    print_summary(&analysis);
                }
            }
            Err(message) => {
                eprintln!("mixmeter: {file}: {message}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
