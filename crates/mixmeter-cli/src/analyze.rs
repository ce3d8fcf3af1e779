//! `mixmeter analyze`: files through the analysis pipeline on a pool of workers, results in
//! the order named, in the format asked for, and the exit status.

use crate::album::{Album, album_csv_row, album_json, print_album};
use crate::args::{AnalyzeArgs, Cli};
use crate::csv::{csv_error_row, csv_header, csv_number, csv_row};
use crate::inputs::{Input, Source, collect_inputs};
use crate::json::{error_json, number, to_json};
use crate::normalized::{normalize_file, normalized_json, print_normalized};
use crate::options::resolve;
use crate::progress::{PROGRESS_REDRAW, Progress};
use crate::summary::{
    print_checks, print_stereo, print_suggestions, print_summary, print_table, print_tonal,
};
use crate::targets::Check;
use crate::{EXIT_TARGET_MISSED, EXIT_UNREADABLE, EXIT_USAGE};
use clap::CommandFactory;
use mixmeter_core::analysis::{self, FileAnalysis};
use mixmeter_core::diagnosis::checks;
use mixmeter_core::diagnosis::suggestions::{self, Candidate, Findings};
use mixmeter_core::diagnosis::{TonalComparison, compare_tonal};
use mixmeter_core::meter::engine::Readings;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The ranked suggestions of the whole file: the editor's ranking (`diagnosis::suggestions`)
/// with every finding held, from the same findings.
pub(crate) fn ranked_suggestions(
    a: &FileAnalysis,
    tonal: Option<&TonalComparison>,
) -> Vec<Candidate> {
    let spectrum_s = a.spectrum.as_ref().map_or(0.0, |s| s.covered_s);
    suggestions::whole_file(&Findings::of(
        &a.readings,
        a.stereo.as_ref(),
        tonal,
        spectrum_s,
    ))
}

/// What became of one input, for the exit status and the summary table.
pub(crate) enum Outcome {
    /// `incomplete`: truncated, or its normalized file could not be written (exit status 1).
    Read {
        pass: bool,
        incomplete: bool,
    },
    Unreadable,
}

pub(crate) fn analyze_command(args: &AnalyzeArgs) -> ExitCode {
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
                frames: false,
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
                            .map(|t| Check::new(t, &analysis.readings, analysis.fold.as_ref()))
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
                                finished: true,
                            };
                            (profile, checks::run(profile, &inputs))
                        });
                        let graded = graded.as_ref().map(|(p, items)| (*p, items.as_slice()));
                        // A failed item, or a file too short or silent to grade.
                        let failed_check = graded.is_some_and(|(_, items)| !checks::passes(items));
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
                        let mut record = to_json(
                            &analysis,
                            options.series && options.json,
                            options.ceiling_dbtp,
                            &checks,
                            graded,
                            tonal,
                        );
                        if options.json {
                            if let Some(n) = &normalized {
                                record["normalized"] = normalized_json(&options, n);
                            }
                            out.json(record, Some(track_lufs));
                        } else if options.csv {
                            out.csv(
                                csv_row(&record, &checks, graded, tonal.map(|t| t.1)),
                                Some(track_lufs),
                            );
                        } else {
                            if printed > 0 {
                                println!();
                            }
                            print_summary(&analysis, &record, options.ceiling_dbtp);
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
pub(crate) struct Records {
    pub(crate) defer: bool,
    /// Each held record with its track's loudness; `None` for an input that could not be
    /// read (its record gets no relative level: its CSV row has the column empty already).
    pub(crate) deferred: Vec<(Record, Option<Option<f64>>)>,
}

pub(crate) enum Record {
    Json(Value),
    Csv(String),
}

impl Records {
    pub(crate) fn json(&mut self, value: Value, track_lufs: Option<Option<f64>>) {
        if self.defer {
            self.deferred.push((Record::Json(value), track_lufs));
        } else {
            println!("{value}");
        }
    }

    pub(crate) fn csv(&mut self, row: String, track_lufs: Option<Option<f64>>) {
        if self.defer {
            self.deferred.push((Record::Csv(row), track_lufs));
        } else {
            println!("{row}");
        }
    }

    /// Prints the held records with `album_relative_lu` (track minus album, LU).
    pub(crate) fn flush(&mut self, album_lufs: Option<f64>) {
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
