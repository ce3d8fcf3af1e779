//! What crosses threads between the audio thread and the editor.
//!
//! One constructor, [`channel`], makes both ends: the audio thread owns [`MeterInput`], the
//! editor [`MeterOutput`]. Everything on the audio side is lock-free and allocation-free:
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

use crate::meter::engine::{
    LoudnessPoint, MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ, Meter, Readings,
};
use crate::meter::fold::FoldReadings;
use crate::meter::spectrum::{MAX_FFT_SIZE, SpectrumAnalyzer};
use crate::meter::stereo::{StereoBands, StereoWindow};
use atomic_float::AtomicF32;
use crossbeam::queue::ArrayQueue;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Channels the plugin meters at most (its largest bus, 7.1.4).
pub const PLUGIN_CHANNELS: usize = crate::meter::MAX_CHANNELS;
/// Commands that can wait for the audio thread; the editor sends a few per user click.
pub const COMMAND_CAPACITY: usize = 16;

/// Loudness history points kept for the editor: 10 minutes of 100 ms points.
pub const HISTORY_POINTS: usize = 6000;
/// Points of the ring the editor never reads, so a point cannot be overwritten while it is
/// read (the audio thread would have to run 30 s ahead of one editor frame).
const HISTORY_SLACK: usize = 300;
/// Points the editor can read back at most.
pub const HISTORY_READABLE: usize = HISTORY_POINTS - HISTORY_SLACK;

/// The loudness history ring shared by both ends.
struct HistoryRing {
    points: Box<[AtomicU64]>,
    written: AtomicU64,
}

fn pack(point: LoudnessPoint) -> u64 {
    ((point.momentary_lufs.to_bits() as u64) << 32) | point.short_term_lufs.to_bits() as u64
}

fn unpack(word: u64) -> LoudnessPoint {
    LoudnessPoint {
        momentary_lufs: f32::from_bits((word >> 32) as u32),
        short_term_lufs: f32::from_bits(word as u32),
    }
}

impl HistoryRing {
    fn new() -> Self {
        Self {
            points: (0..HISTORY_POINTS)
                .map(|_| AtomicU64::new(pack(LoudnessPoint::SILENT)))
                .collect(),
            written: AtomicU64::new(0),
        }
    }
}

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

/// Points the vectorscope frame holds.
pub const SCOPE_POINTS: usize = 2048;
/// Decimated point rate, per second (the stride is the nearest whole number of samples).
pub const SCOPE_POINT_RATE_HZ: f64 = 24_000.0;
/// The vectorscope is republished at most this often.
pub const SCOPE_PUBLISH_HZ: f64 = 60.0;
/// Points are clamped to ±this (+12 dBFS), so hot or broken input stays drawable.
pub const SCOPE_LIMIT: f32 = 4.0;

/// The latest vectorscope points, oldest first. Written by the audio thread, read by the
/// editor.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeFrame {
    /// (left, right) pairs; `count` of them are valid.
    pub points: Box<[[f32; 2]]>,
    pub count: usize,
    /// Incremented by each publish.
    pub generation: u64,
}

impl Default for ScopeFrame {
    fn default() -> Self {
        let mut points = vec![[0.0f32; 2]; SCOPE_POINTS].into_boxed_slice();
        points.fill([0.0; 2]);
        Self {
            points,
            count: 0,
            generation: 0,
        }
    }
}

/// The audio thread's side of the vectorscope: a ring of the last points and its clocks.
#[derive(Debug)]
struct ScopeWriter {
    ring: Box<[[f32; 2]]>,
    pos: usize,
    filled: usize,
    /// Every `stride`-th sample pair becomes a point; `phase` counts towards the next.
    stride: usize,
    phase: usize,
    /// Samples between publishes, and since the last one.
    publish_every: usize,
    since_publish: usize,
    generation: u64,
}

impl ScopeWriter {
    fn new() -> Self {
        let mut ring = vec![[0.0f32; 2]; SCOPE_POINTS].into_boxed_slice();
        ring.fill([0.0; 2]);
        let mut writer = Self {
            ring,
            pos: 0,
            filled: 0,
            stride: 1,
            phase: 0,
            publish_every: 1,
            since_publish: 0,
            generation: 0,
        };
        writer.configure(48_000.0);
        writer
    }

    fn configure(&mut self, sample_rate_hz: f64) {
        self.stride = ((sample_rate_hz / SCOPE_POINT_RATE_HZ).round() as usize).max(1);
        self.publish_every = ((sample_rate_hz / SCOPE_PUBLISH_HZ).round() as usize).max(1);
        self.pos = 0;
        self.filled = 0;
        self.phase = 0;
        self.since_publish = 0;
    }
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

/// Bins of the largest spectrum frame.
pub const MAX_BINS: usize = MAX_FFT_SIZE / 2 + 1;

/// One display frame of the spectrum. Written by the audio thread, read by the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumFrame {
    pub fft_size: usize,
    pub sample_rate_hz: f64,
    /// Bins in use (`fft_size / 2 + 1`) of the arrays below.
    pub bins: usize,
    /// Power per bin of the latest frame, linear (a bin-centred full-scale sine reads 1).
    pub power: Box<[f32]>,
    /// Per-bin maximum of every frame since the editor's previous read, linear.
    pub peak: Box<[f32]>,
    /// Frames since the analyzer was reset (0: no frame yet).
    pub generation: u64,
}

/// The long-term average spectrum. Written by the audio thread, read by the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct LongTermFrame {
    pub fft_size: usize,
    pub sample_rate_hz: f64,
    pub bins: usize,
    /// Mean power per bin, linear.
    pub power: Box<[f32]>,
    /// Frames averaged (0: no value yet) and the seconds of audio they cover.
    pub frames: u64,
    pub covered_s: f64,
    /// Incremented by each publish.
    pub generation: u64,
}

/// A zeroed array that is already mapped (written once), so its first use on the audio thread
/// does not page-fault.
fn touched(len: usize) -> Box<[f32]> {
    let mut array = vec![0.0f32; len].into_boxed_slice();
    array.fill(0.0);
    array
}

impl Default for SpectrumFrame {
    fn default() -> Self {
        Self {
            fft_size: 0,
            sample_rate_hz: 0.0,
            bins: 0,
            power: touched(MAX_BINS),
            peak: touched(MAX_BINS),
            generation: 0,
        }
    }
}

impl Default for LongTermFrame {
    fn default() -> Self {
        Self {
            fft_size: 0,
            sample_rate_hz: 0.0,
            bins: 0,
            power: touched(MAX_BINS),
            frames: 0,
            covered_s: 0.0,
            generation: 0,
        }
    }
}

/// Creates both ends.
pub fn channel() -> (MeterInput, MeterOutput) {
    let (snapshot_in, snapshot_out) = triple_buffer::triple_buffer(&Snapshot::default());
    let (spectrum_in, spectrum_out) = triple_buffer::triple_buffer(&SpectrumFrame::default());
    let (long_term_in, long_term_out) = triple_buffer::triple_buffer(&LongTermFrame::default());
    let (scope_in, scope_out) = triple_buffer::triple_buffer(&ScopeFrame::default());
    let peaks = Arc::new(LivePeaks::default());
    let commands = Arc::new(ArrayQueue::new(COMMAND_CAPACITY));
    let history = Arc::new(HistoryRing::new());
    (
        MeterInput {
            snapshot: snapshot_in,
            peaks: peaks.clone(),
            commands: commands.clone(),
            generation: 0,
            spectrum: spectrum_in,
            long_term: long_term_in,
            unread_peak: touched(MAX_BINS),
            unread_fft_size: 0,
            published_display: 0,
            published_long_term: u64::MAX,
            long_term_generation: 0,
            scope: scope_in,
            scope_writer: ScopeWriter::new(),
            history: history.clone(),
            history_next: 0,
        },
        MeterOutput {
            snapshot: snapshot_out,
            peaks,
            commands,
            spectrum: spectrum_out,
            long_term: long_term_out,
            scope: scope_out,
            history,
        },
    )
}

/// Audio-thread end.
pub struct MeterInput {
    snapshot: triple_buffer::Input<Snapshot>,
    peaks: Arc<LivePeaks>,
    commands: Arc<ArrayQueue<Command>>,
    generation: u64,
    spectrum: triple_buffer::Input<SpectrumFrame>,
    long_term: triple_buffer::Input<LongTermFrame>,
    /// Per-bin maximum of the display frames published since the editor last read one, and
    /// the frame size it belongs to.
    unread_peak: Box<[f32]>,
    unread_fft_size: usize,
    /// Display frame count and long-term frame count last published.
    published_display: u64,
    published_long_term: u64,
    long_term_generation: u64,
    scope: triple_buffer::Input<ScopeFrame>,
    scope_writer: ScopeWriter,
    history: Arc<HistoryRing>,
    /// The meter's next history point to copy.
    history_next: u64,
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
        self.generation += 1;
        let buffer = self.snapshot.input_buffer_mut();
        buffer.readings = *readings;
        buffer.fold = fold;
        buffer.generation = self.generation;
        buffer.reset_by_transport = reset_by_transport;
        buffer.stereo = stereo.map(StereoSnapshot::of);
        buffer.mono_level_gain = mono_level_gain;
        buffer.unsupported_rate_hz = None;
        self.snapshot.publish();
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
        self.generation += 1;
        let buffer = self.snapshot.input_buffer_mut();
        *buffer = Snapshot {
            readings: Readings {
                channels,
                ..Readings::default()
            },
            generation: self.generation,
            unsupported_rate_hz: Some(rate_hz),
            ..Snapshot::default()
        };
        self.snapshot.publish();
    }

    /// Copies the meter's new loudness history points into the editor's ring (a new meter,
    /// after the plugin was initialized again, is followed from its first point).
    pub fn publish_history(&mut self, meter: &Meter) {
        if meter.history_count() < self.history_next {
            self.history_next = 0;
        }
        let ring = &*self.history;
        let mut written = ring.written.load(Ordering::Relaxed);
        for (n, point) in meter.history_since(self.history_next) {
            ring.points[(written % HISTORY_POINTS as u64) as usize]
                .store(pack(point), Ordering::Relaxed);
            written += 1;
            self.history_next = n + 1;
        }
        ring.written.store(written, Ordering::Release);
    }

    /// Sets the vectorscope's decimation and publish rate for a sample rate (and empties it).
    pub fn configure_scope(&mut self, sample_rate_hz: f64) {
        self.scope_writer.configure(sample_rate_hz);
    }

    /// Feeds the vectorscope (a mono layout passes its channel twice) and republishes it when
    /// due. Only copies; non-finite samples become 0.
    pub fn feed_scope(&mut self, left: &[f32], right: &[f32]) {
        let w = &mut self.scope_writer;
        let frames = left.len().min(right.len());
        let mut n = w.phase;
        while n < frames {
            let point = [left[n], right[n]].map(|x| {
                if x.is_finite() {
                    x.clamp(-SCOPE_LIMIT, SCOPE_LIMIT)
                } else {
                    0.0
                }
            });
            w.ring[w.pos] = point;
            w.pos = (w.pos + 1) % SCOPE_POINTS;
            w.filled = (w.filled + 1).min(SCOPE_POINTS);
            n += w.stride;
        }
        w.phase = n - frames;
        w.since_publish += frames;
        if w.since_publish >= w.publish_every {
            w.since_publish = 0;
            w.generation += 1;
            let frame = self.scope.input_buffer_mut();
            // Oldest first: the ring from `pos` on, then up to `pos`.
            let count = w.filled;
            let start = (w.pos + SCOPE_POINTS - count) % SCOPE_POINTS;
            let first = (SCOPE_POINTS - start).min(count);
            frame.points[..first].copy_from_slice(&w.ring[start..start + first]);
            frame.points[first..count].copy_from_slice(&w.ring[..count - first]);
            frame.count = count;
            frame.generation = w.generation;
            self.scope.publish();
        }
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

    /// Publishes the analyzer's newest display frame (if there is one the editor has not been
    /// sent) and the long-term average (when it changed, or always with `force_long_term`,
    /// e.g. when the editor has just opened). Copies only.
    pub fn publish_spectrum(&mut self, analyzer: &mut SpectrumAnalyzer, force_long_term: bool) {
        let fft_size = analyzer.display_size().unwrap_or(0);
        if let Some((power, count)) = analyzer.display_frame()
            && count != self.published_display
        {
            let bins = power.len().min(MAX_BINS);
            let peak = &analyzer.display_peak()[..bins];
            if self.spectrum.consumed() || self.unread_fft_size != fft_size {
                self.unread_peak[..bins].copy_from_slice(peak);
            } else {
                for (unread, &p) in self.unread_peak[..bins].iter_mut().zip(peak) {
                    *unread = unread.max(p);
                }
            }
            self.unread_fft_size = fft_size;
            let frame = self.spectrum.input_buffer_mut();
            frame.fft_size = fft_size;
            frame.sample_rate_hz = analyzer.sample_rate_hz();
            frame.bins = bins;
            frame.power[..bins].copy_from_slice(&power[..bins]);
            frame.peak[..bins].copy_from_slice(&self.unread_peak[..bins]);
            frame.generation = count;
            self.spectrum.publish();
            self.published_display = count;
            analyzer.clear_display_peak();
        }
        let long_term = analyzer.long_term();
        if long_term.frames != self.published_long_term || force_long_term {
            self.published_long_term = long_term.frames;
            self.long_term_generation += 1;
            let bins = long_term.bins().min(MAX_BINS);
            let frame = self.long_term.input_buffer_mut();
            frame.fft_size = long_term.fft_size;
            frame.sample_rate_hz = long_term.sample_rate_hz;
            frame.bins = bins;
            long_term.mean_powers_into(&mut frame.power[..bins]);
            frame.frames = long_term.frames;
            frame.covered_s = long_term.covered_s();
            frame.generation = self.long_term_generation;
            self.long_term.publish();
        }
    }
}

/// Editor end.
pub struct MeterOutput {
    snapshot: triple_buffer::Output<Snapshot>,
    peaks: Arc<LivePeaks>,
    commands: Arc<ArrayQueue<Command>>,
    spectrum: triple_buffer::Output<SpectrumFrame>,
    long_term: triple_buffer::Output<LongTermFrame>,
    scope: triple_buffer::Output<ScopeFrame>,
    history: Arc<HistoryRing>,
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

    /// The latest display frame and long-term average.
    pub fn spectra(&mut self) -> (&SpectrumFrame, &LongTermFrame) {
        self.spectrum.update();
        self.long_term.update();
        (
            self.spectrum.output_buffer(),
            self.long_term.output_buffer(),
        )
    }

    /// The latest display frame, and whether it is new since the previous call.
    pub fn spectrum(&mut self) -> (&SpectrumFrame, bool) {
        let fresh = self.spectrum.update();
        (self.spectrum.output_buffer(), fresh)
    }

    /// The latest long-term average, and whether it is new since the previous call.
    pub fn long_term(&mut self) -> (&LongTermFrame, bool) {
        let fresh = self.long_term.update();
        (self.long_term.output_buffer(), fresh)
    }

    /// The latest vectorscope points, and whether they are new since the previous call.
    pub fn scope(&mut self) -> (&ScopeFrame, bool) {
        let fresh = self.scope.update();
        (self.scope.output_buffer(), fresh)
    }

    /// Appends the loudness history points numbered `*next` and up to `out` (as far back as
    /// [`HISTORY_READABLE`] points) and advances `*next`. Returns false when points were
    /// skipped because they are no longer kept (`out` then continues after a gap).
    pub fn read_history(&self, next: &mut u64, out: &mut impl Extend<LoudnessPoint>) -> bool {
        let ring = &*self.history;
        let written = ring.written.load(Ordering::Acquire);
        let oldest = written.saturating_sub(HISTORY_READABLE as u64);
        let complete = *next >= oldest;
        let first = (*next).max(oldest).min(written);
        out.extend((first..written).map(|n| {
            unpack(ring.points[(n % HISTORY_POINTS as u64) as usize].load(Ordering::Relaxed))
        }));
        *next = written;
        complete
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
