"""Base classes of the generated Pydantic schemas."""

from typing import ClassVar, Self

from pydantic import BaseModel, model_validator


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
