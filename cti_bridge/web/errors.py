"""JSON errors for the API: ``{"error": {"code", "message"}}`` with a fitting status, from
the view's own :class:`ApiError`, aiohttp's HTTP exceptions, or an unexpected exception
(logged with its traceback, answered with a 500 that reveals nothing).

And the one place client input is read: JSON (:func:`loads_client`, :func:`read_json`), ids
in paths, queries and bodies, dates and times. Each refuses what would otherwise fail deep
down (in the JSON parser, ``int()``, the database driver, ``datetime``) with a clear 4xx:
nesting that exhausts the parser's recursion, lone surrogates (JSON allows ``"\\ud800"``,
UTF-8 and the database do not), ids beyond the 64-bit columns, Unicode digits that ``\\d``
and ``isdigit()`` accept, times that overflow when converted to UTC.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, NoReturn

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

# Ids are the database's 64-bit signed integers, and start at 1.
MAX_ID = 2**63 - 1
# A desk's bodies nest two or three levels; deeper JSON is refused before anything walks it.
MAX_JSON_DEPTH = 32
# Dates and times a client may give: any real one, far from ``datetime``'s edges (year 1 and
# 9999, where a time zone or a day more overflows).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


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


def refusal(status: int, message: str, field: str | None = None) -> ApiError:
    """The API's answer to a rule that refused a change (a ticket edit, a complaint step),
    coded by its status."""
    extra: dict[str, Any] = {"field": field} if field else {}
    return ApiError(status, _CODES.get(status, "invalid"), message, **extra)


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


def loads_client(raw: bytes | str) -> Any:
    """JSON from a client, checked: 400 when it is not JSON or nests deeper than
    ``MAX_JSON_DEPTH``, 422 when a text in it holds a lone surrogate."""
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError as exc:
        raise ApiError(400, "invalid_json", "the JSON is nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, or a 5,000-digit number
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from exc
    _check_tree(value)
    return value


def _no_constant(name: str) -> NoReturn:
    raise ApiError(400, "invalid_json", f"{name} is not a JSON number")


def _check_tree(value: Any) -> None:
    """Depth and texts of a parsed document, walked without recursion."""
    stack: list[tuple[Any, int, str | None]] = [(value, 0, None)]
    while stack:
        item, depth, field = stack.pop()
        if isinstance(item, str):
            check_text(item, field)
        elif isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise ApiError(
                    400, "invalid_json", f"the JSON nests deeper than {MAX_JSON_DEPTH} levels"
                )
            if isinstance(item, list):
                stack.extend((v, depth + 1, field) for v in item)
                continue
            for key, v in item.items():
                check_text(key, field)
                stack.append((v, depth + 1, key if depth == 0 else field))


def check_text(text: str, field: str | None = None) -> str:
    """``text`` unless it holds a lone surrogate (it cannot be stored or sent as UTF-8)."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = f"{ord(text[exc.start]):04x}"
            extra: dict[str, Any] = {"field": field} if field is not None else {}
            raise ApiError(
                422, "invalid", f"text holds a lone surrogate (\\u{bad})", **extra
            ) from exc
    return text


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a clear 4xx."""
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    body = loads_client(await request.read())
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return body


def _id_text(raw: str) -> int | None:
    """A positive 64-bit id written in ASCII digits, else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def path_id(request: web.Request, name: str, what: str) -> int:
    """The id in the URL (``{name:\\d+}``); one that no row can have is simply not found."""
    raw = request.match_info[name]
    value = _id_text(raw)
    if value is None:
        raise ApiError(404, "not_found", f"no {what} with id {raw[:24]}")
    return value


def query_id(query: Mapping[str, str], key: str) -> int | None:
    """An optional id from the query string (absent or empty: None)."""
    raw = query.get(key, "")
    if not raw:
        return None
    value = _id_text(raw)
    if value is None:
        raise ApiError(422, "invalid", f"'{key}' must be an id (digits 0-9)", field=key)
    return value


def parse_day(raw: str, key: str) -> date:
    """A date like ``2026-11-23`` between ``FIRST_DAY`` and ``LAST_DAY``."""
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        message = f"'{key}' must be a date like 2026-11-23"
        raise ApiError(422, "invalid", message, field=key) from exc
    _in_range(day, key)
    return day


def parse_time(value: Any, key: str) -> datetime:
    """An ISO 8601 time with a zone, as UTC, within ``FIRST_DAY`` to ``LAST_DAY``."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(422, "invalid", f"'{key}' must be an ISO 8601 time", field=key) from exc
    if moment.tzinfo is None:
        raise ApiError(422, "invalid", f"'{key}' needs a time zone (e.g. Z)", field=key)
    _in_range(moment.date(), key)  # before converting: year 9999 + 14:00 overflows
    return moment.astimezone(UTC)


def _in_range(day: date, key: str) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ApiError(
            422, "invalid", f"'{key}' must be between {FIRST_DAY} and {LAST_DAY}", field=key
        )


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
    if not 1 <= value <= MAX_ID:
        raise ApiError(422, "invalid", f"no such id in '{key}'", field=key)
    return value
