//! The progress line on a terminal while files are analyzed.

use mixmeter_core::analysis::{self};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How often the progress line is redrawn while a file is measured.
pub(crate) const PROGRESS_REDRAW: Duration = Duration::from_millis(100);
/// A progress line on stderr while files are analyzed (only on a terminal): the share of
/// the audio measured, so a single long file moves it too.
pub(crate) struct Progress {
    pub(crate) enabled: bool,
    pub(crate) total: usize,
}

impl Progress {
    pub(crate) fn draw(&self, done: usize, slots: &[analysis::Progress]) {
        if !self.enabled {
            return;
        }
        let partial: f64 = slots
            .iter()
            .map(|slot| {
                let total = slot.total_frames.load(Ordering::Relaxed);
                let done = slot.done_frames.load(Ordering::Relaxed);
                if total == 0 {
                    0.0
                } else {
                    (done as f64 / total as f64).min(1.0)
                }
            })
            .sum();
        let share = ((done as f64 + partial) / self.total.max(1) as f64).min(1.0);
        let width = 30;
        let filled = (share * width as f64) as usize;
        eprint!(
            "\r\x1b[2K[{}{}] {:3.0}%  {done}/{} files",
            "=".repeat(filled),
            " ".repeat(width - filled),
            share * 100.0,
            self.total
        );
    }

    pub(crate) fn clear(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}
