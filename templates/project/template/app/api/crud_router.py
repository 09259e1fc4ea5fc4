"""The CRUD routes of one entity, built from its CRUD class and schemas.

Every route declares the statuses it answers, all errors share one body shape
(`ErrorBody`), and the list route takes filters, ranges, sorting and search that are
checked against the entity before any SQL is sent.
"""

import datetime as dt
import operator
import re
import types
import typing
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from annotated_types import MaxLen
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field, create_model
from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from app.core.crud import BaseCRUD
from app.core.database import get_db
from app.core.entity import EntityInfo, entity_info
from app.schemas.base import ErrorBody, ListQueryBase, Page
from app.schemas.types import (
    INT32_MAX,
    NO_NUL,
    UTCDateTime,
    UTCTime,
    lax,
)

Session = Annotated[AsyncSession, Depends(get_db)]
PathId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The row's id")]
MAX_PAGE_SIZE = 100
MAX_FILTER_LENGTH = 200  # characters of a string filter (URLs have a size limit)

_COMPARE = {
    "gte": operator.ge,
    "lte": operator.le,
    "gt": operator.gt,
    "lt": operator.lt,
}
RANGES = tuple(_COMPARE)
_ORDERED = (int, float, Decimal, dt.date, dt.datetime, dt.time)
_NOT_FILTERABLE = (bytes, dict, list)


# What FastAPI says when a request body is not JSON at all.
BODY_NOT_PARSED = "There was an error parsing the body"


class AppOverrides:
    """app.dependency_overrides, for routes built before the app (app.main sets it)."""

    app: Any = None

    @property
    def dependency_overrides(self) -> dict[Any, Any]:
        return {} if self.app is None else self.app.dependency_overrides


APP_OVERRIDES = AppOverrides()  # the routes go to the app itself: no router level


class NotFound(HTTPException):
    """No row with this id: 404 in the API's error shape (app.main)."""


_ERRORS = {
    404: "No row with this id",
    409: "Conflict with the stored data (unique value, reference, dependent rows)",
    422: "Invalid input",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": _ERRORS[code]} for code in codes}


def _input_type(annotation: Any) -> tuple[Any, bool] | None:
    """The query-parameter type for a field of the Read schema and whether it is
    ordered (ranges apply); None when the field cannot be filtered on (bytes, json)."""
    if (
        isinstance(annotation, types.UnionType)
        or typing.get_origin(annotation) is typing.Union
    ):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) != 1:
            return None
        annotation = args[0]
    base = _base_type(annotation)
    if base is AwareDatetime:
        base = dt.datetime
    if typing.get_origin(base) is not None or not isinstance(base, type):
        return None
    if issubclass(base, _NOT_FILTERABLE):
        return None
    ordered = issubclass(base, _ORDERED) and not issubclass(base, bool)
    if base is dt.datetime:
        return lax(UTCDateTime), ordered
    if base is dt.time:
        return lax(UTCTime), ordered
    return lax(annotation), ordered


def _base_type(kind: Any) -> Any:
    return typing.get_args(kind)[0] if typing.get_origin(kind) is Annotated else kind


def _optional(kind: Any, description: str) -> tuple[Any, Any]:
    return kind | None, Field(None, description=description)


def list_query_model(
    name: str,
    create: type[BaseModel],
    read: type[BaseModel],
    columns: Sequence[str],
    searchable: Sequence[str],
) -> type[BaseModel]:
    """The query parameters of a list route: page and size, one exact filter per column
    (`?status=draft`), ranges on ordered columns (`?created_at__gte=...`), `order_by`
    (`-created_at,title`) and, when the entity has searchable fields, `search`. Unknown
    parameters are refused (422) with the allowed ones listed."""
    fields: dict[str, Any] = {
        "page": (int, Field(1, ge=1, le=INT32_MAX, description="Page number, from 1")),
        "size": (int, Field(20, ge=1, le=MAX_PAGE_SIZE, description="Rows per page")),
    }
    sortable: list[str] = []
    for field_name, info in read.model_fields.items():
        if field_name not in columns or field_name == "deleted_at":
            continue  # (soft-deleted rows are never listed)
        # The type a client sends (with its bounds), else the type it is read as.
        info = create.model_fields.get(field_name, info)
        annotation: Any = info.annotation
        if info.metadata:  # Pydantic keeps Annotated's constraints apart
            annotation = Annotated[(annotation, *info.metadata)]
        found = _input_type(annotation)
        if found is None:
            continue
        kind, ordered = found
        if _base_type(kind) is str:  # an exact match on long text belongs to search
            limits = [
                item.max_length for item in info.metadata if isinstance(item, MaxLen)
            ]
            longest = min([MAX_FILTER_LENGTH, *limits])
            kind = Annotated[str, Field(max_length=longest, pattern=NO_NUL)]
        sortable.append(field_name)
        fields[field_name] = _optional(kind, f"{field_name} equals")
        for op in RANGES if ordered else ():
            fields[f"{field_name}__{op}"] = _optional(kind, f"{field_name} {op}")
    names = "|".join(re.escape(column) for column in sortable)
    about = "Comma-separated fields, '-' for descending: " + ", ".join(sortable)
    pattern = rf"^-?({names})(,-?({names}))*$"
    order_by = Field(None, pattern=pattern, max_length=1000, description=about)
    fields["order_by"] = (str | None, order_by)
    if searchable:
        about = f"Rows whose {', '.join(searchable)} contain this text"
        bounds: dict[str, Any] = {"min_length": 1, "max_length": 200, "pattern": NO_NUL}
        fields["search"] = (str | None, Field(None, description=about, **bounds))
    return create_model(f"{name}ListQuery", __base__=ListQueryBase, **fields)


def list_conditions(
    info: EntityInfo, query: BaseModel, searchable: Sequence[str]
) -> tuple[list[ColumnElement[bool]], list[Any]]:
    """The WHERE conditions and ORDER BY columns of a checked list query."""
    conditions: list[ColumnElement[bool]] = []
    for key, value in query.model_dump(exclude_none=True).items():
        if key in ("page", "size", "order_by", "search"):
            continue
        column_name, _, op = key.rpartition("__")
        if op in _COMPARE:  # created_at__gte
            conditions.append(_COMPARE[op](info.column(column_name), value))
        else:
            conditions.append(info.column(key) == value)
    search = getattr(query, "search", None)
    if search:
        found = [info.column(f).icontains(search, autoescape=True) for f in searchable]
        conditions.append(or_(*found))
    order: list[Any] = []
    order_by = getattr(query, "order_by", None)
    if order_by:
        for item in order_by.split(","):
            column = info.column(item.lstrip("-"))
            order.append(column.desc() if item.startswith("-") else column.asc())
    return conditions, order


def path_key(read: type[BaseModel]) -> tuple[str, Any]:
    """The id routes' path and `id` type, from the Read schema's `id`: `/{id:int}`
    (routes added below stay reachable), `/{id:uuid}`, or `/{id}` for a str key."""
    info = read.model_fields.get("id")
    if info is None:
        return "/{id:int}", PathId
    kind = lax(Annotated[(info.annotation, *info.metadata)])
    annotation: Any = info.annotation  # a type form in newer pydantic releases
    convertor = {int: ":int", UUID: ":uuid"}.get(annotation, "")
    return f"/{{id{convertor}}}", Annotated[kind, Path(description="The row's id")]


def crud_router(
    *,
    prefix: str,
    name: str,
    crud: type[BaseCRUD[Any, Any, Any]],
    create: type[BaseModel],
    read: type[BaseModel],
    update: type[BaseModel],
    searchable: Sequence[str] = (),
) -> APIRouter:
    """GET list (paginated, filtered, sorted), GET one, POST, PATCH and DELETE.

    404 for a missing id, 409 for a conflict with stored data, 422 for invalid input,
    204 with no body for a delete. The id routes match integers only (`/{id:int}`), so
    routes added to the returned router below them (`/published`) are reachable.
    """
    router = APIRouter(
        prefix=prefix, tags=[name], dependency_overrides_provider=APP_OVERRIDES
    )
    path, PathKey = path_key(read)
    columns = list(entity_info(crud.model).columns)  # attributes, not column names
    ListQuery = list_query_model(name, create, read, columns, searchable)

    def found(row: Any, id: Any) -> Any:
        if row is None or row is False:
            raise NotFound(status.HTTP_404_NOT_FOUND, f"{name} {id} not found")
        return row

    @router.get(
        "",
        response_model=Page[read],  # type: ignore[valid-type]
        summary=f"List {name} rows",
        responses=_errors(422),
    )
    async def list_rows(
        session: Session, query: Annotated[ListQuery, Query()]  # type: ignore[valid-type]
    ) -> Any:
        rows = crud(session)
        where, order = list_conditions(rows.info, query, searchable)
        page: int = query.page  # type: ignore[attr-defined]
        size: int = query.size  # type: ignore[attr-defined]
        items, total = await rows.page(where, order, (page - 1) * size, size)
        return {"items": items, "total": total, "page": page, "size": size}

    @router.get(
        path,
        response_model=read,
        summary=f"Read one {name}",
        responses=_errors(404, 422),
    )
    async def read_row(id: PathKey, session: Session) -> Any:  # type: ignore[valid-type]
        return found(await crud(session).get_by_id(id), id)

    @router.post(
        "",
        response_model=read,
        status_code=status.HTTP_201_CREATED,
        summary=f"Create a {name}",
        responses=_errors(409, 422),
    )
    async def create_row(data: create, session: Session) -> Any:  # type: ignore[valid-type]
        return await crud(session).create(data)

    @router.patch(
        path,
        response_model=read,
        summary=f"Change some fields of a {name}",
        responses=_errors(404, 409, 422),
    )
    async def update_row(id: PathKey, data: update, session: Session) -> Any:  # type: ignore[valid-type]
        return found(await crud(session).update(id, data), id)

    @router.delete(
        path,
        status_code=status.HTTP_204_NO_CONTENT,
        summary=f"Delete a {name}",
        responses=_errors(404, 409, 422),
    )
    async def delete_row(id: PathKey, session: Session) -> Response:  # type: ignore[valid-type]
        found(await crud(session).delete(id), id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
