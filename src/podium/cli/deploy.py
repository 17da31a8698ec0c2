"""``podium deploy``: register the deployments of the project file (``podium.yaml``)."""

from __future__ import annotations

from pathlib import Path

import typer

from podium.cli._output import console, exit_with_error
from podium.deployments.project import PROJECT_FILE, ProjectError, project_deployments
from podium.exceptions import InvalidRequest, ObjectNotFound

app = typer.Typer(name="deploy", add_completion=False)


@app.command()
def deploy(
    names: list[str] = typer.Argument(
        None, metavar="[NAME]...", help="Deployments to register ('name' or 'flow/name')."
    ),
    all_: bool = typer.Option(False, "--all", help="Register every deployment of the file."),
    project_file: Path = typer.Option(Path(PROJECT_FILE), "--file", "-f", help="The project file."),
) -> None:
    """Register deployments from the project file: all of them, or those named."""
    if not all_ and not names:
        exit_with_error("Name the deployments to register, or give --all.")
    try:
        deployments = project_deployments(project_file, None if all_ else names)
    except ProjectError as exc:
        exit_with_error(str(exc))
    if not deployments:
        exit_with_error(f"{project_file} lists no deployments.")
    for deployment in deployments:
        try:
            deployment_id = deployment.apply()
        except ObjectNotFound as exc:
            exit_with_error(f"Deployment {deployment.full_name!r}: {exc.detail}")
        except InvalidRequest as exc:
            exit_with_error(f"Deployment {deployment.full_name!r} was refused: {exc.detail}")
        pool = deployment.work_pool_name
        where = f" for work pool {pool!r}" if pool else ""
        console.print(f"Deployed {deployment.full_name!r}{where} ({deployment_id}).")
