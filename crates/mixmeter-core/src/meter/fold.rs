//! Fold-down of a surround bus: the ITU-R BS.775 stereo and mono downmixes, and how much
//! loudness each one changes.
//!
//! **Coefficients.** Recommendation ITU-R BS.775-3, Table 2 (downmix equations for the 3/2
//! format) gives, with the LFE channel omitted:
//!
//! - stereo (2/0): `Lo = L + 0.7071 C + 0.7071 Ls`, `Ro = R + 0.7071 C + 0.7071 Rs`;
//! - mono (1/0): `M = 0.7071 L + 0.7071 R + C + 0.5 Ls + 0.5 Rs`.
//!
//! The coefficients are used as the table prints them ([`MINUS_3_DB_GAIN`] is 0.7071, not
//! 1/sqrt 2), and no normalisation is applied: a fold can exceed full scale, as it does in a
//! receiver. BS.775 stops at 3/2. For 7.0, 7.1 and 7.1.4 this module applies the same rule to
//! every channel beyond the front three: each non-LFE channel on the left (side, rear, front
//! height, rear height) enters `Lo` at 0.7071 and `M` at 0.5, and likewise on the right (the
//! usual practice: side and rear surrounds each at -3 dB, as a 7.1 decoder's 2.0 downmix has
//! them; heights folded like the bed channel below them). This extension is ours, not
//! BS.775's. Each output is summed in `f32` in channel order, starting from the first term, so
//! the 5.x results are bit for bit the table's formulas written left to right.
//!
//! **Loudness change.** The fold runs its own 2-channel [`Meter`] on `(Lo, Ro)`: the stereo
//! fold's loudness change is its loudness minus the bus's (BS.1770 weights), in LU, short-term
//! and integrated. Since `(Lo + Ro) / 2 = M / sqrt 2` (0.7071 x 0.7071 = 0.5, exactly the
//! mono coefficients up to f32 rounding of 0.7071^2), the fold meter's own mono loss is the
//! change from the stereo fold to `M` heard on one loudspeaker; the mono fold's change is the
//! sum of the two (integrated: the mono blocks are gated on their own, as for mono loss).
//! Like the other windowed readings, the short-term changes have no value until the 3 s
//! window holds audio measured since the last reset.
//!
//! **Front pair.** A second 2-channel meter follows the bus's L and R as they are, for the
//! stereo view of a surround bus: their correlation (last 400 ms and whole measurement) and
//! balance, defined as the meter's for a stereo track ([`super::engine`]).
//!
//! Real-time: [`Fold::process`] works through fixed scratch buffers in pieces of
//! [`FOLD_CHUNK_FRAMES`]; it never allocates, locks, logs or panics.

use super::MAX_CHANNELS;
use super::engine::{Meter, MeterConfig, MeterError, Readings};
use super::layout::ChannelRole;

/// -3 dB as BS.775-3 Table 2 prints it (four decimals, deliberately not 1/sqrt 2).
#[allow(clippy::approx_constant)]
pub const MINUS_3_DB_GAIN: f32 = 0.7071;
/// -6 dB (the surrounds in the mono downmix).
pub const MINUS_6_DB_GAIN: f32 = 0.5;
/// Frames folded at a time (scratch size).
pub const FOLD_CHUNK_FRAMES: usize = 256;

/// What a surround bus is folded to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldTarget {
    Stereo,
    Mono,
}

/// One output of a downmix: `(input channel, gain)` terms in channel order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Terms {
    len: usize,
    terms: [(usize, f32); MAX_CHANNELS],
}

impl Terms {
    fn new() -> Self {
        Self {
            len: 0,
            terms: [(0, 0.0); MAX_CHANNELS],
        }
    }

    fn push(&mut self, channel: usize, gain: f32) {
        if gain != 0.0 && self.len < MAX_CHANNELS {
            self.terms[self.len] = (channel, gain);
            self.len += 1;
        }
    }

    /// The terms, for display and tests.
    pub fn terms(&self) -> &[(usize, f32)] {
        &self.terms[..self.len]
    }

    /// The output for one frame (`frame[c]` is channel `c`); channels past the frame count 0.
    #[inline]
    pub fn apply(&self, frame: &[f32]) -> f32 {
        let mut terms = self.terms().iter();
        let Some(&(c, g)) = terms.next() else {
            return 0.0;
        };
        let mut sum = g * frame.get(c).copied().unwrap_or(0.0);
        for &(c, g) in terms {
            sum += g * frame.get(c).copied().unwrap_or(0.0);
        }
        sum
    }
}

/// The stereo and mono downmix of a layout, and where their outputs go on the bus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Downmix {
    pub left: Terms,
    pub right: Terms,
    pub mono: Terms,
    /// Channels of the bus that carry `Lo`, `Ro` and `M` while folded (the others are silent).
    pub left_channel: usize,
    pub right_channel: usize,
    pub centre_channel: usize,
}

impl Downmix {
    /// The downmix of `roles` (see the module docs). A layout without L, R or C plays the
    /// fold on channels 0, 1 and 0.
    pub fn new(roles: &[ChannelRole]) -> Self {
        let mut downmix = Self {
            left: Terms::new(),
            right: Terms::new(),
            mono: Terms::new(),
            left_channel: 0,
            right_channel: 1.min(roles.len().saturating_sub(1)),
            centre_channel: 0,
        };
        for (c, &role) in roles.iter().enumerate().take(MAX_CHANNELS) {
            use ChannelRole::*;
            let (left, right, mono) = match role {
                Lfe => (0.0, 0.0, 0.0),
                Left => (1.0, 0.0, MINUS_3_DB_GAIN),
                Right => (0.0, 1.0, MINUS_3_DB_GAIN),
                Centre | RearCentre | Other => (MINUS_3_DB_GAIN, MINUS_3_DB_GAIN, 1.0),
                _ if role.side() < 0 => (MINUS_3_DB_GAIN, 0.0, MINUS_6_DB_GAIN),
                _ => (0.0, MINUS_3_DB_GAIN, MINUS_6_DB_GAIN),
            };
            // A rear centre is a surround: -6 dB in the mono fold as well.
            let mono = if role == RearCentre {
                MINUS_6_DB_GAIN
            } else {
                mono
            };
            downmix.left.push(c, left);
            downmix.right.push(c, right);
            downmix.mono.push(c, mono);
            match role {
                Left => downmix.left_channel = c,
                Right => downmix.right_channel = c,
                Centre => downmix.centre_channel = c,
                _ => {}
            }
        }
        downmix
    }

    /// Folds `input` (channels of equal length, up to [`FOLD_CHUNK_FRAMES`] frames looked at
    /// per call by the caller) into `left` and `right`.
    fn stereo_into(&self, input: &[&[f32]], left: &mut [f32], right: &mut [f32]) {
        let mut frame = [0.0f32; MAX_CHANNELS];
        for (n, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
            for (slot, channel) in frame.iter_mut().zip(input) {
                *slot = channel[n];
            }
            *l = self.left.apply(&frame);
            *r = self.right.apply(&frame);
        }
    }
}

/// How much loudness the folds change, LU (negative: quieter folded). `None` is "no value".
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FoldReadings {
    pub stereo_short_term_lu: Option<f64>,
    pub stereo_integrated_lu: Option<f64>,
    pub mono_short_term_lu: Option<f64>,
    pub mono_integrated_lu: Option<f64>,
    /// Maximum true peak of the stereo fold, dBTP (it can clip where the bus does not).
    pub stereo_true_peak_dbtp: Option<f64>,
    /// The front pair (L R) of the bus: correlation over the last 400 ms and the whole
    /// measurement, and balance over 3 s (dB, positive: left louder).
    pub front_correlation: Option<f64>,
    pub front_integrated_correlation: Option<f64>,
    pub front_balance_db: Option<f64>,
}

impl FoldReadings {
    /// The short-term change of `target` (what level match undoes).
    pub fn short_term_lu(&self, target: FoldTarget) -> Option<f64> {
        match target {
            FoldTarget::Stereo => self.stereo_short_term_lu,
            FoldTarget::Mono => self.mono_short_term_lu,
        }
    }
}

/// The fold-down of a surround bus, measured.
#[derive(Debug)]
pub struct Fold {
    downmix: Downmix,
    channels: usize,
    meter: Meter,
    /// The bus's front pair, unfolded.
    front: Meter,
    left: Box<[f32]>,
    right: Box<[f32]>,
}

impl Fold {
    /// Allocates everything (the fold's meter and scratch).
    pub fn new(sample_rate_hz: f64, roles: &[ChannelRole]) -> Result<Self, MeterError> {
        if roles.is_empty() || roles.len() > MAX_CHANNELS {
            return Err(MeterError::Channels(roles.len()));
        }
        Ok(Self {
            downmix: Downmix::new(roles),
            channels: roles.len(),
            meter: Meter::new(MeterConfig::new(sample_rate_hz, 2))?,
            front: Meter::new(MeterConfig::new(sample_rate_hz, 2))?,
            left: vec![0.0; FOLD_CHUNK_FRAMES].into_boxed_slice(),
            right: vec![0.0; FOLD_CHUNK_FRAMES].into_boxed_slice(),
        })
    }

    pub fn downmix(&self) -> &Downmix {
        &self.downmix
    }

    pub fn reset(&mut self) {
        self.meter.reset();
        self.front.reset();
    }

    /// The programme ends here ([`Meter::end_programme`]): the fold's last samples' peaks count.
    pub fn end_programme(&mut self) {
        self.meter.end_programme();
        self.front.end_programme();
    }

    pub fn start(&mut self) {
        self.meter.start();
        self.front.start();
    }

    pub fn pause(&mut self) {
        self.meter.pause();
        self.front.pause();
    }

    /// Measures the fold of one block (`block[c]` is channel `c` of the bus).
    pub fn process<C: AsRef<[f32]>>(&mut self, block: &[C]) {
        let channels = self.channels.min(block.len());
        let mut inputs: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        for (slot, channel) in inputs.iter_mut().zip(&block[..channels]) {
            *slot = channel.as_ref();
        }
        let frames = inputs[..channels]
            .iter()
            .map(|c| c.len())
            .min()
            .unwrap_or(0);
        let (l, r) = (self.downmix.left_channel, self.downmix.right_channel);
        if l < channels && r < channels {
            self.front
                .process(&[&inputs[l][..frames], &inputs[r][..frames]]);
        }
        let mut start = 0;
        while start < frames {
            let n = FOLD_CHUNK_FRAMES.min(frames - start);
            let mut piece: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
            for (p, c) in piece.iter_mut().zip(&inputs[..channels]) {
                *p = &c[start..start + n];
            }
            let (left, right) = (&mut self.left[..n], &mut self.right[..n]);
            self.downmix.stereo_into(&piece[..channels], left, right);
            self.meter.process(&[&*left, &*right]);
            start += n;
        }
    }

    /// The folds' loudness changes against the bus's own readings.
    pub fn readings(&self, bus: &Readings) -> FoldReadings {
        let fold = self.meter.readings();
        let front = self.front.readings();
        let change = |fold: Option<f64>, bus: Option<f64>| fold.zip(bus).map(|(f, b)| f - b);
        let stereo_short_term_lu = change(fold.short_term_lufs, bus.short_term_lufs);
        let stereo_integrated_lu = change(fold.integrated_lufs, bus.integrated_lufs);
        FoldReadings {
            stereo_short_term_lu,
            stereo_integrated_lu,
            mono_short_term_lu: stereo_short_term_lu
                .zip(fold.mono_loss_short_term_lu)
                .map(|(s, m)| s + m),
            mono_integrated_lu: fold
                .integrated_lufs
                .zip(fold.mono_loss_integrated_lu)
                .map(|(s, m)| s + m)
                .zip(bus.integrated_lufs)
                .map(|(m, b)| m - b),
            stereo_true_peak_dbtp: fold.max_true_peak_dbtp,
            front_correlation: front.correlation,
            front_integrated_correlation: front.integrated_correlation,
            front_balance_db: front.balance_db,
        }
    }
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // BS.775's printed 0.7071, on purpose
mod tests {
    use super::*;
    use crate::meter::layout::BusLayout;

    fn frame(seed: u32, channels: usize) -> Vec<f32> {
        (0..channels)
            .map(|c| {
                ((seed.wrapping_mul(2654435761).wrapping_add(c as u32 * 40503)) >> 8) as f32
                    / (1u32 << 24) as f32
                    - 0.5
            })
            .collect()
    }

    /// BS.775-3 Table 2, written out as the table prints it, against the downmix built from
    /// the roles: equal to the last bit on 5.0 and 5.1.
    #[test]
    fn five_channel_folds_are_bs775_to_the_bit() {
        for bus in [BusLayout::Surround50, BusLayout::Surround51] {
            let d = Downmix::new(bus.roles());
            let (lfe, ls) = if bus == BusLayout::Surround51 {
                (Some(3), 4)
            } else {
                (None, 3)
            };
            for seed in 0..2000 {
                let x = frame(seed, bus.channels());
                let (l, r, c, s_l, s_r) = (x[0], x[1], x[2], x[ls], x[ls + 1]);
                let lo = l + 0.7071 * c + 0.7071 * s_l;
                let ro = r + 0.7071 * c + 0.7071 * s_r;
                let m = 0.7071 * l + 0.7071 * r + c + 0.5 * s_l + 0.5 * s_r;
                assert_eq!(d.left.apply(&x).to_bits(), lo.to_bits(), "{bus:?}");
                assert_eq!(d.right.apply(&x).to_bits(), ro.to_bits(), "{bus:?}");
                assert_eq!(d.mono.apply(&x).to_bits(), m.to_bits(), "{bus:?}");
                if let Some(lfe) = lfe {
                    // The LFE is omitted: a loud LFE changes nothing.
                    let mut loud = x.clone();
                    loud[lfe] = 1.0;
                    assert_eq!(d.left.apply(&loud).to_bits(), lo.to_bits());
                    assert_eq!(d.mono.apply(&loud).to_bits(), m.to_bits());
                }
            }
            assert_eq!(
                (d.left_channel, d.right_channel, d.centre_channel),
                (0, 1, 2)
            );
        }
    }

    #[test]
    fn seven_channel_and_height_folds_follow_the_documented_extension() {
        let d = Downmix::new(BusLayout::Surround714.roles());
        // L R C LFE Lrs Rrs Ls Rs Ltf Rtf Ltr Rtr
        let g = MINUS_3_DB_GAIN;
        assert_eq!(
            d.left.terms(),
            [(0, 1.0), (2, g), (4, g), (6, g), (8, g), (10, g)]
        );
        assert_eq!(
            d.right.terms(),
            [(1, 1.0), (2, g), (5, g), (7, g), (9, g), (11, g)]
        );
        let h = MINUS_6_DB_GAIN;
        assert_eq!(
            d.mono.terms(),
            [
                (0, g),
                (1, g),
                (2, 1.0),
                (4, h),
                (5, h),
                (6, h),
                (7, h),
                (8, h),
                (9, h),
                (10, h),
                (11, h)
            ]
        );
        let d = Downmix::new(BusLayout::Surround71.roles());
        let x = frame(7, 8);
        let lo = x[0] + 0.7071 * x[2] + 0.7071 * x[4] + 0.7071 * x[6];
        assert_eq!(d.left.apply(&x).to_bits(), lo.to_bits());
    }

    fn sine(rate: f64, frames: usize, amplitude: f64) -> Vec<f32> {
        (0..frames)
            .map(|n| {
                (amplitude * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / rate).sin()) as f32
            })
            .collect()
    }

    /// Independent noise in every channel of 5.1 at one level: the stereo fold's loudness
    /// change and the mono fold's, against the energies the coefficients predict.
    #[test]
    fn fold_loudness_changes_are_what_the_coefficients_predict() {
        let rate = 48_000.0;
        let frames = 10 * 48_000;
        let mut seed = 11u64;
        let mut noise = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * 0.1
        };
        let bus = BusLayout::Surround51;
        let block: Vec<Vec<f32>> = (0..6)
            .map(|c| {
                (0..frames)
                    .map(|_| if c == 3 { 0.0 } else { noise() })
                    .collect()
            })
            .collect();
        let weights = crate::meter::layout::weights(bus.roles());
        let mut meter = Meter::new(MeterConfig::new(rate, 6).with_weights(&weights)).unwrap();
        let mut fold = Fold::new(rate, bus.roles()).unwrap();
        for start in (0..frames).step_by(1000) {
            let piece: Vec<&[f32]> = block.iter().map(|c| &c[start..start + 1000]).collect();
            meter.process(&piece);
            fold.process(&piece);
        }
        let r = fold.readings(&meter.readings());
        // Bus: L R C at 1, Ls Rs at 1.41: 5.82 units. Stereo fold: each side 1 + 0.5 + 0.5
        // (C shared: correlated in Lo and Ro, but weighted per channel), so 2 + 2*0.5*2 = 4.
        let g2 = (0.7071f64).powi(2);
        let stereo = 2.0 * (1.0 + g2) + 2.0 * g2;
        let bus_energy = 3.0 + 2.0 * 1.41;
        let expected = 10.0 * (stereo / bus_energy).log10();
        let got = r.stereo_integrated_lu.unwrap();
        assert!((got - expected).abs() < 0.1, "{got} vs {expected}");
        // Mono: 0.5 + 0.5 + 1 + 0.25 + 0.25 = 2.5 units on one channel.
        let mono = 2.0 * g2 + 1.0 + 2.0 * 0.25;
        let expected = 10.0 * (mono / bus_energy).log10();
        let got = r.mono_integrated_lu.unwrap();
        assert!((got - expected).abs() < 0.1, "{got} vs {expected}");
        let got = r.mono_short_term_lu.unwrap();
        assert!(
            (got - expected).abs() < 0.3,
            "short-term {got} vs {expected}"
        );
        assert!(r.stereo_true_peak_dbtp.is_some());
        // Reset clears it.
        fold.reset();
        meter.reset();
        assert_eq!(fold.readings(&meter.readings()), FoldReadings::default());
    }

    /// The front pair's correlation and balance: identical L and R read +1 and 0 dB, L
    /// against -L reads -1, a silent R reads the balance limit; the other channels do not
    /// enter (a loud, unrelated centre and surrounds).
    #[test]
    fn the_front_pair_is_read_as_a_stereo_track() {
        let rate = 48_000.0;
        let frames = 2 * 48_000;
        let tone = sine(rate, frames, 0.3);
        let other = sine(rate * 1.37, frames, 0.5);
        let inverted: Vec<f32> = tone.iter().map(|x| -x).collect();
        let silent = vec![0.0f32; frames];
        let bus = BusLayout::Surround51;
        for (right, correlation, balance) in [
            (&tone, Some(1.0), Some(0.0)),
            (&inverted, Some(-1.0), Some(0.0)),
            (&silent, None, Some(crate::meter::engine::BALANCE_LIMIT_DB)),
        ] {
            let block = [&tone, right, &other, &other, &other, &other];
            let mut fold = Fold::new(rate, bus.roles()).unwrap();
            fold.process(&block);
            let r = fold.readings(&Readings::default());
            let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-6,
                (a, b) => a == b,
            };
            assert!(
                near(r.front_correlation, correlation),
                "{correlation:?} {balance:?}: {r:?}"
            );
            assert!(near(r.front_integrated_correlation, correlation), "{r:?}");
            assert!(near(r.front_balance_db, balance), "{r:?}");
        }
    }

    /// A centre-only 5.1 programme: the stereo fold puts 0.7071 C in both sides (-3 dB twice:
    /// 0 LU change), the mono fold plays C at unity (0 LU).
    #[test]
    fn a_centre_only_programme_folds_without_loudness_change() {
        let rate = 48_000.0;
        let frames = 5 * 48_000;
        let tone = sine(rate, frames, 0.1);
        let silent = vec![0.0f32; frames];
        let block = [&silent, &silent, &tone, &silent, &silent, &silent];
        let bus = BusLayout::Surround51;
        let weights = crate::meter::layout::weights(bus.roles());
        let mut meter = Meter::new(MeterConfig::new(rate, 6).with_weights(&weights)).unwrap();
        let mut fold = Fold::new(rate, bus.roles()).unwrap();
        meter.process(&block);
        fold.process(&block);
        let r = fold.readings(&meter.readings());
        assert!(r.stereo_integrated_lu.unwrap().abs() < 0.01, "{r:?}");
        assert!(r.mono_integrated_lu.unwrap().abs() < 0.01, "{r:?}");
        assert!(r.mono_short_term_lu.unwrap().abs() < 0.01, "{r:?}");
    }
}
