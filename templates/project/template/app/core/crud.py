"""The base of every generated CRUD class."""

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from app.core.orm.mapping import SOFT_DELETE_COLUMN, entity_info, is_deleted, utcnow

ModelT = TypeVar("ModelT")  # any mapped class: SQLModel table or SQLAlchemy model
CreateT = TypeVar("CreateT", bound=BaseModel)
UpdateT = TypeVar("UpdateT", bound=BaseModel)


class Conflict(IntegrityError):
    """A write the data refuses, found before the database would refuse it: a unique
    value taken, a reference to a row that does not exist (or is soft-deleted), or a
    delete that live rows still depend on. An IntegrityError, so code that catches those
    catches it too; the API answers 409 with `field` and `message` (never the database
    driver's text)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", None, ValueError(message))
        self.field = field
        self.message = message


def _live(table: Table) -> list[ColumnElement[bool]]:
    column = table.c.get(SOFT_DELETE_COLUMN)
    return [column.is_(None)] if column is not None else []


class BaseCRUD(Generic[ModelT, CreateT, UpdateT]):
    """Create, read, update (partial) and delete rows of one entity; each write commits.

    Before a write, the values are checked the way the database would check them, so a
    refusal names the field (Conflict): unique values, and references to rows that exist
    and are not soft-deleted. For an entity with soft delete, delete() sets `deleted_at`,
    the reads leave soft-deleted rows out, and the relations' on_delete rules apply to the
    rows that refer to it: cascade soft-deletes (or deletes) them, set_null clears their
    reference, restrict refuses while live rows refer to it."""

    model: type[Any]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._info = entity_info(self.model)
        self._table: Table = self.model.__table__

    async def get_by_id(self, id: Any, *, with_deleted: bool = False) -> ModelT | None:
        instance = await self.session.get(self.model, id)
        if instance is None or with_deleted or self._info.soft_delete is None:
            return instance
        return None if await is_deleted(self.session, instance) else instance

    async def get_all(
        self,
        skip: int = 0,
        limit: int = 100,
        where: Sequence[ColumnElement[bool]] = (),
        order_by: Sequence[Any] = (),
    ) -> list[ModelT]:
        """Live rows matching every condition of `where`, in `order_by` order and then
        by primary key (so pages never overlap)."""
        info = self._info
        statement = select(self.model).where(*info.live, *where)
        statement = statement.order_by(*order_by, *info.primary_key)
        statement = statement.offset(skip).limit(limit)
        return list((await self.session.execute(statement)).scalars().all())

    async def count(self, where: Sequence[ColumnElement[bool]] = ()) -> int:
        statement = select(func.count()).select_from(self.model)
        conditions = [*self._info.live, *where]
        if conditions:
            statement = statement.where(*conditions)
        return int((await self.session.execute(statement)).scalar_one())

    # -- checks before a write

    async def _exists(self, table: Table, *conditions: ColumnElement[bool]) -> bool:
        statement = select(select(table).where(*conditions).exists())
        return bool((await self.session.execute(statement)).scalar())

    async def check(self, values: Mapping[str, Any], id: Any = None) -> None:
        """Conflict if a reference names no live row or a unique value is taken."""
        table = self._table
        for column in table.columns:
            value = values.get(column.key)
            if column.key not in values or value is None:
                continue
            for fk in column.foreign_keys:
                target = fk.column.table
                if not await self._exists(
                    target, fk.column == value, *_live(target)  # type: ignore[arg-type]
                ):
                    raise Conflict(column.key, f"no {target.name} with id {value}")
            if column.unique or any(
                index.unique and list(index.columns) == [column]
                for index in table.indexes
            ):
                others = [table.c.id != id] if id is not None else []
                if await self._exists(table, column == value, *others):
                    raise Conflict(column.key, f"{column.key} is already taken")

    async def _commit(self) -> None:
        """Commit; on a refused write (IntegrityError) roll back, so that the session
        stays usable, and re-raise."""
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise

    async def create(self, data: CreateT) -> ModelT:
        values = data.model_dump()
        await self.check(values)
        instance: ModelT = self.model(**values)
        self.session.add(instance)
        await self._commit()
        await self.session.refresh(instance)
        return instance

    async def update(self, id: Any, data: UpdateT) -> ModelT | None:
        """Change only the fields that were set in `data`."""
        instance = await self.get_by_id(id)
        if instance is None:
            return None
        values = data.model_dump(exclude_unset=True)
        await self.check(values, id)
        for name, value in values.items():
            setattr(instance, name, value)
        await self._commit()
        await self.session.refresh(instance)
        return instance

    async def delete(self, id: Any, *, force: bool = False) -> bool:
        """Delete the row; with soft delete, set its `deleted_at` (unless force=True) and
        apply the on_delete rules of the rows that refer to it. False when there is no
        such row (or it is already soft-deleted); Conflict when rows that refer to it
        forbid the delete (restrict)."""
        instance = await self.get_by_id(id, with_deleted=force)
        if instance is None:
            return False
        soft = self._info.soft_delete is not None and not force
        await self._apply_references(self._table, [id], soft=soft)
        if soft:
            setattr(instance, SOFT_DELETE_COLUMN, utcnow())
        else:
            # A DELETE statement, not session.delete(): the database applies ON DELETE,
            # and a row that refers to itself is no cycle for the unit of work.
            self.session.expunge(instance)
            await self.session.execute(
                delete(self._table).where(self._info.where_id(id))
            )
        await self._commit()
        return True

    async def _apply_references(
        self, table: Table, ids: list[Any], *, soft: bool
    ) -> None:
        """The on_delete rule of every foreign key to `table`, for the rows `ids` being
        deleted (soft: only live referring rows count, the database does nothing)."""
        metadata = table.metadata
        for other in metadata.sorted_tables:
            for fk in other.foreign_keys:
                if fk.column.table is not table or fk.parent.primary_key:
                    continue  # link tables (many_to_many) follow their own rows
                column = fk.parent
                refers = column.in_(ids)
                rule = (fk.ondelete or "RESTRICT").upper()
                if rule == "RESTRICT" or rule == "NO ACTION":
                    live = _live(other) if soft else []
                    if await self._exists(other, refers, *live):
                        raise Conflict(
                            column.key,
                            f"{other.name} rows still refer to this row ({column.key})",
                        )
                elif not soft:
                    continue  # the database applies cascade and set null
                elif rule == "SET NULL":
                    await self.session.execute(
                        update(other).where(refers).values({column.key: None})
                    )
                elif rule == "CASCADE":
                    children = list(
                        (
                            await self.session.execute(
                                select(other.c.id).where(refers, *_live(other))
                            )
                        ).scalars()
                    )
                    if not children:
                        continue
                    child_soft = SOFT_DELETE_COLUMN in other.c
                    await self._apply_references(other, children, soft=child_soft)
                    if child_soft:
                        await self.session.execute(
                            update(other)
                            .where(other.c.id.in_(children))
                            .values({SOFT_DELETE_COLUMN: utcnow()})
                        )
                    else:
                        await self.session.execute(
                            delete(other).where(other.c.id.in_(children))
                        )
