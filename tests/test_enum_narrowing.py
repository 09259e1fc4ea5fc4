"""Enum values removed from a field that is renamed in the same revision, and from a
link table's field, migrated on SQLite, PostgreSQL and MariaDB with rows that use them
(the ORMs taking turns: tests/helpers.py orm_kind_pairs); then the link table's field is
renamed with its values (`--rename LinkClass.old=new`).

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

from tests.helpers import (
    forge,
    in_project,
    migrate_refused,
    orm_kind_pairs,
    project_with_database,
    sql,
)

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


def narrowed(
    project: Path, env: dict[str, str], old: str, new: str, refusal: tuple[str, ...], default: str
) -> None:
    """Edit the spec (`old` -> `new`), generate; `forge db migrate` refuses (the rows are
    named), then with `--default` writes the revision, which upgrade applies."""
    spec = project / "forge.yaml"
    spec.write_text(spec.read_text().replace(old, new))
    forge("generate", cwd=project)
    migrate_refused(project, env, *refusal)
    migrate = ["db", "migrate", "-m", "narrow", "--no-input", "--default", default]
    forge(*migrate, cwd=project, env=env)
    in_project(project, "alembic", "upgrade", "head", **env)
    in_project(project, "alembic", "check", **env)  # the revision did all of it


def renamed_link_field(project: Path, env: dict[str, str], old: str, new: str, rename: str) -> None:
    """Edit the spec (`old` -> `new`: a TicketTagLink field renamed), generate; `forge db
    migrate` refuses the drop with the hint `--rename TicketTagLink.<rename>`, then with
    that flag writes the revision, which upgrade applies."""
    spec = project / "forge.yaml"
    spec.write_text(spec.read_text().replace(old, new))
    forge("generate", cwd=project)
    flag = f"TicketTagLink.{rename}"
    migrate_refused(project, env, f"--rename {flag};")
    forge("db", "migrate", "-m", "renamed", "--no-input", "--rename", flag, cwd=project, env=env)
    in_project(project, "alembic", "upgrade", "head", **env)
    in_project(project, "alembic", "check", **env)


@pytest.mark.parametrize("pair", orm_kind_pairs(1, "enum-narrowing"))
def test_removed_enum_values_of_a_renamed_field_and_of_a_link_field(
    tmp_path: Path, pair: tuple[str, str]
) -> None:
    orm, kind = pair
    with project_with_database(tmp_path, "desk", SPEC.format(orm=orm), kind) as (project, url):
        env = {"DATABASE_URL": url}
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
        refusal = ("ticket.status: 1 row(s)", "stale", "--default Ticket.status=")
        narrowed(
            project, env, "[open, closed, stale]", "[open, closed]", refusal, "Ticket.status=closed"
        )
        assert sql(url, "SELECT id, status FROM ticket ORDER BY id") == [(1, "open"), (2, "closed")]

        # a value removed from a link table's field
        refusal = ("ticket_tag.role: 1 row(s)", "gone", "--default TicketTagLink.role=")
        old, new = "[owner, watcher, gone]", "[owner, watcher]"
        narrowed(project, env, old, new, refusal, "TicketTagLink.role=watcher")
        rows = sql(url, "SELECT ticket_id, role FROM ticket_tag ORDER BY ticket_id")
        assert rows == [(1, "watcher"), (2, "owner")]

        # a link table's field renamed: refused as a drop, with the hint; kept by --rename
        renamed_link_field(project, env, "role: {type: enum", "duty: {type: enum", "role=duty")
        rows = sql(url, "SELECT ticket_id, duty FROM ticket_tag ORDER BY ticket_id")
        assert rows == [(1, "watcher"), (2, "owner")]

        # renamed again, to a field whose column has another name, and a value added: the
        # hint names the field (what --rename takes), not its column; on PostgreSQL the
        # enum type, named after the field, follows it (with the new value)
        old_field = "duty: {type: enum, values: [owner, watcher]"
        new_field = "chore: {column: chore_col, type: enum, values: [owner, watcher, helper]"
        renamed_link_field(project, env, old_field, new_field, "duty=chore")
        rows = sql(url, "SELECT ticket_id, chore_col FROM ticket_tag ORDER BY ticket_id")
        assert rows == [(1, "watcher"), (2, "owner")]

        if kind != "sqlite":  # a native enum type (SQLite's column is plain text)
            with pytest.raises(Exception, match="(?i)stale"):  # no longer a value of the type
                sql(url, "UPDATE ticket SET status = 'stale' WHERE id = 1")

        in_project(project, "alembic", "downgrade", "base", **env)
        in_project(project, "alembic", "upgrade", "head", **env)


DEFAULTED = """\
project: {{name: desk, orm: {orm}}}
entities:
  Ticket:
    fields:
      title: {{type: str, max_length: 50}}
      state: {{type: enum, values: [open, closed], server_default: open}}
"""


@pytest.mark.parametrize("pair", orm_kind_pairs(0, "enum-defaulted"))
def test_renamed_enum_field_with_a_server_default_gets_a_new_value(
    tmp_path: Path, pair: tuple[str, str]
) -> None:
    """A field with a server default, renamed and given a new value in one revision: on
    PostgreSQL the type's values change after the rename, with the column's default set
    aside meanwhile (it names the type; before, the upgrade failed: "default for column
    cannot be cast automatically"). New rows still get the default. Then renamed again
    with another default: the downgrade's default names the type as it is then (before,
    it named the type as it was before the renames, and the downgrade failed)."""
    orm, kind = pair
    with project_with_database(tmp_path, "desk", DEFAULTED.format(orm=orm), kind) as (
        project,
        url,
    ):
        env = {"DATABASE_URL": url}
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        in_project(project, "alembic", "upgrade", "head", **env)
        sql(url, "INSERT INTO ticket (id, title) VALUES (1, 'a')")
        forge("rename", "field", "Ticket", "state", "status", cwd=project)
        spec = project / "forge.yaml"
        spec.write_text(spec.read_text().replace("[open, closed]", "[open, closed, stale]"))
        forge("generate", cwd=project)
        forge("db", "migrate", "-m", "stale", "--no-input", cwd=project, env=env)
        in_project(project, "alembic", "upgrade", "head", **env)
        in_project(project, "alembic", "check", **env)
        sql(url, "INSERT INTO ticket (id, title) VALUES (2, 'b')")
        sql(url, "INSERT INTO ticket (id, title, status) VALUES (3, 'c', 'stale')")
        rows = sql(url, "SELECT id, status FROM ticket ORDER BY id")
        assert rows == [(1, "open"), (2, "open"), (3, "stale")]

        # renamed again and its server default changed in the same revision: the
        # downgrade puts back the old default under the type's name of then
        forge("rename", "field", "Ticket", "status", "phase", cwd=project)
        spec.write_text(spec.read_text().replace("server_default: open", "server_default: stale"))
        forge("generate", cwd=project)
        forge("db", "migrate", "-m", "phase", "--no-input", cwd=project, env=env)
        in_project(project, "alembic", "upgrade", "head", **env)
        in_project(project, "alembic", "check", **env)
        sql(url, "INSERT INTO ticket (id, title) VALUES (4, 'd')")
        assert sql(url, "SELECT phase FROM ticket WHERE id = 4") == [("stale",)]
        sql(url, "DELETE FROM ticket WHERE id IN (3, 4)")
        in_project(project, "alembic", "downgrade", "base", **env)
        in_project(project, "alembic", "upgrade", "head", **env)
