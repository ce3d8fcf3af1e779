//! The command-line analyzer as the plugin's tests run it: the `mixmeter` binary of the
//! `mixmeter-cli` package, next to this test's own binary (`target/<profile>/`). `cargo test
//! --workspace` (what `./test.sh` runs) builds it before any test starts, since the analyzer's
//! own integration tests need it; a test target run on its own needs `cargo build -p
//! mixmeter-cli` first (with `--release` for release tests).

use std::path::PathBuf;

#[allow(dead_code)] // Not every test target that shares `common` runs the analyzer.
pub fn mixmeter_cli() -> PathBuf {
    let test = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test> -> target/<profile>/mixmeter
    let profile = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let cli = profile.join(format!("mixmeter{}", std::env::consts::EXE_SUFFIX));
    assert!(
        cli.is_file(),
        "{} is missing: run the tests with `cargo test --workspace` (./test.sh does), or `cargo \
         build -p mixmeter-cli` first",
        cli.display()
    );
    cli
}
