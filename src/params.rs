//! Host-visible parameters.
//!
//! Parameter IDs are stable strings: they name the parameter in saved projects and automation
//! lanes, so they must never change once released. Later settings (targets, reference curves,
//! editor size) are added here as persisted fields.

use crate::meter::spectrum::{DEFAULT_DISPLAY_FFT_SIZE, nearest_fft_size};
use crate::persist::SavedLibrary;
use crate::persist::SavedMeasurement;
use atomic_float::AtomicF32;
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::*;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering};

/// Stable parameter ID of the mono check. Part of saved state and host automation.
pub const MONO_CHECK_ID: &str = "mono_check";
/// Stable parameter ID of the mono check's level match.
pub const MONO_LEVEL_MATCH_ID: &str = "mono_level_match";
/// Stable parameter ID of what a surround bus folds to while the mono check is on.
pub const FOLD_TO_ID: &str = "fold_to";
/// Stable parameter ID of "reset the measurement when the transport starts".
pub const RESET_ON_PLAY_ID: &str = "reset_on_play";

/// What a surround bus folds to (the host shows these names).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldTo {
    #[name = "Stereo"]
    Stereo,
    #[name = "Mono"]
    Mono,
}

impl FoldTo {
    pub fn target(self) -> crate::meter::fold::FoldTarget {
        match self {
            FoldTo::Stereo => crate::meter::fold::FoldTarget::Stereo,
            FoldTo::Mono => crate::meter::fold::FoldTarget::Mono,
        }
    }
}

#[derive(Params)]
pub struct MixmeterParams {
    /// Mono check: when on, both outputs carry (L+R)/2 (see [`crate::monitor::MonoCheck`]).
    /// The meters keep measuring the unfolded stereo input. Written by the host or the editor,
    /// read by the audio thread at each (sub-)block.
    #[id = "mono_check"]
    pub mono_check: BoolParam,
    /// EBU mode: start a new measurement (integrated, LRA, maxima) when the host transport
    /// starts playing from a stopped state. Read by the audio thread at each block.
    #[id = "reset_on_play"]
    pub reset_on_play: BoolParam,
    /// Mono check level match: when on, the mono sum is raised by the measured mono loss so
    /// the A/B compares balance, not level (see [`crate::monitor`]). Read by the audio thread.
    #[id = "mono_level_match"]
    pub mono_level_match: BoolParam,
    /// On surround buses the mono check is the fold-down: to the BS.775 stereo downmix or to
    /// mono (see [`crate::monitor`]). Ignored on mono and stereo tracks. Read by the audio
    /// thread at each (sub-)block.
    #[id = "fold_to"]
    pub fold_to: EnumParam<FoldTo>,
    /// The measurement running when the project was saved (see [`crate::measurement`]).
    #[persist = "last-measurement"]
    pub last_measurement: SavedMeasurement,
    /// Reference curves and which one is compared (GUI thread only).
    #[persist = "references"]
    pub references: SavedLibrary,
    /// How the spectrum is shown. The FFT size is also read by the audio thread (atomic).
    #[persist = "spectrum-view"]
    pub spectrum_view: SavedSpectrumView,
    /// Which view the editor's lower part shows (GUI thread only).
    #[persist = "editor-pane"]
    pub editor_pane: SavedPane,
    /// The editor's size, loudness target and history zoom (GUI thread only).
    #[persist = "editor"]
    pub editor: SavedEditor,
    /// Where render reports are written; empty: the default folder (see [`crate::report`]).
    /// Read at deactivation, never by the audio thread.
    #[persist = "report-folder"]
    pub report_folder: std::sync::RwLock<String>,
    /// Whether render reports are written (`{"enabled": true}`; projects saved before the
    /// switch existed have no such field and keep the default, on). Read at deactivation.
    #[persist = "reports"]
    pub reports: SavedReports,
    /// The frozen compare versions (GUI thread and state calls only).
    #[persist = "compare-versions"]
    pub compare_versions: SavedVersions,
    /// Linked instances: role, group and typed track name (`{"role": "auto", "group":
    /// "default", "name": ""}`), and the instance's link itself (see [`crate::link`]). Main
    /// and GUI threads only; the audio thread has its own end ([`crate::link::AudioLink`]).
    #[persist = "session-link"]
    pub session_link: crate::link::SavedLink,
}

impl Default for MixmeterParams {
    fn default() -> Self {
        Self {
            mono_check: BoolParam::new("Mono Check", false),
            reset_on_play: BoolParam::new("Reset on Play", true),
            mono_level_match: BoolParam::new("Mono Level Match", false),
            fold_to: EnumParam::new("Fold To", FoldTo::Stereo),
            last_measurement: SavedMeasurement::default(),
            references: SavedLibrary::default(),
            spectrum_view: SavedSpectrumView::default(),
            editor_pane: SavedPane::default(),
            editor: SavedEditor::default(),
            report_folder: std::sync::RwLock::new(String::new()),
            reports: SavedReports::default(),
            compare_versions: SavedVersions::default(),
            session_link: crate::link::SavedLink::default(),
        }
    }
}

/// The render-report switch, saved as `{"enabled": true}` (anything unreadable: on).
#[derive(Debug)]
pub struct SavedReports {
    enabled: AtomicBool,
}

impl Default for SavedReports {
    fn default() -> Self {
        Self {
            enabled: AtomicBool::new(true),
        }
    }
}

impl SavedReports {
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }
}

impl<'a> PersistentField<'a, Value> for SavedReports {
    fn set(&self, value: Value) {
        self.set_enabled(value["enabled"].as_bool().unwrap_or(true));
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Value) -> R,
    {
        f(&json!({"enabled": self.enabled()}))
    }
}

/// Frozen compare versions kept with a project (the oldest dropped beyond this).
pub const MAX_SAVED_VERSIONS: usize = 8;

/// The frozen compare versions, the number of freezes so far (names continue from it) and
/// the one compared with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Versions {
    pub list: Vec<crate::diagnosis::compare::Frozen>,
    pub count: u32,
    /// The name of the version compared with (the newest when unset or gone).
    pub selected: Option<String>,
}

impl Versions {
    /// Freezes `version` as the next "vN", selects it, and drops the oldest beyond
    /// [`MAX_SAVED_VERSIONS`].
    pub fn add(&mut self, mut version: crate::diagnosis::compare::Frozen) {
        // Saturating: a saved count may be anything.
        self.count = self.count.saturating_add(1);
        version.name = format!("v{}", self.count);
        self.selected = Some(version.name.clone());
        self.list.push(version);
        let excess = self.list.len().saturating_sub(MAX_SAVED_VERSIONS);
        self.list.drain(..excess);
    }

    /// The version compared with.
    pub fn current(&self) -> Option<&crate::diagnosis::compare::Frozen> {
        self.selected
            .as_ref()
            .and_then(|name| self.list.iter().find(|v| &v.name == name))
            .or(self.list.last())
    }

    /// Forgets the version compared with (the newest left is compared next).
    pub fn remove_current(&mut self) {
        if let Some(name) = self.current().map(|v| v.name.clone()) {
            self.list.retain(|v| v.name != name);
        }
        self.selected = None;
    }
}

/// The compare versions saved with the project as a JSON text
/// `{"count": 3, "selected": "v2", "versions": [<Frozen::to_json>, ...]}` (at most
/// [`MAX_SAVED_VERSIONS`]). A version that cannot be read is left out and the reason kept for
/// the editor ([`SavedVersions::load_error`]); the rest of the project loads as usual.
#[derive(Debug, Default)]
pub struct SavedVersions {
    versions: std::sync::Mutex<Versions>,
    load_error: std::sync::Mutex<Option<String>>,
}

impl SavedVersions {
    pub fn get(&self) -> Versions {
        self.versions.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn update(&self, f: impl FnOnce(&mut Versions)) {
        if let Ok(mut v) = self.versions.lock() {
            f(&mut v);
        }
    }

    /// Why saved versions were lost when the project loaded, if they were.
    pub fn load_error(&self) -> Option<String> {
        self.load_error.lock().ok().and_then(|e| e.clone())
    }

    fn load(text: &str) -> (Versions, Option<String>) {
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return (Versions::default(), Some(format!("not readable ({e})"))),
        };
        let Some(list) = value["versions"].as_array() else {
            return (Versions::default(), Some("no list of versions".to_string()));
        };
        let mut errors = Vec::new();
        let skip = list.len().saturating_sub(MAX_SAVED_VERSIONS);
        if skip > 0 {
            errors.push(format!(
                "{skip} versions beyond {MAX_SAVED_VERSIONS} dropped"
            ));
        }
        let versions: Vec<_> = list[skip..]
            .iter()
            .filter_map(|v| {
                crate::diagnosis::compare::Frozen::from_json(v)
                    .map_err(|e| errors.push(e))
                    .ok()
            })
            .collect();
        let newest = versions
            .iter()
            .filter_map(|v| v.name.strip_prefix('v').and_then(|n| n.parse::<u32>().ok()))
            .max()
            .unwrap_or(0);
        let count = value["count"]
            .as_u64()
            .map_or(newest, |c| c.min(u64::from(u32::MAX)) as u32)
            .max(newest);
        let selected = value["selected"].as_str().map(str::to_string);
        (
            Versions {
                list: versions,
                count,
                selected,
            },
            (!errors.is_empty()).then(|| errors.join("; ")),
        )
    }
}

impl<'a> PersistentField<'a, String> for SavedVersions {
    fn set(&self, text: String) {
        let (versions, error) = Self::load(&text);
        if let Ok(mut v) = self.versions.lock() {
            *v = versions;
        }
        if let Ok(mut e) = self.load_error.lock() {
            *e = error.map(|e| format!("Saved compare versions: {e}"));
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&String) -> R,
    {
        let v = self.get();
        f(&json!({
            "count": v.count,
            "selected": v.selected,
            "versions": v.list.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
        })
        .to_string())
    }
}

/// 1/N-octave smoothing choices of the spectrum view (N).
pub const SMOOTHING_CHOICES: [u32; 4] = [3, 6, 12, 24];
/// Display tilt choices, dB per octave.
pub const TILT_CHOICES: [f32; 4] = [0.0, 3.0, 4.5, 6.0];

/// The spectrum view's settings, as plain values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectrumSettings {
    /// Display FFT size (one of the spectrum module's sizes).
    pub fft_size: usize,
    /// Smoothing in 1/N octave (one of [`SMOOTHING_CHOICES`]).
    pub smoothing: u32,
    /// Display tilt, dB per octave around 1 kHz (one of [`TILT_CHOICES`]).
    pub tilt_db_per_octave: f32,
    pub peak_hold: bool,
}

impl Default for SpectrumSettings {
    fn default() -> Self {
        Self {
            fft_size: DEFAULT_DISPLAY_FFT_SIZE,
            smoothing: 6,
            tilt_db_per_octave: 4.5,
            peak_hold: true,
        }
    }
}

impl SpectrumSettings {
    /// Any value read from saved state becomes the nearest allowed one.
    pub fn sanitized(self) -> Self {
        let nearest_u32 = |v: u32, choices: &[u32]| {
            *choices
                .iter()
                .min_by_key(|c| c.abs_diff(v))
                .unwrap_or(&choices[0])
        };
        let tilt = if self.tilt_db_per_octave.is_finite() {
            *TILT_CHOICES
                .iter()
                .min_by(|a, b| {
                    (*a - self.tilt_db_per_octave)
                        .abs()
                        .total_cmp(&(*b - self.tilt_db_per_octave).abs())
                })
                .unwrap_or(&0.0)
        } else {
            0.0
        };
        Self {
            fft_size: nearest_fft_size(self.fft_size),
            smoothing: nearest_u32(self.smoothing, &SMOOTHING_CHOICES),
            tilt_db_per_octave: tilt,
            peak_hold: self.peak_hold,
        }
    }
}

/// Persisted spectrum settings in atomics: the editor writes them, the audio thread reads the
/// FFT size, saved state reads and writes plain JSON (anything unreadable keeps the default).
#[derive(Debug)]
pub struct SavedSpectrumView {
    fft_size: AtomicUsize,
    smoothing: AtomicU32,
    tilt_db_per_octave: AtomicF32,
    peak_hold: AtomicBool,
}

impl Default for SavedSpectrumView {
    fn default() -> Self {
        let d = SpectrumSettings::default();
        Self {
            fft_size: AtomicUsize::new(d.fft_size),
            smoothing: AtomicU32::new(d.smoothing),
            tilt_db_per_octave: AtomicF32::new(d.tilt_db_per_octave),
            peak_hold: AtomicBool::new(d.peak_hold),
        }
    }
}

impl SavedSpectrumView {
    pub fn get(&self) -> SpectrumSettings {
        SpectrumSettings {
            fft_size: self.fft_size.load(Ordering::Relaxed),
            smoothing: self.smoothing.load(Ordering::Relaxed),
            tilt_db_per_octave: self.tilt_db_per_octave.load(Ordering::Relaxed),
            peak_hold: self.peak_hold.load(Ordering::Relaxed),
        }
    }

    pub fn store(&self, settings: SpectrumSettings) {
        let s = settings.sanitized();
        self.fft_size.store(s.fft_size, Ordering::Relaxed);
        self.smoothing.store(s.smoothing, Ordering::Relaxed);
        self.tilt_db_per_octave
            .store(s.tilt_db_per_octave, Ordering::Relaxed);
        self.peak_hold.store(s.peak_hold, Ordering::Relaxed);
    }

    /// The display FFT size (audio thread: one atomic load).
    pub fn fft_size(&self) -> usize {
        self.fft_size.load(Ordering::Relaxed)
    }
}

impl<'a> PersistentField<'a, Value> for SavedSpectrumView {
    fn set(&self, value: Value) {
        let d = SpectrumSettings::default();
        let settings = SpectrumSettings {
            fft_size: value["fft_size"]
                .as_u64()
                .map_or(d.fft_size, |v| v as usize),
            smoothing: value["smoothing_octave_fraction"]
                .as_u64()
                .map_or(d.smoothing, |v| v.min(u32::MAX as u64) as u32),
            tilt_db_per_octave: value["tilt_db_per_octave"]
                .as_f64()
                .map_or(d.tilt_db_per_octave, |v| v as f32),
            peak_hold: value["peak_hold"].as_bool().unwrap_or(d.peak_hold),
        };
        self.store(settings);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Value) -> R,
    {
        let s = self.get();
        f(&json!({
            "fft_size": s.fft_size,
            "smoothing_octave_fraction": s.smoothing,
            "tilt_db_per_octave": s.tilt_db_per_octave,
            "peak_hold": s.peak_hold,
        }))
    }
}

/// What the lower part of the editor shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Spectrum,
    Stereo,
}

impl Pane {
    pub fn id(self) -> &'static str {
        match self {
            Pane::Spectrum => "spectrum",
            Pane::Stereo => "stereo",
        }
    }
}

/// The editor's pane, saved as `"spectrum"` or `"stereo"` (anything else reads as the
/// spectrum).
#[derive(Debug, Default)]
pub struct SavedPane(AtomicU8);

impl SavedPane {
    pub fn get(&self) -> Pane {
        match self.0.load(Ordering::Relaxed) {
            1 => Pane::Stereo,
            _ => Pane::Spectrum,
        }
    }

    pub fn store(&self, pane: Pane) {
        self.0.store(pane as u8, Ordering::Relaxed);
    }
}

impl<'a> PersistentField<'a, Value> for SavedPane {
    fn set(&self, value: Value) {
        self.store(if value.as_str() == Some("stereo") {
            Pane::Stereo
        } else {
            Pane::Spectrum
        });
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Value) -> R,
    {
        f(&Value::from(self.get().id()))
    }
}

/// Smallest editor size, logical pixels: every reading stays readable down to it.
pub const EDITOR_MIN_SIZE: (u32, u32) = (800, 560);
/// Largest editor size, logical pixels.
pub const EDITOR_MAX_SIZE: (u32, u32) = (3840, 2400);
/// Default editor size, logical pixels.
pub const EDITOR_DEFAULT_SIZE: (u32, u32) = (1100, 720);
/// Loudness target the bars and the history mark by default (an id of `assets/targets.json`).
pub const DEFAULT_TARGET_ID: &str = "spotify";
/// History zoom choices, seconds shown across the plot.
pub const HISTORY_ZOOM_CHOICES_S: [u32; 5] = [30, 60, 120, 300, 600];
/// History zoom by default, seconds.
pub const DEFAULT_HISTORY_ZOOM_S: u32 = 120;
/// Checklist the editor grades by default (a profile of `assets/checks.json`).
pub const DEFAULT_CHECK_PROFILE_ID: &str = "pre-master";

/// The editor's own settings, saved with the project as
/// `{"width": 1100, "height": 720, "target": "spotify", "history_s": 120, "checks":
/// "pre-master"}`. Values out of range are clamped or replaced by the default, field by field.
#[derive(Debug)]
pub struct SavedEditor {
    width: AtomicU32,
    height: AtomicU32,
    history_s: AtomicU32,
    /// Read and written by the GUI and the host's state calls only, never the audio thread.
    target: std::sync::Mutex<String>,
    /// The checklist profile shown (GUI and state calls only).
    check_profile: std::sync::Mutex<String>,
}

impl Default for SavedEditor {
    fn default() -> Self {
        Self {
            width: AtomicU32::new(EDITOR_DEFAULT_SIZE.0),
            height: AtomicU32::new(EDITOR_DEFAULT_SIZE.1),
            history_s: AtomicU32::new(DEFAULT_HISTORY_ZOOM_S),
            target: std::sync::Mutex::new(DEFAULT_TARGET_ID.to_string()),
            check_profile: std::sync::Mutex::new(DEFAULT_CHECK_PROFILE_ID.to_string()),
        }
    }
}

impl SavedEditor {
    /// Logical size (width, height).
    pub fn size(&self) -> (u32, u32) {
        (
            self.width.load(Ordering::Relaxed),
            self.height.load(Ordering::Relaxed),
        )
    }

    /// Stores a logical size, clamped to the editor's limits.
    pub fn set_size(&self, width: u32, height: u32) {
        let width = width.clamp(EDITOR_MIN_SIZE.0, EDITOR_MAX_SIZE.0);
        let height = height.clamp(EDITOR_MIN_SIZE.1, EDITOR_MAX_SIZE.1);
        self.width.store(width, Ordering::Relaxed);
        self.height.store(height, Ordering::Relaxed);
    }

    pub fn history_s(&self) -> u32 {
        self.history_s.load(Ordering::Relaxed)
    }

    /// Stores a history zoom; a value that is not a choice is ignored.
    pub fn set_history_s(&self, seconds: u32) {
        if HISTORY_ZOOM_CHOICES_S.contains(&seconds) {
            self.history_s.store(seconds, Ordering::Relaxed);
        }
    }

    pub fn target(&self) -> String {
        self.target.lock().map(|t| t.clone()).unwrap_or_default()
    }

    pub fn set_target(&self, id: &str) {
        if let Ok(mut target) = self.target.lock() {
            *target = id.to_string();
        }
    }

    pub fn check_profile(&self) -> String {
        self.check_profile
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    pub fn set_check_profile(&self, id: &str) {
        if let Ok(mut profile) = self.check_profile.lock() {
            *profile = id.to_string();
        }
    }
}

impl<'a> PersistentField<'a, Value> for SavedEditor {
    fn set(&self, value: Value) {
        let defaults = SavedEditor::default();
        let number = |key: &str, default: u32| {
            value[key]
                .as_u64()
                .map_or(default, |v| v.min(u32::MAX as u64) as u32)
        };
        let (width, height) = defaults.size();
        self.set_size(number("width", width), number("height", height));
        self.history_s
            .store(DEFAULT_HISTORY_ZOOM_S, Ordering::Relaxed);
        self.set_history_s(number("history_s", DEFAULT_HISTORY_ZOOM_S));
        // An id the targets file does not know is kept: the editor falls back to the default
        // for display, and a later version that knows it finds it again.
        match value["target"].as_str() {
            Some(id) if !id.is_empty() && id.len() <= 64 => self.set_target(id),
            _ => self.set_target(DEFAULT_TARGET_ID),
        }
        match value["checks"].as_str() {
            Some(id) if !id.is_empty() && id.len() <= 64 => self.set_check_profile(id),
            _ => self.set_check_profile(DEFAULT_CHECK_PROFILE_ID),
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Value) -> R,
    {
        let (width, height) = self.size();
        f(&json!({
            "width": width,
            "height": height,
            "target": self.target(),
            "history_s": self.history_s(),
            "checks": self.check_profile(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectrum_settings_round_trip_and_sanitize() {
        let saved = SavedSpectrumView::default();
        assert_eq!(saved.get(), SpectrumSettings::default());
        saved.set(json!({"fft_size": 30000, "smoothing_octave_fraction": 11, "tilt_db_per_octave": 2.9, "peak_hold": false}));
        let s = saved.get();
        assert_eq!(
            (s.fft_size, s.smoothing, s.tilt_db_per_octave, s.peak_hold),
            (32768, 12, 3.0, false)
        );
        let stored = saved.map(|v| v.clone());
        let other = SavedSpectrumView::default();
        other.set(stored);
        assert_eq!(other.get(), s);
        // Junk keeps the defaults.
        other.set(json!("junk"));
        assert_eq!(other.get(), SpectrumSettings::default());
    }

    #[test]
    fn the_pane_round_trips_and_garbage_reads_as_the_spectrum() {
        let saved = SavedPane::default();
        assert_eq!(saved.get(), Pane::Spectrum);
        saved.set(json!("stereo"));
        assert_eq!(saved.get(), Pane::Stereo);
        assert_eq!(saved.map(|v| v.clone()), json!("stereo"));
        for garbage in [json!(7), json!(null), json!({"a": 1}), json!("STEREO")] {
            saved.set(garbage);
            assert_eq!(saved.get(), Pane::Spectrum);
        }
    }

    #[test]
    fn editor_settings_round_trip_and_bad_values_fall_back_field_by_field() {
        let saved = SavedEditor::default();
        assert_eq!(saved.size(), EDITOR_DEFAULT_SIZE);
        assert_eq!(saved.target(), DEFAULT_TARGET_ID);
        assert_eq!(saved.check_profile(), DEFAULT_CHECK_PROFILE_ID);
        saved.set(json!({"width": 1500, "height": 900, "target": "apple", "history_s": 600, "checks": "delivery"}));
        let stored = saved.map(|v| v.clone());
        let other = SavedEditor::default();
        other.set(stored);
        assert_eq!(other.size(), (1500, 900));
        assert_eq!(other.target(), "apple");
        assert_eq!(other.check_profile(), "delivery");
        assert_eq!(other.history_s(), 600);
        // Out of range: clamped; wrong types and unknown zooms: defaults.
        other.set(
            json!({"width": 10, "height": 100_000, "target": 5, "history_s": 7, "checks": []}),
        );
        assert_eq!(other.size(), (EDITOR_MIN_SIZE.0, EDITOR_MAX_SIZE.1));
        assert_eq!(other.target(), DEFAULT_TARGET_ID);
        assert_eq!(other.check_profile(), DEFAULT_CHECK_PROFILE_ID);
        assert_eq!(other.history_s(), DEFAULT_HISTORY_ZOOM_S);
        other.set(json!("junk"));
        assert_eq!(other.size(), EDITOR_DEFAULT_SIZE);
    }

    #[test]
    fn defaults_and_stable_ids() {
        let params = MixmeterParams::default();
        assert!(!params.mono_check.value());
        assert_eq!(params.mono_check.name(), "Mono Check");
        assert!(params.reset_on_play.value());
        assert_eq!(params.reset_on_play.name(), "Reset on Play");
        assert!(!params.mono_level_match.value());
        assert_eq!(params.mono_level_match.name(), "Mono Level Match");
        assert_eq!(params.fold_to.value(), FoldTo::Stereo);
        assert_eq!(params.fold_to.name(), "Fold To");
        let ids: Vec<String> = params
            .param_map()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(
            ids,
            vec![
                MONO_CHECK_ID.to_string(),
                RESET_ON_PLAY_ID.to_string(),
                MONO_LEVEL_MATCH_ID.to_string(),
                FOLD_TO_ID.to_string()
            ]
        );
    }

    #[test]
    fn the_report_switch_is_on_by_default_and_round_trips() {
        let saved = SavedReports::default();
        assert!(saved.enabled());
        saved.set(json!({"enabled": false}));
        assert!(!saved.enabled());
        let other = SavedReports::default();
        other.set(saved.map(|v| v.clone()));
        assert!(!other.enabled());
        other.set(json!("junk"));
        assert!(other.enabled());
    }

    fn version(integrated: f64) -> crate::diagnosis::compare::Frozen {
        let r = crate::meter::engine::Readings {
            measured_s: 60.0,
            integrated_lufs: Some(integrated),
            ..Default::default()
        };
        crate::diagnosis::compare::freeze("now", &r, None, None)
    }

    #[test]
    fn compare_versions_round_trip_bounded_and_a_bad_one_is_reported_not_fatal() {
        let saved = SavedVersions::default();
        saved.update(|v| {
            for i in 0..10 {
                v.add(version(-20.0 + f64::from(i)));
            }
            v.selected = Some("v9".to_string());
        });
        let text = saved.map(|t| t.clone());
        let other = SavedVersions::default();
        other.set(text.clone());
        let v = other.get();
        assert_eq!(v.list.len(), MAX_SAVED_VERSIONS);
        assert_eq!(v.list[0].name, "v3");
        assert_eq!(v.count, 10);
        assert_eq!(v.current().unwrap().name, "v9");
        assert_eq!(other.load_error(), None);
        // One version damaged: the others load, and the editor is told.
        let mut value: Value = serde_json::from_str(&text).unwrap();
        value["versions"][2]["quantities"] = json!("garbage");
        other.set(value.to_string());
        assert_eq!(other.get().list.len(), MAX_SAVED_VERSIONS - 1);
        assert!(
            other.load_error().unwrap().contains("v5"),
            "{:?}",
            other.load_error()
        );
        // Not JSON at all: no versions, a message, nothing else touched.
        other.set("{{{".to_string());
        assert!(other.get().list.is_empty());
        assert!(other.load_error().unwrap().contains("not readable"));
        other.set(text);
        assert_eq!(other.load_error(), None);
    }
}
