"""Transfers and pickups: the caller moves from one agent (or call) to another.

Asterisk 12+ reports them as follows, and the tracker keeps "the call" as the caller's:

- **Blind transfer** (``BlindTransfer``): the transferer hangs up on the transferee, who is
  sent to the dialled extension; the next ``DialBegin`` of that call rings the target. The
  call only learns who is transferring; the target shows up as the next ring.
- **Attended transfer** (``AttendedTransfer``, ``DestType: Bridge``): the agent talked to
  the caller (call X, ``OrigTransferer``), put them on hold and called a colleague (a second
  call Y, ``SecondTransferer``), then joined the two. The caller now talks to the
  colleague, whose channel belongs to Y (and whose Linkedid Asterisk may rewrite to X's).
  Y is ended and merged into X, and the colleague is offered and answered in X.
- **Attended transfer in the call** (AMI ``Atxfer``, the ``atxfer`` feature code):
  Asterisk holds the caller (``Hold`` on the agent's channel), and a Local channel pair
  ``Local/<exten>@<context>;1/;2`` of the *same* call dials the colleague from ``;2``
  while the agent's channel moves into a bridge with ``;1``: a consultation, whose ring
  carries the transferer. When the agent hangs up, ``;1`` moves into the caller's bridge
  and ``AttendedTransfer`` (both transferers the agent's channel) hands the caller over,
  the colleague answered or still ringing. No answer (``atxfernoanswertimeout``): the
  agent's channel comes back into the caller's bridge and ``Unhold``.
- **Blonde transfer** (``AttendedTransfer``, ``DestType: App``): the same, completed while
  the colleague still rings; Asterisk then makes the caller's channel dial the ringing
  branch (a ``DialBegin`` from X's caller to Y's channel): the branch moves into X.
- **Pickup**: a third phone takes a call that rings elsewhere. Asterisk 13 shows it as the
  ringing dial cancelled and a new ``DialBegin`` to the picking phone (already ``Up``, and
  still in its own feature-code call); Asterisk 12+ also sends a ``Pickup`` event.

When the party who transfers is the call's caller (an agent calling out, then handing the
other party to a colleague), the remaining party becomes the caller shown on new pops.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from cti_bridge.core.callstate import Call, PendingTransfer
from cti_bridge.core.channels import Channel, ChannelState
from cti_bridge.core.events import CallEvent, TransferKind, WithdrawReason
from cti_bridge.core.ledger import Ledger
from cti_bridge.core.offers import OPEN_STATUSES, OfferStatus


def _party(ledger: Ledger, event: Mapping[str, str], key: str) -> Channel | None:
    """The channel a successful transfer event names under ``key``, if its call is live."""
    if event.get("Result", "Success") != "Success":
        return None
    channel = ledger.channels.get(event.get(key, ""))
    return None if channel is None or channel.call.over else channel


def blind_transfer(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    """``BlindTransfer``: the transferee's call will ring the target next."""
    transferee = _party(ledger, event, "TransfereeUniqueid")
    if transferee is None:
        return
    transferer = ledger.channels.get(event.get("TransfererUniqueid", ""))
    call = transferee.call
    if transferer is not None and call.is_caller_side(transferer):
        call.caller = transferee
    call.start_transfer(transferer.interface if transferer else None, TransferKind.BLIND)


def attended_transfer(
    ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    """``AttendedTransfer``: the caller of the original call goes to the consulted party."""
    orig = _party(ledger, event, "OrigTransfererUniqueid")
    if orig is None:
        return
    call = orig.call
    if call.consulting:
        _complete_consultation(call, now, out)
        return
    if call.is_caller_side(orig):
        transferee = _transferee(ledger, call, orig, event)
        if transferee is not None:
            call.caller = transferee
    call.start_transfer(orig.interface, TransferKind.ATTENDED)
    second = ledger.channels.get(event.get("SecondTransfererUniqueid", ""))
    if second is None or second.call is call or event.get("DestType") == "App":
        # Blonde: the consultation still rings; the caller's DialBegin moves it over.
        return
    for channel in ledger.merge(call, second.call, now, out):
        if channel is not second and not channel.is_local:
            _take_over(call, channel, now, out)


def _take_over(call: Call, channel: Channel, now: float, out: list[CallEvent]) -> None:
    """A party of the consultation call is now the caller's: offer it (and answer it)."""
    if channel.state == ChannelState.UP:
        if channel.is_agent:
            call.answer(channel, now, out)
        else:
            call.announce_transfer(channel.interface, now, out)
    elif channel.state == ChannelState.RINGING:
        call.offer(channel, now, out)


def _transferee(
    ledger: Ledger, call: Call, orig: Channel, event: Mapping[str, str]
) -> Channel | None:
    """The party the transferer leaves behind in ``call``: a real (non-Local) channel.

    Asterisk names it in ``TransfereeUniqueid`` when it can, but that may be a Local half
    standing in for it; otherwise the parties end up in the destination bridge. Either
    way the party is found on the wire of those channels.
    """
    starts = [ledger.channels.get(event.get("TransfereeUniqueid", ""))]
    for key in ("DestBridgeUniqueid", "OrigBridgeUniqueid"):
        starts.extend(ledger.bridges.get(event.get(key, ""), ()))
    starts.extend(call.channels.values())
    for start in starts:
        if start is None:
            continue
        for channel in start.wire(ledger.bridges):
            if channel.call is call and channel is not orig and not channel.is_local:
                return channel
    return None


def hold(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    """``Hold``: an agent who talks with the caller puts them on hold."""
    channel = ledger.channels.get(event.get("Uniqueid", ""))
    offer = channel.offer if channel is not None else None
    if offer is not None and offer.channel is channel and offer.status is OfferStatus.ANSWERED:
        offer.channel.call.held_by = offer.channel


def unhold(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    channel = ledger.channels.get(event.get("Uniqueid", ""))
    if channel is not None and channel.call.held_by is channel:
        channel.call.held_by = None


def check_consulting(call: Call, source: Channel) -> None:
    """A dial from a branch of the call while its agent holds the caller: the agent
    consults a colleague before an attended transfer (Asterisk's ``Atxfer``)."""
    holder = call.held_by
    if (
        holder is None
        or call.pending is not None
        or holder.uniqueid not in call.channels
        or call.is_caller_side(source)
    ):
        return
    call.pending = PendingTransfer(
        from_interface=holder.interface, kind=TransferKind.ATTENDED, consulting=True
    )


def check_back(ledger: Ledger, channel: Channel, now: float, out: list[CallEvent]) -> None:
    """The consulting agent's channel joined the caller's wire again: no transfer."""
    call = channel.call
    if call.consulting and channel is call.held_by and call.caller in channel.wire(ledger.bridges):
        _end_consultation(call, now, out)


def _complete_consultation(call: Call, now: float, out: list[CallEvent]) -> None:
    """Asterisk joined the caller with the consulted colleague (``AttendedTransfer``: the
    transferer hung up): the transferer's legs are handed over to the colleague, who
    talks with the caller from now on (once they answer, if they still ring)."""
    pending = call.pending
    if pending is None:
        return
    call.held_by = None
    call.pending = replace(pending, consulting=False)
    target = call.offers.get(pending.target) if pending.target else None
    if target is None:
        call.pending = None
        return
    call.announce_transfer(target.interface, now, out)
    if target.status is OfferStatus.ANSWERED:
        call.talking = target.interface
        call.pending = None


def _end_consultation(call: Call, now: float, out: list[CallEvent]) -> None:
    """The transferer is back with the caller: no transfer, and a colleague still ringing
    for it (or cancelled) was not answered."""
    pending = call.pending
    if pending is None:
        return
    call.pending = None
    call.held_by = None
    for offer in list(call.offers.values()):
        if offer.interface == pending.target and offer.status in OPEN_STATUSES:
            call.withdraw(offer.channel, WithdrawReason.NO_ANSWER, now, out)


def check_moved_on(ledger: Ledger, call: Call) -> None:
    """A new ring on a call whose agent no longer talks with the caller is a transfer.

    Asterisk sends no transfer event when the dialplan or an AMI ``Redirect`` moves the
    caller on: the caller just leaves the agent's bridge and dials again. (When the agent
    is still on the caller's wire, e.g. a click-to-dial that rang the agent first, the new
    ring is not a transfer.)
    """
    talker = call.offers.get(call.talking) if call.talking is not None else None
    if talker is None or call.pending is not None:
        return
    if talker.channel not in call.caller.wire(ledger.bridges):
        call.start_transfer(call.talking, TransferKind.BLIND)


def pickup(ledger: Ledger, event: Mapping[str, str], now: float, out: list[CallEvent]) -> None:
    """``Pickup``: the ringing target was taken by another phone."""
    target = ledger.channels.get(event.get("TargetUniqueid", ""))
    if target is not None:
        target.call.withdraw(target, WithdrawReason.PICKED_UP, now, out)


def dial_into_other_call(
    ledger: Ledger, source: Channel, dest: Channel, now: float, out: list[CallEvent]
) -> WithdrawReason:
    """A dial of ``source``'s call reached ``dest``, a channel of another call.

    Either a pickup (``dest`` is the picking phone, already answered in its own call) or a
    blonde transfer (``dest`` is the consultation's still-ringing branch). ``dest`` and what
    it dials move into ``source``'s call. Returns why the call's cancelled rings ended.
    """
    picked = dest.state == ChannelState.UP
    ledger.move_branch(dest, source.call, now, out)
    return WithdrawReason.PICKED_UP if picked else WithdrawReason.NO_ANSWER
