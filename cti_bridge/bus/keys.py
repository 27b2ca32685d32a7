"""Every Redis key and channel name CTI Bridge uses, in one place.

All names start with a prefix (``[redis] prefix``, default ``cti``) so several
installations, or the tests, can share one Redis without seeing each other's keys.

| name | type | holds |
|---|---|---|
| ``{p}:agent:{id}:seq`` | string | the agent's last message seq |
| ``{p}:agent:{id}:replay`` | sorted set | recent messages (score = seq), for ``resume`` |
| ``{p}:bus`` | pub/sub channel | every message, as ``"{node} {agent} {seq} {json}"`` |
| ``{p}:control`` | pub/sub channel | control messages for every hub, as ``"{node} {json}"`` |
| ``{p}:lease:ami:{server}`` | string, expiring | the node holding that server's AMI link |
| ``{p}:node:{id}`` | pub/sub channel | requests to that node, answers to its own (relay.py) |
| ``{p}:popped:{agent}:{call}`` | string, expiring | the agent's last state on that call |
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "cti"
# Replay buffers and seq counters of agents who get no messages expire after a day.
AGENT_KEYS_TTL_SECONDS = 86_400
# "This agent was popped for this call, and was last told <state>": kept while a call can
# plausibly last, so a node taking an Asterisk server over does not pop it again.
POPPED_TTL_SECONDS = 4 * 3600


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = DEFAULT_PREFIX

    def seq(self, agent_id: int) -> str:
        return f"{self.prefix}:agent:{agent_id}:seq"

    def replay(self, agent_id: int) -> str:
        return f"{self.prefix}:agent:{agent_id}:replay"

    @property
    def channel(self) -> str:
        return f"{self.prefix}:bus"

    @property
    def control(self) -> str:
        return f"{self.prefix}:control"

    def popped(self, agent_id: int, call_id: str) -> str:
        return f"{self.prefix}:popped:{agent_id}:{call_id}"

    def ami_lease(self, server: str) -> str:
        return f"{self.prefix}:lease:ami:{server}"

    def node(self, node_id: str) -> str:
        return f"{self.prefix}:node:{node_id}"
