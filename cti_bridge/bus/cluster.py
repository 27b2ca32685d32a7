"""Single node or cluster: which bus to use, and the AMI leases of a cluster node.

Without ``[redis] url`` everything stays in the process (``LocalBus``, every configured
Asterisk server connected here). With it, messages go through :class:`RedisBus` and each
Asterisk server's link is opened only on the node holding its :class:`Lease`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cti_bridge.bus.base import Bus
from cti_bridge.bus.keys import Keys
from cti_bridge.bus.lease import Hook, Lease
from cti_bridge.bus.local import LocalBus
from cti_bridge.bus.redis import RedisBus, redis_client
from cti_bridge.settings import Settings


def make_bus(
    settings: Settings, local_agents: Callable[[], Iterable[int]], clock: Callable[[], float]
) -> LocalBus | RedisBus:
    if not settings.redis.url:
        return LocalBus(replay_size=settings.web.replay_buffer, clock=clock)
    return RedisBus(
        settings.redis.url,
        prefix=settings.redis.prefix,
        replay_size=settings.web.replay_buffer,
        local_agents=local_agents,
    )


def bus_check(bus: Bus) -> tuple[bool, str] | None:
    """The bus's line in ``/readyz``; None for the in-process bus, which cannot fail."""
    if not isinstance(bus, RedisBus):
        return None
    if bus.degraded:
        return False, "degraded: Redis unreachable, delivering to this node's agents only"
    return True, "ok"


class AmiLeases:
    """The leases of this node, one per Asterisk server, on one Redis connection."""

    def __init__(self, settings: Settings, node_id: str) -> None:
        self._redis = redis_client(settings.redis.url)
        self._keys = Keys(settings.redis.prefix)
        self._ttl = settings.redis.lease_seconds
        self.node_id = node_id
        self.leases: dict[str, Lease] = {}

    async def compete(self, server: str, open_link: Hook, drop_link: Hook) -> None:
        lease = Lease(
            self._redis,
            self._keys.ami_lease(server),
            self.node_id,
            ttl=self._ttl,
            on_acquired=open_link,
            on_lost=drop_link,
        )
        self.leases[server] = lease
        await lease.start()

    def checks(self) -> dict[str, tuple[bool, str]]:
        """``/readyz`` lines for servers another node holds: standing by is healthy."""
        return {
            f"ami:{name}": (True, f"standby: node {lease.holder or '?'} holds the link")
            for name, lease in self.leases.items()
            if not lease.held
        }

    async def close(self) -> None:
        for lease in self.leases.values():
            await lease.close()
        await self._redis.aclose()
