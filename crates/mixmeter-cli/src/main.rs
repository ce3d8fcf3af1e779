//! `mixmeter analyze PATH... [--json | --csv] ...`: the plugin's meter core run over audio
//! files.
//!
//! Each file is decoded (see `mixmeter_core::decode`) and fed to the same `Meter` the plugin uses,
//! so a file analyzed here and the same audio played through the plugin give the same numbers.
//! Every input is accounted for: an unreadable file (or a folder without audio files) gets a
//! line on stderr naming it and the problem and, with `--json` / `--csv`, a record with its
//! `error`; the other files are still analyzed, and the exit status is 1. A file shorter than
//! its header says is measured as far as it goes and reported `truncated`. The command line is
//! parsed by clap; its help text is the usage text of docs/cli.md (a test compares them). The
//! JSON schema is documented there.

use clap::{Args, CommandFactory, Parser, Subcommand};
use mixmeter_core::analysis::{self, FileAnalysis};
use mixmeter_core::decode::StreamInfo;
use mixmeter_core::diagnosis::checks::{self, Item, Profile};
use mixmeter_core::diagnosis::platforms::{self, Preview, Target, targets};
use mixmeter_core::diagnosis::stereo::{MonoCompatibility, StereoBand, Verdict, signed_tenths};
use mixmeter_core::diagnosis::suggestions::{self, Candidate, Findings};
use mixmeter_core::diagnosis::{REGIONS, TonalComparison, compare_tonal};
use mixmeter_core::meter::engine::{RANGE_SETTLED_S, Readings};
use mixmeter_core::meter::gating::{IntegratedHistogram, RangeHistogram};
use mixmeter_core::meter::layout;
use mixmeter_core::meter::stereo::WIDTH_LIMIT_DB;
use mixmeter_core::normalize::{self, wav::Depth};
use mixmeter_core::reference::{self, Curve};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Version of the JSON and CSV output (docs/cli.md, "Output schema").
const SCHEMA_VERSION: u32 = 8;
/// The `file` of the album's CSV row (`--album --csv`).
const ALBUM_ROW_NAME: &str = "(album)";
/// File extensions a folder is searched for. Opus is listed so that a folder of Opus files
/// is reported as unsupported rather than skipped in silence.
const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "rf64", "bw64", "w64", "aif", "aiff", "aifc", "caf", "flac", "mp3", "ogg",
    "oga", "opus", "m4a", "mp4", "aac",
];
/// Folder levels searched below a named folder.
const MAX_FOLDER_DEPTH: usize = 64;
/// How often the progress line is redrawn while a file is measured.
const PROGRESS_REDRAW: Duration = Duration::from_millis(100);
/// The name standard input is given in the output.
const STDIN_NAME: &str = "-";

/// Exit status when a file could not be read (or was truncated, or a folder held no audio).
const EXIT_UNREADABLE: u8 = 1;
/// Exit status for bad usage (clap's, too).
const EXIT_USAGE: u8 = 2;
/// Exit status when a file misses a `--target` or fails a `--check` item.
const EXIT_TARGET_MISSED: u8 = 3;

const EXIT_STATUS_HELP: &str = "Exit status:
  0  every file was read and passed every --target and --check
  1  an input could not be read: a file missing, corrupt, truncated or in an unsupported
     format, or a folder without audio files (this wins over 3: the other files' results
     are still printed, and each JSON/CSV record has its own error and pass fields); or
     the --normalize-to file could not be written (or was refused: it would clip)
  2  bad usage (unknown option or value, a curve file that cannot be used)
  3  every file was read, and one missed a --target or failed a --check item";

/// Measures loudness, true peak, dynamics and stereo of audio files with the meter core of
/// the Mixmeter plugin.
#[derive(Parser)]
#[command(name = "mixmeter", version, arg_required_else_help = true)]
#[command(after_help = "Run `mixmeter COMMAND --help` for each command's options.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure audio files: loudness (EBU R128), true peak, dynamics, stereo, tonal balance
    ///
    /// Measures loudness (EBU R128 / ITU-R BS.1770-5), loudness range, true peak, dynamics and
    /// stereo with the plugin's meter core. Reads WAV, RF64/BW64 and Wave64, AIFF, CAF
    /// (integer and float PCM), FLAC, MP3, Ogg Vorbis, AAC-LC (mono or stereo) and ALAC in
    /// MP4/M4A; any sample rate; mono, stereo and multichannel up to 7.1.4 (BS.1770 channel
    /// weights, LFE excluded). Not read: Opus, and AAC with more than 2 channels or HE-AAC
    /// (reported as unsupported). A folder is searched recursively (links followed, each file
    /// once); files are analyzed in parallel. A file shorter than its header says is measured
    /// as far as it goes and reported as truncated.
    #[command(after_help = EXIT_STATUS_HELP)]
    Analyze(AnalyzeArgs),
    /// List the delivery targets with their numbers and sources
    Targets,
    /// Build or list the reference curves for `analyze --reference`
    #[command(subcommand)]
    Reference(ReferenceCommand),
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Audio files or folders; - reads standard input (named "-" in the output)
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// One JSON object per file, one per line, instead of the readable summary
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// One CSV row per file, after a header line
    #[arg(long)]
    csv: bool,
    /// With --json: momentary and short-term loudness every 100 ms (the largest value since
    /// the previous one)
    #[arg(long)]
    series: bool,
    /// Check against a delivery target (repeatable): one sentence per target saying what its
    /// normalization does and judging the file as delivered against the target's published
    /// true-peak ceiling: FAIL (exit status 3) over it or outside a broadcast loudness
    /// tolerance, WARN when the platform would raise it over the ceiling or into its limiter;
    /// `mixmeter targets` lists the IDs
    #[arg(long = "target", value_name = "ID")]
    targets: Vec<String>,
    /// Grade each file with a checklist: pre-master or delivery (the tonal item needs
    /// --reference)
    #[arg(long, value_name = "PROFILE")]
    check: Option<String>,
    /// Compare each file's tonal balance with a reference curve: a curve file, or builtin:ID
    /// (`mixmeter reference list`)
    #[arg(long, value_name = "CURVE")]
    reference: Option<String>,
    /// Also measure the inputs as one album played in the order named: integrated loudness
    /// and loudness range from every track's gating blocks and short-term values pooled, and
    /// each track's loudness relative to the album
    #[arg(long)]
    album: bool,
    /// Measure mono files as played on both channels of a stereo pair (+3.01 LU), as
    /// broadcast specifications ask; files that are not mono are measured as they are, with a
    /// note
    #[arg(long)]
    dual_mono: bool,
    /// Count the overs above this true-peak ceiling (dBTP) and give their times
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    ceiling: Option<f64>,
    /// Write the file with the gain that brings its integrated loudness to LUFS (one input
    /// file; needs --output)
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true)]
    normalize_to: Option<f64>,
    /// The WAV file --normalize-to writes (never the input; written to a temporary file and
    /// renamed when complete)
    #[arg(short, long, value_name = "OUT.wav")]
    output: Option<PathBuf>,
    /// Sample format of --output: f32, 16, 24 or input (integer formats get TPDF dither)
    /// [default: f32]
    #[arg(long, value_name = "FORMAT")]
    output_depth: Option<String>,
    /// With --normalize-to: hold the true peak of the written file at or under DBTP with a
    /// true-peak lookahead limiter (the output says how much it took off)
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    limit: Option<f64>,
    /// Files analyzed at once [default: the number of CPUs]
    #[arg(short, long, value_name = "N")]
    jobs: Option<NonZeroUsize>,
}

#[derive(Subcommand)]
enum ReferenceCommand {
    /// Make a curve from reference audio: each file's long-term average spectrum,
    /// level-matched; with several files their median and the files' envelope as the band
    Build {
        /// Audio files or folders
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The curve file to write
        #[arg(short, long, value_name = "CURVE.json")]
        output: PathBuf,
        /// The curve's name [default: the output file's name]
        #[arg(long)]
        name: Option<String>,
    },
    /// List the built-in curves
    List,
}

/// An input to analyze: a file, or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    File(PathBuf),
    Stdin,
}

impl Source {
    fn name(&self) -> String {
        self.as_input().name()
    }

    fn as_input(&self) -> analysis::Source<'_> {
        match self {
            Source::File(path) => analysis::Source::Path(path),
            Source::Stdin => analysis::Source::Stdin,
        }
    }
}

/// JSON number, or null for "no value".
fn number(value: Option<f64>) -> Value {
    value
        .filter(|v| v.is_finite())
        .map_or(Value::Null, |v| json!(v))
}

#[allow(clippy::too_many_arguments)]
fn to_json(
    a: &FileAnalysis,
    series: bool,
    ceiling_dbtp: Option<f64>,
    checks: &[Check],
    graded: Option<(&Profile, &[Item])>,
    tonal: Option<(&Curve, Option<&TonalComparison>)>,
) -> Value {
    let r = &a.readings;
    let channels = a.info.channels;
    let mut object = json!({
        "schema_version": SCHEMA_VERSION,
        "file": a.file,
        "codec": a.info.codec,
        "sample_rate": a.info.sample_rate_hz,
        "channels": channels,
        "channel_layout": a.info.layout.iter().map(|r| r.label()).collect::<Vec<_>>(),
        "duration_s": a.frames as f64 / a.info.sample_rate_hz as f64,
        "integrated_lufs": number(r.integrated_lufs),
        "loudness_range_lu": number(r.loudness_range_lu),
        "loudness_range_reliable": r.loudness_range_settled(),
        "max_momentary_lufs": number(r.max_momentary_lufs),
        "max_short_term_lufs": number(r.max_short_term_lufs),
        "true_peak_dbtp": number(r.max_true_peak_dbtp),
        "true_peak_dbtp_per_channel": r.true_peak_dbtp[..channels].iter().map(|v| number(*v)).collect::<Vec<_>>(),
        "sample_peak_dbfs": number(r.max_sample_peak_dbfs),
        "plr_db": number(r.plr_db),
        "crest_factor_db": number(r.crest_factor_db),
        "correlation": number(r.integrated_correlation),
        "mono_loss_lu": number(r.mono_loss_integrated_lu),
        "fold_down": a.fold.map_or(Value::Null, |f| json!({
            "stereo_lu": number(f.stereo_integrated_lu),
            "mono_lu": number(f.mono_integrated_lu),
            "stereo_true_peak_dbtp": number(f.stereo_true_peak_dbtp),
            "front_correlation": number(f.front_integrated_correlation),
        })),
        "non_finite_samples": r.non_finite_samples,
        "truncated": a.truncated_from().is_some(),
        "stated_duration_s": a.truncated_from().map_or(Value::Null, |n| json!(n as f64 / a.info.sample_rate_hz as f64)),
        "error": a.truncation(),
        "dual_mono": a.dual_mono,
        "max_true_peak_at_s": number(a.max_true_peak_at_s()),
        "max_short_term_at_s": number(a.max_short_term_at_s()),
        "overs": a.moments.over_ceiling_gain.map_or(Value::Null, |_| json!({
            "ceiling_dbtp": ceiling_dbtp,
            "count": a.moments.overs,
            "first_s": a.over_times_s(),
        })),
    });
    if !checks.is_empty() {
        object["targets"] = checks.iter().map(Check::to_json).collect();
    }
    object["suggestions"] = ranked_suggestions(a, tonal.and_then(|t| t.1))
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "rank": i + 1,
                "kind": s.kind.id(),
                "text": s.text,
                "evidence": s.evidence,
                "confidence": s.confidence,
            })
        })
        .collect();
    if let Some((profile, items)) = graded {
        object["checks"] = checks_json(profile, items);
    }
    object["stereo"] = a.stereo.as_ref().map_or(Value::Null, stereo_json);
    if let Some((curve, comparison)) = tonal {
        object["tonal"] = tonal_json(curve, comparison);
    }
    if series {
        object["momentary_lufs"] = a.momentary.iter().map(|v| number(*v)).collect();
        object["short_term_lufs"] = a.short_term.iter().map(|v| number(*v)).collect();
    }
    object
}

/// The ranked suggestions of the whole file: the editor's ranking (`diagnosis::suggestions`)
/// with every finding held, from the same findings.
fn ranked_suggestions(a: &FileAnalysis, tonal: Option<&TonalComparison>) -> Vec<Candidate> {
    let spectrum_s = a.spectrum.as_ref().map_or(0.0, |s| s.covered_s);
    suggestions::whole_file(&Findings::of(
        &a.readings,
        a.stereo.as_ref(),
        tonal,
        spectrum_s,
    ))
}

/// The ranked suggestions in the readable summary.
fn print_suggestions(list: &[Candidate]) {
    if list.is_empty() {
        return;
    }
    println!("  Suggestions");
    for (i, s) in list.iter().enumerate() {
        println!(
            "    {}. {} ({:.0} % confidence)",
            i + 1,
            s.text,
            100.0 * s.confidence
        );
        println!("       {}", s.evidence);
    }
}

/// The JSON record of an input that could not be analyzed (docs/cli.md, "Output schema").
fn error_json(file: &str, error: &str) -> Value {
    json!({"schema_version": SCHEMA_VERSION, "file": file, "error": error})
}

/// The `checks` object of the JSON output (docs/cli.md, "Output schema").
fn checks_json(profile: &Profile, items: &[Item]) -> Value {
    json!({
        "profile": profile.id,
        "name": profile.name,
        "worst": checks::worst(items).map(|s| s.id()),
        "items": items.iter().map(|i| json!({
            "id": i.id,
            "label": i.label,
            "status": i.status.map(|s| s.id()),
            "value": number(i.value),
            "unit": i.measure.unit(),
            "evidence": i.evidence,
            "source": i.source,
        })).collect::<Vec<_>>(),
    })
}

/// The checklist in the readable summary.
fn print_checks(profile: &Profile, items: &[Item]) {
    println!("  {}", profile.name);
    for item in items {
        let status = item.status.map_or("--", |s| match s {
            checks::Status::Pass => "pass",
            checks::Status::Warn => "WARN",
            checks::Status::Fail => "FAIL",
        });
        println!("    {status:<4}  {:<24} {}", item.label, item.evidence);
    }
}

/// The `tonal` object of the JSON output (docs/cli.md, "Output schema").
fn tonal_json(curve: &Curve, comparison: Option<&TonalComparison>) -> Value {
    let reference = json!({"name": curve.name, "kind": curve.kind, "source": curve.source});
    let Some(c) = comparison else {
        return json!({"reference": reference, "level_offset_db": null, "regions": [], "suggestions": []});
    };
    json!({
        "reference": reference,
        "level_offset_db": number(Some(c.offset_db)),
        "tilt_db_per_octave": number(Some(c.tilt_db_per_octave)),
        "tilt_tolerance_db_per_octave": c.tilt_tolerance_db_per_octave,
        "withheld": c.withheld.map(|w| w.reason()),
        "regions": c.regions.iter().map(|r| json!({
            "id": r.region.id,
            "name": r.region.name,
            "low_hz": r.region.low_hz,
            "high_hz": r.region.high_hz,
            "deviation_db": number(r.deviation_db),
            "tolerance_low_db": r.tolerance_low_db,
            "tolerance_high_db": r.tolerance_high_db,
            "outside": r.outside(),
        })).collect::<Vec<_>>(),
        "suggestions": c.suggestions.iter().map(|s| json!({
            "region": s.region_id,
            "deviation_db": s.deviation_db,
            "frequency_hz": s.frequency_hz,
            "size_db": s.size_db,
            "text": s.text,
        })).collect::<Vec<_>>(),
    })
}

fn band_json(b: &StereoBand) -> Value {
    json!({
        "low_hz": b.low_hz,
        "high_hz": b.high_hz,
        "correlation": number(b.correlation),
        "width_db": number(b.width_db),
        "mono_loss_lu": number(b.mono_loss_lu),
        "share_db": number(b.share_db),
        "flagged": b.flagged,
    })
}

/// The `stereo` object of the JSON output (docs/cli.md, "Output schema").
fn stereo_json(s: &MonoCompatibility) -> Value {
    json!({
        "verdict": s.verdict.map(Verdict::id),
        "correlation": number(s.correlation),
        "mono_loss_lu": number(s.mono_loss_lu),
        "low_end": band_json(&s.low_end),
        "regions": s.regions.iter().map(|r| {
            let mut v = band_json(&r.readings);
            v["id"] = json!(r.region.id);
            v["name"] = json!(r.region.name);
            v
        }).collect::<Vec<_>>(),
        "bands": s.bands.iter().map(band_json).collect::<Vec<_>>(),
        "worst_bands": s.worst_bands.iter().map(|&b| band_json(&s.bands[b])).collect::<Vec<_>>(),
        "suggestions": s.suggestions.iter().map(|g| json!({
            "finding": g.finding.id(),
            "low_hz": g.low_hz,
            "high_hz": g.high_hz,
            "text": g.text,
        })).collect::<Vec<_>>(),
    })
}

fn print_stereo(s: &MonoCompatibility) {
    println!(
        "  Mono compatibility    {}",
        s.verdict.map_or("no value", Verdict::label)
    );
    for r in &s.regions {
        let b = &r.readings;
        let correlation = b.correlation.map_or("no value".to_string(), |c| {
            format!("{:+.2}", (c * 100.0).round() / 100.0 + 0.0)
        });
        let width = match b.width_db {
            Some(w) if w <= -WIDTH_LIMIT_DB => "mono".to_string(),
            Some(w) if w >= WIDTH_LIMIT_DB => "all side".to_string(),
            Some(w) => format!("{:+.1} dB", signed_tenths(w)),
            None => "no value".to_string(),
        };
        let loss = match (b.mono_loss_lu, b.share_db) {
            (Some(l), _) => format!("{:.1} LU", l + 0.0),
            (None, Some(_)) => "cancels".to_string(),
            (None, None) => "no value".to_string(),
        };
        println!(
            "      {:<20} correlation {correlation:>8}  side/mid {width:>9}  mono {loss:>8}",
            r.region.name
        );
    }
    for g in &s.suggestions {
        println!("    - {}", g.text);
    }
}

fn print_tonal(curve: &Curve, comparison: Option<&TonalComparison>) {
    println!("  Tonal balance against \"{}\"", curve.name);
    let Some(c) = comparison else {
        println!("      no value (silence, or no audio in the curve's range)");
        return;
    };
    println!("      {:<20} {}", "tilt", c.tilt_text());
    for r in &c.regions {
        let value = match r.deviation_db {
            Some(d) => format!("{d:+5.1} dB"),
            None => "no value".to_string(),
        };
        let flag = if r.outside() { "  outside" } else { "" };
        println!(
            "      {:<20} {value}  (tolerance {:+.1} to {:+.1}){flag}",
            r.region.name, r.tolerance_low_db, r.tolerance_high_db
        );
    }
    if let Some(w) = c.withheld {
        println!("    {}", w.reason());
    }
    for s in &c.suggestions {
        println!("    - {}", s.text);
    }
}

fn text(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.1} {unit}"),
        _ => "no value".to_string(),
    }
}

/// A time as seconds and, from a minute on, minutes:seconds ("83.456 s (1:23.456)").
fn clock(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.3} s")
    } else {
        let minutes = (seconds / 60.0).floor();
        format!(
            "{seconds:.3} s ({minutes:.0}:{:06.3})",
            seconds - 60.0 * minutes
        )
    }
}

fn print_summary(a: &FileAnalysis, ceiling_dbtp: Option<f64>) {
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
        "  Loudness range        {}{}",
        text(r.loudness_range_lu, "LU"),
        if r.loudness_range_lu.is_some() && !r.loudness_range_settled() {
            format!(
                " (under {RANGE_SETTLED_S:.0} s measured: too short for loudness range to \
                 describe a programme, EBU Tech 3341/R128 s1)"
            )
        } else {
            String::new()
        }
    );
    println!(
        "  Max momentary         {}",
        text(r.max_momentary_lufs, "LUFS")
    );
    println!(
        "  Max short-term        {}{}",
        text(r.max_short_term_lufs, "LUFS"),
        a.max_short_term_at_s().map_or(String::new(), |t| format!(
            ", the loudest 3 s from {}",
            clock(t)
        ))
    );
    println!(
        "  True peak             {}{}",
        text(r.max_true_peak_dbtp, "dBTP"),
        a.max_true_peak_at_s()
            .map_or(String::new(), |t| format!(" at {}", clock(t)))
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
    if let (Some(ceiling), Some(_)) = (ceiling_dbtp, a.moments.over_ceiling_gain) {
        let times = a.over_times_s();
        let listed: Vec<String> = times.iter().map(|&t| clock(t)).collect();
        let overs = a.moments.overs;
        println!(
            "  Overs                 {overs} over {ceiling:.1} dBTP{}",
            if overs == 0 {
                String::new()
            } else if overs as usize > times.len() {
                format!(", the first {} at {}", times.len(), listed.join(", "))
            } else {
                format!(" at {}", listed.join(", "))
            }
        );
    }
    if a.dual_mono {
        println!("  Dual mono             measured as played on both channels (+3.01 LU)");
    }
    if r.non_finite_samples > 0 {
        println!("  Non-finite samples    {} (skipped)", r.non_finite_samples);
    }
    if let Some(detail) = a.truncation_detail() {
        println!("  Truncated             {detail}");
    }
}

/// One file judged against one target.
#[derive(Debug, Clone)]
struct Check {
    id: String,
    name: String,
    preview: Preview,
    /// The gain that brings the file to the target's loudness, whatever the platform's rule,
    /// and the true peak after it (dB, dBTP).
    gain_to_target_db: Option<f64>,
    true_peak_at_target_dbtp: Option<f64>,
    /// The platform's published true-peak ceiling.
    platform_ceiling_dbtp: f64,
}

impl Check {
    fn new(target: &Target, r: &Readings) -> Check {
        let gain = r.integrated_lufs.map(|i| target.integrated_lufs - i);
        Check {
            id: target.id.clone(),
            name: target.name.clone(),
            preview: platforms::preview(target, r),
            gain_to_target_db: gain,
            true_peak_at_target_dbtp: gain.zip(r.max_true_peak_dbtp).map(|(g, p)| g + p),
            platform_ceiling_dbtp: target.max_true_peak_dbtp,
        }
    }

    /// Whether the true peak at the target's loudness is over the platform's ceiling.
    fn over_at_target(&self) -> Option<bool> {
        self.true_peak_at_target_dbtp
            .map(|p| p > self.platform_ceiling_dbtp)
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "gain_db": number(self.preview.gain_db),
            "true_peak_after_dbtp": number(self.preview.true_peak_after_dbtp),
            "action": self.preview.action.map(|a| a.id()),
            "limited_db": match self.preview.action {
                Some(platforms::Action::Limits(db)) => number(Some(db)),
                _ => Value::Null,
            },
            "ceiling_dbtp": self.preview.ceiling_dbtp,
            "status": self.preview.status.id(),
            "pass": self.preview.pass,
            "problems": self.preview.problems,
            "warnings": self.preview.warnings,
            "text": self.preview.sentence,
            "gain_to_target_db": number(self.gain_to_target_db),
            "true_peak_at_target_dbtp": number(self.true_peak_at_target_dbtp),
            "over_ceiling_at_target": self.over_at_target(),
        })
    }

    /// One sentence per target (`diagnosis::platforms::Preview::sentence`), and what the
    /// file would need to reach the target's loudness itself.
    fn print(&self) {
        println!("    {}", self.preview.sentence);
        if let (Some(gain), Some(peak)) = (self.gain_to_target_db, self.true_peak_at_target_dbtp) {
            println!(
                "      To reach its loudness yourself: {:+.1} dB of gain, true peak then {:+.1} \
                 dBTP, {} its {:.1} dBTP ceiling",
                signed_tenths(gain),
                signed_tenths(peak),
                // Judged as printed: -0.96 against -1.0 must not read "-1.0, over -1.0".
                if signed_tenths(peak) > self.platform_ceiling_dbtp + 1e-9 {
                    "over"
                } else {
                    "within"
                },
                self.platform_ceiling_dbtp
            );
        }
    }
}

/// CSV field: empty for no value, quoted when needed.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn csv_number(value: Option<f64>) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(String::new, |v| format!("{v:.3}"))
}

const CSV_COLUMNS: &[&str] = &[
    "file",
    "codec",
    "sample_rate",
    "channels",
    "duration_s",
    "integrated_lufs",
    "loudness_range_lu",
    "loudness_range_reliable",
    "max_momentary_lufs",
    "max_short_term_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "plr_db",
    "crest_factor_db",
    "correlation",
    "mono_loss_lu",
    "non_finite_samples",
    "mono_verdict",
    "truncated",
    "error",
];
/// Columns added in schema 7, after `error` so the earlier columns keep their places.
const CSV_WHERE_COLUMNS: &[&str] = &["max_true_peak_at_s", "max_short_term_at_s", "dual_mono"];

fn csv_header(
    targets: &[Target],
    profile: Option<&Profile>,
    tonal: bool,
    overs: bool,
    album: bool,
) -> String {
    let mut columns: Vec<String> = CSV_COLUMNS
        .iter()
        .chain(CSV_WHERE_COLUMNS)
        .map(|c| c.to_string())
        .collect();
    if overs {
        columns.push("overs".to_string());
        columns.push("overs_first_s".to_string());
    }
    for t in targets {
        columns.push(format!("{}_gain_db", t.id));
        columns.push(format!("{}_true_peak_after_dbtp", t.id));
        columns.push(format!("{}_pass", t.id));
    }
    if let Some(profile) = profile {
        columns.push("check_worst".to_string());
        for check in &profile.checks {
            columns.push(format!("check_{}", check.id));
        }
    }
    if tonal {
        for region in REGIONS {
            columns.push(format!("tonal_{}_db", region.id));
        }
    }
    if album {
        columns.push("album_relative_lu".to_string());
    }
    columns.join(",")
}

/// The CSV row of an input that could not be analyzed: its name and error, the rest empty.
fn csv_error_row(file: &str, error: &str, columns: usize) -> String {
    let mut fields = vec![String::new(); columns];
    fields[0] = csv_field(file);
    fields[CSV_COLUMNS.len() - 1] = csv_field(error);
    fields.join(",")
}

fn csv_row(
    a: &FileAnalysis,
    checks: &[Check],
    graded: Option<(&Profile, &[Item])>,
    tonal: Option<Option<&TonalComparison>>,
) -> String {
    let r = &a.readings;
    let mut fields = vec![
        csv_field(&a.file),
        csv_field(&a.info.codec),
        a.info.sample_rate_hz.to_string(),
        a.info.channels.to_string(),
        format!("{:.3}", a.frames as f64 / a.info.sample_rate_hz as f64),
        csv_number(r.integrated_lufs),
        csv_number(r.loudness_range_lu),
        r.loudness_range_settled().to_string(),
        csv_number(r.max_momentary_lufs),
        csv_number(r.max_short_term_lufs),
        csv_number(r.max_true_peak_dbtp),
        csv_number(r.max_sample_peak_dbfs),
        csv_number(r.plr_db),
        csv_number(r.crest_factor_db),
        csv_number(r.integrated_correlation),
        csv_number(r.mono_loss_integrated_lu),
        r.non_finite_samples.to_string(),
        a.stereo
            .as_ref()
            .and_then(|s| s.verdict)
            .map_or(String::new(), |v| v.id().to_string()),
        a.truncated_from().is_some().to_string(),
        csv_field(&a.truncation().unwrap_or_default()),
        csv_number(a.max_true_peak_at_s()),
        csv_number(a.max_short_term_at_s()),
        a.dual_mono.to_string(),
    ];
    if a.moments.over_ceiling_gain.is_some() {
        fields.push(a.moments.overs.to_string());
        let times: Vec<String> = a.over_times_s().iter().map(|t| format!("{t:.3}")).collect();
        fields.push(times.join(";"));
    }
    for c in checks {
        fields.push(csv_number(c.preview.gain_db));
        fields.push(csv_number(c.preview.true_peak_after_dbtp));
        fields.push(c.preview.pass.to_string());
    }
    if let Some((_, items)) = graded {
        fields.push(checks::worst(items).map_or("", |s| s.id()).to_string());
        for item in items {
            fields.push(item.status.map_or("", |s| s.id()).to_string());
        }
    }
    if let Some(comparison) = tonal {
        for (i, _) in REGIONS.iter().enumerate() {
            fields.push(csv_number(
                comparison.and_then(|c| c.regions[i].deviation_db),
            ));
        }
    }
    fields.join(",")
}

/// One input, as found on the command line or in a folder.
enum Input {
    Source(Source),
    /// Something named that cannot be analyzed (a folder without audio files, one that
    /// cannot be read): its name and the reason.
    Problem(String, String),
}

/// The inputs named on the command line: files as named, `-` as standard input, folders
/// searched recursively (sorted, audio extensions only). Symbolic links are followed, but each
/// folder is searched and each file listed once (by canonical path), so a link loop ends. A
/// named folder without audio files is a [`Input::Problem`]. Paths that do not exist are
/// left to fail when opened.
fn collect_inputs(paths: &[PathBuf]) -> Vec<Input> {
    #[derive(Default)]
    struct Walk {
        folders: HashSet<PathBuf>,
        files: HashSet<PathBuf>,
        out: Vec<Input>,
    }
    impl Walk {
        /// Lists `path` unless it (or another name for it) has been listed.
        fn file(&mut self, path: PathBuf) {
            // A path that cannot be resolved (missing, dangling link) is listed, to fail
            // with its own message.
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if self.files.insert(key) {
                self.out.push(Input::Source(Source::File(path)));
            }
        }

        fn folder(&mut self, dir: &Path, depth: usize) {
            let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            if depth > MAX_FOLDER_DEPTH || !self.folders.insert(key) {
                return;
            }
            let entries = match std::fs::read_dir(dir) {
                Ok(entries) => entries,
                Err(e) => {
                    self.out.push(Input::Problem(
                        dir.display().to_string(),
                        format!("cannot read folder: {e}"),
                    ));
                    return;
                }
            };
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    self.folder(&path, depth + 1);
                } else if path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                {
                    self.file(path);
                }
            }
        }
    }
    let mut walk = Walk::default();
    let mut stdin = false;
    for path in paths {
        if path.as_os_str() == STDIN_NAME {
            if !stdin {
                walk.out.push(Input::Source(Source::Stdin));
            }
            stdin = true;
        } else if path.is_dir() {
            let before = walk.out.len();
            walk.folder(path, 0);
            if walk.out.len() == before {
                walk.out.push(Input::Problem(
                    path.display().to_string(),
                    format!(
                        "no audio files in this folder (searched recursively for .{})",
                        AUDIO_EXTENSIONS.join(" .")
                    ),
                ));
            }
        } else {
            walk.file(path.clone());
        }
    }
    walk.out
}

/// A progress line on stderr while files are analyzed (only on a terminal): the share of
/// the audio measured, so a single long file moves it too.
struct Progress {
    enabled: bool,
    total: usize,
}

impl Progress {
    fn draw(&self, done: usize, slots: &[analysis::Progress]) {
        if !self.enabled {
            return;
        }
        let partial: f64 = slots
            .iter()
            .map(|slot| {
                let total = slot.total_frames.load(Ordering::Relaxed);
                let done = slot.done_frames.load(Ordering::Relaxed);
                if total == 0 {
                    0.0
                } else {
                    (done as f64 / total as f64).min(1.0)
                }
            })
            .sum();
        let share = ((done as f64 + partial) / self.total.max(1) as f64).min(1.0);
        let width = 30;
        let filled = (share * width as f64) as usize;
        eprint!(
            "\r\x1b[2K[{}{}] {:3.0}%  {done}/{} files",
            "=".repeat(filled),
            " ".repeat(width - filled),
            share * 100.0,
            self.total
        );
    }

    fn clear(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}

/// The analyze options, resolved.
struct Options {
    json: bool,
    csv: bool,
    series: bool,
    targets: Vec<Target>,
    profile: Option<Profile>,
    reference: Option<Curve>,
    jobs: usize,
    album: bool,
    dual_mono: bool,
    ceiling_dbtp: Option<f64>,
    normalize: Option<NormalizeOptions>,
}

/// `--output-depth`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum DepthChoice {
    Fixed(Depth),
    Input,
}

/// `--normalize-to LUFS --output PATH [--output-depth F] [--limit DBTP]`.
#[derive(Debug, Clone)]
struct NormalizeOptions {
    target_lufs: f64,
    output: PathBuf,
    depth: DepthChoice,
    limit_dbtp: Option<f64>,
}

/// The sample format of the input, for `--output-depth input`: integer PCM keeps its bits
/// (8-bit and odd sizes go up to the next of 16/24/32), float and lossy codecs are written
/// as 32-bit float.
fn input_depth(info: &StreamInfo) -> Depth {
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
fn same_file(a: &Path, b: &Path) -> bool {
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
fn resolve(args: &AnalyzeArgs) -> Result<Options, String> {
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
fn load_curve(name: &str) -> Result<Curve, String> {
    if let Some(id) = name.strip_prefix("builtin:") {
        return reference::builtin::curve(id).ok_or_else(|| {
            let ids: Vec<&str> = reference::builtin::list().iter().map(|s| s.0).collect();
            format!("unknown built-in curve {id} (built-in: {})", ids.join(", "))
        });
    }
    Curve::load(Path::new(name)).map_err(|e| format!("{name}: {e}"))
}

/// `mixmeter reference build|list`.
fn reference_command(command: ReferenceCommand) -> ExitCode {
    match command {
        ReferenceCommand::List => {
            for (id, name, what) in reference::builtin::list() {
                println!("builtin:{id:<10} {name}");
                println!("                   {what}");
            }
            ExitCode::SUCCESS
        }
        ReferenceCommand::Build {
            paths,
            output,
            name,
        } => match build_reference(&paths, &output, name) {
            Ok(()) => ExitCode::SUCCESS,
            Err((message, code)) => {
                eprintln!("mixmeter: {message}");
                ExitCode::from(code)
            }
        },
    }
}

fn build_reference(
    paths: &[PathBuf],
    output: &Path,
    name: Option<String>,
) -> Result<(), (String, u8)> {
    let mut files = Vec::new();
    for input in collect_inputs(paths) {
        match input {
            Input::Source(Source::File(path)) => files.push(path),
            Input::Source(Source::Stdin) => {
                return Err((
                    "reference build reads files, not standard input".to_string(),
                    EXIT_USAGE,
                ));
            }
            Input::Problem(name, message) => {
                return Err((format!("{name}: {message}"), EXIT_UNREADABLE));
            }
        }
    }
    let default_name = output.file_stem().map_or_else(
        || "Reference".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let name = name.unwrap_or(default_name);
    analysis::record_panic_messages();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    // A decoder's panic on corrupt data is contained by the analysis: that file's error.
    let curve =
        reference::audio::curve_from_files(&name, &refs).map_err(|m| (m, EXIT_UNREADABLE))?;
    let shown = output.display();
    std::fs::write(output, curve.to_json() + "\n")
        .map_err(|e| (format!("cannot write {shown}: {e}"), EXIT_UNREADABLE))?;
    println!(
        "{shown}: \"{}\", {} points from {:.0} Hz to {:.0} Hz, {} file{}{}",
        curve.name,
        curve.frequency_hz.len(),
        curve.frequency_hz[0],
        curve.frequency_hz[curve.frequency_hz.len() - 1],
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        if curve.has_band() {
            ", with the files' envelope as the band"
        } else {
            ""
        }
    );
    Ok(())
}

fn print_targets() {
    for t in targets() {
        println!("{:<14} {}", t.id, t.name);
        let tolerance = t
            .tolerance_lu
            .map_or(String::new(), |tol| format!(" +-{tol} LU"));
        println!(
            "               {:.1} LUFS{tolerance}, true peak <= {:.1} dBTP, gain: {}",
            t.integrated_lufs,
            t.max_true_peak_dbtp,
            t.gain.id()
        );
        println!("               source: {}", t.source);
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version print to stdout and exit 0; usage errors to stderr, 2.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match cli.command {
        Command::Analyze(args) => analyze_command(&args),
        Command::Targets => {
            print_targets();
            ExitCode::SUCCESS
        }
        Command::Reference(command) => reference_command(command),
    }
}

/// What became of one input, for the exit status and the summary table.
enum Outcome {
    /// `incomplete`: truncated, or its normalized file could not be written (exit status 1).
    Read {
        pass: bool,
        incomplete: bool,
    },
    Unreadable,
}

fn analyze_command(args: &AnalyzeArgs) -> ExitCode {
    let options = match resolve(args) {
        Ok(options) => options,
        Err(message) => {
            let mut command = Cli::command();
            command.build();
            let usage = command
                .find_subcommand_mut("analyze")
                .map(|c| c.render_usage().to_string())
                .unwrap_or_default();
            eprintln!("mixmeter: {message}\n\n{usage}\n\nFor more information, try '--help'.");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    analysis::record_panic_messages();
    let inputs = collect_inputs(&args.paths);
    let csv_columns = csv_header(
        &options.targets,
        options.profile.as_ref(),
        options.reference.is_some(),
        options.ceiling_dbtp.is_some(),
        options.album,
    );
    if options.csv {
        println!("{csv_columns}");
    }
    let csv_width = csv_columns.split(',').count();
    let files: Vec<&Source> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::Source(source) => Some(source),
            Input::Problem(..) => None,
        })
        .collect();
    let jobs = options.jobs.min(files.len()).max(1);
    let slots: Vec<analysis::Progress> = (0..jobs).map(|_| analysis::Progress::default()).collect();
    let progress = Progress {
        enabled: std::io::stderr().is_terminal(),
        total: files.len(),
    };
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut summary: Vec<(String, Option<Readings>, bool)> = Vec::new();
    let mut out = Records {
        defer: options.album,
        deferred: Vec::new(),
    };
    let mut album = options.album.then(Album::new);
    let report_problem = |name: &str,
                          message: &str,
                          summary: &mut Vec<_>,
                          out: &mut Records,
                          album: &mut Option<Album>| {
        eprintln!("mixmeter: {name}: {message}");
        if options.json {
            out.json(error_json(name, message), None);
        } else if options.csv {
            out.csv(csv_error_row(name, message, csv_width), None);
        }
        summary.push((name.to_string(), None, false));
        if let Some(album) = album {
            album.left_out.push(name.to_string());
        }
    };
    let next = AtomicUsize::new(0);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for slot in &slots {
            let sender = sender.clone();
            let (next, files) = (&next, &files);
            let measure = analysis::Options {
                series: options.series,
                spectrum: options.reference.is_some(),
                dual_mono: options.dual_mono,
                ceiling_dbtp: options.ceiling_dbtp,
                pool: options.album,
            };
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(source) = files.get(index) else {
                        break;
                    };
                    slot.done_frames.store(0, Ordering::Relaxed);
                    slot.total_frames.store(0, Ordering::Relaxed);
                    let result = analysis::analyze(source.as_input(), &measure, Some(slot))
                        .map_err(|e| e.to_string());
                    slot.total_frames.store(0, Ordering::Relaxed);
                    if sender.send((index, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // Results are printed in the order the inputs were named, as soon as all before
        // them are done; a problem found while listing them is printed in its place.
        let mut pending: BTreeMap<usize, Result<FileAnalysis, String>> = BTreeMap::new();
        let mut printed = 0;
        let mut done = 0;
        let mut inputs = inputs.iter().peekable();
        progress.draw(0, &slots);
        loop {
            while let Some(Input::Problem(name, message)) = inputs.peek() {
                progress.clear();
                report_problem(
                    name.as_str(),
                    message.as_str(),
                    &mut summary,
                    &mut out,
                    &mut album,
                );
                outcomes.push(Outcome::Unreadable);
                inputs.next();
            }
            if let Some(result) = pending.remove(&printed) {
                inputs.next();
                progress.clear();
                let file = files[printed].name();
                match result {
                    Ok(analysis) => {
                        let checks: Vec<Check> = options
                            .targets
                            .iter()
                            .map(|t| Check::new(t, &analysis.readings))
                            .collect();
                        let pass = checks.iter().all(|c| c.preview.pass);
                        let comparison = options.reference.as_ref().map(|curve| {
                            let mix = analysis.spectrum.as_ref();
                            (curve, mix.and_then(|m| compare_tonal(m, curve)))
                        });
                        let tonal = comparison.as_ref().map(|(curve, c)| (*curve, c.as_ref()));
                        let graded = options.profile.as_ref().map(|profile| {
                            let inputs = checks::Inputs {
                                readings: &analysis.readings,
                                tonal: tonal.and_then(|t| t.1),
                            };
                            (profile, checks::run(profile, &inputs))
                        });
                        let graded = graded.as_ref().map(|(p, items)| (*p, items.as_slice()));
                        let failed_check = graded.is_some_and(|(_, items)| {
                            checks::worst(items) == Some(checks::Status::Fail)
                        });
                        if let Some(truncation) = analysis.truncation() {
                            eprintln!("mixmeter: {file}: {truncation}");
                        }
                        if options.dual_mono && !analysis.dual_mono {
                            eprintln!(
                                "mixmeter: {file}: --dual-mono applies to mono files; this one \
                                 has {} channels and is measured as it is",
                                analysis.info.channels
                            );
                        }
                        let normalized = match (&options.normalize, files[printed]) {
                            (Some(n), Source::File(path)) => {
                                Some(normalize_file(n, &analysis, path, options.ceiling_dbtp))
                            }
                            _ => None,
                        };
                        if let Some(Err(message)) = &normalized {
                            eprintln!("mixmeter: {file}: {message}");
                        }
                        if let Some(album) = album.as_mut() {
                            album.add(&analysis);
                        }
                        let track_lufs = analysis.readings.integrated_lufs;
                        if options.json {
                            let mut record = to_json(
                                &analysis,
                                options.series,
                                options.ceiling_dbtp,
                                &checks,
                                graded,
                                tonal,
                            );
                            if let Some(n) = &normalized {
                                record["normalized"] = normalized_json(&options, n);
                            }
                            out.json(record, Some(track_lufs));
                        } else if options.csv {
                            out.csv(
                                csv_row(&analysis, &checks, graded, tonal.map(|t| t.1)),
                                Some(track_lufs),
                            );
                        } else {
                            if printed > 0 {
                                println!();
                            }
                            print_summary(&analysis, options.ceiling_dbtp);
                            if let Some(stereo) = &analysis.stereo {
                                print_stereo(stereo);
                            }
                            if !checks.is_empty() {
                                println!("  Delivery targets");
                                for check in &checks {
                                    check.print();
                                }
                            }
                            if let Some((curve, c)) = tonal {
                                print_tonal(curve, c);
                            }
                            if let Some((profile, items)) = graded {
                                print_checks(profile, items);
                            }
                            print_suggestions(&ranked_suggestions(
                                &analysis,
                                tonal.and_then(|t| t.1),
                            ));
                            if let Some(n) = &normalized {
                                print_normalized(&options, n);
                            }
                        }
                        outcomes.push(Outcome::Read {
                            pass: pass && !failed_check,
                            incomplete: analysis.truncated_from().is_some()
                                || matches!(normalized, Some(Err(_))),
                        });
                        summary.push((file, Some(analysis.readings), pass && !failed_check));
                    }
                    Err(message) => {
                        report_problem(&file, &message, &mut summary, &mut out, &mut album);
                        outcomes.push(Outcome::Unreadable);
                    }
                }
                printed += 1;
                continue;
            }
            if inputs.peek().is_none() {
                break;
            }
            match receiver.recv_timeout(PROGRESS_REDRAW) {
                Ok((index, result)) => {
                    pending.insert(index, result);
                    done += 1;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
            progress.draw(done, &slots);
        }
        progress.clear();
    });
    if !options.json && !options.csv && summary.len() > 1 {
        print_table(
            &summary,
            !options.targets.is_empty() || options.profile.is_some(),
        );
    }
    if let Some(album) = &album {
        let reading = album.reading();
        out.flush(reading.integrated_lufs);
        if options.json {
            println!("{}", album_json(album, &reading));
        } else if options.csv {
            println!("{}", album_csv_row(&reading, csv_width));
        } else {
            print_album(album, &reading);
        }
    }
    let unreadable = outcomes.iter().any(|o| {
        matches!(
            o,
            Outcome::Unreadable
                | Outcome::Read {
                    incomplete: true,
                    ..
                }
        )
    });
    let missed = outcomes
        .iter()
        .any(|o| matches!(o, Outcome::Read { pass: false, .. }));
    if unreadable {
        ExitCode::from(EXIT_UNREADABLE)
    } else if missed {
        ExitCode::from(EXIT_TARGET_MISSED)
    } else {
        ExitCode::SUCCESS
    }
}

/// The JSON or CSV records, printed at once or (with `--album`) held until the album's
/// loudness is known, each track's relative level then added.
struct Records {
    defer: bool,
    /// Each held record with its track's loudness; `None` for an input that could not be
    /// read (its record gets no relative level: its CSV row has the column empty already).
    deferred: Vec<(Record, Option<Option<f64>>)>,
}

enum Record {
    Json(Value),
    Csv(String),
}

impl Records {
    fn json(&mut self, value: Value, track_lufs: Option<Option<f64>>) {
        if self.defer {
            self.deferred.push((Record::Json(value), track_lufs));
        } else {
            println!("{value}");
        }
    }

    fn csv(&mut self, row: String, track_lufs: Option<Option<f64>>) {
        if self.defer {
            self.deferred.push((Record::Csv(row), track_lufs));
        } else {
            println!("{row}");
        }
    }

    /// Prints the held records with `album_relative_lu` (track minus album, LU).
    fn flush(&mut self, album_lufs: Option<f64>) {
        for (record, track) in self.deferred.drain(..) {
            let Some(track) = track else {
                match record {
                    Record::Json(value) => println!("{value}"),
                    Record::Csv(row) => println!("{row}"),
                }
                continue;
            };
            let relative = track.zip(album_lufs).map(|(t, a)| t - a);
            match record {
                Record::Json(mut value) => {
                    value["album_relative_lu"] = number(relative);
                    println!("{value}");
                }
                Record::Csv(row) => println!("{row},{}", csv_number(relative)),
            }
        }
    }
}

/// The album of `--album`: every track's gating blocks and short-term values pooled
/// (`IntegratedHistogram::merge`, see `meter::gating`), in the order named.
struct Album {
    integrated: IntegratedHistogram,
    range: RangeHistogram,
    tracks: Vec<Track>,
    left_out: Vec<String>,
}

/// One track of the album: (file, integrated LUFS, duration s, true peak dBTP, sample peak
/// dBFS).
type Track = (String, Option<f64>, f64, Option<f64>, Option<f64>);

/// The album's readings.
struct AlbumReading {
    integrated_lufs: Option<f64>,
    loudness_range_lu: Option<f64>,
    duration_s: f64,
    true_peak_dbtp: Option<f64>,
    /// Index of the track with the album's true peak.
    true_peak_track: Option<usize>,
    sample_peak_dbfs: Option<f64>,
}

impl Album {
    fn new() -> Self {
        Self {
            integrated: IntegratedHistogram::new(),
            range: RangeHistogram::new(),
            tracks: Vec::new(),
            left_out: Vec::new(),
        }
    }

    fn add(&mut self, a: &FileAnalysis) {
        if let Some(pooled) = &a.pooled {
            self.integrated.merge(&pooled.0);
            self.range.merge(&pooled.1);
        }
        let r = &a.readings;
        self.tracks.push((
            a.file.clone(),
            r.integrated_lufs,
            a.frames as f64 / a.info.sample_rate_hz as f64,
            r.max_true_peak_dbtp,
            r.max_sample_peak_dbfs,
        ));
    }

    fn reading(&self) -> AlbumReading {
        let mut true_peak: Option<(usize, f64)> = None;
        for (i, t) in self.tracks.iter().enumerate() {
            if let Some(p) = t.3
                && true_peak.is_none_or(|(_, q)| p > q)
            {
                true_peak = Some((i, p));
            }
        }
        AlbumReading {
            integrated_lufs: self.integrated.integrated_lufs(),
            loudness_range_lu: self.range.loudness_range_lu(),
            duration_s: self.tracks.iter().map(|t| t.2).sum(),
            true_peak_dbtp: true_peak.map(|t| t.1),
            true_peak_track: true_peak.map(|t| t.0),
            sample_peak_dbfs: self
                .tracks
                .iter()
                .filter_map(|t| t.4)
                .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.max(p)))),
        }
    }
}

/// The album record of `--album --json` (docs/cli.md, "Output schema").
fn album_json(album: &Album, r: &AlbumReading) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "album": {
            "tracks": album.tracks.len(),
            "duration_s": r.duration_s,
            "integrated_lufs": number(r.integrated_lufs),
            "loudness_range_lu": number(r.loudness_range_lu),
            "loudness_range_reliable": r.duration_s >= RANGE_SETTLED_S,
            "true_peak_dbtp": number(r.true_peak_dbtp),
            "true_peak_file": r.true_peak_track.map(|i| album.tracks[i].0.clone()),
            "sample_peak_dbfs": number(r.sample_peak_dbfs),
            "plr_db": number(r.true_peak_dbtp.zip(r.integrated_lufs).map(|(p, i)| p - i)),
            "files": album.tracks.iter().map(|t| json!({
                "file": t.0,
                "integrated_lufs": number(t.1),
                "relative_lu": number(t.1.zip(r.integrated_lufs).map(|(t, a)| t - a)),
            })).collect::<Vec<_>>(),
            "left_out": album.left_out,
        }
    })
}

/// The album's CSV row: `file` is "(album)", `codec` "album", the loudness and peak columns
/// the album's, the rest empty.
fn album_csv_row(r: &AlbumReading, columns: usize) -> String {
    let mut fields = vec![String::new(); columns];
    let mut set = |name: &str, value: String| {
        if let Some(i) = CSV_COLUMNS.iter().position(|c| *c == name) {
            fields[i] = value;
        }
    };
    set("file", ALBUM_ROW_NAME.to_string());
    set("codec", "album".to_string());
    set("duration_s", format!("{:.3}", r.duration_s));
    set("integrated_lufs", csv_number(r.integrated_lufs));
    set("loudness_range_lu", csv_number(r.loudness_range_lu));
    set(
        "loudness_range_reliable",
        (r.duration_s >= RANGE_SETTLED_S).to_string(),
    );
    set("true_peak_dbtp", csv_number(r.true_peak_dbtp));
    set("sample_peak_dbfs", csv_number(r.sample_peak_dbfs));
    set(
        "plr_db",
        csv_number(r.true_peak_dbtp.zip(r.integrated_lufs).map(|(p, i)| p - i)),
    );
    fields.join(",")
}

fn print_album(album: &Album, r: &AlbumReading) {
    println!();
    println!(
        "Album: {} track{} played in the order named, {}",
        album.tracks.len(),
        if album.tracks.len() == 1 { "" } else { "s" },
        clock(r.duration_s)
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
        "  True peak             {}{}",
        text(r.true_peak_dbtp, "dBTP"),
        r.true_peak_track
            .map_or(String::new(), |i| format!(" in {}", album.tracks[i].0))
    );
    println!("  Each track against the album");
    for (file, lufs, _, _, _) in &album.tracks {
        let relative = lufs
            .zip(r.integrated_lufs)
            .map_or("no value".to_string(), |(t, a)| {
                format!("{:+.1} LU", signed_tenths(t - a))
            });
        println!("    {relative:>9}  {file} ({})", text(*lufs, "LUFS"));
    }
    for file in &album.left_out {
        println!("    left out (unreadable): {file}");
    }
    println!(
        "  (every track's 400 ms gating blocks and 3 s short-term values pooled, BS.1770-5 and \
         Tech 3342; no block spans two tracks)"
    );
}

/// A written normalized file and what it measured.
struct Normalized {
    output: PathBuf,
    target_lufs: f64,
    gain_db: f64,
    depth: Depth,
    /// The true peak the gain alone gives (before any limiter), dBTP.
    peak_after_gain_dbtp: Option<f64>,
    rendered: normalize::Rendered,
    limit_dbtp: Option<f64>,
}

/// `--normalize-to`: the refusals that need the measurement, then the render.
fn normalize_file(
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
    let weights = if a.dual_mono {
        vec![analysis::DUAL_MONO_WEIGHT]
    } else {
        layout::weights(&a.info.layout)
    };
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
fn normalize_ceiling(options: &Options) -> f64 {
    options.ceiling_dbtp.map_or(0.0, |c| c.min(0.0))
}

/// The `normalized` object of the JSON output (docs/cli.md, "Output schema").
fn normalized_json(options: &Options, n: &Result<Normalized, String>) -> Value {
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

fn print_normalized(options: &Options, n: &Result<Normalized, String>) {
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

/// The summary table after several files.
fn print_table(rows: &[(String, Option<Readings>, bool)], with_targets: bool) {
    let cell = |v: Option<f64>| {
        v.filter(|v| v.is_finite())
            .map_or("-".to_string(), |v| format!("{v:.1}"))
    };
    let width = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    println!();
    println!(
        "{:<width$}  {:>9}  {:>6}  {:>9}  {:>6}{}",
        "File",
        "LUFS",
        "LRA",
        "dBTP",
        "PLR",
        if with_targets { "  checks" } else { "" }
    );
    for (file, readings, pass) in rows {
        let shown: String = if file.chars().count() > width {
            let tail: String = file
                .chars()
                .rev()
                .take(width - 3)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("...{tail}")
        } else {
            file.clone()
        };
        match readings {
            Some(r) => println!(
                "{shown:<width$}  {:>9}  {:>6}  {:>9}  {:>6}{}",
                cell(r.integrated_lufs),
                cell(r.loudness_range_lu),
                cell(r.max_true_peak_dbtp),
                cell(r.plr_db),
                if with_targets {
                    if *pass { "  pass" } else { "  FAIL" }
                } else {
                    ""
                }
            ),
            None => println!("{shown:<width$}  unreadable"),
        }
    }
}
