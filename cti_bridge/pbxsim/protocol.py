"""The AMI wire format as Asterisk 18-20 writes and reads it.

A session starts with one banner line, ``Asterisk Call Manager/9.0.0\\r\\n``, which is *not*
followed by a blank line. After that every message is a block of ``Key: Value\\r\\n`` lines
ended by an empty line. The first header says what the block is: ``Action:`` (client to
server), ``Response:`` (the answer, carrying the action's ``ActionID``) or ``Event:``
(unsolicited, or part of an action's list). Header order matters to nobody's parser but is
kept exactly as Asterisk writes it so recordings and simulated traffic look the same.

Values are written verbatim after ``": "`` - an empty value is ``"Value: "`` with the
trailing space, the detail that trips parsers which strip the block before splitting.

This module is pure: bytes in, requests out; headers in, bytes out. Sockets live in
:mod:`cti_bridge.pbxsim.session`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
EOM = b"\r\n\r\n"

Header = tuple[str, str]
Headers = Sequence[Header]

# Privilege strings Asterisk prints for the event classes the simulator uses.
CALL = "call,all"
DIALPLAN = "dialplan,all"
AGENT = "agent,all"
SYSTEM = "system,all"
SECURITY = "security,all"
CDR = "cdr,all"


def encode(first: Header, headers: Iterable[Header]) -> bytes:
    """One message: the first header, the others in order, then the blank line."""
    parts = [f"{first[0]}: {first[1]}\r\n"]
    parts.extend([f"{key}: {value}\r\n" for key, value in headers])
    parts.append("\r\n")
    return "".join(parts).encode("utf-8")


def encode_event(
    name: str,
    headers: Iterable[Header],
    *,
    privilege: str | None = CALL,
    timestamp: float | None = None,
) -> bytes:
    """An event as ``manager_event()`` writes it with ``timestampevents = yes``.

    ``privilege=None`` leaves out ``Privilege``/``Timestamp``: list events answering an
    action (``CoreShowChannel``, ``QueueMember``...) and ``FullyBooted`` are appended to
    one session directly and carry neither.
    """
    lead: list[Header] = []
    if privilege is not None:
        stamp = time.time() if timestamp is None else timestamp
        lead = [("Privilege", privilege), ("Timestamp", f"{stamp:.6f}")]
    return encode(("Event", name), [*lead, *headers])


def encode_response(status: str, action_id: str, headers: Iterable[Header] = ()) -> bytes:
    """``Response: <status>`` with the action's ``ActionID`` echoed when it sent one."""
    lead: list[Header] = [("ActionID", action_id)] if action_id else []
    return encode(("Response", status), [*lead, *headers])


def encode_error(action_id: str, message: str) -> bytes:
    return encode_response("Error", action_id, [("Message", message)])


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One action block from a client, headers in the order sent.

    Asterisk looks headers up case-insensitively and takes the first occurrence; some
    headers (``Variable``) may repeat and are read with :meth:`get_all`.
    """

    headers: tuple[Header, ...]

    @property
    def name(self) -> str:
        return self.get("Action")

    @property
    def action_id(self) -> str:
        return self.get("ActionID")

    def get(self, key: str, default: str = "") -> str:
        wanted = key.lower()
        for name, value in self.headers:
            if name.lower() == wanted:
                return value
        return default

    def get_all(self, key: str) -> list[str]:
        wanted = key.lower()
        return [value for name, value in self.headers if name.lower() == wanted]


def parse_action(block: bytes) -> ActionRequest:
    """Parse one client block (ending in the blank line).

    Asterisk accepts ``\\n`` as well as ``\\r\\n`` line ends and skips lines without a
    colon; so does this. Undecodable bytes become U+FFFD rather than an error.
    """
    text = block.decode("utf-8", "replace")
    pairs: list[Header] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        key, sep, value = line.partition(":")
        if sep and key:
            pairs.append((key.strip(), value[1:] if value.startswith(" ") else value))
    return ActionRequest(tuple(pairs))
