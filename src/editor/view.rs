//! The view model: the plain values one frame of the editor draws ([`View`]), built from the
//! readings, the parameters and the diagnosis on the GUI thread, so widgets never see atomics.

use super::format_reading;
use super::meters::ClipLatch;
use super::panels::{PlatformRow, StereoSummary};
use crate::bridge::PLUGIN_CHANNELS;
use crate::diagnosis::platforms::{self, Target};
use crate::diagnosis::stereo::{Mix, format_range, mono_compatibility};
use crate::diagnosis::{checks, compare, suggestions};
use crate::meter::engine::Readings;
use crate::meter::fold::{FoldReadings, FoldTarget};
use crate::params::DEFAULT_TARGET_ID;

/// A loudness target as shown: the selected one is marked on the bars and the history.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMark {
    pub id: String,
    pub name: String,
    /// Short name ("Spotify").
    pub short: String,
    pub lufs: f64,
}

impl TargetMark {
    pub fn of(target: &Target) -> Self {
        Self {
            id: target.id.clone(),
            name: target.name.clone(),
            short: target.short_name().to_string(),
            lufs: target.integrated_lufs,
        }
    }
}

/// Plain values the editor draws in one frame (everything but the history, the spectrum and
/// the stereo view, which come in the [`EditorFrame`] by reference).
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub mono_engaged: bool,
    /// Channels of the track (1, 2, or 5 to 12 on a surround bus); 0 while the layout is not
    /// known (the host has not activated the plugin yet): nothing is said about mono or
    /// stereo then.
    pub channels: usize,
    /// Held live true peak of channels 1 and 2 (stereo, or a surround bus's front pair),
    /// dBTP; `-inf` means no signal. Channels 3 and up are in [`View::more_true_peak_db`]
    /// (read any channel with [`View::true_peak`]).
    pub true_peak_db: [f32; 2],
    /// The true-peak bars (falling) of channels 1 and 2, dBTP.
    pub bar_peak_db: [f32; 2],
    /// The same for channels 3 and up of a surround bus.
    pub more_true_peak_db: [f32; PLUGIN_CHANNELS - 2],
    pub more_bar_peak_db: [f32; PLUGIN_CHANNELS - 2],
    pub clip: [ClipLatch; PLUGIN_CHANNELS],
    pub readings: Readings,
    /// The measurement was started by the host transport.
    pub reset_by_transport: bool,
    /// Why nothing is measured (the host's sample rate is unsupported), shown in the header's
    /// status line in place of the output state; `None` while the meter runs.
    pub not_measuring: Option<String>,
    /// "Reset on Play" is on.
    pub reset_on_play: bool,
    /// The mono check's level match is on, and the gain it applies now (dB).
    pub mono_level_match: bool,
    pub mono_level_gain_db: f32,
    /// On a surround bus (more than 2 channels) the mono check is the fold-down: what it
    /// folds to, and the folds' loudness changes.
    pub fold_to: FoldTarget,
    pub fold: Option<FoldReadings>,
    /// The front pair's vectorscope points on a surround bus (stereo pane only).
    pub front_scope: Vec<[f32; 2]>,
    pub target: TargetMark,
    pub targets: Vec<TargetMark>,
    pub platforms: Vec<PlatformRow>,
    pub stereo: Option<StereoSummary>,
    /// Seconds the history shows.
    pub history_s: u32,
    /// The checklist (mix readiness or delivery), graded.
    pub checks: CheckList,
    /// The suggestions shown now (held, at most three, best first).
    pub suggestions: Vec<suggestions::Candidate>,
    /// The live mix against a frozen version, if one was frozen.
    pub compare: Option<CompareView>,
    /// Why saved compare versions could not be restored, if that happened.
    pub compare_error: Option<String>,
    /// Whether render reports are written.
    pub reports_enabled: bool,
    /// The last render's report, or why there is none (written when the host rendered
    /// offline).
    pub last_report: Option<crate::report::LastReport>,
    /// The render-report folder as being edited, and the folder in use.
    pub report_folder_text: String,
    pub report_folder: String,
}

/// The live mix against a frozen version.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareView {
    pub name: String,
    /// Every version kept (oldest first), to pick the one compared with.
    pub versions: Vec<String>,
    /// Seconds the frozen measurement covered.
    pub measured_s: f64,
    /// Notable first (see `diagnosis::compare`).
    pub differences: Vec<compare::Difference>,
}

/// The checklist the side panel shows: the chosen profile, graded, and the profiles to pick.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckList {
    pub profile_id: String,
    pub profile_name: String,
    /// (id, name) of every profile.
    pub profiles: Vec<(String, String)>,
    pub items: Vec<checks::Item>,
}

impl View {
    /// Held live true peak of channel `c`, dBTP.
    pub fn true_peak(&self, c: usize) -> f32 {
        match c {
            0 | 1 => self.true_peak_db[c],
            _ => self.more_true_peak_db[c - 2],
        }
    }

    /// The falling true-peak bar of channel `c`, dBTP.
    pub fn bar_peak(&self, c: usize) -> f32 {
        match c {
            0 | 1 => self.bar_peak_db[c],
            _ => self.more_bar_peak_db[c - 2],
        }
    }

    /// Sets channel `c`'s held peak and bar.
    pub fn set_peaks(&mut self, c: usize, true_peak_db: f32, bar_peak_db: f32) {
        match c {
            0 | 1 => {
                self.true_peak_db[c] = true_peak_db;
                self.bar_peak_db[c] = bar_peak_db;
            }
            _ => {
                self.more_true_peak_db[c - 2] = true_peak_db;
                self.more_bar_peak_db[c - 2] = bar_peak_db;
            }
        }
    }

    /// A view of `readings` with no live peaks yet, the given target and the platform previews
    /// computed from the readings.
    pub fn new(readings: Readings, targets: &[Target], target_id: &str) -> Self {
        let target = targets
            .iter()
            .find(|t| t.id == target_id)
            .or_else(|| targets.iter().find(|t| t.id == DEFAULT_TARGET_ID))
            .or(targets.first())
            .map(TargetMark::of)
            .unwrap_or(TargetMark {
                id: String::new(),
                name: "none".to_string(),
                short: "none".to_string(),
                lufs: -14.0,
            });
        Self {
            mono_engaged: false,
            channels: readings.channels,
            true_peak_db: [f32::NEG_INFINITY; 2],
            bar_peak_db: [f32::NEG_INFINITY; 2],
            more_true_peak_db: [f32::NEG_INFINITY; PLUGIN_CHANNELS - 2],
            more_bar_peak_db: [f32::NEG_INFINITY; PLUGIN_CHANNELS - 2],
            clip: [ClipLatch::default(); PLUGIN_CHANNELS],
            readings,
            reset_by_transport: false,
            not_measuring: None,
            reset_on_play: true,
            mono_level_match: false,
            mono_level_gain_db: 0.0,
            fold_to: FoldTarget::Stereo,
            fold: None,
            front_scope: Vec::new(),
            platforms: platform_rows(targets, &readings, &target.id),
            targets: targets.iter().map(TargetMark::of).collect(),
            target,
            stereo: None,
            history_s: crate::params::DEFAULT_HISTORY_ZOOM_S,
            checks: CheckList::default(),
            suggestions: Vec::new(),
            compare: None,
            compare_error: None,
            reports_enabled: true,
            last_report: None,
            report_folder_text: String::new(),
            report_folder: String::new(),
        }
    }

    /// Grades the view's readings with the profile `profile_id` (or the first one) and the
    /// comparison with the active reference, if any.
    pub fn grade(
        &mut self,
        profiles: &[checks::Profile],
        profile_id: &str,
        tonal: Option<&crate::diagnosis::TonalComparison>,
    ) {
        let Some(profile) = profiles
            .iter()
            .find(|p| p.id == profile_id)
            .or(profiles.first())
        else {
            return;
        };
        let inputs = checks::Inputs {
            readings: &self.readings,
            tonal,
            finished: false,
        };
        self.checks = CheckList {
            profile_id: profile.id.clone(),
            profile_name: profile.name.clone(),
            profiles: profiles
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect(),
            items: checks::run(profile, &inputs),
        };
    }
}

/// The streaming platforms' previews for the readings.
pub fn platform_rows(targets: &[Target], readings: &Readings, selected: &str) -> Vec<PlatformRow> {
    targets
        .iter()
        .filter(|t| !t.broadcast && t.id != "aes-streaming")
        .map(|t| {
            let preview = platforms::preview(t, readings);
            PlatformRow {
                name: t.short_name().to_string(),
                gain_db: preview.gain_db,
                true_peak_after_dbtp: preview.true_peak_after_dbtp,
                ceiling_dbtp: t.max_true_peak_dbtp,
                action: preview.action,
                status: preview.status,
                master_ceiling_dbtp: preview.ceiling_dbtp,
                sentence: preview.sentence,
                selected: t.id == selected,
            }
        })
        .collect()
}

/// The stereo summary of the whole measurement (stereo tracks).
pub fn stereo_summary(
    stereo: Option<&crate::bridge::StereoSnapshot>,
    r: &Readings,
) -> Option<StereoSummary> {
    whole_stereo(stereo, r).as_ref().map(summary_of)
}

/// The mono compatibility of the whole measurement (stereo tracks).
pub fn whole_stereo(
    stereo: Option<&crate::bridge::StereoSnapshot>,
    r: &Readings,
) -> Option<crate::diagnosis::stereo::MonoCompatibility> {
    let s = stereo?;
    Some(mono_compatibility(&s.whole, &Mix::whole(r)))
}

/// The side panel's stereo summary of a mono-compatibility diagnosis.
pub fn summary_of(whole: &crate::diagnosis::stereo::MonoCompatibility) -> StereoSummary {
    StereoSummary {
        verdict: whole.verdict,
        worst_band: whole.worst_bands.first().map(|&b| {
            let band = &whole.bands[b];
            format!(
                "{} {} LU",
                format_range(band.low_hz, band.high_hz),
                format_reading(band.mono_loss_lu)
            )
        }),
    }
}
