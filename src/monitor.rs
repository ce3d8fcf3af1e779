//! What the plugin does to the audio it passes on: nothing, or the mono check.
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
//! Real-time: no allocation, no branches per sample beyond the fade, never panics.

/// Length of the crossfade when the mono check is switched, in milliseconds (5-20 ms keeps
/// it click-free without smearing the A/B comparison).
pub const MONO_FADE_MS: f32 = 10.0;

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
}

impl MonoCheck {
    /// A mono check for `sample_rate` Hz, starting in the `engaged` state without a fade.
    pub fn new(sample_rate: f32, engaged: bool) -> Self {
        let fade_samples = (MONO_FADE_MS * 1e-3 * sample_rate).max(1.0);
        Self {
            mix_gain: if engaged { 1.0 } else { 0.0 },
            step_gain: 1.0 / fade_samples,
            fresh: true,
        }
    }

    /// Jumps to the `engaged` state without a fade (used when the host resets the plugin: no
    /// audio is flowing, so there is nothing to click).
    pub fn reset(&mut self, engaged: bool) {
        self.mix_gain = if engaged { 1.0 } else { 0.0 };
        self.fresh = true;
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
            self.fresh = false;
        }

        let mut start = 0;
        while start < frames && self.mix_gain != target_gain {
            self.mix_gain = if target_gain > self.mix_gain {
                (self.mix_gain + self.step_gain).min(1.0)
            } else {
                (self.mix_gain - self.step_gain).max(0.0)
            };
            let (l, r) = (left[start], right[start]);
            let mono = (l + r) * 0.5;
            left[start] = l + self.mix_gain * (mono - l);
            right[start] = r + self.mix_gain * (mono - r);
            start += 1;
        }

        if self.mix_gain == 1.0 {
            for (l, r) in left[start..].iter_mut().zip(right[start..].iter_mut()) {
                let mono = (*l + *r) * 0.5;
                *l = mono;
                *r = mono;
            }
        }
        // mix_gain == 0.0: the rest of the block is the untouched input.
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
}
