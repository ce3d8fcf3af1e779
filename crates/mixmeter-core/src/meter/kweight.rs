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
//! State is kept in f64 (direct form I, see [`KWeighting`]), so the filters stay exact over hours of
//! audio; a non-finite state (from an overflowing input) is reset by [`KWeighting::sanitize`].
//! Limits: rates from 8 kHz to 384 kHz. From 32 kHz up the curve matches the 48 kHz curve
//! within 0.05 dB in its pass band; below 32 kHz the bilinear warp shifts it by up to 0.25 dB.

use super::{Kernel, Variant};

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

/// K-weighting filter state for one channel (direct form I: the last two inputs, pre-filter
/// outputs and high-pass outputs, newest first).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChannelState {
    x: [f64; 2],
    shelf: [f64; 2],
    highpass: [f64; 2],
}

/// Sums of squares of one run of stereo audio: K-weighted and unweighted per channel, and the
/// left-times-right cross terms.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StereoSums {
    pub k: [f64; 2],
    pub k_cross: f64,
    pub raw: [f64; 2],
    pub raw_cross: f64,
}

/// How many frames the high-pass trails the shelf in the AVX2 kernel (see [`StereoPipeline`]).
pub const PIPELINE_LAG: usize = 6;

/// A stereo pair's K-weighting between the calls of one fragment
/// ([`KWeighting::run_stereo_pipelined`]): the filter state, the sums, and, with the AVX2
/// kernel, the shelf outputs of the last [`PIPELINE_LAG`] frames that have not been through the
/// high-pass yet. The AVX2 kernel runs both stages of both channels in one 256-bit register,
/// the high-pass lanes [`PIPELINE_LAG`] frames behind the shelf lanes; keeping that lag across
/// calls means a fragment pays for filling and emptying it once, not once per host block (12
/// half-width steps and the set-up were a third of the filter's time in 64-frame calls).
/// [`KWeighting::drain`] empties it, after which [`StereoPipeline::states`] and the sums are
/// those of every frame so far, bit for bit what one call over all of them gives.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StereoPipeline {
    /// The stages' last two inputs and outputs, lanes `[shelf L, shelf R, high-pass L,
    /// high-pass R]` (the high-pass lanes as of the oldest frame waiting in `lag`).
    x1: [f64; 4],
    x2: [f64; 4],
    y1: [f64; 4],
    y2: [f64; 4],
    /// Sums of squares `[raw L, raw R, k L, k R]` (K-weighted before
    /// [`KWeighting::energy_scale`]).
    squares: [f64; 4],
    /// Cross terms: raw in lane 0, K-weighted in lane 2 (lanes 1 and 3 hold the same sums in
    /// the other order).
    cross: [f64; 4],
    /// Shelf outputs `[L, R]` waiting for the high-pass (AVX2 kernel only): frame `f` since
    /// the last drain in slot `f % PIPELINE_LAG`.
    lag: [[f64; 2]; PIPELINE_LAG],
    /// Frames waiting in `lag`.
    pending: usize,
    /// The slot of the next frame.
    slot: usize,
}

impl StereoPipeline {
    /// A drained pipeline holding these states and sums.
    pub fn new(states: [ChannelState; 2], sums: StereoSums) -> Self {
        let [l, r] = states;
        let lanes = |shelf: [f64; 2], high: [f64; 2]| [shelf[0], shelf[1], high[0], high[1]];
        Self {
            x1: lanes([l.x[0], r.x[0]], [l.shelf[0], r.shelf[0]]),
            x2: lanes([l.x[1], r.x[1]], [l.shelf[1], r.shelf[1]]),
            y1: lanes([l.shelf[0], r.shelf[0]], [l.highpass[0], r.highpass[0]]),
            y2: lanes([l.shelf[1], r.shelf[1]], [l.highpass[1], r.highpass[1]]),
            squares: lanes(sums.raw, sums.k),
            cross: [sums.raw_cross, sums.raw_cross, sums.k_cross, sums.k_cross],
            ..Self::default()
        }
    }

    /// Whether no frame waits for the high-pass (then the states and sums are complete).
    pub fn is_drained(&self) -> bool {
        self.pending == 0
    }

    /// Both channels' filter states (drained only).
    pub fn states(&self) -> [ChannelState; 2] {
        debug_assert!(self.is_drained());
        std::array::from_fn(|c| ChannelState {
            x: [self.x1[c], self.x2[c]],
            shelf: [self.y1[c], self.y2[c]],
            highpass: [self.y1[c + 2], self.y2[c + 2]],
        })
    }

    /// The sums so far (drained only).
    pub fn sums(&self) -> StereoSums {
        debug_assert!(self.is_drained());
        StereoSums {
            k: [self.squares[2], self.squares[3]],
            k_cross: self.cross[2],
            raw: [self.squares[0], self.squares[1]],
            raw_cross: self.cross[0],
        }
    }
}

/// The K-weighting filter for one sample rate.
///
/// Form: each stage is a direct-form-I biquad in f64. Its loop-carried dependency is one
/// multiply-add per stage and sample (`y[n] = rest - a1 y[n-1]`, where `rest` does not depend
/// on `y[n-1]`), so the two stages of both stereo channels run in parallel, the channels packed
/// in one SIMD register. The arithmetic of [`KWeighting::tick`] (the scalar reference) and of
/// the portable stereo kernel is the same operation for operation; the AVX2+FMA kernel fuses
/// the multiply-adds, and runs both stages of both channels in one 256-bit register with the
/// high-pass a few frames behind the shelf (`stereo_x86::run_fma`).
#[derive(Debug, Clone)]
pub struct KWeighting {
    shelf: Biquad,
    /// The pre-filter divided by its `b0`.
    shelf_norm: Biquad,
    highpass: Biquad,
    kernel: Kernel,
}

/// `a * b + c`, fused or not.
#[inline(always)]
fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

impl KWeighting {
    pub fn new(sample_rate_hz: f64) -> Self {
        Self::with_kernel(sample_rate_hz, Kernel::detect())
    }

    /// A filter using a given kernel (tests compare them).
    pub fn with_kernel(sample_rate_hz: f64, kernel: Kernel) -> Self {
        let shelf = Biquad::shelf(sample_rate_hz);
        let shelf_norm = Biquad {
            b: [1.0, shelf.b[1] / shelf.b[0], shelf.b[2] / shelf.b[0]],
            a: shelf.a,
        };
        Self {
            shelf,
            shelf_norm,
            highpass: Biquad::highpass(sample_rate_hz),
            kernel,
        }
    }

    pub fn stages(&self) -> (Biquad, Biquad) {
        (self.shelf, self.highpass)
    }

    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// One sample through both stages, without the pre-filter's gain `b0` (see
    /// [`KWeighting::energy_scale`]): the pre-filter runs as `b0 * (1 + c1 z^-1 + c2 z^-2) /
    /// A(z)` with `c = b / b0`, and since both stages are linear the constant `b0` is applied
    /// once to the sums instead of to every sample. That saves a multiply and a register in
    /// the hot loop.
    #[inline(always)]
    fn tick_generic<const FMA: bool>(&self, state: &mut ChannelState, x: f64) -> f64 {
        let (s, h) = (&self.shelf_norm, &self.highpass);
        let rest = madd::<FMA>(s.b[2], state.x[1], madd::<FMA>(s.b[1], state.x[0], x));
        let rest = madd::<FMA>(-s.a[1], state.shelf[1], rest);
        let y1 = madd::<FMA>(-s.a[0], state.shelf[0], rest);
        // The high-pass numerator is (1, -2, 1).
        let rest = (y1 - (state.shelf[0] + state.shelf[0])) + state.shelf[1];
        let rest = madd::<FMA>(-h.a[1], state.highpass[1], rest);
        let y2 = madd::<FMA>(-h.a[0], state.highpass[0], rest);
        state.x = [x, state.x[0]];
        state.shelf = [y1, state.shelf[0]];
        state.highpass = [y2, state.highpass[0]];
        y2
    }

    /// What sums of squares of the `run_*` outputs are multiplied by to become K-weighted
    /// energy: `b0^2` of the pre-filter.
    pub fn energy_scale(&self) -> f64 {
        self.shelf.b[0] * self.shelf.b[0]
    }

    /// Filters one sample through both stages (the portable arithmetic; the K-weighted
    /// sample, `b0` included).
    pub fn tick(&self, state: &mut ChannelState, x: f64) -> f64 {
        self.shelf.b[0] * self.tick_generic::<false>(state, x)
    }

    #[inline(always)]
    fn run_mono_generic<const FMA: bool>(
        &self,
        state: &mut ChannelState,
        input: &[f32],
        k: &mut f64,
        raw: &mut f64,
    ) {
        let (mut ke, mut re) = (*k, *raw);
        for &x in input {
            let x = x as f64;
            let y = self.tick_generic::<FMA>(state, x);
            ke = madd::<FMA>(y, y, ke);
            re = madd::<FMA>(x, x, re);
        }
        *k = ke;
        *raw = re;
    }

    /// Filters one channel, adding the K-weighted squares (before [`KWeighting::energy_scale`])
    /// to `k` and the unweighted squares to `raw`.
    pub fn run_mono(&self, state: &mut ChannelState, input: &[f32], k: &mut f64, raw: &mut f64) {
        match self.kernel.variant() {
            Variant::Portable => self.run_mono_generic::<false>(state, input, k, raw),
            // SAFETY: this kernel is only selected when the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Variant::Avx2Fma | Variant::Avx512 => unsafe {
                self.run_mono_fma(state, input, k, raw)
            },
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn run_mono_fma(&self, state: &mut ChannelState, input: &[f32], k: &mut f64, raw: &mut f64) {
        self.run_mono_generic::<true>(state, input, k, raw)
    }

    /// Filters a stereo pair (equal lengths), adding to `sums` (K-weighted terms before
    /// [`KWeighting::energy_scale`]).
    pub fn run_stereo(
        &self,
        states: &mut [ChannelState; 2],
        left: &[f32],
        right: &[f32],
        sums: &mut StereoSums,
    ) {
        debug_assert_eq!(left.len(), right.len());
        match self.kernel.variant() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Variant::Portable => unsafe {
                stereo_x86::run::<false>(self, states, left, right, sums)
            },
            #[cfg(not(target_arch = "x86_64"))]
            Variant::Portable => self.run_stereo_scalar(states, left, right, sums),
            #[cfg(target_arch = "x86_64")]
            Variant::Avx2Fma | Variant::Avx512 => {
                let mut pipeline = StereoPipeline::new(*states, *sums);
                // SAFETY: this kernel is only selected when the CPU has AVX2 and FMA.
                unsafe { stereo_x86::run_fma(self, &mut pipeline, left, right, true) };
                (*states, *sums) = (pipeline.states(), pipeline.sums());
            }
        }
    }

    /// Filters the next frames of a stereo pair (equal lengths) into `pipeline`, adding to its
    /// sums; [`KWeighting::drain`] completes them. The same states and sums as
    /// [`KWeighting::run_stereo`] over the same frames, bit for bit, however they are cut.
    pub fn run_stereo_pipelined(&self, pipeline: &mut StereoPipeline, left: &[f32], right: &[f32]) {
        debug_assert_eq!(left.len(), right.len());
        match self.kernel.variant() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: this kernel is only selected when the CPU has AVX2 and FMA.
            Variant::Avx2Fma | Variant::Avx512 => unsafe {
                stereo_x86::run_fma(self, pipeline, left, right, false)
            },
            Variant::Portable => {
                let (mut states, mut sums) = (pipeline.states(), pipeline.sums());
                self.run_stereo(&mut states, left, right, &mut sums);
                *pipeline = StereoPipeline::new(states, sums);
            }
        }
    }

    /// Runs the high-pass on the frames waiting in `pipeline`, so that its states and sums
    /// are complete.
    pub fn drain(&self, pipeline: &mut StereoPipeline) {
        if pipeline.is_drained() {
            return;
        }
        match self.kernel.variant() {
            // SAFETY: this kernel is only selected when the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Variant::Avx2Fma | Variant::Avx512 => unsafe {
                stereo_x86::run_fma(self, pipeline, &[], &[], true)
            },
            // Only the AVX2 kernel leaves frames waiting.
            Variant::Portable => {}
        }
    }

    /// The stereo kernel in scalar form: the reference the SIMD kernels are tested against.
    pub fn run_stereo_scalar(
        &self,
        states: &mut [ChannelState; 2],
        left: &[f32],
        right: &[f32],
        sums: &mut StereoSums,
    ) {
        let [state_l, state_r] = states;
        for (&xl, &xr) in left.iter().zip(right) {
            let (xl, xr) = (xl as f64, xr as f64);
            let yl = self.tick_generic::<false>(state_l, xl);
            let yr = self.tick_generic::<false>(state_r, xr);
            sums.k[0] += yl * yl;
            sums.k[1] += yr * yr;
            sums.k_cross += yl * yr;
            sums.raw[0] += xl * xl;
            sums.raw[1] += xr * xr;
            sums.raw_cross += xl * xr;
        }
    }

    /// Resets a state that went non-finite and flushes values too small to matter, so that
    /// silence never leaves the filter running on denormals. Returns true if it was reset.
    pub fn sanitize(state: &mut ChannelState) -> bool {
        const FLUSH_BELOW: f64 = 1e-30;
        let values = state.x.iter().chain(&state.shelf).chain(&state.highpass);
        if values.clone().any(|v| !v.is_finite()) {
            *state = ChannelState::default();
            return true;
        }
        for v in state
            .x
            .iter_mut()
            .chain(state.shelf.iter_mut())
            .chain(state.highpass.iter_mut())
        {
            if v.abs() < FLUSH_BELOW {
                *v = 0.0;
            }
        }
        false
    }
}

/// Both channels of a stereo pair in one 128-bit register (lane 0 left, lane 1 right); the
/// AVX2 kernel (`run_fma`) puts both stages in one 256-bit register.
#[cfg(target_arch = "x86_64")]
mod stereo_x86 {
    use super::{ChannelState, KWeighting, StereoPipeline, StereoSums};
    use std::arch::x86_64::*;

    #[inline(always)]
    unsafe fn madd<const FMA: bool>(a: __m128d, b: __m128d, c: __m128d) -> __m128d {
        // SAFETY (both arms): register-only SSE2 / FMA arithmetic; FMA is only instantiated
        // inside a function compiled with the "fma" target feature.
        unsafe {
            if FMA {
                _mm_fmadd_pd(a, b, c)
            } else {
                _mm_add_pd(_mm_mul_pd(a, b), c)
            }
        }
    }

    /// Both channels' states from the lanes of the six state registers (`x1, x2`, the shelf's
    /// `y1, y2`, the high-pass's `y1, y2`; lane 0 left, lane 1 right).
    fn split_states(states: &mut [ChannelState; 2], [x1, x2, s1, s2, h1, h2]: [[f64; 2]; 6]) {
        for (c, state) in states.iter_mut().enumerate() {
            *state = ChannelState {
                x: [x1[c], x2[c]],
                shelf: [s1[c], s2[c]],
                highpass: [h1[c], h2[c]],
            };
        }
    }

    /// # Safety
    /// The CPU must support the instructions of the instantiation (SSE2; FMA if `FMA`).
    #[inline(always)]
    pub unsafe fn run<const FMA: bool>(
        filter: &KWeighting,
        states: &mut [ChannelState; 2],
        left: &[f32],
        right: &[f32],
        sums: &mut StereoSums,
    ) {
        let (s, h) = (&filter.shelf_norm, &filter.highpass);
        let [l, r] = states;
        // SAFETY: register arithmetic and loads from references only; the AVX instructions
        // are only instantiated (FMA = true) inside a function compiled for AVX2 and FMA.
        unsafe {
            let pair = |a: f64, b: f64| _mm_set_pd(b, a);
            let c1 = _mm_set1_pd(s.b[1]);
            let c2 = _mm_set1_pd(s.b[2]);
            let na1 = _mm_set1_pd(-s.a[0]);
            let na2 = _mm_set1_pd(-s.a[1]);
            let nh1 = _mm_set1_pd(-h.a[0]);
            let nh2 = _mm_set1_pd(-h.a[1]);
            let (mut x1, mut x2) = (pair(l.x[0], r.x[0]), pair(l.x[1], r.x[1]));
            let (mut s1, mut s2) = (pair(l.shelf[0], r.shelf[0]), pair(l.shelf[1], r.shelf[1]));
            let (mut h1, mut h2) = (
                pair(l.highpass[0], r.highpass[0]),
                pair(l.highpass[1], r.highpass[1]),
            );
            // Squares: [k_l, k_r] and [raw_l, raw_r]; with AVX all four in one register.
            let mut k = pair(sums.k[0], sums.k[1]);
            let mut raw = pair(sums.raw[0], sums.raw[1]);
            let mut squares = _mm256_setzero_pd();
            if FMA {
                squares = _mm256_set_m128d(raw, k);
            }
            let mut cross = pair(sums.k_cross, sums.raw_cross);
            // With AVX: [yl*yr, yr*yl, xl*xr, xr*xl] accumulated in lanes 0 to 3 (0 and 2 read).
            let mut cross_pairs = _mm256_setzero_pd();
            if FMA {
                cross_pairs = _mm256_set_pd(0.0, sums.raw_cross, 0.0, sums.k_cross);
            }
            // A macro, not a closure: a closure would be compiled without the caller's target
            // features, and the intrinsics inside it might not inline.
            macro_rules! step {
                ($x:expr) => {{
                    let x: __m128d = $x;
                    let rest = madd::<FMA>(c2, x2, madd::<FMA>(c1, x1, x));
                    let rest = madd::<FMA>(na2, s2, rest);
                    let y1 = madd::<FMA>(na1, s1, rest);
                    let rest = _mm_add_pd(_mm_sub_pd(y1, _mm_add_pd(s1, s1)), s2);
                    let rest = madd::<FMA>(nh2, h2, rest);
                    let y2 = madd::<FMA>(nh1, h1, rest);
                    (x2, x1) = (x1, x);
                    (s2, s1) = (s1, y1);
                    (h2, h1) = (h1, y2);
                    if FMA {
                        // [yl, yr, xl, xr]: its squares, and its products with its in-lane swap
                        // [yr, yl, xr, xl] (one shuffle instead of two unpacks).
                        let v = _mm256_set_m128d(x, y2);
                        squares = _mm256_fmadd_pd(v, v, squares);
                        let swapped = _mm256_permute_pd::<0b0101>(v);
                        cross_pairs = _mm256_fmadd_pd(v, swapped, cross_pairs);
                    } else {
                        k = madd::<FMA>(y2, y2, k);
                        raw = madd::<FMA>(x, x, raw);
                        // [yl, xl] * [yr, xr]
                        cross = madd::<FMA>(_mm_unpacklo_pd(y2, x), _mm_unpackhi_pd(y2, x), cross);
                    }
                }};
            }
            // Four frames at a time: the floats interleaved to [l, r] pairs in the single
            // precision lanes first, then widened two at a time (exact, as `as f64` is), which
            // takes half the shuffles of widening each sample on its own.
            let frames = left.len().min(right.len());
            let (lefts, rights) = (
                left[..frames].chunks_exact(4),
                right[..frames].chunks_exact(4),
            );
            let (left_rest, right_rest) = (lefts.remainder(), rights.remainder());
            for (l4, r4) in lefts.zip(rights) {
                let (l4, r4) = (_mm_loadu_ps(l4.as_ptr()), _mm_loadu_ps(r4.as_ptr()));
                let (low, high) = (_mm_unpacklo_ps(l4, r4), _mm_unpackhi_ps(l4, r4));
                step!(_mm_cvtps_pd(low));
                step!(_mm_cvtps_pd(_mm_movehl_ps(low, low)));
                step!(_mm_cvtps_pd(high));
                step!(_mm_cvtps_pd(_mm_movehl_ps(high, high)));
            }
            for (&xl, &xr) in left_rest.iter().zip(right_rest) {
                step!(pair(xl as f64, xr as f64));
            }
            if FMA {
                k = _mm256_castpd256_pd128(squares);
                raw = _mm256_extractf128_pd::<1>(squares);
                // Lanes 0 and 2.
                cross = _mm_unpacklo_pd(
                    _mm256_castpd256_pd128(cross_pairs),
                    _mm256_extractf128_pd::<1>(cross_pairs),
                );
            }
            let lanes = |v: __m128d| {
                let mut out = [0.0f64; 2];
                _mm_storeu_pd(out.as_mut_ptr(), v);
                out
            };
            split_states(states, [x1, x2, s1, s2, h1, h2].map(lanes));
            sums.k = lanes(k);
            sums.raw = lanes(raw);
            [sums.k_cross, sums.raw_cross] = lanes(cross);
        }
    }

    /// How many frames the high-pass lanes of [`run_fma`] trail the shelf lanes.
    pub const LAG: usize = super::PIPELINE_LAG;

    /// The stereo pair in AVX2 + FMA, both stages of both channels in one 256-bit register,
    /// lanes `[shelf L, shelf R, high-pass L, high-pass R]`: the high-pass lanes filter frame
    /// `n - LAG` while the shelf lanes filter frame `n`, so each step is four multiply-adds on
    /// one register where [`run`] spends seven operations on two.
    ///
    /// Both stages have the form `y = x + c1 x1 + c2 x2 - a2 y2 - a1 y1` (the shelf divided by
    /// its `b0`; the high-pass numerator is exactly (1, -2, 1)), computed in [`run`]'s order
    /// (`x - 2 x1` and `+ x2` are fused multiply-adds by -2 and 1 that round as its subtraction
    /// and addition do), so the result is [`run::<true>`]'s bit for bit (tested). The lag makes
    /// the loop wait only on `a1 y1`: a step's input `x` takes the shelf output of `LAG` steps
    /// earlier, which needs `LAG` steps of four cycles to cover its path through the step (a
    /// shuffle and four multiply-adds). The lag lives in `pipeline` between calls: the first
    /// `LAG` frames after a drain run the shelf alone, and `drain` runs the high-pass alone on
    /// the frames still waiting. Each lane adds its squares in frame order, so where the calls
    /// and drains fall changes no bit.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn run_fma(
        filter: &KWeighting,
        pipeline: &mut StereoPipeline,
        left: &[f32],
        right: &[f32],
        drain: bool,
    ) {
        let frames = left.len().min(right.len());
        let (s, h) = (&filter.shelf_norm, &filter.highpass);
        // SAFETY: register arithmetic, loads and stores of the pipeline's arrays, and loads
        // from slices at indices below `frames`.
        unsafe {
            let pair = |a: f64, b: f64| _mm_set_pd(b, a);
            let frame = |i: usize| pair(left[i] as f64, right[i] as f64);
            let swap = |v: __m128d| _mm_permute_pd::<0b01>(v);
            // Coefficients per lane, shelf in the low half, high-pass in the high half.
            let quad = |shelf: f64, highpass: f64| _mm256_set_pd(highpass, highpass, shelf, shelf);
            let c1 = quad(s.b[1], h.b[1]);
            let c2 = quad(s.b[2], h.b[2]);
            let na1 = quad(-s.a[0], -h.a[0]);
            let na2 = quad(-s.a[1], -h.a[1]);
            let p = &mut *pipeline;
            let mut xv1 = _mm256_loadu_pd(p.x1.as_ptr());
            let mut xv2 = _mm256_loadu_pd(p.x2.as_ptr());
            let mut yv1 = _mm256_loadu_pd(p.y1.as_ptr());
            let mut yv2 = _mm256_loadu_pd(p.y2.as_ptr());
            let mut squares = _mm256_loadu_pd(p.squares.as_ptr());
            let mut cross = _mm256_loadu_pd(p.cross.as_ptr());
            let mut lag = [_mm_setzero_pd(); LAG];
            for (slot, saved) in lag.iter_mut().zip(&p.lag) {
                *slot = _mm_loadu_pd(saved.as_ptr());
            }
            let (mut pending, mut slot) = (p.pending, p.slot);
            let mut i = 0;

            // After a drain, the shelf alone on the first LAG frames (its outputs wait in
            // `lag`), with the unweighted squares: the high-pass lanes are computed from a zero
            // input and thrown away, and add zeros to the sums.
            while pending < LAG && i < frames {
                let x = _mm256_zextpd128_pd256(frame(i));
                let rest = _mm256_fmadd_pd(c2, xv2, _mm256_fmadd_pd(c1, xv1, x));
                let y = _mm256_fmadd_pd(na1, yv1, _mm256_fmadd_pd(na2, yv2, rest));
                lag[slot] = _mm256_castpd256_pd128(y);
                squares = _mm256_fmadd_pd(x, x, squares);
                cross = _mm256_fmadd_pd(x, _mm256_permute_pd::<0b0101>(x), cross);
                // The shelf lanes move on; the high-pass lanes keep their state.
                xv2 = _mm256_blend_pd::<0b0011>(xv2, xv1);
                xv1 = _mm256_blend_pd::<0b0011>(xv1, x);
                yv2 = _mm256_blend_pd::<0b0011>(yv2, yv1);
                yv1 = _mm256_blend_pd::<0b0011>(yv1, y);
                (pending, slot, i) = (pending + 1, (slot + 1) % LAG, i + 1);
            }

            // Both stages: the high-pass lanes take the shelf output of the frame LAG before.
            let join = |low: __m128d, high: __m128d| _mm256_set_m128d(high, low);
            macro_rules! step {
                ($x:expr, $slot:expr) => {{
                    let xv = join($x, $slot);
                    let rest = _mm256_fmadd_pd(c2, xv2, _mm256_fmadd_pd(c1, xv1, xv));
                    let y = _mm256_fmadd_pd(na1, yv1, _mm256_fmadd_pd(na2, yv2, rest));
                    $slot = _mm256_castpd256_pd128(y);
                    // [x L, x R, high-pass L, high-pass R]: the frame's input and the
                    // high-pass output of the frame LAG before it.
                    let w = _mm256_blend_pd::<0b1100>(xv, y);
                    squares = _mm256_fmadd_pd(w, w, squares);
                    cross = _mm256_fmadd_pd(w, _mm256_permute_pd::<0b0101>(w), cross);
                    (xv2, xv1, yv2, yv1) = (xv1, xv, yv1, y);
                }};
            }
            if pending == LAG {
                // Up to the first slot, then LAG frames per turn so that each slot has a fixed
                // place (a shifted array cost a move per slot and frame), then the rest.
                while slot != 0 && i < frames {
                    step!(frame(i), lag[slot]);
                    (slot, i) = ((slot + 1) % LAG, i + 1);
                }
                while i + LAG <= frames {
                    let (lefts, rights): (&[f32; LAG], &[f32; LAG]) = (
                        left[i..i + LAG].try_into().unwrap(),
                        right[i..i + LAG].try_into().unwrap(),
                    );
                    for m in 0..LAG {
                        step!(pair(lefts[m] as f64, rights[m] as f64), lag[m]);
                    }
                    i += LAG;
                }
                while i < frames {
                    step!(frame(i), lag[slot]);
                    (slot, i) = (slot + 1, i + 1);
                }
            }

            if drain && pending > 0 {
                // The high-pass alone on the frames waiting, oldest first.
                let high = |v: __m256d| _mm256_extractf128_pd::<1>(v);
                let (c1h, c2h) = (_mm_set1_pd(h.b[1]), _mm_set1_pd(h.b[2]));
                let (na1h, na2h) = (_mm_set1_pd(-h.a[0]), _mm_set1_pd(-h.a[1]));
                let (mut hx1, mut hx2) = (high(xv1), high(xv2));
                let (mut h1, mut h2) = (high(yv1), high(yv2));
                let mut k = high(squares);
                let mut k_cross = high(cross);
                let oldest = (slot + LAG - pending) % LAG;
                for j in 0..pending {
                    let x = lag[(oldest + j) % LAG];
                    let rest = _mm_fmadd_pd(c2h, hx2, _mm_fmadd_pd(c1h, hx1, x));
                    let y = _mm_fmadd_pd(na1h, h1, _mm_fmadd_pd(na2h, h2, rest));
                    k = _mm_fmadd_pd(y, y, k);
                    k_cross = _mm_fmadd_pd(y, swap(y), k_cross);
                    (hx2, hx1, h2, h1) = (hx1, x, h1, y);
                }
                xv1 = _mm256_insertf128_pd::<1>(xv1, hx1);
                xv2 = _mm256_insertf128_pd::<1>(xv2, hx2);
                yv1 = _mm256_insertf128_pd::<1>(yv1, h1);
                yv2 = _mm256_insertf128_pd::<1>(yv2, h2);
                squares = _mm256_insertf128_pd::<1>(squares, k);
                cross = _mm256_insertf128_pd::<1>(cross, k_cross);
                (pending, slot) = (0, 0);
            }

            _mm256_storeu_pd(p.x1.as_mut_ptr(), xv1);
            _mm256_storeu_pd(p.x2.as_mut_ptr(), xv2);
            _mm256_storeu_pd(p.y1.as_mut_ptr(), yv1);
            _mm256_storeu_pd(p.y2.as_mut_ptr(), yv2);
            _mm256_storeu_pd(p.squares.as_mut_ptr(), squares);
            _mm256_storeu_pd(p.cross.as_mut_ptr(), cross);
            for (saved, slot) in p.lag.iter_mut().zip(&lag) {
                _mm_storeu_pd(saved.as_mut_ptr(), *slot);
            }
            (p.pending, p.slot) = (pending, slot);
        }
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

    fn noise(seed: u64, n: usize) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 1.5
            })
            .collect()
    }

    fn stereo_run(k: &KWeighting, left: &[f32], right: &[f32]) -> ([ChannelState; 2], StereoSums) {
        let mut states = [ChannelState::default(); 2];
        let mut sums = StereoSums::default();
        // Uneven pieces, as the engine cuts them at fragment ends.
        let mut start = 0;
        for len in [1usize, 7, 240, 93, 1000].iter().cycle() {
            if start >= left.len() {
                break;
            }
            let end = (start + len).min(left.len());
            k.run_stereo(
                &mut states,
                &left[start..end],
                &right[start..end],
                &mut sums,
            );
            start = end;
        }
        (states, sums)
    }

    /// The portable SIMD kernel is the scalar reference operation for operation: bit-exact.
    /// The fused kernel rounds differently; over 10 s of loud noise it stays within 1e-12
    /// relative of the reference.
    #[test]
    fn stereo_kernels_agree_with_the_scalar_reference() {
        let (left, right) = (noise(3, 480_000), noise(4, 480_000));
        for rate in [44_100.0, 48_000.0, 192_000.0] {
            let reference = KWeighting::with_kernel(rate, Kernel::PORTABLE);
            let mut states = [ChannelState::default(); 2];
            let mut expected = StereoSums::default();
            reference.run_stereo_scalar(&mut states, &left, &right, &mut expected);
            assert_eq!(stereo_run(&reference, &left, &right), (states, expected));

            let (_, fast) = stereo_run(&KWeighting::new(rate), &left, &right);
            let pairs = [
                (fast.k[0], expected.k[0]),
                (fast.k[1], expected.k[1]),
                (fast.k_cross, expected.k_cross),
                (fast.raw[0], expected.raw[0]),
                (fast.raw[1], expected.raw[1]),
                (fast.raw_cross, expected.raw_cross),
            ];
            for (got, want) in pairs {
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs(),
                    "{rate}: {got} vs {want}"
                );
            }
        }
    }

    /// The AVX2 kernel keeps the high-pass lanes LAG frames behind the shelf lanes across
    /// calls until drained. At every drain its states and sums are bit for bit those of the
    /// plain AVX2 kernel (`run::<true>`) over the same frames: calls of every length around the
    /// lag (none, shorter, equal, one more, not a multiple of it), drains after calls at every
    /// position of the lag (while it fills too), chained over a long signal, at three rates. The
    /// one-call form (`run_stereo`, drained every call) is checked after every call.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn pipelined_stereo_kernel_matches_the_plain_one_bit_for_bit() {
        let Some(kernel) = Kernel::avx2_fma() else {
            eprintln!("skipped: this CPU has no AVX2 and FMA");
            return;
        };
        let (left, right) = (noise(8, 60_000), noise(9, 60_000));
        let lag = stereo_x86::LAG;
        for rate in [44_100.0, 48_000.0, 192_000.0] {
            let filter = KWeighting::with_kernel(rate, kernel);
            let mut plain = ([ChannelState::default(); 2], StereoSums::default());
            let mut per_call = plain;
            let mut piped = StereoPipeline::default();
            let (mut drains, mut since_drain) = (0, 0);
            let lengths = (0..4 * lag).chain([63, 64, 65, 240, 1000, 4096]);
            let mut start = 0;
            for (call, len) in lengths.cycle().enumerate() {
                let end = (start + len).min(left.len());
                let (l, r) = (&left[start..end], &right[start..end]);
                // SAFETY: AVX2 and FMA checked above.
                unsafe { stereo_x86::run::<true>(&filter, &mut plain.0, l, r, &mut plain.1) };
                filter.run_stereo(&mut per_call.0, l, r, &mut per_call.1);
                let at = format!("{rate} Hz, call {call} of {len} at {start}");
                assert_eq!(format!("{per_call:?}"), format!("{plain:?}"), "{at}");
                filter.run_stereo_pipelined(&mut piped, l, r);
                since_drain += l.len();
                // 7 is prime to the 30 lengths: drains fall after every length in turn.
                if call % 7 == 0 || end == left.len() {
                    // Frames wait in the pipeline between calls, and only then.
                    assert_eq!(piped.is_drained(), since_drain == 0, "{at}");
                    filter.drain(&mut piped);
                    (drains, since_drain) = (drains + 1, 0);
                    let got = (piped.states(), piped.sums());
                    assert_eq!(format!("{got:?}"), format!("{plain:?}"), "{at}");
                }
                if end == left.len() {
                    break;
                }
                start = end;
            }
            assert!(drains > 30, "{drains} drains");
        }
    }

    /// The run functions measure what `tick` filters: energy_scale * sum(run^2) = sum(tick^2).
    #[test]
    fn run_sums_scale_to_the_k_weighted_energy() {
        let x = noise(5, 48_000);
        let k = KWeighting::with_kernel(48_000.0, Kernel::PORTABLE);
        let mut state = ChannelState::default();
        let by_tick: f64 = x
            .iter()
            .map(|&v| k.tick(&mut state, v as f64).powi(2))
            .sum();
        let (mut energy, mut raw) = (0.0, 0.0);
        k.run_mono(&mut ChannelState::default(), &x, &mut energy, &mut raw);
        let scaled = energy * k.energy_scale();
        assert!(
            (scaled - by_tick).abs() <= 1e-12 * by_tick,
            "{scaled} vs {by_tick}"
        );
        let expected_raw: f64 = x.iter().map(|&v| (v as f64).powi(2)).sum();
        assert!((raw - expected_raw).abs() <= 1e-12 * expected_raw);
    }
}
