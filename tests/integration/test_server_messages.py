"""Server messages in the caller's language on a real server and database (docs/ui.md):
a wrong login, a throttled login, a hazard step by the wrong role and a user-unit error
come back as problem details in Simplified Chinese by default and in English with
``Accept-Language: en``, with their statuses and values kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from api.config import ApiSettings, LoginSettings
from tests.browser.seed import SeededFleet, api_server, seed_fleet, token
from tests.fixtures.users import bearer

pytestmark = pytest.mark.integration

# A name is throttled after two failures; the address limit stays out of the way.
SETTINGS = ApiSettings(
    login=LoginSettings(name_burst=2, lockout_after=2, address_burst=1000, address_per_min=60_000)
)
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
TIMEOUT = 120  # argon2 on two busy cores


@dataclass
class Env:
    base: str
    fleet: SeededFleet
    client: httpx.Client

    def login(self, username: str, password: str, **headers: str) -> httpx.Response:
        return self.client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}, headers=headers
        )


@pytest.fixture(scope="module")
def env(make_database: Callable[[], str]) -> Iterator[Env]:
    url = make_database()
    fleet = seed_fleet(url, per_district=1)
    with (
        api_server(url, SETTINGS) as server,
        httpx.Client(base_url=server.base_url, timeout=TIMEOUT) as client,
    ):
        yield Env(server.base_url, fleet, client)


def problem(r: httpx.Response, status: int, path: str) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert body["instance"] == path
    assert body["title"]
    detail = body["detail"]
    assert isinstance(detail, str)
    return detail


def test_a_wrong_login_in_chinese_then_english(env: Env) -> None:
    zh = problem(env.login("nobody-1", "wrong-password"), 401, "/api/v1/auth/token")
    assert zh == "用户名或密码错误"
    en = problem(env.login("nobody-2", "wrong-password", **ENGLISH), 401, "/api/v1/auth/token")
    assert en == "wrong username or password"


def test_a_throttled_login_in_chinese_then_english(env: Env) -> None:
    codes = []
    for _ in range(6):  # two failures lock the name; the next attempts wait
        r = env.login("guessed-name", "wrong-password")
        codes.append(r.status_code)
        if r.status_code == 429:
            break
    assert codes[-1] == 429, codes
    assert problem(r, 429, "/api/v1/auth/token") == "登录尝试过多，请稍后再试"
    assert int(r.headers["Retry-After"]) > 0
    r = env.login("guessed-name", "wrong-password", **ENGLISH)
    assert problem(r, 429, "/api/v1/auth/token") == "too many login attempts; retry later"


def test_a_hazard_step_by_the_wrong_role_names_role_step_and_party(env: Env) -> None:
    supervisor = bearer(token(env.base, "supervisor"))
    company = bearer(token(env.base, "company1"))
    elevator = env.fleet.of_company(1)[0]
    r = env.client.post(
        "/api/v1/hazards",
        headers=supervisor,
        json={
            "elevator_id": elevator,
            "source": "spot_check",
            "category": "brake",
            "description": "制动器间隙超标",
        },
    )
    assert r.status_code == 201, r.text
    hid = r.json()["id"]
    path = f"/api/v1/hazards/{hid}/actions"
    r = env.client.post(path, headers=company, json={"action": "verify"})
    assert problem(r, 403, path) == "维保单位不能对维保单位负责的隐患执行“验收”"
    r = env.client.post(path, headers={**company, **ENGLISH}, json={"action": "verify"})
    assert problem(r, 403, path) == (
        "a maintenance company may not verify a hazard for the maintenance company"
    )
    # A step the state does not allow: 409, both names translated.
    r = env.client.post(path, headers=company, json={"action": "start"})
    assert problem(r, 409, path) == "隐患当前为“已上报”，不能执行“开始整改”"


def test_a_units_error_keeps_its_value(env: Env) -> None:
    supervisor = bearer(token(env.base, "supervisor"))
    path = "/api/v1/units/987654"
    assert problem(env.client.get(path, headers=supervisor), 404, path) == "未找到使用单位 987654"
    r = env.client.get(path, headers={**supervisor, **ENGLISH})
    assert problem(r, 404, path) == "user unit 987654 not found"


def test_a_request_without_credentials_is_told_so_in_its_language(env: Env) -> None:
    path = "/api/v1/elevators"
    zh = problem(env.client.get(path), 401, path)
    assert zh == "未登录：请提供访问令牌或 X-API-Key"
    en = problem(env.client.get(path, headers=ENGLISH), 401, path)
    assert en == "not authenticated: send a bearer token or an X-API-Key header"
