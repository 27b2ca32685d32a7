"""Dynamic queue members from the events and QueueStatus of a real Asterisk 20."""

from __future__ import annotations

from cti_bridge.core.members import DynamicMembers
from tests.core.replay import FIXTURES, load

RECORDING = load(FIXTURES.parent / "asterisk20-live" / "queue_add_remove.ami")


def test_a_log_in_and_a_log_out_as_recorded() -> None:
    members = DynamicMembers()
    changed = [members.feed(event) for event in RECORDING]
    assert [c for c in changed if c] == ["Local/1002@agents", "Local/1002@agents"]
    added = next(e for e in RECORDING if e["Event"] == "QueueMemberAdded")
    members.feed(added)
    assert members.queues_of(["Local/1002@agents", "PJSIP/1002"]) == {"sales"}
    assert members.feed(added) is None  # nothing new
    assert members.queues_of(["Local/1001@agents"]) == set()


def test_static_members_and_other_items_are_not_logged_in() -> None:
    members = DynamicMembers()
    static = {"Event": "QueueMember", "Queue": "support", "Location": "PJSIP/1001",
              "Membership": "static"}  # fmt: skip
    dynamic = {**static, "Queue": "sales", "Membership": "dynamic"}
    params = {"Event": "QueueParams", "Queue": "sales"}
    assert members.replace([params, static, dynamic]) == {"PJSIP/1001"}
    assert members.queues_of(["PJSIP/1001"]) == {"sales"}
    assert members.replace([params, static, dynamic]) == set()
    # Logged out while the bridge was not listening: the next QueueStatus says so.
    assert members.replace([params, static]) == {"PJSIP/1001"}
    assert members.queues_of(["PJSIP/1001"]) == set()


def test_an_event_newer_than_the_list_wins() -> None:
    members = DynamicMembers()
    mark = members.mark()  # QueueStatus asked; a log-in arrives before its list
    added = next(e for e in RECORDING if e["Event"] == "QueueMemberAdded")
    assert members.feed(added) == "Local/1002@agents"
    other = {"Event": "QueueMember", "Queue": "billing", "Location": "PJSIP/1001",
             "Membership": "dynamic"}  # fmt: skip
    assert members.replace([other], mark) == {"PJSIP/1001"}
    assert members.queues_of(["Local/1002@agents"]) == {"sales"}
    assert members.replace([other], members.mark()) == {"Local/1002@agents"}
    assert members.queues_of(["Local/1002@agents"]) == set()
