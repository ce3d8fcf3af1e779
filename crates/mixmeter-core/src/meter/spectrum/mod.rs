//! Spectrum: a long-term average power spectrum over the whole measurement, and live frames for
//! display.
//!
//! **Method** (Welch's averaged periodogram). Each channel is cut into frames of `N` samples,
//! each frame multiplied by a periodic Hann window and transformed with a real FFT (built from
//! `rustfft` complex FFTs of half or a quarter of the size, all planned in
//! [`SpectrumAnalyzer::new`]). The power of bin `k` is `|X[k]|² · (2 / Σw)²`, so a sine of
//! amplitude `A` centred on a bin reads `A²` there: a
//! full-scale sine reads 0 dBFS (DC and Nyquist bins use `(1 / Σw)²`). Channels are combined as
//! their weighted mean power, with the BS.1770 channel weights (an LFE channel has weight 0 and
//! is not analysed), so a stereo spectrum does not depend on the phase between the channels.
//!
//! **Window leakage** (periodic Hann): highest side lobe -31.5 dB, side lobes falling
//! 18 dB per octave, equivalent noise bandwidth 1.50 bins, 3 dB bandwidth 1.44 bins, scalloping
//! loss 1.42 dB for a tone half-way between bins, neighbouring bins of a centred tone at
//! -6.02 dB. Noise reads its power per bin, which halves (-3 dB) each time `N` doubles; tones
//! read the same at every size. Pink noise (equal power per octave) therefore reads falling
//! 3 dB per octave; [`crate::smoothing::tilt_db`] is the display tilt that makes it flat.
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
//! allocated in `new`. When a frame is due it is only marked: the history holds two of the largest
//! frames, so its samples stay in place. The transform then runs one step per `process` call (of
//! the analysis with the least slack when both have a frame pending), each channel's real FFT split
//! in five steps for frames up to 8192 points (windowing; the half-size complex FFT; the real split
//! in two halves; the power), seven for larger ones (windowing and packing; the quarter-size
//! complex FFT of samples 4m, 4m+1; the same of 4m+2, 4m+3; the radix-2 join; the split in two
//! halves; the power), or thirteen for 32768-point frames at 88.2 kHz and above and 31 at 176.4 kHz
//! and above, where the deadline is short (see the private `split_fft` module); after every
//! channel, the frame is added to the average (or the display peak) in steps of at most 4097
//! bins. So a host calling with small blocks never pays for more than a fraction of one
//! channel's transform in one call. A
//! frame is finished at once only when the next frame of the same analysis is due
//! before its steps have run (blocks longer than a fraction of the hop).
//! Results do not depend on the block sizes (tested bit for bit).
//! Non-finite samples are analysed as 0 and samples beyond ±[`SAMPLE_LIMIT`] are clamped there,
//! so the average can never become NaN or infinite.

use super::stereo::StereoBands;
use super::{Kernel, MAX_CHANNELS, Variant};
use realfft::num_complex::Complex;
use split_fft::{Plan, Step};

#[cfg(target_arch = "x86_64")]
mod avx2;
mod long_term;
mod portable;
mod split_fft;
#[cfg(test)]
pub(crate) mod tests;

pub use long_term::{LongTermSpectrum, PowerSpectrum};

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
    /// The two quarter-size FFTs of the channel being transformed, where a plan this analysis
    /// can use packs four blocks ([`Plan::joins_blocks`]; `capacity / 2` values, else empty).
    quarters: Box<[Complex<f32>]>,
    /// History index of the first sample of the captured frame.
    frame_start: usize,
    /// FFT output per channel, `capacity / 2 + 1` bins per channel.
    spectra: Box<[Complex<f32>]>,
    capacity: usize,
    /// The next transform step (channel slot times the plan's steps per channel plus step);
    /// [`SpectrumAnalyzer::steps`] or more when no frame is pending.
    next: usize,
    /// Weighted mean power per bin of the last finished frame.
    power: Box<[f32]>,
    /// Finished frames since reset.
    finished: u64,
}

impl Analysis {
    fn new(plan: usize, hop: usize, capacity: usize, channels: usize, quarters: bool) -> Self {
        Self {
            plan,
            hop,
            since_hop: 0,
            packed: vec![Complex::default(); capacity / 2 * channels].into_boxed_slice(),
            windowed: vec![0.0; capacity].into_boxed_slice(),
            quarters: vec![Complex::default(); if quarters { capacity / 2 } else { 0 }]
                .into_boxed_slice(),
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
    /// While a long-term frame is being added in parts: the bins below this already hold it
    /// (0 otherwise), so every reading divides each bin by its own count.
    long_term_ahead: usize,
    /// Whether the frame being finished goes into the average (`running` when its first part
    /// ran, so a pause between parts cannot leave it half added).
    long_term_adding: bool,
    running: bool,
    display: Analysis,
    display_on: bool,
    /// Bumped when the display frames start over (reset, size or on/off change), and the
    /// finished count then: no frame is offered until one finishes in the new epoch.
    display_epoch: u64,
    display_epoch_start: u64,
    /// Frames of the last `process` call.
    last_call_frames: usize,
    /// Per-bin maximum of the display frames since [`SpectrumAnalyzer::clear_display_peak`].
    display_peak: Box<[f32]>,
    /// Stereo image per band, from the long-term frames (two channels, both analysed).
    stereo: Option<StereoBands>,
    /// The loops below compiled for AVX2 where the CPU has it: the same arithmetic in wider
    /// registers (Rust never fuses a multiply and an add on its own), so the results are
    /// identical to the last bit.
    kernel: Kernel,
    /// Frames whose remaining steps ran in one call because the same analysis's next frame was
    /// due (tests check that 64-frame calls never need it).
    #[cfg(test)]
    rushed: u64,
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

        let kernel = Kernel::detect();
        let mut planner = split_fft::complex_planner(kernel);
        let plans: Vec<Plan> = FFT_SIZES
            .iter()
            .map(|&size| Plan::new(size, sample_rate_hz, &mut planner))
            .collect();
        let scratch_len = plans.iter().map(Plan::scratch_len).max().unwrap_or(0);
        let display_quarters = plans.iter().any(Plan::joins_blocks);

        let long_term_size = long_term_fft_size(sample_rate_hz);
        let long_term_plan = FFT_SIZES
            .iter()
            .position(|&n| n == long_term_size)
            .unwrap_or(FFT_SIZES.len() - 1);
        let display_plan = FFT_SIZES
            .iter()
            .position(|&n| n == DEFAULT_DISPLAY_FFT_SIZE)
            .unwrap_or(0);
        let long_term_quarters = plans[long_term_plan].joins_blocks();
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
                long_term_quarters,
            ),
            long_term_sum: vec![0.0; long_term_size / 2 + 1].into_boxed_slice(),
            long_term_frames: 0,
            long_term_ahead: 0,
            long_term_adding: false,
            running: true,
            display: Analysis::new(
                display_plan,
                1,
                MAX_FFT_SIZE,
                active_count,
                display_quarters,
            ),
            display_on: false,
            display_epoch: 0,
            display_epoch_start: 0,
            last_call_frames: 0,
            display_peak: vec![0.0; MAX_FFT_SIZE / 2 + 1].into_boxed_slice(),
            stereo: None,
            kernel,
            #[cfg(test)]
            rushed: 0,
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
        analyzer.long_term.next = analyzer.steps(true);
        analyzer.configure_display(display_plan);
        // Touch every buffer now: freshly allocated zeroed memory is mapped by the OS on first
        // write, and those page faults (tens of microseconds per frame buffer) belong here,
        // not in the first frames' process calls.
        for analysis in [&mut analyzer.long_term, &mut analyzer.display] {
            analysis.packed.fill(Complex::new(0.0, 0.0));
            analysis.windowed.fill(0.0);
            analysis.spectra.fill(Complex::new(0.0, 0.0));
            analysis.quarters.fill(Complex::new(0.0, 0.0));
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
            analysis.next = usize::MAX;
            analysis.power.fill(0.0);
            analysis.finished = 0;
        }
        self.long_term_sum.fill(0.0);
        self.long_term_frames = 0;
        self.long_term_ahead = 0;
        self.display_epoch += 1;
        self.display_epoch_start = 0;
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
                    self.display.next = usize::MAX;
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
        self.display.next = usize::MAX;
        self.display.power.fill(0.0);
        self.display_peak.fill(0.0);
        self.display_epoch += 1;
        self.display_epoch_start = self.display.finished;
    }

    /// Runs the loops compiled for `kernel` (tests compare the two).
    #[cfg(test)]
    pub(crate) fn set_kernel(&mut self, kernel: Kernel) {
        self.kernel = kernel;
    }

    /// Frames between display frames (while they are produced), and the frames of the last
    /// `process` call: how many calls a display frame lasts.
    pub fn display_calls(&self) -> usize {
        self.display.hop / self.last_call_frames.max(1)
    }

    /// The display frame size, when display frames are produced.
    pub fn display_size(&self) -> Option<usize> {
        self.display_on.then(|| FFT_SIZES[self.display.plan])
    }

    /// Analyses one block; `block[c]` is channel `c` (missing channels are silence).
    pub fn process<C: AsRef<[f32]>>(&mut self, block: &[C]) {
        let present = self.channels.min(block.len());
        let frames = super::block_frames(block, present);
        self.last_call_frames = frames;
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
        // Spread the work: one transform step per call, of the analysis with the least slack
        // when both have a frame pending (the frames until its next frame is due, less its
        // remaining steps at this call's length). Running the long-term frame's steps first
        // starved the display: with 32768-point frames at 192 kHz a stereo display frame's 63
        // steps come every 100 calls of 64 frames, the long-term frame's 63 every 256.
        let long_term = self.long_term.next < self.steps(true);
        let display = self.display_on && self.display.next < self.steps(false);
        if long_term && display {
            let first = self.slack(true, frames) <= self.slack(false, frames);
            self.transform_step(first);
        } else if long_term || display {
            self.transform_step(long_term);
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
        #[cfg(test)]
        {
            let next = if long_term {
                self.long_term.next
            } else {
                self.display.next
            };
            self.rushed += u64::from(next < self.steps(long_term));
        }
        loop {
            let analysis = if long_term {
                &self.long_term
            } else {
                &self.display
            };
            if analysis.next >= self.steps(long_term) {
                return;
            }
            self.transform_step(long_term);
        }
    }

    /// Frames until the analysis's next frame is due, less what its remaining steps need at
    /// one step per call of `frames` frames.
    fn slack(&self, long_term: bool, frames: usize) -> i64 {
        let analysis = if long_term {
            &self.long_term
        } else {
            &self.display
        };
        let remaining = self.steps(long_term).saturating_sub(analysis.next);
        (analysis.hop - analysis.since_hop) as i64 - (remaining * frames.max(1)) as i64
    }

    /// Steps of one frame of the long-term or the display analysis: the plan's steps per
    /// channel, then those that add the frame to the average (or the peak).
    fn steps(&self, long_term: bool) -> usize {
        let analysis = if long_term {
            &self.long_term
        } else {
            &self.display
        };
        let plan = &self.plans[analysis.plan];
        self.active_count * plan.steps() + plan.finish_parts()
    }

    /// One step of one channel's transform (the steps of [`split_fft`]), or one of the
    /// finishing steps that add the frame to the average or the display peak.
    fn transform_step(&mut self, long_term: bool) {
        #[cfg(target_arch = "x86_64")]
        if self.kernel.variant() != Variant::Portable {
            // SAFETY: every kernel but the portable one needs AVX2 (Kernel::detect).
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
        let half = size / 2;
        let bins = half + 1;
        let per_channel = plan.steps();
        let transformed = self.active_count * per_channel;
        if analysis.next >= transformed {
            // The finishing steps: the frame goes into the average, or the display peak, a
            // part of the bins at a time (16385 sums in one call were the largest step).
            let part = analysis.next - transformed;
            let range = plan.finish_range(part);
            let last = part + 1 == plan.finish_parts();
            analysis.next += 1;
            let power = &analysis.power[range.clone()];
            if long_term {
                if part == 0 {
                    self.long_term_adding = self.running;
                }
                if self.long_term_adding {
                    for (sum, &p) in self.long_term_sum[range.clone()].iter_mut().zip(power) {
                        *sum += p as f64;
                    }
                    if last {
                        self.long_term_frames += 1;
                        self.long_term_ahead = 0;
                    } else {
                        self.long_term_ahead = range.end;
                    }
                }
            } else {
                for (peak, &p) in self.display_peak[range].iter_mut().zip(power) {
                    *peak = peak.max(p);
                }
            }
            if last {
                analysis.finished += 1;
            }
            return;
        }
        let slot = analysis.next / per_channel;
        let step = plan.step(analysis.next % per_channel);
        let stride = analysis.capacity / 2 + 1;
        let packed_at = slot * (analysis.capacity / 2);
        // One block is packed and transformed where its spectrum goes (see `split_fft`).
        let blocks = if plan.one_block() {
            &mut analysis.spectra[slot * stride..][..half]
        } else {
            &mut analysis.packed[packed_at..][..half]
        };
        let avx2 = self.kernel.variant() != Variant::Portable;
        match step {
            Step::Pack(part) => {
                let c = self.active[slot];
                let history = &self.history[c * HISTORY_LEN..(c + 1) * HISTORY_LEN];
                split_fft::window_and_pack(
                    plan,
                    history,
                    analysis.frame_start,
                    part,
                    &mut analysis.windowed,
                    blocks,
                    avx2,
                );
            }
            Step::Fft(block) => plan.block_fft(blocks, block, &mut self.scratch),
            Step::JoinBlocks { level, pair, part } => {
                // Levels alternate between the packing buffer and the second one.
                let packed = &mut analysis.packed[packed_at..][..half];
                let quarters = &mut analysis.quarters[..half];
                let (input, output) = if level % 2 == 0 {
                    (&*packed, quarters)
                } else {
                    (&*quarters, packed)
                };
                split_fft::join_blocks(plan, input, output, (level, pair, part), avx2);
            }
            Step::Join(part) => {
                let quarters = if plan.levels() % 2 == 1 {
                    &analysis.quarters[..half]
                } else {
                    &analysis.packed[packed_at..][..half]
                };
                let spectrum = &mut analysis.spectra[slot * stride..][..bins];
                split_fft::join(plan, quarters, spectrum, part, avx2);
            }
            Step::Split(part) => {
                let spectrum = &mut analysis.spectra[slot * stride..][..bins];
                split_fft::split(plan, spectrum, part, avx2);
            }
            Step::Power(part) => {
                let spectrum = &analysis.spectra[slot * stride..][..bins];
                let power = &mut analysis.power[..bins];
                let first = slot == 0;
                split_fft::add_power(plan, spectrum, power, self.weights[slot], first, part);
            }
            Step::Stereo => {}
        }
        // With both channels of a stereo frame transformed, the per-band stereo sums.
        if long_term && slot == 1 && plan.stereo_after(step) {
            if let Some(stereo) = self.stereo.as_mut() {
                let left = &analysis.spectra[..bins];
                let right = &analysis.spectra[stride..stride + bins];
                stereo.add_frame(left, right, self.running, avx2);
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
            ahead: self.long_term_ahead,
            fft_size: FFT_SIZES[self.long_term.plan],
            sample_rate_hz: self.sample_rate_hz,
        }
    }

    /// The latest display frame (power per bin) and a counter of frames since reset, or `None`
    /// while display frames are off and until the first frame since they started over (see
    /// [`Self::display_epoch`]; the zeroed buffer of a new size is never offered).
    pub fn display_frame(&self) -> Option<(&[f32], u64)> {
        if !self.display_on || self.display.finished == self.display_epoch_start {
            return None;
        }
        let bins = FFT_SIZES[self.display.plan] / 2 + 1;
        Some((&self.display.power[..bins], self.display.finished))
    }

    /// Changes whenever the display frames start over (reset, a new size, display on again):
    /// a frame of another epoch with the same count is another frame.
    pub fn display_epoch(&self) -> u64 {
        self.display_epoch
    }

    /// Per-bin maximum of the display frames since the last [`Self::clear_display_peak`].
    pub fn display_peak(&self) -> &[f32] {
        let bins = FFT_SIZES[self.display.plan] / 2 + 1;
        &self.display_peak[..bins]
    }

    pub fn clear_display_peak(&mut self) {
        self.display_peak.fill(0.0);
    }

    /// Clears the display peak's bins in `range` (those published).
    pub fn clear_display_peak_range(&mut self, range: std::ops::Range<usize>) {
        let bins = FFT_SIZES[self.display.plan] / 2 + 1;
        let end = range.end.min(bins);
        self.display_peak[range.start.min(end)..end].fill(0.0);
    }
}
