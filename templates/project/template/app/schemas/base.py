"""Base classes of the generated Pydantic schemas."""

from typing import ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, model_validator

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the rows, how many there are in all, and where this page is."""

    items: list[T]
    total: int
    page: int
    size: int


class UpdateSchema(BaseModel):
    """A partial update: a field left out is not changed; a field that is not nullable
    may be left out but not set to null."""

    __non_nullable__: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_null_for_required(self) -> Self:
        for name in sorted(self.model_fields_set & self.__non_nullable__):
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self
