"""Requests from one node to another over Redis pub/sub, answered once.

Each node listens on its own channel (``{p}:node:{id}``). A request names the node that
asked and an id; the answer comes back on the asker's channel with that id. A node that
does not answer within the timeout (gone, or it let go of what it was asked about) fails
the request with :class:`ConnectionError`: the caller reports "not reachable" rather than
waiting on. Requests and answers are small JSON objects; nothing is kept in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from cti_bridge.bus.keys import Keys
from cti_bridge.bus.redis import RETRY_SECONDS, keep_subscribed, redis_client

log = logging.getLogger(__name__)

# (operation, arguments) -> JSON-able result; raises RelayedError to answer with an error.
Handler = Callable[[str, dict[str, Any]], Awaitable[Any]]
ASK_TIMEOUT = 5.0


class RelayedError(Exception):
    """An error the asked node answered with: ``kind`` says which (the asker raises the
    matching exception), ``message`` what happened there."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class NodeRelay:
    def __init__(
        self, url: str, keys: Keys, node_id: str, handler: Handler, timeout: float = ASK_TIMEOUT
    ) -> None:
        self._url = url
        self._keys = keys
        self.node_id = node_id
        self._handler = handler
        self._timeout = timeout
        self._redis = redis_client(url)
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._serving: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="node-relay")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._timeout):
                await self._subscribed.wait()

    async def ask(self, node: str, op: str, args: dict[str, Any]) -> Any:
        """``op`` carried out by ``node``; its result, or its error raised here."""
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        request = {"id": request_id, "from": self.node_id, "op": op, "args": args}
        try:
            await self._redis.publish(self._keys.node(node), json.dumps(request))
            async with asyncio.timeout(self._timeout):
                return await future
        except TimeoutError:
            raise ConnectionError(f"node {node} did not answer {op!r}") from None
        except (RedisError, OSError) as exc:
            raise ConnectionError(f"Redis unreachable: {exc}") from exc
        finally:
            self._waiting.pop(request_id, None)

    async def close(self) -> None:
        tasks = [t for t in (self._listener, *self._serving) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._redis.aclose()

    # -- listening ----------------------------------------------------------------------

    async def _listen(self) -> None:
        async def up() -> None:
            self._subscribed.set()

        def down(exc: BaseException) -> None:
            self._subscribed.clear()
            log.warning("node relay: Redis unreachable (%s); retrying", exc)

        channels = (self._keys.node(self.node_id),)
        await keep_subscribed(self._url, channels, self._read, up=up, down=down)

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(timeout=RETRY_SECONDS)
            if message is None or message.get("type") != "message":
                continue
            try:
                body = json.loads(message["data"])
            except ValueError:
                log.warning("node relay: not JSON, ignored: %.200r", message["data"])
                continue
            if "op" in body:
                task = asyncio.create_task(self._serve(body), name=f"relay-{body.get('op')}")
                self._serving.add(task)
                task.add_done_callback(self._serving.discard)
            else:
                self._answered(body)

    def _answered(self, body: dict[str, Any]) -> None:
        future = self._waiting.get(body.get("id", -1))
        if future is None or future.done():
            return  # asked too long ago: the asker gave up
        if "error" in body:
            future.set_exception(RelayedError(str(body["error"]), str(body.get("message", ""))))
        else:
            future.set_result(body.get("result"))

    async def _serve(self, request: dict[str, Any]) -> None:
        if not isinstance(request.get("from"), str):
            return  # nobody to answer
        answer: dict[str, Any] = {"id": request.get("id")}
        try:
            answer["result"] = await self._handler(str(request["op"]), request.get("args") or {})
        except RelayedError as exc:
            answer |= {"error": exc.kind, "message": exc.message}
        except Exception as exc:
            log.exception("node relay: %s from %s failed", request.get("op"), request.get("from"))
            answer |= {"error": "failed", "message": type(exc).__name__}
        with contextlib.suppress(RedisError, OSError):
            await self._redis.publish(self._keys.node(request["from"]), json.dumps(answer))
