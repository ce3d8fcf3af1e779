//! The editor's GUI-thread state ([`MixmeterEditor`]): it gathers plain values from the
//! bridge and the parameters each frame, draws them with [`super::draw`] and applies the
//! user's actions to the parameters and the meter.

use super::history::LoudnessHistory;
use super::hold::{HeldPeak, hold_peak};
use super::meters::{ClipLatch, fall_peak};
use super::spectrum::{SpectrumData, SpectrumState};
use super::stereo::stereo_data;
use super::{
    Actions, CompareView, EditorFrame, View, access, channel_name, draw, format_db, summary_of,
    whole_stereo,
};
use crate::bridge::{MeterOutput, PLUGIN_CHANNELS};
use crate::diagnosis::platforms::{self, Target};
use crate::diagnosis::{checks, compare, suggestions};
use crate::meter::engine::Readings;
use crate::meter::gain_to_db;
use crate::params::MixmeterParams;
use crate::params::Pane;
use nice_plug::context::gui::GuiContext;
use nice_plug_egui::{Frame, NiceEguiApp};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The editor's GUI-thread state (kept while the window closes and opens again).
pub struct MixmeterEditor {
    params: Arc<MixmeterParams>,
    /// The link settings and, on a master, the session view (`super::session`).
    session: super::session::SessionPanel,
    meter: MeterOutput,
    gui_context: Option<GuiContext>,
    held: [HeldPeak; PLUGIN_CHANNELS],
    bar_peak_db: [f32; PLUGIN_CHANNELS],
    clip: [ClipLatch; PLUGIN_CHANNELS],
    last_frame: Option<Instant>,
    spectrum: SpectrumState,
    history: LoudnessHistory,
    targets: Vec<Target>,
    check_profiles: Vec<checks::Profile>,
    /// The held suggestions, and when they were last updated.
    suggestions: suggestions::Board,
    suggestions_at: Option<Instant>,
    /// A freeze asked for (taken at the next frame, where the whole set of readings is at
    /// hand). The versions themselves live in the project (`params.compare_versions`).
    freeze_requested: bool,
    /// The last render report (written by the plugin's report thread).
    reports: Arc<crate::report::Shared>,
    /// The report folder as typed, not yet used (`None`: show the one in use).
    report_folder_text: Option<String>,
    clock: Instant,
    /// The open window's screen-reader bridge, if one is connected.
    access: Option<access::BridgeHandle>,
    /// What the screen reader is told of events that matter (clips, checks turning to fail).
    announcer: access::Announcer,
    /// The clip latches and check grades of the last frame, to tell what just happened.
    last_clip: [ClipLatch; PLUGIN_CHANNELS],
    last_checks: std::collections::HashMap<String, Option<checks::Status>>,
}

impl MixmeterEditor {
    pub fn new(
        params: Arc<MixmeterParams>,
        meter: MeterOutput,
        reports: Arc<crate::report::Shared>,
    ) -> Self {
        Self {
            params,
            meter,
            gui_context: None,
            held: [HeldPeak::default(); PLUGIN_CHANNELS],
            bar_peak_db: [f32::NEG_INFINITY; PLUGIN_CHANNELS],
            clip: [ClipLatch::default(); PLUGIN_CHANNELS],
            last_frame: None,
            spectrum: SpectrumState::new(),
            history: LoudnessHistory::new(),
            targets: platforms::targets(),
            check_profiles: checks::profiles(),
            suggestions: suggestions::Board::new(),
            suggestions_at: None,
            session: super::session::SessionPanel::default(),
            freeze_requested: false,
            reports,
            report_folder_text: None,
            clock: Instant::now(),
            access: None,
            announcer: access::Announcer::new(),
            last_clip: [ClipLatch::default(); PLUGIN_CHANNELS],
            last_checks: std::collections::HashMap::new(),
        }
    }

    /// The screen-reader bridge of the window being opened.
    pub fn set_access(&mut self, access: Option<access::BridgeHandle>) {
        self.access = access;
    }

    /// Queues announcements for what just happened (a clip latched, a check turned to fail)
    /// and puts the live text into the tree. Only while a screen reader listens.
    fn announce(&mut self, ctx: &egui::Context, view: &View) {
        if !self.access.as_ref().is_some_and(|a| a.is_active()) {
            self.last_clip = view.clip;
            self.last_checks.clear();
            return;
        }
        // One announcement for the channels that latched in this frame, with the worst peak.
        let channels = view.channels.clamp(1, PLUGIN_CHANNELS);
        let latched: Vec<(usize, f32)> = (0..channels)
            .filter_map(
                |c| match (self.last_clip[c].over_db, view.clip[c].over_db) {
                    (None, Some(over)) => Some((c, over)),
                    _ => None,
                },
            )
            .collect();
        if let Some(worst) = latched.iter().map(|l| l.1).reduce(f32::max) {
            let names: Vec<&str> = latched
                .iter()
                .map(|&(c, _)| channel_name(c, view.channels))
                .collect();
            self.announcer.say(format!(
                "Clip on {}, true peak {}",
                names.join(" and "),
                access::spoken_value(&format_db(worst), "dBTP")
            ));
        }
        self.last_clip = view.clip;
        for item in &view.checks.items {
            let failed = item.status == Some(checks::Status::Fail);
            // Only a graded check that turns to fail: a measurement that starts (no grade
            // yet) is not an event.
            if failed
                && let Some(Some(checks::Status::Pass | checks::Status::Warn)) =
                    self.last_checks.get(&item.id)
            {
                self.announcer
                    .say(format!("{} check fails: {}", item.label, item.evidence));
            }
        }
        self.last_checks = view
            .checks
            .items
            .iter()
            .map(|i| (i.id.clone(), i.status))
            .collect();
        let (text, wait) = self.announcer.update(Instant::now());
        access::announcement_node(ctx, text);
        if let Some(wait) = wait {
            ctx.request_repaint_after(wait);
        }
    }

    fn next_view(&mut self) -> (View, crate::bridge::Snapshot) {
        let now = Instant::now();
        let elapsed_s = self
            .last_frame
            .map(|last| now.duration_since(last).as_secs_f32())
            .unwrap_or(0.0);
        self.last_frame = Some(now);
        let peaks = self.meter.take_peaks();
        for c in 0..PLUGIN_CHANNELS {
            let db = gain_to_db(peaks.true_peak_gain[c]);
            self.held[c] = hold_peak(self.held[c], db, elapsed_s);
            self.bar_peak_db[c] = fall_peak(self.bar_peak_db[c], db, elapsed_s);
            self.clip[c].update(db);
        }
        self.history.update(&self.meter);
        let snapshot = self.meter.snapshot();
        let r = snapshot.readings;
        let mut view = View::new(r, &self.targets, &self.params.editor.target());
        view.mono_engaged = self.params.mono_check.value();
        for c in 0..PLUGIN_CHANNELS {
            view.set_peaks(c, self.held[c].peak_db, self.bar_peak_db[c]);
        }
        view.clip = self.clip;
        view.reset_by_transport = snapshot.reset_by_transport;
        view.not_measuring = snapshot
            .unsupported_rate_hz
            .map(crate::bridge::not_measuring_message);
        view.reset_on_play = self.params.reset_on_play.value();
        view.mono_level_match = self.params.mono_level_match.value();
        view.mono_level_gain_db = gain_to_db(snapshot.mono_level_gain);
        view.fold_to = self.params.fold_to.value().target();
        view.fold = snapshot.fold;
        view.history_s = self.params.editor.history_s();
        (view, snapshot)
    }
}

impl NiceEguiApp for MixmeterEditor {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui_context = Some(nice_gui_ctx);
        self.last_frame = None;
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut Frame) {
        if self.access.as_ref().is_some_and(|a| a.take_focus_request()) {
            // A screen reader moved focus into the editor: the keyboard follows it (the
            // host's window has it otherwise). A failure leaves it where it was.
            let _ = frame.baseview_window().focus();
        }
        let (mut view, snapshot) = self.next_view();
        let settings = self.params.spectrum_view.get().sanitized();
        let library = self.params.references.get();
        let now_s = self.clock.elapsed().as_secs_f64();
        let (live, long_term) = self.meter.spectra();
        let data = self
            .spectrum
            .update(live, long_term, settings, &library, now_s);
        view.grade(
            &self.check_profiles,
            &self.params.editor.check_profile(),
            data.comparison.as_ref(),
        );
        let r = &snapshot.readings;
        // One diagnosis of the whole measurement per frame, for the summary, the
        // suggestions and the comparison.
        let whole_stereo = whole_stereo(snapshot.stereo.as_ref(), r);
        view.stereo = whole_stereo.as_ref().map(summary_of);
        view.suggestions = self.suggest(r, whole_stereo.as_ref(), &data);
        let now = || compare::freeze("now", r, data.comparison.as_ref(), whole_stereo.as_ref());
        if std::mem::take(&mut self.freeze_requested) {
            let frozen = now();
            self.params.compare_versions.update(|v| v.add(frozen));
        }
        view.reports_enabled = self.params.reports.enabled();
        view.last_report = self.reports.last();
        view.report_folder = self.report_folder().display().to_string();
        view.report_folder_text = self
            .report_folder_text
            .clone()
            .unwrap_or_else(|| view.report_folder.clone());
        let versions = self.params.compare_versions.get();
        view.compare_error = self.params.compare_versions.load_error();
        view.compare = versions.current().map(|frozen| CompareView {
            name: frozen.name.clone(),
            versions: versions.list.iter().map(|v| v.name.clone()).collect(),
            measured_s: frozen.measured_s,
            differences: compare::compare(frozen, &now()),
        });
        let pane = self.params.editor_pane.get();
        let stereo = match pane {
            Pane::Stereo => {
                let (scope, _) = self.meter.scope();
                if view.channels > 2 {
                    view.front_scope = scope.points[..scope.count.min(scope.points.len())].to_vec();
                }
                stereo_data(snapshot.stereo.as_ref(), &snapshot.readings, scope)
            }
            Pane::Spectrum => None,
        };
        let frame = EditorFrame {
            view: &view,
            history: &self.history,
            pane,
            spectrum: &data,
            stereo: stereo.as_ref(),
        };
        let actions = self.session.below(ui, &self.params.session_link.0, |ui| {
            egui::CentralPanel::default()
                .show(ui, |ui| draw(ui, &frame))
                .inner
        });
        self.apply(&actions, &view);
        self.announce(ui.ctx(), &view);
        if self.spectrum.importing() {
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    }

    fn resized(&mut self, new_size: nice_plug_egui::baseview::WindowSize) {
        let logical = new_size.logical;
        self.params
            .editor
            .set_size(logical.width.round() as u32, logical.height.round() as u32);
    }

    fn editor_closed(&mut self) {
        self.gui_context = None;
        self.access = None;
    }
}

impl MixmeterEditor {
    /// The suggestions of this frame: this frame's findings held on the board (a function of
    /// the time since the last frame, see `diagnosis::suggestions`).
    fn suggest(
        &mut self,
        r: &Readings,
        stereo: Option<&crate::diagnosis::stereo::MonoCompatibility>,
        spectrum: &SpectrumData,
    ) -> Vec<suggestions::Candidate> {
        let now = Instant::now();
        let elapsed_s = self
            .suggestions_at
            .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
        self.suggestions_at = Some(now);
        let found = suggestions::candidates(&suggestions::Findings::of(
            r,
            stereo,
            spectrum.comparison.as_ref(),
            spectrum.long_term_s,
        ));
        self.suggestions
            .update_measured(&found, elapsed_s, r.measured_s);
        self.suggestions.shown().cloned().collect()
    }

    /// The folder render reports go to: the project's, or the default.
    fn report_folder(&self) -> std::path::PathBuf {
        let chosen = self
            .params
            .report_folder
            .read()
            .map(|f| f.trim().to_string())
            .unwrap_or_default();
        if chosen.is_empty() {
            crate::report::default_folder()
        } else {
            std::path::PathBuf::from(chosen)
        }
    }

    /// Carries out what the user did.
    fn apply(&mut self, actions: &Actions, view: &View) {
        if let Some(pane) = actions.pane {
            self.params.editor_pane.store(pane);
        }
        if let Some(id) = &actions.select_target {
            self.params.editor.set_target(id);
        }
        if let Some(id) = &actions.select_check_profile {
            self.params.editor.set_check_profile(id);
        }
        if actions.clear_frozen {
            self.params.compare_versions.update(|v| v.remove_current());
        }
        if let Some(name) = &actions.select_version {
            self.params
                .compare_versions
                .update(|v| v.selected = Some(name.clone()));
        }
        if let Some(on) = actions.reports_enabled {
            self.params.reports.set_enabled(on);
        }
        self.freeze_requested |= actions.freeze;
        if let Some(text) = &actions.report_folder_text {
            self.report_folder_text = Some(text.clone());
        }
        if actions.use_report_folder
            && let Some(text) = self.report_folder_text.take()
            && let Ok(mut folder) = self.params.report_folder.write()
        {
            *folder = text.trim().to_string();
        }
        if let Some(seconds) = actions.history_s {
            self.params.editor.set_history_s(seconds);
        }
        for (latch, clear) in self.clip.iter_mut().zip(actions.clear_clip) {
            if clear {
                latch.clear();
            }
        }
        let spectrum_actions = &actions.spectrum;
        if let Some(settings) = spectrum_actions.settings {
            self.params.spectrum_view.store(settings);
        }
        if let Some(selection) = spectrum_actions.select.clone() {
            self.params.references.update(|l| l.selection = selection);
        }
        if let Some(name) = &spectrum_actions.remove {
            self.params.references.update(|l| l.remove(name));
        }
        let captured = self.spectrum.handle(spectrum_actions);
        for curve in captured.into_iter().chain(self.spectrum.take_imported()) {
            self.params.references.update(|l| l.add(curve));
        }
        if let Some(command) = actions.command {
            // A full queue means the audio thread is not running; the click has no effect
            // then, as a paused transport would not measure either.
            let _ = self.meter.send(command);
        }
        if let Some(context) = &self.gui_context {
            if actions.toggle_mono {
                set_bool_param(context, &self.params.mono_check, !view.mono_engaged);
            }
            if actions.toggle_fold_to {
                let next = match self.params.fold_to.value() {
                    crate::params::FoldTo::Stereo => crate::params::FoldTo::Mono,
                    crate::params::FoldTo::Mono => crate::params::FoldTo::Stereo,
                };
                let setter = context.param_setter();
                setter.begin_set_parameter(&self.params.fold_to);
                setter.set_parameter(&self.params.fold_to, next);
                setter.end_set_parameter(&self.params.fold_to);
            }
            if actions.toggle_level_match {
                set_bool_param(
                    context,
                    &self.params.mono_level_match,
                    !view.mono_level_match,
                );
            }
        }
    }
}

/// Sets a host parameter from the editor as one gesture (begin, set, end), so the host records
/// it as a user change.
fn set_bool_param(context: &GuiContext, param: &nice_plug::prelude::BoolParam, value: bool) {
    let setter = context.param_setter();
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}
