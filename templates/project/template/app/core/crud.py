"""The base of every generated CRUD class."""

from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

ModelT = TypeVar("ModelT", bound=SQLModel)
CreateT = TypeVar("CreateT", bound=BaseModel)
UpdateT = TypeVar("UpdateT", bound=BaseModel)


class BaseCRUD(Generic[ModelT, CreateT, UpdateT]):
    """Create, read, update (partial) and delete rows of one entity; each write commits."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_id(self, id: int) -> ModelT | None:
        return await self.session.get(self.model, id)

    async def get_all(self, skip: int = 0, limit: int = 100) -> list[ModelT]:
        statement = select(self.model).order_by(self.model.id).offset(skip).limit(limit)
        return list((await self.session.execute(statement)).scalars().all())

    async def count(self) -> int:
        statement = select(func.count()).select_from(self.model)
        return int((await self.session.execute(statement)).scalar_one())

    async def create(self, data: CreateT) -> ModelT:
        instance: ModelT = self.model(**data.model_dump())
        self.session.add(instance)
        await self.session.commit()
        await self.session.refresh(instance)
        return instance

    async def update(self, id: int, data: UpdateT) -> ModelT | None:
        """Change only the fields that were set in `data`."""
        instance = await self.get_by_id(id)
        if instance is None:
            return None
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(instance, name, value)
        await self.session.commit()
        await self.session.refresh(instance)
        return instance

    async def delete(self, id: int) -> bool:
        instance = await self.get_by_id(id)
        if instance is None:
            return False
        await self.session.delete(instance)
        await self.session.commit()
        return True
