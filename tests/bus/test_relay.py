"""Node-to-node requests over the real Redis: answered by the node asked, its errors
raised at the asker with their kind, and a node that is not there fails fast."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from cti_bridge.bus.keys import Keys
from cti_bridge.bus.redis import redis_client
from cti_bridge.bus.relay import NodeRelay, RelayedError
from tests.servers import REDIS_URL


async def answer(op: str, args: dict[str, Any]) -> Any:
    if op == "echo":
        return {"got": args}
    if op == "refuse":
        raise RelayedError("action", "No such channel")
    raise ValueError("a bug on the node asked")


@pytest.fixture
async def pair(redis_prefix: str) -> AsyncIterator[tuple[NodeRelay, NodeRelay]]:
    keys = Keys(redis_prefix)
    first = NodeRelay(REDIS_URL, keys, "node-a", answer, timeout=2.0)
    second = NodeRelay(REDIS_URL, keys, "node-b", answer, timeout=2.0)
    await first.start()
    await second.start()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_the_node_asked_answers(pair: tuple[NodeRelay, NodeRelay]) -> None:
    first, _ = pair
    assert await first.ask("node-b", "echo", {"channel": "PJSIP/1001-1"}) == {
        "got": {"channel": "PJSIP/1001-1"}
    }


async def test_its_errors_come_back_with_their_kind(pair: tuple[NodeRelay, NodeRelay]) -> None:
    first, _ = pair
    with pytest.raises(RelayedError) as refused:
        await first.ask("node-b", "refuse", {})
    assert (refused.value.kind, refused.value.message) == ("action", "No such channel")
    with pytest.raises(RelayedError) as failed:
        await first.ask("node-b", "crash", {})
    assert (failed.value.kind, failed.value.message) == ("failed", "ValueError")


async def test_a_node_that_is_not_there_fails_the_request(
    pair: tuple[NodeRelay, NodeRelay],
) -> None:
    first, _ = pair
    with pytest.raises(ConnectionError, match="node node-gone did not answer 'echo'"):
        await first.ask("node-gone", "echo", {})


async def test_garbage_on_a_nodes_channel_is_ignored(
    pair: tuple[NodeRelay, NodeRelay], redis_prefix: str
) -> None:
    first, _ = pair
    client = redis_client(REDIS_URL)
    try:
        channel = Keys(redis_prefix).node("node-b")
        await client.publish(channel, "not json")
        await client.publish(channel, '{"op": "echo", "args": {}}')  # nobody to answer
    finally:
        await client.aclose()
    assert await first.ask("node-b", "echo", {}) == {"got": {}}
