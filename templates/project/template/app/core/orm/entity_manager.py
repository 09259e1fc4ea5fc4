"""EntityManager: a unit of work over one AsyncSession.

    em = EntityManager(session)
    track = await em.find(Track, 1)     # the same object every time in this session
    track.name = "Changed"              # no save(): the change is written on commit
    em.persist(Track(name="New", ...))
    await em.commit()

    async with em.transaction():        # commit on success, roll back on any exception
        ...
        async with em.transaction():    # nested: a SAVEPOINT
            ...

Optional: the generated routes, CRUD classes and repositories do not use it. Thin: each
method is one call of the session; soft delete follows app.core.entity's rule, through
BaseRepository.
"""

import importlib
import pkgutil
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from app.core.crud import BaseCRUD
from app.core.entity import SOFT_DELETE_COLUMN, entity_info
from app.core.orm.query import QueryBuilder
from app.core.repository import BaseRepository
from app.core.types import utcnow

REPOSITORIES_PACKAGE = "app.repositories"

T = TypeVar("T")


class EntityManager:
    """Persist, find, change and delete entities; the session keeps one object per row
    (its identity map) and writes every change it sees on commit."""

    __slots__ = ("session", "_depth", "_repositories")

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._depth = 0  # how many transaction() blocks are open
        self._repositories: dict[type[Any], Any] | None = None

    def persist(self, entity: T) -> T:
        """Add a new entity to the unit of work; it is inserted on flush or commit."""
        self.session.add(entity)
        return entity

    def persist_all(self, entities: Iterable[Any]) -> None:
        self.session.add_all(entities)

    async def find(
        self, model: type[T], id: Any, *, with_deleted: bool = False
    ) -> T | None:
        """The entity with this primary key, or None (also for a soft-deleted one,
        unless with_deleted). No SQL when the session already holds it."""
        repository: BaseRepository[T] = BaseRepository(self.session, model)
        return await repository.find(id, with_deleted=with_deleted)

    async def delete(self, entity: Any, *, force: bool = False) -> None:
        """Delete on flush; an entity with soft delete gets `deleted_at` set instead
        (unless force=True)."""
        if force or entity_info(type(entity)).soft_delete is None:
            await self.session.delete(entity)
        else:
            setattr(entity, SOFT_DELETE_COLUMN, utcnow())

    def restore(self, entity: Any) -> None:
        """Undo a soft delete (written on flush)."""
        if entity_info(type(entity)).soft_delete is None:
            raise TypeError(f"{type(entity).__name__} has no soft delete")
        setattr(entity, SOFT_DELETE_COLUMN, None)

    async def refresh(
        self, entity: Any, attribute_names: Iterable[str] | None = None
    ) -> None:
        """Load the entity's attributes again from the database."""
        await self.session.refresh(entity, attribute_names)

    async def flush(self) -> None:
        await self.session.flush()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()

    def transaction(self) -> "Transaction":
        """`async with em.transaction():` commits when the block ends, rolls back when
        it raises; the outermost block commits or rolls back all the session holds,
        including what was done before it. Inside another transaction() it is a
        SAVEPOINT: an exception rolls back the inner block only (and propagates)."""
        return Transaction(self)

    def query(self, model: type[T]) -> QueryBuilder[T]:
        """A QueryBuilder on the entity, in this session."""
        return QueryBuilder(self.session, model)

    def get_repository(self, model: type[T]) -> BaseRepository[T]:
        """The entity's repository (its generated class when there is one, else a
        plain BaseRepository), in this session; one per entity and manager."""
        repositories = self._repositories
        if repositories is None:
            repositories = self._repositories = {}
        repository = repositories.get(model)
        if repository is None:
            found = repository_class(model)
            if found is None:
                repository = BaseRepository(self.session, model)
            else:
                repository = found(self.session)
            repositories[model] = repository
        return repository


_imported = False


def repository_class(model: type[Any]) -> type[Any] | None:
    """The repository class of the entity (a subclass of BaseRepository that sets
    `model`, not a CRUD class; the last one defined wins), or None. The modules of
    app.repositories are imported the first time, so that the generated repositories
    are found without importing them by hand."""
    global _imported
    if not _imported:
        _imported = True
        package = importlib.import_module(REPOSITORIES_PACKAGE)
        for module in pkgutil.iter_modules(getattr(package, "__path__", [])):
            importlib.import_module(f"{REPOSITORIES_PACKAGE}.{module.name}")
    found = None
    classes = list(BaseRepository.__subclasses__())
    for cls in classes:
        classes.extend(cls.__subclasses__())
        if cls.__dict__.get("model") is model and not issubclass(cls, BaseCRUD):
            found = cls
    return found


class Transaction:
    """What EntityManager.transaction() returns."""

    __slots__ = ("manager", "savepoint")

    def __init__(self, manager: EntityManager) -> None:
        self.manager = manager
        self.savepoint: AsyncSessionTransaction | None = None

    async def __aenter__(self) -> EntityManager:
        manager = self.manager
        if manager._depth:
            savepoint = manager.session.begin_nested()
            await savepoint.__aenter__()
            self.savepoint = savepoint
        manager._depth += 1
        return manager

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        manager = self.manager
        manager._depth -= 1
        savepoint = self.savepoint
        if savepoint is None:
            session = manager.session
            if exc_type is not None:
                await session.rollback()
                return
            try:
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            return
        self.savepoint = None
        # The session's own rules: release, or roll back to the savepoint on an
        # exception or when the release fails; the exception propagates.
        await savepoint.__aexit__(exc_type, exc, traceback)
