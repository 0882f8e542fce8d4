"""The rescuer's phone routes on a real server and database: the screen's read, actions
applied once by their id, arrivals flagged beyond 200 m from the elevator."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest

from api.security import Role
from domain.geo import haversine_m, wgs84_to_gcj02
from tests.fixtures.api_server import api_client
from tests.fixtures.dispatch import LAT, LON, reset
from tests.fixtures.users import bearer, user_token

pytestmark = pytest.mark.integration

SECRET = "y" * 40
DLAT_PER_M = 1 / 111_320


DESK: dict[str, str] = {}
R11: dict[str, str] = {}
R21: dict[str, str] = {}


@pytest.fixture(scope="module")
def url(dispatch_seeded_url: str) -> str:
    """The seeded database, and tokens of real users of it (tokens name users)."""
    DESK.update(bearer(user_token(dispatch_seeded_url, SECRET, Role.DESK)))
    R11.update(bearer(user_token(dispatch_seeded_url, SECRET, Role.RESCUER, rescuer=11)))
    R21.update(bearer(user_token(dispatch_seeded_url, SECRET, Role.RESCUER, rescuer=21)))
    return dispatch_seeded_url


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with api_client(url, SECRET) as c:
        yield c


@pytest.fixture
def case_id(client: httpx.Client, url: str) -> int:
    reset(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE rescuer_actions")
        conn.execute(
            "INSERT INTO elevator_status (elevator_id, ts, seq, car, dir, floor, door_zone,"
            " door, passenger, mode, power) VALUES (1, now(), 1, 0, 0, 7, false, 0, true, 1, 0)"
            " ON CONFLICT (elevator_id) DO UPDATE SET floor = 7, door_zone = false"
        )
    r = client.post(
        "/api/v1/cases",
        json={"elevator_code": "44010100001", "caller_phone": "13912345678", "people_trapped": 3},
        headers=DESK,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def act(client: httpx.Client, who: dict[str, str], **body: Any) -> httpx.Response:
    return client.post("/api/v1/rescuers/me/actions", json=body, headers=who)


def steps(url: str, case_id: int) -> list[tuple[str, dict[str, Any]]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT step, detail FROM case_events WHERE case_id = %s ORDER BY id", (case_id,)
        ).fetchall()
    return [(str(r[0]), dict(r[1])) for r in rows]


def test_offer_then_case_on_the_phone_with_gcj02_navigation(
    client: httpx.Client, case_id: int
) -> None:
    view = client.get("/api/v1/rescuers/me/phone", headers=R11).json()
    assert view["case"] is None
    assert view["arrival_radius_m"] == 200
    offer = next(o for o in view["offers"] if o["case_id"] == case_id)
    assert offer["address"] == "1 Tianhe Road"
    assert offer["people_trapped"] == 3
    assert offer["floor"] == 7
    assert offer["door_zone"] is False
    assert offer["expires_at"] > view["server_time"]
    accepted = act(client, R11, action_id="accept-0001", kind="accept", case_id=case_id)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"
    case = client.get("/api/v1/rescuers/me/phone", headers=R11).json()["case"]
    assert case["id"] == case_id
    assert case["caller_phone"] == "13912345678"
    assert case["floor"] == 7
    glon, glat = wgs84_to_gcj02(LON, LAT)
    nav = case["navigation"]
    assert abs(nav["lon"] - glon) < 1e-5
    assert abs(nav["lat"] - glat) < 1e-5
    assert haversine_m(nav["lon"], nav["lat"], LON, LAT) > 100  # GCJ-02 is not WGS-84
    assert f"position={nav['lon']},{nav['lat']}" in nav["amap"]
    assert "coordinate=gaode" in nav["amap"]
    assert f"location={nav['lat']},{nav['lon']}" in nav["baidu"]
    assert "coord_type=gcj02" in nav["baidu"]
    assert nav["baidu_app"].startswith("baidumap://")


def test_a_resent_action_is_applied_once(client: httpx.Client, url: str, case_id: int) -> None:
    first = act(client, R11, action_id="accept-0002", kind="accept", case_id=case_id)
    again = act(client, R11, action_id="accept-0002", kind="accept", case_id=case_id)
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["replayed"] is False
    assert again.json()["replayed"] is True
    assert again.json()["applied_at"] == first.json()["applied_at"]
    release = {"kind": "release", "case_id": case_id, "note": "门已打开，3人出来"}
    assert act(client, R11, action_id="arrive-0002", kind="arrive", case_id=case_id).is_success
    for _ in range(3):
        assert act(client, R11, action_id="release-0002", **release).status_code == 200
    names = [step for step, _ in steps(url, case_id)]
    assert names.count("accepted") == 1
    assert names.count("released") == 1
    released = next(detail for step, detail in steps(url, case_id) if step == "released")
    assert released["note"] == "门已打开，3人出来"
    reused = act(client, R11, action_id="accept-0002", kind="depart", case_id=case_id)
    assert reused.status_code == 409
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM rescuer_actions WHERE rescuer_id = 11").fetchone()
    assert row is not None
    assert row[0] == 3


def test_a_refused_action_is_not_kept_and_may_be_sent_again(
    client: httpx.Client, case_id: int
) -> None:
    early = act(client, R11, action_id="arrive-0003", kind="arrive", case_id=case_id)
    assert early.status_code == 403  # not accepted yet: the case is not his
    assert act(client, R11, action_id="accept-0003", kind="accept", case_id=case_id).is_success
    later = act(client, R11, action_id="arrive-0003", kind="arrive", case_id=case_id)
    assert later.status_code == 200
    assert later.json()["replayed"] is False


def test_far_arrival_is_flagged_on_the_timeline_and_the_board(
    client: httpx.Client, url: str, case_id: int
) -> None:
    assert act(client, R11, action_id="accept-0004", kind="accept", case_id=case_id).is_success
    far = {"lon": LON, "lat": LAT + 1000 * DLAT_PER_M, "accuracy_m": 15}
    r = act(client, R11, action_id="arrive-0004", kind="arrive", case_id=case_id, position=far)
    assert r.status_code == 200, r.text
    assert r.json()["far"] is True
    assert 990 < r.json()["distance_m"] < 1010
    timeline = steps(url, case_id)
    on_site = next(detail for step, detail in timeline if step == "on_site")
    assert on_site["far"] is True
    assert on_site["position"]["lat"] == pytest.approx(far["lat"])
    assert 990 < on_site["distance_m"] < 1010
    assert [step for step, _ in timeline].count("arrival_far") == 1
    board = client.get("/api/v1/board/cases?active=true", headers=DESK).json()
    card = next(c for c in board["items"] if c["id"] == case_id)
    flagged = [t for t in card["timeline"] if t["step"] == "arrival_far"]
    assert flagged
    assert flagged[0]["detail"]["distance_m"] > 200


def test_near_arrival_is_not_flagged(client: httpx.Client, url: str, case_id: int) -> None:
    assert act(client, R11, action_id="accept-0005", kind="accept", case_id=case_id).is_success
    near = {"lon": LON, "lat": LAT + 150 * DLAT_PER_M}
    r = act(client, R11, action_id="arrive-0005", kind="arrive", case_id=case_id, position=near)
    assert r.status_code == 200, r.text
    assert r.json()["far"] is False
    assert 140 < r.json()["distance_m"] < 160
    assert "arrival_far" not in [step for step, _ in steps(url, case_id)]


def test_scope_other_rescuers_and_roles(client: httpx.Client, case_id: int) -> None:
    assert act(client, R11, action_id="accept-0006", kind="accept", case_id=case_id).is_success
    stranger = act(client, R21, action_id="arrive-0006", kind="arrive", case_id=case_id)
    assert stranger.status_code == 404
    assert client.get("/api/v1/rescuers/me/phone", headers=R21).json()["case"] is None
    desk = act(client, DESK, action_id="arrive-0007", kind="arrive", case_id=case_id)
    assert desk.status_code == 403
    bad = act(client, R11, action_id="x", kind="arrive", case_id=case_id)
    assert bad.status_code == 422
    nul = act(client, R11, action_id="release-0006", kind="release", case_id=case_id, note="a\x00b")
    assert nul.status_code == 422


def test_two_sends_of_one_action_at_once_apply_it_once(
    client: httpx.Client, url: str, case_id: int
) -> None:
    body = {"action_id": "accept-0008", "kind": "accept", "case_id": case_id}
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: act(client, R11, **body), range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    assert sorted(a.json()["replayed"] for a in answers) == [False, True, True, True]
    assert len({a.json()["applied_at"] for a in answers}) == 1
    assert [step for step, _ in steps(url, case_id)].count("accepted") == 1
