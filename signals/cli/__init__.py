"""The ``signals`` command: a thin layer over ``signals.pipeline``, the stages and the service.

Every command has ``--help``; a problem the user can fix ends the command with a one-line message and a
non-zero exit status, never a traceback. Commands are grouped by what they serve, one module per group.
"""

from __future__ import annotations

import sys
from importlib import import_module

from signals.cli.common import app, err
from signals.core.errors import UserError

__all__ = ["app", "main"]

# Each group registers its commands on import, in the order ``--help`` lists them.
for _group in ("setup", "analysis", "publish", "service", "web", "worker"):
    import_module(f"signals.cli.{_group}")


def main() -> None:
    """Entry point: user errors become one line on stderr and exit status 2."""
    try:
        app()
    except UserError as exc:
        err.print(f"erreur : {exc}", markup=False, highlight=False)
        sys.exit(2)
