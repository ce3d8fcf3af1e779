//! Loudness, true peak and mono compatibility of audio files, with the core crate alone:
//!
//! ```sh
//! cargo run --release -p mixmeter-core --example loudness -- mix.wav master.flac
//! ```

use mixmeter_core::analysis::{Options, analyze_file};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    for path in std::env::args().skip(1) {
        match analyze_file(Path::new(&path), &Options::default()) {
            Ok(a) => {
                let r = &a.readings;
                let value = |v: Option<f64>, unit: &str| {
                    v.map_or_else(|| "no value".to_string(), |v| format!("{v:.1} {unit}"))
                };
                println!(
                    "{path}: integrated {}, range {}, true peak {}{}",
                    value(r.integrated_lufs, "LUFS"),
                    value(r.loudness_range_lu, "LU"),
                    value(r.max_true_peak_dbtp, "dBTP"),
                    a.stereo
                        .and_then(|s| s.verdict)
                        .map(|v| format!(", mono: {}", v.label()))
                        .unwrap_or_default()
                );
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
