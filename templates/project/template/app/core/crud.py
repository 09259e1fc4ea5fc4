"""The base of every generated CRUD class: the entity's repository (create, get_by_id,
get_all, update, delete: app.core.repository), named with its Create and Update
schemas."""

from typing import Generic, TypeVar

from pydantic import BaseModel

from app.core.repository import BaseRepository, Conflict, ModelT

CreateT = TypeVar("CreateT", bound=BaseModel)
UpdateT = TypeVar("UpdateT", bound=BaseModel)

__all__ = ["BaseCRUD", "Conflict"]


class BaseCRUD(BaseRepository[ModelT], Generic[ModelT, CreateT, UpdateT]):
    """Create, read, update (partial) and delete rows of one entity; each write
    commits. BaseRepository does the work: see its methods for soft delete and
    on_delete."""
