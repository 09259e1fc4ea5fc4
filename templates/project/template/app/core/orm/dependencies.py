"""The request's EntityManager, as a FastAPI dependency.

    @router.post("/tracks", status_code=201)
    async def create_track(data: TrackCreate, em: EntityManagerDep) -> Track:
        return em.persist(Track(**data.model_dump()))

The route's work is committed when it returns (before the response is sent, so a
failing commit, e.g. a unique value taken, becomes the error response), and rolled back
when it raises (an HTTPException included) or sets an error status (>= 400) on the
injected `Response`. Use EntityManagerDep: it asks FastAPI to end the dependency when
the route function ends ("function" scope); with a bare `Depends(get_entity_manager)`,
FastAPI would commit only after the response has been sent.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import get_db
from app.core.orm.entity_manager import EntityManager


async def get_entity_manager(
    session: Annotated[AsyncSession, Depends(get_db)], response: Response
) -> AsyncIterator[EntityManager]:
    """One EntityManager per request, over the request's session (get_db)."""
    manager = EntityManager(session)
    try:
        yield manager
    except Exception:
        await session.rollback()
        raise
    status = response.status_code
    if status is not None and status >= 400:
        await session.rollback()
    else:
        await session.commit()


EntityManagerDep = Annotated[
    EntityManager, Depends(get_entity_manager, scope="function")
]
