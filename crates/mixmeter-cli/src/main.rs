//! `mixmeter analyze PATH... [--json | --csv] ...`: the plugin's meter core run over audio
//! files; `mixmeter session STEM...`: the stems of one mix read together (`session.rs`).
//!
//! Each file is decoded (see `mixmeter_core::decode`) and fed to the same `Meter` the plugin uses,
//! so a file analyzed here and the same audio played through the plugin give the same numbers.
//! Every input is accounted for: an unreadable file (or a folder without audio files) gets a
//! line on stderr naming it and the problem and, with `--json` / `--csv`, a record with its
//! `error`; the other files are still analyzed, and the exit status is 1. A file shorter than
//! its header says is measured as far as it goes and reported `truncated`. The command line is
//! parsed by clap; its help text is the usage text of docs/cli.md (a test compares them). The
//! JSON schema is documented there.

use crate::analyze::analyze_command;
use crate::args::{Cli, Command};
use crate::curves::reference_command;
use crate::session::session_command;
use crate::targets::print_targets;
use clap::Parser;
use std::process::ExitCode;

mod album;
mod analyze;
mod args;
mod csv;
mod curves;
mod inputs;
mod json;
mod normalized;
mod options;
mod progress;
mod session;
mod summary;
mod targets;

/// Exit status when a file could not be read (or was truncated, or a folder held no audio).
const EXIT_UNREADABLE: u8 = 1;
/// Exit status for bad usage (clap's, too).
const EXIT_USAGE: u8 = 2;
/// Exit status when a file misses a `--target` or fails a `--check` item.
const EXIT_TARGET_MISSED: u8 = 3;

fn main() -> ExitCode {
    // Output piped into a reader that stops early (`| head`) ends the program quietly, as it
    // ends `cat` or `ffmpeg`: Rust ignores SIGPIPE and the next print would panic (status
    // 101, a panic message on stderr).
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
        Command::Session(args) => session_command(&args),
    }
}
