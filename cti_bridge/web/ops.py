"""Operations endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

import hmac

from aiohttp import web

from cti_bridge.web.context import CONTEXT
from cti_bridge.web.errors import ApiError
from cti_bridge.web.openapi import openapi_document


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """``ready`` (200); ``degraded`` (200) when every failing check still serves in a lesser
    way (its detail starts with ``degraded``: Redis away so only this node's agents get
    pops, database away so writes are journaled); otherwise ``not_ready`` (503)."""
    ctx = request.app[CONTEXT]
    checks = await ctx.readiness()
    failing = [detail for ok, detail in checks.values() if not ok]
    if not failing:
        status, code = "ready", 200
    elif all(detail.startswith("degraded") for detail in failing):
        status, code = "degraded", 200
    else:
        status, code = "not_ready", 503
    body = {
        "status": status,
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()},
    }
    return web.json_response(body, status=code)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text; behind ``[web] metrics_token`` when one is set."""
    ctx = request.app[CONTEXT]
    token = ctx.settings.web.metrics_token.reveal()
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        valid = hmac.compare_digest(given.strip().encode(), token.encode())
        if scheme.lower() != "bearer" or not valid:
            raise ApiError(401, "unauthenticated", "/metrics needs the bearer token")
    ctx.metrics.websockets.set(ctx.hub.socket_count)
    ctx.metrics.update_rates()
    ctx.metrics.redis_degraded.set(1 if getattr(ctx.bus, "degraded", False) else 0)
    ctx.metrics.journal_pending.set(ctx.journal.pending if ctx.journal is not None else 0)
    return web.Response(
        body=ctx.metrics.render(), headers={"Content-Type": "text/plain; version=0.0.4"}
    )


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())
