#!/usr/bin/env bash
# The long run of tests/test_vcs_property.py: random sequences of make/destroy entity,
# generate, user edits, commits, `git checkout . && git clean -fd`, `git stash -u`, branch
# switches and a deleted format cache, each followed by `forge generate` and a truthful
# `forge generate --check`. The suite runs 100 sequences; this runs N (default 2000) and
# migrates + `alembic check`s every M-th (default 5).
#
#   tests/scripts/vcs_property.sh [N] [M]
set -euo pipefail
cd "$(dirname "$0")/../.."
export FORGE_VCS_EXAMPLES="${1:-2000}" FORGE_VCS_MIGRATE_EVERY="${2:-5}"
exec python -m pytest -n 0 -p no:cacheprovider tests/test_vcs_property.py -q \
  --hypothesis-show-statistics --hypothesis-seed="${FORGE_VCS_SEED:-0}"
