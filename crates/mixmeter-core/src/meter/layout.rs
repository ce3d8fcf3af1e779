//! Channel roles and their weights in the loudness sum (ITU-R BS.1770-5, Annex 1, clause 2.4 and
//! Table 3; the rule for the loudspeaker positions of Recommendation ITU-R BS.2051).
//!
//! Each channel's mean square is weighted before the sum: 1.0 (0 dB) for channels in front,
//! 1.41 (+1.5 dB) for channels below 30 degrees elevation at an azimuth between 60 and 120
//! degrees (the surrounds of 5.1 at +-110, the side pair of 7.1 at +-90), 1.0 for those further
//! back (the rear pair of 7.1 at +-135 to +-150) or above; the LFE channel is excluded (0).
//! Height channels (the four upper-layer loudspeakers of 7.1.4, BS.2051 System J, at 30 to 55
//! degrees elevation) are "elevation 30 degrees or more" in Table 3 of BS.1770-5 (as in -4,
//! where the table first appeared): weight 1.0 (0 dB), whatever their azimuth.
//! `Meter` takes the weights through `MeterConfig::with_weights`; the analyzer builds them from
//! the file's channel mask, the plugin from the host's layout ([`BusLayout`]).
//!
//! ## The plugin's buses
//!
//! A host tells the plugin only how many channels its bus has (nice-plug passes the channel
//! count and nothing else; see `docs/surround.md`), so each count the plugin offers is one
//! layout, in the channel order CLAP hosts, VST3 speaker arrangements and WAVE files share
//! (the order of the WAVE channel-mask bits: front, LFE, back, side, then heights):
//!
//! | bus    | channels | order                                   |
//! |--------|----------|-----------------------------------------|
//! | mono   | 1        | C                                       |
//! | stereo | 2        | L R                                     |
//! | 5.0    | 5        | L R C Ls Rs                             |
//! | 5.1    | 6        | L R C LFE Ls Rs                         |
//! | 7.0    | 7        | L R C Lrs Rrs Ls Rs                     |
//! | 7.1    | 8        | L R C LFE Lrs Rrs Ls Rs                 |
//! | 7.1.4  | 12       | L R C LFE Lrs Rrs Ls Rs Ltf Rtf Ltr Rtr |
//!
//! (In 7.x, Ls Rs are the side pair at +-90 degrees, weight 1.41; Lrs Rrs the rear pair at
//! +-135 to +-150, weight 1.0.)
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
    /// The upper layer of 7.1.4 (front and rear height pairs, 30 degrees elevation or more):
    /// weighted 1.0.
    TopFrontLeft,
    TopFrontRight,
    TopRearLeft,
    TopRearRight,
    /// Any other position (wides, front centres): weighted 1.0.
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
            ChannelRole::TopFrontLeft => "Ltf",
            ChannelRole::TopFrontRight => "Rtf",
            ChannelRole::TopRearLeft => "Ltr",
            ChannelRole::TopRearRight => "Rtr",
            ChannelRole::Other => "other",
        }
    }

    /// The side of the listener a channel plays on, for folding it down: -1 left, 0 middle
    /// (C, LFE, rear centre, unknown), +1 right.
    pub fn side(self) -> i8 {
        use ChannelRole::*;
        match self {
            Left | SurroundLeft | RearLeft | TopFrontLeft | TopRearLeft => -1,
            Right | SurroundRight | RearRight | TopFrontRight | TopRearRight => 1,
            Centre | Lfe | RearCentre | Other => 0,
        }
    }

    /// The layout a file without a channel mask is taken to have (the WAV/SMPTE order, with
    /// no LFE below 6 channels, as libebur128): 1 mono, 2 L R, 3 L R C, 4 L R Ls Rs,
    /// 5 L R C Ls Rs, 6 5.1, 7 6.1, 8 7.1. The table is in the module docs.
    pub fn default_layout(channels: usize) -> Vec<ChannelRole> {
        use ChannelRole::*;
        match channels {
            1 => BusLayout::Mono.roles().to_vec(),
            2 => BusLayout::Stereo.roles().to_vec(),
            3 => vec![Left, Right, Centre],
            4 => vec![Left, Right, SurroundLeft, SurroundRight],
            5 => BusLayout::Surround50.roles().to_vec(),
            6 => BusLayout::Surround51.roles().to_vec(),
            7 => vec![
                Left,
                Right,
                Centre,
                Lfe,
                RearCentre,
                SurroundLeft,
                SurroundRight,
            ],
            8 => BusLayout::Surround71.roles().to_vec(),
            n => vec![Other; n],
        }
    }
}

/// The buses the plugin offers: one per channel count (see the module docs for the order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BusLayout {
    Mono,
    Stereo,
    Surround50,
    Surround51,
    Surround70,
    Surround71,
    Surround714,
}

impl BusLayout {
    /// Every bus, in the order the plugin offers them (stereo first: the default).
    pub const ALL: [BusLayout; 7] = [
        BusLayout::Stereo,
        BusLayout::Mono,
        BusLayout::Surround50,
        BusLayout::Surround51,
        BusLayout::Surround70,
        BusLayout::Surround71,
        BusLayout::Surround714,
    ];

    /// The most channels of any bus.
    pub const MAX_CHANNELS: usize = 12;

    /// The bus with `channels` channels, if the plugin offers one.
    pub fn from_channels(channels: usize) -> Option<BusLayout> {
        BusLayout::ALL
            .into_iter()
            .find(|b| b.channels() == channels)
    }

    pub const fn channels(self) -> usize {
        self.roles().len()
    }

    /// Where each channel plays, in the host's channel order.
    pub const fn roles(self) -> &'static [ChannelRole] {
        use ChannelRole::*;
        match self {
            BusLayout::Mono => &[Centre],
            BusLayout::Stereo => &[Left, Right],
            BusLayout::Surround50 => &[Left, Right, Centre, SurroundLeft, SurroundRight],
            BusLayout::Surround51 => &[Left, Right, Centre, Lfe, SurroundLeft, SurroundRight],
            BusLayout::Surround70 => &[
                Left,
                Right,
                Centre,
                RearLeft,
                RearRight,
                SurroundLeft,
                SurroundRight,
            ],
            BusLayout::Surround71 => &[
                Left,
                Right,
                Centre,
                Lfe,
                RearLeft,
                RearRight,
                SurroundLeft,
                SurroundRight,
            ],
            BusLayout::Surround714 => &[
                Left,
                Right,
                Centre,
                Lfe,
                RearLeft,
                RearRight,
                SurroundLeft,
                SurroundRight,
                TopFrontLeft,
                TopFrontRight,
                TopRearLeft,
                TopRearRight,
            ],
        }
    }

    /// The name hosts show for the bus ("5.1 surround").
    pub const fn name(self) -> &'static str {
        match self {
            BusLayout::Mono => "Mono",
            BusLayout::Stereo => "Stereo",
            BusLayout::Surround50 => "5.0 surround",
            BusLayout::Surround51 => "5.1 surround",
            BusLayout::Surround70 => "7.0 surround",
            BusLayout::Surround71 => "7.1 surround",
            BusLayout::Surround714 => "7.1.4 immersive",
        }
    }

    /// More than two channels: the fold-down replaces the mono check.
    pub fn is_surround(self) -> bool {
        self.channels() > 2
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

    #[test]
    fn plugin_buses_have_one_layout_per_channel_count_with_bs1770_weights() {
        use ChannelRole::*;
        let expected: [(usize, &[f64]); 7] = [
            (2, &[1.0, 1.0]),
            (1, &[1.0]),
            (5, &[1.0, 1.0, 1.0, 1.41, 1.41]),
            (6, &[1.0, 1.0, 1.0, 0.0, 1.41, 1.41]),
            (7, &[1.0, 1.0, 1.0, 1.0, 1.0, 1.41, 1.41]),
            (8, &[1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.41, 1.41]),
            (
                12,
                &[1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.41, 1.41, 1.0, 1.0, 1.0, 1.0],
            ),
        ];
        for (bus, (channels, w)) in BusLayout::ALL.into_iter().zip(expected) {
            assert_eq!(bus.channels(), channels, "{bus:?}");
            assert_eq!(BusLayout::from_channels(channels), Some(bus));
            assert_eq!(weights(bus.roles()), w, "{bus:?}");
        }
        assert_eq!(BusLayout::from_channels(3), None);
        assert_eq!(BusLayout::from_channels(0), None);
        // The plugin's 5.1 and 7.1 are the WAVE orders the analyzer assumes for 6 and 8
        // channels without a mask; 5.0 is the EBU's 5-channel order.
        for channels in [2, 5, 6, 8] {
            assert_eq!(
                BusLayout::from_channels(channels).unwrap().roles(),
                ChannelRole::default_layout(channels)
            );
        }
        let labels: Vec<&str> = BusLayout::Surround714
            .roles()
            .iter()
            .map(|r| r.label())
            .collect();
        assert_eq!(
            labels,
            [
                "L", "R", "C", "LFE", "Lrs", "Rrs", "Ls", "Rs", "Ltf", "Rtf", "Ltr", "Rtr"
            ]
        );
        assert!(
            BusLayout::ALL
                .iter()
                .all(|b| b.channels() <= BusLayout::MAX_CHANNELS)
        );
        assert_eq!(
            BusLayout::Surround714
                .roles()
                .iter()
                .filter(|r| r.side() < 0)
                .count(),
            5
        );
        assert_eq!(TopRearRight.side(), 1);
    }
}
