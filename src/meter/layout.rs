//! Channel roles and their weights in the loudness sum (ITU-R BS.1770-5, Annex 1, clause 2.4 and
//! Table 3; the rule for the loudspeaker positions of Recommendation ITU-R BS.2051).
//!
//! Each channel's mean square is weighted before the sum: 1.0 (0 dB) for channels in front,
//! 1.41 (+1.5 dB) for channels below 30 degrees elevation at an azimuth between 60 and 120
//! degrees (the surrounds of 5.1 at +-110, the side pair of 7.1 at +-90), 1.0 for those further
//! back (the rear pair of 7.1 at +-135 to +-150) or above; the LFE channel is excluded (0).
//! `Meter` takes the weights through `MeterConfig::with_weights`; the analyzer builds them from
//! the file's channel mask, the plugin will from the host's layout.
//!
//! A file that states its layout (a WAVE_FORMAT_EXTENSIBLE `dwChannelMask`, a CAF `chan`
//! chunk, the fixed orders of FLAC, Vorbis, AAC and ALAC) is read as it says. A file that does
//! not (a plain PCM or float WAV, a WAV whose mask is 0, a CAF without `chan`, AIFF beyond 3
//! channels) takes [`ChannelRole::default_layout`] for its channel count:
//!
//! | channels | layout                       |
//! |----------|------------------------------|
//! | 1        | mono (one channel, weight 1) |
//! | 2        | L R                          |
//! | 3        | L R C                        |
//! | 4        | L R Ls Rs                    |
//! | 5        | L R C Ls Rs (no LFE)         |
//! | 6        | L R C LFE Ls Rs (5.1)        |
//! | 7        | L R C LFE Cs Ls Rs (6.1)     |
//! | 8        | L R C LFE Lrs Rrs Ls Rs (7.1)|
//!
//! Five channels carry no LFE, as the EBU's own 5-channel test files (Tech 3341 case 6, no
//! mask, L R C Ls Rs) and libebur128 have them; taking the WAVE mask order instead
//! (L R C LFE Ls) would drop a surround and read case 6 0.7 LU low.

/// Where a channel plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelRole {
    Left,
    Right,
    Centre,
    /// Low-frequency effects: not part of programme loudness.
    Lfe,
    /// A surround at 60-120 degrees azimuth (5.1's Ls/Rs, 7.1's side pair).
    SurroundLeft,
    SurroundRight,
    /// Behind 120 degrees (7.1's rear pair, a rear centre).
    RearLeft,
    RearRight,
    RearCentre,
    /// Any other position (wides, heights, front centres): weighted 1.0.
    Other,
}

/// The +1.5 dB weight of surround channels.
pub const WEIGHT_SURROUND: f64 = 1.41;

impl ChannelRole {
    pub fn weight(self) -> f64 {
        match self {
            ChannelRole::Lfe => 0.0,
            ChannelRole::SurroundLeft | ChannelRole::SurroundRight => WEIGHT_SURROUND,
            _ => 1.0,
        }
    }

    /// The usual short label (L, R, C, LFE, Ls, Rs, Lrs, Rrs, Cs, other).
    pub fn label(self) -> &'static str {
        match self {
            ChannelRole::Left => "L",
            ChannelRole::Right => "R",
            ChannelRole::Centre => "C",
            ChannelRole::Lfe => "LFE",
            ChannelRole::SurroundLeft => "Ls",
            ChannelRole::SurroundRight => "Rs",
            ChannelRole::RearLeft => "Lrs",
            ChannelRole::RearRight => "Rrs",
            ChannelRole::RearCentre => "Cs",
            ChannelRole::Other => "other",
        }
    }

    /// The layout a file without a channel mask is taken to have (the WAV/SMPTE order, with
    /// no LFE below 6 channels, as libebur128): 1 mono, 2 L R, 3 L R C, 4 L R Ls Rs,
    /// 5 L R C Ls Rs, 6 5.1, 7 6.1, 8 7.1. The table is in the module docs.
    pub fn default_layout(channels: usize) -> Vec<ChannelRole> {
        use ChannelRole::*;
        match channels {
            1 => vec![Centre],
            2 => vec![Left, Right],
            3 => vec![Left, Right, Centre],
            4 => vec![Left, Right, SurroundLeft, SurroundRight],
            5 => vec![Left, Right, Centre, SurroundLeft, SurroundRight],
            6 => vec![Left, Right, Centre, Lfe, SurroundLeft, SurroundRight],
            7 => vec![
                Left,
                Right,
                Centre,
                Lfe,
                RearCentre,
                SurroundLeft,
                SurroundRight,
            ],
            8 => vec![
                Left,
                Right,
                Centre,
                Lfe,
                RearLeft,
                RearRight,
                SurroundLeft,
                SurroundRight,
            ],
            n => vec![Other; n],
        }
    }
}

/// The weights of a layout, in channel order.
pub fn weights(layout: &[ChannelRole]) -> Vec<f64> {
    layout.iter().map(|r| r.weight()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_bs1770() {
        let five_one = ChannelRole::default_layout(6);
        assert_eq!(weights(&five_one), [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]);
        let seven_one = ChannelRole::default_layout(8);
        assert_eq!(
            weights(&seven_one),
            [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.41, 1.41]
        );
        assert_eq!(weights(&ChannelRole::default_layout(2)), [1.0, 1.0]);
        // +1.5 dB, as Table 3 rounds it.
        assert!((10.0 * WEIGHT_SURROUND.log10() - 1.5).abs() < 0.01);
    }
}
