"""The Redis bus: several daemons behind a load balancer, each agent's messages reach the
node holding that agent's socket, and ``resume`` works on any node.

One publish is one round trip: a Lua script takes the agent's next seq, stores the message
in the agent's replay buffer (a sorted set scored by seq, trimmed to ``replay_size``) and
publishes it on the one bus channel. Every node subscribes to that channel and hands each
message to its hub, which has sockets for some agents and ignores the rest. The node that
published delivers to its own hub at once, without waiting for its own message to come back.

Seqs only grow, even across a Redis restart that lost the counters or an outage during
which nodes numbered messages on their own: a seq is never below the publish time in
milliseconds (``max(last + 1, now_ms)``), so a browser resuming with an old ``last_seq``
never misses a newer message.

When Redis is unreachable the bus falls back to this node alone: messages are numbered and
buffered locally and reach the sockets on this node (a single node keeps working; agents on
other nodes get them only via ``resume`` on this node). The subscriber keeps retrying; once
back it replays from Redis what this node's agents missed, and publishing returns to Redis.
``degraded`` says which mode is on, for ``/readyz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from cti_bridge.bus.base import Control, Deliver, PopMarks, encode, pop_mark
from cti_bridge.bus.keys import AGENT_KEYS_TTL_SECONDS, POPPED_TTL_SECONDS, Keys

log = logging.getLogger(__name__)

# How long a command may take before Redis counts as unreachable, and the pause between
# attempts to get the subscription back.
COMMAND_TIMEOUT = 1.0
RETRY_SECONDS = 0.5
# On recovery, messages published by other nodes this long before the outage was noticed
# are replayed too (they may have been in flight when the subscription broke).
CATCH_UP_MARGIN_MS = 2_000
RECENT_SEQS = 32

# KEYS: seq counter, replay buffer, and for a message about a call the agent's "popped"
# key. ARGV: now_ms, message JSON without its closing brace, replay size, key ttl, channel,
# "node agent" header, then for a call: the state told and the popped key's ttl. A pop
# sets the popped key, an update only changes it (an update for an agent never popped
# does not make it look popped). Returns the seq.
PUBLISH_SCRIPT = """
local seq = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
local floor = tonumber(ARGV[1])
if seq < floor then seq = floor end
local ttl = tonumber(ARGV[4])
redis.call('SET', KEYS[1], string.format('%d', seq), 'EX', ttl)
local text = ARGV[2] .. ',"seq":' .. string.format('%d', seq) .. '}'
redis.call('ZADD', KEYS[2], seq, text)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('PUBLISH', ARGV[5], ARGV[6] .. ' ' .. string.format('%d', seq) .. ' ' .. text)
if KEYS[3] then
  if ARGV[7] == 'ringing' then
    redis.call('SET', KEYS[3], ARGV[7], 'EX', tonumber(ARGV[8]))
  else
    redis.call('SET', KEYS[3], ARGV[7], 'EX', tonumber(ARGV[8]), 'XX')
  end
end
return seq
"""


def redis_client(url: str, *, timeout: float | None = COMMAND_TIMEOUT, **options: Any) -> Redis:
    """A client that fails fast instead of retrying: the callers decide what an outage
    means (fall back, keep the lease, report degraded)."""
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=COMMAND_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
        **options,
    )


async def keep_subscribed(
    url: str,
    channels: Iterable[str],
    read: Callable[[PubSub], Awaitable[None]],
    *,
    up: Callable[[], Awaitable[None]],
    down: Callable[[BaseException], None],
) -> None:
    """Subscribe to ``channels`` and ``read`` them, through any number of Redis outages:
    ``up`` after each subscription, ``down`` when it is lost (then again after a pause)."""
    while True:
        # No read timeout: a quiet channel is normal. Health-check pings find a dead server.
        client = redis_client(url, timeout=None, health_check_interval=2)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(*channels)
            await up()
            await read(pubsub)
        except (RedisError, OSError) as exc:
            down(exc)
        finally:
            await pubsub.aclose()
            await client.aclose()
        await asyncio.sleep(RETRY_SECONDS)


def _now_ms() -> int:
    return int(time.time() * 1000)


class RedisBus:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "cti",
        replay_size: int = 500,
        local_agents: Callable[[], Iterable[int]] | None = None,
    ) -> None:
        self._url = url
        self._keys = Keys(prefix)
        self._replay_size = replay_size
        self._local_agents = local_agents
        self.node_id = uuid.uuid4().hex[:12]
        self._redis = redis_client(url)
        self._script = self._redis.register_script(PUBLISH_SCRIPT)
        self._deliver: list[Deliver] = []
        self._control: list[Control] = []
        # Per agent, the last seq handed to this node's hub and the recent ones: a
        # catch-up after an outage never hands the same message over twice. (Two nodes
        # publishing to one agent at once may deliver here slightly out of seq order, so
        # a lower seq than the last is still delivered unless it was seen.)
        self._delivered: dict[int, int] = {}
        self._recent: dict[int, deque[int]] = {}
        # Messages numbered here while Redis was away, so resume on this node finds them.
        self._fallback: dict[int, deque[tuple[int, str]]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self.degraded = False
        self._down_since_ms: int | None = None
        self.fallback_published = 0
        # This node's own pops, to answer ``pop_state`` while Redis is away.
        self._popped = PopMarks(size=20_000)

    def attach(self, deliver: Deliver) -> None:
        self._deliver.append(deliver)

    def on_control(self, handler: Control) -> None:
        self._control.append(handler)

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="redis-bus")
        # Wait briefly for the subscription so the first pops are not missed; if Redis is
        # down the daemon still starts, degraded, delivering on this node.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2 * COMMAND_TIMEOUT):
                await self._subscribed.wait()

    # -- publishing ---------------------------------------------------------------------

    async def publish(self, agent_id: int, message: dict[str, Any]) -> int:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        if not message:
            raise ValueError("a bus message needs at least its type")
        if not self.degraded:
            keys = [self._keys.seq(agent_id), self._keys.replay(agent_id)]
            args: list[str | int] = [
                _now_ms(),
                body[:-1],
                self._replay_size,
                AGENT_KEYS_TTL_SECONDS,
                self._keys.channel,
                f"{self.node_id} {agent_id}",
            ]
            if (mark := pop_mark(message)) is not None:
                keys.append(self._keys.popped(agent_id, mark[0]))
                args += [mark[1], POPPED_TTL_SECONDS]
            try:
                seq = int(await self._script(keys=keys, args=args))
            except (RedisError, OSError) as exc:
                self._went_down(exc)
            else:
                self._popped.note(agent_id, message)
                self._hand_over(agent_id, seq, f'{body[:-1]},"seq":{seq}}}')
                return seq
        self._popped.note(agent_id, message)
        return self._publish_here(agent_id, message)

    def _publish_here(self, agent_id: int, message: dict[str, Any]) -> int:
        """Redis is away: number the message on this node and deliver it here."""
        seq = max(self._delivered.get(agent_id, 0) + 1, _now_ms())
        text = encode(message, seq)
        buffer = self._fallback.get(agent_id)
        if buffer is None:
            buffer = self._fallback[agent_id] = deque(maxlen=self._replay_size)
        buffer.append((seq, text))
        self.fallback_published += 1
        self._hand_over(agent_id, seq, text)
        return seq

    def _hand_over(self, agent_id: int, seq: int, text: str) -> None:
        recent = self._recent.get(agent_id)
        if recent is None:
            recent = self._recent[agent_id] = deque(maxlen=RECENT_SEQS)
        elif seq in recent:
            return  # already delivered here (a catch-up racing the live message)
        recent.append(seq)
        self._delivered[agent_id] = max(seq, self._delivered.get(agent_id, 0))
        for deliver in self._deliver:
            deliver(agent_id, seq, text)

    def _went_down(self, exc: BaseException) -> None:
        if not self.degraded:
            log.warning(
                "Redis unreachable (%s): delivering on this node only until it is back",
                exc or type(exc).__name__,
            )
            self.degraded = True
            self._down_since_ms = _now_ms()

    async def control(self, message: dict[str, Any]) -> None:
        """This node acts at once; the others when the message comes through Redis. While
        Redis is away the others miss it (logged): what it ends is ended in the database
        already, so their sockets go at the next check of the session there."""
        self._controlled(message)
        try:
            await publish_control(self._redis, self._keys, message, self.node_id)
        except (RedisError, OSError) as exc:
            log.warning("Redis unreachable: control %s reached this node only (%s)", message, exc)
            self._went_down(exc)

    def _controlled(self, message: dict[str, Any]) -> None:
        for handler in self._control:
            handler(message)

    # -- replay -------------------------------------------------------------------------

    async def replay(self, agent_id: int, after_seq: int) -> list[tuple[int, str]]:
        items = {seq: text for seq, text in self._fallback.get(agent_id, ()) if seq > after_seq}
        if not self.degraded:
            try:
                items.update(await self._stored(agent_id, after_seq))
            except (RedisError, OSError) as exc:
                self._went_down(exc)
        return sorted(items.items())

    async def _stored(self, agent_id: int, after_seq: int) -> list[tuple[int, str]]:
        rows = await self._redis.zrangebyscore(
            self._keys.replay(agent_id), f"({after_seq}", "+inf", withscores=True
        )
        return [(int(row[1]), str(row[0])) for row in rows]

    async def pop_state(self, agent_id: int, call_id: str) -> str | None:
        """From Redis (any node's pop counts); while Redis is away, from this node's own
        pops, and failing those None: the caller pops (a duplicate, not a lost pop)."""
        if not self.degraded:
            try:
                state = await self._redis.get(self._keys.popped(agent_id, call_id))
                return None if state is None else str(state)
            except (RedisError, OSError) as exc:
                self._went_down(exc)
        state = self._popped.get(agent_id, call_id)
        if state is None:
            log.warning(
                "Redis unreachable: cannot tell whether agent %d already has a pop for %s; "
                "popping it (maybe a second time)",
                agent_id,
                call_id,
            )
        return state

    # -- subscribing --------------------------------------------------------------------

    async def _listen(self) -> None:
        def down(exc: BaseException) -> None:
            self._subscribed.clear()
            self._went_down(exc)

        channels = (self._keys.channel, self._keys.control)
        await keep_subscribed(self._url, channels, self._read, up=self._recovered, down=down)

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(timeout=RETRY_SECONDS)
            if message is not None and message.get("type") == "message":
                if message.get("channel") == self._keys.control:
                    self._control_received(message["data"])
                else:
                    self._received(message["data"])
            elif self.degraded:
                # A publish failed (a timeout, say) while this subscription held: once
                # Redis answers again, catch up and go back to publishing through it.
                await self._redis.ping()
                await self._recovered()

    def _received(self, data: str) -> None:
        node, agent, seq, text = data.split(" ", 3)
        if node != self.node_id:
            self._hand_over(int(agent), int(seq), text)

    def _control_received(self, data: str) -> None:
        node, text = data.split(" ", 1)
        if node != self.node_id:
            self._controlled(json.loads(text))

    async def _recovered(self) -> None:
        """Subscribed again: catch this node's agents up on what other nodes published
        meanwhile, then go back to publishing through Redis."""
        down_since, self._down_since_ms = self._down_since_ms, None
        if down_since is not None:
            await self._catch_up(down_since - CATCH_UP_MARGIN_MS)
            log.warning("Redis reachable again: multi-node delivery resumed")
        self.degraded = False
        self._subscribed.set()

    async def _catch_up(self, since_ms: int) -> None:
        agents = set(self._local_agents() if self._local_agents else self._delivered)
        for agent_id in sorted(agents):
            after = self._delivered.get(agent_id, since_ms)
            for seq, text in await self._stored(agent_id, after):
                self._hand_over(agent_id, seq, text)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        self._deliver.clear()
        self._control.clear()
        await self._redis.aclose()


async def publish_control(
    redis: Redis, keys: Keys, message: dict[str, Any], node_id: str = "-"
) -> None:
    """Send a control message to every node's hub (``node_id``: the sender, which skips
    its own; "-" from outside any node, the CLI say)."""
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    await redis.publish(keys.control, f"{node_id} {text}")
