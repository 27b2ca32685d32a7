"""Attended transfers recorded off a real Asterisk 20 (``tests/fixtures/asterisk20-live``).

AMI ``Atxfer`` keeps the call's Linkedid: the consultation is a Local channel pair of the
same call (``Local/1002@agent-transfer``) whose ``;2`` rings the colleague. So the
colleague's ring is a pop of the same call carrying the transferer (``transferred_from``:
the desk's hand-off note goes with it), and the hand-over is told when Asterisk joins the
caller and the colleague (``AttendedTransfer``), not at the ring. The agents of the sample
configuration are the robot queue members ``Local/100x@agents``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.callstate import CallPhase, CallSnapshot
from cti_bridge.core.events import CallEnded, CallOffered
from tests.core.replay import (
    LIVE,
    answered,
    check_recording,
    ended,
    interactions,
    load,
    offered,
    times,
    transferred,
    withdrawn,
)

ANN, BOB, SUE = "Local/1001@agents", "Local/1002@agents", "Local/1003@agents"
JANE = ("+15551234567", "Jane Doe")
Brief = tuple[str, ...]


def is_agent(interface: str) -> bool:
    return interface in (ANN, BOB, SUE)


def ring(*interfaces: str, via: str = "") -> list[Brief]:
    return [offered(i, *JANE, via) for i in interfaces]


def recorded(linkedid: str) -> Brief:
    """The dialplan's MixMonitor names the call's file (VarSet MIXMONITOR_FILENAME)."""
    return ("recorded", f"{linkedid}.wav")


def ann_answers() -> list[Brief]:
    """The queue rings all three; Ann's robot answers first."""
    return [
        *ring(SUE, BOB, ANN),
        answered(ANN),
        withdrawn(SUE, "answered_elsewhere"),
        withdrawn(BOB, "answered_elsewhere"),
    ]


# name -> (the call's brief events, the caller's interaction legs as they end)
EXPECTED: dict[str, tuple[list[Brief], list[tuple[str, str]]]] = {
    # Bob answers the consultation, Ann hangs up: handed over then.
    "attended_transfer": (
        [
            recorded("1796459440.36"),
            *ring(SUE, BOB),
            withdrawn(SUE, "no_answer"),
            withdrawn(BOB, "no_answer"),
            *ann_answers(),
            *ring(BOB, via=ANN),
            answered(BOB),
            transferred(ANN, BOB, "attended"),
            ended(BOB),
        ],
        [
            *[(SUE, "missed"), (BOB, "missed")] * 2,
            (ANN, "transferred_away"),
            (BOB, "ended"),
        ],
    ),
    # Ann hangs up while Bob still rings: handed over at once, Bob answers later.
    "attended_transfer_hangup_ringing": (
        [
            recorded("1796473032.28"),
            *ann_answers(),
            *ring(BOB, via=ANN),
            transferred(ANN, BOB, "attended"),
            answered(BOB),
            ended(BOB),
        ],
        [(SUE, "missed"), (BOB, "missed"), (ANN, "transferred_away"), (BOB, "ended")],
    ),
    # Bob never answers: after atxfernoanswertimeout the caller is Ann's again.
    "attended_transfer_no_answer": (
        [
            recorded("1796473048.40"),
            *ann_answers(),
            *ring(BOB, via=ANN),
            withdrawn(BOB, "no_answer"),
            ended(ANN),
        ],
        [(SUE, "missed"), (BOB, "missed"), (ANN, "ended"), (BOB, "missed")],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_attended_transfer_gives_these_events_and_legs(name: str) -> None:
    events, legs = EXPECTED[name]
    out = check_recording(LIVE / f"{name}.ami", [events], is_agent)
    [item] = interactions(out)
    assert [(leg.interface, leg.state) for leg in item.legs] == legs


def test_the_consultation_is_no_call_of_its_own() -> None:
    expected = [EXPECTED["attended_transfer"][0]]
    out = check_recording(LIVE / "attended_transfer.ami", expected, is_agent)
    [ending] = [e for e in out if isinstance(e, CallEnded)]
    consult = [e for e in out if isinstance(e, CallOffered) and e.transferred_from == ANN]
    assert [e.call_id for e in consult] == [ending.call_id]


def _snapshot_after(name: str, stop: Callable[[dict[str, str]], bool]) -> CallSnapshot:
    """The call's snapshot right after the first event for which ``stop`` holds."""
    tracker = CallTracker("pbx1", is_agent)
    events = load(LIVE / f"{name}.ami")
    for event, now in zip(events, times(events), strict=True):
        tracker.feed(event, now)
        if stop(event):
            break
    [call] = tracker.snapshot()
    return call


def test_during_the_consultation_ann_holds_the_call() -> None:
    """Bob answered the consultation; Ann has not hung up yet."""
    call = _snapshot_after(
        "attended_transfer",
        lambda e: e.get("Event") == "DialEnd" and "@agent-transfer" in e.get("Channel", ""),
    )
    assert (call.answered, call.state) == (ANN, CallPhase.TALKING)
    assert call.channel_of(ANN) == "Local/1001@agents-00000017;1"


def test_after_the_transfer_bob_is_the_calls_agent() -> None:
    call = _snapshot_after("attended_transfer", lambda e: e.get("Event") == "AttendedTransfer")
    assert (call.answered, call.state) == (BOB, CallPhase.TALKING)
    assert call.channel_of(BOB) == "Local/1002@agents-00000019;1"
