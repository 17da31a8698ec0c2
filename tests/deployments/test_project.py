"""podium.yaml and ``podium deploy``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli import app
from podium.client import get_client
from podium.deployments.project import ProjectError, project_deployments
from podium.schemas.work_pools import WorkPoolCreate

FLOWS = """
from podium import flow

@flow
def etl(day: str, limit: int = 10) -> int:
    return limit

@flow(name="report-maker")
def report() -> None:
    pass
"""

PROJECT = """
deployments:
  - name: nightly
    entrypoint: flows/etl.py:etl
    description: Every night
    version: 2
    tags: [etl]
    parameters: {day: "yesterday"}
    schedules:
      - cron: "0 3 * * *"
        timezone: Europe/Berlin
      - interval: 3600
        active: false
    concurrency_limit: {limit: 1, collision_strategy: CANCEL_NEW}
    work_pool:
      name: local
      job_variables: {env: {LOG_LEVEL: DEBUG}}
  - name: weekly
    entrypoint: flows/etl.py:report
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "etl.py").write_text(FLOWS)
    path = tmp_path / "podium.yaml"
    path.write_text(PROJECT)
    return path


def test_the_project_file_describes_deployments(project: Path) -> None:
    nightly, weekly = project_deployments(project)

    assert nightly.full_name == "etl/nightly"
    assert nightly.entrypoint == "flows/etl.py:etl"
    assert nightly.path == str(project.parent)
    assert nightly.version == "2"
    assert nightly.parameters == {"day": "yesterday"}
    assert [s.cron for s in nightly.schedules] == ["0 3 * * *", None]
    assert nightly.schedules[1].active is False
    assert nightly.work_pool_name == "local"
    assert nightly.job_variables == {"env": {"LOG_LEVEL": "DEBUG"}}
    assert nightly.parameter_openapi_schema is not None
    assert nightly.parameter_openapi_schema["required"] == ["day"]
    assert weekly.full_name == "report-maker/weekly"
    assert [d.name for d in project_deployments(project, ["weekly"])] == ["weekly"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deployments: [{entrypoint: a.py:b}]", "needs a 'name'"),
        ("deployments: [{name: a, entrypoint: a.py:b, colour: red}]", "unknown key(s) colour"),
        ("deployments: [{name: a, entrypoint: flows/etl.py:nope}]", "cannot load"),
        ("deployments: [{name: a}]", "'entrypoint' is required"),
        (
            "deployments: [{name: a, entrypoint: flows/etl.py:etl, work_pool: {size: 1}}]",
            "work_pool",
        ),
        (
            "deployments: [{name: a, entrypoint: flows/etl.py:etl, schedules: [{cron: nope}]}]",
            "invalid schedule",
        ),
        ("deployments: [", "not valid YAML"),
    ],
)
def test_mistakes_are_named(project: Path, text: str, message: str) -> None:
    project.write_text(text)
    with pytest.raises(ProjectError, match=message.replace("(", r"\(").replace(")", r"\)")):
        project_deployments(project)


def test_podium_deploy_registers_the_named_or_all(project: Path) -> None:
    runner = CliRunner()
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="local"))

        missing = runner.invoke(app, ["deploy", "--file", str(project), "other"])
        assert missing.exit_code == 1
        assert "No deployment named 'other'" in missing.stderr

        nothing = runner.invoke(app, ["deploy", "--file", str(project)])
        assert nothing.exit_code == 1 and "--all" in nothing.stderr

        one = runner.invoke(app, ["deploy", "--file", str(project), "weekly"])
        assert one.exit_code == 0, one.stderr
        assert [d.name for d in client.read_deployments()] == ["weekly"]

        every = runner.invoke(app, ["deploy", "--file", str(project), "--all"])
        assert every.exit_code == 0, every.stderr
        assert "Deployed 'etl/nightly' for work pool 'local'" in every.stdout
        nightly = client.read_deployment_by_name("etl/nightly")
        assert nightly.work_pool_name == "local"
        assert nightly.concurrency_options is not None


def test_podium_deploy_reports_a_missing_pool(project: Path) -> None:
    result = CliRunner().invoke(app, ["deploy", "--file", str(project), "nightly"])

    assert result.exit_code == 1
    assert "local" in result.stderr
