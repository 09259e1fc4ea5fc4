"""Compare each entity's new row built by `EntityInfo.new` with the model's own constructor.

Run inside a generated SQLModel project: PYTHONPATH=<project>. For every entity that has a
factory (tests/factories), the factory's values go through the Create schema, as a create
route sends them to the repository; then `EntityInfo.new(values)` and `Model(**values)`
build a row each. Printed last, a JSON object: for each entity, whether `new` took its own
path (not the constructor's) and what differs between the two rows (nothing, when equal):
the instance's attributes in order, their values (of a field whose default is a factory,
its type: a timestamp or a UUID differ from call to call), SQLAlchemy's pending changes of
each attribute, pydantic's fields-set, extra and private values.
"""

import asyncio
import importlib
import json
from pathlib import Path
from typing import Any

from app.core.entity import entity_info
from app.models import metadata
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine


def snapshot(instance: Any, fresh: set[str]) -> dict[str, Any]:
    def shown(name: str, value: Any) -> str:
        return type(value).__name__ if name in fresh else repr(value)

    state = inspect(instance)
    attributes = {k: v for k, v in vars(instance).items() if k != "_sa_instance_state"}
    return {
        "order": list(vars(instance)),
        "values": {name: shown(name, value) for name, value in attributes.items()},
        "pending": {
            name: [shown(name, value) for value in state.attrs[name].history.added]
            for name in state.attrs.keys()
        },
        "fields set": sorted(instance.__pydantic_fields_set__),
        "extra": repr(instance.__pydantic_extra__),
        "private": repr(instance.__pydantic_private__),
        "transient": state.transient,
    }


async def main() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    found: dict[str, Any] = {}
    async with AsyncSession(engine, expire_on_commit=False) as session:
        for path in sorted(Path("tests/factories").glob("[!_]*.py")):
            module = importlib.import_module(f"tests.factories.{path.stem}")
            values = await getattr(module, f"{path.stem}_values")(session)
            schema = next(v for k, v in vars(module).items() if k.endswith("Create"))
            model = schema.__name__.removesuffix("Create")
            model_class = getattr(module, model)
            data = schema(**values).model_dump()
            info = entity_info(model_class)
            fresh = {
                name
                for name, field in model_class.model_fields.items()
                if field.default_factory is not None and name not in data
            }
            ours = snapshot(info.new(dict(data)), fresh)
            theirs = snapshot(model_class(**dict(data)), fresh)
            found[model] = {
                "own path": bool(info._fields),
                "differences": {
                    key: [ours[key], theirs[key]] for key in ours if ours[key] != theirs[key]
                },
            }
    await engine.dispose()
    print(json.dumps(found))


asyncio.run(main())
