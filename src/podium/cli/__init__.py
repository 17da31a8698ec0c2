"""The ``podium`` command line: one module per command group (typer + rich).

``main()`` is the console script; ``app`` is the root typer application,
usable with ``typer.testing.CliRunner``.
"""

from podium.cli._root import app, main

__all__ = ["app", "main"]
