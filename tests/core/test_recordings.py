"""Call recordings from real Asterisk 20 frames (``tests/fixtures/asterisk20-live``): the
dialplan's MixMonitor reports ``VarSet MIXMONITOR_FILENAME``; the tracker tells the call's
file name once, after the call's first event, and the interaction carries it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import CallEvent, CallOffered, CallRecorded
from cti_bridge.core.recordings import recording_name, recording_url
from tests.core.replay import AmiEvent, assert_well_formed, interactions, parse_wire, replay

LIVE = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk20-live"
JANE = "+15551234567"


def is_member(interface: str) -> bool:
    """The sample's queue members and transfer targets, ``Local/1001@agents``..."""
    return interface.startswith("Local/10") and interface.endswith("@agents")


def frames(name: str) -> list[AmiEvent]:
    return parse_wire((LIVE / f"{name}.ami").read_text())


def played(events: list[AmiEvent]) -> list[CallEvent]:
    out = replay(events, CallTracker("pbx1", is_member), agent=is_member)
    assert_well_formed(out, agent=is_member)
    return out


def recorded(out: list[CallEvent]) -> list[tuple[str, str]]:
    return [(e.call_id, e.recording) for e in out if isinstance(e, CallRecorded)]


@pytest.mark.parametrize(
    "name",
    [
        "queue_call_hangup",
        "blind_transfer",
        "blind_transfer_queue",
        "attended_transfer",
        "ring_no_answer",
        "abandoned",
    ],
)
def test_every_recorded_queue_call_names_its_file_once(name: str) -> None:
    events = frames(name)
    [value] = [e["Value"] for e in events if e.get("Variable") == "MIXMONITOR_FILENAME"]
    out = played(events)
    [(call_id, file)] = recorded(out)
    linkedid = call_id.partition(":")[2]
    # The file is <linkedid>.wav in the monitor spool: the name alone is kept.
    assert value == f"/opt/asterisk/var/spool/asterisk/monitor/{linkedid}.wav"
    assert file == f"{linkedid}.wav"
    # Right after the call's first event (the caller's early lookup), before any ring.
    assert [type(e).__name__ for e in out[:2]] == ["CallerIdentified", "CallRecorded"]
    [interaction] = interactions(out)
    assert (interaction.call_id, interaction.recording) == (call_id, file)


def test_a_transfer_back_into_the_queue_keeps_the_one_recording() -> None:
    out = played(frames("blind_transfer_queue"))
    assert len(recorded(out)) == 1
    assert sum(isinstance(e, CallOffered) for e in out) == 6  # rung twice round the queue


def _anonymous(events: list[AmiEvent]) -> list[AmiEvent]:
    """The same call from a caller who withholds their number: no early lookup."""
    return [{k: "anonymous" if v == JANE else v for k, v in e.items()} for e in events]


def test_a_recording_before_anything_is_told_waits_for_the_call_s_first_event() -> None:
    out = played(_anonymous(frames("queue_call_hangup")))
    assert [type(e).__name__ for e in out[:2]] == ["CallOffered", "CallRecorded"]
    [interaction] = interactions(out)
    assert interaction.recording == recorded(out)[0][1]


def test_every_frame_twice_tells_the_recording_once() -> None:
    doubled = [e for event in frames("queue_call_hangup") for e in (event, dict(event))]
    assert len(recorded(played(doubled))) == 1


def _with_value(value: str) -> list[AmiEvent]:
    return [
        {**e, "Value": value} if e.get("Variable") == "MIXMONITOR_FILENAME" else e
        for e in frames("queue_call_hangup")
    ]


@pytest.mark.parametrize(
    "value",
    ["/spool/..", "/spool/.hidden.wav", "/spool/a b.wav", "/spool/", "x" * 256, "/spool/é.wav"],
)
def test_a_name_that_is_not_plain_is_logged_and_ignored(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cti_bridge.core.recordings"):
        out = played(_with_value(value))
    assert recorded(out) == []
    assert "not a plain file name" in caplog.text


def test_other_variables_and_unknown_channels_tell_nothing() -> None:
    tracker = CallTracker("pbx1", is_member)
    events = frames("queue_call_hangup")
    varset = next(e for e in events if e.get("Variable") == "MIXMONITOR_FILENAME")
    assert tracker.feed({**varset, "Variable": "QUEUEWAIT"}, 1.0) == []
    assert tracker.feed({**varset, "Uniqueid": "9.9", "Linkedid": "9.9"}, 1.0) == []
    assert len(tracker) == 0


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/var/spool/asterisk/monitor/1796459324.0.wav", "1796459324.0.wav"),
        ("relative-name_1.wav", "relative-name_1.wav"),
        ("/a/b/../c.WAV", "c.WAV"),
        ("", None),
        ("/a/..", None),
        ("/a/.", None),
        ("/a/x\\y.wav", None),
        ("/a/x%2f.wav", None),
        ("/a/x.wav\n", None),
        ("y" * 255, "y" * 255),
    ],
)
def test_recording_name(path: str, name: str | None) -> None:
    assert recording_name(path) == name


def test_recording_url_quotes_the_call_id() -> None:
    assert recording_url("pbx1:17.0", "17.0.wav") == "/api/calls/pbx1%3A17.0/recording"
    assert recording_url("a/b?c", "x.wav") == "/api/calls/a%2Fb%3Fc/recording"
    assert recording_url("pbx1:17.0", None) is None
