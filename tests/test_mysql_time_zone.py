"""MySQL/MariaDB sessions in UTC, whatever the server's time zone.

MySQL converts TIMESTAMP values from and to the session's time zone, reads a datetime
server default of a TIMESTAMP column in it when the column is made, and CURRENT_TIMESTAMP
is the session's local time. The generated project (app/core/database/connection.py, for
both ORMs: the file is the same), its alembic env and forge's own `forge db` commands set
their sessions to UTC. Here a server in another time zone is stood for, without touching
the server's global `time_zone`, by DATABASE_URL's `init_command` (run by the driver as it
connects, before forge's set-up): migrate, upgrade, the generated CRUD and `forge db
backup` all run in such sessions, and the stored instants (UNIX_TIMESTAMP, which does not
depend on the session) are the UTC ones.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from tests.helpers import ROOT, forge, project_env, project_with_database, run, sql

SPEC = """\
project:
  name: zones
  orm: sqlalchemy
entities:
  Event:
    fields:
      at: {type: datetime, storage: timestamp}
      since: {type: datetime, storage: timestamp, server_default: '2024-01-31T12:00:00'}
"""

NOON = 1706702400  # 2024-01-31T12:00:00Z
# the server as if its time zone were +05:00: every session starts there
ELSEWHERE = "init_command=SET%20time_zone%3D%27%2B05%3A00%27"

DRIVER = ROOT / "tests" / "drivers" / "time_zones.py"


def test_mysql_sessions_are_utc_in_a_server_of_another_zone(tmp_path: Path) -> None:
    with project_with_database(tmp_path, "zones", SPEC, "mysql") as (project, url):
        (zone_before,) = sql(url, "SELECT @@global.time_zone")[0]
        env = {"DATABASE_URL": f"{url}?{ELSEWHERE}"}
        assert sql(env["DATABASE_URL"], "SELECT @@session.time_zone") == [("+05:00",)]
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        driven = run(
            [sys.executable, str(DRIVER), "SELECT @@session.time_zone"],
            project,
            project_env(project, **env),
        )
        zone, read, _ = json.loads(driven.stdout)
        assert zone == "+00:00"
        # the application's round trip (MySQL's DATETIME and TIMESTAMP come back naive:
        # the API reads them as UTC)
        assert [[value[:19] for value in row] for row in read] == [["2024-01-31T12:00:00"] * 2]
        # another client's insert gets the DEFAULT clause made by the migration
        sql(url, "INSERT INTO event (at) VALUES (FROM_UNIXTIME(0) + INTERVAL 1 DAY)")
        stored = "SELECT UNIX_TIMESTAMP(at), UNIX_TIMESTAMP(since) FROM event ORDER BY id"
        assert sql(url, stored) == [(NOON, NOON), (86400, NOON)]
        backup = tmp_path / "zones.jsonl.gz"
        forge("db", "backup", "-o", str(backup), cwd=project, env=env)
        with gzip.open(backup, "rt") as lines:
            rows = [json.loads(text) for text in lines if text.startswith("[")]
        assert ["2024-01-31T12:00:00", "2024-01-31T12:00:00"] in [row[1:] for row in rows]
        assert sql(url, "SELECT @@global.time_zone") == [(zone_before,)]  # nothing leaked
