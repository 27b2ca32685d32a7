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

from tests.core.amiwriter import AmiWriter, Bridge, Chan
from tests.core.replay import HANDBUILT

JANE = ("+15551234567", "Jane Doe")
DID = "+18005550100"
OUTSIDE = "+15559876543"


# -- building blocks -------------------------------------------------------------------


def inbound(w: AmiWriter, tech: str = "PJSIP", cid: tuple[str, str] = JANE) -> Chan:
    """A call from outside arrives on the trunk (already ringing: state Ring)."""
    caller = w.channel(f"{tech}/trunk", context="from-pstn", exten=DID, state=4)
    w.callerid(caller, *cid)
    return caller


def join_queue(w: AmiWriter, caller: Chan, queue: str = "support") -> None:
    w.app(caller, "Queue", f"{queue},tT,,,300")
    w.queue_event("QueueCallerJoin", caller, queue, [("Position", "1"), ("Count", "1")])
    w.emit("MusicOnHoldStart", [*caller.snap(), ("Class", "default")])


def ring_member(
    w: AmiWriter, caller: Chan, device: str, queue: str = "support", name: str = ""
) -> Chan:
    """app_queue rings a PJSIP member: ``AgentCalled``, then ``DialBegin``, then it alerts."""
    phone = w.channel(device, of=caller, context="from-internal")
    w.callerid(phone, caller.number, caller.cid_name)
    w.queue_event("AgentCalled", caller, queue, w.member(device, name or device), phone)
    w.ring(caller, phone, device)
    return phone


def ring_local_member(
    w: AmiWriter, caller: Chan, agent: int, phones: list[str], queue: str = "support"
) -> tuple[Chan, Chan, list[Chan]]:
    """app_queue rings ``Local/agentN@agents``, whose ``;2`` dials the agent's phone(s)."""
    interface = f"Local/agent{agent}@agents"
    one, two = w.local(f"agent{agent}@agents", of=caller, cid=(caller.number, caller.cid_name))
    w.queue_event("AgentCalled", caller, queue, w.member(interface, f"Agent {agent}"), one)
    w.dial_begin(caller, one, interface)
    w.app(two, "Dial", "&".join(phones) + ",,", exten=f"agent{agent}")
    rung = []
    for device in phones:
        phone = w.channel(device, of=caller, context="from-internal")
        w.callerid(phone, caller.number, caller.cid_name)
        w.ring(two, phone, device)
        rung.append(phone)
    w.state(one, 5)
    w.dial_state(caller, one)
    return one, two, rung


def cancel(w: AmiWriter, source: Chan, dest: Chan, cause: str = "26") -> None:
    """The dialler stops ringing ``dest``, which hangs up."""
    w.dial_end(source, dest, "CANCEL")
    w.hangup(dest, cause, tech_cause="487")


def connect(w: AmiWriter, a: Chan, b: Chan) -> Bridge:
    """``a`` and ``b`` are put in a new two-party bridge."""
    for chan in (a, b):
        if chan.state != 6:
            w.state(chan, 6)
    bridge = w.bridge()
    w.enter(bridge, a)
    w.enter(bridge, b)
    return bridge


def hang_up_all(w: AmiWriter, bridge: Bridge, *order: Chan) -> None:
    """The first of ``order`` hangs up; the bridge empties; the others follow."""
    for chan in order:
        if chan in bridge.members:
            w.leave(bridge, chan)
        w.hangup(chan, "16")
    if not bridge.members:
        w.destroy(bridge)


def answer_direct(w: AmiWriter, source: Chan, dest: Chan) -> Bridge:
    w.state(dest, 6)
    w.dial_end(source, dest, "ANSWER")
    return connect(w, dest, source)


def queue_answer(w: AmiWriter, caller: Chan, member: Chan, queue: str = "support") -> Bridge:
    """A PJSIP member answers: ``DialEnd ANSWER``, leave queue, ``AgentConnect``, bridge."""
    w.state(member, 6)
    w.dial_end(caller, member, "ANSWER")
    w.emit("MusicOnHoldStop", caller.snap())
    w.queue_event("QueueCallerLeave", caller, queue, [("Position", "1"), ("Count", "0")])
    interface = member.name.rsplit("-", 1)[0].removesuffix(";1")
    extra = [*w.member(interface, interface), ("HoldTime", "8"), ("RingTime", "4")]
    w.queue_event("AgentConnect", caller, queue, extra, member)
    return connect(w, member, caller)


def agent_complete(w: AmiWriter, caller: Chan, member: Chan, queue: str = "support") -> None:
    interface = member.name.rsplit("-", 1)[0].removesuffix(";1")
    extra = [*w.member(interface, interface), ("HoldTime", "8"), ("TalkTime", "30")]
    w.queue_event("AgentComplete", caller, queue, [*extra, ("Reason", "caller")], member)


def ring_no_answer(w: AmiWriter, caller: Chan, member: Chan, queue: str = "support") -> None:
    """The member's ring times out: ``AgentRingNoAnswer``, then app_queue hangs it up."""
    interface = member.name.rsplit("-", 1)[0].removesuffix(";1")
    extra = [*w.member(interface, interface), ("RingTime", "15")]
    w.queue_event("AgentRingNoAnswer", caller, queue, extra, member)
    w.dial_end(caller, member, "CANCEL")
    w.hangup(member, "16", tech_cause="487")


def blind_transfer(
    w: AmiWriter, bridge: Bridge, transferer: Chan, transferee: Chan, exten: str
) -> None:
    """The agent blind-transfers (``#1`` feature): ``BlindTransfer``, both leave the
    bridge, the agent's phone hangs up, the caller runs the dialplan at ``exten``."""
    w.emit(
        "BlindTransfer",
        [
            ("Result", "Success"),
            *transferer.snap("Transferer"),
            *transferee.snap("Transferee"),
            *bridge.snap(),
            ("IsExternal", "No"),
            ("Context", "from-internal"),
            ("Extension", exten),
        ],
    )
    w.leave(bridge, transferer)
    w.leave(bridge, transferee)
    w.destroy(bridge)
    w.hangup(transferer, "16")
    w.app(transferee, "Dial", exten, exten=exten)


def attended_transfer(
    w: AmiWriter, orig: tuple[Bridge, Chan], second: tuple[Bridge, Chan], parties: tuple[Chan, Chan]
) -> None:
    """``AttendedTransfer`` (DestType Bridge) joining the caller with the consulted party.

    ``orig``: the caller's bridge and the agent's channel in it; ``second``: the consultation
    bridge and the agent's consultation channel; ``parties``: (caller, consulted party)."""
    (orig_bridge, transferer), (second_bridge, consult) = orig, second
    caller, target = parties
    w.emit(
        "AttendedTransfer",
        [
            ("Result", "Success"),
            *transferer.snap("OrigTransferer"),
            *orig_bridge.snap("OrigBridge"),
            *consult.snap("SecondTransferer"),
            *second_bridge.snap("SecondBridge"),
            ("DestType", "Bridge"),
            ("DestBridgeUniqueid", orig_bridge.uniqueid),
            *caller.snap("Transferee"),
            *target.snap("TransferTarget"),
        ],
    )
    # The consulted party is moved into the caller's bridge; both agent legs hang up.
    w.leave(second_bridge, target)
    w.enter(orig_bridge, target)
    w.leave(orig_bridge, transferer)
    w.hangup(transferer, "16")
    w.leave(second_bridge, consult)
    w.destroy(second_bridge)
    w.hangup(consult, "16")
    target.linkedid = caller.linkedid  # Asterisk rewrites the linkedid of the moved party
    w.emit("NewConnectedLine", target.snap())


def consult(
    w: AmiWriter, agent_device: str, target_device: str, exten: str
) -> tuple[Chan, Chan, Bridge]:
    """The agent puts the caller on hold and calls ``exten`` from the same phone: a new
    call (its own Linkedid) that ``target_device`` answers."""
    leg = w.channel(agent_device, context="from-internal", exten=exten, state=4)
    w.callerid(leg, agent_device.rsplit("/", 1)[-1], "Agent")
    w.app(leg, "Dial", target_device)
    target = w.channel(target_device, of=leg, context="from-internal")
    w.ring(leg, target, target_device)
    w.wait(3)
    return leg, target, answer_direct(w, leg, target)


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
    w.state(phone2, 6)
    w.dial_end(two2, phone2, "ANSWER")
    w.state(two2, 6)
    inner = connect(w, phone2, two2)
    bridge = queue_answer(w, caller, one2)
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
    w.state(soft, 6)
    w.dial_end(two, soft, "ANSWER")
    cancel(w, two, desk)
    w.state(two, 6)
    inner = connect(w, soft, two)
    bridge = queue_answer(w, caller, one)
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


def _pickup(w: AmiWriter, caller: Chan, ringing: list[Chan], target: Chan, code: str) -> None:
    """PJSIP/1002 dials ``code`` and picks ``target`` up (Asterisk 12+ ``Pickup`` event)."""
    picker = w.channel("PJSIP/1002", context="from-internal", exten=code, state=4)
    w.callerid(picker, "1002", "Bob Agent")
    w.app(picker, "Pickup", code.removeprefix("*8") or "")
    w.state(picker, 6)
    w.emit("Pickup", [*picker.snap(), *target.snap("Target")])
    for phone in ringing:
        w.dial_end(caller, phone, "CANCEL")
    picker.linkedid = caller.linkedid  # the picker takes the ringing phone's place
    w.dial_begin(caller, picker, "PJSIP/1002")
    w.dial_end(caller, picker, "ANSWER")
    for phone in ringing:
        w.hangup(phone, "26", tech_cause="487")
    bridge = connect(w, picker, caller)
    w.wait(15)
    hang_up_all(w, bridge, caller, picker)


def directed_pickup(w: AmiWriter) -> None:
    """1001 rings; 1002 dials ``*81001`` and takes the call."""
    caller = inbound(w)
    w.app(caller, "Dial", "PJSIP/1001,30")
    phone = w.channel("PJSIP/1001", of=caller, context="from-internal")
    w.ring(caller, phone, "PJSIP/1001")
    w.wait(4)
    _pickup(w, caller, [phone], phone, "*81001")


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
    _pickup(w, caller, phones, phones[0], "*8")


def _answered_queue_call(w: AmiWriter, device: str = "PJSIP/1001") -> tuple[Chan, Chan, Bridge]:
    caller = inbound(w)
    join_queue(w, caller)
    phone = ring_member(w, caller, device)
    w.wait(3)
    bridge = queue_answer(w, caller, phone)
    w.wait(20)
    return caller, phone, bridge


def _ring_and_answer(w: AmiWriter, caller: Chan, device: str) -> tuple[Chan, Bridge]:
    phone = w.channel(device, of=caller, context="from-internal")
    w.callerid(phone, caller.number, caller.cid_name)
    w.ring(caller, phone, device)
    w.wait(3)
    return phone, answer_direct(w, caller, phone)


def blind_transfer_to_agent(w: AmiWriter) -> None:
    caller, phone, bridge = _answered_queue_call(w)
    agent_complete(w, caller, phone)
    blind_transfer(w, bridge, phone, caller, "1002")
    colleague, bridge2 = _ring_and_answer(w, caller, "PJSIP/1002")
    w.wait(30)
    hang_up_all(w, bridge2, caller, colleague)


def blind_transfer_to_queue(w: AmiWriter) -> None:
    """1001 blind-transfers the caller to extension 600, the ``sales`` queue; 1003 answers."""
    caller, phone, bridge = _answered_queue_call(w)
    agent_complete(w, caller, phone)
    blind_transfer(w, bridge, phone, caller, "600")
    join_queue(w, caller, "sales")
    member = ring_member(w, caller, "PJSIP/1003", queue="sales")
    w.wait(4)
    bridge2 = queue_answer(w, caller, member, queue="sales")
    w.wait(30)
    agent_complete(w, caller, member, queue="sales")
    hang_up_all(w, bridge2, member, caller)


def blind_transfer_to_outside_number(w: AmiWriter) -> None:
    caller, phone, bridge = _answered_queue_call(w)
    agent_complete(w, caller, phone)
    blind_transfer(w, bridge, phone, caller, OUTSIDE)
    out = w.channel("PJSIP/trunk", of=caller, context="from-pstn")
    w.ring(caller, out, f"PJSIP/{OUTSIDE}@trunk")
    w.wait(6)
    bridge2 = answer_direct(w, caller, out)
    w.wait(60)
    hang_up_all(w, bridge2, out, caller)


def attended_transfer_to_agent(w: AmiWriter) -> None:
    caller, phone, bridge = _answered_queue_call(w)
    leg, colleague, consult_bridge = consult(w, "PJSIP/1001", "PJSIP/1002", "1002")
    w.wait(10)
    attended_transfer(w, (bridge, phone), (consult_bridge, leg), (caller, colleague))
    w.wait(30)
    hang_up_all(w, bridge, caller, colleague)


def attended_transfer_to_outside_number(w: AmiWriter) -> None:
    caller, phone, bridge = _answered_queue_call(w)
    leg, out, consult_bridge = consult(w, "PJSIP/1001", "PJSIP/trunk", OUTSIDE)
    w.wait(10)
    attended_transfer(w, (bridge, phone), (consult_bridge, leg), (caller, out))
    w.wait(30)
    hang_up_all(w, bridge, caller, out)


def attended_transfer_to_queue(w: AmiWriter) -> None:
    """1001 consults the ``sales`` queue (extension 600); 1003 answers there; 1001 then
    joins the caller with 1003."""
    caller, phone, bridge = _answered_queue_call(w)
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
    caller, phone, bridge = _answered_queue_call(w)
    agent_complete(w, caller, phone)
    blind_transfer(w, bridge, phone, caller, "1002")
    colleague, bridge2 = _ring_and_answer(w, caller, "PJSIP/1002")
    w.wait(20)
    blind_transfer(w, bridge2, colleague, caller, "1001")
    back, bridge3 = _ring_and_answer(w, caller, "PJSIP/1001")
    w.wait(20)
    hang_up_all(w, bridge3, back, caller)


def transfer_of_a_transferred_call(w: AmiWriter) -> None:
    """1001 blind-transfers to 1002; 1002 consults 1003 and hands the caller over."""
    caller, phone, bridge = _answered_queue_call(w)
    agent_complete(w, caller, phone)
    blind_transfer(w, bridge, phone, caller, "1002")
    colleague, bridge2 = _ring_and_answer(w, caller, "PJSIP/1002")
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
    w.state(phone, 6)
    w.dial_end(two, phone, "ANSWER")
    w.state(two, 6)
    inner = connect(w, phone, two)
    bridge = queue_answer(w, caller, one)
    w.emit(
        "LocalOptimizationBegin",
        [
            *one.snap("LocalOne"),
            *two.snap("LocalTwo"),
            *phone.snap("Source"),
            ("DestUniqueId", one.uniqueid),
            ("Id", "1"),
        ],
    )
    w.leave(inner, phone)
    w.enter(bridge, phone, swap=one)
    w.leave(bridge, one)
    w.emit(
        "LocalOptimizationEnd",
        [*one.snap("LocalOne"), *two.snap("LocalTwo"), ("Success", "Yes"), ("Id", "1")],
    )
    w.hangup(one, "16")
    w.leave(inner, two)
    w.destroy(inner)
    w.hangup(two, "16")
    w.wait(30)
    agent_complete(w, caller, one)
    hang_up_all(w, bridge, phone, caller)


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
