"""Building blocks for the hand-built traces: how Asterisk 20 writes the steps of a call.

Each function appends the events of one step (a caller arriving on the trunk, app_queue
ringing a member, a blind transfer...) to an :class:`AmiWriter`, in the order and with the
headers real Asterisk uses (see ``tests/core/scenarios.py``).
"""

from __future__ import annotations

from tests.core.amiwriter import AmiWriter, Bridge, Chan

JANE = ("+15551234567", "Jane Doe")
DID = "+18005550100"
OUTSIDE = "+15559876543"


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


def local_member_answers(
    w: AmiWriter,
    caller: Chan,
    member: tuple[Chan, Chan],
    phone: Chan,
    losers: tuple[Chan, ...] = (),
) -> tuple[Bridge, Bridge]:
    """``phone`` answers the Local member's dial (its other phones are cancelled), then the
    member (``;1``) answers the queue: the inner bridge (phone, ``;2``) and the caller's."""
    one, two = member
    w.state(phone, 6)
    w.dial_end(two, phone, "ANSWER")
    for loser in losers:
        cancel(w, two, loser)
    w.state(two, 6)
    inner = connect(w, phone, two)
    return inner, queue_answer(w, caller, one)


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


def pickup(w: AmiWriter, caller: Chan, ringing: list[Chan], target: Chan, code: str) -> None:
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


def answered_queue_call(w: AmiWriter, device: str = "PJSIP/1001") -> tuple[Chan, Chan, Bridge]:
    caller = inbound(w)
    join_queue(w, caller)
    phone = ring_member(w, caller, device)
    w.wait(3)
    bridge = queue_answer(w, caller, phone)
    w.wait(20)
    return caller, phone, bridge


def ring_and_answer(w: AmiWriter, caller: Chan, device: str) -> tuple[Chan, Bridge]:
    phone = w.channel(device, of=caller, context="from-internal")
    w.callerid(phone, caller.number, caller.cid_name)
    w.ring(caller, phone, device)
    w.wait(3)
    return phone, answer_direct(w, caller, phone)


def blind_from_first_agent(w: AmiWriter, exten: str) -> Chan:
    """A queue call that PJSIP/1001 answers, then blind-transfers to ``exten``; the caller."""
    caller, phone, bridge = answered_queue_call(w)
    agent_complete(w, caller, phone)
    blind_transfer(w, bridge, phone, caller, exten)
    return caller


def attended_from_first_agent(w: AmiWriter, device: str, exten: str) -> None:
    """PJSIP/1001 answers a queue call, consults ``exten`` on ``device``, hands over."""
    caller, phone, bridge = answered_queue_call(w)
    leg, target, consult_bridge = consult(w, "PJSIP/1001", device, exten)
    w.wait(10)
    attended_transfer(w, (bridge, phone), (consult_bridge, leg), (caller, target))
    w.wait(30)
    hang_up_all(w, bridge, caller, target)


def blonde_dial(
    w: AmiWriter, caller: Chan, agent: tuple[Chan, Bridge], exten: str
) -> tuple[Bridge, tuple[Chan, Chan, Chan]]:
    """The agent presses the ``atxfer`` feature and dials ``exten``: bridge_basic.c holds the
    caller, moves the agent into a new bridge and ``dial_transfer`` requests
    ``Local/<exten>@from-internal`` (requestor the agent: same Linkedid), whose ``;2`` dials
    the target's phone. Returns the consultation bridge and (``;1``, ``;2``, the phone)."""
    phone, bridge = agent
    w.emit("MusicOnHoldStart", [*caller.snap(), ("Class", "default")])
    w.leave(bridge, phone)
    target_bridge = w.bridge()
    w.enter(target_bridge, phone)
    one, two = w.local(f"{exten}@from-internal", of=phone, cid=(phone.number, phone.cid_name))
    w.varset(one, "TRANSFERERNAME", phone.name)
    w.enter(target_bridge, one)
    w.app(two, "Dial", f"PJSIP/{exten}", exten=exten)
    target = w.channel(f"PJSIP/{exten}", of=two, context="from-internal")
    w.callerid(target, phone.number, phone.cid_name)
    w.ring(two, target, f"PJSIP/{exten}")
    w.state(one, 5)
    return target_bridge, (one, two, target)


def blonde_complete(
    w: AmiWriter, agent: tuple[Chan, Bridge], consultation: tuple[Bridge, Chan], caller: Chan
) -> None:
    """The agent hangs up while the target rings (``TRANSFER_BLOND``): ``blond_enter`` merges
    the consultation bridge into the caller's, then ``publish_transfer_success`` sends
    ``AttendedTransfer`` (``OrigTransferer`` = ``SecondTransferer`` = the agent's phone,
    ``DestType: Bridge``, the target the ``Local;1``); the agent's phone hangs up."""
    phone, bridge = agent
    target_bridge, one = consultation
    w.leave(target_bridge, phone)
    w.hangup(phone, "16")
    w.emit(
        "BridgeMerge",
        [*bridge.snap("ToBridge"), *target_bridge.snap("FromBridge")],
    )
    w.leave(target_bridge, one)
    w.enter(bridge, one)
    w.destroy(target_bridge)
    w.emit("MusicOnHoldStop", caller.snap())
    w.emit(
        "AttendedTransfer",
        [
            ("Result", "Success"),
            *phone.snap("OrigTransferer"),
            *bridge.snap("OrigBridge"),
            *phone.snap("SecondTransferer"),
            *target_bridge.snap("SecondBridge"),
            ("DestType", "Bridge"),
            ("DestBridgeUniqueid", bridge.uniqueid),
            *caller.snap("Transferee"),
            *one.snap("TransferTarget"),
        ],
    )


def local_member_answers_blonde(w: AmiWriter, two: Chan, target: Chan) -> Bridge:
    """The target answers the Local channel's dial; ``;2`` and the phone share a bridge."""
    w.state(target, 6)
    w.dial_end(two, target, "ANSWER")
    return connect(w, target, two)


def optimize_local(
    w: AmiWriter, member: tuple[Chan, Chan], phone: Chan, bridges: tuple[Bridge, Bridge]
) -> None:
    """Asterisk optimises an answered Local member out (``LocalOptimizationBegin``/``End``):
    the phone is swapped into the caller's bridge and both halves hang up."""
    one, two = member
    inner, bridge = bridges
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
