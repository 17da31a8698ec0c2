"""Every error answer is JSON with a ``detail`` a person can act on."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from podium.schemas.actions import ENDED_RUN_FIELDS
from podium.server.errors import ServerError

# Lists of arrays whose items are fields by position: a message names the field.
_POSITIONAL = {"ended_runs": ENDED_RUN_FIELDS}


def _location(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path")]
    for at, part in enumerate(parts[:-2]):
        fields = _POSITIONAL.get(part) if isinstance(part, str) else None
        position = parts[at + 2]
        if fields is not None and isinstance(position, int) and position < len(fields):
            parts[at + 2] = fields[position]
    return ".".join(map(str, parts)) or "body"


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """One readable sentence per invalid field: ``field: what is wrong``."""
    lines = []
    for error in errors:
        where = _location(tuple(error.get("loc", ())))
        message = error.get("msg", "is invalid")
        if error.get("type") == "missing":
            message = "is required"
        elif error.get("type") == "extra_forbidden":
            message = "is not a known field"
        lines.append(f"{where}: {message}")
    return "Invalid request: " + "; ".join(lines)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    return JSONResponse(
        status_code=422,
        content={"detail": describe_validation_errors(errors), "errors": errors},
    )


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServerError)
    return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        status_code=exc.status_code, content={"detail": str(exc.detail)}, headers=exc.headers
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ServerError, _server_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
