//! Delivery targets and what each one's loudness normalization does to a mix, shared by the
//! editor (Platforms panel) and the CLI (`--target`).
//!
//! The targets are data: `presets/targets.json`, each entry with the source of its numbers.
//! Loudness is BS.1770-5 integrated loudness (LUFS), peaks are BS.1770-5 Annex 2 true peaks
//! (dBTP); the arithmetic follows the platforms' published behaviour:
//! - `down-only`: a mix louder than the target is turned down by the difference; a quieter one
//!   is left alone.
//! - `up-limited-by-peak`: louder mixes are turned down; quieter ones are raised only as far as
//!   the true peak stays at the ceiling (no limiter).
//! - `up-and-down`: the full difference either way.
//! - `up-with-limiter`: the full difference either way, and a limiter at the ceiling catches
//!   the peaks of a quiet mix raised into it (Spotify's Loud setting): the true peak after is
//!   held at the ceiling and the preview says by how much the limiter would cut.
//! - broadcast targets (`none`): the file is judged as delivered (integrated within the
//!   tolerance, true peak at or below the maximum).
//!
//! The true peak after the gain is the measured true peak plus the gain (a gain is linear, so
//! it scales every inter-sample peak alike).

use crate::meter::engine::Readings;
use serde_json::Value;

/// The targets file, compiled in.
pub const TARGETS_JSON: &str = include_str!("../../presets/targets.json");

/// How a target's normalization applies gain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GainRule {
    DownOnly,
    UpLimitedByPeak,
    UpAndDown,
    UpWithLimiter,
    /// Broadcast delivery: no gain, the file must meet the target itself.
    None,
}

impl GainRule {
    /// The rule's name in the targets file.
    pub fn id(self) -> &'static str {
        match self {
            GainRule::DownOnly => "down-only",
            GainRule::UpLimitedByPeak => "up-limited-by-peak",
            GainRule::UpAndDown => "up-and-down",
            GainRule::UpWithLimiter => "up-with-limiter",
            GainRule::None => "none",
        }
    }
}

/// A delivery target from `presets/targets.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub broadcast: bool,
    pub integrated_lufs: f64,
    pub tolerance_lu: Option<f64>,
    pub max_true_peak_dbtp: f64,
    pub gain: GainRule,
    pub source: String,
}

impl Target {
    /// Short name for tight spaces: the name up to its first " (".
    pub fn short_name(&self) -> &str {
        self.name.split(" (").next().unwrap_or(&self.name)
    }
}

/// Every target of the compiled-in file, in its order.
pub fn targets() -> Vec<Target> {
    parse_targets(TARGETS_JSON).expect("presets/targets.json is valid (checked by a unit test)")
}

/// Parses a targets file; a malformed entry is an error naming it.
pub fn parse_targets(text: &str) -> Result<Vec<Target>, String> {
    let data: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let list = data["targets"]
        .as_array()
        .ok_or_else(|| "no \"targets\" list".to_string())?;
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let text = |key: &str| {
                t[key]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("target {i}: \"{key}\" missing"))
            };
            let number = |key: &str| {
                t[key]
                    .as_f64()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("target {i}: \"{key}\" missing"))
            };
            let gain = match text("gain")?.as_str() {
                "down-only" => GainRule::DownOnly,
                "up-limited-by-peak" => GainRule::UpLimitedByPeak,
                "up-and-down" => GainRule::UpAndDown,
                "up-with-limiter" => GainRule::UpWithLimiter,
                "none" => GainRule::None,
                other => return Err(format!("target {i}: unknown gain rule \"{other}\"")),
            };
            Ok(Target {
                id: text("id")?,
                name: text("name")?,
                broadcast: t["kind"] == "broadcast",
                integrated_lufs: number("integrated_lufs")?,
                tolerance_lu: t["tolerance_lu"].as_f64(),
                max_true_peak_dbtp: number("max_true_peak_dbtp")?,
                gain,
                source: text("source")?,
            })
        })
        .collect()
}

/// What a platform's normalization does to the mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Turned down (louder than the target).
    TurnDown,
    /// Raised by the full difference.
    TurnUp,
    /// Raised less than the difference, or not at all: held back by its true peak.
    HeldByPeak,
    /// Raised into the platform's limiter, which cuts the peaks by this many dB.
    Limits(f64),
    /// Left as it is.
    Unchanged,
    /// Broadcast: judged as delivered, no gain.
    AsDelivered,
}

impl Action {
    pub fn id(self) -> &'static str {
        match self {
            Action::TurnDown => "turn-down",
            Action::TurnUp => "turn-up",
            Action::HeldByPeak => "held-by-peak",
            Action::Limits(_) => "limit",
            Action::Unchanged => "unchanged",
            Action::AsDelivered => "as-delivered",
        }
    }

    /// A few words for the editor and the summary.
    pub fn describe(self) -> String {
        match self {
            Action::TurnDown => "turns it down".to_string(),
            Action::TurnUp => "turns it up".to_string(),
            Action::HeldByPeak => "held back by its peak".to_string(),
            Action::Limits(db) => format!("limits it {db:.1} dB"),
            Action::Unchanged => "leaves it".to_string(),
            Action::AsDelivered => "as delivered".to_string(),
        }
    }
}

/// What a target does to one mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The gain the platform's normalization applies (streaming) or that would bring the mix
    /// to the target (broadcast), dB; `None` without an integrated loudness.
    pub gain_db: Option<f64>,
    pub true_peak_after_dbtp: Option<f64>,
    /// Turned down, up, held back by its peak, limited, or left; `None` without a loudness.
    pub action: Option<Action>,
    pub pass: bool,
    pub problems: Vec<String>,
}

impl Preview {
    /// The platform turns the mix down (by more than 0.05 dB, what the display rounds away).
    pub fn turns_down(&self) -> bool {
        self.gain_db.is_some_and(|g| g < -0.05)
    }
}

/// The normalization gain of `target` for a mix of `integrated` LUFS with `peak` dBTP.
pub fn normalization_gain(target: &Target, integrated: f64, peak: f64) -> f64 {
    let to_target = target.integrated_lufs - integrated;
    let ceiling = target.max_true_peak_dbtp;
    match target.gain {
        GainRule::DownOnly => to_target.min(0.0),
        GainRule::UpLimitedByPeak if to_target > 0.0 => to_target.min((ceiling - peak).max(0.0)),
        _ => to_target,
    }
}

/// One mix's readings judged against one target.
pub fn preview(target: &Target, r: &Readings) -> Preview {
    let (Some(integrated), Some(peak)) = (r.integrated_lufs, r.max_true_peak_dbtp) else {
        return Preview {
            gain_db: None,
            true_peak_after_dbtp: None,
            action: None,
            pass: false,
            problems: vec!["no integrated loudness (silent or too short)".to_string()],
        };
    };
    let mut problems = Vec::new();
    let to_target = target.integrated_lufs - integrated;
    let ceiling = target.max_true_peak_dbtp;
    let gain = normalization_gain(target, integrated, peak);
    let raised_peak = peak + gain;
    // A limiter at the ceiling holds the peaks of a mix raised into it.
    let limited_db = match target.gain {
        GainRule::UpWithLimiter if gain > 0.0 => (raised_peak - ceiling).max(0.0),
        _ => 0.0,
    };
    let after = raised_peak - limited_db;
    let action = if target.broadcast {
        Action::AsDelivered
    } else if limited_db > 0.05 {
        Action::Limits(limited_db)
    } else if gain < -0.05 {
        Action::TurnDown
    } else if target.gain == GainRule::UpLimitedByPeak && to_target - gain > 0.05 {
        Action::HeldByPeak
    } else if gain > 0.05 {
        Action::TurnUp
    } else {
        Action::Unchanged
    };
    if limited_db > 0.05 {
        problems.push(format!(
            "raised {gain:+.1} dB into the platform's limiter, which would cut its peaks by {limited_db:.1} dB"
        ));
    }
    if target.broadcast {
        if let Some(tolerance) = target.tolerance_lu
            && to_target.abs() > tolerance + 1e-9
        {
            problems.push(format!(
                "integrated {integrated:.1} LUFS is outside {:.1} +-{tolerance} LU",
                target.integrated_lufs
            ));
        }
        if peak > ceiling + 1e-9 {
            problems.push(format!(
                "true peak {peak:.1} dBTP is over the {ceiling:.1} dBTP maximum"
            ));
        }
    } else if after > ceiling + 1e-9 {
        problems.push(format!(
            "true peak after the platform's {gain:+.1} dB would be {after:.1} dBTP, over its {ceiling:.1} dBTP ceiling"
        ));
    }
    Preview {
        gain_db: Some(gain),
        true_peak_after_dbtp: Some(after),
        action: Some(action),
        pass: problems.is_empty(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readings(integrated: f64, peak: f64) -> Readings {
        Readings {
            integrated_lufs: Some(integrated),
            max_true_peak_dbtp: Some(peak),
            ..Readings::default()
        }
    }

    fn target(id: &str) -> Target {
        targets().into_iter().find(|t| t.id == id).unwrap()
    }

    #[test]
    fn the_compiled_in_targets_parse_with_their_sources() {
        let all = targets();
        assert!(all.len() >= 8);
        for t in &all {
            assert!(!t.source.is_empty(), "{} has a source", t.id);
        }
        assert_eq!(target("spotify").short_name(), "Spotify");
        assert_eq!(target("apple").integrated_lufs, -16.0);
    }

    #[test]
    fn each_platform_says_whether_it_turns_down_raises_holds_or_limits() {
        let loud = readings(-9.0, -0.3);
        assert_eq!(
            preview(&target("spotify"), &loud).action,
            Some(Action::TurnDown)
        );
        assert_eq!(
            preview(&target("spotify-loud"), &loud).action,
            Some(Action::TurnDown)
        );
        // -20 LUFS peaking at -6 dBTP: Spotify Normal raises it 5 of 6 dB (held by the -1 dBTP
        // ceiling), YouTube leaves it, Loud raises it 9 dB into its limiter, 4 dB deep.
        let quiet = readings(-20.0, -6.0);
        assert_eq!(
            preview(&target("spotify"), &quiet).action,
            Some(Action::HeldByPeak)
        );
        assert_eq!(
            preview(&target("youtube"), &quiet).action,
            Some(Action::Unchanged)
        );
        let limited = preview(&target("spotify-loud"), &quiet);
        assert_eq!(limited.gain_db, Some(9.0));
        assert_eq!(limited.action, Some(Action::Limits(4.0)));
        assert_eq!(limited.true_peak_after_dbtp, Some(-1.0));
        assert!(!limited.pass && limited.problems[0].contains("cut its peaks by 4.0 dB"));
        // Enough headroom: raised by the full difference, no limiting.
        let clean = readings(-20.0, -12.0);
        assert_eq!(
            preview(&target("spotify"), &clean).action,
            Some(Action::TurnUp)
        );
        let loud_clean = preview(&target("spotify-loud"), &clean);
        assert_eq!(loud_clean.action, Some(Action::TurnUp));
        assert_eq!(loud_clean.true_peak_after_dbtp, Some(-3.0));
        assert!(loud_clean.pass);
        assert_eq!(
            preview(&target("ebu-r128"), &clean).action,
            Some(Action::AsDelivered)
        );
        assert_eq!(Action::Limits(4.0).describe(), "limits it 4.0 dB");
    }

    #[test]
    fn loud_mixes_are_turned_down_and_quiet_ones_raised_only_where_the_rule_says() {
        // -9 LUFS, -0.3 dBTP: every streaming platform turns it down.
        let loud = readings(-9.0, -0.3);
        let spotify = preview(&target("spotify"), &loud);
        assert_eq!(spotify.gain_db, Some(-5.0));
        assert!((spotify.true_peak_after_dbtp.unwrap() + 5.3).abs() < 1e-9);
        assert!(spotify.pass && spotify.turns_down());
        assert_eq!(preview(&target("apple"), &loud).gain_db, Some(-7.0));
        // -20 LUFS, -6 dBTP: YouTube leaves it, Spotify raises it only to the -1 dBTP ceiling.
        let quiet = readings(-20.0, -6.0);
        assert_eq!(preview(&target("youtube"), &quiet).gain_db, Some(0.0));
        assert_eq!(preview(&target("spotify"), &quiet).gain_db, Some(5.0));
        assert!(!preview(&target("spotify"), &quiet).turns_down());
        // AES: the full difference, so the peak goes over the ceiling.
        let aes = preview(&target("aes-streaming"), &quiet);
        assert_eq!(aes.gain_db, Some(4.0));
        assert!(aes.pass, "-6 dBTP + 4 dB stays under -1");
        let peaky = preview(&target("aes-streaming"), &readings(-20.0, -3.0));
        assert_eq!(peaky.true_peak_after_dbtp, Some(1.0));
        assert!(!peaky.pass);
        // Broadcast: judged as delivered.
        assert!(preview(&target("ebu-r128"), &readings(-23.2, -3.0)).pass);
        assert!(!preview(&target("ebu-r128"), &readings(-22.0, -3.0)).pass);
        assert!(!preview(&target("ebu-r128"), &readings(-23.0, -0.5)).pass);
        // No integrated loudness: no gain, not a pass.
        let none = preview(&target("spotify"), &Readings::default());
        assert_eq!(none.gain_db, None);
        assert!(!none.pass);
    }

    #[test]
    fn malformed_target_files_name_the_entry() {
        assert!(parse_targets("{}").unwrap_err().contains("targets"));
        let bad = r#"{"targets":[{"id":"x","name":"X","kind":"streaming","integrated_lufs":-14,"max_true_peak_dbtp":-1,"gain":"sideways","source":"s"}]}"#;
        assert!(parse_targets(bad).unwrap_err().contains("target 0"));
    }
}
