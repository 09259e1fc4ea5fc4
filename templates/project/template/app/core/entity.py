"""What the runtime knows about a mapped class: its columns, relations, primary key and
soft delete. Read once per class with `sqlalchemy.inspect`, so it works for any mapped
class (SQLModel table models and SQLAlchemy declarative models alike).

Soft delete, the one rule: a class that sets `__soft_delete__ = True` (it then has a
`deleted_at` column) keeps a deleted row and sets its `deleted_at`; a row is live while
its `deleted_at` is NULL, and reads see live rows only unless asked `with_deleted`.
"""

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, insert, inspect
from sqlalchemy.orm import Mapper, selectinload
from sqlalchemy.orm.attributes import instance_state, set_attribute
from sqlalchemy.sql import ClauseElement, ColumnElement

SOFT_DELETE_COLUMN = "deleted_at"


class QueryError(ValueError):
    """A query that names something the entity does not have, or asks for something
    that is not allowed. Raised before any SQL is sent."""


class UnknownFieldError(QueryError):
    """A criteria key, field, order_by or relation name that the entity does not have."""


def plain_value(value: Any) -> Any:
    """The value itself, refused if it is SQL (a column, text(), a subquery...): values
    are always sent as bound parameters, never as SQL."""
    if isinstance(value, ClauseElement) or hasattr(value, "__clause_element__"):
        raise QueryError(
            f"a value must be plain data, not SQL ({type(value).__name__})"
        )
    return value


# The `deleted_at` column of every table whose class has soft delete.
_SOFT_DELETE: dict[Any, Any] = {}


def live(table: Any) -> tuple[ColumnElement[bool], ...]:
    """The conditions that keep out a table's soft-deleted rows (none without)."""
    column = _SOFT_DELETE.get(table)
    return () if column is None else (column.is_(None),)


# What PostgreSQL stores as sent, besides floats and times (its sessions are in UTC).
_KEPT_BY_POSTGRESQL: tuple[type, ...] = (sa.Integer, sa.String, sa.Boolean, sa.Date)
_KEPT_BY_POSTGRESQL += (sa.DateTime, sa.Uuid, sa.LargeBinary)


def _kept(column: Any, dialect: Any) -> bool:
    """Whether the database stores a new row's value of the column as sent: nothing it
    fills (a server default) or changes (a decimal, a CHAR; on PostgreSQL also a REAL, a
    time with time zone, JSON and any type not listed above, which it may normalise).
    Both the declared type and the one this database gets (a variant) must pass."""
    if column.server_default is not None or column.server_onupdate is not None:
        return False
    declared = getattr(column.type, "impl", column.type)  # a TypeDecorator's impl
    stored = column.type.dialect_impl(dialect)
    stored = getattr(stored, "impl_instance", stored)
    return column.computed is None and all(
        _kept_kind(kind, dialect.name) for kind in (declared, stored)
    )


def _kept_kind(kind: Any, dialect: str) -> bool:
    if isinstance(kind, sa.Float):  # a REAL (precision up to 24) rounds on PostgreSQL
        real = kind.asdecimal or (kind.precision or 53) <= 24
        return dialect == "sqlite" or not real
    if isinstance(kind, (sa.Numeric, sa.CHAR, sa.NCHAR)):
        return False
    if dialect == "sqlite":
        return True
    if isinstance(kind, sa.Time):
        return not kind.timezone
    return dialect == "postgresql" and isinstance(kind, _KEPT_BY_POSTGRESQL)


def _sqlmodel_fields(model: type[Any], columns: dict[str, Any]) -> dict[str, Any]:
    """A SQLModel table model's fields, for EntityInfo.new; none (the class is called) for
    another class, a post-init, aliases, no-column fields or factories taking data."""
    fields = dict(getattr(model, "model_fields", {}))
    if not getattr(model, "model_config", {}).get("table"):
        return {}
    for name, field in fields.items():
        takes_data = getattr(field, "default_factory_takes_validated_data", True)
        if name not in columns or field.alias or field.default_factory and takes_data:
            return {}
    return {} if model.__pydantic_post_init__ else fields


class EntityInfo:
    """The mapper of one class, digested for quick checks; one per class, cached."""

    def __init__(self, model: type[Any]) -> None:
        mapper = inspect(model, raiseerr=False)
        if not isinstance(mapper, Mapper):
            raise TypeError(f"{model!r} is not a mapped class")
        for other in mapper.registry.mappers:  # every class of the model's registry
            if getattr(other.class_, "__soft_delete__", False):  # needs deleted_at
                _SOFT_DELETE[other.local_table] = other.columns[SOFT_DELETE_COLUMN]
        self.model = model
        self.name: str = model.__name__
        self.table: Any = mapper.local_table
        # Each table column's attribute (`Title` -> title when the spec names a column).
        self.attributes: dict[Any, str] = {
            column: mapper.get_property_by_column(column).key
            for column in self.table.columns
        }
        self.columns = {key: getattr(model, key) for key in self.attributes.values()}
        # Each relationship's class attribute (Album.tracks) and the related class.
        self.relations: dict[str, tuple[Any, type[Any]]] = {
            key: (getattr(model, key), prop.mapper.class_)
            for key, prop in mapper.relationships.items()
        }
        self.primary_key: tuple[Any, ...] = tuple(
            getattr(model, mapper.get_property_by_column(column).key)
            for column in mapper.primary_key
        )
        # The soft-delete column (None without soft delete) and the live condition.
        self.live = live(self.table)
        self.soft_delete: Any = self.columns[SOFT_DELETE_COLUMN] if self.live else None
        self._loads: dict[tuple[str, bool], Any] = {}
        # A create's statement, built once: the row as stored comes back with it.
        self.insert_returning = insert(model).returning(model)
        # Whether a write checks references first (Repository.check): to tables with
        # soft delete, whose soft-deleted rows the database still sees.
        keys = [key for column in self.table.columns for key in column.foreign_keys]
        self.soft_references = any(live(key.column.table) for key in keys)
        self._as_sent: dict[str, bool] = {}
        self._fields = _sqlmodel_fields(model, self.columns)
        self.manager: Any = mapper.class_manager

    def new(self, values: Mapping[str, Any]) -> Any:
        """`model(**values)`, the row a create adds, ~4x faster for a SQLModel table model,
        whose __init__ sets each field through pydantic and SQLAlchemy both: here the
        instance and its `init` event are SQLAlchemy's, and each field goes through
        SQLAlchemy alone, the values given and then the other fields' defaults, as SQLModel
        does."""
        fields = self._fields
        if not fields or not values.keys() <= fields.keys():
            return self.model(**values)
        manager, values = self.manager, dict(values)  # init listeners may edit them
        instance = manager.new_instance()
        manager.dispatch.init(instance_state(instance), (), values)
        given = [name for name in fields if name in values]
        for name in given:
            set_attribute(instance, name, values[name])
        for name, field in fields.items():
            if name not in values and not field.is_required():
                made = field.default_factory
                set_attribute(instance, name, made() if made else field.get_default())
        object.__setattr__(instance, "__pydantic_fields_set__", set(given))
        return instance

    def stored_as_sent(self, dialect: Any) -> bool:
        """Whether the database (SQLite or PostgreSQL) keeps a new row as sent (_kept): a
        create then needs no RETURNING of the row."""
        name = dialect.name
        if name not in self._as_sent:
            kept = all(_kept(column, dialect) for column in self.table.columns)
            self._as_sent[name] = kept and name in ("sqlite", "postgresql")
        return self._as_sent[name]

    def column(self, name: str) -> Any:
        """The class attribute of a column; UnknownFieldError for any other name."""
        return self._named("column", self.columns, name)

    def relation(self, name: str) -> tuple[Any, type[Any]]:
        """A relationship and its class; UnknownFieldError for any other name."""
        found: tuple[Any, type[Any]] = self._named("relation", self.relations, name)
        return found

    def _named(self, kind: str, known: dict[str, Any], name: str) -> Any:
        found = known.get(name) if isinstance(name, str) else None
        if found is None:
            allowed = ", ".join(known) or "none"
            raise UnknownFieldError(
                f"{self.name} has no {kind} {name!r} ({kind}s: {allowed})"
            )
        return found

    def where_id(self, id: Any) -> ColumnElement[bool]:
        """`primary key = id` (a tuple of values for a composite key)."""
        if len(self.primary_key) == 1:
            return self.primary_key[0] == id  # type: ignore[no-any-return]
        values = tuple(id)
        if len(values) != len(self.primary_key):
            raise QueryError(
                f"{self.name} has a primary key of {len(self.primary_key)} columns"
            )
        return and_(
            *(key == value for key, value in zip(self.primary_key, values, strict=True))
        )

    def load(self, path: str, with_deleted: bool = False) -> Any:
        """A selectinload option (one more SELECT for all the rows, never one per row)
        for a relation, or a dotted path of them ("album.artist"), checked at each
        step. Soft-deleted related rows are left out unless with_deleted. Options are
        immutable, so each is built once."""
        if not isinstance(path, str):
            raise UnknownFieldError(f"{self.name} has no relation {path!r}")
        option = self._loads.get((path, with_deleted))
        if option is not None:
            return option
        current = self
        for name in path.split("."):
            attribute, target = current.relation(name)
            current = entity_info(target)
            if current.live and not with_deleted:
                attribute = attribute.and_(*current.live)
            option = (
                selectinload(attribute)
                if option is None
                else option.selectinload(attribute)
            )
        if len(self._loads) < 256:  # paths come from code; bound them all the same
            self._loads[(path, with_deleted)] = option
        return option


_INFO: dict[type[Any], EntityInfo] = {}


def entity_info(model: type[Any]) -> EntityInfo:
    """The EntityInfo of a mapped class, read once."""
    return _INFO.get(model) or _INFO.setdefault(model, EntityInfo(model))
