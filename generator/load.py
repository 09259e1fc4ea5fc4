"""`forge db load SOURCE_URL`: copy the rows of another database into the project's.

Built from the backup and restore machinery (generator/backup.py): the source is written
to a temporary backup file, each of its tables under the name the project's table has and
each value in the canonical form of the target column, and that file is restored with the
same foreign-key ordering, batches, progress, count-and-checksum verification (in one
transaction) and sequence advancing as `forge db restore`.

Which target table and column a source table and column go to: the same name when the
project has it, else the name `forge import` gives it (`Album.AlbumId` -> `album.id`), so a
database imported with `forge import` loads into the project generated from its spec.
Every source table must have a place, and every column of it; the target's tables must be
empty unless `append` says otherwise. Any refusal changes nothing.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator import backup, importer
from generator.backup import Column, Layout, Refused
from generator.db import Target


@dataclass
class LoadResult:
    tables: int
    rows: int
    advanced: int
    appended: bool

    def summary(self, source: str, db: Target) -> str:
        advanced = f"; {self.advanced} key sequences advanced" if self.advanced else ""
        verb = "appended" if self.appended else "loaded"
        return (
            f"{verb} {self.rows:,} rows of {self.tables} tables from {source} into "
            f"{db.describe()}; row counts and checksums verified for all {self.tables} "
            f"tables{advanced}"
        )


def layout(source: Target, state: backup.TargetState) -> Layout:
    """Source table -> (target table, [(source column, target Column)])."""
    names = importer.table_map(source)
    found: Layout = {}
    for table, mapped in names.items():
        target = table if table in state.tables else mapped.table
        info = state.tables.get(target)
        if info is None:
            raise Refused(
                f"the project's database has no table {target!r} for the source's table "
                f"{table!r}: run `forge db upgrade` (the spec from `forge import` of the "
                "source describes every table)"
            )
        by_name = {c.name: c for c in info.columns}
        columns: list[tuple[str, Column]] = []
        for name in mapped.source_columns:
            chosen = name if name in by_name else mapped.columns.get(name, "")
            if chosen not in by_name:
                raise Refused(
                    f"table {target} has no column for the source's column {table}.{name}; "
                    "nothing was loaded"
                )
            columns.append((name, by_name[chosen]))
        found[table] = (target, columns)
    return found


def load(db: Target, source_url: str, append: bool = False) -> LoadResult:
    """Copy every row of the database at `source_url` into `db` (see the module docstring)."""
    source = importer.source_target(source_url)
    state = backup._inspect(db)
    plan = layout(source, state)
    if not append:
        filled = [(t, state.rows[t]) for t, _ in plan.values() if state.rows.get(t)]
        if filled:
            name, count = filled[0]
            raise Refused(
                f"{db.describe()} is not empty (table {name} has {count:,} rows): load only "
                "into empty tables, or pass --append to add the rows to them"
            )
    with tempfile.TemporaryDirectory(prefix="forge-load-") as folder:
        path = Path(folder) / "source.jsonl.gz"
        backup.backup(source, Path(folder), path, plan)
        copied = backup.read(path)
        advanced = backup.fill(db, state, copied, append=append)
    return LoadResult(len(plan), copied.rows, advanced, append)
