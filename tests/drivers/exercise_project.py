"""Exercise a generated project through its own CRUD and repository classes.

Run inside the project (PYTHONPATH=<project>, DATABASE_URL=<a migrated database>).
It reads forge.yaml itself and applies the naming rules as the README documents them,
so it checks the generator instead of repeating it:

- every entity: create, read (in a fresh session), update, find_by/count/exists, delete;
- every relation: traversed from both sides (when an inverse is declared);
- every foreign key: `on_delete` behaves as declared (cascade, set_null, restrict/none).

Prints a JSON summary of what it checked; any failed check raises (non-zero exit).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from app.core.database import DatabaseConnectionManager
from ruamel.yaml import YAML
from sqlalchemy.exc import IntegrityError

checks: dict[str, int] = {"crud": 0, "relations": 0, "inverses": 0, "on_delete": 0, "m2m_delete": 0}


def snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Entity:
    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        module = snake(name)
        self.name = name
        self.spec = spec
        self.crud = getattr(importlib.import_module(f"app.crud.{module}"), f"{name}CRUD")
        self.repository = getattr(
            importlib.import_module(f"app.repositories.{module}_repository"), f"{name}Repository"
        )
        schemas = importlib.import_module(f"app.schemas.{module}")
        self.create_schema = getattr(schemas, f"{name}Create")
        self.update_schema = getattr(schemas, f"{name}Update")
        factories = importlib.import_module(f"tests.factories.{module}")
        self.values = getattr(factories, f"{module}_values")

    def fields(self) -> dict[str, dict[str, Any]]:
        raw = self.spec.get("fields") or {}
        return {k: ({"type": v} if isinstance(v, str) else v) for k, v in raw.items()}


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dt.datetime) and isinstance(actual, dt.datetime):
        # SQLite keeps no time zone: compare the UTC wall-clock time.
        def naive(value: dt.datetime) -> dt.datetime:
            return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value

        return naive(expected) == naive(actual)
    return bool(expected == actual)


class Driver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.entities = {name: Entity(name, body or {}) for name, body in spec["entities"].items()}
        self.manager = DatabaseConnectionManager()
        self.manager.initialize()

    def session(self) -> Any:
        return self.manager.sessionmaker()

    async def make(self, entity: Entity, **overrides: Any) -> int:
        async with self.session() as session:
            values = await entity.values(session)
            values.update(overrides)
            row = await entity.crud(session).create(entity.create_schema(**values))
            return int(row.id)

    async def load(self, entity: Entity, id: int, *relations: str) -> Any:
        async with self.session() as session:
            row = await entity.repository(session).find(id, load=list(relations))
            assert row is not None, f"{entity.name} {id} not found"
            return row

    async def exists(self, entity: Entity, id: int) -> bool:
        async with self.session() as session:
            return bool(await entity.repository(session).exists({"id": id}))

    # ------------------------------------------------------------------ CRUD

    async def crud(self, entity: Entity) -> None:
        async with self.session() as session:
            values = await entity.values(session)
            created = await entity.crud(session).create(entity.create_schema(**values))
            id = created.id
        async with self.session() as session:
            row = await entity.crud(session).get_by_id(id)
            assert row is not None, f"{entity.name}: created row {id} not found"
            for name, value in values.items():
                assert same(
                    value, getattr(row, name)
                ), f"{entity.name}.{name}: wrote {value!r}, read {getattr(row, name)!r}"
            repository = entity.repository(session)
            assert await repository.count({"id": id}) == 1
            assert await repository.exists({"id": id})
            first = next(iter(values), None)
            if first is not None:
                found = await repository.find_by({first: values[first]})
                assert id in [r.id for r in found], f"{entity.name}.find_by({first}) missed {id}"
        probe = next(
            (
                name
                for name, field in entity.fields().items()
                if field["type"] in ("str", "text") and not field.get("unique")
            ),
            None,
        )
        if probe is not None:
            async with self.session() as session:
                updated = await entity.crud(session).update(
                    id, entity.update_schema(**{probe: "updated"})
                )
                assert updated is not None
            async with self.session() as session:
                row = await entity.crud(session).get_by_id(id)
                assert row is not None and getattr(row, probe) == "updated"
        nullable = [name for name, field in entity.fields().items() if field.get("nullable")]
        if nullable:
            async with self.session() as session:
                await entity.crud(session).update(
                    id, entity.update_schema(**{name: None for name in nullable})
                )
            async with self.session() as session:
                repository = entity.repository(session)
                for name in nullable:
                    found = [r.id for r in await repository.find_by({name: None})]
                    assert id in found, f"{entity.name}.{name} set to null is not IS NULL"
        async with self.session() as session:
            assert await entity.crud(session).delete(id) is True
        async with self.session() as session:
            assert await entity.crud(session).get_by_id(id) is None
        checks["crud"] += 1

    # ------------------------------------------------------------- relations

    async def relation(self, source: Entity, name: str, relation: dict[str, Any]) -> None:
        kind = relation["kind"]
        target = self.entities[relation["target"]]
        inverse = relation.get("inverse")
        if kind in ("many_to_one", "one_to_one"):
            parent = await self.make(target)
            child = await self.make(source, **{f"{name}_id": parent})
            row = await self.load(source, child, name)
            assert getattr(row, name).id == parent, f"{source.name}.{name} does not lead to parent"
            if inverse:
                back = getattr(await self.load(target, parent, inverse), inverse)
                if kind == "many_to_one":
                    assert child in [r.id for r in back], f"{target.name}.{inverse} misses child"
                else:
                    assert back is not None and back.id == child, f"{target.name}.{inverse}"
                checks["inverses"] += 1
            await self.on_delete(
                parent_entity=target,
                parent=parent,
                child_entity=source,
                child=child,
                column=f"{name}_id",
                relation=relation,
            )
        elif kind == "one_to_many":
            column = f"{inverse or snake(source.name)}_id"
            parent = await self.make(source)
            child = await self.make(target, **{column: parent})
            items = getattr(await self.load(source, parent, name), name)
            assert child in [r.id for r in items], f"{source.name}.{name} misses the child"
            if inverse:
                back = getattr(await self.load(target, child, inverse), inverse)
                assert back is not None and back.id == parent, f"{target.name}.{inverse}"
                checks["inverses"] += 1
            await self.on_delete(
                parent_entity=source,
                parent=parent,
                child_entity=target,
                child=child,
                column=column,
                relation=relation,
            )
        else:
            await self.many_to_many(source, name, target, inverse)
        checks["relations"] += 1

    async def many_to_many(
        self, source: Entity, name: str, target: Entity, inverse: str | None
    ) -> None:
        owner = await self.make(source)
        first, second = await self.make(target), await self.make(target)
        async with self.session() as session:
            row = await source.repository(session).find(owner, load=[name])
            targets = target.repository(session)
            for id in (first, second):
                getattr(row, name).append(await targets.find(id))
            await session.commit()
        items = getattr(await self.load(source, owner, name), name)
        assert sorted(r.id for r in items) == sorted([first, second]), f"{source.name}.{name}"
        if inverse:
            back = getattr(await self.load(target, first, inverse), inverse)
            assert owner in [r.id for r in back], f"{target.name}.{inverse} misses the owner"
            checks["inverses"] += 1
        # Deleting one side removes its link rows and keeps the other side's rows.
        async with self.session() as session:
            assert await source.crud(session).delete(owner)
        assert await self.exists(target, first) and await self.exists(target, second)
        if inverse:
            back = getattr(await self.load(target, first, inverse), inverse)
            assert owner not in [r.id for r in back], "link row survived its owner"
        checks["m2m_delete"] += 1

    async def on_delete(
        self,
        *,
        parent_entity: Entity,
        parent: int,
        child_entity: Entity,
        child: int,
        column: str,
        relation: dict[str, Any],
    ) -> None:
        rule = relation.get("on_delete")
        async with self.session() as session:
            if rule in ("cascade", "set_null"):
                assert await parent_entity.crud(session).delete(parent)
            else:
                try:
                    await parent_entity.crud(session).delete(parent)
                except IntegrityError:
                    await session.rollback()
                else:
                    raise AssertionError(
                        f"deleting a referenced {parent_entity.name} was allowed although "
                        f"on_delete is {rule or 'not set (restrict)'}"
                    )
        if rule == "cascade":
            assert not await self.exists(child_entity, child), "cascade left the child"
        elif rule == "set_null":
            row = await self.load(child_entity, child)
            assert getattr(row, column) is None, "set_null kept the foreign key"
        else:
            assert await self.exists(parent_entity, parent), "restrict lost the parent"
            assert await self.exists(child_entity, child), "restrict lost the child"
        checks["on_delete"] += 1

    async def run(self) -> None:
        try:
            for entity in self.entities.values():
                await self.crud(entity)
            for entity in self.entities.values():
                for name, relation in (entity.spec.get("relations") or {}).items():
                    await self.relation(entity, name, relation)
        finally:
            await self.manager.close()


def main() -> None:
    spec = YAML(typ="safe", pure=True).load(Path("forge.yaml").read_text(encoding="utf-8"))
    asyncio.run(Driver(spec).run())
    json.dump(checks, sys.stdout)


if __name__ == "__main__":
    main()
