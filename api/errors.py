"""One error shape for every response: RFC 9457 problem details.

Every error the API sends is ``application/problem+json``::

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "case 7 not found", "instance": "/api/v1/cases/7"}

and a 422 adds ``errors``, the field errors (``loc``, ``msg``, ``type``). Deliberate
errors of the packages (the kinds of :mod:`domain.errors`) map to statuses here, once;
FastAPI's own validation errors, unknown paths (404) and methods (405) use the same
shape. Database error text never reaches a client: it is logged, and the client gets a
generic problem (503 when the database is unreachable or busy, 500 otherwise).

Routes document their error statuses with :func:`problem_responses` (or
:func:`problem_response`, with the route's own reason), and a success that is not the
response model's JSON (GeoJSON, CSV, files) with :func:`media_response`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from domain.errors import (
    ConflictError,
    InvalidRequestError,
    LiftwatchError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)
from i18n import error_message, has, negotiate, translate, validation_errors

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    """One invalid field of a request (a 422's ``errors``)."""

    loc: list[str | int] = Field(description="where: body/query/path/header, then the field")
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error response."""

    type: str = Field("about:blank", description="a URI naming the kind of problem")
    title: str = Field(description="the HTTP status phrase")
    status: int = Field(ge=100, le=599)
    detail: str = Field("", description="what went wrong, for a person")
    instance: str = Field("", description="the request path")
    errors: list[FieldError] | None = Field(None, description="field errors (422 only)")


_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request",
    401: "Not authenticated (no or invalid token or API key)",
    403: "Authenticated, but the role or scope does not allow it",
    404: "Not found, or not visible to the caller",
    405: "Method not allowed",
    409: "Conflicts with the current state",
    413: "Request too large",
    422: "Invalid input (field errors in `errors`)",
    429: "Too many requests (see Retry-After)",
    500: "Internal error (logged)",
    503: "Service unavailable (database or broker), retry shortly",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` documentation of the given error statuses (problem details)."""
    return {
        code: {
            "description": _DESCRIPTIONS.get(code, HTTPStatus(code).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


def problem_schemas() -> dict[str, Any]:
    """The JSON schemas of :class:`Problem` and :class:`FieldError`, for the document's
    ``components.schemas`` (referenced by :func:`problem_responses`)."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {**defs, "Problem": schema}


def document_problem_bodies(document: dict[str, Any]) -> None:
    """Every error response of the document (4xx, 5xx) has the problem details body,
    whatever a route's own ``responses=`` said of it (a description alone, say), except
    a status documented with a model of its own (``{"model": ...}``: /health's 503 is
    the degraded health report, not an error)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                if str(code)[:1] in ("4", "5") and not _own_model(response):
                    response["content"] = {
                        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }
                    response.setdefault("description", _DESCRIPTIONS.get(int(code), "error"))


def problem_response(code: int, description: str) -> dict[int | str, dict[str, Any]]:
    """One error status documented with the route's own reason (a 409's cases, say)."""
    documented = problem_responses(code)
    documented[code]["description"] = description
    return documented


def media_response(description: str, *media_types: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` documentation of a 200 that is not (only) the response model's
    JSON: GeoJSON, CSV, SVG, a file. A ``text/*`` body is documented as a string."""
    content = {
        media: {"schema": {"type": "string"}} if media.startswith("text/") else {}
        for media in media_types
    }
    return {200: {"description": description, "content": content}}


def model_response(code: int, model: type[BaseModel], description: str) -> dict[int | str, Any]:
    """A non-2xx status whose body is the route's own model, not a problem (/health's
    503: the degraded health report); :func:`document_problem_bodies` leaves it be."""
    return {code: {"model": model, "description": description}}


def _own_model(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    own = schema.get("$ref", "/Problem").rsplit("/", 1)[-1]
    return own not in ("Problem", "HTTPValidationError")  # FastAPI's default 422


# What a signed-in caller's route can answer besides its success.
# (400: a body that cannot be parsed at all.)
AUTHENTICATED = problem_responses(400, 401, 403, 422, 500, 503)
# A public route (no sign-in).
PUBLIC = problem_responses(400, 422, 500, 503)
# Routes that look something up: it may not exist, or not be visible to the caller.
NOT_FOUND = problem_responses(404)
# Routes that change state: the change may conflict with the current state.
NOT_FOUND_OR_CONFLICT = problem_responses(404, 409)


def problem(
    request: Request,
    code: int,
    detail: str = "",
    *,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=HTTPStatus(code).phrase,
        status=code,
        detail=detail,
        instance=request.url.path,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=code,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def request_lang(request: Request) -> str:
    """The language of the caller's messages: Accept-Language, else zh-CN (docs/ui.md)."""
    return negotiate(request.headers.get("accept-language"))


# The one mapping from the kinds of domain.errors to HTTP statuses (most specific first).
STATUS_OF_KIND: tuple[tuple[type[LiftwatchError], int], ...] = (
    (NotFoundError, status.HTTP_404_NOT_FOUND),
    (ConflictError, status.HTTP_409_CONFLICT),
    (InvalidRequestError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (PermissionDeniedError, status.HTTP_403_FORBIDDEN),
    (UnavailableError, status.HTTP_503_SERVICE_UNAVAILABLE),
)


def status_of(exc: LiftwatchError) -> int:
    """The HTTP status of a deliberate error; a kindless one is a bug (500)."""
    for kind, code in STATUS_OF_KIND:
        if isinstance(exc, kind):
            return code
    return status.HTTP_500_INTERNAL_SERVER_ERROR


async def _liftwatch_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LiftwatchError)
    code = status_of(exc)
    if code == status.HTTP_500_INTERNAL_SERVER_ERROR:
        log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
        return problem(request, code, translate("errors.internal", request_lang(request)))
    return problem(request, code, error_message(exc, request_lang(request)))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if has(detail):  # a route's message is a catalogue key (docs/ui.md)
        detail = translate(detail, request_lang(request))
    if exc.status_code == status.HTTP_404_NOT_FOUND and detail == "Not Found":
        detail = f"no such resource: {request.url.path}"
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        detail = f"{request.method} is not allowed on {request.url.path}"
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    return problem(request, exc.status_code, detail, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """Every method some route serves on this path (Starlette names only the first
    route's, and GET and POST of one path are two routes): each method is tried
    against the routes."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def _field_errors(raw: Sequence[Any]) -> list[FieldError]:
    out = []
    for error in raw:
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        out.append(FieldError(loc=loc, msg=str(error.get("msg", "")), type=error.get("type", "")))
    return out


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = request_lang(request)
    errors = _field_errors(validation_errors(jsonable_encoder(exc.errors()), lang))
    first = errors[0] if errors else None
    where = ".".join(str(part) for part in first.loc) if first else ""
    detail = f"{where}: {first.msg}" if first else "invalid request"
    return problem(request, status.HTTP_422_UNPROCESSABLE_CONTENT, detail, errors=errors)


def _log_database_error(request: Request, exc: Exception) -> None:
    diag = getattr(exc, "diag", None)
    log.warning(
        "database refused %s %s: %s (sqlstate %s, constraint %s)",
        request.method,
        request.url.path,
        str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        getattr(diag, "sqlstate", None),
        getattr(diag, "constraint_name", None),
    )


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    # Out-of-range numbers, malformed text for a typed column: the caller's input, but
    # the database's words stay in the log.
    _log_database_error(request, exc)
    detail = translate(
        "errors.invalid_value", request_lang(request), message="a value is out of range"
    )
    return problem(request, status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    _log_database_error(request, exc)
    if isinstance(exc, psycopg.errors.ForeignKeyViolation):
        return problem(
            request,
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            translate(
                "errors.unknown_reference",
                request_lang(request),
                message="unknown reference: a record it names does not exist",
            ),
        )
    detail = translate(
        "errors.conflict_data", request_lang(request), message="conflicts with existing data"
    )
    return problem(request, status.HTTP_409_CONFLICT, detail)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem(
        request,
        status.HTTP_503_SERVICE_UNAVAILABLE,
        translate("errors.busy", request_lang(request)),
        headers={"Retry-After": "5"},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = translate("errors.internal", request_lang(request))
    return problem(request, status.HTTP_500_INTERNAL_SERVER_ERROR, detail)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    # Answered by Starlette's outermost middleware, outside the security headers one.
    headers: dict[str, str] = getattr(request.app.state, "security_headers", {})
    return problem(
        request,
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        translate("errors.internal", request_lang(request)),
        headers=headers,
    )


def install(app: FastAPI) -> None:
    from psycopg_pool import PoolTimeout

    app.add_exception_handler(LiftwatchError, _liftwatch_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(psycopg.errors.DataError, _data_error)
    app.add_exception_handler(psycopg.errors.IntegrityError, _integrity_error)
    app.add_exception_handler(psycopg.OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(psycopg.Error, _database_error)
    app.add_exception_handler(Exception, _unexpected)
