"""What the runtime knows about a mapped class: its columns, relations, primary key and
soft delete. Read once per class with `sqlalchemy.inspect`, so it works for any mapped
class (SQLModel table models and SQLAlchemy declarative models alike)."""

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import and_, inspect
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, selectinload
from sqlalchemy.sql import ClauseElement, ColumnElement

SOFT_DELETE_COLUMN = "deleted_at"


class QueryError(ValueError):
    """A query that names something the entity does not have, or asks for something
    that is not allowed. Raised before any SQL is sent."""


class UnknownFieldError(QueryError):
    """A criteria key, field, order_by or relation name that the entity does not have."""


class UnknownOperatorError(QueryError):
    """An operator that is not in the allow-list."""


class Relation(NamedTuple):
    attribute: Any  # the relationship's class attribute, e.g. Album.tracks
    target: type[Any]  # the related class
    uselist: bool  # a collection (one_to_many, many_to_many) or a single object


def plain_value(value: Any) -> Any:
    """The value itself, refused if it is SQL (a column, text(), a subquery...): values
    are always sent as bound parameters, never as SQL."""
    if isinstance(value, ClauseElement) or hasattr(value, "__clause_element__"):
        raise QueryError(
            f"a value must be plain data, not SQL ({type(value).__name__})"
        )
    return value


async def is_deleted(session: AsyncSession, entity: Any) -> bool:
    """Whether a loaded entity (of a class with soft delete) is soft-deleted; an
    expired `deleted_at` is loaded again, never lazily."""
    state = inspect(entity)
    if SOFT_DELETE_COLUMN not in state.dict:
        await session.refresh(entity, [SOFT_DELETE_COLUMN])
    return state.dict.get(SOFT_DELETE_COLUMN) is not None


def utcnow() -> dt.datetime:
    """Now, timezone-aware, in UTC: what soft delete writes into `deleted_at`."""
    return dt.datetime.now(dt.UTC)


class EntityInfo:
    """The mapper of one class, digested for quick checks; one per class, cached."""

    __slots__ = (
        "model",
        "name",
        "columns",
        "relations",
        "primary_key",
        "soft_delete",
        "live",
        "deleted",
        "_loads",
    )

    def __init__(self, model: type[Any]) -> None:
        try:
            mapper = inspect(model)
        except NoInspectionAvailable:
            raise TypeError(f"{model!r} is not a mapped class") from None
        if not isinstance(mapper, Mapper):
            raise TypeError(f"{model!r} is not a mapped class")
        self.model = model
        self.name: str = model.__name__
        self.columns: dict[str, Any] = {
            key: getattr(model, key) for key in mapper.column_attrs.keys()
        }
        self.relations: dict[str, Relation] = {
            key: Relation(getattr(model, key), prop.mapper.class_, bool(prop.uselist))
            for key, prop in mapper.relationships.items()
        }
        self.primary_key: tuple[Any, ...] = tuple(
            getattr(model, mapper.get_property_by_column(column).key)
            for column in mapper.primary_key
        )
        # The soft-delete column (None without soft delete) and the conditions that
        # keep out, or keep only, the soft-deleted rows.
        self.soft_delete: Any = None
        self.live: tuple[ColumnElement[bool], ...] = ()
        self.deleted: tuple[ColumnElement[bool], ...] = ()
        if getattr(model, "__soft_delete__", False):
            if SOFT_DELETE_COLUMN not in self.columns:
                raise TypeError(
                    f"{self.name} sets __soft_delete__ but has no "
                    f"{SOFT_DELETE_COLUMN} column"
                )
            self.soft_delete = self.columns[SOFT_DELETE_COLUMN]
            self.live = (self.soft_delete.is_(None),)
            self.deleted = (self.soft_delete.is_not(None),)
        self._loads: dict[tuple[str, bool], Any] = {}

    def column(self, name: str) -> Any:
        """The class attribute of a column; UnknownFieldError for any other name."""
        column = self.columns.get(name) if isinstance(name, str) else None
        if column is None:
            raise UnknownFieldError(
                f"{self.name} has no column {name!r} "
                f"(columns: {', '.join(self.columns)})"
            )
        return column

    def relation(self, name: str) -> Relation:
        """A relationship by name; UnknownFieldError for any other name."""
        relation = self.relations.get(name) if isinstance(name, str) else None
        if relation is None:
            raise UnknownFieldError(
                f"{self.name} has no relation {name!r} "
                f"(relations: {', '.join(self.relations) or 'none'})"
            )
        return relation

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
        """A selectinload option for a relation, or a dotted path of them
        ("album.artist"), checked at each step. Soft-deleted related rows are left out
        unless with_deleted. Options are immutable, so each is built once."""
        if not isinstance(path, str):
            raise UnknownFieldError(f"{self.name} has no relation {path!r}")
        option = self._loads.get((path, with_deleted))
        if option is not None:
            return option
        current = self
        for name in path.split("."):
            relation = current.relation(name)
            current = entity_info(relation.target)
            attribute = relation.attribute
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
    """The cached EntityInfo of a mapped class."""
    info = _INFO.get(model)
    if info is None:
        info = _INFO[model] = EntityInfo(model)
    return info
