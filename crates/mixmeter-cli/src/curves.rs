//! `mixmeter reference build | list`: curves from reference audio, and the built-in ones.

use crate::args::ReferenceCommand;
use crate::inputs::{Input, Source, collect_inputs};
use crate::{EXIT_UNREADABLE, EXIT_USAGE};
use mixmeter_core::analysis::{self};
use mixmeter_core::reference::{self};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `mixmeter reference build|list`.
pub(crate) fn reference_command(command: ReferenceCommand) -> ExitCode {
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

pub(crate) fn build_reference(
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
