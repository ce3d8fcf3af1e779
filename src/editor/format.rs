//! How readings and channels are written in the editor: one decimal, a dash for no value (never
//! a floor number), measured time, and channel and bus names by layout. Shared by every panel.

use crate::meter::layout::BusLayout;

/// Text for a dB reading; undefined readings are shown as a dash, never as a floor value.
pub fn format_db(value_db: f32) -> String {
    if value_db.is_finite() {
        let tenths = (value_db * 10.0).round();
        tenths_text(tenths.into(), true)
            // Adding 0.0 turns a rounded -0.0 into 0.0.
            .unwrap_or_else(|| format!("{:+.1}", tenths / 10.0 + 0.0))
    } else {
        NO_VALUE.to_string()
    }
}

/// A whole number of tenths written with one decimal (a sign always when `plus`, as `{:+.1}`;
/// "0.0", never "-0.0"), from integers: the float formatter's exact mode costs some
/// thousand instructions a value and the editor writes about a hundred values a frame.
/// `None` from a million tenths up, where `{:.1}` of an `f32` would not give the same digits.
fn tenths_text(tenths: f64, plus: bool) -> Option<String> {
    if tenths.is_nan() || tenths.abs() >= 1e6 {
        return None;
    }
    let t = tenths as i64;
    let sign = match (t < 0, plus) {
        (true, _) => "-",
        (false, true) => "+",
        (false, false) => "",
    };
    let t = t.unsigned_abs();
    Some(format!("{sign}{}.{}", t / 10, t % 10))
}

/// How "no value" is shown.
pub const NO_VALUE: &str = "—";

/// Text for an optional reading with one decimal (loudness is shown to 0.1 LU, as Tech 3341
/// asks).
pub fn format_reading(value: Option<f64>) -> String {
    match value {
        // Adding 0.0 turns a rounded -0.0 into 0.0 (no "-0.0 dB").
        Some(v) if v.is_finite() => {
            let tenths = (v * 10.0).round();
            tenths_text(tenths, false).unwrap_or_else(|| format!("{:.1}", tenths / 10.0 + 0.0))
        }
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

    /// The integer path writes exactly what the float formatter wrote, sign and all, from
    /// tiny values through the halfway cases to the millions (where it hands back to it).
    #[test]
    fn one_decimal_is_written_as_the_float_formatter_writes_it() {
        let reading = |v: f64| format!("{:.1}", (v * 10.0).round() / 10.0 + 0.0);
        let db = |v: f32| format!("{:+.1}", (v * 10.0).round() / 10.0 + 0.0);
        let sweep = (0..40_000).map(|i| -250.0 + i as f64 * 0.0125);
        let edges = [
            0.0, -0.0, 0.04, -0.04, 0.05, -0.05, 0.95, -0.95, 99.95, -99.95, 1e-9, -1e-9,
            12_345.65, 99_999.94, -99_999.96, 1e6, -3.4e7, 1e300,
        ];
        for v in sweep.chain(edges) {
            assert_eq!(format_reading(Some(v)), reading(v), "{v}");
            if (v as f32).is_finite() {
                assert_eq!(format_db(v as f32), db(v as f32), "{v}");
            }
        }
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
