//! What crosses threads between the audio thread and the editor.
//!
//! One constructor, [`channel`], makes both ends: the audio thread owns [`MeterInput`], the
//! editor [`MeterOutput`]. Each channel is a module with its own writer and reader, which
//! these two hold. Everything on the audio side is lock-free and allocation-free:
//!
//! - **Snapshot**: the complete [`Readings`] plus a generation counter, published as one value
//!   through a triple buffer, so the editor never sees a half-updated set of numbers. When the
//!   host runs at a rate the meter cannot measure, the plugin stays active, passes audio
//!   through and publishes once, at activation, a snapshot saying so
//!   ([`Snapshot::unsupported_rate_hz`], [`not_measuring_message`]).
//! - **Live peaks**: true and sample peak per channel as "maximum since the last read": the
//!   audio thread raises them with an atomic `fetch_max`, the editor swaps them back to 0 when
//!   it draws, so no peak between two frames is lost whatever the frame rate.
//! - **Commands** (editor to audio): a small enum on a bounded SPSC queue of
//!   [`COMMAND_CAPACITY`]; a full queue drops the newest command and says so.
//! - **Spectrum**: its own two triple buffers, each holding fixed-size arrays allocated here
//!   (so publishing only copies): the latest display frame with the per-bin maximum of every
//!   frame since the editor last read one ([`SpectrumFrame`]: no peak is lost whatever the frame
//!   rate), and the long-term average ([`LongTermFrame`]). Both are published only while the
//!   editor is open.
//! - **Stereo image per band**: the live and whole-measurement band sums travel in the snapshot
//!   (plain arrays), with the level-match gain the mono check applies.
//! - **Vectorscope**: a triple buffer holding the last [`SCOPE_POINTS`] (L, R) pairs, decimated
//!   to about [`SCOPE_POINT_RATE_HZ`] points per second (every k-th sample pair: the drawing
//!   shows the signal's joint distribution, which decimation does not change), republished at
//!   most [`SCOPE_PUBLISH_HZ`] times per second, only while the editor is open.
//! - **Loudness history**: the meter's momentary and short-term loudness every 100 ms, copied
//!   into a ring of [`HISTORY_POINTS`] atomic words (10 minutes; one point packed in one word,
//!   so a point is never torn) with a count of points written. The audio thread writes it
//!   whether the editor is open or not (two words per 100 ms of audio), so an editor opened
//!   later shows the last minutes; the editor copies whatever is new at each frame.

mod commands;
mod history;
mod peaks;
mod scope;
mod snapshot;
mod spectrum;

pub use commands::{COMMAND_CAPACITY, Command};
pub use history::{HISTORY_POINTS, HISTORY_READABLE};
pub use peaks::LivePeakReading;
pub use scope::{SCOPE_LIMIT, SCOPE_POINT_RATE_HZ, SCOPE_POINTS, SCOPE_PUBLISH_HZ, ScopeFrame};
pub use snapshot::{Snapshot, StereoSnapshot, not_measuring_message, rate_is_supported};
pub use spectrum::{LongTermFrame, MAX_BINS, SpectrumFrame};

use crate::meter::engine::{LoudnessPoint, Meter, Readings};
use crate::meter::fold::FoldReadings;
use crate::meter::spectrum::SpectrumAnalyzer;
use crate::meter::stereo::StereoBands;

/// Channels the plugin meters at most (its largest bus, 7.1.4).
pub const PLUGIN_CHANNELS: usize = crate::meter::MAX_CHANNELS;

/// Creates both ends.
pub fn channel() -> (MeterInput, MeterOutput) {
    let (snapshot_in, snapshot_out) = snapshot::channel();
    let (peaks_in, peaks_out) = peaks::channel();
    let (commands_in, commands_out) = commands::channel();
    let (spectrum_in, spectrum_out) = spectrum::channel();
    let (scope_in, scope_out) = scope::channel();
    let (history_in, history_out) = history::channel();
    (
        MeterInput {
            snapshot: snapshot_in,
            peaks: peaks_in,
            commands: commands_in,
            spectrum: spectrum_in,
            scope: scope_in,
            history: history_in,
        },
        MeterOutput {
            snapshot: snapshot_out,
            peaks: peaks_out,
            commands: commands_out,
            spectrum: spectrum_out,
            scope: scope_out,
            history: history_out,
        },
    )
}

/// Audio-thread end.
pub struct MeterInput {
    snapshot: snapshot::SnapshotWriter,
    peaks: peaks::PeakWriter,
    commands: commands::CommandReceiver,
    spectrum: spectrum::SpectrumWriter,
    scope: scope::ScopeWriter,
    history: history::HistoryWriter,
}

impl std::fmt::Debug for MeterInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeterInput")
            .field("generation", &self.snapshot.generation())
            .finish()
    }
}

impl MeterInput {
    /// Publishes the readings as one coherent snapshot.
    pub fn publish(&mut self, readings: &Readings, reset_by_transport: bool) {
        self.publish_all(readings, reset_by_transport, None, 1.0);
    }

    /// Publishes the readings with the stereo image per band and the mono level-match gain.
    pub fn publish_all(
        &mut self,
        readings: &Readings,
        reset_by_transport: bool,
        stereo: Option<&StereoBands>,
        mono_level_gain: f32,
    ) {
        self.publish_with_fold(readings, reset_by_transport, stereo, None, mono_level_gain);
    }

    /// As [`MeterInput::publish_all`], with the fold-down's readings of a surround bus.
    pub fn publish_with_fold(
        &mut self,
        readings: &Readings,
        reset_by_transport: bool,
        stereo: Option<&StereoBands>,
        fold: Option<FoldReadings>,
        mono_level_gain: f32,
    ) {
        self.snapshot
            .publish(readings, reset_by_transport, stereo, fold, mono_level_gain);
    }

    /// Publishes the meter as it stands at activation (host's main thread, before the first
    /// block): its readings carry the channel count of the layout the host chose, so an
    /// editor open before any audio knows whether the track is mono or stereo.
    pub fn publish_activated(&mut self, meter: &Meter, reset_by_transport: bool) {
        self.publish_activated_with_fold(meter, None, reset_by_transport);
    }

    /// As [`MeterInput::publish_activated`], with the fold-down's readings of a surround bus.
    pub fn publish_activated_with_fold(
        &mut self,
        meter: &Meter,
        fold: Option<FoldReadings>,
        reset_by_transport: bool,
    ) {
        self.publish_with_fold(
            &meter.readings(),
            reset_by_transport,
            meter.stereo_bands(),
            fold,
            1.0,
        );
    }

    /// Publishes that nothing is measured because the host's rate is `rate_hz` (called at
    /// activation instead of making a meter): no readings but the layout's `channels`, the
    /// rate for the editor to show.
    pub fn publish_unsupported_rate(&mut self, rate_hz: f64, channels: usize) {
        self.snapshot.publish_unsupported_rate(rate_hz, channels);
    }

    /// Copies the meter's new loudness history points into the editor's ring (a new meter,
    /// after the plugin was initialized again, is followed from its first point).
    pub fn publish_history(&mut self, meter: &Meter) {
        self.history.publish(meter);
    }

    /// Sets the vectorscope's decimation and publish rate for a sample rate (and empties it).
    pub fn configure_scope(&mut self, sample_rate_hz: f64) {
        self.scope.configure(sample_rate_hz);
    }

    /// Feeds the vectorscope (a mono layout passes its channel twice) and republishes it when
    /// due. Only copies; non-finite samples become 0.
    pub fn feed_scope(&mut self, left: &[f32], right: &[f32]) {
        self.scope.feed(left, right);
    }

    /// Raises the live peaks (linear) to at least these values.
    pub fn raise_peaks(&self, true_peak_gain: &[f32], sample_peak_gain: &[f32]) {
        self.peaks.raise(true_peak_gain, sample_peak_gain);
    }

    /// The next command from the editor, if any.
    pub fn next_command(&self) -> Option<Command> {
        self.commands.next()
    }

    /// Publishes the analyzer's newest display frame (if there is one the editor has not been
    /// sent) and the long-term average (when it changed, or always with `force_long_term`,
    /// e.g. when the editor has just opened). Copies only.
    pub fn publish_spectrum(&mut self, analyzer: &mut SpectrumAnalyzer, force_long_term: bool) {
        self.spectrum.publish(analyzer, force_long_term);
    }
}

/// Editor end.
pub struct MeterOutput {
    snapshot: snapshot::SnapshotReader,
    peaks: peaks::PeakReader,
    commands: commands::CommandSender,
    spectrum: spectrum::SpectrumReader,
    scope: scope::ScopeReader,
    history: history::HistoryReader,
}

impl std::fmt::Debug for MeterOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeterOutput").finish()
    }
}

impl MeterOutput {
    /// The latest snapshot.
    pub fn snapshot(&mut self) -> Snapshot {
        self.snapshot.read()
    }

    /// Peaks since the previous call (and starts a new interval).
    pub fn take_peaks(&self) -> LivePeakReading {
        self.peaks.take()
    }

    /// The latest display frame and long-term average.
    pub fn spectra(&mut self) -> (&SpectrumFrame, &LongTermFrame) {
        self.spectrum.both()
    }

    /// The latest display frame, and whether it is new since the previous call.
    pub fn spectrum(&mut self) -> (&SpectrumFrame, bool) {
        self.spectrum.display()
    }

    /// The latest long-term average, and whether it is new since the previous call.
    pub fn long_term(&mut self) -> (&LongTermFrame, bool) {
        self.spectrum.long_term()
    }

    /// The latest vectorscope points, and whether they are new since the previous call.
    pub fn scope(&mut self) -> (&ScopeFrame, bool) {
        self.scope.read()
    }

    /// Appends the loudness history points numbered `*next` and up to `out` (as far back as
    /// [`HISTORY_READABLE`] points) and advances `*next`. Returns false when points were
    /// skipped because they are no longer kept (`out` then continues after a gap).
    pub fn read_history(&self, next: &mut u64, out: &mut impl Extend<LoudnessPoint>) -> bool {
        self.history.read(next, out)
    }

    /// Sends a command; false when the queue is full (the audio thread is not running).
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loudness_history_reaches_the_editor_whole_and_in_order() {
        use crate::meter::engine::MeterConfig;
        // 8 kHz keeps 11 minutes of audio cheap; 0.5 s blocks, a tone getting louder by
        // 1 dB per block so every point is distinct.
        let rate = 8_000.0;
        let (mut input, output) = channel();
        let mut meter = Meter::new(MeterConfig::new(rate, 1)).unwrap();
        let mut next = 0;
        let mut seen: Vec<LoudnessPoint> = Vec::new();
        let mut phase = 0usize;
        let mut block = |meter: &mut Meter, amplitude: f32| {
            let x: Vec<f32> = (0..4000)
                .map(|i| amplitude * (0.1 * (phase + i) as f32).sin())
                .collect();
            phase += 4000;
            meter.process(&[&x]);
        };
        for b in 0..100 {
            block(&mut meter, 10f32.powf((b % 40) as f32 / 20.0) * 0.01);
            input.publish_history(&meter);
            if b % 7 == 0 {
                assert!(output.read_history(&mut next, &mut seen));
            }
        }
        assert!(output.read_history(&mut next, &mut seen));
        assert_eq!(seen.len(), 500);
        assert_eq!(next, 500);
        let expected: Vec<LoudnessPoint> = meter.history_since(372).map(|(_, p)| p).collect();
        assert_eq!(
            &seen[372..],
            &expected[..],
            "the points are the meter's, bit for bit"
        );
        // A reader that falls 11 minutes behind gets the readable part of the ring and is told
        // about the gap; the newest point is the meter's newest.
        for b in 0..1320 {
            block(&mut meter, 10f32.powf((b % 40) as f32 / 20.0) * 0.01);
            input.publish_history(&meter);
        }
        let mut late = Vec::new();
        assert!(!output.read_history(&mut next, &mut late));
        assert_eq!(late.len(), HISTORY_READABLE);
        assert_eq!(next, 500 + 6600);
        assert_eq!(
            late.last(),
            meter.history_since(0).last().map(|(_, p)| p).as_ref()
        );
        // A new meter (the plugin initialized again) is followed from its first point.
        let mut fresh = Meter::new(MeterConfig::new(rate, 1)).unwrap();
        block(&mut fresh, 0.5);
        input.publish_history(&fresh);
        let mut after = Vec::new();
        assert!(output.read_history(&mut next, &mut after));
        assert_eq!(after.len(), 5);
    }

    #[test]
    fn snapshots_are_whole_and_counted() {
        let (mut input, mut output) = channel();
        let mut readings = Readings {
            integrated_lufs: Some(-14.0),
            ..Readings::default()
        };
        input.publish(&readings, false);
        readings.integrated_lufs = Some(-9.0);
        readings.momentary_lufs = Some(-8.0);
        input.publish(&readings, true);
        let snapshot = output.snapshot();
        assert_eq!(snapshot.generation, 2);
        assert_eq!(snapshot.readings, readings);
        assert!(snapshot.reset_by_transport);
    }

    /// At activation, before any block: the editor's snapshot says how many channels the
    /// track has (a stereo track is never taken for a mono one), and nothing is measured yet.
    #[test]
    fn the_layout_reaches_the_editor_before_the_first_block() {
        use crate::meter::engine::MeterConfig;
        let (mut input, mut output) = channel();
        assert_eq!(output.snapshot().readings.channels, 0, "not known yet");
        for channels in [2, 1] {
            let meter = Meter::new(MeterConfig::new(48_000.0, channels).with_spectrum()).unwrap();
            input.publish_activated(&meter, false);
            let snapshot = output.snapshot();
            assert_eq!(snapshot.readings.channels, channels);
            assert_eq!(snapshot.readings.momentary_lufs, None);
            assert_eq!(snapshot.readings.measured_s, 0.0);
            assert_eq!(snapshot.stereo.is_some(), channels == 2);
        }
    }

    #[test]
    fn an_unsupported_rate_reaches_the_editor_with_its_reason() {
        let (mut input, mut output) = channel();
        assert!(!rate_is_supported(768_000.0) && !rate_is_supported(4_000.0));
        assert!(rate_is_supported(8_000.0) && rate_is_supported(384_000.0));
        input.publish_unsupported_rate(768_000.0, 2);
        let snapshot = output.snapshot();
        assert_eq!(snapshot.unsupported_rate_hz, Some(768_000.0));
        assert_eq!(
            snapshot.readings,
            Readings {
                channels: 2,
                ..Readings::default()
            },
            "no readings, but the layout"
        );
        assert_eq!(
            not_measuring_message(768_000.0),
            "Not measuring: 768 kHz is outside the 8-384 kHz this meter supports. Audio passes \
             through untouched."
        );
        assert!(not_measuring_message(4_000.0).starts_with("Not measuring: 4 kHz is outside"));
        assert!(not_measuring_message(705_600.0).contains(" 705.6 kHz "));
        // A meter running again (the host moved to a supported rate) clears it.
        input.publish(&Readings::default(), false);
        assert_eq!(output.snapshot().unsupported_rate_hz, None);
    }

    #[test]
    fn peaks_between_reads_are_kept_and_reads_reset() {
        let (input, output) = channel();
        input.raise_peaks(&[0.5, 0.1], &[0.4, 0.1]);
        input.raise_peaks(&[0.2, 0.3], &[0.2, 0.3]);
        let reading = output.take_peaks();
        assert_eq!(reading.true_peak_gain[..2], [0.5, 0.3]);
        assert_eq!(reading.sample_peak_gain[..2], [0.4, 0.3]);
        assert_eq!(output.take_peaks().true_peak_gain, [0.0; PLUGIN_CHANNELS]);
    }

    #[test]
    fn concurrent_writer_never_loses_the_maximum() {
        let (input, output) = channel();
        let writer = std::thread::spawn(move || {
            for i in 0..100_000u32 {
                let value = if i == 77_777 {
                    0.99
                } else {
                    (i % 100) as f32 / 1000.0
                };
                input.raise_peaks(&[value, value], &[value, value]);
            }
        });
        let mut seen_max = 0.0f32;
        while !writer.is_finished() {
            seen_max = seen_max.max(output.take_peaks().true_peak_gain[0]);
        }
        writer.join().unwrap();
        seen_max = seen_max.max(output.take_peaks().true_peak_gain[0]);
        assert_eq!(seen_max, 0.99);
    }

    #[test]
    fn spectrum_peaks_between_reads_are_kept() {
        let (mut input, mut output) = channel();
        let mut analyzer = SpectrumAnalyzer::new(48_000.0, &[1.0]).unwrap();
        analyzer.set_display_size(Some(2048));
        let rate = 48_000.0;
        let tone = |hz: f64| -> Vec<f32> {
            (0..4096)
                .map(|i| (0.5 * (std::f64::consts::TAU * hz * i as f64 / rate).sin()) as f32)
                .collect()
        };
        // Bin 64 and bin 128 of a 2048-point frame, one after the other, no read between.
        let (low, high) = (tone(64.0 * rate / 2048.0), tone(128.0 * rate / 2048.0));
        for signal in [&low, &high] {
            for chunk in signal.chunks(256) {
                analyzer.process(&[chunk]);
                input.publish_spectrum(&mut analyzer, false);
            }
        }
        let (frame, fresh) = output.spectrum();
        assert!(fresh);
        assert_eq!((frame.fft_size, frame.bins), (2048, 1025));
        // The latest frame has the high tone only; the peak has both.
        assert!(frame.power[128] > 0.2 && frame.power[64] < 1e-3);
        assert!(frame.peak[64] > 0.2 && frame.peak[128] > 0.2);
        // After the read, the next peak starts over.
        for chunk in high.chunks(256) {
            analyzer.process(&[chunk]);
            input.publish_spectrum(&mut analyzer, false);
        }
        let (frame, _) = output.spectrum();
        assert!(frame.peak[64] < 1e-3 && frame.peak[128] > 0.2);
        let (long_term, fresh) = output.long_term();
        assert!(fresh && long_term.frames > 0 && long_term.fft_size == 8192);
        let (_, fresh) = output.long_term();
        assert!(!fresh);
    }

    #[test]
    fn commands_arrive_in_order_and_a_full_queue_says_so() {
        let (input, output) = channel();
        assert!(output.send(Command::Pause));
        assert!(output.send(Command::Reset));
        assert_eq!(input.next_command(), Some(Command::Pause));
        assert_eq!(input.next_command(), Some(Command::Reset));
        assert_eq!(input.next_command(), None);
        for _ in 0..COMMAND_CAPACITY {
            assert!(output.send(Command::Start));
        }
        assert!(!output.send(Command::Start));
    }

    #[test]
    fn the_vectorscope_keeps_the_last_points_decimated_and_in_order() {
        let (mut input, mut output) = channel();
        input.configure_scope(96_000.0);
        // Stride 4, a publish every 1600 samples.
        let left: Vec<f32> = (0..10_000).map(|n| n as f32).collect();
        let right: Vec<f32> = left.iter().map(|x| -x).collect();
        let (_, fresh) = output.scope();
        assert!(!fresh);
        // Odd block sizes: the stride runs across blocks.
        let mut start = 0;
        for len in [1usize, 7, 333, 1259, 4000, 4400] {
            let end = (start + len).min(left.len());
            input.feed_scope(&left[start..end], &right[start..end]);
            start = end;
        }
        assert_eq!(start, 10_000);
        let (frame, fresh) = output.scope();
        assert!(fresh);
        // Published at 9600 samples: points at 0, 4, ..., 9596.
        assert_eq!(frame.count, 2400.min(SCOPE_POINTS));
        let last = frame.points[frame.count - 1];
        assert_eq!(
            last,
            [9596.0f32.min(SCOPE_LIMIT), (-9596.0f32).max(-SCOPE_LIMIT)]
        );
        // Values are clamped; check the order on a small ramp instead.
        let (mut input, mut output) = channel();
        input.configure_scope(48_000.0);
        let ramp: Vec<f32> = (0..800).map(|n| n as f32 / 1000.0).collect();
        let nan = vec![f32::NAN; 800];
        input.feed_scope(&ramp, &nan);
        let (frame, _) = output.scope();
        assert_eq!(frame.count, 400);
        for (i, p) in frame.points[..400].iter().enumerate() {
            assert_eq!(*p, [(2 * i) as f32 / 1000.0, 0.0]);
        }
    }

    #[test]
    fn snapshots_carry_the_stereo_bands_and_level_gain() {
        let (mut input, mut output) = channel();
        let mut analyzer = SpectrumAnalyzer::new(48_000.0, &[1.0, 1.0]).unwrap();
        let tone: Vec<f32> = (0..48_000)
            .map(|n| (0.3 * (std::f64::consts::TAU * 440.0 * n as f64 / 48_000.0).sin()) as f32)
            .collect();
        let inverted: Vec<f32> = tone.iter().map(|x| -x).collect();
        analyzer.process(&[&tone[..], &inverted[..]]);
        analyzer.flush();
        input.publish_all(&Readings::default(), false, analyzer.stereo_bands(), 1.5);
        let snapshot = output.snapshot();
        assert_eq!(snapshot.mono_level_gain, 1.5);
        let stereo = snapshot.stereo.unwrap();
        assert_eq!(stereo.live.sums[6].correlation(), Some(-1.0));
        assert!(stereo.whole.frames > 0);
        input.publish(&Readings::default(), false);
        assert_eq!(output.snapshot().stereo, None);
    }
}
