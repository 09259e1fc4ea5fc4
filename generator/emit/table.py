"""What a table class says, in no ORM's spelling: its columns, enums and relationships.

Built once per entity from the resolved model and the field-type registry; each ORM's
emitter (sqlmodel.py, sqlalchemy.py) only spells these records. Options are structured
values here (a `Default` knows whether it is a factory), never code to rewrite later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from generator import fieldtypes, layout, naming
from generator.emit.source import SA, Code, Import, Imports, Line, literal
from generator.fieldtypes import Default, Options
from generator.layout import Bracket, Item
from generator.model import Entity, EntityRef, LinkTable, RelationEnd
from generator.spec import FieldSpec, KeySpec

ON_DELETE = {"cascade": "CASCADE", "set_null": "SET NULL", "restrict": "RESTRICT"}
# A link table's rule; no_action writes no ON DELETE (the database's default, NO ACTION).
LINK_ON_DELETE: dict[str, str | None] = {
    "cascade": "CASCADE",
    "restrict": "RESTRICT",
    "no_action": None,
}


class FieldOwner(Protocol):
    """What holds fields: an entity's table, or a link table (its link_fields)."""

    @property
    def class_name(self) -> str: ...

    @property
    def table(self) -> str: ...

    @property
    def module(self) -> str: ...


def referred_key(ref: EntityRef) -> tuple[str, Code]:
    """The column a foreign key to `ref` refers to ("table.id") and its Python type: the
    one place that knows an entity's key."""
    return ref.key_reference, KEY_TYPES[ref.key.type].annotation


@dataclass(frozen=True)
class Column:
    """One column attribute of a table class."""

    name: str  # the attribute
    annotation: Code  # the Python type, `| None` included
    nullable: bool = False
    column_type: Code | None = None  # the SQLAlchemy type; None: a foreign key's
    inferred: bool = False  # SQLModel derives the column type from the annotation
    default: Default | None = None
    on_update: Code | None = None  # a callable
    server_default: Code | None = None  # the column's DEFAULT clause (`server_default:`)
    foreign_key: str | None = None  # "table.id"
    on_delete: str | None = None  # the SQL spelling: "SET NULL"
    use_alter: str | None = None  # the constraint's name, for a key that breaks a cycle
    fk_on_update: str | None = None  # the foreign key's ON UPDATE (SQL spelling)
    primary_key: bool = False
    unique: bool = False
    index: bool = False
    constraints: tuple[str, ...] = ()  # Pydantic arguments (SQLModel's Field)
    description: str | None = None
    column_name: str | None = None  # the database column, when it differs from `name`
    generated_key: bool = False  # a primary key the database numbers (None before insert)

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
    """The table class of one entity, each column and relationship spelled by an ORM.
    `id_line` is the ORM's spelling of the default key (an autoincrement int `id`);
    any other `primary_key:` is described as a Column like the others."""
    described = table(entity)
    if described.enums:
        imports.add("enum", "StrEnum")
    key = entity.spec.primary_key
    first = id_line if key == KeySpec() else spell_column(key_column(key), imports)
    columns = [first] + [spell_column(column, imports) for column in described.columns]
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
    key = entity.spec.primary_key
    if key.name is not None:
        key_args = (literal(key.column), f"name={literal(key.name)}")
        items.append(Bracket("sa.PrimaryKeyConstraint", key_args))
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


def link_table_args(link: LinkTable) -> str | None:
    """`__table_args__` of a link table's link_indexes; None when there are none."""
    items: list[Item] = []
    if link.key_name is not None:
        args = (literal(link.left[0]), literal(link.right[0]), f"name={literal(link.key_name)}")
        items.append(Bracket("sa.PrimaryKeyConstraint", args))
    items += [
        Bracket("sa.Index", (literal(index.name), *map(literal, index.attributes)))
        for index in link.indexes
        if index.name is not None
    ]
    if not items:
        return None
    lead = "__table_args__ = "
    if len(items) == 1:
        flat = f"{lead}({items[0]},)"
        if 4 + len(flat) <= layout.LINE_LENGTH:
            return flat
    return layout.text(lead, Bracket("", tuple(items), magic=True), indent=4)


def field_options(owner: FieldOwner, spec: FieldSpec) -> Options:
    """The values a field type's templates read, for one field of an entity (or link)."""
    record = fieldtypes.get(spec.type)
    return Options(
        name=spec.name,
        max_length=spec.max_length,
        precision=spec.precision,
        scale=spec.scale,
        values=spec.values,
        enum=naming.enum_class(owner.class_name, spec.name) if record.python_enum else "",
        enum_type=(
            literal(spec.enum_type or f"{owner.table}_{spec.name}") if record.python_enum else ""
        ),
        module=owner.module,
    )


def nullable(annotation: Code, is_nullable: bool) -> Code:
    return Code(f"{annotation.text} | None", annotation.imports) if is_nullable else annotation


def default_of(owner: FieldOwner, spec: FieldSpec, api: bool = False) -> Default | None:
    """A field's `default:` as code: of the column, or (`api`) of the create schema."""
    if not spec.has_default:
        return None
    record = fieldtypes.get(spec.type)
    emit = record.api_default if api and record.api_default is not None else record.emit_default
    return emit(spec.default, field_options(owner, spec))


def field_column(owner: FieldOwner, spec: FieldSpec) -> tuple[Column, EnumClass | None]:
    """The column of one field, and its Python enum class when it has one."""
    record = fieldtypes.get(spec.type)
    options = field_options(owner, spec)
    enum = None
    if record.python_enum:
        members = [(naming.enum_member(v), literal(v)) for v in spec.values]
        enum = EnumClass(options.enum, members)
    constraints = tuple(fieldtypes.render(text, options) for text in record.constraints)
    column_type = record.column_code(options)
    storage = record.storage(spec.storage)
    if storage is not None:
        column_type = storage.column.code(options)
    if spec.national and record.national_column is not None:
        column_type = record.national_column.code(options)
    if spec.fixed and record.fixed_column is not None:
        column_type = record.fixed_column.code(options)
    if not spec.timezone and record.naive_column is not None:
        column_type = record.naive_column.code(options)
    column = Column(
        name=spec.name,
        annotation=nullable(record.annotation.code(options), spec.nullable),
        nullable=spec.nullable,
        column_type=column_type,
        inferred=(
            record.sqlmodel_infers and spec.storage is None and not spec.national and not spec.fixed
        ),
        default=default_of(owner, spec),
        on_update=on_update_of(owner, spec),
        server_default=server_default_of(owner, spec),
        unique=spec.unique,
        index=spec.index,
        constraints=constraints,
        description=spec.description,
        column_name=renamed(spec.name, spec.column),
    )
    return column, enum


def server_default_of(owner: FieldOwner, spec: FieldSpec) -> Code | None:
    """`server_default:` as the column's `server_default=` (None: no DEFAULT clause)."""
    if not spec.has_server_default:
        return None
    return fieldtypes.server_default_code(
        fieldtypes.get(spec.type),
        spec.server_default,
        field_options(owner, spec),
        onupdate=spec.onupdate == "now",
        numeric_storage=spec.storage in ("numeric", "decimal"),  # not a scaled integer
    )


def on_update_of(owner: FieldOwner, spec: FieldSpec) -> Code | None:
    """`onupdate: now`: the callable of the type's `default: now` (utcnow for datetime)."""
    if spec.onupdate != "now":
        return None
    record = fieldtypes.get(spec.type)
    return record.emit_default("now", field_options(owner, spec)).code


def table(entity: Entity) -> Table:
    result = Table(enums=[], columns=[], soft_delete=entity.spec.soft_delete)
    for spec in entity.fields:
        column, enum = field_column(entity, spec)
        if enum is not None:
            result.enums.append(enum)
        result.columns.append(column)
    for fk in entity.foreign_keys:
        kind = KEY_TYPES[fk.target.key.type]
        result.columns.append(
            Column(
                name=fk.column,
                annotation=nullable(kind.annotation, fk.nullable),
                nullable=fk.nullable,
                column_type=kind.column_type(fk.target.key),
                foreign_key=fk.target.key_reference,
                on_delete=ON_DELETE[fk.on_delete] if fk.on_delete else None,
                use_alter=fk.constraint if fk.use_alter else None,
                fk_on_update=ON_DELETE[fk.on_update] if fk.on_update else None,
                unique=entity.fk_unique(fk),
                index=entity.fk_indexed(fk),
                column_name=renamed(fk.column, fk.column_name),
            )
        )
    result.columns.extend(bookkeeping(entity))
    return result


def renamed(attribute: str, column: str | None) -> str | None:
    """The database name to spell, only when `column:` differs from the attribute."""
    return column if column is not None and column != attribute else None


@dataclass(frozen=True)
class KeyType:
    """How a primary key type (`primary_key: {type: ...}`) is spelled: its Python type,
    its column type (None: the ORM's default Integer) and how a new row gets its value."""

    annotation: Code
    sa_type: str | None  # "sa.String({length})"; None: plain Integer, left to the ORM
    autoincrement: bool  # the database generates it
    generated: Code | None = None  # a default factory (uuid4), when the application does

    def column_type(self, key: KeySpec) -> Code | None:
        if key.storage is not None:  # MySQL's TINYINT / MEDIUMINT, the type's own elsewhere
            base = self.sa_type or "sa.Integer()"
            mysql_type = KEY_STORAGE[key.storage]
            return Code(
                f'{base}.with_variant(mysql.{mysql_type}(), "mysql", "mariadb")',
                (SA, Import("sqlalchemy.dialects", "mysql")),
            )
        if self.sa_type is None:
            return None
        return Code(self.sa_type.format(length=key.max_length), (SA,))


# `primary_key: {storage: ...}`: the MySQL/MariaDB column type of an integer key
KEY_STORAGE = {"tinyint": "TINYINT", "mediumint": "MEDIUMINT"}


# SQLite makes only an INTEGER PRIMARY KEY an autoincrement rowid: a SMALLINT or BIGINT
# key is spelled INTEGER there (the variant), as it is on the foreign keys that refer to it.
KEY_TYPES = {
    "int": KeyType(Code("int"), None, autoincrement=True),
    "smallint": KeyType(
        Code("int"), 'sa.SmallInteger().with_variant(sa.Integer(), "sqlite")', True
    ),
    "bigint": KeyType(Code("int"), 'sa.BigInteger().with_variant(sa.Integer(), "sqlite")', True),
    "uuid": KeyType(
        Code("UUID", (Import("uuid", "UUID"),)),
        "sa.Uuid()",
        autoincrement=False,
        generated=Code("uuid4", (Import("uuid", "uuid4"),)),
    ),
    "str": KeyType(Code("str"), "sa.String({length})", autoincrement=False),
}


def key_column(key: KeySpec) -> Column:
    """The primary key `id` of an entity whose `primary_key:` is not the default."""
    kind = KEY_TYPES[key.type]
    return Column(
        name="id",
        annotation=kind.annotation,
        generated_key=kind.autoincrement,
        column_type=kind.column_type(key),
        default=Default(kind.generated, factory=True) if kind.generated else None,
        primary_key=True,
        column_name=renamed("id", key.column),
    )


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


def foreign_key_call(column: Column) -> Bracket:
    """`sa.ForeignKey("staff.id", ondelete=..., name=..., use_alter=True)`."""
    assert column.foreign_key is not None
    key = [literal(column.foreign_key)]
    if column.on_delete is not None:
        key.append(f"ondelete={literal(column.on_delete)}")
    if column.fk_on_update is not None:
        key.append(f"onupdate={literal(column.fk_on_update)}")
    if column.use_alter is not None:
        key += [f"name={literal(column.use_alter)}", "use_alter=True"]
    return Bracket("sa.ForeignKey", tuple(key))


@dataclass
class LinksCode:
    """What the template of the links module needs: enum classes of link fields, and each
    link table's column lines."""

    imports: Imports
    enums: list[EnumClass]
    classes: list[tuple[LinkTable, list[Line], str | None]]  # with its `__table_args__`


def link_table(link: LinkTable) -> Table:
    """A link table: its two key columns (the primary key; rows go with either side unless
    link_on_delete says otherwise), then its link_fields."""
    result = Table(enums=[], columns=[], soft_delete=False)
    for column, ref in (link.left, link.right):
        kind = KEY_TYPES[ref.key.type]
        result.columns.append(
            Column(
                name=column,
                annotation=kind.annotation,
                column_type=kind.column_type(ref.key),
                foreign_key=ref.key_reference,
                on_delete=LINK_ON_DELETE[link.on_delete],
                fk_on_update=ON_DELETE[link.on_update] if link.on_update else None,
                primary_key=True,
            )
        )
    for spec in link.fields:
        field_col, enum = field_column(link, spec)
        if enum is not None:
            result.enums.append(enum)
        result.columns.append(field_col)
    return result


def links_code(
    links: list[LinkTable], imports: Imports, spell_column: Callable[[Column, Imports], Line]
) -> LinksCode:
    """The link table classes, each column spelled by an ORM."""
    code = LinksCode(imports, [], [])
    for link in links:
        described = link_table(link)
        code.enums.extend(described.enums)
        lines = [spell_column(column, imports) for column in described.columns]
        args = link_table_args(link)
        if args is not None:
            imports.need(SA)
        code.classes.append((link, lines, args))
    if code.enums:
        imports.add("enum", "StrEnum")
    return code


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
