//! What crosses threads between the audio thread and the editor.
//!
//! One constructor, [`channel`], makes both ends: the audio thread owns [`MeterInput`], the
//! editor [`MeterOutput`]. Everything on the audio side is lock-free and allocation-free:
//!
//! - **Snapshot**: the complete [`Readings`] plus a generation counter, published as one value
//!   through a triple buffer, so the editor never sees a half-updated set of numbers.
//! - **Live peaks**: true and sample peak per channel as "maximum since the last read": the
//!   audio thread raises them with an atomic `fetch_max`, the editor swaps them back to 0 when
//!   it draws, so no peak between two frames is lost whatever the frame rate.
//! - **Commands** (editor to audio): a small enum on a bounded SPSC queue of
//!   [`COMMAND_CAPACITY`]; a full queue drops the newest command and says so.

use crate::meter::engine::Readings;
use atomic_float::AtomicF32;
use crossbeam::queue::ArrayQueue;
use std::sync::Arc;

/// Channels the plugin meters (its layouts are mono and stereo).
pub const PLUGIN_CHANNELS: usize = 2;
/// Commands that can wait for the audio thread; the editor sends a few per user click.
pub const COMMAND_CAPACITY: usize = 16;

/// One publish of the meter.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Snapshot {
    pub readings: Readings,
    /// Incremented by each publish (the editor can tell a fresh snapshot from a repeat).
    pub generation: u64,
    /// True when the integration was last reset by the host transport starting.
    pub reset_by_transport: bool,
}

/// What the editor asks of the audio thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Start a new measurement.
    Reset,
    /// Continue integrating.
    Start,
    /// Freeze integration (momentary and short-term stay live).
    Pause,
}

#[derive(Debug, Default)]
struct LivePeaks {
    /// Linear true peak per channel since the editor's last read; raised by the audio thread.
    true_peak_gain: [AtomicF32; PLUGIN_CHANNELS],
    /// Linear sample peak per channel since the editor's last read; raised by the audio thread.
    sample_peak_gain: [AtomicF32; PLUGIN_CHANNELS],
}

/// Creates both ends.
pub fn channel() -> (MeterInput, MeterOutput) {
    let (snapshot_in, snapshot_out) = triple_buffer::triple_buffer(&Snapshot::default());
    let peaks = Arc::new(LivePeaks::default());
    let commands = Arc::new(ArrayQueue::new(COMMAND_CAPACITY));
    (
        MeterInput {
            snapshot: snapshot_in,
            peaks: peaks.clone(),
            commands: commands.clone(),
            generation: 0,
        },
        MeterOutput {
            snapshot: snapshot_out,
            peaks,
            commands,
        },
    )
}

/// Audio-thread end.
pub struct MeterInput {
    snapshot: triple_buffer::Input<Snapshot>,
    peaks: Arc<LivePeaks>,
    commands: Arc<ArrayQueue<Command>>,
    generation: u64,
}

impl std::fmt::Debug for MeterInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeterInput")
            .field("generation", &self.generation)
            .finish()
    }
}

impl MeterInput {
    /// Publishes the readings as one coherent snapshot.
    pub fn publish(&mut self, readings: &Readings, reset_by_transport: bool) {
        self.generation += 1;
        let buffer = self.snapshot.input_buffer_mut();
        buffer.readings = *readings;
        buffer.generation = self.generation;
        buffer.reset_by_transport = reset_by_transport;
        self.snapshot.publish();
    }

    /// Raises the live peaks (linear) to at least these values.
    pub fn raise_peaks(&self, true_peak_gain: &[f32], sample_peak_gain: &[f32]) {
        for (slot, &v) in self.peaks.true_peak_gain.iter().zip(true_peak_gain) {
            slot.fetch_max(v, std::sync::atomic::Ordering::Relaxed);
        }
        for (slot, &v) in self.peaks.sample_peak_gain.iter().zip(sample_peak_gain) {
            slot.fetch_max(v, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The next command from the editor, if any.
    pub fn next_command(&self) -> Option<Command> {
        self.commands.pop()
    }
}

/// Editor end.
pub struct MeterOutput {
    snapshot: triple_buffer::Output<Snapshot>,
    peaks: Arc<LivePeaks>,
    commands: Arc<ArrayQueue<Command>>,
}

impl std::fmt::Debug for MeterOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeterOutput").finish()
    }
}

/// Live peaks read by the editor, linear.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LivePeakReading {
    pub true_peak_gain: [f32; PLUGIN_CHANNELS],
    pub sample_peak_gain: [f32; PLUGIN_CHANNELS],
}

impl MeterOutput {
    /// The latest snapshot.
    pub fn snapshot(&mut self) -> Snapshot {
        *self.snapshot.read()
    }

    /// Peaks since the previous call (and starts a new interval).
    pub fn take_peaks(&self) -> LivePeakReading {
        let mut reading = LivePeakReading::default();
        for (v, slot) in reading
            .true_peak_gain
            .iter_mut()
            .zip(&self.peaks.true_peak_gain)
        {
            *v = slot.swap(0.0, std::sync::atomic::Ordering::Relaxed);
        }
        for (v, slot) in reading
            .sample_peak_gain
            .iter_mut()
            .zip(&self.peaks.sample_peak_gain)
        {
            *v = slot.swap(0.0, std::sync::atomic::Ordering::Relaxed);
        }
        reading
    }

    /// Sends a command; false when the queue is full (the audio thread is not running).
    pub fn send(&self, command: Command) -> bool {
        self.commands.push(command).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn peaks_between_reads_are_kept_and_reads_reset() {
        let (input, output) = channel();
        input.raise_peaks(&[0.5, 0.1], &[0.4, 0.1]);
        input.raise_peaks(&[0.2, 0.3], &[0.2, 0.3]);
        let reading = output.take_peaks();
        assert_eq!(reading.true_peak_gain, [0.5, 0.3]);
        assert_eq!(reading.sample_peak_gain, [0.4, 0.3]);
        assert_eq!(output.take_peaks().true_peak_gain, [0.0, 0.0]);
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
}
