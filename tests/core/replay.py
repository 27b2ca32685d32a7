"""Loading recorded AMI traffic and replaying it through a CallTracker.

Two formats are recorded under ``tests/fixtures/ami``:

- ``.ami`` (Asterisk 20): the raw bytes read off the socket. Messages are separated by a
  blank line (``\\r\\n\\r\\n``), each line is ``Key: Value`` (the value may be empty), the
  first message starts with the ``Asterisk Call Manager/x.y.z`` banner line. Only messages
  with an ``Event`` header are events (the rest are responses to our actions).
- ``.json`` (Asterisk 13, cacofonisk): one array of flat ``{header: value}`` objects, with a
  ``content`` key that is not an AMI header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallEvent,
    CallOffered,
    CallTransferred,
    OfferWithdrawn,
    OutboundStarted,
)

AmiEvent = dict[str, str]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ami"
CACOFONISK = FIXTURES / "asterisk13-cacofonisk"
ASTERISK20 = FIXTURES / "asterisk20"

_AGENT = re.compile(r"^(SIP/1500100\d\d|SIP/1000600\d\d|PJSIP/\d{3,4}|Local/agent\d+@agents)$")


def is_agent(interface: str) -> bool:
    """The agents' devices in the recordings (the trunk and outside phones are not)."""
    return _AGENT.match(interface) is not None


def parse_wire(data: str) -> list[AmiEvent]:
    """The events in raw AMI text (``\\r\\n`` line ends; bare ``\\n`` is tolerated)."""
    events = []
    for block in re.split(r"\r?\n\r?\n", data):
        message: AmiEvent = {}
        for line in block.splitlines():
            key, colon, value = line.partition(":")
            if colon and key and " " not in key:
                message.setdefault(key, value.strip())
        if "Event" in message:
            events.append(message)
    return events


def load_json(path: Path) -> list[AmiEvent]:
    events = []
    for item in json.loads(path.read_text()):
        event = {key: str(value) for key, value in item.items() if key != "content"}
        events.append(event)
    return events


def load(path: Path) -> list[AmiEvent]:
    """The events of a recording, in order, whatever its format."""
    if path.suffix == ".ami":
        return parse_wire(path.read_text())
    return load_json(path)


def recordings(directory: Path, pattern: str) -> list[Path]:
    return sorted(directory.glob(pattern))


def times(events: Iterable[AmiEvent], start: float = 1_700_000_000.0) -> list[float]:
    """A wall clock for each event: its ``Timestamp`` when it has one, else 10 ms later
    than the previous event; never going backwards."""
    clock = []
    now = start
    for event in events:
        try:
            stamp = float(event.get("Timestamp", ""))
        except ValueError:
            stamp = now + 0.01
        now = max(now, stamp)
        clock.append(now)
    return clock


def replay(
    events: list[AmiEvent],
    tracker: CallTracker | None = None,
    pbx: str = "pbx1",
    agent: Callable[[str], bool] = is_agent,
) -> list[CallEvent]:
    """Feed a recording through a tracker (a new one unless given); the events it emits."""
    tracker = tracker if tracker is not None else CallTracker(pbx, agent)
    out: list[CallEvent] = []
    for event, now in zip(events, times(events), strict=True):
        out.extend(tracker.feed(event, now))
    return out


def brief(event: CallEvent) -> tuple[str, ...]:
    """A compact, comparable form of a domain event (without call id and times)."""
    match event:
        case CallOffered():
            origin = event.transferred_from or ""
            return ("offered", event.interface, event.caller.number, event.caller.name, origin)
        case OfferWithdrawn():
            return ("withdrawn", event.interface, event.reason.value)
        case CallAnswered():
            return ("answered", event.interface)
        case CallTransferred():
            source = event.from_interface or ""
            return ("transferred", source, event.to_interface, event.kind.value)
        case CallEnded():
            return ("ended", event.interface or "")
        case CallAbandoned():
            return ("abandoned", event.caller.number, event.caller.name)
        case OutboundStarted():
            return ("outbound", event.interface, event.number)


def by_call(events: Iterable[CallEvent]) -> dict[str, list[tuple[str, ...]]]:
    """The brief events grouped per call id, calls in order of their first event."""
    calls: dict[str, list[tuple[str, ...]]] = {}
    for event in events:
        calls.setdefault(event.call_id, []).append(brief(event))
    return calls
