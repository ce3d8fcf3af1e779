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
/// Values a host may pass that the plugin must carry through untouched: a denormal, -0.0,
/// full scale both ways, NaN (two payloads) and the infinities.
const AWKWARD_SAMPLES: [f32; 8] = [
    f32::MIN_POSITIVE / 4.0,
    -0.0,
    1.0,
    -1.0,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::from_bits(0x7fc0_1234),
];

/// `channels` channels, each a sine (`base_hz + step_hz * c`, amplitude `amplitude`) plus
/// uniform noise of +-`noise`.
fn tones_and_noise(
    rng: &mut StdRng,
    channels: usize,
    frames: usize,
    rate: f64,
    (base_hz, step_hz): (f64, f64),
    (amplitude, noise): (f64, f32),
) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|c| {
            (0..frames)
                .map(|n| {
                    let phase =
                        n as f64 * 2.0 * std::f64::consts::PI * (base_hz + step_hz * c as f64)
                            / rate;
                    (amplitude * phase.sin()) as f32 + rng.random_range(-noise..noise)
                })
                .collect()
        })
        .collect()
}

fn test_signal(rng: &mut StdRng, frames: usize, sample_rate: f64) -> Vec<Vec<f32>> {
    let mut channels = tones_and_noise(rng, 2, frames, sample_rate, (440.0, 110.0), (0.5, 0.25));
    let specials = AWKWARD_SAMPLES;
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
        let input = finite_only(input);

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

    let output = std::process::Command::new(common::cli::mixmeter_cli())
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
        let plugin = common::clap::saved_measurement(&instance.save_state());
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
        assert_eq!(
            common::clap::saved_measurement(&reopened.save_state()),
            plugin
        );
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
/// saved for it) and one short-term value per second, the PNG is the 1400x900 page with the
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
        let saved = common::clap::saved_measurement(&instance.save_state());
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
        assert_eq!((info.width, info.height), (1400, 900));
        // The short-term curve in the editor's short-term colour.
        let green = pixels
            .chunks_exact(3)
            .filter(|p| {
                p[0].abs_diff(0x62) < 12 && p[1].abs_diff(0xB5) < 12 && p[2].abs_diff(0x6B) < 12
            })
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

/// A fresh instance whose project sets `fields` (persisted field name -> JSON text).
fn instance_with_fields(bundle: &Bundle, fields: &[(&str, String)]) -> common::clap::Instance {
    let mut instance = bundle.instantiate();
    let state = instance.save_state();
    let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
    for (key, value) in fields {
        json["fields"][*key] = value.clone().into();
    }
    let body = serde_json::to_vec(&json).unwrap();
    let mut project = (body.len() as u64).to_le_bytes().to_vec();
    project.extend(body);
    instance.load_state(&project).expect("the project loads");
    instance
}

fn report_dir(name: &str, index: usize) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{index}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn folder_field(dir: &std::path::Path) -> (&'static str, String) {
    (
        "report-folder",
        serde_json::to_string(dir.to_str().unwrap()).unwrap(),
    )
}

/// An offline render of `seconds` of a -20 dBFS 997 Hz sine in blocks of 480, with the
/// transport playing from `start_s` (or no transport).
fn offline_render(instance: &mut common::clap::Instance, seconds: f64, start_s: Option<f64>) {
    const RATE: f64 = 48_000.0;
    const BLOCK: usize = 480;
    instance.set_render_offline(true);
    instance.activate(RATE, BLOCK as u32);
    let blocks = (seconds * RATE / BLOCK as f64).round() as usize;
    for b in 0..blocks {
        let channel: Vec<f32> = (b * BLOCK..(b + 1) * BLOCK)
            .map(|n| (0.1 * (n as f64 * 997.0 / RATE * std::f64::consts::TAU).sin()) as f32)
            .collect();
        let transport = start_s.map(|s| (true, s + (b * BLOCK) as f64 / RATE));
        instance.process_at(&[channel.clone(), channel], &[], transport);
    }
    instance.deactivate();
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits (up to 20 s) until the folder holds `count` complete reports (a JSON is written last).
fn wait_for_reports(dir: &std::path::Path, count: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let json: Vec<String> = files_in(dir)
            .into_iter()
            .filter(|n| n.ends_with(".json"))
            .collect();
        if json.len() >= count || std::time::Instant::now() > deadline {
            return json;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// What a validator or a fuzzer does (many short offline activations, with and without a
/// transport, silent or not) writes no report; a 30 s render played once through then writes
/// exactly one; a render whose transport loops writes none; with reports off, none.
#[test]
fn validator_passes_write_no_report_and_a_30_s_render_writes_exactly_one() {
    for (index, path) in bundles().iter().enumerate() {
        let bundle = Bundle::load(path);
        let dir = report_dir("validator-renders", index);
        let mut instance = instance_with_fields(&bundle, &[folder_field(&dir)]);
        for (i, seconds) in [0.01, 0.055, 0.5, 1.0, 2.0, 1.0, 2.0, 5.0, 9.5, 1.0]
            .into_iter()
            .enumerate()
        {
            let start = (i % 2 == 0).then_some(0.0);
            offline_render(&mut instance, seconds, start);
        }
        // A silent 12 s pass (fuzzers feed silence too).
        instance.set_render_offline(true);
        instance.activate(48_000.0, 480);
        for _ in 0..1200 {
            instance.process(&[vec![0.0; 480], vec![0.0; 480]], &[]);
        }
        instance.deactivate();
        // A 20 s pass whose transport loops back every 5 s (a looping preview).
        instance.set_render_offline(true);
        instance.activate(48_000.0, 480);
        for b in 0..2000usize {
            let x: Vec<f32> = (0..480)
                .map(|n| if n % 2 == 0 { 0.1 } else { -0.1 })
                .collect();
            let position_s = (b % 500) as f64 * 0.01;
            instance.process_at(&[x.clone(), x], &[], Some((true, position_s)));
        }
        instance.deactivate();
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert!(
            files_in(&dir).is_empty(),
            "{}: no report of a validator's passes: {:?}",
            path.display(),
            files_in(&dir)
        );

        offline_render(&mut instance, 30.0, Some(12.0));
        let reports = wait_for_reports(&dir, 1);
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(reports.len(), 1, "{}", path.display());
        assert_eq!(
            files_in(&dir).len(),
            2,
            "one JSON and one PNG: {:?}",
            files_in(&dir)
        );
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(&reports[0])).unwrap()).unwrap();
        assert_eq!(report["duration_s"], 30.0);
        assert_eq!(report["start_position_s"], 12.0);
        assert!(
            (report["integrated_lufs"].as_f64().unwrap() + 20.0).abs() < 0.1,
            "{report}"
        );
        assert_eq!(report["short_term_lufs"].as_array().unwrap().len(), 30);

        // Switched off in the project: a long render writes nothing.
        let off_dir = report_dir("reports-off", index);
        let mut off = instance_with_fields(
            &bundle,
            &[
                folder_field(&off_dir),
                ("reports", r#"{"enabled":false}"#.to_string()),
            ],
        );
        offline_render(&mut off, 12.0, None);
        // The switch is saved with the project.
        let state = off.save_state();
        // Dropping the plugin waits for any report thread: a report that should not exist
        // would be on disk by now, however slow the build.
        drop(off);
        assert!(files_in(&off_dir).is_empty(), "{:?}", files_in(&off_dir));
        let json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        assert_eq!(json["fields"]["reports"], r#"{"enabled":false}"#, "{json}");
    }
}

/// The folder keeps at most 100 reports however many renders there are: 99 earlier reports
/// and 5 renders of 10 s leave 100 reports (and their pictures), the newest.
#[test]
fn the_report_folder_keeps_at_most_100_reports() {
    let path = &bundles()[0];
    let bundle = Bundle::load(path);
    let dir = report_dir("report-cap", 0);
    std::fs::create_dir_all(&dir).unwrap();
    // 99 reports from earlier sessions, and a file of the user's.
    for i in 0..99u64 {
        let stem = format!("mixmeter-render-2020-01-01-{:06}", i);
        std::fs::write(dir.join(format!("{stem}.json")), "{}").unwrap();
        std::fs::write(dir.join(format!("{stem}.png")), "").unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let mut instance = instance_with_fields(&bundle, &[folder_field(&dir)]);
    // Five renders in a row (their reports may be written at the same time).
    for _ in 0..5 {
        offline_render(&mut instance, 10.0, None);
    }
    let new_reports = || {
        files_in(&dir)
            .iter()
            .filter(|n| n.ends_with(".json") && !n.starts_with("mixmeter-render-2020"))
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while new_reports() < 5 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let names = files_in(&dir);
    let json = names.iter().filter(|n| n.ends_with(".json")).count();
    let png = names.iter().filter(|n| n.ends_with(".png")).count();
    assert_eq!((json, png), (100, 100), "{names:?}");
    assert!(names.contains(&"notes.txt".to_string()));
    // The oldest went.
    assert!(!names.contains(&"mixmeter-render-2020-01-01-000000.json".to_string()));
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

/// The compare versions in a saved state (a JSON text saved as a JSON string).
fn versions_of(state: &serde_json::Value) -> serde_json::Value {
    let text: String =
        serde_json::from_str(state["fields"]["compare-versions"].as_str().unwrap()).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A project saved with two frozen compare versions reopens with both (the plugin's own state
/// round trip through the host), and a damaged versions field loses nothing else.
#[test]
fn a_project_with_two_frozen_versions_reopens_with_both() {
    let versions = serde_json::json!({
        "count": 2,
        "selected": "v1",
        "versions": [
            {"name": "v1", "measured_s": 120.0, "quantities": [["Integrated", "LUFS", -14.2], ["Loudness range", "LU", null]]},
            {"name": "v2", "measured_s": 95.5, "quantities": [["Integrated", "LUFS", -12.9], ["Correlation", "", 0.8]]},
        ],
    });
    for path in bundles() {
        let bundle = Bundle::load(&path);
        // A text field: its saved form is the JSON text as a JSON string.
        let field = serde_json::to_string(&versions.to_string()).unwrap();
        let mut saved = instance_with_fields(&bundle, &[("compare-versions", field)]);
        let mono = saved.param_id(MONO_CHECK);
        saved.set_param_inactive(mono, 1.0);
        let project = saved.save_state();

        let mut reopened = bundle.instantiate();
        reopened.load_state(&project).expect("the project reopens");
        let state = reopened.save_state();
        let json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        let restored = versions_of(&json);
        assert_eq!(restored, versions, "{}", path.display());
        assert_eq!(reopened.param_value(mono), 1.0);

        // Damaged: the versions are lost (and the editor says so), the rest loads: fields
        // saved beside it with values other than the defaults come back as they were.
        let damaged_field = serde_json::to_string("{not json").unwrap();
        let elsewhere = report_dir("damaged-versions", 0);
        let (folder_name, folder_value) = folder_field(&elsewhere);
        let mut damaged = instance_with_fields(
            &bundle,
            &[
                ("compare-versions", damaged_field),
                ("reports", r#"{"enabled":false}"#.to_string()),
                (folder_name, folder_value.clone()),
            ],
        );
        let json: serde_json::Value = serde_json::from_slice(&damaged.save_state()[8..]).unwrap();
        let restored = versions_of(&json);
        assert_eq!(restored["versions"], serde_json::json!([]));
        assert_eq!(json["fields"]["reports"], r#"{"enabled":false}"#, "{json}");
        assert_eq!(json["fields"][folder_name], folder_value.as_str(), "{json}");
    }
}

// ---------------------------------------------------------------------------------------------
// Surround buses (issue 22): 5.0, 5.1, 7.0, 7.1 and 7.1.4, selected through the CLAP
// audio-ports-config extension as a host does when the plugin is inserted on such a bus.

const FOLD_TO: &str = "Fold To";
const LEVEL_MATCH: &str = "Mono Level Match";

/// (channels, name, index of L, R, C, LFE, the weighted surround pair) of each surround bus,
/// in the order of `mixmeter::meter::layout`.
const SURROUND_BUSES: [(u32, &str, [Option<usize>; 6]); 5] = [
    (
        5,
        "5.0 surround",
        [Some(0), Some(1), Some(2), None, Some(3), Some(4)],
    ),
    (
        6,
        "5.1 surround",
        [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)],
    ),
    (
        7,
        "7.0 surround",
        [Some(0), Some(1), Some(2), None, Some(5), Some(6)],
    ),
    (
        8,
        "7.1 surround",
        [Some(0), Some(1), Some(2), Some(3), Some(6), Some(7)],
    ),
    (
        12,
        "7.1.4 immersive",
        [Some(0), Some(1), Some(2), Some(3), Some(6), Some(7)],
    ),
];

/// `channels` channels of noise and sines with the awkward values spread over them.
fn surround_signal(rng: &mut StdRng, channels: usize, frames: usize, rate: f64) -> Vec<Vec<f32>> {
    let mut out = tones_and_noise(rng, channels, frames, rate, (220.0, 97.0), (0.3, 0.2));
    let specials = AWKWARD_SAMPLES;
    for c in 0..channels {
        let special = specials[c % specials.len()];
        out[c][(c + 1) * frames / (channels + 2)] = special;
    }
    out
}

fn surround_instance(bundle: &Bundle, channels: u32, rate: f64, max_block: u32) -> Instance {
    let mut instance = bundle.instantiate();
    instance.select_channels(channels);
    instance.activate(rate, max_block);
    instance
}

/// A host lists every bus with its name and channel count, and after selecting one the main
/// ports have that many channels and the port type `surround` (`CLAP_PORT_SURROUND`: the
/// channel map comes from the `clap.surround` extension, tested below).
#[test]
fn surround_buses_are_offered_by_name_and_selected_by_channel_count() {
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        let configs = instance.port_configs();
        let listed: Vec<(String, u32, u32)> =
            configs.iter().map(|c| (c.1.clone(), c.2, c.3)).collect();
        let mut expected = vec![("Stereo".to_string(), 2, 2), ("Mono".to_string(), 1, 1)];
        expected.extend(SURROUND_BUSES.iter().map(|b| (b.1.to_string(), b.0, b.0)));
        assert_eq!(listed, expected, "{}", path.display());
        for (channels, ..) in SURROUND_BUSES {
            let mut instance = bundle.instantiate();
            instance.select_channels(channels);
            assert_eq!(
                instance.main_input_port(),
                (channels, Some("surround".to_string()))
            );
        }
        let mut stereo = bundle.instantiate();
        assert_eq!(stereo.main_input_port(), (2, Some("stereo".to_string())));
    }
}

/// Where a CLAP surround channel (`CLAP_SURROUND_*`) plays. Where a map has a side pair (SL
/// SR), its back pair (BL BR) is the rear pair; without one, the back pair is 5.x's surround
/// pair (as the analyzer reads WAVE masks).
fn clap_surround_roles(map: &[u8]) -> Vec<mixmeter::meter::layout::ChannelRole> {
    use mixmeter::meter::layout::ChannelRole::*;
    let has_side_pair = map.contains(&9);
    map.iter()
        .map(|&channel| match channel {
            0 => Left,
            1 => Right,
            2 => Centre,
            3 => Lfe,
            4 if has_side_pair => RearLeft,
            5 if has_side_pair => RearRight,
            4 | 9 => SurroundLeft,
            5 | 10 => SurroundRight,
            12 => TopFrontLeft,
            14 => TopFrontRight,
            15 => TopRearLeft,
            17 => TopRearRight,
            _ => Other,
        })
        .collect()
}

/// Through the `clap.surround` extension each surround bus reports the channel map of the
/// plugin's order (its roles are the plugin's, input and output alike), and supports the
/// channel masks of that order: its own, and for 5.0 and 5.1 the "side" variants whose
/// surround pair comes in the same channels. Other masks are refused: the SDDS 7.1 (front
/// wide FLC FRC), 7.0.4 (no bus), LCR and stereo (no surround bus of that count). Fails on
/// nice-plug 0.4.2, which has no `clap.surround`.
#[test]
fn surround_ports_report_their_channel_map_through_clap_surround() {
    use mixmeter::meter::layout::BusLayout;
    let mask = |map: &[u8]| map.iter().fold(0u64, |m, &c| m | 1 << c);
    // (channels, the channel map, masks the bus also supports)
    let expected: [(u32, &[u8], &[u64]); 5] = [
        (5, &[0, 1, 2, 4, 5], &[0x607]),
        (6, &[0, 1, 2, 3, 4, 5], &[0x60F]),
        (7, &[0, 1, 2, 4, 5, 9, 10], &[]),
        (8, &[0, 1, 2, 3, 4, 5, 9, 10], &[]),
        (12, &[0, 1, 2, 3, 4, 5, 9, 10, 12, 14, 15, 17], &[]),
    ];
    for path in bundles() {
        let bundle = Bundle::load(&path);
        let mut instance = bundle.instantiate();
        for (channels, map, also) in expected {
            let layout = BusLayout::from_channels(channels as usize).unwrap();
            assert_eq!(
                clap_surround_roles(map),
                layout.roles(),
                "{}",
                layout.name()
            );
            assert!(
                instance.is_channel_mask_supported(mask(map)),
                "{}",
                layout.name()
            );
            for &other in also {
                assert!(instance.is_channel_mask_supported(other), "{other:#x}");
            }
            let mut bus = bundle.instantiate();
            bus.select_channels(channels);
            assert_eq!(bus.surround_channel_map(true), map, "{}", layout.name());
            assert_eq!(bus.surround_channel_map(false), map, "{}", layout.name());
        }
        for refused in [0xFF, 0x2D637, 0x7, 0x3, 0x637 | 0x2000] {
            assert!(
                !instance.is_channel_mask_supported(refused),
                "{}: {refused:#x} supported",
                path.display()
            );
        }
        // Mono and stereo ports have no surround channel map.
        assert!(instance.surround_channel_map(true).is_empty());
    }
}

/// EBU Tech 3341 case 6 (L R -28 dBFS, C -24, Ls Rs -30, 1 kHz) through the plugin on every
/// surround bus reads -23.0 +- 0.1 LUFS: on 5.1 and up with a loud LFE (-6 dBFS, 50 Hz) that
/// must not count, on 7.x with the surround pair on the side channels (+1.5 dB) and a silent
/// rear pair, on 7.1.4 with silent heights. A bus read with the wrong order or weights misses:
/// the surrounds unweighted read -23.7, an LFE counted reads above -12.
#[test]
fn surround_tech_3341_case_6_reads_minus_23_on_every_surround_bus() {
    const RATE_HZ: f64 = 48_000.0;
    let frames = 10 * 48_000;
    let tone = |dbfs: f64, hz: f64| -> Vec<f32> {
        let a = 10f64.powf(dbfs / 20.0);
        (0..frames)
            .map(|n| (a * (2.0 * std::f64::consts::PI * hz * n as f64 / RATE_HZ).sin()) as f32)
            .collect()
    };
    let (front, centre, surround, lfe) = (
        tone(-28.0, 1000.0),
        tone(-24.0, 1000.0),
        tone(-30.0, 1000.0),
        tone(-6.0, 50.0),
    );
    let mut rng = StdRng::seed_from_u64(6);
    for path in bundles() {
        let bundle = Bundle::load(&path);
        for (channels, name, [l, r, c, lfe_at, ls, rs]) in SURROUND_BUSES {
            let mut input = vec![vec![0.0f32; frames]; channels as usize];
            input[l.unwrap()] = front.clone();
            input[r.unwrap()] = front.clone();
            input[c.unwrap()] = centre.clone();
            input[ls.unwrap()] = surround.clone();
            input[rs.unwrap()] = surround.clone();
            if let Some(at) = lfe_at {
                input[at] = lfe.clone();
            }
            let mut instance = surround_instance(&bundle, channels, RATE_HZ, MAX_BLOCK);
            let output = process_in_random_blocks(&mut instance, &input, &mut rng);
            assert!(output == input, "{name}: audio passes untouched");
            let measured = common::clap::saved_measurement(&instance.save_state());
            let integrated = measured["integrated_lufs"].as_f64().unwrap();
            eprintln!(
                "{}: {name} case 6 reads {integrated:.3} LUFS",
                path.display()
            );
            assert!(
                (integrated + 23.0).abs() <= 0.1,
                "{}: {name} reads {integrated}",
                path.display()
            );
            // The loudest true peak is the LFE's (-6 dBTP) where there is one, else the
            // centre's (-24).
            let peak = measured["true_peak_dbtp"].as_f64().unwrap();
            let expected = if lfe_at.is_some() { -6.0 } else { -24.0 };
            assert!((peak - expected).abs() < 0.1, "{name}: true peak {peak}");
        }
    }
}

/// Every layout passes audio through bit for bit (NaN, infinities, denormals, -0.0
/// included) at four rates in random blocks of 0-4096 frames (odd sizes among them).
#[test]
fn surround_passthrough_is_bit_exact_on_every_bus_rate_and_block_size() {
    for path in bundles() {
        let bundle = Bundle::load(&path);
        for (seed, (channels, name, _)) in SURROUND_BUSES.into_iter().enumerate() {
            for rate in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
                let mut rng = StdRng::seed_from_u64(seed as u64 * 10 + rate as u64);
                let mut instance = surround_instance(&bundle, channels, rate, MAX_BLOCK);
                let input = surround_signal(&mut rng, channels as usize, rate as usize / 2, rate);
                let output = process_in_random_blocks(&mut instance, &input, &mut rng);
                for (c, (i, o)) in input.iter().zip(&output).enumerate() {
                    assert!(
                        bits(i) == bits(o),
                        "{}: {name} at {rate} Hz: channel {c} changed",
                        path.display()
                    );
                }
            }
        }
    }
}

/// The fold-down through the plugin: with the mono check on, a 5.1 bus plays the BS.775-3
/// Table 2 stereo downmix on L and R (Lo = L + 0.7071 C + 0.7071 Ls, the LFE omitted) and
/// silence elsewhere, exactly; folded to mono, M = 0.7071 L + 0.7071 R + C + 0.5 Ls + 0.5 Rs
/// on the centre alone. Switched by an event inside a block: untouched before it.
#[test]
#[allow(clippy::approx_constant)] // BS.775's printed 0.7071, on purpose
fn surround_fold_down_plays_the_bs775_downmix_exactly() {
    const RATE_HZ: f64 = 48_000.0;
    let fade_frames = (RATE_HZ * 0.010) as usize;
    for path in bundles() {
        let bundle = Bundle::load(&path);
        for fold_to in [0.0, 1.0] {
            let mut instance = bundle.instantiate();
            let mono = instance.param_id(MONO_CHECK);
            let target = instance.param_id(FOLD_TO);
            instance.set_param_inactive(target, fold_to);
            instance.select_channels(6);
            instance.activate(RATE_HZ, MAX_BLOCK);
            let mut rng = StdRng::seed_from_u64(5);
            let input = finite_only(surround_signal(&mut rng, 6, 3000, RATE_HZ));
            let on_at = 333;
            let out = instance.process(
                &input,
                &[ParamChange {
                    offset: on_at as u32,
                    param_id: mono,
                    value: 1.0,
                }],
            );
            for c in 0..6 {
                assert_eq!(bits(&out[c][..on_at]), bits(&input[c][..on_at]));
            }
            for n in on_at + fade_frames + 1..3000 {
                let [l, r, c, _lfe, ls, rs] = [0, 1, 2, 3, 4, 5].map(|i| input[i][n]);
                let expected: [f32; 6] = if fold_to == 0.0 {
                    [
                        l + 0.7071 * c + 0.7071 * ls,
                        r + 0.7071 * c + 0.7071 * rs,
                        0.0,
                        0.0,
                        0.0,
                        0.0,
                    ]
                } else {
                    [
                        0.0,
                        0.0,
                        0.7071 * l + 0.7071 * r + c + 0.5 * ls + 0.5 * rs,
                        0.0,
                        0.0,
                        0.0,
                    ]
                };
                for ch in 0..6 {
                    assert_eq!(
                        out[ch][n].to_bits(),
                        expected[ch].to_bits(),
                        "{} fold {fold_to}: channel {ch} at {n}",
                        path.display()
                    );
                }
            }
        }
    }
}

/// A 5.1 bus folded with level match on: after the 3 s window and the glide, the folded
/// output measures as loud as the bus (within 0.3 LU) on the same meter the plugin uses, for
/// independent noise in every channel (the plain folds are quieter: -1.6 and -3.7 LU) and for
/// the same noise in every channel (louder: about +3 LU, so the match lowers them).
#[test]
fn surround_level_matched_fold_is_as_loud_as_the_bus() {
    use mixmeter::meter::engine::{Meter, MeterConfig};
    use mixmeter::meter::layout::{BusLayout, weights};
    const RATE_HZ: f64 = 48_000.0;
    let frames = 12 * 48_000;
    let mut rng = StdRng::seed_from_u64(51);
    let independent: Vec<Vec<f32>> = (0..6)
        .map(|c| {
            (0..frames)
                .map(|_| {
                    if c == 3 {
                        0.0
                    } else {
                        rng.random_range(-0.2f32..0.2)
                    }
                })
                .collect()
        })
        .collect();
    let shared: Vec<f32> = (0..frames)
        .map(|_| rng.random_range(-0.1f32..0.1))
        .collect();
    let coherent: Vec<Vec<f32>> = (0..6)
        .map(|c| {
            if c == 3 {
                vec![0.0; frames]
            } else {
                shared.clone()
            }
        })
        .collect();
    let bus = BusLayout::Surround51;
    let config = MeterConfig::new(RATE_HZ, 6).with_weights(&weights(bus.roles()));
    for path in bundles() {
        let bundle = Bundle::load(&path);
        for (fold_to, input) in [0.0, 1.0]
            .into_iter()
            .flat_map(|f| [(f, &independent), (f, &coherent)])
        {
            let mut instance = bundle.instantiate();
            let (mono, target, level) = (
                instance.param_id(MONO_CHECK),
                instance.param_id(FOLD_TO),
                instance.param_id(LEVEL_MATCH),
            );
            instance.set_param_inactive(mono, 1.0);
            instance.set_param_inactive(target, fold_to);
            instance.set_param_inactive(level, 1.0);
            instance.select_channels(6);
            instance.activate(RATE_HZ, 960);
            let mut bus_meter = Meter::new(config).unwrap();
            let mut out_meter = Meter::new(config).unwrap();
            for start in (0..frames).step_by(960) {
                let block: Vec<Vec<f32>> = input
                    .iter()
                    .map(|c| c[start..start + 960].to_vec())
                    .collect();
                let out = instance.process(&block, &[]);
                bus_meter.process(&block);
                if start >= 9 * 48_000 {
                    out_meter.process(&out);
                }
            }
            let bus_lufs = bus_meter.readings().short_term_lufs.unwrap();
            let out_lufs = out_meter.readings().short_term_lufs.unwrap();
            assert!(
                (out_lufs - bus_lufs).abs() < 0.3,
                "{} fold {fold_to}: folded {out_lufs} vs bus {bus_lufs}",
                path.display()
            );
            eprintln!("fold {fold_to}: level-matched {out_lufs:.2} LUFS, bus {bus_lufs:.2}");
        }
    }
}

/// A project saved on each surround bus (fold to mono engaged, level match on, a measurement
/// running) reopens on the same bus in a fresh instance: every parameter, the measurement,
/// and the engaged fold from the first sample.
#[test]
fn surround_projects_reopen_on_every_bus() {
    const RATE_HZ: f64 = 48_000.0;
    for path in bundles() {
        let bundle = Bundle::load(&path);
        for (channels, name, _) in SURROUND_BUSES {
            let mut rng = StdRng::seed_from_u64(channels as u64);
            let mut original = bundle.instantiate();
            let params = original.params();
            let (mono, target) = (original.param_id(MONO_CHECK), original.param_id(FOLD_TO));
            original.set_param_inactive(mono, 1.0);
            original.set_param_inactive(target, 1.0);
            original.select_channels(channels);
            original.activate(RATE_HZ, 512);
            let input = surround_signal(&mut rng, channels as usize, 48_000, RATE_HZ);
            let input = finite_only(input);
            for start in (0..48_000).step_by(480) {
                let block: Vec<Vec<f32>> = input
                    .iter()
                    .map(|c| c[start..start + 480].to_vec())
                    .collect();
                original.process(&block, &[]);
            }
            let state = original.save_state();
            let measured = common::clap::saved_measurement(&state);
            assert_eq!(measured["measured_s"], 1.0, "{name}");

            let mut reopened = bundle.instantiate();
            reopened.select_channels(channels);
            reopened.load_state(&state).expect("own state loads");
            for (id, param, ..) in &params {
                assert_eq!(
                    reopened.param_value(*id),
                    original.param_value(*id),
                    "{name}: {param} restored"
                );
            }
            assert_eq!(
                common::clap::saved_measurement(&reopened.save_state()),
                measured,
                "{name}"
            );
            reopened.activate(RATE_HZ, 512);
            assert_eq!(reopened.main_input_port().0, channels);
            let block: Vec<Vec<f32>> = input.iter().map(|c| c[..64].to_vec()).collect();
            let out = reopened.process(&block, &[]);
            // Folded to mono from the first sample: only the centre (channel 2) sounds.
            for (c, channel) in out.iter().enumerate() {
                assert_eq!(
                    channel.iter().any(|&x| x != 0.0),
                    c == 2,
                    "{name}: channel {c}"
                );
            }
        }
    }
}

/// The analyzer and the plugin agree on every surround layout: a 10 s programme (a different
/// level and envelope per channel, a loud LFE) written as a WAV with the layout's channel mask
/// is read by `mixmeter analyze` with the roles the plugin's bus has (same labels, same
/// order), and played through the plugin on that bus gives the same integrated loudness,
/// LRA, maxima, peaks, PLR and crest factor within 1e-9.
#[test]
fn surround_plugin_and_analyzer_agree_on_every_layout() {
    use mixmeter::meter::layout::BusLayout;
    const RATE: u32 = 48_000;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("surround-plugin-vs-cli");
    std::fs::create_dir_all(&dir).unwrap();
    // WAVE masks in the plugin's orders: 5.0 (side), 5.1, 7.0, 7.1, 7.1.4.
    let masks = [0x607u32, 0x3F, 0x637, 0x63F, 0x2D63F];
    let mut rng = StdRng::seed_from_u64(22);
    for ((channels, name, _), mask) in SURROUND_BUSES.into_iter().zip(masks) {
        let bus = BusLayout::from_channels(channels as usize).unwrap();
        let frames = 10 * RATE as usize;
        let audio: Vec<Vec<f64>> = (0..channels as usize)
            .map(|c| {
                let level = 0.05 + 0.04 * c as f64;
                let rate = 0.3 + 0.17 * c as f64;
                (0..frames)
                    .map(|n| {
                        let t = n as f64 / RATE as f64;
                        let envelope = 0.6 + 0.4 * (t * rate).sin();
                        level * envelope * rng.random_range(-1.0..1.0)
                    })
                    .collect()
            })
            .collect();
        let wav = dir.join(format!("{channels}.wav"));
        common::wav::write_wav_extensible(&wav, RATE, &audio, mask);
        let output = std::process::Command::new(common::cli::mixmeter_cli())
            .args(["analyze", "--json"])
            .arg(&wav)
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}");
        let cli: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let labels: Vec<&str> = bus.roles().iter().map(|r| r.label()).collect();
        assert_eq!(cli["channel_layout"], serde_json::json!(labels), "{name}");
        let audio: Vec<Vec<f32>> = audio
            .iter()
            .map(|c| c.iter().map(|&x| x as f32).collect())
            .collect();
        for path in bundles() {
            let bundle = Bundle::load(&path);
            let mut instance = surround_instance(&bundle, channels, RATE as f64, 480);
            for start in (0..frames).step_by(480) {
                let block: Vec<Vec<f32>> = audio
                    .iter()
                    .map(|c| c[start..start + 480].to_vec())
                    .collect();
                instance.process(&block, &[]);
            }
            let plugin = common::clap::saved_measurement(&instance.save_state());
            assert_eq!(plugin["measured_s"], 10.0, "{name}");
            for field in [
                "integrated_lufs",
                "loudness_range_lu",
                "max_momentary_lufs",
                "max_short_term_lufs",
                "true_peak_dbtp",
                "sample_peak_dbfs",
                "plr_db",
                "crest_factor_db",
            ] {
                let (p, c) = (plugin[field].as_f64(), cli[field].as_f64());
                let (Some(p), Some(c)) = (p, c) else {
                    panic!("{name}: {field} plugin {p:?} analyzer {c:?}");
                };
                assert!(
                    (p - c).abs() <= 1e-9,
                    "{}: {name}: {field} plugin {p} analyzer {c}",
                    path.display()
                );
            }
            if path == bundles()[0] {
                eprintln!(
                    "{name}: plugin and analyzer read {:.3} LUFS",
                    plugin["integrated_lufs"].as_f64().unwrap()
                );
            }
        }
    }
}

/// `input` with every non-finite sample replaced by 0 (for checks about the fold, not about
/// NaN arithmetic).
fn finite_only(input: Vec<Vec<f32>>) -> Vec<Vec<f32>> {
    input
        .into_iter()
        .map(|c| {
            c.into_iter()
                .map(|x| if x.is_finite() { x } else { 0.0 })
                .collect()
        })
        .collect()
}
