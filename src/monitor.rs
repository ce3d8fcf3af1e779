//! What the plugin does to the audio it passes on: nothing, the mono check, or on a surround
//! bus the fold-down.
//!
//! Mixmeter is a meter: while the mono check is off and no fade is running, the output buffers
//! are never written, so the output is bit-identical to the input at any rate and block size.
//! When the mono check is engaged both outputs carry `(L + R) / 2`, computed in `f32` exactly as
//! `(l + r) * 0.5` (multiplying by 0.5 is exact, so this equals the division a test would do).
//!
//! Switching is a linear crossfade between the stereo signal and the mono sum over
//! [`MONO_FADE_MS`]. The crossfade is gain-linear, not power-linear, because the two signals are
//! strongly correlated (the sum contains the channel being faded out). The largest extra step the
//! fade can add between two samples is `|M - L| / fade_len`, at most `1 / 480` of full scale at
//! 48 kHz, so no click is audible.
//!
//! **Level match** (optional): a mix loses loudness when folded (independent channels 3 LU),
//! so a plain A/B also compares levels. With level match on, the mono sum is multiplied by
//! the gain that undoes the measured loss, `10^(-loss/20)`, where `loss` is the meter's
//! short-term (3 s) mono loss of the stereo input (BS.1770 loudness of (L+R)/2 on both channels
//! minus that of L and R). The gain is capped at [`MAX_LEVEL_MATCH_DB`] (a fold losing more
//! than that is broken, and more gain would only raise residue and risk clipping), held while
//! the meter has no value (silence), and glides to each new value with a one-pole smoother of
//! [`LEVEL_MATCH_TIME_CONSTANT_MS`] per sample, so it never steps. A steady mix reaches
//! level-matched mono within 0.1 LU about 3 s after a change (the 3 s window, then 5 time
//! constants). With level match off the gain is exactly 1 and the sum is the exact
//! `(l + r) * 0.5`.
//!
//! **Fold-down** (surround buses, [`MonoCheck::process_fold`]): the same switch, fade and level
//! match, with the BS.775 downmix ([`crate::meter::fold`]) in place of `(L + R) / 2`. Folded
//! to stereo, the bus's L and R carry `Lo` and `Ro` and every other channel is silent; folded
//! to mono, the centre carries `M` and the others are silent (a mono fold is heard from one
//! loudspeaker). Engaged with level match off, the outputs are exactly the downmix's values
//! and exact zeros. Changing the fold's target while engaged fades out to the bus and back in
//! to the new fold (two fades), so it never steps either. The level match follows the fold's
//! short-term loudness change (the fold meter's 3 s window, so it has a value 3 s after a
//! reset; until then the gain holds), both ways ([`fold_level_match_gain`]): a fold louder
//! than the bus is lowered.
//!
//! Real-time: no allocation, no branches per sample beyond the fade, never panics.

use crate::meter::MAX_CHANNELS;
use crate::meter::fold::{Downmix, FoldTarget};

/// Length of the crossfade when the mono check is switched, in milliseconds (5-20 ms keeps
/// it click-free without smearing the A/B comparison).
pub const MONO_FADE_MS: f32 = 10.0;
/// The largest level-match gain, dB.
pub const MAX_LEVEL_MATCH_DB: f32 = 6.0;
/// Time constant of the level-match gain, milliseconds.
pub const LEVEL_MATCH_TIME_CONSTANT_MS: f32 = 300.0;

/// The level-match gain (linear) for a measured mono loss (LU, 0 or below), capped; `None`
/// when there is no value to match.
pub fn level_match_gain(mono_loss_lu: Option<f64>) -> Option<f32> {
    let loss = mono_loss_lu.filter(|l| l.is_finite())?;
    let db = (-loss as f32).clamp(0.0, MAX_LEVEL_MATCH_DB);
    Some(10f32.powf(db / 20.0))
}

/// The level-match gain (linear) for a fold-down's measured loudness change (LU, either
/// sign), capped at [`MAX_LEVEL_MATCH_DB`] both ways: unlike a stereo mono sum, a BS.775 fold
/// of coherent channels is often louder than the bus (its coefficients are not normalised), so
/// the match may lower it as well as raise it. `None` when there is no value to match.
pub fn fold_level_match_gain(change_lu: Option<f64>) -> Option<f32> {
    let change = change_lu.filter(|l| l.is_finite())?;
    let db = (-change as f32).clamp(-MAX_LEVEL_MATCH_DB, MAX_LEVEL_MATCH_DB);
    Some(10f32.powf(db / 20.0))
}

/// Crossfade state of the mono check. `mix_gain` is 0 for the untouched stereo signal and 1 for
/// the full mono sum.
#[derive(Debug, Clone)]
pub struct MonoCheck {
    mix_gain: f32,
    step_gain: f32,
    /// No audio has passed since construction or `reset`: a switch now has nothing to click
    /// against, so it takes effect at once (an offline render with the check on is folded from
    /// its first sample, even when the host delivers the parameter with the first block).
    fresh: bool,
    /// Gain applied to the mono sum (level match), its target, and the smoother's coefficient.
    level_gain: f64,
    level_target: f64,
    level_coefficient: f64,
    /// The fold being faded in or held (surround buses).
    fold: FoldTarget,
}

impl MonoCheck {
    /// A mono check for `sample_rate` Hz, starting in the `engaged` state without a fade.
    pub fn new(sample_rate: f32, engaged: bool) -> Self {
        let fade_samples = (MONO_FADE_MS * 1e-3 * sample_rate).max(1.0);
        let time_constant = (LEVEL_MATCH_TIME_CONSTANT_MS * 1e-3 * sample_rate.max(1.0)) as f64;
        Self {
            mix_gain: if engaged { 1.0 } else { 0.0 },
            step_gain: 1.0 / fade_samples,
            fresh: true,
            level_gain: 1.0,
            level_target: 1.0,
            level_coefficient: 1.0 - (-1.0 / time_constant).exp(),
            fold: FoldTarget::Stereo,
        }
    }

    /// Sets the gain the mono sum glides to (1 = plain sum; see the module docs). A target of 1
    /// is reached exactly.
    pub fn set_level_target(&mut self, gain: f32) {
        if gain.is_finite() && gain > 0.0 {
            self.level_target = gain as f64;
        }
    }

    /// The level-match gain applied now (linear).
    pub fn level_gain(&self) -> f32 {
        self.level_gain as f32
    }

    /// Moves the level gain one sample towards its target (kept in f64; it lands on the target
    /// when within 1e-7, below what an f32 sample can show, about 5 s after a change).
    #[inline]
    fn step_level(&mut self) -> f32 {
        if self.level_gain != self.level_target {
            let next =
                self.level_gain + (self.level_target - self.level_gain) * self.level_coefficient;
            self.level_gain = if (next - self.level_target).abs() < 1e-7 {
                self.level_target
            } else {
                next
            };
        }
        self.level_gain as f32
    }

    /// Jumps to the `engaged` state without a fade (used when the host resets the plugin: no
    /// audio is flowing, so there is nothing to click).
    pub fn reset(&mut self, engaged: bool) {
        self.reset_to(engaged, self.fold);
    }

    /// As [`MonoCheck::reset`], with the fold a surround bus jumps to.
    pub fn reset_to(&mut self, engaged: bool, fold: FoldTarget) {
        self.fold = fold;
        self.mix_gain = if engaged { 1.0 } else { 0.0 };
        self.fresh = true;
        self.level_gain = self.level_target;
    }

    /// True while a fade is running or the sum is engaged, i.e. whenever the output differs
    /// from the input.
    pub fn is_active(&self) -> bool {
        self.mix_gain > 0.0
    }

    /// Current mix between stereo (0) and mono (1); for display and tests.
    pub fn mix_gain(&self) -> f32 {
        self.mix_gain
    }

    /// Processes one stereo block in place, moving towards `engaged`. With the check off and no
    /// fade running, the buffers are not touched at all.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32], engaged: bool) {
        let target_gain = if engaged { 1.0 } else { 0.0 };
        let frames = left.len().min(right.len());
        let (left, right) = (&mut left[..frames], &mut right[..frames]);
        if frames == 0 {
            return;
        }
        if self.fresh {
            self.mix_gain = target_gain;
            self.level_gain = self.level_target;
            self.fresh = false;
        }
        if self.mix_gain == 0.0 && target_gain == 0.0 {
            // Untouched: the level gain has nothing to glide under; it jumps.
            self.level_gain = self.level_target;
            return;
        }

        if self.mix_gain == 0.0 {
            // A fade in starts from the stereo input, where the level gain is not heard: it
            // starts at its target (the plugin updates the target only while the sum is
            // engaged or fading, so an old value may be waiting here).
            self.level_gain = self.level_target;
        }
        let mut start = 0;
        while start < frames && self.mix_gain != target_gain {
            self.mix_gain = if target_gain > self.mix_gain {
                (self.mix_gain + self.step_gain).min(1.0)
            } else {
                (self.mix_gain - self.step_gain).max(0.0)
            };
            let (l, r) = (left[start], right[start]);
            let mono = (l + r) * 0.5 * self.step_level();
            left[start] = l + self.mix_gain * (mono - l);
            right[start] = r + self.mix_gain * (mono - r);
            start += 1;
        }

        if self.mix_gain == 1.0 {
            let pairs = left[start..].iter_mut().zip(right[start..].iter_mut());
            if self.level_gain == 1.0 && self.level_target == 1.0 {
                for (l, r) in pairs {
                    let mono = (*l + *r) * 0.5;
                    *l = mono;
                    *r = mono;
                }
            } else {
                for (l, r) in pairs {
                    let mono = (*l + *r) * 0.5 * self.step_level();
                    *l = mono;
                    *r = mono;
                }
            }
        }
        // mix_gain == 0.0: the rest of the block is the untouched input.
    }

    /// The fold heard now (or last, while faded out).
    pub fn fold(&self) -> FoldTarget {
        self.fold
    }

    /// One frame of the fold being applied: the bus's channels with the fold on its outputs
    /// and silence elsewhere, the fold's values multiplied by `level`.
    #[inline]
    fn fold_frame(
        &self,
        downmix: &Downmix,
        input: &[f32; MAX_CHANNELS],
        level: Option<f32>,
        out: &mut [f32; MAX_CHANNELS],
    ) {
        *out = [0.0; MAX_CHANNELS];
        let scale = |x: f32| level.map_or(x, |g| x * g);
        match self.fold {
            FoldTarget::Stereo => {
                out[downmix.left_channel] = scale(downmix.left.apply(input));
                out[downmix.right_channel] = scale(downmix.right.apply(input));
            }
            FoldTarget::Mono => out[downmix.centre_channel] = scale(downmix.mono.apply(input)),
        }
    }

    /// Processes one block of a surround bus in place (`channels[c]` is channel `c`), moving
    /// towards `fold` (`None`: the untouched bus). With the fold off and no fade running, the
    /// buffers are not touched at all.
    pub fn process_fold(
        &mut self,
        channels: &mut [&mut [f32]],
        downmix: &Downmix,
        fold: Option<FoldTarget>,
    ) {
        let count = channels.len().min(MAX_CHANNELS);
        let channels = &mut channels[..count];
        let frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        if frames == 0 {
            return;
        }
        if self.fresh {
            self.mix_gain = if fold.is_some() { 1.0 } else { 0.0 };
            self.fold = fold.unwrap_or(self.fold);
            self.level_gain = self.level_target;
            self.fresh = false;
        }
        let mut input = [0.0f32; MAX_CHANNELS];
        let mut target = [0.0f32; MAX_CHANNELS];
        for n in 0..frames {
            if self.mix_gain == 0.0 {
                // Nothing of the previous fold is heard: the wanted one starts from here.
                match fold {
                    Some(f) => self.fold = f,
                    None => {
                        // The rest of the block is the untouched input.
                        self.level_gain = self.level_target;
                        return;
                    }
                }
            }
            // Another fold than the one heard fades out first.
            let target_gain = if fold == Some(self.fold) { 1.0 } else { 0.0 };
            if self.mix_gain != target_gain {
                self.mix_gain = if target_gain > self.mix_gain {
                    (self.mix_gain + self.step_gain).min(1.0)
                } else {
                    (self.mix_gain - self.step_gain).max(0.0)
                };
            }
            let g = self.mix_gain;
            if g == 0.0 {
                // Faded out at this frame: it is the input, untouched.
                continue;
            }
            for (slot, channel) in input.iter_mut().zip(channels.iter()) {
                *slot = channel[n];
            }
            let level = self.step_level();
            let exact = self.level_gain == 1.0 && self.level_target == 1.0;
            self.fold_frame(downmix, &input, (!exact).then_some(level), &mut target);
            for (c, channel) in channels.iter_mut().enumerate() {
                channel[n] = if g == 1.0 {
                    target[c]
                } else {
                    input[c] + g * (target[c] - input[c])
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE_HZ: f32 = 48_000.0;

    fn stereo_sines(frames: usize) -> (Vec<f32>, Vec<f32>) {
        let left = (0..frames)
            .map(|n| (n as f32 * 2.0 * std::f32::consts::PI * 997.0 / RATE_HZ).sin() * 0.8)
            .collect();
        let right = (0..frames)
            .map(|n| (n as f32 * 2.0 * std::f32::consts::PI * 211.0 / RATE_HZ).cos() * -0.7)
            .collect();
        (left, right)
    }

    fn max_step(signal: &[f32]) -> f32 {
        signal
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn off_leaves_buffers_bit_identical() {
        let (left, right) = stereo_sines(4096);
        let (mut out_l, mut out_r) = (left.clone(), right.clone());
        let mut check = MonoCheck::new(RATE_HZ, false);
        check.process(&mut out_l, &mut out_r, false);
        assert_eq!(
            out_l.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            left.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(out_r, right);
        assert!(!check.is_active());
    }

    #[test]
    fn engaged_outputs_exact_mono_sum() {
        let (left, right) = stereo_sines(1000);
        let (mut out_l, mut out_r) = (left.clone(), right.clone());
        let mut check = MonoCheck::new(RATE_HZ, true);
        check.process(&mut out_l, &mut out_r, true);
        for n in 0..left.len() {
            let expected = (left[n] + right[n]) / 2.0;
            assert_eq!(out_l[n].to_bits(), expected.to_bits());
            assert_eq!(out_r[n].to_bits(), expected.to_bits());
        }
    }

    #[test]
    fn switching_fades_over_the_documented_time_without_clicks() {
        let fade_frames = (MONO_FADE_MS * 1e-3 * RATE_HZ) as usize;
        let (left, right) = stereo_sines(8 * fade_frames);
        let own_step = max_step(&left).max(max_step(&right));
        let (mut out_l, mut out_r) = (left.clone(), right.clone());
        let mut check = MonoCheck::new(RATE_HZ, false);
        // Engage at 1/4, release at 5/8, in odd-sized blocks.
        let mut offset = 0;
        for block in [fade_frames * 2, 7, fade_frames * 3 - 7, fade_frames * 3] {
            let engaged = offset < fade_frames * 5 && offset >= fade_frames * 2;
            let end = offset + block;
            check.process(&mut out_l[offset..end], &mut out_r[offset..end], engaged);
            offset = end;
        }
        // Jump bound: the signal's own largest step plus what the ramp adds (|M - L| <= 1.5).
        let bound = own_step + 1.5 / fade_frames as f32 + 1e-6;
        assert!(max_step(&out_l) <= bound, "{} > {bound}", max_step(&out_l));
        assert!(max_step(&out_r) <= bound, "{} > {bound}", max_step(&out_r));
        // Before the switch: untouched. A fade later: exact mono. At the end: untouched again.
        assert_eq!(out_l[..2 * fade_frames], left[..2 * fade_frames]);
        let in_mono = 3 * fade_frames + 1;
        assert_eq!(out_l[in_mono], (left[in_mono] + right[in_mono]) * 0.5);
        assert_ne!(
            out_l[2 * fade_frames + fade_frames / 2],
            left[2 * fade_frames + fade_frames / 2]
        );
        let back = 6 * fade_frames + 1;
        assert_eq!(out_l[back..], left[back..]);
        assert_eq!(out_r[back..], right[back..]);
        assert!(!check.is_active());
    }

    #[test]
    fn fade_lasts_between_5_and_20_ms_at_every_rate() {
        for rate_hz in [8_000.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0, 384_000.0] {
            let mut check = MonoCheck::new(rate_hz, false);
            let (mut l, mut r) = (vec![0.5f32; 1], vec![-0.5f32; 1]);
            check.process(&mut l, &mut r, false); // audio has flowed: switches now fade
            let mut frames = 0usize;
            while check.mix_gain() < 1.0 {
                l[0] = 0.5;
                r[0] = -0.5;
                check.process(&mut l, &mut r, true);
                frames += 1;
            }
            let fade_ms = frames as f32 / rate_hz * 1e3;
            assert!(
                (5.0..=20.0).contains(&fade_ms),
                "{rate_hz} Hz: {fade_ms} ms"
            );
        }
    }

    #[test]
    fn first_block_after_reset_switches_without_fade() {
        let mut check = MonoCheck::new(RATE_HZ, false);
        let (mut l, mut r) = (vec![0.5f32; 8], vec![-0.25f32; 8]);
        check.process(&mut l[..0], &mut r[..0], true);
        check.process(&mut l, &mut r, true);
        assert_eq!(l, vec![0.125; 8]);
        // Once audio has flowed, the next switch fades.
        let (mut l, mut r) = (vec![0.5f32; 8], vec![-0.25f32; 8]);
        check.process(&mut l, &mut r, false);
        assert!(l[0] > 0.125 && l[0] < 0.5, "fading: {}", l[0]);
        check.reset(true);
        let (mut l, mut r) = (vec![0.5f32; 8], vec![-0.25f32; 8]);
        check.process(&mut l, &mut r, false);
        assert_eq!(l, vec![0.5; 8]);
    }

    #[test]
    fn reset_jumps_without_fade() {
        let mut check = MonoCheck::new(RATE_HZ, false);
        check.reset(true);
        assert_eq!(check.mix_gain(), 1.0);
        check.reset(false);
        assert!(!check.is_active());
    }

    #[test]
    fn level_match_gain_undoes_the_loss_within_its_cap() {
        assert_eq!(level_match_gain(None), None);
        assert_eq!(level_match_gain(Some(f64::NEG_INFINITY)), None);
        assert_eq!(level_match_gain(Some(0.0)), Some(1.0));
        assert!((level_match_gain(Some(-3.0103)).unwrap() - 2f32.sqrt()).abs() < 1e-4);
        assert!((level_match_gain(Some(-40.0)).unwrap() - 10f32.powf(0.3)).abs() < 1e-6);
        // A gain (impossible for a fold, but never trusted) is not applied.
        assert_eq!(level_match_gain(Some(2.0)), Some(1.0));
    }

    #[test]
    fn fold_level_match_lowers_a_louder_fold_and_raises_a_quieter_one() {
        assert_eq!(fold_level_match_gain(None), None);
        assert_eq!(fold_level_match_gain(Some(0.0)), Some(1.0));
        assert!(
            (fold_level_match_gain(Some(3.59)).unwrap() - 10f32.powf(-3.59 / 20.0)).abs() < 1e-6
        );
        assert!((fold_level_match_gain(Some(-3.0)).unwrap() - 10f32.powf(0.15)).abs() < 1e-6);
        assert!((fold_level_match_gain(Some(20.0)).unwrap() - 10f32.powf(-0.3)).abs() < 1e-6);
        assert!((fold_level_match_gain(Some(-20.0)).unwrap() - 10f32.powf(0.3)).abs() < 1e-6);
    }

    #[test]
    fn level_gain_glides_without_steps_and_lands_exactly() {
        let mut check = MonoCheck::new(RATE_HZ, true);
        let (mut l, mut r) = (vec![0.5f32; 480], vec![0.5f32; 480]);
        check.process(&mut l, &mut r, true);
        assert_eq!(l, vec![0.5; 480]);
        check.set_level_target(2.0);
        let mut out = Vec::new();
        // 6 s: 20 time constants.
        for _ in 0..600 {
            let (mut l, mut r) = (vec![0.5f32; 480], vec![0.5f32; 480]);
            check.process(&mut l, &mut r, true);
            out.extend_from_slice(&l);
        }
        // One time constant after the change: 1 - 1/e of the way.
        let tc = (LEVEL_MATCH_TIME_CONSTANT_MS * 1e-3 * RATE_HZ) as usize;
        assert!(
            (out[tc] - (0.5 + 0.5 * (1.0 - (-1.0f32).exp()))).abs() < 1e-3,
            "{}",
            out[tc]
        );
        assert!(out.windows(2).all(|w| w[1] >= w[0] && w[1] - w[0] < 1e-4));
        assert_eq!(*out.last().unwrap(), 1.0);
        assert_eq!(check.level_gain(), 2.0);
        // Back to the plain sum: exactly (l + r) / 2 again.
        check.set_level_target(1.0);
        for _ in 0..600 {
            let (mut l, mut r) = (vec![0.3f32; 480], vec![0.1f32; 480]);
            check.process(&mut l, &mut r, true);
        }
        let (mut l, mut r) = (vec![0.3f32; 4], vec![0.1f32; 4]);
        check.process(&mut l, &mut r, true);
        assert_eq!(l[3], (0.3f32 + 0.1) * 0.5);
    }

    /// The plugin's arrangement: the meter measures the stereo input, its short-term mono loss
    /// sets the level match, and the folded output then measures as loud as the input.
    #[test]
    fn level_matched_mono_is_as_loud_as_stereo() {
        use crate::meter::engine::{Meter, MeterConfig};
        let rate = 48_000.0;
        let mut seed = 7u64;
        let mut noise = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * 0.3
        };
        // Partly correlated: a shared part and an independent part per channel.
        let frames = rate as usize * 12;
        let mut left = Vec::with_capacity(frames);
        let mut right = Vec::with_capacity(frames);
        for _ in 0..frames {
            let common = noise();
            left.push(0.5 * common + noise());
            right.push(0.5 * common + noise());
        }
        for level_match in [false, true] {
            let mut input_meter = Meter::new(MeterConfig::new(rate, 2)).unwrap();
            let mut output_meter = Meter::new(MeterConfig::new(rate, 2)).unwrap();
            let mut check = MonoCheck::new(rate as f32, true);
            for (l, r) in left.chunks(256).zip(right.chunks(256)) {
                input_meter.process(&[l, r]);
                if level_match
                    && let Some(gain) =
                        level_match_gain(input_meter.readings().mono_loss_short_term_lu)
                {
                    check.set_level_target(gain);
                }
                let (mut out_l, mut out_r) = (l.to_vec(), r.to_vec());
                check.process(&mut out_l, &mut out_r, true);
                output_meter.process(&[&out_l[..], &out_r[..]]);
            }
            let stereo = input_meter.readings().short_term_lufs.unwrap();
            let mono = output_meter.readings().short_term_lufs.unwrap();
            let loss = input_meter.readings().mono_loss_short_term_lu.unwrap();
            if level_match {
                assert!((mono - stereo).abs() < 0.1, "{mono} vs {stereo}");
            } else {
                assert!(
                    (mono - stereo - loss).abs() < 0.01,
                    "{mono} {stereo} {loss}"
                );
                assert!(loss < -2.0, "{loss}");
            }
        }
    }

    fn surround_block(channels: usize, frames: usize) -> Vec<Vec<f32>> {
        (0..channels)
            .map(|c| {
                (0..frames)
                    .map(|n| {
                        let f = 97.0 + 61.0 * c as f32;
                        (n as f32 * 2.0 * std::f32::consts::PI * f / RATE_HZ).sin()
                            * (0.5 - 0.03 * c as f32)
                    })
                    .collect()
            })
            .collect()
    }

    fn run_fold(
        check: &mut MonoCheck,
        block: &mut [Vec<f32>],
        downmix: &Downmix,
        fold: Option<FoldTarget>,
    ) {
        let mut slices: Vec<&mut [f32]> = block.iter_mut().map(|c| c.as_mut_slice()).collect();
        check.process_fold(&mut slices, downmix, fold);
    }

    /// Off: untouched. Engaged: the downmix's exact values on L R (or C) and exact zeros.
    #[test]
    fn surround_fold_is_the_exact_downmix_and_off_is_untouched() {
        use crate::meter::layout::BusLayout;
        for bus in [
            BusLayout::Surround50,
            BusLayout::Surround51,
            BusLayout::Surround70,
            BusLayout::Surround71,
            BusLayout::Surround714,
        ] {
            let downmix = Downmix::new(bus.roles());
            let input = surround_block(bus.channels(), 999);
            let mut out = input.clone();
            let mut check = MonoCheck::new(RATE_HZ, false);
            run_fold(&mut check, &mut out, &downmix, None);
            assert_eq!(out, input);
            for target in [FoldTarget::Stereo, FoldTarget::Mono] {
                let mut out = input.clone();
                let mut check = MonoCheck::new(RATE_HZ, false);
                run_fold(&mut check, &mut out, &downmix, Some(target));
                for n in 0..999 {
                    let frame: Vec<f32> = input.iter().map(|c| c[n]).collect();
                    for (c, channel) in out.iter().enumerate() {
                        let expected = match target {
                            FoldTarget::Stereo if c == 0 => downmix.left.apply(&frame),
                            FoldTarget::Stereo if c == 1 => downmix.right.apply(&frame),
                            FoldTarget::Mono if c == 2 => downmix.mono.apply(&frame),
                            _ => 0.0,
                        };
                        assert_eq!(channel[n].to_bits(), expected.to_bits(), "{bus:?} {c}");
                    }
                }
            }
        }
    }

    /// Switching on, to the other fold and off again, in odd blocks: every step bounded by
    /// the signal's own plus the ramp's share, the durations as documented, untouched after.
    #[test]
    fn surround_fold_switches_click_free_including_between_folds() {
        use crate::meter::layout::BusLayout;
        let bus = BusLayout::Surround71;
        let downmix = Downmix::new(bus.roles());
        let fade = (MONO_FADE_MS * 1e-3 * RATE_HZ) as usize;
        let frames = 12 * fade;
        let input = surround_block(bus.channels(), frames);
        let mut out = input.clone();
        let mut check = MonoCheck::new(RATE_HZ, false);
        let mut offset = 0;
        for block in [2 * fade, 7, 3 * fade - 7, 13, 3 * fade - 13, 4 * fade] {
            let fold = match offset {
                o if o < 2 * fade => None,
                o if o < 5 * fade => Some(FoldTarget::Stereo),
                o if o < 8 * fade => Some(FoldTarget::Mono),
                _ => None,
            };
            let end = offset + block;
            let mut piece: Vec<Vec<f32>> = out.iter().map(|c| c[offset..end].to_vec()).collect();
            run_fold(&mut check, &mut piece, &downmix, fold);
            for (o, p) in out.iter_mut().zip(piece) {
                o[offset..end].copy_from_slice(&p);
            }
            offset = end;
        }
        // A fading output moves by the larger of the input's and the fold's own steps, plus
        // its share of the ramp (the largest |value| bounds |fold - input|).
        let folds: Vec<Vec<f32>> = [&downmix.left, &downmix.right, &downmix.mono]
            .iter()
            .map(|terms| {
                (0..frames)
                    .map(|n| terms.apply(&input.iter().map(|x| x[n]).collect::<Vec<_>>()))
                    .collect()
            })
            .collect();
        let own = input
            .iter()
            .chain(&folds)
            .map(|c| max_step(c))
            .fold(0.0, f32::max);
        let peak = folds
            .iter()
            .chain(&input)
            .flat_map(|c| c.iter())
            .fold(0.0f32, |a, &b| a.max(b.abs()));
        let bound = own + 2.0 * peak / fade as f32 + 1e-5;
        for (c, channel) in out.iter().enumerate() {
            assert!(
                max_step(channel) <= bound,
                "{c}: {} > {bound}",
                max_step(channel)
            );
        }
        // Stereo fold fully in at 4 fades; mid-way through the switch to mono (6 fades) the
        // stereo fold is fading out; mono fully in by 8 fades; untouched after 10.
        let n = 4 * fade;
        let frame: Vec<f32> = input.iter().map(|x| x[n]).collect();
        assert_eq!(out[0][n], downmix.left.apply(&frame));
        assert_eq!(out[4][n], 0.0);
        let n = 8 * fade - 1;
        let frame: Vec<f32> = input.iter().map(|x| x[n]).collect();
        assert_eq!(out[2][n], downmix.mono.apply(&frame));
        assert_eq!(out[0][n], 0.0);
        for c in 0..bus.channels() {
            assert_eq!(out[c][10 * fade..], input[c][10 * fade..], "channel {c}");
        }
        assert!(!check.is_active());
    }
}
