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
import random
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallerIdentified,
    CallEvent,
    CallOffered,
    CallRecorded,
    CallTransferred,
    OfferWithdrawn,
    OutboundStarted,
)
from cti_bridge.core.interactions import Interaction, InteractionBook

AmiEvent = dict[str, str]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ami"
CACOFONISK = FIXTURES / "asterisk13-cacofonisk"
ASTERISK20 = FIXTURES / "asterisk20"
HANDBUILT = FIXTURES / "handbuilt"
# Recorded off a real Asterisk 20 running config/asterisk (tests/live/capture.py).
LIVE = FIXTURES.parent / "asterisk20-live"

_AGENT = re.compile(r"^(SIP/1500100\d\d|SIP/1000600\d\d|(PJ)?SIP/\d{3,4}|Local/agent\d+@agents)$")


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


def with_unique_ids(events: Iterable[AmiEvent], tag: str) -> list[AmiEvent]:
    """A copy of a recording whose ids (``Uniqueid``, ``Linkedid``, ``BridgeUniqueid``...:
    every header ending in ``id``) are prefixed with ``tag``, to replay it many times at once."""
    return [{k: f"{tag}{v}" if k.endswith("id") else v for k, v in e.items()} for e in events]


def interleave(streams: list[list[AmiEvent]], rnd: random.Random) -> list[AmiEvent]:
    """Merge event streams as concurrent calls arrive on one AMI connection: each stream
    keeps its own order, the next event comes from a stream picked at random."""
    merged: list[AmiEvent] = []
    heads = [0] * len(streams)
    live = [i for i, stream in enumerate(streams) if stream]
    while live:
        pick = rnd.choice(live)
        merged.append(streams[pick][heads[pick]])
        heads[pick] += 1
        if heads[pick] == len(streams[pick]):
            live.remove(pick)
    return merged


def check_recording(
    path: Path, calls: list[list[tuple[str, ...]]], agent: Callable[[str], bool] = is_agent
) -> list[CallEvent]:
    """Replay ``path``: exactly ``calls`` come out (brief events per call, in order), the
    output keeps the contract, and the tracker is empty afterwards. Returns the events."""
    tracker = CallTracker("pbx1", agent)
    out = replay(load(path), tracker, agent=agent)
    assert list(by_call(out).values()) == calls
    assert_well_formed(out, agent)
    assert len(tracker) == 0
    assert tracker.snapshot() == []
    return out


def brief(event: CallEvent) -> tuple[str, ...]:
    """A compact, comparable form of a domain event (without call id and times)."""
    match event:
        case CallerIdentified():
            return ("identified", event.caller.number, event.caller.name)
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
        case CallRecorded():
            return ("recorded", event.recording)


# Shorthands for expected brief events.
def identified(number: str, name: str = "") -> tuple[str, ...]:
    return ("identified", number, name)


def offered(interface: str, number: str, name: str = "", via: str = "") -> tuple[str, ...]:
    return ("offered", interface, number, name, via)


def withdrawn(interface: str, reason: str) -> tuple[str, ...]:
    return ("withdrawn", interface, reason)


def answered(interface: str) -> tuple[str, ...]:
    return ("answered", interface)


def transferred(source: str, target: str, kind: str) -> tuple[str, ...]:
    return ("transferred", source, target, kind)


def ended(interface: str = "") -> tuple[str, ...]:
    return ("ended", interface)


def abandoned(number: str, name: str = "") -> tuple[str, ...]:
    return ("abandoned", number, name)


def outbound(interface: str, number: str) -> tuple[str, ...]:
    return ("outbound", interface, number)


def by_call(events: Iterable[CallEvent]) -> dict[str, list[tuple[str, ...]]]:
    """The brief events grouped per call id, calls in order of their first event.

    ``CallerIdentified`` is left out: it tells nobody anything visible (it only starts a
    lookup early), and ``identities`` lists it on its own, so that the expectations of
    what the agents see stay as they were."""
    calls: dict[str, list[tuple[str, ...]]] = {}
    for event in events:
        if isinstance(event, CallerIdentified):
            continue
        calls.setdefault(event.call_id, []).append(brief(event))
    return calls


def identities(events: Iterable[CallEvent]) -> dict[str, tuple[str, ...]]:
    """Per call id, the caller its ``CallerIdentified`` named (at most one per call)."""
    found: dict[str, tuple[str, ...]] = {}
    for event in events:
        if isinstance(event, CallerIdentified):
            assert event.call_id not in found, f"identified twice: {event}"
            found[event.call_id] = brief(event)
    return found


def assert_well_formed(
    events: list[CallEvent], agent: Callable[[str], bool] = is_agent, complete: bool = True
) -> None:
    """The contract every output must keep, whatever the input.

    Only agent interfaces are offered, withdrawn or answered; per call and interface an
    offer is closed (answered or withdrawn) before the next one and answered at most once;
    nothing follows a call's end, which comes at most once; a ``CallerIdentified`` is a
    call's first event, with a number, never for an agent's device. ``complete``: the stream
    was whole, so every call ended exactly once with every offer closed (an identified call
    too: whoever looked its caller up learns it is over).
    """
    open_offers: dict[tuple[str, str], bool] = {}  # (call, interface) -> answered
    ended: set[str] = set()
    seen: set[str] = set()
    for event in events:
        if isinstance(event, CallerIdentified):
            assert event.call_id not in seen, f"identified after other events: {event}"
            assert event.caller.number, f"identified without a number: {event}"
        seen.add(event.call_id)
        assert event.call_id not in ended, f"event after the end of its call: {event}"
        match event:
            case CallOffered() | OfferWithdrawn() | CallAnswered() | OutboundStarted():
                assert agent(event.interface), f"not an agent interface: {event}"
                _check_offer(open_offers, event)
            case CallEnded() | CallAbandoned():
                ended.add(event.call_id)
                if complete:
                    left = [key for key in open_offers if key[0] == event.call_id]
                    assert all(open_offers[key] for key in left), f"open offers at {event}"
                if isinstance(event, CallAbandoned):
                    assert not any(k[0] == event.call_id and v for k, v in open_offers.items())
    if complete:
        assert seen == ended, f"calls that never ended: {seen - ended}"
        finished = interactions(events)
        assert sorted(i.call_id for i in finished) == sorted(seen), "one interaction per call"
        assert not any(leg.open for i in finished for leg in i.legs)


def interactions(events: Iterable[CallEvent]) -> list[Interaction]:
    """The finished interactions the events make, in the order the calls ended."""
    book = InteractionBook()
    return [item for event in events if (item := book.apply(event)) is not None]


def _check_offer(open_offers: dict[tuple[str, str], bool], event: CallEvent) -> None:
    assert isinstance(event, CallOffered | OfferWithdrawn | CallAnswered | OutboundStarted)
    key = (event.call_id, event.interface)
    if isinstance(event, CallOffered | OutboundStarted):
        assert open_offers.get(key) is not False, f"offered twice: {event}"
        open_offers[key] = False
    elif isinstance(event, CallAnswered):
        assert open_offers.get(key) is False, f"answer without an open offer: {event}"
        open_offers[key] = True
    else:
        assert open_offers.pop(key, None) is False, f"withdrawn without an open offer: {event}"


class Trace:
    """Builds AMI event streams shaped like Asterisk 20's, for tests of single behaviours.

    Channels are referred to by name; each gets a Uniqueid, and the Linkedid of the call
    it is created in (``call_of``: a channel whose call it joins; else it starts one).
    """

    def __init__(self, system: str = "1700000000") -> None:
        self.events: list[AmiEvent] = []
        self._system = system
        self._seq = 0
        self._ids: dict[str, tuple[str, str]] = {}  # name -> (uniqueid, linkedid)
        self._cid: dict[str, tuple[str, str]] = {}

    def uniqueid(self, name: str) -> str:
        return self._ids[name][0]

    def linkedid(self, name: str) -> str:
        return self._ids[name][1]

    def add(self, event: str, **headers: str) -> AmiEvent:
        message = {"Event": event, **headers}
        self.events.append(message)
        return message

    def snap(self, name: str, prefix: str = "") -> dict[str, str]:
        uniqueid, linkedid = self._ids[name]
        number, cid_name = self._cid[name]
        return {
            f"{prefix}Channel": name,
            f"{prefix}CallerIDNum": number,
            f"{prefix}CallerIDName": cid_name,
            f"{prefix}Uniqueid": uniqueid,
            f"{prefix}Linkedid": linkedid,
        }

    def new(
        self,
        name: str,
        call_of: str | None = None,
        number: str = "<unknown>",
        cid_name: str = "<unknown>",
        exten: str = "s",
    ) -> str:
        uniqueid = f"{self._system}.{self._seq}"
        self._seq += 1
        linkedid = self._ids[call_of][1] if call_of else uniqueid
        self._ids[name] = (uniqueid, linkedid)
        self._cid[name] = (number, cid_name)
        self.add("Newchannel", ChannelState="0", Exten=exten, **self.snap(name))
        return name

    def local(self, base: str, call_of: str | None) -> tuple[str, str]:
        """A Local channel's two halves, linked by a LocalBridge; returns (;1, ;2)."""
        one = self.new(f"{base};1", call_of)
        two = self.new(f"{base};2", call_of or one)
        self.add("LocalBridge", **self.snap(one, "LocalOne"), **self.snap(two, "LocalTwo"))
        return one, two

    def state(self, name: str, state: int) -> None:
        self.add("Newstate", ChannelState=str(state), **self.snap(name))

    def callerid(self, name: str, number: str, cid_name: str) -> None:
        self._cid[name] = (number, cid_name)
        self.add("NewCallerid", **self.snap(name))

    def dial(
        self, kind: str, source: str | None, dest: str, status: str = "", **extra: str
    ) -> None:
        """``DialBegin``/``DialState``/``DialEnd``; no source for an Originate's own leg."""
        headers = self.snap(dest, "Dest")
        if source is not None:
            headers.update(self.snap(source))
        if status:
            headers["DialStatus"] = status
        self.add(kind, **headers, **extra)

    def queue(self, kind: str, caller: str, queue: str, member: str | None = None) -> None:
        """A queue event (``QueueCallerJoin``, ``AgentCalled``...) for ``member``'s ring."""
        headers = {"Queue": queue, **self.snap(caller)}
        if member is not None:
            headers.update(self.snap(member, "Dest"))
            headers["Interface"] = member.split("-")[0]
        self.add(kind, **headers)

    def bridge(self, kind: str, name: str, bridge: str) -> None:
        self.add(kind, BridgeUniqueid=bridge, **self.snap(name))

    def hangup(self, name: str, cause: str = "16") -> None:
        self.add("Hangup", Cause=cause, **self.snap(name))


def direct_call(t: Trace) -> tuple[str, str]:
    """Bob (2001, an agent's phone) dials 1001: the caller's channel and the ringing one."""
    caller = t.new("PJSIP/2001-00000001", None, "2001", "Bob", exten="1001")
    phone = t.new("PJSIP/1001-00000002", caller)
    t.dial("DialBegin", caller, phone)
    return caller, phone


class Feeder:
    """A tracker fed from a Trace, 1 s per event, collecting everything it emits."""

    def __init__(self, trace: Trace, agent: Callable[[str], bool] = is_agent) -> None:
        self.trace = trace
        self.tracker = CallTracker("pbx1", agent)
        self.now = 1000.0
        self.fed = 0
        self.out: list[CallEvent] = []

    def run(self) -> list[tuple[str, ...]]:
        """Feed the events added since the last run; the brief events they produced."""
        new: list[CallEvent] = []
        for event in self.trace.events[self.fed :]:
            self.now += 1
            new.extend(self.tracker.feed(event, self.now))
        self.fed = len(self.trace.events)
        self.out.extend(new)
        return [brief(e) for e in new if not isinstance(e, CallerIdentified)]

    def feed(self, event: Mapping[str, str], now: float | None = None) -> list[CallEvent]:
        self.now = self.now + 1 if now is None else now
        new = self.tracker.feed(event, self.now)
        self.out.extend(new)
        return new
