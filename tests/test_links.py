"""many_to_many link tables as real schemas have them (Chinook's PlaylistTrack(PlaylistId,
TrackId), Sakila's film_actor(actor_id, film_id, last_update)): `link_table` in any case,
`link_columns`, `link_fields` and `link_on_delete`.

One project per ORM is generated on first use and copied per database; on SQLite,
PostgreSQL and MariaDB (the ORMs taking turns: tests/helpers.py orm_kind_pairs) each copy
gets its first migration from `forge db migrate`, `forge db upgrade`, a clean `alembic
check` and `forge db check`, its own test suite, the driver tests/drivers/links.py (links
from both sides, link field defaults, deletes through the API) and `forge db downgrade base`.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import ORMS, ROOT, forge, in_project, orm_kind_pairs, project_env, run

DRIVER = ROOT / "tests" / "drivers" / "links.py"

SPEC = """\
project: {name: music}
entities:
  Playlist:
    fields:
      name: {type: str, max_length: 120}
    relations:
      tracks:
        kind: many_to_many
        target: Track
        inverse: playlists
        link_table: PlaylistTrack
        link_columns: [PlaylistId, TrackId]
        link_on_delete: no_action
  Track:
    fields:
      name: {type: str, max_length: 200}
  Actor:
    fields:
      name: str
    relations:
      films:
        kind: many_to_many
        target: Film
        inverse: actors
        link_table: film_actor
        link_columns: [actor_id, film_id]
        link_fields:
          last_update: {type: datetime, default: now}
          role: {type: enum, values: [lead, support], default: support}
          billing: {type: int, nullable: true}
          note: {type: str, max_length: 40, default: ""}
          fee: {type: decimal, precision: 8, scale: 2, default: "0.00"}
          paid: {type: bool, default: false}
  Film:
    fields:
      title: str
  Person:
    fields:
      name: str
    relations:
      friends:
        kind: many_to_many
        target: Person
        inverse: friend_of
        link_table: Friendship
        link_columns: [PersonId, FriendId]
        link_on_delete: restrict
"""

DRIVER_CHECKS = [
    "pascal_case_link_from_both_sides",
    "link_fields_get_their_defaults",
    "self_referential_link",
    "deletes_through_the_api",
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The project of an ORM, generated on first use (once per worker) and then shared."""
    projects: dict[str, Path] = {}

    def project_of(orm: str) -> Path:
        if orm not in projects:
            folder = tmp_path_factory.mktemp(f"links-{orm}")
            (folder / "forge.yaml").write_text(SPEC)
            projects[orm] = folder / "music"
            forge(
                "new", str(projects[orm]), "--spec", str(folder / "forge.yaml"), "--orm", orm,
                "--defaults", cwd=folder,
            )  # fmt: skip
        return projects[orm]

    return project_of


@pytest.mark.parametrize("orm", ORMS)
def test_link_classes(generated: Callable[[str], Path], orm: str) -> None:
    """The link classes say what the spec says (and the relationships name the tables)."""
    links = (generated(orm) / "app" / "models" / "links.py").read_text()
    assert '__tablename__ = "PlaylistTrack"' in links
    assert "PlaylistId:" in links and "TrackId:" in links
    assert '__tablename__ = "film_actor"' in links
    assert "class FilmActorLinkRole(StrEnum):" in links
    assert 'ondelete="RESTRICT"' in links
    playlist_block = links.split("class PlaylistTrackLink")[1].split("class ")[0]
    assert "ondelete" not in playlist_block  # no_action: the database's default
    person = (generated(orm) / "app" / "models" / "person.py").read_text()
    assert "Person.id == Friendship.c.PersonId" in person


@pytest.mark.parametrize("pair", orm_kind_pairs(0, "links"))
def test_links_on_every_database(
    generated: Callable[[str], Path], pair: tuple[str, str], tmp_path: Path
) -> None:
    orm, kind = pair
    project = tmp_path / "music"
    shutil.copytree(generated(orm), project, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{project / 'music.db'}"
    else:
        from tests.servers import server

        srv = server(kind)
        url = srv.database_url(srv.fresh_name("links"))
    env = {"DATABASE_URL": url}
    if kind != "sqlite":
        forge("db", "create", cwd=project, env=env)
    try:
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        in_project(project, "alembic", "check", DATABASE_URL=url)
        checked = forge("db", "check", cwd=project, env=env)
        assert "matches the spec" in checked.stdout, checked.stdout
        tests = in_project(project, "pytest", "-q", "-x", "-p", "no:cacheprovider", **env)
        assert " passed" in tests.stdout and "failed" not in tests.stdout, tests.stdout
        result = run(
            [sys.executable, str(DRIVER)],
            cwd=project,
            env=project_env(project, DATABASE_URL=url),
            timeout=300,
        )
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert summary == {"backend": kind, "passed": DRIVER_CHECKS}, result.stdout
        forge("db", "downgrade", "base", cwd=project, env=env)
    finally:
        if kind != "sqlite":
            forge("db", "drop", "--yes", cwd=project, env=env, check=False)
