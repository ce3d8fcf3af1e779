//! K-weighting (ITU-R BS.1770-5, Annex 1, clause 2.1): a high-shelf "pre-filter" modelling the
//! acoustic effect of the head, followed by the RLB high-pass.
//!
//! BS.1770 tabulates the two biquads for 48 kHz only (Tables 1 and 2). For any other rate the
//! coefficients are derived from the analog prototype through the bilinear transform with
//! frequency pre-warping, using the prototype parameters that reproduce the 48 kHz tables (the
//! same derivation as libebur128 and the `ebur128` crate): shelf at f0 = 1681.97 Hz,
//! G = +4.0 dB, Q = 0.7072; high-pass at f0 = 38.135 Hz, Q = 0.5003. At 48 kHz the derived
//! coefficients match the tables to better than 1e-8 (tested).
//!
//! State is kept in f64 (transposed direct form II), so the filters stay exact over hours of
//! audio; a non-finite state (from an overflowing input) is reset by [`KWeighting::sanitize`].
//! Limits: rates from 8 kHz to 384 kHz. From 32 kHz up the curve matches the 48 kHz curve
//! within 0.05 dB in its pass band; below 32 kHz the bilinear warp shifts it by up to 0.25 dB.

/// Prototype of the pre-filter (high shelf): centre frequency in Hz.
const SHELF_F0_HZ: f64 = 1681.974450955533;
/// Prototype of the pre-filter: gain at high frequencies in dB.
const SHELF_GAIN_DB: f64 = 3.999843853973347;
/// Prototype of the pre-filter: quality factor.
const SHELF_Q: f64 = 0.7071752369554196;
/// Exponent relating the shelf's band gain to its high-frequency gain.
const SHELF_VB_EXPONENT: f64 = 0.4996667741545416;
/// Prototype of the RLB high-pass: corner frequency in Hz.
const HIGHPASS_F0_HZ: f64 = 38.13547087602444;
/// Prototype of the RLB high-pass: quality factor.
const HIGHPASS_Q: f64 = 0.5003270373238773;

/// One biquad section `b0 + b1 z^-1 + b2 z^-2 / (1 + a1 z^-1 + a2 z^-2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    pub b: [f64; 3],
    pub a: [f64; 2],
}

impl Biquad {
    /// The pre-filter (stage 1) for `sample_rate_hz`.
    pub fn shelf(sample_rate_hz: f64) -> Biquad {
        let k = (std::f64::consts::PI * SHELF_F0_HZ / sample_rate_hz).tan();
        let vh = 10f64.powf(SHELF_GAIN_DB / 20.0);
        let vb = vh.powf(SHELF_VB_EXPONENT);
        let a0 = 1.0 + k / SHELF_Q + k * k;
        Biquad {
            b: [
                (vh + vb * k / SHELF_Q + k * k) / a0,
                2.0 * (k * k - vh) / a0,
                (vh - vb * k / SHELF_Q + k * k) / a0,
            ],
            a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / SHELF_Q + k * k) / a0],
        }
    }

    /// The RLB high-pass (stage 2) for `sample_rate_hz`. BS.1770 gives its numerator as
    /// exactly (1, -2, 1).
    pub fn highpass(sample_rate_hz: f64) -> Biquad {
        let k = (std::f64::consts::PI * HIGHPASS_F0_HZ / sample_rate_hz).tan();
        let a0 = 1.0 + k / HIGHPASS_Q + k * k;
        Biquad {
            b: [1.0, -2.0, 1.0],
            a: [
                2.0 * (k * k - 1.0) / a0,
                (1.0 - k / HIGHPASS_Q + k * k) / a0,
            ],
        }
    }

    /// Magnitude response at `frequency_hz`, linear.
    pub fn gain_at(&self, frequency_hz: f64, sample_rate_hz: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * frequency_hz / sample_rate_hz;
        let (c1, s1, c2, s2) = (w.cos(), -w.sin(), (2.0 * w).cos(), -(2.0 * w).sin());
        let num = (
            self.b[0] + self.b[1] * c1 + self.b[2] * c2,
            self.b[1] * s1 + self.b[2] * s2,
        );
        let den = (
            1.0 + self.a[0] * c1 + self.a[1] * c2,
            self.a[0] * s1 + self.a[1] * s2,
        );
        (num.0.hypot(num.1)) / (den.0.hypot(den.1))
    }
}

/// K-weighting filter state for one channel: two biquads in transposed direct form II.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChannelState {
    shelf: [f64; 2],
    highpass: [f64; 2],
}

/// The K-weighting filter for up to `channels` channels at one sample rate.
#[derive(Debug, Clone)]
pub struct KWeighting {
    shelf: Biquad,
    highpass: Biquad,
}

impl KWeighting {
    pub fn new(sample_rate_hz: f64) -> Self {
        Self {
            shelf: Biquad::shelf(sample_rate_hz),
            highpass: Biquad::highpass(sample_rate_hz),
        }
    }

    pub fn stages(&self) -> (Biquad, Biquad) {
        (self.shelf, self.highpass)
    }

    /// Filters one sample through both stages.
    #[inline(always)]
    pub fn tick(&self, state: &mut ChannelState, x: f64) -> f64 {
        let (s, h) = (&self.shelf, &self.highpass);
        let y1 = s.b[0] * x + state.shelf[0];
        state.shelf[0] = s.b[1] * x - s.a[0] * y1 + state.shelf[1];
        state.shelf[1] = s.b[2] * x - s.a[1] * y1;
        // The high-pass numerator is (1, -2, 1).
        let y2 = y1 + state.highpass[0];
        state.highpass[0] = -2.0 * y1 - h.a[0] * y2 + state.highpass[1];
        state.highpass[1] = y1 - h.a[1] * y2;
        y2
    }

    /// Resets a state that went non-finite and flushes values too small to matter, so that
    /// silence never leaves the filter running on denormals. Returns true if it was reset.
    pub fn sanitize(state: &mut ChannelState) -> bool {
        const FLUSH_BELOW: f64 = 1e-30;
        let values = [
            state.shelf[0],
            state.shelf[1],
            state.highpass[0],
            state.highpass[1],
        ];
        if values.iter().any(|v| !v.is_finite()) {
            *state = ChannelState::default();
            return true;
        }
        for v in state.shelf.iter_mut().chain(state.highpass.iter_mut()) {
            if v.abs() < FLUSH_BELOW {
                *v = 0.0;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BS.1770-5 Annex 1, Table 1 (pre-filter) and Table 2 (RLB), 48 kHz.
    #[test]
    fn derived_coefficients_match_the_48_khz_tables() {
        let shelf = Biquad::shelf(48_000.0);
        let expected_b = [1.53512485958697, -2.69169618940638, 1.19839281085285];
        let expected_a = [-1.69065929318241, 0.73248077421585];
        for (got, want) in shelf.b.iter().zip(expected_b) {
            assert!((got - want).abs() < 1e-8, "{got} vs {want}");
        }
        for (got, want) in shelf.a.iter().zip(expected_a) {
            assert!((got - want).abs() < 1e-8, "{got} vs {want}");
        }
        let hp = Biquad::highpass(48_000.0);
        assert_eq!(hp.b, [1.0, -2.0, 1.0]);
        for (got, want) in hp.a.iter().zip([-1.99004745483398, 0.99007225036621]) {
            assert!((got - want).abs() < 1e-8, "{got} vs {want}");
        }
    }

    fn response_db(rate: f64, frequency_hz: f64) -> f64 {
        let (s, h) = KWeighting::new(rate).stages();
        20.0 * (s.gain_at(frequency_hz, rate) * h.gain_at(frequency_hz, rate)).log10()
    }

    /// The response is the same curve at every rate (the 48 kHz curve of the tables): about
    /// +0.69 dB at 1 kHz (the reason for BS.1770's -0.691 offset), +4 dB high shelf, high-pass
    /// below ~40 Hz. The bilinear transform warps it only near Nyquist.
    #[test]
    fn response_is_rate_independent() {
        assert!((response_db(48_000.0, 1000.0) - 0.691).abs() < 0.01);
        assert!((response_db(48_000.0, 16_000.0) - 4.0).abs() < 0.1);
        assert!(response_db(48_000.0, 10.0) < -9.0);
        for rate in [8_000.0, 22_050.0, 44_100.0, 96_000.0, 192_000.0, 384_000.0] {
            for f in [40.0, 100.0, 1000.0, 3000.0, 10_000.0] {
                if f > rate / 8.0 {
                    continue;
                }
                let (got, reference) = (response_db(rate, f), response_db(48_000.0, f));
                // Below 32 kHz the shelf's centre is close enough to Nyquist for the bilinear
                // warp to shift the whole curve by up to 0.25 dB (as in every prototype-derived
                // implementation, the `ebur128` crate's included).
                let tolerance_db = if rate < 32_000.0 { 0.25 } else { 0.05 };
                assert!(
                    (got - reference).abs() < tolerance_db,
                    "{rate} Hz at {f}: {got} vs {reference}"
                );
            }
        }
    }

    #[test]
    fn sanitize_resets_non_finite_state_and_flushes_tiny_values() {
        let k = KWeighting::new(48_000.0);
        let mut state = ChannelState::default();
        k.tick(&mut state, f64::INFINITY);
        assert!(KWeighting::sanitize(&mut state));
        assert_eq!(k.tick(&mut state, 0.0), 0.0);
        let mut state = ChannelState::default();
        k.tick(&mut state, 1e-35);
        assert!(!KWeighting::sanitize(&mut state));
        assert_eq!(k.tick(&mut state, 0.0), 0.0);
    }
}
