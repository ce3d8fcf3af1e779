//! Mixmeter: a real-time mix meter for the master bus (VST3 and CLAP, on nice-plug).
//!
//! This file wires the pieces together: parameters ([`params`]), the allocation-free meter core
//! ([`meter`]), what crosses threads ([`bridge`]), what happens to the audio passed on
//! ([`monitor`]) and the egui editor ([`editor`]). See `DESIGN.md` for the data flow.

pub mod bridge;
pub mod editor;
pub mod meter;
pub mod monitor;
pub mod params;

use bridge::{PeakInput, PeakOutput};
use meter::peak::SamplePeak;
use monitor::MonoCheck;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditorState, RepaintNotifier};
use params::MixmeterParams;
use std::sync::Arc;

/// Stable CLAP plugin ID. Never change it: hosts use it to find the plugin in saved projects.
pub const CLAP_ID: &str = "org.mixmeter.mixmeter";
/// Stable VST3 class ID (16 bytes). Never change it, for the same reason.
pub const VST3_CLASS_ID: [u8; 16] = *b"MixmeterMeter001";

pub struct Mixmeter {
    params: Arc<MixmeterParams>,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
    peak_input: PeakInput,
    peak_output: PeakOutput,
    peak: SamplePeak,
    mono_check: MonoCheck,
    /// Channels of the active layout (1 or 2); set in `activate`.
    channels: usize,
}

impl Default for Mixmeter {
    fn default() -> Self {
        let (peak_input, peak_output) = bridge::peak_channel();
        Self {
            params: Arc::new(MixmeterParams::default()),
            editor_state: editor::default_editor_state(),
            repaint: RepaintNotifier::new(),
            peak_input,
            peak_output,
            peak: SamplePeak::new(2),
            mono_check: MonoCheck::new(48_000.0, false),
            channels: 2,
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

    type Editor = nice_plug_egui::EguiEditor<editor::MixmeterEditor>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.peak_output.clone(),
            self.editor_state.clone(),
            self.repaint.clone(),
        )
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.channels = audio_io_layout
            .main_input_channels
            .map_or(0, NonZeroU32::get) as usize;
        if !(1..=meter::MAX_CHANNELS).contains(&self.channels) {
            nice_error!("Unsupported layout: {} input channels", self.channels);
            return false;
        }
        self.peak = SamplePeak::new(self.channels);
        self.peak_input.set_channels(self.channels);
        self.mono_check = MonoCheck::new(buffer_config.sample_rate, self.params.mono_check.value());
        true
    }

    fn reset(&mut self) {
        self.peak.reset();
        self.mono_check.reset(self.params.mono_check.value());
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // Measure first: the meters always see the stereo input, never the mono fold.
        self.peak.process(buffer.as_slice_immutable());
        self.peak_input
            .publish(self.peak.take(), self.peak.non_finite_samples());

        if let [left, right, ..] = buffer.as_slice() {
            self.mono_check
                .process(left, right, self.params.mono_check.value());
        }

        if self.editor_state.is_open() {
            self.repaint.request_repaint();
        }
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
