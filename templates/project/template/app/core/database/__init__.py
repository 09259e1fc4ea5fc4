"""Database connection management."""

from app.core.database.connection import DatabaseConnectionManager, connection_manager
from app.core.database.session import get_db

__all__ = ["DatabaseConnectionManager", "connection_manager", "get_db"]
