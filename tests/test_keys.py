"""Adopting an existing database's names and keys: `table:` in any case, `column:` on fields
and relations, and `primary_key: {column, type}` (int, smallint, bigint, uuid, str).

One spec uses every option; it is generated once per ORM and database (a module fixture),
migrated with `forge db migrate` / `upgrade`, and then: `alembic check` and `forge db check`
find nothing, the generated project's own tests pass (CRUD and HTTP through every key
type), a reflection of the database shows the exact column names, key types and foreign
keys, and `downgrade base` leaves no table behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    forge,
    in_project,
    migrated_project,
    orm_kind_pairs,
    project_with_database,
)

SPEC = """\
project:
  name: keyed
entities:
  Artist:
    table: Artist
    primary_key: {column: ArtistId}
    fields:
      name: {type: str, max_length: 120, column: Name, unique: true}
  Album:
    table: Album
    primary_key: {column: AlbumId, type: bigint}
    timestamps: true
    fields:
      title: {type: str, max_length: 160, column: Title, index: true}
      status: {type: enum, values: [draft, out], column: Status}
    relations:
      artist: {kind: many_to_one, target: Artist, column: ArtistId, inverse: albums}
  Genre:
    table: Genre
    primary_key: {column: GenreId, type: smallint}
    soft_delete: true
    fields:
      name: {type: str, max_length: 120, column: Name, searchable: true}
    relations:
      parent:
        kind: many_to_one
        target: Genre
        column: ParentId
        nullable: true
        on_delete: set_null
  Tag:
    primary_key: {column: TagId, type: uuid}
    fields:
      label: {type: str, max_length: 40, column: Label}
    relations:
      countries: {kind: many_to_many, target: Country, inverse: tags}
  Country:
    table: Country
    primary_key: {column: Code, type: str, max_length: 3}
    fields:
      name: {type: str, max_length: 80, column: Name}
    relations:
      genres:
        kind: one_to_many
        target: Genre
        column: CountryCode
        inverse: country
        nullable: true
"""

# table -> the columns in order, as the database must name them
COLUMNS = {
    "Artist": ["ArtistId", "Name"],
    "Album": ["AlbumId", "Title", "Status", "ArtistId", "created_at", "updated_at"],
    "Genre": ["GenreId", "Name", "ParentId", "CountryCode", "deleted_at"],
    "tag": ["TagId", "Label"],
    "Country": ["Code", "Name"],
    "tag_country": ["tag_id", "country_id"],
}
KEYS = {
    "Artist": ["ArtistId"],
    "Album": ["AlbumId"],
    "Genre": ["GenreId"],
    "tag": ["TagId"],
    "Country": ["Code"],
    "tag_country": ["tag_id", "country_id"],
}
# (table, columns) -> (referred table, referred columns)
FOREIGN_KEYS = {
    ("Album", ("ArtistId",)): ("Artist", ("ArtistId",)),
    ("Genre", ("ParentId",)): ("Genre", ("GenreId",)),
    ("Genre", ("CountryCode",)): ("Country", ("Code",)),
    ("tag_country", ("tag_id",)): ("tag", ("TagId",)),
    ("tag_country", ("country_id",)): ("Country", ("Code",)),
}
# (table, column) -> the reflected type's text, per database; a key's foreign keys share it
SMALL = {"sqlite": "INTEGER", "postgresql": "SMALLINT", "mysql": "SMALLINT"}
BIG = {"sqlite": "INTEGER", "postgresql": "BIGINT", "mysql": "BIGINT"}
UUID = {"sqlite": "CHAR(32)", "postgresql": "UUID", "mysql": "UUID"}  # MariaDB's own UUID
CODE = {kind: "VARCHAR(3)" for kind in SMALL}
TYPES = {
    ("Album", "AlbumId"): BIG,
    ("Genre", "GenreId"): SMALL,
    ("Genre", "ParentId"): SMALL,
    ("Genre", "CountryCode"): CODE,
    ("tag", "TagId"): UUID,
    ("tag_country", "tag_id"): UUID,
    ("Country", "Code"): CODE,
    ("tag_country", "country_id"): CODE,
}
COMBINATIONS = orm_kind_pairs(0, "keys")  # with test_constraints.py's: all six pairs


@pytest.fixture(scope="module", params=COMBINATIONS, ids=lambda p: "-".join(p))
def keyed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str, str]]:
    """(project, DATABASE_URL, database kind): generated and upgraded to head once."""
    orm, kind = request.param
    folder = tmp_path_factory.mktemp(f"keys-{orm}-{kind}")
    text = SPEC.replace("  name: keyed\n", f"  name: keyed\n  orm: {orm}\n")
    with migrated_project(folder, "keyed", text, kind) as (project, url):
        yield project, url, kind


def test_migrations_and_models_agree(keyed: tuple[Path, str, str]) -> None:
    project, url, _ = keyed
    in_project(project, "alembic", "check", DATABASE_URL=url)
    checked = forge("db", "check", cwd=project, env={"DATABASE_URL": url})
    assert "matches the spec" in checked.stdout, checked.stdout


def test_the_database_has_the_names_and_key_types(keyed: tuple[Path, str, str]) -> None:
    _, url, kind = keyed
    found = reflect(url)
    assert {table: [c["name"] for c in columns] for table, (columns, _, _) in found.items()} == (
        COLUMNS
    )
    assert {table: key for table, (_, key, _) in found.items()} == KEYS
    foreign = {fk for _, (_, _, fks) in found.items() for fk in fks}
    assert foreign == {(*source, *target) for source, target in FOREIGN_KEYS.items()}
    types = {
        (table, c["name"]): str(c["type"]).upper().replace("CHARACTER VARYING", "VARCHAR")
        for table, (columns, _, _) in found.items()
        for c in columns
    }
    for place, expected in TYPES.items():
        assert types[place] == expected[kind], place


def test_the_generated_tests_pass(keyed: tuple[Path, str, str]) -> None:
    project, url, _ = keyed
    result = in_project(project, "pytest", "-q", "-p", "no:cacheprovider", DATABASE_URL=url)
    assert " passed" in result.stdout and "failed" not in result.stdout, result.stdout


def test_backup_restore_advances_the_integer_keys(
    keyed: tuple[Path, str, str], tmp_path: Path
) -> None:
    """Rows with PascalCase names and keys of every type go through `forge db backup` and
    `restore`; the restored integer keys' sequences are advanced by their real column, so
    the next insert gets the next number."""
    from tests.helpers import sql as run_sql

    project, url, kind = keyed
    env = {"DATABASE_URL": url}

    def sql(url: str, *statements: str) -> list[Any]:  # MariaDB quotes names with `
        return run_sql(url, *(s.replace('"', "`") if kind == "mysql" else s for s in statements))

    sql(
        url,
        'INSERT INTO "Artist" ("Name") VALUES (\'Backed up\')',
        'INSERT INTO "Genre" ("Name") VALUES (\'Backed up\')',
        'INSERT INTO "Country" ("Code", "Name") VALUES (\'BUP\', \'Backed up\')',
    )
    top = sql(url, 'SELECT MAX("ArtistId") FROM "Artist"')[0][0]
    backup = tmp_path / "keys.jsonl.gz"
    forge("db", "backup", "-o", str(backup), cwd=project, env=env)
    forge("db", "downgrade", "base", cwd=project, env=env)
    forge("db", "upgrade", cwd=project, env=env)
    forge("db", "restore", "--yes", str(backup), cwd=project, env=env)
    sql(url, 'INSERT INTO "Artist" ("Name") VALUES (\'After\')')
    assert sql(url, 'SELECT "ArtistId" FROM "Artist" WHERE "Name" = \'After\'') == [(top + 1,)]
    assert sql(url, 'SELECT "Code" FROM "Country" WHERE "Name" = \'Backed up\'') == [("BUP",)]


def test_downgrade_base_removes_every_table(keyed: tuple[Path, str, str]) -> None:
    """Last in the module: the shared database is left empty."""
    project, url, _ = keyed
    forge("db", "downgrade", "base", cwd=project, env={"DATABASE_URL": url})
    assert set(reflect(url)) == set()


def reflect(url: str) -> dict[str, tuple[list[dict[str, Any]], list[str], set[Any]]]:
    """table -> (columns, primary key columns, foreign keys), alembic_version left out."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    def read(connection: Any) -> dict[str, tuple[list[dict[str, Any]], list[str], set[Any]]]:
        inspector = sa.inspect(connection)
        result = {}
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            keys = inspector.get_pk_constraint(table)["constrained_columns"]
            fks = {
                (
                    table,
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                )
                for fk in inspector.get_foreign_keys(table)
            }
            result[table] = (inspector.get_columns(table), keys, fks)
        return result

    async def main() -> dict[str, tuple[list[dict[str, Any]], list[str], set[Any]]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_a_changed_column_is_renamed_with_its_values(tmp_path: Path) -> None:
    """`column:` changed in the spec: `forge db migrate` refuses to drop the old column,
    and `--rename Entity.OldColumn=field` renames it with its values. SQLite only."""
    from tests.helpers import sql

    with project_with_database(tmp_path, "keyed", SPEC, "sqlite") as (project, url):
        env = {"DATABASE_URL": url}
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        sql(url, 'INSERT INTO "Artist" ("Name") VALUES (\'Miles\')')
        spec = project / "forge.yaml"
        text = spec.read_text()
        assert "column: Name, unique: true" in text
        spec.write_text(
            text.replace("column: Name, unique: true", "column: ArtistName, unique: true")
        )
        forge("generate", cwd=project)
        refused = forge("db", "migrate", "-m", "rename", cwd=project, env=env, check=False)
        assert "would drop column Artist.Name" in refused.stderr, refused.stderr
        rename = ["--rename", "Artist.Name=name"]  # the old column, the field
        forge("db", "migrate", "-m", "rename", *rename, cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        assert sql(url, 'SELECT "ArtistName" FROM "Artist"') == [("Miles",)]
        in_project(project, "alembic", "check", DATABASE_URL=url)
