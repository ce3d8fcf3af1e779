//! The sliding windows: fragment sums in a ring holding 3 s, and running sums over the last
//! 80 fragments (momentary, 400 ms) and 600 fragments (short-term, 3 s), EBU Tech 3341
//! clause 2.2. The running sums are re-summed exactly once per 3 s so they never drift.

/// Fragments of the momentary window (400 ms).
pub const MOMENTARY_FRAGMENTS: usize = 80;
/// Fragments of the short-term window (3 s).
pub const SHORT_TERM_FRAGMENTS: usize = 600;

/// Sums over one fragment (or a window of fragments).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sums {
    pub(super) samples: u64,
    /// sum over channels of weight * sum of K-weighted squares.
    pub(super) energy: f64,
    /// K-weighted sums of squares of L and R, and of L*R (stereo only).
    pub(super) k_left: f64,
    pub(super) k_right: f64,
    pub(super) k_cross: f64,
    /// Unweighted sums of squares of L and R, and of L*R (stereo only).
    pub(super) raw_left: f64,
    pub(super) raw_right: f64,
    pub(super) raw_cross: f64,
    /// Unweighted sum of squares over all channels.
    pub(super) raw_power: f64,
}

impl Sums {
    pub(super) fn add(&mut self, o: &Sums) {
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
    pub(super) fn mono_energy(&self) -> f64 {
        (self.k_left + self.k_right + 2.0 * self.k_cross) / 2.0
    }
}

/// The momentary and short-term windows over the fragment ring.
#[derive(Debug)]
pub(super) struct Windows {
    ring: Box<[Sums]>,
    pos: usize,
    pub(super) momentary: Sums,
    pub(super) short_term: Sums,
    /// The windows' lengths in samples, the denominators of their mean squares.
    momentary_samples: f64,
    short_term_samples: f64,
}

impl Windows {
    pub(super) fn new(sample_rate_hz: f64) -> Self {
        Self {
            ring: vec![Sums::default(); SHORT_TERM_FRAGMENTS].into_boxed_slice(),
            pos: 0,
            momentary: Sums::default(),
            short_term: Sums::default(),
            momentary_samples: (sample_rate_hz * 0.4).round(),
            short_term_samples: (sample_rate_hz * 3.0).round(),
        }
    }

    pub(super) fn reset(&mut self) {
        self.ring.fill(Sums::default());
        self.pos = 0;
        self.momentary = Sums::default();
        self.short_term = Sums::default();
    }

    /// Slides both windows by one fragment: the fragment leaving the momentary window is 80
    /// back, the one leaving the short-term window is the one being overwritten.
    pub(super) fn push(&mut self, fragment: Sums) {
        let leaving_momentary = self.ring
            [(self.pos + SHORT_TERM_FRAGMENTS - MOMENTARY_FRAGMENTS) % SHORT_TERM_FRAGMENTS];
        let leaving_short_term = self.ring[self.pos];
        self.momentary.sub(&leaving_momentary);
        self.momentary.add(&fragment);
        self.short_term.sub(&leaving_short_term);
        self.short_term.add(&fragment);
        self.ring[self.pos] = fragment;
        self.pos = (self.pos + 1) % SHORT_TERM_FRAGMENTS;
        if self.pos == 0 {
            self.resum();
        }
    }

    fn resum(&mut self) {
        let mut momentary = Sums::default();
        let mut short_term = Sums::default();
        for (i, f) in self.ring.iter().enumerate() {
            short_term.add(f);
            // pos == 0: the newest fragment is at the end.
            if i >= SHORT_TERM_FRAGMENTS - MOMENTARY_FRAGMENTS {
                momentary.add(f);
            }
        }
        self.momentary = momentary;
        self.short_term = short_term;
    }

    /// Mean-square weighted energy of the momentary window as it stands.
    pub(super) fn momentary_energy(&self) -> f64 {
        self.momentary.energy.max(0.0) / self.momentary_samples
    }

    /// Mean-square weighted energy of the short-term window as it stands.
    pub(super) fn short_term_energy(&self) -> f64 {
        self.short_term.energy.max(0.0) / self.short_term_samples
    }

    /// Mean-square energy of the mono sum (L+R)/2 over the momentary window.
    pub(super) fn momentary_mono_energy(&self) -> f64 {
        self.momentary.mono_energy().max(0.0) / self.momentary_samples
    }

    /// Mean-square energy of the mono sum (L+R)/2 over the short-term window.
    pub(super) fn short_term_mono_energy(&self) -> f64 {
        self.short_term.mono_energy().max(0.0) / self.short_term_samples
    }
}
