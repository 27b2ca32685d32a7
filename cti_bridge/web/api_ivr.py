"""The IVR over HTTP (``/ivr/v1/*``), for dialplans that prefer ``CURL()`` to FastAGI.

The same use cases and the same ``CTI_*`` variables as the FastAGI routes, as JSON
(``{"variables": {...}}``), with ``format=vars`` as ``KEY=VALUE`` lines, or with
``format=hash`` as ``KEY=VALUE&...`` which ``CURLOPT(hashcompat)=yes`` turns into
``HASH()`` entries for the dialplan. Requests carry a
bearer token from ``[ivr] tokens`` (``Set(CURLOPT(httpheader)=Authorization: Bearer ...)``);
without a valid one the answer is 401 and nothing is looked up.

Lookups are ``GET``; the routes that change something (``identify`` counts wrong PINs) are
``POST`` with a form body (what ``CURL(url,data)`` sends) or JSON, so a PIN never sits in
an access log's query string.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlencode

from aiohttp import web

from cti_bridge.core.ivr import as_vars_text
from cti_bridge.ivr.service import Caller, IvrService, Variables
from cti_bridge.web.errors import ApiError, check_text, loads_client
from cti_bridge.web.keys import IVR, SETTINGS

MAX_FIELD = 128


def _service(request: web.Request) -> IvrService:
    tokens = [t.reveal() for t in request.config_dict[SETTINGS].ivr.tokens if t]
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    # compare_digest against every token: the time taken does not tell which one is close.
    valid = [hmac.compare_digest(given.strip().encode(), t.encode()) for t in tokens]
    if scheme.lower() != "bearer" or not any(valid):
        raise ApiError(401, "unauthenticated", "a valid bearer token from [ivr] tokens is needed")
    return request.config_dict[IVR]


async def _fields(request: web.Request) -> Mapping[str, str]:
    """Query parameters, plus the body of a POST (form or JSON object of texts)."""
    fields = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = loads_client(await request.read())
            if not isinstance(body, dict):
                raise ApiError(400, "invalid_json", "the body must be a JSON object")
            fields.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
        else:
            fields.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    for key, value in fields.items():
        check_text(value, key)
        if len(value) > MAX_FIELD:
            raise ApiError(422, "invalid", f"'{key}' is longer than {MAX_FIELD}", field=key)
    return fields


def _caller(fields: Mapping[str, str]) -> Caller:
    return Caller(fields.get("caller", ""), fields.get("call_id", ""), fields.get("account", ""))


def _answer(fields: Mapping[str, str], variables: Variables) -> web.Response:
    if fields.get("format") == "vars":
        return web.Response(text=as_vars_text(variables), content_type="text/plain")
    if fields.get("format") == "hash":
        # CURLOPT(hashcompat)=yes reads key1=value1&key2=value2 into HASH().
        return web.Response(text=urlencode(variables), content_type="text/plain")
    return web.json_response({"variables": variables})


Step = Callable[[IvrService, Caller, Mapping[str, str]], Awaitable[Variables]]


async def _lookup(service: IvrService, who: Caller, _: Mapping[str, str]) -> Variables:
    return await service.lookup(who)


async def _ticket_status(service: IvrService, who: Caller, _: Mapping[str, str]) -> Variables:
    return await service.ticket_status(who)


async def _identify(service: IvrService, who: Caller, fields: Mapping[str, str]) -> Variables:
    return await service.identify(who, fields.get("pin", ""))


async def _callback(service: IvrService, who: Caller, fields: Mapping[str, str]) -> Variables:
    return await service.callback(who, fields.get("number", ""))


async def _survey(service: IvrService, who: Caller, fields: Mapping[str, str]) -> Variables:
    return await service.survey(who, fields.get("score", ""))


async def _choice(service: IvrService, who: Caller, fields: Mapping[str, str]) -> Variables:
    return service.choice(who, fields.get("option", ""), fields.get("digits", ""))


def _view(step: Step) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A view: token first (nothing is read without one), then the fields, the step."""

    async def view(request: web.Request) -> web.Response:
        service = _service(request)
        fields = await _fields(request)
        return _answer(fields, await step(service, _caller(fields), fields))

    return view


PREFIX = "/ivr/v1"


def ivr_app() -> web.Application:
    """The IVR's routes as a sub-application under :data:`PREFIX`: bearer token, no session
    (the root application's middlewares still answer its errors)."""
    app = web.Application()
    app.add_routes(
        [
            web.get("/lookup", _view(_lookup)),
            web.get("/ticket_status", _view(_ticket_status)),
            web.post("/identify", _view(_identify)),
            web.post("/callback", _view(_callback)),
            web.post("/survey", _view(_survey)),
            web.post("/choice", _view(_choice)),
        ]
    )
    return app
