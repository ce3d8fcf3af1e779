//! Where it happens: the position of the maximum true peak, of the loudest 3 s (the maximum
//! short-term loudness, EBU Tech 3341 clause 2.2 "short-term" window of 3 s) and of the overs
//! above a true-peak ceiling (ITU-R BS.1770-5 Annex 2 true peak).
//!
//! Positions are sample indices counted from the last reset, kept per 5 ms fragment (the
//! meter's unit of time, see [`super::engine`]): a maximum is placed at the fragment in which
//! it was computed. The true-peak detector reports a peak up to
//! [`super::truepeak::LATENCY_SAMPLES`] samples after the sample interval that holds it, so a
//! true peak's position is the start of its fragment, and the peak itself lies between
//! `LATENCY_SAMPLES` before that and the fragment's end (at 48 kHz: 2.7 ms before to 5 ms
//! after). The loudest 3 s are placed by the end of their window (exact to the fragment).
//!
//! An **over** is a run of consecutive fragments whose true peak (any channel) exceeds the
//! ceiling: a run counts once, wherever its fragments have their peaks, so two overs less
//! than 5 ms apart count as one. The first [`OVERS_KEPT`] overs keep their start position;
//! the count goes on. Positions and counts follow the meter's running state (paused audio
//! has no overs), like the maxima.
//!
//! Real-time: fixed-size state; `fragment` never allocates.

/// Overs whose position is kept (the rest are counted).
pub const OVERS_KEPT: usize = 32;

/// Positions of the maxima and the overs (samples since reset).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// First sample of the fragment in which the maximum true peak was found.
    pub max_true_peak_at: Option<u64>,
    /// Sample at which the loudest 3 s window (maximum short-term loudness) ends.
    pub max_short_term_end_at: Option<u64>,
    /// The true-peak ceiling overs are counted above (linear gain), when one is set.
    pub over_ceiling_gain: Option<f32>,
    /// Overs so far.
    pub overs: u64,
    /// First sample of the first fragment of each of the first [`OVERS_KEPT`] overs
    /// (`overs.min(OVERS_KEPT)` of them are valid).
    pub over_starts: [u64; OVERS_KEPT],
    /// Whether the last fragment was over the ceiling (a run continues).
    in_over: bool,
}

/// What the meter found in one finished fragment.
#[derive(Debug, Clone, Copy)]
pub struct Fragment {
    pub start: u64,
    pub end: u64,
    /// Largest true peak of the fragment over all channels (linear).
    pub true_peak: f32,
    pub new_max_true_peak: bool,
    pub new_max_short_term: bool,
}

impl Moments {
    pub fn new(over_ceiling_gain: Option<f32>) -> Self {
        Self {
            max_true_peak_at: None,
            max_short_term_end_at: None,
            over_ceiling_gain,
            overs: 0,
            over_starts: [0; OVERS_KEPT],
            in_over: false,
        }
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.over_ceiling_gain);
    }

    /// The kept over positions.
    pub fn kept_overs(&self) -> &[u64] {
        &self.over_starts[..(self.overs as usize).min(OVERS_KEPT)]
    }

    /// Takes one finished fragment (while the meter is running).
    pub fn fragment(&mut self, f: Fragment) {
        if f.new_max_true_peak {
            self.max_true_peak_at = Some(f.start);
        }
        if f.new_max_short_term {
            self.max_short_term_end_at = Some(f.end);
        }
        let Some(ceiling) = self.over_ceiling_gain else {
            return;
        };
        let over = f.true_peak > ceiling;
        if over && !self.in_over {
            if let Some(slot) = self.over_starts.get_mut(self.overs as usize) {
                *slot = f.start;
            }
            self.overs += 1;
        }
        self.in_over = over;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(k: u64, true_peak: f32) -> Fragment {
        Fragment {
            start: k * 240,
            end: (k + 1) * 240,
            true_peak,
            new_max_true_peak: false,
            new_max_short_term: false,
        }
    }

    #[test]
    fn a_run_of_over_fragments_counts_once_at_its_start() {
        let mut m = Moments::new(Some(0.5));
        let peaks = [0.1, 0.6, 0.7, 0.4, 0.5, 0.51, 0.2, 0.9];
        for (k, &p) in peaks.iter().enumerate() {
            m.fragment(frag(k as u64, p));
        }
        // Runs: fragments 1-2, 5 (0.5 is not over 0.5), 7.
        assert_eq!(m.overs, 3);
        assert_eq!(m.kept_overs(), &[240, 1200, 1680]);
    }

    #[test]
    fn counting_goes_on_past_the_kept_positions_and_reset_clears() {
        let mut m = Moments::new(Some(0.5));
        for k in 0..200 {
            m.fragment(frag(k, if k % 2 == 0 { 1.0 } else { 0.0 }));
        }
        assert_eq!(m.overs, 100);
        assert_eq!(m.kept_overs().len(), OVERS_KEPT);
        assert_eq!(
            m.kept_overs()[OVERS_KEPT - 1],
            2 * (OVERS_KEPT as u64 - 1) * 240
        );
        m.reset();
        assert_eq!(m.overs, 0);
        assert_eq!(m.over_ceiling_gain, Some(0.5));
        let mut none = Moments::new(None);
        none.fragment(frag(0, 10.0));
        assert_eq!(none.overs, 0);
    }
}
