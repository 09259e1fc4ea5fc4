"""`checks:` (CHECK constraints) added, changed and removed on a table that already has rows,
migrated on SQLite, PostgreSQL and MariaDB (the ORMs taking turns: tests/helpers.py
orm_kind_pairs).

Alembic's autogenerate does not compare CHECK constraints, so a check added to an existing
entity used to be left out of the next `forge db migrate` (and a removed one stayed in the
database). `forge db migrate` now compares the spec's checks with those of its last
revision: a removed or changed check is dropped first, an added or changed one created
last; an added check that rows break is refused in one line, naming the check and the
count, with nothing written. Here each step is migrated and applied, the database then
refuses (or accepts) what the spec says, `alembic check` and `forge db check` are clean,
and the chain goes down to base and up again.
"""

from __future__ import annotations

import re
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
project: {{name: store, orm: {orm}}}
entities:
  Product:
    fields:
      name: {{type: str, max_length: 40}}
      price: int
      stock: int
"""


def edited(project: Path, old: str, new: str) -> None:
    spec = project / "forge.yaml"
    spec.write_text(spec.read_text().replace(old, new))
    forge("generate", cwd=project)


def migrated(project: Path, env: dict[str, str], message: str) -> str:
    result = forge("db", "migrate", "-m", message, "--no-input", cwd=project, env=env)
    in_project(project, "alembic", "upgrade", "head", **env)
    in_project(project, "alembic", "check", **env)
    forge("db", "check", cwd=project, env=env)  # the live CHECKs are the spec's
    return result.stdout


def refused(url: str, statement: str) -> bool:
    try:
        sql(url, statement)
    except Exception as error:  # each database words it its own way
        assert re.search("(?i)check|constraint", str(error)), error
        return True
    return False


@pytest.mark.parametrize("pair", orm_kind_pairs(0, "check-migrations"))
def test_checks_added_changed_and_removed_on_a_table_with_rows(
    tmp_path: Path, pair: tuple[str, str]
) -> None:
    orm, kind = pair
    with project_with_database(tmp_path, "store", SPEC.format(orm=orm), kind) as (project, url):
        env = {"DATABASE_URL": url}
        migrated(project, env, "initial")
        sql(
            url,
            "INSERT INTO product (id, name, price, stock) VALUES (1, 'a', 5, 1), (2, 'b', -3, 0)",
        )

        # added while a row breaks it: refused, one line, nothing written
        edited(project, "    fields:\n", '    checks: {price_positive: "price > 0"}\n    fields:\n')
        refusal = "entities.Product.checks.price_positive: 1 row(s) of product break it"
        migrate_refused(project, env, refusal)

        sql(url, "UPDATE product SET price = 3 WHERE id = 2")
        assert "product: check price_positive added" in migrated(project, env, "positive")
        assert refused(url, "INSERT INTO product (id, name, price, stock) VALUES (3, 'c', -1, 0)")

        # changed (the same name, another expression) and one more added
        edited(
            project,
            '{price_positive: "price > 0"}',
            '{price_positive: "price >= 1 AND stock >= 0", product_stock_small: "stock < 1000"}',
        )
        migrated(project, env, "stock")
        assert refused(url, "INSERT INTO product (id, name, price, stock) VALUES (3, 'c', 1, -1)")
        assert refused(url, "INSERT INTO product (id, name, price, stock) VALUES (3, 'c', 1, 5000)")

        # removed: the database accepts what the spec now allows
        edited(project, '{price_positive: "price >= 1 AND stock >= 0", ', "{")
        assert "product: check price_positive dropped" in migrated(project, env, "any price")
        sql(url, "INSERT INTO product (id, name, price, stock) VALUES (3, 'c', -5, 0)")
        assert refused(url, "INSERT INTO product (id, name, price, stock) VALUES (4, 'd', 1, 5000)")

        assert sql(url, "SELECT id, price FROM product ORDER BY id") == [(1, 5), (2, 3), (3, -5)]
        sql(url, "DELETE FROM product WHERE id = 3")  # the first revisions refuse it

        # the entity (its table) renamed and a check changed in one revision: the check,
        # whose name begins with the old table's, is dropped and created on the renamed table
        forge("rename", "entity", "Product", "Item", cwd=project)
        edited(project, '"stock < 1000"', '"stock < 500"')
        assert "item: check product_stock_small added" in migrated(project, env, "item")
        assert refused(url, "INSERT INTO item (id, name, price, stock) VALUES (4, 'd', 1, 700)")
        sql(url, "INSERT INTO item (id, name, price, stock) VALUES (4, 'd', 1, 400)")
        sql(url, "DELETE FROM item WHERE id = 4")
        in_project(project, "alembic", "downgrade", "base", **env)
        in_project(project, "alembic", "upgrade", "head", **env)
