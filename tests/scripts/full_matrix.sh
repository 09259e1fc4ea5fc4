#!/usr/bin/env bash
# The spec-feature end-to-end tests on all six (ORM, database) pairs each. In `.ci/run`
# each feature runs every database once with the ORMs taking turns (tests/helpers.py
# orm_kind_pairs), which covers every pair across the features; this runs the full matrix.
set -euo pipefail
cd "$(dirname "$0")/../.."
FORGE_FULL_MATRIX=1 python -m pytest tests/test_keys.py tests/test_constraints.py \
  tests/test_links.py tests/test_cycles.py "$@"
