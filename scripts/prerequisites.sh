# Shared by install.sh and test.sh: installs what a fresh Debian/Ubuntu machine lacks.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages given as arguments that are not installed yet.
ensure_debian_packages() {
  command -v dpkg-query >/dev/null 2>&1 || return 0   # not Debian/Ubuntu: nothing to do
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

ensure_build_tools() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo was not found. Install Rust 1.85 or newer (rustup), then run this again." >&2
    exit 1
  fi
  # The plugin loads X11 and OpenGL at run time, so building needs only a C linker.
  command -v cc >/dev/null 2>&1 || ensure_debian_packages gcc libc6-dev
}

ensure_test_tools() {
  ensure_build_tools
  command -v python3 >/dev/null 2>&1 || ensure_debian_packages python3
  # Debian's python3 needs python3-venv for `python3 -m venv`; other Pythons ship it.
  python3 -c "import venv, ensurepip" >/dev/null 2>&1 || ensure_debian_packages python3-venv
  # The editor tests embed the real editor in an X11 window on Xvfb; the plugin loads X11,
  # xkbcommon and EGL/GL at run time, rendered by Mesa's software rasterizer.
  ensure_debian_packages xvfb xauth libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0 \
    libegl1 libegl-mesa0 libgl1 libglx-mesa0 libgl1-mesa-dri
  # The screen-reader tests (tests/clap_a11y.rs) read the editor through AT-SPI as Orca does: a
  # private D-Bus session (dbus-daemon), the accessibility bus and registry (at-spi2-core), and
  # an AT-SPI client on Debian's Python with the Atspi typelib (python3-gi, gir1.2-atspi-2.0).
  ensure_debian_packages dbus-daemon at-spi2-core python3 python3-gi gir1.2-atspi-2.0
  # The analyzer tests encode real FLAC, AIFF, MP3, Ogg Vorbis, AAC and ALAC files with
  # ffmpeg (and the speed comparison runs its ebur128 filter).
  ensure_debian_packages ffmpeg
  # The real-recordings tier (tests/real_recordings/): `apt-get download` of Debian packages
  # with free recordings (apt-get update ran above when anything was installed), timidity with
  # freepats to render MIDI songs and stems, libebur128 and libsoxr (the resampler inside sox) as
  # independent meters.
  ensure_debian_packages timidity freepats libebur128-dev libsoxr-dev
}
