"""Rebuild sakila.jsonl.gz from jOOQ/sakila's postgres-sakila-insert-data-using-copy.sql.

    python tests/data/sakila/convert.py path/to/postgres-sakila-insert-data-using-copy.sql

Reads the COPY blocks of that file and writes one JSON line per table: {"table", "columns",
"rows"}; the changes to the data are listed in README.md next to this file.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ESCAPES = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
ORDER = [
    "country", "city", "address", "language", "category", "actor", "film", "film_actor",
    "film_category", "store", "staff", "customer", "inventory", "rental", "payment",
]  # fmt: skip


def unescape(field: str) -> str | None:
    if field == "\\N":
        return None
    return re.sub(r"\\.", lambda m: ESCAPES[m.group(0)], field)


def copy_blocks(text: str) -> dict[str, tuple[list[str], list[list[str | None]]]]:
    blocks: dict[str, tuple[list[str], list[list[str | None]]]] = {}
    lines = iter(text.splitlines())
    for line in lines:
        match = re.match(r"COPY public\.(\w+) \((.*)\) FROM stdin;", line)
        if not match:
            continue
        rows = []
        for row in lines:
            if row == "\\.":
                break
            rows.append([unescape(field) for field in row.split("\t")])
        blocks[match.group(1)] = (match.group(2).split(", "), rows)
    return blocks


def convert(table: str, columns: list[str], rows: list[list[str | None]]) -> dict[str, Any]:
    def value(column: str, raw: str | None, row: dict[str, str | None]) -> Any:
        if raw is None:
            return None
        if column.endswith("_id") or column in {"rental_duration", "length", "release_year"}:
            return int(raw)
        if table == "customer" and column == "active":
            return raw == "1"
        if column == "active":
            return raw == "t"
        if column == "special_features":  # a PostgreSQL array -> MySQL's SET text
            return ",".join(item.strip('"') for item in re.findall(r'"[^"]*"|[^,{}]+', raw))
        if table == "language" and column == "name":
            return raw.rstrip()
        return raw

    keep = [c for c in columns if c not in {"fulltext", "activebool"}]
    out = []
    for raw_row in rows:
        row = dict(zip(columns, raw_row, strict=True))
        out.append([value(c, row[c], row) for c in keep])
    if table == "payment":  # the source has no payment.last_update: NULL (nullable in MySQL)
        keep.append("last_update")
        for row_values in out:
            row_values.append(None)
    order = {"customer": ["customer_id", "store_id", "first_name", "last_name", "email",
                          "address_id", "active", "create_date", "last_update"]}  # fmt: skip
    if table in order:
        index = [keep.index(c) for c in order[table]]
        out = [[r[i] for i in index] for r in out]
        keep = order[table]
    key = keep.index(f"{table}_id") if f"{table}_id" in keep else None
    out.sort(key=lambda r: (r[key],) if key is not None else tuple(r[:2]))
    return {"table": table, "columns": keep, "rows": out}


def main(source: Path) -> None:
    blocks = copy_blocks(source.read_text(encoding="utf-8"))
    assert sorted(blocks) == sorted(ORDER), sorted(blocks)
    with gzip.open(HERE / "sakila.jsonl.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        for table in ORDER:
            line = convert(table, *blocks[table])
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
