"""Acknowledged writes that survive a database outage (DESIGN §7).

An API write tries the database first (within a budget). When the database cannot be
reached - or the journal still holds older writes, which must not be overtaken - the
write goes to the local journal instead and the answer is ``202 Accepted`` with
``"journaled": true``: it will be in the database once it is back. A write the database
refused as bad data is not journaled; its error goes to the client as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from cti_bridge.store.journal import Journal, JournalError, database_unavailable
from cti_bridge.web.errors import ApiError

# How long a write may wait on the database before it is journaled instead.
DIRECT_BUDGET = 3.0


async def write_or_hold(
    journal: Journal,
    kind: str,
    request_id: str,
    payload: dict[str, Any],
    direct: Callable[[], Awaitable[web.Response]],
) -> web.Response:
    """``direct()`` when the database is there; otherwise hold ``payload`` in the journal."""
    if not journal.holding:
        try:
            async with asyncio.timeout(DIRECT_BUDGET):
                return await direct()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            journal.unavailable(exc)
    entry = journal.held(request_id)
    status = 200 if entry is not None else 202  # a retry of a held write: same answer
    if entry is None:
        try:
            entry = await journal.append(kind, request_id, payload)
        except JournalError as exc:
            # Neither the database nor the disk took it: NOT acknowledged, say so.
            raise ApiError(503, "unavailable", "the write could not be saved; retry") from exc
    body = {**entry["payload"], "request_id": request_id, "journaled": True}
    return web.json_response(body, status=status)
