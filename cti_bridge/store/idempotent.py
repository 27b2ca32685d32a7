"""Writes keyed by a client's ``request_id``: the first request writes, a repeat reads.

The request id column is unique, so two copies of one request racing each other cannot
both insert: the loser's insert fails with an integrity error (SQLite and PostgreSQL
alike) and it reports the winner's row instead. An integrity error with no row under the
request id (a missing customer, say) is a real failure and propagates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

T = TypeVar("T")


async def write_once(
    request_id: str | None,
    *,
    find: Callable[[str], Awaitable[T | None]],
    write: Callable[[], Awaitable[T]],
) -> tuple[T, bool]:
    """``write()`` unless ``find(request_id)`` already has the row; returns (row, created).

    Without a request id (``None`` or empty) every call writes.
    """
    if request_id:
        existing = await find(request_id)
        if existing is not None:
            return existing, False
    try:
        return await write(), True
    except IntegrityError:
        raced = await find(request_id) if request_id else None
        if raced is None:
            raise
        return raced, False
