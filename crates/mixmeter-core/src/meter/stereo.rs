//! Stereo image per frequency band: correlation, width and mono loss, live and over the whole
//! measurement.
//!
//! **Method.** The long-term spectrum frames ([`super::spectrum`], periodic Hann window, 50 %
//! overlap, about 5.9 Hz bins) already hold each channel's complex spectrum `L[k]`, `R[k]`. Per
//! band `b` (edges [`BAND_EDGES_HZ`]) and frame, three sums are taken over the band's bins:
//! `ΣL = Σ|L[k]|²`, `ΣR = Σ|R[k]|²` and the cross term `ΣX = Σ Re(L[k] R*[k])` (the real part of
//! the cross-spectrum). By Parseval's theorem these are the energies and the zero-lag
//! cross-product of the band-limited (windowed) signals, so:
//!
//! - correlation = `ΣX / sqrt(ΣL ΣR)` (-1..+1; the unweighted correlation of the band's signal,
//!   the same definition as the whole-signal correlation of [`super::engine`]);
//! - mid energy `M = (ΣL + ΣR + 2ΣX) / 4`, side energy `S = (ΣL + ΣR - 2ΣX) / 4` (M = (L+R)/2,
//!   S = (L-R)/2); width = side relative to mid, `10 log10(S / M)` dB, clamped to
//!   ±[`WIDTH_LIMIT_DB`] (a mono band reads -60, a band in opposite polarity +60);
//! - mono loss = level of `(L+R)/2` on both channels minus the stereo level, in LU:
//!   `10 log10((ΣL + ΣR + 2ΣX) / (2 (ΣL + ΣR)))`, the per-band form of the mono loss of
//!   [`super::engine`] (identical channels 0, independent equal channels -3.01, and "no value"
//!   when the band cancels by more than [`CANCELLED_LU`]). Within one band K-weighting is close
//!   to a constant gain, which cancels in this ratio, so the band sums are unweighted.
//!
//! **Windows.** *Live*: the frames of the last [`LIVE_WINDOW_S`] s (3 s, as short-term
//! loudness; shorter windows make the low bands, with a handful of bins, flicker), kept whether
//! the measurement runs or is paused. *Whole measurement*: every frame taken while running,
//! cleared by reset. Energies are summed (not averaged correlations), so loud passages count
//! more than quiet ones, as they do in a mono fold.
//!
//! **Bands.** Fifteen bands from 20 Hz to 20 kHz whose edges include those of the seven tonal
//! regions of [`crate::diagnosis::REGIONS`], so a region's values are exact sums of its bands;
//! the extra edges split the low end where mono compatibility is decided (40, 90, 120 Hz).
//! Bins belong to the band containing their centre frequency; bands above Nyquist stay empty
//! ("no value").
//!
//! Real-time: all memory is allocated in [`StereoBands::new`]; [`StereoBands::add_frame`] runs
//! on the audio thread inside one spectrum transform step and never allocates.

use realfft::num_complex::Complex;

/// Band edges, Hz (15 bands).
pub const BAND_EDGES_HZ: [f64; BANDS + 1] = [
    20.0, 40.0, 60.0, 90.0, 120.0, 200.0, 300.0, 500.0, 1_000.0, 2_000.0, 4_000.0, 6_000.0,
    9_000.0, 12_000.0, 16_000.0, 20_000.0,
];
/// Number of bands.
pub const BANDS: usize = 15;
/// Length of the live window, seconds.
pub const LIVE_WINDOW_S: f64 = 3.0;
/// Width readings are clamped to ±this, dB.
pub const WIDTH_LIMIT_DB: f64 = 60.0;
/// A band whose mono sum is more than this many LU under its stereo level cancels: its mono
/// loss is "no value" rather than a large number made of rounding residue.
pub const CANCELLED_LU: f64 = 60.0;

/// The three energy sums of one band (or several bands added together).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BandSums {
    /// Σ|L|², Σ|R|², Σ Re(L R*), in the spectrum's power units (a sine of amplitude `A`
    /// inside the band adds `A²` per frame: the Hann window's noise bandwidth is divided out).
    pub left: f64,
    pub right: f64,
    pub cross: f64,
}

impl BandSums {
    pub fn add(&mut self, other: &BandSums) {
        self.left += other.left;
        self.right += other.right;
        self.cross += other.cross;
    }

    /// Stereo energy, `ΣL + ΣR`.
    pub fn energy(&self) -> f64 {
        self.left + self.right
    }

    fn has_energy(&self) -> bool {
        self.energy() > 0.0 && self.energy().is_finite()
    }

    /// Energy of the mid signal (L+R)/2.
    pub fn mid(&self) -> f64 {
        ((self.left + self.right + 2.0 * self.cross) / 4.0).max(0.0)
    }

    /// Energy of the side signal (L-R)/2.
    pub fn side(&self) -> f64 {
        ((self.left + self.right - 2.0 * self.cross) / 4.0).max(0.0)
    }

    /// Correlation of L and R in the band; "no value" when either channel is silent there.
    pub fn correlation(&self) -> Option<f64> {
        (self.left > 0.0 && self.right > 0.0 && self.has_energy()).then(|| {
            // The product of two tiny energies can underflow; the product of their roots
            // cannot (but rounds, so it is only the fallback).
            let product = self.left * self.right;
            let denominator = if product > 0.0 && product.is_finite() {
                product.sqrt()
            } else {
                self.left.sqrt() * self.right.sqrt()
            };
            (self.cross / denominator).clamp(-1.0, 1.0)
        })
    }

    /// Side energy relative to mid energy, dB, clamped to ±[`WIDTH_LIMIT_DB`].
    pub fn width_db(&self) -> Option<f64> {
        if !self.has_energy() {
            return None;
        }
        let (mid, side) = (self.mid(), self.side());
        Some(if mid <= 0.0 {
            WIDTH_LIMIT_DB
        } else if side <= 0.0 {
            -WIDTH_LIMIT_DB
        } else {
            (10.0 * (side / mid).log10()).clamp(-WIDTH_LIMIT_DB, WIDTH_LIMIT_DB)
        })
    }

    /// Level of the mono fold minus the stereo level, LU (0 or below); "no value" for a silent
    /// band or one that cancels in mono.
    pub fn mono_loss_lu(&self) -> Option<f64> {
        if !self.has_energy() {
            return None;
        }
        let ratio = 2.0 * self.mid() / self.energy();
        let loss = 10.0 * ratio.log10();
        (ratio > 0.0 && loss > -CANCELLED_LU).then(|| loss.min(0.0))
    }
}

/// Per-band sums of a window: live or whole measurement.
pub type Bands = [BandSums; BANDS];

/// One window's sums with what a reader needs to judge them: frames summed and bins per band
/// (the number of spectral estimates behind each value).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StereoWindow {
    pub sums: Bands,
    pub frames: u64,
    pub bins: [usize; BANDS],
}

/// Per-band stereo analysis fed with the long-term spectrum frames. See the module docs.
#[derive(Debug)]
pub struct StereoBands {
    /// Bin range of each band in the frames.
    ranges: [(usize, usize); BANDS],
    /// Factor from Σ|X|² to the documented power units.
    scale: f64,
    /// The last frames' band sums (live window), the next slot, and how many are filled.
    ring: Box<[Bands]>,
    ring_pos: usize,
    ring_filled: usize,
    live: Bands,
    total: Bands,
    /// Frames in the whole-measurement sums.
    total_frames: u64,
}

impl StereoBands {
    /// For frames of `fft_size` samples (spectrum scale `bin_scale` per non-edge bin, Hann
    /// window) taken every `hop` samples at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64, fft_size: usize, hop: usize, bin_scale: f64) -> Self {
        let bin_hz = sample_rate_hz / fft_size as f64;
        let last_bin = fft_size / 2;
        let mut ranges = [(0, 0); BANDS];
        for (b, range) in ranges.iter_mut().enumerate() {
            // Bins whose centre frequency k * bin_hz lies in [low, high); DC and Nyquist are
            // never inside a band.
            let first = ((BAND_EDGES_HZ[b] / bin_hz).ceil() as usize).clamp(1, last_bin);
            let end = ((BAND_EDGES_HZ[b + 1] / bin_hz).ceil() as usize).clamp(1, last_bin);
            *range = (first, end.max(first));
        }
        let frames = ((LIVE_WINDOW_S * sample_rate_hz / hop.max(1) as f64).round() as usize).max(1);
        let mut ring = vec![[BandSums::default(); BANDS]; frames].into_boxed_slice();
        // Touched now, so the audio thread never takes the first-write page faults.
        ring.fill([BandSums::default(); BANDS]);
        Self {
            ranges,
            // The periodic Hann window's equivalent noise bandwidth is 1.5 bins.
            scale: bin_scale / 1.5,
            ring,
            ring_pos: 0,
            ring_filled: 0,
            live: [BandSums::default(); BANDS],
            total: [BandSums::default(); BANDS],
            total_frames: 0,
        }
    }

    pub fn reset(&mut self) {
        self.ring.fill([BandSums::default(); BANDS]);
        self.ring_pos = 0;
        self.ring_filled = 0;
        self.live = [BandSums::default(); BANDS];
        self.total = [BandSums::default(); BANDS];
        self.total_frames = 0;
    }

    /// Adds one frame's spectra (`fft_size / 2 + 1` bins each); `running` adds it to the
    /// whole-measurement sums too. `avx2`: the CPU has AVX2 ([`super::Kernel`]); both
    /// kernels give the same bits.
    #[inline(always)]
    pub fn add_frame(
        &mut self,
        left: &[Complex<f32>],
        right: &[Complex<f32>],
        running: bool,
        avx2: bool,
    ) {
        let mut frame = [BandSums::default(); BANDS];
        for (sums, &(first, end)) in frame.iter_mut().zip(&self.ranges) {
            let (Some(l), Some(r)) = (left.get(first..end), right.get(first..end)) else {
                continue;
            };
            // `re * re + im * im` summed over bins is the dot product of the bins read as
            // plain floats.
            let flat = |c: &[Complex<f32>]| -> &[f32] {
                // SAFETY: `Complex<f32>` is `#[repr(C)]` { re, im }: two f32, no padding.
                unsafe { std::slice::from_raw_parts(c.as_ptr().cast::<f32>(), c.len() * 2) }
            };
            let (l, r) = (flat(l), flat(r));
            #[cfg(target_arch = "x86_64")]
            let [ll, rr, lr] = if avx2 {
                // SAFETY: the caller passes `avx2` only when the CPU has AVX2 (`Kernel`).
                unsafe { x86::dot_products(l, r) }
            } else {
                dot_products(l, r)
            };
            #[cfg(not(target_arch = "x86_64"))]
            let [ll, rr, lr] = {
                let _ = avx2;
                dot_products(l, r)
            };
            *sums = BandSums {
                left: ll * self.scale,
                right: rr * self.scale,
                cross: lr * self.scale,
            };
        }
        self.ring[self.ring_pos] = frame;
        self.ring_pos = (self.ring_pos + 1) % self.ring.len();
        self.ring_filled = (self.ring_filled + 1).min(self.ring.len());
        // Re-summed from the ring each frame (a few hundred additions): nothing drifts.
        let mut live = [BandSums::default(); BANDS];
        for stored in &self.ring[..] {
            for (sum, band) in live.iter_mut().zip(stored) {
                sum.add(band);
            }
        }
        self.live = live;
        if running {
            for (sum, band) in self.total.iter_mut().zip(&frame) {
                sum.add(band);
            }
            self.total_frames += 1;
        }
    }

    /// Sums over the last [`LIVE_WINDOW_S`] seconds.
    pub fn live(&self) -> &Bands {
        &self.live
    }

    /// Sums over the whole measurement (frames taken while running).
    pub fn total(&self) -> &Bands {
        &self.total
    }

    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// Frames in the live window so far (up to its length).
    pub fn live_frames(&self) -> usize {
        self.ring_filled
    }

    /// The live window, as plain values.
    pub fn live_window(&self) -> StereoWindow {
        StereoWindow {
            sums: self.live,
            frames: self.ring_filled as u64,
            bins: self.bins_per_band(),
        }
    }

    /// The whole measurement, as plain values.
    pub fn whole_window(&self) -> StereoWindow {
        StereoWindow {
            sums: self.total,
            frames: self.total_frames,
            bins: self.bins_per_band(),
        }
    }

    /// Number of bins in each band (0 above Nyquist).
    pub fn bins_per_band(&self) -> [usize; BANDS] {
        self.ranges.map(|(first, end)| end - first)
    }
}

/// Whether band `b` belongs to `low_hz..high_hz`: its (geometric) centre lies inside, so a
/// range whose edges are band edges holds exactly its bands.
pub fn band_in_range(b: usize, low_hz: f64, high_hz: f64) -> bool {
    let centre = (BAND_EDGES_HZ[b] * BAND_EDGES_HZ[b + 1]).sqrt();
    centre >= low_hz && centre < high_hz
}

/// The sum of `bands[b]` over every band in `low_hz..high_hz` ([`band_in_range`]).
pub fn sum_range(bands: &Bands, low_hz: f64, high_hz: f64) -> BandSums {
    let mut sum = BandSums::default();
    for (b, band) in bands.iter().enumerate() {
        if band_in_range(b, low_hz, high_hz) {
            sum.add(band);
        }
    }
    sum
}

/// Lanes of the dot products (the AVX2 loop's two registers of four).
const LANES: usize = 8;

/// `[Σ l², Σ r², Σ l·r]` over the floats of `l` and `r` (equal lengths), in f64: the cross term
/// of nearly opposite channels is a small difference of large sums. Each product of two f32
/// is exact in f64, and the sums run in [`LANES`] lanes added pairwise at the end, so the
/// AVX2 loop (`x86::dot_products`) gives the same bits.
#[inline(always)]
fn dot_products(l: &[f32], r: &[f32]) -> [f64; 3] {
    let mut acc = [[0.0f64; LANES]; 3];
    let (l8, r8) = (l.chunks_exact(LANES), r.chunks_exact(LANES));
    let (l_rest, r_rest) = (l8.remainder(), r8.remainder());
    for (a, b) in l8.zip(r8) {
        for i in 0..LANES {
            let (x, y) = (a[i] as f64, b[i] as f64);
            acc[0][i] += x * x;
            acc[1][i] += y * y;
            acc[2][i] += x * y;
        }
    }
    add_rest(&mut acc, l_rest, r_rest);
    acc.map(reduce)
}

/// The floats after the last whole group of [`LANES`], one per lane.
#[inline(always)]
fn add_rest(acc: &mut [[f64; LANES]; 3], l: &[f32], r: &[f32]) {
    for (i, (&a, &b)) in l.iter().zip(r).enumerate() {
        let (x, y) = (a as f64, b as f64);
        acc[0][i] += x * x;
        acc[1][i] += y * y;
        acc[2][i] += x * y;
    }
}

#[inline(always)]
fn reduce(a: [f64; LANES]) -> f64 {
    ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
}

/// [`dot_products`] in AVX2: the compiler turns the portable loop into 128-bit code with a
/// shuffle per float, the most expensive part of a long-term frame's last step.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{LANES, add_rest, reduce};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) fn dot_products(l: &[f32], r: &[f32]) -> [f64; 3] {
        let n = l.len().min(r.len()) / LANES * LANES;
        let mut acc = [_mm256_setzero_pd(); 6];
        let mut i = 0;
        while i < n {
            // SAFETY: i + LANES <= n <= both lengths.
            let (x, y) = unsafe {
                let (l, r) = (l.as_ptr().add(i), r.as_ptr().add(i));
                (
                    [
                        _mm256_cvtps_pd(_mm_loadu_ps(l)),
                        _mm256_cvtps_pd(_mm_loadu_ps(l.add(4))),
                    ],
                    [
                        _mm256_cvtps_pd(_mm_loadu_ps(r)),
                        _mm256_cvtps_pd(_mm_loadu_ps(r.add(4))),
                    ],
                )
            };
            for h in 0..2 {
                acc[h] = _mm256_add_pd(acc[h], _mm256_mul_pd(x[h], x[h]));
                acc[2 + h] = _mm256_add_pd(acc[2 + h], _mm256_mul_pd(y[h], y[h]));
                acc[4 + h] = _mm256_add_pd(acc[4 + h], _mm256_mul_pd(x[h], y[h]));
            }
            i += LANES;
        }
        let mut lanes = [[0.0f64; LANES]; 3];
        for (sum, pair) in lanes.iter_mut().zip(acc.chunks_exact(2)) {
            // SAFETY: `sum` holds eight f64, four from each store.
            unsafe {
                _mm256_storeu_pd(sum.as_mut_ptr(), pair[0]);
                _mm256_storeu_pd(sum.as_mut_ptr().add(4), pair[1]);
            }
        }
        add_rest(&mut lanes, &l[n..], &r[n..]);
        lanes.map(reduce)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::meter::spectrum::SpectrumAnalyzer;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use realfft::RealFftPlanner;

    /// The AVX2 dot products are the portable ones to the last bit, at lengths with and
    /// without floats after the last group of eight.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_dot_products_are_the_portable_bits() {
        if crate::meter::Kernel::avx2_fma().is_none() {
            return;
        }
        let mut rng = StdRng::seed_from_u64(3);
        for n in [0, 1, 7, 8, 9, 64, 1001] {
            let l: Vec<f32> = (0..n).map(|_| rng.random_range(-1e3..1e3)).collect();
            let r: Vec<f32> = l
                .iter()
                .map(|&x| -x + rng.random_range(-1.0..1.0))
                .collect();
            // SAFETY: the CPU has AVX2 (checked above).
            let fast = unsafe { x86::dot_products(&l, &r) };
            assert_eq!(
                fast.map(f64::to_bits),
                dot_products(&l, &r).map(f64::to_bits),
                "{n}"
            );
        }
    }

    /// How the right channel relates to the left at one frequency.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub(crate) enum Relation {
        Same,
        Inverted,
        Independent,
    }

    /// A stereo pair of pink noise, exact per bin of one long transform (periodic with `len`
    /// samples, -20 dBFS RMS per channel before the relation is applied): the right channel
    /// equals the left, is inverted, or has independent phases, as `relation(hz)` says.
    pub(crate) fn stereo_pink(
        rate: f64,
        len: usize,
        seed: u64,
        relation: impl Fn(f64) -> Relation,
    ) -> (Vec<f32>, Vec<f32>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut planner = RealFftPlanner::<f64>::new();
        let inverse = planner.plan_fft_inverse(len);
        let mut left = inverse.make_input_vec();
        let mut right = inverse.make_input_vec();
        for k in 1..len / 2 {
            let hz = k as f64 * rate / len as f64;
            let magnitude = 1.0 / (k as f64).sqrt();
            let phase = rng.random::<f64>() * std::f64::consts::TAU;
            let other = rng.random::<f64>() * std::f64::consts::TAU;
            left[k] = Complex::from_polar(magnitude, phase);
            right[k] = match relation(hz) {
                Relation::Same => left[k],
                Relation::Inverted => -left[k],
                Relation::Independent => Complex::from_polar(magnitude, other),
            };
        }
        let mut out_l = inverse.make_output_vec();
        let mut out_r = inverse.make_output_vec();
        inverse.process(&mut left, &mut out_l).unwrap();
        inverse.process(&mut right, &mut out_r).unwrap();
        let rms = (out_l.iter().map(|x| x * x).sum::<f64>() / len as f64).sqrt();
        let gain = 0.1 / rms;
        (
            out_l.iter().map(|x| (x * gain) as f32).collect(),
            out_r.iter().map(|x| (x * gain) as f32).collect(),
        )
    }

    /// Runs a stereo analyzer over the pair in 512-frame blocks.
    pub(crate) fn analysed(rate: f64, left: &[f32], right: &[f32]) -> SpectrumAnalyzer {
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
        for (l, r) in left.chunks(512).zip(right.chunks(512)) {
            analyzer.process(&[l, r]);
        }
        analyzer.flush();
        analyzer
    }

    fn sums(left: f64, right: f64, cross: f64) -> BandSums {
        BandSums { left, right, cross }
    }

    #[test]
    fn identical_channels_read_plus_one_and_no_loss_in_every_band() {
        let (l, _) = stereo_pink(48_000.0, 1 << 19, 1, |_| Relation::Same);
        let analyzer = analysed(48_000.0, &l, &l);
        let bands = analyzer.stereo_bands().unwrap();
        assert!(bands.total_frames() > 100);
        for window in [bands.total(), bands.live()] {
            for (b, band) in window.iter().enumerate() {
                assert_eq!(band.correlation(), Some(1.0), "band {b}");
                assert_eq!(band.mono_loss_lu(), Some(0.0), "band {b}");
                assert_eq!(band.width_db(), Some(-WIDTH_LIMIT_DB), "band {b}");
            }
        }
    }

    #[test]
    fn inverted_channels_read_minus_one_and_no_mono_value() {
        let (l, _) = stereo_pink(48_000.0, 1 << 19, 2, |_| Relation::Same);
        let r: Vec<f32> = l.iter().map(|x| -x).collect();
        let analyzer = analysed(48_000.0, &l, &r);
        for band in analyzer.stereo_bands().unwrap().total() {
            assert_eq!(band.correlation(), Some(-1.0));
            assert_eq!(band.mono_loss_lu(), None);
            assert_eq!(band.width_db(), Some(WIDTH_LIMIT_DB));
        }
    }

    #[test]
    fn independent_equal_noise_reads_zero_and_minus_three() {
        let rate = 48_000.0;
        let (l, r) = stereo_pink(rate, 1 << 20, 3, |_| Relation::Independent);
        let analyzer = analysed(rate, &l, &r);
        let bands = analyzer.stereo_bands().unwrap();
        let window = bands.whole_window();
        for (b, band) in window.sums.iter().enumerate() {
            // Standard error of a correlation estimate from n independent values: 1/sqrt(n).
            let n = window.bins[b] as f64 * window.frames as f64 / 2.0;
            let c = band.correlation().unwrap();
            let loss = band.mono_loss_lu().unwrap();
            assert!(c.abs() < 4.0 / n.sqrt(), "band {b}: {c} (n {n})");
            assert!((loss + 3.01).abs() < 0.35, "band {b}: {loss} LU");
            assert!(band.width_db().unwrap().abs() < 1.5, "band {b}");
        }
        // Above 200 Hz the estimates are tight.
        for band in &window.sums[5..] {
            assert!(band.correlation().unwrap().abs() < 0.03);
            assert!((band.mono_loss_lu().unwrap() + 3.01).abs() < 0.15);
        }
    }

    #[test]
    fn an_inversion_in_one_band_shows_in_that_band_only() {
        let rate = 48_000.0;
        let (l, r) = stereo_pink(rate, 1 << 20, 4, |hz| {
            if (200.0..500.0).contains(&hz) {
                Relation::Inverted
            } else {
                Relation::Same
            }
        });
        let analyzer = analysed(rate, &l, &r);
        let bands = analyzer.stereo_bands().unwrap();
        for (b, band) in bands.total().iter().enumerate() {
            let c = band.correlation().unwrap();
            if (5..=6).contains(&b) {
                assert!(c < -0.9, "band {b} inside: {c}");
            } else {
                assert!(c > 0.9, "band {b} outside: {c}");
            }
        }
        let low_mids = sum_range(bands.total(), 200.0, 500.0);
        assert!(low_mids.correlation().unwrap() < -0.95);
        for (low, high) in [
            (20.0, 60.0),
            (60.0, 200.0),
            (500.0, 2000.0),
            (2000.0, 20000.0),
        ] {
            let region = sum_range(bands.total(), low, high);
            assert!(region.correlation().unwrap() > 0.95, "{low}-{high}");
            assert!(region.mono_loss_lu().unwrap() > -0.2, "{low}-{high}");
        }
    }

    #[test]
    fn live_window_follows_the_signal_and_pause_freezes_the_whole() {
        let rate = 48_000.0;
        let (same, _) = stereo_pink(rate, 1 << 18, 5, |_| Relation::Same);
        let inverted: Vec<f32> = same.iter().map(|x| -x).collect();
        let mut analyzer = SpectrumAnalyzer::new(rate, &[1.0, 1.0]).unwrap();
        for block in same.chunks(480) {
            analyzer.process(&[block, block]);
        }
        let before = analyzer.stereo_bands().unwrap().whole_window();
        // Paused: 5.5 s of inverted audio reach the live window only.
        analyzer.set_running(false);
        for (l, r) in same.chunks(480).zip(inverted.chunks(480)) {
            analyzer.process(&[l, r]);
        }
        let bands = analyzer.stereo_bands().unwrap();
        assert_eq!(bands.whole_window(), before);
        assert_eq!(bands.live()[8].correlation(), Some(-1.0));
        assert_eq!(bands.total()[8].correlation(), Some(1.0));
        assert_eq!(bands.live_frames(), 35);
        analyzer.reset();
        let bands = analyzer.stereo_bands().unwrap();
        assert_eq!(bands.total_frames(), 0);
        assert_eq!(bands.live_frames(), 0);
        assert_eq!(bands.live()[8].correlation(), None);
    }

    #[test]
    fn a_sine_counts_its_power_once() {
        // A -6 dBFS sine at 1.414 kHz (between bins) in both channels: the band's sums hold A² per
        // frame (Parseval: the Hann power summed over all bins is 1.5 A², the noise bandwidth).
        let rate = 48_000.0;
        let a = 0.5f32;
        let tone: Vec<f32> = (0..rate as usize * 4)
            .map(|n| a * (std::f64::consts::TAU * 1414.0 * n as f64 / rate).sin() as f32)
            .collect();
        let analyzer = analysed(rate, &tone, &tone);
        let bands = analyzer.stereo_bands().unwrap();
        let per_frame = bands.total()[8].left / bands.total_frames() as f64;
        assert!(
            (per_frame / (a * a) as f64 - 1.0).abs() < 0.01,
            "{per_frame}"
        );
    }

    #[test]
    fn mono_and_multichannel_analyzers_have_no_stereo_bands() {
        assert!(
            SpectrumAnalyzer::new(48_000.0, &[1.0])
                .unwrap()
                .stereo_bands()
                .is_none()
        );
        let five_one = [1.0, 1.0, 1.0, 0.0, 1.41, 1.41];
        assert!(
            SpectrumAnalyzer::new(48_000.0, &five_one)
                .unwrap()
                .stereo_bands()
                .is_none()
        );
    }

    #[test]
    fn golden_values_of_the_three_readings() {
        let same = sums(2.0, 2.0, 2.0);
        assert_eq!(same.correlation(), Some(1.0));
        assert_eq!(same.mono_loss_lu(), Some(0.0));
        assert_eq!(same.width_db(), Some(-WIDTH_LIMIT_DB));

        let inverted = sums(2.0, 2.0, -2.0);
        assert_eq!(inverted.correlation(), Some(-1.0));
        assert_eq!(inverted.mono_loss_lu(), None);
        assert_eq!(inverted.width_db(), Some(WIDTH_LIMIT_DB));

        let independent = sums(2.0, 2.0, 0.0);
        assert_eq!(independent.correlation(), Some(0.0));
        assert!((independent.mono_loss_lu().unwrap() + 3.0103).abs() < 1e-4);
        assert!(independent.width_db().unwrap().abs() < 1e-12);

        // One channel silent: correlation has no value, the fold loses 6 dB of one channel
        // spread over two (-3 LU), side equals mid.
        let one_sided = sums(2.0, 0.0, 0.0);
        assert_eq!(one_sided.correlation(), None);
        assert!((one_sided.mono_loss_lu().unwrap() + 3.0103).abs() < 1e-4);

        let silent = BandSums::default();
        assert_eq!(silent.correlation(), None);
        assert_eq!(silent.mono_loss_lu(), None);
        assert_eq!(silent.width_db(), None);

        // Energies whose product underflows still correlate.
        let tiny = sums(1e-200, 1e-200, -1e-200);
        assert!((tiny.correlation().unwrap() + 1.0).abs() < 1e-12);

        // Side 10 dB under mid.
        let narrow = sums(1.1, 1.1, 0.9);
        assert!((narrow.width_db().unwrap() + 10.0).abs() < 1e-9);
    }

    #[test]
    fn bands_cover_20_hz_to_20_khz_without_gaps() {
        let bands = StereoBands::new(48_000.0, 8192, 4096, 1.0);
        let bin_hz = 48_000.0 / 8192.0;
        for b in 0..BANDS {
            let (first, end) = bands.ranges[b];
            assert!(first as f64 * bin_hz >= BAND_EDGES_HZ[b]);
            assert!(((end - 1) as f64) * bin_hz < BAND_EDGES_HZ[b + 1]);
            if b + 1 < BANDS {
                assert_eq!(end, bands.ranges[b + 1].0, "band {b} and the next touch");
            }
        }
        // 20-40 Hz holds the bins at 23.4, 29.3, 35.2 Hz.
        assert_eq!(bands.bins_per_band()[0], 3);
        // At 8 kHz nothing above 4 kHz exists.
        let low_rate = StereoBands::new(8_000.0, 2048, 1024, 1.0);
        assert_eq!(low_rate.bins_per_band()[BANDS - 1], 0);
        assert!(low_rate.bins_per_band()[8] > 0);
        // The live window is 3 s of frames.
        assert_eq!(bands.ring.len(), 35);
    }

    #[test]
    fn regions_are_sums_of_bands() {
        let mut bands = [BandSums::default(); BANDS];
        for (b, band) in bands.iter_mut().enumerate() {
            *band = sums(b as f64, 1.0, 0.5);
        }
        // 200-500 Hz: bands 5 (200-300) and 6 (300-500).
        let low_mids = sum_range(&bands, 200.0, 500.0);
        assert_eq!(low_mids, sums(11.0, 2.0, 1.0));
        let all = sum_range(&bands, 20.0, 20_000.0);
        assert_eq!(all.left, (0..BANDS).sum::<usize>() as f64);
    }
}
