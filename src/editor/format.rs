//! How readings and channels are written in the editor: one decimal, a dash for no value (never
//! a floor number), measured time, and channel and bus names by layout. Shared by every panel.

use crate::meter::layout::BusLayout;

/// Text for a dB reading; undefined readings are shown as a dash, never as a floor value.
pub fn format_db(value_db: f32) -> String {
    if value_db.is_finite() {
        // Adding 0.0 turns a rounded -0.0 into 0.0.
        format!("{:+.1}", (value_db * 10.0).round() / 10.0 + 0.0)
    } else {
        NO_VALUE.to_string()
    }
}

/// How "no value" is shown.
pub const NO_VALUE: &str = "—";

/// Text for an optional reading with one decimal (loudness is shown to 0.1 LU, as Tech 3341
/// asks).
pub fn format_reading(value: Option<f64>) -> String {
    match value {
        // Adding 0.0 turns a rounded -0.0 into 0.0 (no "-0.0 dB").
        Some(v) if v.is_finite() => format!("{:.1}", (v * 10.0).round() / 10.0 + 0.0),
        _ => NO_VALUE.to_string(),
    }
}

/// Measured time as h:mm:ss.
pub fn format_duration(seconds: f64) -> String {
    let total = seconds.max(0.0) as u64;
    format!("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60)
}

/// The role label of channel `index` of a surround bus (L R C LFE Ls Rs ...).
fn surround_label(index: usize, channels: usize) -> Option<&'static str> {
    let bus = BusLayout::from_channels(channels).filter(|b| b.is_surround())?;
    bus.roles().get(index).map(|r| r.label())
}

/// Label of channel `index` out of `channels` (0: the layout is not known yet): Left and
/// Right on stereo, the role (L R C LFE Ls Rs Lrs Rrs Ltf Rtf Ltr Rtr) on a surround bus.
pub fn channel_name(index: usize, channels: usize) -> &'static str {
    if let Some(label) = surround_label(index, channels) {
        return label;
    }
    match (channels, index) {
        (0, 0) => "Channel 1",
        (0, _) => "Channel 2",
        (1, _) => "Mono",
        (_, 0) => "Left",
        _ => "Right",
    }
}

/// Caption of channel `index`'s true-peak bar.
pub fn channel_caption(index: usize, channels: usize) -> &'static str {
    if let Some(label) = surround_label(index, channels) {
        return label;
    }
    match (channels, index) {
        (0, 0) => "1",
        (0, _) => "2",
        (1, _) => "TP",
        (_, 0) => "L",
        _ => "R",
    }
}

/// The bus's name for the editor ("5.1 surround"), `None` on mono and stereo.
pub fn surround_name(channels: usize) -> Option<&'static str> {
    BusLayout::from_channels(channels)
        .filter(|b| b.is_surround())
        .map(|b| b.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_readings_show_a_dash_not_a_floor() {
        assert_eq!(format_reading(None), "—");
        assert_eq!(format_reading(Some(f64::NAN)), "—");
        assert_eq!(format_reading(Some(-14.04)), "-14.0");
        assert_eq!(format_reading(Some(-0.04)), "0.0");
        assert_eq!(format_duration(3725.9), "1:02:05");
        assert_eq!(format_db(f32::NEG_INFINITY), "—");
        assert_eq!(format_db(f32::NAN), "—");
        assert_eq!(format_db(-6.02), "-6.0");
        assert_eq!(format_db(0.04), "+0.0");
    }

    #[test]
    fn channel_names_follow_the_layout() {
        assert_eq!(channel_name(0, 1), "Mono");
        assert_eq!(channel_name(0, 2), "Left");
        assert_eq!(channel_name(1, 2), "Right");
        // Not known yet: named by number, neither mono nor left/right.
        assert_eq!(channel_name(0, 0), "Channel 1");
        assert_eq!(channel_name(1, 0), "Channel 2");
    }
}
