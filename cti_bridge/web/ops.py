"""Operations endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

import hmac

from aiohttp import web

from cti_bridge.web.errors import ApiError
from cti_bridge.web.keys import BUS, HUB, JOURNAL, METRICS, READINESS, SETTINGS
from cti_bridge.web.openapi import openapi_document


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """``ready`` (200); ``degraded`` (200) when every failing check still serves in a lesser
    way (its detail starts with ``degraded``: Redis away so only this node's agents get
    pops, database away so writes are journaled); otherwise ``not_ready`` (503)."""
    checks = await request.config_dict[READINESS]()
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
    token = request.config_dict[SETTINGS].web.metrics_token.reveal()
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        valid = hmac.compare_digest(given.strip().encode(), token.encode())
        if scheme.lower() != "bearer" or not valid:
            raise ApiError(401, "unauthenticated", "/metrics needs the bearer token")
    gauges = request.config_dict[METRICS]
    gauges.websockets.set(request.config_dict[HUB].socket_count)
    gauges.update_rates()
    gauges.redis_degraded.set(1 if getattr(request.config_dict[BUS], "degraded", False) else 0)
    gauges.journal_pending.set(request.config_dict[JOURNAL].pending)
    return web.Response(body=gauges.render(), headers={"Content-Type": "text/plain; version=0.0.4"})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())
