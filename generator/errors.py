"""User-facing errors. Each carries one line a person can act on; the CLI prints it and exits."""

from __future__ import annotations


class ForgeError(Exception):
    """A mistake the user can fix. Never shown with a traceback."""

    exit_code = 2


class SpecError(ForgeError):
    """The spec is invalid; `where` is the dotted place in it (`entities.Post.fields.title`)."""

    def __init__(self, where: str, message: str, source: str = "forge.yaml") -> None:
        # A key of the spec may contain a line break (`"first\nname": str`): the error stays
        # one line.
        self.where = _one_line(where)
        self.message = _one_line(message)
        self.source = _one_line(source)
        place = f"{self.source}: {self.where}: " if where else f"{self.source}: "
        super().__init__(f"{place}{self.message}")


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


class ProjectError(ForgeError):
    """The project on disk is not what the command needs (missing, not a forge project, ...)."""


class GenerationError(ForgeError):
    """A generated file could not be produced (for example it failed to format)."""

    exit_code = 1
