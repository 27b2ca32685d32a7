"""The AMI read path with the ingest's filter, on the bytes a real Asterisk 20 sent
(``tests/fixtures/asterisk20-live``): ``VarSet`` is parsed only for the recording."""

from __future__ import annotations

from cti_bridge.ami.protocol import AmiProtocol
from cti_bridge.core.calls import HANDLED_EVENTS, HANDLED_VARIABLES, CallTracker
from cti_bridge.core.events import CallEvent
from cti_bridge.services.ami_ingest import PAUSE_EVENT
from tests.core.replay import replay
from tests.core.test_recordings import LIVE, frames, is_member, recorded


class Feeder:
    """The ingest's read path without a socket: what the protocol hands over is fed to a
    tracker, and which events it parsed is kept."""

    def __init__(self) -> None:
        self.tracker = CallTracker("pbx1", is_member)
        self.facts: list[CallEvent] = []
        self.parsed: list[str] = []
        self.malformed_frames = 0
        self.skipped = 0

    def frame_received(self, frame: dict[str, str]) -> None:
        self.parsed.append(frame.get("Event", ""))
        self.facts.extend(self.tracker.feed(frame, 0.0))

    def events_skipped(self, count: int) -> None:
        self.skipped += count

    def connection_closed(self, protocol: object, exc: Exception | None) -> None:
        pass


async def test_the_ingest_filter_lets_only_the_recording_s_varset_through() -> None:
    """The real bytes through the AMI protocol with the ingest's filter: of the call's many
    VarSets only MIXMONITOR_FILENAME is parsed, and the call facts are the whole stream's."""
    data = (LIVE / "queue_call_hangup.ami").read_bytes()
    feeder = Feeder()
    wanted = HANDLED_EVENTS | {PAUSE_EVENT}
    protocol = AmiProtocol(feeder, wanted, variables=HANDLED_VARIABLES)  # type: ignore[arg-type]
    protocol.data_received(data)
    protocol.connection_lost(None)
    assert feeder.parsed.count("VarSet") == 1
    assert data.count(b"Event: VarSet\r\n") > 10
    whole = replay(frames("queue_call_hangup"), CallTracker("pbx1", is_member), agent=is_member)
    assert [type(f) for f in feeder.facts] == [type(f) for f in whole]
    assert recorded(feeder.facts) == recorded(whole) != []
