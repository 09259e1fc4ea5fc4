"""The base of every generated CRUD class."""

from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.orm.mapping import SOFT_DELETE_COLUMN, entity_info, is_deleted, utcnow

ModelT = TypeVar("ModelT")  # any mapped class: SQLModel table or SQLAlchemy model
CreateT = TypeVar("CreateT", bound=BaseModel)
UpdateT = TypeVar("UpdateT", bound=BaseModel)


class BaseCRUD(Generic[ModelT, CreateT, UpdateT]):
    """Create, read, update (partial) and delete rows of one entity; each write commits.
    For an entity with soft delete, delete() sets `deleted_at` and the reads leave
    soft-deleted rows out."""

    model: type[Any]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._info = entity_info(self.model)

    async def get_by_id(self, id: Any, *, with_deleted: bool = False) -> ModelT | None:
        instance = await self.session.get(self.model, id)
        if instance is None or with_deleted or self._info.soft_delete is None:
            return instance
        return None if await is_deleted(self.session, instance) else instance

    async def get_all(self, skip: int = 0, limit: int = 100) -> list[ModelT]:
        info = self._info
        statement = select(self.model)
        if info.live:
            statement = statement.where(*info.live)
        statement = statement.order_by(*info.primary_key).offset(skip).limit(limit)
        return list((await self.session.execute(statement)).scalars().all())

    async def count(self) -> int:
        statement = select(func.count()).select_from(self.model)
        if self._info.live:
            statement = statement.where(*self._info.live)
        return int((await self.session.execute(statement)).scalar_one())

    async def _commit(self) -> None:
        """Commit; on a refused write (IntegrityError) roll back, so that the session
        stays usable, and re-raise."""
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise

    async def create(self, data: CreateT) -> ModelT:
        instance: ModelT = self.model(**data.model_dump())
        self.session.add(instance)
        await self._commit()
        await self.session.refresh(instance)
        return instance

    async def update(self, id: Any, data: UpdateT) -> ModelT | None:
        """Change only the fields that were set in `data`."""
        instance = await self.get_by_id(id)
        if instance is None:
            return None
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(instance, name, value)
        await self._commit()
        await self.session.refresh(instance)
        return instance

    async def delete(self, id: Any, *, force: bool = False) -> bool:
        """Delete the row; with soft delete, set its `deleted_at` (unless force=True).
        False when there is no such row (or it is already soft-deleted)."""
        instance = await self.get_by_id(id, with_deleted=force)
        if instance is None:
            return False
        if self._info.soft_delete is None or force:
            await self.session.delete(instance)
        else:
            setattr(instance, SOFT_DELETE_COLUMN, utcnow())
        await self.session.commit()
        return True
