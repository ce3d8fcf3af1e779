//! The meter core: allocation-free measurements that know nothing of plugins, GUIs or files.
//!
//! Each measurement is one module with `new` / `reset` / `process`, its specification clause in
//! the module docs and its tests beside it. Memory is sized at construction; `process()` never
//! allocates, locks, logs or panics.

pub mod clips;
pub mod engine;
pub mod fold;
pub mod gating;
pub mod kweight;
pub mod layout;
pub mod moments;
pub mod spectrum;
pub mod stereo;
pub mod truepeak;

/// The largest channel count the core measures: 7.1.4 ([`layout::BusLayout::Surround714`]).
pub const MAX_CHANNELS: usize = layout::BusLayout::MAX_CHANNELS;

/// Which compiled variant of the hot loops this CPU runs. The portable kernels are the
/// reference; on x86-64 CPUs with AVX2 and FMA the same loops compiled for those are chosen at
/// run time (FMA rounds once per multiply-add instead of twice, so results differ from the
/// portable kernels in the last bits; tests bound the difference). On CPUs with AVX-512F as
/// well, the true-peak screen runs sixteen lanes wide instead of eight (the same operations
/// per lane, so the same results as the AVX2 kernels); everything else runs the AVX2 kernels.
///
/// The type is opaque so that safe code cannot select a kernel the CPU does not run: a
/// `Kernel` is either [`Kernel::PORTABLE`] or one that [`Kernel::detect`],
/// [`Kernel::avx2_fma`] or [`Kernel::avx512`] has checked the CPU for (the meter's `unsafe` calls of
/// `#[target_feature]` functions rely on that). Naming the AVX2 kernel directly does not
/// compile:
///
/// ```compile_fail
/// use mixmeter_core::meter::{Kernel, kweight::KWeighting};
/// let unchecked = Kernel(mixmeter_core::meter::Variant::Avx2Fma);
/// let _ = KWeighting::with_kernel(48_000.0, unchecked);
/// ```
///
/// ```
/// use mixmeter_core::meter::{Kernel, kweight::KWeighting};
/// let kernel = Kernel::avx2_fma().unwrap_or(Kernel::PORTABLE);
/// let _ = KWeighting::with_kernel(48_000.0, kernel);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kernel(Variant);

/// The kernels, for matching inside the core only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// [`Variant::Avx2Fma`] with the true-peak screen in AVX-512F (never constructed by a
    /// build without it, see build.rs).
    #[cfg(target_arch = "x86_64")]
    #[cfg_attr(not(mixmeter_avx512), allow(dead_code))]
    Avx512,
}

impl Kernel {
    /// The portable kernels, on every CPU.
    pub const PORTABLE: Kernel = Kernel(Variant::Portable);

    /// The fastest variant this CPU runs; the environment variable `MIXMETER_KERNEL` set to
    /// `portable` or `avx2` caps it there (how the tests and benches measure the path of CPUs
    /// without AVX2 and FMA, or without AVX-512, on one that has them).
    pub fn detect() -> Kernel {
        let cap = std::env::var_os("MIXMETER_KERNEL");
        if cap.as_ref().is_some_and(|v| v == "portable") {
            return Kernel::PORTABLE;
        }
        if cap.as_ref().is_some_and(|v| v == "avx2") {
            return Kernel::avx2_fma().unwrap_or(Kernel::PORTABLE);
        }
        Kernel::avx512()
            .or_else(Kernel::avx2_fma)
            .unwrap_or(Kernel::PORTABLE)
    }

    /// The AVX2 and FMA kernels with the AVX-512F screen, if this CPU has all three (`None`
    /// elsewhere).
    /// The AVX-512 screen is compiled by Rust 1.89 and later (build.rs); a build by an
    /// older compiler returns `None` everywhere.
    pub fn avx512() -> Option<Kernel> {
        #[cfg(all(target_arch = "x86_64", mixmeter_avx512))]
        if Kernel::avx2_fma().is_some() && std::arch::is_x86_feature_detected!("avx512f") {
            return Some(Kernel(Variant::Avx512));
        }
        None
    }

    /// The AVX2 and FMA kernels, if this CPU has both (`None` elsewhere).
    pub fn avx2_fma() -> Option<Kernel> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Some(Kernel(Variant::Avx2Fma));
        }
        None
    }

    pub(crate) fn variant(self) -> Variant {
        self.0
    }

    /// A short name for reports and bench ids.
    pub fn name(self) -> &'static str {
        match self.0 {
            Variant::Portable => "portable",
            #[cfg(target_arch = "x86_64")]
            Variant::Avx2Fma => "avx2",
            #[cfg(target_arch = "x86_64")]
            Variant::Avx512 => "avx512",
        }
    }
}

/// The frames of a planar block: its shortest channel among the first `channels`.
pub(crate) fn block_frames<C: AsRef<[f32]>>(block: &[C], channels: usize) -> usize {
    block[..channels.min(block.len())]
        .iter()
        .map(|c| c.as_ref().len())
        .min()
        .unwrap_or(0)
}

/// Converts a linear amplitude to dBFS; 0 (silence) is `-inf`, which callers present as
/// "no value".
pub fn gain_to_db(gain: f32) -> f32 {
    if gain > 0.0 {
        20.0 * gain.log10()
    } else {
        f32::NEG_INFINITY
    }
}
