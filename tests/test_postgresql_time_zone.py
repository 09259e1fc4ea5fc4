"""PostgreSQL sessions in UTC, whatever the server's time zone.

PostgreSQL reads a datetime literal without an offset in the session's time zone, so a
`server_default:` of a timestamptz column is fixed to that zone's instant when the
migration makes the column; CURRENT_TIMESTAMP into a column without time zone is the
session's wall-clock time; and timestamptz values come back in the session's zone. The
generated project (app/core/database/connection.py, the same file for both ORMs), its
alembic env and forge's own `forge db` commands set their sessions to UTC. Here a server
in another time zone is stood for by the database's own default (`ALTER DATABASE ... SET
timezone`, which every new session of that database starts with): migrate, upgrade, the
generated CRUD and `forge db backup` all run there, and the stored instants (epoch
seconds, which do not depend on the session) are the UTC ones.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sys
from pathlib import Path

from tests.helpers import ROOT, forge, project_env, project_with_database, run, sql

SPEC = """\
project:
  name: zones
  orm: sqlmodel
entities:
  Event:
    fields:
      at: {type: datetime}
      since: {type: datetime, server_default: '2024-01-31T12:00:00'}
      noted: {type: datetime, timezone: false, server_default: now}
"""

NOON = 1706702400  # 2024-01-31T12:00:00Z
ELSEWHERE = "Asia/Kolkata"  # +05:30

DRIVER = ROOT / "tests" / "drivers" / "time_zones.py"


def test_postgresql_sessions_are_utc_in_a_server_of_another_zone(tmp_path: Path) -> None:
    with project_with_database(tmp_path, "zones", SPEC, "postgresql") as (project, url):
        name = url.rsplit("/", 1)[-1]
        sql(url, f"ALTER DATABASE {name} SET timezone TO '{ELSEWHERE}'")
        assert sql(url, "SHOW timezone") == [(ELSEWHERE,)]
        env = {"DATABASE_URL": url}
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        driven = run(
            [
                sys.executable,
                str(DRIVER),
                "SHOW timezone",
                "INSERT INTO event (at) VALUES (to_timestamp(0))",
            ],
            project,
            project_env(project, **env),
        )
        zone, read, noted = json.loads(driven.stdout)
        assert zone == "UTC"
        # the API's instants, in UTC: the CRUD's row and the row of the raw INSERT
        assert read == [
            ["2024-01-31T12:00:00+00:00"] * 2,
            ["1970-01-01T00:00:00+00:00", read[1][1]],
        ]
        # CURRENT_TIMESTAMP into a column without time zone: UTC's wall-clock time
        utc_now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        assert abs(dt.datetime.fromisoformat(noted) - utc_now) < dt.timedelta(minutes=10)
        # another client's insert, in the server's zone, gets the DEFAULT clause made by
        # the migration: the UTC noon
        sql(url, "INSERT INTO event (at) VALUES (to_timestamp(86400))")
        epochs = "SELECT extract(epoch FROM at)::bigint, extract(epoch FROM since)::bigint"
        assert sql(url, f"{epochs} FROM event ORDER BY id") == [
            (NOON, NOON),
            (0, NOON),
            (86400, NOON),
        ]
        backup = tmp_path / "zones.jsonl.gz"
        forge("db", "backup", "-o", str(backup), cwd=project, env=env)
        with gzip.open(backup, "rt") as lines:
            rows = [json.loads(text) for text in lines if text.startswith("[")]
        values = {value for row in rows for value in row if isinstance(value, str)}
        assert {"2024-01-31T12:00:00", "1970-01-02T00:00:00"} <= values, values  # in UTC
