//! `mixmeter analyze PATH... [--json | --csv] ...`: the plugin's meter core run over audio
//! files.
//!
//! Each file is decoded (see `mixmeter::decode`) and fed to the same `Meter` the plugin uses,
//! so a file analyzed here and the same audio played through the plugin give the same numbers.
//! Every input is accounted for: an unreadable file (or a folder without audio files) gets a
//! line on stderr naming it and the problem and, with `--json` / `--csv`, a record with its
//! `error`; the other files are still analyzed, and the exit status is 1. A file shorter than
//! its header says is measured as far as it goes and reported `truncated`. The command line is
//! parsed by clap; its help text is the README's usage text (a test compares them). The
//! JSON schema is documented in the README.

use clap::{Args, CommandFactory, Parser, Subcommand};
use mixmeter::decode::{AudioFile, StreamInfo};
use mixmeter::diagnosis::checks::{self, Item, Profile};
use mixmeter::diagnosis::platforms::{self, Preview, Target, targets};
use mixmeter::diagnosis::stereo::{
    Mix, MonoCompatibility, StereoBand, Verdict, mono_compatibility, signed_tenths,
};
use mixmeter::diagnosis::suggestions::{self, Candidate, Findings};
use mixmeter::diagnosis::{REGIONS, TonalComparison, compare_tonal};
use mixmeter::meter::MAX_CHANNELS;
use mixmeter::meter::engine::{Meter, MeterConfig, RANGE_SETTLED_S, Readings};
use mixmeter::meter::layout;
use mixmeter::meter::spectrum::PowerSpectrum;
use mixmeter::meter::stereo::WIDTH_LIMIT_DB;
use mixmeter::reference::{self, Curve};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Decoded blocks queued between the decoding and the measuring thread of a file.
const BLOCKS_IN_FLIGHT: usize = 8;
/// One `--series` value per this many seconds.
const SERIES_STEP_S: f64 = 0.1;
/// Version of the JSON and CSV output (README, "Output schema").
const SCHEMA_VERSION: u32 = 6;
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
     are still printed, and each JSON/CSV record has its own error and pass fields)
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
    /// MP4/M4A; any sample rate; mono, stereo and multichannel up to 7.1 (BS.1770 channel
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

struct Analysis {
    file: String,
    info: StreamInfo,
    frames: u64,
    readings: Readings,
    momentary: Vec<Option<f64>>,
    short_term: Vec<Option<f64>>,
    /// The long-term average spectrum, when a reference comparison was asked for.
    spectrum: Option<PowerSpectrum>,
    /// Mono compatibility per band over the whole file (stereo files).
    stereo: Option<MonoCompatibility>,
}

impl Analysis {
    /// The frames the header promised, when fewer were there to decode.
    fn truncated_from(&self) -> Option<u64> {
        self.info.stated_frames.filter(|&n| self.frames < n)
    }

    /// What the header promised and what was there, when the file is truncated.
    fn truncation_detail(&self) -> Option<String> {
        self.truncated_from().map(|stated| {
            let rate = self.info.sample_rate_hz as f64;
            format!(
                "the header states {:.3} s, the file holds {:.3} s (measured what is there)",
                stated as f64 / rate,
                self.frames as f64 / rate
            )
        })
    }

    /// The file's error when it is truncated (stderr, JSON and CSV `error`).
    fn truncation(&self) -> Option<String> {
        self.truncation_detail().map(|d| format!("truncated: {d}"))
    }
}

/// An input to analyze: a file, or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    File(PathBuf),
    Stdin,
}

impl Source {
    fn name(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Stdin => STDIN_NAME.to_string(),
        }
    }
}

/// How far the file a worker is measuring has got, for the progress line.
#[derive(Default)]
struct Slot {
    done_frames: AtomicU64,
    /// 0 while unknown.
    total_frames: AtomicU64,
}

fn analyze(source: &Source, series: bool, spectrum: bool, slot: &Slot) -> Result<Analysis, String> {
    let file = match source {
        Source::File(path) => AudioFile::open(path),
        Source::Stdin => AudioFile::from_stdin(),
    }
    .map_err(|e| e.to_string())?;
    let info = file.info().clone();
    slot.total_frames
        .store(info.approx_frames.unwrap_or(0), Ordering::Relaxed);
    if info.channels == 0 || info.channels > MAX_CHANNELS {
        return Err(format!(
            "{} channels (the analyzer measures 1 to {MAX_CHANNELS} channels, up to 7.1)",
            info.channels
        ));
    }
    let weights = layout::weights(&info.layout);
    let mut config =
        MeterConfig::new(info.sample_rate_hz as f64, info.channels).with_weights(&weights);
    // Stereo files always run the spectrum: its frames feed the stereo image per band.
    config.spectrum = spectrum || info.channels == 2;
    let mut meter = Meter::new(config).map_err(|e| e.to_string())?;
    let series_step = (info.sample_rate_hz as f64 * SERIES_STEP_S).round() as u64;
    let mut next_series_frame = series_step;
    let mut frames: u64 = 0;
    let mut momentary = Vec::new();
    let mut short_term = Vec::new();
    // Decoding and measuring run on two threads: the decoder hands over owned blocks through
    // a short queue, and the buffers come back to be reused.
    let (blocks, received) = crossbeam::channel::bounded::<Vec<Vec<f32>>>(BLOCKS_IN_FLIGHT);
    let (recycle, reusable) = crossbeam::channel::bounded::<Vec<Vec<f32>>>(BLOCKS_IN_FLIGHT + 2);
    let decoded = std::thread::scope(|scope| {
        let decoder = scope.spawn(move || {
            file.decode(|block| {
                let mut owned = reusable.try_recv().unwrap_or_default();
                owned.resize_with(block.len(), Vec::new);
                for (to, from) in owned.iter_mut().zip(block) {
                    to.clear();
                    to.extend_from_slice(from);
                }
                // The receiver only goes away when measuring has failed.
                let _ = blocks.send(owned);
            })
        });
        for block in received {
            let len = block.first().map_or(0, Vec::len);
            let mut start = 0;
            while start < len {
                // With --series, feed up to each 100 ms boundary and read M and S there (the
                // readings do not depend on how the audio is sliced).
                let end = if series {
                    (start as u64 + (next_series_frame - frames)).min(len as u64) as usize
                } else {
                    len
                };
                let mut piece: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
                for (p, c) in piece.iter_mut().zip(&block) {
                    *p = &c[start..end];
                }
                meter.process(&piece[..block.len().min(MAX_CHANNELS)]);
                frames += (end - start) as u64;
                slot.done_frames.store(frames, Ordering::Relaxed);
                start = end;
                if series && frames == next_series_frame {
                    // The largest value since the previous point (the meter moves every
                    // 5 ms), so a burst between two points is not read low.
                    let (max_momentary, max_short_term) = meter.take_loudness_maxima();
                    momentary.push(max_momentary);
                    short_term.push(max_short_term);
                    next_series_frame += series_step;
                }
            }
            let _ = recycle.try_send(block);
        }
        decoder.join()
    });
    match decoded {
        Ok(result) => result.map_err(|e| e.to_string())?,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            return Err(format!(
                "corrupt audio data (the decoder failed: {message})"
            ));
        }
    }
    if let Some(analyzer) = meter.spectrum_mut() {
        analyzer.flush();
    }
    let readings = meter.readings();
    let stereo = meter
        .stereo_bands()
        .map(|bands| mono_compatibility(&bands.whole_window(), &Mix::whole(&readings)));
    let spectrum = spectrum
        .then(|| meter.spectrum().map(|a| a.long_term().to_owned()))
        .flatten();
    Ok(Analysis {
        file: source.name(),
        info,
        frames,
        readings,
        momentary,
        short_term,
        spectrum,
        stereo,
    })
}

thread_local! {
    /// The message of the last panic on this thread (see `analyze_contained`).
    static PANIC_MESSAGE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// [`analyze`], with a panic inside a decoder (a bug in it, on corrupt data) turned into that
/// file's error instead of ending the run: the other files are still analyzed.
fn analyze_contained(
    source: &Source,
    series: bool,
    spectrum: bool,
    slot: &Slot,
) -> Result<Analysis, String> {
    match std::panic::catch_unwind(|| analyze(source, series, spectrum, slot)) {
        Ok(result) => result,
        Err(_) => {
            let message = PANIC_MESSAGE.with(|m| m.borrow_mut().take());
            Err(format!(
                "corrupt audio data (the decoder failed: {})",
                message.unwrap_or_else(|| "no message".to_string())
            ))
        }
    }
}

/// The text a panic was raised with, if it was a string.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

/// Records panic messages for `analyze_contained` instead of printing them: the file's error
/// line says what happened.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = panic_message(info.payload()).unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(format!("{message}{location}")));
    }));
}

/// JSON number, or null for "no value".
fn number(value: Option<f64>) -> Value {
    value
        .filter(|v| v.is_finite())
        .map_or(Value::Null, |v| json!(v))
}

fn to_json(
    a: &Analysis,
    series: bool,
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
        "non_finite_samples": r.non_finite_samples,
        "truncated": a.truncated_from().is_some(),
        "stated_duration_s": a.truncated_from().map_or(Value::Null, |n| json!(n as f64 / a.info.sample_rate_hz as f64)),
        "error": a.truncation(),
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
fn ranked_suggestions(a: &Analysis, tonal: Option<&TonalComparison>) -> Vec<Candidate> {
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

/// The JSON record of an input that could not be analyzed (README, "Output schema").
fn error_json(file: &str, error: &str) -> Value {
    json!({"schema_version": SCHEMA_VERSION, "file": file, "error": error})
}

/// The `checks` object of the JSON output (README, "Output schema").
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

/// The `tonal` object of the JSON output (README, "Output schema").
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

/// The `stereo` object of the JSON output (README, "Output schema").
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
}

impl Check {
    fn new(target: &Target, r: &Readings) -> Check {
        Check {
            id: target.id.clone(),
            name: target.name.clone(),
            preview: platforms::preview(target, r),
        }
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
        })
    }

    /// One sentence per target (`diagnosis::platforms::Preview::sentence`).
    fn print(&self) {
        println!("    {}", self.preview.sentence);
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

fn csv_header(targets: &[Target], profile: Option<&Profile>, tonal: bool) -> String {
    let mut columns: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
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
    a: &Analysis,
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
    ];
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
    fn draw(&self, done: usize, slots: &[Slot]) {
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
    Ok(Options {
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
    install_panic_hook();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let curve = std::panic::catch_unwind(|| reference::audio::curve_from_files(&name, &refs))
        .unwrap_or_else(|_| {
            let message = PANIC_MESSAGE
                .with(|m| m.borrow_mut().take())
                .unwrap_or_default();
            Err(format!(
                "corrupt audio data (the decoder failed: {message})"
            ))
        })
        .map_err(|m| (m, EXIT_UNREADABLE))?;
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
    Read { pass: bool, truncated: bool },
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
    install_panic_hook();
    let inputs = collect_inputs(&args.paths);
    let csv_columns = csv_header(
        &options.targets,
        options.profile.as_ref(),
        options.reference.is_some(),
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
    let slots: Vec<Slot> = (0..jobs).map(|_| Slot::default()).collect();
    let progress = Progress {
        enabled: std::io::stderr().is_terminal(),
        total: files.len(),
    };
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut summary: Vec<(String, Option<Readings>, bool)> = Vec::new();
    let report_problem = |name: &str, message: &str, summary: &mut Vec<_>| {
        eprintln!("mixmeter: {name}: {message}");
        if options.json {
            println!("{}", error_json(name, message));
        } else if options.csv {
            println!("{}", csv_error_row(name, message, csv_width));
        }
        summary.push((name.to_string(), None, false));
    };
    let next = AtomicUsize::new(0);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for slot in &slots {
            let sender = sender.clone();
            let (next, files, series) = (&next, &files, options.series);
            let spectrum = options.reference.is_some();
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(source) = files.get(index) else {
                        break;
                    };
                    slot.done_frames.store(0, Ordering::Relaxed);
                    slot.total_frames.store(0, Ordering::Relaxed);
                    let result = analyze_contained(source, series, spectrum, slot);
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
        let mut pending: BTreeMap<usize, Result<Analysis, String>> = BTreeMap::new();
        let mut printed = 0;
        let mut done = 0;
        let mut inputs = inputs.iter().peekable();
        progress.draw(0, &slots);
        loop {
            while let Some(Input::Problem(name, message)) = inputs.peek() {
                progress.clear();
                report_problem(name.as_str(), message.as_str(), &mut summary);
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
                        if options.json {
                            println!(
                                "{}",
                                to_json(&analysis, options.series, &checks, graded, tonal)
                            );
                        } else if options.csv {
                            println!(
                                "{}",
                                csv_row(&analysis, &checks, graded, tonal.map(|t| t.1))
                            );
                        } else {
                            if printed > 0 {
                                println!();
                            }
                            print_summary(&analysis);
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
                        }
                        outcomes.push(Outcome::Read {
                            pass: pass && !failed_check,
                            truncated: analysis.truncated_from().is_some(),
                        });
                        summary.push((file, Some(analysis.readings), pass && !failed_check));
                    }
                    Err(message) => {
                        report_problem(&file, &message, &mut summary);
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
    let unreadable = outcomes.iter().any(|o| {
        matches!(
            o,
            Outcome::Unreadable
                | Outcome::Read {
                    truncated: true,
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
