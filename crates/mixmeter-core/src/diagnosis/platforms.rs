//! Delivery targets and what each one's loudness normalization does to a mix, shared by the
//! editor (Platforms panel) and the CLI (`--target`).
//!
//! The targets are data: `assets/targets.json`, each entry with the source of its numbers.
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
//!
//! **Verdict.** Every target judges the file as delivered against its published true-peak
//! ceiling (`max_true_peak_dbtp`, or the lower `loud_master` one for a master louder than its
//! level: Spotify asks -2 dBTP above -14 LUFS): over it is a FAIL, whatever the platform's
//! turn-down would do to it, since the file is what is encoded. Broadcast targets also fail
//! outside their loudness tolerance. A master that meets its ceiling but that the platform
//! would raise over it, or into its limiter, gets a WARN: a quiet master is not a faulty one.
//! So, for every target, a master louder and hotter than another never passes where the
//! quieter, cleaner one fails (the ceiling never rises with loudness; a broadcast target's
//! loudness window aside), which a property test checks over a grid.
//!
//! **Far under the target.** A streaming platform that does not raise quiet masters
//! (`down-only`), or raises them only as far as the true-peak ceiling allows
//! (`up-limited-by-peak`), can leave a master playing far under its target, next to tracks
//! that play at it. Mixmeter's convention (ours, not a platform's): where the loudness after
//! the platform's gain is more than [`FAR_UNDER_TARGET_LU`] (6 LU) under the target, the
//! verdict is a WARN that says how far under and that the platform will not raise it (further).
//! 6 LU is the widest spread of the streaming targets themselves (Apple's -16 to Spotify Loud's
//! -11 is 5 LU) plus a margin: a master within it plays no further from its neighbours than
//! switching platforms moves it, and dynamic masters (classical, jazz at -18 to -20 LUFS) are
//! not flagged on the -14 platforms; a master more than 6 LU under is a level jump a listener
//! notices against normalized tracks and reaches for the volume. Judged as printed (to 0.1 LU),
//! so "6.0 LU under" never warns. Broadcast targets judge the loudness window instead, and the
//! platforms that raise by the full difference never leave a master under.

use super::checks::Status;
use super::stereo::signed_tenths;
use crate::meter::engine::Readings;
use serde_json::Value;

/// A streaming master left more than this far under the platform's target, after its gain,
/// gets a WARN (module docs, "Far under the target"), LU.
pub const FAR_UNDER_TARGET_LU: f64 = 6.0;

/// The targets file, compiled in.
pub const TARGETS_JSON: &str = include_str!("../../../../assets/targets.json");

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

/// A delivery target from `assets/targets.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub broadcast: bool,
    pub integrated_lufs: f64,
    pub tolerance_lu: Option<f64>,
    /// The published true-peak ceiling, dBTP: for the file as delivered and for its peaks
    /// after the platform's gain (a limiter's threshold, a raise's limit).
    pub max_true_peak_dbtp: f64,
    /// A lower ceiling for masters louder than a level (Spotify: -2 dBTP above -14 LUFS).
    pub loud_master: Option<LoudMaster>,
    pub gain: GainRule,
    pub source: String,
}

/// A platform's lower true-peak ceiling for loud masters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudMaster {
    /// Applies to masters louder than this, LUFS.
    pub louder_than_lufs: f64,
    pub max_true_peak_dbtp: f64,
}

impl Target {
    /// Short name for tight spaces: the name up to its first " (".
    pub fn short_name(&self) -> &str {
        self.name.split(" (").next().unwrap_or(&self.name)
    }

    /// The published true-peak ceiling for a master of `integrated` LUFS, and the loud-master
    /// rule when it is the one that applies. Never higher for a louder master.
    pub fn ceiling_for(&self, integrated: f64) -> (f64, Option<LoudMaster>) {
        match self.loud_master {
            Some(loud) if integrated > loud.louder_than_lufs => (
                loud.max_true_peak_dbtp.min(self.max_true_peak_dbtp),
                Some(loud),
            ),
            _ => (self.max_true_peak_dbtp, None),
        }
    }
}

/// Every target of the compiled-in file, in its order.
pub fn targets() -> Vec<Target> {
    parse_targets(TARGETS_JSON).expect("assets/targets.json is valid (checked by a unit test)")
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
                loud_master: match &t["loud_master"] {
                    Value::Null => None,
                    loud => Some(LoudMaster {
                        louder_than_lufs: loud["louder_than_lufs"].as_f64().ok_or_else(|| {
                            format!("target {i}: \"loud_master.louder_than_lufs\" missing")
                        })?,
                        max_true_peak_dbtp: loud["max_true_peak_dbtp"].as_f64().ok_or_else(
                            || format!("target {i}: \"loud_master.max_true_peak_dbtp\" missing"),
                        )?,
                    }),
                },
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

/// What a target does to one mix, and its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The gain the platform's normalization applies (streaming) or that would bring the mix
    /// to the target (broadcast), dB; `None` without an integrated loudness.
    pub gain_db: Option<f64>,
    pub true_peak_after_dbtp: Option<f64>,
    /// Turned down, up, held back by its peak, limited, or left; `None` without a loudness.
    pub action: Option<Action>,
    /// The published true-peak ceiling the delivered file is judged against, dBTP (the loud
    /// master's where it applies).
    pub ceiling_dbtp: f64,
    /// Fail: the file as delivered is over the ceiling (or, broadcast, outside the loudness
    /// tolerance), or has no loudness. Warn: it meets them, but the platform's raising would
    /// put its peaks over the ceiling or into its limiter.
    pub status: Status,
    /// `status` is not `Fail`.
    pub pass: bool,
    /// Why it fails, one clause each.
    pub problems: Vec<String>,
    /// Why it warns.
    pub warnings: Vec<String>,
    /// How far under the target the platform leaves the master, LU, when that is more than
    /// [`FAR_UNDER_TARGET_LU`] (a WARN); `None` otherwise.
    pub far_under_lu: Option<f64>,
    /// The whole verdict as one sentence ("Spotify: turns it down 5.9 dB to -14 LUFS; true
    /// peak +3.8 dBTP is over Spotify's -2 dBTP ceiling for masters louder than -14 LUFS:
    /// FAIL").
    pub sentence: String,
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

/// A published level: "-14", "-1", "-0.5".
fn level(value: f64) -> String {
    let tenths = signed_tenths(value);
    if tenths.fract() == 0.0 {
        format!("{tenths:.0}")
    } else {
        format!("{tenths:.1}")
    }
}

/// A measured level with its sign: "+3.8", "-6.4".
fn signed(value: f64) -> String {
    format!("{:+.1}", signed_tenths(value))
}

/// What the platform does, as the first half of the sentence.
fn action_clause(target: &Target, action: Action, gain: f64, integrated: f64) -> String {
    let to = level(target.integrated_lufs);
    let gain_text = format!("{:.1}", signed_tenths(gain.abs()));
    match action {
        Action::TurnDown => format!("turns it down {gain_text} dB to {to} LUFS"),
        Action::TurnUp => format!("raises it {gain_text} dB to {to} LUFS"),
        Action::HeldByPeak if gain > 0.05 => format!(
            "raises it only {gain_text} dB (to {:.1} LUFS, not {to}), as far as its {} dBTP \
             ceiling allows",
            integrated + gain,
            level(target.max_true_peak_dbtp)
        ),
        Action::HeldByPeak => format!(
            "leaves it at {integrated:.1} LUFS: its true peak leaves no room to raise it to {to}"
        ),
        Action::Limits(db) => format!(
            "raises it {gain_text} dB to {to} LUFS into its limiter, which cuts the peaks {db:.1} dB"
        ),
        Action::Unchanged
            if target.gain == GainRule::DownOnly && integrated < target.integrated_lufs =>
        {
            format!("leaves it at {integrated:.1} LUFS (it only turns down, to {to})")
        }
        Action::Unchanged => format!("leaves it at {integrated:.1} LUFS"),
        Action::AsDelivered => {
            let tolerance = target.tolerance_lu.unwrap_or(0.0);
            let inside = (target.integrated_lufs - integrated).abs() <= tolerance + 1e-9;
            format!(
                "integrated {integrated:.1} LUFS is {} {to} +-{} LU",
                if inside { "within" } else { "outside" },
                level(tolerance)
            )
        }
    }
}

/// One mix's readings judged against one target.
pub fn preview(target: &Target, r: &Readings) -> Preview {
    let short = target.short_name();
    let ceiling = target.max_true_peak_dbtp;
    let (Some(integrated), Some(peak)) = (r.integrated_lufs, r.max_true_peak_dbtp) else {
        let problem = "no integrated loudness (silent or too short)".to_string();
        return Preview {
            gain_db: None,
            true_peak_after_dbtp: None,
            action: None,
            ceiling_dbtp: ceiling,
            status: Status::Fail,
            pass: false,
            sentence: format!("{short}: {problem}: FAIL"),
            problems: vec![problem],
            warnings: Vec::new(),
            far_under_lu: None,
        };
    };
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let to_target = target.integrated_lufs - integrated;
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

    // The file as delivered, against the published ceiling that applies to it.
    let (master_ceiling, for_loud) = target.ceiling_for(integrated);
    let whose = if target.broadcast {
        format!("{short}'s {} dBTP maximum", level(master_ceiling))
    } else {
        format!("{short}'s {} dBTP ceiling", level(master_ceiling))
    };
    let whose = match for_loud {
        Some(loud) => format!(
            "{whose} for masters louder than {} LUFS",
            level(loud.louder_than_lufs)
        ),
        None => whose,
    };
    let over = peak > master_ceiling + 1e-9;
    if target.broadcast
        && let Some(tolerance) = target.tolerance_lu
        && to_target.abs() > tolerance + 1e-9
    {
        problems.push(format!(
            "integrated {integrated:.1} LUFS is outside {} +-{} LU",
            level(target.integrated_lufs),
            level(tolerance)
        ));
    }
    if over {
        problems.push(format!("true peak {} dBTP is over {whose}", signed(peak)));
    }
    // What the platform's own gain does to a master that meets the ceiling: only raising can
    // put its peaks over (turning down lowers them); a quiet master is not a faulty one, so
    // this warns (and keeps "louder and hotter never passes where quieter and cleaner fails").
    let mut peak_clause = format!(
        "true peak {} dBTP is {} {whose}",
        signed(peak),
        if over { "over" } else { "within" }
    );
    if !target.broadcast && !over {
        if limited_db > 0.05 {
            warnings.push(format!(
                "raised {gain:+.1} dB into the platform's limiter, which would cut its peaks by \
                 {limited_db:.1} dB"
            ));
            peak_clause = format!("{peak_clause} ({} dBTP after its limiter)", signed(after));
        } else if after > ceiling + 1e-9 {
            warnings.push(format!(
                "raised {gain:+.1} dB, its true peak would reach {} dBTP, over the {} dBTP \
                 ceiling",
                signed(after),
                level(ceiling)
            ));
            peak_clause = format!(
                "{peak_clause}, but would reach {} dBTP after the gain",
                signed(after)
            );
        } else if (after - peak).abs() > 0.05 {
            peak_clause = format!("{peak_clause} ({} dBTP after)", signed(after));
        }
    }
    // Far under the target after the platform's gain (module docs): a platform that will not
    // raise it (further) leaves it playing well below the tracks around it.
    let under_lu = signed_tenths(target.integrated_lufs - (integrated + gain));
    let far_under_lu =
        (!target.broadcast && under_lu > FAR_UNDER_TARGET_LU + 1e-9).then_some(under_lu);
    let far_under_clause = match far_under_lu {
        Some(under) => {
            let further = if gain > 0.05 { " further" } else { "" };
            let warning = format!(
                "it plays {under:.1} LU under the {} LUFS target and {short} will not raise it\
                 {further}",
                level(target.integrated_lufs)
            );
            let clause = format!("; {warning}");
            warnings.push(warning);
            clause
        }
        None => String::new(),
    };
    let status = if !problems.is_empty() {
        Status::Fail
    } else if !warnings.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    let verdict = match status {
        Status::Pass => "pass",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
    };
    let sentence = format!(
        "{short}: {}{far_under_clause}; {peak_clause}: {verdict}",
        action_clause(target, action, gain, integrated)
    );
    Preview {
        gain_db: Some(gain),
        true_peak_after_dbtp: Some(after),
        action: Some(action),
        ceiling_dbtp: master_ceiling,
        pass: status != Status::Fail,
        status,
        problems,
        warnings,
        far_under_lu,
        sentence,
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
        // A quiet master is not a faulty one: limited by the platform is a warning.
        assert_eq!(limited.status, Status::Warn);
        assert!(limited.pass && limited.warnings[0].contains("cut its peaks by 4.0 dB"));
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
        // -9 LUFS, -2.3 dBTP: every streaming platform turns it down.
        let loud = readings(-9.0, -2.3);
        let spotify = preview(&target("spotify"), &loud);
        assert_eq!(spotify.gain_db, Some(-5.0));
        assert!((spotify.true_peak_after_dbtp.unwrap() + 7.3).abs() < 1e-9);
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
        assert_eq!(peaky.status, Status::Warn, "{peaky:?}");
        assert!(peaky.warnings[0].contains("would reach +1.0 dBTP"));
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
    fn a_master_over_the_published_ceiling_fails_whatever_the_turn_down() {
        // A hard-clipped master at +3.8 dBTP, -8.1 LUFS: every streaming platform turns it
        // down below its ceiling, but the file itself is over every published one.
        let clipped = readings(-8.1, 3.8);
        for t in targets() {
            let p = preview(&t, &clipped);
            assert_eq!(p.status, Status::Fail, "{}: {}", t.id, p.sentence);
            assert!(!p.pass);
        }
        let spotify = preview(&target("spotify"), &clipped);
        assert_eq!(spotify.ceiling_dbtp, -2.0);
        assert_eq!(
            spotify.sentence,
            "Spotify: turns it down 5.9 dB to -14 LUFS; true peak +3.8 dBTP is over Spotify's \
             -2 dBTP ceiling for masters louder than -14 LUFS: FAIL"
        );
        assert_eq!(
            preview(&target("amazon"), &clipped).sentence,
            "Amazon Music: turns it down 5.9 dB to -14 LUFS; true peak +3.8 dBTP is over Amazon \
             Music's -2 dBTP ceiling: FAIL"
        );
        // Spotify's -2 dBTP applies above -14 LUFS only.
        assert!(preview(&target("spotify"), &readings(-9.0, -1.5)).status == Status::Fail);
        let at_target = preview(&target("spotify"), &readings(-14.0, -1.5));
        assert_eq!(at_target.status, Status::Pass);
        assert_eq!(at_target.ceiling_dbtp, -1.0);
        assert_eq!(
            at_target.sentence,
            "Spotify: leaves it at -14.0 LUFS; true peak -1.5 dBTP is within Spotify's -1 dBTP \
             ceiling: pass"
        );
    }

    #[test]
    fn every_verdict_is_one_sentence() {
        let s = |id: &str, i: f64, p: f64| preview(&target(id), &readings(i, p)).sentence;
        assert_eq!(
            s("apple", -9.0, -2.3),
            "Apple Music: turns it down 7.0 dB to -16 LUFS; true peak -2.3 dBTP is within Apple \
             Music's -1 dBTP ceiling (-9.3 dBTP after): pass"
        );
        assert_eq!(
            s("spotify", -20.0, -6.0),
            "Spotify: raises it only 5.0 dB (to -15.0 LUFS, not -14), as far as its -1 dBTP \
             ceiling allows; true peak -6.0 dBTP is within Spotify's -1 dBTP ceiling (-1.0 dBTP \
             after): pass"
        );
        assert_eq!(
            s("youtube", -20.0, -6.0),
            "YouTube: leaves it at -20.0 LUFS (it only turns down, to -14); true peak -6.0 dBTP \
             is within YouTube's -1 dBTP ceiling: pass"
        );
        assert_eq!(
            s("spotify-loud", -20.0, -6.0),
            "Spotify Loud: raises it 9.0 dB to -11 LUFS into its limiter, which cuts the peaks \
             4.0 dB; true peak -6.0 dBTP is within Spotify Loud's -1 dBTP ceiling (-1.0 dBTP \
             after its limiter): WARN"
        );
        assert_eq!(
            s("aes-streaming", -20.0, -3.0),
            "AES TD1008: raises it 4.0 dB to -16 LUFS; true peak -3.0 dBTP is within AES \
             TD1008's -1 dBTP ceiling, but would reach +1.0 dBTP after the gain: WARN"
        );
        assert_eq!(
            s("ebu-r128", -22.0, -0.5),
            "EBU R 128: integrated -22.0 LUFS is outside -23 +-0.5 LU; true peak -0.5 dBTP is \
             over EBU R 128's -1 dBTP maximum: FAIL"
        );
        assert_eq!(
            preview(&target("tidal"), &Readings::default()).sentence,
            "TIDAL: no integrated loudness (silent or too short): FAIL"
        );
    }

    #[test]
    fn a_master_left_far_under_the_target_warns_and_says_how_far() {
        let s = |id: &str, i: f64, p: f64| preview(&target(id), &readings(i, p));
        // A song at -14 LUFS, -1 dBTP turned down 45 dB: the down-only platforms leave it.
        let quiet = s("youtube", -59.0, -46.0);
        assert_eq!(quiet.status, Status::Warn);
        assert!(quiet.pass);
        assert_eq!(quiet.far_under_lu, Some(45.0));
        assert_eq!(
            quiet.sentence,
            "YouTube: leaves it at -59.0 LUFS (it only turns down, to -14); it plays 45.0 LU \
             under the -14 LUFS target and YouTube will not raise it; true peak -46.0 dBTP is \
             within YouTube's -1 dBTP ceiling: WARN"
        );
        for (id, under) in [("tidal", 45.0), ("amazon", 45.0), ("deezer", 44.0)] {
            let p = s(id, -59.0, -46.0);
            assert_eq!(
                (p.status, p.far_under_lu),
                (Status::Warn, Some(under)),
                "{id}"
            );
        }
        // Spotify and Apple raise it the whole way: its peak leaves room (Spotify Loud too, into
        // its limiter, which is its own warning).
        for id in ["spotify", "apple", "aes-streaming"] {
            let p = s(id, -59.0, -46.0);
            assert_eq!((p.status, p.far_under_lu), (Status::Pass, None), "{id}");
        }
        let loud = s("spotify-loud", -59.0, -46.0);
        assert_eq!(loud.far_under_lu, None);
        assert!(loud.warnings.iter().all(|w| !w.contains("LU under")));
        // Raised only as far as the ceiling allows, and still 14 LU under.
        let held = s("spotify", -30.0, -3.0);
        assert_eq!(held.status, Status::Warn);
        assert_eq!(held.far_under_lu, Some(14.0));
        assert_eq!(
            held.sentence,
            "Spotify: raises it only 2.0 dB (to -28.0 LUFS, not -14), as far as its -1 dBTP \
             ceiling allows; it plays 14.0 LU under the -14 LUFS target and Spotify will not \
             raise it further; true peak -3.0 dBTP is within Spotify's -1 dBTP ceiling \
             (-1.0 dBTP after): WARN"
        );
        // 6 LU under, as printed, is the limit: -20.0 on a -14 platform passes, -20.1 warns.
        assert_eq!(s("youtube", -20.04, -6.0).status, Status::Pass);
        assert_eq!(s("youtube", -20.06, -6.0).far_under_lu, Some(6.1));
        // Over the ceiling is still a FAIL; broadcast judges its window, not this.
        assert_eq!(s("tidal", -30.0, -0.5).status, Status::Fail);
        let r128 = s("ebu-r128", -40.0, -20.0);
        assert_eq!((r128.status, r128.far_under_lu), (Status::Fail, None));
    }

    /// Over a grid of masters (integrated -40..-3 LUFS, true peak -20..+6 dBTP, 0.5 steps),
    /// for every target: a master louder and hotter than another never passes where the
    /// quieter, cleaner one fails (broadcast: among masters inside the loudness window, which
    /// a too-quiet master rightly fails), and never gets a better status on its true peak.
    #[test]
    fn louder_and_hotter_never_passes_where_quieter_and_cleaner_fails() {
        let loudness: Vec<f64> = (0..=74).map(|i| -40.0 + 0.5 * i as f64).collect();
        let peaks: Vec<f64> = (0..=52).map(|i| -20.0 + 0.5 * i as f64).collect();
        for t in targets() {
            let in_window = |i: f64| {
                !t.broadcast
                    || t.tolerance_lu
                        .is_none_or(|tol| (t.integrated_lufs - i).abs() <= tol + 1e-9)
            };
            let grid: Vec<(f64, f64, Preview)> = loudness
                .iter()
                .flat_map(|&i| peaks.iter().map(move |&p| (i, p)))
                .map(|(i, p)| (i, p, preview(&t, &readings(i, p))))
                .collect();
            let peak_fails = |p: &Preview| p.problems.iter().any(|m| m.contains("true peak"));
            let mut compared = 0;
            for (i1, p1, quiet) in &grid {
                for (i2, p2, loud) in &grid {
                    if i2 < i1 || p2 < p1 {
                        continue;
                    }
                    assert!(
                        !peak_fails(quiet) || peak_fails(loud),
                        "{}: {} but {}",
                        t.id,
                        quiet.sentence,
                        loud.sentence
                    );
                    if in_window(*i1) && in_window(*i2) {
                        compared += 1;
                        assert!(
                            quiet.pass || !loud.pass,
                            "{}: {} but {}",
                            t.id,
                            quiet.sentence,
                            loud.sentence
                        );
                    }
                }
            }
            assert!(compared > 0, "{}", t.id);
            // The grid holds both verdicts.
            assert!(grid.iter().any(|g| g.2.pass) && grid.iter().any(|g| !g.2.pass));
        }
    }

    #[test]
    fn malformed_target_files_name_the_entry() {
        assert!(parse_targets("{}").unwrap_err().contains("targets"));
        let bad = r#"{"targets":[{"id":"x","name":"X","kind":"streaming","integrated_lufs":-14,"max_true_peak_dbtp":-1,"gain":"sideways","source":"s"}]}"#;
        assert!(parse_targets(bad).unwrap_err().contains("target 0"));
    }
}
