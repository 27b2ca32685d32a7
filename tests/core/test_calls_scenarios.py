"""Hand-built Asterisk 16-22 traces (``tests/fixtures/ami/handbuilt``), one per scenario.

Each trace is replayed against the tracker: exactly these call events come out, per call,
and the caller's call folds into one interaction whose agent legs end as stated
(``missed``/``transferred_away``/``ended``). The traces themselves are checked to be what
``tests/core/scenarios.py`` writes, so the expectations and the data cannot drift apart.
"""

from __future__ import annotations

import random

import pytest

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import CallOffered, Party
from tests.core.replay import (
    abandoned,
    answered,
    assert_well_formed,
    by_call,
    check_recording,
    ended,
    interactions,
    interleave,
    is_agent,
    load,
    offered,
    outbound,
    times,
    transferred,
    withdrawn,
)
from tests.core.scenarios import HANDBUILT, OUTSIDE, SCENARIOS, render

P1, P2, P3, SOFT = "PJSIP/1001", "PJSIP/1002", "PJSIP/1003", "PJSIP/1011"
L1, L2 = "Local/agent1@agents", "Local/agent2@agents"
TRUNK = "PJSIP/trunk"
JANE = ("+15551234567", "Jane Doe")
NO, ELSE, GONE, PICKED = "no_answer", "answered_elsewhere", "caller_hangup", "picked_up"
Brief = tuple[str, ...]


def ring(*interfaces: str, via: str = "") -> list[Brief]:
    return [offered(i, *JANE, via) for i in interfaces]


def handed(source: str, target: str, kind: str = "blind") -> list[Brief]:
    """``source`` hands the caller to agent ``target``, who answers."""
    return [transferred(source, target, kind), *ring(target, via=source), answered(target)]


def consultation(target: str, agent: str) -> list[Brief]:
    """The agent's own call to a colleague before completing an attended transfer."""
    return [offered(target, agent, "Agent", ""), answered(target), ended(target)]


# name -> (calls' brief events in order of first event, legs of the caller's interaction)
EXPECTED: dict[str, tuple[list[list[Brief]], list[tuple[str, str]]]] = {
    "queue_rrmemory_ring_no_answer_moves_on": (
        [
            [
                *ring(L1, P1),
                withdrawn(L1, NO),
                withdrawn(P1, NO),
                *ring(L2, "PJSIP/1002"),
                answered(P2),
                answered(L2),
                ended(L2),
            ]
        ],
        [(L1, "missed"), (P1, "missed"), (L2, "ended"), (P2, "ended")],
    ),
    "queue_leastrecent_ring_no_answer": (
        [
            [
                *ring(P2),
                withdrawn(P2, NO),
                *ring(P3),
                withdrawn(P3, NO),
                *ring(P1),
                answered(P1),
                ended(P1),
            ]
        ],
        [(P2, "missed"), (P3, "missed"), (P1, "ended")],
    ),
    "queue_member_answers_on_second_device": (
        [[*ring(L1, P1, SOFT), answered(SOFT), withdrawn(P1, ELSE), answered(L1), ended(L1)]],
        [(L1, "ended"), (P1, "missed"), (SOFT, "ended")],
    ),
    "queue_ringall_caller_abandons": (
        [
            [
                *ring(P1, P2, P3),
                withdrawn(P1, GONE),
                withdrawn(P2, GONE),
                withdrawn(P3, GONE),
                abandoned(*JANE),
            ]
        ],
        [(P1, "missed"), (P2, "missed"), (P3, "missed")],
    ),
    "ring_group_dial_three_phones": (
        [[*ring(P1, P2, P3), answered(P2), withdrawn(P1, ELSE), withdrawn(P3, ELSE), ended(P2)]],
        [(P1, "missed"), (P2, "ended"), (P3, "missed")],
    ),
    "forward_302_to_colleague": (
        [[*ring(P1), withdrawn(P1, NO), *ring(P2), answered(P2), ended(P2)]],
        [(P1, "missed"), (P2, "ended")],
    ),
    "followme_no_answer_to_colleague": (
        [[*ring(P1), withdrawn(P1, NO), *ring(P2), answered(P2), ended(P2)]],
        [(P1, "missed"), (P2, "ended")],
    ),
    "directed_pickup": (
        [[*ring(P1), withdrawn(P1, PICKED), *ring(P2), answered(P2), ended(P2)]],
        [(P1, "missed"), (P2, "ended")],
    ),
    "group_pickup": (
        [
            [
                *ring(P1, P3),
                withdrawn(P1, PICKED),
                withdrawn(P3, PICKED),
                *ring(P2),
                answered(P2),
                ended(P2),
            ]
        ],
        [(P1, "missed"), (P3, "missed"), (P2, "ended")],
    ),
    "blind_transfer_to_agent": (
        [[*ring(P1), answered(P1), *handed(P1, P2), ended(P2)]],
        [(P1, "transferred_away"), (P2, "ended")],
    ),
    "blind_transfer_to_queue": (
        [[*ring(P1), answered(P1), *handed(P1, P3), ended(P3)]],
        [(P1, "transferred_away"), (P3, "ended")],
    ),
    "blind_transfer_to_outside_number": (
        [[*ring(P1), answered(P1), transferred(P1, TRUNK, "blind"), ended(P1)]],
        [(P1, "transferred_away")],
    ),
    "attended_transfer_to_agent": (
        [
            [*ring(P1), answered(P1), *handed(P1, P2, "attended"), ended(P2)],
            consultation(P2, "1001"),
        ],
        [(P1, "transferred_away"), (P2, "ended")],
    ),
    "attended_transfer_to_outside_number": (
        [[*ring(P1), answered(P1), transferred(P1, TRUNK, "attended"), ended(P1)], [ended()]],
        [(P1, "transferred_away")],
    ),
    "attended_transfer_to_queue": (
        [
            [*ring(P1), answered(P1), *handed(P1, P3, "attended"), ended(P3)],
            consultation(P3, "1001"),
        ],
        [(P1, "transferred_away"), (P3, "ended")],
    ),
    "transfer_back": (
        [[*ring(P1), answered(P1), *handed(P1, P2), *handed(P2, P1), ended(P1)]],
        [(P1, "transferred_away"), (P2, "transferred_away"), (P1, "ended")],
    ),
    "transfer_of_a_transferred_call": (
        [
            [*ring(P1), answered(P1), *handed(P1, P2), *handed(P2, P3, "attended"), ended(P3)],
            consultation(P3, "1002"),
        ],
        [(P1, "transferred_away"), (P2, "transferred_away"), (P3, "ended")],
    ),
    "local_member_optimized_away": (
        [[*ring(L1, P1), answered(P1), answered(L1), ended(L1)]],
        [(L1, "ended"), (P1, "ended")],
    ),
    # The ring of 1002 through the agent's ``atxfer`` Local channel comes before the
    # ``AttendedTransfer``: the hand-over is told at that ring, to both answered legs.
    "blonde_transfer_to_agent": (
        [
            [
                *ring(L1, P1),
                answered(P1),
                answered(L1),
                transferred(L1, P2, "blind"),
                transferred(P1, P2, "blind"),
                *ring(P2, via=L1),
                answered(P2),
                ended(P2),
            ]
        ],
        [(L1, "transferred_away"), (P1, "transferred_away"), (P2, "ended")],
    ),
    "asterisk16_queue_chan_sip": (
        [
            [
                *ring("SIP/1001", "SIP/1002"),
                answered("SIP/1002"),
                withdrawn("SIP/1001", ELSE),
                ended("SIP/1002"),
            ]
        ],
        [("SIP/1001", "missed"), ("SIP/1002", "ended")],
    ),
    "asterisk22_queue_pjsip": (
        [[*ring(P1, P2), answered(P2), withdrawn(P1, ELSE), ended(P2)]],
        [(P1, "missed"), (P2, "ended")],
    ),
    "click_to_dial_answered": (
        [[outbound(P1, OUTSIDE), answered(P1), ended(P1)]],
        [(P1, "ended")],
    ),
}


def test_every_scenario_has_an_expectation() -> None:
    assert set(EXPECTED) == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_fixture_is_what_the_scenario_writes(name: str) -> None:
    stored = (HANDBUILT / f"{name}.ami").read_bytes().decode()
    assert stored == render(name), "run: .venv/bin/python -m tests.core.scenarios"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_gives_exactly_these_events_and_one_interaction(name: str) -> None:
    calls, legs = EXPECTED[name]
    out = check_recording(HANDBUILT / f"{name}.ami", calls)
    caller_call = out[0].call_id
    [item] = [i for i in interactions(out) if i.call_id == caller_call]
    assert [(leg.interface, leg.state) for leg in item.legs] == legs
    # Whoever is popped, through every transfer, is shown the original caller.
    shown = {e.caller for e in out if isinstance(e, CallOffered) and e.call_id == caller_call}
    assert shown <= {Party(number=JANE[0], name=JANE[1])}


def test_blind_transfer_to_a_queue_pops_with_the_new_queue() -> None:
    out = check_recording(
        HANDBUILT / "blind_transfer_to_queue.ami", EXPECTED["blind_transfer_to_queue"][0]
    )
    offers = [e for e in out if isinstance(e, CallOffered)]
    assert [(o.queue, o.transferred_from) for o in offers] == [("support", None), ("sales", P1)]
    assert offers[0].started_at == offers[1].started_at  # one call, one wait clock


def test_header_versions_differ_as_documented() -> None:
    a16 = (HANDBUILT / "asterisk16_queue_chan_sip.ami").read_text()
    a22 = (HANDBUILT / "asterisk22_queue_pjsip.ami").read_text()
    assert a16.startswith("Asterisk Call Manager/5.0") and a22.startswith(
        "Asterisk Call Manager/11.0"
    )
    assert "TechCause" not in a16 and "TechCause: 487" in a22
    assert "Channel: SIP/1001-" in a16 and "Channel: PJSIP/1001-" in a22


def test_two_servers_at_once_keep_their_calls_apart() -> None:
    """Two Asterisk servers whose Uniqueids collide (same boot second): one tracker each,
    call ids carry the server name, and each server's calls come out as if alone."""
    names = ["ring_group_dial_three_phones", "blind_transfer_to_agent"]
    streams = {f"pbx{n + 1}": load(HANDBUILT / f"{name}.ami") for n, name in enumerate(names)}
    trackers = {pbx: CallTracker(pbx, is_agent) for pbx in streams}
    tagged = [[(pbx, e) for e in events] for pbx, events in streams.items()]
    merged = interleave(tagged, random.Random(3))  # type: ignore[arg-type]
    out = []
    for (pbx, event), now in zip(merged, times([e for _, e in merged]), strict=True):
        out.extend(trackers[pbx].feed(event, now))
    assert_well_formed(out)
    got = by_call(out)
    assert got == {
        "pbx1:1795400000.0": EXPECTED[names[0]][0][0],
        "pbx2:1795400000.0": EXPECTED[names[1]][0][0],
    }
