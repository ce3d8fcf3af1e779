#!/usr/bin/env bash
# Builds Mixmeter's release VST3 and CLAP bundles and installs them where hosts look for plugins
# (~/.vst3 and ~/.clap on Linux). Needs a Rust toolchain (1.85 or newer) and a C linker.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/prerequisites.sh
ensure_build_tools
cargo xtask install
