"""Replaying transfers, pickups, forwarding and outside (trunk-only) calls.

A transfer keeps the caller's call: the new agent is offered with ``transferred_from`` after
a ``CallTransferred``, and after an attended transfer the consultation call ends and its
party is answered in the caller's call. The click-to-dial recordings (``originate/``)
originate through the platform's Local channels rather than from the agent's interface
(see ``test_calls_outbound.py`` for ours): they only have to keep the contract (every call
ends once, only agents are offered, nothing is left in memory).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import CallEnded, CallOffered, CallTransferred
from tests.core.replay import (
    CACOFONISK,
    abandoned,
    answered,
    assert_well_formed,
    check_recording,
    ended,
    is_agent,
    load,
    offered,
    recordings,
    replay,
    transferred,
    withdrawn,
)

A1, A2, A3 = "SIP/150010001", "SIP/150010002", "SIP/150010003"
OUT = "+31260010001"  # the outside caller
ANDREW = ("201", "Andrew Garza")
CHRISTINA = ("202", "Christina Arroyo")
MARK = ("203", "Mark Williams")
LEAH = ("201", "Leah Price")
ELSEWHERE, NO_ANSWER, CALLER_HANGUP = "answered_elsewhere", "no_answer", "caller_hangup"
ATT, BLIND = "attended", "blind"


Brief = tuple[str, ...]


def _handover(
    kind: str,
    caller: tuple[str, ...],
    first: str,
    move: tuple[str, str],
    shown: tuple[str, str],
    *,
    outcome: list[Brief] | None = None,
) -> list[Brief]:
    """The caller's call: ``first`` answers, then ``move`` = (transferer, target): the
    transferer hands ``shown`` to the target, who answers and talks until the end (unless
    ``outcome`` says what happened instead)."""
    transferer, target = move
    return [
        offered(first, *caller),
        answered(first),
        transferred(transferer, target, kind),
        offered(target, shown[0], shown[1], transferer),
        *(outcome or [answered(target), ended(target)]),
    ]


def _consult(target: str, caller: tuple[str, str]) -> list[Brief]:
    return [offered(target, *caller), answered(target), ended(target)]


def _abandoned_consult(caller: tuple[str, str], *targets: str) -> list[Brief]:
    """A consultation handed over while still ringing: its caller left before an answer."""
    return [
        *(offered(t, *caller) for t in targets),
        *(withdrawn(t, CALLER_HANGUP) for t in reversed(targets)),
        abandoned(*caller),
    ]


def _group_answer(rings_too: str, answers: str, loses: str) -> list[Brief]:
    """After a hand-over by A1 to a group: a second phone rings too, one answers."""
    return [
        offered(rings_too, OUT, "", A1),
        answered(answers),
        withdrawn(loses, ELSEWHERE),
        ended(answers),
    ]


# Another phone picks up: the ringing one is withdrawn, the picker offered and answered.
_PICKED_UP = [
    offered(A2, *LEAH),
    withdrawn(A2, "picked_up"),
    offered(A3, *LEAH),
    answered(A3),
    ended(A3),
]
_OUT = (OUT, "")

EXPECTED: dict[str, tuple[str, list[list[Brief]]]] = {
    "attended_queue_call_handed_to_colleague": (
        "queue/queue_attn_xfer.json",
        [_handover(ATT, _OUT, A1, (A1, A2), _OUT), _consult(A2, ANDREW)],
    ),
    "attended_callee_hands_caller_over": (
        "xfer_attended/xfer_abbcac.json",
        [_handover(ATT, ANDREW, A2, (A2, A3), ANDREW), _consult(A3, CHRISTINA)],
    ),
    "attended_caller_hands_callee_over": (
        "xfer_attended/xfer_abacbc.json",
        [_handover(ATT, ANDREW, A2, (A1, A3), ("202", "")), _consult(A3, ANDREW)],
    ),
    "attended_anonymous_outside_caller": (
        "xfer_attended/xfer_abbcac_anon.json",
        [
            _handover(ATT, ("+31260xxxxxx",), A1, (A1, A3), ("+31260xxxxxx", "")),
            _consult(A3, ANDREW),
        ],
    ),
    "attended_agent_joins_two_callers": (
        "xfer_attended/xfer_abcbac.json",
        [_consult(A1, CHRISTINA), _handover(ATT, MARK, A1, (A1, A2), MARK)],
    ),
    "blind_queue_call_to_colleague": (
        "queue/queue_blind_xfer.json",
        [_handover(BLIND, _OUT, A1, (A1, A2), _OUT)],
    ),
    "blind_transfer_target_rejects": (
        "xfer_blind/xfer_blind_reject.json",
        [
            _handover(
                BLIND,
                ANDREW,
                A2,
                (A2, A3),
                ("201", ""),
                outcome=[withdrawn(A3, NO_ANSWER), ended(A2)],
            )
        ],
    ),
    "blind_by_caller": (
        "xfer_blind/xfer_blind_abacbc.json",
        [_handover(BLIND, ANDREW, A2, (A1, A3), ("202", ""))],
    ),
    "blind_by_callee": (
        "xfer_blind/xfer_blind_abbcac.json",
        [_handover(BLIND, ANDREW, A2, (A2, A3), ("201", ""))],
    ),
    "blind_to_group": (
        "xfer_blind/xfer_blind_group.json",
        [_handover(BLIND, _OUT, A1, (A1, A3), _OUT, outcome=_group_answer(A2, A3, loses=A2))],
    ),
    "blind_transfer_never_rang": (
        "xfer_blind/xfer_blind_a_no_answer.json",
        [_consult(A2, ANDREW)],
    ),
    "blind_transfer_callee_gone": (
        "xfer_blind/xfer_blind_b_no_answer.json",
        [_consult(A2, ANDREW)],
    ),
    "blind_to_group_nobody_rang": (
        "xfer_blind/xfer_blind_group_no_answer.json",
        [_consult(A1, _OUT)],
    ),
    "blonde_outside_caller_to_ringing_colleague": (
        "xfer_blonde/xfer_blonde_abbcac.json",
        [_handover(ATT, _OUT, A1, (A1, A2), _OUT), _abandoned_consult(ANDREW, A2)],
    ),
    "blonde_by_caller": (
        "xfer_blonde/xfer_blonde_abacbc.json",
        [_handover(ATT, ANDREW, A2, (A1, A3), ("202", "")), _abandoned_consult(ANDREW, A3)],
    ),
    "blonde_target_rejects": (
        "xfer_blonde/xfer_blonde_reject.json",
        [
            _handover(ATT, _OUT, A1, (A1, A2), _OUT, outcome=[withdrawn(A2, NO_ANSWER), ended(A1)]),
            _abandoned_consult(ANDREW, A2),
        ],
    ),
    "blonde_to_group_of_an_outside_call": (
        "xfer_blonde/xfer_blonde_group_a.json",
        [
            _abandoned_consult(ANDREW, A2, A3),
            # The agent called out (no pop: the trunk is no agent), then handed the
            # outside party to the group: that party is the caller the group sees.
            _handover(ATT, _OUT, A1, (A1, A3), _OUT, outcome=_group_answer(A2, A2, loses=A3))[2:],
        ],
    ),
    "blonde_to_group": (
        "xfer_blonde/xfer_blonde_group_b.json",
        [
            _handover(ATT, _OUT, A1, (A1, A3), _OUT, outcome=_group_answer(A2, A2, loses=A3)),
            _abandoned_consult(ANDREW, A2, A3),
        ],
    ),
    "call_forwarded_to_colleague": (
        "xfer_misc/call_forwarding.json",
        [_consult(A2, _OUT)],
    ),
    "call_forwarded_to_group": (
        "xfer_misc/call_forwarding_to_group.json",
        [[offered(A2, OUT), offered(A3, OUT), answered(A3), withdrawn(A2, ELSEWHERE), ended(A3)]],
    ),
    "sip_pickup_by_colleague": ("xfer_misc/sip_pickup.json", [_PICKED_UP]),
    "star_pickup_by_colleague": ("xfer_misc/star_pickup.json", [_PICKED_UP]),
    "user_events_do_not_disturb": (
        "var_set/user_events.json",
        [_consult(A1, _OUT), [ended()]],
    ),
}
# Calls to outside numbers: the trunk leg is no agent, so only the call's end is told.
for _name in ("acceptance_group_pickup", "acceptance_group_reject", "acceptance_simple"):
    EXPECTED[f"forwarded_to_mobile_{_name}"] = (f"mobile/{_name}.json", [[ended()]])
EXPECTED["forwarded_to_mobile_simple"] = ("mobile/simple_mobile.json", [[ended()]])
for _name in ("acceptance_reject", "acceptance_timeout"):
    EXPECTED[f"forwarded_to_mobile_{_name}"] = (
        f"mobile/{_name}.json",
        [[abandoned("+31150010003")]],
    )


@pytest.mark.parametrize(("path", "calls"), EXPECTED.values(), ids=EXPECTED.keys())
def test_recording_gives_exactly_these_call_events(path: str, calls: list[list[Brief]]) -> None:
    check_recording(CACOFONISK / path, calls)


ORIGINATE = recordings(CACOFONISK, "originate/*.json")


@pytest.mark.parametrize("path", ORIGINATE, ids=[p.stem for p in ORIGINATE])
def test_click_to_dial_keeps_the_contract(path: Path) -> None:
    tracker = CallTracker("pbx1", is_agent)
    out = replay(load(path), tracker)
    assert_well_formed(out)
    assert len(tracker) == 0


def test_attended_transfer_ends_the_consultation_before_the_handover() -> None:
    """The colleague's consultation call ends first; then the caller's call is handed over
    (their pop opens with the caller's number), all under the caller's call id although
    Asterisk rewrote the colleague channel's Linkedid to the caller's."""
    out = replay(load(CACOFONISK / "xfer_attended/xfer_abbcac.json"))
    kinds = [(type(e).__name__, e.call_id.rsplit(".", 1)[-1]) for e in out]
    assert kinds[4:] == [
        ("CallEnded", "690"),
        ("CallTransferred", "663"),
        ("CallOffered", "663"),
        ("CallAnswered", "663"),
        ("CallEnded", "663"),
    ]
    first, offer = out[0], out[6]
    assert isinstance(first, CallOffered)
    assert isinstance(offer, CallOffered)
    assert offer.started_at == first.started_at  # the caller's wait runs on
    handover = out[5]
    assert isinstance(handover, CallTransferred)
    last = out[-1]
    assert isinstance(last, CallEnded)
    assert last.interface == A3


def test_transfer_during_a_queue_call_keeps_the_queue() -> None:
    out = replay(load(CACOFONISK / "queue/queue_blind_xfer.json"))
    offers = [e for e in out if isinstance(e, CallOffered)]
    assert [o.transferred_from for o in offers] == [None, A1]
    assert len({o.call_id for o in offers}) == 1
