#!/usr/bin/env bash
# Runs every test tier: installs what is missing (Debian packages, a Python venv in target/venv),
# builds the release bundles and a debug bundle with nice-plug's assert_process_allocs, then
# runs the unit tests, the CLAP host tests (clack-host) and the VST3 host tests (pedalboard)
# against both bundles, then the fuzz targets for 60 s each (MIXMETER_FUZZ_SECONDS). Extra
# arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/prerequisites.sh
ensure_test_tools
cargo xtask test "$@"
