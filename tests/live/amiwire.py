"""A bare AMI client for the live checks and for recording ground truth from a real
Asterisk: it keeps every byte Asterisk sends (banner, responses, events) exactly as they
came off the socket, and the actions it sent, in the format of the reference recordings
(``.ami`` raw with ``\\r\\n``, ``.actions.txt`` with ``# t=+seconds`` before each action)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from pathlib import Path

Frame = dict[str, str]


def parse(block: str) -> Frame:
    """One AMI frame's headers (the first occurrence of a name wins)."""
    frame: Frame = {}
    for line in block.split("\r\n"):
        name, sep, value = line.partition(": ")
        if sep and name not in frame:
            frame[name] = value
    return frame


class AmiWire:
    """One AMI connection: ``action`` sends and returns the response; ``wait`` returns the
    first frame (since ``mark``) matching a predicate; ``raw``/``actions`` hold the record."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5038) -> None:
        self.host, self.port = host, port
        self.raw = bytearray()
        self.actions: list[str] = []
        self.frames: list[Frame] = []
        self._ids = itertools.count(1)
        self._started = time.monotonic()
        self._changed = asyncio.Event()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self.banner = ""

    async def connect(self, username: str, secret: str) -> Frame:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        line = await self._reader.readline()
        self.raw += line
        self.banner = line.decode().strip()
        self._task = asyncio.get_running_loop().create_task(self._read())
        return await self.action("Login", Username=username, Secret=secret, Events="on")

    async def _read(self) -> None:
        assert self._reader is not None
        buffer = b""
        while chunk := await self._reader.read(65536):
            self.raw += chunk
            buffer += chunk
            *blocks, buffer = buffer.split(b"\r\n\r\n")
            for block in blocks:
                if block.strip():
                    self.frames.append(parse(block.decode(errors="replace")))
            self._changed.set()
        self._changed.set()

    def mark(self) -> int:
        return len(self.frames)

    async def wait(
        self, check: Callable[[Frame], bool], since: int = 0, timeout: float = 30.0
    ) -> Frame:
        async def find() -> Frame:
            seen = since
            while True:
                while seen < len(self.frames):
                    frame = self.frames[seen]
                    seen += 1
                    if check(frame):
                        return frame
                if self._task is not None and self._task.done():
                    raise ConnectionError("AMI connection closed")
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def event(
        self, name: str, since: int = 0, timeout: float = 30.0, **headers: str
    ) -> Frame:
        """The first event ``name`` since ``since`` whose headers include ``headers``."""
        return await self.wait(
            lambda f: f.get("Event") == name and all(f.get(k) == v for k, v in headers.items()),
            since,
            timeout,
        )

    async def action(self, name: str, timeout: float = 30.0, **fields: str) -> Frame:
        """Send an action; its ``Response`` frame (list actions: the first one)."""
        assert self._writer is not None
        action_id = f"{name.lower()}-{next(self._ids)}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        lines += [f"{key}: {value}" for key, value in fields.items()]
        text = "\r\n".join(lines) + "\r\n\r\n"
        self.actions.append(
            f"# t=+{time.monotonic() - self._started:.3f}\n" + text.replace("\r\n", "\n")
        )
        since = self.mark()
        self._writer.write(text.encode())
        await self._writer.drain()
        return await self.wait(
            lambda f: "Response" in f and f.get("ActionID") == action_id, since, timeout
        )

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    def save(self, stem: Path) -> None:
        """``<stem>.ami`` (bytes as received) and ``<stem>.actions.txt``."""
        stem.parent.mkdir(parents=True, exist_ok=True)
        stem.with_suffix(".ami").write_bytes(bytes(self.raw))
        stem.with_suffix(".actions.txt").write_text("\n".join(self.actions))
