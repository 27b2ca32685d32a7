"""Hand-built AMI traces, one per call-centre scenario the recordings lack.

Each function scripts one scenario on an :class:`AmiWriter` in the order real Asterisk
emits events (studied on ``tests/fixtures/ami/asterisk20`` and the cacofonisk recordings:
``AgentCalled`` before its ``DialBegin``; losers of a ringall get ``DialEnd CANCEL`` and hang
up with cause 26; a blind transfer is ``BlindTransfer``, then both parties leave the bridge
and the transferer hangs up before the transferee dials; a pickup cancels the ringing dial
and the dialler dials the picking phone, already up...). ``SCENARIOS`` maps the fixture
name to its builder and Asterisk version. Regenerate the files with::

    .venv/bin/python -m tests.core.scenarios

``tests/core/test_calls_scenarios.py`` checks the files are what the builders write, and
replays each one against its expected call events and interaction.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from tests.core.amiwriter import AmiWriter
from tests.core.replay import HANDBUILT
from tests.core.scenario_blocks import (
    JANE,
    OUTSIDE,
    agent_complete,
    answer_direct,
    answered_queue_call,
    attended_from_first_agent,
    attended_transfer,
    blind_from_first_agent,
    blind_transfer,
    blonde_complete,
    blonde_dial,
    cancel,
    connect,
    consult,
    hang_up_all,
    inbound,
    join_queue,
    local_member_answers,
    local_member_answers_blonde,
    optimize_local,
    pickup,
    queue_answer,
    ring_and_answer,
    ring_local_member,
    ring_member,
    ring_no_answer,
)

# -- scenarios -------------------------------------------------------------------------


def queue_rrmemory_ring_no_answer_moves_on(w: AmiWriter) -> None:
    """rrmemory: agent1 (Local member ringing PJSIP/1001) times out, agent2 answers."""
    caller = inbound(w)
    join_queue(w, caller)
    one, two, [phone] = ring_local_member(w, caller, 1, ["PJSIP/1001"])
    w.wait(15)
    interface = "Local/agent1@agents"
    extra = [*w.member(interface, "Agent 1"), ("RingTime", "15")]
    w.queue_event("AgentRingNoAnswer", caller, "support", extra, one)
    w.dial_end(caller, one, "CANCEL")
    w.hangup(one, "16")
    w.dial_end(two, phone, "CANCEL")
    w.hangup(phone, "16", tech_cause="487")
    w.hangup(two, "16")
    w.wait(5)  # retry
    one2, two2, [phone2] = ring_local_member(w, caller, 2, ["PJSIP/1002"])
    w.wait(2)
    inner, bridge = local_member_answers(w, caller, (one2, two2), phone2)
    w.wait(30)
    agent_complete(w, caller, one2)
    hang_up_all(w, bridge, caller, one2)
    hang_up_all(w, inner, two2, phone2)


def queue_leastrecent_ring_no_answer(w: AmiWriter) -> None:
    """leastrecent, PJSIP members: 1002 and 1003 time out in turn, 1001 answers."""
    caller = inbound(w)
    join_queue(w, caller)
    for device in ("PJSIP/1002", "PJSIP/1003"):
        phone = ring_member(w, caller, device)
        w.wait(15)
        ring_no_answer(w, caller, phone)
        w.wait(5)
    phone = ring_member(w, caller, "PJSIP/1001")
    w.wait(3)
    bridge = queue_answer(w, caller, phone)
    w.wait(40)
    agent_complete(w, caller, phone)
    hang_up_all(w, bridge, phone, caller)


def queue_member_answers_on_second_device(w: AmiWriter) -> None:
    """agent1's Local member rings the desk phone and the softphone; the softphone answers."""
    caller = inbound(w)
    join_queue(w, caller)
    one, two, (desk, soft) = ring_local_member(w, caller, 1, ["PJSIP/1001", "PJSIP/1011"])
    w.wait(4)
    inner, bridge = local_member_answers(w, caller, (one, two), soft, losers=(desk,))
    w.wait(20)
    agent_complete(w, caller, one)
    hang_up_all(w, bridge, caller, one)
    hang_up_all(w, inner, two, soft)


def queue_ringall_caller_abandons(w: AmiWriter) -> None:
    """ringall: three members ring; the caller hangs up before anyone answers."""
    caller = inbound(w)
    join_queue(w, caller)
    phones = [ring_member(w, caller, f"PJSIP/100{n}") for n in (1, 2, 3)]
    w.wait(9)
    w.emit("SoftHangupRequest", [*caller.snap(), ("Cause", "16")])
    for phone in phones:
        w.dial_end(caller, phone, "CANCEL")
        w.hangup(phone, "16", tech_cause="487")
    w.queue_event(
        "QueueCallerAbandon",
        caller,
        "support",
        [("Position", "1"), ("OriginalPosition", "1"), ("HoldTime", "9")],
    )
    w.queue_event("QueueCallerLeave", caller, "support", [("Position", "1"), ("Count", "0")])
    w.hangup(caller, "16")


def ring_group_dial_three_phones(w: AmiWriter) -> None:
    """``Dial(PJSIP/1001&PJSIP/1002&PJSIP/1003)``: 1002 answers, the others are cancelled."""
    caller = inbound(w)
    w.app(caller, "Dial", "PJSIP/1001&PJSIP/1002&PJSIP/1003,30")
    phones = {}
    for device in ("PJSIP/1001", "PJSIP/1002", "PJSIP/1003"):
        phones[device] = w.channel(device, of=caller, context="from-internal")
        w.callerid(phones[device], *JANE)
    for device, phone in phones.items():
        w.ring(caller, phone, device)
    w.wait(5)
    winner = phones["PJSIP/1002"]
    w.state(winner, 6)
    w.dial_end(caller, winner, "ANSWER")
    for device in ("PJSIP/1001", "PJSIP/1003"):
        cancel(w, caller, phones[device])
    bridge = connect(w, winner, caller)
    w.wait(25)
    hang_up_all(w, bridge, caller, winner)


def forward_302_to_colleague(w: AmiWriter) -> None:
    """1001 rings, then its phone forwards (SIP 302) to 1002, which answers."""
    caller = inbound(w)
    w.app(caller, "Dial", "PJSIP/1001,30")
    first = w.channel("PJSIP/1001", of=caller, context="from-internal")
    w.ring(caller, first, "PJSIP/1001")
    w.wait(6)
    w.dial_end(caller, first, "CANCEL", forward="PJSIP/1002")
    second = w.channel("PJSIP/1002", of=caller, context="from-internal")
    w.dial_begin(caller, second, "PJSIP/1002")
    w.hangup(first, "16", tech_cause="302")
    w.state(second, 5)
    w.dial_state(caller, second)
    w.wait(3)
    bridge = answer_direct(w, caller, second)
    w.wait(20)
    hang_up_all(w, bridge, second, caller)


def followme_no_answer_to_colleague(w: AmiWriter) -> None:
    """Forward on no answer in the dialplan: ``Dial(PJSIP/1001,15)`` then ``Dial(PJSIP/1002)``."""
    caller = inbound(w)
    w.app(caller, "Dial", "PJSIP/1001,15")
    first = w.channel("PJSIP/1001", of=caller, context="from-internal")
    w.ring(caller, first, "PJSIP/1001")
    w.wait(15)
    w.dial_end(caller, first, "NOANSWER")
    w.hangup(first, "16", tech_cause="487")
    w.varset(caller, "DIALSTATUS", "NOANSWER")
    w.app(caller, "Dial", "PJSIP/1002,30")
    second = w.channel("PJSIP/1002", of=caller, context="from-internal")
    w.ring(caller, second, "PJSIP/1002")
    w.wait(2)
    bridge = answer_direct(w, caller, second)
    w.wait(20)
    hang_up_all(w, bridge, caller, second)


def directed_pickup(w: AmiWriter) -> None:
    """1001 rings; 1002 dials ``*81001`` and takes the call."""
    caller = inbound(w)
    w.app(caller, "Dial", "PJSIP/1001,30")
    phone = w.channel("PJSIP/1001", of=caller, context="from-internal")
    w.ring(caller, phone, "PJSIP/1001")
    w.wait(4)
    pickup(w, caller, [phone], phone, "*81001")


def group_pickup(w: AmiWriter) -> None:
    """1001 and 1003 ring (pickup group 1); 1002 dials ``*8`` and takes the call."""
    caller = inbound(w)
    w.app(caller, "Dial", "PJSIP/1001&PJSIP/1003,30")
    phones = [
        w.channel(d, of=caller, context="from-internal") for d in ("PJSIP/1001", "PJSIP/1003")
    ]
    for phone, device in zip(phones, ("PJSIP/1001", "PJSIP/1003"), strict=True):
        w.ring(caller, phone, device)
    w.wait(4)
    pickup(w, caller, phones, phones[0], "*8")


def blind_transfer_to_agent(w: AmiWriter) -> None:
    caller = blind_from_first_agent(w, "1002")
    colleague, bridge2 = ring_and_answer(w, caller, "PJSIP/1002")
    w.wait(30)
    hang_up_all(w, bridge2, caller, colleague)


def blind_transfer_to_queue(w: AmiWriter) -> None:
    """1001 blind-transfers the caller to extension 600, the ``sales`` queue; 1003 answers."""
    caller = blind_from_first_agent(w, "600")
    join_queue(w, caller, "sales")
    member = ring_member(w, caller, "PJSIP/1003", queue="sales")
    w.wait(4)
    bridge2 = queue_answer(w, caller, member, queue="sales")
    w.wait(30)
    agent_complete(w, caller, member, queue="sales")
    hang_up_all(w, bridge2, member, caller)


def blind_transfer_to_outside_number(w: AmiWriter) -> None:
    caller = blind_from_first_agent(w, OUTSIDE)
    out = w.channel("PJSIP/trunk", of=caller, context="from-pstn")
    w.ring(caller, out, f"PJSIP/{OUTSIDE}@trunk")
    w.wait(6)
    bridge2 = answer_direct(w, caller, out)
    w.wait(60)
    hang_up_all(w, bridge2, out, caller)


def attended_transfer_to_agent(w: AmiWriter) -> None:
    attended_from_first_agent(w, "PJSIP/1002", "1002")


def attended_transfer_to_outside_number(w: AmiWriter) -> None:
    attended_from_first_agent(w, "PJSIP/trunk", OUTSIDE)


def attended_transfer_to_queue(w: AmiWriter) -> None:
    """1001 consults the ``sales`` queue (extension 600); 1003 answers there; 1001 then
    joins the caller with 1003."""
    caller, phone, bridge = answered_queue_call(w)
    leg = w.channel("PJSIP/1001", context="from-internal", exten="600", state=4)
    w.callerid(leg, "1001", "Agent")
    join_queue(w, leg, "sales")
    member = ring_member(w, leg, "PJSIP/1003", queue="sales")
    w.wait(4)
    consult_bridge = queue_answer(w, leg, member, queue="sales")
    w.wait(10)
    agent_complete(w, leg, member, queue="sales")
    attended_transfer(w, (bridge, phone), (consult_bridge, leg), (caller, member))
    w.wait(30)
    hang_up_all(w, bridge, member, caller)


def transfer_back(w: AmiWriter) -> None:
    """1001 blind-transfers to 1002, who blind-transfers the caller back to 1001."""
    caller = blind_from_first_agent(w, "1002")
    colleague, bridge2 = ring_and_answer(w, caller, "PJSIP/1002")
    w.wait(20)
    blind_transfer(w, bridge2, colleague, caller, "1001")
    back, bridge3 = ring_and_answer(w, caller, "PJSIP/1001")
    w.wait(20)
    hang_up_all(w, bridge3, back, caller)


def transfer_of_a_transferred_call(w: AmiWriter) -> None:
    """1001 blind-transfers to 1002; 1002 consults 1003 and hands the caller over."""
    caller = blind_from_first_agent(w, "1002")
    colleague, bridge2 = ring_and_answer(w, caller, "PJSIP/1002")
    w.wait(20)
    leg, third, consult_bridge = consult(w, "PJSIP/1002", "PJSIP/1003", "1003")
    w.wait(8)
    attended_transfer(w, (bridge2, colleague), (consult_bridge, leg), (caller, third))
    w.wait(30)
    hang_up_all(w, bridge2, third, caller)


def local_member_optimized_away(w: AmiWriter) -> None:
    """A Local member answers on PJSIP/1001; Asterisk then optimizes the Local channel out
    (``LocalOptimizationBegin``/``End``): the phone is swapped into the caller's bridge."""
    caller = inbound(w)
    join_queue(w, caller)
    one, two, [phone] = ring_local_member(w, caller, 1, ["PJSIP/1001"])
    w.wait(3)
    inner, bridge = local_member_answers(w, caller, (one, two), phone)
    optimize_local(w, (one, two), phone, (inner, bridge))
    w.wait(30)
    agent_complete(w, caller, one)
    hang_up_all(w, bridge, phone, caller)


def blonde_transfer_to_agent(w: AmiWriter) -> None:
    """Agent 1 (a Local member, optimised away) answers on 1001, dials 1002 with the
    ``atxfer`` feature and hangs up while 1002 still rings: bridge_basic.c's
    ``blond_enter`` merges the consultation bridge (``Local/1002@from-internal;1``) into
    the caller's and publishes ``AttendedTransfer``
    with both transferers the agent's phone; 1002 answers through the Local channel."""
    caller = inbound(w)
    join_queue(w, caller)
    member, member2, [phone] = ring_local_member(w, caller, 1, ["PJSIP/1001"])
    w.wait(3)
    inner0, bridge = local_member_answers(w, caller, (member, member2), phone)
    optimize_local(w, (member, member2), phone, (inner0, bridge))
    w.wait(20)
    target_bridge, (one, two, target) = blonde_dial(w, caller, (phone, bridge), "1002")
    w.wait(4)
    blonde_complete(w, (phone, bridge), (target_bridge, one), caller)
    w.wait(3)
    inner = local_member_answers_blonde(w, two, target)
    w.wait(30)
    hang_up_all(w, inner, target, two)
    hang_up_all(w, bridge, one, caller)


def _version_queue_call(w: AmiWriter, tech: str) -> None:
    caller = inbound(w, tech)
    join_queue(w, caller)
    first = ring_member(w, caller, f"{tech}/1001")
    second = ring_member(w, caller, f"{tech}/1002")
    w.wait(4)
    bridge = queue_answer(w, caller, second)
    cancel(w, caller, first)
    w.wait(30)
    agent_complete(w, caller, second)
    hang_up_all(w, bridge, caller, second)


def asterisk16_queue_chan_sip(w: AmiWriter) -> None:
    """Asterisk 16 (AMI 5.0): chan_sip ``SIP/`` members, ``Hangup`` without ``TechCause``."""
    _version_queue_call(w, "SIP")


def asterisk22_queue_pjsip(w: AmiWriter) -> None:
    """Asterisk 22 (AMI 11.0): PJSIP members, ``Hangup`` with ``TechCause``."""
    _version_queue_call(w, "PJSIP")


def click_to_dial_answered(w: AmiWriter) -> None:
    """``Originate`` from PJSIP/1001 to ``OUTSIDE``: the agent's phone, then the trunk."""
    agent = w.channel("PJSIP/1001", context="from-internal", exten="s")
    w.dial_begin(None, agent, "1001")
    w.state(agent, 5)
    w.dial_state(None, agent)
    w.wait(2)
    w.state(agent, 6)
    w.dial_end(None, agent, "ANSWER")
    w.emit(
        "OriginateResponse",
        [
            ("Response", "Success"),
            ("Channel", agent.name),
            ("Context", "from-internal"),
            ("Exten", OUTSIDE),
            ("Reason", "4"),
            ("Uniqueid", agent.uniqueid),
            ("CallerIDNum", "1001"),
            ("CallerIDName", "<unknown>"),
        ],
    )
    w.app(agent, "Dial", f"PJSIP/{OUTSIDE}@trunk,60", exten=OUTSIDE)
    trunk = w.channel("PJSIP/trunk", of=agent, context="from-pstn")
    w.ring(agent, trunk, f"PJSIP/{OUTSIDE}@trunk")
    w.wait(5)
    bridge = answer_direct(w, agent, trunk)
    w.wait(45)
    hang_up_all(w, bridge, trunk, agent)


SCENARIOS: dict[str, tuple[str, Callable[[AmiWriter], None]]] = {
    fn.__name__: (version, fn)
    for version, fn in [
        ("20", queue_rrmemory_ring_no_answer_moves_on),
        ("20", queue_leastrecent_ring_no_answer),
        ("20", queue_member_answers_on_second_device),
        ("20", queue_ringall_caller_abandons),
        ("20", ring_group_dial_three_phones),
        ("20", forward_302_to_colleague),
        ("20", followme_no_answer_to_colleague),
        ("20", directed_pickup),
        ("20", group_pickup),
        ("20", blind_transfer_to_agent),
        ("20", blind_transfer_to_queue),
        ("20", blind_transfer_to_outside_number),
        ("20", attended_transfer_to_agent),
        ("20", attended_transfer_to_outside_number),
        ("20", attended_transfer_to_queue),
        ("20", transfer_back),
        ("20", transfer_of_a_transferred_call),
        ("20", local_member_optimized_away),
        ("20", blonde_transfer_to_agent),
        ("16", asterisk16_queue_chan_sip),
        ("22", asterisk22_queue_pjsip),
        ("20", click_to_dial_answered),
    ]
}


def render(name: str) -> str:
    """The ``.ami`` text of scenario ``name``."""
    version, build = SCENARIOS[name]
    writer = AmiWriter(version, seed=len(name))
    build(writer)
    return writer.text()


def main() -> None:
    names = sys.argv[1:] or list(SCENARIOS)
    for name in names:
        (HANDBUILT / f"{name}.ami").write_text(render(name), newline="")
        print(f"wrote {name}.ami")


if __name__ == "__main__":
    main()
