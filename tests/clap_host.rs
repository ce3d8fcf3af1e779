//! Host tests: the built `mixmeter.clap` loaded by a real CLAP host (clack-host), as a DAW
//! loads it. Run against the release bundle and, through the README's test command, against a
//! debug bundle built with nice-plug's `assert_process_allocs`, which aborts on any allocation
//! inside `process()`.

mod common;

use clack_extensions::params::ParamInfoFlags;
use common::clap::{Bundle, Instance, ParamChange, bundles};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const MONO_CHECK: &str = "Mono Check";
const MAX_BLOCK: u32 = 4096;

/// Stereo test material: noise, a sine and the awkward values a meter must survive
/// (denormals, -0.0, full scale, NaN, infinities), so "bit-exact" is checked on all of them.
fn test_signal(rng: &mut StdRng, frames: usize, sample_rate: f64) -> Vec<Vec<f32>> {
    let mut channels: Vec<Vec<f32>> = (0..2)
        .map(|c| {
            (0..frames)
                .map(|n| {
                    let phase = n as f64 * 2.0 * std::f64::consts::PI * (440.0 + 110.0 * c as f64)
                        / sample_rate;
                    (0.5 * phase.sin()) as f32 + rng.random_range(-0.25f32..0.25)
                })
                .collect()
        })
        .collect();
    let specials = [
        f32::MIN_POSITIVE / 4.0,
        -0.0,
        1.0,
        -1.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::from_bits(0x7fc0_1234),
    ];
    for (i, special) in specials.iter().enumerate() {
        let at = (i + 1) * frames / (specials.len() + 2);
        channels[i % 2][at] = *special;
    }
    channels
}

fn bits(channel: &[f32]) -> Vec<u32> {
    channel.iter().map(|x| x.to_bits()).collect()
}

/// Feeds `input` in random block sizes (0 to MAX_BLOCK frames), returning the output.
fn process_in_random_blocks(
    instance: &mut Instance,
    input: &[Vec<f32>],
    rng: &mut StdRng,
) -> Vec<Vec<f32>> {
    let frames = input[0].len();
    let mut output: Vec<Vec<f32>> = vec![Vec::with_capacity(frames); input.len()];
    let mut offset = 0;
    while offset < frames {
        let block = match rng.random_range(0..10) {
            0 => 0,
            1 => 1,
            2 => MAX_BLOCK as usize,
            _ => rng.random_range(1..=MAX_BLOCK as usize),
        }
        .min(frames - offset);
        let chunk: Vec<Vec<f32>> = input
            .iter()
            .map(|c| c[offset..offset + block].to_vec())
            .collect();
        let out = instance.process(&chunk, &[]);
        for (o, c) in output.iter_mut().zip(out) {
            o.extend_from_slice(&c);
        }
        offset += block;
    }
    output
}

#[test]
fn descriptor_names_the_plugin_and_its_features() {
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let (id, name, features) = bundle.descriptor();
        assert_eq!(id, "org.mixmeter.mixmeter");
        assert_eq!(name, "Mixmeter");
        for feature in ["analyzer", "utility", "stereo", "mono"] {
            assert!(
                features.iter().any(|f| f == feature),
                "{feature} missing in {features:?}"
            );
        }
    }
}

#[test]
fn passthrough_is_bit_exact_at_every_rate_and_block_size() {
    for path in bundles() {
        let bundle = Bundle::load(&path);
        for (seed, sample_rate) in [44_100.0, 48_000.0, 96_000.0, 192_000.0]
            .into_iter()
            .enumerate()
        {
            let mut rng = StdRng::seed_from_u64(seed as u64 + 1);
            let mut instance = bundle.instantiate();
            instance.activate(sample_rate, MAX_BLOCK);
            let input = test_signal(&mut rng, sample_rate as usize, sample_rate);
            let output = process_in_random_blocks(&mut instance, &input, &mut rng);
            for (c, (i, o)) in input.iter().zip(&output).enumerate() {
                assert_eq!(o.len(), i.len());
                assert!(
                    bits(i) == bits(o),
                    "{} at {sample_rate} Hz: channel {c} changed",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn mono_check_switches_at_the_event_offset_inside_a_block() {
    const RATE_HZ: f64 = 48_000.0;
    let fade_frames = (RATE_HZ * 0.010) as usize; // 10 ms, see monitor::MONO_FADE_MS
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        let mono = instance.param_id(MONO_CHECK);
        instance.activate(RATE_HZ, MAX_BLOCK);
        let mut rng = StdRng::seed_from_u64(7);
        let input = test_signal(&mut rng, 2048, RATE_HZ);
        // Only finite material here: the check is about the fold, not about NaN arithmetic.
        let input: Vec<Vec<f32>> = input
            .into_iter()
            .map(|c| {
                c.into_iter()
                    .map(|x| if x.is_finite() { x } else { 0.0 })
                    .collect()
            })
            .collect();

        let on_at = 300;
        let out = instance.process(
            &input,
            &[ParamChange {
                offset: on_at as u32,
                param_id: mono,
                value: 1.0,
            }],
        );
        assert_eq!(
            bits(&out[0][..on_at]),
            bits(&input[0][..on_at]),
            "untouched before the event"
        );
        assert_ne!(
            out[0][on_at + fade_frames / 2],
            input[0][on_at + fade_frames / 2],
            "fading"
        );
        for n in on_at + fade_frames + 1..input[0].len() {
            let sum = (input[0][n] + input[1][n]) / 2.0;
            assert_eq!(
                out[0][n].to_bits(),
                sum.to_bits(),
                "left is the mono sum at {n}"
            );
            assert_eq!(
                out[1][n].to_bits(),
                sum.to_bits(),
                "right is the mono sum at {n}"
            );
        }
        assert_eq!(
            instance.param_value(mono),
            1.0,
            "the host sees the new value"
        );

        // Click-free: no step larger than the input's own largest step plus the ramp's share.
        let own_step = input
            .iter()
            .flat_map(|c| c.windows(2).map(|w| (w[1] - w[0]).abs()))
            .fold(0.0f32, f32::max);
        for channel in &out {
            let step = channel
                .windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0f32, f32::max);
            assert!(
                step <= own_step + 1.5 / fade_frames as f32,
                "click: {step} > {own_step}"
            );
        }

        let off_at = 1000;
        let out = instance.process(
            &input,
            &[ParamChange {
                offset: off_at as u32,
                param_id: mono,
                value: 0.0,
            }],
        );
        let sum0 = (input[0][off_at - 1] + input[1][off_at - 1]) / 2.0;
        assert_eq!(out[0][off_at - 1], sum0, "still mono before the event");
        assert_eq!(
            bits(&out[0][off_at + fade_frames + 1..]),
            bits(&input[0][off_at + fade_frames + 1..])
        );
        assert_eq!(
            bits(&out[1][off_at + fade_frames + 1..]),
            bits(&input[1][off_at + fade_frames + 1..])
        );
        assert_eq!(instance.param_value(mono), 0.0);
    }
}

#[test]
fn state_round_trips_into_a_fresh_instance() {
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut original = bundle.instantiate();
        let params = original.params();
        assert!(!params.is_empty());
        let mono = original.param_id(MONO_CHECK);
        assert_eq!(original.param_value(mono), 0.0, "default off");
        let flags = original.param_flags(mono);
        assert!(flags.contains(ParamInfoFlags::IS_AUTOMATABLE), "{flags:?}");
        assert!(flags.contains(ParamInfoFlags::IS_STEPPED), "{flags:?}");
        original.set_param_inactive(mono, 1.0);
        assert_eq!(original.param_value(mono), 1.0);
        let state = original.save_state();

        let mut restored = bundle.instantiate();
        restored.load_state(&state).expect("own state loads");
        for (id, name, ..) in &params {
            assert_eq!(
                restored.param_value(*id),
                original.param_value(*id),
                "{name} restored"
            );
        }
        // And the restored value is live: the output is folded from the first sample.
        restored.activate(48_000.0, 512);
        let input = vec![vec![0.5f32; 64], vec![-0.25f32; 64]];
        let out = restored.process(&input, &[]);
        assert!(
            out.iter().all(|c| c.iter().all(|&x| x == 0.125)),
            "restored mono check is engaged"
        );
    }
}

#[test]
fn garbage_state_keeps_the_defaults_and_the_plugin_working() {
    let mut rng = StdRng::seed_from_u64(99);
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let valid = {
            let mut instance = bundle.instantiate();
            let mono = instance.param_id(MONO_CHECK);
            instance.set_param_inactive(mono, 1.0);
            instance.save_state()
        };
        let framed = |json: &str| {
            let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
            bytes.extend_from_slice(json.as_bytes());
            bytes
        };
        let random: Vec<u8> = (0..300).map(|_| rng.random()).collect();
        let mut random_framed = 200u64.to_le_bytes().to_vec();
        random_framed.extend((0..200).map(|_| rng.random::<u8>()));
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", vec![]),
            ("truncated length", valid[..4].to_vec()),
            ("truncated body", valid[..valid.len() / 2].to_vec()),
            ("random bytes", random),
            ("random body with a valid length", random_framed),
            ("huge length", u64::MAX.to_le_bytes().to_vec()),
            ("foreign JSON", framed(r#"{"plugin":"another","volume":3}"#)),
            (
                "wrong value type",
                framed(
                    r#"{"version":"0.1.0","params":{"mono_check":{"f32":0.7},"reset_on_play":{"string":"x"}},"fields":{}}"#,
                ),
            ),
            (
                "unknown parameter",
                framed(r#"{"version":"0.1.0","params":{"gain":{"f32":0.7}},"fields":{}}"#),
            ),
        ];
        for (what, bytes) in cases {
            let mut instance = bundle.instantiate();
            let mono = instance.param_id(MONO_CHECK);
            let reset_on_play = instance.param_id("Reset on Play");
            let _ = instance.load_state(&bytes);
            assert_eq!(instance.param_value(mono), 0.0, "{what}: default kept");
            assert_eq!(
                instance.param_value(reset_on_play),
                1.0,
                "{what}: default kept"
            );
            // Still a working plugin: activates and passes audio untouched.
            instance.activate(44_100.0, 256);
            let input = vec![vec![0.3f32; 100], vec![-0.7f32; 100]];
            assert_eq!(
                instance.process(&input, &[]),
                input,
                "{what}: still passes audio"
            );
        }
    }
}

#[test]
fn reactivation_at_new_rates_and_block_sizes_keeps_passthrough() {
    // Reactivating at another rate and block size must keep passing audio untouched.
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        let mut rng = StdRng::seed_from_u64(3);
        for (rate, max) in [(48_000.0, 64), (96_000.0, 4096), (44_100.0, 1)] {
            instance.activate(rate, max);
            let input = test_signal(&mut rng, 3000, rate);
            let mut out: Vec<Vec<f32>> = vec![Vec::new(), Vec::new()];
            for start in (0..3000).step_by(max as usize) {
                let end = (start + max as usize).min(3000);
                let chunk: Vec<Vec<f32>> = input.iter().map(|c| c[start..end].to_vec()).collect();
                for (o, c) in out.iter_mut().zip(instance.process(&chunk, &[])) {
                    o.extend(c);
                }
            }
            assert_eq!(bits(&out[0]), bits(&input[0]));
            assert_eq!(bits(&out[1]), bits(&input[1]));
            instance.deactivate();
        }
    }
}

/// A host at a rate the meter cannot measure (4 kHz, 768 kHz: clap-validator tries them) keeps
/// the plugin: activation succeeds and audio passes through bit-exactly, even with the mono
/// check on (nothing is measured or applied; the editor says why, see the bridge and editor
/// tests). Back at a supported rate it measures again.
#[test]
fn unsupported_rates_activate_and_pass_audio_through() {
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        let mono = instance.param_id(MONO_CHECK);
        instance.set_param_inactive(mono, 1.0);
        let mut rng = StdRng::seed_from_u64(11);
        for rate in [4_000.0, 768_000.0, 3_000.0, 1_000_000.0] {
            instance.activate(rate, MAX_BLOCK);
            let input = test_signal(&mut rng, (rate as usize).min(100_000), rate);
            let output = process_in_random_blocks(&mut instance, &input, &mut rng);
            for (c, (i, o)) in input.iter().zip(&output).enumerate() {
                assert_eq!(o.len(), i.len());
                assert!(bits(i) == bits(o), "{rate} Hz: channel {c} changed");
            }
            instance.deactivate();
        }
        // At 48 kHz the mono check folds again: the plugin works, it was only paused.
        instance.activate(48_000.0, MAX_BLOCK);
        let left = vec![0.5f32; 4800];
        let right = vec![-0.5f32; 4800];
        let out = instance.process(&[left, right], &[]);
        assert!(out[0][4799].abs() < 1e-6, "folded: {}", out[0][4799]);
        instance.deactivate();
    }
}

/// The readings of the saved state's `last-measurement` field, from a state blob (a u64
/// length, then nice-plug's JSON with each persisted field as a JSON string).
fn saved_measurement(state: &[u8]) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_slice(&state[8..]).expect("state is JSON");
    let field = json["fields"]["last-measurement"]
        .as_str()
        .expect("the state carries the last measurement");
    serde_json::from_str(field).expect("the measurement is JSON")
}

/// Same numbers as the analyzer: a real 10 s programme-like WAV (made by ffmpeg) played
/// through the CLAP build in 480-frame blocks, and the same file through `mixmeter analyze`,
/// read the same integrated loudness, LRA, maxima, true and sample peaks, PLR, crest factor,
/// correlation and mono loss (the plugin's state carries its last measurement).
#[test]
fn the_plugin_measures_a_file_exactly_as_the_analyzer_does() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-vs-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("programme.wav");
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:amplitude=0.3:sample_rate=48000:duration=10:seed=7",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:sample_rate=48000:duration=10",
        ])
        .args([
            "-filter_complex",
            "[0][1]amerge=inputs=2,volume='0.4+0.35*sin(t*1.3)':eval=frame",
            "-c:a",
            "pcm_s24le",
        ])
        .arg(&wav)
        .status()
        .expect("ffmpeg runs (./test.sh installs it)");
    assert!(status.success());

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mixmeter"))
        .args(["analyze", "--json"])
        .arg(&wav)
        .output()
        .unwrap();
    assert!(output.status.success());
    let cli: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let file = mixmeter::decode::AudioFile::open(&wav).unwrap();
    let mut audio = [Vec::new(), Vec::new()];
    file.decode(|block| {
        for (to, from) in audio.iter_mut().zip(block) {
            to.extend_from_slice(from);
        }
    })
    .unwrap();
    assert_eq!(audio[0].len(), 480_000);

    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        instance.activate(48_000.0, 480);
        for start in (0..audio[0].len()).step_by(480) {
            let block: Vec<Vec<f32>> = audio
                .iter()
                .map(|c| c[start..start + 480].to_vec())
                .collect();
            instance.process(&block, &[]);
        }
        let plugin = saved_measurement(&instance.save_state());
        assert_eq!(plugin["measured_s"], 10.0, "{}", path.display());
        for field in [
            "integrated_lufs",
            "loudness_range_lu",
            "max_momentary_lufs",
            "max_short_term_lufs",
            "true_peak_dbtp",
            "sample_peak_dbfs",
            "plr_db",
            "crest_factor_db",
            "correlation",
            "mono_loss_lu",
        ] {
            let (p, c) = (plugin[field].as_f64(), cli[field].as_f64());
            let (Some(p), Some(c)) = (p, c) else {
                panic!("{}: {field} plugin {p:?} analyzer {c:?}", path.display());
            };
            assert!(
                (p - c).abs() <= 1e-9,
                "{}: {field} plugin {p} analyzer {c}",
                path.display()
            );
        }
        for channel in 0..2 {
            let p = plugin["true_peak_dbtp_per_channel"][channel]
                .as_f64()
                .unwrap();
            let c = cli["true_peak_dbtp_per_channel"][channel].as_f64().unwrap();
            assert!(
                (p - c).abs() <= 1e-9,
                "{}: channel {channel} true peak",
                path.display()
            );
        }
        assert_eq!(plugin["non_finite_samples"], cli["non_finite_samples"]);

        // The measurement survives a save and load into a fresh instance, and a damaged one
        // is dropped without touching anything else.
        let state = instance.save_state();
        let mut reopened = bundle.instantiate();
        reopened.load_state(&state).unwrap();
        assert_eq!(saved_measurement(&reopened.save_state()), plugin);
        let json = String::from_utf8(state[8..].to_vec()).unwrap();
        let damaged = json.replacen("integrated_lufs", "integrated_lufs\\\":[nonsense", 1);
        let mut framed = (damaged.len() as u64).to_le_bytes().to_vec();
        framed.extend_from_slice(damaged.as_bytes());
        let mut other = bundle.instantiate();
        let _ = other.load_state(&framed);
        other.activate(48_000.0, 480);
        let block = vec![vec![0.25f32; 480], vec![-0.25f32; 480]];
        assert_eq!(
            other.process(&block, &[]),
            block,
            "still passes audio through"
        );
    }
}

/// Reference curves and spectrum settings live in the plugin's state: a project saved with a
/// captured curve and a hand-made one reopens with both (and the selection and settings), and
/// a damaged curve in the state is dropped alone: the others, the parameters and the audio are
/// unaffected.
#[test]
fn reference_curves_and_spectrum_settings_survive_in_the_state() {
    use mixmeter::reference::{Curve, CurveKind, builtin};
    let mut captured = builtin::curve("tilt-4.5").unwrap();
    captured.name = "mix v3".to_string();
    captured.kind = CurveKind::Captured;
    let hand_made = Curve::from_json(
        r#"{"format": "mixmeter-reference-curve", "version": 1, "name": "hand-made",
            "kind": "custom", "source": "typed", "method": "by ear",
            "frequency_hz": [30, 300, 3000, 16000], "level_db": [3, 0, -6, -12],
            "band_low_db": [1, -1, -8, -15], "band_high_db": [5, 1, -4, -9]}"#,
    )
    .unwrap();
    let mut damaged = serde_json::to_value(&hand_made).unwrap();
    damaged["name"] = "damaged".into();
    damaged["level_db"][2] = "loud".into();
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut original = bundle.instantiate();
        let mono = original.param_id(MONO_CHECK);
        original.set_param_inactive(mono, 1.0);
        let state = original.save_state();
        let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        assert!(
            json["fields"]["references"].is_string(),
            "the state has a references field"
        );
        let library = serde_json::json!({
            "curves": [captured, damaged, hand_made],
            "selected": "curve:mix v3",
        });
        json["fields"]["references"] = library.to_string().into();
        json["fields"]["spectrum-view"] = serde_json::json!({
            "fft_size": 16384, "smoothing_octave_fraction": 12, "tilt_db_per_octave": 3.0, "peak_hold": false,
        })
        .to_string()
        .into();
        let body = serde_json::to_vec(&json).unwrap();
        let mut project = (body.len() as u64).to_le_bytes().to_vec();
        project.extend(body);

        let mut reopened = bundle.instantiate();
        reopened
            .load_state(&project)
            .expect("the project's state loads");
        let mono = reopened.param_id(MONO_CHECK);
        assert_eq!(reopened.param_value(mono), 1.0);
        // Saved again, it carries both good curves, unchanged, and the selection.
        let again = reopened.save_state();
        let json: serde_json::Value = serde_json::from_slice(&again[8..]).unwrap();
        let library: serde_json::Value =
            serde_json::from_str(json["fields"]["references"].as_str().unwrap()).unwrap();
        let curves: Vec<Curve> = library["curves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Curve::from_value(c.clone()).unwrap())
            .collect();
        assert_eq!(
            curves,
            vec![captured.clone(), hand_made.clone()],
            "{}",
            path.display()
        );
        assert_eq!(library["selected"], "curve:mix v3");
        let view: serde_json::Value =
            serde_json::from_str(json["fields"]["spectrum-view"].as_str().unwrap()).unwrap();
        assert_eq!(view["fft_size"], 16384);
        assert_eq!(view["smoothing_octave_fraction"], 12);
        assert_eq!(view["peak_hold"], false);
        // And it runs: mono-folded output from the first sample.
        reopened.activate(48_000.0, 512);
        let out = reopened.process(&[vec![0.5f32; 64], vec![-0.25f32; 64]], &[]);
        assert!(out.iter().all(|c| c.iter().all(|&x| x == 0.125)));
    }
}

/// Level match in the real host: with the mono check and "Mono Level Match" on, the folded
/// output of partly correlated noise measures (BS.1770, the crate's own meter) as loud as the
/// stereo input once the 3 s window has settled; switched off, the output is the exact plain
/// sum again.
#[test]
fn mono_level_match_makes_the_fold_as_loud_as_the_stereo_input() {
    use mixmeter::meter::engine::{Meter, MeterConfig};
    const RATE_HZ: f64 = 48_000.0;
    let mut rng = StdRng::seed_from_u64(99);
    let frames = RATE_HZ as usize * 10;
    let mut input = [Vec::with_capacity(frames), Vec::with_capacity(frames)];
    for _ in 0..frames {
        let common: f32 = rng.random_range(-0.2..0.2);
        input[0].push(0.4 * common + rng.random_range(-0.2f32..0.2));
        input[1].push(0.4 * common + rng.random_range(-0.2f32..0.2));
    }
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        let mono = instance.param_id(MONO_CHECK);
        let level_match = instance.param_id("Mono Level Match");
        instance.set_param_inactive(mono, 1.0);
        instance.set_param_inactive(level_match, 1.0);
        instance.activate(RATE_HZ, MAX_BLOCK);
        let mut input_meter = Meter::new(MeterConfig::new(RATE_HZ, 2)).unwrap();
        let mut output_meter = Meter::new(MeterConfig::new(RATE_HZ, 2)).unwrap();
        let mut output = [Vec::new(), Vec::new()];
        for start in (0..frames).step_by(1000) {
            let chunk: Vec<Vec<f32>> = input
                .iter()
                .map(|c| c[start..start + 1000].to_vec())
                .collect();
            let out = instance.process(&chunk, &[]);
            input_meter.process(&chunk);
            output_meter.process(&out);
            for (o, c) in output.iter_mut().zip(out) {
                o.extend(c);
            }
        }
        let stereo = input_meter.readings();
        let folded = output_meter.readings();
        let loss = stereo.mono_loss_short_term_lu.unwrap();
        assert!(loss < -2.0, "the material loses level in mono: {loss}");
        println!(
            "mono loss {loss:.2} LU, folded and level-matched minus stereo {:.3} LU",
            folded.short_term_lufs.unwrap() - stereo.short_term_lufs.unwrap()
        );
        let difference = folded.short_term_lufs.unwrap() - stereo.short_term_lufs.unwrap();
        assert!(
            difference.abs() < 0.1,
            "{}: {difference} LU",
            path.display()
        );
        // Both outputs carry the same (raised) sum.
        assert_eq!(bits(&output[0]), bits(&output[1]));
        let n = frames - 1;
        let plain = (input[0][n] + input[1][n]) * 0.5;
        let gain = output[0][n] / plain;
        assert!(
            (20.0 * gain.log10() + loss as f32).abs() < 0.1,
            "gain {gain}"
        );

        // Level match off: the exact plain sum again.
        instance.deactivate();
        instance.set_param_inactive(level_match, 0.0);
        instance.activate(RATE_HZ, MAX_BLOCK);
        for start in (0..frames).step_by(4000) {
            let chunk: Vec<Vec<f32>> = input
                .iter()
                .map(|c| c[start..start + 4000].to_vec())
                .collect();
            let out = instance.process(&chunk, &[]);
            for n in 0..4000 {
                let sum = (chunk[0][n] + chunk[1][n]) * 0.5;
                assert_eq!(
                    out[0][n].to_bits(),
                    sum.to_bits(),
                    "plain sum at {}",
                    start + n
                );
            }
        }
    }
}

/// An offline render (the host calls CLAP `render.set(offline)`, activates, plays the whole
/// mix, deactivates) writes a JSON and a PNG report into the project's report folder, on a
/// thread of its own: the JSON carries the render's measurement (the same numbers the plugin
/// saved for it) and one short-term value per second, the PNG is the 1200x400 picture with the
/// short-term curve drawn. A real-time session before or after it writes nothing.
#[test]
fn an_offline_render_writes_a_json_and_png_report() {
    const RATE: f64 = 48_000.0;
    const BLOCK: usize = 960;
    for (index, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("render-report-{index}"));
        let _ = std::fs::remove_dir_all(&dir);
        let mut instance = bundle.instantiate();
        let state = instance.save_state();
        let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        json["fields"]["report-folder"] =
            serde_json::to_string(dir.to_str().unwrap()).unwrap().into();
        let body = serde_json::to_vec(&json).unwrap();
        let mut project = (body.len() as u64).to_le_bytes().to_vec();
        project.extend(body);
        instance
            .load_state(&project)
            .expect("a project with a report folder loads");

        // Something measured before the render, which the render must not include.
        instance.activate(RATE, BLOCK as u32);
        let loud = vec![vec![0.9f32; BLOCK], vec![0.9f32; BLOCK]];
        for _ in 0..100 {
            instance.process(&loud, &[]);
        }
        instance.deactivate();
        assert!(!dir.exists(), "a real-time session writes no report");

        instance.set_render_offline(true);
        instance.activate(RATE, BLOCK as u32);
        // 12 s at -23 dBFS, then 8 s at -13 dBFS: a 997 Hz sine on both channels.
        let mut frame = 0;
        for (seconds, dbfs) in [(12, -23.0), (8, -13.0)] {
            let amplitude = 10f64.powf(dbfs / 20.0);
            for _ in 0..seconds * RATE as usize / BLOCK {
                let channel: Vec<f32> = (frame..frame + BLOCK)
                    .map(|n| {
                        let phase = (n as f64 * 997.0 / RATE).fract();
                        (amplitude * (phase * std::f64::consts::TAU).sin()) as f32
                    })
                    .collect();
                instance.process(&[channel.clone(), channel], &[]);
                frame += BLOCK;
            }
        }
        let saved = saved_measurement(&instance.save_state());
        assert_eq!(saved["measured_s"], 20.0, "{}", path.display());
        instance.deactivate();

        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let (json_path, png_path) = loop {
            let files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            let find = |ext: &str| {
                files
                    .iter()
                    .find(|f| f.extension().is_some_and(|e| e == ext))
                    .cloned()
            };
            if let (Some(json), Some(png)) = (find("json"), find("png")) {
                // The PNG is written after the JSON: wait until it is complete.
                if png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()))
                    .read_info()
                    .is_ok_and(|mut r| {
                        r.next_frame(&mut vec![0; r.output_buffer_size().unwrap()])
                            .is_ok()
                    })
                {
                    break (json, png);
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{}: no report in {}",
                path.display(),
                dir.display()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        assert_eq!(report["kind"], "mixmeter render report");
        assert_eq!(report["duration_s"], 20.0);
        for field in [
            "integrated_lufs",
            "loudness_range_lu",
            "max_momentary_lufs",
            "true_peak_dbtp",
            "plr_db",
        ] {
            assert_eq!(report[field], saved[field], "{}: {field}", path.display());
        }
        // The loud material before the render is not in it: its true peak is the -13 dBFS
        // sine's.
        assert!(
            (report["true_peak_dbtp"].as_f64().unwrap() + 13.0).abs() < 0.1,
            "{report}"
        );
        let series = report["short_term_lufs"].as_array().unwrap();
        assert_eq!(series.len(), 20);
        assert!(
            (series[10].as_f64().unwrap() + 23.0).abs() < 0.1,
            "{series:?}"
        );
        assert!(
            (series[19].as_f64().unwrap() + 13.0).abs() < 0.1,
            "{series:?}"
        );

        let mut reader = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(&png_path).unwrap(),
        ))
        .read_info()
        .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), (1200, 400));
        let green = pixels
            .chunks_exact(3)
            .filter(|p| p == &[0x3C, 0xB3, 0x71])
            .count();
        assert!(
            green > 1000,
            "{}: the short-term curve is drawn ({green} px)",
            path.display()
        );

        // Back to real time: no new report.
        instance.set_render_offline(false);
        instance.activate(RATE, BLOCK as u32);
        instance.process(&loud, &[]);
        instance.deactivate();
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            2,
            "one JSON and one PNG"
        );
    }
}
