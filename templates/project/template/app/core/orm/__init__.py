"""The optional ORM layer: EntityManager (unit of work over an AsyncSession), QueryBuilder
(fluent, checked queries) and the request's EntityManager
(`app.core.orm.dependencies.EntityManagerDep`). The generated routes, CRUD classes and
repositories do not use it; it is here for your own code, and may be deleted."""

from app.core.entity import (
    SOFT_DELETE_COLUMN,
    QueryError,
    UnknownFieldError,
    entity_info,
)
from app.core.orm.entity_manager import EntityManager, Transaction, repository_class
from app.core.orm.query import OPERATORS, QueryBuilder, UnknownOperatorError
from app.core.types import utcnow

__all__ = [
    "OPERATORS",
    "SOFT_DELETE_COLUMN",
    "EntityManager",
    "QueryBuilder",
    "QueryError",
    "Transaction",
    "UnknownFieldError",
    "UnknownOperatorError",
    "entity_info",
    "repository_class",
    "utcnow",
]
