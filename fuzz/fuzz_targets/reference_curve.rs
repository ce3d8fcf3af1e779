//! Any bytes as a reference-curve file and as the plugin's saved library: parsing never
//! panics; an accepted curve writes back to the same curve, and comparing a mix with it gives
//! finite numbers or no value, never NaN.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mixmeter::diagnosis::compare_tonal;
use mixmeter::meter::spectrum::PowerSpectrum;
use mixmeter::reference::Curve;
use mixmeter::reference::library::ReferenceLibrary;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        let library = ReferenceLibrary::from_value(&value);
        assert!(library.curves.iter().all(|c| c.validate().is_ok()));
    }
    let Ok(curve) = Curve::from_json(&text) else {
        return;
    };
    let back = Curve::from_json(&curve.to_json()).expect("an accepted curve reads back");
    assert_eq!(back, curve);
    // A pink-ish mix spectrum at 48 kHz, 8192 points.
    let mix = PowerSpectrum {
        power: (0..4097).map(|k| 1.0 / (k.max(1) as f64)).collect(),
        bin_hz: 48_000.0 / 8192.0,
        fft_size: 8192,
        covered_s: 10.0,
    };
    if let Some(comparison) = compare_tonal(&mix, &curve) {
        assert!(comparison.offset_db.is_finite());
        for region in &comparison.regions {
            if let Some(d) = region.deviation_db {
                assert!(d.is_finite(), "{d}");
            }
            assert!(!region.tolerance_low_db.is_nan() && !region.tolerance_high_db.is_nan());
        }
        for s in &comparison.suggestions {
            assert!(s.deviation_db.is_finite() && s.frequency_hz.is_finite());
        }
    }
});
