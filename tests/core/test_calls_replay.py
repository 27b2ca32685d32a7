"""Replaying real Asterisk recordings: queue and direct calls give exactly these events.

Expectations come from the recordings' README (Asterisk 20), the ``pop``/``answered``
columns of ``INDEX.tsv`` and the call facts in cacofonisk's expected reporter output.
Agents are the ``SIP/1500100NN`` phones and the ``Local/agentN@agents`` queue members; the
trunk ``SIP/voipgrid-siproute-*`` is not an agent and is never offered.
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

import pytest

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import (
    CallAbandoned,
    CallAnswered,
    CallEvent,
    CallOffered,
    Direction,
    WithdrawReason,
)
from tests.core.replay import (
    ASTERISK20,
    CACOFONISK,
    HANDBUILT,
    abandoned,
    answered,
    brief,
    check_recording,
    ended,
    is_agent,
    load,
    offered,
    recordings,
    replay,
    withdrawn,
)

A1, A2, A3 = "SIP/150010001", "SIP/150010002", "SIP/150010003"
L1, L2, L3 = "Local/agent1@agents", "Local/agent2@agents", "Local/agent3@agents"
JANE = ("+15551234567", "Jane Doe")
ANDREW = ("201", "Andrew Garza")
ELSEWHERE = WithdrawReason.ANSWERED_ELSEWHERE.value
NO_ANSWER = WithdrawReason.NO_ANSWER.value
CALLER_HANGUP = WithdrawReason.CALLER_HANGUP.value

# file -> the brief events of each call (in order of each call's first event).
EXPECTED = {
    "queue_ringall_answered": (
        ASTERISK20 / "queue_ringall_answered.ami",
        [
            [
                offered(L3, *JANE),
                offered(L2, *JANE),
                offered(L1, *JANE),
                answered(L1),
                withdrawn(L3, ELSEWHERE),
                withdrawn(L2, ELSEWHERE),
                ended(L1),
            ]
        ],
    ),
    "direct_call_to_local_member_answered": (
        ASTERISK20 / "direct_answered.ami",
        [[offered(L2, *JANE), answered(L2), ended(L2)]],
    ),
    "queue_one_agent_answers_other_busy_never_pops": (
        CACOFONISK / "queue/queue_simple.json",
        [[offered(A2, "+31150010001"), answered(A2), ended(A2)]],
    ),
    "queue_two_agents_ring_one_answers": (
        CACOFONISK / "queue/queue_group.json",
        [
            [
                offered(A3, "+31150010001"),
                offered(A2, "+31150010001"),
                answered(A2),
                withdrawn(A3, ELSEWHERE),
                ended(A2),
            ]
        ],
    ),
    "queue_caller_abandons_with_duplicated_cancel": (
        CACOFONISK / "queue/queue_a_cancel.json",
        [
            [
                offered(A2, "+31150010001"),
                withdrawn(A2, CALLER_HANGUP),
                abandoned("+31150010001"),
            ]
        ],
    ),
    "trunk_call_nobody_dialled_is_abandoned": (
        CACOFONISK / "simple/a_created_no_answer.json",
        [[abandoned("+31150010001")]],
    ),
    "internal_call_cancelled_by_caller": (
        CACOFONISK / "simple/ab_a_cancel.json",
        [[offered(A2, *ANDREW), withdrawn(A2, CALLER_HANGUP), abandoned(*ANDREW)]],
    ),
    "call_group_first_phone_answers": (
        CACOFONISK / "simple/ab_callgroup.json",
        [
            [
                offered(A2, *ANDREW),
                offered(A3, *ANDREW),
                answered(A2),
                withdrawn(A3, ELSEWHERE),
                ended(A2),
            ]
        ],
    ),
    "call_group_both_busy": (
        CACOFONISK / "simple/ab_callgroup_no_answer.json",
        [
            [
                offered(A2, *ANDREW),
                offered(A3, *ANDREW),
                withdrawn(A2, NO_ANSWER),
                withdrawn(A3, NO_ANSWER),
                abandoned(*ANDREW),
            ]
        ],
    ),
    "do_not_disturb_phone_never_rings_so_no_pop": (
        CACOFONISK / "simple/ab_dnd.json",
        [[abandoned(*ANDREW)]],
    ),
    "callee_rejects": (
        CACOFONISK / "simple/ab_reject.json",
        [[offered(A2, *ANDREW), withdrawn(A2, NO_ANSWER), abandoned(*ANDREW)]],
    ),
    "answered_caller_hangs_up": (
        CACOFONISK / "simple/ab_success_a_hangup.json",
        [[offered(A2, *ANDREW), answered(A2), ended(A2)]],
    ),
    "answered_agent_hangs_up": (
        CACOFONISK / "simple/ab_success_b_hangup.json",
        [[offered(A2, *ANDREW), answered(A2), ended(A2)]],
    ),
    "ringing_state_before_dial_begin": (
        CACOFONISK / "simple/ab_success_o3.json",
        [[offered("SIP/100060002", "201", "Robert Hughes"), answered("SIP/100060002"), ended()]],
    ),
    "outside_phone_calls_in_through_trunk": (
        CACOFONISK / "simple/ab_success_twoclients.json",
        [
            [offered(A1, "+31260010001"), answered(A1), ended(A1)],
            [ended()],  # the outside phone's own call: answered by the trunk, no agent
        ],
    ),
}
# ab_success_o3's CallEnded names the agent who talked.
EXPECTED["ringing_state_before_dial_begin"][1][0][-1] = ended("SIP/100060002")


def _first_linkedids(events: list[dict[str, str]]) -> set[str]:
    return {e["Linkedid"] for e in events if e["Event"] == "Newchannel"}


@pytest.mark.parametrize(("path", "calls"), EXPECTED.values(), ids=EXPECTED.keys())
def test_recording_gives_exactly_these_call_events(
    path: Path, calls: list[list[tuple[str, ...]]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="cti_bridge")
    out = check_recording(path, calls)
    assert {e.call_id for e in out} <= {f"pbx1:{lid}" for lid in _first_linkedids(load(path))}
    assert not caplog.records


def _first(out: list[CallEvent], kind: type[CallOffered] | type[CallAbandoned]) -> CallEvent:
    return next(e for e in out if isinstance(e, kind))


def test_queue_call_carries_queue_caller_and_wait_start() -> None:
    raw = load(ASTERISK20 / "queue_ringall_answered.ami")
    out = replay(raw)
    offer = _first(out, CallOffered)
    assert isinstance(offer, CallOffered)
    assert offer.call_id == "pbx1:1795385817.0"
    assert (offer.queue, offer.dialed, offer.direction) == ("support", "", Direction.INBOUND)
    # The wait runs from the caller's first channel, before the queue rang anybody.
    assert offer.started_at < offer.at
    assert all(e.at >= offer.started_at for e in out)


def test_direct_call_carries_the_dialled_extension() -> None:
    offer = _first(replay(load(ASTERISK20 / "direct_answered.ami")), CallOffered)
    assert isinstance(offer, CallOffered)
    assert (offer.queue, offer.dialed, offer.direction) == (None, "2002", Direction.INBOUND)


def test_internal_call_is_internal_and_keeps_the_updated_caller_id() -> None:
    # The phone's channel starts as "150010001"/"Local Alice"; NewCallerid makes it 201.
    out = replay(load(CACOFONISK / "simple/ab_a_cancel.json"))
    end = _first(out, CallAbandoned)
    assert isinstance(end, CallAbandoned)
    assert (end.direction, end.dialed, end.caller.number) == (Direction.INTERNAL, "202", "201")


def test_queue_abandon_names_the_queue() -> None:
    end = _first(replay(load(CACOFONISK / "queue/queue_a_cancel.json")), CallAbandoned)
    assert isinstance(end, CallAbandoned)
    assert (end.queue, end.dialed, end.direction) == ("670100-540100", "+31150010004", "inbound")


ALL = (
    recordings(ASTERISK20, "*.ami")
    + recordings(CACOFONISK, "*/*.json")
    + recordings(HANDBUILT, "*.ami")
)


@pytest.mark.parametrize("path", ALL, ids=[f"{p.parent.name}/{p.stem}" for p in ALL])
def test_every_event_twice_changes_nothing(path: Path) -> None:
    """Duplicated events (a real quirk: ``DialEnd CANCEL`` twice) never pop or end twice."""
    raw = load(path)
    doubled = [event for event in raw for _ in range(2)]
    tracker = CallTracker("pbx1", is_agent)
    once = [(e.call_id, brief(e)) for e in replay(raw)]
    assert [(e.call_id, brief(e)) for e in replay(doubled, tracker)] == once
    assert len(tracker) == 0


def _index_rows() -> list[dict[str, str]]:
    with (CACOFONISK / "INDEX.tsv").open() as index:
        return list(csv.DictReader(index, delimiter="\t"))


def _index_pops(row: dict[str, str]) -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """(device, number) pops, answering devices and attended-transfer targets of a row."""
    pops, targets = set(), set()
    for part in re.split(r";\s(?![^\[]*\])", row["pop"]):
        attended = re.match(r"\(attended: (\S+) now talks to (\S+), transferer", part)
        ring = re.match(r"^([^:\s]+?)<-(\S+?)(\[.*\])?$", part.strip())
        if attended:
            pops.add((attended[1], attended[2]))
            targets.add(attended[1])
        elif ring and not part.startswith("TRUNK:"):
            pops.add((ring[1], ring[2]))
    answers = {a for a in row["answered"].split(", ") if a != "nobody" and ":" not in a}
    return pops, answers, targets


# These click-to-dial recordings originate through the platform's own Local channels, not
# from the agent's interface: they only have to keep the contract (test_calls_transfers).
INDEXED = [row for row in _index_rows() if not row["file"].startswith("originate/")]


@pytest.mark.parametrize("row", INDEXED, ids=[row["file"] for row in INDEXED])
def test_pops_and_answers_match_the_index(row: dict[str, str]) -> None:
    """Every ``pop`` of INDEX.tsv is offered with its caller number, and nothing else is,
    except what our contract adds: a phone that answers without having rung (pickup) is
    offered first, and an attended-transfer target is answered in the caller's call."""
    pops, answers, targets = _index_pops(row)
    out = replay(load(CACOFONISK / row["file"]), agent=is_agent)
    ours = {(e.interface, e.caller.number) for e in out if isinstance(e, CallOffered)}
    assert pops <= ours
    assert {iface for iface, _ in ours} == {iface for iface, _ in pops} | answers
    assert {e.interface for e in out if isinstance(e, CallAnswered)} == answers | targets
