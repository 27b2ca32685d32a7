"""Operations endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

from aiohttp import web

from cti_bridge.web.context import CONTEXT
from cti_bridge.web.openapi import openapi_document


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    checks = await ctx.readiness()
    ready = all(ok for ok, _detail in checks.values())
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()},
    }
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    ctx.metrics.websockets.set(ctx.hub.socket_count)
    return web.Response(
        body=ctx.metrics.render(), headers={"Content-Type": "text/plain; version=0.0.4"}
    )


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())
