"""Shared route dependencies and helpers.

Dependencies are ``async def`` even when they do not await: FastAPI runs a
plain ``def`` dependency in its thread pool, one thread hop per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel

from podium.server.database import Database
from podium.settings import Settings


async def get_db(request: Request) -> Database:
    return request.app.state.db


DbDep = Annotated[Database, Depends(get_db)]


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def json_response(model: BaseModel, status_code: int) -> Response:
    """``model`` as the JSON FastAPI would answer for it, without validating it again.

    For a route whose ``response_model`` is ``model``'s class (which keeps it in
    the OpenAPI schema) and whose answer was just built from validated data.
    """
    return Response(
        model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json"
    )
