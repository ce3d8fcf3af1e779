//! Delivery-target verdicts (`--target`): each file judged against each platform's published
//! ceiling and against what its normalization does; and `mixmeter targets`.

use crate::json::number;
use mixmeter_core::diagnosis::platforms::{self, Preview, Target, targets};
use mixmeter_core::diagnosis::stereo::signed_tenths;
use mixmeter_core::meter::engine::Readings;
use mixmeter_core::meter::fold::FoldReadings;
use serde_json::{Value, json};

/// The stereo fold-down of a file of more than two channels (ITU-R BS.775, what a receiver
/// or a platform's stereo rendition plays) against one target's true-peak ceiling. The file
/// as delivered is what the target's verdict judges; a fold over the ceiling is a WARN, as a
/// platform's raise over it is (`diagnosis::platforms`): the file is not faulty, what a
/// stereo listener gets from it clips.
#[derive(Debug, Clone)]
pub(crate) struct FoldCheck {
    /// "Stereo fold-down: true peak +1.7 dBTP is over YouTube's -1 dBTP ceiling: WARN".
    pub(crate) sentence: String,
}

impl FoldCheck {
    /// `None` without a fold (two channels or fewer) or without its true peak.
    fn new(target: &Target, r: &Readings, fold: Option<&FoldReadings>) -> Option<FoldCheck> {
        let fold = fold?;
        let peak = fold.stereo_true_peak_dbtp?;
        let fold_lufs = r
            .integrated_lufs
            .zip(fold.stereo_integrated_lu)
            .map(|(i, change)| i + change);
        let (ceiling, _) = target.ceiling_for(fold_lufs.unwrap_or(f64::NEG_INFINITY));
        // Judged as printed, as the "To reach its loudness" line is.
        let over = signed_tenths(peak) > ceiling + 1e-9;
        Some(FoldCheck {
            sentence: format!(
                "Stereo fold-down: true peak {:+.1} dBTP is {} {}'s {} dBTP ceiling: {}",
                signed_tenths(peak),
                if over { "over" } else { "within" },
                target.short_name(),
                signed_tenths(ceiling),
                if over { "WARN" } else { "pass" }
            ),
        })
    }
}

/// One file judged against one target.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) preview: Preview,
    /// The gain that brings the file to the target's loudness, whatever the platform's rule,
    /// and the true peak after it (dB, dBTP).
    pub(crate) gain_to_target_db: Option<f64>,
    pub(crate) true_peak_at_target_dbtp: Option<f64>,
    /// The platform's published true-peak ceiling.
    pub(crate) platform_ceiling_dbtp: f64,
    /// The stereo fold-down against the ceiling (more than two channels).
    pub(crate) fold: Option<FoldCheck>,
}

impl Check {
    pub(crate) fn new(target: &Target, r: &Readings, fold: Option<&FoldReadings>) -> Check {
        let gain = r.integrated_lufs.map(|i| target.integrated_lufs - i);
        Check {
            id: target.id.clone(),
            name: target.name.clone(),
            preview: platforms::preview(target, r),
            gain_to_target_db: gain,
            true_peak_at_target_dbtp: gain.zip(r.max_true_peak_dbtp).map(|(g, p)| g + p),
            platform_ceiling_dbtp: target.max_true_peak_dbtp,
            fold: FoldCheck::new(target, r, fold),
        }
    }

    /// Whether the true peak at the target's loudness is over the platform's ceiling.
    pub(crate) fn over_at_target(&self) -> Option<bool> {
        self.true_peak_at_target_dbtp
            .map(|p| p > self.platform_ceiling_dbtp)
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "gain_db": number(self.preview.gain_db),
            "true_peak_after_dbtp": number(self.preview.true_peak_after_dbtp),
            "action": self.preview.action.map(|a| a.id()),
            "limited_db": match self.preview.action {
                Some(platforms::Action::Limits(db)) => number(Some(db)),
                _ => Value::Null,
            },
            "ceiling_dbtp": self.preview.ceiling_dbtp,
            "status": self.preview.status.id(),
            "pass": self.preview.pass,
            "problems": self.preview.problems,
            "warnings": self.preview.warnings,
            "text": self.preview.sentence,
            "gain_to_target_db": number(self.gain_to_target_db),
            "true_peak_at_target_dbtp": number(self.true_peak_at_target_dbtp),
            "over_ceiling_at_target": self.over_at_target(),
        })
    }

    /// One sentence per target (`diagnosis::platforms::Preview::sentence`), and what the
    /// file would need to reach the target's loudness itself.
    pub(crate) fn print(&self) {
        println!("    {}", self.preview.sentence);
        if let (Some(gain), Some(peak)) = (self.gain_to_target_db, self.true_peak_at_target_dbtp) {
            println!(
                "      To reach its loudness yourself: {:+.1} dB of gain, true peak then {:+.1} \
                 dBTP, {} its {:.1} dBTP ceiling",
                signed_tenths(gain),
                signed_tenths(peak),
                // Judged as printed: -0.96 against -1.0 must not read "-1.0, over -1.0".
                if signed_tenths(peak) > self.platform_ceiling_dbtp + 1e-9 {
                    "over"
                } else {
                    "within"
                },
                self.platform_ceiling_dbtp
            );
        }
        if let Some(fold) = &self.fold {
            println!("      {}", fold.sentence);
        }
    }
}

pub(crate) fn print_targets() {
    for t in targets() {
        println!("{:<14} {}", t.id, t.name);
        let tolerance = t
            .tolerance_lu
            .map_or(String::new(), |tol| format!(" +-{tol} LU"));
        println!(
            "               {:.1} LUFS{tolerance}, true peak <= {:.1} dBTP, gain: {}",
            t.integrated_lufs,
            t.max_true_peak_dbtp,
            t.gain.id()
        );
        println!("               source: {}", t.source);
    }
}
