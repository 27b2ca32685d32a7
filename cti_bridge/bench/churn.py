"""Websocket churn: open and drop ``rate`` agent connections a second for ``seconds``
against a daemon in its own process, then check its memory and open files came back to
where they started (no leak).

    python -m cti_bridge.bench.churn --seconds 60 --rate 100 [--database-url URL]

Without ``--database-url`` a SQLite file in a temporary directory is used. The daemon
is measured from ``/proc`` before, during (each second) and after the churn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import websockets

from cti_bridge.bench import dataset
from cti_bridge.bench.daemon import DaemonProcess, free_port, write_config
from cti_bridge.bench.procstat import sample
from cti_bridge.bench.stats import table
from cti_bridge.pbxsim import PbxSimulator

MB = 1024 * 1024


async def _one(url: str, cookie: str) -> bool:
    try:
        async with websockets.connect(
            url, additional_headers={"Cookie": cookie}, compression=None
        ) as conn:
            await conn.send(json.dumps({"type": "ping"}))
            await conn.recv()
    except (OSError, websockets.WebSocketException):
        return False
    return True


async def churn(url: str, cookie: str, rate: int, seconds: int, pid: int) -> tuple[int, int]:
    ok = failed = 0
    for second in range(seconds):
        started = time.monotonic()
        results = await asyncio.gather(*(_one(url, cookie) for _ in range(rate)))
        ok += sum(results)
        failed += len(results) - sum(results)
        now = sample(pid)
        print(
            f"[churn] {second + 1:3d} s  opened+closed {ok:,}  failed {failed}  "
            f"rss {now.rss_bytes / MB:.1f} MB  fds {now.open_fds}",
            flush=True,
        )
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    return ok, failed


async def main(rate: int, seconds: int, database_url: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="cti-churn-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{tmp}/churn.db"
        url = await dataset.ensure_schema(url, "bench_churn")
        (agent,) = await dataset.bench_agents(url, 1)
        sim = PbxSimulator(secret="bench-secret", agents=[agent.interface])  # noqa: S106
        await sim.start()
        port = free_port()
        # One agent's login opens them all: its socket caps let ``rate`` at once through.
        config = write_config(Path(tmp), url, port, sim.port, sockets_per_login=rate)
        daemon = DaemonProcess(config, port)
        ws_url = f"ws://127.0.0.1:{port}/ws"
        try:
            await daemon.start()
            for _ in range(2):  # warm up: pools and caches at their working size
                await asyncio.gather(*(_one(ws_url, agent.cookie) for _ in range(rate)))
            await asyncio.sleep(2.0)
            before = sample(daemon.pid)
            ok, failed = await churn(ws_url, agent.cookie, rate, seconds, daemon.pid)
            await asyncio.sleep(5.0)  # closing handshakes and timers run out
            after = sample(daemon.pid)
            sockets = await daemon.metric("cti_websockets")
        finally:
            await daemon.stop()
            await sim.close()
    rss = f"{before.rss_bytes / MB:.1f} -> {after.rss_bytes / MB:.1f}"
    rows = [
        ["connections opened and dropped", f"{ok:,} ({failed} failed)"],
        ["daemon RSS before -> after (MB)", rss],
        ["daemon open fds before -> after", f"{before.open_fds} -> {after.open_fds}"],
        ["websockets still open after", f"{sockets:.0f}"],
    ]  # fmt: skip
    print(table(["measure", "value"], rows))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.rate, args.seconds, args.database_url)))
