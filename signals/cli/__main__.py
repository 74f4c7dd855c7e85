"""``python -m signals.cli``: the same as the ``signals`` command."""

from signals.cli import main

main()
