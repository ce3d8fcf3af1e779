#!/usr/bin/env bash
# Runs the real-recordings tier (tests/real_recordings/) and puts its table of figures per file
# class (worst absolute difference per quantity, failures in bold) into docs/testing.md between the
# real-recordings-table markers. The table is also left in target/real-recordings/table.md, the
# failures in target/real-recordings/failures.md and every reading in results.json beside them.
# The tier's own verdict does not stop the table: a failing check is part of the figures.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo test --test real_recordings -- --nocapture
status=$?
table=target/real-recordings/table.md
[ -f "$table" ] || { echo "no $table: the tier did not get to measure" >&2; exit 1; }
python3 - "$table" <<'PY'
import re, sys
table = open(sys.argv[1]).read().strip()
readme = open("docs/testing.md").read()
start, end = "<!-- real-recordings-table:start -->", "<!-- real-recordings-table:end -->"
if start not in readme or end not in readme:
    sys.exit("docs/testing.md has no real-recordings-table markers")
before, rest = readme.split(start, 1)
_, after = rest.split(end, 1)
open("docs/testing.md", "w").write(f"{before}{start}\n{table}\n{end}{after}")
PY
echo "docs/testing.md updated from $table (tier exit status $status)"
