"""`forge import` and `forge db load`, run as a user would.

- Round trip on SQLite, PostgreSQL and MariaDB: a spec -> project -> `forge db migrate` and
  `upgrade` -> `forge import` of that database -> a new project from the imported spec,
  whose `forge db check` against the original database finds no difference.
- Chinook (PascalCase tables and columns, keys named AlbumId): the import lists what
  forge.yaml cannot express yet and the written spec loads; the imported spec generates a
  PostgreSQL project into which `forge db load` copies all 15,607 rows (counts and
  checksums verified), after which an insert through the generated CRUD gets the next id.
- Bad input is one line and writes nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest

from generator.spec import load_spec
from tests.helpers import SHARED, forge, project_env, project_with_database, run, sql

CHINOOK = SHARED / "data" / "chinook" / "Chinook_Sqlite.sqlite"

SPEC = """\
project:
  name: roundtrip
entities:
  Author:
    timestamps: true
    fields:
      name: {type: str, max_length: 80, unique: true}
      bio: {type: text, nullable: true}
      rating: {type: float, nullable: true}
      active: {type: bool, default: true}
      born: {type: date, nullable: true}
      status: {type: enum, values: [new, known], default: new}
      visits: {type: bigint, default: 0}
    relations:
      mentor:
        {kind: many_to_one, target: Author, nullable: true, inverse: mentees, on_delete: set_null}
  Book:
    soft_delete: true
    fields:
      title: {type: str, max_length: 200, index: true}
      price: {type: decimal, precision: 10, scale: 2}
      published_at: {type: datetime, nullable: true}
      starts: {type: time, nullable: true}
      code: {type: uuid, nullable: true}
      meta: {type: json, nullable: true}
      cover: {type: bytes, nullable: true}
    relations:
      author: {kind: many_to_one, target: Author, inverse: books, on_delete: cascade}
      tags: {kind: many_to_many, target: Tag, inverse: books}
  Profile:
    fields:
      motto: {type: str, max_length: 50}
    relations:
      author: {kind: one_to_one, target: Author, inverse: profile, on_delete: cascade}
  Tag:
    fields:
      label: {type: str, max_length: 30, unique: true}
"""


@pytest.fixture
def chinook(tmp_path: Path) -> Path:
    """A copy of the Chinook file (the shared one stays read-only)."""
    if not CHINOOK.is_file():
        pytest.skip(f"the Chinook sample database is not available at {CHINOOK}")
    copy = tmp_path / "Chinook.sqlite"
    shutil.copyfile(CHINOOK, copy)
    return copy


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
def test_round_trip_finds_nothing_to_do(tmp_path: Path, kind: str) -> None:
    with project_with_database(tmp_path, "i14_rt", SPEC, kind) as (project, url):
        env = {"DATABASE_URL": url}
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        imported = tmp_path / "imported.yaml"
        result = forge("import", url, "-o", str(imported), cwd=tmp_path)
        assert "4 entities, 4 relations (1 many_to_many)" in result.stdout
        spec = load_spec(imported)
        assert [e.name for e in spec.entities] == ["Author", "Book", "Profile", "Tag"]
        author, book = spec.entity("Author"), spec.entity("Book")
        assert author.timestamps and book.soft_delete
        fields = {f.name: f for f in author.fields}
        assert fields["name"].type == "str" and fields["name"].max_length == 80
        assert fields["name"].unique and fields["bio"].nullable
        assert fields["visits"].type == "bigint"
        relations = {(e.name, r.name): r for e in spec.entities for r in e.relations}
        mentor = relations[("Author", "mentor")]
        assert (mentor.kind, mentor.nullable, mentor.on_delete) == ("many_to_one", True, "set_null")
        assert relations[("Book", "author")].on_delete == "cascade"
        assert relations[("Book", "tags")].kind == "many_to_many"
        assert relations[("Profile", "author")].kind == "one_to_one"
        if kind != "sqlite":  # SQLite stores an enum as VARCHAR and a decimal as BIGINT
            assert fields["status"].values == ("new", "known")
            price = {f.name: f for f in book.fields}["price"]
            assert (price.type, price.precision, price.scale) == ("decimal", 10, 2)

        copy = tmp_path / "copy"
        forge(
            "new",
            str(copy),
            "--spec",
            str(imported),
            "--database",
            kind,
            "--defaults",
            cwd=tmp_path,
        )
        check = forge("db", "check", cwd=copy, env=env, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "matches the spec" in check.stdout


def test_chinook_import_lists_what_it_cannot_express(tmp_path: Path, chinook: Path) -> None:
    result = forge("import", sqlite_url(chinook), cwd=tmp_path)
    out = result.stdout
    assert "10 entities, 10 relations (1 many_to_many) from sqlite database 'Chinook.sqlite'" in out
    assert "  PlaylistTrack: link table; imported as Playlist.tracks (many_to_many)" in out
    # NVARCHAR (national: true) and the link table's indexes (link_indexes) are expressed
    assert "NVARCHAR" not in out and "IFK_PlaylistTrackTrackId" not in out, out
    spec = load_spec(tmp_path / "forge.yaml")
    assert len(spec.entities) == 10
    album = spec.entity("Album")
    assert (album.table, album.primary_key.column) == ("Album", "AlbumId")
    assert {f.name: f.column for f in album.fields} == {"title": "Title"}
    assert [(f.max_length, f.national) for f in album.fields] == [(160, True)]
    assert [(r.name, r.column) for r in album.relations] == [("artist", "ArtistId")]
    assert [(i.name, i.attributes) for i in album.indexes] == [("IFK_AlbumArtistId", ("artist",))]
    employee = spec.entity("Employee").relations[0]
    assert (employee.target, employee.column) == ("Employee", "ReportsTo")
    price = {f.name: f for f in spec.entity("Track").fields}["unit_price"]
    assert (price.type, price.storage, price.column) == ("decimal", "numeric", "UnitPrice")
    tracks = spec.entity("Playlist").relations[0]
    assert (tracks.link_table, tracks.link_columns) == ("PlaylistTrack", ("PlaylistId", "TrackId"))
    assert [(i.name, i.attributes) for i in tracks.link_indexes] == [
        ("IFK_PlaylistTrackPlaylistId", ("PlaylistId",)),
        ("IFK_PlaylistTrackTrackId", ("TrackId",)),
    ]


def test_chinook_load_into_postgresql(tmp_path: Path, chinook: Path) -> None:
    forge("import", sqlite_url(chinook), "-o", "chinook.yaml", cwd=tmp_path)
    spec_text = (tmp_path / "chinook.yaml").read_text()
    with project_with_database(tmp_path, "i14_load", spec_text, "postgresql") as (project, url):
        env = {"DATABASE_URL": url}
        forge("db", "migrate", "-m", "initial", cwd=project, env=env)
        forge("db", "upgrade", cwd=project, env=env)
        loaded = forge("db", "load", sqlite_url(chinook), cwd=project, env=env)
        assert loaded.stdout.startswith("loaded 15,607 rows of 11 tables from sqlite database")
        assert "row counts and checksums verified for all 11 tables" in loaded.stdout
        assert "10 key sequences advanced" in loaded.stdout
        with closing(sqlite3.connect(f"file:{chinook}?mode=ro", uri=True)) as source:
            for table in ("Track", "PlaylistTrack"):  # the imported spec keeps the names
                (count,) = source.execute(f'SELECT count(*) FROM "{table}"').fetchone()
                assert sql(url, f'SELECT count(*) FROM "{table}"') == [(count,)]
            total = source.execute('SELECT sum("Total") FROM "Invoice"').fetchone()[0]
        assert float(sql(url, 'SELECT sum("Total") FROM "Invoice"')[0][0]) == pytest.approx(total)

        again = forge("db", "load", sqlite_url(chinook), cwd=project, env=env, check=False)
        assert again.returncode == 1
        assert again.stderr.strip().splitlines() == [
            f"error: postgresql database '{url.rsplit('/', 1)[1]}' (127.0.0.1:5432) is not "
            "empty (table Album has 347 rows): load only into empty tables, or pass --append "
            "to add the rows to them"
        ]
        assert sql(url, 'SELECT count(*) FROM "Artist"') == [(275,)]

        insert = (
            "import asyncio\n"
            "from app.core.config import get_settings\n"
            "from app.core.database import DatabaseConnectionManager\n"
            "from app.crud.artist import ArtistCRUD\n"
            "from app.schemas.artist import ArtistCreate\n"
            "async def main():\n"
            "    manager = DatabaseConnectionManager(get_settings())\n"
            "    manager.initialize()\n"
            "    async with manager.sessionmaker() as session:\n"
            "        artist = await ArtistCRUD(session).create(ArtistCreate(name='New'))\n"
            "        print(artist.id, await ArtistCRUD(session).count())\n"
            "    await manager.close()\n"
            "asyncio.run(main())\n"
        )
        created = run(
            [sys.executable, "-c", insert], project, project_env(project, DATABASE_URL=url)
        )
        assert created.stdout.split() == ["276", "276"]


def test_import_into_a_project_adds_the_new_tables(tmp_path: Path, chinook: Path) -> None:
    url = sqlite_url(chinook)
    forge("import", url, "--tables", "Artist,Album", "-o", "two.yaml", cwd=tmp_path)
    forge("new", "shop", "--spec", "two.yaml", "--defaults", cwd=tmp_path)
    project = tmp_path / "shop"
    before = (project / "forge.yaml").read_text()
    refused = forge(
        "import", url, "--project", str(project), "--tables", "Album", cwd=tmp_path, check=False
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "error: table Album is already described by entity Album in forge.yaml; nothing was "
        "written (leave it out of --tables)"
    ]
    assert (project / "forge.yaml").read_text() == before

    added = forge("import", url, "--project", str(project), cwd=tmp_path)
    assert "added to" in added.stdout and "8 entities" in added.stdout
    assert "  Album: already in forge.yaml; kept as entity Album" in added.stdout
    text = (project / "forge.yaml").read_text()
    assert text.startswith(before.rstrip("\n"))  # the existing text (and comments) kept
    spec = load_spec(project / "forge.yaml")
    assert len(spec.entities) == 10
    track = {r.name: r for r in spec.entity("Track").relations}
    assert track["album"].target == "Album" and track["album"].inverse == "tracks"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["postgresql://postgres@127.0.0.1:1/forge_i14_none"],
            "error: cannot reach the postgresql server at 127.0.0.1:1 (is it running?)",
        ),
        (["sqlite:///missing.db"], "error: no SQLite database file 'missing.db'"),
        (["CHINOOK", "--tables", "Nope"], "error: no table 'Nope' in the database (tables: "),
        (["not a url"], "error: 'not a url' is not a database URL"),
        (
            ["RESERVED"],
            "error: the imported spec would not load (forge.yaml: entities.Field: entity name "
            "'Field' is reserved",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, chinook: Path, args: list[str], message: str
) -> None:
    reserved = tmp_path / "reserved.db"  # a table whose entity name forge refuses
    with closing(sqlite3.connect(reserved)) as connection:
        connection.execute("CREATE TABLE field (id INTEGER PRIMARY KEY, name VARCHAR(10))")
    named = {"CHINOOK": sqlite_url(chinook), "RESERVED": sqlite_url(reserved)}
    args = [named.get(a, a) for a in args]
    before = sorted(p.name for p in tmp_path.iterdir())
    result = forge("import", *args, cwd=tmp_path, check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


SAKILA_LIKE = """
CREATE TABLE store (
    store_id INTEGER PRIMARY KEY,
    manager_staff_id INTEGER REFERENCES staff (staff_id),
    last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE staff (
    staff_id INTEGER PRIMARY KEY,
    store_id INTEGER REFERENCES store (store_id) ON DELETE CASCADE,
    username VARCHAR(16) NOT NULL,
    active SMALLINT NOT NULL DEFAULT 1,
    UNIQUE (store_id, username)
);
CREATE TABLE film (
    film_id INTEGER PRIMARY KEY,
    title VARCHAR(128) NOT NULL,
    rating CHAR(5) DEFAULT 'G',
    length INTEGER CHECK (length > 0)
);
CREATE INDEX idx_title_rating ON film (title, rating);
CREATE TABLE language (code VARCHAR(2) PRIMARY KEY, name VARCHAR(20) NOT NULL);
CREATE TABLE film_actor (
    actor_id INTEGER NOT NULL REFERENCES staff (staff_id),
    film_id INTEGER NOT NULL REFERENCES film (film_id),
    last_update TIMESTAMP,
    PRIMARY KEY (actor_id, film_id)
);
CREATE TABLE film_language (
    film_id INTEGER NOT NULL REFERENCES film (film_id) ON DELETE CASCADE,
    language_code VARCHAR(2) NOT NULL REFERENCES language (code)
);
"""


def test_import_names_each_item_it_cannot_express(tmp_path: Path) -> None:
    """A Sakila-like schema: a foreign-key cycle, composite keys, unique and index, CHECK,
    SMALLINT, a natural (text) key and a link table with an extra column: the options they
    become, and the notes of what is left."""
    source = tmp_path / "sakila.db"
    with closing(sqlite3.connect(source)) as connection:
        connection.executescript(SAKILA_LIKE)
    result = forge("import", sqlite_url(source), cwd=tmp_path)
    out = result.stdout
    for line in (
        "staff: unique (store_id, username); forge names it uq_staff_store_id_username",
        "film: CHECK (length > 0); not kept (the spec's checks are named)",
        "film_actor: link table; imported as Staff.films (many_to_many)",
        "film_language: no primary key; forge adds an integer id primary key",
    ):
        assert f"  {line}" in out, line
    assert "cycle" not in out  # forge generates foreign-key cycles itself
    assert "without an index" not in out  # written as `index: false` on the relation
    spec = load_spec(tmp_path / "forge.yaml")
    manager = {r.name: r for r in spec.entity("Store").relations}["manager_staff"]
    assert manager.index is False
    active = {f.name: f for f in spec.entity("Staff").fields}["active"]
    assert (active.server_default, active.default) == (1, 1)  # DEFAULT 1: the column's own
    assert "staff.active" not in out  # nothing left to note
    rating = {f.name: f for f in spec.entity("Film").fields}["rating"]
    assert (rating.type, rating.max_length, rating.fixed) == ("str", 5, True)  # CHAR(5)
    assert {e.name for e in spec.entities} == {"Store", "Staff", "Film", "Language", "FilmLanguage"}
    staff = spec.entity("Staff")
    fields = {f.name: f for f in staff.fields}
    assert (fields["active"].type, fields["active"].default) == ("smallint", 1)
    assert [u.attributes for u in staff.unique] == [("store", "username")]
    store = staff.relations[0]  # ON DELETE of an inline REFERENCES, too
    assert (store.name, store.on_delete, store.nullable) == ("store", "cascade", True)
    films = staff.relations[1]
    assert (films.kind, films.link_table, films.link_columns) == (
        "many_to_many",
        "film_actor",
        ("actor_id", "film_id"),
    )
    assert [(f.name, f.nullable) for f in films.link_fields] == [("last_update", True)]
    assert [i.name for i in spec.entity("Film").indexes] == ["idx_title_rating"]
    language = spec.entity("Language").primary_key
    assert (language.column, language.type, language.max_length) == ("code", "str", 2)
    code = {r.name: r for r in spec.entity("FilmLanguage").relations}["language_code"]
    assert (code.target, code.column) == ("Language", "language_code")


def sqlite_source(tmp_path: Path, script: str) -> Path:
    """A SQLite file made by `script`, to load from."""
    source = tmp_path / "source.db"
    with closing(sqlite3.connect(source)) as connection:
        connection.executescript(script)
    return source


def migrated(project: Path, url: str) -> dict[str, str]:
    """The project's first revision, applied to the database at url; its environment."""
    env = {"DATABASE_URL": url}
    forge("db", "migrate", "-m", "initial", cwd=project, env=env)
    forge("db", "upgrade", cwd=project, env=env)
    return env


def test_load_appends_only_when_asked(tmp_path: Path) -> None:
    spec_text = (
        "project: {name: tags}\nentities:\n  Tag:\n    fields:\n"
        "      label: {type: str, max_length: 30}\n"
    )
    source = sqlite_source(
        tmp_path,
        "CREATE TABLE tag (id INTEGER PRIMARY KEY, label VARCHAR(30) NOT NULL);"
        "INSERT INTO tag VALUES (10, 'ten'), (11, 'eleven');",
    )
    with project_with_database(tmp_path, "i14_append", spec_text, "sqlite") as (project, url):
        env = migrated(project, url)
        sql(url, "INSERT INTO tag (id, label) VALUES (1, 'one')")
        refused = forge("db", "load", sqlite_url(source), cwd=project, env=env, check=False)
        assert refused.returncode == 1
        assert len(refused.stderr.strip().splitlines()) == 1
        assert "(table tag has 1 rows)" in refused.stderr and "--append" in refused.stderr
        assert sql(url, "SELECT count(*) FROM tag") == [(1,)]
        appended = forge("db", "load", sqlite_url(source), "--append", cwd=project, env=env)
        assert appended.stdout.startswith("appended 2 rows of 1 tables from sqlite database")
        assert sql(url, "SELECT id, label FROM tag ORDER BY id") == [
            (1, "one"),
            (10, "ten"),
            (11, "eleven"),
        ]


def test_load_of_char_padding_into_postgresql(tmp_path: Path) -> None:
    """A CHAR(n) column (`fixed: true`, as Sakila's language.name) loads from SQLite, which
    keeps 'English', into PostgreSQL, which returns it padded to n: the canonical form of a
    CHAR value has no trailing spaces, so the checksums agree. A VARCHAR's trailing spaces
    are data and stay (Sakila's address.district ' '), and leading spaces still count."""
    spec_text = (
        "project: {name: langs}\nentities:\n  Language:\n"
        "    primary_key: {column: language_id}\n    fields:\n"
        "      name: {type: str, max_length: 20, fixed: true}\n"
        "      note: {type: str, max_length: 20}\n"
    )
    source = sqlite_source(
        tmp_path,
        "CREATE TABLE language (language_id INTEGER PRIMARY KEY, name CHAR(20) NOT NULL,"
        " note VARCHAR(20) NOT NULL);"
        "INSERT INTO language VALUES (1, 'English', ' '), (2, ' Japanese', 'kept ');",
    )
    with project_with_database(tmp_path, "langs", spec_text, "postgresql") as (project, url):
        env = migrated(project, url)
        loaded = forge("db", "load", sqlite_url(source), cwd=project, env=env, check=False)
        assert loaded.returncode == 0, loaded.stderr
        assert "row counts and checksums verified for all 1 tables" in loaded.stdout
        rows = "SELECT language_id, name, note FROM language ORDER BY language_id"
        assert sql(url, rows) == [
            (1, "English".ljust(20), " "),
            (2, " Japanese".ljust(20), "kept "),
        ]
