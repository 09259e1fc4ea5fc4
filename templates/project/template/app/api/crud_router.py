"""The CRUD routes of one entity, built from its CRUD class and schemas."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.crud import BaseCRUD
from app.core.database import get_db
from app.schemas.base import Page

Session = Annotated[AsyncSession, Depends(get_db)]


def crud_router(
    *,
    prefix: str,
    name: str,
    crud: type[BaseCRUD[Any, Any, Any]],
    create: type[BaseModel],
    read: type[BaseModel],
    update: type[BaseModel],
) -> APIRouter:
    """GET list (paginated), GET one, POST, PATCH and DELETE for one entity.

    404 for a missing id, 422 for invalid input, 204 with no body for a delete.
    """
    router = APIRouter(prefix=prefix, tags=[name])

    async def found(session: AsyncSession, id: int) -> Any:
        row = await crud(session).get_by_id(id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{name} {id} not found")
        return row

    @router.get("", response_model=Page[read], summary=f"List {name} rows")  # type: ignore[valid-type]
    async def list_rows(
        session: Session,
        page: Annotated[int, Query(ge=1)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Any:
        rows = crud(session)
        items = await rows.get_all(skip=(page - 1) * size, limit=size)
        return {"items": items, "total": await rows.count(), "page": page, "size": size}

    @router.get("/{id}", response_model=read, summary=f"Read one {name}")
    async def read_row(id: int, session: Session) -> Any:
        return await found(session, id)

    @router.post(
        "",
        response_model=read,
        status_code=status.HTTP_201_CREATED,
        summary=f"Create a {name}",
    )
    async def create_row(data: create, session: Session) -> Any:  # type: ignore[valid-type]
        return await crud(session).create(data)

    @router.patch(
        "/{id}", response_model=read, summary=f"Change some fields of a {name}"
    )
    async def update_row(id: int, data: update, session: Session) -> Any:  # type: ignore[valid-type]
        await found(session, id)
        return await crud(session).update(id, data)

    @router.delete(
        "/{id}", status_code=status.HTTP_204_NO_CONTENT, summary=f"Delete a {name}"
    )
    async def delete_row(id: int, session: Session) -> Response:
        await found(session, id)
        await crud(session).delete(id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
