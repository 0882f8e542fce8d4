"""维保签到 on a real server and database: check-in by code or by position within 200 m,
check-out with the mandatory checklist items, scoping to the company's own work orders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from accounts.repository import Scope, create_user
from api.security import Principal, Role, create_token
from maintenance.checkin_items import HALF_MONTHLY
from tests.fixtures.api_server import api_client
from tests.fixtures.dispatch import LAT, LON

pytestmark = pytest.mark.integration

SECRET = "z" * 40
DLAT_PER_M = 1 / 111_320
CODE_1 = "CodeOfLift01"  # elevator 1's current sticker
OLD_CODE_1 = "OldCodeLift1"  # its replaced one
CODE_2 = "CodeOfLift02"
MANDATORY = [item.key for item in HALF_MONTHLY if item.mandatory]


HEADERS: dict[str, dict[str, str]] = {}


def named_token(url: str, name: str, role: Role, company: int | None, rescuer: int | None) -> str:
    """A token of the user ``name`` (created when missing): tokens name real users."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            """INSERT INTO users (username, password_hash, role, company_id, rescuer_id)
               VALUES (%s, '!', %s, %s, %s)
               ON CONFLICT (username) DO UPDATE SET username = EXCLUDED.username
               RETURNING id, token_version""",
            (name, role.value, company, rescuer),
        ).fetchone()
    assert row is not None
    principal = Principal(name, role, company, rescuer, user_id=int(row[0]))
    return create_token(SECRET, principal, 30, int(row[1]))


def auth(name: str) -> dict[str, str]:
    return HEADERS[name]


PEOPLE: dict[str, tuple[Role, int | None, int | None]] = {
    "wang": (Role.TECHNICIAN, 1, None),
    "li": (Role.TECHNICIAN, 1, None),
    "zhao": (Role.TECHNICIAN, 2, None),
    "sup": (Role.SUPERVISOR, None, None),
    "r11": (Role.RESCUER, None, 11),
}


@pytest.fixture(scope="module")
def url(dispatch_seeded_url: str) -> str:
    with psycopg.connect(dispatch_seeded_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO public_codes (code, elevator_id, issued_at, retired_at) VALUES"
            " (%s, 1, now(), NULL), (%s, 1, now() - interval '1 day', now()),"
            " (%s, 2, now(), NULL)",
            (CODE_1, OLD_CODE_1, CODE_2),
        )
    for name, (role, company, rescuer) in PEOPLE.items():
        token = named_token(dispatch_seeded_url, name, role, company, rescuer)
        HEADERS[name] = {"Authorization": f"Bearer {token}"}
    return dispatch_seeded_url


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with api_client(url, SECRET) as c:
        yield c


@pytest.fixture
def order(url: str) -> int:
    """A fresh half-monthly work order of company 1 for elevator 1, due in 3 days."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM maintenance_checkins")
        conn.execute("DELETE FROM maintenance_records")
        conn.execute("DELETE FROM work_orders")
        row = conn.execute(
            "INSERT INTO work_orders (elevator_id, company_id, level, due_date)"
            " VALUES (1, 1, 'half_monthly', current_date + 3) RETURNING id"
        ).fetchone()
    assert row is not None
    return int(row[0])


def at(metres_north: float, accuracy: float = 10) -> dict[str, Any]:
    return {"lon": LON, "lat": LAT + metres_north * DLAT_PER_M, "accuracy_m": accuracy}


def check_in(client: httpx.Client, order: int, who: dict[str, str], **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/work-orders/{order}/check-in", json=body, headers=who)


def check_out(client: httpx.Client, order: int, who: dict[str, str], **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/work-orders/{order}/check-out", json=body, headers=who)


def distance_in(response: httpx.Response) -> int:
    found = re.search(r"the phone is (\d+) m from the elevator", response.text)
    assert found, response.text
    return int(found.group(1))


def work_order_state(url: str, order: int) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT state FROM work_orders WHERE id = %s", (order,)).fetchone()
    assert row is not None
    return str(row[0])


def test_check_in_beyond_200_m_without_code_is_refused(
    client: httpx.Client, url: str, order: int
) -> None:
    far = check_in(client, order, auth("wang"), position=at(350))
    assert far.status_code == 422
    assert 340 < distance_in(far) < 360
    assert "more than 200 m" in far.text
    nothing = check_in(client, order, auth("wang"))
    assert nothing.status_code == 422
    assert "scan the elevator's code" in nothing.text
    assert (
        client.get(f"/api/v1/work-orders/{order}/check-in", headers=auth("wang")).status_code == 404
    )
    assert work_order_state(url, order) == "open"


def test_check_in_by_position_then_finish_with_every_mandatory_item(
    client: httpx.Client, url: str, order: int
) -> None:
    started = check_in(client, order, auth("wang"), position=at(120))
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["start_method"] == "position"
    assert body["start_on_site"] is True
    assert 110 < body["start_distance_m"] < 130
    assert body["technician"] == "wang"
    assert body["finished_at"] is None
    assert work_order_state(url, order) == "in_progress"
    assert check_in(client, order, auth("wang"), position=at(10)).json() == body  # a repeat
    missing = check_out(client, order, auth("wang"), position=at(20), items=MANDATORY[1:])
    assert missing.status_code == 422
    assert missing.json()["detail"] == "以下必检项目未勾选：A1-01"  # zh-CN by default
    nul = check_out(client, order, auth("wang"), position=at(20), items=MANDATORY, findings="a\x00")
    assert nul.status_code == 422
    unknown = check_out(client, order, auth("wang"), position=at(20), items=[*MANDATORY, "Z9-99"])
    assert unknown.status_code == 422
    assert "Z9-99" in unknown.text
    far = check_out(client, order, auth("wang"), position=at(900), items=MANDATORY)
    assert far.status_code == 422
    assert 890 < distance_in(far) < 910
    assert work_order_state(url, order) == "in_progress"
    done = check_out(client, order, auth("wang"), position=at(30), items=MANDATORY, findings="正常")
    assert done.status_code == 200, done.text
    finished = done.json()
    assert finished["finish_on_site"] is True
    assert 25 < finished["finish_distance_m"] < 35
    assert finished["on_time"] is True
    assert finished["record_id"] is not None
    assert finished["finished_at"] >= finished["started_at"]
    assert finished["items"] == MANDATORY
    assert work_order_state(url, order) == "done"
    with psycopg.connect(url) as conn:
        record = conn.execute(
            "SELECT technician, started_at, ended_at, items, findings FROM maintenance_records"
            " WHERE work_order_id = %s",
            (order,),
        ).fetchone()
    assert record is not None
    assert record[0] == "wang"
    assert record[4] == "正常"
    assert record[1].isoformat().startswith(finished["started_at"][:19])
    assert len(record[3]) == len(MANDATORY)
    assert record[3][0].startswith("A1-01 机房")
    again = check_out(client, order, auth("wang"), position=at(30), items=MANDATORY)
    assert again.json() == finished  # a repeat does not write a second record


def test_check_in_by_code_proves_presence_whatever_the_position(
    client: httpx.Client, order: int
) -> None:
    other = check_in(client, order, auth("wang"), code=CODE_2)
    assert other.status_code == 422
    assert "another elevator" in other.text
    old = check_in(client, order, auth("wang"), code=OLD_CODE_1)
    assert old.status_code == 422
    assert "replaced" in old.text
    unknown = check_in(client, order, auth("wang"), code="NoSuchCode99")
    assert unknown.status_code == 422
    assert "unknown elevator code" in unknown.text
    url_code = check_in(client, order, auth("wang"), code=f"https://lift.example/e/{CODE_1}",
                        position=at(600))  # fmt: skip
    assert url_code.status_code == 200, url_code.text
    body = url_code.json()
    assert body["start_method"] == "code"
    assert body["start_on_site"] is True
    assert 590 < body["start_distance_m"] < 610  # kept, but the code decides
    finished = check_out(client, order, auth("wang"), code=CODE_1, items=MANDATORY)
    assert finished.status_code == 200, finished.text
    assert finished.json()["finish_method"] == "code"


def test_scoped_to_the_company_and_to_the_technician_who_checked_in(
    client: httpx.Client, order: int
) -> None:
    assert check_in(client, order, auth("zhao"), code=CODE_1).status_code == 404
    listed = client.get("/api/v1/technicians/me/work-orders", headers=auth("zhao")).json()
    assert order not in [o["id"] for o in listed]
    mine = client.get(
        "/api/v1/technicians/me/work-orders", params={"lon": LON, "lat": LAT}, headers=auth("wang")
    ).json()
    assert [o["id"] for o in mine] == [order]
    assert mine[0]["distance_m"] < 1
    assert check_in(client, order, auth("wang"), code=CODE_1).status_code == 200
    assert check_in(client, order, auth("li"), code=CODE_1).status_code == 409
    assert check_out(client, order, auth("li"), code=CODE_1, items=MANDATORY).status_code == 403
    assert check_out(client, order, auth("zhao"), code=CODE_1, items=MANDATORY).status_code == 404
    assert check_in(client, order, auth("r11"), code=CODE_1).status_code == 403
    seen = client.get(f"/api/v1/work-orders/{order}/check-in", headers=auth("sup"))
    assert seen.status_code == 200
    assert seen.json()["technician"] == "wang"
    hidden = client.get(f"/api/v1/work-orders/{order}/check-in", headers=auth("zhao"))
    assert hidden.status_code == 404


def test_checklist_and_technician_accounts(client: httpx.Client, url: str) -> None:
    items = client.get("/api/v1/maintenance/checklist", headers=auth("wang")).json()
    assert len(items) == 31
    assert items[0]["name"] == "机房、滑轮间环境"
    assert [i["key"] for i in items if i["mandatory"]] == MANDATORY
    with psycopg.connect(url, autocommit=True) as conn:
        account = create_user(conn, "tech-wang", "x", Scope("technician", 1, None))
        assert account.role == "technician"
        assert account.company_id == 1
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "INSERT INTO users (username, password_hash, role) VALUES ('t2', 'x', 'technician')"
            )
