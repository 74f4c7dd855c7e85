"""How a long pipeline function tells its caller how far it got (the CLI draws bars from it)."""

from __future__ import annotations

from collections.abc import Callable

# (step, done, total): "analysing weeks", 12, 52. A step of one unit reports (step, 0, 1) when it starts.
Progress = Callable[[str, int, int], None]
