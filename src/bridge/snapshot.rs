//! The snapshot: the complete [`Readings`] plus a generation counter, published as one value
//! through a triple buffer, so the editor never sees a half-updated set of numbers. When the
//! host runs at a rate the meter cannot measure, the plugin stays active, passes audio through
//! and publishes once, at activation, a snapshot saying so.

use crate::meter::engine::{MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ, Readings};
use crate::meter::fold::FoldReadings;
use crate::meter::stereo::{StereoBands, StereoWindow};

/// One publish of the meter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub readings: Readings,
    /// Incremented by each publish (the editor can tell a fresh snapshot from a repeat).
    pub generation: u64,
    /// True when the integration was last reset by the host transport starting.
    pub reset_by_transport: bool,
    /// Stereo image per band (stereo layouts).
    pub stereo: Option<StereoSnapshot>,
    /// The fold-down's loudness changes (surround buses; `None` on mono and stereo).
    pub fold: Option<FoldReadings>,
    /// Gain the mono check applies to the sum (level match), linear; 1 without level match.
    pub mono_level_gain: f32,
    /// The host's sample rate (Hz) when it is outside what the meter measures: the plugin
    /// passes audio through and measures nothing. Written at activation (host's main thread);
    /// `None` whenever the meter runs.
    pub unsupported_rate_hz: Option<f64>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Self {
            readings: Readings::default(),
            generation: 0,
            reset_by_transport: false,
            stereo: None,
            fold: None,
            mono_level_gain: 1.0,
            unsupported_rate_hz: None,
        }
    }
}

/// The band sums of the live window and of the whole measurement.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StereoSnapshot {
    pub live: StereoWindow,
    pub whole: StereoWindow,
}

impl StereoSnapshot {
    pub fn of(bands: &StereoBands) -> Self {
        Self {
            live: bands.live_window(),
            whole: bands.whole_window(),
        }
    }
}

/// Whether the meter core measures at `rate_hz` ([`MIN_SAMPLE_RATE_HZ`] to
/// [`MAX_SAMPLE_RATE_HZ`]).
pub fn rate_is_supported(rate_hz: f64) -> bool {
    (MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&rate_hz)
}

/// What the editor says while the host runs at an unsupported rate.
pub fn not_measuring_message(rate_hz: f64) -> String {
    format!(
        "Not measuring: {} kHz is outside the {}-{} kHz this meter supports. Audio passes \
         through untouched.",
        rate_hz / 1000.0,
        MIN_SAMPLE_RATE_HZ / 1000.0,
        MAX_SAMPLE_RATE_HZ / 1000.0
    )
}

/// Both ends.
pub(super) fn channel() -> (SnapshotWriter, SnapshotReader) {
    let (input, output) = triple_buffer::triple_buffer(&Snapshot::default());
    (
        SnapshotWriter {
            input,
            generation: 0,
        },
        SnapshotReader(output),
    )
}

/// Audio-thread end.
pub(super) struct SnapshotWriter {
    input: triple_buffer::Input<Snapshot>,
    generation: u64,
}

impl SnapshotWriter {
    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    pub(super) fn publish(
        &mut self,
        readings: &Readings,
        reset_by_transport: bool,
        stereo: Option<&StereoBands>,
        fold: Option<FoldReadings>,
        mono_level_gain: f32,
    ) {
        self.generation += 1;
        let buffer = self.input.input_buffer_mut();
        buffer.readings = *readings;
        buffer.fold = fold;
        buffer.generation = self.generation;
        buffer.reset_by_transport = reset_by_transport;
        buffer.stereo = stereo.map(StereoSnapshot::of);
        buffer.mono_level_gain = mono_level_gain;
        buffer.unsupported_rate_hz = None;
        self.input.publish();
    }

    pub(super) fn publish_unsupported_rate(&mut self, rate_hz: f64, channels: usize) {
        self.generation += 1;
        let buffer = self.input.input_buffer_mut();
        *buffer = Snapshot {
            readings: Readings {
                channels,
                ..Readings::default()
            },
            generation: self.generation,
            unsupported_rate_hz: Some(rate_hz),
            ..Snapshot::default()
        };
        self.input.publish();
    }
}

/// Editor end.
pub(super) struct SnapshotReader(triple_buffer::Output<Snapshot>);

impl SnapshotReader {
    pub(super) fn read(&mut self) -> Snapshot {
        *self.0.read()
    }
}
