//! Mixmeter: a real-time mix meter for the master bus (VST3 and CLAP, on nice-plug).
//!
//! This file wires the pieces together: parameters ([`params`]), the allocation-free meter core
//! ([`meter`]), what crosses threads ([`bridge`]), what happens to the audio passed on
//! ([`monitor`]) and the egui editor ([`editor`]). See `DESIGN.md` for the data flow.

pub mod bridge;
pub mod decode;
pub mod diagnosis;
pub mod editor;
pub mod measurement;
pub mod meter;
pub mod monitor;
pub mod normalize;
pub mod params;
pub mod reference;
pub mod report;

use bridge::{Command, MeterInput, MeterOutput, PLUGIN_CHANNELS};
use meter::engine::{Meter, MeterConfig};
use monitor::{MonoCheck, level_match_gain};
use nice_plug::prelude::*;
use nice_plug_egui::RepaintNotifier;
use params::MixmeterParams;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Stable CLAP plugin ID. Never change it: hosts use it to find the plugin in saved projects.
pub const CLAP_ID: &str = "org.mixmeter.mixmeter";
/// Stable VST3 class ID (16 bytes). Never change it, for the same reason.
pub const VST3_CLASS_ID: [u8; 16] = *b"MixmeterMeter001";

pub struct Mixmeter {
    params: Arc<MixmeterParams>,
    /// Whether the editor window is open (set by the editor, read here each block).
    editor_open: Arc<AtomicBool>,
    repaint: RepaintNotifier,
    /// The meter core, sized for the active layout and rate in `activate`.
    meter: Option<Meter>,
    meter_input: MeterInput,
    /// Handed to the editor when the host asks for it (once per instance).
    meter_output: Option<MeterOutput>,
    mono_check: MonoCheck,
    /// Whether the host transport was playing at the previous block.
    was_playing: bool,
    /// The current measurement was started by the transport (shown in the editor).
    reset_by_transport: bool,
    /// Samples since the readings were last copied into the saved state, and how often they
    /// are (100 ms).
    unsaved_samples: u64,
    save_interval: u64,
    /// The editor was open at the previous block (its first block republishes everything).
    editor_was_open: bool,
    /// The host renders offline: the whole render is measured and reported at deactivation
    /// (see [`report`]). The short-term loudness once per second of it (capacity reserved in
    /// `activate`), the samples rendered, the next sample a value is due, and the rate.
    offline: bool,
    render_series: Vec<f32>,
    render_samples: u64,
    render_next: u64,
    rate_hz: u64,
    /// The last render report, shared with the editor (written by the report thread).
    last_report: Arc<Mutex<Option<report::LastReport>>>,
}

impl Default for Mixmeter {
    fn default() -> Self {
        let (meter_input, meter_output) = bridge::channel();
        Self {
            params: Arc::new(MixmeterParams::default()),
            editor_open: Arc::new(AtomicBool::new(false)),
            repaint: RepaintNotifier::new(),
            meter: None,
            meter_input,
            meter_output: Some(meter_output),
            mono_check: MonoCheck::new(48_000.0, false),
            was_playing: false,
            reset_by_transport: false,
            unsaved_samples: 0,
            save_interval: 4_800,
            editor_was_open: false,
            offline: false,
            render_series: Vec::new(),
            render_samples: 0,
            render_next: 0,
            rate_hz: 48_000,
            last_report: Arc::new(Mutex::new(None)),
        }
    }
}

impl Plugin for Mixmeter {
    const NAME: &'static str = "Mixmeter";
    const VENDOR: &'static str = "Mixmeter";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    /// Stereo first (the default most hosts pick), then mono. No sidechain, no latency.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    /// Parameter changes inside a block split the block, so the mono check switches at the
    /// exact sample the host asked for.
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = editor::MixmeterEditorWindow;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.meter_output.take()?,
            self.editor_open.clone(),
            self.repaint.clone(),
            self.last_report.clone(),
        )
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = audio_io_layout
            .main_input_channels
            .map_or(0, NonZeroU32::get) as usize;
        if !(1..=PLUGIN_CHANNELS).contains(&channels) {
            nice_error!(
                "Unsupported layout: {channels} input channels (Mixmeter meters mono or stereo)"
            );
            return false;
        }
        // Allocation happens here, never in process(). Re-activation at the same rate and
        // layout keeps the running measurement.
        let rate = buffer_config.sample_rate as f64;
        if !bridge::rate_is_supported(rate) {
            // Refusing activation would lose the plugin (and the user's session) in the host:
            // stay active, pass audio through (process() does nothing without a meter), and say
            // why in the editor.
            nice_warn!("{}", bridge::not_measuring_message(rate));
            self.meter = None;
            self.offline = false;
            self.meter_input.publish_unsupported_rate(rate, channels);
            return true;
        }
        let config = MeterConfig::new(rate, channels).with_spectrum();
        if self.meter.as_ref().is_none_or(|m| *m.config() != config) {
            match Meter::new(config) {
                Ok(meter) => self.meter = Some(meter),
                Err(error) => {
                    nice_error!("Cannot meter this configuration: {error}");
                    return false;
                }
            }
        }
        self.mono_check = MonoCheck::new(buffer_config.sample_rate, self.params.mono_check.value());
        self.meter_input.configure_scope(rate);
        self.save_interval = ((buffer_config.sample_rate as f64 * 0.1).round() as u64).max(1);
        self.unsaved_samples = 0;
        self.offline = buffer_config.process_mode == ProcessMode::Offline;
        if self.offline {
            // A render is measured whole, from its first sample.
            if let Some(meter) = self.meter.as_mut() {
                meter.reset();
            }
            self.rate_hz = (buffer_config.sample_rate.round() as u64).max(1);
            self.render_series.clear();
            self.render_series.reserve(report::SERIES_CAPACITY);
            self.render_samples = 0;
            self.render_next = self.rate_hz;
        }
        if let Some(meter) = self.meter.as_ref() {
            // Before the first block: the editor learns the layout (mono or stereo) now.
            self.meter_input
                .publish_activated(meter, self.reset_by_transport);
        }
        true
    }

    fn deactivate(&mut self) {
        if !std::mem::take(&mut self.offline) {
            return;
        }
        let Some(meter) = self.meter.as_ref() else {
            return;
        };
        let readings = meter.readings();
        if readings.measured_s < report::MIN_RENDER_S {
            return;
        }
        let render = report::Render {
            measurement: measurement::Measurement::of(&readings),
            sample_rate: self.rate_hz as f64,
            channels: readings.channels,
            short_term_lufs: std::mem::take(&mut self.render_series),
        };
        let folder = self
            .params
            .report_folder
            .read()
            .map(|f| f.clone())
            .unwrap_or_default();
        let folder = if folder.trim().is_empty() {
            report::default_folder()
        } else {
            std::path::PathBuf::from(folder)
        };
        let last = self.last_report.clone();
        // Written on a thread of its own: deactivation returns at once.
        let spawned = std::thread::Builder::new()
            .name("mixmeter-report".to_string())
            .spawn(move || {
                let result = report::write(&folder, &render);
                if let Err(error) = &result {
                    nice_error!("Render report not written: {error}");
                }
                if let Ok(mut last) = last.lock() {
                    *last = Some(report::LastReport {
                        result,
                        integrated_lufs: render.measurement.integrated_lufs,
                        true_peak_dbtp: render.measurement.true_peak_dbtp,
                        duration_s: render.measurement.measured_s,
                    });
                }
            });
        if let Err(error) = spawned {
            nice_error!("Render report not written: no thread ({error})");
        }
    }

    fn reset(&mut self) {
        // The host's reset (e.g. after a seek) clears filter and fade state; the EBU-mode
        // measurement is reset by the user or by the transport, not by the host.
        self.mono_check.reset(self.params.mono_check.value());
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(meter) = self.meter.as_mut() else {
            return ProcessStatus::Normal;
        };
        while let Some(command) = self.meter_input.next_command() {
            match command {
                Command::Reset => {
                    meter.reset();
                    self.reset_by_transport = false;
                }
                Command::Start => meter.start(),
                Command::Pause => meter.pause(),
            }
        }
        let playing = context.transport().playing;
        if playing && !self.was_playing && self.params.reset_on_play.value() {
            meter.reset();
            self.reset_by_transport = true;
        }
        self.was_playing = playing;

        // Display spectrum frames only while the editor is open (the long-term average always
        // accumulates).
        let editor_open = self.editor_open.load(Ordering::Acquire);
        if let Some(spectrum) = meter.spectrum_mut() {
            spectrum.set_display_size(editor_open.then(|| self.params.spectrum_view.fft_size()));
        }
        // Measure first: the meters always see the stereo input, never the mono fold.
        meter.process(buffer.as_slice_immutable());
        // The loudness history always runs (two atomic words per 100 ms), so an editor opened
        // later shows the last minutes.
        self.meter_input.publish_history(meter);
        self.unsaved_samples += buffer.samples() as u64;
        if self.offline {
            // Once per second of the render, the short-term loudness (never past the capacity
            // reserved in activate: no allocation).
            self.render_samples += buffer.samples() as u64;
            while self.render_samples >= self.render_next {
                if self.render_series.len() < self.render_series.capacity() {
                    let short_term = meter.readings().short_term_lufs;
                    self.render_series
                        .push(short_term.map_or(f32::NAN, |v| v as f32));
                }
                self.render_next += self.rate_hz;
            }
        }
        if self.unsaved_samples >= self.save_interval {
            self.unsaved_samples = 0;
            self.params.last_measurement.store(&meter.readings());
        }
        let (true_peak, sample_peak) = meter.take_live_peaks();
        self.meter_input.raise_peaks(
            &true_peak[..PLUGIN_CHANNELS],
            &sample_peak[..PLUGIN_CHANNELS],
        );

        // The vectorscope sees the input, like the meters.
        if editor_open {
            match buffer.as_slice_immutable() {
                [left, right, ..] => self.meter_input.feed_scope(left, right),
                [mono] => self.meter_input.feed_scope(mono, mono),
                [] => {}
            }
        }

        let mono_engaged = self.params.mono_check.value();
        if self.params.mono_level_match.value() {
            // No value (silence) keeps the gain it had.
            if let Some(gain) = level_match_gain(meter.mono_loss_short_term_lu()) {
                self.mono_check.set_level_target(gain);
            }
        } else {
            self.mono_check.set_level_target(1.0);
        }
        if let [left, right, ..] = buffer.as_slice() {
            self.mono_check.process(left, right, mono_engaged);
        }

        // Display-only work happens only while the editor is open.
        if editor_open {
            let level_gain = if mono_engaged {
                self.mono_check.level_gain()
            } else {
                1.0
            };
            self.meter_input.publish_all(
                &meter.readings(),
                self.reset_by_transport,
                meter.stereo_bands(),
                level_gain,
            );
            if let Some(spectrum) = meter.spectrum_mut() {
                self.meter_input
                    .publish_spectrum(spectrum, !self.editor_was_open);
            }
            self.repaint.request_repaint();
        }
        self.editor_was_open = editor_open;
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Mixmeter {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(env!("CARGO_PKG_DESCRIPTION"));
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Analyzer,
        ClapFeature::Utility,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for Mixmeter {
    const VST3_CLASS_ID: [u8; 16] = VST3_CLASS_ID;
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Analyzer];
}

nice_export_clap!(Mixmeter);
nice_export_vst3!(Mixmeter);
