"""Prove the many_to_many link tables of tests/test_links.py's spec in a generated project:
links added and removed from both sides through the generated classes (and read back
with the QueryBuilder's selectinload), link fields filled by their defaults and read back
through the link class, and what deleting an entity with link rows does through the API
(link_on_delete: cascade deletes them, restrict and no_action answer 409).

Run inside the project: PYTHONPATH=<project>, DATABASE_URL=<a migrated database>. Raises
on the first failed check; prints `ok <check>` per check and, last, a JSON summary.
"""

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
from app.core.database import connection_manager
from app.core.orm import EntityManager
from app.main import app
from app.models import (
    Actor,
    Film,
    FilmActorLink,
    FriendshipLink,
    Person,
    Playlist,
    PlaylistTrackLink,
    Track,
)
from app.models.links import FilmActorLinkRole
from sqlalchemy import func, select

CHECKS: list[Callable[[], Awaitable[None]]] = []


def check(function: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    CHECKS.append(function)
    return function


def manager() -> EntityManager:
    return EntityManager(connection_manager.sessionmaker())


async def count(model: type[Any], *conditions: Any) -> int:
    async with connection_manager.sessionmaker() as session:
        statement = select(func.count()).select_from(model).where(*conditions)
        return int(await session.scalar(statement) or 0)


@check
async def pascal_case_link_from_both_sides() -> None:
    em = manager()
    playlist = Playlist(name="mix")
    first, second, third = Track(name="one"), Track(name="two"), Track(name="three")
    playlist.tracks = [first, second]
    em.session.add_all([playlist, third])
    await em.commit()
    ids = playlist.id, first.id, second.id, third.id
    await em.session.close()

    em = manager()
    track = (await em.query(Track).where("id", "=", ids[3]).with_("playlists").all())[0]
    loaded = (await em.query(Playlist).where("id", "=", ids[0]).with_("tracks").all())[0]
    assert sorted(t.id for t in loaded.tracks) == [ids[1], ids[2]]
    track.playlists.append(loaded)  # from the other side
    loaded.tracks.remove(next(t for t in loaded.tracks if t.id == ids[1]))
    await em.commit()
    await em.session.close()

    rows = PlaylistTrackLink.PlaylistId == ids[0]
    assert await count(PlaylistTrackLink, rows) == 2
    assert await count(PlaylistTrackLink, rows, PlaylistTrackLink.TrackId == ids[1]) == 0
    em = manager()
    again = (await em.query(Track).where("id", "=", ids[2]).with_("playlists").all())[0]
    assert [p.id for p in again.playlists] == [ids[0]]
    await em.session.close()


@check
async def link_fields_get_their_defaults() -> None:
    em = manager()
    actor, film = Actor(name="Ann"), Film(title="Rope")
    actor.films.append(film)
    other = Film(title="Vertigo")
    other.actors.append(actor)  # from the other side
    em.session.add_all([actor, other])
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    await em.commit()
    actor_id, film_ids = actor.id, {film.id, other.id}
    await em.session.close()

    async with connection_manager.sessionmaker() as session:
        links = (
            await session.scalars(select(FilmActorLink).where(FilmActorLink.actor_id == actor_id))
        ).all()
        assert {link.film_id for link in links} == film_ids
        for link in links:
            assert link.role == FilmActorLinkRole.SUPPORT
            assert link.billing is None
            assert link.note == ""
            assert link.fee == Decimal("0.00")
            assert link.paid is False
            stamp = link.last_update
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=dt.UTC)
            assert stamp >= before, link.last_update
        links[0].billing = 1
        links[0].role = FilmActorLinkRole.LEAD
        await session.commit()
    lead = FilmActorLink.role == FilmActorLinkRole.LEAD
    assert await count(FilmActorLink, lead, FilmActorLink.billing == 1) == 1


@check
async def self_referential_link() -> None:
    em = manager()
    ann, bob, cy = Person(name="ann"), Person(name="bob"), Person(name="cy")
    ann.friends = [bob, cy]
    em.session.add(ann)
    await em.commit()
    ids = ann.id, bob.id, cy.id
    await em.session.close()

    em = manager()
    bob = (await em.query(Person).where("id", "=", ids[1]).with_("friend_of").all())[0]
    assert [p.id for p in bob.friend_of] == [ids[0]]
    cy = (await em.query(Person).where("id", "=", ids[2]).with_("friends").all())[0]
    cy.friends.append(bob)
    await em.commit()
    await em.session.close()
    assert await count(FriendshipLink, FriendshipLink.PersonId == ids[2]) == 1
    assert await count(FriendshipLink, FriendshipLink.FriendId == ids[1]) == 2


@check
async def deletes_through_the_api() -> None:
    async with connection_manager.sessionmaker() as session:
        actor = (await session.scalars(select(Actor).where(Actor.name == "Ann"))).one()
        playlist = (await session.scalars(select(Playlist).where(Playlist.name == "mix"))).one()
        person = (await session.scalars(select(Person).where(Person.name == "ann"))).one()
        lonely = Track(name="lonely")
        session.add(lonely)
        await session.commit()
        ids = actor.id, playlist.id, person.id, lonely.id
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        # cascade: the link rows go with the actor
        assert (await client.delete(f"/actors/{ids[0]}")).status_code == 204
        assert await count(FilmActorLink, FilmActorLink.actor_id == ids[0]) == 0
        # no_action and restrict: a clean 409, nothing deleted
        for path, model in ((f"/playlists/{ids[1]}", Playlist), (f"/people/{ids[2]}", Person)):
            answer = await client.delete(path)
            assert answer.status_code == 409, (path, answer.status_code, answer.text)
            assert answer.json()["detail"], answer.text
            assert await count(model, model.id == int(path.rsplit("/", 1)[1])) == 1
        # without link rows the delete goes through
        assert (await client.delete(f"/tracks/{ids[3]}")).status_code == 204


async def main() -> None:
    connection_manager.initialize()
    passed = []
    try:
        for function in CHECKS:
            await function()
            passed.append(function.__name__)
            print("ok", function.__name__, flush=True)
        backend = connection_manager.engine.dialect.name
    finally:
        await connection_manager.close()
    print(json.dumps({"backend": backend, "passed": passed}))


if __name__ == "__main__":
    asyncio.run(main())
