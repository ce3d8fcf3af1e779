//! Any bytes as an audio file: probe, decode and measure, as `mixmeter analyze` does. Errors
//! are fine; a panic, a hang or a crash is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mixmeter::decode::AudioFile;
use mixmeter::meter::engine::{Meter, MeterConfig};
use mixmeter::meter::{MAX_CHANNELS, layout};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = AudioFile::from_bytes(data.to_vec()) else {
        return;
    };
    let info = file.info().clone();
    if info.channels == 0 || info.channels > MAX_CHANNELS {
        return;
    }
    let weights = layout::weights(&info.layout);
    let config = MeterConfig::new(info.sample_rate_hz as f64, info.channels).with_weights(&weights);
    let Ok(mut meter) = Meter::new(config) else {
        return;
    };
    let _ = file.decode(|block| meter.process(block));
    let _ = meter.readings();
});
