//! `mixmeter session STEM... [--master FILE] [--json | --csv | --masking-csv]`: the session view's analysis
//! over stems (`mixmeter_core::session`): gain staging, who fills each region, masking pairs
//! with the carve, and the peaks that coincide on the master.
//!
//! Each stem goes through the one analysis pipeline (`analysis::analyze` with
//! `Options::frames`), so its frames are those a track instance would publish and its
//! readings are the meter's. Stems are aligned from their first sample. The master is
//! `--master FILE` (a bounce of the same stems, from the same start), or else the stems
//! summed sample by sample (a mono stem goes into every channel of the others at unity gain,
//! no pan law), written as float WAV in memory and analyzed through the same pipeline.
//! Every input is accounted for: a stem that cannot be read, or has another sample rate than
//! the first one read, is named on stderr (and in the JSON's `errors`), the session is
//! analyzed without it, and the exit status is 1.

use crate::args::SessionArgs;
use crate::csv::{csv_field, csv_number};
use crate::inputs::{Input, Source, collect_inputs};
use crate::{EXIT_UNREADABLE, EXIT_USAGE};
use mixmeter_core::analysis::{self, FileAnalysis, Options};
use mixmeter_core::decode::AudioFile;
use mixmeter_core::diagnosis::format_frequency;
use mixmeter_core::session::frame::hop_for_rate;
use mixmeter_core::session::{
    SessionOptions, SessionReport, TrackReadings, TrackSeries, analyze_session,
};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The JSON output's schema name and version.
pub(crate) const SESSION_SCHEMA: &str = "mixmeter-session";
pub(crate) const SESSION_SCHEMA_VERSION: u32 = 1;
/// Peak moments listed in the readable summary (all are in the JSON).
const MOMENTS_SHOWN: usize = 8;
/// Tracks named per region in the readable summary: those with at least this share.
const REGION_SHARE_SHOWN: f64 = 0.05;

/// Where the master came from.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MasterSource {
    /// `file` (--master) or `sum` (the stems summed), or `none`.
    pub(crate) kind: &'static str,
    pub(crate) file: Option<String>,
    /// Why there is no master, when there is none.
    pub(crate) note: Option<String>,
}

/// An input that could not be used.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct InputError {
    pub(crate) file: String,
    pub(crate) error: String,
}

/// The JSON record: the inputs and the report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SessionRecord {
    pub(crate) schema: &'static str,
    pub(crate) version: u32,
    pub(crate) sample_rate_hz: Option<u32>,
    pub(crate) frame_seconds: Option<f64>,
    /// The stems analyzed, in order, with the track names used in the report.
    pub(crate) stems: Vec<StemEntry>,
    pub(crate) master: MasterSource,
    pub(crate) errors: Vec<InputError>,
    pub(crate) report: SessionReport,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StemEntry {
    pub(crate) track: String,
    pub(crate) file: String,
    pub(crate) channels: usize,
    pub(crate) duration_s: f64,
}

pub(crate) fn session_command(args: &SessionArgs) -> ExitCode {
    analysis::record_panic_messages();
    let mut errors = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    for input in collect_inputs(&args.stems) {
        match input {
            Input::Source(Source::File(path)) => paths.push(path),
            Input::Source(Source::Stdin) => {
                eprintln!("mixmeter: session reads stem files, not standard input");
                return ExitCode::from(EXIT_USAGE);
            }
            Input::Problem(file, error) => errors.push(InputError { file, error }),
        }
    }
    let options = Options {
        frames: true,
        ..Options::default()
    };
    // Every stem read first: the session's rate is the one most stems share (the first
    // stem's among equals), so one odd stem is what is left out, not the rest.
    let mut read: Vec<(PathBuf, FileAnalysis)> = Vec::new();
    for path in paths {
        match analysis::analyze_file(&path, &options) {
            Ok(a) => read.push((path, a)),
            Err(e) => errors.push(InputError {
                file: path.display().to_string(),
                error: e.to_string(),
            }),
        }
    }
    let rate: Option<u32> = read
        .iter()
        .map(|(_, a)| a.info.sample_rate_hz)
        .max_by_key(|r| {
            let count = read
                .iter()
                .filter(|(_, a)| a.info.sample_rate_hz == *r)
                .count();
            // Among equal counts, the earliest stem's rate wins (max_by_key keeps the last).
            let first = read
                .iter()
                .position(|(_, a)| a.info.sample_rate_hz == *r)
                .unwrap_or(0);
            (count, usize::MAX - first)
        });
    let accept = |path: &Path, analysis: FileAnalysis, errors: &mut Vec<InputError>| {
        let file = path.display().to_string();
        if let Some(truncated) = analysis.truncation() {
            errors.push(InputError {
                file: file.clone(),
                error: truncated.to_string(),
            });
        }
        let r = analysis.info.sample_rate_hz;
        match rate {
            Some(session) if session != r => {
                errors.push(InputError {
                    file,
                    error: format!(
                        "sample rate {r} Hz differs from the session's {session} Hz (the rate most stems share); left out"
                    ),
                });
                None
            }
            _ => Some(analysis),
        }
    };
    let mut stems: Vec<(PathBuf, FileAnalysis)> = Vec::new();
    for (path, a) in read {
        if let Some(a) = accept(&path, a, &mut errors) {
            stems.push((path, a));
        }
    }

    let (master, master_source) = match &args.master {
        Some(path) => {
            let master = match analysis::analyze_file(path, &options) {
                Ok(a) => accept(path, a, &mut errors),
                Err(e) => {
                    errors.push(InputError {
                        file: path.display().to_string(),
                        error: e.to_string(),
                    });
                    None
                }
            };
            let note = master
                .is_none()
                .then(|| "the --master file could not be used".to_string());
            (
                master,
                MasterSource {
                    kind: if note.is_none() { "file" } else { "none" },
                    file: Some(path.display().to_string()),
                    note,
                },
            )
        }
        None => match sum_of_stems(&stems) {
            Ok(Some(bytes)) => {
                match analysis::analyze(analysis::Source::Bytes(bytes), &options, None) {
                    Ok(a) => (
                        Some(a),
                        MasterSource {
                            kind: "sum",
                            file: None,
                            note: None,
                        },
                    ),
                    Err(e) => (None, no_master(format!("the sum of the stems: {e}"))),
                }
            }
            Ok(None) => (None, no_master("no stems to sum".to_string())),
            Err(why) => (None, no_master(why)),
        },
    };

    // A mono stem plays on every channel of the mix (the sum puts it there at unity): its
    // energy in the master, and against the other stems in a band, is its own times the
    // master's channel count (a stereo stem's frames already sum both channels).
    let mix_channels = master.as_ref().map_or(1, |m| m.info.channels.max(1));
    for (_, a) in stems.iter_mut() {
        if a.info.channels == 1 && mix_channels > 1 {
            let k = mix_channels as f32;
            for f in &mut a.track_frames {
                f.mean_square *= k;
                f.bands.iter_mut().for_each(|b| *b *= k);
            }
        }
    }
    let names = track_names(stems.iter().map(|(p, _)| p.as_path()));
    let series: Vec<TrackSeries> = stems
        .iter()
        .zip(&names)
        .map(|((_, a), name)| TrackSeries {
            name,
            frames: &a.track_frames,
            readings: TrackReadings::from_readings(&a.readings),
        })
        .collect();
    let master_series = master.as_ref().map(|a| TrackSeries {
        name: "master",
        frames: &a.track_frames,
        readings: TrackReadings::from_readings(&a.readings),
    });
    let frame_seconds = rate.map(|r| hop_for_rate(r as f32) as f64 / r as f64);
    let session_options = SessionOptions {
        frame_seconds,
        ceiling_dbtp: args
            .ceiling
            .unwrap_or(SessionOptions::default().ceiling_dbtp),
        ..SessionOptions::default()
    };
    let report = analyze_session(&series, master_series.as_ref(), &session_options);
    let record = SessionRecord {
        schema: SESSION_SCHEMA,
        version: SESSION_SCHEMA_VERSION,
        sample_rate_hz: rate,
        frame_seconds,
        stems: stems
            .iter()
            .zip(&names)
            .map(|((path, a), name)| StemEntry {
                track: name.clone(),
                file: path.display().to_string(),
                channels: a.info.channels,
                duration_s: a.seconds(a.frames),
            })
            .collect(),
        master: master_source,
        errors,
        report,
    };

    for e in &record.errors {
        eprintln!("mixmeter: {}: {}", e.file, e.error);
    }
    if let Some(note) = &record.master.note {
        eprintln!("mixmeter: no master: {note}");
    }
    if args.json {
        match serde_json::to_string(&record) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("mixmeter: cannot write the JSON: {e}");
                return ExitCode::from(EXIT_UNREADABLE);
            }
        }
    } else if args.csv {
        print!("{}", session_csv(&record));
    } else if args.masking_csv {
        print!("{}", masking_csv(&record));
    } else {
        print!("{}", session_text(&record, &session_options));
    }
    if record.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_UNREADABLE)
    }
}

fn no_master(note: String) -> MasterSource {
    MasterSource {
        kind: "none",
        file: None,
        note: Some(note),
    }
}

/// Track names: each stem's file name without its extension, made unique with " (2)", ...
fn track_names<'a>(paths: impl Iterator<Item = &'a Path>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for path in paths {
        let base = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base} ({n})");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// The stems summed sample by sample from their first sample, as a float WAV file in memory;
/// `Ok(None)` without stems, `Err` when their channel counts do not mix (other than mono
/// stems into a multichannel sum).
fn sum_of_stems(stems: &[(PathBuf, FileAnalysis)]) -> Result<Option<Vec<u8>>, String> {
    let Some((_, first)) = stems.first() else {
        return Ok(None);
    };
    let rate = first.info.sample_rate_hz;
    let channels = stems
        .iter()
        .map(|(_, a)| a.info.channels)
        .max()
        .unwrap_or(1);
    if let Some((path, a)) = stems
        .iter()
        .find(|(_, a)| a.info.channels != 1 && a.info.channels != channels)
    {
        return Err(format!(
            "{} has {} channels, other stems {channels}: they cannot be summed; give --master",
            path.display(),
            a.info.channels
        ));
    }
    let mut sum: Vec<Vec<f32>> = vec![Vec::new(); channels];
    for (path, _) in stems {
        let file = AudioFile::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut at = 0usize;
        file.decode(|block| {
            let n = block.iter().map(|c| c.len()).min().unwrap_or(0);
            for (c, out) in sum.iter_mut().enumerate() {
                if out.len() < at + n {
                    out.resize(at + n, 0.0);
                }
                let input = if block.len() == 1 { block[0] } else { block[c] };
                for (o, &x) in out[at..at + n].iter_mut().zip(input) {
                    *o += if x.is_finite() { x } else { 0.0 };
                }
            }
            at += n;
        })
        .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(Some(float_wav(&sum, rate)))
}

/// Planar audio as a 32-bit float WAV file.
fn float_wav(channels: &[Vec<f32>], rate: u32) -> Vec<u8> {
    let frames = channels.iter().map(Vec::len).max().unwrap_or(0);
    let count = channels.len().max(1) as u32;
    let data = (frames * channels.len() * 4) as u32;
    let mut out = Vec::with_capacity(44 + data as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes()); // WAVE_FORMAT_IEEE_FLOAT
    out.extend_from_slice(&(count as u16).to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * count * 4).to_le_bytes());
    out.extend_from_slice(&((count * 4) as u16).to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for i in 0..frames {
        for c in channels {
            out.extend_from_slice(&c.get(i).copied().unwrap_or(0.0).to_le_bytes());
        }
    }
    out
}

fn number(v: Option<f64>, unit: &str) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "-".to_string(), |v| format!("{v:.1}{unit}"))
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.1} %", 100.0 * v))
}

fn clock(seconds: f64) -> String {
    format!("{}:{:05.2}", (seconds / 60.0) as u64, seconds % 60.0)
}

/// The readable summary.
pub(crate) fn session_text(record: &SessionRecord, options: &SessionOptions) -> String {
    use std::fmt::Write;
    let r = &record.report;
    let mut out = String::new();
    let span = r
        .first_index
        .zip(r.last_index)
        .zip(record.frame_seconds)
        .map(|((a, b), s)| (b - a + 1) as f64 * s);
    let master = match record.master.kind {
        "file" => record.master.file.clone().unwrap_or_default(),
        "sum" => "the stems summed".to_string(),
        _ => "none".to_string(),
    };
    let _ = writeln!(
        out,
        "Session: {} stem{}, {}, {}; master: {master}",
        record.stems.len(),
        if record.stems.len() == 1 { "" } else { "s" },
        span.map_or_else(|| "no audio".to_string(), |s| format!("{s:.1} s")),
        record
            .sample_rate_hz
            .map_or_else(|| "-".to_string(), |r| format!("{r} Hz")),
    );

    let _ = writeln!(
        out,
        "\nGain staging (tracks: sample peak against -6 to -12 dBFS; master: true peak against -3 dBTP)"
    );
    let width = r
        .tracks
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(5)
        .max(6);
    let _ = writeln!(
        out,
        "  {:<width$}  {:>9}  {:>9}  {:>10}  {:>10}  {:>8}  {:>7}  verdict",
        "track", "peak", "true peak", "max short", "integrated", "crest", "share"
    );
    let row = |out: &mut String,
               name: &str,
               rd: &TrackReadings,
               crest: Option<f64>,
               share: Option<f64>,
               verdict: &str| {
        let _ = writeln!(
            out,
            "  {name:<width$}  {:>9}  {:>9}  {:>10}  {:>10}  {:>8}  {:>7}  {verdict}",
            number(rd.sample_peak_dbfs, " dBFS").replace(" dBFS", ""),
            number(rd.true_peak_dbtp, ""),
            number(rd.short_term_lufs, ""),
            number(rd.integrated_lufs, ""),
            number(crest, ""),
            percent(share),
        );
    };
    for t in &r.tracks {
        row(
            &mut out,
            &t.name,
            &t.readings,
            t.crest_factor_db,
            t.energy_share,
            t.staging.verdict.id(),
        );
    }
    if let Some(m) = &r.master {
        row(
            &mut out,
            "master",
            &m.readings,
            None,
            None,
            m.staging.verdict.id(),
        );
    }
    let _ = writeln!(
        out,
        "  (dBFS, dBTP, LUFS, LUFS, dB peak to RMS; share: of the {}'s K-weighted energy)",
        if r.shares_of_master {
            "master"
        } else {
            "tracks' summed"
        }
    );
    for t in &r.tracks {
        if let Some(advice) = &t.staging.advice {
            let _ = writeln!(out, "  {}: {}; {}", t.name, t.staging.evidence, advice);
        }
    }
    if let Some(m) = &r.master
        && let Some(advice) = &m.staging.advice
    {
        let _ = writeln!(out, "  master: {}; {}", m.staging.evidence, advice);
    }

    let _ = writeln!(
        out,
        "\nWho fills each region (share of the region's energy, whole measurement)"
    );
    for region in &r.regions {
        let range = format!(
            "{}-{}",
            format_frequency(region.low_hz),
            format_frequency(region.high_hz)
        );
        let who = if region.whole.empty {
            "empty".to_string()
        } else {
            let mut shares: Vec<(&str, f64)> = region
                .whole
                .shares
                .iter()
                .filter_map(|s| s.share.map(|v| (s.track.as_str(), v)))
                .collect();
            shares.sort_by(|a, b| b.1.total_cmp(&a.1));
            let shown: Vec<String> = shares
                .iter()
                .filter(|(_, v)| *v >= REGION_SHARE_SHOWN)
                .map(|(n, v)| format!("{n} {:.0} %", 100.0 * v))
                .collect();
            let rest: f64 = shares
                .iter()
                .filter(|(_, v)| *v < REGION_SHARE_SHOWN)
                .map(|(_, v)| v)
                .sum();
            if rest >= 0.005 {
                format!("{}, others {:.0} %", shown.join(", "), 100.0 * rest)
            } else if rest > 0.0 {
                format!("{}, others <1 %", shown.join(", "))
            } else {
                shown.join(", ")
            }
        };
        // "2.0 kHz-6.0 kHz" is the longest range (15 characters).
        let _ = writeln!(out, "  {:<20} {:<15}  {who}", region.name, range);
    }

    let _ = writeln!(out, "\nMasking pairs (frame by frame; strongest first)");
    if r.masking.is_empty() {
        let _ = writeln!(out, "  none found");
    }
    for (i, p) in r.masking.iter().enumerate() {
        let _ = writeln!(out, "  {}. {}", i + 1, p.advice);
    }

    if let Some(moments) = &r.peak_moments {
        let _ = writeln!(
            out,
            "\nMaster peaks within {:.1} dB of {:.1} dBTP: {}",
            options.near_ceiling_db,
            options.ceiling_dbtp,
            if moments.is_empty() {
                "none".to_string()
            } else {
                format!(
                    "{} moment{}",
                    moments.len(),
                    if moments.len() == 1 { "" } else { "s" }
                )
            }
        );
        for m in moments.iter().take(MOMENTS_SHOWN) {
            let when = match (m.start_s, m.end_s) {
                (Some(a), Some(b)) => format!("{}-{}", clock(a), clock(b)),
                _ => format!("frames {}-{}", m.first_index, m.last_index),
            };
            let tracks: Vec<String> = m
                .tracks
                .iter()
                .map(|t| format!("{} {:.1}", t.track, t.true_peak_dbtp))
                .collect();
            let _ = writeln!(
                out,
                "  {when}  master {:.1} dBTP; peaking together: {}",
                m.master_true_peak_dbtp,
                if tracks.is_empty() {
                    "no track near its own maximum".to_string()
                } else {
                    tracks.join(", ")
                }
            );
        }
        if moments.len() > MOMENTS_SHOWN {
            let _ = writeln!(
                out,
                "  ... and {} more (all in --json)",
                moments.len() - MOMENTS_SHOWN
            );
        }
    }
    out
}

/// The CSV columns of one track row, as JSON pointers into its gain-staging entry.
pub(crate) const SESSION_CSV_COLUMNS: &[(&str, &str)] = &[
    ("track", "/name"),
    ("sample_peak_dbfs", "/readings/sample_peak_dbfs"),
    ("true_peak_dbtp", "/readings/true_peak_dbtp"),
    ("max_short_term_lufs", "/readings/short_term_lufs"),
    ("integrated_lufs", "/readings/integrated_lufs"),
    ("crest_factor_db", "/crest_factor_db"),
    ("energy_share", "/energy_share"),
    ("verdict", "/staging/verdict"),
];

/// The masking pairs, strongest first, one row per cut (a pair without a cut, one row with
/// the cut columns empty).
pub(crate) fn masking_csv(record: &SessionRecord) -> String {
    let mut out = "rank,track_a,track_b,low_hz,high_hz,time_share,strength,cut_track,\
                   cut_at_hz,cut_db,for_track,advice\n"
        .to_string();
    for (rank, pair) in record.report.masking.iter().enumerate() {
        let head = [
            (rank + 1).to_string(),
            csv_field(&pair.tracks[0]),
            csv_field(&pair.tracks[1]),
            csv_number(Some(pair.low_hz)),
            csv_number(Some(pair.high_hz)),
            csv_number(Some(pair.time_share)),
            csv_number(Some(pair.strength)),
        ]
        .join(",");
        let cuts: Vec<String> = if pair.cuts.is_empty() {
            vec![",,,".to_string()]
        } else {
            pair.cuts
                .iter()
                .map(|c| {
                    [
                        csv_field(&c.track),
                        csv_number(Some(c.at_hz)),
                        csv_number(Some(c.cut_db)),
                        csv_field(&c.for_track),
                    ]
                    .join(",")
                })
                .collect()
        };
        for cut in cuts {
            out += &format!("{head},{cut},{}\n", csv_field(&pair.advice));
        }
    }
    out
}

/// The gain-staging table with each track's share of each region (whole measurement): one
/// row per track, then the master's (no shares).
pub(crate) fn session_csv(record: &SessionRecord) -> String {
    let r = &record.report;
    let mut header: Vec<String> = SESSION_CSV_COLUMNS
        .iter()
        .map(|(h, _)| h.to_string())
        .collect();
    header.extend(r.regions.iter().map(|g| format!("share_{}", g.id)));
    let mut out = header.join(",") + "\n";
    let cell = |v: &Value, pointer: &str| match v.pointer(pointer) {
        Some(Value::String(s)) => csv_field(s),
        Some(Value::Number(n)) => csv_number(n.as_f64()),
        _ => String::new(),
    };
    for (k, t) in r.tracks.iter().enumerate() {
        let v = serde_json::to_value(t).unwrap_or(Value::Null);
        let mut row: Vec<String> = SESSION_CSV_COLUMNS
            .iter()
            .map(|(_, p)| cell(&v, p))
            .collect();
        row.extend(
            r.regions
                .iter()
                .map(|g| csv_number(g.whole.shares.get(k).and_then(|s| s.share))),
        );
        out += &(row.join(",") + "\n");
    }
    if let Some(m) = &r.master {
        let v = serde_json::to_value(m).unwrap_or(Value::Null);
        let mut row: Vec<String> = SESSION_CSV_COLUMNS
            .iter()
            .map(|(h, p)| {
                if *h == "track" {
                    "master".to_string()
                } else {
                    cell(&v, p)
                }
            })
            .collect();
        row.extend(r.regions.iter().map(|_| String::new()));
        out += &(row.join(",") + "\n");
    }
    out
}
