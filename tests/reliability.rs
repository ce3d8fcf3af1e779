//! Hostile and faulty hosts, through a real CLAP host (clack-host) and the built bundles (the
//! release one and, through the README's test command, the debug one that aborts on any
//! allocation in `process()`): activation and processing cycles at changing sample rates with
//! a different block size every call (0 frames included), 64 instances at once, parameter and
//! state changes while audio runs. After each, the audio passes untouched (or folded exactly as
//! asked) and the measurement is still right: a 997 Hz sine at -23 dBFS on both channels reads
//! -23.0 LUFS (EBU Tech 3341 case 1, +-0.1 LU).

mod common;

use common::clap::{Bundle, Instance, ParamChange, bundles};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const MONO_CHECK: &str = "Mono Check";

/// A 997 Hz sine at `dbfs` on both channels, `frames` long from frame `start`.
fn sine(rate: f64, start: usize, frames: usize, dbfs: f64) -> Vec<Vec<f32>> {
    let amplitude = 10f64.powf(dbfs / 20.0);
    let channel: Vec<f32> = (start..start + frames)
        .map(|n| {
            let phase = (n as f64 * 997.0 / rate).fract();
            (amplitude * (phase * std::f64::consts::TAU).sin()) as f32
        })
        .collect();
    vec![channel.clone(), channel]
}

/// The `last-measurement` field of the plugin's saved state (the readings of its running
/// measurement, refreshed every 100 ms of audio).
fn measurement(instance: &mut Instance) -> serde_json::Value {
    let state = instance.save_state();
    let json: serde_json::Value = serde_json::from_slice(&state[8..]).expect("state is JSON");
    let field = json["fields"]["last-measurement"]
        .as_str()
        .expect("the state carries the last measurement");
    serde_json::from_str(field).expect("the measurement is JSON")
}

/// A block size for the next call: 0, 1, the maximum, or anything in between.
fn block_size(rng: &mut StdRng, max: u32) -> usize {
    match rng.random_range(0..8) {
        0 => 0,
        1 => 1,
        2 => max as usize,
        _ => rng.random_range(1..=max as usize),
    }
}

/// Plays `seconds` of the -23 dBFS sine in blocks of a new size every call, checking that
/// every block comes out bit-identical; returns the frames played.
fn play_sine(
    instance: &mut Instance,
    rate: f64,
    max_block: u32,
    seconds: f64,
    rng: &mut StdRng,
) -> usize {
    let frames = (rate * seconds).round() as usize;
    let mut played = 0;
    while played < frames {
        let block = block_size(rng, max_block).min(frames - played);
        let input = sine(rate, played, block, -23.0);
        let output = instance.process(&input, &[]);
        for (o, i) in output.iter().zip(&input) {
            assert!(
                o.iter().zip(i).all(|(a, b)| a.to_bits() == b.to_bits()),
                "passes untouched at {rate} Hz, block {block}"
            );
        }
        played += block;
    }
    played
}

fn assert_reads_minus_23(m: &serde_json::Value, what: &str) {
    let integrated = m["integrated_lufs"].as_f64();
    assert!(
        integrated.is_some_and(|i| (i + 23.0).abs() <= 0.1),
        "{what}: integrated {integrated:?}, expected -23.0 +-0.1"
    );
    let max_momentary = m["max_momentary_lufs"].as_f64();
    assert!(
        max_momentary.is_some_and(|i| (i + 23.0).abs() <= 0.1),
        "{what}: max momentary {max_momentary:?}"
    );
}

/// Activation cycles at eight sample rates from 8 kHz to 384 kHz with maximum block sizes
/// from 1 to 4096 frames, each with stop/start-processing cycles inside, every call a new
/// block size. A new rate starts a new measurement; the same rate again (or a stop and start of
/// processing) continues it, as the plugin documents.
#[test]
fn activation_and_processing_cycles_at_changing_rates_keep_measuring_right() {
    let cycles: [(f64, u32); 10] = [
        (48_000.0, 512),
        (48_000.0, 64),
        (96_000.0, 4096),
        (44_100.0, 1),
        (192_000.0, 333),
        (22_050.0, 2048),
        (384_000.0, 4096),
        (8_000.0, 100),
        (88_200.0, 4096),
        (48_000.0, 4096),
    ];
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        let mut rng = StdRng::seed_from_u64(9);
        let mut previous_rate = None;
        let mut measured_frames = 0usize;
        for (rate, max_block) in cycles {
            instance.activate(rate, max_block);
            if previous_rate != Some(rate) {
                measured_frames = 0;
            }
            // Seconds per cycle: enough for several gating blocks, small at block size 1.
            let seconds = if max_block == 1 { 1.2 } else { 2.0 };
            for _ in 0..3 {
                measured_frames +=
                    play_sine(&mut instance, rate, max_block, seconds / 3.0, &mut rng);
                instance.stop_processing();
                instance.start_processing();
            }
            let m = measurement(&mut instance);
            let what = format!("{} at {rate} Hz, blocks up to {max_block}", path.display());
            assert_reads_minus_23(&m, &what);
            let measured_s = m["measured_s"].as_f64().expect("measured time");
            let expected_s = measured_frames as f64 / rate;
            assert!(
                measured_s <= expected_s + 1e-9
                    && measured_s >= expected_s - 0.1 - f64::from(max_block) / rate,
                "{what}: measured {measured_s} s of {expected_s} s"
            );
            assert_eq!(m["non_finite_samples"], 0, "{what}");
            instance.deactivate();
            previous_rate = Some(rate);
        }
    }
}

/// 64 instances active at once, each fed its own level (from -40 to -8.5 dBFS in 0.5 dB
/// steps) in turns, as a DAW with 64 tracks does: every one passes its audio untouched and
/// measures its own level, not a neighbour's.
#[test]
fn sixty_four_instances_at_once_each_measure_their_own_audio() {
    const INSTANCES: usize = 64;
    const RATE: f64 = 48_000.0;
    const BLOCK: usize = 512;
    let level = |i: usize| -40.0 + 0.5 * i as f64;
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instances: Vec<Instance> = (0..INSTANCES)
            .map(|_| {
                let mut instance = bundle.instantiate();
                instance.activate(RATE, BLOCK as u32);
                instance
            })
            .collect();
        let blocks = (3.0 * RATE) as usize / BLOCK;
        for b in 0..blocks {
            for (i, instance) in instances.iter_mut().enumerate() {
                let input = sine(RATE, b * BLOCK, BLOCK, level(i));
                assert_eq!(
                    instance.process(&input, &[]),
                    input,
                    "instance {i} passes untouched"
                );
            }
        }
        for (i, instance) in instances.iter_mut().enumerate() {
            let m = measurement(instance);
            // A stereo sine at L dBFS reads L LUFS (the K-weighting's +0.691 dB at 997 Hz
            // cancels the -0.691 of the loudness formula, Tech 3341 case 1).
            let integrated = m["integrated_lufs"].as_f64();
            assert!(
                integrated.is_some_and(|v| (v - level(i)).abs() <= 0.1),
                "{}: instance {i} reads {integrated:?}, fed {} dBFS",
                path.display(),
                level(i)
            );
        }
    }
}

/// Every output sample is a mix of the input and its mono sum with one gain for both
/// channels (0 = untouched, 1 = folded, in between only during a 10 ms fade).
fn mono_gain(input: &[Vec<f32>], output: &[Vec<f32>], n: usize) -> Option<f32> {
    let (l, r) = (input[0][n], input[1][n]);
    let m = (l + r) * 0.5;
    let (ol, or) = (output[0][n], output[1][n]);
    if (m - l).abs() < 1e-3 {
        // Stereo and mono nearly agree here: any mix of them stays within their distance.
        let near = (m - l).abs() + 1e-6;
        assert!(
            (ol - l).abs() <= near && (or - r).abs() <= near,
            "sample {n}"
        );
        return None;
    }
    let gl = (ol - l) / (m - l);
    let gr = (or - r) / (m - r);
    assert!(
        (-1e-3..=1.0 + 1e-3).contains(&gl) && (gl - gr).abs() < 1e-3,
        "sample {n}: not a fade between stereo and mono ({gl}, {gr})"
    );
    Some(gl)
}

/// While audio runs: the mono check switched by automation at random offsets, the project
/// saved, reloaded (once with the check on, once off) and hit with broken state, all between
/// blocks of random size. The output is always the input or its exact fold (or the fade
/// between), ends in the state last asked for, and the measurement of the input is untouched
/// by all of it.
#[test]
fn parameter_and_state_changes_while_audio_runs() {
    const RATE: f64 = 48_000.0;
    const MAX_BLOCK: u32 = 2048;
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let (state_on, state_off) = {
            let mut donor = bundle.instantiate();
            let mono = donor.param_id(MONO_CHECK);
            donor.set_param_inactive(mono, 1.0);
            let on = donor.save_state();
            donor.set_param_inactive(mono, 0.0);
            (on, donor.save_state())
        };
        let mut instance = bundle.instantiate();
        let mono = instance.param_id(MONO_CHECK);
        instance.activate(RATE, MAX_BLOCK);
        let mut rng = StdRng::seed_from_u64(17);
        let mut frame = 0;
        let mut expected_on = false;
        let mut folded = 0;
        for call in 0..400 {
            let block = block_size(&mut rng, MAX_BLOCK);
            // Left and right differ (a phase-shifted copy), so the fold is visible.
            let mut input = sine(RATE, frame, block, -23.0);
            input[1] = sine(RATE, frame + 7, block, -23.0).remove(0);
            let mut changes = Vec::new();
            if block > 0 && rng.random_range(0..6) == 0 {
                expected_on = !expected_on;
                changes.push(ParamChange {
                    offset: rng.random_range(0..block as u32),
                    param_id: mono,
                    value: if expected_on { 1.0 } else { 0.0 },
                });
            }
            let output = instance.process(&input, &changes);
            for n in 0..block {
                if mono_gain(&input, &output, n).is_some_and(|g| g > 0.999) {
                    folded += 1;
                }
            }
            frame += block;
            match call % 50 {
                10 => {
                    let saved = instance.save_state();
                    assert!(saved.len() > 8, "state saves while processing");
                }
                20 => {
                    instance
                        .load_state(&state_on)
                        .expect("a saved project loads");
                    expected_on = true;
                }
                30 => {
                    let _ = instance.load_state(b"\x10\0\0\0\0\0\0\0{\"fields\":{\"edi");
                    let _ = instance.load_state(&[0xff; 40]);
                }
                40 => {
                    instance
                        .load_state(&state_off)
                        .expect("a saved project loads");
                    expected_on = false;
                }
                _ => {}
            }
            assert_eq!(
                instance.param_value(mono),
                if expected_on { 1.0 } else { 0.0 },
                "{}: call {call}",
                path.display()
            );
        }
        assert!(folded > 10_000, "the fold was heard ({folded} samples)");
        // Settled in the last state asked for: exactly folded, or exactly untouched.
        let mut input = sine(RATE, frame, 1024, -23.0);
        input[1] = sine(RATE, frame + 7, 1024, -23.0).remove(0);
        // The first block finishes any fade; the second is settled.
        instance.process(&input, &[]);
        let output = instance.process(&input, &[]);
        for n in 0..1024 {
            let expected = if expected_on {
                [(input[0][n] + input[1][n]) * 0.5; 2]
            } else {
                [input[0][n], input[1][n]]
            };
            assert_eq!([output[0][n], output[1][n]], expected, "sample {n}");
        }
        // The meter saw the input all along: two -23 dBFS sines (7 samples apart) on both
        // channels, whatever was switched and loaded (0.2 s more so that the saved readings,
        // refreshed every 100 ms of audio, are the meter's and not the loaded project's).
        for b in 0..10 {
            instance.process(&sine(RATE, frame + 1024 * (b + 2), 1024, -23.0), &[]);
        }
        let m = measurement(&mut instance);
        assert_reads_minus_23(&m, &path.display().to_string());
    }
}

/// Non-finite and extreme samples (NaN with payloads, infinities, the largest finite value,
/// 1e30, denormals, -0.0) in the middle of a mix: they leave the plugin bit for bit as they
/// came in, the non-finite ones are counted in the measurement (which the editor shows), no
/// reading becomes NaN, and once the transport restarts the measurement the meter reads the
/// next programme exactly: no filter was left poisoned.
#[test]
fn non_finite_and_extreme_input_passes_untouched_and_is_counted() {
    const RATE: f64 = 48_000.0;
    let extremes = [
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7fc0_1234),
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        -f32::MAX,
        1e30,
        f32::MIN_POSITIVE / 8.0,
        -0.0,
    ];
    let non_finite_per_block = extremes.iter().filter(|x| !x.is_finite()).count() as u64;
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        instance.activate(RATE, 1024);
        let blocks = 100;
        for b in 0..blocks {
            let mut input = sine(RATE, b * 1024, 1024, -23.0);
            for (i, &x) in extremes.iter().enumerate() {
                input[i % 2][37 + 97 * i] = x;
            }
            let output = instance.process_with_transport(&input, &[], Some(false));
            for (o, i) in output.iter().zip(&input) {
                assert!(
                    o.iter().zip(i).all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{}: block {b} passes bit for bit",
                    path.display()
                );
            }
        }
        let m = measurement(&mut instance);
        assert_eq!(
            m["non_finite_samples"].as_u64(),
            Some(non_finite_per_block * blocks as u64),
            "{}",
            path.display()
        );
        for (field, value) in m.as_object().unwrap() {
            let numbers: Vec<&serde_json::Value> = match value {
                serde_json::Value::Array(values) => values.iter().collect(),
                other => vec![other],
            };
            for v in numbers {
                assert!(
                    v.is_null() || v.as_f64().is_some_and(f64::is_finite),
                    "{}: {field} = {v}",
                    path.display()
                );
            }
        }
        // The transport starts (Reset on Play is on by default): a new measurement, clean.
        let mut frame = 0;
        while frame < (3.0 * RATE) as usize {
            let input = sine(RATE, frame, 1024, -23.0);
            instance.process_with_transport(&input, &[], Some(true));
            frame += 1024;
        }
        let m = measurement(&mut instance);
        assert_reads_minus_23(&m, &format!("{} after extremes", path.display()));
        assert_eq!(m["non_finite_samples"], 0);
        let true_peak = m["true_peak_dbtp"].as_f64().expect("a true peak");
        assert!(
            (true_peak + 23.0).abs() < 0.1,
            "{}: true peak {true_peak} dBTP after the extremes",
            path.display()
        );
    }
}
