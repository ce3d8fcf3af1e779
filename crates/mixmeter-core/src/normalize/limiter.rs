//! A true-peak lookahead limiter for `mixmeter analyze --normalize-to ... --limit DBTP`: the
//! gain that keeps every reconstructed (inter-sample) peak at or under a threshold, applied
//! smoothly before each peak arrives.
//!
//! Method (offline, streaming; one gain for all channels, so the image does not move):
//! 1. **Detect** each sample interval's peak, all channels: the larger endpoint and
//!    [`factor_for_rate`] - 1 points in between, interpolated by a [`TAPS`]-tap
//!    Kaiser-windowed sinc (ITU-R BS.1770-5 Annex 2 oversampling, at the meter's screening
//!    factor: at least 4x and 192 kHz). The gain each interval needs is `min(1, threshold /
//!    peak)`.
//! 2. **Hold** the smallest needed gain over the next `lookahead` samples (a sliding minimum),
//!    and let it **release** exponentially ([`RELEASE_MS`]) but never above the held value.
//! 3. **Smooth** with a moving average over `lookahead + 1` samples. Every value averaged for
//!    sample `m` holds the minimum over a window that contains `m`, so the smoothed gain at a
//!    peak is never above the gain the peak needs: the attack is a ramp over the lookahead
//!    ([`LOOKAHEAD_MS`]) that ends at the peak, with no overshoot.
//!
//! The interpolated detector can under-read a peak slightly (the grid between its points,
//! the finite filter), and a moving gain changes the reconstruction a little; the caller
//! (`normalize::render`) therefore aims under the asked limit by [`super::MARGIN_DB`],
//! re-measures the written file with the meter, and lowers the threshold when it reads over.
//!
//! Latency: [`TruePeakLimiter::latency`] samples; [`TruePeakLimiter::finish`] flushes them.

use crate::meter::MAX_CHANNELS;
use crate::meter::truepeak::factor_for_rate;
use std::collections::VecDeque;

/// Taps of the detecting interpolator.
pub const TAPS: usize = 48;
/// Kaiser window shape of the detecting interpolator.
pub const BETA: f64 = 8.0;
/// Lookahead: the gain ramps down over this long before a peak.
pub const LOOKAHEAD_MS: f64 = 5.0;
/// Time constant of the gain's recovery after a peak.
pub const RELEASE_MS: f64 = 100.0;
/// A gain under this (-0.001 dB) counts as limiting in [`LimiterStats::limited_frames`].
pub const LIMITING_GAIN: f32 = 0.999_885;

fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..50 {
        term *= (x / 2.0 / k as f64).powi(2);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Coefficients for the point `phase / factor` of the way from window position `TAPS/2 - 1`
/// to `TAPS/2`, unity gain at DC.
fn phase(phase: usize, factor: usize) -> [f32; TAPS] {
    let centre = (TAPS / 2 - 1) as f64 + phase as f64 / factor as f64;
    let mut taps = [0.0f64; TAPS];
    for (k, tap) in taps.iter_mut().enumerate() {
        let t = centre - k as f64;
        let sinc = if t == 0.0 {
            1.0
        } else {
            (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
        };
        let r = (t / (TAPS as f64 / 2.0)).clamp(-1.0, 1.0);
        *tap = sinc * bessel_i0(BETA * (1.0 - r * r).sqrt()) / bessel_i0(BETA);
    }
    let sum: f64 = taps.iter().sum();
    taps.map(|t| (t / sum) as f32)
}

/// Statistics of a limiting run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LimiterStats {
    /// The smallest gain applied (linear; 1.0 when the limiter never acted).
    pub min_gain: f32,
    /// Frames at which the gain was at least 0.001 dB under unity ([`LIMITING_GAIN`]; the
    /// release's tail approaches unity without reaching it).
    pub limited_frames: u64,
}

#[derive(Debug)]
pub struct TruePeakLimiter {
    channels: usize,
    threshold: f32,
    lookahead: usize,
    release: f32,
    phases: Vec<[f32; TAPS]>,
    /// The last `TAPS` inputs per channel (interpolation window), oldest first.
    window: Vec<VecDeque<f32>>,
    /// Inputs waiting for their gain, per frame.
    delay: VecDeque<[f32; MAX_CHANNELS]>,
    /// Sliding minimum of the needed gains: (index, gain), increasing gains.
    minimum: VecDeque<(u64, f32)>,
    /// The last `lookahead + 1` released gains and their sum.
    recent: VecDeque<f32>,
    recent_sum: f64,
    /// Kept in f64: see `need`.
    released: f64,
    /// Intervals whose needed gain is known.
    detected: u64,
    /// Gains still to come for the silent frames before the file (discarded).
    leading: usize,
    /// Real frames pushed, and frames still to come out.
    pushed: u64,
    emitted: u64,
    stats: LimiterStats,
}

impl TruePeakLimiter {
    /// A limiter holding true peaks at or under `threshold_dbtp`.
    pub fn new(sample_rate_hz: f64, channels: usize, threshold_dbtp: f64) -> Self {
        let factor = factor_for_rate(sample_rate_hz);
        let lookahead = ((LOOKAHEAD_MS / 1000.0 * sample_rate_hz).round() as usize).max(1);
        let release = (1.0 - (-1.0 / (RELEASE_MS / 1000.0 * sample_rate_hz)).exp()) as f32;
        let mut limiter = Self {
            channels: channels.min(MAX_CHANNELS),
            threshold: 10f64.powf(threshold_dbtp / 20.0) as f32,
            lookahead,
            release,
            phases: (1..factor).map(|p| phase(p, factor)).collect(),
            window: (0..channels)
                .map(|_| VecDeque::from(vec![0.0; TAPS]))
                .collect(),
            delay: VecDeque::new(),
            minimum: VecDeque::new(),
            recent: VecDeque::new(),
            recent_sum: 0.0,
            released: 1.0,
            detected: 0,
            leading: lookahead,
            pushed: 0,
            emitted: 0,
            stats: LimiterStats {
                min_gain: 1.0,
                limited_frames: 0,
            },
        };
        // Before the file: `lookahead` frames of silence needing no gain (their gains are
        // computed and discarded), so a peak in the first frames is ramped into like any
        // other; the moving average starts full of the 1.0 of the silence before them.
        for _ in 0..=lookahead {
            limiter.recent.push_back(1.0);
        }
        limiter.recent_sum = (lookahead + 1) as f64;
        for _ in 0..lookahead {
            limiter.need(1.0);
        }
        limiter
    }

    /// Frames between an input and its output.
    pub fn latency(&self) -> usize {
        TAPS / 2 - 1 + self.lookahead
    }

    pub fn stats(&self) -> LimiterStats {
        self.stats
    }

    /// Takes one needed gain (index `detected`); returns the smoothed gain of the interval
    /// `lookahead` before it once known.
    fn need(&mut self, gain: f32) -> Option<f32> {
        let index = self.detected;
        self.detected += 1;
        while self.minimum.back().is_some_and(|&(_, g)| g >= gain) {
            self.minimum.pop_back();
        }
        self.minimum.push_back((index, gain));
        if index < self.lookahead as u64 {
            return None;
        }
        let first = index - self.lookahead as u64;
        while self.minimum.front().is_some_and(|&(i, _)| i < first) {
            self.minimum.pop_front();
        }
        let held = self.minimum.front().map_or(1.0, |&(_, g)| g);
        // The release in f64: in f32 `r + (1 - r) * release` stops moving once the step is
        // under half an ulp (at 0.99986 at 48 kHz), and the file would never be clean again
        // after its first peak. Within 1e-9 of unity is unity.
        let recovered = self.released + (1.0 - self.released) * f64::from(self.release);
        let recovered = if recovered > 1.0 - 1e-9 {
            1.0
        } else {
            recovered
        };
        self.released = f64::from(held).min(recovered);
        let released = self.released as f32;
        self.recent_sum += f64::from(released) - f64::from(self.recent.pop_front()?);
        self.recent.push_back(released);
        // The average of values each at or under the gain the peak needs: recomputed exactly
        // now and then would cost more than the float error it removes (f64 sum).
        Some((self.recent_sum / (self.lookahead + 1) as f64).min(1.0) as f32)
    }

    /// Pushes one frame (`frame[c]`, the configured channels); calls `out` with each frame
    /// whose gain is known, limited.
    pub fn push(&mut self, frame: &[f32], out: &mut impl FnMut(&[f32])) {
        self.pushed += 1;
        self.step(frame, out);
    }

    fn step(&mut self, frame: &[f32], out: &mut impl FnMut(&[f32])) {
        let mut held = [0.0f32; MAX_CHANNELS];
        let mut peak = 0.0f32;
        for (c, (slot, window)) in held.iter_mut().zip(&mut self.window).enumerate() {
            let x = frame.get(c).copied().unwrap_or(0.0);
            *slot = x;
            window.pop_front();
            window.push_back(x);
            // The interval between window positions TAPS/2 - 1 and TAPS/2.
            let (a, b) = window.as_slices();
            let mut contiguous = [0.0f32; TAPS];
            contiguous[..a.len()].copy_from_slice(a);
            contiguous[a.len()..].copy_from_slice(b);
            peak = peak.max(contiguous[TAPS / 2].abs());
            for p in &self.phases {
                let v: f32 = p.iter().zip(&contiguous).map(|(h, x)| h * x).sum();
                peak = peak.max(v.abs());
            }
        }
        self.delay.push_back(held);
        // The interval ending at window position TAPS/2 belongs to the frame pushed TAPS/2 - 1
        // frames ago; before that many frames, the interval is in the leading silence.
        if self.delay.len() < TAPS / 2 {
            return;
        }
        let needed = if peak > self.threshold {
            self.threshold / peak
        } else {
            1.0
        };
        let Some(gain) = self.need(needed) else {
            return;
        };
        if self.leading > 0 {
            self.leading -= 1;
            return;
        }
        let Some(mut input) = self.delay.pop_front() else {
            return;
        };
        if self.emitted >= self.pushed {
            return;
        }
        self.emitted += 1;
        if gain < LIMITING_GAIN {
            self.stats.limited_frames += 1;
            self.stats.min_gain = self.stats.min_gain.min(gain);
        }
        for x in &mut input[..self.channels] {
            *x *= gain;
        }
        out(&input[..self.channels]);
    }

    /// Flushes the frames still inside the limiter.
    pub fn finish(&mut self, out: &mut impl FnMut(&[f32])) {
        let silence = [0.0f32; MAX_CHANNELS];
        let mut guard = 0;
        while self.emitted < self.pushed && guard < 4 * self.latency() + 8 {
            self.step(&silence[..self.channels], out);
            guard += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(limiter: &mut TruePeakLimiter, x: &[f32]) -> Vec<f32> {
        let mut y = Vec::new();
        for &s in x {
            limiter.push(&[s], &mut |f| y.push(f[0]));
        }
        limiter.finish(&mut |f| y.push(f[0]));
        y
    }

    #[test]
    fn quiet_audio_passes_unchanged_and_in_time() {
        let x: Vec<f32> = (0..5000).map(|n| 0.1 * (n as f32 * 0.05).sin()).collect();
        let mut l = TruePeakLimiter::new(48_000.0, 1, -1.0);
        let y = run(&mut l, &x);
        assert_eq!(y, x);
        assert_eq!(l.stats().limited_frames, 0);
    }

    /// A 0 dBFS sine at fs/4 sampled at 45 degrees reads +3 dBTP: the limiter brings its
    /// inter-sample peaks to the threshold (by an exact reconstruction of the output), with
    /// the gain ramped before the burst starts.
    #[test]
    fn inter_sample_peaks_are_held_at_the_threshold() {
        let rate = 48_000.0;
        let mut x = vec![0.0f32; 48_000];
        for (n, v) in x.iter_mut().enumerate().skip(10_000).take(10_000) {
            *v =
                (std::f64::consts::FRAC_PI_2 * n as f64 + std::f64::consts::FRAC_PI_4).sin() as f32;
        }
        let mut l = TruePeakLimiter::new(rate, 1, -1.0);
        let y = run(&mut l, &x);
        assert_eq!(y.len(), x.len());
        // Samples of a 45-degree fs/4 sine are peak / sqrt(2): the peak is the sample times
        // sqrt(2) wherever the gain is steady.
        let steady = y[15_000].abs().max(y[15_001].abs()) * std::f32::consts::SQRT_2;
        let threshold = 10f32.powf(-1.0 / 20.0);
        assert!(steady <= threshold * 1.001, "{steady}");
        assert!(steady >= threshold * 0.99, "{steady}");
        // Before the burst: untouched silence; the first burst sample is already turned down.
        assert_eq!(&y[..9_000], &x[..9_000]);
        assert!(y[10_000].abs() * std::f32::consts::SQRT_2 <= threshold * 1.001);
        let stats = l.stats();
        assert!((stats.min_gain - threshold).abs() < 0.01, "{stats:?}");
    }

    /// After a burst the gain comes back to exactly unity (not to a value an ulp short of
    /// it, where an f32 release would stop): the rest of the file is bit-exact again, and
    /// only the burst and the release tail count as limited.
    #[test]
    fn the_gain_recovers_to_unity_after_a_burst() {
        let rate = 48_000.0;
        let quiet: Vec<f32> = (0..192_000)
            .map(|n| 0.25 * (n as f32 * 0.031).sin())
            .collect();
        let mut x = quiet.clone();
        for v in &mut x[20_000..22_400] {
            *v *= 4.0; // 0 dBFS for 50 ms
        }
        let mut l = TruePeakLimiter::new(rate, 1, -1.0);
        let y = run(&mut l, &x);
        // From about 0.9 to within 1e-7 of unity at a 100 ms time constant: 1.4 s.
        let first_changed = (120_000..x.len()).find(|&n| y[n] != x[n]);
        assert_eq!(first_changed, None, "the gain never got back to unity");
        let limited = l.stats().limited_frames;
        // The burst (2 400 frames), the lookahead ramp before it and the release down to
        // 0.001 dB after it (about 0.7 s), not the rest of the file.
        assert!(limited > 2_400 && limited < 48_000, "{limited}");
    }
}
