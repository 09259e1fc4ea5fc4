"""Enum values removed from a field that is renamed in the same revision, and from a
link table's field, migrated on SQLite, PostgreSQL and MariaDB with rows that use them
(the ORMs taking turns: tests/helpers.py orm_kind_pairs).

`forge db migrate` counts the rows that use a removed value and refuses (one line, no
revision written) unless `--default Owner.field=VALUE` maps them. It used to match a
field with its previous self by its current table and name: a field renamed in the same
revision, and every link_fields field, were not compared at all, so the revision was
written without the check and failed at upgrade (or, on a server not in strict mode,
could store something else). Here both refuse, then map their rows with --default, and
the chain of revisions goes down to base and up again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import forge, in_project, orm_kind_pairs, sql
from tests.servers import server

SPEC = """\
project: {{name: desk, orm: {orm}}}
entities:
  Ticket:
    fields:
      title: {{type: str, max_length: 50}}
      state: {{type: enum, values: [open, closed, stale]}}
    relations:
      tags:
        kind: many_to_many
        target: Tag
        link_fields:
          role: {{type: enum, values: [owner, watcher, gone], default: watcher}}
  Tag:
    fields: {{label: {{type: str, max_length: 50}}}}
"""


def revisions(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "alembic" / "versions").glob("*.py"))


def refused(project: Path, env: dict[str, str], *expected: str) -> None:
    """`forge db migrate` refuses with one line naming the rows; nothing is written."""
    before = revisions(project)
    result = forge("db", "migrate", "-m", "narrow", "--no-input", cwd=project, env=env, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for part in expected:
        assert part in message, message
    assert revisions(project) == before


@pytest.mark.parametrize("pair", orm_kind_pairs(1, "enum-narrowing"))
def test_removed_enum_values_of_a_renamed_field_and_of_a_link_field(
    tmp_path: Path, pair: tuple[str, str]
) -> None:
    orm, kind = pair
    (tmp_path / "forge.yaml").write_text(SPEC.format(orm=orm))
    project = tmp_path / "desk"
    new = ["new", str(project), "--spec", "forge.yaml", "--database", kind, "--defaults"]
    forge(*new, cwd=tmp_path)
    spec = project / "forge.yaml"
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    else:
        srv = server(kind)
        url = srv.database_url(srv.fresh_name("enums"))
        forge("db", "create", cwd=project, env={"DATABASE_URL": url})
    env = {"DATABASE_URL": url}
    try:
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        in_project(project, "alembic", "upgrade", "head", **env)
        sql(
            url,
            "INSERT INTO ticket (id, title, state) VALUES (1, 'a', 'open'), (2, 'b', 'stale')",
            "INSERT INTO tag (id, label) VALUES (1, 'x'), (2, 'y')",
            "INSERT INTO ticket_tag (ticket_id, tag_id, role)"
            " VALUES (1, 1, 'gone'), (2, 2, 'owner')",
        )

        # the field renamed and a value removed, in one revision
        forge("rename", "field", "Ticket", "state", "status", cwd=project)
        spec.write_text(spec.read_text().replace("[open, closed, stale]", "[open, closed]"))
        forge("generate", cwd=project)
        refused(project, env, "ticket.status: 1 row(s)", "stale", "--default Ticket.status=")
        forge(
            "db", "migrate", "-m", "status", "--no-input", "--default", "Ticket.status=closed",
            cwd=project, env=env,
        )  # fmt: skip
        in_project(project, "alembic", "upgrade", "head", **env)
        rows = sql(url, "SELECT id, status FROM ticket ORDER BY id")
        assert rows == [(1, "open"), (2, "closed")]
        in_project(project, "alembic", "check", **env)  # the revision did all of it

        # a value removed from a link table's field
        spec.write_text(spec.read_text().replace("[owner, watcher, gone]", "[owner, watcher]"))
        forge("generate", cwd=project)
        refused(project, env, "ticket_tag.role: 1 row(s)", "gone", "--default TicketTagLink.role=")
        forge(
            "db", "migrate", "-m", "role", "--no-input", "--default", "TicketTagLink.role=watcher",
            cwd=project, env=env,
        )  # fmt: skip
        in_project(project, "alembic", "upgrade", "head", **env)
        rows = sql(url, "SELECT ticket_id, role FROM ticket_tag ORDER BY ticket_id")
        assert rows == [(1, "watcher"), (2, "owner")]
        in_project(project, "alembic", "check", **env)

        if kind != "sqlite":  # a native enum type (SQLite's column is plain text)
            with pytest.raises(Exception, match="(?i)stale"):  # no longer a value of the type
                sql(url, "UPDATE ticket SET status = 'stale' WHERE id = 1")

        in_project(project, "alembic", "downgrade", "base", **env)
        in_project(project, "alembic", "upgrade", "head", **env)
    finally:
        if kind != "sqlite":
            forge("db", "drop", "--yes", cwd=project, env=env, check=False)
