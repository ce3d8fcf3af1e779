//! Mixmeter's core: the measurements of a mix meter and the diagnosis built on them, with no
//! plugin or GUI dependency. The Mixmeter plugin (VST3/CLAP) and the `mixmeter` command-line
//! analyzer are both built on this crate; another Rust audio project can use it the same way.
//!
//! - [`meter`]: the allocation-free, real-time meter core: momentary, short-term and integrated
//!   loudness and loudness range (ITU-R BS.1770-5, EBU R128, Tech 3341, Tech 3342), true peak
//!   (BS.1770-5 Annex 2), stereo correlation and balance, and the spectrum. Sized at
//!   construction; `process()` never allocates, locks or panics.
//! - [`diagnosis`]: what the numbers mean for a mix: delivery targets and what each streaming
//!   platform's normalization does, dynamics, mono compatibility, tonal balance against a
//!   reference, the checklists and ranked suggestions.
//! - [`reference`](mod@reference): reference curves (built-in slopes, curve files, curves built from audio).
//! - [`decode`]: audio files to planar `f32` (symphonia, plus Wave64), with each channel's role.
//! - [`analysis`]: one pipeline from a file to every reading ([`analysis::analyze_file`]).
//! - [`session`]: every track of a mix on one time base: gain staging, region shares, masking.
//! - [`smoothing`]: 1/N-octave smoothing, log grids and the display tilt, off the audio thread.
//! - [`measurement`]: a measurement's saved summary; [`normalize`]: gain to a target with an
//!   optional true-peak limiter, written as WAV.
//!
//! Measure a file:
//!
//! ```no_run
//! use mixmeter_core::analysis::{Options, analyze_file};
//!
//! let a = analyze_file("mix.wav".as_ref(), &Options::default())?;
//! println!("{:?} LUFS, {:?} dBTP", a.readings.integrated_lufs, a.readings.max_true_peak_dbtp);
//! # Ok::<(), mixmeter_core::analysis::AnalysisError>(())
//! ```
//!
//! Meter a stream in real time (see `examples/` for whole programs):
//!
//! ```
//! use mixmeter_core::meter::engine::{Meter, MeterConfig};
//!
//! let mut meter = Meter::new(MeterConfig::new(48_000.0, 2)).unwrap();
//! let block = vec![0.25f32; 4_800];
//! meter.process(&[&block, &block]);
//! let r = meter.readings();
//! assert!(r.max_sample_peak_dbfs.unwrap() < -12.0);
//! ```

#![warn(missing_debug_implementations)]

pub mod analysis;
pub mod decode;
pub mod diagnosis;
pub mod measurement;
pub mod meter;
pub mod normalize;
pub mod reference;
pub mod session;
pub mod smoothing;
