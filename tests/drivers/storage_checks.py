"""By-hand checks of branch sakila-b's `storage:` options through the generated API.

Run inside a project generated from tests/data/storage_types.yaml, after `forge db upgrade`,
with PYTHONPATH=<project> and DATABASE_URL set. `python storage_checks.py` creates rows at
the edges of every range (each read back as sent) and sends values one past them (each
refused with 422); the last line printed is a JSON list of the checks that passed.
`python storage_checks.py rows` prints every film and language as JSON (for comparing a
database before a backup with the one restored from it).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from fastapi.testclient import TestClient

done: list[str] = []


def check(name: str, condition: bool, detail: Any = "") -> None:
    if not condition:
        raise AssertionError(f"{name}: {detail}")
    done.append(name)


def created(client: TestClient, path: str, body: Any) -> Any:
    answer = client.post(path, json=body)
    assert answer.status_code == 201, (path, body, answer.status_code, answer.text)
    return answer.json()


def refused(client: TestClient, path: str, body: Any) -> bool:
    answer = client.post(path, json=body)
    return answer.status_code == 422 and answer.json()["detail"][0]["type"] != "conflict"


def edges(client: TestClient) -> None:
    english = created(client, "/languages", {"name": "English"})["id"]
    film = {"title": "Edge", "rental_rate": "4.99", "language_id": english}

    def round_trip(name: str, field: str, value: Any) -> None:
        row = created(client, "/films", {**film, field: value})
        again = client.get(f"/films/{row['id']}").json()
        check(name, row[field] == value and again[field] == value, (value, row, again))

    for value in (-128, 127):
        round_trip(f"tinyint {value} stored", "rental_duration", value)
    for value in (128, -129):
        check(
            f"tinyint {value} refused with 422",
            refused(client, "/films", {**film, "rental_duration": value}),
        )
    for value in (-(2**23), 2**23 - 1):
        round_trip(f"mediumint {value} stored", "stock", value)
    for value in (2**23, -(2**23) - 1):
        check(
            f"mediumint {value} refused with 422",
            refused(client, "/films", {**film, "stock": value}),
        )
    round_trip("tinytext 255 bytes stored", "blurb", "é" * 127 + "x")
    check(
        "tinytext 256 bytes refused with 422",
        refused(client, "/films", {**film, "blurb": "é" * 128}),
    )
    check(
        "tinytext 256 characters refused with 422",
        refused(client, "/films", {**film, "blurb": "x" * 256}),
    )
    round_trip("text 65535 bytes stored", "description", "é" * 32767 + "x")
    check(
        "text 65536 bytes refused with 422",
        refused(client, "/films", {**film, "description": "é" * 32768}),
    )
    round_trip("mediumtext 200000 bytes stored", "notes", "é" * 100_000)
    round_trip("longtext 300000 bytes stored", "script", "ab" * 150_000)
    for value in ("1970-01-01T00:00:01Z", "2038-01-19T03:14:07Z"):
        round_trip(f"timestamp {value} stored", "shown_at", value)
    for value in ("1970-01-01T00:00:00Z", "2038-01-19T03:14:08Z", "2038-01-19T05:00:00+01:00"):
        check(
            f"timestamp {value} refused with 422",
            refused(client, "/films", {**film, "shown_at": value}),
        )
    round_trip("decimal 99.99 stored", "rental_rate", "99.99")
    check(
        "decimal 100.00 refused with 422",
        refused(client, "/films", {**film, "rental_rate": "100.00"}),
    )
    check("tinyint key 128 refused with 422", client.get("/languages/128").status_code == 422)
    check(
        "mediumint key 8388608 refused with 422", client.get(f"/films/{2**23}").status_code == 422
    )
    check(
        "tinyint foreign key 128 refused with 422",
        refused(client, "/films", {**film, "language_id": 128}),
    )
    row = created(client, "/films", film)
    check(
        "timestamp default now", row["last_update"] is not None and row["rental_duration"] == 3, row
    )


def rows(client: TestClient) -> None:
    films = client.get("/films", params={"size": 100, "order_by": "id"}).json()
    languages = client.get("/languages", params={"size": 100, "order_by": "id"}).json()
    print(json.dumps({"films": films, "languages": languages}, sort_keys=True))


def main() -> None:
    from app.main import app

    with TestClient(app) as client:
        if sys.argv[1:] == ["rows"]:
            rows(client)
            return
        edges(client)
    print(json.dumps(done))


if __name__ == "__main__":
    main()
