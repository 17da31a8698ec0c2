"""The public API: ``__all__`` stays as documented, and ``import podium`` stays cheap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import podium

EXPECTED = {
    "Flow",
    "State",
    "Task",
    "__version__",
    "allow_failure",
    "deploy",
    "flow",
    "get_client",
    "get_run_logger",
    "runtime",
    "serve",
    "tags",
    "task",
    "unmapped",
}


def test_all_matches_and_resolves():
    assert set(podium.__all__) == EXPECTED
    for name in podium.__all__:
        assert getattr(podium, name) is not None


def test_import_podium_is_lazy():
    code = (
        "import sys, podium; "
        "heavy = [m for m in ('fastapi', 'sqlalchemy', 'pydantic', 'podium.server', 'httpx') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_flow_and_task_do_not_import_the_server_over_http():
    code = (
        "import os, sys; os.environ['PODIUM_API_URL'] = 'http://127.0.0.1:9/api'; "
        "from podium import flow, task; print('podium.server.app' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_flow_on_the_embedded_sqlite_server_loads_nothing_it_never_uses(
    tmp_path: Path,
) -> None:
    # Start-up time: PostgreSQL's dialect, and the schemas of deployments, work
    # pools and schedules, which no call of a flow run reaches.
    code = (
        "import sys\n"
        "from podium import flow, task\n"
        "@task\n"
        "def one() -> int:\n"
        "    return 1\n"
        "@flow\n"
        "def hello() -> int:\n"
        "    return one()\n"
        "assert hello() == 1\n"
        "unused = ('sqlalchemy.dialects.postgresql', 'podium.schemas.deployments',\n"
        "          'podium.schemas.work_pools', 'podium.schedules')\n"
        "print([m for m in sys.modules if m.startswith(unused)])\n"
    )
    env = {**os.environ, "PODIUM_HOME": str(tmp_path)}
    env.pop("PODIUM_API_URL", None)
    env.pop("PODIUM_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_submodule_names():
    from podium.futures import PodiumFuture, PodiumFutureList, as_completed, wait
    from podium.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    assert all([PodiumFuture, PodiumFutureList, as_completed, wait])
    assert all([ProcessPoolTaskRunner, ThreadPoolTaskRunner])
