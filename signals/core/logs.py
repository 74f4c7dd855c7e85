"""Logs: the one set-up of the CLI and the service, and structured lines (one JSON object per line with
``SIGNALS_LOG_JSON=true``) for journald or a log shipper."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from signals.core.settings import Settings

_STANDARD = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


# Libraries that talk at INFO about their own business; they speak up at WARNING.
_NOISY = (
    "alembic",
    "apscheduler",
    "cmdstanpy",
    "prophet",
    "numba",
    "matplotlib",
    "fontTools",
    "weasyprint",
    "scrapy",
)


# The handlers this module installs are of their own classes, so that configuring again replaces them (a
# CLI run in a test process, a reload) and leaves the others alone (pytest's capture).
class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    pass


class _FileHandler(logging.handlers.RotatingFileHandler):
    pass


def configure_logging(settings: Settings, level: int, log_file: str | None = None) -> None:
    """The one logging set-up of the CLI and the service: on stderr, and into ``logs/<log_file>`` (rotated
    by size, lines stamped with their time) when given; one JSON object per line with
    ``SIGNALS_LOG_JSON=true``."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler | _FileHandler)]:
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = [_StderrHandler(sys.stderr)]
    if log_file:
        settings.logs_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(
            _FileHandler(
                settings.logs_dir / log_file,
                maxBytes=int(settings.schedule.log_max_mb * 2**20),
                backupCount=settings.schedule.log_backups,
                encoding="utf-8",
            )
        )
    line = ("%(asctime)s " if log_file else "") + "%(levelname)s %(name)s: %(message)s"
    formatter = JsonFormatter() if settings.log_json else logging.Formatter(line)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
