//! The session view's analysis: every track of a mix measured on one time base, and what the
//! mixing guides read from them (gain staging, who fills each region, masking pairs, peaks
//! that coincide on the master).
//!
//! - [`frame`]: the compact summary one track publishes per short frame ([`frame::TrackFrame`]),
//!   the same for a plugin instance on a track (through shared memory) and for a stem file.
//! - [`summarize`]: a track's audio to frames ([`summarize::FrameSummarizer`], real-time safe).
//! - [`analysis`]: the tracks' frames read together ([`analysis::analyze_session`]), off the
//!   audio thread, from [`staging`], [`fill`], [`masking`] and [`coincidence`].
//! - [`synth`]: synthetic stems with known masking, for tests.

pub mod analysis;
pub mod coincidence;
pub mod fill;
pub mod frame;
pub mod masking;
pub mod staging;
pub mod summarize;
pub mod synth;
#[cfg(test)]
mod tests;

pub use analysis::{SessionOptions, SessionReport, TrackReadings, TrackSeries, analyze_session};
pub use frame::TrackFrame;
pub use summarize::FrameSummarizer;
