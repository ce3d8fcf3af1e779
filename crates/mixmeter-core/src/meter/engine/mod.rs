//! The meter: every reading of the core from one pass over the audio, in fixed memory.
//!
//! Signal flow (ITU-R BS.1770-5 Annex 1; EBU R128; EBU Tech 3341 "EBU mode"; Tech 3342):
//! input -> non-finite samples counted and replaced by the last finite one -> K-weighting ([`super::kweight`])
//! -> weighted squares summed into fragments of [`FRAGMENT_MS`] ms. Fragments go into a ring
//! holding 3 s; momentary (400 ms) and short-term (3 s) loudness are running sums over the
//! last 80 and 600 fragments. Every 100 ms (20 fragments) a 400 ms gating block (75 %
//! overlap, BS.1770 clause 5) and a short-term value go into the gating histograms
//! ([`super::gating`]). Tech 3342 (v4, 2016) clause 3 asks for short-term values at 10 Hz or
//! more (consecutive 3 s windows overlapping by at least 2.9 s), as ffmpeg's `ebur128` filter
//! takes them; libebur128 and the `ebur128` crate take one per second, which reads up to a few
//! LU apart on short or uneven programmes. True peak ([`super::truepeak`]) and sample peak are
//! kept per fragment and per 100 ms group.
//!
//! Partial windows: momentary and short-term loudness (and their maxima, the history points
//! and the readings made from them: PSR, short-term mono loss) have no value until their
//! window holds audio measured since the last reset: 400 ms for momentary, 3 s for short-term
//! (the windows of EBU Tech 3341 clause 2.2). A window partly filled after a reset would read
//! low (a -6 LUFS tone reads -7.3 LUFS 300 ms in), and a meter showing that number invites
//! trust it has not earned. The analyzer and the plugin both read these values, so they agree.
//! (The mono check's level match follows the ratio of mono to stereo energy, which a partly
//! filled window measures without bias, so it follows from the first fragment.)
//!
//! Loudness range describes a programme's distribution of short-term loudness: Tech 3341
//! (v4, 2016) asks a meter to signal that it is not yet stable within the first
//! [`RANGE_SETTLED_S`] seconds, and EBU R128 s1 calls it not meaningful for short-form content.
//! [`Readings::loudness_range_settled`] says whether that much was measured.
//!
//! Why 5 ms fragments: Tech 3341 cases 10, 11, 13 and 14 ask for the maximum momentary and
//! short-term loudness of bursts that start anywhere in time to within 0.1 LU; a 5 ms hop
//! misses at most 5 ms of a 400 ms burst (-0.05 LU). BS.1770's gating blocks keep their
//! 100 ms hop.
//!
//! Results do not depend on how the audio is sliced into blocks: `process` splits its input at
//! fragment boundaries counted from the last reset, and all sums run in sample order.
//!
//! EBU mode: [`Meter::start`], [`Meter::pause`], [`Meter::reset`]. While paused, momentary and
//! short-term loudness stay live; integrated loudness, loudness range, maxima, true-peak
//! maxima, whole-measurement correlation, crest factor and measured time are frozen.
//!
//! Definitions beyond BS.1770 (stated here because mixing guides use them loosely):
//! - PLR = maximum true peak (dBTP) - integrated loudness; PSR = true peak of the last 3 s -
//!   short-term loudness.
//! - Crest factor = sample peak (dBFS) - RMS (dBFS, unweighted, averaged over channels), over
//!   the whole measurement and over the last 3 s.
//! - Correlation = sum(L R) / sqrt(sum(L^2) sum(R^2)) of the unweighted signal: live over
//!   400 ms, and over the whole measurement.
//! - Balance = K-weighted energy of L over R in dB over 3 s (positive: left louder).
//! - Mono loss = loudness of (L+R)/2 on both channels - stereo loudness, in LU, short-term and
//!   integrated (with its own gating). 0 for a mono mix, negative when the mix folds badly.
//!   Since K-weighting is linear, it comes from the K-weighted cross term: no second filter.
//! - Clipped runs: flat tops of at least 3 equal samples at -3 dBFS or above, over the
//!   measurement ([`super::clips`]; frozen while paused, like the maxima).
//!
//! Real-time: `process`, `start`, `pause`, `reset` and the readings never allocate, lock, log
//! or panic; everything is sized in [`Meter::new`].
//!
//! The meter is composed of parts that each own their state, `new` and `reset`:
//! `input` (the fragment being filled: sanitizing, K-weighting, peaks), `windows` (the
//! ring and the momentary and short-term sums), `peaks` (per group, maxima, live),
//! `loudness` (energies, maxima, gating, range, whole-measurement sums) and `history` (the
//! 100 ms points, a timeline kept across resets); `config` says what is measured and
//! `readings` what comes out.

mod config;
mod history;
mod input;
mod loudness;
mod peaks;
mod readings;
mod windows;

pub use config::{
    MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ, MeterConfig, MeterError, WEIGHT_FRONT, WEIGHT_SURROUND,
    spectrum_analyzer,
};
pub use history::{HISTORY_HOPS, LoudnessPoint};
pub use readings::{BALANCE_LIMIT_DB, RANGE_SETTLED_S, Readings};
pub use windows::{MOMENTARY_FRAGMENTS, SHORT_TERM_FRAGMENTS};

use super::MAX_CHANNELS;
use super::clips::ClipCount;
use super::gating::{IntegratedHistogram, RangeHistogram, energy_to_lufs};
use super::moments::{self, Moments};
use super::spectrum::SpectrumAnalyzer;
use super::stereo::StereoBands;
use history::History;
use input::FragmentInput;
use loudness::Loudness;
use peaks::{FragmentPeak, GROUP_FRAGMENTS, Peaks};
use readings::{balance_db, correlation, gated_lufs, peak_db};
use windows::Windows;

/// Length of a fragment.
pub const FRAGMENT_MS: f64 = 5.0;
pub const FRAGMENTS_PER_SECOND: u64 = 200;
/// Fragments between gating blocks (100 ms, BS.1770 clause 5: 75 % overlap).
pub const HOP_FRAGMENTS: u64 = GROUP_FRAGMENTS;
/// Fragments between short-term values for loudness range (100 ms, 10 Hz: 3 s windows
/// overlapping by 2.9 s, the least Tech 3342 clause 3 allows).
pub const RANGE_HOP_FRAGMENTS: u64 = 20;

pub struct Meter {
    config: MeterConfig,
    input: FragmentInput,
    windows: Windows,
    peaks: Peaks,
    loudness: Loudness,
    history: History,
    /// Where the maxima and the overs are ([`super::moments`]).
    moments: Moments,
    /// The spectrum analyzer, when configured; it follows start, pause and reset.
    spectrum: Option<SpectrumAnalyzer>,
    /// Samples since reset, the sample index where the current fragment ends, and the
    /// fragments finished since reset.
    samples_total: u64,
    fragment_end: u64,
    fragments: u64,
    running: bool,
    /// Pieces of host blocks shorter than [`GATHER_FRAMES`] gathered for the current fragment,
    /// per configured channel (sized for a whole fragment), measured together when the
    /// fragment ends or [`GATHER_FRAMES`] are gathered: the input's fixed cost per piece
    /// (filter states in and out, the finite check, the true-peak bookkeeping) is paid once
    /// per fragment, not once per host block.
    gather: Box<[Box<[f32]>]>,
    /// Frames gathered, and the channel count they came with.
    gathered: usize,
    gathered_channels: usize,
    /// Clipped runs of the measurement ([`super::clips`]).
    clips: ClipCount,
    /// `samples_total` when [`Meter::end_programme`] last measured the partial fragment
    /// (`u64::MAX`: not since the reset), so that a second call adds nothing.
    ended_at: u64,
}

/// Host-block pieces shorter than this are gathered before they are measured (see
/// [`Meter::process`]). At least a 48 kHz fragment (240 frames), so 64-frame blocks are
/// measured once per fragment there; small enough that a call which measures what was
/// gathered stays close to one that does not at 192 kHz (960-frame fragments).
pub const GATHER_FRAMES: usize = 256;

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("config", &self.config)
            .field("readings", &self.readings())
            .finish()
    }
}

impl Meter {
    /// Allocates everything the meter will ever use. Starts running.
    pub fn new(config: MeterConfig) -> Result<Self, MeterError> {
        let over_ceiling_gain = config.validate()?;
        let spectrum = config
            .spectrum
            .then(|| spectrum_analyzer(&config))
            .transpose()?;
        let mut meter = Self {
            config,
            input: FragmentInput::new(&config, over_ceiling_gain),
            windows: Windows::new(config.sample_rate_hz),
            peaks: Peaks::new(),
            loudness: Loudness::new(),
            history: History::new(),
            moments: Moments::new(over_ceiling_gain),
            spectrum,
            samples_total: 0,
            fragment_end: 0,
            fragments: 0,
            running: true,
            gather: (0..config.channels)
                .map(|_| {
                    vec![0.0f32; max_fragment_frames(config.sample_rate_hz)].into_boxed_slice()
                })
                .collect(),
            gathered: 0,
            gathered_channels: 0,
            clips: ClipCount::default(),
            ended_at: u64::MAX,
        };
        meter.reset();
        Ok(meter)
    }

    pub fn config(&self) -> &MeterConfig {
        &self.config
    }

    /// Starts a new measurement (keeps running or paused as it was). The loudness history is a
    /// timeline and is not cleared.
    pub fn reset(&mut self) {
        self.input.reset();
        self.windows.reset();
        self.peaks.reset();
        self.loudness.reset();
        self.moments.reset();
        self.samples_total = 0;
        self.fragments = 0;
        self.fragment_end = self.boundary(1);
        self.gathered = 0;
        self.clips = ClipCount::default();
        self.ended_at = u64::MAX;
        if let Some(spectrum) = self.spectrum.as_mut() {
            spectrum.reset();
        }
    }

    /// Continues (or starts) integrating.
    pub fn start(&mut self) {
        self.set_running(true);
    }

    /// Freezes integration; momentary and short-term stay live.
    pub fn pause(&mut self) {
        self.set_running(false);
    }

    fn set_running(&mut self, running: bool) {
        self.running = running;
        if let Some(spectrum) = self.spectrum.as_mut() {
            spectrum.set_running(running);
        }
    }

    /// The spectrum analyzer, when configured.
    pub fn spectrum(&self) -> Option<&SpectrumAnalyzer> {
        self.spectrum.as_ref()
    }

    pub fn spectrum_mut(&mut self) -> Option<&mut SpectrumAnalyzer> {
        self.spectrum.as_mut()
    }

    /// The stereo image per band (stereo with the spectrum configured).
    pub fn stereo_bands(&self) -> Option<&StereoBands> {
        self.spectrum.as_ref()?.stereo_bands()
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Where the maximum true peak, the loudest 3 s and the overs are (sample positions since
    /// the last reset; see [`super::moments`]).
    pub fn moments(&self) -> &Moments {
        &self.moments
    }

    /// The gated blocks of integrated loudness so far, to pool with other measurements
    /// ([`IntegratedHistogram::merge`]: an album's loudness).
    pub fn integrated_histogram(&self) -> &IntegratedHistogram {
        self.loudness.integrated_histogram()
    }

    /// The short-term values of loudness range so far, to pool with other measurements.
    pub fn range_histogram(&self) -> &RangeHistogram {
        self.loudness.range_histogram()
    }

    /// Whether the momentary window (400 ms) holds only audio measured since the last reset.
    pub fn momentary_window_full(&self) -> bool {
        self.fragments >= MOMENTARY_FRAGMENTS as u64
    }

    /// Whether the short-term window (3 s) holds only audio measured since the last reset.
    pub fn short_term_window_full(&self) -> bool {
        self.fragments >= SHORT_TERM_FRAGMENTS as u64
    }

    /// Short-term (3 s) mono loss, LU, from the first fragment after a reset (a ratio of two
    /// energies over the same window, unbiased while the window fills): what the mono check's
    /// level match follows. The reading of the same name has no value until the window is full.
    pub fn mono_loss_short_term_lu(&self) -> Option<f64> {
        // The window's energy as it stands, full or not.
        let stereo_energy = self.windows.short_term_energy();
        match self.config.channels {
            2 => gated_lufs(stereo_energy)
                .and_then(|s| energy_to_lufs(self.windows.short_term_mono_energy()).map(|m| m - s)),
            1 => gated_lufs(stereo_energy).map(|_| 0.0),
            _ => None,
        }
    }

    /// How many loudness history points there have been (one per 100 ms of audio, paused or
    /// not, reset or not).
    pub fn history_count(&self) -> u64 {
        self.history.count()
    }

    /// The loudness history points numbered `next` and up (point `n` is the `n`-th 100 ms hop),
    /// as far as they are still kept ([`HISTORY_HOPS`]): read them at least every 12.8 s of
    /// audio to see every one.
    pub fn history_since(&self, next: u64) -> impl Iterator<Item = (u64, LoudnessPoint)> + '_ {
        self.history.since(next)
    }

    /// The largest momentary and short-term loudness (LUFS, "no value" below the absolute gate)
    /// at any fragment finished since the previous call, paused or not; the next interval
    /// starts empty. A reader taking one point per 100 ms gets each interval's maximum, so a
    /// burst between two points is not read up to 0.5 dB low.
    pub fn take_loudness_maxima(&mut self) -> (Option<f64>, Option<f64>) {
        self.loudness.take_interval_maxima()
    }

    /// Per-channel true and sample peak (linear) since the previous call: the live peaks an
    /// editor draws, "maximum since the last read".
    pub fn take_live_peaks(&mut self) -> ([f32; MAX_CHANNELS], [f32; MAX_CHANNELS]) {
        self.peaks.take_live()
    }

    /// Sample index (since reset) at which fragment `k` ends: fragment lengths alternate so
    /// that boundaries stay on the exact 5 ms grid at any rate.
    fn boundary(&self, k: u64) -> u64 {
        let rate = self.config.sample_rate_hz;
        ((k as f64 * rate / FRAGMENTS_PER_SECOND as f64) + 0.5).floor() as u64
    }

    /// Measures one block; `block[c]` is channel `c`. Channels beyond the configured count are
    /// ignored; a block with fewer channels than configured measures those it has.
    ///
    /// The block is split at fragment boundaries. A piece that ends its fragment, or is at
    /// least [`GATHER_FRAMES`] long, with nothing gathered before it, is measured in place;
    /// shorter pieces are copied and measured together when their fragment ends or
    /// [`GATHER_FRAMES`] frames are gathered. The same samples go through the same filters
    /// and sums in the same order either way (every bit the same, whatever the host's block
    /// size), and every reading changes only when a fragment ends, which always measures what
    /// was gathered. (The count of non-finite samples follows as each piece is measured.)
    pub fn process<C: AsRef<[f32]>>(&mut self, block: &[C]) {
        let channels = self.config.channels.min(block.len());
        if channels == 0 {
            return;
        }
        if self.gathered > 0 && channels != self.gathered_channels {
            self.measure_gathered(false);
        }
        let frames = super::block_frames(block, channels);
        let mut position = 0;
        while position < frames {
            let to_boundary = (self.fragment_end - self.samples_total) as usize;
            let n = to_boundary.min(frames - position);
            let ends_fragment = n == to_boundary;
            if self.gathered == 0 && (ends_fragment || n >= GATHER_FRAMES) {
                let peaks = &self.peaks;
                self.input
                    .accumulate(block, channels, position, n, ends_fragment, |c| {
                        peaks.recent_true_peak(c)
                    });
            } else {
                let at = self.gathered;
                for (gather, channel) in self.gather.iter_mut().zip(block).take(channels) {
                    gather[at..at + n].copy_from_slice(&channel.as_ref()[position..position + n]);
                }
                self.gathered += n;
                self.gathered_channels = channels;
                if ends_fragment || self.gathered >= GATHER_FRAMES {
                    self.measure_gathered(ends_fragment);
                }
            }
            position += n;
            self.samples_total += n as u64;
            if self.samples_total >= self.fragment_end {
                self.finish_fragment();
            }
        }
        if let Some(spectrum) = self.spectrum.as_mut() {
            spectrum.process(&block[..channels]);
        }
    }

    /// The programme ends here (a file's last sample): the peaks and clipped runs of the
    /// samples after the last whole fragment (up to 5 ms) count in the readings, as every
    /// sample's must. Their loudness does not: they are too short for any window, and the
    /// loudness readings stay those of whole fragments (BS.1770's gating blocks, and the other
    /// meters', ignore a partial block too). The last call of a measurement: a [`Meter::reset`]
    /// starts the next one (audio measured after it without one loses those samples'
    /// loudness).
    pub fn end_programme(&mut self) {
        if self.samples_total == self.boundary(self.fragments)
            || self.ended_at == self.samples_total
        {
            return;
        }
        self.ended_at = self.samples_total;
        // Measure what was gathered, and what the true peak holds back.
        let channels = if self.gathered > 0 {
            self.gathered_channels
        } else {
            self.config.channels
        };
        self.gathered_channels = channels;
        self.measure_gathered(true);
        let fragment = self.input.finish(&self.config);
        let peak = self.peaks.fragment(
            self.config.channels,
            &fragment.sample_peak,
            &fragment.true_peak,
            self.running,
        );
        if self.running {
            self.mark(&fragment, peak, false);
        }
    }

    /// Counts a finished fragment's clipped runs and marks where its maxima are (while
    /// running).
    fn mark(&mut self, fragment: &input::Fragment, peak: FragmentPeak, new_max_short_term: bool) {
        self.clips.add(fragment.clips);
        self.moments.fragment(moments::Fragment {
            start: self.samples_total - fragment.sums.samples,
            end: self.samples_total,
            true_peak: peak.true_peak,
            new_max_true_peak: peak.new_max,
            new_max_short_term,
        });
    }

    /// Measures the gathered pieces as one.
    fn measure_gathered(&mut self, ends_fragment: bool) {
        let n = std::mem::take(&mut self.gathered);
        let peaks = &self.peaks;
        self.input.accumulate(
            &self.gather,
            self.gathered_channels,
            0,
            n,
            ends_fragment,
            |c| peaks.recent_true_peak(c),
        );
    }

    fn finish_fragment(&mut self) {
        let channels = self.config.channels;
        let fragment = self.input.finish(&self.config);
        let peak = self.peaks.fragment(
            channels,
            &fragment.sample_peak,
            &fragment.true_peak,
            self.running,
        );
        self.windows.push(fragment.sums);
        self.fragments += 1;
        self.fragment_end = self.boundary(self.fragments + 1);
        let hop = self.fragments % HOP_FRAGMENTS == 0;
        if hop {
            self.peaks.end_group();
        }

        // A window not yet filled since the reset has no value (energy 0 is below the gate).
        let momentary_energy = if self.momentary_window_full() {
            self.windows.momentary_energy()
        } else {
            0.0
        };
        let short_term_energy = if self.short_term_window_full() {
            self.windows.short_term_energy()
        } else {
            0.0
        };
        self.loudness.windows(momentary_energy, short_term_energy);

        if hop {
            let lufs = |e: f64| gated_lufs(e).map_or(f32::NEG_INFINITY, |l| l as f32);
            self.history.push(LoudnessPoint {
                momentary_lufs: lufs(momentary_energy),
                short_term_lufs: lufs(short_term_energy),
            });
        }

        if self.running {
            let new_max_short_term = short_term_energy > self.loudness.max_short_term_energy;
            self.mark(&fragment, peak, new_max_short_term);
            self.loudness.measure(&fragment.sums);
            if hop && self.fragments >= MOMENTARY_FRAGMENTS as u64 {
                let mono = (channels == 2).then(|| self.windows.momentary_mono_energy());
                self.loudness.gating_block(channels, mono);
            }
            if self.fragments % RANGE_HOP_FRAGMENTS == 0
                && self.fragments >= SHORT_TERM_FRAGMENTS as u64
            {
                self.loudness.range_value();
            }
        }
    }

    /// The readings as of the last finished fragment (at most 5 ms old). Computed on request
    /// from the running sums (about a dozen logarithms): `process` itself only keeps sums and
    /// maxima in the energy domain.
    pub fn readings(&self) -> Readings {
        let channels = self.config.channels;
        let l = &self.loudness;
        let short_term = gated_lufs(l.short_term_energy);
        let mut r = Readings {
            channels,
            running: self.running,
            measured_s: l.measured_samples as f64 / self.config.sample_rate_hz,
            momentary_lufs: gated_lufs(l.momentary_energy),
            short_term_lufs: short_term,
            integrated_lufs: l.integrated_lufs,
            loudness_range_lu: l.loudness_range_lu,
            mono_loss_integrated_lu: l.mono_loss_integrated_lu,
            max_momentary_lufs: gated_lufs(l.max_momentary_energy),
            max_short_term_lufs: gated_lufs(l.max_short_term_energy),
            non_finite_samples: self.input.non_finite_samples(),
            clipped_runs: self.clips.runs,
            longest_clipped_run: self.clips.longest,
            ..Readings::default()
        };
        let (recent_tp, recent_sp) = self.peaks.fill(channels, &mut r);
        r.recent_true_peak_dbtp = peak_db(recent_tp);
        r.plr_db = r
            .max_true_peak_dbtp
            .zip(r.integrated_lufs)
            .map(|(p, i)| p - i);
        r.psr_db = r.recent_true_peak_dbtp.zip(short_term).map(|(p, s)| p - s);

        let rms_db = |power: f64, samples: u64| {
            (power > 0.0 && samples > 0)
                .then(|| 10.0 * (power / (samples as f64 * channels as f64)).log10())
        };
        r.crest_factor_db = r
            .max_sample_peak_dbfs
            .zip(rms_db(l.total.raw_power, l.total.samples))
            .map(|(p, rms)| p - rms);
        let s = &self.windows.short_term;
        r.short_term_crest_factor_db = peak_db(recent_sp)
            .zip(rms_db(s.raw_power, s.samples))
            .map(|(p, rms)| p - rms);

        if channels == 2 {
            let m = &self.windows.momentary;
            r.correlation = correlation(m.raw_left, m.raw_right, m.raw_cross);
            let t = &l.total;
            r.integrated_correlation = correlation(t.raw_left, t.raw_right, t.raw_cross);
            r.balance_db = balance_db(s.k_left, s.k_right);
        }
        r.mono_loss_short_term_lu = self
            .mono_loss_short_term_lu()
            .filter(|_| self.short_term_window_full());
        r
    }
}

/// The longest fragment at `sample_rate_hz`, in frames (fragment lengths alternate so their
/// boundaries stay on the 5 ms grid).
fn max_fragment_frames(sample_rate_hz: f64) -> usize {
    (sample_rate_hz / FRAGMENTS_PER_SECOND as f64).ceil() as usize + 1
}

#[cfg(test)]
mod tests;
