"""The shop example is the Chinook sample database: every Chinook row loads into the
generated schema, with foreign keys enforced, and reads back through the generated ORM.

The loading and the ORM checks run inside the generated project
(tests/scripts/load_chinook.py); this test computes what to expect from Chinook itself and
checks the loaded database file independently with sqlite3.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SHARED, in_project, project_env, run

CHINOOK = SHARED / "data" / "chinook" / "Chinook_Sqlite.sqlite"
LOAD_SCRIPT = Path(__file__).resolve().parent / "scripts" / "load_chinook.py"

# Chinook table -> the table generated from examples/shop/forge.yaml.
TABLES = {
    "Artist": "artist",
    "Album": "album",
    "Track": "track",
    "Genre": "genre",
    "MediaType": "media_type",
    "Playlist": "playlist",
    "PlaylistTrack": "playlist_track",
    "Employee": "employee",
    "Customer": "customer",
    "Invoice": "invoice",
    "InvoiceLine": "invoice_line",
}


@pytest.fixture(scope="session")
def chinook() -> Path:
    """The Chinook file; session-scoped so that a missing file skips before the (slower)
    shop project is generated."""
    if not CHINOOK.is_file():
        pytest.skip(f"the Chinook sample database is not available at {CHINOOK}")
    return CHINOOK


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def chinook_counts() -> dict[str, int]:
    """Rows per table, counted in the Chinook file itself."""
    with closing(read_only(CHINOOK)) as chinook:
        names = [
            name
            for (name,) in chinook.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        assert sorted(names) == sorted(TABLES), f"unexpected Chinook tables: {names}"
        return {
            name: int(chinook.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in TABLES
        }


def chinook_facts() -> dict[str, Any]:
    """A few facts computed from Chinook, to find again in the loaded database."""
    with closing(read_only(CHINOOK)) as chinook:
        return {
            "reports_to": dict(chinook.execute("SELECT EmployeeId, ReportsTo FROM Employee")),
            "totals": dict(chinook.execute("SELECT InvoiceId, Total FROM Invoice")),
            "support_rep": dict(chinook.execute("SELECT CustomerId, SupportRepId FROM Customer")),
            "lines_per_invoice": dict(
                chinook.execute("SELECT InvoiceId, count(*) FROM InvoiceLine GROUP BY InvoiceId")
            ),
            "tracks_per_playlist": dict(
                chinook.execute("SELECT PlaylistId, count(*) FROM PlaylistTrack GROUP BY 1")
            ),
        }


def longest_chain(reports_to: dict[int, int | None]) -> int:
    def length(employee: int) -> int:
        boss = reports_to[employee]
        return 0 if boss is None else 1 + length(boss)

    return max(length(employee) for employee in reports_to)


def test_every_chinook_row_loads_with_foreign_keys_enforced(
    chinook: Path, shop_project: Path, tmp_path: Path
) -> None:
    expected = chinook_counts()
    facts = chinook_facts()

    database = tmp_path / "chinook.db"
    url = f"sqlite+aiosqlite:///{database}"
    in_project(shop_project, "alembic", "upgrade", "head", DATABASE_URL=url)
    result = run(
        [sys.executable, str(LOAD_SCRIPT), str(chinook)],
        cwd=shop_project,
        env=project_env(shop_project, DATABASE_URL=url),
        timeout=120,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])

    # What the script loaded and read back through the generated models.
    assert report["database"] == url
    assert report["counts"] == expected
    assert sum(report["counts"].values()) == sum(expected.values())
    assert report["checks"] == {
        "customers_checked": expected["Customer"],
        "longest_reports_to_chain": longest_chain(facts["reports_to"]),
        "invoices_adding_up": expected["Invoice"],
        "playlist_tracks": expected["PlaylistTrack"],
    }
    assert "FOREIGN KEY" in report["refused"].upper()

    # The database file itself, checked without the project's code.
    with closing(read_only(database)) as loaded:
        counts = {
            name: int(loaded.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
            for name, table in TABLES.items()
        }
        assert counts == expected
        assert loaded.execute("SELECT count(*) FROM loyalty_card").fetchone()[0] == 0
        assert loaded.execute("PRAGMA foreign_key_check").fetchall() == []
        reports_to = dict(loaded.execute("SELECT id, reports_to_id FROM employee"))
        assert reports_to == facts["reports_to"]
        support_rep = dict(loaded.execute("SELECT id, support_rep_id FROM customer"))
        assert support_rep == facts["support_rep"]
        # Decimals are exact on SQLite: stored as scaled integers (cents for decimal(10,2)).
        totals = dict(loaded.execute("SELECT id, total FROM invoice"))
        assert all(isinstance(total, int) for total in totals.values())
        assert {id: total / 100 for id, total in totals.items()} == facts["totals"]
        lines = dict(loaded.execute("SELECT invoice_id, count(*) FROM invoice_line GROUP BY 1"))
        assert lines == facts["lines_per_invoice"]
        tracks = dict(loaded.execute("SELECT playlist_id, count(*) FROM playlist_track GROUP BY 1"))
        assert tracks == facts["tracks_per_playlist"]
