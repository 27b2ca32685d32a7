"""Logins, sessions and roles.

A login sets an opaque random token in an HttpOnly, SameSite cookie; the database keeps only
its SHA-256. Every ``/api/*`` route and ``/ws`` needs a session, except the login itself and
the OpenAPI document. State-changing requests must be JSON and, when the browser says where
it comes from, same-origin: a cross-site form cannot post here.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from cti_bridge.passwords import hash_password, needs_rehash, verify_password
from cti_bridge.store.accounts import AgentRef
from cti_bridge.web.context import CONTEXT
from cti_bridge.web.errors import ApiError, read_json, require_str
from cti_bridge.web.hub import end_session_message

COOKIE = "cti_session"
AGENT = web.RequestKey("agent", AgentRef)
PUBLIC_API = {("POST", "/api/session"), ("GET", "/api/openapi.json")}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Failed logins allowed per username in the window before answering 429.
MAX_FAILURES = 10
FAILURE_WINDOW = 600.0


class LoginThrottle:
    """Slows down password guessing against one username."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}

    def blocked(self, username: str, now: float) -> bool:
        recent = self._failures.get(username)
        if not recent:
            return False
        while recent and recent[0] < now - FAILURE_WINDOW:
            recent.popleft()
        return len(recent) >= MAX_FAILURES

    def failed(self, username: str, now: float) -> None:
        self._failures.setdefault(username, deque(maxlen=MAX_FAILURES)).append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)


THROTTLE = web.AppKey("login_throttle", LoginThrottle)


def needs_session(request: web.Request) -> bool:
    path = request.path
    if (request.method, path) in PUBLIC_API:
        return False
    return path.startswith("/api/") or path == "/ws"


def same_origin(request: web.Request, origin: str, allowed: tuple[str, ...]) -> bool:
    if origin.rstrip("/") in allowed:
        return True
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc.lower() == request.host.lower()


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not needs_session(request):
        return await handler(request)
    ctx = request.app[CONTEXT]
    token = request.cookies.get(COOKIE, "")
    agent = await ctx.accounts.session_agent(token, ctx.now()) if token else None
    if agent is None:
        raise ApiError(401, "unauthenticated", "log in first (POST /api/session)")
    if request.method in UNSAFE_METHODS:
        origin = request.headers.get("Origin")
        if origin and not same_origin(request, origin, ctx.settings.web.allowed_origins):
            raise ApiError(403, "forbidden", "cross-origin request refused")
    request[AGENT] = agent
    return await handler(request)


def current_agent(request: web.Request) -> AgentRef:
    return request[AGENT]


def require_supervisor(request: web.Request) -> AgentRef:
    agent = request[AGENT]
    if not agent.is_supervisor:
        raise ApiError(403, "forbidden", "this needs the supervisor role")
    return agent


def remote_of(request: web.Request) -> str:
    return request.remote or ""


async def login(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    body = await read_json(request)
    username = require_str(body, "username", max_len=64)
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise ApiError(422, "invalid", "'password' is required", field="password")
    throttle = request.app[THROTTLE]
    if throttle.blocked(username, time.monotonic()):
        raise ApiError(429, "too_many_requests", "too many failed logins; try again later")
    found = await ctx.accounts.find_for_login(username)
    stored_hash = found[1] if found else None
    # argon2 is deliberately slow: verify off the event loop so pops keep flowing.
    ok = await asyncio.to_thread(verify_password, stored_hash, password)
    if found is None or not ok:
        throttle.failed(username, time.monotonic())
        await ctx.audit.record(
            "login_failed", at=ctx.now(), detail={"username": username}, remote=remote_of(request)
        )
        raise ApiError(401, "bad_credentials", "wrong username or password")
    agent, stored = found
    throttle.succeeded(username)
    if needs_rehash(stored):
        await ctx.accounts.set_password_hash(
            agent.id, await asyncio.to_thread(hash_password, password)
        )
    lifetime = timedelta(hours=ctx.settings.web.session_hours)
    token = await ctx.accounts.open_session(agent.id, ctx.now(), lifetime)
    await ctx.audit.record("login", at=ctx.now(), actor_id=agent.id, remote=remote_of(request))
    response = web.json_response({"agent": agent.as_json()})
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=ctx.settings.web.secure_cookies,
        path="/",
    )
    return response


async def whoami(request: web.Request) -> web.Response:
    return web.json_response({"agent": current_agent(request).as_json()})


async def logout(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    session = await ctx.accounts.close_session(request.cookies.get(COOKIE, ""))
    # The session's websockets end too, on whichever node holds them.
    await ctx.bus.control(end_session_message(session))
    await ctx.audit.record(
        "logout", at=ctx.now(), actor_id=current_agent(request).id, remote=remote_of(request)
    )
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response
