"""The yardstick of benchmarks/bench_http.py: a minimal FastAPI + SQLAlchemy (async) app,
written by hand, serving the same entity as the generated app of the benchmark with the
same rules:

- the same table (the benchmark creates it with the generated project's migration);
- the same engine and pool settings, from the same variables (DATABASE_URL, POOL_SIZE,
  POOL_MAX_OVERFLOW, POOL_TIMEOUT, POOL_PRE_PING; SQLite takes no pool settings);
- one session per request, `expire_on_commit=False`, and a write commits before the
  response is sent;
- the same input checks (strict types, lengths, 32-bit integers, no NUL characters) and
  the same response bodies (instants in UTC with an offset; a page is
  `{"items", "total", "page", "size"}`);
- the same list query parameters as the generated API (an exact filter per column,
  `__gte/__lte/__gt/__lt` ranges on ordered ones, `order_by`, an unknown parameter
  refused with 422): parsing and checking them is work the generated list route must
  do on every request, so the yardstick does it too (benchmarks/HTTP_FINDINGS.md).

What a careful developer writes by hand, with the fewest round trips that keep those rules:
a create is one INSERT (the id comes back with it) and the commit, no re-read (every value
is known in Python); a read is one SELECT; a list page is one SELECT that carries the total
as a scalar subquery (`(SELECT count(*) FROM item)`, evaluated once; a second query only
for a page past the end; a window count, `count(*) OVER ()`, is 50 to 100 times slower on
SQLite, which materialises every row for it); an update is the SELECT of the row (404 when
there is none), one UPDATE and the commit.

    DATABASE_URL=sqlite+aiosqlite:///bench.db uvicorn handwritten_app:app
"""

from __future__ import annotations

import datetime as dt
import operator
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from sqlalchemy import DateTime, String, Text, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

INT32 = 2**31 - 1
NO_NUL = r"^[^\x00]*$"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite keeps no offset: a stored instant without one is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


Name = Annotated[StrictStr, Field(max_length=100, pattern=NO_NUL)]
Description = Annotated[StrictStr, Field(max_length=1_000_000, pattern=NO_NUL)]
Quantity = Annotated[StrictInt, Field(ge=-(2**31), le=INT32)]
Instant = Annotated[dt.datetime, AfterValidator(as_utc)]


class ItemCreate(BaseModel):
    name: Name
    description: Description | None = None
    quantity: Quantity = 0
    is_active: StrictBool = True


class ItemUpdate(BaseModel):
    name: Name = None  # type: ignore[assignment]  # may be left out, not set to null
    description: Description | None = None
    quantity: Quantity = None  # type: ignore[assignment]
    is_active: StrictBool = None  # type: ignore[assignment]


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    quantity: int
    is_active: bool
    created_at: Instant
    updated_at: Instant


# The list's query parameters, the same as the generated app's (its API): an exact filter
# per column, ranges on ordered columns, `order_by`; an unknown parameter is refused.
Key = Annotated[int, Field(ge=1, le=INT32)] | None
Count = Annotated[int, Field(ge=-(2**31), le=INT32)] | None
NameFilter = Annotated[str, Field(max_length=100, pattern=NO_NUL)] | None
TextFilter = Annotated[str, Field(max_length=200, pattern=NO_NUL)] | None
At = Annotated[dt.datetime, AfterValidator(as_utc)] | None
ORDERABLE = "id|name|description|quantity|is_active|created_at|updated_at"
ORDER_BY = rf"^-?({ORDERABLE})(,-?({ORDERABLE}))*$"


class ItemListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1, le=INT32)
    size: int = Field(20, ge=1, le=100)
    id: Key = None
    id__gte: Key = None
    id__lte: Key = None
    id__gt: Key = None
    id__lt: Key = None
    name: NameFilter = None
    description: TextFilter = None
    quantity: Count = None
    quantity__gte: Count = None
    quantity__lte: Count = None
    quantity__gt: Count = None
    quantity__lt: Count = None
    is_active: bool | None = None
    created_at: At = None
    created_at__gte: At = None
    created_at__lte: At = None
    created_at__gt: At = None
    created_at__lt: At = None
    updated_at: At = None
    updated_at__gte: At = None
    updated_at__lte: At = None
    updated_at__gt: At = None
    updated_at__lt: At = None
    order_by: str | None = Field(None, max_length=1000, pattern=ORDER_BY)


COMPARE = {"gte": operator.ge, "lte": operator.le, "gt": operator.gt, "lt": operator.lt}
NOT_FILTERS = {"page", "size", "order_by"}


def list_filters(query: ItemListQuery) -> tuple[list[Any], list[Any]]:
    """The WHERE conditions and ORDER BY columns of a list query."""
    where = []
    for key, value in query.model_dump(exclude_none=True, exclude=NOT_FILTERS).items():
        name, _, op = key.partition("__")
        column = getattr(Item, name)
        where.append(COMPARE[op](column, value) if op else column == value)
    order = []
    for name in query.order_by.split(",") if query.order_by else ():
        column = getattr(Item, name.lstrip("-"))
        order.append(column.desc() if name.startswith("-") else column.asc())
    return where, order


class ItemPage(BaseModel):
    items: list[ItemRead]
    total: int
    page: int
    size: int


def engine_options(url: str) -> dict[str, Any]:
    pre_ping = os.environ.get("POOL_PRE_PING", "true").lower() == "true"
    if make_url(url).get_backend_name() == "sqlite":
        return {"pool_pre_ping": pre_ping}
    return {
        "pool_pre_ping": pre_ping,
        "pool_size": int(os.environ.get("POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("POOL_MAX_OVERFLOW", "10")),
        "pool_timeout": int(os.environ.get("POOL_TIMEOUT", "30")),
    }


sessions: async_sessionmaker[AsyncSession] | None = None


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    global sessions
    url = os.environ["DATABASE_URL"]
    engine = create_async_engine(url, **engine_options(url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    yield
    await engine.dispose()


async def get_session() -> AsyncIterator[AsyncSession]:
    assert sessions is not None
    async with sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]
ItemId = Annotated[int, Path(ge=1, le=INT32)]
app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/items", response_model=ItemRead, status_code=201)
async def create_item(data: ItemCreate, session: Session) -> Item:
    item = Item(**data.model_dump())
    session.add(item)
    await session.commit()
    return item


@app.get("/items/{id}", response_model=ItemRead)
async def read_item(id: ItemId, session: Session) -> Item:
    item = await session.get(Item, id)
    if item is None:
        raise HTTPException(404, f"Item {id} not found")
    return item


@app.get("/items", response_model=ItemPage)
async def list_items(session: Session, query: Annotated[ItemListQuery, Query()]) -> dict[str, Any]:
    where, order = list_filters(query)
    page, size = query.page, query.size
    count = select(func.count()).select_from(Item).where(*where).scalar_subquery()
    statement = select(Item, count).where(*where).order_by(*order, Item.id)
    rows = (await session.execute(statement.offset((page - 1) * size).limit(size))).all()
    if rows:
        total: int = rows[0][1]
    else:  # past the last page: no row carries the total
        total = (await session.execute(select(count))).scalar_one()
    return {"items": [row[0] for row in rows], "total": total, "page": page, "size": size}


@app.patch("/items/{id}", response_model=ItemRead)
async def update_item(id: ItemId, data: ItemUpdate, session: Session) -> Item:
    item = await session.get(Item, id)
    if item is None:
        raise HTTPException(404, f"Item {id} not found")
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(item, name, value)
    await session.commit()
    return item
