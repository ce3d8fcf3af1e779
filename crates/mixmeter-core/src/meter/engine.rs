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
//!
//! Real-time: `process`, `start`, `pause`, `reset` and the readings never allocate, lock, log
//! or panic; everything is sized in [`Meter::new`].

use super::gating::{ABSOLUTE_GATE_LUFS, IntegratedHistogram, RangeHistogram, energy_to_lufs};
use super::kweight::{ChannelState, KWeighting, StereoSums};
use super::moments::{self, Moments};
use super::spectrum::{SpectrumAnalyzer, SpectrumError};
use super::stereo::StereoBands;
use super::truepeak::TruePeak;
use super::{MAX_CHANNELS, gain_to_db};

/// Length of a fragment.
pub const FRAGMENT_MS: f64 = 5.0;
pub const FRAGMENTS_PER_SECOND: u64 = 200;
/// Fragments of the momentary window (400 ms).
pub const MOMENTARY_FRAGMENTS: usize = 80;
/// Fragments of the short-term window (3 s).
pub const SHORT_TERM_FRAGMENTS: usize = 600;
/// Fragments between gating blocks (100 ms, BS.1770 clause 5: 75 % overlap).
pub const HOP_FRAGMENTS: u64 = 20;
/// Fragments between short-term values for loudness range (100 ms, 10 Hz: 3 s windows
/// overlapping by 2.9 s, the least Tech 3342 clause 3 allows).
pub const RANGE_HOP_FRAGMENTS: u64 = 20;
/// Measured time below which loudness range is not yet stable (Tech 3341 v4 asks the meter to
/// signal this for the first 60 s; EBU R128 s1: LRA is not meaningful for short-form content).
pub const RANGE_SETTLED_S: f64 = 60.0;
/// 100 ms peak groups kept for the 3 s peak window.
const PEAK_GROUPS: usize = SHORT_TERM_FRAGMENTS / HOP_FRAGMENTS as usize;
/// Balance readings are clamped here when one channel is silent.
pub const BALANCE_LIMIT_DB: f64 = 60.0;
/// The supported sample-rate range, Hz.
pub const MIN_SAMPLE_RATE_HZ: f64 = 8_000.0;
pub const MAX_SAMPLE_RATE_HZ: f64 = 384_000.0;

/// BS.1770-5 Table 3 channel weights.
pub const WEIGHT_FRONT: f64 = 1.0;
pub use super::layout::WEIGHT_SURROUND;

/// A configuration the meter cannot measure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeterError {
    #[error("unsupported sample rate {0} Hz (the meter measures 8 kHz to 384 kHz)")]
    SampleRate(f64),
    #[error("unsupported channel count {0} (the meter measures 1 to {MAX_CHANNELS} channels)")]
    Channels(usize),
    #[error("channel weights must be finite and non-negative")]
    Weights,
    #[error("the over ceiling must be a finite dBTP value")]
    OverCeiling,
    #[error(transparent)]
    Spectrum(#[from] SpectrumError),
}

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterConfig {
    pub sample_rate_hz: f64,
    pub channels: usize,
    /// BS.1770 weight per channel (1.0 front, 1.41 surround, 0.0 for LFE).
    pub weights: [f64; MAX_CHANNELS],
    /// Also run the spectrum analyzer ([`super::spectrum`]), with the same weights.
    pub spectrum: bool,
    /// Count overs above this true-peak ceiling, dBTP ([`super::moments`]); the true-peak
    /// detector then also refines every interval that could exceed it.
    pub over_ceiling_dbtp: Option<f64>,
}

impl MeterConfig {
    /// Mono or stereo (all weights 1.0), the plugin's layouts.
    pub fn new(sample_rate_hz: f64, channels: usize) -> Self {
        Self {
            sample_rate_hz,
            channels,
            weights: [WEIGHT_FRONT; MAX_CHANNELS],
            spectrum: false,
            over_ceiling_dbtp: None,
        }
    }

    /// Counts overs above a true-peak ceiling ([`Meter::moments`]).
    pub fn with_over_ceiling(mut self, ceiling_dbtp: f64) -> Self {
        self.over_ceiling_dbtp = Some(ceiling_dbtp);
        self
    }

    /// Adds the spectrum analyzer (long-term average always, display frames on request).
    pub fn with_spectrum(mut self) -> Self {
        self.spectrum = true;
        self
    }

    pub fn with_weights(mut self, weights: &[f64]) -> Self {
        for (slot, &w) in self.weights.iter_mut().zip(weights) {
            *slot = w;
        }
        self
    }
}

/// Every reading, as plain values. `None` is "no value" (silence, or nothing above the gate
/// yet), never a floor number.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Readings {
    pub channels: usize,
    pub running: bool,
    /// Audio integrated so far (running time), seconds.
    pub measured_s: f64,
    pub momentary_lufs: Option<f64>,
    pub short_term_lufs: Option<f64>,
    pub integrated_lufs: Option<f64>,
    pub loudness_range_lu: Option<f64>,
    pub max_momentary_lufs: Option<f64>,
    pub max_short_term_lufs: Option<f64>,
    /// Maximum true peak per channel over the measurement, dBTP.
    pub true_peak_dbtp: [Option<f64>; MAX_CHANNELS],
    pub max_true_peak_dbtp: Option<f64>,
    /// Maximum sample peak per channel over the measurement, dBFS.
    pub sample_peak_dbfs: [Option<f64>; MAX_CHANNELS],
    pub max_sample_peak_dbfs: Option<f64>,
    /// True peak of the last 3 s, all channels, dBTP.
    pub recent_true_peak_dbtp: Option<f64>,
    pub plr_db: Option<f64>,
    pub psr_db: Option<f64>,
    pub crest_factor_db: Option<f64>,
    pub short_term_crest_factor_db: Option<f64>,
    /// Correlation over the last 400 ms (-1..+1).
    pub correlation: Option<f64>,
    /// Correlation over the whole measurement.
    pub integrated_correlation: Option<f64>,
    /// L over R, K-weighted, last 3 s, dB (positive: left louder).
    pub balance_db: Option<f64>,
    pub mono_loss_short_term_lu: Option<f64>,
    pub mono_loss_integrated_lu: Option<f64>,
    pub non_finite_samples: u64,
}

impl Readings {
    /// Whether enough was measured for loudness range to describe a programme: at least
    /// [`RANGE_SETTLED_S`] of running time. Before that the reading is shown with a note.
    pub fn loudness_range_settled(&self) -> bool {
        self.measured_s >= RANGE_SETTLED_S
    }
}

/// Sums over one fragment (or a window of fragments).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    samples: u64,
    /// sum over channels of weight * sum of K-weighted squares.
    energy: f64,
    /// K-weighted sums of squares of L and R, and of L*R (stereo only).
    k_left: f64,
    k_right: f64,
    k_cross: f64,
    /// Unweighted sums of squares of L and R, and of L*R (stereo only).
    raw_left: f64,
    raw_right: f64,
    raw_cross: f64,
    /// Unweighted sum of squares over all channels.
    raw_power: f64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.samples += o.samples;
        self.energy += o.energy;
        self.k_left += o.k_left;
        self.k_right += o.k_right;
        self.k_cross += o.k_cross;
        self.raw_left += o.raw_left;
        self.raw_right += o.raw_right;
        self.raw_cross += o.raw_cross;
        self.raw_power += o.raw_power;
    }

    fn sub(&mut self, o: &Sums) {
        self.samples -= o.samples;
        self.energy -= o.energy;
        self.k_left -= o.k_left;
        self.k_right -= o.k_right;
        self.k_cross -= o.k_cross;
        self.raw_left -= o.raw_left;
        self.raw_right -= o.raw_right;
        self.raw_cross -= o.raw_cross;
        self.raw_power -= o.raw_power;
    }

    /// K-weighted energy of (L+R)/2 on both channels, as a weighted sum of squares.
    fn mono_energy(&self) -> f64 {
        (self.k_left + self.k_right + 2.0 * self.k_cross) / 2.0
    }
}

fn correlation(left: f64, right: f64, cross: f64) -> Option<f64> {
    (left > 0.0 && right > 0.0).then(|| (cross / (left * right).sqrt()).clamp(-1.0, 1.0))
}

/// Loudness of an energy, "no value" below the absolute gate.
/// Loudness history points kept in the meter between two reads: 12.8 s of 100 ms hops, more
/// than any host block.
pub const HISTORY_HOPS: usize = 128;

/// Momentary and short-term loudness at one 100 ms hop, LUFS; `-inf` is "no value" (below the
/// absolute gate). `f32` keeps a point to 8 bytes (one atomic word in the editor's bridge).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessPoint {
    pub momentary_lufs: f32,
    pub short_term_lufs: f32,
}

impl LoudnessPoint {
    pub const SILENT: LoudnessPoint = LoudnessPoint {
        momentary_lufs: f32::NEG_INFINITY,
        short_term_lufs: f32::NEG_INFINITY,
    };
}

impl Default for LoudnessPoint {
    fn default() -> Self {
        Self::SILENT
    }
}

fn gated_lufs(energy: f64) -> Option<f64> {
    energy_to_lufs(energy).filter(|&l| l >= ABSOLUTE_GATE_LUFS)
}

fn peak_db(gain: f32) -> Option<f64> {
    (gain > 0.0).then(|| gain_to_db(gain) as f64)
}

/// The largest |sample| of `input` and whether every sample is finite, in one pass the
/// compiler vectorises: per-lane maxima by comparison (a running scalar maximum, or
/// `f32::max` with its NaN rules, would not vectorise), and `x * 0.0`, which is 0 for every
/// finite sample and NaN for NaN and the infinities, summed per lane.
fn peak_and_finite(input: &[f32]) -> (f32, bool) {
    const W: usize = 8;
    let mut peak = [0.0f32; W];
    let mut poison = [0.0f32; W];
    let chunks = input.chunks_exact(W);
    let rest = chunks.remainder();
    for chunk in chunks {
        let x: &[f32; W] = chunk.try_into().unwrap();
        for j in 0..W {
            let a = x[j].abs();
            peak[j] = if a > peak[j] { a } else { peak[j] };
            poison[j] += x[j] * 0.0;
        }
    }
    for (j, &x) in rest.iter().enumerate() {
        let a = x.abs();
        peak[j] = if a > peak[j] { a } else { peak[j] };
        poison[j] += x * 0.0;
    }
    let peak = peak.iter().fold(0.0f32, |m, &a| if a > m { a } else { m });
    (peak, poison.iter().all(|&p| p == 0.0))
}

fn max_option(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

pub struct Meter {
    config: MeterConfig,
    kweight: KWeighting,
    filter: [ChannelState; MAX_CHANNELS],
    true_peak: TruePeak,
    /// Sanitized input of the current piece, per channel (max one fragment).
    scratch: Box<[Box<[f32]>]>,
    /// Samples since reset, and the sample index where the current fragment ends.
    samples_total: u64,
    fragment_end: u64,
    fragments: u64,
    /// Per-channel K-weighted and unweighted sums of squares of the current fragment, and
    /// the stereo cross terms. Summed sample by sample in order, so the split of the input
    /// into blocks cannot change a single bit of the result.
    current_k: [f64; MAX_CHANNELS],
    current_raw: [f64; MAX_CHANNELS],
    current_k_cross: f64,
    current_raw_cross: f64,
    current_samples: u64,
    /// Last finite input sample per channel: a non-finite sample is measured as a repeat of
    /// it (a dropout, not a step to zero, so it creates no false inter-sample peak).
    last_finite: [f32; MAX_CHANNELS],
    current_sample_peak: [f32; MAX_CHANNELS],
    current_true_peak: [f32; MAX_CHANNELS],
    ring: Box<[Sums]>,
    ring_pos: usize,
    momentary: Sums,
    short_term: Sums,
    momentary_window_samples: f64,
    short_term_window_samples: f64,
    group_sample_peak: [f32; MAX_CHANNELS],
    group_true_peak: [f32; MAX_CHANNELS],
    groups_sample_peak: [[f32; MAX_CHANNELS]; PEAK_GROUPS],
    groups_true_peak: [[f32; MAX_CHANNELS]; PEAK_GROUPS],
    /// Each channel's largest true peak over the stored groups (updated once a group is
    /// stored, so the per-call floor of the true-peak detector costs no loop).
    stored_groups_true_peak: [f32; MAX_CHANNELS],
    group_pos: usize,
    running: bool,
    integrated: IntegratedHistogram,
    mono_integrated: IntegratedHistogram,
    range: RangeHistogram,
    measured_samples: u64,
    /// Mean-square energies of the momentary and short-term windows at the last fragment, and
    /// their maxima while running (dB values are computed when the readings are asked for).
    momentary_energy: f64,
    short_term_energy: f64,
    max_momentary_energy: f64,
    max_short_term_energy: f64,
    /// Largest momentary and short-term energies since the last
    /// [`Meter::take_loudness_maxima`] (paused or not): a series read every 100 ms gets the
    /// maximum over the 5 ms hops between its points, not just the value at each point.
    interval_max_momentary_energy: f64,
    interval_max_short_term_energy: f64,
    max_true_peak: [f32; MAX_CHANNELS],
    max_sample_peak: [f32; MAX_CHANNELS],
    total: Sums,
    non_finite_samples: u64,
    /// True peak per channel since the last [`Meter::take_live_true_peaks`].
    live_true_peak: [f32; MAX_CHANNELS],
    live_sample_peak: [f32; MAX_CHANNELS],
    readings: Readings,
    /// The spectrum analyzer, when configured; it follows start, pause and reset.
    spectrum: Option<SpectrumAnalyzer>,
    /// The last [`HISTORY_HOPS`] loudness points, and how many there have been since the meter
    /// was made (a timeline: reset does not clear it).
    history: [LoudnessPoint; HISTORY_HOPS],
    history_count: u64,
    /// Where the maxima and the overs are ([`super::moments`]).
    moments: Moments,
    /// The over ceiling as a linear gain (`f32::INFINITY` without one): the true-peak
    /// detector's refinement floor never exceeds it.
    over_ceiling_gain: f32,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("config", &self.config)
            .field("readings", &self.readings)
            .finish()
    }
}

/// The spectrum analyzer a meter with `config` runs (whether or not `config.spectrum` asks
/// for it): the same rate and weights. The analyzer builds it apart to run it on its own
/// thread, fed the same blocks as the meter.
pub fn spectrum_analyzer(config: &MeterConfig) -> Result<SpectrumAnalyzer, MeterError> {
    let weights = &config.weights[..config.channels];
    // A layout with only weight-0 channels (a lone LFE) is analysed unweighted.
    let mut analyzer = if weights.iter().sum::<f64>() > 0.0 {
        SpectrumAnalyzer::new(config.sample_rate_hz, weights)?
    } else {
        SpectrumAnalyzer::new(
            config.sample_rate_hz,
            &[1.0; MAX_CHANNELS][..config.channels],
        )?
    };
    // As `Meter::new` leaves it (its reset resets the analyzer too).
    analyzer.reset();
    Ok(analyzer)
}

impl Meter {
    /// Allocates everything the meter will ever use. Starts running.
    pub fn new(config: MeterConfig) -> Result<Self, MeterError> {
        let rate = config.sample_rate_hz;
        if !(MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&rate) {
            return Err(MeterError::SampleRate(rate));
        }
        if !(1..=MAX_CHANNELS).contains(&config.channels) {
            return Err(MeterError::Channels(config.channels));
        }
        if config.weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(MeterError::Weights);
        }
        let over_ceiling_gain = match config.over_ceiling_dbtp {
            Some(db) if db.is_finite() => Some(10f64.powf(db / 20.0) as f32),
            Some(_) => return Err(MeterError::OverCeiling),
            None => None,
        };
        let max_fragment = (rate / FRAGMENTS_PER_SECOND as f64).ceil() as usize + 1;
        let mut meter = Self {
            config,
            kweight: KWeighting::new(rate),
            filter: [ChannelState::default(); MAX_CHANNELS],
            true_peak: TruePeak::new(rate),
            scratch: (0..config.channels)
                .map(|_| vec![0.0f32; max_fragment].into_boxed_slice())
                .collect(),
            samples_total: 0,
            fragment_end: 0,
            fragments: 0,
            current_k: [0.0; MAX_CHANNELS],
            current_raw: [0.0; MAX_CHANNELS],
            current_k_cross: 0.0,
            current_raw_cross: 0.0,
            current_samples: 0,
            last_finite: [0.0; MAX_CHANNELS],
            current_sample_peak: [0.0; MAX_CHANNELS],
            current_true_peak: [0.0; MAX_CHANNELS],
            ring: vec![Sums::default(); SHORT_TERM_FRAGMENTS].into_boxed_slice(),
            ring_pos: 0,
            momentary: Sums::default(),
            short_term: Sums::default(),
            momentary_window_samples: (rate * 0.4).round(),
            short_term_window_samples: (rate * 3.0).round(),
            group_sample_peak: [0.0; MAX_CHANNELS],
            group_true_peak: [0.0; MAX_CHANNELS],
            groups_sample_peak: [[0.0; MAX_CHANNELS]; PEAK_GROUPS],
            groups_true_peak: [[0.0; MAX_CHANNELS]; PEAK_GROUPS],
            stored_groups_true_peak: [0.0; MAX_CHANNELS],
            group_pos: 0,
            running: true,
            integrated: IntegratedHistogram::new(),
            mono_integrated: IntegratedHistogram::new(),
            range: RangeHistogram::new(),
            measured_samples: 0,
            momentary_energy: 0.0,
            short_term_energy: 0.0,
            max_momentary_energy: 0.0,
            max_short_term_energy: 0.0,
            interval_max_momentary_energy: 0.0,
            interval_max_short_term_energy: 0.0,
            max_true_peak: [0.0; MAX_CHANNELS],
            max_sample_peak: [0.0; MAX_CHANNELS],
            total: Sums::default(),
            non_finite_samples: 0,
            live_true_peak: [0.0; MAX_CHANNELS],
            live_sample_peak: [0.0; MAX_CHANNELS],
            readings: Readings::default(),
            spectrum: None,
            history: [LoudnessPoint::SILENT; HISTORY_HOPS],
            history_count: 0,
            moments: Moments::new(over_ceiling_gain),
            over_ceiling_gain: over_ceiling_gain.unwrap_or(f32::INFINITY),
        };
        if config.spectrum {
            meter.spectrum = Some(spectrum_analyzer(&config)?);
        }
        meter.reset();
        Ok(meter)
    }

    pub fn config(&self) -> &MeterConfig {
        &self.config
    }

    /// Starts a new measurement (keeps running or paused as it was).
    pub fn reset(&mut self) {
        self.filter = [ChannelState::default(); MAX_CHANNELS];
        self.true_peak.reset();
        self.samples_total = 0;
        self.fragments = 0;
        self.fragment_end = self.boundary(1);
        self.current_k = [0.0; MAX_CHANNELS];
        self.current_raw = [0.0; MAX_CHANNELS];
        self.current_k_cross = 0.0;
        self.current_raw_cross = 0.0;
        self.current_samples = 0;
        self.last_finite = [0.0; MAX_CHANNELS];
        self.current_sample_peak = [0.0; MAX_CHANNELS];
        self.current_true_peak = [0.0; MAX_CHANNELS];
        self.ring.fill(Sums::default());
        self.ring_pos = 0;
        self.momentary = Sums::default();
        self.short_term = Sums::default();
        self.group_sample_peak = [0.0; MAX_CHANNELS];
        self.group_true_peak = [0.0; MAX_CHANNELS];
        self.groups_sample_peak = [[0.0; MAX_CHANNELS]; PEAK_GROUPS];
        self.groups_true_peak = [[0.0; MAX_CHANNELS]; PEAK_GROUPS];
        self.stored_groups_true_peak = [0.0; MAX_CHANNELS];
        self.group_pos = 0;
        self.integrated.reset();
        self.mono_integrated.reset();
        self.range.reset();
        self.measured_samples = 0;
        self.momentary_energy = 0.0;
        self.short_term_energy = 0.0;
        self.max_momentary_energy = 0.0;
        self.max_short_term_energy = 0.0;
        self.interval_max_momentary_energy = 0.0;
        self.interval_max_short_term_energy = 0.0;
        self.max_true_peak = [0.0; MAX_CHANNELS];
        self.max_sample_peak = [0.0; MAX_CHANNELS];
        self.total = Sums::default();
        self.non_finite_samples = 0;
        self.live_true_peak = [0.0; MAX_CHANNELS];
        self.live_sample_peak = [0.0; MAX_CHANNELS];
        self.moments.reset();
        self.readings = Readings {
            channels: self.config.channels,
            running: self.running,
            ..Readings::default()
        };
        if let Some(spectrum) = self.spectrum.as_mut() {
            spectrum.reset();
        }
    }

    /// Continues (or starts) integrating.
    pub fn start(&mut self) {
        self.running = true;
        self.readings.running = true;
        if let Some(spectrum) = self.spectrum.as_mut() {
            spectrum.set_running(true);
        }
    }

    /// Freezes integration; momentary and short-term stay live.
    pub fn pause(&mut self) {
        self.running = false;
        self.readings.running = false;
        if let Some(spectrum) = self.spectrum.as_mut() {
            spectrum.set_running(false);
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
        &self.integrated
    }

    /// The short-term values of loudness range so far, to pool with other measurements.
    pub fn range_histogram(&self) -> &RangeHistogram {
        &self.range
    }

    /// The readings as of the last finished fragment (at most 5 ms old). Computed on request
    /// from the running sums (about a dozen logarithms): `process` itself only keeps sums and
    /// maxima in the energy domain.
    pub fn readings(&self) -> Readings {
        let mut r = self.readings;
        self.fill_readings(&mut r);
        r
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
        let stereo_energy = self.short_term.energy.max(0.0) / self.short_term_window_samples;
        match self.config.channels {
            2 => gated_lufs(stereo_energy).and_then(|s| {
                energy_to_lufs(s_mono_energy(
                    &self.short_term,
                    self.short_term_window_samples,
                ))
                .map(|m| m - s)
            }),
            1 => gated_lufs(stereo_energy).map(|_| 0.0),
            _ => None,
        }
    }

    /// How many loudness history points there have been (one per 100 ms of audio, paused or
    /// not, reset or not).
    pub fn history_count(&self) -> u64 {
        self.history_count
    }

    /// The loudness history points numbered `next` and up (point `n` is the `n`-th 100 ms hop),
    /// as far as they are still kept ([`HISTORY_HOPS`]): read them at least every 12.8 s of
    /// audio to see every one.
    pub fn history_since(&self, next: u64) -> impl Iterator<Item = (u64, LoudnessPoint)> + '_ {
        let first = next.max(self.history_count.saturating_sub(HISTORY_HOPS as u64));
        (first..self.history_count).map(|n| (n, self.history[(n % HISTORY_HOPS as u64) as usize]))
    }

    /// The largest momentary and short-term loudness (LUFS, "no value" below the absolute gate)
    /// at any fragment finished since the previous call, paused or not; the next interval
    /// starts empty. A reader taking one point per 100 ms gets each interval's maximum, so a
    /// burst between two points is not read up to 0.5 dB low.
    pub fn take_loudness_maxima(&mut self) -> (Option<f64>, Option<f64>) {
        (
            gated_lufs(std::mem::take(&mut self.interval_max_momentary_energy)),
            gated_lufs(std::mem::take(&mut self.interval_max_short_term_energy)),
        )
    }

    /// Per-channel true and sample peak (linear) since the previous call: the live peaks an
    /// editor draws, "maximum since the last read".
    pub fn take_live_peaks(&mut self) -> ([f32; MAX_CHANNELS], [f32; MAX_CHANNELS]) {
        (
            std::mem::replace(&mut self.live_true_peak, [0.0; MAX_CHANNELS]),
            std::mem::replace(&mut self.live_sample_peak, [0.0; MAX_CHANNELS]),
        )
    }

    /// Sample index (since reset) at which fragment `k` ends: fragment lengths alternate so
    /// that boundaries stay on the exact 5 ms grid at any rate.
    fn boundary(&self, k: u64) -> u64 {
        let rate = self.config.sample_rate_hz;
        ((k as f64 * rate / FRAGMENTS_PER_SECOND as f64) + 0.5).floor() as u64
    }

    /// Measures one block; `block[c]` is channel `c`. Channels beyond the configured count are
    /// ignored; a block with fewer channels than configured measures those it has.
    pub fn process<C: AsRef<[f32]>>(&mut self, block: &[C]) {
        let channels = self.config.channels.min(block.len());
        if channels == 0 {
            return;
        }
        let frames = block[..channels]
            .iter()
            .map(|c| c.as_ref().len())
            .min()
            .unwrap_or(0);
        let mut position = 0;
        while position < frames {
            let to_boundary = (self.fragment_end - self.samples_total) as usize;
            let n = to_boundary.min(frames - position);
            self.accumulate(block, channels, position, n);
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

    fn accumulate<C: AsRef<[f32]>>(
        &mut self,
        block: &[C],
        channels: usize,
        start: usize,
        n: usize,
    ) {
        // One vectorised pass finds the sample peak and whether the piece is all finite (the
        // usual case: measured in place). Otherwise the piece is copied to scratch with each
        // non-finite sample counted and replaced by the last finite one.
        let mut in_scratch = [false; MAX_CHANNELS];
        for (c, channel) in block.iter().enumerate().take(channels) {
            let input = &channel.as_ref()[start..start + n];
            let (peak, finite) = peak_and_finite(input);
            if finite {
                self.current_sample_peak[c] = self.current_sample_peak[c].max(peak);
                if let Some(&last) = input.last() {
                    self.last_finite[c] = last;
                }
                continue;
            }
            let scratch = &mut self.scratch[c][..n];
            let mut peak = self.current_sample_peak[c];
            let mut last = self.last_finite[c];
            let mut bad = 0u64;
            for (s, &x) in scratch.iter_mut().zip(input) {
                let finite = x.is_finite();
                bad += u64::from(!finite);
                let v = if finite { x } else { last };
                last = v;
                peak = peak.max(v.abs());
                *s = v;
            }
            self.non_finite_samples += bad;
            self.last_finite[c] = last;
            self.current_sample_peak[c] = peak;
            in_scratch[c] = true;
        }
        let mut pieces: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        for (c, channel) in block.iter().enumerate().take(channels) {
            pieces[c] = if in_scratch[c] {
                &self.scratch[c][..n]
            } else {
                &channel.as_ref()[start..start + n]
            };
        }

        let k = &self.kweight;
        if channels == 2 {
            let [state_l, state_r, ..] = &mut self.filter;
            let mut states = [*state_l, *state_r];
            let mut sums = StereoSums {
                k: [self.current_k[0], self.current_k[1]],
                k_cross: self.current_k_cross,
                raw: [self.current_raw[0], self.current_raw[1]],
                raw_cross: self.current_raw_cross,
            };
            k.run_stereo(&mut states, pieces[0], pieces[1], &mut sums);
            [*state_l, *state_r] = states;
            [self.current_k[0], self.current_k[1]] = sums.k;
            [self.current_raw[0], self.current_raw[1]] = sums.raw;
            self.current_k_cross = sums.k_cross;
            self.current_raw_cross = sums.raw_cross;
        } else {
            for (c, piece) in pieces.iter().enumerate().take(channels) {
                k.run_mono(
                    &mut self.filter[c],
                    piece,
                    &mut self.current_k[c],
                    &mut self.current_raw[c],
                );
            }
        }
        self.current_samples += n as u64;

        for (c, piece) in pieces.iter().enumerate().take(channels) {
            let floor = self.recent_true_peak_floor(c);
            let peak = self.true_peak.process(c, piece, floor);
            self.current_true_peak[c] = self.current_true_peak[c].max(peak);
        }
    }

    /// The largest true peak of channel `c` in the last 3 s (the stored 100 ms groups, the
    /// group being filled and the fragment being filled): the true-peak detector refines only
    /// intervals that could exceed it (see [`super::truepeak`]), so every windowed maximum the
    /// readings report is refined.
    fn recent_true_peak_floor(&self, c: usize) -> f32 {
        let floor = self.current_true_peak[c]
            .max(self.group_true_peak[c])
            .max(self.stored_groups_true_peak[c]);
        // With an over ceiling, every interval that could exceed it is refined, so each
        // fragment's peak is exact where it decides an over.
        floor.min(self.over_ceiling_gain)
    }

    fn finish_fragment(&mut self) {
        let channels = self.config.channels;
        for state in &mut self.filter[..channels] {
            KWeighting::sanitize(state);
        }
        let fragment = self.take_fragment_sums();
        let sample_peak = std::mem::replace(&mut self.current_sample_peak, [0.0; MAX_CHANNELS]);
        let true_peak = std::mem::replace(&mut self.current_true_peak, [0.0; MAX_CHANNELS]);
        let previous_max_true_peak = self.max_true_peak[..channels]
            .iter()
            .fold(0.0f32, |a, &b| a.max(b));
        let mut fragment_true_peak = 0.0f32;
        for c in 0..channels {
            // True peak is never reported below the sample peak.
            let tp = true_peak[c].max(sample_peak[c]);
            fragment_true_peak = fragment_true_peak.max(tp);
            self.live_true_peak[c] = self.live_true_peak[c].max(tp);
            self.live_sample_peak[c] = self.live_sample_peak[c].max(sample_peak[c]);
            self.group_true_peak[c] = self.group_true_peak[c].max(tp);
            self.group_sample_peak[c] = self.group_sample_peak[c].max(sample_peak[c]);
            if self.running {
                self.max_true_peak[c] = self.max_true_peak[c].max(tp);
                self.max_sample_peak[c] = self.max_sample_peak[c].max(sample_peak[c]);
            }
        }

        // Windows: the fragment leaving the momentary window is 80 back, the one leaving the
        // short-term window is the one being overwritten.
        let leaving_momentary = self.ring
            [(self.ring_pos + SHORT_TERM_FRAGMENTS - MOMENTARY_FRAGMENTS) % SHORT_TERM_FRAGMENTS];
        let leaving_short_term = self.ring[self.ring_pos];
        self.momentary.sub(&leaving_momentary);
        self.momentary.add(&fragment);
        self.short_term.sub(&leaving_short_term);
        self.short_term.add(&fragment);
        self.ring[self.ring_pos] = fragment;
        self.ring_pos = (self.ring_pos + 1) % SHORT_TERM_FRAGMENTS;
        if self.ring_pos == 0 {
            // Re-sum exactly once per 3 s so running sums never drift.
            self.resum_windows();
        }

        self.fragments += 1;
        self.fragment_end = self.boundary(self.fragments + 1);

        let hop = self.fragments % HOP_FRAGMENTS == 0;
        if hop {
            self.groups_sample_peak[self.group_pos] = self.group_sample_peak;
            self.groups_true_peak[self.group_pos] = self.group_true_peak;
            self.group_pos = (self.group_pos + 1) % PEAK_GROUPS;
            self.stored_groups_true_peak = [0.0; MAX_CHANNELS];
            for group in &self.groups_true_peak {
                for (m, &g) in self.stored_groups_true_peak.iter_mut().zip(group) {
                    *m = m.max(g);
                }
            }
            self.group_sample_peak = [0.0; MAX_CHANNELS];
            self.group_true_peak = [0.0; MAX_CHANNELS];
        }

        // A window not yet filled since the reset has no value (energy 0 is below the gate).
        let momentary_energy = if self.momentary_window_full() {
            self.momentary.energy.max(0.0) / self.momentary_window_samples
        } else {
            0.0
        };
        let short_term_energy = if self.short_term_window_full() {
            self.short_term.energy.max(0.0) / self.short_term_window_samples
        } else {
            0.0
        };
        self.momentary_energy = momentary_energy;
        self.short_term_energy = short_term_energy;
        self.interval_max_momentary_energy =
            self.interval_max_momentary_energy.max(momentary_energy);
        self.interval_max_short_term_energy =
            self.interval_max_short_term_energy.max(short_term_energy);

        if hop {
            let lufs = |e: f64| gated_lufs(e).map_or(f32::NEG_INFINITY, |l| l as f32);
            self.history[(self.history_count % HISTORY_HOPS as u64) as usize] = LoudnessPoint {
                momentary_lufs: lufs(momentary_energy),
                short_term_lufs: lufs(short_term_energy),
            };
            self.history_count += 1;
        }

        if self.running {
            self.moments.fragment(moments::Fragment {
                start: self.samples_total - fragment.samples,
                end: self.samples_total,
                true_peak: fragment_true_peak,
                new_max_true_peak: fragment_true_peak > previous_max_true_peak,
                new_max_short_term: short_term_energy > self.max_short_term_energy,
            });
            self.measured_samples += fragment.samples;
            self.total.add(&fragment);
            // The gate is monotonic in energy: the largest gated value is the gated largest.
            self.max_momentary_energy = self.max_momentary_energy.max(momentary_energy);
            self.max_short_term_energy = self.max_short_term_energy.max(short_term_energy);
            if hop && self.fragments >= MOMENTARY_FRAGMENTS as u64 {
                self.integrated.add_block(momentary_energy);
                if channels == 2 {
                    let mono =
                        self.momentary.mono_energy().max(0.0) / self.momentary_window_samples;
                    self.mono_integrated.add_block(mono);
                }
                self.readings.integrated_lufs = self.integrated.integrated_lufs();
                self.readings.mono_loss_integrated_lu = if channels == 2 {
                    self.mono_integrated
                        .integrated_lufs()
                        .zip(self.readings.integrated_lufs)
                        .map(|(m, s)| m - s)
                } else if channels == 1 {
                    self.readings.integrated_lufs.map(|_| 0.0)
                } else {
                    // A fold-down of surround is not a mono sum: no value.
                    None
                };
            }
            if self.fragments % RANGE_HOP_FRAGMENTS == 0
                && self.fragments >= SHORT_TERM_FRAGMENTS as u64
            {
                self.range.add_short_term(short_term_energy);
                self.readings.loudness_range_lu = self.range.loudness_range_lu();
            }
        }
    }

    /// The current fragment's sums (and clears them for the next one).
    fn take_fragment_sums(&mut self) -> Sums {
        let channels = self.config.channels;
        let scale = self.kweight.energy_scale();
        let mut k = std::mem::replace(&mut self.current_k, [0.0; MAX_CHANNELS]);
        for e in &mut k {
            *e *= scale;
        }
        let raw = std::mem::replace(&mut self.current_raw, [0.0; MAX_CHANNELS]);
        Sums {
            samples: std::mem::take(&mut self.current_samples),
            energy: k[..channels]
                .iter()
                .zip(&self.config.weights)
                .map(|(e, w)| e * w)
                .sum(),
            k_left: k[0],
            k_right: if channels == 2 { k[1] } else { 0.0 },
            k_cross: std::mem::take(&mut self.current_k_cross) * scale,
            raw_left: raw[0],
            raw_right: if channels == 2 { raw[1] } else { 0.0 },
            raw_cross: std::mem::take(&mut self.current_raw_cross),
            raw_power: raw[..channels].iter().sum(),
        }
    }

    fn resum_windows(&mut self) {
        let mut momentary = Sums::default();
        let mut short_term = Sums::default();
        for (i, f) in self.ring.iter().enumerate() {
            short_term.add(f);
            // ring_pos == 0: the newest fragment is at the end.
            if i >= SHORT_TERM_FRAGMENTS - MOMENTARY_FRAGMENTS {
                momentary.add(f);
            }
        }
        self.momentary = momentary;
        self.short_term = short_term;
    }

    /// Everything but integrated loudness, its mono loss and loudness range (kept up to date
    /// in `self.readings` when their histograms change), from the current state.
    fn fill_readings(&self, r: &mut Readings) {
        let channels = self.config.channels;
        let momentary = gated_lufs(self.momentary_energy);
        let short_term = gated_lufs(self.short_term_energy);
        r.running = self.running;
        r.measured_s = self.measured_samples as f64 / self.config.sample_rate_hz;
        r.momentary_lufs = momentary;
        r.short_term_lufs = short_term;
        r.max_momentary_lufs = gated_lufs(self.max_momentary_energy);
        r.max_short_term_lufs = gated_lufs(self.max_short_term_energy);
        r.non_finite_samples = self.non_finite_samples;

        let mut max_tp = None;
        let mut max_sp = None;
        for c in 0..channels {
            r.true_peak_dbtp[c] = peak_db(self.max_true_peak[c]);
            r.sample_peak_dbfs[c] = peak_db(self.max_sample_peak[c]);
            max_tp = max_option(max_tp, r.true_peak_dbtp[c]);
            max_sp = max_option(max_sp, r.sample_peak_dbfs[c]);
        }
        r.max_true_peak_dbtp = max_tp;
        r.max_sample_peak_dbfs = max_sp;

        // Peaks of the last 3 s: the stored 100 ms groups plus the one being filled.
        let mut recent_tp = 0.0f32;
        let mut recent_sp = 0.0f32;
        for c in 0..channels {
            recent_tp = recent_tp.max(self.group_true_peak[c]);
            recent_sp = recent_sp.max(self.group_sample_peak[c]);
            for g in 0..PEAK_GROUPS {
                recent_tp = recent_tp.max(self.groups_true_peak[g][c]);
                recent_sp = recent_sp.max(self.groups_sample_peak[g][c]);
            }
        }
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
        r.crest_factor_db = max_sp
            .zip(rms_db(self.total.raw_power, self.total.samples))
            .map(|(p, rms)| p - rms);
        r.short_term_crest_factor_db = peak_db(recent_sp)
            .zip(rms_db(self.short_term.raw_power, self.short_term.samples))
            .map(|(p, rms)| p - rms);

        if channels == 2 {
            let m = &self.momentary;
            r.correlation = correlation(m.raw_left, m.raw_right, m.raw_cross);
            let t = &self.total;
            r.integrated_correlation = correlation(t.raw_left, t.raw_right, t.raw_cross);
            let s = &self.short_term;
            r.balance_db = match (s.k_left > 0.0, s.k_right > 0.0) {
                (true, true) => Some(
                    (10.0 * (s.k_left / s.k_right).log10())
                        .clamp(-BALANCE_LIMIT_DB, BALANCE_LIMIT_DB),
                ),
                (true, false) => Some(BALANCE_LIMIT_DB),
                (false, true) => Some(-BALANCE_LIMIT_DB),
                (false, false) => None,
            };
        } else {
            r.correlation = None;
            r.integrated_correlation = None;
            r.balance_db = None;
        }
        r.mono_loss_short_term_lu = self
            .mono_loss_short_term_lu()
            .filter(|_| self.short_term_window_full());
    }
}

fn s_mono_energy(window: &Sums, window_samples: f64) -> f64 {
    window.mono_energy().max(0.0) / window_samples
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f64 = 48_000.0;

    fn sine(freq: f64, amplitude_dbfs: f64, seconds: f64, rate: f64) -> Vec<f32> {
        let a = 10f64.powf(amplitude_dbfs / 20.0);
        (0..(seconds * rate).round() as usize)
            .map(|n| (a * (2.0 * std::f64::consts::PI * freq * n as f64 / rate).sin()) as f32)
            .collect()
    }

    fn noise(seed: &mut u64, n: usize, amplitude: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0) * amplitude
            })
            .collect()
    }

    fn stereo_meter() -> Meter {
        Meter::new(MeterConfig::new(RATE, 2)).unwrap()
    }

    #[test]
    fn rejects_what_it_cannot_measure() {
        assert_eq!(
            Meter::new(MeterConfig::new(4_000.0, 2)).unwrap_err(),
            MeterError::SampleRate(4_000.0)
        );
        assert_eq!(
            Meter::new(MeterConfig::new(RATE, 0)).unwrap_err(),
            MeterError::Channels(0)
        );
        assert_eq!(
            Meter::new(MeterConfig::new(RATE, MAX_CHANNELS + 1)).unwrap_err(),
            MeterError::Channels(MAX_CHANNELS + 1)
        );
        assert_eq!(
            Meter::new(MeterConfig::new(RATE, 2).with_weights(&[1.0, f64::NAN])).unwrap_err(),
            MeterError::Weights
        );
    }

    #[test]
    fn stereo_sine_at_minus_23_dbfs_reads_minus_23_lufs_everywhere() {
        let mut m = stereo_meter();
        let x = sine(1000.0, -23.0, 20.0, RATE);
        m.process(&[&x, &x]);
        let r = m.readings();
        for value in [r.momentary_lufs, r.short_term_lufs, r.integrated_lufs] {
            assert!((value.unwrap() + 23.0).abs() < 0.01, "{r:?}");
        }
        assert!(r.loudness_range_lu.unwrap() < 0.011);
        assert!((r.measured_s - 20.0).abs() < 0.006);
        assert!((r.correlation.unwrap() - 1.0).abs() < 1e-9);
        assert!(r.mono_loss_short_term_lu.unwrap().abs() < 1e-9);
        assert!(r.mono_loss_integrated_lu.unwrap().abs() < 1e-6);
        assert!(r.balance_db.unwrap().abs() < 1e-9);
        // Crest of a sine: 3.01 dB.
        assert!((r.crest_factor_db.unwrap() - 3.0103).abs() < 0.01);
    }

    #[test]
    fn loudness_history_has_one_point_per_100_ms_whatever_the_blocks() {
        // 2 s of silence, then 6 s at -23 dBFS, then 1 s of -13 dBFS, in odd block sizes.
        let mut x = vec![0.0f32; 2 * RATE as usize];
        x.extend(sine(1000.0, -23.0, 6.0, RATE));
        x.extend(sine(1000.0, -13.0, 1.0, RATE));
        let mut m = stereo_meter();
        let mut seen = Vec::new();
        let mut next = 0;
        let mut start = 0;
        for (i, size) in [1usize, 4410, 37, 8192, 480].iter().cycle().enumerate() {
            if start >= x.len() {
                break;
            }
            let end = (start + size).min(x.len());
            m.process(&[&x[start..end], &x[start..end]]);
            start = end;
            if i % 3 == 0 {
                for (n, point) in m.history_since(next) {
                    assert_eq!(n, seen.len() as u64, "no point lost or repeated");
                    seen.push(point);
                    next = n + 1;
                }
            }
        }
        seen.extend(m.history_since(next).map(|(_, p)| p));
        assert_eq!(seen.len(), 90);
        assert_eq!(m.history_count(), 90);
        // Silence has no value; the tone reads -23 once each window is full.
        assert_eq!(seen[19], LoudnessPoint::SILENT);
        assert!(
            (seen[30].momentary_lufs + 23.0).abs() < 0.01,
            "{:?}",
            seen[30]
        );
        assert!(
            (seen[79].short_term_lufs + 23.0).abs() < 0.01,
            "{:?}",
            seen[79]
        );
        assert!(
            (seen[89].momentary_lufs + 13.0).abs() < 0.01,
            "{:?}",
            seen[89]
        );
        // A late reader gets the last HISTORY_HOPS points only, numbered as they were.
        assert_eq!(m.history_since(0).count(), 90);
        // Reset does not renumber the timeline; a late reader gets the last HISTORY_HOPS
        // points only, numbered as they were.
        m.reset();
        m.process(&[&x, &x]);
        assert_eq!(m.history_count(), 180);
        let late: Vec<u64> = m.history_since(0).map(|(n, _)| n).collect();
        assert_eq!(late.first(), Some(&(180 - HISTORY_HOPS as u64)));
        assert_eq!(late.last(), Some(&179));
    }

    /// Tech 3341 windows: after a reset, momentary has no value until 400 ms of audio have
    /// been measured and short-term none until 3 s (a partly filled window reads low: a -6
    /// LUFS tone 300 ms in would read -7.3 LUFS), and neither do their maxima, PSR, the
    /// short-term mono loss or the history points; once full, they read the tone exactly.
    /// The level match's mono loss follows from the first fragment.
    #[test]
    fn no_partial_window_values_after_a_reset() {
        // A -6 LUFS stereo tone (as the -23 dBFS one above reads -23 LUFS).
        let x = sine(1000.0, -6.0, 4.0, RATE);
        let at = |seconds: f64| (seconds * RATE).round() as usize;
        let mut m = stereo_meter();
        // Run a while, then reset: the windows restart empty.
        m.process(&[&x, &x]);
        assert!(m.readings().momentary_lufs.is_some());
        m.reset();
        let history_before = m.history_count();
        m.process(&[&x[..at(0.3)], &x[..at(0.3)]]);
        let r = m.readings();
        assert_eq!(r.momentary_lufs, None, "300 ms in: {r:?}");
        assert_eq!(r.max_momentary_lufs, None);
        assert_eq!(r.short_term_lufs, None);
        assert_eq!(r.mono_loss_short_term_lu, None);
        assert!(m.mono_loss_short_term_lu().unwrap().abs() < 1e-9);
        m.process(&[&x[at(0.3)..at(0.4)], &x[at(0.3)..at(0.4)]]);
        let r = m.readings();
        let full = r
            .momentary_lufs
            .expect("400 ms in: the momentary window is full");
        assert!((full - (-6.0)).abs() < 0.1, "{full}");
        assert_eq!(r.max_momentary_lufs, Some(full));
        assert_eq!(r.short_term_lufs, None, "400 ms in");
        assert_eq!(r.max_short_term_lufs, None);
        assert_eq!(r.psr_db, None);
        m.process(&[&x[at(0.4)..at(2.995)], &x[at(0.4)..at(2.995)]]);
        assert_eq!(m.readings().short_term_lufs, None, "2.995 s in");
        m.process(&[&x[at(2.995)..at(3.0)], &x[at(2.995)..at(3.0)]]);
        let r = m.readings();
        let short = r
            .short_term_lufs
            .expect("3 s in: the short-term window is full");
        assert!((short - full).abs() < 0.01, "{short} {full}");
        assert!(r.psr_db.is_some() && r.mono_loss_short_term_lu.is_some());
        // History: 30 points since the reset; momentary from the 4th (400 ms), short-term
        // only at the 30th (3 s).
        let points: Vec<LoudnessPoint> = m.history_since(history_before).map(|(_, p)| p).collect();
        assert_eq!(points.len(), 30);
        assert!(
            points[..3]
                .iter()
                .all(|p| p.momentary_lufs == f32::NEG_INFINITY)
        );
        assert!(points[3..].iter().all(|p| p.momentary_lufs.is_finite()));
        assert!(
            points[..29]
                .iter()
                .all(|p| p.short_term_lufs == f32::NEG_INFINITY)
        );
        assert!(points[29].short_term_lufs.is_finite());
    }

    #[test]
    fn mono_minus_20_dbfs_tone_reads_minus_23_lufs() {
        let mut m = Meter::new(MeterConfig::new(RATE, 1)).unwrap();
        m.process(&[sine(1000.0, -20.0, 10.0, RATE)]);
        assert!((m.readings().integrated_lufs.unwrap() + 23.0).abs() < 0.02);
        assert_eq!(m.readings().mono_loss_integrated_lu, Some(0.0));
        assert_eq!(m.readings().correlation, None);
    }

    #[test]
    fn silence_is_no_value_not_a_floor() {
        let mut m = stereo_meter();
        let x = vec![0.0f32; 48_000 * 5];
        m.process(&[&x, &x]);
        let r = m.readings();
        assert_eq!(r.momentary_lufs, None);
        assert_eq!(r.short_term_lufs, None);
        assert_eq!(r.integrated_lufs, None);
        assert_eq!(r.loudness_range_lu, None);
        assert_eq!(r.max_true_peak_dbtp, None);
        assert_eq!(r.plr_db, None);
        assert_eq!(r.correlation, None);
        assert_eq!(r.mono_loss_integrated_lu, None);
    }

    #[test]
    fn correlation_and_mono_loss_golden_values() {
        let mut seed = 7;
        let l = noise(&mut seed, 48_000 * 10, 0.3);
        let r_indep = noise(&mut seed, 48_000 * 10, 0.3);
        let inverted: Vec<f32> = l.iter().map(|x| -x).collect();

        let mut same = stereo_meter();
        same.process(&[&l, &l]);
        assert!((same.readings().integrated_correlation.unwrap() - 1.0).abs() < 1e-9);
        assert!(same.readings().mono_loss_integrated_lu.unwrap().abs() < 1e-6);

        let mut opposite = stereo_meter();
        opposite.process(&[&l, &inverted]);
        assert!((opposite.readings().integrated_correlation.unwrap() + 1.0).abs() < 1e-9);
        assert!((opposite.readings().correlation.unwrap() + 1.0).abs() < 1e-9);
        // The fold cancels completely: no finite mono loudness, reported as no value.
        assert_eq!(opposite.readings().mono_loss_integrated_lu, None);
        assert_eq!(opposite.readings().mono_loss_short_term_lu, None);

        let mut independent = stereo_meter();
        independent.process(&[&l, &r_indep]);
        let r = independent.readings();
        assert!(r.integrated_correlation.unwrap().abs() < 0.02, "{r:?}");
        assert!(
            (r.mono_loss_integrated_lu.unwrap() + 3.01).abs() < 0.1,
            "{r:?}"
        );
        assert!(
            (r.mono_loss_short_term_lu.unwrap() + 3.01).abs() < 0.15,
            "{r:?}"
        );
        // The level match's shortcut is the same reading.
        assert_eq!(
            independent.mono_loss_short_term_lu(),
            r.mono_loss_short_term_lu
        );
        assert_eq!(opposite.mono_loss_short_term_lu(), None);
        assert_eq!(
            same.mono_loss_short_term_lu(),
            same.readings().mono_loss_short_term_lu
        );
    }

    #[test]
    fn balance_follows_the_louder_channel() {
        let mut m = stereo_meter();
        let l = sine(1000.0, -20.0, 4.0, RATE);
        let r = sine(1000.0, -26.0, 4.0, RATE);
        m.process(&[&l, &r]);
        assert!((m.readings().balance_db.unwrap() - 6.0).abs() < 0.01);
        let silent = vec![0.0f32; l.len()];
        let mut m = stereo_meter();
        m.process(&[&silent, &r]);
        assert_eq!(m.readings().balance_db, Some(-BALANCE_LIMIT_DB));
    }

    #[test]
    fn non_finite_input_is_counted_and_never_poisons_a_reading() {
        let mut m = stereo_meter();
        let mut x = sine(1000.0, -23.0, 10.0, RATE);
        for i in (0..x.len()).step_by(4801) {
            x[i] = if i % 2 == 0 { f32::NAN } else { f32::INFINITY };
        }
        m.process(&[&x, &x]);
        let r = m.readings();
        assert_eq!(r.non_finite_samples, 2 * x.len().div_ceil(4801) as u64);
        assert!((r.integrated_lufs.unwrap() + 23.0).abs() < 0.05, "{r:?}");
        assert!(r.max_true_peak_dbtp.unwrap().is_finite());
        assert!((r.max_true_peak_dbtp.unwrap() + 23.0).abs() < 0.1, "{r:?}");
    }

    #[test]
    fn pause_freezes_integration_but_not_momentary() {
        let mut m = stereo_meter();
        let loud = sine(1000.0, -20.0, 5.0, RATE);
        let quiet = sine(1000.0, -40.0, 5.0, RATE);
        m.process(&[&loud, &loud]);
        let before = m.readings();
        m.pause();
        m.process(&[&quiet, &quiet]);
        let after = m.readings();
        assert_eq!(after.integrated_lufs, before.integrated_lufs);
        assert_eq!(after.measured_s, before.measured_s);
        assert!(!after.running);
        assert!((after.momentary_lufs.unwrap() + 40.0).abs() < 0.05);
        m.start();
        m.process(&[&quiet, &quiet]);
        assert!(m.readings().integrated_lufs.unwrap() < before.integrated_lufs.unwrap());
        m.reset();
        assert_eq!(m.readings().integrated_lufs, None);
        assert_eq!(m.readings().measured_s, 0.0);
    }

    #[test]
    fn readings_do_not_depend_on_block_size() {
        let mut seed = 3;
        let l = noise(&mut seed, 44_100 * 7, 0.5);
        let r = noise(&mut seed, 44_100 * 7, 0.2);
        let mut whole = Meter::new(MeterConfig::new(44_100.0, 2)).unwrap();
        whole.process(&[&l, &r]);
        let mut split = Meter::new(MeterConfig::new(44_100.0, 2)).unwrap();
        let mut start = 0;
        let mut size = 1;
        while start < l.len() {
            let end = (start + size).min(l.len());
            split.process(&[&l[start..end], &r[start..end]]);
            start = end;
            size = (size * 7 + 3) % 5000;
        }
        assert_eq!(whole.readings(), split.readings());
    }

    /// Tech 3342 LRA computed exactly from a list of short-term loudness values (absolute gate,
    /// relative gate 20 LU under their energy mean, 10th to 95th percentile by nearest rank).
    fn exact_range(short_term_lufs: &[f64]) -> f64 {
        let above: Vec<f64> = short_term_lufs
            .iter()
            .copied()
            .filter(|&l| l >= ABSOLUTE_GATE_LUFS)
            .collect();
        let mean = above
            .iter()
            .map(|&l| super::super::gating::lufs_to_energy(l))
            .sum::<f64>()
            / above.len() as f64;
        let gate = energy_to_lufs(mean).unwrap() - 20.0;
        let mut gated: Vec<f64> = above.into_iter().filter(|&l| l >= gate).collect();
        gated.sort_by(f64::total_cmp);
        let at = |p: f64| gated[((gated.len() - 1) as f64 * p).round() as usize];
        at(0.95) - at(0.10)
    }

    /// A tone whose level moves every 1.3 s, 12 s long.
    fn uneven_programme() -> Vec<f32> {
        let levels = [-20.0, -31.0, -24.0, -38.0, -18.0, -27.0, -35.0, -22.0];
        let step = (1.3 * RATE) as usize;
        let tone = sine(1000.0, 0.0, 12.0, RATE);
        tone.iter()
            .enumerate()
            .map(|(n, &x)| x * 10f32.powf(levels[(n / step) % levels.len()] / 20.0))
            .collect()
    }

    #[test]
    fn loudness_range_takes_short_term_values_at_10_hz() {
        // Read the short-term loudness at every 100 ms from 3 s on (the values Tech 3342
        // clause 3 asks for, at 10 Hz): the meter's LRA is theirs, to within the histogram's
        // bin; one value per second (libebur128's step) would read far from it.
        let x = uneven_programme();
        let mut m = Meter::new(MeterConfig::new(RATE, 1)).unwrap();
        let hop = (RATE * 0.1) as usize;
        let mut at_10_hz = Vec::new();
        for (i, piece) in x.chunks(hop).enumerate() {
            m.process(&[piece]);
            if i + 1 >= 30 {
                at_10_hz.push(m.readings().short_term_lufs.unwrap());
            }
        }
        let at_1_hz: Vec<f64> = at_10_hz.iter().copied().step_by(10).collect();
        let lra = m.readings().loudness_range_lu.unwrap();
        let expected = exact_range(&at_10_hz);
        assert!((lra - expected).abs() <= 0.011, "{lra} against {expected}");
        assert!(
            (exact_range(&at_1_hz) - expected).abs() > 0.5,
            "the signal tells 1 Hz from 10 Hz: {} against {expected}",
            exact_range(&at_1_hz)
        );
        // 12 s is no programme: the reading says so until 60 s are measured.
        assert!(!m.readings().loudness_range_settled());
        let long = sine(1000.0, -23.0, 48.0, RATE);
        m.process(&[&long]);
        assert!(m.readings().loudness_range_settled());
    }

    #[test]
    fn loudness_maxima_between_reads_catch_a_burst_off_the_100_ms_grid() {
        // 400 ms at -20 dBFS starting at 1.234 s in silence, read every 100 ms: the value at
        // each point misses the peak of the momentary window; the maximum since the last
        // point does not.
        let mut x = vec![0.0f32; (1.234 * RATE) as usize];
        x.extend(sine(1000.0, -20.0, 0.4, RATE));
        x.resize(4 * RATE as usize, 0.0);
        let mut m = Meter::new(MeterConfig::new(RATE, 1)).unwrap();
        let mut at_points = f64::NEG_INFINITY;
        let mut maxima = f64::NEG_INFINITY;
        for piece in x.chunks((RATE * 0.1) as usize) {
            m.process(&[piece]);
            at_points = at_points.max(m.readings().momentary_lufs.unwrap_or(f64::NEG_INFINITY));
            let (momentary, _) = m.take_loudness_maxima();
            maxima = maxima.max(momentary.unwrap_or(f64::NEG_INFINITY));
        }
        let max = m.readings().max_momentary_lufs.unwrap();
        assert!((maxima - max).abs() < 1e-12, "{maxima} against {max}");
        assert!(
            max - at_points > 0.2,
            "the grid alone reads {at_points}, {max} at most"
        );
        assert_eq!(m.take_loudness_maxima(), (None, None));
    }

    #[test]
    fn true_peak_maxima_and_plr() {
        let mut m = stereo_meter();
        let x = sine(997.0, -6.0, 5.0, RATE);
        m.process(&[&x, &x]);
        let r = m.readings();
        assert!((r.max_true_peak_dbtp.unwrap() + 6.0).abs() < 0.02);
        let plr = r.plr_db.unwrap();
        assert!((plr - (r.max_true_peak_dbtp.unwrap() - r.integrated_lufs.unwrap())).abs() < 1e-12);
        assert!(r.psr_db.is_some());
        let (live_tp, live_sp) = m.take_live_peaks();
        assert!(live_tp[0] >= live_sp[0] && live_sp[0] > 0.49);
        assert_eq!(m.take_live_peaks().0[0], 0.0);
    }

    /// Where it happens: clicks placed at known samples in a quiet tone, and a loud 3 s
    /// passage; the positions come back to the fragment, the overs counted once per run.
    #[test]
    fn moments_place_the_maximum_peak_the_loudest_3_s_and_the_overs() {
        let mut m = Meter::new(MeterConfig::new(RATE, 1).with_over_ceiling(-6.0)).unwrap();
        let mut x = sine(997.0, -30.0, 20.0, RATE);
        // Loud 3 s from 8.0 s to 11.0 s.
        for v in &mut x[(8.0 * RATE) as usize..(11.0 * RATE) as usize] {
            *v *= 10.0;
        }
        // Clicks (single samples) over -6 dBTP at 2.5 s, 2.5012 s (the same fragment run),
        // 14.25 s and the largest at 17.3 s.
        let clicks = [(2.5, 0.7f32), (2.5012, 0.7), (14.25, 0.8), (17.3, 0.95)];
        for (t, a) in clicks {
            x[(t * RATE) as usize] = a;
        }
        for piece in x.chunks(1000) {
            m.process(&[piece]);
        }
        let moments = *m.moments();
        let at = |s: u64| s as f64 / RATE;
        let peak_at = at(moments.max_true_peak_at.unwrap());
        assert!((peak_at - 17.3).abs() < 0.008, "{peak_at}");
        let loudest_end = at(moments.max_short_term_end_at.unwrap());
        assert!((loudest_end - 11.0).abs() < 0.006, "{loudest_end}");
        assert_eq!(moments.overs, 3, "{moments:?}");
        let starts: Vec<f64> = moments.kept_overs().iter().map(|&s| at(s)).collect();
        for (found, expected) in starts.iter().zip([2.5, 14.25, 17.3]) {
            assert!((found - expected).abs() < 0.008, "{starts:?}");
        }
        m.reset();
        assert_eq!(m.moments().overs, 0);
        assert_eq!(m.moments().max_true_peak_at, None);
        assert!(Meter::new(MeterConfig::new(RATE, 1).with_over_ceiling(f64::NAN)).is_err());
    }
}
