//! The `ebur128` crate (M | S | I | LRA | TRUE_PEAK) fed by Mixmeter's own decoder: the
//! reference point of `scripts/bench-analyzer.sh` that separates decoding from measuring.
//! Prints integrated loudness, loudness range and true peak per file.

use ebur128::{EbuR128, Mode};
use mixmeter_core::decode::AudioFile;
use std::path::Path;

fn main() {
    for path in std::env::args().skip(1) {
        let file = AudioFile::open(Path::new(&path)).expect("readable file");
        let info = file.info().clone();
        let mut meter = EbuR128::new(
            info.channels as u32,
            info.sample_rate_hz,
            Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK,
        )
        .expect("supported format");
        file.decode(|block| {
            meter.add_frames_planar_f32(block).expect("frames");
        })
        .expect("decodes");
        let peak = (0..info.channels as u32)
            .map(|c| meter.true_peak(c).unwrap())
            .fold(0.0f64, f64::max);
        println!(
            "{path}: I {:.2} LUFS, LRA {:.2} LU, TP {:.2} dBTP",
            meter.loudness_global().unwrap(),
            meter.loudness_range().unwrap(),
            20.0 * peak.log10()
        );
    }
}
