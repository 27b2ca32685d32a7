"""Real servers that tests can break: a TCP proxy to cut (in front of the shared PostgreSQL
or Redis, which other people use and must not be stopped) and a private ``redis-server``
that a test stops and starts on its own port."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from tests.patience import until

__all__ = ["PrivateRedis", "TcpProxy", "free_port", "until"]

REDIS_URL = os.environ.get("CTI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


# Ports handed out for servers a test starts later (a proxy, a redis-server, a daemon restarted
# on the same port). Each test worker draws from its own block below the kernel's ephemeral
# range (32768 and up), so neither another worker nor any port-0 bind can be given the same one.
_PORT_BLOCK = 400
# One block per xdist worker; CTI_TEST_PORT_SLOT shifts the blocks so that several suites
# can run side by side on one machine (each with its own slot, workers apart).
_block = (
    int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    + int(os.environ.get("CTI_TEST_PORT_SLOT", "0"))
) % 30
_next_ports = itertools.cycle(
    range(20000 + _PORT_BLOCK * _block, 20000 + _PORT_BLOCK * (_block + 1))
)


def free_port() -> int:
    """A port of this worker's block that nothing listens on now."""
    for _ in range(_PORT_BLOCK):
        port = next(_next_ports)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port left in this worker's block")


class TcpProxy:
    """Forwards 127.0.0.1:port to target. ``cut()`` drops every connection and refuses
    new ones (the server looks dead); ``restore()`` accepts again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._pipes.update((writer, up_writer))
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._pipes.discard(writer)
            writer.close()

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self.cut()


class PrivateRedis:
    """A ``redis-server`` of the test's own, without persistence: stopping it loses every
    key, like a real restart of a cache-only Redis."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="cti-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self._process = subprocess.Popen(  # noqa: ASYNC220 - returns at once
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self._dir],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = aioredis.Redis(port=self.port)
        try:
            for _ in range(100):
                with contextlib.suppress(OSError, aioredis.ConnectionError):
                    if await client.ping():
                        return
                await asyncio.sleep(0.05)
            raise RuntimeError("private redis-server did not start")
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            await asyncio.to_thread(self._process.wait)
            self._process = None

    async def close(self) -> None:
        await self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are deleted after."""
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
