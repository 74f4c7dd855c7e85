"""A scheduler process on a simulated clock, for the crash tests (settings from the environment).

``python -m tests.scheduler_child START UNTIL`` starts the service at START (ISO 8601, with its offset) and
runs every job due up to UNTIL, as the real service would have in that time.
"""

from __future__ import annotations

import sys
from datetime import datetime


def main(argv: list[str]) -> None:
    from signals.core.clock import SimulatedClock
    from signals.core.settings import load_settings
    from signals.service.simulation import simulated_service

    start, until = (datetime.fromisoformat(value) for value in argv[:2])
    with SimulatedClock(start) as clock, simulated_service(load_settings(), clock) as service:
        service.scheduler.advance(until)


if __name__ == "__main__":
    main(sys.argv[1:])
