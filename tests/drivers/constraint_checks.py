"""By-hand checks of the constraints branch's options through the generated API.

Run inside a project generated from tests/data/constraints.yaml, after `forge db upgrade`
(the tables are the migration's), with PYTHONPATH=<project> and DATABASE_URL set. Every
check that fails raises; the last line printed is a JSON list of the checks that passed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
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


def conflict(answer: Any) -> bool:
    body = answer.json()
    return answer.status_code == 409 and body["detail"][0]["type"] == "conflict"


def main() -> None:
    from app.main import app

    with TestClient(app) as client:
        artist = created(client, "/artists", {"name": "Nina"})["id"]
        other = created(client, "/artists", {"name": "Miles"})["id"]
        album = {"title": "Blue", "track_no": 3, "price": "9.99", "artist_id": artist}
        first = created(client, "/albums", album)
        check("numeric storage exact", first["price"] == "9.99", first)
        created(client, "/albums", {**album, "artist_id": other})
        answer = client.post("/albums", json=album)
        check("composite unique refused with 409", conflict(answer), answer.text)
        answer = client.post("/albums", json={**album, "title": "Red", "price": "-1.00"})
        check("check positive_price refused with 409", conflict(answer), answer.text)
        answer = client.post("/albums", json={**album, "title": "Red", "track_no": 1000})
        check("check track_range refused with 409", conflict(answer), answer.text)
        for value in (32768, -32769):
            answer = client.post("/albums", json={**album, "title": "Red", "track_no": value})
            check(f"smallint {value} refused with 422", answer.status_code == 422, answer.text)
        answer = client.patch(f"/albums/{first['id']}", json={"track_no": 40000})
        check("smallint refused on update", answer.status_code == 422, answer.text)
        time.sleep(1.1)  # MySQL's DATETIME keeps whole seconds
        answer = client.patch(f"/albums/{first['id']}", json={"title": "Blue (remastered)"})
        assert answer.status_code == 200, answer.text
        before = dt.datetime.fromisoformat(first["last_update"])
        after = dt.datetime.fromisoformat(answer.json()["last_update"])
        check("onupdate now changes the timestamp", after > before, (before, after))
        check("onupdate on a date", answer.json()["released_on"] is not None, answer.json())
        track = {"name": "Intro", "position": 1, "album_id": first["id"]}
        created(client, "/tracks", track)
        answer = client.post("/tracks", json={**track, "name": "Outro"})
        check("named composite unique refused with 409", conflict(answer), answer.text)
        created(client, "/tracks", {**track, "album_id": None})
        created(client, "/tracks", {**track, "album_id": None, "name": "Loose"})
        check("null in a composite unique is allowed twice", True)
    print(json.dumps(done))


if __name__ == "__main__":
    main()
