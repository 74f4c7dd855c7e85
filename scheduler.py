"""The long-running service, in the foreground: ``python scheduler.py`` (the same as ``signals schedule``).

What the service does, and how it stays safe across crashes and restarts, is told in
:mod:`signals.service`; this module is its entry point only.
"""

from __future__ import annotations

import logging
import sys

from signals.core.errors import UserError
from signals.core.logs import configure_logging
from signals.core.settings import load_settings
from signals.service.runner import Service, run_job

# Jobs stored by earlier versions refer to ``scheduler:run_job``: the name stays importable from here.
__all__ = ["main", "run_job"]


def main() -> None:
    try:
        settings = load_settings()
        configure_logging(settings, logging.INFO, log_file="scheduler.log")
        sys.exit(Service(settings).run_forever())
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
