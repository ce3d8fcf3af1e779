//! Sets `mixmeter_avx512` when the compiler has the AVX-512 intrinsics and target feature
//! (stable since Rust 1.89). Older compilers, such as Debian's 1.85, build the same crate
//! without the AVX-512 true-peak screen: `Kernel::avx512` is then `None` and the AVX2 kernels
//! run on every x86-64 CPU that has AVX2 and FMA.

use std::process::Command;

/// First minor version of Rust 1 with stable AVX-512F intrinsics.
const AVX512_SINCE_MINOR: u32 = 89;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(mixmeter_avx512)");
    println!("cargo::rerun-if-env-changed=RUSTC");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .unwrap_or_default();
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let minor = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    if minor.is_some_and(|m| m >= AVX512_SINCE_MINOR) {
        println!("cargo::rustc-cfg=mixmeter_avx512");
    }
}
