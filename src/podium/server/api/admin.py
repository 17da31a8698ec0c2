"""Health, version and hello."""

from __future__ import annotations

from fastapi import APIRouter

from podium._version import API_VERSION, __version__

router = APIRouter(tags=["admin"])


@router.get("/health")
async def health() -> bool:
    return True


@router.get("/version")
async def version() -> str:
    """The API version the server speaks."""
    return API_VERSION


@router.get("/admin/version")
async def server_version() -> str:
    """The Podium package version the server runs."""
    return __version__


@router.get("/hello")
async def hello() -> str:
    return "👋"
