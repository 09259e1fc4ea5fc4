"""The ORM runtime: EntityManager (unit of work over an AsyncSession), QueryBuilder
(fluent, checked queries) and soft delete. The request's EntityManager is
`app.core.orm.dependencies.EntityManagerDep`."""

from app.core.orm.entity_manager import EntityManager, Transaction
from app.core.orm.mapping import (
    SOFT_DELETE_COLUMN,
    QueryError,
    UnknownFieldError,
    UnknownOperatorError,
    entity_info,
    utcnow,
)
from app.core.orm.query import OPERATORS, QueryBuilder
from app.core.orm.registry import register_repository, repository_class

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
    "register_repository",
    "repository_class",
    "utcnow",
]
