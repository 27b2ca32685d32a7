"""Logins, sessions and roles.

A login sets an opaque random token in an HttpOnly, SameSite cookie; the database keeps only
its SHA-256. Every ``/api/*`` route and ``/ws`` needs a session, except the login itself and
the OpenAPI document. State-changing requests must be JSON and, when the browser says where
it comes from, same-origin: a cross-site form cannot post here.
"""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from cti_bridge.core.logins import LoginLimits, LoginThrottle, LoginThrottled
from cti_bridge.hashing import PoolBusy
from cti_bridge.passwords import hash_password, needs_rehash, verify_password
from cti_bridge.settings import WebSettings
from cti_bridge.store.accounts import AgentRef
from cti_bridge.web.errors import ApiError, error_response, read_json, require_str
from cti_bridge.web.hub import end_session_message
from cti_bridge.web.keys import ACCOUNTS, AUDIT, BUS, PASSWORDS, SETTINGS, now

COOKIE = "cti_session"
AGENT = web.RequestKey("agent", AgentRef)
PUBLIC_API = {("POST", "/api/session"), ("GET", "/api/openapi.json")}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

THROTTLE = web.AppKey("login_throttle", LoginThrottle)


def throttle_for(settings: WebSettings) -> LoginThrottle:
    return LoginThrottle(
        LoginLimits(
            per_username=settings.login_max_failures,
            per_address=settings.login_max_failures_per_address,
            window=settings.login_window_seconds,
        )
    )


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
    agent = await session_agent(request)
    if agent is None:
        raise ApiError(401, "unauthenticated", "log in first (POST /api/session)")
    if request.method in UNSAFE_METHODS:
        origin = request.headers.get("Origin")
        allowed = request.config_dict[SETTINGS].web.allowed_origins
        if origin and not same_origin(request, origin, allowed):
            raise ApiError(403, "forbidden", "cross-origin request refused")
    request[AGENT] = agent
    return await handler(request)


async def session_agent(request: web.Request) -> AgentRef | None:
    """The agent whose session cookie came with the request, if it is still open."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    return await request.config_dict[ACCOUNTS].session_agent(token, now(request))


def current_agent(request: web.Request) -> AgentRef:
    return request[AGENT]


def require_supervisor(request: web.Request) -> AgentRef:
    agent = request[AGENT]
    if not agent.is_supervisor:
        raise ApiError(403, "forbidden", "this needs the supervisor role")
    return agent


def remote_of(request: web.Request) -> str:
    return request.remote or ""


async def audited(
    request: web.Request,
    action: str,
    target_type: str,
    target_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit entry for what the logged-in agent just did, from where."""
    await request.config_dict[AUDIT].record(
        action,
        at=now(request),
        actor_id=current_agent(request).id,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        remote=remote_of(request),
    )


async def login(request: web.Request) -> web.Response:
    body = await read_json(request)
    username = require_str(body, "username", max_len=64)
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise ApiError(422, "invalid", "'password' is required", field="password")
    throttle = request.config_dict[THROTTLE]
    # Counted now, before the slow check, so simultaneous guesses are limited as well.
    try:
        attempt = throttle.reserve(username, remote_of(request), time.monotonic())
    except LoginThrottled as exc:
        message = "too many login attempts; try again later"
        return _refused(429, "too_many_requests", message, exc.retry_after)
    try:
        found = await _check_password(request, username, password)
    except PoolBusy:
        throttle.release(attempt)
        return _refused(503, "unavailable", "too many logins at once; try again shortly", 1)
    except BaseException:
        throttle.release(attempt)
        raise
    if found is None:
        throttle.failed(attempt)
        await request.config_dict[AUDIT].record(
            "login_failed",
            at=now(request),
            detail={"username": username},
            remote=remote_of(request),
        )
        raise ApiError(401, "bad_credentials", "wrong username or password")
    agent, stored = found
    throttle.succeeded(attempt)
    if needs_rehash(stored):
        await _upgrade_hash(request, agent, password)
    return await _open_session(request, agent)


async def _check_password(
    request: web.Request, username: str, password: str
) -> tuple[AgentRef, str] | None:
    """The agent and its stored hash when the password is right; raises PoolBusy when the
    password threads are full."""
    accounts = request.config_dict[ACCOUNTS]
    # A place on the password threads first: a flood past them is turned away before
    # it reaches the database.
    with request.config_dict[PASSWORDS].place() as place:
        found = await accounts.find_for_login(username)
        stored_hash = found[1] if found else None
        # argon2 is deliberately slow: verify on the password threads, not the loop.
        ok = await place.run(verify_password, stored_hash, password)
    return found if found is not None and ok else None


async def _upgrade_hash(request: web.Request, agent: AgentRef, password: str) -> None:
    """Only an upgrade of the stored hash: it waits for the next login when busy."""
    with contextlib.suppress(PoolBusy):
        new_hash = await request.config_dict[PASSWORDS].run(hash_password, password)
        await request.config_dict[ACCOUNTS].set_password_hash(agent.id, new_hash)


async def _open_session(request: web.Request, agent: AgentRef) -> web.Response:
    """A new session for ``agent``: audited, its token set as the session cookie."""
    web_settings = request.config_dict[SETTINGS].web
    lifetime = timedelta(hours=web_settings.session_hours)
    at = now(request)
    token = await request.config_dict[ACCOUNTS].open_session(agent.id, at, lifetime)
    await request.config_dict[AUDIT].record(
        "login", at=now(request), actor_id=agent.id, remote=remote_of(request)
    )
    response = web.json_response({"agent": agent.as_json()})
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=web_settings.secure_cookies,
        path="/",
    )
    return response


def _refused(status: int, code: str, message: str, retry_after: int) -> web.Response:
    response = error_response(status, code, message)
    response.headers["Retry-After"] = str(retry_after)
    return response


async def whoami(request: web.Request) -> web.Response:
    return web.json_response({"agent": current_agent(request).as_json()})


async def logout(request: web.Request) -> web.Response:
    accounts = request.config_dict[ACCOUNTS]
    session = await accounts.close_session(request.cookies.get(COOKIE, ""))
    # The session's websockets end too, on whichever node holds them.
    await request.config_dict[BUS].control(end_session_message(session))
    await request.config_dict[AUDIT].record(
        "logout", at=now(request), actor_id=current_agent(request).id, remote=remote_of(request)
    )
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response
