"""Errors the models raise; the API maps each to one HTTP status."""

from __future__ import annotations

from uuid import UUID


class ServerError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class NotFound(ServerError):
    status_code = 404

    @classmethod
    def of(cls, kind: str, key: UUID | str, field: str = "id") -> NotFound:
        return cls(f"{kind} with {field} {key!s} was not found.")


class Conflict(ServerError):
    status_code = 409


class Invalid(ServerError):
    status_code = 422
