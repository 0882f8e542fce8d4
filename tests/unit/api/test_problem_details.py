"""One error shape (RFC 9457 problem details), no database text to clients, security
headers on every response, /docs behind a setting. The app without its lifespan (no
database): routes added here raise what a route could raise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import psycopg
import pytest
from fastapi import FastAPI, Query

from api.app import AppConfig, create_app
from api.config import ApiSettings
from api.headers import content_security_policy, tile_source
from domain.errors import ConflictError

SECRET = "x" * 32
PROBLEM = "application/problem+json"


def _app(**api: object) -> FastAPI:
    config = AppConfig(
        database_url="postgresql://nobody@127.0.0.1:1/none",
        mqtt_url=None,
        jwt_secret=SECRET,
        api=ApiSettings.model_validate(api),
    )
    app = create_app(config)
    app.state.pool = None  # no lifespan here: a route that takes a connection would fail

    @app.get("/boom/operational")
    async def operational() -> None:
        raise psycopg.OperationalError("connection to 10.1.2.3 failed: password for secret")

    @app.get("/boom/database")
    async def database() -> None:
        raise psycopg.errors.UndefinedColumn('column "secret_column" does not exist')

    @app.get("/boom/bug")
    async def bug() -> None:
        raise RuntimeError("internal secret state")

    @app.get("/boom/conflict")
    async def conflict() -> None:
        raise ConflictError("the case is closed")

    @app.get("/boom/validated")
    async def validated(
        bbox: Annotated[str, Query(pattern=r"^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$")],
        zoom: int = 10,
    ) -> None:
        return None

    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(_app()) as c:
        yield c


def _is_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["instance"] == response.request.url.path
    return body  # type: ignore[no-any-return]


async def test_unknown_path_and_wrong_method_are_problems(client: httpx.AsyncClient) -> None:
    _is_problem(await client.get("/api/v1/nothing-here"), 404)
    wrong = await client.put("/api/v1/webhooks")
    _is_problem(wrong, 405)
    # GET and POST of one path are two routes: Allow names both.
    assert {m.strip() for m in wrong.headers["allow"].split(",")} >= {"GET", "POST"}


async def test_validation_errors_carry_the_field_errors(client: httpx.AsyncClient) -> None:
    # (a route of its own: an authenticated one would read the caller's user row first)
    response = await client.get("/boom/validated", params={"bbox": "1,2,3", "zoom": "many"})
    body = _is_problem(response, 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["query", "bbox"], "string_pattern_mismatch"),
        (["query", "zoom"], "int_parsing"),
    ]


async def test_unauthenticated_is_a_problem_with_its_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/auth/me")
    _is_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_database_text_never_reaches_the_client(client: httpx.AsyncClient) -> None:
    unavailable = await client.get("/boom/operational")
    _is_problem(unavailable, 503)
    assert unavailable.headers["retry-after"]
    broken = await client.get("/boom/database")
    _is_problem(broken, 500)
    bug = await client.get("/boom/bug")
    _is_problem(bug, 500)
    for response in (unavailable, broken, bug):
        assert "secret" not in response.text
        assert "10.1.2.3" not in response.text


async def test_domain_error_kinds_map_once(client: httpx.AsyncClient) -> None:
    body = _is_problem(await client.get("/boom/conflict"), 409)
    assert body["detail"] == "与当前状态冲突（the case is closed）"  # zh-CN by default
    english = await client.get("/boom/conflict", headers={"Accept-Language": "en"})
    assert _is_problem(english, 409)["detail"] == "the case is closed"


async def test_security_headers_on_every_response_errors_included(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await client.get("/"),
        await client.get("/static/app.js"),
        await client.get("/api/v1/nothing-here"),
        await client.get("/boom/bug"),  # answered outside the middleware stack
        await client.get("/openapi.json"),
    ):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp
        assert "style-src 'self';" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_docs_page_admits_only_its_own_inline_script(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    csp = docs.headers["content-security-policy"]
    assert "'sha256-" in csp
    assert "unsafe-inline" not in csp


async def test_docs_and_document_behind_the_setting() -> None:
    async with _client(_app(expose_docs=False)) as hidden:
        assert (await hidden.get("/openapi.json")).status_code == 404
        assert (await hidden.get("/docs")).status_code == 404
    async with _client(_app(expose_docs=True)) as shown:
        assert (await shown.get("/openapi.json")).status_code == 200


def test_build_app_exposes_docs_in_the_demo_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from liftwatch.services import build_app
    from liftwatch.settings import Settings

    monkeypatch.setenv("LIFTWATCH_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("LIFTWATCH_API__JWT_SECRET", SECRET)
    service = build_app(Settings())
    demo = build_app(Settings(embedded=True))
    assert service.openapi_url is None
    assert demo.openapi_url == "/openapi.json"
    monkeypatch.setenv("LIFTWATCH_API__EXPOSE_DOCS", "true")
    assert build_app(Settings()).openapi_url == "/openapi.json"


def test_tile_hosts_in_the_image_sources() -> None:
    assert tile_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://*.tile.openstreetmap.org"
    )
    assert tile_source("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}") == (
        "https://*.is.autonavi.com"
    )
    assert tile_source("") is None
    csp = content_security_policy("https://tiles.example.cn:8443/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://tiles.example.cn:8443;" in csp


def test_every_documented_error_is_a_problem() -> None:
    document = _app().openapi()
    assert "Problem" in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" in responses or not operation.get("parameters"), (method, path)
            for code, response in responses.items():
                if int(code) >= 400 and path != "/api/v1/health":  # its 503 is a Health
                    assert list(response["content"]) == [PROBLEM], (method, path, code)
            if operation.get("security"):
                assert "401" in responses, (method, path)
