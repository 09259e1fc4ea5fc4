"""An independent fuzzer (schemathesis) against the generated API finds nothing.

Each case generates a project, migrates a fresh database, serves the app with uvicorn on
a free port and runs `schemathesis run --checks all --exclude-checks unsupported_method`
with a fixed seed (tests/scripts/fuzz_api.py). The suite runs each spec on one database
with a few examples per operation and without schemathesis' slow `coverage` phase; the
script runs the whole matrix (3 specs x 3 databases, every phase, 40 examples per
operation): `python tests/scripts/fuzz_api.py`.
"""

from __future__ import annotations

import importlib.util

import pytest

from tests.helpers import ROOT
from tests.servers import server

_spec = importlib.util.spec_from_file_location(
    "fuzz_api", ROOT / "tests" / "scripts" / "fuzz_api.py"
)
assert _spec is not None and _spec.loader is not None
fuzz_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz_api)

CASES = [("all_types", "sqlite", 10), ("blog", "postgresql", 5), ("shop", "mysql", 5)]


@pytest.mark.parametrize(("spec", "database", "examples"), CASES, ids=[c[0] for c in CASES])
def test_schemathesis_finds_no_failure(spec: str, database: str, examples: int) -> None:
    if database != "sqlite":
        server(database)  # skipped (or failed in CI) without the server
    code, output = fuzz_api.fuzz(
        fuzz_api.SPECS[spec], database, examples, seed=1, phases="examples,fuzzing,stateful"
    )
    assert code == 0, output[-30000:]
    assert "failures" not in output.splitlines()[-1], output[-5000:]
