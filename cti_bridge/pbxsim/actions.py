"""Answers to the list actions, in the shape Asterisk 20 writes them.

A list action is acknowledged with ``Response: Success`` / ``EventList: start``, followed by
one event per item and a ``...Complete`` event with ``EventList: Complete`` and
``ListItems``. The items carry the action's ``ActionID`` (when it sent one) and no
``Privilege``: they go to the asking session only, not to everyone.
"""

from __future__ import annotations

import time

from cti_bridge.pbxsim.channels import Channel
from cti_bridge.pbxsim.pbx import Member, Pbx, QueueState
from cti_bridge.pbxsim.protocol import (
    ActionRequest,
    Header,
    encode_error,
    encode_event,
    encode_response,
)

# main/utils.c ast_true(): what a boolean header counts as true.
_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})


def _aid(action_id: str) -> list[Header]:
    return [("ActionID", action_id)] if action_id else []


def _list(action_id: str, message: str, name: str, items: list[list[Header]]) -> list[bytes]:
    """Ack, items, Complete event: the framing every list action shares."""
    ack = [("EventList", "start"), ("Message", message)]
    out = [encode_response("Success", action_id, ack)]
    out.extend(encode_event(event, headers, privilege=None) for event, headers in _named(items))
    done = [*_aid(action_id), ("EventList", "Complete"), ("ListItems", str(len(items)))]
    out.append(encode_event(name, done, privilege=None))
    return out


def _named(items: list[list[Header]]) -> list[tuple[str, list[Header]]]:
    """Items are stored with their event name as a leading pseudo-header."""
    return [(item[0][1], item[1:]) for item in items]


def _duration(channel: Channel) -> str:
    seconds = int(time.monotonic() - channel.created)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def core_show_channels(pbx: Pbx, action_id: str) -> list[bytes]:
    items = [
        [
            ("Event", "CoreShowChannel"),
            *_aid(action_id),
            *chan.snapshot(),
            ("BridgeId", chan.bridge_id),
            ("Application", chan.application),
            ("ApplicationData", chan.app_data),
            ("Duration", _duration(chan)),
        ]
        for chan in pbx.channels.live.values()
    ]
    return _list(action_id, "Channels will follow", "CoreShowChannelsComplete", items)


def _queue_items(queue: QueueState, action_id: str) -> list[list[Header]]:
    params: list[Header] = [
        ("Event", "QueueParams"),
        ("Queue", queue.name),
        ("Max", "0"),
        ("Strategy", queue.strategy),
        ("Calls", str(len(queue.waiting))),
        ("Holdtime", "0"),
        ("TalkTime", "0"),
        ("Completed", str(queue.completed)),
        ("Abandoned", str(queue.abandoned)),
        ("ServiceLevel", "60"),
        ("ServicelevelPerf", "0.0"),
        ("ServicelevelPerf2", "0.0"),
        ("Weight", "0"),
        *_aid(action_id),
    ]
    items = [params]
    for member in queue.members.values():
        items.append([("Event", "QueueMember"), *member.list_event(queue.name), *_aid(action_id)])
    for position, caller in enumerate(queue.waiting, start=1):
        items.append(
            [
                ("Event", "QueueEntry"),
                ("Queue", queue.name),
                ("Position", str(position)),
                ("Channel", caller.name),
                ("Uniqueid", caller.uniqueid),
                ("CallerIDNum", caller.cid_num),
                ("CallerIDName", caller.cid_name),
                ("ConnectedLineNum", caller.conn_num),
                ("ConnectedLineName", caller.conn_name),
                ("Wait", str(queue.waited(caller))),
                ("Priority", "0"),
                *_aid(action_id),
            ]
        )
    return items


def queue_status(pbx: Pbx, action_id: str, queue_filter: str = "") -> list[bytes]:
    items = [
        item
        for queue in pbx.queues.values()
        if queue_filter in ("", queue.name)
        for item in _queue_items(queue, action_id)
    ]
    return _list(action_id, "Queue status will follow", "QueueStatusComplete", items)


def queue_pause(pbx: Pbx, request: ActionRequest) -> tuple[bytes, list[tuple[str, Member]]]:
    """apps/app_queue.c manager_pause_queue_member: the reply, then (sent after it) one
    ``QueueMemberPause`` per membership changed; without ``Queue``, every queue."""
    aid = request.action_id
    interface, paused_s = request.get("Interface"), request.get("Paused")
    if not interface or not paused_s:
        return encode_error(aid, "Need 'Interface' and 'Paused' parameters."), []
    paused = paused_s.strip().lower() in _TRUE
    reason = request.get("Reason")
    changed = pbx.pause_members(interface, paused, reason, request.get("Queue"))
    if not changed:
        return encode_error(aid, "Interface not found"), []
    text = "Interface paused successfully" if paused else "Interface unpaused successfully"
    return encode_response("Success", aid, [("Message", text)]), changed


# apps/app_queue.c manager_add_queue_member / manager_remove_queue_member: the answers.
_ADDED = {
    "added": "Added interface to queue",
    "exists": "Unable to add interface: Already there",
    "no_queue": "Unable to add interface to queue: No such queue",
}
_REMOVED = {
    "removed": "Removed interface from queue",
    "not_there": "Unable to remove interface: Not there",
    "no_queue": "Unable to remove interface from queue: No such queue",
    "not_dynamic": "Member not dynamic",
}
# What the events owed after the reply are, with the member they describe.
MemberEvent = tuple[str, str, Member]


def queue_add(pbx: Pbx, request: ActionRequest) -> tuple[bytes, list[MemberEvent]]:
    """``QueueAdd``: the reply, then (sent after it) ``QueueMemberAdded`` when added."""
    aid, queue, interface = request.action_id, request.get("Queue"), request.get("Interface")
    if not queue or not interface:
        return encode_error(aid, "'Queue' and 'Interface' not specified."), []
    paused = request.get("Paused").strip().lower() in _TRUE
    outcome, member = pbx.add_member(
        queue, interface, request.get("MemberName"), paused=paused, reason=request.get("Reason")
    )
    return _answer(aid, _ADDED[outcome], "QueueMemberAdded", queue, member)


def queue_remove(pbx: Pbx, request: ActionRequest) -> tuple[bytes, list[MemberEvent]]:
    """``QueueRemove``: the reply, then ``QueueMemberRemoved`` when removed."""
    aid, queue, interface = request.action_id, request.get("Queue"), request.get("Interface")
    if not queue or not interface:
        return encode_error(aid, "Need 'Queue' and 'Interface' parameters."), []
    outcome, member = pbx.remove_member(queue, interface)
    return _answer(aid, _REMOVED[outcome], "QueueMemberRemoved", queue, member)


def _answer(
    aid: str, message: str, event: str, queue: str, member: Member | None
) -> tuple[bytes, list[MemberEvent]]:
    if member is None:
        return encode_error(aid, message), []
    return encode_response("Success", aid, [("Message", message)]), [(event, queue, member)]


def unknown_command(action_id: str, name: str) -> bytes:
    """What Asterisk answers for an action no module registered."""
    text = f"Invalid/unknown command: {name}. Use Action: ListCommands to show available commands."
    return encode_error(action_id, text)
