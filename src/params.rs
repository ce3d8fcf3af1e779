//! Host-visible parameters.
//!
//! Parameter IDs are stable strings: they name the parameter in saved projects and automation
//! lanes, so they must never change once released. Later settings (targets, reference curves,
//! editor size) are added here as persisted fields.

use crate::measurement::SavedMeasurement;
use nice_plug::prelude::*;

/// Stable parameter ID of the mono check. Part of saved state and host automation.
pub const MONO_CHECK_ID: &str = "mono_check";
/// Stable parameter ID of "reset the measurement when the transport starts".
pub const RESET_ON_PLAY_ID: &str = "reset_on_play";

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
    /// The measurement running when the project was saved (see [`crate::measurement`]).
    #[persist = "last-measurement"]
    pub last_measurement: SavedMeasurement,
}

impl Default for MixmeterParams {
    fn default() -> Self {
        Self {
            mono_check: BoolParam::new("Mono Check", false),
            reset_on_play: BoolParam::new("Reset on Play", true),
            last_measurement: SavedMeasurement::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_stable_ids() {
        let params = MixmeterParams::default();
        assert!(!params.mono_check.value());
        assert_eq!(params.mono_check.name(), "Mono Check");
        assert!(params.reset_on_play.value());
        assert_eq!(params.reset_on_play.name(), "Reset on Play");
        let ids: Vec<String> = params
            .param_map()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(
            ids,
            vec![MONO_CHECK_ID.to_string(), RESET_ON_PLAY_ID.to_string()]
        );
    }
}
