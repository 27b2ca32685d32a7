"""``GET /api/calls/{call_id}/recording``: a call's recording, to those who may hear it.

Who: an agent the call was offered to or who took it (one of its legs, or the agent its row
names; while it lasts, this node's call facts), supervisors and admins. What: the file the
interaction names, from ``[recordings] directory`` and nowhere else: the name is checked to
be plain, and the resolved path (symlinks followed) must lie in the directory. Every play
is audited (``recording_play``): a request without ``Range`` or from byte 0, not each
range a player fetches while seeking through the same play.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from cti_bridge.core.recordings import recording_name, recording_url
from cti_bridge.web.api_calls import MAX_CALL_ID
from cti_bridge.web.auth import audited, current_agent
from cti_bridge.web.errors import ApiError
from cti_bridge.web.keys import CALLLOG, CALLS, SETTINGS

log = logging.getLogger(__name__)

CONTENT_TYPE = "audio/wav"


def with_recording_urls(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Listed calls with ``recording`` as the URL that plays it (null: not recorded), never
    the file's name."""
    for item in items:
        if "recording" in item:
            item["recording"] = recording_url(item["call_id"], item["recording"])
    return items


def locate(directory: str, name: str) -> Path | None:
    """The file ``name`` in ``directory``, or None when the name is not plain or its real
    path (symlinks followed) leaves the directory, or when there is no such file."""
    if recording_name(name) != name:
        return None
    base = Path(directory).resolve()
    path = (base / name).resolve()
    if path.parent != base or not path.is_file():
        return None
    return path


async def play(request: web.Request) -> web.StreamResponse:
    call_id = request.match_info["call_id"]
    name = await _allowed_recording(request, call_id)
    directory = request.config_dict[SETTINGS].recordings.directory
    if not directory:
        raise ApiError(404, "not_found", "recordings are not served here")
    path = await asyncio.get_running_loop().run_in_executor(None, locate, directory, name)
    if path is None:
        log.warning(
            "recording %r of call %s is not a file in %s (missing, or outside it)",
            name,
            call_id,
            directory,
        )
        raise ApiError(404, "not_found", "the recording's file is missing")
    if _starts_play(request):
        await audited(request, "recording_play", "call", call_id, {"recording": name})
    return web.FileResponse(path, headers={"Content-Type": CONTENT_TYPE})


async def _allowed_recording(request: web.Request, call_id: str) -> str:
    """The recording's file name, when the logged-in agent may hear it."""
    if len(call_id) > MAX_CALL_ID:
        raise ApiError(404, "not_found", f"no call with id {call_id!r}")
    agent, calls = current_agent(request), request.config_dict[CALLS]
    await calls.flush(call_id)  # its row and recording may be on their way
    found = await request.config_dict[CALLLOG].recording_of(call_id, agent.id)
    if found is None:
        raise ApiError(404, "not_found", f"no call with id {call_id!r}")
    name, handled = found
    if not (handled or agent.is_supervisor or calls.offered_to(call_id, agent.id)):
        raise ApiError(
            403, "forbidden", "only an agent who handled the call or a supervisor may hear it"
        )
    if name is None:
        raise ApiError(404, "not_found", "this call has no recording")
    return name


def _starts_play(request: web.Request) -> bool:
    """A new play: no ``Range``, or one from the first byte (a player seeking asks for
    later ranges of the same play). A malformed ``Range`` gets a 416: no play."""
    try:
        start = request.http_range.start
    except ValueError:
        return False
    return start is None or start == 0
