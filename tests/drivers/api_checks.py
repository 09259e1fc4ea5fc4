"""By-hand checks of a generated API over HTTP, on whatever database DATABASE_URL names.

Run inside a project generated from tests/data/all_types.yaml (argument `all_types`) or
from the blog example (argument `blog`), with PYTHONPATH=<project>. The tables are created
fresh (dropped first). Every check that fails raises; the last line printed is a JSON list
of the checks that passed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sys
from typing import Any

from fastapi.testclient import TestClient

done: list[str] = []
DRIVER_WORDS = re.compile(
    r"constraint|foreign key|unique|duplicate|integrity|violat|sqlite|mysql|postgres|"
    r"psycopg|asyncpg|errno|\(\d{4},",
    re.I,
)


def check(name: str, condition: bool, detail: Any = "") -> None:
    if not condition:
        raise AssertionError(f"{name}: {detail}")
    done.append(name)


def reset_tables() -> None:
    from app.core.config import Settings
    from app.core.database import DatabaseConnectionManager
    from app.models import metadata

    async def run() -> None:
        manager = DatabaseConnectionManager(Settings())
        manager.initialize()
        async with manager.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
            await connection.run_sync(metadata.create_all)
        await manager.close()

    asyncio.run(run())


def post(client: TestClient, path: str, body: Any) -> Any:
    """A create that must succeed; its answer must be the row as stored, which a read
    answers (whether the create sent RETURNING or the database keeps the row as sent)."""
    answer = client.post(path, json=body)
    assert answer.status_code == 201, (path, body, answer.status_code, answer.text)
    created = answer.json()
    again = client.get(f"{path}/{created['id']}")
    assert again.status_code == 200 and again.json() == created, (path, created, again.text)
    return created


def error_shape(answer: Any) -> bool:
    body = answer.json()
    return (
        isinstance(body, dict)
        and list(body) == ["detail"]
        and isinstance(body["detail"], list)
        and all(set(item) == {"loc", "msg", "type"} for item in body["detail"])
    )


def raw(client: TestClient, method: str, path: str, text: str) -> Any:
    return client.request(
        method, path, content=text.encode(), headers={"content-type": "application/json"}
    )


def all_types(client: TestClient) -> None:
    owner = post(client, "/owners", {"name": "ann", "joined_at": "2026-01-01T12:00:00+05:30"})
    check("instant kept", owner["joined_at"] == "2026-01-01T06:30:00Z", owner["joined_at"])
    again = client.get(f"/owners/{owner['id']}").json()
    check("instant read back", again["joined_at"] == "2026-01-01T06:30:00Z", again)
    check("timestamps have an offset", again["created_at"].endswith("Z"), again["created_at"])
    naive = client.post("/owners", json={"name": "x", "joined_at": "2026-01-01T12:00:00"})
    check("naive datetime refused", naive.status_code == 422 and error_shape(naive), naive.text)
    found = client.get("/owners", params={"joined_at__gte": "2026-01-01T11:00:00+05:00"})
    check("range filter in UTC", [r["id"] for r in found.json()["items"]] == [owner["id"]])
    found = client.get("/owners", params={"joined_at__gte": "2026-01-01T12:00:00+05:00"})
    check("range filter excludes", found.json()["items"] == [], found.text)

    item = {
        "count": 1,
        "score": 1.23456789,
        "price": "9999999999999999.99",
        "at": "2026-03-01T00:00:00-02:00",
        "starts": "12:00:00+05:30",
        "blob": base64.b64encode(bytes(range(256))).decode(),
        "data": {"a": [1, 2.5, None, "x"]},
    }
    made = post(client, "/things", item)
    read = client.get(f"/things/{made['id']}").json()
    check("double precision", read["score"] == 1.23456789, read["score"])
    check("decimal exact", read["price"] == "9999999999999999.99", read["price"])
    check("bytes round-trip", base64.b64decode(read["blob"]) == bytes(range(256)), read["blob"])
    check("datetime to UTC", read["at"] == "2026-03-01T02:00:00Z", read["at"])
    check("time to UTC", read["starts"] in ("06:30:00Z", "06:30:00+00:00"), read["starts"])
    check("json kept", read["data"] == {"a": [1, 2.5, None, "x"]}, read["data"])
    small = post(client, "/things", {**item, "price": "0.01", "blob": None})
    negative = post(client, "/things", {**item, "price": "-5.50", "blob": None})
    order = client.get("/things", params={"order_by": "-price"}).json()["items"]
    check(
        "decimal ordering",
        [r["id"] for r in order] == [made["id"], small["id"], negative["id"]],
        order,
    )
    ranged = client.get("/things", params={"price__gte": "0.01", "price__lt": "1"}).json()
    check("decimal range", [r["id"] for r in ranged["items"]] == [small["id"]], ranged)

    for text in ("NaN", "Infinity", "-Infinity", "1e400"):
        body = json.dumps({**item, "blob": None}).replace("1.23456789", text)
        answer = raw(client, "POST", "/things", body)
        check(f"float {text} refused", answer.status_code == 422 and error_shape(answer), text)
    for field, value in (
        ("count", 2**31),
        ("count", -(2**31) - 1),
        ("big", 2**63 - 1),
        ("shelf_id", 2**31),
        ("count", "5"),
        ("active", 1),
        ("price", 5),
        ("price", "1e3"),
        ("price", "12345678901234567.00"),
        ("price", "1.001"),
        ("blob", "not base64!"),
        ("at", 0),
        ("starts", "0.5"),
    ):
        answer = client.post("/things", json={**item, field: value})
        check(f"{field}={value!r} refused", answer.status_code == 422, answer.text)
    for params in ({"page": 2**70}, {"page": 2**31}, {"size": 101}, {"id": 2**31}):
        answer = client.get("/things", params=params)
        check(f"list {params} refused", answer.status_code == 422, answer.text)
    answer = client.get(f"/things/{2**31}")
    check("id overflow refused", answer.status_code == 422 and error_shape(answer))
    check("id not a number", client.get("/things/abc").status_code == 404)
    nul = client.post("/owners", json={"name": "a\x00b"})
    check("NUL refused", nul.status_code == 422, nul.text)
    long_text = client.post("/owners", json={"name": "long", "notes": "é" * 70_000})
    check("70,000 characters of text stored", long_text.status_code == 201, long_text.text)
    too_long = client.post("/owners", json={"name": "longer", "notes": "x" * 1_000_001})
    check("text limit", too_long.status_code == 422, too_long.status_code)

    def nested(depth: int) -> Any:
        value: Any = 1
        for _ in range(depth):
            value = [value]
        return value

    deep = client.post("/things", json={**item, "data": nested(300)})
    check("deep json refused", deep.status_code == 422 and error_shape(deep), deep.status_code)
    limit = client.post("/things", json={**item, "data": nested(31)})
    check("json at the depth limit stored", limit.status_code == 201, limit.text)
    check("list still readable", client.get("/things", params={"size": 100}).status_code == 200)

    # 409: the field named, no driver text.
    taken = client.post("/owners", json={"name": "ann"})
    check("unique 409", taken.status_code == 409 and error_shape(taken), taken.text)
    check(
        "unique 409 names the field",
        taken.json()["detail"][0] == {
            "loc": ["body", "name"], "msg": "name is already taken", "type": "conflict"
        },
        taken.text,
    )  # fmt: skip
    missing = client.post("/shelves", json={"label": "a", "owner_id": 99999})
    check("reference 409", missing.status_code == 409, missing.text)
    check(
        "reference 409 names the field",
        missing.json()["detail"][0]["loc"] == ["body", "owner_id"]
        and "no owner with id 99999" in missing.json()["detail"][0]["msg"],
        missing.text,
    )
    for answer in (taken, missing):
        check("no driver text", not DRIVER_WORDS.search(answer.text), answer.text)

    # Soft delete applies the relations' on_delete rules.
    bob = post(client, "/owners", {"name": "bob"})
    cat = post(client, "/owners", {"name": "cat"})
    dan = post(client, "/owners", {"name": "dan"})
    owned = post(client, "/shelves", {"label": "owned", "owner_id": bob["id"]})
    curated = post(
        client, "/shelves", {"label": "curated", "owner_id": cat["id"], "curator_id": bob["id"]}
    )
    kept = post(
        client, "/shelves", {"label": "kept", "owner_id": cat["id"], "keeper_id": dan["id"]}
    )
    profile = post(client, "/profiles", {"owner_id": bob["id"]})
    refused = client.delete(f"/owners/{dan['id']}")
    check("restrict refuses while live rows refer", refused.status_code == 409, refused.text)
    check("restrict 409 shape", error_shape(refused) and not DRIVER_WORDS.search(refused.text))
    check("delete owner", client.delete(f"/owners/{bob['id']}").status_code == 204)
    check("soft-deleted owner gone", client.get(f"/owners/{bob['id']}").status_code == 404)
    check("cascade soft-deletes", client.get(f"/shelves/{owned['id']}").status_code == 404)
    check("cascade deletes", client.get(f"/profiles/{profile['id']}").status_code == 404)
    row = client.get(f"/shelves/{curated['id']}").json()
    check("set_null clears", row["curator_id"] is None, row)
    again = client.post("/shelves", json={"label": "late", "owner_id": bob["id"]})
    check("reference to soft-deleted refused", again.status_code == 409, again.text)
    moved = client.patch(f"/shelves/{kept['id']}", json={"keeper_id": bob["id"]})
    check("update to soft-deleted refused", moved.status_code == 409, moved.text)
    check("restrict after children go", client.delete(f"/shelves/{kept['id']}").status_code == 204)
    check("restrict allows then", client.delete(f"/owners/{dan['id']}").status_code == 204)

    # PATCH: a non-nullable field may be left out but not set to null.
    null = client.patch(f"/owners/{cat['id']}", json={"name": None})
    check("PATCH null refused", null.status_code == 422, null.text)
    check("PATCH nothing", client.patch(f"/owners/{cat['id']}", json={}).status_code == 200)

    # Search over searchable fields; unknown query parameters refused.
    post(client, "/owners", {"name": "Searcher", "notes": "likes 100% _wild_ cards"})
    hits = client.get("/owners", params={"search": "100% _wild"}).json()["items"]
    check("search", [h["name"] for h in hits] == ["Searcher"], hits)
    check("search is escaped", client.get("/owners", params={"search": "%"}).json()["total"] == 1)
    unknown = client.get("/owners", params={"colour": "red"})
    check(
        "unknown parameter lists the allowed ones",
        unknown.status_code == 422 and "allowed: page, size" in unknown.text,
        unknown.text,
    )
    check("plural path", client.get("/shelves").status_code == 200)

    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    patch_name = schemas["OwnerUpdate"]["properties"]["name"]
    check("PATCH schema has no null", "anyOf" not in patch_name and patch_name["type"] == "string")
    check("PATCH schema: nullable field", "anyOf" in schemas["OwnerUpdate"]["properties"]["notes"])
    price = schemas["ItemCreate"]["properties"]["price"]
    check("decimal stated", price.get("x-precision") == 18 and price.get("x-scale") == 2, price)
    count = schemas["ItemCreate"]["properties"]["count"]
    check("int32 stated", count["maximum"] == 2**31 - 1 and count["minimum"] == -(2**31))
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            expected = {"422"} | ({"404"} if "{id}" in path else set())
            expected |= {"409"} if method in ("post", "patch", "delete") else set()
            if path != "/health":
                check(f"{method} {path} declares errors", expected <= codes, codes)


def blog(client: TestClient) -> None:
    ann = post(client, "/users", {"username": "ann", "email": "a@x"})
    bob = post(client, "/users", {"username": "bob", "email": "b@x"})
    posts = [
        post(client, "/posts", {"title": t, "body": b, "status": s, "author_id": a["id"]})
        for t, b, s, a in (
            ("b hello world", "text", "draft", ann),
            ("a title", "other", "draft", ann),
            ("c world peace", "text", "published", bob),
            ("d title", "x", "draft", bob),
        )
    ]
    ids = [p["id"] for p in posts]
    found = client.get("/posts", params={"status": "draft", "author_id": ann["id"]}).json()
    check("filter", [p["id"] for p in found["items"]] == ids[:2] and found["total"] == 2, found)
    ordered = client.get("/posts", params={"order_by": "-status,title"}).json()["items"]
    titles = [p["title"] for p in ordered]
    check("sort", titles == ["c world peace", "a title", "b hello world", "d title"], titles)
    newest = client.get("/posts", params={"order_by": "-created_at,title", "size": 1}).json()
    check("sort by created_at", newest["items"][0]["id"] in ids and newest["size"] == 1)
    hits = client.get("/posts", params={"search": "WORLD"}).json()["items"]
    check("search case-insensitive", sorted(p["id"] for p in hits) == [ids[0], ids[2]], hits)
    bad = client.get("/posts", params={"order_by": "nope"})
    check("unknown sort field", bad.status_code == 422 and "title" in bad.text, bad.text)
    shown = client.get("/posts/published")
    check("custom route below the generated ones", shown.status_code == 200, shown.text)
    check("custom route answers", [p["id"] for p in shown.json()] == [ids[2]], shown.text)


def main() -> None:
    from app.main import app

    reset_tables()
    with TestClient(app) as client:
        {"all_types": all_types, "blog": blog}[sys.argv[1]](client)
    print(json.dumps(done))


if __name__ == "__main__":
    main()
