//! A small CLAP host on `clack-host`, used by the integration tests to load the built
//! `mixmeter.clap` exactly as a DAW does: entry, factory, instance, activate, process with
//! parameter events, state save/load through the CLAP state extension.

#![allow(dead_code)]

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::gui::{GuiSize, HostGui, HostGuiImpl, PluginGui};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamInfoFlags, ParamRescanFlags, PluginParams,
};
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_extensions::surround::{PluginSurround, SurroundChannels};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The bundles under test: `MIXMETER_CLAP_BUNDLES` (separated by `:`), or the release bundle
/// that `cargo xtask bundle mixmeter --release` writes.
pub fn bundles() -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = match std::env::var("MIXMETER_CLAP_BUNDLES") {
        Ok(list) if !list.is_empty() => list.split(':').map(PathBuf::from).collect(),
        _ => vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bundled/mixmeter.clap")],
    };
    for path in &paths {
        assert!(
            path.exists(),
            "{} does not exist: build it with `cargo xtask bundle mixmeter --release` \
             (the README's test command does this)",
            path.display()
        );
    }
    paths
}

pub struct TestHost;

pub struct TestShared {
    state: OnceLock<Option<PluginState>>,
    params: OnceLock<Option<PluginParams>>,
    gui: OnceLock<Option<PluginGui>>,
    render: OnceLock<Option<PluginRender>>,
    ports: OnceLock<Option<PluginAudioPorts>>,
    ports_config: OnceLock<Option<PluginAudioPortsConfig>>,
    surround: OnceLock<Option<PluginSurround>>,
}

impl<'a> SharedHandler<'a> for TestShared {
    fn initializing(&self, instance: InitializingPluginHandle<'a>) {
        let _ = self.state.set(instance.get_extension());
        let _ = self.params.set(instance.get_extension());
        let _ = self.gui.set(instance.get_extension());
        let _ = self.render.set(instance.get_extension());
        let _ = self.ports.set(instance.get_extension());
        let _ = self.ports_config.set(instance.get_extension());
        let _ = self.surround.set(instance.get_extension());
    }
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

impl HostParamsImplShared for TestShared {
    fn request_flush(&self) {}
}

impl HostGuiImpl for TestShared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _new_size: GuiSize) -> Result<(), HostError> {
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {}
}

pub struct TestMainThread;

impl<'a> MainThreadHandler<'a> for TestMainThread {
    fn initialized(&self, _instance: InitializedPluginHandle<'a>) {}
}

impl HostStateImpl for TestMainThread {
    fn mark_dirty(&self) {}
}

impl HostParamsImplMainThread for TestMainThread {
    fn rescan(&self, _flags: ParamRescanFlags) {}
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostHandlers for TestHost {
    type Shared<'a> = TestShared;
    type MainThread<'a> = TestMainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostState>()
            .register::<HostParams>()
            .register::<HostGui>();
    }
}

/// A loaded plugin library.
pub struct Bundle {
    entry: PluginEntry,
    pub plugin_id: CString,
}

impl Bundle {
    /// Loads the bundle once per test process and keeps it loaded, as a DAW keeps a plugin
    /// library loaded for the session. (Loading and unloading the same library from test
    /// threads running in parallel crashed the test process about once in seven runs, in the
    /// entry's init/deinit or a thread-local destructor left behind by an unloaded library;
    /// that is a property of the test harness, not of a host.)
    pub fn load(path: &Path) -> Bundle {
        static LOADED: std::sync::Mutex<Vec<(std::path::PathBuf, PluginEntry)>> =
            std::sync::Mutex::new(Vec::new());
        let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        let entry = match loaded.iter().find(|(p, _)| p == path) {
            Some((_, entry)) => entry.clone(),
            None => {
                // SAFETY: loading a dynamic library runs its initialisers; this is the plugin
                // under test.
                let entry = unsafe { PluginEntry::load(path) }
                    .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
                loaded.push((path.to_path_buf(), entry.clone()));
                entry
            }
        };
        drop(loaded);
        let factory = entry
            .get_plugin_factory()
            .expect("the bundle has a plugin factory");
        let descriptors: Vec<_> = factory.plugin_descriptors().collect();
        assert_eq!(descriptors.len(), 1, "one plugin per bundle");
        let plugin_id = descriptors[0]
            .id()
            .expect("descriptor has an id")
            .to_owned();
        Bundle { entry, plugin_id }
    }

    /// (id, name, features) of the bundle's plugin, as a host's scanner sees them.
    pub fn descriptor(&self) -> (String, String, Vec<String>) {
        let factory = self.entry.get_plugin_factory().unwrap();
        let descriptor = factory.plugin_descriptors().next().unwrap();
        (
            descriptor.id().unwrap().to_string_lossy().into_owned(),
            descriptor.name().unwrap().to_string_lossy().into_owned(),
            descriptor
                .features()
                .map(|f| f.to_string_lossy().into_owned())
                .collect(),
        )
    }

    pub fn instantiate(&self) -> Instance {
        let host_info = HostInfo::new("mixmeter-tests", "Mixmeter", "", "0.1.0").unwrap();
        let instance = PluginInstance::<TestHost>::new(
            |_| TestShared {
                state: OnceLock::new(),
                params: OnceLock::new(),
                gui: OnceLock::new(),
                render: OnceLock::new(),
                ports: OnceLock::new(),
                ports_config: OnceLock::new(),
                surround: OnceLock::new(),
            },
            |_| TestMainThread,
            &self.entry,
            &self.plugin_id,
            &host_info,
        )
        .expect("the plugin instantiates");
        Instance {
            instance,
            processor: None,
            from_plugin: Vec::new(),
        }
    }
}

/// One plugin instance and, while active, its audio processor.
pub struct Instance {
    instance: PluginInstance<TestHost>,
    processor: Option<PluginAudioProcessor<TestHost>>,
    /// Parameter values the plugin sent the host from `process()` (its editor's changes), in
    /// order: (parameter id, value).
    from_plugin: Vec<(u32, f64)>,
}

/// A parameter change at a sample offset within a block.
#[derive(Debug, Clone, Copy)]
pub struct ParamChange {
    pub offset: u32,
    pub param_id: u32,
    pub value: f64,
}

impl Instance {
    fn params_ext(&self) -> PluginParams {
        self.instance
            .access_shared_handler(|h| *h.params.get().expect("initialized"))
            .expect("the plugin implements the params extension")
    }

    fn state_ext(&self) -> PluginState {
        self.instance
            .access_shared_handler(|h| *h.state.get().expect("initialized"))
            .expect("the plugin implements the state extension")
    }

    /// (id, name, min, max, default) of every parameter.
    pub fn params(&mut self) -> Vec<(u32, String, f64, f64, f64)> {
        let ext = self.params_ext();
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..ext.count(&handle))
            .map(|index| {
                let info = ext
                    .get_info(&handle, index, &mut buffer)
                    .expect("param info");
                (
                    info.id.get(),
                    String::from_utf8_lossy(info.name)
                        .trim_end_matches('\0')
                        .to_string(),
                    info.min_value,
                    info.max_value,
                    info.default_value,
                )
            })
            .collect()
    }

    /// The CLAP flags of parameter `param_id` (automatable, stepped, ...).
    pub fn param_flags(&mut self, param_id: u32) -> ParamInfoFlags {
        let ext = self.params_ext();
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..ext.count(&handle))
            .filter_map(|index| {
                ext.get_info(&handle, index, &mut buffer)
                    .map(|i| (i.id.get(), i.flags))
            })
            .find(|(id, _)| *id == param_id)
            .expect("listed parameter")
            .1
    }

    /// The ID of the parameter called `name`.
    pub fn param_id(&mut self, name: &str) -> u32 {
        self.params()
            .into_iter()
            .find(|p| p.1 == name)
            .unwrap_or_else(|| panic!("no parameter named {name}"))
            .0
    }

    /// The parameter changes the plugin sent the host since the last call (what a host records
    /// from the editor: a click on the mono check arrives here as the new value).
    pub fn take_param_changes_from_plugin(&mut self) -> Vec<(u32, f64)> {
        std::mem::take(&mut self.from_plugin)
    }

    pub fn param_value(&mut self, param_id: u32) -> f64 {
        let ext = self.params_ext();
        let handle = self.instance.plugin_handle();
        ext.get_value(&handle, ClapId::new(param_id))
            .expect("value of a listed parameter")
    }

    /// Sets a parameter while the plugin is inactive, as a host does when the user edits it.
    pub fn set_param_inactive(&mut self, param_id: u32, value: f64) {
        let ext = self.params_ext();
        let event = ParamValueEvent::new(0, ClapId::new(param_id), Pckn::match_all(), value);
        let events = [event];
        let mut handle = self
            .instance
            .inactive_plugin_handle()
            .expect("the plugin is inactive");
        ext.flush(
            &mut handle,
            &InputEvents::from_buffer(&events),
            &mut OutputEvents::void(),
        );
    }

    /// Tells the plugin the host renders offline (or in real time) from the next activation,
    /// as a DAW does before exporting a mix.
    pub fn set_render_offline(&mut self, offline: bool) {
        let render = self
            .instance
            .access_shared_handler(|h| *h.render.get().expect("initialized"))
            .expect("the plugin implements the render extension");
        let mode = if offline {
            RenderMode::Offline
        } else {
            RenderMode::Realtime
        };
        render
            .set(&self.instance.plugin_handle(), mode)
            .expect("the plugin takes the render mode");
    }

    /// The plugin's GUI extension and a main-thread handle to call it with.
    pub fn with_gui<R>(
        &mut self,
        f: impl FnOnce(&PluginGui, &mut PluginMainThreadHandle) -> R,
    ) -> R {
        let gui = self
            .instance
            .access_shared_handler(|h| *h.gui.get().expect("initialized"))
            .expect("the plugin implements the gui extension");
        f(&gui, &mut self.instance.plugin_handle())
    }

    /// The plugin's audio-ports configurations as a CLAP host lists them: (id, name, main
    /// input channels, main output channels, main input port type).
    pub fn port_configs(&mut self) -> Vec<(u32, String, u32, u32, Option<String>)> {
        let ext = self
            .instance
            .access_shared_handler(|h| *h.ports_config.get().expect("initialized"))
            .expect("the plugin implements the audio-ports-config extension");
        let handle = self.instance.plugin_handle();
        let mut configs = Vec::new();
        for index in 0..ext.count(&handle) {
            let mut buffer = AudioPortsConfigBuffer::new();
            let config = ext.get(&handle, index, &mut buffer).expect("config listed");
            let input = config.main_input.as_ref();
            configs.push((
                config.id.get(),
                String::from_utf8_lossy(config.name).into_owned(),
                input.map_or(0, |p| p.channel_count),
                config.main_output.as_ref().map_or(0, |p| p.channel_count),
                input
                    .and_then(|p| p.port_type.as_ref())
                    .map(|t| t.0.to_string_lossy().into_owned()),
            ));
        }
        configs
    }

    /// Selects the configuration whose main ports have `channels` channels (the plugin must be
    /// inactive), as a host does when the user inserts the plugin on such a bus.
    pub fn select_channels(&mut self, channels: u32) {
        let id = self
            .port_configs()
            .into_iter()
            .find(|c| c.2 == channels && c.3 == channels)
            .unwrap_or_else(|| panic!("no configuration with {channels} channels"))
            .0;
        let ext = self
            .instance
            .access_shared_handler(|h| *h.ports_config.get().expect("initialized"))
            .expect("the plugin implements the audio-ports-config extension");
        ext.select(&self.instance.plugin_handle(), ClapId::new(id))
            .expect("the plugin accepts the configuration");
    }

    /// (channel count, port type) of the main input port as the plugin reports it now.
    pub fn main_input_port(&mut self) -> (u32, Option<String>) {
        let ext = self
            .instance
            .access_shared_handler(|h| *h.ports.get().expect("initialized"))
            .expect("the plugin implements the audio-ports extension");
        let mut buffer = AudioPortInfoBuffer::new();
        let handle = self.instance.plugin_handle();
        let info = ext
            .get(&handle, 0, true, &mut buffer)
            .expect("a main input");
        (
            info.channel_count,
            info.port_type.map(|t| t.0.to_string_lossy().into_owned()),
        )
    }

    fn surround_ext(&mut self) -> PluginSurround {
        self.instance
            .access_shared_handler(|h| *h.surround.get().expect("initialized"))
            .expect("the plugin implements the clap.surround extension")
    }

    /// The channel map (`CLAP_SURROUND_*` of each channel) of the main input or output port,
    /// through the `clap.surround` extension.
    pub fn surround_channel_map(&mut self, is_input: bool) -> Vec<u8> {
        let ext = self.surround_ext();
        let mut buffer = [0u8; 64];
        let map = ext.get_channel_map(&self.instance.plugin_handle(), is_input, 0, &mut buffer);
        map.as_raw().to_vec()
    }

    /// Whether the plugin supports a surround channel mask (`1 << CLAP_SURROUND_*` bits).
    pub fn is_channel_mask_supported(&mut self, mask: u64) -> bool {
        let ext = self.surround_ext();
        let mask = SurroundChannels::from_bits_retain(mask);
        ext.is_channel_mask_supported(&self.instance.plugin_handle(), mask)
    }

    pub fn save_state(&mut self) -> Vec<u8> {
        let ext = self.state_ext();
        let mut bytes = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut bytes)
            .expect("state saves");
        bytes
    }

    /// Loads `bytes` as state; `Err` when the plugin rejected it.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), String> {
        let ext = self.state_ext();
        let mut reader = std::io::Cursor::new(bytes);
        ext.load(&self.instance.plugin_handle(), &mut reader)
            .map_err(|e| e.to_string())
    }

    pub fn activate(&mut self, sample_rate: f64, max_frames: u32) {
        assert!(self.processor.is_none(), "already active");
        let stopped = self
            .instance
            .activate(
                |_, _| (),
                PluginAudioConfiguration {
                    sample_rate,
                    min_frames_count: 1,
                    max_frames_count: max_frames,
                },
            )
            .expect("the plugin activates");
        self.processor = Some(PluginAudioProcessor::Stopped(stopped));
        self.start_processing();
    }

    /// Stops processing (the host's transport idle or the track frozen) without deactivating.
    pub fn stop_processing(&mut self) {
        self.processor
            .as_mut()
            .expect("the plugin is active")
            .ensure_processing_stopped();
    }

    pub fn start_processing(&mut self) {
        self.processor
            .as_mut()
            .expect("the plugin is active")
            .ensure_processing_started()
            .expect("processing starts");
    }

    /// The started audio processor, for callers that build their own buffers (the plugin-path
    /// bench processes preallocated blocks without this module's per-call copies).
    pub fn started_processor(&mut self) -> &mut StartedPluginAudioProcessor<TestHost> {
        self.processor
            .as_mut()
            .expect("the plugin is active")
            .as_started_mut()
            .expect("processing is started")
    }

    pub fn deactivate(&mut self) {
        if let Some(mut processor) = self.processor.take() {
            processor.ensure_processing_stopped();
            if let PluginAudioProcessor::Stopped(stopped) = processor {
                self.instance.deactivate(stopped);
            }
        }
    }

    /// Processes one block of `channels` (input) into a fresh output block, with parameter
    /// changes at sample offsets. Input and output are separate buffers (out-of-place), the
    /// general case a host may use.
    pub fn process(&mut self, input: &[Vec<f32>], changes: &[ParamChange]) -> Vec<Vec<f32>> {
        self.process_with_transport(input, changes, None)
    }

    /// As [`Instance::process`], with the host's transport state for the block (`None`: the
    /// host sends no transport, as when it has none).
    pub fn process_with_transport(
        &mut self,
        input: &[Vec<f32>],
        changes: &[ParamChange],
        playing: Option<bool>,
    ) -> Vec<Vec<f32>> {
        self.process_at(input, changes, playing.map(|p| (p, 0.0)))
    }

    /// As [`Instance::process`], with the host's transport playing (or not) at a position on
    /// its seconds timeline (`None`: no transport).
    pub fn process_at(
        &mut self,
        input: &[Vec<f32>],
        changes: &[ParamChange],
        transport: Option<(bool, f64)>,
    ) -> Vec<Vec<f32>> {
        let transport = transport.map(|(playing, position_s)| {
            use clack_host::events::EventFlags;
            use clack_host::events::event_types::{TransportEvent, TransportFlags};
            use clack_host::utils::{BeatTime, SecondsTime};
            let mut flags = TransportFlags::HAS_TEMPO | TransportFlags::HAS_SECONDS_TIMELINE;
            if playing {
                flags |= TransportFlags::IS_PLAYING;
            }
            TransportEvent {
                header: EventHeader::new_core(0, EventFlags::empty()),
                flags,
                song_pos_beats: BeatTime::from_int(0),
                song_pos_seconds: SecondsTime::from_float(position_s),
                tempo: 120.0,
                tempo_inc: 0.0,
                loop_start_beats: BeatTime::from_int(0),
                loop_end_beats: BeatTime::from_int(0),
                loop_start_seconds: SecondsTime::from_int(0),
                loop_end_seconds: SecondsTime::from_int(0),
                bar_start: BeatTime::from_int(0),
                bar_number: 0,
                time_signature_numerator: 4,
                time_signature_denominator: 4,
            }
        });
        let frames = input.first().map_or(0, Vec::len);
        let mut input_buffers: Vec<Vec<f32>> = input.to_vec();
        let mut output_buffers: Vec<Vec<f32>> = vec![vec![0.0; frames]; input.len()];
        let events: Vec<ParamValueEvent> = changes
            .iter()
            .map(|c| {
                ParamValueEvent::new(
                    c.offset,
                    ClapId::new(c.param_id),
                    Pckn::match_all(),
                    c.value,
                )
            })
            .collect();
        let mut out_events = EventBuffer::new();
        let mut input_ports = AudioPorts::with_capacity(input.len(), 1);
        let mut output_ports = AudioPorts::with_capacity(input.len(), 1);
        {
            let input_audio = input_ports.with_input_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_input_only(
                    input_buffers
                        .iter_mut()
                        .map(|b| InputChannel::variable(b.as_mut_slice())),
                ),
            }]);
            let mut output_audio = output_ports.with_output_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only(
                    output_buffers.iter_mut().map(|b| b.as_mut_slice()),
                ),
            }]);
            let processor = self
                .processor
                .as_mut()
                .expect("the plugin is active")
                .as_started_mut()
                .expect("processing is started");
            processor
                .process(
                    &input_audio,
                    &mut output_audio,
                    &InputEvents::from_buffer(&events),
                    &mut OutputEvents::from_buffer(&mut out_events),
                    None,
                    transport.as_ref(),
                )
                .expect("process succeeds");
        }
        self.from_plugin.extend(out_events.iter().filter_map(|e| {
            let event = e.as_event::<ParamValueEvent>()?;
            Some((event.param_id()?.into(), event.value()))
        }));
        output_buffers
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.deactivate();
    }
}

/// One block of a 1 kHz sine on both channels of a stereo bus, `len` frames from sample
/// `start` at `rate_hz`.
pub fn sine_block(start: usize, len: usize, rate_hz: f64, amplitude: f32) -> Vec<Vec<f32>> {
    let l: Vec<f32> = (start..start + len)
        .map(|n| {
            amplitude * (n as f32 * 2.0 * std::f32::consts::PI * 1000.0 / rate_hz as f32).sin()
        })
        .collect();
    vec![l.clone(), l]
}

/// The readings of the saved state's `last-measurement` field, from a state blob (a u64
/// length, then nice-plug's JSON with each persisted field as a JSON string).
pub fn saved_measurement(state: &[u8]) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_slice(&state[8..]).expect("state is JSON");
    let field = json["fields"]["last-measurement"]
        .as_str()
        .expect("the state carries the last measurement");
    serde_json::from_str(field).expect("the measurement is JSON")
}
