"""The base of every generated repository: safe, typed queries on one entity."""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import SQLModel

ModelT = TypeVar("ModelT", bound=SQLModel)

Criteria = Mapping[str, Any]
OrderBy = str | Sequence[str] | None


class UnknownFieldError(ValueError):
    """A criteria key, order_by or relation name that the entity does not have."""


class BaseRepository(Generic[ModelT]):
    """Queries on one entity. Criteria keys are checked against the entity's columns:
    an unknown key raises UnknownFieldError and never reaches SQL; values are always
    bound parameters."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- names checked against the mapper

    def _column(self, name: str) -> Any:
        columns = inspect(self.model).columns
        if not isinstance(name, str) or name not in columns:
            raise UnknownFieldError(
                f"{self.model.__name__} has no column {name!r} "
                f"(columns: {', '.join(columns.keys())})"
            )
        return getattr(self.model, name)

    def _relation(self, name: str) -> Any:
        relations = inspect(self.model).relationships
        if not isinstance(name, str) or name not in relations:
            raise UnknownFieldError(
                f"{self.model.__name__} has no relation {name!r} "
                f"(relations: {', '.join(relations.keys()) or 'none'})"
            )
        return getattr(self.model, name)

    def _conditions(self, criteria: Criteria | None) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        for key, value in (criteria or {}).items():
            column = self._column(key)
            if value is None:
                conditions.append(column.is_(None))
            elif isinstance(value, (list, tuple, set, frozenset)):
                conditions.append(column.in_(list(value)))
            else:
                conditions.append(column == value)
        return conditions

    def _select(
        self,
        criteria: Criteria | None = None,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        load: Sequence[str] = (),
    ) -> Select[tuple[ModelT]]:
        statement = select(self.model).where(*self._conditions(criteria))
        orders = [order_by] if isinstance(order_by, str) else list(order_by or [])
        for order in orders:
            descending = isinstance(order, str) and order.startswith("-")
            column = self._column(order[1:] if descending else order)
            statement = statement.order_by(
                column.desc() if descending else column.asc()
            )
        if limit is not None:
            statement = statement.limit(limit)
        if offset is not None:
            statement = statement.offset(offset)
        if load:
            statement = statement.options(
                *(selectinload(self._relation(r)) for r in load)
            )
        return statement

    # -- queries

    async def find(self, id: int, load: Sequence[str] = ()) -> ModelT | None:
        """The row with this primary key, or None. `load` names relations to load with it."""
        if not load:
            return await self.session.get(self.model, id)
        statement = self._select({"id": id}, load=load)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def find_all(
        self, skip: int = 0, limit: int | None = 100, load: Sequence[str] = ()
    ) -> list[ModelT]:
        statement = self._select(order_by="id", limit=limit, offset=skip, load=load)
        return list((await self.session.execute(statement)).scalars().all())

    async def find_by(
        self,
        criteria: Criteria,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        load: Sequence[str] = (),
    ) -> list[ModelT]:
        """Rows whose columns equal the criteria (a list value means IN, None means IS NULL).
        `order_by` is a column name or a list of them; prefix with '-' for descending.
        """
        statement = self._select(criteria, order_by, limit, offset, load)
        return list((await self.session.execute(statement)).scalars().all())

    async def find_one_by(
        self, criteria: Criteria, load: Sequence[str] = ()
    ) -> ModelT | None:
        statement = self._select(criteria, order_by="id", limit=1, load=load)
        return (await self.session.execute(statement)).scalars().first()

    async def count(self, criteria: Criteria | None = None) -> int:
        conditions = self._conditions(criteria)
        statement = select(func.count()).select_from(self.model).where(*conditions)
        return int((await self.session.execute(statement)).scalar_one())

    async def exists(self, criteria: Criteria) -> bool:
        statement = select(self._select(criteria).exists())
        return bool((await self.session.execute(statement)).scalar())
