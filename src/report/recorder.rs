//! The offline-render recorder: what the plugin keeps of a render while the host runs it
//! ([`RenderTracker`], fed by the audio thread without allocating), and what happens at
//! deactivation ([`Recorder::deactivate`]: the verdict of the module docs of [`super`], then
//! the report written on a thread of its own).

use super::{
    LastReport, MIN_RENDER_S, Outcome, Render, Report, SERIES_CAPACITY, Series, Shared, Skip,
    default_folder, now_unix_s, write_unless_cancelled,
};
use crate::meter::engine::{Meter, Readings};
use crate::params::MixmeterParams;
use nice_plug::prelude::nice_error;
use std::sync::Arc;

/// What the audio thread keeps of an offline render: capacity reserved in [`Self::start`]
/// (activation), no allocation, lock or log in [`Self::block`].
#[derive(Debug, Default)]
pub struct RenderTracker {
    active: bool,
    rate_hz: u64,
    samples: u64,
    next_second: u64,
    /// Highest true peak (linear gain) since the last second boundary.
    peak_gain: f32,
    series: Series,
    /// Where the next block should start on the host's timeline, and the first block's.
    expected_pos: Option<i64>,
    start_pos: Option<i64>,
    /// The previous block's position.
    last_pos: Option<i64>,
    jumped: bool,
    /// Reset or paused after audio was measured.
    interrupted: bool,
}

impl RenderTracker {
    /// A render starts (activation in offline mode). Allocates.
    pub fn start(&mut self, rate_hz: f64) {
        self.active = true;
        self.rate_hz = (rate_hz.round() as u64).max(1);
        self.samples = 0;
        self.next_second = self.rate_hz;
        self.peak_gain = 0.0;
        for s in [
            &mut self.series.short_term_lufs,
            &mut self.series.momentary_lufs,
            &mut self.series.true_peak_dbtp,
        ] {
            s.clear();
            s.reserve(SERIES_CAPACITY);
        }
        self.expected_pos = None;
        self.start_pos = None;
        self.last_pos = None;
        self.jumped = false;
        self.interrupted = false;
    }

    pub fn active(&self) -> bool {
        self.active
    }

    /// The block about to be measured starts at `pos_samples` on the host's timeline.
    pub fn position(&mut self, pos_samples: Option<i64>) {
        let Some(pos) = pos_samples else {
            return;
        };
        if self.start_pos.is_none() {
            self.start_pos = Some(pos);
        }
        if let Some(expected) = self.expected_pos {
            // Hosts derive sample positions from seconds or beats: a couple of samples of
            // rounding is not a jump. A position that stays put is "no timeline".
            let tolerance = (self.rate_hz / 1000).max(2) as i64;
            let stayed = self.last_pos == Some(pos);
            // abs_diff: a host's extreme position must not overflow (this is the audio thread).
            if pos.abs_diff(expected) > tolerance as u64 && !stayed {
                self.jumped = true;
            }
        }
        self.last_pos = Some(pos);
    }

    /// After a block of `samples` measured: its highest true peak (linear gain over
    /// channels), and `readings` (called once per second boundary crossed, not per block).
    pub fn block(
        &mut self,
        samples: usize,
        pos_samples: Option<i64>,
        peak_gain: f32,
        readings: impl Fn() -> (Option<f64>, Option<f64>),
    ) {
        if !self.active {
            return;
        }
        self.samples += samples as u64;
        self.expected_pos = pos_samples.map(|p| p.saturating_add(samples as i64));
        self.peak_gain = self.peak_gain.max(peak_gain);
        while self.samples >= self.next_second {
            let (momentary, short_term) = readings();
            let series = &mut self.series;
            // Never past the capacity reserved at activation: no allocation.
            if series.short_term_lufs.len() < series.short_term_lufs.capacity()
                && series.momentary_lufs.len() < series.momentary_lufs.capacity()
                && series.true_peak_dbtp.len() < series.true_peak_dbtp.capacity()
            {
                let lufs = |v: Option<f64>| v.map_or(f32::NAN, |v| v as f32);
                series.short_term_lufs.push(lufs(short_term));
                series.momentary_lufs.push(lufs(momentary));
                let peak_db = if self.peak_gain > 0.0 {
                    20.0 * self.peak_gain.log10()
                } else {
                    f32::NAN
                };
                series.true_peak_dbtp.push(peak_db);
            }
            self.peak_gain = 0.0;
            self.next_second += self.rate_hz;
        }
    }

    /// Whether the render just ended is reported (see the module docs), given the switch and
    /// the render's readings.
    pub fn verdict(&self, enabled: bool, readings: &Readings) -> Result<(), Skip> {
        if !enabled {
            return Err(Skip::Off);
        }
        if readings.measured_s < MIN_RENDER_S {
            return Err(Skip::TooShort(readings.measured_s));
        }
        if self.jumped {
            return Err(Skip::Jumped);
        }
        if self.interrupted {
            return Err(Skip::Interrupted);
        }
        if readings.integrated_lufs.is_none() {
            return Err(Skip::Silent);
        }
        Ok(())
    }

    /// The meter was reset or paused (the audio thread; no allocation). A reset before any
    /// audio of the render (reset on play at its first block) changes nothing.
    pub fn interrupt(&mut self) {
        if self.active && self.samples > 0 {
            self.interrupted = true;
        }
    }

    /// Ends the render (deactivation): the series and the start position, leaving the
    /// tracker inactive. Not for the audio thread (moves the series out).
    pub fn finish(&mut self) -> Option<(Series, Option<f64>)> {
        if !std::mem::take(&mut self.active) {
            return None;
        }
        // The audio after the last whole second: its peak joins the last point, so a peak in
        // a render's final fraction of a second is on the curve too (one point per second).
        if self.peak_gain > 0.0
            && let Some(last) = self.series.true_peak_dbtp.last_mut()
        {
            let peak_db = 20.0 * self.peak_gain.log10();
            if last.is_nan() || *last < peak_db {
                *last = peak_db;
            }
        }
        let start_s = self.start_pos.map(|p| p as f64 / self.rate_hz as f64);
        Some((std::mem::take(&mut self.series), start_s))
    }
}

/// Everything the plugin keeps for render reports: the tracker its audio thread feeds, what it
/// shares with the editor and the report thread, and the report threads still writing
/// (waited for when it is dropped).
#[derive(Debug, Default)]
pub struct Recorder {
    /// Started at an offline activation, fed by `process()`, finished at deactivation.
    pub tracker: RenderTracker,
    shared: Arc<Shared>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// How long dropping the plugin (its recorder) waits for a report still being written. Hosts that render and
/// then unload the plugin (or exit) at once deactivate it only at unload (pedalboard does):
/// without the wait the report would be lost. A process that exits without unloading still
/// loses it, and leaves no partial file (writes are atomic).
const REPORT_WAIT_ON_DROP: std::time::Duration = std::time::Duration::from_secs(10);

impl Drop for Recorder {
    fn drop(&mut self) {
        let deadline = std::time::Instant::now() + REPORT_WAIT_ON_DROP;
        for thread in self.threads.drain(..) {
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            // Past the wait: the writer stops at its next step, and is always joined, so no
            // thread of ours outlives the plugin (the host may unload the library next).
            self.shared
                .cancel
                .store(true, std::sync::atomic::Ordering::Release);
            let _ = thread.join();
        }
    }
}

impl Recorder {
    /// The last report and the track name, for the editor.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// One block of a render: once per second of it, the loudness and the second's highest
    /// true peak (`true_peak`: the block's per-channel linear peaks). Real-time safe: nothing
    /// happens outside a render, and the capacity was reserved at activation.
    pub fn record_block(
        &mut self,
        meter: &Meter,
        samples: usize,
        position: Option<i64>,
        true_peak: &[f32],
    ) {
        if !self.tracker.active() {
            return;
        }
        let block_peak = true_peak[..meter.config().channels.min(true_peak.len())]
            .iter()
            .fold(0.0f32, |a, &b| a.max(b));
        self.tracker.block(samples, position, block_peak, || {
            let r = meter.readings();
            (r.momentary_lufs, r.short_term_lufs)
        });
    }

    /// At deactivation: a render the user meant is reported, on a thread of its own (the
    /// call returns at once); any other pass says in the editor why it was not.
    pub fn deactivate(&mut self, meter: Option<&Meter>, params: &MixmeterParams) {
        if !self.tracker.active() {
            return;
        }
        let Some(meter) = meter else {
            let _ = self.tracker.finish();
            return;
        };
        let readings = meter.readings();
        let verdict = self.tracker.verdict(params.reports.enabled(), &readings);
        let Some((series, start_position_s)) = self.tracker.finish() else {
            return;
        };
        if let Err(skip) = verdict {
            // Passes under a second (plugin scans, validators, a host's set-up) are nobody's
            // render: they must not push the last report out of the editor's status line.
            if matches!(skip, Skip::TooShort(s) if s < 1.0) {
                return;
            }
            self.shared.set_last(LastReport {
                outcome: Outcome::NotReported(skip),
                integrated_lufs: readings.integrated_lufs,
                true_peak_dbtp: readings.max_true_peak_dbtp,
                duration_s: readings.measured_s,
            });
            return;
        }
        let render = Render {
            readings,
            stereo: meter.stereo_bands().map(|b| b.whole_window()),
            sample_rate: meter.config().sample_rate_hz,
            series,
            track_name: self.shared.track_name(),
            target_id: params.editor.target(),
            check_profile_id: params.editor.check_profile(),
            start_position_s,
        };
        let folder = params
            .report_folder
            .read()
            .map(|f| f.clone())
            .unwrap_or_default();
        let folder = if folder.trim().is_empty() {
            default_folder()
        } else {
            std::path::PathBuf::from(folder)
        };
        let shared = self.shared.clone();
        let last = move |outcome| LastReport {
            outcome,
            integrated_lufs: readings.integrated_lufs,
            true_peak_dbtp: readings.max_true_peak_dbtp,
            duration_s: readings.measured_s,
        };
        // Written on a thread of its own: deactivation returns at once.
        let spawned = std::thread::Builder::new()
            .name("mixmeter-report".to_string())
            .spawn(move || {
                let report = Report::of(render, now_unix_s());
                let outcome = match write_unless_cancelled(&folder, &report, &shared.cancel) {
                    Ok((json, png)) => Outcome::Written { json, png },
                    Err(error) => {
                        nice_error!("Render report not written: {error}");
                        Outcome::Failed(error)
                    }
                };
                shared.set_last(last(outcome));
            });
        self.threads.retain(|t| !t.is_finished());
        match spawned {
            Ok(thread) => self.threads.push(thread),
            Err(error) => {
                nice_error!("Render report not written: no thread ({error})");
                self.shared
                    .set_last(last(Outcome::Failed(format!("no thread ({error})"))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{RATE, readings};
    use super::*;

    /// A render of `seconds` in blocks of 512 with positions from `pos` (if any).
    fn track(seconds: f64, pos: Option<i64>) -> RenderTracker {
        let mut t = RenderTracker::default();
        t.start(RATE);
        let blocks = (seconds * RATE / 512.0) as i64;
        for b in 0..blocks {
            let p = pos.map(|p| p + b * 512);
            t.position(p);
            t.block(512, p, 0.5, || (Some(-14.0), Some(-15.0)));
        }
        t
    }
    #[test]
    fn a_validator_like_sequence_of_short_passes_is_never_reported() {
        // clap-validator and fuzzers: many activations of a few blocks to two seconds.
        for seconds in [0.01, 0.055, 0.5, 1.0, 2.0, 5.0, 9.9] {
            let t = track(seconds, None);
            let measured = (seconds * RATE / 512.0).floor() * 512.0 / RATE;
            assert!(
                matches!(
                    t.verdict(true, &readings(measured, Some(-20.0))),
                    Err(Skip::TooShort(_))
                ),
                "{seconds} s"
            );
        }
        let t = track(30.0, Some(0));
        assert_eq!(t.verdict(true, &readings(30.0, Some(-20.0))), Ok(()));
        assert_eq!(
            t.verdict(false, &readings(30.0, Some(-20.0))),
            Err(Skip::Off)
        );
        assert_eq!(t.verdict(true, &readings(30.0, None)), Err(Skip::Silent));
    }
    #[test]
    fn a_jump_on_the_timeline_is_not_one_pass_but_a_still_timeline_is_no_timeline() {
        let mut t = RenderTracker::default();
        t.start(RATE);
        for b in 0..2000i64 {
            // A loop back to the start after 1000 blocks.
            let p = Some((b % 1000) * 512 + 48_000);
            t.position(p);
            t.block(512, p, 0.5, || (None, None));
        }
        assert_eq!(
            t.verdict(true, &readings(21.0, Some(-20.0))),
            Err(Skip::Jumped)
        );
        // A host that sends position 0 on every block.
        let mut still = RenderTracker::default();
        still.start(RATE);
        for _ in 0..2000 {
            still.position(Some(0));
            still.block(512, Some(0), 0.5, || (None, None));
        }
        assert_eq!(still.verdict(true, &readings(21.0, Some(-20.0))), Ok(()));
        // Rounding of a sample or two is not a jump; the start position is kept.
        let mut rounding = RenderTracker::default();
        rounding.start(RATE);
        for b in 0..2000i64 {
            let p = Some(96_000 + b * 512 + (b % 3) - 1);
            rounding.position(p);
            rounding.block(512, p, 0.5, || (None, None));
        }
        assert_eq!(rounding.verdict(true, &readings(21.0, Some(-20.0))), Ok(()));
        assert_eq!(rounding.finish().unwrap().1, Some(95_999.0 / RATE));
    }
    #[test]
    fn the_tracker_keeps_one_value_per_second_and_the_peak_of_each_second() {
        let mut t = RenderTracker::default();
        t.start(RATE);
        for b in 0..(3 * 48_000 / 480) {
            let peak = if b == 150 { 1.0 } else { 0.25 };
            t.block(480, None, peak, || (Some(-14.0), Some(-15.5)));
        }
        let (series, start) = t.finish().unwrap();
        assert_eq!(start, None);
        assert_eq!(series.short_term_lufs, [-15.5; 3]);
        assert_eq!(series.momentary_lufs, [-14.0; 3]);
        assert!(
            (series.true_peak_dbtp[1] - 0.0).abs() < 1e-6,
            "{:?}",
            series.true_peak_dbtp
        );
        assert!((series.true_peak_dbtp[0] + 12.04).abs() < 0.01);
        assert!(t.finish().is_none(), "at most one report per render");
    }
    /// Positions at the ends of i64 (a host's garbage) are a jump, never an overflow panic on
    /// the audio thread.
    #[test]
    fn extreme_host_positions_do_not_overflow() {
        let mut t = RenderTracker::default();
        t.start(48_000.0);
        for pos in [i64::MAX, i64::MIN, i64::MAX - 10, 0, i64::MIN + 5] {
            t.position(Some(pos));
            t.block(512, Some(pos), 0.5, || (None, None));
        }
        assert!(t.jumped);
    }
    /// A reset or pause after the render's first audio skips the report (its readings would
    /// cover part of the render); a reset at the very start (reset on play) does not.
    #[test]
    fn a_reset_or_pause_during_the_render_skips_it() {
        let mut t = RenderTracker::default();
        t.start(RATE);
        t.interrupt(); // before any audio: reset on play at the first block
        for _ in 0..(30.0 * RATE / 512.0) as usize {
            t.block(512, None, 0.5, || (Some(-14.0), Some(-15.0)));
        }
        assert_eq!(t.verdict(true, &readings(30.0, Some(-14.0))), Ok(()));
        t.interrupt();
        assert_eq!(
            t.verdict(true, &readings(30.0, Some(-14.0))),
            Err(Skip::Interrupted)
        );
        t.finish();
        t.start(RATE);
        assert!(!t.interrupted, "a new render starts clean");
    }
    /// A peak in the render's final fraction of a second (after its last whole second) is in
    /// the series: on the last point.
    #[test]
    fn a_peak_in_the_last_partial_second_is_kept() {
        let mut t = RenderTracker::default();
        t.start(RATE);
        let blocks = (10.5 * RATE / 512.0) as usize;
        for b in 0..blocks {
            let peak = if b == blocks - 1 { 0.9 } else { 0.1 };
            t.block(512, None, peak, || (Some(-14.0), Some(-15.0)));
        }
        let (series, _) = t.finish().unwrap();
        assert_eq!(series.true_peak_dbtp.len(), 10);
        let last = *series.true_peak_dbtp.last().unwrap();
        assert!((last - 20.0 * 0.9f32.log10()).abs() < 1e-4, "{last}");
    }
}
