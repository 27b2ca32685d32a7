"""Actions in flight on one AMI connection, matched to their answers by ``ActionID``.

Built on panoramisk's ``Action``: it owns the future and knows when an answer is
complete - one ``Response`` for a plain action, or the ``Response`` plus every list event
up to the ``...Complete`` one for ``EventList`` actions (CoreShowChannels, QueueStatus).
We keep the frames ourselves, as plain dicts exactly as read.

An action is taken out of the table the moment it completes, so a later frame carrying
the same ``ActionID`` - ``OriginateResponse`` after ``Originate successfully queued``,
possibly in the same TCP read - is delivered as the event it is.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from panoramisk.actions import Action
from panoramisk.message import Message

from cti_bridge.ami.framing import Frame

FieldValue = str | Sequence[str]


def _check(text: str, what: str) -> None:
    # A CR or LF inside a value would end the header - or the whole action - early and let
    # caller-supplied text (a number typed into the web UI) inject AMI headers.
    if "\r" in text or "\n" in text:
        raise ValueError(f"AMI {what} must not contain CR or LF: {text[:40]!r}")


def build_action(
    fields: Mapping[str, FieldValue], action_id: str, *, as_list: bool | None = None
) -> Action:
    """A panoramisk ``Action`` with our ``ActionID``; a sequence value repeats the header."""
    if not any(key.lower() == "action" for key in fields):
        raise ValueError("an AMI action needs an 'Action' field")
    data: dict[str, str | list[str]] = {}
    for key, value in fields.items():
        _check(key, "header name")
        if key.lower() == "actionid":
            continue
        values = [value] if isinstance(value, str) else list(value)
        for item in values:
            _check(item, f"value of {key}")
        data[key] = value if isinstance(value, str) else values
    data["ActionID"] = action_id
    return Action(data, as_list=as_list)


def _consume(future: asyncio.Future[object]) -> None:
    """Mark an exception as seen: nobody may be awaiting a failed action any more."""
    if not future.cancelled():
        future.exception()


@dataclass(slots=True)
class Pending:
    action: Action
    replies: list[Frame] = field(default_factory=list)


class ActionTable:
    """ActionIDs unique per link (``<prefix>-<n>``) and the actions awaiting answers."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._ids = itertools.count(1)
        self._pending: dict[str, Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def new(self, fields: Mapping[str, FieldValue], *, as_list: bool | None = None) -> Pending:
        action = build_action(fields, f"{self._prefix}-{next(self._ids)}", as_list=as_list)
        action.future.add_done_callback(_consume)
        pending = Pending(action)
        self._pending[action.id] = pending
        return pending

    def route(self, frame: Frame) -> bool:
        """Give ``frame`` to the action it answers; False if it answers none."""
        action_id = frame.get("ActionID")
        if action_id is None:
            return False
        pending = self._pending.get(action_id)
        if pending is None:
            return False
        pending.replies.append(frame)
        pending.action.add_message(Message(frame))
        if pending.action.future.done():
            del self._pending[action_id]
        return True

    def discard(self, pending: Pending) -> None:
        self._pending.pop(pending.action.id, None)

    def fail_all(self, exc: Exception) -> None:
        for pending in self._pending.values():
            if not pending.action.future.done():
                pending.action.future.set_exception(exc)
        self._pending.clear()
