//! Any bytes as an audio file: probe, decode and measure, as `mixmeter analyze` does. Errors
//! are fine; a panic in our code, a hang or a crash is a bug.
//!
//! A panic inside symphonia (a third-party decoder's bug on corrupt data, e.g. an `unwrap` in
//! its MP4 `esds` parser, kept as `tests/data/isomp4-esds-panic.m4a`) is contained the way the
//! analyzer contains it (`analyze_contained` in `src/bin/mixmeter.rs`: that file's error line);
//! any other panic aborts, which libFuzzer reports.
//!
//! MP4/M4A input (an `ftyp` box first) is skipped: symphonia-format-isomp4 0.5.5 sized its
//! sample tables from counts in the file (`Vec::with_capacity`), so a damaged file asks for
//! tens of gigabytes before reading anything, which the sanitizer's allocator refuses (kept as
//! `tests/data/isomp4-*.m4a`; the analyzer's tests run them). `decode::check_mp4_tables` now
//! rejects the sample-table counts found so far before symphonia sees them; the MP4 reader
//! has other count-sized allocations, so fuzzing it stays off until it is replaced or fixed
//! (symphonia 0.6.1 caps the sample tables' first reservations; MP4 has not been fuzzed on it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mixmeter::decode::AudioFile;
use mixmeter::meter::engine::{Meter, MeterConfig};
use mixmeter::meter::{MAX_CHANNELS, layout};
use std::cell::Cell;
use std::sync::Once;

thread_local! {
    static PANIC_IN_DECODER: Cell<bool> = const { Cell::new(false) };
}

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info
                .location()
                .is_some_and(|l| l.file().contains("/symphonia"));
            PANIC_IN_DECODER.with(|p| p.set(in_decoder));
            if !in_decoder {
                previous(info);
                std::process::abort();
            }
        }));
    });
}

fn measure(data: &[u8]) {
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
}

fuzz_target!(|data: &[u8]| {
    if data.get(4..8) == Some(b"ftyp") {
        return;
    }
    install_hook();
    if std::panic::catch_unwind(|| measure(data)).is_err() {
        assert!(PANIC_IN_DECODER.with(|p| p.get()), "a panic outside the decoder");
    }
});
