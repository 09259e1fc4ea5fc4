#!/usr/bin/env bash
# The generated-name property test (tests/test_generated_names_property.py) at a larger
# scale than the suite runs it: random specs with dangerous names (keywords, builtins,
# ORM names, generated class names, names at each database's limits), each accepted one
# generated, migrated up and down, `alembic check`ed and tested on SQLite, PostgreSQL and
# MariaDB; each refused one must be a single line.
#
#   tests/scripts/name_property.sh [SQLITE_EXAMPLES] [SERVER_EXAMPLES]   (default 1000 200)
#
# Unlike the suite (derandomized: the same examples every run), this run draws new
# examples each time (FORGE_NAME_RANDOM=1); hypothesis prints the seed of a failure.
# It needs both servers (see tests/servers.py); it takes about 5 s of CPU per example.
set -euo pipefail
cd "$(dirname "$0")/../.."
export FORGE_NAME_EXAMPLES="${1:-1000}"
export FORGE_NAME_SERVER_EXAMPLES="${2:-200}"
export FORGE_NAME_RANDOM=1
export FORGE_REQUIRE_DATABASES=1
exec python -m pytest -n 3 --dist loadgroup -p no:cacheprovider -q \
  tests/test_generated_names_property.py
