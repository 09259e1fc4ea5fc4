"""Spec-aware `forge db migrate`: the revisions Alembic's autogenerate cannot write alone.

Autogenerate compares the models with the database and is blind to intent: a renamed
column is a drop plus an add (the values are lost), a new required column has no value
for existing rows, a shorter max_length or a removed enum value fails half-way (or not at
all on SQLite). forge knows the intent from the spec, so `migrate` lets autogenerate
compare, then rewrites its operations (a hook on the revision, before it is written):

| autogenerate wrote                      | forge writes instead                          |
|-----------------------------------------|-----------------------------------------------|
| drop + add of a renamed column / table  | `schema_changes.rename_column/rename_table`   |
|                                         | (renames indexes, constraints, sequence, enum)|
| any other drop of a column or table     | refusal, one line each, unless --allow-drop   |
| add of a NOT NULL column                | add nullable, backfill, then set NOT NULL     |
| nullable -> NOT NULL                    | backfill NULLs first (or refuse at upgrade)   |
| a shorter String                        | a check at the top of upgrade()               |
| (nothing, or an enum type change)       | check / remap rows using removed enum values  |
| (nothing: it does not compare defaults) | alter_column of a changed `server_default:`   |
| (nothing: it does not compare CHECKs)   | drop / create of a changed `checks:` entry    |
|                                         | (refused while rows break an added one)       |

Renames come from `forge rename` (recorded in `.forge/renames.json` until the next
migrate), from `--rename Entity.old=new`, or from a yes at an interactive question.

Each revision forge writes gets a snapshot of the spec it was made from beside it
(`alembic/versions/<revision file>.forge.json`): the next migrate compares the current
spec with it (enum values removed, defaults). The generated helpers live in the project
(`app/core/schema_changes.py`), so revisions do not need forge to run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generator import naming
from generator.errors import ForgeError, SpecError
from generator.model import Model, build_model
from generator.spec import FieldSpec, Spec, load_spec, parse_spec

RENAMES_FILE = ".forge/renames.json"
SNAPSHOT_SUFFIX = ".forge.json"


class MigrationRefused(ForgeError):
    """The revision would lose data or cannot be written safely; nothing was written."""

    exit_code = 1


# --------------------------------------------------------------------------- renames


@dataclass(frozen=True)
class Rename:
    """A physical rename: a table (column is None) or a column of `table` (its new name)."""

    table: str
    old: str
    new: str
    column: bool = False

    def describe(self) -> str:
        if self.column:
            return f"column {self.table}.{self.old} -> {self.table}.{self.new}"
        return f"table {self.old} -> {self.new}"


def physical_renames(
    old: Model,
    new: Model,
    entities: dict[str, str],
    members: dict[tuple[str, str], str],
) -> list[Rename]:
    """Tables and columns renamed when going from `old` to `new`.

    `entities` maps old entity names to new ones; `members` maps (old entity, old field or
    relation name) to the new name. Tables come first, columns are named in their new
    table, so applying the list in order turns the old database into the new one.
    """

    def entity(name: str) -> str:
        return entities.get(name, name)

    def member(owner: str, name: str) -> str:
        return members.get((owner, name), name)

    tables: list[Rename] = []
    columns: list[Rename] = []
    for old_entity in old.entities:
        try:
            new_entity = new.entity(entity(old_entity.class_name))
        except KeyError:
            continue
        if old_entity.table != new_entity.table:
            tables.append(Rename(old_entity.table, old_entity.table, new_entity.table))
        new_fields = {f.name: f for f in new_entity.fields}
        for field in old_entity.fields:
            renamed = member(old_entity.class_name, field.name)
            new_field = new_fields.get(renamed)
            before, after = field.column or field.name, new_field and (new_field.column or renamed)
            if after and after != before:  # the field, or only its `column:`, renamed
                columns.append(Rename(new_entity.table, before, after, column=True))
    old_fks = _foreign_keys(old, entity, member)
    new_fks = _foreign_keys(new, lambda n: n, lambda _o, n: n)
    for key, (_table, column) in old_fks.items():
        if key in new_fks and new_fks[key][1] != column:
            columns.append(Rename(new_fks[key][0], column, new_fks[key][1], column=True))
    old_links = _links(old, entity, member)
    new_links = _links(new, lambda n: n, lambda _o, n: n)
    for key, (table, left, right) in old_links.items():
        if key not in new_links:
            continue
        new_table, new_left, new_right = new_links[key]
        if new_table != table:
            tables.append(Rename(table, table, new_table))
        for before, after in ((left, new_left), (right, new_right)):
            if before != after:
                columns.append(Rename(new_table, before, after, column=True))
    return tables + columns


def _foreign_keys(
    model: Model, entity: Callable[[str], str], member: Callable[[str, str], str]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(declaring entity, relation) -> (table, fk column), in the new names' terms."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for owner in model.entities:
        for end in owner.relations:
            if end.kind == "fk" and end.fk_column and end.fk_owner:
                key = (entity(owner.class_name), member(owner.class_name, end.name))
                fk = next(k for k in owner.foreign_keys if k.column == end.fk_column)
                found[key] = (owner.table, fk.database_column)
    return found


def _links(
    model: Model, entity: Callable[[str], str], member: Callable[[str, str], str]
) -> dict[tuple[str, str], tuple[str, str, str]]:
    found: dict[tuple[str, str], tuple[str, str, str]] = {}
    for owner in model.entities:
        for relation in owner.spec.relations:
            if relation.kind != "many_to_many":
                continue
            end = next(e for e in owner.relations if e.name == relation.name and e.link)
            link = end.link
            assert link is not None
            key = (entity(owner.class_name), member(owner.class_name, relation.name))
            found[key] = (link.table, link.left[0], link.right[0])
    return found


def read_pending(project: Path) -> list[Rename]:
    path = project / RENAMES_FILE
    if not path.is_file():
        return []
    try:
        return [Rename(**item) for item in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, TypeError) as exc:
        raise ForgeError(
            f"{RENAMES_FILE} is not a list of renames ({exc}); fix or delete it"
        ) from None


def pending_text(renames: list[Rename]) -> str:
    return json.dumps([asdict(r) for r in renames], indent=2) + "\n"


def merge_pending(earlier: list[Rename], later: list[Rename]) -> list[Rename]:
    """Two renames in a row (a -> b, then b -> c) become one (a -> c)."""
    result = list(earlier)
    for rename in later:
        for index, previous in enumerate(result):
            same_place = previous.column == rename.column and (
                not rename.column or previous.table == rename.table
            )
            if same_place and previous.new == rename.old:
                result[index] = Rename(rename.table, previous.old, rename.new, rename.column)
                break
        else:
            result.append(rename)
    # a table renamed after its columns were: the column renames name the new table
    tables = {r.old: r.new for r in result if not r.column}
    return [
        Rename(tables.get(r.table, r.table), r.old, r.new, True) if r.column else r for r in result
    ]


# ------------------------------------------------------------------- flags and values


def parse_assignment(text: str, flag: str) -> tuple[str, str, str]:
    """`Post.title=headline` -> ("Post", "title", "headline")."""
    target, sep, value = text.partition("=")
    entity, dot, name = target.partition(".")
    if not sep or not dot or not entity or not name:
        raise SpecError(flag, f"{text!r} must look like Entity.field=value")
    return entity.strip(), name.strip(), value.strip()


def flag_renames(spec: Spec, values: list[str]) -> list[Rename]:
    """`--rename Post.title=headline`: the new name is in the spec, the old one is not."""
    model = build_model(spec)
    renames: list[Rename] = []
    for text in values:
        name, old, new = parse_assignment(text, "--rename")
        link = next((link for link in model.link_tables if link.class_name == name), None)
        if link is not None:  # a field of a link table (`--rename PostTagLink.rank=position`)
            found = next((f for f in link.fields if f.name == new), None)
            if found is None:
                raise SpecError(
                    "--rename", f"{name} has no link field {new!r} (the new name, from forge.yaml)"
                )
            renames.append(Rename(link.table, old, found.column or new, column=True))
            continue
        try:
            entity = model.entity(name)
        except KeyError:
            classes = [e.class_name for e in model.entities]
            known = ", ".join(classes + [link.class_name for link in model.link_tables])
            raise SpecError("--rename", f"unknown entity {name!r} (known: {known})") from None
        # `old` is the old field or relation name, or the old column when only the
        # field's `column:` changed (`--rename Artist.Name=name`).
        field = next((f for f in entity.fields if f.name == new), None)
        if field is not None:
            renames.append(Rename(entity.table, old, field.column or new, column=True))
            continue
        fk = next((k for k in entity.foreign_keys if k.relation == new), None)
        if fk is not None:
            before = old if old == fk.column_name else naming.fk_column(old)
            renames.append(Rename(entity.table, before, fk.database_column, column=True))
            continue
        raise SpecError(
            "--rename", f"{name} has no field or relation {new!r} (the new name, from forge.yaml)"
        )
    return renames


def parse_value(field: FieldSpec | None, text: str) -> Any:
    """A `--default` value, read like a YAML scalar (`0`, `true`, `now`, `uuid4`, `draft`)."""
    from generator.spec import read_yaml

    if field is not None and field.type in ("str", "text", "enum"):
        return text
    try:
        value = read_yaml(text)
    except SpecError:
        return text
    return value


# ------------------------------------------------------------------------- snapshots


# Options added after snapshots were first written: left out at their defaults, so that a
# spec that does not use them keeps byte-identical snapshots (reading fills them in).
_LATER_ENTITY_OPTIONS: dict[str, Any] = {"unique": [], "indexes": [], "checks": []}
_LATER_FIELD_OPTIONS: dict[str, Any] = {
    "onupdate": None,
    "storage": None,
    "national": False,
    "timezone": True,
    "fixed": False,
    "enum_type": None,
}


def snapshot_text(spec: Spec) -> str:
    data = spec.model_dump(mode="json")
    for entity in data["entities"]:
        for key, default in _LATER_ENTITY_OPTIONS.items():
            if entity.get(key) == default:
                del entity[key]
        fields = list(entity["fields"])
        for relation in entity.get("relations", []):
            fields += relation.get("link_fields", [])
            if relation.get("link_indexes") == []:
                del relation["link_indexes"]
            for later in ("link_key_name", "on_update", "link_on_update"):
                if relation.get(later, 0) is None:
                    del relation[later]
            if relation.get("index") is True:
                del relation["index"]
        key = entity.get("primary_key")
        if isinstance(key, dict) and key.get("name", 0) is None:
            del key["name"]
        if isinstance(key, dict) and key.get("storage", 0) is None:
            del key["storage"]
        for field in fields:
            for key, default in _LATER_FIELD_OPTIONS.items():
                if field.get(key) == default:
                    del field[key]
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def read_snapshot(revision_path: str | None) -> Spec | None:
    if not revision_path:
        return None
    path = Path(revision_path).with_suffix(SNAPSHOT_SUFFIX)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Spec.model_validate(data)


# ---------------------------------------------------------------- revision rewriting


@dataclass
class Options:
    renames: list[Rename]
    defaults: dict[tuple[str, str], str]  # (entity, field) -> text of --default
    allow_drop: bool
    ask: Callable[[str], bool] | None  # None: no terminal, --no-input


@dataclass
class Outcome:
    paths: list[str]
    notes: list[str]


def migrate(db: Any, project: Path, message: str, options: Options) -> Outcome:
    """Autogenerate a revision and rewrite it with the spec's intent (see the module)."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from generator import db as dbmod

    spec = load_spec(project / "forge.yaml")
    notes: list[str] = []

    def action(config: Any) -> Outcome:
        scripts = ScriptDirectory.from_config(config)
        head = scripts.get_current_head() if scripts.get_heads() else None
        previous = read_snapshot(scripts.get_revision(head).path if head else None)
        writer = _Writer(spec, previous, options, notes)
        try:
            result = command.revision(
                config,
                message=message,
                autogenerate=True,
                process_revision_directives=writer,
            )
        except CommandError as exc:
            if "not up to date" in str(exc):
                raise dbmod.DatabaseError(
                    "the database is not at the latest revision: run `forge db upgrade` first"
                ) from None
            raise
        written = [s for s in (result if isinstance(result, list) else [result]) if s]
        paths = []
        for script in written:
            path = Path(script.path)
            path.with_suffix(SNAPSHOT_SUFFIX).write_text(snapshot_text(spec), encoding="utf-8")
            paths.append(str(path.relative_to(project)))
        return Outcome(paths, notes)

    return dbmod.alembic(db, project, action)


def _q(value: Any) -> str:
    return repr(value)


class _Writer:
    """The process_revision_directives hook: rewrites the autogenerated operations."""

    def __init__(
        self, spec: Spec, previous: Spec | None, options: Options, notes: list[str]
    ) -> None:
        self.spec = spec
        self.model = build_model(spec)
        self.previous = previous
        self.options = options
        self.notes = notes
        self.by_table = {e.table: e for e in self.model.entities}

    def __call__(self, context: Any, revision: Any, directives: list[Any]) -> None:
        from alembic.operations import ops

        script = directives[0]
        upgrade: Any = script.upgrade_ops
        renames = self._confirm_renames(upgrade, context)
        _remove_renamed(upgrade, renames, context.bind.dialect)
        self._refuse_drops(upgrade)
        first: list[Any] = [Call("rename", r) for r in renames if not r.column]
        first += [Call("rename", r) for r in renames if r.column]
        checks, fills, downgrade_checks = self._enum_changes(context.bind, renames)
        rewritten: list[Any] = []
        for operation in upgrade.ops:
            rewritten.extend(self._rewrite(operation, checks, downgrade_checks))
        self._scaled_decimals(context.bind, checks, fills, downgrade_checks)
        rewritten += self._server_defaults(context, upgrade.ops, renames)
        dropped_checks, added_checks = self._check_changes(context.bind, renames)
        rewritten = dropped_checks + rewritten + added_checks
        if not (first or rewritten or fills or downgrade_checks):
            directives[:] = []
            return
        # checks first (before any DDL, so before the renames: the old names)
        checks = [_before_renames(check, renames) for check in checks]
        fills = [_before_renames(fill, renames) for fill in fills]
        # in downgrade too: reversal puts the last first
        upgrade.ops = checks + fills + first + rewritten + downgrade_checks
        token = script.downgrade_ops.downgrade_token
        script.downgrade_ops = ops.UpgradeOps(ops=upgrade.ops).reverse()
        script.downgrade_ops.downgrade_token = token
        for rename in renames:
            self.notes.append(f"renamed {rename.describe()} (values kept)")

    # ---- renames

    def _confirm_renames(self, upgrade: Any, context: Any) -> list[Rename]:
        renames = list(self.options.renames)
        if self.options.ask is None:
            return renames
        renames += self._confirm_tables(upgrade, renames)
        dropped, added = _drops_and_adds(upgrade)
        for table, column, kind in dropped:
            if any(r.column and r.table == table and r.old == column for r in renames):
                continue
            for new_table, new_column, new_kind in added:
                if new_table != table or _affinity(new_kind) is not _affinity(kind):
                    continue
                question = f"Did you rename {table}.{column} to {table}.{new_column}?"
                if self.options.ask(question):
                    renames.append(Rename(table, column, new_column, column=True))
                    added.remove((new_table, new_column, new_kind))
                    break
        return renames

    def _confirm_tables(self, upgrade: Any, renames: list[Rename]) -> list[Rename]:
        """A dropped table and a created one with the same columns (names and kinds of
        types): the question whether it is a rename."""
        from alembic.operations import ops

        assert self.options.ask is not None
        known = {r.old for r in renames if not r.column} | {r.new for r in renames if not r.column}
        dropped = [
            o for o in upgrade.ops if isinstance(o, ops.DropTableOp) and o.table_name not in known
        ]
        created = [
            o for o in upgrade.ops if isinstance(o, ops.CreateTableOp) and o.table_name not in known
        ]
        confirmed: list[Rename] = []
        for drop in dropped:
            shape = _shape(drop.to_table().columns)
            for create in created:
                if _shape(create.to_table().columns) != shape:
                    continue
                if self.options.ask(
                    f"Did you rename table {drop.table_name} to {create.table_name}?"
                ):
                    confirmed.append(Rename(drop.table_name, drop.table_name, create.table_name))
                    created.remove(create)
                    break
        return confirmed

    def _refuse_drops(self, upgrade: Any) -> None:
        from alembic.operations import ops

        dropped, added = _drops_and_adds(upgrade)
        tables = [o.table_name for o in upgrade.ops if isinstance(o, ops.DropTableOp)]
        new_tables = [o.table_name for o in upgrade.ops if isinstance(o, ops.CreateTableOp)]
        lines: list[str] = []
        for table, column, _kind in dropped:
            what = f"column {table}.{column}"
            if self.options.allow_drop or (
                self.options.ask and self.options.ask(f"Drop {what} and all its values?")
            ):
                continue
            hint = "pass --allow-drop to drop it with its values"
            entity = self.by_table.get(table)
            candidates = [c for t, c, _k in added if t == table]
            link = next((link for link in self.model.link_tables if link.table == table), None)
            # --rename takes the new link field's name, which may differ from its column
            field = (
                next((f.name for f in link.fields if (f.column or f.name) in candidates), None)
                if link
                else None
            )
            if entity and candidates:
                hint = (
                    f"looks like a rename? forge rename field {entity.class_name} "
                    f"{column} {candidates[0]}; or pass --allow-drop"
                )
            elif link and field:
                hint = (
                    f"looks like a rename? pass --rename {link.class_name}.{column}="
                    f"{field}; or pass --allow-drop"
                )
            lines.append(f"would drop {what} and its values ({hint})")
        for table in tables:
            what = f"table {table}"
            if self.options.allow_drop or (
                self.options.ask and self.options.ask(f"Drop {what} and all its rows?")
            ):
                continue
            hint = "pass --allow-drop to drop it with its rows"
            if new_tables:
                created = self._entity_of(new_tables[0])
                hint = (
                    f"looks like a rename? forge rename entity {naming.pascal_case(table)} "
                    f"{created}; or pass --allow-drop"
                )
            lines.append(f"would drop {what} and its rows ({hint})")
        if lines:
            raise MigrationRefused("\n".join(lines))

    def _entity_of(self, table: str) -> str:
        entity = self.by_table.get(table)
        return entity.class_name if entity else naming.pascal_case(table)

    # ---- values for existing rows

    def _fill(self, table: str, column: str) -> tuple[bool, Any]:
        """(known, value) for existing rows of a column that becomes required."""
        entity = self.by_table.get(table)
        if entity is None:
            return False, None
        field = next((f for f in entity.fields if (f.column or f.name) == column), None)
        relation = next(
            (k.relation for k in entity.foreign_keys if k.database_column == column), None
        )
        name = field.name if field else relation or column
        given = self.options.defaults.get((entity.class_name, name))
        if given is not None:
            return True, parse_value(field, given)
        if field is not None and field.has_default:
            default = field.default
            if hasattr(default, "value"):
                default = default.value
            return True, default
        if column in ("created_at", "updated_at") and entity.spec.timestamps:
            return True, "now"
        return False, name

    def _rewrite(self, operation: Any, checks: list[Any], downgrade_checks: list[Any]) -> list[Any]:
        from alembic.operations import ops

        if not isinstance(operation, ops.ModifyTableOps):
            return [operation]
        before: list[Any] = self._foreign_keys(operation)
        after: list[Any] = []
        kept: list[Any] = []
        table = operation.table_name
        for inner in operation.ops:
            if isinstance(inner, ops.AddColumnOp) and not inner.column.nullable:
                column = inner.column
                if column.server_default is not None:
                    kept.append(inner)
                    continue
                known, value = self._fill(table, column.name)
                if not known:
                    entity = self._entity_of(table)
                    raise MigrationRefused(
                        f"new required column {table}.{column.name} needs a value for the "
                        f"existing rows: give {entity}.{value} a default in forge.yaml or "
                        f"pass --default {entity}.{value}=VALUE; no revision written"
                    )
                column.nullable = True
                before.append(ops.ModifyTableOps(table, [inner]))
                before.append(Call("backfill", table, column.name, _plain(value)))
                before.append(
                    ops.ModifyTableOps(
                        table,
                        [
                            ops.AlterColumnOp(
                                table,
                                column.name,
                                modify_nullable=False,
                                existing_type=column.type,
                                existing_nullable=True,
                            )
                        ],
                    )
                )
                self.notes.append(f"existing rows of {table}.{column.name} get {value!r}")
                continue
            if isinstance(inner, ops.AlterColumnOp):
                if inner.modify_nullable is False and inner.existing_nullable:
                    known, value = self._fill(table, inner.column_name)
                    if known:
                        before.append(Call("backfill", table, inner.column_name, _plain(value)))
                        self.notes.append(f"NULLs in {table}.{inner.column_name} become {value!r}")
                    else:
                        checks.append(Call("refuse_nulls", table, inner.column_name))
                if inner.modify_type is not None and inner.existing_type is not None:
                    forward, backward = _narrowing(table, inner)
                    checks.extend(forward)
                    downgrade_checks.extend(Reversible(None, c) for c in backward)
                    _cast(inner)
            kept.append(inner)
        result = before
        if kept:
            operation.ops = kept
            result.append(operation)
        return result + after

    def _foreign_keys(self, operation: Any) -> list[Any]:
        """A foreign key whose ON DELETE rule changed: autogenerate drops it by name, which
        SQLite's unnamed keys do not have; the project's helper replaces it instead."""
        from alembic.operations import ops

        drops = [o for o in operation.ops if isinstance(o, ops.DropConstraintOp)]
        adds = [o for o in operation.ops if isinstance(o, ops.CreateForeignKeyOp)]
        calls: list[Any] = []
        for add in adds:
            for drop in drops:
                old: Any = getattr(drop, "_reverse", None)
                if (
                    old is None
                    or getattr(old, "local_cols", None) != add.local_cols
                    or len(add.local_cols) != 1
                ):
                    continue
                if old.referent_table != add.referent_table:
                    continue
                new_rule = (add.kw or {}).get("ondelete")
                old_rule = (old.kw or {}).get("ondelete")
                call = Call(
                    "replace_foreign_key",
                    operation.table_name,
                    add.local_cols[0],
                    add.referent_table,
                    new_rule,
                    old_rule,
                )
                calls.append(call)
                operation.ops = [o for o in operation.ops if o is not add and o is not drop]
                break
        return calls

    def _scaled_decimals(
        self, bind: Any, checks: list[Any], fills: list[Any], downgrade_checks: list[Any]
    ) -> None:
        """SQLite stores a decimal as a scaled integer (app/core/types.py): the column's type
        does not change with the precision or scale, so autogenerate sees nothing, but the
        stored integers must be rescaled, after a check that they fit."""
        if self.previous is None or bind.dialect.name != "sqlite":
            return
        limit = 18  # ExactDecimal.MAX_SCALED_PRECISION: larger ones are stored as text
        before = {
            (e.table, f.name): (f.precision, f.scale)
            for e in self.previous.entities
            for f in e.fields
            if f.type == "decimal"
        }
        for entity in self.model.entities:
            for field in entity.fields:
                old = before.get((entity.table, field.name))
                if field.type != "decimal" or old is None or old == (field.precision, field.scale):
                    continue
                (old_precision, old_scale), (precision, scale) = old, (field.precision, field.scale)
                if not all(
                    isinstance(v, int) for v in (old_precision, old_scale, precision, scale)
                ):
                    continue
                assert isinstance(old_precision, int) and isinstance(old_scale, int)
                assert isinstance(precision, int) and isinstance(scale, int)
                if old_precision > limit or precision > limit:
                    continue
                table, column = entity.table, field.column or field.name
                if precision < old_precision or scale < old_scale:
                    checks.append(Call("refuse_scaled", table, column, precision, scale, old_scale))
                if old_precision < precision or old_scale < scale:
                    check = Call("refuse_scaled", table, column, old_precision, old_scale, scale)
                    downgrade_checks.append(Reversible(None, check))
                if scale != old_scale:
                    fills.append(
                        Reversible(
                            Call("rescale", table, column, old_scale, scale),
                            Call("rescale", table, column, scale, old_scale),
                        )
                    )

    def _server_defaults(
        self, context: Any, autogenerated: list[Any], renames: list[Rename]
    ) -> list[Any]:
        """Alembic's autogenerate does not compare server defaults here (its comparison
        reads them as text and finds differences that are none, see env.py): a field whose
        `server_default:` (or the `onupdate: now` that goes with it on MySQL) changed in the
        spec since the last revision gets its DEFAULT altered, to what the models say; the
        downgrade puts back the one the database has now. The fields of entities and the
        link_fields of link tables alike; a field renamed in the same revision is compared
        with its old self (the ALTER runs after the renames, so it names the new column;
        the database, not yet renamed, is read under the old names)."""
        import sqlalchemy as sa
        from alembic.operations import ops

        if self.previous is None:
            return []
        metadata = context.opts["target_metadata"]
        touched = {
            (operation.table_name, inner.column.name)
            for operation in autogenerated
            if isinstance(operation, ops.ModifyTableOps)
            for inner in operation.ops
            if isinstance(inner, ops.AddColumnOp)
        }
        result: list[Any] = []
        inspector = None
        for table_name, field, (was_table, was_column, old) in self._kept_fields(renames):
            column = field.column or field.name
            if (table_name, column) in touched:
                continue
            if _server_default_of(old) == _server_default_of(field):
                continue
            table = metadata.tables.get(table_name)
            if table is None or column not in table.c:
                continue
            if inspector is None:
                inspector = sa.inspect(context.bind)
            live = {c["name"]: c for c in inspector.get_columns(was_table)}.get(was_column)
            if live is None:
                continue
            existing = live.get("default")
            new = table.c[column]
            if existing and isinstance(live["type"], sa.Enum):  # as shown after the renames
                existing = _retyped(existing, live["type"].name, new.type, context.bind.dialect)
            alter = ops.AlterColumnOp(
                table_name,
                column,
                modify_server_default=new.server_default,
                existing_server_default=(sa.DefaultClause(sa.text(existing)) if existing else None),
                existing_type=new.type,
                existing_nullable=new.nullable,
            )
            if context.bind.dialect.name == "mysql":  # MODIFY: SET DEFAULT has no ON UPDATE
                alter.modify_nullable = new.nullable
            result.append(ops.ModifyTableOps(table_name, [alter]))
            self.notes.append(f"{table_name}.{column}: server default changed")
        return result

    def _enum_changes(
        self, bind: Any, renames: list[Rename]
    ) -> tuple[list[Any], list[Any], list[Any]]:
        """Checks (or remaps) for rows using enum values the spec removed; checks for the
        downgrade, which removes the values the spec added. The fields of entities and the
        link_fields of link tables alike (`--default PostTagLink.role=VALUE`); a field or
        table renamed in the same revision is compared with its old self, and its rows are
        counted under the old names (the database is not renamed yet)."""
        checks: list[Any] = []
        fills: list[Any] = []
        downgrade_checks: list[Any] = []
        if self.previous is None:
            return checks, fills, downgrade_checks
        owners = {e.table: e.class_name for e in self.model.entities}
        owners.update({link.table: link.class_name for link in self.model.link_tables})
        for table, field, (was_table, was_column, previous) in self._kept_fields(renames):
            if field.type != "enum" or previous.type != "enum":
                continue
            column = field.column or field.name
            old = previous.values
            removed = [v for v in old if v not in field.values]
            added = [v for v in field.values if v not in old]
            if added:
                check = Call("refuse_values", table, column, added)
                downgrade_checks.append(Reversible(None, check))
            if not removed:
                continue
            owner = owners[table]
            given = self.options.defaults.get((owner, field.name))
            if given is None:
                used = _using(bind, was_table, was_column, removed)
                if used:
                    raise MigrationRefused(
                        f"{table}.{field.name}: {used} row(s) use the removed "
                        f"value(s) {', '.join(removed)}: pass --default "
                        f"{owner}.{field.name}=VALUE (one of "
                        f"{', '.join(field.values)}) to map them; no revision written"
                    )
                checks.append(Call("refuse_values", table, column, removed))
                continue
            if given not in field.values:
                raise SpecError(
                    f"--default {owner}.{field.name}",
                    f"{given!r} is not a value of the enum "
                    f"(allowed: {', '.join(field.values)})",
                )
            fills.append(Call("replace_values", table, column, removed, given))
            shown = ", ".join(removed)
            self.notes.append(f"rows of {table}.{field.name} with {shown} become {given!r}")
        return checks, fills, downgrade_checks

    def _check_changes(self, bind: Any, renames: list[Rename]) -> tuple[list[Any], list[Any]]:
        """The `checks:` (CHECK constraints) the spec removed, changed or added on tables
        that exist already, which autogenerate does not compare: (drops, run first; adds,
        run last), on the tables as named after the renames. An added or changed check
        that rows of the table break is refused, naming it and the count."""
        import sqlalchemy as sa
        from alembic.operations import ops

        if self.previous is None:
            return [], []
        new_names = {r.old: r.new for r in renames if not r.column}
        old_names = {new: old for old, new in new_names.items()}
        before = {
            (new_names.get(e.table, e.table), check.name): check.expression
            for e in self.previous.entities
            for check in e.checks
        }
        existing = {new_names.get(e.table, e.table) for e in self.previous.entities}
        drops: list[Any] = []
        adds: list[Any] = []
        for (table, name), expression in before.items():
            entity = self.by_table.get(table)
            kept = {c.name: c.expression for c in entity.spec.checks} if entity else {}
            if entity is not None and kept.get(name) != expression:
                create = ops.CreateCheckConstraintOp(name, table, sa.text(expression))
                drop = ops.DropConstraintOp(name, table, type_="check", _reverse=create)
                drops.append(ops.ModifyTableOps(table, [drop]))
                self.notes.append(f"{table}: check {name} dropped")
        for entity in self.model.entities:
            table = entity.table
            if table not in existing:
                continue  # a new table: its CREATE TABLE has its checks
            for check in entity.spec.checks:
                if before.get((table, check.name)) == check.expression:
                    continue
                renamed_columns = any(r.column and r.table == table for r in renames)
                if not renamed_columns:  # else the database checks the rows at upgrade
                    broken = _breaking(bind, old_names.get(table, table), check.expression)
                    if broken:
                        raise MigrationRefused(
                            f"entities.{entity.class_name}.checks.{check.name}: {broken} "
                            f"row(s) of {table} break it ({check.expression}); change those "
                            "rows or the check first; no revision written"
                        )
                create = ops.CreateCheckConstraintOp(check.name, table, sa.text(check.expression))
                adds.append(ops.ModifyTableOps(table, [create]))
                self.notes.append(f"{table}: check {check.name} added")
        return drops, adds

    def _kept_fields(
        self, renames: list[Rename]
    ) -> Iterator[tuple[str, FieldSpec, tuple[str, str, FieldSpec]]]:
        """Every field of an entity or link table that the previous spec had too: (table,
        field, (its table and column before the renames of the revision, the field as it
        was)). A renamed field or table is matched with its old self."""
        assert self.previous is not None
        before = {
            (table, field.column or field.name): field
            for table, fields in _field_tables(build_model(self.previous))
            for field in fields
        }
        old_tables = {r.new: r.old for r in renames if not r.column}
        old_columns = {(r.table, r.new): r.old for r in renames if r.column}
        for table, fields in _field_tables(self.model):
            was_table = old_tables.get(table, table)
            for field in fields:
                column = field.column or field.name
                was_column = old_columns.get((table, column), column)
                old = before.get((was_table, was_column))
                if old is not None:
                    yield table, field, (was_table, was_column, old)


def _field_tables(model: Model) -> list[tuple[str, tuple[FieldSpec, ...]]]:
    """(table, its fields) of every entity and every link table with link_fields."""
    found = [(entity.table, tuple(entity.fields)) for entity in model.entities]
    return found + [(link.table, link.fields) for link in model.link_tables if link.fields]


def _server_default_of(field: FieldSpec) -> tuple[Any, ...]:
    """What a field's DEFAULT clause is made of (equal: the same clause)."""
    if not field.has_server_default:
        return ()
    return (field.server_default, field.onupdate, field.storage, field.type)


def _narrowing(table: str, alter: Any) -> tuple[list[Any], list[Any]]:
    """The checks (run before any DDL) for a column type change whose new type may not
    hold the existing values: (for the upgrade, for the downgrade)."""
    import sqlalchemy as sa

    column = alter.column_name
    old, new = _unwrapped(alter.existing_type), _unwrapped(alter.modify_type)

    def checks(before: Any, after: Any) -> list[Any]:
        if isinstance(before, sa.Enum) or isinstance(after, sa.Enum):
            return []  # enum values: _enum_changes
        length: int | None = getattr(after, "length", None)
        if isinstance(after, sa.String) and length:
            if isinstance(before, sa.String):  # text (no length) or a longer string
                if before.length is None or length < before.length:
                    return [Call("refuse_longer", table, column, length)]
                return []
            return [Call("refuse_longer", table, column, length, True)]
        if isinstance(after, sa.Integer) and not isinstance(before, sa.Integer):
            bits = 64 if isinstance(after, sa.BigInteger) else 32
            return [Call("refuse_not_integer", table, column, bits)]
        if all(isinstance(t, sa.Numeric) and not isinstance(t, sa.Float) for t in (before, after)):
            precision, scale = after.precision, after.scale
            if precision is None or scale is None:
                return []
            if (before.precision or 0) > precision or (before.scale or 0) > scale:
                return [Call("refuse_numeric", table, column, precision, scale)]
        return []

    return checks(old, new), checks(new, old)


def _before_renames(check: Any, renames: list[Rename]) -> Any:
    """A check (table, column, ...) named as before the renames of the revision."""
    if not hasattr(check, "args"):  # a Reversible pair (rescale): the downgrade runs it
        # after renaming back, so both sides use the names from before the renames
        return Reversible(
            _before_renames(check.forward, renames), _before_renames(check.backward, renames)
        )
    table, column, *rest = check.args
    tables = {r.new: r.old for r in renames if not r.column}
    for rename in renames:
        if rename.column and rename.table == table and rename.new == column:
            column = rename.old
    return Call(check.function, tables.get(table, table), column, *rest)


def _unwrapped(kind: Any) -> Any:
    """The type a TypeDecorator (SQLModel's AutoString) stands for."""
    import sqlalchemy as sa

    while isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    return kind


def _cast(alter: Any) -> None:
    """A change of the kind of a column's type (str -> int): PostgreSQL casts only with
    USING; the downgrade casts back with its own USING."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    old, new = _unwrapped(alter.existing_type), _unwrapped(alter.modify_type)
    kinds = (sa.String, sa.Integer, sa.Numeric, sa.Boolean, sa.Date, sa.DateTime)

    def kind(value: Any) -> Any:
        if isinstance(value, sa.Enum):
            return None
        return next((k for k in kinds if isinstance(value, k)), None)

    if kind(old) is None or kind(new) is None or kind(old) is kind(new):
        return
    dialect: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
    quoted = dialect.identifier_preparer.quote(alter.column_name)
    alter.__class__ = CastColumn
    alter.kw["postgresql_using"] = f"{quoted}::{new.compile(dialect=dialect)}"
    alter.back_using = f"{quoted}::{old.compile(dialect=dialect)}"


def _cast_op() -> type[Any]:
    from alembic.autogenerate import renderers
    from alembic.operations import ops

    class CastColumnOp(ops.AlterColumnOp):
        """alter_column with a postgresql_using in each direction."""

        back_using: str

        def reverse(self) -> Any:
            reverse: Any = super().reverse()
            reverse.kw["postgresql_using"] = self.back_using
            reverse.back_using = self.kw["postgresql_using"]
            return reverse

    def render(context: Any, op: Any) -> str:
        text = str(render_alter(context, op))
        assert text.endswith(")")
        last = text.rsplit("\n", 1)[-1]
        indent = last[: len(last) - len(last.lstrip())]
        return f"{text[:-1]},\n{indent}postgresql_using={op.kw['postgresql_using']!r})"

    render_alter = renderers.dispatch(ops.AlterColumnOp)
    renderers.dispatch_for(CastColumnOp)(render)
    return CastColumnOp


CastColumn = _cast_op()


def _breaking(bind: Any, table: str, expression: str) -> int:
    """How many rows of a table of the database migrate compares with break a CHECK
    expression (NULL passes a CHECK, as it does here)."""
    import sqlalchemy as sa

    query = sa.select(sa.func.count()).select_from(sa.table(table))
    return int(bind.execute(query.where(sa.text(f"NOT ({expression})"))).scalar() or 0)


def _using(bind: Any, table: str, column: str, values: list[str]) -> int:
    """How many rows of the database migrate compares with use one of the values."""
    import sqlalchemy as sa

    # compared as text: a PostgreSQL enum column has no `=` with a VARCHAR parameter
    column_: Any = sa.cast(sa.column(column), sa.String)
    query = sa.select(sa.func.count()).select_from(sa.table(table)).where(column_.in_(values))
    return int(bind.execute(query).scalar() or 0)


def _plain(value: Any) -> Any:
    """A value as a Python literal in the revision file."""
    import datetime as dt
    import decimal
    import uuid

    if isinstance(value, (dt.date, dt.time, uuid.UUID, decimal.Decimal)):
        return str(value)
    return value


def _shape(columns: Any) -> set[tuple[str, Any]]:
    """A table's columns as (name, type class), to compare a dropped and a created table."""
    return {(c.name, _affinity(c.type)) for c in columns}


def _affinity(kind: Any) -> Any:
    """The family of a type, the same for a column's reflected type and its model type
    (VARCHAR and AutoString; TINYINT and Boolean on MySQL)."""
    import sqlalchemy as sa

    families = {
        "enum": (sa.Enum,),
        "number": (sa.Integer, sa.Numeric, sa.Boolean),  # MySQL reflects booleans as TINYINT
        "text": (sa.String, sa.Uuid),  # UUIDs are CHAR(32) on SQLite and MySQL
        "time": (sa.DateTime, sa.Date, sa.Time),
    }
    kind = _unwrapped(kind)  # SQLModel's AutoString: a String inside
    for family, kinds in families.items():
        if isinstance(kind, kinds):
            return family
    return getattr(kind, "_type_affinity", None) or type(kind)


def _drops_and_adds(upgrade: Any) -> tuple[list[tuple[str, str, Any]], list[tuple[str, str, Any]]]:
    from alembic.operations import ops

    dropped: list[tuple[str, str, Any]] = []
    added: list[tuple[str, str, Any]] = []
    for operation in upgrade.ops:
        if not isinstance(operation, ops.ModifyTableOps):
            continue
        for inner in operation.ops:
            if isinstance(inner, ops.DropColumnOp):
                column = inner.to_column()
                dropped.append((operation.table_name, inner.column_name, column.type))
            elif isinstance(inner, ops.AddColumnOp):
                added.append((operation.table_name, inner.column.name, inner.column.type))
    return dropped, added


def derived_name(name: str, renames: list[Rename]) -> str:
    """What an index or constraint name becomes after the renames (the same rule as the
    project's app/core/schema_changes.py): `ix_post_title` -> `ix_post_headline`."""
    for rename in renames:
        old = f"{rename.table}_{rename.old}" if rename.column else rename.old
        new = f"{rename.table}_{rename.new}" if rename.column else rename.new
        for prefix in ("ix_", "uq_", "fk_", ""):
            if name.startswith(f"{prefix}{old}_") or name == f"{prefix}{old}":
                name = f"{prefix}{new}{name[len(prefix) + len(old):]}"
                break
    return name


def _enum_op(operation: Any) -> str | None:
    """ "create" or "drop" for alembic-postgresql-enum's operations on enum types."""
    if not type(operation).__module__.startswith("alembic_postgresql_enum"):
        return None
    name = type(operation).__name__
    return "create" if "Create" in name else "drop" if "Drop" in name else None


def _remove_renamed(upgrade: Any, renames: list[Rename], dialect: Any = None) -> None:
    """Take out of the autogenerated operations what the renames replace: the drop and
    add of each renamed table and column, and the index and constraint changes that only
    follow the names (the renames carry them)."""
    import sqlalchemy as sa
    from alembic.operations import ops

    if not renames:
        return
    tables = {r.old: r.new for r in renames if not r.column}
    old_tables, new_tables = set(tables), set(tables.values())
    old_columns = {(r.table, r.old) for r in renames if r.column}
    new_columns = {(r.table, r.new) for r in renames if r.column}
    for rename in renames:  # the old column in the old table's name too
        if rename.column:
            old_table = next((o for o, n in tables.items() if n == rename.table), rename.table)
            old_columns.add((old_table, rename.old))

    def table_after(table: str) -> str:
        return tables.get(table, table)

    flat: list[tuple[Any, Any]] = []  # (container or None, operation)
    for operation in upgrade.ops:
        if isinstance(operation, ops.ModifyTableOps):
            flat.extend((operation, inner) for inner in operation.ops)
        else:
            flat.append((None, operation))
    created = {
        (table_after(o.table_name), o.index_name)
        for _c, o in flat
        if isinstance(o, ops.CreateIndexOp)
    }
    dropped_pairs: set[tuple[str, str]] = set()
    for _c, o in flat:
        if isinstance(o, ops.DropIndexOp):
            after = (table_after(str(o.table_name)), derived_name(str(o.index_name), renames))
            if after != (o.table_name, o.index_name) and after in created:
                dropped_pairs.add(after)

    # what a renamed table's new definition indexes (MySQL reflects a unique constraint
    # as an index too, and autogenerate drops it with the "dropped" old table)
    kept_keys: set[tuple[str, frozenset[str]]] = set()
    for _c, o in flat:
        if isinstance(o, ops.CreateTableOp) and o.table_name in new_tables:
            table_ = o.to_table()
            for key in [*table_.indexes, *table_.constraints]:
                if isinstance(key, (sa.Index, sa.UniqueConstraint)):
                    names = frozenset(str(getattr(c, "name", c)) for c in key.columns)
                    kept_keys.add((o.table_name, names))
        elif isinstance(o, ops.CreateIndexOp) and o.table_name in new_tables:
            names = frozenset(str(getattr(c, "name", c)) for c in o.to_index().expressions)
            kept_keys.add((str(o.table_name), names))

    def same_key(table: str, o: Any) -> bool:
        try:
            index = o.to_index()
        except Exception:  # no reflected definition: keep the drop
            return False
        names = frozenset(str(getattr(c, "name", c)) for c in index.expressions)
        return (table_after(table), names) in kept_keys

    enum_created = {str(o.name) for _c, o in flat if _enum_op(o) == "create"}
    enum_dropped = {str(o.name) for _c, o in flat if _enum_op(o) == "drop"}

    # a renamed column's definitions before and after (its type or nullability may change)
    old_definitions = {
        (table_after(c.table_name), o.column_name): o.to_column()
        for c, o in flat
        if c is not None and isinstance(o, ops.DropColumnOp)
    }
    renamed_to = {(r.table, r.new): (r.table, r.old) for r in renames if r.column}

    def before(container: Any, o: Any) -> Any:
        if not isinstance(o, ops.AddColumnOp):
            return None
        return old_definitions.get(renamed_to.get((container.table_name, o.column.name), ("", "")))

    # A renamed column's PostgreSQL enum type whose name follows the field, not the column
    # (a field with `column:`): the rename gives it the column's derived name; it is renamed
    # on to the model's name after the renames, instead of a new type and a cast.
    retyped: dict[str, tuple[str, str]] = {}  # old name -> (name after the renames, new)
    for c, o in flat:
        old = before(c, o)
        if dialect is None or dialect.name != "postgresql" or old is None:
            continue
        old_type, new_type = old.type, o.column.type
        if not (isinstance(old_type, sa.Enum) and isinstance(new_type, sa.Enum)):
            continue
        derived = derived_name(str(old_type.name), renames)
        if derived != new_type.name and new_type.name in enum_created:
            if old_type.name in enum_dropped:
                retyped[str(old_type.name)] = (derived, str(new_type.name))

    def removed(container: Any, o: Any) -> bool:
        table = container.table_name if container is not None else getattr(o, "table_name", "")
        if isinstance(o, ops.DropTableOp):
            return o.table_name in old_tables
        if isinstance(o, ops.CreateTableOp):
            return o.table_name in new_tables
        if isinstance(o, ops.DropColumnOp):
            return (table, o.column_name) in old_columns
        if isinstance(o, ops.AddColumnOp):
            return (table, o.column.name) in new_columns
        if isinstance(o, ops.CreateIndexOp):
            return (table, o.index_name) in dropped_pairs
        if isinstance(o, ops.DropIndexOp):
            after = (table_after(table), derived_name(str(o.index_name), renames))
            if after in dropped_pairs or (table in old_tables and same_key(table, o)):
                return True
            if after != (table, o.index_name):  # the rename already renamed it
                o.table_name, o.index_name = after
                if container is not None:
                    container.table_name = after[0]
            return False
        if isinstance(o, ops.CreateForeignKeyOp):
            return (
                o.referent_table in new_tables
                or table in new_tables
                or any((table, c) in new_columns for c in o.local_cols)
            )
        if isinstance(o, ops.DropConstraintOp):
            reverse = getattr(o, "_reverse", None)
            referent = getattr(reverse, "referent_table", None)
            local = getattr(reverse, "local_cols", None) or getattr(reverse, "columns", None)
            return (
                referent in old_tables
                or table in old_tables
                or any((table, str(c)) in old_columns for c in (local or []))
            )
        if isinstance(o, ops.CreateUniqueConstraintOp):
            return table in new_tables or any((table, c) in new_columns for c in o.columns)
        if _enum_op(o) == "drop":
            return derived_name(str(o.name), renames) in enum_created or str(o.name) in retyped
        if _enum_op(o) == "create":
            created_by_rename = {derived_name(n, renames) for n in enum_dropped}
            return str(o.name) in created_by_rename | {new for _, new in retyped.values()}
        return False

    def changed(container: Any, o: Any) -> Any:
        old = before(container, o)
        if dialect is None or old is None or old.type._type_affinity is sa.types.NullType:
            return None
        new_type, old_type = o.column.type, old.type
        same_type = str(new_type.compile(dialect=dialect)) == str(old_type.compile(dialect=dialect))
        renamed_type = retyped.get(str(getattr(old_type, "name", "")))
        if renamed_type is not None:  # renamed on after the renames, then synced
            forward = Call("rename_type", *renamed_type)
            synced.append(Reversible(forward, Call("rename_type", *renamed_type[::-1])))
        if renamed_type or _renamed_enum(old_type, new_type, renames, dialect):
            # the rename renamed the PostgreSQL type; its values change after the renames
            same_type = True
            if list(old_type.enums) != list(new_type.enums):
                default = _renamed_default(old, new_type, dialect)
                synced.append(_sync_enum(container.table_name, o.column, old_type, default))
        if same_type and bool(o.column.nullable) == bool(old.nullable):
            return None
        return ops.AlterColumnOp(
            container.table_name,
            o.column.name,
            modify_type=None if same_type else new_type,
            existing_type=old_type,
            modify_nullable=(
                None if bool(o.column.nullable) == bool(old.nullable) else bool(o.column.nullable)
            ),
            existing_nullable=bool(old.nullable),
        )

    synced: list[Any] = []  # the values of renamed enum types, synced after the renames
    kept: list[Any] = []
    for operation in upgrade.ops:
        if isinstance(operation, ops.ModifyTableOps):
            alters = [a for a in (changed(operation, o) for o in operation.ops) if a is not None]
            operation.ops = [o for o in operation.ops if not removed(operation, o)] + alters
            if operation.ops:
                kept.append(operation)
        elif not removed(None, operation):
            kept.append(operation)
    upgrade.ops = kept + synced


def _renamed_enum(old: Any, new: Any, renames: list[Rename], dialect: Any) -> bool:
    """Whether a renamed column's PostgreSQL enum type is its old type renamed with it
    (schema_changes.rename_column renames `ticket_state` to `ticket_status`)."""
    import sqlalchemy as sa

    return (
        dialect.name == "postgresql"
        and isinstance(old, sa.Enum)
        and isinstance(new, sa.Enum)
        and bool(old.name)
        and derived_name(str(old.name), renames) == new.name
    )


def _sync_enum(table: str, column: Any, old: Any, default: str | None) -> Any:
    """alembic-postgresql-enum's change of a (renamed) enum type's values, on the column
    under its new name (its server default, as PostgreSQL shows it then, is set aside
    meanwhile); reversed in the downgrade before the rename is undone."""
    from alembic_postgresql_enum import TableReference
    from alembic_postgresql_enum.operations.sync_enum_values import SyncEnumValuesOp

    new = column.type
    schema = new.schema or "public"
    reference = TableReference(
        table_schema=schema,
        table_name=table,
        column_name=column.name,
        existing_server_default=default,
    )
    return SyncEnumValuesOp(schema, new.name, list(old.enums), list(new.enums), [reference])


def _renamed_default(old: Any, new: Any, dialect: Any) -> str | None:
    """A renamed enum column's server default (`'open'::ticket_state`) as PostgreSQL shows
    it once the column's type has its new name (`'open'::ticket_status`)."""
    default = getattr(old.server_default, "arg", None)
    if default is None:
        return None
    return _retyped(str(getattr(default, "text", default)), old.type.name, new, dialect)


def _retyped(default: str, old_name: str | None, new: Any, dialect: Any) -> str:
    """A PostgreSQL default that names an enum type (`'open'::ticket_state`), naming it as
    the model does (`'open'::ticket_status`), which is its name once the renames ran."""
    name = getattr(new, "name", None)
    if dialect.name != "postgresql" or not old_name or not name or old_name == name:
        return default
    quote = dialect.identifier_preparer.quote
    return default.replace(f"::{quote(old_name)}", f"::{quote(name)}")


# ------------------------------------------------------------- operations rendered


def _calls() -> tuple[type[Any], type[Any]]:
    from alembic.autogenerate import renderers
    from alembic.operations.ops import MigrateOperation

    class CallOp(MigrateOperation):
        """A call of a function of the project's app/core/schema_changes.py."""

        def __init__(self, function: str, *args: Any) -> None:
            self.function = function
            self.args = args

        def reverse(self) -> Any:
            if self.function == "rename":
                rename: Rename = self.args[0]
                return CallOp("rename", Rename(rename.table, rename.new, rename.old, rename.column))
            if self.function == "replace_foreign_key":
                table, column, referent, new, old = self.args
                return CallOp("replace_foreign_key", table, column, referent, old, new)
            return ReversibleOp(None, None)  # checks and backfills have nothing to undo

    class ReversibleOp(MigrateOperation):
        """`forward` in upgrade, `backward` in downgrade (either may be None)."""

        def __init__(self, forward: Any, backward: Any) -> None:
            self.forward = forward
            self.backward = backward

        def reverse(self) -> Any:
            return ReversibleOp(self.backward, self.forward)

    def render_call(context: Any, op: Any) -> str:
        context.imports.add("from app.core import schema_changes")
        if op.function == "rename":
            rename: Rename = op.args[0]
            if rename.column:
                return (
                    f"schema_changes.rename_column({rename.table!r}, "
                    f"{rename.old!r}, {rename.new!r})"
                )
            return f"schema_changes.rename_table({rename.old!r}, {rename.new!r})"
        return f"schema_changes.{op.function}({', '.join(_q(a) for a in op.args)})"

    def render_reversible(context: Any, op: Any) -> list[str]:
        return [render_call(context, op.forward)] if op.forward is not None else []

    renderers.dispatch_for(CallOp)(render_call)
    renderers.dispatch_for(ReversibleOp)(render_reversible)
    return CallOp, ReversibleOp


Call, Reversible = _calls()


def refusal_lines(error: MigrationRefused) -> list[str]:
    return str(error).splitlines()


__all__ = [
    "MigrationRefused",
    "Options",
    "Outcome",
    "Rename",
    "flag_renames",
    "merge_pending",
    "migrate",
    "parse_assignment",
    "pending_text",
    "physical_renames",
    "read_pending",
    "parse_spec",
]


# ---------------------------------------------------------------------------- upgrade


_DDL = ("ALTER", "CREATE", "DROP", "RENAME", "UPDATE", "INSERT", "DELETE")


def upgrade(db: Any, project: Path, revision: str) -> None:
    """`alembic upgrade`; on MySQL/MariaDB, whose DDL is not transactional, a revision that
    fails half-way is reported with the revision and the operations already applied."""
    import logging

    from alembic import command
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from generator import db as dbmod

    applied: list[str] = []
    running: list[str] = []

    class Revisions(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.startswith("Running upgrade"):
                running.append(message.removeprefix("Running upgrade ").strip())
                applied.clear()

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split())
        if "alembic_version" in text.lower():
            applied.clear()  # the revision completed and was recorded
        elif text.split(" ", 1)[0].upper() in _DDL:
            applied.append(text)

    handler = Revisions()
    log = logging.getLogger("alembic.runtime.migration")
    log.addHandler(handler)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        dbmod.alembic(db, project, lambda config: command.upgrade(config, revision))
    except dbmod.DatabaseError as error:
        if db.kind != "mysql" or not applied or not running:
            raise
        raise dbmod.DatabaseError(
            f"revision {running[-1]} failed half-way: {error}; {db.kind} cannot roll back "
            f"DDL, so these {len(applied)} operation(s) stay applied: {'; '.join(applied)}; "
            "the database is still recorded at the previous revision: undo them by hand "
            "(or finish the revision by hand and `alembic stamp` it), then run "
            "`forge db upgrade` again"
        ) from None
    finally:
        event.remove(Engine, "after_cursor_execute", after)
        log.removeHandler(handler)
