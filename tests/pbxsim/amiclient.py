"""A deliberately plain AMI client for testing the simulator without the adapter under test.

It keeps every frame as read - ordered header pairs, the time it arrived - and lets a test
await a frame matching a predicate instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.patience import PATIENCE


@dataclass
class Frame:
    pairs: list[tuple[str, str]]
    received: float = field(default_factory=time.time)

    @property
    def kind(self) -> str:
        return self.pairs[0][0] if self.pairs else ""

    @property
    def name(self) -> str:
        """The event name or response status."""
        return self.pairs[0][1] if self.pairs else ""

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.pairs]

    def get(self, key: str, default: str | None = None) -> str | None:
        for name, value in self.pairs:
            if name == key:
                return value
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def is_event(self, name: str | None = None) -> bool:
        return self.kind == "Event" and (name is None or self.name == name)


def parse_block(block: str) -> Frame:
    pairs = []
    for line in block.split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep:
            pairs.append((key, value))
        elif line.endswith(":"):
            pairs.append((line[:-1], ""))
    return Frame(pairs)


class RawAmiClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.banner = b""
        self.raw = bytearray()
        self.frames: list[Frame] = []
        self.closed = asyncio.Event()
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())
        self._ids = 0

    @classmethod
    async def connect(cls, port: int, host: str = "127.0.0.1") -> RawAmiClient:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def _read(self) -> None:
        pending = b""
        try:
            self.banner = await self._reader.readuntil(b"\r\n")
            while data := await self._reader.read(65536):
                self.raw += data
                pending += data
                *blocks, pending = pending.split(b"\r\n\r\n")
                for block in blocks:
                    self.frames.append(parse_block(block.decode("utf-8", "replace")))
                self._changed.set()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.closed.set()
            self._changed.set()

    def send(self, *pairs: tuple[str, str]) -> str:
        """Write an action; an ActionID is added unless given. Returns the ActionID."""
        action_id = dict(pairs).get("ActionID")
        if action_id is None:
            self._ids += 1
            action_id = f"t-{self._ids}"
            pairs = (*pairs, ("ActionID", action_id))
        text = "".join(f"{key}: {value}\r\n" for key, value in pairs) + "\r\n"
        self._writer.write(text.encode("utf-8"))
        return action_id

    async def wait_for(self, predicate: Callable[[Frame], bool], within: float = PATIENCE) -> Frame:
        """The first frame (from the start) matching ``predicate``."""
        async with asyncio.timeout(within):
            while True:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
                if self.closed.is_set():
                    raise ConnectionError("connection closed before a matching frame")
                self._changed.clear()
                await self._changed.wait()

    async def request(self, *pairs: tuple[str, str], within: float = PATIENCE) -> Frame:
        """Send an action and await its Response."""
        action_id = self.send(*pairs)
        return await self.wait_for(
            lambda f: f.kind == "Response" and f.get("ActionID") == action_id, within
        )

    async def login(
        self, username: str = "cti", secret: str = "change-me", events: str = "on"
    ) -> Frame:
        return await self.request(
            ("Action", "Login"), ("Username", username), ("Secret", secret), ("Events", events)
        )

    async def sync(self) -> None:
        """Wait until everything the server wrote before now has arrived (a Ping's answer
        is written after every earlier event)."""
        await self.request(("Action", "Ping"))

    def events(self, name: str | None = None, linkedid: str | None = None) -> list[Frame]:
        return [
            f
            for f in self.frames
            if f.is_event(name)
            and (linkedid is None or linkedid in (f.get("Linkedid"), f.get("DestLinkedid")))
        ]

    async def close(self) -> None:
        self._writer.close()
        await asyncio.gather(self._task, return_exceptions=True)
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()


async def poll(check: Callable[[], Any], within: float = PATIENCE) -> Any:
    """For conditions nothing signals (a simulator counter, a text buffer): check every
    10 ms until ``check()`` is truthy, which is returned."""
    async with asyncio.timeout(within):
        while not (value := check()):  # noqa: ASYNC110 - there is no event to wait on
            await asyncio.sleep(0.01)
        return value
