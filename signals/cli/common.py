"""What every command shares: the Typer apps, the consoles, reading the settings, dates and progress.

What the command prints is French, a space before the colon (« source : échec »); command and option
names, and the ``--json`` output, stay as they are: scripts use them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from signals.core.errors import UserError
from signals.core.logs import configure_logging
from signals.core.settings import Settings, load_settings
from signals.core.validation import describe_errors
from signals.pipeline.progress import Progress

app = typer.Typer(
    help="Veille prospective : détection de signaux faibles sur un territoire.",
    no_args_is_help=True,
    add_completion=False,
)
sources_app = typer.Typer(help="Les sources : liste, aperçu, santé.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
out = Console(soft_wrap=True)  # paths and URLs stay whole, to be copied
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


class _State:  # the global options, for the commands that need them
    verbose: int = 0


@app.callback()
def _main(
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="plus de messages de journal")
    ] = 0,
) -> None:
    _State.verbose = verbose


def verbosity() -> int:
    """How many ``-v`` the command got."""
    return _State.verbose


def settings_from_env() -> Settings:
    try:
        settings = load_settings()
    except ValidationError as exc:
        raise UserError(f"réglages invalides : {describe_errors(exc)}") from None
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(f"réglages invalides : {exc}".splitlines()[0]) from None
    configure_logging(settings, logging.WARNING - 10 * min(_State.verbose, 2))
    return settings


class BadValue(typer.BadParameter):
    """A refused option or argument, said in French (Click's own wording is English): exit status 2."""

    def format_message(self) -> str:
        hint = self.param_hint or (self.param.get_error_hint(self.ctx) if self.param else None)
        return (
            f"valeur invalide pour {hint} : {self.message}" if hint else f"valeur invalide : {self.message}"
        )


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadValue(f"{value!r} n'est pas une date (AAAA-MM-JJ)", param_hint=option) from None


def label(words: dict[str, str], key: str | None) -> str:
    """The French word for a machine value (``reports.wording``), the value itself if it has none, '—' for
    nothing.

    >>> label({"ok": "réussi"}, "ok"), label({}, "autre"), label({}, None)
    ('réussi', 'autre', '—')
    """
    if not key:
        return "—"
    return words.get(key, key)


def json_lines(rows: Iterable[dict[str, Any]]) -> None:
    """One JSON object a line, for scripts (dates as ISO strings)."""
    for row in rows:
        out.print_json(
            data=row, indent=None, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)
        )


def busy(message: str, work: Callable[[], T]) -> T:
    """Run long work behind a spinner (only on a terminal)."""
    if not err.is_terminal:
        return work()
    with err.status(message):
        return work()


@contextmanager
def progress_bars() -> Iterator[Progress]:
    """A progress callback for the pipeline: a bar per step on a terminal (transient), nothing otherwise."""
    if not err.is_terminal:
        yield lambda *_: None
        return
    from rich.progress import Progress as Bars

    with Bars(console=err, transient=True) as bars:
        tasks: dict[str, Any] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(step, total=total)
            bars.update(tasks[step], completed=done, total=total)

        yield report
