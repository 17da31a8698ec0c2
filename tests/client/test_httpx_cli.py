"""httpx's command-line client still works in a process that loaded Podium's client.

The client loads httpx's command-line module on first use rather than with httpx;
whoever uses it must not notice. A fresh interpreter is needed: this one imported
httpx long ago.
"""

from __future__ import annotations

import subprocess
import sys


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_httpx_main_runs_after_podium_client_import() -> None:
    result = run_python("import podium.client, httpx; httpx.main(['--help'])")

    assert result.returncode == 0, result.stderr
    assert "Usage: httpx" in result.stdout


def test_names_of_httpx_cli_module_are_importable() -> None:
    result = run_python(
        "import podium.client\n"
        "from httpx._main import print_help, main\n"
        "import httpx._main as cli\n"
        "assert callable(print_help) and callable(main)\n"
        "assert cli.print_help is print_help\n"
    )

    assert result.returncode == 0, result.stderr
