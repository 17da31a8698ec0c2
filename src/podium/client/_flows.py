"""Client calls for flows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from podium.client._base import Call, Op, api, segment
from podium.schemas import actions, core
from podium.schemas.filters import FlowFilter, FlowRunFilter, TaskRunFilter
from podium.schemas.responses import CountRequest, FlowReadRequest
from podium.schemas.sorting import FlowSort


def flow_name_of(flow: Any) -> str:
    """The name of a flow given as a name or as an object with ``.name``."""
    name = flow if isinstance(flow, str) else getattr(flow, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"Expected a flow or a flow name, got {flow!r}")
    return name


class FlowCalls:
    _flow_ids: dict[str, UUID]

    @api
    def create_flow(self, flow: Any) -> Op[UUID]:
        """Create the flow (a ``@flow`` object or a name) if needed; return its id."""
        return (yield from self._flow_id(flow_name_of(flow)))

    @api
    def create_flow_from_name(self, flow_name: str) -> Op[UUID]:
        return (yield from self._flow_id(flow_name))

    def _flow_id(self, name: str) -> Op[UUID]:
        cached = self._flow_ids.get(name)
        if cached is not None:
            return cached
        response = yield Call("POST", "/flows/", actions.FlowCreate(name=name))
        flow_id = UUID(response.json()["id"])
        self._flow_ids[name] = flow_id
        return flow_id

    @api
    def read_flow(self, flow_id: UUID) -> Op[core.Flow]:
        response = yield Call("GET", f"/flows/{flow_id}")
        return core.Flow.model_validate_json(response.content)

    @api
    def read_flow_by_name(self, flow_name: str) -> Op[core.Flow]:
        response = yield Call("GET", f"/flows/name/{segment(flow_name)}")
        return core.Flow.model_validate_json(response.content)

    @api
    def read_flows(
        self,
        *,
        flow_filter: FlowFilter | None = None,
        flow_run_filter: FlowRunFilter | None = None,
        task_run_filter: TaskRunFilter | None = None,
        sort: FlowSort | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Op[list[core.Flow]]:
        request = FlowReadRequest(
            flows=flow_filter, flow_runs=flow_run_filter, task_runs=task_run_filter, offset=offset
        )
        if sort is not None:
            request.sort = sort
        if limit is not None:
            request.limit = limit
        response = yield Call("POST", "/flows/filter", request.model_dump(mode="json"))
        return [core.Flow.model_validate(item) for item in response.json()]

    @api
    def count_flows(
        self,
        *,
        flow_filter: FlowFilter | None = None,
        flow_run_filter: FlowRunFilter | None = None,
        task_run_filter: TaskRunFilter | None = None,
    ) -> Op[int]:
        request = CountRequest(
            flows=flow_filter, flow_runs=flow_run_filter, task_runs=task_run_filter
        )
        response = yield Call("POST", "/flows/count", request)
        return int(response.json())

    @api
    def delete_flow(self, flow_id: UUID) -> Op[None]:
        yield Call("DELETE", f"/flows/{flow_id}")
        self._flow_ids = {k: v for k, v in self._flow_ids.items() if v != flow_id}
