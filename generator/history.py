"""`forge db clear-migration`: start the migration history over without touching the data.

    soft (default)   refuses unless the database is at head and matches the models;
                     writes one baseline revision that creates the current schema, moves the
                     old revision files to backups/revisions-<timestamp>/, and stamps the
                     database at the baseline (only alembic_version changes).
    --hard           Framefox's `database clear-migration`: moves the revision files away
                     and empties alembic_version, whatever state the database is in; the
                     tables stay but no revision describes them (development only).

The baseline is rendered by Alembic itself (the project's env.py and script template), from
operations built from the models: a table and its indexes per model table, parents first;
its downgrade drops them. If stamping fails, the old files come back and the baseline goes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import dbcheck
from generator.backup import Refused
from generator.db import Target, _engine, alembic, run

BACKUP_DIR = "backups"


@dataclass
class Cleared:
    replaced: int
    baseline: str | None
    baseline_path: Path | None
    kept_in: Path | None

    def summary(self, db: Target, root: Path) -> str:
        kept = f"; the old files are in {self.kept_in.relative_to(root)}/" if self.kept_in else ""
        if self.baseline is None:
            return (
                f"removed {self.replaced} revisions and cleared alembic_version of "
                f"{db.describe()}{kept}"
            )
        assert self.baseline_path is not None
        return (
            f"replaced {self.replaced} revisions by baseline {self.baseline} "
            f"({self.baseline_path.relative_to(root)}); {db.describe()} is stamped at it, "
            f"its data untouched{kept}"
        )


def _scripts(db: Target, root: Path) -> tuple[Any, list[Any]]:
    from alembic.script import ScriptDirectory

    scripts = alembic(db, root, ScriptDirectory.from_config)
    return scripts, list(scripts.walk_revisions())


def _current(db: Target) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    async def work() -> list[str]:
        engine = _engine(db.url)
        try:
            async with engine.connect() as connection:
                return sorted(
                    await connection.run_sync(
                        lambda sync: MigrationContext.configure(sync).get_current_heads()
                    )
                )
        finally:
            await engine.dispose()

    return run(db, work)


def preflight(db: Target, root: Path, hard: bool) -> int:
    """Refuse what clear-migration must not do; how many revisions it would replace."""
    scripts, revisions = _scripts(db, root)
    if not revisions:
        raise Refused("there are no revisions to clear")
    if hard:
        return len(revisions)
    heads = sorted(scripts.get_heads())
    current = _current(db)
    if current != heads:
        shown = ", ".join(current) or "no revision"
        raise Refused(
            f"{db.describe()} is at {shown}, not at head {', '.join(heads)}: run `forge db "
            "upgrade` first (the baseline describes the latest schema and the database is "
            "stamped at it)"
        )
    found = dbcheck.check(db, root)
    if found:
        raise Refused(
            f"the models and {db.describe()} differ (forge db check: {'; '.join(found)}): "
            'create and apply a migration (`forge db migrate -m "..."` then `forge db '
            "upgrade`) or undo the model change, then clear the history"
        )
    return len(revisions)


def _baseline_ops(metadata: Any, dialect: str) -> tuple[Any, Any]:
    """Create every table of the models with its indexes; drop them all on downgrade. A key
    with use_alter is added after every table (dropped before them) except on SQLite."""
    import sqlalchemy as sa
    from alembic.operations import ops

    upgrade: list[Any] = []
    downgrade: list[Any] = []
    later: list[Any] = []  # keys that break a cycle (cycles.py), as the project's env.py does
    for table in metadata.sorted_tables:
        create = ops.CreateTableOp.from_table(table)
        if dialect != "sqlite":
            keys = [
                item
                for item in create.columns
                if isinstance(item, sa.ForeignKeyConstraint) and item.use_alter
            ]
            create.columns = [item for item in create.columns if all(item is not k for k in keys)]
            later += keys
        upgrade.append(create)
        indexes = sorted(table.indexes, key=lambda index: str(index.name))
        upgrade.extend(ops.CreateIndexOp.from_index(index) for index in indexes)
        dropped: list[Any] = [ops.DropTableOp.from_table(table)]
        if dialect == "postgresql":  # PostgreSQL keeps an enum's type after its table
            dropped.extend(
                ops.ExecuteSQLOp(f'DROP TYPE IF EXISTS "{column.type.name}"')
                for column in table.columns
                if isinstance(column.type, sa.Enum) and column.type.name
            )
        downgrade[:0] = dropped
    upgrade += [ops.CreateForeignKeyOp.from_constraint(key) for key in later]
    downgrade[:0] = [ops.DropConstraintOp.from_constraint(key) for key in later]
    return ops.UpgradeOps(ops=upgrade), ops.DowngradeOps(ops=downgrade)


def _write_baseline(db: Target, root: Path) -> Any:
    """Render the baseline revision (a new root, beside the old history for now)."""
    from alembic import command
    from app.models import metadata

    def replace(context: Any, _revision: Any, directives: list[Any]) -> None:
        script = directives[0]
        script.upgrade_ops, script.downgrade_ops = _baseline_ops(metadata, context.dialect.name)
        script.head = "base"
        script.splice = True

    def action(config: Any) -> Any:
        with contextlib.redirect_stdout(io.StringIO()):  # Alembic's "Generating ... done"
            return command.revision(
                config,
                message="baseline",
                autogenerate=True,
                process_revision_directives=replace,
            )

    script = alembic(db, root, action)
    return script[0] if isinstance(script, list) else script


def _move_away(root: Path, paths: list[Path]) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    kept = root / BACKUP_DIR / f"revisions-{stamp}"
    counter = 1
    while kept.exists():
        counter += 1
        kept = root / BACKUP_DIR / f"revisions-{stamp}-{counter}"
    kept.mkdir(parents=True)
    for path in paths:
        shutil.move(str(path), kept / path.name)
    for cache in {path.parent / "__pycache__" for path in paths}:
        shutil.rmtree(cache, ignore_errors=True)
    return kept


def _restore_files(kept: Path, paths: list[Path]) -> None:
    for path in paths:
        shutil.move(str(kept / path.name), path)
    shutil.rmtree(kept, ignore_errors=True)


def clear(db: Target, root: Path, hard: bool = False) -> Cleared:
    """Run after preflight() and the user's confirmation."""
    from alembic import command

    _scripts_dir, revisions = _scripts(db, root)
    old = [Path(rev.path) for rev in revisions]
    if hard:
        kept = _move_away(root, old)
        _clear_version_table(db)
        return Cleared(len(old), None, None, kept)
    baseline = _write_baseline(db, root)
    new_path = Path(baseline.path)
    kept = _move_away(root, old)
    try:
        alembic(db, root, lambda config: command.stamp(config, baseline.revision, purge=True))
    except BaseException:
        new_path.unlink(missing_ok=True)
        _restore_files(kept, old)
        raise
    return Cleared(len(old), baseline.revision, new_path, kept)


def _clear_version_table(db: Target) -> None:
    async def work() -> None:
        from sqlalchemy import inspect, text

        engine = _engine(db.url)
        try:
            async with engine.begin() as connection:
                exists = await connection.run_sync(
                    lambda sync: inspect(sync).has_table("alembic_version")
                )
                if exists:
                    await connection.execute(text("DELETE FROM alembic_version"))
        finally:
            await engine.dispose()

    run(db, work)
