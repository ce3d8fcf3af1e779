//! The meter core with arbitrary rates, channel counts, block sizes and sample values (NaN,
//! infinities, denormals, huge values): no panic, and no reading is ever NaN; with the spectrum
//! on (half the inputs), neither are the stereo image per band nor its diagnosis.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mixmeter::diagnosis::stereo::{Mix, mono_compatibility};
use mixmeter::meter::engine::{Meter, MeterConfig};

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let rate = f64::from(u32::from_le_bytes([data[0], data[1], data[2], 0])).max(1.0);
    let channels = usize::from(data[3] % 9);
    let block = usize::from(u16::from_le_bytes([data[4], data[5]]) % 2048) + 1;
    let mut config = MeterConfig::new(rate, channels);
    config.spectrum = data[5] & 0x80 != 0;
    let Ok(mut meter) = Meter::new(config) else {
        return;
    };
    let samples: Vec<f32> = data[6..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let frames = samples.len() / channels.max(1);
    // Repeat the input so that windows fill and gating runs.
    for _ in 0..40 {
        for start in (0..frames).step_by(block) {
            let end = (start + block).min(frames);
            let planes: Vec<&[f32]> = (0..channels)
                .map(|c| &samples[c * frames + start..c * frames + end])
                .collect();
            meter.process(&planes);
        }
    }
    let r = meter.readings();
    for v in [
        r.momentary_lufs,
        r.short_term_lufs,
        r.integrated_lufs,
        r.loudness_range_lu,
        r.max_true_peak_dbtp,
        r.plr_db,
        r.psr_db,
        r.crest_factor_db,
        r.correlation,
        r.balance_db,
        r.mono_loss_integrated_lu,
    ]
    .into_iter()
    .flatten()
    {
        assert!(!v.is_nan(), "a reading is NaN: {r:?}");
    }
    if let Some(spectrum) = meter.spectrum_mut() {
        spectrum.flush();
    }
    if let Some(bands) = meter.stereo_bands() {
        for (window, mix) in [
            (bands.live_window(), Mix::live(&r)),
            (bands.whole_window(), Mix::whole(&r)),
        ] {
            let summary = mono_compatibility(&window, &mix);
            for band in summary.bands.iter().chain(summary.regions.iter().map(|r| &r.readings)) {
                for v in [band.correlation, band.width_db, band.mono_loss_lu, band.share_db]
                    .into_iter()
                    .flatten()
                {
                    assert!(v.is_finite(), "a band reading is not finite: {band:?}");
                }
            }
        }
    }
});
