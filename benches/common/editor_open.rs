//! What the plugin's `process` does per block while its editor is open, without the CLAP
//! wrapper: the meter, then the history, the vectorscope, the snapshot with the stereo bands
//! and both spectra published to the editor's bridge. Shared by `plugin_path` (the average
//! per frame) and `worst_call` (the worst call), so both measure the same work.

use mixmeter::bridge::MeterInput;
use mixmeter::meter::engine::Meter;

pub fn process_with_editor_open(meter: &mut Meter, bridge: &mut MeterInput, l: &[f32], r: &[f32]) {
    meter.process(&[l, r]);
    bridge.publish_history(meter);
    bridge.feed_scope(l, r);
    bridge.publish_all(&meter.readings(), false, meter.stereo_bands(), 1.0);
    if let Some(spectrum) = meter.spectrum_mut() {
        bridge.publish_spectrum(spectrum, false);
    }
}
