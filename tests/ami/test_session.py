"""The session on its own: its life-cycle needs no link, only a protocol factory."""

from __future__ import annotations

import socket

import pytest

from cti_bridge.ami import AmiSession, LinkStatus
from cti_bridge.ami.framing import Frame
from cti_bridge.ami.protocol import AmiProtocol
from cti_bridge.settings import AsteriskServer, Secret


class Receiver:
    malformed_frames = 0

    def frame_received(self, frame: Frame) -> None:
        pass

    def events_skipped(self, count: int) -> None:
        pass

    def connection_closed(self, protocol: AmiProtocol, exc: Exception | None) -> None:
        pass


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session() -> tuple[AmiSession, list[LinkStatus]]:
    seen: list[LinkStatus] = []
    server = AsteriskServer(
        name="pbx1", port=unused_port(), secret=Secret("s3cret-for-tests"), reconnect_min=0.05
    )
    return (
        AmiSession(
            server,
            lambda: AmiProtocol(Receiver()),
            on_status=lambda _name, status: seen.append(status),
        ),
        seen,
    )


async def test_unreachable_then_closed_for_good() -> None:
    ami, seen = session()
    await ami.start()
    assert not await ami.wait_connected(0.3)
    await ami.close()
    assert seen[0] is LinkStatus.CONNECTING and seen[-1] is LinkStatus.CLOSED
    assert LinkStatus.DISCONNECTED in seen and LinkStatus.CONNECTED not in seen
    with pytest.raises(RuntimeError, match="is closed"):
        await ami.start()


async def test_a_frame_answering_no_action_is_not_taken() -> None:
    ami, _ = session()
    assert not ami.route(Frame({"Response": "Success", "ActionID": "cti-pbx1-1"}))
    await ami.close()
