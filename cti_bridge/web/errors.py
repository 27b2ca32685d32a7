"""JSON errors for the API: ``{"error": {"code", "message"}}`` with a fitting status, from
the view's own :class:`ApiError`, aiohttp's HTTP exceptions, or an unexpected exception
(logged with its traceback, answered with a 500 that reveals nothing)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})  # e.g. Retry-After on a 429
        self.extra = extra


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    return web.json_response({"error": body}, status=status, headers=headers)


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith(("/api/", "/ivr/")) or "json" in request.headers.get(
        "Accept", ""
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.headers, **exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400 or not _wants_json(request):
            raise
        message = exc.reason if exc.status != 413 else "request body is too large"
        return error_response(exc.status, _CODES.get(exc.status, "error"), message)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "internal error; it has been logged")


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a clear 4xx."""
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    raw = await request.read()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return body


def require_str(body: dict[str, Any], key: str, *, max_len: int = 200) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "invalid", f"'{key}' is required (text)", field=key)
    if len(value) > max_len:
        raise ApiError(422, "invalid", f"'{key}' is longer than {max_len}", field=key)
    return value.strip()


def optional_str(body: dict[str, Any], key: str, *, max_len: int = 10_000) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(422, "invalid", f"'{key}' must be text", field=key)
    if len(value) > max_len:
        raise ApiError(422, "invalid", f"'{key}' is longer than {max_len}", field=key)
    return value.strip()


def optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(422, "invalid", f"'{key}' must be an integer id", field=key)
    return value
