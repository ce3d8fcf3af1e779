//! Host-visible parameters.
//!
//! Parameter IDs are stable strings: they name the parameter in saved projects and automation
//! lanes, so they must never change once released. Later settings (targets, reference curves,
//! editor size) are added here as persisted fields.

use nice_plug::prelude::*;

/// Stable parameter ID of the mono check. Part of saved state and host automation.
pub const MONO_CHECK_ID: &str = "mono_check";

#[derive(Params)]
pub struct MixmeterParams {
    /// Mono check: when on, both outputs carry (L+R)/2 (see [`crate::monitor::MonoCheck`]).
    /// The meters keep measuring the unfolded stereo input. Written by the host or the editor,
    /// read by the audio thread at each (sub-)block.
    #[id = "mono_check"]
    pub mono_check: BoolParam,
}

impl Default for MixmeterParams {
    fn default() -> Self {
        Self {
            mono_check: BoolParam::new("Mono Check", false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_check_is_off_by_default_and_named() {
        let params = MixmeterParams::default();
        assert!(!params.mono_check.value());
        assert_eq!(params.mono_check.name(), "Mono Check");
        let ids: Vec<String> = params
            .param_map()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(ids, vec![MONO_CHECK_ID.to_string()]);
    }
}
