"""A lease in Redis: for each Asterisk server, exactly one node holds its AMI connection.

Asterisk sends every event to every AMI client, so two nodes connected to one server would
track every call twice and pop every agent twice. The node holding the lease
``{p}:lease:ami:{server}`` (``SET NX PX``) opens the link; it renews the lease every third
of its time to live, and the others try to take it just as often. When the holder dies,
the lease expires after ``ttl`` and another node takes it within ``ttl + ttl/3`` (3 s +
1 s by default, inside the 5 s the centre allows), connects, and the tracker's resync
after the (re)connect picks up the calls in progress (``CoreShowChannels``). A holder
that stops cleanly deletes the lease, so the takeover is immediate.

Redis itself unreachable: the holder keeps its link (a single node must keep popping), and
the others do not take the lease until a full ``ttl`` after Redis answers again, so the
holder - which re-claims a lease Redis lost in a restart - gets it back first. A holder
that finds the lease taken by another node drops its link at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]

# KEYS: lease. ARGV: node, ttl ms. 1 if this node holds it (renewed or re-claimed), else 0.
RENEW_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
# KEYS: lease. ARGV: node. Deletes the lease only if this node holds it.
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease:
    def __init__(
        self,
        redis: Redis,
        key: str,
        node_id: str,
        *,
        ttl: float,
        on_acquired: Hook,
        on_lost: Hook,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = key
        self.node_id = node_id
        self.ttl = ttl
        self.held = False
        self.holder: str | None = None
        self._redis = redis
        self._renew = redis.register_script(RENEW_SCRIPT)
        self._release = redis.register_script(RELEASE_SCRIPT)
        self._on_acquired = on_acquired
        self._on_lost = on_lost
        self._clock = clock
        # Not before this moment may a non-holder take the lease (after a Redis outage).
        self._hold_off_until = 0.0
        self._redis_down = False
        self._task: asyncio.Task[None] | None = None

    @property
    def _ttl_ms(self) -> int:
        return int(self.ttl * 1000)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"lease-{self.key}")

    async def _run(self) -> None:
        while True:
            try:
                await self._step()
            except (RedisError, OSError) as exc:
                self._unreachable(exc)
            except Exception:  # a failing hook must not end the competition for good
                log.exception("lease %s: unexpected error", self.key)
            await asyncio.sleep(self.ttl / 3)

    async def _step(self) -> None:
        if self.held:
            still = int(await self._renew(keys=[self.key], args=[self.node_id, self._ttl_ms]))
            self._reachable()
            if not still:
                self.held = False
                await self._read_holder()
                log.warning("lost %s to node %s: dropping the AMI link", self.key, self.holder)
                await self._on_lost()
            return
        if self._clock() < self._hold_off_until:
            await self._redis.ping()
            self._reachable()
            return
        taken = await self._redis.set(self.key, self.node_id, nx=True, px=self._ttl_ms)
        self._reachable()
        if taken:
            self.held = True
            self.holder = self.node_id
            log.info("took %s: this node holds the AMI link", self.key)
            await self._on_acquired()
        else:
            await self._read_holder()

    async def _read_holder(self) -> None:
        holder = await self._redis.get(self.key)
        self.holder = str(holder) if holder is not None else None

    def _unreachable(self, exc: BaseException) -> None:
        if not self._redis_down:
            self._redis_down = True
            log.warning(
                "Redis unreachable for %s (%s): %s",
                self.key,
                exc or type(exc).__name__,
                "keeping the AMI link" if self.held else "not taking over meanwhile",
            )

    def _reachable(self) -> None:
        if self._redis_down:
            self._redis_down = False
            if not self.held:
                # Let the holder re-claim first; it renews every ttl/3.
                self._hold_off_until = self._clock() + self.ttl

    async def close(self) -> None:
        """Stop competing and hand the lease over at once if this node held it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.held:
            self.held = False
            with contextlib.suppress(RedisError, OSError):
                await self._release(keys=[self.key], args=[self.node_id])
            await self._on_lost()
