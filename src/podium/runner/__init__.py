"""The runner: serves deployments by running their due flow runs as subprocesses."""

from podium.runner._runner import Runner, flow_run_command

__all__ = ["Runner", "flow_run_command"]
