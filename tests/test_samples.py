"""tests/samples.py builds Chinook and Sakila on SQLite, PostgreSQL and MariaDB: every table,
every row (counted against the data itself), foreign keys that hold, and the schema features
the importer needs to meet (Sakila's foreign-key cycle, composite keys, named indexes,
the composite unique; Chinook's PascalCase names and IFK_* indexes)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.samples import (
    CHINOOK_FILE,
    SCHEMAS,
    expected_counts,
    quote,
    sample_database,
    tables,
)

KINDS = ("sqlite", "postgresql", "mysql")
pytestmark = pytest.mark.xdist_group("samples")


def on(url: str, work: Callable[[Any], Any]) -> Any:
    """`work(connection)` on a synchronous view of the database at `url`, in a transaction."""
    from sqlalchemy.ext.asyncio import create_async_engine

    async def main() -> Any:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def reflect(url: str) -> dict[str, dict[str, Any]]:
    """Per table: its columns, primary key, foreign keys, indexes and unique constraints."""
    import sqlalchemy as sa

    def work(connection: Any) -> dict[str, dict[str, Any]]:
        inspector = sa.inspect(connection)
        return {
            name: {
                "columns": inspector.get_columns(name),
                "primary_key": inspector.get_pk_constraint(name),
                "foreign_keys": inspector.get_foreign_keys(name),
                "indexes": inspector.get_indexes(name),
                "uniques": inspector.get_unique_constraints(name),
            }
            for name in inspector.get_table_names()
        }

    return on(url, work)


@pytest.fixture(
    scope="module",
    params=[(sample, kind) for sample in ("chinook", "sakila") for kind in KINDS],
    ids=lambda p: "-".join(p),
)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, str]]:
    """(sample, kind, url) of a database holding the sample."""
    sample, kind = request.param
    if sample == "chinook" and not CHINOOK_FILE.is_file():
        pytest.skip(f"the Chinook sample database is not available at {CHINOOK_FILE}")
    folder = tmp_path_factory.mktemp(f"{sample}-{kind}")
    with sample_database(sample, kind, folder) as url:
        yield sample, kind, url


def test_every_table_and_row(built: tuple[str, str, str]) -> None:
    sample, kind, url = built
    schema = reflect(url)
    assert sorted(schema) == sorted(tables(sample))

    def counts(connection: Any) -> dict[str, int]:
        return {
            name: connection.exec_driver_sql(f"SELECT count(*) FROM {quote(kind, name)}").scalar()
            for name in tables(sample)
        }

    assert on(url, counts) == expected_counts(sample)


def test_foreign_keys_hold(built: tuple[str, str, str]) -> None:
    """Every foreign-key value has its row (SQLite also says so with foreign_key_check)."""
    sample, kind, url = built
    q = lambda name: quote(kind, name)  # noqa: E731
    queries = {}
    for table in SCHEMAS[sample]:
        for fk in table.foreign_keys:
            queries[f"{table.name}.{fk.column}"] = (
                f"SELECT count(*) FROM {q(table.name)} AS t WHERE t.{q(fk.column)} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {q(fk.target)} AS u "
                f"WHERE u.{q(fk.target_column)} = t.{q(fk.column)})"
            )

    def orphans(connection: Any) -> dict[str, Any]:
        found = {name: connection.exec_driver_sql(sql).scalar() for name, sql in queries.items()}
        if kind == "sqlite":
            found["foreign_key_check"] = connection.exec_driver_sql(
                "PRAGMA foreign_key_check"
            ).all()
        return found

    found = on(url, orphans)
    assert found == {name: 0 for name in queries} | (
        {"foreign_key_check": []} if kind == "sqlite" else {}
    )
    declared = {
        (t, fk["constrained_columns"][0])
        for t, r in reflect(url).items()
        for fk in r["foreign_keys"]
    }
    assert declared == {(t.name, fk.column) for t in SCHEMAS[sample] for fk in t.foreign_keys}


def test_new_rows_get_the_next_key(built: tuple[str, str, str]) -> None:
    """Auto-increment keys continue after the loaded rows (PostgreSQL's sequences are set)."""
    sample, kind, url = built
    table, column, other = ("Genre", "GenreId", "Name") if sample == "chinook" else (
        "category", "category_id", "name"
    )  # fmt: skip
    q = lambda name: quote(kind, name)  # noqa: E731

    def insert(connection: Any) -> Any:
        connection.exec_driver_sql(f"INSERT INTO {q(table)} ({q(other)}) VALUES ('Forge')")
        return connection.exec_driver_sql(
            f"SELECT {q(column)} FROM {q(table)} WHERE {q(other)} = 'Forge'"
        ).scalar()

    assert on(url, insert) == expected_counts(sample)[table] + 1


def test_sakila_cycle_composite_keys_and_names(built: tuple[str, str, str]) -> None:
    sample, kind, url = built
    if sample != "sakila":
        pytest.skip("Sakila only")
    schema = reflect(url)

    def targets(table: str) -> dict[str, str]:
        return {
            fk["constrained_columns"][0]: fk["referred_table"]
            for fk in schema[table]["foreign_keys"]
        }

    assert targets("store")["manager_staff_id"] == "staff"
    assert targets("staff")["store_id"] == "store"
    managers = on(
        url,
        lambda c: c.exec_driver_sql(
            "SELECT store_id, manager_staff_id FROM store ORDER BY 1"
        ).all(),
    )
    assert [tuple(row) for row in managers] == [(1, 1), (2, 2)]
    fk_names = {fk["name"] for r in schema.values() for fk in r["foreign_keys"]}
    assert {"fk_store_staff", "fk_staff_store", "fk_payment_rental"} <= fk_names
    assert schema["film_actor"]["primary_key"]["constrained_columns"] == ["actor_id", "film_id"]
    assert schema["film_category"]["primary_key"]["constrained_columns"] == [
        "film_id",
        "category_id",
    ]
    uniques = {u["name"]: u["column_names"] for u in schema["rental"]["uniques"]}
    assert uniques["idx_unq_rental_rental_date_inventory_id_customer_id"] == [
        "rental_date",
        "inventory_id",
        "customer_id",
    ]
    indexes = {i["name"]: i["column_names"] for i in schema["inventory"]["indexes"]}
    assert indexes["idx_store_id_film_id"] == ["store_id", "film_id"]
    staff_index = "idx_fk_store_id" if kind == "mysql" else "idx_staff_fk_store_id"
    assert staff_index in {i["name"] for i in schema["staff"]["indexes"]}
    rating = next(c for c in schema["film"]["columns"] if c["name"] == "rating")
    if kind != "sqlite":
        assert list(rating["type"].enums) == ["G", "PG", "PG-13", "R", "NC-17"]
    types = {c["name"]: str(c["type"]).split("(")[0] for c in schema["film"]["columns"]}
    assert types["length"] == "SMALLINT"
    if kind == "mysql":
        assert types["language_id"] == "TINYINT"
        assert "ON UPDATE CURRENT_TIMESTAMP" in _show_create(url, "film").upper()


def _show_create(url: str, table: str) -> str:
    return str(on(url, lambda c: c.exec_driver_sql(f"SHOW CREATE TABLE `{table}`").all()[0][1]))


def test_chinook_keeps_its_names(built: tuple[str, str, str]) -> None:
    sample, kind, url = built
    if sample != "chinook":
        pytest.skip("Chinook only")
    schema = reflect(url)
    assert schema["PlaylistTrack"]["primary_key"]["constrained_columns"] == [
        "PlaylistId",
        "TrackId",
    ]
    if kind == "postgresql":
        assert schema["Album"]["primary_key"]["name"] == "PK_Album"
    assert {i["name"] for i in schema["Track"]["indexes"]} >= {
        "IFK_TrackAlbumId",
        "IFK_TrackGenreId",
        "IFK_TrackMediaTypeId",
    }
    with closing(sqlite3.connect(f"file:{CHINOOK_FILE}?mode=ro", uri=True)) as original:
        for table in tables("chinook"):  # the same columns, in order, and their NOT NULL
            expected = [
                (name, not notnull)
                for _, name, _, notnull, _, _ in original.execute(f'PRAGMA table_info("{table}")')
            ]
            found = [(c["name"], c["nullable"]) for c in schema[table]["columns"]]
            assert found == expected, table


def test_unknown_sample_is_refused(tmp_path: Path) -> None:
    from tests.samples import create_sample

    with pytest.raises(ValueError, match="unknown sample 'pagila'"):
        create_sample("pagila", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
