#!/usr/bin/env bash
# The editor_frame bench with the screen-reader bridge connected to a real AT-SPI adapter: a
# private D-Bus session (dbus-run-session) with accessibility turned on, as Orca turns it on.
# Needs dbus-daemon, at-spi2-core, python3-gi and gir1.2-atspi-2.0 (test.sh installs them).
# Extra arguments go to the bench (a criterion filter, e.g. screen_reader).
set -euo pipefail
cd "$(dirname "$0")/.."
python=/usr/bin/python3
[ -x "$python" ] || python=python3
exec dbus-run-session -- bash -c '
  "$0" tests/a11y/atspi_client.py enable >/dev/null
  cargo bench --bench editor_frame -- "$@"
' "$python" "$@"
