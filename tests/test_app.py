"""The composition root: a start that fails part-way closes exactly what it opened, and
stop() is safe twice and after a failed start."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cti_bridge.ami.link import AmiLink
from cti_bridge.app import Daemon
from cti_bridge.ivr.assembly import IvrParts
from cti_bridge.services.supervision import Supervision
from cti_bridge.settings import (
    AsteriskServer,
    DatabaseSettings,
    IvrSettings,
    Secret,
    Settings,
    WebSettings,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bindable(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def settings_for(db_url: str, tmp_path: Path, *, web_port: int, agi_port: int) -> Settings:
    server = AsteriskServer(name="pbx1", port=free_port(), secret=Secret("s3cret-for-tests"))
    return Settings(
        web=WebSettings(host="127.0.0.1", port=web_port),
        database=DatabaseSettings(url=db_url, journal_dir=str(tmp_path / "journal")),
        ivr=IvrSettings(agi_port=agi_port),
        asterisk=(server,),
    )


class Closes:
    """Records the bus's close, so a test can tell it was closed exactly once."""

    def __init__(self, daemon: Daemon) -> None:
        self.bus = 0
        close = daemon.bus.close

        async def counted() -> None:
            self.bus += 1
            await close()

        daemon.bus.close = counted  # type: ignore[method-assign]


def nothing_running() -> bool:
    return asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_taken_web_port_unwinds_the_start(db_url: str, tmp_path: Path) -> None:
    agi_port = free_port()
    with taken_port() as web_port:
        daemon = Daemon(settings_for(db_url, tmp_path, web_port=web_port, agi_port=agi_port))
        closes = Closes(daemon)
        with pytest.raises(OSError, match=r"(?i)in use"):
            await daemon.start()
        assert closes.bus == 1
        assert nothing_running()
        assert bindable(agi_port)
        await daemon.stop()
        await daemon.stop()
        assert closes.bus == 1


@pytest.mark.parametrize(
    ("part", "method"),
    [(IvrParts, "start"), (Supervision, "start"), (AmiLink, "start")],
    ids=["ivr", "supervision", "ami"],
)
async def test_a_failing_part_unwinds_the_start(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: type, method: str
) -> None:
    async def refuse(*_args: object) -> None:
        raise RuntimeError("not today")

    monkeypatch.setattr(part, method, refuse)
    web_port, agi_port = free_port(), free_port()
    daemon = Daemon(settings_for(db_url, tmp_path, web_port=web_port, agi_port=agi_port))
    closes = Closes(daemon)
    with pytest.raises(RuntimeError, match="not today"):
        await daemon.start()
    assert closes.bus == 1
    assert nothing_running()
    assert bindable(web_port) and bindable(agi_port)
    await daemon.stop()
    assert closes.bus == 1


async def test_stop_twice_is_safe(db_url: str, tmp_path: Path) -> None:
    web_port, agi_port = free_port(), free_port()
    daemon = Daemon(settings_for(db_url, tmp_path, web_port=web_port, agi_port=agi_port))
    closes = Closes(daemon)
    await daemon.start()
    assert not bindable(web_port) and not bindable(agi_port)
    await daemon.stop()
    await daemon.stop()
    assert closes.bus == 1
    assert nothing_running()
    assert bindable(web_port) and bindable(agi_port)


async def test_stop_before_start_is_safe(db_url: str, tmp_path: Path) -> None:
    daemon = Daemon(settings_for(db_url, tmp_path, web_port=0, agi_port=0))
    await daemon.stop()
