"""Narrowing type changes on a database with rows: a smaller decimal precision and scale,
text that becomes an integer (a cast; PostgreSQL needs USING), text that becomes a string
with a max_length.

`forge db upgrade` refuses before any DDL when existing values do not fit (one line: table,
column, how many rows; database unchanged); once they fit, the upgrade keeps and casts
the values, and the downgrade brings them back as they were.
"""

from __future__ import annotations

import asyncio
import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import forge, project_with_database, sql

SPEC = """\
project:
  name: shop
  database: {kind}

entities:
  Item:
    fields:
      code: {{type: str, max_length: 12}}
      note: text
      price: {{type: decimal, precision: 10, scale: 2}}
"""


def column_types(url: str) -> dict[str, str]:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    async def main() -> dict[str, str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                columns = await connection.run_sync(lambda c: sa.inspect(c).get_columns("item"))
        finally:
            await engine.dispose()
        return {c["name"]: str(c["type"]) for c in columns}

    return asyncio.run(main())


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    kind = request.param
    with project_with_database(tmp_path, "shop", SPEC.format(kind=kind), kind) as made:
        yield made


def test_narrowing_is_checked_before_any_ddl(shop: tuple[Path, str]) -> None:
    project, url = shop
    env = {"DATABASE_URL": url}

    def db(*args: str, check: bool = True) -> Any:
        return forge("db", *args, cwd=project, env=env, check=check)

    def refused(expected: str) -> None:
        types = column_types(url)
        result = db("upgrade", check=False)
        lines = [x for x in result.stderr.splitlines() if not x.startswith("Running ")]
        assert result.returncode in (1, 2) and len(lines) == 1, result.stdout + result.stderr
        assert expected in lines[0], lines[0]
        assert column_types(url) == types  # no DDL ran
        assert sql(url, "SELECT code, price FROM item ORDER BY id") == rows

    sqlite = url.startswith("sqlite")

    def money(text: str) -> str:
        """A decimal(10, 2) as stored: SQLite keeps a scaled integer (app/core/types.py)."""
        return str(int(decimal.Decimal(text) * 100)) if sqlite else text

    def read(stored: Any, scale: int) -> decimal.Decimal:
        value = decimal.Decimal(str(stored))
        return value.scaleb(-scale) if sqlite else value

    db("migrate", "-m", "initial", "--no-input")
    db("upgrade")
    sql(
        url,
        "INSERT INTO item (code, note, price) VALUES ('12', 'a', :p1), ('-7', 'b', :p2),"
        " ('x1', 'too long', :p3)".replace(":p1", money("12345.67"))
        .replace(":p2", money("1.25"))
        .replace(":p3", money("0.5")),
    )
    rows = sql(url, "SELECT code, price FROM item ORDER BY id")
    spec = project / "forge.yaml"
    text = spec.read_text()
    spec.write_text(
        text.replace("code: {type: str, max_length: 12}", "code: {type: int}")
        .replace("precision: 10, scale: 2", "precision: 6, scale: 1")
        .replace("note: text", "note: {type: str, max_length: 5}")
    )
    forge("generate", cwd=project)
    migrated = db("migrate", "-m", "narrow", "--no-input")
    revision = next((project / "alembic" / "versions").glob("*_narrow.py")).read_text()
    assert "schema_changes.refuse_not_integer('item', 'code', 32)" in revision, revision
    if "sqlite" in url:  # a scaled integer there (app/core/types.py): checked, rescaled
        assert "schema_changes.refuse_scaled('item', 'price', 6, 1, 2)" in revision, revision
        assert "schema_changes.rescale('item', 'price', 2, 1)" in revision, revision
    else:
        assert "schema_changes.refuse_numeric('item', 'price', 6, 1)" in revision, revision
    assert "schema_changes.refuse_longer('item', 'note', 5)" in revision, revision
    assert "postgresql_using='code::INTEGER'" in revision, revision
    assert "postgresql_using='code::VARCHAR(12)'" in revision, revision
    assert migrated.returncode == 0

    refused("item.code: 1 row(s) are not whole numbers")
    sql(url, "UPDATE item SET code = '+42' WHERE code = 'x1'")
    rows = sql(url, "SELECT code, price FROM item ORDER BY id")
    refused("item.note: 1 row(s) longer than 5 characters")
    sql(url, "UPDATE item SET note = 'c' WHERE note = 'too long'")
    refused("item.price: 2 row(s) do not fit 6 digits with 1 after the point")
    sql(url, f"UPDATE item SET price = {money('1234.5')} WHERE price > {money('10000')}")
    rows = sql(url, "SELECT code, price FROM item ORDER BY id")
    refused("item.price: 1 row(s) do not fit 6 digits with 1 after the point")
    sql(url, f"UPDATE item SET price = {money('1.2')} WHERE price = {money('1.25')}")

    db("upgrade")
    after = sql(url, "SELECT code, price FROM item ORDER BY id")
    assert [(code, read(price, 1)) for code, price in after] == [
        (12, decimal.Decimal("1234.5")),
        (-7, decimal.Decimal("1.2")),
        (42, decimal.Decimal("0.5")),
    ]
    assert isinstance(after[0][0], int)

    db("downgrade", "--", "-1")
    before = sql(url, "SELECT code, price FROM item ORDER BY id")
    assert [(code, read(price, 2)) for code, price in before] == [
        ("12", decimal.Decimal("1234.5")),
        ("-7", decimal.Decimal("1.2")),
        ("42", decimal.Decimal("0.5")),
    ]
