//! `mixmeter analyze FILE... [--json] [--series]`: the plugin's meter core run over audio files.
//!
//! Each file is decoded (see `mixmeter::decode`) and fed to the same `Meter` the plugin uses,
//! so a file analyzed here and the same audio played through the plugin give the same numbers.
//! An unreadable file gets one line on stderr naming it and the problem; the other files are
//! still analyzed, and the exit status is 1. The JSON schema is documented in the README.

use mixmeter::decode::{AudioFile, StreamInfo};
use mixmeter::diagnosis::checks::{self, Item, Profile};
use mixmeter::diagnosis::platforms::{self, Preview, Target, targets};
use mixmeter::diagnosis::stereo::{
    MonoCompatibility, StereoBand, mono_compatibility, signed_tenths,
};
use mixmeter::diagnosis::{REGIONS, TonalComparison, compare_tonal};
use mixmeter::meter::MAX_CHANNELS;
use mixmeter::meter::engine::{Meter, MeterConfig, RANGE_SETTLED_S, Readings};
use mixmeter::meter::layout;
use mixmeter::meter::spectrum::PowerSpectrum;
use mixmeter::meter::stereo::WIDTH_LIMIT_DB;
use mixmeter::reference::{self, Curve};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Decoded blocks queued between the decoding and the measuring thread of a file.
const BLOCKS_IN_FLIGHT: usize = 8;
/// One `--series` value per this many seconds.
const SERIES_STEP_S: f64 = 0.1;
/// Version of the JSON and CSV output (README, "Output schema").
const SCHEMA_VERSION: u32 = 5;
/// File extensions a folder is searched for.
const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "aif", "aiff", "aifc", "caf", "flac", "mp3", "ogg", "oga", "m4a", "mp4", "aac",
];

/// Exit status when a file misses a `--target`.
const EXIT_TARGET_MISSED: u8 = 3;

const USAGE: &str = "Usage: mixmeter analyze PATH... [--json | --csv] [--series] [--target ID]...
                        [--check PROFILE] [--reference CURVE] [--jobs N]
       mixmeter reference build PATH... -o CURVE.json [--name NAME]
       mixmeter reference list
       mixmeter targets

Measures loudness (EBU R128 / ITU-R BS.1770-5), loudness range, true peak, dynamics and
stereo of audio files: WAV, AIFF, CAF, FLAC, MP3, Ogg Vorbis, AAC and ALAC (MP4/M4A); any
sample rate; mono, stereo and multichannel up to 7.1 (BS.1770 channel weights, LFE excluded).
A folder is searched recursively for audio files. Files are analyzed in parallel.

  --json        one JSON object per file (one per line) instead of the readable summary
  --csv         one CSV row per file, with a header line
  --series      add momentary and short-term loudness, one value per 100 ms: the largest
                since the previous value (JSON)
  --target ID   check against a delivery target: prints the gain its normalization would
                apply, the true peak after it, and whether the platform turns the mix down,
                raises it, holds it back by its peak or limits it; exit status 3 if a file
                misses it (over the ceiling after the gain, or limited by the platform).
                IDs: spotify, spotify-loud, apple, youtube, amazon, tidal, deezer,
                aes-streaming, ebu-r128, atsc-a85 (`mixmeter targets` lists them with their
                sources)
  --check PROFILE
                grade each file with a checklist: pre-master (a mix going to mastering:
                headroom, loudness, crest, PLR, mono, tonal balance) or delivery (a master
                going to streaming); each item pass, warn or fail with the measured value and
                the threshold's source (presets/checks.json); exit status 3 if an item fails.
                The tonal item needs --reference.
  --reference CURVE
                compare each file's tonal balance with a reference curve (a curve file, or
                builtin:ID for a built-in slope, see `mixmeter reference list`): deviation
                per region after level matching, and suggestions where it is outside the
                curve's tolerance
  --jobs N      files analyzed at once (default: the number of CPUs)

`reference build` makes a curve from reference audio: the long-term average spectrum of each
file, level-matched; with several files the median and the files' envelope as the band.

Exit status: 0 all good, 1 a file could not be read, 2 bad usage, 3 a file missed a target
or failed a check.";

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

fn analyze(path: &Path, series: bool, spectrum: bool) -> Result<Analysis, String> {
    let file = AudioFile::open(path).map_err(|e| e.to_string())?;
    let info = file.info().clone();
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
    let stereo = meter.stereo_bands().map(|bands| {
        mono_compatibility(
            &bands.whole_window(),
            readings.integrated_correlation,
            readings.mono_loss_integrated_lu,
        )
    });
    let spectrum = spectrum
        .then(|| meter.spectrum().map(|a| a.long_term().to_owned()))
        .flatten();
    Ok(Analysis {
        file: path.display().to_string(),
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
fn analyze_contained(path: &Path, series: bool, spectrum: bool) -> Result<Analysis, String> {
    match std::panic::catch_unwind(|| analyze(path, series, spectrum)) {
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
    });
    if !checks.is_empty() {
        object["targets"] = checks.iter().map(Check::to_json).collect();
    }
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
        "verdict": s.verdict.id(),
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
    println!("  Mono compatibility    {}", s.verdict.label());
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
            "pass": self.preview.pass,
            "problems": self.preview.problems,
        })
    }

    fn print(&self) {
        let p = &self.preview;
        let verdict = if p.pass { "pass" } else { "FAIL" };
        match (p.gain_db, p.true_peak_after_dbtp) {
            (Some(gain), Some(after)) => println!(
                "  {:<26} {verdict}  gain {gain:+.1} dB, true peak after {after:.1} dBTP ({})",
                self.name,
                p.action.map_or(String::new(), |a| a.describe())
            ),
            _ => println!("  {:<26} {verdict}", self.name),
        }
        for problem in &p.problems {
            println!("      {problem}");
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
];

fn csv_header(targets: &[Target], tonal: bool) -> String {
    let mut columns: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
    for t in targets {
        columns.push(format!("{}_gain_db", t.id));
        columns.push(format!("{}_true_peak_after_dbtp", t.id));
        columns.push(format!("{}_pass", t.id));
    }
    if tonal {
        for region in REGIONS {
            columns.push(format!("tonal_{}_db", region.id));
        }
    }
    columns.join(",")
}

fn csv_row(a: &Analysis, checks: &[Check], tonal: Option<Option<&TonalComparison>>) -> String {
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
            .map_or(String::new(), |s| s.verdict.id().to_string()),
    ];
    for c in checks {
        fields.push(csv_number(c.preview.gain_db));
        fields.push(csv_number(c.preview.true_peak_after_dbtp));
        fields.push(c.preview.pass.to_string());
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

/// Files named on the command line, folders searched recursively (sorted, audio extensions
/// only). Paths that do not exist are returned as errors.
fn collect_inputs(paths: &[&String]) -> Vec<Result<PathBuf, String>> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<Result<PathBuf, String>>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                out.push(Err(format!("{}: cannot read folder: {e}", dir.display())));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                if depth < 64 {
                    walk(&path, depth + 1, out);
                }
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(Ok(path));
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p.as_str());
        if path.is_dir() {
            walk(path, 0, &mut out);
        } else {
            out.push(Ok(path.to_path_buf()));
        }
    }
    out
}

/// A progress line on stderr while files are analyzed (only on a terminal).
struct Progress {
    enabled: bool,
    total: usize,
}

impl Progress {
    fn draw(&self, done: usize) {
        if self.enabled {
            let width = 30;
            let filled = done * width / self.total.max(1);
            eprint!(
                "\r\x1b[2K[{}{}] {done}/{} files",
                "=".repeat(filled),
                " ".repeat(width - filled),
                self.total
            );
        }
    }

    fn clear(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}

struct Options {
    json: bool,
    csv: bool,
    series: bool,
    targets: Vec<Target>,
    profile: Option<Profile>,
    reference: Option<Curve>,
    jobs: usize,
}

fn parse(args: &[String]) -> Result<(Options, Vec<&String>), String> {
    let all = targets();
    let mut options = Options {
        json: false,
        csv: false,
        series: false,
        targets: Vec::new(),
        profile: None,
        reference: None,
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => options.json = true,
            "--csv" => options.csv = true,
            "--series" => options.series = true,
            "--target" => {
                let id = it.next().ok_or("--target needs an ID")?;
                let target = all
                    .iter()
                    .find(|t| t.id == *id)
                    .ok_or_else(|| format!("unknown target {id}"))?;
                options.targets.push(target.clone());
            }
            "--check" => {
                let id = it.next().ok_or("--check needs a profile")?;
                let names: Vec<String> = checks::profiles().into_iter().map(|p| p.id).collect();
                options.profile = Some(checks::profile(id).ok_or_else(|| {
                    format!("unknown check profile {id} (one of: {})", names.join(", "))
                })?);
            }
            "--reference" => {
                let name = it
                    .next()
                    .ok_or("--reference needs a curve file or builtin:ID")?;
                options.reference = Some(load_curve(name)?);
            }
            "--jobs" => {
                options.jobs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--jobs needs a positive number")?;
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            _ => paths.push(arg),
        }
    }
    if options.json && options.csv {
        return Err("--json and --csv exclude each other".to_string());
    }
    if paths.is_empty() {
        return Err("no files or folders given".to_string());
    }
    Ok((options, paths))
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
fn reference_command(args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("list") => {
            for (id, name, what) in reference::builtin::list() {
                println!("builtin:{id:<10} {name}");
                println!("                   {what}");
            }
            ExitCode::SUCCESS
        }
        Some("build") => match build_reference(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err((message, code)) => {
                eprintln!("mixmeter: {message}");
                ExitCode::from(code)
            }
        },
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn build_reference(args: &[String]) -> Result<(), (String, u8)> {
    let usage = |m: &str| (format!("{m}\n\n{USAGE}"), 2u8);
    let mut output = None;
    let mut name = None;
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-o" | "--output" => {
                output = Some(it.next().ok_or_else(|| usage("-o needs a file name"))?)
            }
            "--name" => name = Some(it.next().ok_or_else(|| usage("--name needs a name"))?),
            other if other.starts_with('-') => {
                return Err(usage(&format!("unknown option {other}")));
            }
            _ => paths.push(arg),
        }
    }
    let output = output.ok_or_else(|| usage("no output file (-o CURVE.json)"))?;
    let mut files = Vec::new();
    for input in collect_inputs(&paths) {
        files.push(input.map_err(|m| (m, 1))?);
    }
    if files.is_empty() {
        return Err(usage("no audio files given"));
    }
    let default_name = Path::new(output).file_stem().map_or_else(
        || "Reference".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let name = name.cloned().unwrap_or(default_name);
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
        .map_err(|m| (m, 1))?;
    std::fs::write(output, curve.to_json() + "\n")
        .map_err(|e| (format!("cannot write {output}: {e}"), 1))?;
    println!(
        "{output}: \"{}\", {} points from {:.0} Hz to {:.0} Hz, {} file{}{}",
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("analyze") => {}
        Some("targets") => {
            print_targets();
            return ExitCode::SUCCESS;
        }
        Some("reference") => return reference_command(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let (options, paths) = match parse(&args[1..]) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("mixmeter: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    install_panic_hook();
    let inputs = collect_inputs(&paths);
    let mut failed = false;
    let mut files = Vec::new();
    for input in inputs {
        match input {
            Ok(path) => files.push(path),
            Err(message) => {
                eprintln!("mixmeter: {message}");
                failed = true;
            }
        }
    }
    if options.csv {
        println!(
            "{}",
            csv_header(&options.targets, options.reference.is_some())
        );
    }
    let progress = Progress {
        enabled: std::io::stderr().is_terminal() && files.len() > 1,
        total: files.len(),
    };
    let mut missed = false;
    let mut summary: Vec<(String, Option<Readings>, bool)> = Vec::new();
    let next = AtomicUsize::new(0);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.min(files.len()).max(1) {
            let sender = sender.clone();
            let (next, files, series) = (&next, &files, options.series);
            let spectrum = options.reference.is_some();
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(index) else { break };
                    if sender
                        .send((index, analyze_contained(path, series, spectrum)))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // Results are printed in the order the files were named, as soon as all before
        // them are done.
        let mut pending = BTreeMap::new();
        let mut printed = 0;
        let mut done = 0;
        progress.draw(0);
        for (index, result) in receiver {
            pending.insert(index, result);
            done += 1;
            while let Some(result) = pending.remove(&printed) {
                progress.clear();
                let file = files[printed].display().to_string();
                match result {
                    Ok(analysis) => {
                        let checks: Vec<Check> = options
                            .targets
                            .iter()
                            .map(|t| Check::new(t, &analysis.readings))
                            .collect();
                        let pass = checks.iter().all(|c| c.preview.pass);
                        missed |= !pass;
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
                        missed |= failed_check;
                        if options.json {
                            println!(
                                "{}",
                                to_json(&analysis, options.series, &checks, graded, tonal)
                            );
                        } else if options.csv {
                            println!("{}", csv_row(&analysis, &checks, tonal.map(|t| t.1)));
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
                        }
                        summary.push((file, Some(analysis.readings), pass && !failed_check));
                    }
                    Err(message) => {
                        eprintln!("mixmeter: {file}: {message}");
                        failed = true;
                        summary.push((file, None, false));
                    }
                }
                printed += 1;
            }
            progress.draw(done);
        }
        progress.clear();
    });
    if !options.json && !options.csv && summary.len() > 1 {
        print_table(
            &summary,
            !options.targets.is_empty() || options.profile.is_some(),
        );
    }
    if failed {
        ExitCode::FAILURE
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
