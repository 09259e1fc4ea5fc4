"""The spec records: what `forge.yaml` describes, as frozen Pydantic models.

The reader (reader.py) builds them after checking every value by hand, so that each
mistake names its place; later stages trust them. evolve.py stores a Spec as JSON
(`model_dump`) and reads it back (`model_validate`).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict

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

# Names the generated modules import or that SQLModel/Pydantic own: a field, relation
# or inverse with one of these names would shadow them inside the generated class.
RESERVED_ATTRIBUTES = frozenset(
    {"id", "dt", "sa", "uuid4", "metadata", "registry"}
    | {name for name in dir(BaseModel) if not name.startswith("_")}
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


class FieldSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

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


class ConstraintSpec(BaseModel):
    """A composite unique constraint or an index: its attributes (fields, or to-one
    relations meaning their foreign-key column); `name` None: forge names it."""

    model_config = ConfigDict(frozen=True)

    name: str | None
    attributes: tuple[str, ...]


class RelationSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

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


class KeySpec(BaseModel):
    """The primary key: always the attribute `id`; its column name and type may vary."""

    model_config = ConfigDict(frozen=True)

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


class CheckSpec(BaseModel):
    """A CHECK constraint: a SQL boolean expression over database column names."""

    model_config = ConfigDict(frozen=True)

    name: str
    expression: str


class EntitySpec(BaseModel):
    model_config = ConfigDict(frozen=True)

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


class ProjectSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    database: Database = "sqlite"
    orm: Orm = "sqlmodel"
    docker: bool = False  # docker-compose.yml, Dockerfile; default: not for SQLite


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True)

    project: ProjectSpec
    entities: tuple[EntitySpec, ...] = ()

    def entity(self, name: str) -> EntitySpec:
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise KeyError(name)
