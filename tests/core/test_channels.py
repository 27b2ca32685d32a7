"""Channel names to interfaces, caller id cleaning, and the wire between channels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cti_bridge.core.callstate import Call
from cti_bridge.core.channels import (
    Channel,
    clean_callerid,
    interface_of,
    is_local,
    parse_state,
)
from cti_bridge.core.events import Direction


@pytest.mark.parametrize(
    ("channel", "interface"),
    [
        ("PJSIP/1001-0000002a", "PJSIP/1001"),
        ("SIP/150010001-00000019", "SIP/150010001"),
        ("SIP/voipgrid-siproute-docker-00000019", "SIP/voipgrid-siproute-docker"),
        ("SIP/voipgrid-siproute-ams-0015f5f1", "SIP/voipgrid-siproute-ams"),
        ("Local/agent1@agents-00000003;2", "Local/agent1@agents"),
        ("Local/agent1@agents-00000003;1", "Local/agent1@agents"),
        ("Local/s@from-pstn-00000000;1", "Local/s@from-pstn"),
        ("Local/+31150010001@world_out-00000041;1", "Local/+31150010001@world_out"),
        ("Local/1001@agents/n", "Local/1001@agents"),  # a queue member with options
        ("Local/1001@agents/nj", "Local/1001@agents"),
        ("local/1001@agents-0000000a;2", "local/1001@agents"),
        ("IAX2/peer-1234", "IAX2/peer"),
        ("DAHDI/1-1", "DAHDI/1"),
        # Interfaces (no sequence) come back as they are.
        ("PJSIP/1001", "PJSIP/1001"),
        ("SIP/voipgrid-siproute-docker", "SIP/voipgrid-siproute-docker"),
        ("Local/s@from-pstn", "Local/s@from-pstn"),
        ("SIP/from-dead", "SIP/from-dead"),  # "dead" is hex, but not a sequence
        # Not channel names: stripped, never an error.
        ("  PJSIP/1001-0000002a \r\n", "PJSIP/1001"),
        ("", ""),
        ("   ", ""),
        ("garbage", "garbage"),
        ("no-slash-00000001", "no-slash-00000001"),
        ("/leading-slash", "/leading-slash"),
        ("PJSIP/", "PJSIP/"),
        ("PJSIP/1001-", "PJSIP/1001-"),
        ("<unknown>", "<unknown>"),
    ],
)
def test_interface_of(channel: str, interface: str) -> None:
    assert interface_of(channel) == interface


@given(st.text())
def test_interface_of_never_raises_and_is_idempotent(text: str) -> None:
    interface = interface_of(text)
    assert interface == interface.strip()
    if not interface.lower().startswith("local/"):
        assert interface_of(interface) == interface


@pytest.mark.parametrize(
    ("value", "clean"),
    [("<unknown>", ""), (None, ""), (" 201 ", "201"), ("Jane Doe", "Jane Doe"), ("", "")],
)
def test_clean_callerid(value: str | None, clean: str) -> None:
    assert clean_callerid(value) == clean


def test_is_local_and_parse_state() -> None:
    assert is_local("Local/x@y-00000001;1")
    assert not is_local("PJSIP/1001-00000001")
    assert [parse_state(v) for v in ("5", "6", "", None, "Up", "-1")] == [5, 6, 0, 0, 0, 0]


def _channel(call: Call, name: str) -> Channel:
    channel = Channel(
        uniqueid=name,
        name=name,
        interface=interface_of(name),
        is_agent=False,
        is_local=is_local(name),
        call=call,
    )
    call.channels[name] = channel
    return channel


def test_wire_follows_bridges_through_local_halves() -> None:
    """Caller <bridge a> Local;1 = Local;2 <bridge b> phone: they hear each other."""
    call = Call(call_id="pbx1:1", dialed="", direction=Direction.INBOUND, started_at=0.0)
    caller, one, two, phone, other = (
        _channel(call, name)
        for name in ("PJSIP/t-1", "Local/q@x-2;1", "Local/q@x-2;2", "PJSIP/1001-3", "PJSIP/9-4")
    )
    one.local_peer, two.local_peer = two, one
    caller.bridge = one.bridge = "a"
    two.bridge = phone.bridge = "b"
    bridges = {"a": {caller: None, one: None}, "b": {two: None, phone: None}}
    assert caller.wire(bridges) == [caller, one, two, phone]
    assert other.wire(bridges) == [other]
