"""`forge import`'s mapping from a reflected schema to the spec's data, without the spec
reader: which issue-14 option each database feature becomes (fast, in-process)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from generator import importer

DDL = """
CREATE TABLE "Artist" ("ArtistId" INTEGER NOT NULL PRIMARY KEY, "Name" VARCHAR(120));
CREATE TABLE "Album" (
    "AlbumId" INTEGER NOT NULL,
    "Title" VARCHAR(160) NOT NULL,
    "ArtistId" INTEGER NOT NULL REFERENCES "Artist" ("ArtistId") ON DELETE CASCADE,
    rank SMALLINT NOT NULL,
    price NUMERIC(10, 2) NOT NULL,
    CONSTRAINT "PK_Album" PRIMARY KEY ("AlbumId"),
    CONSTRAINT uq_album_title_artist UNIQUE ("Title", "ArtistId"),
    CONSTRAINT positive_price CHECK (price >= 0)
);
CREATE INDEX "IFK_AlbumArtistId" ON "Album" ("ArtistId");
CREATE INDEX idx_rank_title ON "Album" (rank, "Title");
CREATE TABLE country (code VARCHAR(3) NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL);
CREATE TABLE "Tag" ("TagId" INTEGER NOT NULL PRIMARY KEY, label VARCHAR(20) NOT NULL);
CREATE TABLE "AlbumTag" (
    "AlbumId" INTEGER NOT NULL REFERENCES "Album" ("AlbumId") ON DELETE RESTRICT,
    "TagId" INTEGER NOT NULL REFERENCES "Tag" ("TagId") ON DELETE RESTRICT,
    added_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    PRIMARY KEY ("AlbumId", "TagId")
);
"""


def _imported(tmp_path: Path) -> importer.Imported:
    path = tmp_path / "source.db"
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(DDL)
    schema = importer.reflect(importer.source_target(f"sqlite:///{path}"))
    return importer.import_schema(schema)


def test_tables_keys_columns_and_constraints_keep_their_names(tmp_path: Path) -> None:
    imported = _imported(tmp_path)
    album: dict[str, Any] = imported.entities["Album"]
    assert album["table"] == "Album"
    assert album["primary_key"] == {"column": "AlbumId"}
    assert album["fields"] == {
        "title": {"type": "str", "max_length": 160, "column": "Title"},
        "rank": {"type": "smallint"},
        "price": {"type": "decimal", "precision": 10, "scale": 2, "storage": "numeric"},
    }
    assert album["relations"]["artist"] == {
        "kind": "many_to_one",
        "target": "Artist",
        "on_delete": "cascade",
        "column": "ArtistId",
        "inverse": "albums",
    }
    assert album["unique"] == {"uq_album_title_artist": ["title", "artist"]}
    assert album["indexes"] == {
        "IFK_AlbumArtistId": ["artist"],
        "idx_rank_title": ["rank", "title"],
    }
    assert album["checks"] == {"positive_price": "price >= 0"}
    assert imported.tables["Album"].columns["Title"] == "Title"  # forge db load's map


def test_a_text_key_is_a_str_primary_key(tmp_path: Path) -> None:
    country = _imported(tmp_path).entities["Country"]
    assert country["primary_key"] == {"column": "code", "type": "str", "max_length": 3}
    assert country["fields"] == {"name": {"type": "str", "max_length": 50}}


def test_a_link_table_with_a_defaulted_column_is_a_many_to_many_with_link_fields(
    tmp_path: Path,
) -> None:
    imported = _imported(tmp_path)
    assert "AlbumTag" in imported.links
    tags = imported.entities["Album"]["relations"]["tags"]
    assert tags == {
        "kind": "many_to_many",
        "target": "Tag",
        "inverse": "albums",
        "link_table": "AlbumTag",
        "link_columns": ["AlbumId", "TagId"],
        "link_on_delete": "restrict",
        "link_fields": {"added_at": {"type": "datetime", "server_default": "now"}},
    }
    notes = [str(n) for n in imported.notes]
    assert not any(n.startswith("AlbumTag.added_at") for n in notes)  # DEFAULT CURRENT_TIMESTAMP


def test_mysql_integers_widen_to_the_smallest_spec_type_that_holds_them() -> None:
    """Signed TINYINT / MEDIUMINT are smallint / int with their `storage:` (exact, no
    note); the unsigned ones and YEAR widen to the smallest spec type, with a note."""
    from sqlalchemy import types
    from sqlalchemy.dialects import mysql

    cases = [
        (mysql.TINYINT(), {"type": "smallint", "storage": "tinyint"}, False),
        (mysql.TINYINT(unsigned=True), {"type": "smallint"}, True),
        (types.SmallInteger(), {"type": "smallint"}, False),
        (mysql.SMALLINT(unsigned=True), {"type": "int"}, True),
        (mysql.MEDIUMINT(), {"type": "int", "storage": "mediumint"}, False),
        (mysql.MEDIUMINT(unsigned=True), {"type": "int"}, True),
        (mysql.YEAR(), {"type": "smallint"}, True),
        (types.Integer(), {"type": "int"}, False),
        (mysql.INTEGER(unsigned=True), {"type": "bigint"}, True),
        (types.BigInteger(), {"type": "bigint"}, False),
    ]
    for kind, expected, noted in cases:
        notes: list[tuple[str, str]] = []
        found = importer._integer(
            kind, "X", lambda what, instead, found=notes: found.append((what, instead))
        )
        assert found == expected, kind
        assert bool(notes) is noted, (kind, notes)


def test_column_types_become_storage_options() -> None:
    """The types forge has another column for are imported as `storage:` (no note); a
    TIMESTAMP with a fraction of seconds keeps a note, PostgreSQL's TIMESTAMP is forge's
    own datetime, and a SQLite column spelled otherwise than NUMERIC / DECIMAL is noted."""
    from sqlalchemy import types
    from sqlalchemy.dialects import mysql, sqlite

    cases = [
        ("mysql", mysql.TINYTEXT(), {"type": "text", "storage": "tinytext"}, False),
        ("mysql", mysql.TEXT(), {"type": "text", "storage": "text"}, False),
        ("mysql", mysql.MEDIUMTEXT(), {"type": "text"}, False),
        ("mysql", mysql.LONGTEXT(), {"type": "text", "storage": "longtext"}, False),
        ("mysql", mysql.TIMESTAMP(), {"type": "datetime", "storage": "timestamp"}, False),
        ("mysql", mysql.TIMESTAMP(fsp=6), {"type": "datetime", "storage": "timestamp"}, True),
        ("mysql", mysql.DATETIME(), {"type": "datetime"}, False),
        ("sqlite", types.TIMESTAMP(), {"type": "datetime", "storage": "timestamp"}, False),
        ("postgresql", types.TIMESTAMP(timezone=True), {"type": "datetime"}, False),
        ("sqlite", types.DECIMAL(4, 2), {"storage": "decimal"}, False),
        ("sqlite", types.NUMERIC(4, 2), {"storage": "numeric"}, False),
        ("sqlite", sqlite.DECIMAL(4, 2), {"storage": "decimal"}, False),
        ("mysql", mysql.DECIMAL(4, 2), {"type": "decimal", "precision": 4, "scale": 2}, False),
    ]
    for kind, column_type, expected, noted in cases:
        table = importer.Table("t", [{"name": "c", "type": column_type}], [], [], [], [], [])
        notes: list[importer.Note] = []
        found = importer.field_type(
            importer.Schema(kind, {"t": table}), table, table.columns[0], notes
        )
        assert found is not None and expected.items() <= found.items(), (column_type, found)
        if "storage" not in expected:
            assert "storage" not in found, (column_type, found)
        assert bool(notes) is noted, (column_type, notes)


def test_server_defaults_as_each_database_shows_them() -> None:
    """A plain server default becomes `server_default:` however the database spells it;
    what forge writes otherwise, or cannot write, is noted."""
    notes: list[importer.Note] = []

    def default(raw: str, ftype: str, kind: str, **options: Any) -> tuple[str | None, Any]:
        return importer._default(raw, {"type": ftype, **options}, "t.c", notes, kind)

    enum = {"values": ["G", "PG"]}
    assert default("'G'::mpaa_rating", "enum", "postgresql", **enum) == ("server_default", "G")
    assert default("'it''s'::character varying", "str", "postgresql") == ("server_default", "it's")
    assert default("CURRENT_TIMESTAMP", "datetime", "postgresql") == ("server_default", "now")
    on_update = "current_timestamp() ON UPDATE current_timestamp()"
    assert default(on_update, "datetime", "mysql") == ("server_default", "now")
    assert default("curdate()", "date", "mysql") == ("server_default", "now")
    assert default("4.99", "decimal", "mysql") == ("server_default", "4.99")
    assert default("-1", "smallint", "sqlite") == ("server_default", -1)
    assert default("1", "bool", "mysql") == ("server_default", True)
    assert default("TRUE", "bool", "sqlite") == ("server_default", True)
    assert notes == []
    assert default("1", "bool", "sqlite") == ("server_default", True)
    assert default("now()", "datetime", "postgresql") == ("server_default", "now")
    assert default("'x'", "text", "mysql") == ("default", "x")
    assert default("NULL ON UPDATE current_timestamp()", "datetime", "mysql") == (None, None)
    assert default("gen_random_uuid()", "uuid", "postgresql") == (None, None)
    assert [f"{n.what}; {n.instead}" for n in notes] == [
        "server default 1; forge writes TRUE (the same)",
        "server default now(); forge writes CURRENT_TIMESTAMP (the same)",
        "server default 'x'; kept as `default: x` (applied by the application; forge writes "
        "no DEFAULT clause on a text column)",
        "ON UPDATE current_timestamp(); kept as `onupdate: now` (set by the application; the "
        "generated table has no ON UPDATE clause)",
        "server default gen_random_uuid(); not kept: the spec has no such default",
    ]
