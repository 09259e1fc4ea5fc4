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
    """Create, read, update (partial) and delete rows of one entity; each write commits.
    For an entity with soft delete, delete() sets `deleted_at`, the reads leave
    soft-deleted rows out, and the on_delete rules of the rows that refer to it apply:
    cascade soft-deletes (or deletes) them, set_null clears their reference, restrict
    refuses while live rows refer to it."""
