"""QueryBuilder: fluent, checked queries on one entity.

    rows = await (
        QueryBuilder(session, Track)
        .where("milliseconds", ">", 200_000)
        .or_where("name", "ilike", "%love%")
        .order_by("name")
        .limit(10)
        .all()
    )

Field names are checked against the entity's columns (or, after `join("album")`, against
the joined entity's as "album.title"), relation names against its relationships and
operators against OPERATORS: anything else raises a QueryError (a ValueError) naming what
is allowed, before any SQL is sent. Values are always bound parameters.

`where` calls are ANDed; `or_where` starts a new group, ORed with the previous ones, so
`.where(a).where(b).or_where(c)` means `(a AND b) OR c`. Soft-deleted rows are left out
unless `with_deleted()` (or `only_deleted()`).

Optional: the generated routes, CRUD classes and repositories do not use it.
"""

import operator
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select

from app.core.entity import (
    SOFT_DELETE_COLUMN,
    EntityInfo,
    QueryError,
    entity_info,
    plain_value,
)
from app.schemas.base import Page

ModelT = TypeVar("ModelT")

Condition = ColumnElement[bool]


class UnknownOperatorError(QueryError):
    """An operator that is not in the allow-list."""


def _values(op: str, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise QueryError(f"{op!r} needs a list of values, not a {type(value).__name__}")
    return [plain_value(item) for item in value]


def _between(column: Any, value: Any) -> Condition:
    values = _values("between", value)
    if len(values) != 2:
        raise QueryError("'between' needs two values: (low, high)")
    return column.between(values[0], values[1])  # type: ignore[no-any-return]


OPERATORS: dict[str, Callable[[Any, Any], Condition]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "like": lambda column, value: column.like(plain_value(value)),
    "not like": lambda column, value: column.not_like(plain_value(value)),
    "ilike": lambda column, value: column.ilike(plain_value(value)),
    "not ilike": lambda column, value: column.not_ilike(plain_value(value)),
    "in": lambda column, value: column.in_(_values("in", value)),
    "not in": lambda column, value: column.not_in(_values("not in", value)),
    "between": _between,
    "not between": lambda column, value: not_(_between(column, value)),
    "is null": lambda column, _value: column.is_(None),
    "is not null": lambda column, _value: column.is_not(None),
}
"""The operators `where` accepts (case and spacing do not matter)."""

_NO_VALUE = frozenset({"is null", "is not null"})
_COMPARISONS = frozenset({"=", "!=", "<>", "<", "<=", ">", ">="})
_MISSING: Any = object()

# Which rows of a soft-deleted entity a query sees.
_LIVE, _ALL, _DELETED = 0, 1, 2


class _Join:
    __slots__ = ("relation", "alias", "target", "outer")

    def __init__(
        self, relation: Any, alias: Any, target: EntityInfo, outer: bool
    ) -> None:
        self.relation = relation
        self.alias = alias
        self.target = target
        self.outer = outer


class QueryBuilder(Generic[ModelT]):
    """A query on one entity, built by chained calls and run by count(), first(),
    all(), exists() or paginate(). Each builder method changes this builder and
    returns it; running it does not change it, so it can be run more than once."""

    __slots__ = (
        "session",
        "model",
        "_info",
        "_groups",
        "_order",
        "_limit",
        "_offset",
        "_joins",
        "_loads",
        "_deleted",
    )

    def __init__(self, session: AsyncSession, model: type[ModelT]) -> None:
        self.session = session
        self.model = model
        self._info = entity_info(model)
        self._groups: list[list[Condition]] = [[]]
        self._order: list[Any] = []
        self._limit: int | None = None
        self._offset: int | None = None
        self._joins: dict[str, _Join] = {}
        self._loads: list[str] = []
        self._deleted = _LIVE

    # -- names and values, checked

    def _field(self, name: str) -> Any:
        """A column of the entity, or "relation.column" of a joined relation."""
        if isinstance(name, str) and "." in name:
            relation, _, column = name.partition(".")
            joined = self._joins.get(relation)
            if joined is None:
                self._info.relation(relation)  # an unknown relation says so
                raise QueryError(f"join({relation!r}) before filtering on {name!r}")
            joined.target.column(column)
            return getattr(joined.alias, column)
        return self._info.column(name)

    def _condition(self, field: str, op: str, value: Any) -> Condition:
        name = " ".join(op.lower().split()) if isinstance(op, str) else op
        build = OPERATORS.get(name) if isinstance(name, str) else None
        if build is None:
            raise UnknownOperatorError(
                f"unknown operator {op!r} (allowed: {', '.join(OPERATORS)})"
            )
        column = self._field(field)
        if name in _NO_VALUE:
            if value is not _MISSING and value is not None:
                raise QueryError(f"{name!r} takes no value")
            return build(column, None)
        if value is _MISSING:
            raise QueryError(f"{name!r} needs a value")
        if name in _COMPARISONS:
            value = plain_value(value)
        return build(column, value)

    # -- building

    def where(self, field: str, op: str, value: Any = _MISSING) -> Self:
        """AND `field op value`; e.g. where("total", ">=", 10)."""
        self._groups[-1].append(self._condition(field, op, value))
        return self

    def or_where(self, field: str, op: str, value: Any = _MISSING) -> Self:
        """OR `field op value` (with the AND of the conditions that follow it)."""
        condition = self._condition(field, op, value)
        if self._groups[-1]:
            self._groups.append([condition])
        else:
            self._groups[-1].append(condition)
        return self

    def where_in(self, field: str, values: Any) -> Self:
        return self.where(field, "in", values)

    def where_not_in(self, field: str, values: Any) -> Self:
        return self.where(field, "not in", values)

    def where_null(self, field: str) -> Self:
        return self.where(field, "is null")

    def where_not_null(self, field: str) -> Self:
        return self.where(field, "is not null")

    def order_by(self, field: str, direction: str = "asc") -> Self:
        """Sort by a field, "asc" or "desc"; calls add sort keys in order."""
        way = direction.lower() if isinstance(direction, str) else None
        if way not in ("asc", "desc"):
            raise QueryError(f"unknown direction {direction!r} (allowed: asc, desc)")
        column = self._field(field)
        self._order.append(column.asc() if way == "asc" else column.desc())
        return self

    def limit(self, n: int) -> Self:
        self._limit = _count("limit", n)
        return self

    def offset(self, n: int) -> Self:
        self._offset = _count("offset", n)
        return self

    def join(self, relation: str, *, outer: bool = False) -> Self:
        """Join a relation (inner, or left outer with outer=True) so that where() and
        order_by() can use its columns as "relation.column". Joining a collection
        repeats the entity once per matching related row, as SQL does."""
        attribute, model = self._info.relation(relation)
        if relation not in self._joins:
            target = entity_info(model)
            self._joins[relation] = _Join(attribute, aliased(model), target, outer)
        return self

    def with_(self, *relations: str) -> Self:
        """Load relations with the rows (selectinload); "album.artist" goes further."""
        for relation in relations:
            self._info.load(relation)  # checks the path
            self._loads.append(relation)
        return self

    def with_deleted(self) -> Self:
        """Include soft-deleted rows (here and in joined and loaded relations)."""
        self._deleted = _ALL
        return self

    def only_deleted(self) -> Self:
        """Only the soft-deleted rows."""
        if self._info.soft_delete is None:
            raise QueryError(f"{self._info.name} has no soft delete")
        self._deleted = _DELETED
        return self

    # -- the statement

    def _filter(self, statement: Any) -> Any:
        info = self._info
        live = self._deleted == _LIVE
        for joined in self._joins.values():
            onclause = joined.relation.of_type(joined.alias)
            if live and joined.target.soft_delete is not None:
                deleted_at = getattr(joined.alias, SOFT_DELETE_COLUMN)
                onclause = onclause.and_(deleted_at.is_(None))
            statement = statement.join(onclause, isouter=joined.outer)
        conditions: list[Condition] = []
        if info.soft_delete is not None and self._deleted != _ALL:
            conditions.append(info.live[0] if live else info.soft_delete.is_not(None))
        groups = [group for group in self._groups if group]
        if len(groups) == 1:
            conditions.extend(groups[0])
        elif groups:
            conditions.append(or_(*(and_(*group) for group in groups)))
        return statement.where(*conditions) if conditions else statement

    def statement(self) -> Select[Any]:
        """The SELECT this builder runs for all()."""
        statement = self._filter(select(self.model))
        if self._order:
            statement = statement.order_by(*self._order)
        if self._limit is not None:
            statement = statement.limit(self._limit)
        if self._offset is not None:
            statement = statement.offset(self._offset)
        if self._loads:
            with_deleted = self._deleted != _LIVE
            loads = self._info.load
            statement = statement.options(
                *(loads(path, with_deleted) for path in self._loads)
            )
        return statement  # type: ignore[no-any-return]

    # -- running

    async def all(self) -> list[ModelT]:
        return list(await self.session.scalars(self.statement()))

    async def first(self) -> ModelT | None:
        statement = self.statement().limit(1)
        found: ModelT | None = (await self.session.scalars(statement)).first()
        return found

    async def count(self) -> int:
        """How many rows match, ignoring order_by, limit and offset."""
        statement = self._filter(select(func.count()).select_from(self.model))
        return int((await self.session.execute(statement)).scalar_one())

    async def exists(self) -> bool:
        statement = select(self._filter(select(self.model)).exists())
        return bool((await self.session.execute(statement)).scalar())

    async def paginate(self, page: int = 1, size: int = 20) -> Page[ModelT]:
        """One page (counted from 1) of `size` rows, with the total of all pages."""
        page = _count("page", page, minimum=1)
        size = _count("size", size, minimum=1)
        total = await self.count()
        statement = self.statement().limit(size).offset((page - 1) * size)
        items = list((await self.session.scalars(statement)).all())
        return Page[Any].model_construct(items=items, total=total, page=page, size=size)


def _count(name: str, n: Any, minimum: int = 0) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise QueryError(f"{name} must be an integer >= {minimum}, not {n!r}")
    return n
