"""Base classes of the generated Pydantic schemas, and the API's error body."""

from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the rows, how many there are in all, and where this page is."""

    items: list[T]
    total: int
    page: int
    size: int


class ErrorItem(BaseModel):
    """One problem: where it is (`["body", "email"]`, `["path", "id"]`), what it is,
    and a machine-readable kind (`conflict`, `not_found`, `missing`, ...)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """The body of every error answer (404, 405, 409, 422)."""

    detail: list[ErrorItem]


class CreateSchema(BaseModel):
    """What a client sends to create a row. Values are taken as they are typed (the
    types in app.schemas.types are strict): the string "5" is not an int, 1 is not a
    bool, 0 is not a datetime."""


def Unset(**constraints: Any) -> Any:
    """`Field(default=None, ...)` for a field of an Update schema that may be left out
    but not set to null (`title: Str = Unset(max_length=200)`): typed Any, so that the
    field's type states what a client may send and type checkers accept the default."""
    return Field(default=None, **constraints)


class UpdateSchema(BaseModel):
    """A partial update: a field left out is not changed. A field that is not nullable
    may be left out but not set to null (its type says so in the OpenAPI document)."""

    __non_nullable__: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_null_for_required(self) -> Self:
        for name in sorted(self.model_fields_set & self.__non_nullable__):
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class ListQueryBase(BaseModel):
    """The query parameters of a list route; an unknown one is refused, naming the
    allowed ones."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in cls.model_fields)
            if unknown:
                raise ValueError(
                    f"unknown query parameter {', '.join(unknown)}; allowed: "
                    + ", ".join(cls.model_fields)
                )
        return data
