#!/usr/bin/env bash
# The black-stability property test (tests/test_black_stable_property.py) at a larger
# scale than the suite runs it: random specs (every field type and option, every relation
# kind, both ORMs, long and hostile names and literals), rendered in-process; every file
# forge would write without running black (generator/format.py: may_change) must be
# exactly what black writes.
#
#   tests/scripts/black_stable_property.sh [EXAMPLES]   (default 5000)
#
# Unlike the suite (derandomized: the same 200 examples every run), this run draws new
# examples each time (FORGE_BLACK_RANDOM=1); hypothesis prints the seed of a failure.
# It needs no server; it takes about 0.15 s of CPU per example.
set -euo pipefail
cd "$(dirname "$0")/../.."
export FORGE_BLACK_EXAMPLES="${1:-5000}"
export FORGE_BLACK_RANDOM=1
exec python -m pytest -n 0 -p no:cacheprovider -q tests/test_black_stable_property.py
