"""What does the generated ORM runtime cost on top of plain SQLAlchemy? Printed figures and
ratios from one run.

The shop example is generated into a temporary folder and imported; the same workload then
runs through the generated layer (EntityManager, the generated repositories, QueryBuilder)
and through plain AsyncSession code, on the same engine (the project's connection manager),
with the same batching and the same session lifetime:

  - 5,000 inserts in batches of 500 (a session and a commit per batch)
  - 5,000 fetches by id (one session)
  - 200 find_by queries with a filter and a limit (one session)
  - 200 relation loads: an album with its tracks, selectinload (one session)

Each pair runs once to warm up, then --rounds times (three times that for workloads under
0.3 s), alternating which side goes first. The times are medians; the ratio is the median
of the rounds' ratios (both sides of a round run back to back). Target: generated / plain
<= 1.10 for every workload. On SQLite always, and on PostgreSQL when a server answers at
FORGE_TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test), in a
database created and dropped here.

    python benchmarks/bench_runtime.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.10
N_ROWS = 5_000
BATCH = 500
N_QUERIES = 200
SHORT = 0.3  # seconds: a workload faster than this gets three times the rounds
TRACKS_PER_ALBUM = 25  # 200 albums of 25 tracks: the 5,000 rows fetched by id

Workload = Callable[[], Awaitable[None]]


def generate(folder: Path) -> Path:
    project = folder / "shop"
    subprocess.run(
        [sys.executable, "-m", "generator", "new", str(project), "--spec",
         str(ROOT / "examples" / "shop" / "forge.yaml"), "--defaults"],
        cwd=folder, check=True, stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return project


class Bench:
    """The workloads of one database, both ways."""

    def __init__(self, url: str) -> None:
        from app.core.config import Settings
        from app.core.database import DatabaseConnectionManager

        self.manager = DatabaseConnectionManager(Settings(DATABASE_URL=url))
        self.manager.initialize()
        self.sessions = self.manager.sessionmaker
        self.album_ids: list[int] = []
        self.track_ids: list[int] = []
        self.media_type_id = 0

    async def seed(self) -> None:
        from app import models
        from app.models import Album, Artist, MediaType, Track
        from sqlalchemy import insert, select

        metadata = getattr(models, "metadata", None)
        if metadata is None:  # projects from before app.models.metadata
            from sqlmodel import SQLModel

            metadata = SQLModel.metadata

        async with self.manager.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
            await connection.run_sync(metadata.create_all)
        async with self.sessions() as session:
            artist = Artist(name="bench")
            media = MediaType(name="bench")
            session.add_all([artist, media])
            await session.flush()
            self.media_type_id = media.id
            await session.execute(
                insert(Album), [{"title": f"album {i}", "artist_id": artist.id} for i in range(200)]
            )
            self.album_ids = list((await session.scalars(select(Album.id))).all())
            rows = [
                self.track(f"seed {i}", album_id)
                for i, album_id in enumerate(self.album_ids * TRACKS_PER_ALBUM)
            ]
            await session.execute(insert(Track), rows)
            self.track_ids = list((await session.scalars(select(Track.id))).all())
            await session.commit()

    def track(self, name: str, album_id: int | None = None) -> dict[str, Any]:
        return {
            "name": name,
            "milliseconds": 1000,
            "unit_price": Decimal("0.99"),
            "media_type_id": self.media_type_id,
            "album_id": album_id,
        }

    async def forget_inserts(self) -> None:
        """Delete the rows an insert workload added, so that every round starts alike."""
        from app.models import Track
        from sqlalchemy import delete

        async with self.sessions() as session:
            await session.execute(delete(Track).where(Track.id > max(self.track_ids)))
            await session.commit()

    # -- the workloads, (generated, plain)

    def workloads(self) -> list[tuple[str, Workload, Workload]]:
        from app.core.orm import EntityManager
        from app.models import Album, Track
        from app.repositories.album_repository import AlbumRepository
        from app.repositories.track_repository import TrackRepository
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        sessions = self.sessions
        track_ids = self.track_ids
        album_ids = self.album_ids[:N_QUERIES]
        values = [self.track(f"new {i}") for i in range(N_ROWS)]

        async def insert_em() -> None:
            for start in range(0, N_ROWS, BATCH):
                async with sessions() as session:
                    em = EntityManager(session)
                    for row in values[start : start + BATCH]:
                        em.persist(Track(**row))
                    await em.commit()

        async def insert_plain() -> None:
            for start in range(0, N_ROWS, BATCH):
                async with sessions() as session:
                    for row in values[start : start + BATCH]:
                        session.add(Track(**row))
                    await session.commit()

        async def get_repository() -> None:
            async with sessions() as session:
                tracks = TrackRepository(session)
                for id in track_ids:
                    await tracks.find(id)

        async def get_em() -> None:
            async with sessions() as session:
                em = EntityManager(session)
                for id in track_ids:
                    await em.find(Track, id)

        async def get_plain() -> None:
            async with sessions() as session:
                for id in track_ids:
                    await session.get(Track, id)

        async def find_by_repository() -> None:
            async with sessions() as session:
                tracks = TrackRepository(session)
                for album_id in album_ids:
                    await tracks.find_by({"album_id": album_id}, limit=10)

        async def find_by_builder() -> None:
            async with sessions() as session:
                em = EntityManager(session)
                for album_id in album_ids:
                    await em.query(Track).where("album_id", "=", album_id).limit(10).all()

        async def find_by_plain() -> None:
            async with sessions() as session:
                for album_id in album_ids:
                    statement = select(Track).where(Track.album_id == album_id).limit(10)
                    list((await session.execute(statement)).scalars().all())

        async def load_repository() -> None:
            async with sessions() as session:
                albums = AlbumRepository(session)
                for album_id in album_ids:
                    album = await albums.find(album_id, load=["tracks"])
                    assert album is not None and len(album.tracks) == TRACKS_PER_ALBUM

        async def load_builder() -> None:
            async with sessions() as session:
                em = EntityManager(session)
                for album_id in album_ids:
                    album = await em.query(Album).where("id", "=", album_id).with_("tracks").first()
                    assert album is not None and len(album.tracks) == TRACKS_PER_ALBUM

        async def load_plain() -> None:
            async with sessions() as session:
                for album_id in album_ids:
                    statement = (
                        select(Album)
                        .where(Album.id == album_id)
                        .options(selectinload(Album.tracks))
                    )
                    album = (await session.execute(statement)).scalar_one_or_none()
                    assert album is not None and len(album.tracks) == TRACKS_PER_ALBUM

        return [
            (f"{N_ROWS:,} inserts, batches of {BATCH}: EntityManager", insert_em, insert_plain),
            (f"{N_ROWS:,} fetches by id: repository.find", get_repository, get_plain),
            (f"{N_ROWS:,} fetches by id: EntityManager.find", get_em, get_plain),
            (f"{N_QUERIES} find_by, filter + limit: repository", find_by_repository, find_by_plain),
            (f"{N_QUERIES} find_by, filter + limit: QueryBuilder", find_by_builder, find_by_plain),
            (f"{N_QUERIES} relation loads: repository.find(load=)", load_repository, load_plain),
            (f"{N_QUERIES} relation loads: QueryBuilder.with_", load_builder, load_plain),
        ]

    async def timed(self, workload: Workload, inserts: bool) -> float:
        gc.collect()
        start = time.perf_counter()
        await workload()
        elapsed = time.perf_counter() - start
        if inserts:
            await self.forget_inserts()
        return elapsed

    async def run(self, rounds: int) -> list[tuple[str, float, float, float]]:
        """(workload, generated, plain, ratio) per workload: the median times, and the
        median of the ratios of the rounds (both sides of a round run back to back, so
        that the machine's load changes the two alike)."""
        await self.seed()
        results = []
        for name, generated, plain in self.workloads():
            inserts = "inserts" in name
            await self.timed(generated, inserts)  # warm-up: caches, pool, statements
            first = await self.timed(plain, inserts)
            # short workloads get more rounds: one slow round moves them more
            n = rounds if first > SHORT else rounds * 3
            times: dict[Workload, list[float]] = {generated: [], plain: []}
            for round_ in range(n):
                order = (generated, plain) if round_ % 2 == 0 else (plain, generated)
                for workload in order:
                    times[workload].append(await self.timed(workload, inserts))
            ratio = statistics.median(
                g / p for g, p in zip(times[generated], times[plain], strict=True)
            )
            results.append(
                (name, statistics.median(times[generated]), statistics.median(times[plain]), ratio)
            )
        await self.manager.close()
        return results


def postgres_url() -> str | None:
    """A new database on the PostgreSQL server, or None when none answers."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    url = os.environ.get(
        "FORGE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    name = f"forge_bench_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await engine.dispose()

    try:
        asyncio.run(asyncio.wait_for(create(), 15))
    except Exception as exc:  # not reachable: SQLite only
        print(f"(no PostgreSQL at {url}: {type(exc).__name__}; SQLite only)\n")
        return None
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = make_url(url).database

    async def drop() -> None:
        engine = create_async_engine(make_url(url).set(database="postgres"))
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            await engine.dispose()

    asyncio.run(drop())


def report(backend: str, results: list[tuple[str, float, float, float]], rounds: int) -> bool:
    print(
        f"{backend}: medians of {rounds} rounds ({rounds * 3} for the short ones), after a warm-up"
    )
    print(f"{'workload':<52} {'generated':>10} {'plain':>10} {'ratio':>6}")
    ok = True
    for name, generated, plain, ratio in results:
        verdict = "meets" if ratio <= TARGET else "ABOVE TARGET"
        ok &= ratio <= TARGET
        print(
            f"{name:<52} {generated * 1000:>8.1f}ms {plain * 1000:>8.1f}ms {ratio:>6.3f}  "
            f"{verdict}"
        )
    print()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = generate(Path(tmp))
        sys.path.insert(0, str(project))
        databases = [("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")]
        pg = postgres_url()
        if pg is not None:
            databases.append(("postgresql", pg))
        print(
            f"ORM runtime (generated) vs plain SQLAlchemy AsyncSession; target ratio <= {TARGET}\n"
        )
        ok = True
        try:
            for backend, url in databases:
                results = asyncio.run(Bench(url).run(args.rounds))
                ok &= report(backend, results, args.rounds)
        finally:
            if pg is not None:
                drop_postgres(pg)
    print("every workload meets the target" if ok else "some workloads are above the target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
