"""A possible entrapment (疑似困人) from the detectors is visible through the API, opens
no case by itself, and the desk confirms it into a rescue case (real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from alarms.repository import raise_alarm
from analytics.detectors import FleetDetector
from api.security import Role
from domain.alarms import AlarmType
from domain.codes import CarStatus, DoorState
from tests.fixtures.api_server import api_client
from tests.fixtures.dispatch import reset
from tests.fixtures.users import bearer, user_token
from tests.unit.analytics.samples import Rows, cols

pytestmark = pytest.mark.integration

SECRET = "p" * 40


def auth(url: str, role: Role, company: int | None = None) -> dict[str, str]:
    return bearer(user_token(url, SECRET, role, company))


@pytest.fixture(scope="module")
def client(dispatch_seeded_url: str) -> Iterator[httpx.Client]:
    with api_client(dispatch_seeded_url, SECRET) as c:
        yield c


def _possible_event() -> tuple[datetime, dict[str, object]]:
    """The detector's possible entrapment: a car that left right after a door cycle
    stops between floors; its presence sensor sees nobody and it has no load cell."""
    rows: Rows = [(0.0, {"door": DoorState.OPEN}), (3.0, {"door": DoorState.CLOSING})]
    rows += [(6.0, {"door": DoorState.CLOSED}), (7.0, {"car": CarStatus.RUNNING})]
    rows += [(12.0, {"car": CarStatus.STOPPED, "zone": False, "floor": 5})]
    rows += [(12.0 + 5 * i, {}) for i in range(1, 10)]
    out = FleetDetector().process(cols(rows, elevator_id=1))
    event = next(e for e in out if e.alarm_type is AlarmType.POSSIBLE_ENTRAPMENT)
    return datetime.fromtimestamp(event.at_ms / 1000, UTC), event.detail


def test_desk_confirms_a_possible_entrapment_into_a_case(
    client: httpx.Client, dispatch_seeded_url: str
) -> None:
    reset(dispatch_seeded_url)
    desk = auth(dispatch_seeded_url, Role.DESK)
    own = auth(dispatch_seeded_url, Role.COMPANY, company=1)
    other = auth(dispatch_seeded_url, Role.COMPANY, company=2)
    at, detail = _possible_event()
    with psycopg.connect(dispatch_seeded_url, autocommit=True) as conn:
        alarm = raise_alarm(conn, 1, AlarmType.POSSIBLE_ENTRAPMENT, at, "telemetry", detail)
        power = raise_alarm(conn, 1, AlarmType.POWER_CUT, at, "telemetry", {})
    # the desk and the elevator's company see it, with the evidence that fired it
    page = client.get("/api/v1/alarms", params={"type": "possible_entrapment"}, headers=desk)
    assert page.status_code == 200, page.text
    [seen] = page.json()["items"]
    assert seen["id"] == alarm.id
    assert seen["detail"]["evidence"] == [
        "trip_after_door_cycle", "door_never_opened", "outside_door_zone",
    ]  # fmt: skip
    assert seen["detail"]["where"] == "between_floors"
    own_page = client.get("/api/v1/alarms", params={"type": "possible_entrapment"}, headers=own)
    assert [a["id"] for a in own_page.json()["items"]] == [alarm.id]
    # no case by itself
    assert client.get("/api/v1/cases", headers=desk).json()["items"] == []
    # only the desk (or an admin) confirms; not an alarm that is no entrapment
    denied = client.post("/api/v1/cases/confirm", json={"alarm_id": alarm.id}, headers=own)
    assert denied.status_code == 403, denied.text
    wrong = client.post("/api/v1/cases/confirm", json={"alarm_id": power.id}, headers=desk)
    assert wrong.status_code == 422, wrong.text
    missing = client.post("/api/v1/cases/confirm", json={"alarm_id": 999999}, headers=desk)
    assert missing.status_code == 404, missing.text
    r = client.post("/api/v1/cases/confirm", json={"alarm_id": alarm.id}, headers=desk)
    assert r.status_code == 201, r.text
    assert r.json()["created"] is True
    case_id = r.json()["id"]
    again = client.post("/api/v1/cases/confirm", json={"alarm_id": alarm.id}, headers=desk)
    assert again.json() == {"id": case_id, "created": False}
    case = client.get(f"/api/v1/cases/{case_id}", headers=own)
    assert case.status_code == 200, case.text
    assert case.json()["source"] == "possible_entrapment"
    assert case.json()["elevator_id"] == 1
    assert client.get(f"/api/v1/cases/{case_id}", headers=other).status_code == 404
