"""Shared route dependencies and helpers.

Dependencies are ``async def`` even when they do not await: FastAPI runs a
plain ``def`` dependency in its thread pool, one thread hop per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from podium.server.database import Database
from podium.settings import Settings


async def get_db(request: Request) -> Database:
    return request.app.state.db


DbDep = Annotated[Database, Depends(get_db)]


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
