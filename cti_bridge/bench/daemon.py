"""The processes under test: the daemon (``cti-bridge run``) and the agents' websocket
clients (:mod:`cti_bridge.bench.clients`), each its own OS process, started and read here."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

from cti_bridge.bench.dataset import BenchAgent

SECRET = "bench-secret"  # noqa: S105 - the simulator's throwaway AMI password


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    directory: Path,
    database_url: str,
    web_port: int,
    ami_port: int,
    *,
    redis_url: str = "",
    agi_port: int = 0,
    sockets_per_login: int = 4,
) -> Path:
    """The daemon's settings for a run; with ``redis_url`` it runs in cluster mode (the
    Redis bus and an AMI lease), keys under the ``bench`` prefix. FastAGI listens on
    ``agi_port`` (0: any free port, nobody told). One login (and one agent) may hold
    ``sockets_per_login`` websockets at once."""
    path = directory / "bench.toml"
    path.write_text(
        f'[redis]\nurl = "{redis_url}"\nprefix = "bench"\n'
        f"[web]\nport = {web_port}\nsocket_queue_size = 1024\n"
        f"max_sockets_per_session = {sockets_per_login}\n"
        f"max_sockets_per_agent = {max(sockets_per_login, 8)}\n"
        f'[database]\nurl = "{database_url}"\njournal_dir = "{directory / "journal"}"\n'
        f'[log]\nlevel = "WARNING"\n'
        f"[ivr]\nagi_port = {agi_port}\n"
        f'[[asterisk]]\nname = "pbx1"\nport = {ami_port}\nsecret = "{SECRET}"\n'
    )
    return path


class DaemonProcess:
    def __init__(self, config: Path, web_port: int, profile: Path | None = None) -> None:
        self.config = config
        # Run the daemon under cProfile, writing its statistics here when it stops.
        self.profile = profile
        self.url = f"http://127.0.0.1:{web_port}"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the daemon is not started")
        return self.process.pid

    async def start(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        # The settings file decides, whatever this shell's CTI_* variables say.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CTI_")}
        profiler = ["-m", "cProfile", "-o", str(self.profile)] if self.profile else []
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, *profiler, "-m", "cti_bridge", "run", "--config", str(self.config),
            stdout=asyncio.subprocess.DEVNULL, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"the daemon exited with {self.process.returncode}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.url + "/readyz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise RuntimeError("the daemon did not become ready")

    async def metric(self, name: str) -> float:
        """Sum of a Prometheus metric's samples (all label sets)."""
        async with aiohttp.ClientSession() as http, http.get(self.url + "/metrics") as response:
            text = await response.text()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(name) and (line[len(name)] in " {")
        )

    async def buckets(self, name: str) -> dict[float, float]:
        """A histogram's cumulative bucket counts by upper bound (``le``)."""
        async with aiohttp.ClientSession() as http, http.get(self.url + "/metrics") as response:
            text = await response.text()
        found: dict[float, float] = {}
        for line in text.splitlines():
            if line.startswith(f"{name}_bucket{{"):
                bound = line.split('le="', 1)[1].split('"', 1)[0]
                found[float(bound)] = float(line.rsplit(" ", 1)[1])
        return found

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


class ClientProcess:
    """The agents: connects them all, then streams each pop as it arrives."""

    def __init__(self, ws_url: str, agents: list[BenchAgent], directory: Path) -> None:
        self.ws_url = ws_url
        self.cookies = directory / "cookies.tsv"
        self.cookies.write_text("".join(f"{a.id}\t{a.cookie}\n" for a in agents))
        self.process: asyncio.subprocess.Process | None = None
        self.connected = 0
        self.failed = 0
        self.lost: list[int] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self, on_pop: Callable[[int, str, float], None]) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cti_bridge.bench.clients",
            "--url", self.ws_url, "--cookies", str(self.cookies),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 20,
        )  # fmt: skip
        if self.process.stdout is None:
            raise RuntimeError("no pipe to the agent clients")
        first = (await self.process.stdout.readline()).split()
        if not first or first[0] != b"CONNECTED":
            raise RuntimeError(f"the agent clients failed to start: {first!r}")
        self.connected, self.failed = int(first[1]), int(first[2])
        self._reader = asyncio.create_task(self._read(on_pop))

    async def _read(self, on_pop: Callable[[int, str, float], None]) -> None:
        if self.process is None or self.process.stdout is None:
            return
        while line := await self.process.stdout.readline():
            parts = line.decode().split()
            if parts[0] == "POP":
                on_pop(int(parts[1]), parts[2], float(parts[3]))
            elif parts[0] == "LOST":
                self.lost.append(int(parts[1]))
            elif parts[0] == "DONE":
                return

    async def stop(self) -> None:
        if self.process is None or self.process.stdin is None:
            return
        self.process.stdin.write(b"STOP\n")
        await self.process.stdin.drain()
        if self._reader is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reader, 60)
        await self.process.wait()
