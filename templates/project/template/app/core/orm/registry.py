"""Which repository class belongs to which entity.

Every subclass of BaseRepository that sets `model` registers itself here when its class
is created (the last one defined for an entity wins). The first time an entity is not
found, the modules of `app.repositories` are imported once, so that generated
repositories are found without importing them by hand.
"""

import importlib
import pkgutil
from typing import Any

REPOSITORIES_PACKAGE = "app.repositories"

_repositories: dict[type[Any], type[Any]] = {}
_imported = False


def register_repository(model: type[Any], repository: type[Any]) -> None:
    _repositories[model] = repository


def repository_class(model: type[Any]) -> type[Any] | None:
    """The repository class registered for the entity, or None."""
    found = _repositories.get(model)
    if found is None and not _imported:
        _import_repositories()
        found = _repositories.get(model)
    return found


def _import_repositories() -> None:
    global _imported
    _imported = True
    try:
        package = importlib.import_module(REPOSITORIES_PACKAGE)
    except ImportError:
        return
    for module in pkgutil.iter_modules(getattr(package, "__path__", [])):
        importlib.import_module(f"{REPOSITORIES_PACKAGE}.{module.name}")
