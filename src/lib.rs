//! Mixmeter: a real-time mix meter for the master bus (VST3 and CLAP, on nice-plug).
//!
//! This file wires the pieces together: parameters ([`params`]), the allocation-free meter core
//! ([`meter`]), what crosses threads ([`bridge`]), what happens to the audio passed on
//! ([`monitor`]) and the egui editor ([`editor`]). See `DESIGN.md` for the data flow.

pub mod bridge;
pub mod editor;
pub mod link;
pub mod monitor;
pub mod params;
pub mod persist;
pub mod report;

// The core crate's modules, under the paths the plugin and its tests have always used.
pub use mixmeter_core::{
    analysis, decode, diagnosis, measurement, meter, normalize, reference, smoothing,
};

use bridge::{Command, MeterInput, MeterOutput, PLUGIN_CHANNELS};
use meter::engine::{Meter, MeterConfig};
use meter::fold::Fold;
use meter::layout::{self, BusLayout};
use mixmeter_core::session::summarize::FrameSummarizer;
use monitor::{MonoCheck, fold_level_match_gain, level_match_gain};
use nice_plug::prelude::*;
use nice_plug_egui::RepaintNotifier;
use params::MixmeterParams;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// The fold-down's meter on surround buses (`None` on mono and stereo), made with the
    /// meter and reset, started and paused with it.
    fold: Option<Fold>,
    meter_input: MeterInput,
    /// Handed to the editor when the host asks for it (once per instance).
    meter_output: Option<MeterOutput>,
    mono_check: MonoCheck,
    /// Whether the host transport was playing at the previous block.
    was_playing: bool,
    /// The host's transport has played since activation (then its position is the link's
    /// time base, and a stop pauses the track's frames; see `publish_to_link`).
    has_played: bool,
    /// The current measurement was started by the transport (shown in the editor).
    reset_by_transport: bool,
    /// Samples since the readings were last copied into the saved state, and how often they
    /// are (100 ms).
    unsaved_samples: u64,
    save_interval: u64,
    /// The editor was open at the previous block (its first block republishes everything).
    editor_was_open: bool,
    /// The host renders offline: the whole render is measured and, if it is one the user
    /// meant, reported at deactivation (see [`report`]). Capacity reserved in `activate`.
    reports: report::Recorder,
    /// The audio thread's end of the instance's link (see [`link`]).
    link: link::AudioLink,
    /// This instance's running summary for its group (made in `activate`; see [`link`]).
    summarizer: Option<FrameSummarizer>,
    /// A master watched the group at the previous block (the summarizer starts afresh when
    /// one starts watching).
    link_watched: bool,
}

impl Drop for Mixmeter {
    fn drop(&mut self) {
        // The slot is given back at once (readers see the track gone, not stale).
        self.params.session_link.0.shutdown();
    }
}

impl Default for Mixmeter {
    fn default() -> Self {
        let (meter_input, meter_output) = bridge::channel();
        let params = Arc::new(MixmeterParams::default());
        Self {
            link: link::AudioLink::new(params.session_link.0.clone()),
            summarizer: None,
            link_watched: false,
            params,
            editor_open: Arc::new(AtomicBool::new(false)),
            repaint: RepaintNotifier::new(),
            meter: None,
            fold: None,
            meter_input,
            meter_output: Some(meter_output),
            mono_check: MonoCheck::new(48_000.0, false),
            was_playing: false,
            has_played: false,
            reset_by_transport: false,
            unsaved_samples: 0,
            save_interval: 4_800,
            editor_was_open: false,
            reports: report::Recorder::default(),
        }
    }
}

/// The host-side description of a bus: its channel count in and out, and its name (shown by
/// CLAP hosts in the audio-ports-config list).
const fn io_layout(bus: BusLayout) -> AudioIOLayout {
    let channels = NonZeroU32::new(bus.channels() as u32);
    AudioIOLayout {
        main_input_channels: channels,
        main_output_channels: channels,
        names: PortNames {
            layout: Some(bus.name()),
            ..PortNames::const_default()
        },
        ..AudioIOLayout::const_default()
    }
}

impl Plugin for Mixmeter {
    const NAME: &'static str = "Mixmeter";
    const VENDOR: &'static str = "Mixmeter";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    /// Stereo first (the default most hosts pick), then mono, 5.0, 5.1, 7.0, 7.1 and 7.1.4
    /// ([`BusLayout::ALL`]; the channel order of each is in [`meter::layout`]). No sidechain,
    /// no latency.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        io_layout(BusLayout::ALL[0]),
        io_layout(BusLayout::ALL[1]),
        io_layout(BusLayout::ALL[2]),
        io_layout(BusLayout::ALL[3]),
        io_layout(BusLayout::ALL[4]),
        io_layout(BusLayout::ALL[5]),
        io_layout(BusLayout::ALL[6]),
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
            self.reports.shared(),
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
        let Some(bus) = BusLayout::from_channels(channels) else {
            nice_error!(
                "Unsupported layout: {channels} input channels (Mixmeter meters mono, stereo, \
                 5.0, 5.1, 7.0, 7.1 and 7.1.4)"
            );
            return false;
        };
        // Allocation happens here, never in process(). Re-activation at the same rate and
        // layout keeps the running measurement.
        let rate = buffer_config.sample_rate as f64;
        if !bridge::rate_is_supported(rate) {
            // Refusing activation would lose the plugin (and the user's session) in the host:
            // stay active, pass audio through (process() does nothing without a meter), and say
            // why in the editor.
            nice_warn!("{}", bridge::not_measuring_message(rate));
            self.meter = None;
            self.fold = None;
            let _ = self.reports.tracker.finish();
            self.meter_input.publish_unsupported_rate(rate, channels);
            return true;
        }
        let config = MeterConfig::new(rate, channels)
            .with_weights(&layout::weights(bus.roles()))
            .with_spectrum();
        if self.meter.as_ref().is_none_or(|m| *m.config() != config) {
            let fold = if bus.is_surround() {
                Fold::new(rate, bus.roles()).map(Some)
            } else {
                Ok(None)
            };
            match Meter::new(config).and_then(|meter| Ok((meter, fold?))) {
                Ok((meter, fold)) => {
                    self.meter = Some(meter);
                    self.fold = fold;
                }
                Err(error) => {
                    nice_error!("Cannot meter this configuration: {error}");
                    return false;
                }
            }
        }
        // The link's summary, on the rate and channel weights of the meter; linking (mapping
        // the group's segment, claiming a slot) happens here too, off the audio thread.
        let weights = layout::weights(bus.roles());
        if self
            .summarizer
            .as_ref()
            .is_none_or(|s| s.channels() != weights.len() || s.sample_rate() != rate as f32)
        {
            self.summarizer = Some(FrameSummarizer::new(rate as f32, &weights));
        }
        self.params
            .session_link
            .0
            .activated(rate as f32, channels as u32);
        self.mono_check = MonoCheck::new(buffer_config.sample_rate, false);
        self.mono_check.reset_to(
            self.params.mono_check.value(),
            self.params.fold_to.value().target(),
        );
        self.meter_input.configure_scope(rate);
        self.save_interval = ((buffer_config.sample_rate as f64 * 0.1).round() as u64).max(1);
        self.unsaved_samples = 0;
        if buffer_config.process_mode == ProcessMode::Offline {
            // A render is measured whole, from its first sample.
            if let Some(meter) = self.meter.as_mut() {
                meter.reset();
            }
            if let Some(fold) = self.fold.as_mut() {
                fold.reset();
            }
            self.reports.tracker.start(rate);
        } else {
            let _ = self.reports.tracker.finish();
        }
        if let Some(meter) = self.meter.as_ref() {
            // Before the first block: the editor learns the layout (its channel count) now.
            let fold = self.fold.as_ref().map(|f| f.readings(&meter.readings()));
            self.meter_input
                .publish_activated_with_fold(meter, fold, self.reset_by_transport);
        }
        true
    }

    fn deactivate(&mut self) {
        // A render the user meant is reported now, on a thread of its own (see [`report`]).
        self.reports.deactivate(self.meter.as_ref(), &self.params);
    }

    fn reset(&mut self) {
        // The host's reset (e.g. after a seek) clears filter and fade state; the EBU-mode
        // measurement is reset by the user or by the transport, not by the host.
        self.mono_check.reset_to(
            self.params.mono_check.value(),
            self.params.fold_to.value().target(),
        );
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
        let mut fold = self.fold.as_mut();
        while let Some(command) = self.meter_input.next_command() {
            match command {
                Command::Reset => {
                    meter.reset();
                    if let Some(fold) = fold.as_mut() {
                        fold.reset();
                    }
                    self.reset_by_transport = false;
                    self.reports.tracker.interrupt();
                }
                Command::Start => {
                    meter.start();
                    if let Some(fold) = fold.as_mut() {
                        fold.start();
                    }
                }
                Command::Pause => {
                    meter.pause();
                    if let Some(fold) = fold.as_mut() {
                        fold.pause();
                    }
                    self.reports.tracker.interrupt();
                }
            }
        }
        let transport = context.transport();
        let playing = transport.playing;
        // Where this block starts on the host's timeline (render reports check one pass).
        let position = transport.pos_samples();
        if playing && !self.was_playing && self.params.reset_on_play.value() {
            meter.reset();
            if let Some(fold) = fold.as_mut() {
                fold.reset();
            }
            self.reset_by_transport = true;
            self.reports.tracker.interrupt();
        }
        self.was_playing = playing;
        self.has_played |= playing;

        // Display spectrum frames only while the editor is open (the long-term average always
        // accumulates).
        let editor_open = self.editor_open.load(Ordering::Acquire);
        if let Some(spectrum) = meter.spectrum_mut() {
            spectrum.set_display_size(editor_open.then(|| self.params.spectrum_view.fft_size()));
        }
        self.reports.tracker.position(position);
        // Measure first: the meters always see the input, never the mono check's fold.
        meter.process(buffer.as_slice_immutable());
        if let Some(fold) = fold.as_mut() {
            fold.process(buffer.as_slice_immutable());
        }
        // The loudness history always runs (two atomic words per 100 ms), so an editor opened
        // later shows the last minutes.
        self.meter_input.publish_history(meter);
        self.unsaved_samples += buffer.samples() as u64;
        let saved_now = self.unsaved_samples >= self.save_interval;
        if saved_now {
            self.unsaved_samples = 0;
            let readings = meter.readings();
            self.params.last_measurement.store(&readings);
            if let Some(publisher) = self.link.update() {
                link::publish_readings(publisher, &readings);
            }
        }
        let (true_peak, sample_peak) = meter.take_live_peaks();
        self.reports
            .record_block(meter, buffer.samples(), position, &true_peak);
        // The link's time base: the host's position while its transport plays. A stopped
        // transport keeps reporting one position, on which no frame would complete: a host
        // that has played since activation pauses the track's frames until it plays again
        // (frames counted while stopped would run past the stop point, and resuming there
        // would read as a replay that starts the session view's measurement again); one that
        // never plays (an offline render without a playhead, live input before the first
        // play) has the summarizer count its own samples.
        let time_base = match (playing, self.has_played) {
            (true, _) => Some(position),
            (false, false) => Some(None),
            (false, true) => None,
        };
        publish_to_link(
            &mut self.link,
            self.summarizer.as_mut().filter(|_| time_base.is_some()),
            &mut self.link_watched,
            buffer,
            time_base.flatten(),
        );
        // The bus's channels only (the others stay at 0).
        let channels = buffer.channels().min(PLUGIN_CHANNELS);
        self.meter_input
            .raise_peaks(&true_peak[..channels], &sample_peak[..channels]);

        // The vectorscope sees the input, like the meters (the front pair of a surround bus).
        if editor_open {
            match buffer.as_slice_immutable() {
                [left, right, ..] => self.meter_input.feed_scope(left, right),
                [mono] => self.meter_input.feed_scope(mono, mono),
                [] => {}
            }
        }

        let mono_engaged = self.params.mono_check.value();
        let fold_to = self.params.fold_to.value().target();
        // The fold-down's readings, once per block (a few logarithms), on surround buses.
        let fold_readings = fold.as_ref().map(|f| f.readings(&meter.readings()));
        // The level-match target costs a few logarithms per block: it is needed only while the
        // sum is engaged or fading (a fade in starts at its target), and always for a fold.
        let level_heard = mono_engaged || self.mono_check.is_active() || fold.is_some();
        if level_heard {
            let gain = if self.params.mono_level_match.value() {
                // No value (silence) keeps the gain it had.
                match &fold_readings {
                    Some(f) => fold_level_match_gain(f.short_term_lu(self.mono_check.fold())),
                    None => level_match_gain(meter.mono_loss_short_term_lu()),
                }
            } else {
                Some(1.0)
            };
            if let Some(gain) = gain {
                self.mono_check.set_level_target(gain);
            }
        }
        match (fold.as_ref(), buffer.as_slice()) {
            (Some(fold), channels) => self.mono_check.process_fold(
                channels,
                fold.downmix(),
                mono_engaged.then_some(fold_to),
            ),
            (None, [left, right, ..]) => self.mono_check.process(left, right, mono_engaged),
            (None, _) => {}
        }

        // Display-only work happens only while the editor is open.
        if editor_open {
            let level_gain = if mono_engaged {
                self.mono_check.level_gain()
            } else {
                1.0
            };
            self.meter_input.publish_with_fold(
                &meter.readings(),
                self.reset_by_transport,
                meter.stereo_bands(),
                fold_readings,
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

/// The block's frames and a heartbeat into this instance's slot (atomic stores and the vDSO
/// clock only; see [`link`]). Frames are summarized only while a master watches the group
/// (`link::layout::WATCH_NS`): otherwise a linked instance pays a clock read and two atomic
/// stores per block, not the summarizer.
fn publish_to_link(
    link: &mut link::AudioLink,
    summarizer: Option<&mut FrameSummarizer>,
    was_watched: &mut bool,
    buffer: &Buffer,
    position: Option<i64>,
) {
    let Some(publisher) = link.update() else {
        return;
    };
    // Once per block: the coarse clock (a tick's lag is nothing against the 2-3 s deadlines).
    let now = link::slot::now_coarse_ns();
    if !publisher.beat(now) {
        return;
    }
    let Some(summarizer) = summarizer else {
        return;
    };
    let watched = publisher.watched(now);
    if !watched {
        *was_watched = false;
        return;
    }
    if !*was_watched {
        // A master started watching: no frame from before the pause is continued.
        summarizer.reset();
        *was_watched = true;
    }
    let mut channels: [&[f32]; meter::MAX_CHANNELS] = [&[]; meter::MAX_CHANNELS];
    let input = buffer.as_slice_immutable();
    let used = input.len().min(meter::MAX_CHANNELS);
    for (slot, channel) in channels.iter_mut().zip(input) {
        *slot = channel;
    }
    // The host's sample position is the time base every instance shares; without one the
    // summarizer counts samples itself (such a track does not line up with the others).
    let position = position.and_then(|p| u64::try_from(p).ok());
    summarizer.process(&channels[..used], position, |frame| {
        publisher.publish(frame)
    });
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
