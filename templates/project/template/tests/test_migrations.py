"""The migrations themselves, on an empty database of their own (see `alembic_engine` in
conftest.py): one head, upgrade from base to head, every revision down and up again, and
the models exactly what the migrations build (pytest-alembic)."""

from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]
