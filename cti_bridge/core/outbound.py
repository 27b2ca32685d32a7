"""Click-to-dial: an agent's call out to a customer, as Asterisk's ``Originate`` shows it.

``POST /api/calls`` sends ``Originate`` with ``Channel: PJSIP/1001`` (the agent's own
interface), ``Context``/``Exten`` = the number to call. Asterisk then:

1. creates the agent's channel (the call's first channel: its Uniqueid is the Linkedid) and
   rings it with a ``DialBegin`` that has **no calling channel**, only the ``Dest*`` block
   (no one dials it: the PBX does). This ring is the agent's own doing: no inbound pop.
2. once the agent answers, runs the dialplan at ``Exten`` on that channel; its ``Dial()``
   rings the outside line (``DialBegin`` from the agent's channel to a trunk channel). Now
   the agent gets an ``OutboundStarted`` pop with the dialled number, and the trunk channel
   becomes the call's *caller* (the party served: what a transfer hands on, whose hang-up
   ends the call).
3. ``DialEnd ANSWER`` on the trunk channel (or the two sharing a bridge) answers the agent.

``OriginateResponse`` comes only once the agent answered (Asterisk 20), so nothing here
relies on it.
"""

from __future__ import annotations

from collections.abc import Mapping

from cti_bridge.core.channels import Channel, dialed_number
from cti_bridge.core.events import CallEvent, Direction, OutboundStarted, Party


def originate_leg(dest: Channel) -> None:
    """A ``DialBegin`` without a caller rang ``dest``: Asterisk originating from it.

    When ``dest`` is an agent's device and the first channel of its call, the call is
    that agent's click-to-dial: outbound, and its ring pops nobody.
    """
    call = dest.call
    if dest is call.caller and dest.is_agent and not dest.is_local and not call.over:
        call.originator = dest
        call.direction = Direction.OUTBOUND


def dials_out(source: Channel, dest: Channel) -> bool:
    """Whether ``source`` dialling ``dest`` is the originating agent calling the customer."""
    call = source.call
    return (
        call.originator is source
        and source.offer is None
        and not dest.is_agent
        and dest.call is call
    )


def start(
    source: Channel, dest: Channel, event: Mapping[str, str], now: float, out: list[CallEvent]
) -> None:
    """The agent's channel rings the customer on ``dest``: pop the agent (outbound).

    From here the customer is the party served (the call's *caller*, shown with the
    dialled number), and the agent holds an offer that ``OutboundStarted`` opened
    instead of a ``CallOffered``: it is answered when the customer answers and
    withdrawn (no answer) when the customer is never reached.
    """
    number = dialed_number(event.get("Exten", "")) or number_in_dial_string(
        event.get("DialString", "")
    )
    call = source.call
    agent = call.originator
    if agent is None or call.over or agent.offer is not None:
        return
    call.caller = dest
    call.shown = Party(number=number, name="")
    call.dialed = number
    call.open_offer(agent)
    out.append(
        OutboundStarted(
            call_id=call.call_id,
            interface=agent.interface,
            number=number,
            at=now,
            started_at=call.started_at,
        )
    )


def number_in_dial_string(dial_string: str) -> str:
    """The number in a ``Dial()`` argument: ``trunk/+15551234567`` -> ``+15551234567``,
    ``PJSIP/5551234@provider`` -> ``5551234``; ``""`` when there is none."""
    resource = dial_string.rsplit("/", 1)[-1]
    return dialed_number(resource.split("@", 1)[0].split(",", 1)[0])
