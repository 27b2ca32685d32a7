"""Call recordings: which file MixMonitor writes for a call, from the AMI stream.

The dialplan starts ``MixMonitor(<file>)`` on the caller's channel; Asterisk then sets the
channel variable ``MIXMONITOR_FILENAME`` to the file's full path, which AMI reports as a
``VarSet`` (the ``dialplan`` read class) before ``MixMonitorStart``. One recording per call:
a transfer keeps it running and sends no new ``VarSet``; no ``MixMonitorStop`` comes when
the call ends. ``CallRecorded`` comes after the call's first event (:func:`tell_waiting`).
The bridge keeps only the file's name: it serves recordings from its own
``[recordings] directory`` (the monitor spool as mounted where the bridge runs), never
from a path Asterisk gave it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import quote

from cti_bridge.core.dialling import known_channel
from cti_bridge.core.events import CallAbandoned, CallEnded, CallEvent, CallRecorded
from cti_bridge.core.ledger import Ledger

_log = logging.getLogger(__name__)

MIXMONITOR_FILENAME: Final = "MIXMONITOR_FILENAME"
# The channel variables the tracker reads from ``VarSet``: an adapter parses no other
# ``VarSet`` (the most frequent event of a call, by far).
HANDLED_VARIABLES: Final = frozenset({MIXMONITOR_FILENAME})

_ENDINGS = (CallEnded, CallAbandoned)
MAX_NAME = 255
# A plain file name: no directory, no leading dot (no ``..``, no hidden file), nothing a
# shell, a URL or a file system could read as more than a name.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*").fullmatch


def recording_name(path: str) -> str | None:
    """The file name at the end of ``path`` when it is a plain name (letters, digits,
    ``.``, ``_``, ``-``; no leading dot; at most 255 characters), else None."""
    name = path.rpartition("/")[2]
    if len(name) > MAX_NAME or _PLAIN_NAME(name) is None:
        return None
    return name


def recording_url(call_id: str, recording: str | None) -> str | None:
    """Where the bridge plays a call's recording (``GET``); None when it has none."""
    if recording is None:
        return None
    return f"/api/calls/{quote(call_id, safe='')}/recording"


def var_set(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    """``MIXMONITOR_FILENAME`` set on a channel: the call it belongs to is recorded."""
    if event.get("Variable") != MIXMONITOR_FILENAME or not event.get("Value"):
        return
    value = event["Value"]
    name = recording_name(value)
    if name is None:
        _log.warning("recording file name %r is not a plain file name: ignored", value[:300])
        return
    channel = known_channel(ledger, event)
    call = channel.call if channel is not None else ledger.calls.get(event.get("Linkedid", ""))
    if call is None or call.over or call.recording == name:
        return
    call.recording = name
    if call.identified or call.announced:
        out.append(CallRecorded(call_id=call.call_id, recording=name, at=now))
    elif call not in ledger.recordings_waiting:
        ledger.recordings_waiting.append(call)


def tell_waiting(ledger: Ledger, now: float, out: list[CallEvent]) -> None:
    """Tell the recordings of calls that the rest of the product has just heard of.

    ``CallRecorded`` never opens a call: the recording often starts before anything else
    is told of the call (an anonymous caller in the queue, an internal call), and whoever
    holds interactions opens one with the call's first event. So it waits on the call and
    goes out right after that event. Nothing follows a call's end: a call whose first
    event is its end (nobody rang, nobody talked: nothing was recorded) drops it.
    """
    waiting = ledger.recordings_waiting
    for call in [c for c in waiting if c.identified or c.announced]:
        waiting.remove(call)
        first = next((i for i, e in enumerate(out) if e.call_id == call.call_id), None)
        if call.recording is None or first is None or isinstance(out[first], _ENDINGS):
            continue
        out.insert(first + 1, CallRecorded(call_id=call.call_id, recording=call.recording, at=now))
