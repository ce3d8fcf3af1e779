//! Off the audio thread: 1/N-octave smoothing of a power spectrum, log-frequency grids, the
//! display tilt and power in dB, for the editor, the tonal comparison and reference curves.
//!
//! **Smoothing**: [`LogSmoother`] averages power over 1/N-octave bands around any set of
//! frequencies, treating each bin as a rectangle one bin wide, so bands narrower than a bin
//! read that bin and wide bands are exact means. Limits: nothing below one bin width is
//! resolved (5.9 Hz at 48 kHz for the long-term average); levels below about -150 dBFS are
//! below the f32 rounding of the frame.

use crate::meter::spectrum::TILT_PIVOT_HZ;

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
