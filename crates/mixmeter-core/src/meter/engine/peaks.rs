//! Peaks at four levels: per fragment (from [`super::input`]), per 100 ms group (the last 3 s
//! kept for PSR, the short-term crest factor and the true-peak detector's floor), over the
//! measurement (while running), and live (since the editor last read them). True peak is
//! never reported below the sample peak (BS.1770-5 Annex 2 estimates the peak between samples;
//! the samples themselves are a lower bound).

use super::super::MAX_CHANNELS;
use super::readings::{Readings, max_option, peak_db};
use super::windows::SHORT_TERM_FRAGMENTS;

/// Fragments per 100 ms group.
pub(super) const GROUP_FRAGMENTS: u64 = 20;
/// 100 ms peak groups kept for the 3 s peak window.
const PEAK_GROUPS: usize = SHORT_TERM_FRAGMENTS / GROUP_FRAGMENTS as usize;

type PerChannel = [f32; MAX_CHANNELS];

/// What one fragment's peaks mean for the measurement.
#[derive(Debug, Clone, Copy)]
pub(super) struct FragmentPeak {
    /// Largest true peak of the fragment over all channels (linear).
    pub(super) true_peak: f32,
    /// It is larger than every true peak measured before it.
    pub(super) new_max: bool,
}

#[derive(Debug)]
pub(super) struct Peaks {
    group_sample: PerChannel,
    group_true: PerChannel,
    groups_sample: [PerChannel; PEAK_GROUPS],
    groups_true: [PerChannel; PEAK_GROUPS],
    /// Each channel's largest true peak over the stored groups (updated once a group is
    /// stored, so the per-call floor of the true-peak detector costs no loop).
    stored_groups_true: PerChannel,
    group_pos: usize,
    max_true: PerChannel,
    max_sample: PerChannel,
    live_true: PerChannel,
    live_sample: PerChannel,
}

impl Peaks {
    pub(super) fn new() -> Self {
        Self {
            group_sample: [0.0; MAX_CHANNELS],
            group_true: [0.0; MAX_CHANNELS],
            groups_sample: [[0.0; MAX_CHANNELS]; PEAK_GROUPS],
            groups_true: [[0.0; MAX_CHANNELS]; PEAK_GROUPS],
            stored_groups_true: [0.0; MAX_CHANNELS],
            group_pos: 0,
            max_true: [0.0; MAX_CHANNELS],
            max_sample: [0.0; MAX_CHANNELS],
            live_true: [0.0; MAX_CHANNELS],
            live_sample: [0.0; MAX_CHANNELS],
        }
    }

    pub(super) fn reset(&mut self) {
        *self = Self::new();
    }

    /// Adds a finished fragment's peaks; the measurement's maxima only while `running`.
    pub(super) fn fragment(
        &mut self,
        channels: usize,
        sample_peak: &PerChannel,
        true_peak: &PerChannel,
        running: bool,
    ) -> FragmentPeak {
        let previous_max = self.max_true[..channels]
            .iter()
            .fold(0.0f32, |a, &b| a.max(b));
        let mut fragment_true_peak = 0.0f32;
        for c in 0..channels {
            let tp = true_peak[c].max(sample_peak[c]);
            fragment_true_peak = fragment_true_peak.max(tp);
            self.live_true[c] = self.live_true[c].max(tp);
            self.live_sample[c] = self.live_sample[c].max(sample_peak[c]);
            self.group_true[c] = self.group_true[c].max(tp);
            self.group_sample[c] = self.group_sample[c].max(sample_peak[c]);
            if running {
                self.max_true[c] = self.max_true[c].max(tp);
                self.max_sample[c] = self.max_sample[c].max(sample_peak[c]);
            }
        }
        FragmentPeak {
            true_peak: fragment_true_peak,
            new_max: fragment_true_peak > previous_max,
        }
    }

    /// Stores the 100 ms group being filled and starts the next.
    pub(super) fn end_group(&mut self) {
        self.groups_sample[self.group_pos] = self.group_sample;
        self.groups_true[self.group_pos] = self.group_true;
        self.group_pos = (self.group_pos + 1) % PEAK_GROUPS;
        self.stored_groups_true = [0.0; MAX_CHANNELS];
        for group in &self.groups_true {
            for (m, &g) in self.stored_groups_true.iter_mut().zip(group) {
                *m = m.max(g);
            }
        }
        self.group_sample = [0.0; MAX_CHANNELS];
        self.group_true = [0.0; MAX_CHANNELS];
    }

    /// Channel `c`'s largest true peak in the stored groups and the group being filled (the
    /// fragment being filled is the caller's).
    pub(super) fn recent_true_peak(&self, c: usize) -> f32 {
        self.group_true[c].max(self.stored_groups_true[c])
    }

    /// Per-channel true and sample peak (linear) since the previous call.
    pub(super) fn take_live(&mut self) -> (PerChannel, PerChannel) {
        (
            std::mem::replace(&mut self.live_true, [0.0; MAX_CHANNELS]),
            std::mem::replace(&mut self.live_sample, [0.0; MAX_CHANNELS]),
        )
    }

    /// Writes the per-channel and overall maxima into `r`; returns the largest true and sample
    /// peak of the last 3 s (stored groups plus the one being filled), linear.
    pub(super) fn fill(&self, channels: usize, r: &mut Readings) -> (f32, f32) {
        let mut max_tp = None;
        let mut max_sp = None;
        for c in 0..channels {
            r.true_peak_dbtp[c] = peak_db(self.max_true[c]);
            r.sample_peak_dbfs[c] = peak_db(self.max_sample[c]);
            max_tp = max_option(max_tp, r.true_peak_dbtp[c]);
            max_sp = max_option(max_sp, r.sample_peak_dbfs[c]);
        }
        r.max_true_peak_dbtp = max_tp;
        r.max_sample_peak_dbfs = max_sp;
        let mut recent_tp = 0.0f32;
        let mut recent_sp = 0.0f32;
        for c in 0..channels {
            recent_tp = recent_tp.max(self.group_true[c]);
            recent_sp = recent_sp.max(self.group_sample[c]);
            for g in 0..PEAK_GROUPS {
                recent_tp = recent_tp.max(self.groups_true[g][c]);
                recent_sp = recent_sp.max(self.groups_sample[g][c]);
            }
        }
        (recent_tp, recent_sp)
    }
}
