"""Structured logging on the standard library: ``text`` for people, ``json`` (one object per
line) for log shippers. Extra fields passed with ``extra={...}`` are kept in both."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# The libraries' loggers follow their own level, never the bridge's DEBUG: aiosqlite logs
# every statement with its parameters at DEBUG, websockets every frame, and so on.
LIBRARIES = (
    "aiohttp",
    "aiosqlite",
    "asyncio",
    "asyncpg",
    "jinja2",
    "panoramisk",
    "redis",
    "sqlalchemy",
    "websockets",
)
# SQLAlchemy logs each statement with its parameters at INFO already (password hashes,
# session token digests, customer data).
SQL_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm")
LIBRARY_LEVEL = logging.INFO
SQL_LEVEL = logging.WARNING

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{k}={v!r}" for k, v in extras.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", fmt: str = "text", library_level: str = "") -> None:
    """Log to stderr at ``level``; the libraries at ``library_level`` when given, else at
    INFO (SQL at WARNING) or above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    own = root.level
    asked = logging.getLevelName(library_level.upper()) if library_level else None
    if asked is not None and not isinstance(asked, int):
        raise ValueError(f"unknown log level {library_level!r}")
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(asked if asked is not None else max(own, LIBRARY_LEVEL))
    for name in SQL_LOGGERS:
        logging.getLogger(name).setLevel(asked if asked is not None else max(own, SQL_LEVEL))
    # aiohttp's access log would print every API call; keep it for debugging only.
    if asked is None:
        logging.getLogger("aiohttp.access").setLevel(max(own, logging.WARNING))
    # Alembic narrates every plugin it loads; its warnings still show.
    logging.getLogger("alembic").setLevel(max(own, logging.WARNING))
