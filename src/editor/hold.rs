//! Peak hold as a pure function of (previous state, new peak, elapsed time), so the display
//! behaves the same at any frame rate and can be unit-tested without a clock.

/// How long a peak stays on screen before the display follows the signal down, in seconds.
pub const PEAK_HOLD_S: f32 = 1.5;

/// A held peak reading in dBFS (`-inf` = no signal) and how long it has been held.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeldPeak {
    pub peak_db: f32,
    pub held_s: f32,
}

impl Default for HeldPeak {
    fn default() -> Self {
        Self {
            peak_db: f32::NEG_INFINITY,
            held_s: 0.0,
        }
    }
}

/// Advances `previous` by `elapsed_s` seconds during which the largest peak was `new_peak_db`.
/// A higher peak replaces the held one at once; a held peak is released to the new value
/// after [`PEAK_HOLD_S`].
pub fn hold_peak(previous: HeldPeak, new_peak_db: f32, elapsed_s: f32) -> HeldPeak {
    let elapsed_s = if elapsed_s.is_finite() {
        elapsed_s.max(0.0)
    } else {
        0.0
    };
    if new_peak_db >= previous.peak_db {
        return HeldPeak {
            peak_db: new_peak_db,
            held_s: 0.0,
        };
    }
    let held_s = previous.held_s + elapsed_s;
    if held_s >= PEAK_HOLD_S {
        HeldPeak {
            peak_db: new_peak_db,
            held_s: 0.0,
        }
    } else {
        HeldPeak {
            peak_db: previous.peak_db,
            held_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_peak_replaces_at_once() {
        let held = hold_peak(HeldPeak::default(), -6.0, 0.016);
        assert_eq!(held.peak_db, -6.0);
        assert_eq!(hold_peak(held, -3.0, 0.016).peak_db, -3.0);
    }

    #[test]
    fn lower_peak_waits_for_the_hold_time_whatever_the_frame_rate() {
        for frame_s in [1.0 / 144.0, 1.0 / 30.0, 0.25] {
            let mut held = hold_peak(HeldPeak::default(), -1.0, frame_s);
            let mut t = 0.0;
            while held.peak_db == -1.0 {
                held = hold_peak(held, -20.0, frame_s);
                t += frame_s;
                assert!(t < 10.0);
            }
            assert!(
                t >= PEAK_HOLD_S && t < PEAK_HOLD_S + frame_s + 1e-4,
                "released after {t} s at {frame_s} s frames"
            );
            assert_eq!(held.peak_db, -20.0);
        }
    }

    #[test]
    fn bad_elapsed_time_does_not_release_or_panic() {
        let held = hold_peak(HeldPeak::default(), -1.0, 0.0);
        assert_eq!(hold_peak(held, -9.0, f32::NAN).peak_db, -1.0);
        assert_eq!(hold_peak(held, -9.0, -5.0).peak_db, -1.0);
    }
}
