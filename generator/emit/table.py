"""What a table class says, in no ORM's spelling: its columns, enums and relationships.

Built once per entity from the resolved model and the field-type registry; each ORM's
emitter (sqlmodel.py, sqlalchemy.py) only spells these records. Options are structured
values here (a `Default` knows whether it is a factory), never code to rewrite later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from generator import fieldtypes, layout, naming
from generator.emit.source import SA, Code, Import, Imports, Line, literal
from generator.fieldtypes import Default, Options
from generator.layout import Bracket, Item
from generator.model import Entity, LinkTable, RelationEnd
from generator.spec import FieldSpec

ON_DELETE = {"cascade": "CASCADE", "set_null": "SET NULL", "restrict": "RESTRICT"}


@dataclass(frozen=True)
class Column:
    """One column attribute of a table class (not the primary key `id`)."""

    name: str
    annotation: Code  # the Python type, `| None` included
    nullable: bool = False
    column_type: Code | None = None  # the SQLAlchemy type; None: a foreign key's
    inferred: bool = False  # SQLModel derives the column type from the annotation
    default: Default | None = None
    on_update: Code | None = None  # a callable
    foreign_key: str | None = None  # "table.id"
    on_delete: str | None = None  # the SQL spelling: "SET NULL"
    primary_key: bool = False
    unique: bool = False
    index: bool = False
    constraints: tuple[str, ...] = ()  # Pydantic arguments (SQLModel's Field)
    description: str | None = None

    def flags(self) -> list[str]:
        """primary_key / unique / index, spelled the same by both ORMs."""
        names = [("primary_key", self.primary_key), ("unique", self.unique), ("index", self.index)]
        return [f"{name}=True" for name, on in names if on]


@dataclass
class EnumClass:
    name: str
    members: list[tuple[str, str]]  # (member, literal of the value)


@dataclass
class ModelCode:
    """What the template of one table module needs."""

    imports: Imports
    base: str
    enums: list[EnumClass] = field(default_factory=list)
    columns: list[Line] = field(default_factory=list)
    relations: list[Line] = field(default_factory=list)
    table_args: str | None = None  # `__table_args__ = (...)`, laid out at indent 4


@dataclass
class Table:
    """One entity's table class, ORM-neutral."""

    enums: list[EnumClass]
    columns: list[Column]  # the fields, the foreign keys, then the bookkeeping columns
    soft_delete: bool


def model_code(
    entity: Entity,
    imports: Imports,
    base: str,
    id_line: Line,
    spell_column: Callable[[Column, Imports], Line],
    spell_relationship: Callable[[Entity, RelationEnd, Imports], Line],
) -> ModelCode:
    """The table class of one entity, each column and relationship spelled by an ORM."""
    described = table(entity)
    if described.enums:
        imports.add("enum", "StrEnum")
    columns = [id_line] + [spell_column(column, imports) for column in described.columns]
    if described.soft_delete:
        imports.need(CLASS_VAR)
        columns.append(SOFT_DELETE)
    relations = [spell_relationship(entity, end, imports) for end in entity.relations]
    args = table_args(entity)
    if args is not None:
        imports.need(SA)
    return ModelCode(imports, base, described.enums, columns, relations, args)


def table_args(entity: Entity) -> str | None:
    """`__table_args__` of the spec's composite unique constraints, indexes and checks
    (the same spelling for both ORMs), in black's layout; None when there are none."""
    items: list[Item] = []
    for constraint in entity.unique_constraints:
        args = (*map(literal, constraint.columns), f"name={literal(constraint.name)}")
        items.append(Bracket("sa.UniqueConstraint", args))
    for index in entity.indexes:
        items.append(Bracket("sa.Index", (literal(index.name), *map(literal, index.columns))))
    for check in entity.spec.checks:
        args = (literal(check.expression), f"name={literal(check.name)}")
        items.append(Bracket("sa.CheckConstraint", args))
    if not items:
        return None
    lead = "__table_args__ = "
    if len(items) == 1:  # a one-tuple's comma is not a magic trailing comma to black
        flat = f"{lead}({items[0]},)"
        if 4 + len(flat) <= layout.LINE_LENGTH:
            return flat
    return layout.text(lead, Bracket("", tuple(items), magic=True), indent=4)


def field_options(entity: Entity, spec: FieldSpec) -> Options:
    """The values a field type's templates read, for one field of an entity."""
    record = fieldtypes.get(spec.type)
    return Options(
        name=spec.name,
        max_length=spec.max_length,
        precision=spec.precision,
        scale=spec.scale,
        values=spec.values,
        enum=naming.enum_class(entity.class_name, spec.name) if record.python_enum else "",
        enum_type=literal(f"{entity.table}_{spec.name}") if record.python_enum else "",
        module=entity.module,
    )


def nullable(annotation: Code, is_nullable: bool) -> Code:
    return Code(f"{annotation.text} | None", annotation.imports) if is_nullable else annotation


def default_of(entity: Entity, spec: FieldSpec) -> Default | None:
    if not spec.has_default:
        return None
    record = fieldtypes.get(spec.type)
    return record.emit_default(spec.default, field_options(entity, spec))


def on_update_of(entity: Entity, spec: FieldSpec) -> Code | None:
    """`onupdate: now`: the callable of the type's `default: now` (utcnow for datetime)."""
    if spec.onupdate != "now":
        return None
    record = fieldtypes.get(spec.type)
    return record.emit_default("now", field_options(entity, spec)).code


def table(entity: Entity) -> Table:
    result = Table(enums=[], columns=[], soft_delete=entity.spec.soft_delete)
    for spec in entity.fields:
        record = fieldtypes.get(spec.type)
        options = field_options(entity, spec)
        if record.python_enum:
            members = [(naming.enum_member(v), literal(v)) for v in spec.values]
            result.enums.append(EnumClass(options.enum, members))
        constraints = tuple(fieldtypes.render(text, options) for text in record.constraints)
        column_type = record.column_code(options)
        if spec.storage == "numeric" and record.numeric_storage is not None:
            column_type = record.numeric_storage.code(options)
        result.columns.append(
            Column(
                name=spec.name,
                annotation=nullable(record.annotation.code(options), spec.nullable),
                nullable=spec.nullable,
                column_type=column_type,
                inferred=record.sqlmodel_infers and spec.storage is None,
                default=default_of(entity, spec),
                on_update=on_update_of(entity, spec),
                unique=spec.unique,
                index=spec.index,
                constraints=constraints,
                description=spec.description,
            )
        )
    for fk in entity.foreign_keys:
        result.columns.append(
            Column(
                name=fk.column,
                annotation=Code("int | None" if fk.nullable else "int"),
                nullable=fk.nullable,
                foreign_key=f"{fk.target.table}.id",
                on_delete=ON_DELETE[fk.on_delete] if fk.on_delete else None,
                unique=fk.unique,
                index=entity.fk_indexed(fk),
            )
        )
    result.columns.extend(bookkeeping(entity))
    return result


def bookkeeping(entity: Entity) -> list[Column]:
    """created_at / updated_at (timestamps: true) and deleted_at (soft_delete: true)."""
    record = fieldtypes.DATETIME
    options = Options(name="")
    annotation = record.annotation.code(options)
    column_type = record.column_code(options)
    columns: list[Column] = []
    if entity.spec.timestamps:
        for name, on_update in (("created_at", False), ("updated_at", True)):
            columns.append(
                Column(
                    name=name,
                    annotation=annotation,
                    column_type=column_type,
                    default=Default(fieldtypes.UTCNOW, factory=True),
                    on_update=fieldtypes.UTCNOW if on_update else None,
                )
            )
    if entity.spec.soft_delete:
        columns.append(
            Column(
                name="deleted_at",
                annotation=nullable(annotation, True),
                nullable=True,
                column_type=column_type,
                index=True,
            )
        )
    return columns


SOFT_DELETE = Line("__soft_delete__", "ClassVar[bool]", "True")
CLASS_VAR = Import("typing", "ClassVar")


def link_columns(link: LinkTable) -> list[Column]:
    """The two key columns of a link table; its rows go with either side."""
    return [
        Column(
            name=column,
            annotation=Code("int"),
            foreign_key=f"{ref.table}.id",
            on_delete="CASCADE",
            primary_key=True,
        )
        for column, ref in (link.left, link.right)
    ]


def relationship_options(entity: Entity, end: RelationEnd) -> dict[str, str]:
    """The SQLAlchemy `relationship()` options of one end, as Python source, for both ORMs:
    explicit foreign keys (two relations between the same entities work), remote_side for
    self-references, passive deletes so that the database's ON DELETE decides, uselist for
    a one_to_one's scalar inverse, and the link table (with joins when self-referential)."""
    options: dict[str, str] = {}
    if end.kind in ("fk", "reverse"):
        assert end.fk_owner is not None and end.fk_column is not None
        options["foreign_keys"] = literal(f"{end.fk_owner.class_name}.{end.fk_column}")
    if end.kind == "fk" and end.self_referential:
        options["remote_side"] = literal(f"{entity.class_name}.id")
    if end.kind == "reverse":
        options["passive_deletes"] = literal("all")
        if not end.many:
            options["uselist"] = "False"
    if end.kind == "m2m":
        assert end.link is not None
        link = end.link.table
        options["secondary"] = literal(link)
        if end.self_referential:
            own = f"{entity.class_name}.id == {link}.c"
            options["primaryjoin"] = literal(f"{own}.{end.link_local_column}")
            options["secondaryjoin"] = literal(f"{own}.{end.link_remote_column}")
    return options


def relationship_target(entity: Entity, end: RelationEnd, imports: Imports) -> str:
    """`list["Post"]` or `Optional["User"]`; the target is imported for type checkers only
    (the classes refer to each other by name, so the modules never import each other)."""
    target = end.target.class_name
    if target != entity.class_name:
        imports.type_checking(f"app.models.{end.target.module}", target)
    if end.many:
        return f"list[{literal(target)}]"
    imports.add("typing", "Optional")
    return f"Optional[{literal(target)}]"
