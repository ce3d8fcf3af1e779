//! From readings to findings, shared by the editor and the CLI:
//!
//! - [`tonal`]: the mix's long-term spectrum against a reference curve, region by region
//!   ([`compare_tonal`]; its names are re-exported here);
//! - [`platforms`]: delivery targets and what each streaming platform's normalization does;
//! - [`dynamics`]: whether the mix is squashed; [`stereo`]: mono compatibility;
//! - [`checks`]: the checklists; [`suggestions`]: the ranked suggestions;
//!   [`compare`]: a mix against a frozen version of itself.

pub mod checks;
pub mod compare;
pub mod dynamics;
pub mod platforms;
pub mod stereo;
pub mod suggestions;
pub mod tonal;

pub use tonal::*;
