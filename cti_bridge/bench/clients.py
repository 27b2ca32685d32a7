"""The agents' side of the benchmark, run as its own process so the daemon is measured
alone: N websocket clients (the ``websockets`` library, as a browser would connect), each
reporting every ``screen_pop`` it receives with the wall-clock time of receipt.

    python -m cti_bridge.bench.clients --url ws://127.0.0.1:8080/ws --cookies FILE

``FILE`` has one ``agent_id<TAB>Cookie header`` line per agent. Output lines (stdout):
``CONNECTED <ok> <failed>`` once all are open, then ``POP <agent> <call_id> <time>`` per pop
and ``LOST <agent>`` when the server closes a socket; the process closes every socket
and prints ``DONE`` when it reads ``STOP`` on stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from urllib.parse import urlsplit

import websockets
from websockets.asyncio.client import ClientConnection

CONNECT_CONCURRENCY = 50
FLUSH_SECONDS = 0.05


class Agents:
    def __init__(self, url: str, origin: str) -> None:
        self.url = url
        self.origin = origin
        self.lines: list[str] = []
        self.sockets: list[ClientConnection] = []
        self.readers: set[asyncio.Task[None]] = set()
        self.failed = 0
        self.stopping = False

    async def connect(self, agent_id: int, cookie: str, gate: asyncio.Semaphore) -> None:
        async with gate:
            try:
                conn = await websockets.connect(
                    self.url,
                    additional_headers={"Cookie": cookie, "Origin": self.origin},
                    compression=None,
                    ping_interval=None,
                    open_timeout=30,
                )
            except (OSError, websockets.WebSocketException, TimeoutError):
                self.failed += 1
                return
        self.sockets.append(conn)
        self.readers.add(asyncio.create_task(self.read(agent_id, conn)))

    async def read(self, agent_id: int, conn: ClientConnection) -> None:
        try:
            async for raw in conn:
                received = time.time()
                # Only pops matter; a cheap test before parsing keeps the client fast.
                if '"screen_pop"' in raw:
                    message = json.loads(raw)
                    if message.get("type") == "screen_pop":
                        self.lines.append(f"POP {agent_id} {message['call_id']} {received:.6f}")
        except websockets.ConnectionClosed:
            pass
        if not self.stopping:
            self.lines.append(f"LOST {agent_id}")

    async def flush(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            self.emit()

    def emit(self) -> None:
        if self.lines:
            lines, self.lines = self.lines, []
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()


def read_cookies(path: str) -> list[tuple[str, str]]:
    with open(path) as fh:
        return [tuple(line.rstrip("\n").split("\t", 1)) for line in fh if line.strip()]  # type: ignore[misc]


async def main(url: str, pairs: list[tuple[str, str]], origin: str) -> None:
    agents = Agents(url, origin)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    await asyncio.gather(*(agents.connect(int(a), c, gate) for a, c in pairs))
    print(f"CONNECTED {len(agents.sockets)} {agents.failed}", flush=True)
    flusher = asyncio.create_task(agents.flush())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while (line := await reader.readline()) and line.strip() != b"STOP":
        pass
    agents.stopping = True
    await asyncio.gather(*(s.close() for s in agents.sockets), return_exceptions=True)
    flusher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await flusher
    agents.emit()
    print("DONE", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--cookies", required=True)
    parser.add_argument("--origin", default="")
    args = parser.parse_args()
    parts = urlsplit(args.url)
    origin = args.origin or f"{parts.scheme.replace('ws', 'http', 1)}://{parts.netloc}"
    asyncio.run(main(args.url, read_cookies(args.cookies), origin))
