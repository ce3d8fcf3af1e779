//! The channel order of surround ports, for the `clap.surround` extension and the
//! `CLAP_PORT_SURROUND` port type.
//!
//! nice-plug passes plugins a channel count and nothing else, so each surround channel count
//! has one fixed channel map: the WAVE/SMPTE order most CLAP hosts use, which is also the VST3
//! wrapper's order for these counts (`k50`, `k51`, `k70Music`, `k71Music`, `k71_4`).

use clap_sys::ext::surround::{
    CLAP_SURROUND_BL, CLAP_SURROUND_BR, CLAP_SURROUND_FC, CLAP_SURROUND_FL, CLAP_SURROUND_FR,
    CLAP_SURROUND_LFE, CLAP_SURROUND_SL, CLAP_SURROUND_SR, CLAP_SURROUND_TBL, CLAP_SURROUND_TBR,
    CLAP_SURROUND_TFL, CLAP_SURROUND_TFR,
};

const FL: u8 = CLAP_SURROUND_FL as u8;
const FR: u8 = CLAP_SURROUND_FR as u8;
const FC: u8 = CLAP_SURROUND_FC as u8;
const LFE: u8 = CLAP_SURROUND_LFE as u8;
const BL: u8 = CLAP_SURROUND_BL as u8;
const BR: u8 = CLAP_SURROUND_BR as u8;
const SL: u8 = CLAP_SURROUND_SL as u8;
const SR: u8 = CLAP_SURROUND_SR as u8;
const TFL: u8 = CLAP_SURROUND_TFL as u8;
const TFR: u8 = CLAP_SURROUND_TFR as u8;
const TBL: u8 = CLAP_SURROUND_TBL as u8;
const TBR: u8 = CLAP_SURROUND_TBR as u8;

/// The channel map of a surround port of `channel_count` channels (5.0, 5.1, 7.0, 7.1 and
/// 7.1.4), or `None` for other counts (mono and stereo ports have their own port types).
pub fn channel_map(channel_count: u32) -> Option<&'static [u8]> {
    match channel_count {
        5 => Some(&[FL, FR, FC, BL, BR]),
        6 => Some(&[FL, FR, FC, LFE, BL, BR]),
        7 => Some(&[FL, FR, FC, BL, BR, SL, SR]),
        8 => Some(&[FL, FR, FC, LFE, BL, BR, SL, SR]),
        12 => Some(&[FL, FR, FC, LFE, BL, BR, SL, SR, TFL, TFR, TBL, TBR]),
        _ => None,
    }
}

/// The channel mask (`1 << CLAP_SURROUND_*` of every channel) of [`channel_map()`].
pub fn channel_mask(channel_count: u32) -> Option<u64> {
    channel_map(channel_count).map(|map| map.iter().fold(0, |mask, &c| mask | (1u64 << c)))
}

/// Whether a host's `channel_mask` puts the channels of a port of `channel_count` channels in
/// the order of [`channel_map()`]: its own mask, or for 5.0 and 5.1 the same with the surround
/// pair as side channels (SL SR instead of BL BR, "5.1 (side)"), whose channels come in the
/// same places.
pub fn is_channel_mask_of(channel_count: u32, channel_mask: u64) -> bool {
    let Some(mask) = self::channel_mask(channel_count) else {
        return false;
    };
    let back_pair = (1u64 << BL) | (1u64 << BR);
    let side_pair = (1u64 << SL) | (1u64 << SR);
    channel_mask == mask
        || (matches!(channel_count, 5 | 6) && channel_mask == (mask & !back_pair) | side_pair)
}
