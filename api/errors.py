"""Exception handlers: bad input becomes a clear 4xx; only real bugs become a 500."""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from domain.errors import (
    ConflictError,
    InvalidRequestError,
    LiftwatchError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)
from i18n import error_message, negotiate, translate, validation_errors

log = logging.getLogger(__name__)


def _error(code: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=code)


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
    lang = request_lang(request)
    if code == status.HTTP_500_INTERNAL_SERVER_ERROR:
        return _error(code, translate("errors.internal", lang))
    return _error(code, error_message(exc, lang))


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    # Out-of-range numbers, malformed text for a typed column: the caller's input.
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    message = f"invalid value: {first}"
    detail = translate("errors.invalid_value", request_lang(request), message=message)
    return _error(status.HTTP_400_BAD_REQUEST, detail)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, psycopg.errors.ForeignKeyViolation):
        detail = getattr(getattr(exc, "diag", None), "message_detail", None) or str(exc)
        message = f"unknown reference: {detail}"
        text = translate("errors.unknown_reference", request_lang(request), message=message)
        return _error(status.HTTP_422_UNPROCESSABLE_CONTENT, text)
    diag = getattr(exc, "diag", None)
    what = getattr(diag, "constraint_name", None) or type(exc).__name__
    message = f"conflicts with existing data ({what})"
    text = translate("errors.conflict_data", request_lang(request), message=message)
    return _error(status.HTTP_409_CONFLICT, text)


async def _pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database busy: %s", exc)
    detail = translate("errors.busy", request_lang(request))
    return _error(status.HTTP_503_SERVICE_UNAVAILABLE, detail)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    detail = translate("errors.internal", request_lang(request))
    return _error(status.HTTP_500_INTERNAL_SERVER_ERROR, detail)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    # FastAPI's own shape (a list of {loc, msg, type}), msg in the caller's language.
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(jsonable_encoder(exc.errors()), request_lang(request))
    return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def install(app: FastAPI) -> None:
    from psycopg_pool import PoolTimeout

    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LiftwatchError, _liftwatch_error)
    app.add_exception_handler(psycopg.errors.DataError, _data_error)
    app.add_exception_handler(psycopg.errors.IntegrityError, _integrity_error)
    app.add_exception_handler(PoolTimeout, _pool_timeout)
    app.add_exception_handler(Exception, _unexpected)
