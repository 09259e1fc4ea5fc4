"""The Python code of the data layer, one emitter per ORM behind one interface.

`ORMS` is the one table of ORMs: `forge.yaml`'s `project.orm` names a module here
(`generator/emit/<orm>.py`) whose `EMITTER` spells table classes its way. What does not
depend on the ORM (the ORM-neutral table in table.py, the API schemas in schemas.py, the
field types in generator/fieldtypes.py) is shared. This module imports no emitter itself,
so the spec can read `ORMS` without loading them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from generator.emit.table import LinksCode, ModelCode
    from generator.model import Entity, LinkTable

ORMS = ("sqlmodel", "sqlalchemy")


@dataclass(frozen=True)
class SupportModule:
    """A module of app/models/ that an ORM needs besides the tables (its declarative base)."""

    module: str
    names: str  # what app/models/__init__.py imports from it
    template: str
    summary: str


class Emitter(Protocol):
    """How one ORM spells the table classes."""

    table_base: str  # the bases of a table class: `SQLModel, table=True`
    metadata_owner: str  # the class whose `.metadata` Alembic compares
    metadata_import: str | None  # the import app/models/__init__.py needs for it
    support_modules: tuple[SupportModule, ...]

    def model(self, entity: Entity) -> ModelCode:
        """Everything the table class of one entity says."""
        ...

    def links(self, links: list[LinkTable]) -> LinksCode:
        """The link tables of the many_to_many relations, one class each."""
        ...


def emitter(orm: str) -> Emitter:
    """The emitter of an ORM of `ORMS`."""
    if orm not in ORMS:
        raise KeyError(orm)
    module = importlib.import_module(f"generator.emit.{orm}")
    result: Emitter = module.EMITTER
    return result
