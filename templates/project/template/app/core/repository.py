"""The base of every generated repository: safe, typed queries on one entity."""

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from app.core.orm.mapping import (
    UnknownFieldError,
    entity_info,
    is_deleted,
    plain_value,
)
from app.core.orm.query import QueryBuilder
from app.core.orm.registry import register_repository

ModelT = TypeVar("ModelT")  # any mapped class: SQLModel table or SQLAlchemy model

Criteria = Mapping[str, Any]
OrderBy = str | Sequence[str] | None

__all__ = ["BaseRepository", "Criteria", "OrderBy", "UnknownFieldError"]


class BaseRepository(Generic[ModelT]):
    """Queries on one entity. Criteria keys are checked against the entity's columns:
    an unknown key raises UnknownFieldError and never reaches SQL; values are always
    bound parameters. Soft-deleted rows are left out unless `with_deleted=True`.

    A subclass that sets `model` becomes that entity's repository for
    EntityManager.get_repository(); `BaseRepository(session, Model)` works for any
    mapped class without one."""

    model: type[Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = cls.__dict__.get("model")
        if model is not None:
            register_repository(model, cls)

    def __init__(self, session: AsyncSession, model: type[Any] | None = None) -> None:
        self.session = session
        if model is not None:
            self.model = model
        elif getattr(self, "model", None) is None:
            raise TypeError(f"{type(self).__name__} has no model")
        self._info = entity_info(self.model)

    def get_query_builder(self) -> QueryBuilder[ModelT]:
        """A QueryBuilder on this entity, in this repository's session."""
        return QueryBuilder(self.session, self.model)

    # -- names checked against the mapper

    def _column(self, name: str) -> Any:
        return self._info.column(name)

    def _relation(self, name: str) -> Any:
        return self._info.relation(name).attribute

    def _conditions(
        self, criteria: Criteria | None, with_deleted: bool = False
    ) -> list[ColumnElement[bool]]:
        info = self._info
        conditions: list[ColumnElement[bool]] = []
        if info.live and not with_deleted:
            conditions.extend(info.live)
        for key, value in (criteria or {}).items():
            column = info.column(key)
            if value is None:
                conditions.append(column.is_(None))
            elif isinstance(value, (list, tuple, set, frozenset)):
                conditions.append(column.in_([plain_value(v) for v in value]))
            else:
                conditions.append(column == plain_value(value))
        return conditions

    def _select(
        self,
        criteria: Criteria | None = None,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        load: Sequence[str] = (),
        with_deleted: bool = False,
    ) -> Select[tuple[ModelT]]:
        statement = select(self.model)
        conditions = self._conditions(criteria, with_deleted)
        if conditions:
            statement = statement.where(*conditions)
        if order_by:
            orders = [order_by] if isinstance(order_by, str) else order_by
            columns = []
            for order in orders:
                descending = isinstance(order, str) and order.startswith("-")
                column = self._info.column(order[1:] if descending else order)
                columns.append(column.desc() if descending else column.asc())
            statement = statement.order_by(*columns)
        if limit is not None:
            statement = statement.limit(limit)
        if offset is not None:
            statement = statement.offset(offset)
        if load:
            if isinstance(load, str):
                load = (load,)
            statement = statement.options(
                *(self._info.load(path, with_deleted) for path in load)
            )
        return statement

    # -- queries

    async def find(
        self, id: Any, load: Sequence[str] = (), *, with_deleted: bool = False
    ) -> ModelT | None:
        """The row with this primary key, or None. `load` names relations to load with
        it ("album", or a path: "album.artist")."""
        info = self._info
        if not load:
            entity = await self.session.get(self.model, id)
            if entity is None or with_deleted or info.soft_delete is None:
                return entity
            return None if await is_deleted(self.session, entity) else entity
        statement = select(self.model).where(info.where_id(id))
        if info.live and not with_deleted:
            statement = statement.where(*info.live)
        if isinstance(load, str):
            load = (load,)
        statement = statement.options(*(info.load(path, with_deleted) for path in load))
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def find_all(
        self,
        skip: int = 0,
        limit: int | None = 100,
        load: Sequence[str] = (),
        *,
        with_deleted: bool = False,
    ) -> list[ModelT]:
        """Rows in primary key order."""
        statement = self._select(
            limit=limit, offset=skip, load=load, with_deleted=with_deleted
        ).order_by(*self._info.primary_key)
        return list((await self.session.execute(statement)).scalars().all())

    async def find_by(
        self,
        criteria: Criteria,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        load: Sequence[str] = (),
        *,
        with_deleted: bool = False,
    ) -> list[ModelT]:
        """Rows whose columns equal the criteria (a list value means IN, None means IS NULL).
        `order_by` is a column name or a list of them; prefix with '-' for descending.
        """
        statement = self._select(criteria, order_by, limit, offset, load, with_deleted)
        return list((await self.session.execute(statement)).scalars().all())

    async def find_one_by(
        self,
        criteria: Criteria,
        load: Sequence[str] = (),
        *,
        with_deleted: bool = False,
    ) -> ModelT | None:
        statement = self._select(
            criteria, limit=1, load=load, with_deleted=with_deleted
        ).order_by(*self._info.primary_key)
        return (await self.session.execute(statement)).scalars().first()

    async def count(
        self, criteria: Criteria | None = None, *, with_deleted: bool = False
    ) -> int:
        statement = select(func.count()).select_from(self.model)
        conditions = self._conditions(criteria, with_deleted)
        if conditions:
            statement = statement.where(*conditions)
        return int((await self.session.execute(statement)).scalar_one())

    async def exists(self, criteria: Criteria, *, with_deleted: bool = False) -> bool:
        statement = select(self._select(criteria, with_deleted=with_deleted).exists())
        return bool((await self.session.execute(statement)).scalar())
