"""User-facing errors. Each carries one line a person can act on; the CLI prints it and exits."""

from __future__ import annotations


class ForgeError(Exception):
    """A mistake the user can fix. Never shown with a traceback."""

    exit_code = 2


class SpecError(ForgeError):
    """The spec is invalid; `where` is the dotted place in it (`entities.Post.fields.title`)."""

    def __init__(self, where: str, message: str, source: str = "forge.yaml") -> None:
        self.where = where
        self.message = message
        self.source = source
        place = f"{source}: {where}: " if where else f"{source}: "
        super().__init__(f"{place}{message}")


class ProjectError(ForgeError):
    """The project on disk is not what the command needs (missing, not a forge project, ...)."""


class GenerationError(ForgeError):
    """A generated file could not be produced (for example it failed to format)."""

    exit_code = 1
