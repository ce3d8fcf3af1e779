//! The analyze command's options, checked and resolved before any file is read.

use crate::args::AnalyzeArgs;
use crate::inputs::STDIN_NAME;
use mixmeter_core::decode::StreamInfo;
use mixmeter_core::diagnosis::checks::{self, Profile};
use mixmeter_core::diagnosis::platforms::{Target, targets};
use mixmeter_core::normalize::wav::Depth;
use mixmeter_core::reference::{self, Curve};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

/// The analyze options, resolved.
pub(crate) struct Options {
    pub(crate) json: bool,
    pub(crate) csv: bool,
    pub(crate) series: bool,
    pub(crate) targets: Vec<Target>,
    pub(crate) profile: Option<Profile>,
    pub(crate) reference: Option<Curve>,
    pub(crate) jobs: usize,
    pub(crate) album: bool,
    pub(crate) dual_mono: bool,
    pub(crate) ceiling_dbtp: Option<f64>,
    pub(crate) normalize: Option<NormalizeOptions>,
}

/// `--output-depth`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DepthChoice {
    Fixed(Depth),
    Input,
}

/// `--normalize-to LUFS --output PATH [--output-depth F] [--limit DBTP]`.
#[derive(Debug, Clone)]
pub(crate) struct NormalizeOptions {
    pub(crate) target_lufs: f64,
    pub(crate) output: PathBuf,
    pub(crate) depth: DepthChoice,
    pub(crate) limit_dbtp: Option<f64>,
}

/// The sample format of the input, for `--output-depth input`: integer PCM keeps its bits
/// (8-bit and odd sizes go up to the next of 16/24/32), float and lossy codecs are written
/// as 32-bit float.
pub(crate) fn input_depth(info: &StreamInfo) -> Depth {
    let bits = if info.codec.starts_with("pcm_f") {
        None
    } else if let Some(rest) = info
        .codec
        .strip_prefix("pcm_s")
        .or_else(|| info.codec.strip_prefix("pcm_u"))
    {
        rest.trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .ok()
    } else if matches!(info.codec.as_str(), "flac" | "alac") {
        info.bits_per_sample
    } else {
        None
    };
    match bits {
        Some(b) if b <= 16 => Depth::Int(16),
        Some(b) if b <= 24 => Depth::Int(24),
        Some(_) => Depth::Int(32),
        None => Depth::Float32,
    }
}

/// Whether two paths name the same file (the same inode, or the same canonical path).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Resolves the names on the command line (targets, profile, curve); an error is a usage
/// error.
pub(crate) fn resolve(args: &AnalyzeArgs) -> Result<Options, String> {
    if args.series && !args.json {
        // (Checked here: clap skips `requires` when a conflicting --csv is present.)
        return Err(
            "--series adds the loudness series to the JSON output: use it with --json".to_string(),
        );
    }
    let all = targets();
    let mut chosen = Vec::new();
    for id in &args.targets {
        let target = all.iter().find(|t| t.id == *id).ok_or_else(|| {
            let ids: Vec<&str> = all.iter().map(|t| t.id.as_str()).collect();
            format!(
                "unknown target {id} (valid targets: {}; `mixmeter targets` describes them)",
                ids.join(", ")
            )
        })?;
        if chosen.iter().any(|t: &Target| t.id == target.id) {
            return Err(format!("--target {id} is given twice"));
        }
        chosen.push(target.clone());
    }
    let profile = match &args.check {
        Some(id) => {
            let names: Vec<String> = checks::profiles().into_iter().map(|p| p.id).collect();
            Some(checks::profile(id).ok_or_else(|| {
                format!("unknown check profile {id} (one of: {})", names.join(", "))
            })?)
        }
        None => None,
    };
    let reference = args.reference.as_deref().map(load_curve).transpose()?;
    let finite = |name: &str, value: Option<f64>| match value {
        Some(v) if !v.is_finite() => Err(format!("{name} {v} is not a number")),
        _ => Ok(()),
    };
    finite("--ceiling", args.ceiling)?;
    finite("--normalize-to", args.normalize_to)?;
    finite("--limit", args.limit)?;
    let normalize = match args.normalize_to {
        None => {
            for (given, option) in [
                (
                    args.output.is_some(),
                    "--output names the file --normalize-to writes",
                ),
                (
                    args.limit.is_some(),
                    "--limit holds the true peak of the file --normalize-to writes",
                ),
                (
                    args.output_depth.is_some(),
                    "--output-depth is the format of the file --normalize-to writes",
                ),
            ] {
                if given {
                    return Err(format!(
                        "{option}: use it with --normalize-to LUFS --output OUT.wav"
                    ));
                }
            }
            None
        }
        Some(target_lufs) => {
            let output = args
                .output
                .clone()
                .ok_or("--normalize-to writes a file: name it with --output OUT.wav".to_string())?;
            if !(-70.0..=0.0).contains(&target_lufs) {
                return Err(format!(
                    "--normalize-to {target_lufs}: a target from -70 to 0 LUFS"
                ));
            }
            if let Some(limit) = args.limit
                && !(-20.0..=0.0).contains(&limit)
            {
                return Err(format!("--limit {limit}: a limit from -20 to 0 dBTP"));
            }
            let depth = match args.output_depth.as_deref() {
                None | Some("f32") => DepthChoice::Fixed(Depth::Float32),
                Some("16") => DepthChoice::Fixed(Depth::Int(16)),
                Some("24") => DepthChoice::Fixed(Depth::Int(24)),
                Some("input") => DepthChoice::Input,
                Some(other) => {
                    return Err(format!(
                        "unknown --output-depth {other} (one of: f32, 16, 24, input)"
                    ));
                }
            };
            let single = args.paths.len() == 1
                && args.paths[0].as_os_str() != STDIN_NAME
                && !args.paths[0].is_dir();
            if !single {
                return Err(
                    "--normalize-to writes one file: name exactly one input file (not a folder \
                     or standard input)"
                        .to_string(),
                );
            }
            if same_file(&args.paths[0], &output) {
                return Err(format!(
                    "--output {} is the input file: mixmeter never overwrites its input",
                    output.display()
                ));
            }
            Some(NormalizeOptions {
                target_lufs,
                output,
                depth,
                limit_dbtp: args.limit,
            })
        }
    };
    if args.album && args.normalize_to.is_some() {
        return Err(
            "--album measures several files; --normalize-to writes one: use one or the other"
                .to_string(),
        );
    }
    Ok(Options {
        album: args.album,
        dual_mono: args.dual_mono,
        ceiling_dbtp: args.ceiling,
        normalize,
        json: args.json,
        csv: args.csv,
        series: args.series,
        targets: chosen,
        profile,
        reference,
        jobs: args.jobs.map_or_else(
            || std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            NonZeroUsize::get,
        ),
    })
}

/// A curve file, or `builtin:ID`.
pub(crate) fn load_curve(name: &str) -> Result<Curve, String> {
    if let Some(id) = name.strip_prefix("builtin:") {
        return reference::builtin::curve(id).ok_or_else(|| {
            let ids: Vec<&str> = reference::builtin::list().iter().map(|s| s.0).collect();
            format!("unknown built-in curve {id} (built-in: {})", ids.join(", "))
        });
    }
    Curve::load(Path::new(name)).map_err(|e| format!("{name}: {e}"))
}
