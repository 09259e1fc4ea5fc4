"""The base of every generated repository: reads and writes of one entity.

Reads see live rows only unless `with_deleted=True` (soft delete: app.core.entity).
Criteria keys are checked against the entity's columns (UnknownFieldError, before any
SQL); values are always bound parameters.

Each write is one INSERT, UPDATE or DELETE (RETURNING the row where the database can),
then COMMIT: the README's "Round trips". Checked before it is only what the database
cannot see (a reference to a soft-deleted row); a refused write is rolled back, and the
checks then name the field (Conflict).
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, cast

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import Table, func, inspect, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from app.core.entity import (
    SOFT_DELETE_COLUMN,
    UnknownFieldError,
    entity_info,
    live,
    plain_value,
)
from app.core.types import utcnow

if TYPE_CHECKING:
    from app.core.orm.query import QueryBuilder

ModelT = TypeVar("ModelT")  # any mapped class: SQLModel table or SQLAlchemy model

Criteria = Mapping[str, Any]
Data = BaseModel | Mapping[str, Any]  # a schema instance, or values by column name
OrderBy = str | Sequence[str] | None

__all__ = ["BaseRepository", "Conflict", "Criteria", "OrderBy", "UnknownFieldError"]


class Conflict(IntegrityError):
    """A write the data refuses: a unique value taken, a reference to a row that does
    not exist (or is soft-deleted), or a delete that live rows still depend on. An
    IntegrityError, so code that catches those catches it too; the API answers 409 with
    `field` and `message` (never the database driver's text)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", None, ValueError(message))
        self.field = field
        self.message = message


class BaseRepository(Generic[ModelT]):
    """Reads and writes (create, get_by_id, get_all, update, delete) of one entity.
    `BaseRepository(session, Model)` works for any mapped class; a subclass sets
    `model`."""

    model: type[Any]

    def __init__(self, session: AsyncSession, model: type[Any] | None = None) -> None:
        self.session = session
        if model is not None:
            self.model = model
        elif getattr(self, "model", None) is None:
            raise TypeError(f"{type(self).__name__} has no model")
        self.info = entity_info(self.model)

    def get_query_builder(self) -> "QueryBuilder[ModelT]":
        """A QueryBuilder (app.core.orm, optional) on this entity, in this session."""
        from app.core.orm.query import QueryBuilder

        return QueryBuilder(self.session, self.model)

    # -- reads

    def _conditions(
        self, criteria: Criteria | None, with_deleted: bool = False
    ) -> list[ColumnElement[bool]]:
        conditions = [] if with_deleted else list(self.info.live)
        for key, value in (criteria or {}).items():
            column = self.info.column(key)
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
    ) -> Select[Any]:
        statement = select(self.model).where(*self._conditions(criteria, with_deleted))
        for order in [order_by] if isinstance(order_by, str) else order_by or ():
            descending = isinstance(order, str) and order.startswith("-")
            column = self.info.column(order[1:] if descending else order)
            statement = statement.order_by(column.desc() if descending else column)
        if limit is not None:
            statement = statement.limit(limit)
        if offset is not None:
            statement = statement.offset(offset)
        paths = (load,) if isinstance(load, str) else load
        return statement.options(*(self.info.load(p, with_deleted) for p in paths))

    async def _all(self, statement: Select[Any]) -> list[ModelT]:
        return list((await self.session.scalars(statement)).all())

    async def _one(self, statement: Select[Any]) -> ModelT | None:
        found: ModelT | None = await self.session.scalar(statement)
        return found

    async def find(
        self, id: Any, load: Sequence[str] = (), *, with_deleted: bool = False
    ) -> ModelT | None:
        """The row with this primary key, or None. `load` names relations to load with
        it ("album", or a path: "album.artist"). No SQL when the session holds it."""
        if load:
            statement = self._select(load=load, with_deleted=with_deleted)
            statement = statement.where(self.info.where_id(id))
            return await self._one(statement)
        entity = await self.session.get(self.model, id)
        if entity is None or with_deleted or self.info.soft_delete is None:
            return entity
        state = inspect(entity)
        if SOFT_DELETE_COLUMN not in state.dict:  # expired: read again, never lazily
            await self.session.refresh(entity, [SOFT_DELETE_COLUMN])
        return None if state.dict[SOFT_DELETE_COLUMN] is not None else entity

    async def find_all(
        self,
        skip: int = 0,
        limit: int | None = 100,
        load: Sequence[str] = (),
        *,
        with_deleted: bool = False,
    ) -> list[ModelT]:
        """Rows in primary key order."""
        statement = self._select(None, None, limit, skip, load, with_deleted)
        return await self._all(statement.order_by(*self.info.primary_key))

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
        return await self._all(
            self._select(criteria, order_by, limit, offset, load, with_deleted)
        )

    async def find_one_by(
        self,
        criteria: Criteria,
        load: Sequence[str] = (),
        *,
        with_deleted: bool = False,
    ) -> ModelT | None:
        statement = self._select(criteria, None, 1, None, load, with_deleted)
        return await self._one(statement.order_by(*self.info.primary_key))

    async def count(
        self, criteria: Criteria | None = None, *, with_deleted: bool = False
    ) -> int:
        conditions = self._conditions(criteria, with_deleted)
        statement = select(func.count()).select_from(self.model).where(*conditions)
        return int(await self.session.scalar(statement) or 0)

    async def exists(self, criteria: Criteria, *, with_deleted: bool = False) -> bool:
        statement = select(self._select(criteria, with_deleted=with_deleted).exists())
        return bool(await self.session.scalar(statement))

    async def page(
        self,
        where: Sequence[ColumnElement[bool]] = (),
        order_by: Sequence[Any] = (),
        skip: int = 0,
        limit: int = 100,
    ) -> tuple[list[ModelT], int]:
        """get_all(), and how many rows match in all, in one query: the count is an
        uncorrelated subquery, run once (a `count(*) OVER ()` window is as cheap on
        PostgreSQL but ~50x dearer on SQLite). A page past the end has no row to carry
        it: only then a second query counts."""
        where = (*self.info.live, *where)
        count = select(func.count()).select_from(self.model).where(*where)
        statement = select(self.model, count.scalar_subquery()).where(*where)
        statement = statement.order_by(*order_by, *self.info.primary_key)
        result = await self.session.execute(statement.offset(skip).limit(limit))
        rows = result.all()
        if rows or not skip:
            return [row[0] for row in rows], int(rows[0][1]) if rows else 0
        return [], int(await self.session.scalar(count) or 0)

    get_by_id = find

    async def get_all(
        self,
        skip: int = 0,
        limit: int = 100,
        where: Sequence[ColumnElement[bool]] = (),
        order_by: Sequence[Any] = (),
    ) -> list[ModelT]:
        """Live rows matching every condition of `where`, in `order_by` order and then
        by primary key."""
        statement = self._select(None, None, limit, skip).where(*where)
        return await self._all(statement.order_by(*order_by, *self.info.primary_key))

    # -- writes

    async def create(self, data: Data) -> ModelT:
        """Insert a row and commit; the row as stored, database defaults included."""
        values = data.model_dump() if isinstance(data, BaseModel) else data
        if self.info.soft_references:
            await self.check(values, before=True)
        dialect = self.session.get_bind().dialect
        # Stored as sent (EntityInfo): the unit of work's INSERT, which returns the key
        # only (SQLite: as lastrowid), not the whole row.
        as_sent = self.info.stored_as_sent(dialect)
        try:
            if dialect.insert_returning and not as_sent:
                statement = self.info.insert_returning
                instance: ModelT = (await self.session.scalars(statement, values)).one()
            else:
                instance = self.info.new(values)
                self.session.add(instance)
            await self.session.commit()
        except IntegrityError as error:
            await self._refused(error, values)
        if not dialect.insert_returning:
            await self.session.refresh(instance)
        return instance

    async def update(self, id: Any, data: Data) -> ModelT | None:
        """Change only the fields set in `data` of a live row and commit; the row as
        stored, or None when there is no such live row."""
        if isinstance(data, BaseModel):
            data = data.model_dump(exclude_unset=True)
        if not data:
            return await self.find(id)
        if self.info.soft_references:
            await self.check(data, id, before=True)
        statement = sa.update(self.model).where(self.info.where_id(id), *self.info.live)
        statement = statement.values(data)
        try:
            if self.session.get_bind().dialect.update_returning:
                found = await self.session.scalars(statement.returning(self.model))
                instance = found.one_or_none()
            else:  # the UPDATE, then a SELECT of the row as stored
                options = {"synchronize_session": False}
                done = await self.session.execute(statement, execution_options=options)
                instance = None
                if cast(CursorResult[Any], done).rowcount:
                    instance = await self.session.get(
                        self.model, id, populate_existing=True
                    )
            await self.session.commit()
        except IntegrityError as error:
            await self._refused(error, data, id)
        return instance

    async def delete(self, id: Any, *, force: bool = False) -> bool:
        """Delete the row and commit; with soft delete, set its `deleted_at` (unless
        force=True) and apply the on_delete rules of the live rows that refer to it.
        False when there is no such (live) row; Conflict when rows that refer to it
        forbid the delete (restrict)."""
        if self.info.soft_delete is not None and not force:
            instance = await self.find(id)
            if instance is None:
                return False
            await self._apply_references(self.info.table, [id], soft=True)
            setattr(instance, SOFT_DELETE_COLUMN, utcnow())
            await self.session.commit()
            return True
        # A DELETE statement: the database applies ON DELETE, and a row that refers to
        # itself is no cycle for the unit of work.
        statement = sa.delete(self.model).where(self.info.where_id(id))
        options = {"synchronize_session": "evaluate"}  # drop the session's copy
        try:
            result = await self.session.execute(statement, execution_options=options)
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            await self._apply_references(self.info.table, [id], soft=False)
            raise
        return bool(cast(CursorResult[Any], result).rowcount)

    async def _refused(
        self, error: IntegrityError, values: Mapping[str, Any], id: Any = None
    ) -> NoReturn:
        await self.session.rollback()
        await self.check(values, id)  # a Conflict naming the field, when it is found
        raise error

    async def _exists(self, table: Table, *conditions: ColumnElement[bool]) -> bool:
        statement = select(select(table).where(*conditions).exists())
        return bool(await self.session.scalar(statement))

    async def check(
        self, values: Mapping[str, Any], id: Any = None, *, before: bool = False
    ) -> None:
        """Conflict if a reference names no live row or a unique value is taken. Before
        a write (`before`), only references to tables with soft delete are checked: the
        database sees the rest itself."""
        table = self.info.table
        for column in table.columns:
            key = self.info.attributes[column]  # values are keyed by attribute
            value = values.get(key)
            if value is None:
                continue
            for fk in column.foreign_keys:
                target = fk.column.table
                if before and not live(target):
                    continue
                if not await self._exists(target, fk.column == value, *live(target)):
                    raise Conflict(key, f"no {target.name} with id {value}")
            if before:
                continue
            unique = column.unique or any(
                index.unique and list(index.columns) == [column]
                for index in table.indexes
            )
            if unique or column.primary_key:
                others = [~self.info.where_id(id)] if id is not None else []
                if await self._exists(table, column == value, *others):
                    raise Conflict(key, f"{key} is already taken")

    async def _apply_references(
        self, table: Table, ids: list[Any], *, soft: bool
    ) -> None:
        """The on_delete rule of every foreign key to `table`, for the rows `ids` being
        deleted (soft: only live referring rows count, the database does nothing)."""
        run = self.session.execute
        for other in table.metadata.sorted_tables:
            for fk in other.foreign_keys:
                if fk.column.table is not table or fk.parent.primary_key:
                    continue  # link tables (many_to_many) follow their own rows
                column = fk.parent
                refers = column.in_(ids)
                rule = (fk.ondelete or "RESTRICT").upper()
                if rule in ("RESTRICT", "NO ACTION"):
                    alive = live(other) if soft else ()
                    if await self._exists(other, refers, *alive):
                        message = f"{other.name} rows still refer to this row"
                        raise Conflict(column.key, f"{message} ({column.key})")
                elif not soft:
                    continue  # the database applies cascade and set null
                elif rule == "SET NULL":
                    await run(sa.update(other).where(refers).values({column.key: None}))
                elif rule == "CASCADE":
                    (other_key,) = other.primary_key.columns
                    query = select(other_key).where(refers, *live(other))
                    children = list(await self.session.scalars(query))
                    if not children:
                        continue
                    child_soft = bool(live(other))
                    await self._apply_references(other, children, soft=child_soft)
                    rows = other_key.in_(children)
                    if child_soft:
                        stamp = {SOFT_DELETE_COLUMN: utcnow()}
                        await run(sa.update(other).where(rows).values(stamp))
                    else:
                        await run(sa.delete(other).where(rows))
