//! Spectrum: a long-term average power spectrum over the whole measurement, and live frames for
//! display.
//!
//! **Method** (Welch's averaged periodogram). Each channel is cut into frames of `N` samples,
//! each frame multiplied by a periodic Hann window and transformed with a real FFT (built from
//! `rustfft` complex FFTs of a quarter of the size, all planned in [`SpectrumAnalyzer::new`]). The power of bin `k` is
//! `|X[k]|² · (2 / Σw)²`, so a sine of amplitude `A` centred on a bin reads `A²` there: a
//! full-scale sine reads 0 dBFS (DC and Nyquist bins use `(1 / Σw)²`). Channels are combined as
//! their weighted mean power, with the BS.1770 channel weights (an LFE channel has weight 0 and
//! is not analysed), so a stereo spectrum does not depend on the phase between the channels.
//!
//! **Window leakage** (periodic Hann): highest side lobe -31.5 dB, side lobes falling
//! 18 dB per octave, equivalent noise bandwidth 1.50 bins, 3 dB bandwidth 1.44 bins, scalloping
//! loss 1.42 dB for a tone half-way between bins, neighbouring bins of a centred tone at
//! -6.02 dB. Noise reads its power per bin, which halves (-3 dB) each time `N` doubles; tones
//! read the same at every size. Pink noise (equal power per octave) therefore reads falling
//! 3 dB per octave; [`tilt_db`] is the display tilt that makes it flat.
//!
//! **Long-term average**: frames of [`long_term_fft_size`] (bins no wider than
//! [`LONG_TERM_MAX_BIN_HZ`], e.g. 8192 at 48 kHz) with 50 % overlap, where Hann windows sum to
//! a constant, so every sample counts the same. The mean power per bin over every frame taken
//! while the measurement runs; it follows the meter's start, pause and reset, and is always
//! accumulated. **Display frames** are taken at the user's size ([`FFT_SIZES`]) with 75 %
//! overlap, or more to give at least [`DISPLAY_FRAMES_PER_SECOND`] frames per second, or less
//! (never under 50 %) to give at most [`MAX_DISPLAY_FRAMES_PER_SECOND`]; only while a display
//! size is set (the plugin sets it while the editor is open).
//!
//! **Real-time shape**: all memory (sample history, frame buffers, FFT outputs and scratch) is
//! allocated in `new`. When a frame is due it is only marked: the history holds two of the
//! largest frames, so its samples stay in place. The transform then runs one step per `process`
//! call, each channel's real FFT split in seven steps of similar cost (windowing and packing;
//! the quarter-size complex FFT of samples 4m, 4m+1; the same of 4m+2, 4m+3; the radix-2 join;
//! the real split in two halves; the power), so a host calling with small blocks never pays for more than
//! a fraction of one channel's transform in one call. A frame is finished at once only when the next frame of the same
//! analysis is due before its steps have run (blocks longer than a fraction of the hop).
//! Results do not depend on the block sizes (tested bit for bit).
//! Non-finite samples are analysed as 0 and samples beyond ±[`SAMPLE_LIMIT`] are clamped there,
//! so the average can never become NaN or infinite.
//!
//! **Smoothing**: [`LogSmoother`] averages power over 1/N-octave bands around any set of
//! frequencies, treating each bin as a rectangle one bin wide, so bands narrower than a bin
//! read that bin and wide bands are exact means. Limits: nothing below one bin width is
//! resolved (5.9 Hz at 48 kHz for the long-term average); levels below about -150 dBFS are
//! below the f32 rounding of the frame.

use super::stereo::StereoBands;
use super::{Kernel, MAX_CHANNELS, Variant};
use realfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Frame sizes the user can pick for the display (all planned up front).
pub const FFT_SIZES: [usize; 5] = [2048, 4096, 8192, 16384, 32768];
/// The largest frame; the sample history holds this many samples per channel.
pub const MAX_FFT_SIZE: usize = 32768;
/// The display size a new instance starts with.
pub const DEFAULT_DISPLAY_FFT_SIZE: usize = 8192;
/// The long-term average uses the smallest size whose bins are no wider than this.
pub const LONG_TERM_MAX_BIN_HZ: f64 = 6.0;
/// Display frames come at least this often (the hop is the smaller of N/4 and this rate's
/// period)...
pub const DISPLAY_FRAMES_PER_SECOND: f64 = 30.0;
/// ...and at most this often (more than the editor draws is waste), always overlapping by at
/// least half a frame.
pub const MAX_DISPLAY_FRAMES_PER_SECOND: f64 = 60.0;
/// Samples are clamped to ±this (+60 dBFS) before analysis.
pub const SAMPLE_LIMIT: f32 = 1000.0;
/// Display tilts rotate the spectrum around this frequency.
pub const TILT_PIVOT_HZ: f64 = 1000.0;

/// Samples kept per channel: two of the largest frames, so a captured frame's samples stay in
/// place until its transform steps (spread over the following calls) have read them.
const HISTORY_LEN: usize = 2 * MAX_FFT_SIZE;
const HISTORY_MASK: usize = HISTORY_LEN - 1;

/// A configuration the analyzer cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpectrumError {
    #[error("unsupported sample rate {0} Hz for the spectrum (8 kHz to 384 kHz)")]
    SampleRate(f64),
    #[error("unsupported channel count {0} for the spectrum (1 to {MAX_CHANNELS})")]
    Channels(usize),
    #[error("spectrum channel weights must be finite and non-negative, and not all zero")]
    Weights,
}

/// The frame size of the long-term average at `sample_rate_hz`.
pub fn long_term_fft_size(sample_rate_hz: f64) -> usize {
    FFT_SIZES
        .iter()
        .copied()
        .find(|&n| sample_rate_hz / n as f64 <= LONG_TERM_MAX_BIN_HZ)
        .unwrap_or(MAX_FFT_SIZE)
}

/// The size in [`FFT_SIZES`] nearest to `size` (for sizes read from saved settings).
pub fn nearest_fft_size(size: usize) -> usize {
    FFT_SIZES
        .iter()
        .copied()
        .min_by_key(|&n| n.abs_diff(size))
        .unwrap_or(DEFAULT_DISPLAY_FFT_SIZE)
}

/// Power scale of bin `k` of an `size`-point frame windowed by a window summing to
/// `window_sum`: a bin-centred sine of amplitude `A` reads `A²`.
fn bin_scale(k: usize, size: usize, window_sum: f64) -> f32 {
    let edge = k == 0 || k == size / 2;
    let factor = if edge { 1.0 } else { 2.0 };
    ((factor / window_sum) * (factor / window_sum)) as f32
}

/// Transform steps per channel and frame (see [`SpectrumAnalyzer::transform_step`]).
const STEPS: usize = 7;

/// One frame size: its window, per-bin power scales, and the pieces of the split real FFT
/// (a complex FFT of a quarter of the size, and the twiddles that join its two halves and
/// turn them into the real spectrum).
struct Plan {
    size: usize,
    quarter: Arc<dyn Fft<f32>>,
    /// exp(-2 pi i k / (N/2)) for k < N/4.
    join_twiddles: Box<[Complex<f32>]>,
    /// exp(-2 pi i k / N) for k <= N/2.
    real_twiddles: Box<[Complex<f32>]>,
    window: Box<[f32]>,
    scale: Box<[f32]>,
}

/// One running analysis (the long-term average or the display): its hop, the frame captured
/// for transformation and its spectra.
struct Analysis {
    plan: usize,
    hop: usize,
    since_hop: usize,
    /// Windowed input of the captured frame, packed for the split transform: per channel
    /// `capacity / 2` complex values, the first quarter-size block holding samples 4m and
    /// 4m+1 (as re, im), the second samples 4m+2 and 4m+3; transformed in place.
    packed: Box<[Complex<f32>]>,
    /// The windowed samples of one channel (`capacity`), on their way to `packed`.
    windowed: Box<[f32]>,
    /// History index of the first sample of the captured frame.
    frame_start: usize,
    /// FFT output per channel, `capacity / 2 + 1` bins per channel.
    spectra: Box<[Complex<f32>]>,
    capacity: usize,
    /// The next transform step (channel slot times [`STEPS`] plus step); equal to
    /// [`SpectrumAnalyzer::steps`] when no frame is pending.
    next: usize,
    /// Weighted mean power per bin of the last finished frame.
    power: Box<[f32]>,
    /// Finished frames since reset.
    finished: u64,
}

impl Analysis {
    fn new(plan: usize, hop: usize, capacity: usize, channels: usize) -> Self {
        Self {
            plan,
            hop,
            since_hop: 0,
            packed: vec![Complex::default(); capacity / 2 * channels].into_boxed_slice(),
            windowed: vec![0.0; capacity].into_boxed_slice(),
            frame_start: 0,
            spectra: vec![Complex::default(); (capacity / 2 + 1) * channels].into_boxed_slice(),
            capacity,
            next: usize::MAX,
            power: vec![0.0; capacity / 2 + 1].into_boxed_slice(),
            finished: 0,
        }
    }
}

/// The analyzer. See the module docs.
pub struct SpectrumAnalyzer {
    sample_rate_hz: f64,
    channels: usize,
    /// Channels with a non-zero weight (the ones transformed), and their weights normalised to
    /// sum to 1.
    active: [usize; MAX_CHANNELS],
    active_count: usize,
    weights: [f32; MAX_CHANNELS],
    plans: Vec<Plan>,
    scratch: Box<[Complex<f32>]>,
    /// The last [`HISTORY_LEN`] samples per channel, sanitised.
    history: Box<[f32]>,
    write_pos: usize,
    /// Samples written since reset, saturating at [`MAX_FFT_SIZE`]: a frame is taken only
    /// when the history holds a whole frame of audio measured since the reset.
    filled: usize,
    long_term: Analysis,
    /// Sum of the long-term frames' power per bin while running, and how many frames.
    long_term_sum: Box<[f64]>,
    long_term_frames: u64,
    running: bool,
    display: Analysis,
    display_on: bool,
    /// Per-bin maximum of the display frames since [`SpectrumAnalyzer::clear_display_peak`].
    display_peak: Box<[f32]>,
    /// Stereo image per band, from the long-term frames (two channels, both analysed).
    stereo: Option<StereoBands>,
    /// The loops below compiled for AVX2 where the CPU has it: the same arithmetic in wider
    /// registers (Rust never fuses a multiply and an add on its own), so the results are
    /// identical to the last bit.
    kernel: Kernel,
}

impl std::fmt::Debug for SpectrumAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpectrumAnalyzer")
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("channels", &self.channels)
            .field("long_term_frames", &self.long_term_frames)
            .finish()
    }
}

impl SpectrumAnalyzer {
    /// Plans every FFT size and allocates everything the analyzer will use. `weights` has one
    /// entry per channel (BS.1770 weights; 0 leaves a channel out). Starts running, with no
    /// display frames.
    pub fn new(sample_rate_hz: f64, weights: &[f64]) -> Result<Self, SpectrumError> {
        if !(8_000.0..=384_000.0).contains(&sample_rate_hz) {
            return Err(SpectrumError::SampleRate(sample_rate_hz));
        }
        let channels = weights.len();
        if !(1..=MAX_CHANNELS).contains(&channels) {
            return Err(SpectrumError::Channels(channels));
        }
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(SpectrumError::Weights);
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(SpectrumError::Weights);
        }
        let mut active = [0; MAX_CHANNELS];
        let mut active_count = 0;
        let mut normalised = [0.0f32; MAX_CHANNELS];
        for (c, &w) in weights.iter().enumerate() {
            if w > 0.0 {
                active[active_count] = c;
                normalised[active_count] = (w / total) as f32;
                active_count += 1;
            }
        }

        let mut planner = FftPlanner::<f32>::new();
        let plans: Vec<Plan> = FFT_SIZES
            .iter()
            .map(|&size| {
                let window: Box<[f32]> = (0..size)
                    .map(|i| {
                        (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / size as f64).cos())
                            as f32
                    })
                    .collect();
                let window_sum: f64 = window.iter().map(|&w| w as f64).sum();
                let scale = (0..=size / 2)
                    .map(|k| bin_scale(k, size, window_sum))
                    .collect();
                let twiddle = |k: usize, n: usize| {
                    let angle = -2.0 * std::f64::consts::PI * k as f64 / n as f64;
                    Complex::new(angle.cos() as f32, angle.sin() as f32)
                };
                Plan {
                    size,
                    quarter: planner.plan_fft_forward(size / 4),
                    join_twiddles: (0..size / 4).map(|k| twiddle(k, size / 2)).collect(),
                    real_twiddles: (0..=size / 2).map(|k| twiddle(k, size)).collect(),
                    window,
                    scale,
                }
            })
            .collect();
        let scratch_len = plans
            .iter()
            .map(|p| p.quarter.get_inplace_scratch_len())
            .max()
            .unwrap_or(0);

        let long_term_size = long_term_fft_size(sample_rate_hz);
        let long_term_plan = FFT_SIZES
            .iter()
            .position(|&n| n == long_term_size)
            .unwrap_or(FFT_SIZES.len() - 1);
        let display_plan = FFT_SIZES
            .iter()
            .position(|&n| n == DEFAULT_DISPLAY_FFT_SIZE)
            .unwrap_or(0);
        let mut analyzer = Self {
            sample_rate_hz,
            channels,
            active,
            active_count,
            weights: normalised,
            plans,
            scratch: vec![Complex::default(); scratch_len].into_boxed_slice(),
            history: vec![0.0; HISTORY_LEN * channels].into_boxed_slice(),
            write_pos: 0,
            filled: 0,
            long_term: Analysis::new(
                long_term_plan,
                long_term_size / 2,
                long_term_size,
                active_count,
            ),
            long_term_sum: vec![0.0; long_term_size / 2 + 1].into_boxed_slice(),
            long_term_frames: 0,
            running: true,
            display: Analysis::new(display_plan, 1, MAX_FFT_SIZE, active_count),
            display_on: false,
            display_peak: vec![0.0; MAX_FFT_SIZE / 2 + 1].into_boxed_slice(),
            stereo: None,
            kernel: Kernel::detect(),
        };
        if channels == 2 && active_count == 2 {
            let plan = &analyzer.plans[long_term_plan];
            analyzer.stereo = Some(StereoBands::new(
                sample_rate_hz,
                long_term_size,
                long_term_size / 2,
                plan.scale[1] as f64,
            ));
        }
        analyzer.long_term.next = analyzer.steps();
        analyzer.configure_display(display_plan);
        // Touch every buffer now: freshly allocated zeroed memory is mapped by the OS on first
        // write, and those page faults (tens of microseconds per frame buffer) belong here,
        // not in the first frames' process calls.
        for analysis in [&mut analyzer.long_term, &mut analyzer.display] {
            analysis.packed.fill(Complex::new(0.0, 0.0));
            analysis.windowed.fill(0.0);
            analysis.spectra.fill(Complex::new(0.0, 0.0));
        }
        analyzer.scratch.fill(Complex::new(0.0, 0.0));
        analyzer.history.fill(0.0);
        Ok(analyzer)
    }

    pub fn sample_rate_hz(&self) -> f64 {
        self.sample_rate_hz
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Starts over: clears the history, the long-term average and any pending frame.
    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.write_pos = 0;
        self.filled = 0;
        for analysis in [&mut self.long_term, &mut self.display] {
            analysis.since_hop = 0;
            analysis.next = self.active_count * STEPS + 1;
            analysis.power.fill(0.0);
            analysis.finished = 0;
        }
        self.long_term_sum.fill(0.0);
        self.long_term_frames = 0;
        self.display_peak.fill(0.0);
        if let Some(stereo) = self.stereo.as_mut() {
            stereo.reset();
        }
    }

    /// While not running, long-term frames are not added to the average (display frames go on).
    pub fn set_running(&mut self, running: bool) {
        self.running = running;
    }

    /// Produces display frames of `size` (one of [`FFT_SIZES`], else the nearest), or none.
    /// Changing the size drops a pending display frame and the peak.
    pub fn set_display_size(&mut self, size: Option<usize>) {
        match size {
            None => {
                if self.display_on {
                    self.display_on = false;
                    self.display.next = self.steps();
                }
            }
            Some(size) => {
                let size = nearest_fft_size(size);
                let plan = FFT_SIZES.iter().position(|&n| n == size).unwrap_or(0);
                if !self.display_on || plan != self.display.plan {
                    self.configure_display(plan);
                    self.display_on = true;
                }
            }
        }
    }

    fn configure_display(&mut self, plan: usize) {
        let size = FFT_SIZES[plan];
        let slowest_hop = (self.sample_rate_hz / DISPLAY_FRAMES_PER_SECOND).floor() as usize;
        let fastest_hop = (self.sample_rate_hz / MAX_DISPLAY_FRAMES_PER_SECOND).ceil() as usize;
        self.display.plan = plan;
        self.display.hop = (size / 4)
            .min(slowest_hop)
            .max(fastest_hop)
            .min(size / 2)
            .max(1);
        self.display.since_hop = 0;
        self.display.next = self.steps();
        self.display.power.fill(0.0);
        self.display_peak.fill(0.0);
    }

    /// Runs the loops compiled for `kernel` (tests compare the two).
    #[cfg(test)]
    pub(crate) fn set_kernel(&mut self, kernel: Kernel) {
        self.kernel = kernel;
    }

    /// The display frame size, when display frames are produced.
    pub fn display_size(&self) -> Option<usize> {
        self.display_on.then(|| FFT_SIZES[self.display.plan])
    }

    /// Analyses one block; `block[c]` is channel `c` (missing channels are silence).
    pub fn process<C: AsRef<[f32]>>(&mut self, block: &[C]) {
        let present = self.channels.min(block.len());
        let frames = block[..present]
            .iter()
            .map(|c| c.as_ref().len())
            .min()
            .unwrap_or(0);
        let mut position = 0;
        while position < frames {
            let mut n = (frames - position).min(self.long_term.hop - self.long_term.since_hop);
            if self.display_on {
                n = n.min(self.display.hop - self.display.since_hop);
            }
            self.write(block, present, position, n);
            position += n;
            self.long_term.since_hop += n;
            if self.long_term.since_hop == self.long_term.hop {
                self.long_term.since_hop = 0;
                self.finish_pending(true);
                self.capture(true);
            }
            if self.display_on {
                self.display.since_hop += n;
                if self.display.since_hop == self.display.hop {
                    self.display.since_hop = 0;
                    self.finish_pending(false);
                    self.capture(false);
                }
            }
        }
        // Spread the work: one transform step per call.
        if self.long_term.next < self.steps() {
            self.transform_step(true);
        } else if self.display_on && self.display.next < self.steps() {
            self.transform_step(false);
        }
    }

    /// Finishes the frames whose transforms are still spread over coming calls (at the end of
    /// a file; the plugin never needs it).
    pub fn flush(&mut self) {
        self.finish_pending(true);
        if self.display_on {
            self.finish_pending(false);
        }
    }

    fn write<C: AsRef<[f32]>>(&mut self, block: &[C], present: usize, position: usize, n: usize) {
        #[cfg(target_arch = "x86_64")]
        if self.kernel.variant() != Variant::Portable {
            // SAFETY: as in `transform_step`.
            unsafe { self.write_avx2(block, present, position, n) };
            return;
        }
        self.write_inline(block, present, position, n);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn write_avx2<C: AsRef<[f32]>>(
        &mut self,
        block: &[C],
        present: usize,
        position: usize,
        n: usize,
    ) {
        self.write_inline(block, present, position, n);
    }

    #[inline(always)]
    fn write_inline<C: AsRef<[f32]>>(
        &mut self,
        block: &[C],
        present: usize,
        position: usize,
        n: usize,
    ) {
        for (c, history) in self.history.chunks_exact_mut(HISTORY_LEN).enumerate() {
            let channel = block
                .get(c)
                .filter(|_| c < present)
                .map(|channel| &channel.as_ref()[position..position + n]);
            // At most two contiguous runs of the ring (straight loops the compiler vectorises).
            let mut pos = self.write_pos;
            let mut done = 0;
            while done < n {
                let run = (n - done).min(HISTORY_LEN - pos);
                let to = &mut history[pos..pos + run];
                match channel {
                    Some(samples) => {
                        for (out, &x) in to.iter_mut().zip(&samples[done..done + run]) {
                            *out = if x.is_finite() {
                                x.clamp(-SAMPLE_LIMIT, SAMPLE_LIMIT)
                            } else {
                                0.0
                            };
                        }
                    }
                    None => to.fill(0.0),
                }
                done += run;
                pos = (pos + run) & HISTORY_MASK;
            }
        }
        self.write_pos = (self.write_pos + n) & HISTORY_MASK;
        self.filled = (self.filled + n).min(MAX_FFT_SIZE);
    }

    /// Marks the last `N` samples as the next frame of this analysis (its transform steps
    /// read them from the history).
    fn capture(&mut self, long_term: bool) {
        let analysis = if long_term {
            &mut self.long_term
        } else {
            &mut self.display
        };
        let size = self.plans[analysis.plan].size;
        if self.filled < size {
            return;
        }
        analysis.frame_start = (self.write_pos + HISTORY_LEN - size) & HISTORY_MASK;
        analysis.next = 0;
    }

    fn finish_pending(&mut self, long_term: bool) {
        loop {
            let analysis = if long_term {
                &self.long_term
            } else {
                &self.display
            };
            if analysis.next >= self.steps() {
                return;
            }
            self.transform_step(long_term);
        }
    }

    /// Steps of one frame: [`STEPS`] per channel, then one to add the frame to the average
    /// (or the peak).
    fn steps(&self) -> usize {
        self.active_count * STEPS + 1
    }

    /// One step of one channel's transform, or the final step that adds the frame to the
    /// average. The real FFT of N samples is split in seven steps of similar cost, so no call
    /// pays for a whole large transform: (0) windowing and packing the samples in pairs as
    /// complex values, (1) the complex FFT (N/4 points) of samples 4m, 4m+1, (2) the same of
    /// samples 4m+2, 4m+3, (3) one radix-2 step joining them into the N/2-point FFT, (4, 5) the
    /// standard split that turns that into the N/2+1 bins of the real spectrum, in two halves,
    /// (6) this channel's share of the power.
    fn transform_step(&mut self, long_term: bool) {
        #[cfg(target_arch = "x86_64")]
        if self.kernel.variant() != Variant::Portable {
            // SAFETY: the kernel is Avx2Fma only when the CPU has AVX2 (Kernel::detect).
            unsafe { self.transform_step_avx2(long_term) };
            return;
        }
        self.transform_step_inline(long_term);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn transform_step_avx2(&mut self, long_term: bool) {
        self.transform_step_inline(long_term);
    }

    #[inline(always)]
    fn transform_step_inline(&mut self, long_term: bool) {
        let analysis = if long_term {
            &mut self.long_term
        } else {
            &mut self.display
        };
        let plan = &self.plans[analysis.plan];
        let size = plan.size;
        let quarter = size / 4;
        let half = size / 2;
        let bins = half + 1;
        if analysis.next == self.active_count * STEPS {
            // Last step: the finished frame goes into the average, or the display peak.
            analysis.next += 1;
            analysis.finished += 1;
            let power = &analysis.power[..bins];
            if long_term {
                if self.running {
                    for (sum, &p) in self.long_term_sum.iter_mut().zip(power) {
                        *sum += p as f64;
                    }
                    self.long_term_frames += 1;
                }
            } else {
                for (peak, &p) in self.display_peak.iter_mut().zip(power) {
                    *peak = peak.max(p);
                }
            }
            return;
        }
        let slot = analysis.next / STEPS;
        let step = analysis.next % STEPS;
        let packed = &mut analysis.packed[slot * (analysis.capacity / 2)..][..half];
        if step == 0 {
            // Step 0: window the channel's frame (two contiguous runs of the history) and pack it:
            // samples 4m, 4m+1 form the first quarter-size block, 4m+2, 4m+3 the second.
            let c = self.active[slot];
            let history = &self.history[c * HISTORY_LEN..(c + 1) * HISTORY_LEN];
            let start = analysis.frame_start;
            let first = (HISTORY_LEN - start).min(size);
            let windowed = &mut analysis.windowed[..size];
            let (head, tail) = windowed.split_at_mut(first);
            let (window_head, window_tail) = plan.window.split_at(first);
            for ((out, &x), &w) in head
                .iter_mut()
                .zip(&history[start..start + first])
                .zip(window_head)
            {
                *out = x * w;
            }
            for ((out, &x), &w) in tail
                .iter_mut()
                .zip(&history[..size - first])
                .zip(window_tail)
            {
                *out = x * w;
            }
            let (even, odd) = packed.split_at_mut(quarter);
            for ((e, o), quad) in even
                .iter_mut()
                .zip(odd.iter_mut())
                .zip(windowed.chunks_exact(4))
            {
                *e = Complex::new(quad[0], quad[1]);
                *o = Complex::new(quad[2], quad[3]);
            }
        }
        match step {
            0 => {}
            1 | 2 => {
                let block = &mut packed[(step - 1) * quarter..step * quarter];
                let scratch = &mut self.scratch[..plan.quarter.get_inplace_scratch_len()];
                plan.quarter.process_with_scratch(block, scratch);
            }
            3 => {
                let (even, odd) = packed.split_at(quarter);
                let spectrum = &mut analysis.spectra[slot * (analysis.capacity / 2 + 1)..][..bins];
                // Z, the N/2-point FFT, from the two quarter-size ones (radix-2 step).
                let (z_low, rest) = spectrum.split_at_mut(quarter);
                let z_high = &mut rest[..quarter];
                #[cfg(target_arch = "x86_64")]
                if self.kernel.variant() != Variant::Portable {
                    // SAFETY: the kernel is Avx2Fma only when the CPU has AVX2 and FMA.
                    unsafe { avx2::join(z_low, z_high, even, odd, &plan.join_twiddles) };
                    analysis.next += 1;
                    return;
                }
                for (((z_l, z_h), (&e, &o)), &w) in z_low
                    .iter_mut()
                    .zip(z_high.iter_mut())
                    .zip(even.iter().zip(odd))
                    .zip(plan.join_twiddles.iter())
                {
                    let t = w * o;
                    *z_l = e + t;
                    *z_h = e - t;
                }
            }
            4 | 5 => {
                let spectrum = &mut analysis.spectra[slot * (analysis.capacity / 2 + 1)..][..bins];
                // X[k] = (Z[k] + Z*[N/2-k]) / 2 - i/2 W^k (Z[k] - Z*[N/2-k]), in place: bins k
                // and j = N/2-k depend on the same two values (written out in reals so the
                // loop compiles to straight vector code). Step 4 does the pairs with k below
                // N/8, step 5 the rest.
                let w = &plan.real_twiddles;
                if step == 4 {
                    let z0 = spectrum[0];
                    spectrum[0] = Complex::new(z0.re + z0.im, 0.0);
                    spectrum[half] = Complex::new(z0.re - z0.im, 0.0);
                    spectrum[half / 2] = spectrum[half / 2].conj();
                }
                let (first, last) = if step == 4 {
                    (1, half / 4)
                } else {
                    (half / 4, half / 2)
                };
                #[cfg(target_arch = "x86_64")]
                if self.kernel.variant() != Variant::Portable {
                    // SAFETY: as above.
                    unsafe { avx2::split(spectrum, w, half, first, last) };
                    analysis.next += 1;
                    return;
                }
                let (low, high) = spectrum.split_at_mut(half / 2);
                // low[k] for k in first..last pairs with high[half/2 - k].
                let high_range = half / 2 - (last - 1)..=half / 2 - first;
                let w_high_range = half - (last - 1)..=half - first;
                for (((x_k, x_j), &w_k), &w_j) in low[first..last]
                    .iter_mut()
                    .zip(high[high_range].iter_mut().rev())
                    .zip(&w[first..last])
                    .zip(w[w_high_range].iter().rev())
                {
                    let (a, b) = (*x_k, *x_j);
                    // (Z[k] + Z*[j]) / 2 and (Z[k] - Z*[j]) · (-i/2); bin j's are their
                    // conjugate and (d.re, -d.im).
                    let (s_re, s_im) = (0.5 * (a.re + b.re), 0.5 * (a.im - b.im));
                    let (d_re, d_im) = (0.5 * (a.im + b.im), -0.5 * (a.re - b.re));
                    *x_k = Complex::new(
                        s_re + w_k.re * d_re - w_k.im * d_im,
                        s_im + w_k.re * d_im + w_k.im * d_re,
                    );
                    *x_j = Complex::new(
                        s_re + w_j.re * d_re + w_j.im * d_im,
                        -s_im + w_j.im * d_re - w_j.re * d_im,
                    );
                }
            }
            _ => {
                // This channel's share of the weighted mean power.
                let spectrum = &analysis.spectra[slot * (analysis.capacity / 2 + 1)..][..bins];
                let weight = self.weights[slot];
                let power = &mut analysis.power[..bins];
                if slot == 0 {
                    for ((p, x), &scale) in
                        power.iter_mut().zip(spectrum.iter()).zip(plan.scale.iter())
                    {
                        *p = weight * scale * x.norm_sqr();
                    }
                } else {
                    for ((p, x), &scale) in
                        power.iter_mut().zip(spectrum.iter()).zip(plan.scale.iter())
                    {
                        *p += weight * scale * x.norm_sqr();
                    }
                }
                // With both channels of a stereo frame transformed, the per-band stereo sums.
                if long_term && slot == 1 {
                    if let Some(stereo) = self.stereo.as_mut() {
                        let stride = analysis.capacity / 2 + 1;
                        let left = &analysis.spectra[..bins];
                        let right = &analysis.spectra[stride..stride + bins];
                        stereo.add_frame(left, right, self.running);
                    }
                }
            }
        }
        analysis.next += 1;
    }

    /// The stereo image per band (stereo input only), fed by the long-term frames.
    pub fn stereo_bands(&self) -> Option<&StereoBands> {
        self.stereo.as_ref()
    }

    /// The long-term average so far.
    pub fn long_term(&self) -> LongTermSpectrum<'_> {
        LongTermSpectrum {
            sums: &self.long_term_sum,
            frames: self.long_term_frames,
            fft_size: FFT_SIZES[self.long_term.plan],
            sample_rate_hz: self.sample_rate_hz,
        }
    }

    /// The latest display frame (power per bin) and a counter of frames since reset, or `None`
    /// before the first frame or while display frames are off.
    pub fn display_frame(&self) -> Option<(&[f32], u64)> {
        if !self.display_on || self.display.finished == 0 {
            return None;
        }
        let bins = FFT_SIZES[self.display.plan] / 2 + 1;
        Some((&self.display.power[..bins], self.display.finished))
    }

    /// Per-bin maximum of the display frames since the last [`Self::clear_display_peak`].
    pub fn display_peak(&self) -> &[f32] {
        let bins = FFT_SIZES[self.display.plan] / 2 + 1;
        &self.display_peak[..bins]
    }

    pub fn clear_display_peak(&mut self) {
        self.display_peak.fill(0.0);
    }
}

/// The long-term average power spectrum as accumulated (borrowed from the analyzer).
#[derive(Debug, Clone, Copy)]
pub struct LongTermSpectrum<'a> {
    sums: &'a [f64],
    /// Frames averaged (0: no value yet).
    pub frames: u64,
    pub fft_size: usize,
    pub sample_rate_hz: f64,
}

impl LongTermSpectrum<'_> {
    pub fn bins(&self) -> usize {
        self.sums.len()
    }

    pub fn bin_hz(&self) -> f64 {
        self.sample_rate_hz / self.fft_size as f64
    }

    /// Mean power of bin `k` (linear, full-scale sine = 1), 0 before the first frame.
    pub fn mean_power(&self, k: usize) -> f64 {
        if self.frames == 0 {
            0.0
        } else {
            self.sums[k] / self.frames as f64
        }
    }

    /// The mean power of every bin into `out` (as many as fit), linear; zeros before the
    /// first frame.
    pub fn mean_powers_into(&self, out: &mut [f32]) {
        let scale = if self.frames == 0 {
            0.0
        } else {
            1.0 / self.frames as f64
        };
        for (o, &sum) in out.iter_mut().zip(self.sums) {
            *o = (sum * scale) as f32;
        }
    }

    /// Seconds of audio the average covers (frames times hop).
    pub fn covered_s(&self) -> f64 {
        self.frames as f64 * (self.fft_size / 2) as f64 / self.sample_rate_hz
    }

    /// Copies the mean power per bin into an owned spectrum.
    pub fn to_owned(&self) -> PowerSpectrum {
        PowerSpectrum {
            power: (0..self.bins()).map(|k| self.mean_power(k)).collect(),
            bin_hz: self.bin_hz(),
            fft_size: self.fft_size,
            covered_s: self.covered_s(),
        }
    }
}

/// Mean power per bin with its resolution: what is kept, compared and smoothed off the audio
/// thread.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PowerSpectrum {
    /// Power per bin, linear (a bin-centred full-scale sine reads 1).
    pub power: Vec<f64>,
    pub bin_hz: f64,
    pub fft_size: usize,
    /// Seconds of audio behind it (0 for a single frame).
    pub covered_s: f64,
}

/// Display tilt in dB at `frequency_hz`: `db_per_octave` per octave above [`TILT_PIVOT_HZ`]
/// (negative below it). +3 dB/octave makes pink noise read flat.
pub fn tilt_db(frequency_hz: f64, db_per_octave: f64) -> f64 {
    db_per_octave * (frequency_hz / TILT_PIVOT_HZ).log2()
}

/// Frequencies spaced `points_per_octave` per octave on the grid through [`TILT_PIVOT_HZ`]
/// (1 kHz), from the first at or above `low_hz` to the last at or below `high_hz`.
pub fn log_grid(points_per_octave: u32, low_hz: f64, high_hz: f64) -> Vec<f64> {
    let ppo = points_per_octave as f64;
    let first = (ppo * (low_hz / TILT_PIVOT_HZ).log2() - 1e-9).ceil() as i64;
    let last = (ppo * (high_hz / TILT_PIVOT_HZ).log2() + 1e-9).floor() as i64;
    (first..=last)
        .map(|k| TILT_PIVOT_HZ * 2f64.powf(k as f64 / ppo))
        .collect()
}

/// 1/N-octave smoothing of a power spectrum (see the module docs). Keeps its working memory
/// between calls; meant for the editor and the analyzer, not the audio thread.
#[derive(Debug, Default, Clone)]
pub struct LogSmoother {
    /// prefix[k] = sum of power[..k].
    prefix: Vec<f64>,
}

impl LogSmoother {
    /// Mean power over a band of `1 / fraction` octave centred (geometrically) on each of
    /// `centres_hz`, written to `out`. Bins are `bin_hz` wide, bin `k` centred on `k · bin_hz`.
    pub fn smooth<P: Copy + Into<f64>>(
        &mut self,
        power: &[P],
        bin_hz: f64,
        centres_hz: &[f64],
        fraction: f64,
        out: &mut [f64],
    ) {
        self.prepare(power);
        let half_width = 2f64.powf(0.5 / fraction.max(1e-3));
        for (o, &f) in out.iter_mut().zip(centres_hz) {
            *o = self.band_mean(power, bin_hz, f / half_width, f * half_width);
        }
    }

    /// Mean power between `low_hz` and `high_hz` for each pair of `edges_hz` neighbours
    /// (`out` has one entry fewer than `edges_hz`).
    pub fn band_means<P: Copy + Into<f64>>(
        &mut self,
        power: &[P],
        bin_hz: f64,
        edges_hz: &[f64],
        out: &mut [f64],
    ) {
        self.prepare(power);
        for (o, edge) in out.iter_mut().zip(edges_hz.windows(2)) {
            *o = self.band_mean(power, bin_hz, edge[0], edge[1]);
        }
    }

    fn prepare<P: Copy + Into<f64>>(&mut self, power: &[P]) {
        self.prefix.clear();
        self.prefix.reserve(power.len() + 1);
        let mut sum = 0.0;
        self.prefix.push(0.0);
        for &p in power {
            sum += p.into();
            self.prefix.push(sum);
        }
    }

    /// Integral of the piecewise-constant power from bin coordinate 0 (the lower edge of bin
    /// 0 is at -0.5) to `x`.
    fn integral<P: Copy + Into<f64>>(&self, power: &[P], x: f64) -> f64 {
        let u = (x + 0.5).clamp(0.0, power.len() as f64);
        let i = u.floor() as usize;
        if i >= power.len() {
            return self.prefix[power.len()];
        }
        self.prefix[i] + (u - i as f64) * power[i].into()
    }

    fn band_mean<P: Copy + Into<f64>>(
        &self,
        power: &[P],
        bin_hz: f64,
        low_hz: f64,
        high_hz: f64,
    ) -> f64 {
        if power.is_empty() || bin_hz <= 0.0 {
            return 0.0;
        }
        let lo = low_hz / bin_hz;
        let hi = high_hz / bin_hz;
        let width = hi - lo;
        if width <= 1e-9 {
            let k = ((lo + 0.5).floor().max(0.0) as usize).min(power.len() - 1);
            return power[k].into();
        }
        (self.integral(power, hi) - self.integral(power, lo)) / width
    }
}

/// Power in dB (10·log10), `-inf` for 0.
pub fn power_to_db(power: f64) -> f64 {
    if power > 0.0 {
        10.0 * power.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// The two O(N) passes of the split real FFT written for AVX2 and FMA, four complex values
/// per register (the compiler does not vectorise the complex products and the reversed pairs
/// of the scalar loops). FMA rounds once per multiply-add, so the results differ from the
/// portable loops in the last bits (tests bound it); a machine always uses the same kernel.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use realfft::num_complex::Complex;
    use std::arch::x86_64::*;

    /// `w · z` for four complex values in each register.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn multiply(w: __m256, z: __m256) -> __m256 {
        let re = _mm256_moveldup_ps(w);
        let im = _mm256_movehdup_ps(w);
        let swapped = _mm256_permute_ps(z, 0b10_11_00_01);
        _mm256_fmaddsub_ps(re, z, _mm256_mul_ps(im, swapped))
    }

    /// The four complex values in reverse order.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn reverse(z: __m256) -> __m256 {
        _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(z), 0b00_01_10_11))
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn conj(z: __m256) -> __m256 {
        _mm256_xor_ps(
            z,
            _mm256_setr_ps(0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0),
        )
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load(from: &[Complex<f32>], at: usize) -> __m256 {
        debug_assert!(at + 4 <= from.len());
        // SAFETY: the caller keeps `at + 4` within `from`.
        unsafe { _mm256_loadu_ps(from.as_ptr().add(at).cast::<f32>()) }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn store(to: &mut [Complex<f32>], at: usize, value: __m256) {
        debug_assert!(at + 4 <= to.len());
        // SAFETY: the caller keeps `at + 4` within `to`.
        unsafe { _mm256_storeu_ps(to.as_mut_ptr().add(at).cast::<f32>(), value) }
    }

    /// The radix-2 step: `low[k] = even[k] + w[k]·odd[k]`, `high[k] = even[k] − w[k]·odd[k]`.
    #[target_feature(enable = "avx2,fma")]
    pub fn join(
        low: &mut [Complex<f32>],
        high: &mut [Complex<f32>],
        even: &[Complex<f32>],
        odd: &[Complex<f32>],
        w: &[Complex<f32>],
    ) {
        let n = low
            .len()
            .min(high.len())
            .min(even.len())
            .min(odd.len())
            .min(w.len());
        let mut k = 0;
        while k + 4 <= n {
            // SAFETY: k + 4 <= n, the shortest of the slices.
            unsafe {
                let e = load(even, k);
                let t = multiply(load(w, k), load(odd, k));
                store(low, k, _mm256_add_ps(e, t));
                store(high, k, _mm256_sub_ps(e, t));
            }
            k += 4;
        }
        for k in k..n {
            let t = w[k] * odd[k];
            low[k] = even[k] + t;
            high[k] = even[k] - t;
        }
    }

    /// The split of the N/2-point FFT `x` (in place) into the real spectrum's bins, for the
    /// pairs k in `first..last` and `j = half − k`: with `s = (Z[k] + Z*[j]) / 2` and
    /// `d = −i (Z[k] − Z*[j]) / 2`, `X[k] = s + W^k d` and `X[j] = (s + conj(W^j) d)*`.
    #[target_feature(enable = "avx2,fma")]
    pub fn split(
        x: &mut [Complex<f32>],
        w: &[Complex<f32>],
        half: usize,
        first: usize,
        last: usize,
    ) {
        let halves = _mm256_set1_ps(0.5);
        let odd_sign = _mm256_setr_ps(0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0);
        let mut k = first;
        // Pairs k..k+4 with half-k-3 ..= half-k; the two runs never meet (k < half/2 < j).
        while k + 4 <= last && k + 3 < half - k - 3 && half - k < x.len() && half - k < w.len() {
            let j = half - k - 3;
            // SAFETY: k + 4 <= last and j + 4 = half - k + 1 <= the lengths (checked above).
            unsafe {
                let a = load(x, k);
                let b = reverse(load(x, j));
                let wk = load(w, k);
                let wj = conj(reverse(load(w, j)));
                let b_conj = conj(b);
                let s = _mm256_mul_ps(halves, _mm256_add_ps(a, b_conj));
                let q = _mm256_sub_ps(a, b_conj);
                // -i·q = (q.im, -q.re)
                let d = _mm256_mul_ps(
                    halves,
                    _mm256_xor_ps(_mm256_permute_ps(q, 0b10_11_00_01), odd_sign),
                );
                store(x, k, _mm256_add_ps(s, multiply(wk, d)));
                store(x, j, reverse(conj(_mm256_add_ps(s, multiply(wj, d)))));
            }
            k += 4;
        }
        for k in k..last {
            let j = half - k;
            let (a, b) = (x[k], x[j]);
            let s = Complex::new(0.5 * (a.re + b.re), 0.5 * (a.im - b.im));
            let d = Complex::new(0.5 * (a.im + b.im), -0.5 * (a.re - b.re));
            x[k] = s + w[k] * d;
            x[j] = (s + w[j].conj() * d).conj();
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use realfft::RealFftPlanner;

    /// The AVX2/FMA loops and the portable ones give the same long-term spectrum and stereo
    /// image within float rounding (FMA rounds once per multiply-add), on noise in both
    /// channels, at a rate whose long-term size is 8192 and one at 16384.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_loops_match_the_portable_ones() {
        if Kernel::detect() == Kernel::PORTABLE {
            return;
        }
        for rate in [48_000.0, 96_000.0] {
            let mut rng = StdRng::seed_from_u64(7);
            let left: Vec<f32> = (0..200_000).map(|_| rng.random_range(-0.5..0.5)).collect();
            let right: Vec<f32> = left
                .iter()
                .map(|&l| 0.6 * l + rng.random_range(-0.2..0.2))
                .collect();
            let run = |kernel: Kernel| {
                let mut a = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
                a.set_kernel(kernel);
                for (l, r) in left.chunks(333).zip(right.chunks(333)) {
                    a.process(&[l, r]);
                }
                a.flush();
                let power = a.long_term().to_owned().power;
                let bands = a.stereo_bands().unwrap().whole_window();
                (power, bands)
            };
            let (fast, fast_bands) = run(Kernel::avx2_fma().unwrap());
            let (portable, portable_bands) = run(Kernel::PORTABLE);
            assert_eq!(fast.len(), portable.len());
            for (k, (a, b)) in fast.iter().zip(&portable).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-4 * b.abs() + 1e-12,
                    "{rate} bin {k}: {a} {b}"
                );
            }
            assert_eq!(format!("{fast_bands:.4?}"), format!("{portable_bands:.4?}"));
        }
    }

    fn sine(rate: f64, hz: f64, amplitude: f32, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| amplitude * (2.0 * std::f64::consts::PI * hz * i as f64 / rate).sin() as f32)
            .collect()
    }

    /// Exactly pink noise (power ∝ 1/f at every bin of one long transform, random phases),
    /// periodic with `len` samples, scaled to an RMS of `rms`.
    pub(crate) fn pink_noise(len: usize, seed: u64, rms: f64) -> Vec<f32> {
        shaped_pink_noise(48_000.0, len, seed, rms, None)
    }

    /// [`pink_noise`] with `boost` = (low Hz, high Hz, dB) applied exactly between those
    /// frequencies at `rate` (the RMS is that of the shaped signal).
    pub(crate) fn shaped_pink_noise(
        rate: f64,
        len: usize,
        seed: u64,
        rms: f64,
        boost: Option<(f64, f64, f64)>,
    ) -> Vec<f32> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut planner = RealFftPlanner::<f64>::new();
        let inverse = planner.plan_fft_inverse(len);
        let mut spectrum = inverse.make_input_vec();
        for (k, x) in spectrum.iter_mut().enumerate() {
            if k == 0 || k == len / 2 {
                continue;
            }
            let hz = k as f64 * rate / len as f64;
            let mut magnitude = 1.0 / (k as f64).sqrt();
            if let Some((low, high, db)) = boost
                && hz >= low
                && hz < high
            {
                magnitude *= 10f64.powf(db / 20.0);
            }
            let phase = rng.random::<f64>() * 2.0 * std::f64::consts::PI;
            *x = Complex::from_polar(magnitude, phase);
        }
        let mut out = inverse.make_output_vec();
        inverse.process(&mut spectrum, &mut out).unwrap();
        let mean_square = out.iter().map(|x| x * x).sum::<f64>() / len as f64;
        let gain = rms / mean_square.sqrt();
        out.iter().map(|x| (x * gain) as f32).collect()
    }

    #[test]
    fn sizes_and_grids() {
        assert_eq!(long_term_fft_size(44_100.0), 8192);
        assert_eq!(long_term_fft_size(48_000.0), 8192);
        assert_eq!(long_term_fft_size(96_000.0), 16384);
        assert_eq!(long_term_fft_size(192_000.0), 32768);
        assert_eq!(long_term_fft_size(384_000.0), 32768);
        assert_eq!(nearest_fft_size(5000), 4096);
        assert_eq!(nearest_fft_size(1), 2048);
        let grid = log_grid(3, 20.0, 20_000.0);
        assert_eq!(grid.len(), 29); // 25 Hz to 16 kHz, the ISO third-octave centres
        assert!((grid[0] - 1000.0 * 2f64.powf(-16.0 / 3.0)).abs() < 1e-9);
        assert!(grid.contains(&1000.0));
        assert!((tilt_db(2000.0, 3.0) - 3.0).abs() < 1e-12);
        assert!((tilt_db(250.0, 4.5) + 9.0).abs() < 1e-12);
    }

    #[test]
    fn bin_centred_sine_reads_its_level() {
        for &rate in &[44_100.0, 48_000.0, 96_000.0] {
            let size = long_term_fft_size(rate);
            let bin = 200;
            let hz = bin as f64 * rate / size as f64;
            let signal = sine(rate, hz, 0.5, (rate * 3.0) as usize);
            let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
            analyzer.set_display_size(Some(4096));
            analyzer.process(&[&signal, &signal]);
            let lt = analyzer.long_term();
            assert!(lt.frames > 10);
            let db = power_to_db(lt.mean_power(bin));
            assert!((db - (-6.0206)).abs() < 0.01, "{rate}: {db}");
            let neighbour = power_to_db(lt.mean_power(bin + 1));
            assert!((neighbour - db + 6.02).abs() < 0.05, "{rate}: {neighbour}");
            assert!(power_to_db(lt.mean_power(bin + 3)) < db - 60.0);
            // The display frame at another size reads the same level.
            let display_bin = bin * 4096 / size;
            let (frame, _) = analyzer.display_frame().unwrap();
            let db = power_to_db(frame[display_bin] as f64);
            assert!((db - (-6.0206)).abs() < 0.01, "display {rate}: {db}");
        }
    }

    #[test]
    fn pink_noise_reads_flat_with_a_three_db_tilt() {
        let rate = 48_000.0;
        let noise = pink_noise(1 << 21, 7, 0.1);
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
        analyzer.process(&[&noise]);
        let spectrum = analyzer.long_term().to_owned();
        let centres = log_grid(3, 40.0, 16_000.0);
        let mut smoothed = vec![0.0; centres.len()];
        LogSmoother::default().smooth(
            &spectrum.power,
            spectrum.bin_hz,
            &centres,
            3.0,
            &mut smoothed,
        );
        let tilted: Vec<f64> = centres
            .iter()
            .zip(&smoothed)
            .map(|(&f, &p)| power_to_db(p) + tilt_db(f, 3.0))
            .collect();
        let mean = tilted.iter().sum::<f64>() / tilted.len() as f64;
        for (f, db) in centres.iter().zip(&tilted) {
            assert!((db - mean).abs() < 0.75, "{f} Hz: {db} vs {mean}");
        }
        // Untilted, the slope is -3 dB per octave (least squares over the same bands).
        let xs: Vec<f64> = centres.iter().map(|f| f.log2()).collect();
        let ys: Vec<f64> = smoothed.iter().map(|&p| power_to_db(p)).collect();
        let (mx, my) = (
            xs.iter().sum::<f64>() / xs.len() as f64,
            ys.iter().sum::<f64>() / ys.len() as f64,
        );
        let slope = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| (x - mx) * (y - my))
            .sum::<f64>()
            / xs.iter().map(|x| (x - mx) * (x - mx)).sum::<f64>();
        assert!((slope + 3.0).abs() < 0.1, "slope {slope}");
    }

    #[test]
    fn block_sizes_do_not_change_a_bit() {
        let rate = 44_100.0;
        let mut rng = StdRng::seed_from_u64(3);
        let left: Vec<f32> = (0..200_000).map(|_| rng.random_range(-0.5..0.5)).collect();
        let right: Vec<f32> = (0..200_000).map(|_| rng.random_range(-0.3..0.3)).collect();
        let mut whole = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
        whole.set_display_size(Some(2048));
        whole.process(&[&left, &right]);
        let mut split = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
        split.set_display_size(Some(2048));
        let mut position = 0;
        while position < left.len() {
            let n = rng.random_range(0..3000).min(left.len() - position);
            split.process(&[
                &left[position..position + n],
                &right[position..position + n],
            ]);
            position += n;
        }
        whole.flush();
        split.flush();
        let (a, b) = (whole.long_term(), split.long_term());
        assert_eq!(a.frames, b.frames);
        assert!(a.frames > 0);
        for k in 0..a.bins() {
            assert_eq!(
                a.mean_power(k).to_bits(),
                b.mean_power(k).to_bits(),
                "bin {k}"
            );
        }
        assert_eq!(
            whole.display_frame().unwrap().1,
            split.display_frame().unwrap().1
        );
    }

    #[test]
    fn follows_pause_and_reset_and_survives_bad_samples() {
        let rate = 48_000.0;
        let tone = sine(rate, 1000.0, 0.5, 48_000);
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
        analyzer.process(&[&tone]);
        analyzer.flush();
        let frames = analyzer.long_term().frames;
        assert!(frames >= 10);
        analyzer.set_running(false);
        analyzer.process(&[&tone]);
        assert_eq!(analyzer.long_term().frames, frames, "paused: nothing added");
        analyzer.set_running(true);
        analyzer.reset();
        assert_eq!(analyzer.long_term().frames, 0);
        assert_eq!(analyzer.long_term().mean_power(100), 0.0);
        let bad = vec![f32::NAN, f32::INFINITY, -f32::INFINITY, 1e30, -1e30, 1e-42];
        let mut hostile: Vec<f32> = Vec::new();
        for _ in 0..20_000 {
            hostile.extend_from_slice(&bad);
        }
        analyzer.process(&[&hostile]);
        let lt = analyzer.long_term();
        assert!(lt.frames > 0);
        assert!((0..lt.bins()).all(|k| lt.mean_power(k).is_finite()));
    }

    #[test]
    fn display_frames_only_while_a_size_is_set() {
        let rate = 48_000.0;
        let tone = sine(rate, 1000.0, 0.5, 48_000);
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
        analyzer.process(&[&tone, &tone]);
        assert!(analyzer.display_frame().is_none());
        analyzer.set_display_size(Some(32768));
        assert_eq!(analyzer.display_size(), Some(32768));
        for chunk in tone.chunks(480) {
            analyzer.process(&[chunk, chunk]);
        }
        let (frame, count) = analyzer.display_frame().unwrap();
        assert_eq!(frame.len(), 16385);
        // 1 s at 30 frames per second (hop 1600 samples), the last frame may still be pending.
        assert!((29..=31).contains(&count), "{count}");
        // Small frames: 60 per second at most (hop 800 rather than 2048 / 4 = 512).
        analyzer.set_display_size(Some(2048));
        for chunk in tone.chunks(480) {
            analyzer.process(&[chunk, chunk]);
        }
        let (_, total) = analyzer.display_frame().unwrap();
        let small = total - count;
        assert!((58..=60).contains(&small), "{small}");
        assert!(analyzer.display_peak().iter().all(|&p| p >= 0.0));
        analyzer.clear_display_peak();
        assert!(analyzer.display_peak().iter().all(|&p| p == 0.0));
        analyzer.set_display_size(None);
        assert!(analyzer.display_frame().is_none());
    }

    #[test]
    fn the_split_transform_is_the_real_fft() {
        let mut rng = StdRng::seed_from_u64(17);
        // Rates at which the long-term average uses each size.
        for (size, rate) in FFT_SIZES
            .into_iter()
            .zip([8_000.0, 16_000.0, 48_000.0, 96_000.0, 192_000.0])
        {
            let signal: Vec<f32> = (0..size).map(|_| rng.random_range(-1.0..1.0)).collect();
            let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0]).unwrap();
            assert_eq!(long_term_fft_size(rate), size);
            // Exactly one long-term frame: the whole signal, taken and finished.
            analyzer.process(&[&signal]);
            analyzer.flush();
            let long_term = analyzer.long_term();
            assert_eq!(long_term.frames, 1);
            // The reference: realfft on the same windowed samples, same scaling.
            let plan = &analyzer.plans[analyzer.long_term.plan];
            let mut windowed: Vec<f32> = signal
                .iter()
                .zip(plan.window.iter())
                .map(|(x, w)| x * w)
                .collect();
            let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
            let mut out = fft.make_output_vec();
            fft.process(&mut windowed, &mut out).unwrap();
            let expected: Vec<f64> = out
                .iter()
                .enumerate()
                .map(|(k, x)| (x.norm_sqr() * plan.scale[k]) as f64)
                .collect();
            let loudest = expected.iter().copied().fold(0.0f64, f64::max);
            for (k, &e) in expected.iter().enumerate() {
                let got = long_term.mean_power(k);
                assert!(
                    (got - e).abs() <= 1e-4 * loudest,
                    "{size}: bin {k}: {got} vs {e}"
                );
            }
        }
    }

    #[test]
    fn smoothing_is_a_band_mean() {
        let power = [1.0f64, 1.0, 4.0, 4.0, 4.0, 4.0, 1.0, 1.0];
        let mut smoother = LogSmoother::default();
        let mut out = [0.0; 2];
        // Bins 2..=5 exactly (edges at 1.5 and 5.5 bins).
        smoother.band_means(&power, 1.0, &[1.5, 5.5, 7.5], &mut out);
        assert_eq!(out, [4.0, 1.0]);
        // Narrower than a bin: that bin.
        smoother.smooth(&power, 1.0, &[3.0], 1000.0, &mut out[..1]);
        assert_eq!(out[0], 4.0);
        // Half a bin each side of the 1.5-bin edge.
        smoother.band_means(&power, 1.0, &[1.0, 2.0], &mut out[..1]);
        assert_eq!(out[0], 2.5);
    }

    #[test]
    fn rejects_what_it_cannot_analyse() {
        assert!(matches!(
            SpectrumAnalyzer::new(4_000.0, &[1.0]),
            Err(SpectrumError::SampleRate(_))
        ));
        assert!(matches!(
            SpectrumAnalyzer::new(48_000.0, &[]),
            Err(SpectrumError::Channels(0))
        ));
        assert!(matches!(
            SpectrumAnalyzer::new(48_000.0, &[0.0, 0.0]),
            Err(SpectrumError::Weights)
        ));
        assert!(matches!(
            SpectrumAnalyzer::new(48_000.0, &[f64::NAN]),
            Err(SpectrumError::Weights)
        ));
        // An LFE channel (weight 0) is left out.
        let analyzer = SpectrumAnalyzer::new(48_000.0, &[1.0, 1.0, 1.0, 0.0, 1.41, 1.41]).unwrap();
        assert_eq!(analyzer.active_count, 5);
    }
}
