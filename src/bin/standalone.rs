//! Mixmeter as a standalone application (JACK, ALSA or no audio), for trying the meter without
//! a DAW and for `scripts/screenshot.sh`. Built only with `--features standalone` (it needs
//! the ALSA and JACK development packages). `--help` lists the options (backend, inputs to
//! connect, DPI scale).

fn main() {
    nice_plug::prelude::nice_export_standalone::<mixmeter::Mixmeter>();
}
