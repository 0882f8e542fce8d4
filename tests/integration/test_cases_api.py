"""The rescue-case API on a real server and database: desk, rescuers, companies, scopes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.security import Role
from tests.fixtures.api_server import api_client
from tests.fixtures.dispatch import reset
from tests.fixtures.users import bearer, user_token

pytestmark = pytest.mark.integration

SECRET = "x" * 40


URL: list[str] = []


@pytest.fixture(scope="module")
def url(dispatch_seeded_url: str) -> str:
    URL[:] = [dispatch_seeded_url]
    _headers_of_users()
    return dispatch_seeded_url


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with api_client(url, SECRET) as c:
        yield c


# The headers are made at import (collection) time; on a loaded machine the module's tests
# may run much later, so the tokens live a day.
TOKEN_MINUTES = 24 * 60


def auth(role: Role, company: int | None = None, rescuer: int | None = None) -> dict[str, str]:
    return bearer(user_token(URL[0], SECRET, role, company, rescuer, TOKEN_MINUTES))


DESK: dict[str, str] = {}
OWN: dict[str, str] = {}
OTHER: dict[str, str] = {}
R11: dict[str, str] = {}
R12: dict[str, str] = {}
SUPERVISOR: dict[str, str] = {}


def _headers_of_users() -> None:
    """Fill the module's header dicts with tokens of real users of the test database."""
    DESK.update(auth(Role.DESK))
    OWN.update(auth(Role.COMPANY, company=1))
    OTHER.update(auth(Role.COMPANY, company=2))
    R11.update(auth(Role.RESCUER, rescuer=11))
    R12.update(auth(Role.RESCUER, rescuer=12))
    SUPERVISOR.update(auth(Role.SUPERVISOR))


@pytest.fixture
def case_id(client: httpx.Client, url: str) -> int:
    reset(url)
    r = client.post(
        "/api/v1/cases",
        json={"elevator_code": "44010100001", "caller_phone": "139 0000", "people_trapped": 2},
        headers=DESK,
    )
    assert r.status_code == 201, r.text
    assert r.json()["created"] is True
    return int(r.json()["id"])


def test_desk_call_rescuer_flow_and_timeline(client: httpx.Client, case_id: int) -> None:
    again = client.post("/api/v1/cases", json={"elevator_code": "44010100001"}, headers=DESK)
    assert again.json() == {"id": case_id, "created": False}
    offers = client.get("/api/v1/rescuers/me/offers", headers=R11).json()
    assert [o["case_id"] for o in offers] == [case_id]
    assert client.post(f"/api/v1/cases/{case_id}/accept", headers=R11).json()["state"] == (
        "accepted"
    )
    late = client.post(f"/api/v1/cases/{case_id}/accept", headers=R12)
    assert late.status_code == 409, late.text
    r = client.post("/api/v1/rescuers/me/position", json={"lon": 113.33, "lat": 23.135},
                    headers=R11)  # fmt: skip
    assert r.status_code == 204
    assert client.post(f"/api/v1/cases/{case_id}/arrive", headers=R11).json()["state"] == (
        "on_site"
    )
    r = client.post(f"/api/v1/cases/{case_id}/release", json={"people_released": 2}, headers=R11)
    assert r.json()["state"] == "released"
    assert client.post(f"/api/v1/cases/{case_id}/close", headers=DESK).json()["state"] == "closed"
    detail = client.get(f"/api/v1/cases/{case_id}", headers=OWN).json()
    assert [e["step"] for e in detail["timeline"]] == [
        "reported", "offered", "joined", "accepted", "en_route", "on_site", "released", "closed",
    ]  # fmt: skip
    assert {o["rescuer_id"]: o["state"] for o in detail["offers"]} == {
        11: "accepted", 12: "withdrawn",
    }  # fmt: skip
    ind = client.get("/api/v1/rescue/indicators?by=company", headers=SUPERVISOR).json()
    assert ind[0]["group"] == "1"
    assert ind[0]["arrived"] == 1
    assert ind[0]["share_30min"] == 1.0


def test_scopes(client: httpx.Client, case_id: int) -> None:
    assert client.get(f"/api/v1/cases/{case_id}", headers=OTHER).status_code == 404
    assert client.get("/api/v1/cases", headers=OTHER).json()["items"] == []
    assert [c["id"] for c in client.get("/api/v1/cases", headers=OWN).json()["items"]] == [case_id]
    r11 = auth(Role.RESCUER, rescuer=21)  # not offered this case
    assert client.get(f"/api/v1/cases/{case_id}", headers=r11).status_code == 404
    assert client.post(f"/api/v1/cases/{case_id}/cancel", headers=R11).status_code == 403
    assert client.post(f"/api/v1/cases/{case_id}/accept", headers=OTHER).status_code == 404
    # A company accepts on behalf of its own rescuer, not of another company's.
    r = client.post(f"/api/v1/cases/{case_id}/accept", json={"rescuer_id": 21}, headers=OWN)
    assert r.status_code == 404
    r = client.post(f"/api/v1/cases/{case_id}/accept", json={"rescuer_id": 12}, headers=OWN)
    assert r.status_code == 200
    assert r.json()["rescuer_id"] == 12
    assert client.get("/api/v1/rescue/indicators", headers=OTHER).json() == []


def test_invalid_input_and_transitions_are_4xx(client: httpx.Client, case_id: int) -> None:
    bad = [
        client.post("/api/v1/cases", json={}, headers=DESK),
        client.post("/api/v1/cases", json={"elevator_code": "nope"}, headers=DESK),
        client.post("/api/v1/cases", json={"address": "Road"}, headers=DESK),  # ambiguous
        client.post(
            "/api/v1/cases", json={"elevator_code": "x", "people_trapped": -1}, headers=DESK
        ),
        client.post("/api/v1/cases", json={"elevator_code": "44010100001"}, headers=R11),
        client.get("/api/v1/cases?state=flying", headers=DESK),
        client.get("/api/v1/cases?limit=0", headers=DESK),
        client.get("/api/v1/cases/0", headers=DESK),
        client.get("/api/v1/cases/999999", headers=DESK),
        client.post(f"/api/v1/cases/{case_id}/teleport", headers=DESK),
        client.post(f"/api/v1/cases/{case_id}/release", headers=DESK),  # not on site
        client.post(f"/api/v1/cases/{case_id}/decline", headers=DESK),  # names no rescuer
        client.post("/api/v1/rescuers/me/position", json={"lon": 500, "lat": 0}, headers=R11),
        client.get("/api/v1/rescue/indicators?by=planet", headers=DESK),
        client.get("/api/v1/cases"),
    ]
    codes = [r.status_code for r in bad]
    assert all(400 <= c < 500 for c in codes), codes
    assert codes[1] == 404
    assert codes[2] == 422
    assert codes[4] == 403
    assert codes[10] == 409


def test_webhook_subscriptions_are_per_company(client: httpx.Client, case_id: int) -> None:
    hook = {"url": "http://93.184.215.14:9/hook", "secret": "s" * 20}  # public: accepted
    r = client.post("/api/v1/webhooks", json=hook, headers=OWN)
    assert r.status_code == 201, r.text
    hook_id = r.json()["id"]
    assert client.post("/api/v1/webhooks", json=hook, headers=OWN).status_code == 409
    assert client.post("/api/v1/webhooks", json={**hook, "company_id": 2},
                       headers=OWN).status_code == 403  # fmt: skip
    assert client.get("/api/v1/webhooks", headers=OTHER).json() == []
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=OTHER).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=OWN).status_code == 204
    assert client.post("/api/v1/webhooks", json={"url": "ftp://x", "secret": "short"},
                       headers=OWN).status_code == 422  # fmt: skip
