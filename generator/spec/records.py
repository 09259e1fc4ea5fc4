"""The spec records: what `forge.yaml` describes, as frozen dataclasses.

The reader (reader.py) builds them after checking every value by hand, so that each
mistake names its place; later stages trust them. evolve.py stores a Spec as JSON
(`model_dump`) and reads it back (`model_validate`): those two go through pydantic (a
TypeAdapter of the dataclass, imported only then), as when the records were pydantic
models. Plain dataclasses keep pydantic's import (about 0.15 s of CPU) and its building
of model classes out of every run that loads a spec.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal, Self, get_args

from generator import emit, fieldtypes

FieldType = str  # a name of generator.fieldtypes, the one list of field types
FIELD_TYPES: tuple[str, ...] = fieldtypes.NAMES
RelationKind = Literal["many_to_one", "one_to_many", "one_to_one", "many_to_many"]
RELATION_KINDS: tuple[RelationKind, ...] = get_args(RelationKind)
OnDelete = Literal["cascade", "set_null", "restrict"]
ON_DELETE: tuple[OnDelete, ...] = get_args(OnDelete)
LinkOnDelete = Literal["cascade", "restrict", "no_action"]
LINK_ON_DELETE: tuple[LinkOnDelete, ...] = get_args(LinkOnDelete)
LinkOnUpdate = Literal["cascade", "restrict"]
LINK_ON_UPDATE: tuple[LinkOnUpdate, ...] = get_args(LinkOnUpdate)
Database = Literal["sqlite", "postgresql", "mysql"]
DATABASES: tuple[Database, ...] = get_args(Database)
Orm = str  # a name of generator.emit.ORMS, the one table of ORMs
ORMS: tuple[str, ...] = emit.ORMS

DEFAULT_STR_LENGTH = 255
DEFAULT_PRECISION = 10
DEFAULT_SCALE = 2
TIMESTAMP_COLUMNS = ("created_at", "updated_at")
SOFT_DELETE_COLUMN = "deleted_at"

# The public names of pydantic's BaseModel (pydantic 2): the generated classes inherit
# them. tests/test_spec_records.py checks this list against the installed pydantic.
BASE_MODEL_NAMES = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)
# Names the generated modules import or that SQLModel/Pydantic own: a field, relation
# or inverse with one of these names would shadow them inside the generated class.
RESERVED_ATTRIBUTES = frozenset(
    {"id", "dt", "sa", "uuid4", "metadata", "registry"} | BASE_MODEL_NAMES
)
# Class names the generated modules import, and suffixes of generated classes.
RESERVED_CLASSES = frozenset(
    {
        "Any",
        "Optional",
        "TYPE_CHECKING",
        "Decimal",
        "UUID",
        "Enum",
        "Field",
        "Relationship",
        "SQLModel",
        "BaseModel",
        "ConfigDict",
        "AsyncSession",
        "BaseRepository",
        "BaseCRUD",
    }
)
# Classes forge generates for every entity: <Entity><suffix>.
GENERATED_SUFFIXES = ("Create", "Read", "Update", "CRUD", "Repository", "Link")


_ADAPTERS: dict[type, Any] = {}  # record class -> its pydantic TypeAdapter
_TUPLES: dict[type, tuple[str, ...]] = {}  # record class -> its tuple fields


def _adapter(cls: type) -> Any:
    if cls not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


def _tuple_fields(cls: type) -> tuple[str, ...]:
    if cls not in _TUPLES:
        _TUPLES[cls] = tuple(f.name for f in fields(cls) if str(f.type).startswith("tuple["))
    return _TUPLES[cls]


class _Record:
    """What the records keep of pydantic's models: lists given for tuples become tuples
    (the records are hashable), and JSON in and out (`model_dump`, `model_validate`)."""

    def __post_init__(self) -> None:
        for name in _tuple_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))

    def model_dump(self, mode: Literal["json", "python"] = "python") -> Any:
        return _adapter(type(self)).dump_python(self, mode=mode)

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        record: Self = _adapter(cls).validate_python(data)
        return record


@dataclass(frozen=True)
class FieldSpec(_Record):
    name: str
    type: FieldType
    nullable: bool = False
    unique: bool = False
    index: bool = False
    default: Any = None
    has_default: bool = False
    # `server_default:` the column's DEFAULT clause (a value read like `default:`, or "now")
    server_default: Any = None
    has_server_default: bool = False
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    values: tuple[str, ...] = ()
    description: str | None = None
    searchable: bool = False  # `?search=` of the list route looks in it (str, text)
    column: str | None = None  # the database column's name when it differs from `name`
    onupdate: str | None = None  # "now": set to the current time on every update
    # another column type of the same values (fieldtypes' `storages`: "numeric", "decimal",
    # "tinyint", "mediumint", "tinytext", "text", "mediumtext", "longtext", "timestamp")
    storage: str | None = None
    national: bool = False  # a str stored as NVARCHAR(n) on SQLite (VARCHAR elsewhere)
    fixed: bool = False  # a str stored as CHAR(n) (space-padded) instead of VARCHAR(n)
    timezone: bool = True  # False: a datetime stored without time zone (UTC, naive)
    enum_type: str | None = None  # an enum's PostgreSQL type name (None: <table>_<field>)


@dataclass(frozen=True)
class ConstraintSpec(_Record):
    """A composite unique constraint or an index: its attributes (fields, or to-one
    relations meaning their foreign-key column); `name` None: forge names it."""

    name: str | None
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class RelationSpec(_Record):
    name: str
    kind: RelationKind
    target: str
    inverse: str | None = None
    nullable: bool = False
    on_delete: OnDelete | None = None
    link_table: str | None = None
    column: str | None = None  # the foreign-key column's database name (default <name>_id)
    # many_to_many: the link table's key columns (this side's, the target's); None: naming's
    link_columns: tuple[str, str] | None = None
    link_fields: tuple[FieldSpec, ...] = ()  # extra columns of the link table
    link_on_delete: LinkOnDelete | None = None  # None: cascade
    # many_to_many: named indexes of the link table over its database column names
    link_indexes: tuple[ConstraintSpec, ...] = ()
    link_key_name: str | None = None  # the link table's primary key constraint name
    on_update: OnDelete | None = None  # ON UPDATE of the foreign key (None: none written)
    link_on_update: LinkOnUpdate | None = None  # ON UPDATE of both link key columns
    index: bool = True  # False: forge adds no index of its own on the foreign-key column


KeyType = Literal["int", "smallint", "bigint", "uuid", "str"]
KEY_TYPES: tuple[KeyType, ...] = get_args(KeyType)


@dataclass(frozen=True)
class KeySpec(_Record):
    """The primary key: always the attribute `id`; its column name and type may vary."""

    column: str = "id"
    type: KeyType = "int"
    max_length: int | None = None  # str keys only (required there)
    name: str | None = None  # the primary key constraint's name (None: the database's)
    # an integer key's narrower column: "tinyint" (smallint), "mediumint" (int); the
    # foreign keys that refer to it get the same column type
    storage: str | None = None

    @property
    def integer(self) -> bool:
        """Generated by the database (autoincrement)."""
        return self.type in ("int", "smallint", "bigint")


@dataclass(frozen=True)
class CheckSpec(_Record):
    """A CHECK constraint: a SQL boolean expression over database column names."""

    name: str
    expression: str


@dataclass(frozen=True)
class EntitySpec(_Record):
    name: str
    table: str
    route: str
    timestamps: bool = False  # created_at, updated_at kept up to date
    soft_delete: bool = False  # deleted_at; delete() sets it, queries leave such rows out
    fields: tuple[FieldSpec, ...] = ()
    relations: tuple[RelationSpec, ...] = ()
    primary_key: KeySpec = KeySpec()
    unique: tuple[ConstraintSpec, ...] = ()  # composite unique constraints
    indexes: tuple[ConstraintSpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()


@dataclass(frozen=True)
class ProjectSpec(_Record):
    name: str
    database: Database = "sqlite"
    orm: Orm = "sqlmodel"
    docker: bool = False  # docker-compose.yml, Dockerfile; default: not for SQLite


@dataclass(frozen=True)
class Spec(_Record):

    project: ProjectSpec
    entities: tuple[EntitySpec, ...] = ()

    def entity(self, name: str) -> EntitySpec:
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise KeyError(name)
