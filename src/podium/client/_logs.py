"""Client calls for logs and server metadata."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from podium.client._base import Call, Op, api, list_adapter
from podium.schemas import core
from podium.schemas.actions import LogCreate
from podium.schemas.filters import LogFilter
from podium.schemas.responses import LogReadRequest
from podium.schemas.sorting import LogSort

_LOGS = list_adapter(core.Log)


class LogCalls:
    @api
    def create_logs(self, logs: Iterable[LogCreate | dict[str, Any]]) -> Op[None]:
        items = [
            log if isinstance(log, LogCreate) else LogCreate.model_validate(log) for log in logs
        ]
        if items:
            yield Call("POST", "/logs/", [item.model_dump(mode="json") for item in items])

    @api
    def read_logs(
        self,
        log_filter: LogFilter | None = None,
        limit: int | None = None,
        offset: int = 0,
        sort: LogSort = LogSort.TIMESTAMP_ASC,
    ) -> Op[list[core.Log]]:
        request = LogReadRequest(logs=log_filter, offset=offset, sort=sort)
        if limit is not None:
            request.limit = limit
        response = yield Call("POST", "/logs/filter", request.model_dump(mode="json"))
        return _LOGS.validate_json(response.content)

    @api
    def hello(self) -> Op[Any]:
        response = yield Call("GET", "/hello")
        return response

    @api
    def api_healthcheck(self) -> Op[Exception | None]:
        """None if the server answers its health check, else the error."""
        try:
            yield Call("GET", "/health")
        except Exception as exc:
            return exc
        return None

    @api
    def api_version(self) -> Op[str]:
        response = yield Call("GET", "/admin/version")
        return str(response.json())
