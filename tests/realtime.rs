//! Real-time rules of the meter core, each proven here:
//! - no allocation (or free) in `process`, `reset`, `start`, `pause` or the readings, over
//!   minutes of audio at several rates and channel counts (a counting global allocator), with
//!   the spectrum analyzer running and publishing display frames at several FFT sizes;
//! - results independent of how the host slices the audio (random block sizes, identical
//!   readings to the last bit).

use mixmeter::meter::engine::{Meter, MeterConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations_in;

fn noise(rng: &mut StdRng, frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|_| rng.random_range(-0.5f32..0.5))
        .collect()
}

#[test]
fn the_counter_sees_allocations() {
    // The instrument itself can fail: an allocation in the armed region is counted.
    let counted = allocations_in(|| {
        std::hint::black_box(vec![0u8; 64]);
    });
    assert!(counted >= 1);
}

#[test]
fn process_reset_pause_and_readings_never_allocate() {
    let mut rng = StdRng::seed_from_u64(11);
    for (rate, channels) in [(48_000.0, 2), (44_100.0, 1), (192_000.0, 2), (8_000.0, 5)] {
        let mut meter = Meter::new(MeterConfig::new(rate, channels).with_spectrum()).unwrap();
        // The plugin's audio-side end of the bridge, publishing what an open editor gets.
        let (mut bridge, _editor) = mixmeter::bridge::channel();
        // One second of material, with non-finite samples, fed over and over: 3 minutes.
        let mut second: Vec<Vec<f32>> = (0..channels)
            .map(|_| noise(&mut rng, rate as usize))
            .collect();
        second[0][100] = f32::NAN;
        second[channels - 1][200] = f32::INFINITY;
        let block_sizes: Vec<usize> = (0..64).map(|_| rng.random_range(0..4096)).collect();
        let mut sink = 0.0;
        let allocations = allocations_in(|| {
            for seconds in 0..180 {
                match seconds {
                    60 => meter.pause(),
                    90 => meter.start(),
                    120 => meter.reset(),
                    _ => {}
                }
                // Display spectrum frames while "the editor is open", at several sizes.
                let display = match seconds {
                    30..45 => Some(2048),
                    45..100 => Some(32768),
                    100..150 => Some(8192),
                    _ => None,
                };
                let editor_open = display.is_some();
                if let Some(spectrum) = meter.spectrum_mut() {
                    spectrum.set_display_size(display);
                }
                let mut start = 0;
                let mut i = seconds;
                while start < rate as usize {
                    let end = (start + block_sizes[i % block_sizes.len()]).min(rate as usize);
                    let block: [&[f32]; 8] =
                        std::array::from_fn(|c| second.get(c).map_or(&[][..], |s| &s[start..end]));
                    meter.process(&block[..channels]);
                    // The loudness history is published whether the editor is open or not.
                    bridge.publish_history(&meter);
                    if editor_open {
                        // Everything the plugin publishes to an open editor: the snapshot
                        // with the stereo bands, the vectorscope and the spectra.
                        bridge.publish_all(&meter.readings(), false, meter.stereo_bands(), 1.2);
                        bridge.feed_scope(block[0], block[channels.min(2) - 1]);
                        if let Some(spectrum) = meter.spectrum_mut() {
                            bridge.publish_spectrum(spectrum, false);
                        }
                    }
                    let (tp, _) = meter.take_live_peaks();
                    sink += tp[0] as f64;
                    let r = meter.readings();
                    sink += r.momentary_lufs.unwrap_or(0.0) + r.integrated_lufs.unwrap_or(0.0);
                    start = end;
                    i += 1;
                }
            }
        });
        std::hint::black_box(sink);
        assert_eq!(allocations, 0, "{rate} Hz, {channels} channels");
        assert!(meter.readings().integrated_lufs.is_some());
        // Reset at 120 s: the last minute is what the meter has measured.
        assert!(
            (meter.readings().measured_s - 60.0).abs() < 0.01,
            "{}",
            meter.readings().measured_s
        );
        assert_eq!(meter.readings().non_finite_samples, 2 * 60);
        // The spectrum ran: the last minute is in its long-term average (less the first
        // frame's length after the reset, at most 0.26 s here, and a frame still pending).
        let covered = meter.spectrum().unwrap().long_term().covered_s();
        assert!(covered > 59.5 && covered <= 60.0, "{rate} Hz: {covered}");
    }
}

#[test]
fn random_block_sizes_give_identical_readings() {
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..6 {
        let rate = [44_100.0, 48_000.0, 96_000.0, 22_050.0][rng.random_range(0..4)];
        let channels = rng.random_range(1..=2);
        let audio: Vec<Vec<f32>> = (0..channels)
            .map(|_| noise(&mut rng, (rate * 8.3) as usize))
            .collect();
        let mut reference = Meter::new(MeterConfig::new(rate, channels)).unwrap();
        reference.process(&audio);
        let mut sliced = Meter::new(MeterConfig::new(rate, channels)).unwrap();
        let mut start = 0;
        while start < audio[0].len() {
            let end = (start + rng.random_range(0..=5000)).min(audio[0].len());
            let block: Vec<&[f32]> = audio.iter().map(|c| &c[start..end]).collect();
            sliced.process(&block);
            start = end;
        }
        assert_eq!(
            reference.readings(),
            sliced.readings(),
            "{rate} Hz, {channels} ch"
        );
    }
}

/// The session's frame summarizer (what every track instance runs) never allocates in
/// `process` or `reset`, at several rates and channel counts, with jumps of the host's
/// position, random block sizes and non-finite samples.
#[test]
fn the_frame_summarizer_never_allocates() {
    use mixmeter_core::session::FrameSummarizer;
    let mut rng = StdRng::seed_from_u64(21);
    for (rate, channels) in [(48_000.0, 2), (44_100.0, 1), (192_000.0, 2), (48_000.0, 6)] {
        let mut summarizer = FrameSummarizer::new(rate, &vec![1.0; channels]);
        let mut second: Vec<Vec<f32>> = (0..channels)
            .map(|_| noise(&mut rng, rate as usize))
            .collect();
        second[0][100] = f32::NAN;
        let block_sizes: Vec<usize> = (0..64).map(|_| rng.random_range(0..4096)).collect();
        let mut frames = 0usize;
        let allocations = allocations_in(|| {
            let mut position = 0u64;
            for seconds in 0..20 {
                if seconds == 10 {
                    summarizer.reset();
                }
                let mut start = 0;
                let mut k = seconds;
                while start < second[0].len() {
                    let end = (start + block_sizes[k % 64]).min(second[0].len());
                    k += 1;
                    let mut block: [&[f32]; 8] = [&[]; 8];
                    for (b, c) in block.iter_mut().zip(&second) {
                        *b = &c[start..end];
                    }
                    // Every 7th block jumps ahead (a loop or a locate in the host).
                    if k % 7 == 0 {
                        position += 12_345;
                    }
                    summarizer.process(&block[..channels], Some(position), |_| frames += 1);
                    position += (end - start) as u64;
                    start = end;
                }
            }
        });
        assert_eq!(allocations, 0, "{rate} Hz, {channels} ch");
        assert!(frames > 0);
    }
}
