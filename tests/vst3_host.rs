//! The VST3 build seen by an arrangement-aware VST3 host (the VST 3 API through the `vst3`
//! crate, no JUCE): which speaker arrangement each bus reports, which ones the plugin refuses,
//! and a 7.1.4 bus (`k71_4`) metered through the VST3 wrapper, which pedalboard cannot offer
//! (JUCE names layouts of up to 8 channels only; see tests/vst3/test_pedalboard.py).
//!
//! The plugin learns a channel count and nothing else, so the arrangement the VST3 wrapper
//! reports for that count fixes the channel order: it must put the speakers in the order of
//! `mixmeter_core::meter::layout::BusLayout::roles`. nice-plug 0.4.2 reported the SDDS
//! arrangements (`k70Cine`, `k71Cine`) for 7 and 8 channels and none for 12; the copy patched in
//! `vendor/nice-plug` reports `k70Music`, `k71Music` and `k71_4` (vendor/README.md).
//!
//! Bundles come from `MIXMETER_VST3_BUNDLES` (separated by `:`), or the release bundle. The
//! host loads the bundle's Linux library (the platform of the test suite).
#![cfg(target_os = "linux")]

use std::ffi::{CString, c_void};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use mixmeter_core::meter::layout::{BusLayout, ChannelRole};
use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::ProcessModes_::kRealtime;
use vst3::Steinberg::Vst::SymbolicSampleSizes_::kSample32;
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, IAudioProcessor, IAudioProcessorTrait, IComponent,
    IComponentTrait, ProcessData, ProcessSetup, SpeakerArr, SpeakerArrangement, kSpeakerC,
    kSpeakerL, kSpeakerLfe, kSpeakerLs, kSpeakerM, kSpeakerR, kSpeakerRs, kSpeakerSl, kSpeakerSr,
    kSpeakerTfl, kSpeakerTfr, kSpeakerTrl, kSpeakerTrr,
};
use vst3::Steinberg::{
    IBStream, IBStreamTrait, IPluginBaseTrait, IPluginFactory, IPluginFactoryTrait, PClassInfo,
    int32, int64, kResultFalse, kResultOk, tresult,
};
use vst3::{Class, ComPtr, ComWrapper, Interface};

/// The arrangement each bus must report (and accept), and the arrangements of the same
/// channel count that it must refuse: the SDDS "cine" layouts nice-plug 0.4.2 reported, 6.0
/// music (no centre), and the 12 discrete channels JUCE offers for a 12-channel bus.
const ARRANGEMENTS: [(usize, SpeakerArrangement, &[SpeakerArrangement]); 7] = [
    (1, SpeakerArr::kMono, &[]),
    (2, SpeakerArr::kStereo, &[]),
    (5, SpeakerArr::k50, &[SpeakerArr::k41Cine]),
    (6, SpeakerArr::k51, &[SpeakerArr::k60Music]),
    (7, SpeakerArr::k70Music, &[SpeakerArr::k70Cine]),
    (
        8,
        SpeakerArr::k71Music,
        &[SpeakerArr::k71Cine, SpeakerArr::k71CineFullRear],
    ),
    (12, SpeakerArr::k71_4, &[0x7f_f008_0000, (1 << 12) - 1]),
];

fn vst3_bundles() -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = match std::env::var("MIXMETER_VST3_BUNDLES") {
        Ok(list) if !list.is_empty() => list.split(':').map(PathBuf::from).collect(),
        _ => vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bundled/mixmeter.vst3")],
    };
    for path in &paths {
        assert!(
            path.exists(),
            "{} does not exist: build it with `cargo xtask bundle mixmeter --release`",
            path.display()
        );
    }
    paths
}

/// Where each speaker of `arrangement` plays, in VST3 channel order (the order of the speaker
/// bits). In the 7.x arrangements (those with a side pair Sl Sr) Steinberg's Ls Rs are the rear
/// pair, as JUCE maps them (`k70Music`: L R C Lrs Rrs Lss Rss).
fn roles_of(arrangement: SpeakerArrangement) -> Vec<ChannelRole> {
    let has_side_pair = arrangement & kSpeakerSl != 0;
    (0..64)
        .map(|bit| 1u64 << bit)
        .filter(|speaker| arrangement & speaker != 0)
        .map(|speaker| match speaker {
            s if s == kSpeakerL => ChannelRole::Left,
            s if s == kSpeakerR => ChannelRole::Right,
            s if s == kSpeakerC || s == kSpeakerM => ChannelRole::Centre,
            s if s == kSpeakerLfe => ChannelRole::Lfe,
            s if s == kSpeakerLs && has_side_pair => ChannelRole::RearLeft,
            s if s == kSpeakerRs && has_side_pair => ChannelRole::RearRight,
            s if s == kSpeakerLs || s == kSpeakerSl => ChannelRole::SurroundLeft,
            s if s == kSpeakerRs || s == kSpeakerSr => ChannelRole::SurroundRight,
            s if s == kSpeakerTfl => ChannelRole::TopFrontLeft,
            s if s == kSpeakerTfr => ChannelRole::TopFrontRight,
            s if s == kSpeakerTrl => ChannelRole::TopRearLeft,
            s if s == kSpeakerTrr => ChannelRole::TopRearRight,
            _ => ChannelRole::Other,
        })
        .collect()
}

/// The plugin's factory, from the bundle's shared library (loaded once, never unloaded).
fn factory(bundle: &Path) -> ComPtr<IPluginFactory> {
    let name = bundle.file_stem().unwrap().to_str().unwrap();
    let arch = std::env::consts::ARCH;
    let library = bundle.join(format!("Contents/{arch}-linux/{name}.so"));
    let library = CString::new(library.to_str().unwrap()).unwrap();
    // SAFETY: loading the plugin under test runs its initialisers; the symbols are the VST3
    // module entry points with their documented signatures.
    unsafe {
        let handle = libc::dlopen(library.as_ptr(), libc::RTLD_NOW);
        assert!(!handle.is_null(), "cannot load {}", bundle.display());
        let entry = libc::dlsym(handle, c"ModuleEntry".as_ptr());
        if !entry.is_null() {
            let entry: extern "C" fn(*mut c_void) -> bool = std::mem::transmute(entry);
            assert!(entry(handle), "ModuleEntry failed");
        }
        let get = libc::dlsym(handle, c"GetPluginFactory".as_ptr());
        assert!(!get.is_null(), "no GetPluginFactory");
        let get: extern "system" fn() -> *mut IPluginFactory = std::mem::transmute(get);
        ComPtr::from_raw(get()).expect("a plugin factory")
    }
}

/// A fresh, initialized instance's component and audio processor.
fn instantiate(bundle: &Path) -> (ComPtr<IComponent>, ComPtr<IAudioProcessor>) {
    let factory = factory(bundle);
    // SAFETY: plain VST3 calls with valid pointers, as a host makes them.
    unsafe {
        let mut info: PClassInfo = std::mem::zeroed();
        assert_eq!(factory.getClassInfo(0, &mut info), kResultOk);
        let mut object = std::ptr::null_mut();
        let iid = IComponent::IID.as_ptr() as *const std::ffi::c_char;
        assert_eq!(
            factory.createInstance(info.cid.as_ptr(), iid, &mut object),
            kResultOk
        );
        let component = ComPtr::from_raw(object as *mut IComponent).expect("a component");
        assert_eq!(component.initialize(std::ptr::null_mut()), kResultOk);
        let processor = component
            .cast::<IAudioProcessor>()
            .expect("the component is an audio processor");
        (component, processor)
    }
}

fn set_arrangement(
    processor: &ComPtr<IAudioProcessor>,
    arrangement: SpeakerArrangement,
) -> tresult {
    let (mut input, mut output) = (arrangement, arrangement);
    // SAFETY: one input and one output arrangement, as the plugin has one bus each way.
    unsafe { processor.setBusArrangements(&mut input, 1, &mut output, 1) }
}

/// (input, output) arrangement the plugin reports for its main buses.
fn reported(processor: &ComPtr<IAudioProcessor>) -> (SpeakerArrangement, SpeakerArrangement) {
    let (mut input, mut output) = (0, 0);
    // SAFETY: valid out-pointers for bus 0 of each direction.
    unsafe {
        assert_eq!(
            processor.getBusArrangement(kInput as i32, 0, &mut input),
            kResultOk
        );
        assert_eq!(
            processor.getBusArrangement(kOutput as i32, 0, &mut output),
            kResultOk
        );
    }
    (input, output)
}

/// Every bus reports the arrangement whose speakers, in VST3 order, are the plugin's channel
/// roles, and accepts it; a host offering another arrangement of the same channel count is
/// refused (kResultFalse) and the bus stays as it was. Fails on nice-plug 0.4.2, which reports
/// k70Cine/k71Cine for 7 and 8 channels and the first 12 speaker bits for 12.
#[test]
fn every_bus_reports_the_speaker_arrangement_of_its_channel_order() {
    for bundle in vst3_bundles() {
        let (_component, processor) = instantiate(&bundle);
        assert_eq!(
            reported(&processor),
            (SpeakerArr::kStereo, SpeakerArr::kStereo)
        );
        for (channels, arrangement, refused) in ARRANGEMENTS {
            let layout = BusLayout::from_channels(channels).expect("a bus");
            assert_eq!(roles_of(arrangement), layout.roles(), "{}", layout.name());
            assert_eq!(
                set_arrangement(&processor, arrangement),
                kResultOk,
                "{}",
                layout.name()
            );
            assert_eq!(
                reported(&processor),
                (arrangement, arrangement),
                "{}",
                layout.name()
            );
            for &wrong in refused {
                assert_eq!(
                    set_arrangement(&processor, wrong),
                    kResultFalse,
                    "{}: {wrong:#x} accepted",
                    layout.name()
                );
                assert_eq!(reported(&processor), (arrangement, arrangement));
            }
        }
    }
}

/// A VST3 stream that keeps what the plugin writes (its saved state).
struct MemoryStream(Mutex<Vec<u8>>);

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(&self, _buffer: *mut c_void, _bytes: int32, _read: *mut int32) -> tresult {
        kResultFalse
    }

    unsafe fn write(&self, buffer: *mut c_void, bytes: int32, written: *mut int32) -> tresult {
        // SAFETY: the plugin passes `bytes` readable bytes at `buffer`.
        let data = unsafe { std::slice::from_raw_parts(buffer as *const u8, bytes as usize) };
        self.0.lock().unwrap().extend_from_slice(data);
        if !written.is_null() {
            // SAFETY: checked non-null; the caller's out-parameter.
            unsafe { *written = bytes };
        }
        kResultOk
    }

    unsafe fn seek(&self, _position: int64, _mode: int32, _result: *mut int64) -> tresult {
        kResultFalse
    }

    unsafe fn tell(&self, position: *mut int64) -> tresult {
        if !position.is_null() {
            // SAFETY: checked non-null; the caller's out-parameter.
            unsafe { *position = self.0.lock().unwrap().len() as int64 };
        }
        kResultOk
    }
}

/// EBU Tech 3341 case 6 on a 7.1.4 bus (k71_4) through the VST3 wrapper: L R -28 dBFS, C -24,
/// the side pair (k71_4's Sl Sr) -30, a -6 dBFS 50 Hz LFE, rear pair and heights silent. It
/// reads -23.0 +- 0.1 LUFS (the same tones on the rear pair would read -23.39), and the audio
/// passes through bit for bit in blocks of odd sizes.
#[test]
fn a_7_1_4_bus_reads_case_6_at_minus_23_through_vst3() {
    const RATE_HZ: f64 = 48_000.0;
    const MAX_BLOCK: usize = 4096;
    let frames = 10 * 48_000;
    let tone = |dbfs: f64, hz: f64| -> Vec<f32> {
        let a = 10f64.powf(dbfs / 20.0);
        (0..frames)
            .map(|n| (a * (2.0 * std::f64::consts::PI * hz * n as f64 / RATE_HZ).sin()) as f32)
            .collect()
    };
    let mut input = vec![vec![0.0f32; frames]; 12];
    input[0] = tone(-28.0, 1000.0);
    input[1] = tone(-28.0, 1000.0);
    input[2] = tone(-24.0, 1000.0);
    input[3] = tone(-6.0, 50.0);
    input[6] = tone(-30.0, 1000.0);
    input[7] = tone(-30.0, 1000.0);
    let block_sizes = [1, 7, 333, 1000, MAX_BLOCK, 64, 4095];

    for bundle in vst3_bundles() {
        let (component, processor) = instantiate(&bundle);
        assert_eq!(set_arrangement(&processor, SpeakerArr::k71_4), kResultOk);
        let mut output = vec![vec![0.0f32; frames]; 12];
        // SAFETY: the host calls of a realtime render with valid buffers of 12 channels.
        unsafe {
            let mut setup = ProcessSetup {
                processMode: kRealtime as i32,
                symbolicSampleSize: kSample32 as i32,
                maxSamplesPerBlock: MAX_BLOCK as i32,
                sampleRate: RATE_HZ,
            };
            assert_eq!(processor.setupProcessing(&mut setup), kResultOk);
            assert_eq!(component.setActive(1), kResultOk);
            assert_eq!(processor.setProcessing(1), kResultOk);
            let mut start = 0;
            for &size in block_sizes.iter().cycle() {
                if start == frames {
                    break;
                }
                let size = size.min(frames - start);
                let mut inputs: Vec<*mut f32> =
                    input.iter_mut().map(|c| c[start..].as_mut_ptr()).collect();
                let mut outputs: Vec<*mut f32> =
                    output.iter_mut().map(|c| c[start..].as_mut_ptr()).collect();
                let mut in_bus = AudioBusBuffers {
                    numChannels: 12,
                    silenceFlags: 0,
                    __field0: AudioBusBuffers__type0 {
                        channelBuffers32: inputs.as_mut_ptr(),
                    },
                };
                let mut out_bus = AudioBusBuffers {
                    numChannels: 12,
                    silenceFlags: 0,
                    __field0: AudioBusBuffers__type0 {
                        channelBuffers32: outputs.as_mut_ptr(),
                    },
                };
                let mut data = ProcessData {
                    processMode: kRealtime as i32,
                    symbolicSampleSize: kSample32 as i32,
                    numSamples: size as i32,
                    numInputs: 1,
                    numOutputs: 1,
                    inputs: &mut in_bus,
                    outputs: &mut out_bus,
                    inputParameterChanges: std::ptr::null_mut(),
                    outputParameterChanges: std::ptr::null_mut(),
                    inputEvents: std::ptr::null_mut(),
                    outputEvents: std::ptr::null_mut(),
                    processContext: std::ptr::null_mut(),
                };
                assert_eq!(processor.process(&mut data), kResultOk);
                start += size;
            }
            assert_eq!(processor.setProcessing(0), kResultOk);
            assert_eq!(component.setActive(0), kResultOk);
        }
        for (c, (i, o)) in input.iter().zip(&output).enumerate() {
            let same = i.iter().zip(o).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{}: channel {c} changed", bundle.display());
        }

        let stream = ComWrapper::new(MemoryStream(Mutex::new(Vec::new())));
        let stream_ptr = stream.to_com_ptr::<IBStream>().unwrap();
        // SAFETY: a valid stream object the plugin writes its state into.
        assert_eq!(
            unsafe { component.getState(stream_ptr.as_ptr()) },
            kResultOk
        );
        let state = stream.0.lock().unwrap().clone();
        let json: serde_json::Value = serde_json::from_slice(&state).expect("the state is JSON");
        let measurement = json["fields"]["last-measurement"]
            .as_str()
            .expect("a measurement");
        let measured: serde_json::Value = serde_json::from_str(measurement).unwrap();
        let integrated = measured["integrated_lufs"].as_f64().unwrap();
        eprintln!(
            "{}: 7.1.4 case 6 reads {integrated:.3} LUFS",
            bundle.display()
        );
        assert!((integrated + 23.0).abs() <= 0.1, "{integrated}");
        // SAFETY: the instance is done.
        unsafe { component.terminate() };
    }
}
