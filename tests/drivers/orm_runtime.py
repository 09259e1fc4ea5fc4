"""Prove the ORM runtime of a generated project: app/core/orm (EntityManager, QueryBuilder,
the request's EntityManager), BaseRepository and BaseCRUD, including soft delete and
timestamps on models defined here (the generator cannot emit them yet).

Run inside a generated shop project: PYTHONPATH=<project>, DATABASE_URL=<an empty database>.
It creates the tables itself. Prints `ok <check>` per check and, last, a JSON summary; any
failed check raises (non-zero exit).
"""

import asyncio
import datetime as dt
import json
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qs

import httpx
import sqlalchemy as sa
from app import models
from app.core.crud import BaseCRUD
from app.core.database import connection_manager
from app.core.orm import (
    EntityManager,
    QueryBuilder,
    QueryError,
    UnknownFieldError,
    UnknownOperatorError,
    utcnow,
)
from app.core.repository import BaseRepository
from app.models import Album, Artist, Genre, LoyaltyCard, MediaType, PlaylistTrackLink, Track
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlmodel import Field, Relationship, SQLModel

# -- models with soft delete and timestamps, as the generator will emit them


class Folder(SQLModel, table=True):
    __tablename__ = "orm_folder"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50)

    notes: list["Note"] = Relationship(back_populates="folder")


class Note(SQLModel, table=True):
    __tablename__ = "orm_note"
    __soft_delete__: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=50)
    folder_id: int | None = Field(default=None, foreign_key="orm_folder.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: dt.datetime = Field(
        default_factory=utcnow,
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"onupdate": utcnow},
    )
    deleted_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))

    folder: Folder | None = Relationship(back_populates="notes")


class NoteRepository(BaseRepository[Note]):
    model = Note


class NoteCreate(SQLModel):
    title: str


class NoteCRUD(BaseCRUD[Note, NoteCreate, NoteCreate]):
    model = Note


class Base(DeclarativeBase):
    pass


class Gadget(Base):
    """A plain SQLAlchemy 2.0 model (not SQLModel), with soft delete."""

    __tablename__ = "orm_gadget"
    __soft_delete__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(50))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


# -- helpers

CHECKS: list[Callable[[], Awaitable[None]]] = []
SUMMARY: dict[str, Any] = {}


def check(function: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    CHECKS.append(function)
    return function


def session() -> AsyncSession:
    return connection_manager.sessionmaker()


async def fresh_count(model: type[Any], **criteria: Any) -> int:
    """Rows matching the criteria, read in a new session (what is really committed)."""
    async with session() as other:
        statement = select(func.count()).select_from(model)
        for name, value in criteria.items():
            statement = statement.where(getattr(model, name) == value)
        return int((await other.execute(statement)).scalar_one())


SECOND = dt.timedelta(seconds=1)


def naive_utc(value: dt.datetime) -> dt.datetime:
    # SQLite keeps no time zone: compare UTC wall-clock times.
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def refused(error: type[Exception], call: Callable[[], Any], *words: str) -> str:
    try:
        call()
    except error as exc:
        message = str(exc)
        assert issubclass(error, TypeError) or isinstance(exc, ValueError), type(exc)
        for word in words:
            assert word in message, (word, message)
        return message
    raise AssertionError(f"{call} was not refused with {error.__name__}")


async def refused_async(error: type[Exception], call: Callable[[], Any], *words: str) -> None:
    try:
        await call()
    except error as exc:
        for word in words:
            assert word in str(exc), (word, str(exc))
        return
    raise AssertionError(f"{call} was not refused with {error.__name__}")


class Boom(Exception):
    pass


def backend() -> str:
    return connection_manager.engine.dialect.name


async def make_track_fixtures(em: EntityManager, prefix: str) -> dict[str, Any]:
    artist = em.persist(Artist(name=f"{prefix} artist"))
    media = em.persist(MediaType(name=f"{prefix} media"))
    genre = em.persist(Genre(name=f"{prefix} genre"))
    await em.flush()
    a1 = em.persist(Album(title=f"{prefix}-A1", artist_id=artist.id))
    a2 = em.persist(Album(title=f"{prefix}-A2", artist_id=artist.id))
    await em.flush()
    rows = [
        ("one", 100, a1.id, None),
        ("two", 200, a1.id, "X"),
        ("three", 300, a2.id, "Y"),
        ("four", 400, None, None),
    ]
    tracks = [
        em.persist(
            Track(
                name=f"{prefix} {name}",
                milliseconds=ms,
                album_id=album_id,
                composer=composer,
                unit_price=Decimal("0.99"),
                media_type_id=media.id,
                genre_id=genre.id,
            )
        )
        for name, ms, album_id, composer in rows
    ]
    await em.commit()
    return {"artist": artist, "albums": (a1, a2), "tracks": tracks}


# -- EntityManager


@check
async def repository_registry() -> None:
    assert "app.repositories.track_repository" not in sys.modules
    async with session() as db:
        em = EntityManager(db)
        repository = em.get_repository(Track)
        assert type(repository).__name__ == "TrackRepository", type(repository)
        assert type(repository).__module__ == "app.repositories.track_repository"
        assert em.get_repository(Track) is repository  # one per entity and manager
        assert repository.session is db
        link = em.get_repository(PlaylistTrackLink)  # no generated repository: the base
        assert type(link) is BaseRepository and link.model is PlaylistTrackLink
        assert type(em.get_repository(Note)) is NoteRepository
        gadgets = em.get_repository(Gadget)
        assert type(gadgets) is BaseRepository and gadgets.model is Gadget
    refused(TypeError, lambda: BaseRepository(db))  # type: ignore[arg-type]


@check
async def identity_map() -> None:
    async with session() as db:
        em = EntityManager(db)
        artist = em.persist(Artist(name="identity"))
        await em.commit()
    async with session() as db:
        em = EntityManager(db)
        first = await em.find(Artist, artist.id)
        second = await em.find(Artist, artist.id)
        assert first is not None and first is second
        repository = em.get_repository(Artist)
        assert await repository.find(artist.id) is first
        assert await em.query(Artist).where("id", "=", artist.id).first() is first
        assert await em.find(Artist, -1) is None


@check
async def dirty_tracking() -> None:
    async with session() as db:
        em = EntityManager(db)
        artist = em.persist(Artist(name="before"))
        await em.commit()
    async with session() as db:
        em = EntityManager(db)
        found = await em.find(Artist, artist.id)
        assert found is not None
        found.name = "after"  # no save(), no persist()
        assert found in db.dirty
        await em.commit()
    assert await fresh_count(Artist, id=artist.id, name="after") == 1
    async with session() as db:
        em = EntityManager(db)
        found = await em.find(Artist, artist.id)
        assert found is not None
        found.name = "not committed"
        await em.rollback()
    assert await fresh_count(Artist, id=artist.id, name="after") == 1
    async with session() as db:  # refresh reads the database again
        em = EntityManager(db)
        found = await em.find(Artist, artist.id)
        assert found is not None
        change = sa.update(Artist).where(Artist.id == artist.id).values(name="sql")
        await db.execute(change.execution_options(synchronize_session=False))
        assert found.name == "after"
        await em.refresh(found)
        assert found.name == "sql"
        await em.delete(found)  # no soft delete on Artist: a real DELETE
        await em.commit()
    assert await fresh_count(Artist, id=artist.id) == 0


@check
async def transaction_commits_or_rolls_back() -> None:
    async with session() as db:
        em = EntityManager(db)
        async with em.transaction() as same:
            assert same is em
            em.persist(Artist(name="tx-committed"))
        assert not db.in_transaction()
    assert await fresh_count(Artist, name="tx-committed") == 1

    async with session() as db:
        em = EntityManager(db)
        try:
            async with em.transaction():
                em.persist(Artist(name="tx-rolled-back"))
                await em.flush()  # the INSERT was sent...
                assert await em.query(Artist).where("name", "=", "tx-rolled-back").count() == 1
                raise Boom
        except Boom:
            pass
        else:
            raise AssertionError("the exception was swallowed")
        assert not db.in_transaction()
    assert await fresh_count(Artist, name="tx-rolled-back") == 0  # ...and rolled back

    async with session() as db:  # a failing commit rolls back too
        em = EntityManager(db)
        try:
            async with em.transaction():
                em.persist(LoyaltyCard(number="tx-dup"))
                em.persist(LoyaltyCard(number="tx-dup"))
        except IntegrityError:
            pass
        else:
            raise AssertionError("duplicate numbers were committed")
        assert not db.in_transaction()
        em.persist(Artist(name="usable after"))
        await em.commit()
    assert await fresh_count(LoyaltyCard, number="tx-dup") == 0
    assert await fresh_count(Artist, name="usable after") == 1


@check
async def nested_transaction_is_a_savepoint() -> None:
    seen: list[str] = []
    engine = connection_manager.engine.sync_engine

    def on(name: str) -> Callable[..., None]:
        return lambda *args: seen.append(name)

    listeners = {
        "savepoint": on("SAVEPOINT"),
        "rollback_savepoint": on("ROLLBACK TO SAVEPOINT"),
        "release_savepoint": on("RELEASE SAVEPOINT"),
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        async with session() as db:
            em = EntityManager(db)
            async with em.transaction():
                em.persist(Artist(name="outer kept"))
                try:
                    async with em.transaction():
                        em.persist(Artist(name="inner dropped"))
                        await em.flush()
                        raise Boom
                except Boom:
                    pass
                async with em.transaction():
                    em.persist(Artist(name="inner kept"))
                try:  # a database error inside a savepoint
                    async with em.transaction():
                        em.persist(LoyaltyCard(number="sp-dup"))
                        em.persist(LoyaltyCard(number="sp-dup"))
                except IntegrityError:
                    pass
                em.persist(Artist(name="outer after"))
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)
    assert seen == [
        "SAVEPOINT",
        "ROLLBACK TO SAVEPOINT",
        "SAVEPOINT",
        "RELEASE SAVEPOINT",
        "SAVEPOINT",
        "ROLLBACK TO SAVEPOINT",
    ], seen
    assert await fresh_count(Artist, name="outer kept") == 1
    assert await fresh_count(Artist, name="inner dropped") == 0
    assert await fresh_count(Artist, name="inner kept") == 1
    assert await fresh_count(Artist, name="outer after") == 1
    assert await fresh_count(LoyaltyCard, number="sp-dup") == 0

    async with session() as db:  # the outer block failing takes the inner work with it
        em = EntityManager(db)
        try:
            async with em.transaction():
                em.persist(Artist(name="outer failed"))
                async with em.transaction():
                    em.persist(Artist(name="inner of failed"))
                raise Boom
        except Boom:
            pass
    assert await fresh_count(Artist, name="outer failed") == 0
    assert await fresh_count(Artist, name="inner of failed") == 0


async def savepoint_first(sessions: Callable[[], AsyncSession], name: str) -> bool:
    """Whether an inner transaction() that is the first thing written is rolled back with
    the outer one."""
    async with sessions() as db:
        em = EntityManager(db)
        try:
            async with em.transaction():
                async with em.transaction():  # the first statement sent is the SAVEPOINT
                    em.persist(Folder(name=name))
                raise Boom
        except Boom:
            pass
    async with sessions() as db:
        statement = select(func.count()).select_from(Folder).where(Folder.name == name)
        return (await db.execute(statement)).scalar() == 0


@check
async def savepoint_first_on_sqlite_needs_begin() -> None:
    """On SQLite, a SAVEPOINT sent before any other write is only safe when SQLAlchemy, not
    the sqlite3 module, begins transactions (the change to SQLiteManager.prepare proposed
    for connection.py). Proven here on an engine with that change; whether the project's
    own engine is safe goes into the summary."""
    SUMMARY["savepoint_first_safe"] = await savepoint_first(session, "sp-first")
    if backend() != "sqlite":
        assert SUMMARY["savepoint_first_safe"]
        return
    url = connection_manager.engine.url
    engine = create_async_engine(url.set(database=f"{url.database}.begin"))

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver begins nothing itself

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    try:
        async with engine.begin() as connection:
            await connection.run_sync(Folder.__table__.create)  # type: ignore[attr-defined]
        assert await savepoint_first(lambda: AsyncSession(engine), "sp-first")
    finally:
        await engine.dispose()


# -- the request's EntityManager


@check
async def request_entity_manager() -> None:
    from app.core.orm.dependencies import EntityManagerDep
    from app.main import app
    from fastapi import APIRouter, HTTPException, Response

    managers: list[EntityManager] = []
    router = APIRouter(prefix="/_orm")

    @router.post("/ok", status_code=201)
    async def ok(name: str, em: EntityManagerDep) -> dict[str, Any]:
        managers.append(em)
        artist = em.persist(Artist(name=name))
        await em.flush()
        return {"id": artist.id}

    @router.post("/fail")
    async def fail(name: str, em: EntityManagerDep) -> None:
        managers.append(em)
        em.persist(Artist(name=name))
        await em.flush()
        raise HTTPException(400, "refused")

    @router.post("/status")
    async def status(name: str, em: EntityManagerDep, response: Response) -> dict[str, str]:
        em.persist(Artist(name=name))
        await em.flush()
        response.status_code = 422
        return {"detail": "refused"}

    @router.post("/crash")
    async def crash(name: str, em: EntityManagerDep) -> None:
        em.persist(Artist(name=name))
        await em.flush()
        raise Boom

    @router.post("/conflict", status_code=201)
    async def conflict(name: str, em: EntityManagerDep) -> dict[str, str]:
        em.persist(LoyaltyCard(number=name))
        em.persist(LoyaltyCard(number=name))  # fails on commit, after this returns
        return {"detail": "created"}

    app.include_router(router)

    # What the database holds when the response starts: the commit (or rollback) must
    # be done by then.
    at_start: list[tuple[int, int]] = []

    async def probe(scope: Any, receive: Any, send: Any) -> None:
        async def watch(message: Any) -> None:
            query = parse_qs(scope["query_string"].decode())
            if message["type"] == "http.response.start" and "name" in query:
                name = query["name"][0]
                model = LoyaltyCard if scope["path"].endswith("conflict") else Artist
                field = "number" if model is LoyaltyCard else "name"
                at_start.append((message["status"], await fresh_count(model, **{field: name})))
            await send(message)

        await app(scope, receive, watch)

    transport = httpx.ASGITransport(app=probe, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await client.post("/_orm/ok", params={"name": "req-ok"})
        assert created.status_code == 201, created.text
        assert await fresh_count(Artist, id=created.json()["id"], name="req-ok") == 1
        assert at_start[-1] == (201, 1), at_start  # committed before the response

        again = await client.post("/_orm/ok", params={"name": "req-ok-2"})
        assert again.status_code == 201
        assert managers[0] is not managers[1]  # one per request
        assert managers[0].session is not managers[1].session

        failed = await client.post("/_orm/fail", params={"name": "req-fail"})
        assert failed.status_code == 400 and failed.json() == {"detail": "refused"}
        assert at_start[-1] == (400, 0), at_start
        assert await fresh_count(Artist, name="req-fail") == 0

        status_set = await client.post("/_orm/status", params={"name": "req-status"})
        assert status_set.status_code == 422
        assert await fresh_count(Artist, name="req-status") == 0

        crashed = await client.post("/_orm/crash", params={"name": "req-crash"})
        assert crashed.status_code == 500
        assert await fresh_count(Artist, name="req-crash") == 0

        conflicted = await client.post("/_orm/conflict", params={"name": "req-dup"})
        assert conflicted.status_code == 409, conflicted.text  # the app's IntegrityError
        assert at_start[-1] == (409, 0), at_start
        assert await fresh_count(LoyaltyCard, number="req-dup") == 0

        assert (await client.get("/health")).status_code == 200


# -- QueryBuilder


@check
async def query_builder_every_method() -> None:
    async with session() as db:
        em = EntityManager(db)
        data = await make_track_fixtures(em, "qb")
        _one, two, _three, four = data["tracks"]
        ids = [t.id for t in data["tracks"]]

        def q() -> QueryBuilder[Track]:
            return em.query(Track).where_in("id", ids)

        async def names(builder: QueryBuilder[Track]) -> list[str]:
            return [t.name.removeprefix("qb ") for t in await builder.all()]

        by_ms = ("milliseconds", "asc")

        async def where(op: str, value: Any = None) -> list[str]:
            builder = q()
            builder = builder.where("milliseconds", op, value) if value is not None else builder
            return await names(builder.order_by(*by_ms))

        assert await names(q().where("name", "=", "qb two")) == ["two"]
        assert await where("!=", 200) == ["one", "three", "four"]
        assert await where("<>", 200) == ["one", "three", "four"]
        assert await where("<", 200) == ["one"]
        assert await where("<=", 200) == ["one", "two"]
        assert await where(">", 300) == ["four"]
        assert await where(">=", 300) == ["three", "four"]
        assert await where("in", [100, 400]) == ["one", "four"]
        assert await where("NOT  IN", (100, 400)) == ["two", "three"]  # case, spaces
        assert await where("between", (150, 350)) == ["two", "three"]
        assert await where("not between", (150, 350)) == ["one", "four"]
        name_ops = {
            ("like", "qb t%"): ["two", "three"],
            ("not like", "qb t%"): ["one", "four"],
            ("ilike", "QB T%"): ["two", "three"],
            ("not ilike", "QB T%"): ["one", "four"],
        }
        for (op, value), expected in name_ops.items():
            got = await names(q().where("name", op, value).order_by(*by_ms))
            assert got == expected, (op, got)
        assert await names(q().where("composer", "is null").order_by(*by_ms)) == ["one", "four"]
        assert await names(q().where("composer", "is not null").order_by(*by_ms)) == [
            "two",
            "three",
        ]
        assert await names(q().where_null("composer").order_by(*by_ms)) == ["one", "four"]
        assert await names(q().where_not_null("composer").order_by(*by_ms)) == ["two", "three"]
        assert await names(q().where_not_in("milliseconds", [100]).order_by(*by_ms)) == [
            "two",
            "three",
            "four",
        ]
        assert await names(q().where("composer", "=", None)) == ["one", "four"]

        # or_where: (ids AND ms < 150) OR (ms > 350 AND ids)
        either = (
            em.query(Track)
            .where_in("id", ids)
            .where("milliseconds", "<", 150)
            .or_where("milliseconds", ">", 350)
            .where_in("id", ids)
            .order_by(*by_ms)
        )
        assert await names(either) == ["one", "four"]
        first_or = em.query(Track).or_where("id", "=", two.id)  # alone, it is a where
        assert await names(first_or) == ["two"]

        # order_by, limit, offset
        assert await names(q().order_by("milliseconds", "desc")) == ["four", "three", "two", "one"]
        composers = q().where_not_null("composer").order_by("composer", "DESC")
        assert await names(composers.order_by("milliseconds")) == ["three", "two"]
        assert await names(q().order_by("album_id").order_by("milliseconds", "desc")) in (
            ["two", "one", "three", "four"],  # NULLs last (PostgreSQL)
            ["four", "two", "one", "three"],  # NULLs first (SQLite, MySQL)
        )
        assert await names(q().order_by(*by_ms).limit(2)) == ["one", "two"]
        assert await names(q().order_by(*by_ms).limit(2).offset(1)) == ["two", "three"]
        assert await names(q().order_by(*by_ms).offset(3)) == ["four"]

        # join (inner, outer) and the joined entity's columns
        album = q().join("album").where("album.title", "=", "qb-A1").order_by(*by_ms)
        assert await names(album) == ["one", "two"]
        assert await album.count() == 2
        assert await names(q().join("album").order_by("album.title", "desc").order_by(*by_ms)) == [
            "three",
            "one",
            "two",
        ]
        orphans = q().join("album", outer=True).where_null("album.id")
        assert await names(orphans) == ["four"]
        deep = q().join("album").join("genre").where("genre.name", "=", "qb genre")
        assert await deep.count() == 3
        artist_albums = em.query(Album).join("artist").where("artist.name", "=", "qb artist")
        assert sorted(a.title for a in await artist_albums.all()) == ["qb-A1", "qb-A2"]

        # with_: relations loaded with the rows (no lazy load needed afterwards)
        db.expunge_all()
        loaded = await q().with_("album.artist", "genre").order_by(*by_ms).all()
        assert [t.name for t in loaded][0] == "qb one"
        for track in loaded:
            state = sa.inspect(track)
            assert "album" in state.dict and "genre" in state.dict
        assert loaded[0].album is not None and loaded[0].album.artist.name == "qb artist"
        assert loaded[3].album is None
        albums = await em.query(Album).where("title", "like", "qb-%").with_("tracks").all()
        assert sorted(len(a.tracks) for a in albums) == [1, 2]

        # count, first, all, exists, paginate
        limited = q().order_by(*by_ms).limit(1)
        assert await limited.count() == 4  # limit and offset do not change the count
        assert await names(limited) == ["one"] and await names(limited) == ["one"]  # rerun
        top = await q().order_by("milliseconds", "desc").first()
        assert top is not None and top.id == four.id
        assert await q().where("milliseconds", ">", 10**6).first() is None
        assert await q().exists() and not await q().where("id", "=", -1).exists()
        page = await q().order_by(*by_ms).paginate(2, 3)
        assert [t.id for t in page.items] == [four.id]
        assert (page.total, page.page, page.size) == (4, 2, 3)
        assert type(page).__name__.startswith("Page")
        empty = await q().where("id", "=", -1).paginate()
        assert (empty.items, empty.total, empty.page, empty.size) == ([], 0, 1, 20)
        await refused_async(QueryError, lambda: q().paginate(0, 10), "page")
        await refused_async(QueryError, lambda: q().paginate(1, 0), "size")
        for bad in (-1, "2", True, 1.5):
            refused(QueryError, lambda bad=bad: q().limit(bad), "limit")
            refused(QueryError, lambda bad=bad: q().offset(bad), "offset")

        # the repository's builder
        repository = em.get_repository(Track)
        builder = repository.get_query_builder()
        assert isinstance(builder, QueryBuilder) and builder.model is Track
        assert await builder.where_in("id", ids).count() == 4


@check
async def hostile_input() -> None:
    async with session() as db:
        em = EntityManager(db)
        await make_track_fixtures(em, "hostile")
        artists_before = await em.query(Artist).count()
        hostile = ["name; DROP TABLE user", "1 OR 1=1", "x' OR '1'='1", "'; DROP TABLE artist; --"]
        for value in hostile:
            for op in ("=", "like", "ilike"):
                assert await em.query(Artist).where("name", op, value).all() == []
            assert await em.query(Artist).where_in("name", [value, value]).all() == []
            assert await em.get_repository(Artist).find_by({"name": value}) == []
            statement = em.query(Artist).where("name", "=", value).statement()
            compiled = statement.compile(dialect=connection_manager.engine.dialect)
            assert value not in str(compiled) and value in compiled.params.values()
        # the same values stored are found exactly, and only them
        for value in hostile:
            em.persist(Artist(name=value))
        await em.commit()
        for value in hostile:
            found = await em.query(Artist).where("name", "=", value).all()
            assert [a.name for a in found] == [value]
            assert [a.name for a in await em.get_repository(Artist).find_by({"name": value})] == [
                value
            ]
        assert await em.query(Artist).count() == artists_before + len(hostile)
        # a text value for an integer column: bound, so never SQL. SQLite compares it as
        # text (no row), PostgreSQL refuses its type, MySQL casts its leading "1" (id 1).
        try:
            rows = await em.query(Artist).where("id", "=", "1 OR 1=1").all()
            assert [a.id for a in rows] in ([], [1]), [a.id for a in rows]
        except DBAPIError:
            await em.rollback()

        # names and operators that are not allowed never reach SQL
        query = em.query(Track)
        message = refused(UnknownFieldError, lambda: query.where("name; DROP TABLE track", "=", 1))
        assert "has no column" in message and "milliseconds" in message  # lists the allowed
        refused(UnknownFieldError, lambda: query.where("nope", "=", 1), "Track", "columns:")
        refused(UnknownFieldError, lambda: query.where(1, "=", 1))  # type: ignore[arg-type]
        refused(UnknownFieldError, lambda: query.order_by("1; DROP TABLE track"), "no column")
        refused(UnknownFieldError, lambda: query.where_in("name)", [1]))
        refused(UnknownFieldError, lambda: query.join("nope"), "no relation", "album")
        refused(UnknownFieldError, lambda: query.with_("album.nope"), "Album", "no relation")
        refused(UnknownFieldError, lambda: query.with_("id"), "no relation")
        refused(QueryError, lambda: query.where("album.title", "=", 1), "join('album')")
        refused(UnknownFieldError, lambda: query.where("nope.title", "=", 1), "no relation")
        q2 = em.query(Track).join("album")
        refused(UnknownFieldError, lambda: q2.where("album.nope", "=", 1), "Album", "no column")
        for op in ("= 1 OR 1=1 --", "==", "; DROP", "regexp", "", None, "is"):
            message = refused(
                UnknownOperatorError, lambda op=op: query.where("name", op, "x"), "allowed:"
            )
            assert "like" in message and "not in" in message
        refused(QueryError, lambda: query.order_by("name", "asc; DROP TABLE track"), "asc, desc")
        refused(QueryError, lambda: query.where("name", "=", text("1=1")), "plain data")
        refused(QueryError, lambda: query.where("id", "=", Track.id), "plain data")
        refused(QueryError, lambda: query.where("id", "in", [text("1=1")]), "plain data")
        refused(QueryError, lambda: query.where("name", "in", "abc"), "list of values")
        refused(QueryError, lambda: query.where("name", "between", [1]), "two values")
        refused(QueryError, lambda: query.where("name", "="), "needs a value")
        refused(QueryError, lambda: query.where("name", "is null", "x"), "takes no value")
        refused(QueryError, lambda: query.only_deleted(), "no soft delete")
        repository = em.get_repository(Track)
        for criteria in ({"id; DROP TABLE users": 1}, {"id": text("1=1")}):
            try:
                await repository.find_by(criteria)
            except ValueError:
                pass
            else:
                raise AssertionError(f"{criteria} was accepted")
        try:
            await repository.find_by({}, order_by="-name; DROP TABLE track")
        except UnknownFieldError:
            pass
        else:
            raise AssertionError("order_by was accepted")
        # the tables are all still there
        async with connection_manager.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        assert {"artist", "track", "album"} <= set(tables), tables
        assert await em.query(Artist).count() == artists_before + len(hostile)


# -- soft delete and timestamps (models defined above) and a plain SQLAlchemy model


@check
async def soft_delete() -> None:
    async with session() as db:
        em = EntityManager(db)
        folder = em.persist(Folder(name="soft"))
        await em.flush()
        kept = em.persist(Note(title="kept", folder_id=folder.id))
        gone = em.persist(Note(title="gone", folder_id=folder.id))
        await em.commit()

        before = utcnow()
        await em.delete(gone)
        await em.commit()
        assert gone.deleted_at is not None and gone.deleted_at.utcoffset() == dt.timedelta(0)
        assert naive_utc(before) <= naive_utc(gone.deleted_at) <= naive_utc(utcnow())
        assert await fresh_count(Note, id=gone.id) == 1  # the row is still there
        ids = [kept.id, gone.id]

        # EntityManager
        assert await em.find(Note, gone.id) is None
        assert await em.find(Note, gone.id, with_deleted=True) is gone
        assert await em.find(Note, kept.id) is kept
        gone_id = gone.id
        db.expire(gone)  # an expired deleted_at is loaded again, never lazily
        assert await em.find(Note, gone_id) is None
        db.expire(gone, ["deleted_at"])
        assert await em.find(Note, gone_id) is None and "deleted_at" in sa.inspect(gone).dict
        db.expire(gone, ["deleted_at"])
        assert await em.get_repository(Note).find(gone_id) is None

        # repository, found through the registry
        notes = em.get_repository(Note)
        assert isinstance(notes, NoteRepository)
        assert await notes.find(gone.id) is None
        assert await notes.find(gone.id, with_deleted=True) is gone
        assert await notes.find(gone.id, load=["folder"]) is None
        assert await notes.find(gone.id, load=["folder"], with_deleted=True) is gone
        assert [n.id for n in await notes.find_all()] == [kept.id]
        assert [n.id for n in await notes.find_all(with_deleted=True)] == ids
        assert [n.id for n in await notes.find_by({"id": ids})] == [kept.id]
        assert len(await notes.find_by({"id": ids}, with_deleted=True)) == 2
        assert await notes.find_one_by({"id": gone.id}) is None
        assert await notes.find_one_by({"id": gone.id}, with_deleted=True) is gone
        assert await notes.count() == 1 and await notes.count(with_deleted=True) == 2
        assert not await notes.exists({"id": gone.id})
        assert await notes.exists({"id": gone.id}, with_deleted=True)

        # QueryBuilder
        assert [n.id for n in await em.query(Note).all()] == [kept.id]
        assert await em.query(Note).with_deleted().count() == 2
        assert [n.id for n in await em.query(Note).only_deleted().all()] == [gone.id]
        assert await em.query(Note).where("title", "=", "gone").first() is None
        # relations: soft-deleted children are left out of loads and joins too
        db.expunge_all()
        loaded = await em.query(Folder).where("id", "=", folder.id).with_("notes").first()
        assert loaded is not None and [n.title for n in loaded.notes] == ["kept"]
        db.expunge_all()
        everything = (
            await em.query(Folder).where("id", "=", folder.id).with_("notes").with_deleted().first()
        )
        assert everything is not None and len(everything.notes) == 2
        joined = em.query(Folder).join("notes").where("notes.title", "=", "gone")
        assert await joined.count() == 0 and await joined.with_deleted().count() == 1
        db.expunge_all()
        by_repository = await em.get_repository(Folder).find(folder.id, load=["notes"])
        assert by_repository is not None and [n.title for n in by_repository.notes] == ["kept"]

        # restore, and a real delete with force=True
        gone = await em.find(Note, gone.id, with_deleted=True)
        assert gone is not None
        em.restore(gone)
        await em.commit()
        assert await em.query(Note).where_in("id", ids).count() == 2
        await em.delete(gone, force=True)
        await em.commit()
        assert await fresh_count(Note, id=gone.id) == 0
        refused(TypeError, lambda: em.restore(folder))

    # BaseCRUD
    async with session() as db:
        crud = NoteCRUD(db)
        note = await crud.create(NoteCreate(title="crud"))
        assert await crud.delete(note.id) is True
        assert note.deleted_at is not None
        assert await crud.get_by_id(note.id) is None
        assert await crud.get_by_id(note.id, with_deleted=True) is note
        assert note.id not in [n.id for n in await crud.get_all()]
        assert await crud.count() == await NoteRepository(db).count()
        assert await crud.update(note.id, NoteCreate(title="x")) is None
        assert await crud.delete(note.id) is False  # already deleted
        assert await fresh_count(Note, id=note.id) == 1
        assert await crud.delete(note.id, force=True) is True
        assert await fresh_count(Note, id=note.id) == 0


@check
async def timestamps() -> None:
    async with session() as db:
        em = EntityManager(db)
        start = utcnow()
        note = em.persist(Note(title="stamped"))
        await em.commit()
        created, updated = note.created_at, note.updated_at
        assert naive_utc(start) <= naive_utc(created) <= naive_utc(utcnow())
        assert updated is not None
        await asyncio.sleep(0.01)
        note.title = "changed"
        await em.commit()  # onupdate: set on the UPDATE, and known without a reload
        assert "updated_at" in sa.inspect(note).dict
        assert note.updated_at > updated and note.created_at == created
    async with session() as db:
        reread = await EntityManager(db).find(Note, note.id)
        assert reread is not None and reread.title == "changed"
        # (MySQL's DATETIME keeps whole seconds)
        assert abs(naive_utc(reread.updated_at) - naive_utc(note.updated_at)) < SECOND
        assert abs(naive_utc(reread.created_at) - naive_utc(created)) < SECOND
        before_delete = reread.updated_at
        await asyncio.sleep(0.01)
        await EntityManager(db).delete(reread)
        await db.commit()
        assert naive_utc(reread.updated_at) > naive_utc(before_delete)  # soft delete updates


@check
async def plain_sqlalchemy_model() -> None:
    async with connection_manager.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with session() as db:
        em = EntityManager(db)
        a = em.persist(Gadget(label="a"))
        b = em.persist(Gadget(label="b"))
        await em.commit()
        assert await em.find(Gadget, a.id) is a
        await em.delete(b)
        await em.commit()
        assert b.deleted_at is not None
        repository = BaseRepository[Gadget](db, Gadget)
        assert [g.label for g in await repository.find_by({"label": ["a", "b"]})] == ["a"]
        assert await repository.count() == 1 and await repository.count(with_deleted=True) == 2
        assert await repository.find(b.id) is None
        builder = em.query(Gadget).where("label", "ilike", "A")
        assert [g.id for g in await builder.all()] == [a.id]
        assert [g.id for g in await em.query(Gadget).only_deleted().all()] == [b.id]
        refused(UnknownFieldError, lambda: em.query(Gadget).where("nope", "=", 1), "label")


async def main() -> None:
    connection_manager.initialize()
    metadata = getattr(models, "metadata", SQLModel.metadata)
    async with connection_manager.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.run_sync(SQLModel.metadata.create_all)
    passed = []
    name = backend()
    try:
        for function in CHECKS:
            await function()
            passed.append(function.__name__)
            print("ok", function.__name__, flush=True)
    finally:
        await connection_manager.close()
    print(json.dumps({"backend": name, "passed": passed, **SUMMARY}))


if __name__ == "__main__":
    asyncio.run(main())
