"""``/api/customers``: find by phone, read (audited), edit (audited), create."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from aiohttp import web

from cti_bridge.core.customers import FieldError, clean_customer_fields, normalize_phones
from cti_bridge.core.phones import normalize_caller
from cti_bridge.core.pop import customer_json, iso
from cti_bridge.core.ratelimit import SlidingWindow
from cti_bridge.settings import PhoneSettings
from cti_bridge.store.customers import CustomerWriter, DuplicateCustomer
from cti_bridge.web.auth import audited, current_agent, remote_of
from cti_bridge.web.durable import write_or_hold
from cti_bridge.web.errors import ApiError, path_id, read_json
from cti_bridge.web.keys import CLOCK, CUSTOMERS, DIRECTORY, JOURNAL, LOOKUP, SETTINGS, now

# Customer reads per agent in the last minute (this node's count).
CUSTOMER_READS = web.AppKey("customer_reads", SlidingWindow)


def count_customer_read(request: web.Request) -> None:
    """Count one read of customer data against the agent's allowance per minute, before
    the database is asked (a scraper costs it nothing past the limit): 429 with
    ``Retry-After`` beyond it. A desk makes a few reads per call, far below it."""
    agent = current_agent(request)
    web_settings = request.config_dict[SETTINGS].web
    limit = (
        web_settings.supervisor_customer_reads_per_minute
        if agent.is_supervisor
        else web_settings.customer_reads_per_minute
    )
    wait = request.config_dict[CUSTOMER_READS].take(agent.id, limit, request.config_dict[CLOCK]())
    if wait:
        raise ApiError(
            429,
            "too_many_requests",
            f"more than {limit} customer reads in a minute; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def _customer_id(request: web.Request) -> int:
    return path_id(request, "customer_id", "customer")


def _today(request: web.Request) -> date:
    """The centre's calendar date."""
    return request.config_dict[LOOKUP].today(request.config_dict[CLOCK]())


async def card_of(request: web.Request, customer_id: int) -> dict[str, Any]:
    record = await request.config_dict[DIRECTORY].get(customer_id, now(request))
    if record is None:
        raise ApiError(404, "not_found", f"no customer with id {customer_id}")
    return customer_json(record, _today(request), now(request))


async def search(request: web.Request) -> web.Response:
    phone = request.query.get("phone", "")
    if not phone.strip():
        raise ApiError(400, "bad_request", "give ?phone=NUMBER")
    count_customer_read(request)
    phone_settings = request.config_dict[SETTINGS].phone
    caller = normalize_caller(phone, phone_settings.default_region, phone_settings.match_digits)
    ids = await request.config_dict[DIRECTORY].find_ids(caller)
    matches = [await card_of(request, cid) for cid in ids]
    if ids:
        await audited(
            request, "customer_search", "customer", ",".join(map(str, ids)), {"phone": phone[:64]}
        )
    return web.json_response({"matches": matches})


async def read(request: web.Request) -> web.Response:
    customer_id = _customer_id(request)
    count_customer_read(request)
    card = await card_of(request, customer_id)
    await record_view(request, customer_id)
    return web.json_response(card)


async def record_view(request: web.Request, customer_id: int, **detail: Any) -> None:
    """Reading a customer's record (or part of it) is audited."""
    await audited(request, "customer_view", "customer", customer_id, detail or None)


def _validated(
    body: dict[str, Any], *, partial: bool, today: date, phone: PhoneSettings
) -> tuple[dict[str, Any], list[tuple[str, str, str]] | None]:
    phones = body.pop("phones", None)
    try:
        fields = clean_customer_fields(body, today=today, partial=partial)
        numbers = None
        if phones is not None:
            numbers = normalize_phones(phones, phone.default_region, phone.match_digits)
    except FieldError as exc:
        raise ApiError(422, "invalid", exc.message, field=exc.field) from exc
    return fields, numbers


async def update(request: web.Request) -> web.Response:
    customer_id = _customer_id(request)
    body = await read_json(request)
    edit = {
        "customer_id": customer_id,
        "body": dict(body),  # re-validated on replay, exactly as now
        "actor_id": current_agent(request).id,
        "at": iso(now(request)),
        "remote": remote_of(request),
    }
    phone = request.config_dict[SETTINGS].phone
    # Bad input is refused now, never journaled.
    _validated(dict(body), partial=True, today=_today(request), phone=phone)

    async def direct() -> web.Response:
        await apply_update(request.config_dict[CUSTOMERS], phone, _today(request), edit)
        return web.json_response(await card_of(request, customer_id))

    # An edit has no request id of its own: the journal entry gets one.
    return await write_or_hold(
        request.config_dict[JOURNAL], "customer_edit", uuid.uuid4().hex, edit, direct
    )


async def apply_update(
    customers: CustomerWriter, phone: PhoneSettings, today: date, edit: dict[str, Any]
) -> None:
    """One customer edit, from the API or replayed from the journal; ``today`` is the
    centre's date the edit is checked against."""
    customer_id = int(edit["customer_id"])
    fields, numbers = _validated(dict(edit["body"]), partial=True, today=today, phone=phone)
    try:
        found = await customers.update(
            customer_id,
            fields,
            numbers,
            actor_id=edit["actor_id"],
            at=datetime.fromisoformat(edit["at"]),
            remote=edit["remote"],
        )
    except DuplicateCustomer as exc:
        raise ApiError(409, "conflict", str(exc), field="external_ref") from exc
    if not found:
        raise ApiError(404, "not_found", f"no customer with id {customer_id}")


async def create(request: web.Request) -> web.Response:
    body = await read_json(request)
    phone = request.config_dict[SETTINGS].phone
    fields, numbers = _validated(body, partial=False, today=_today(request), phone=phone)
    try:
        customer_id = await request.config_dict[CUSTOMERS].create(
            fields,
            numbers or [],
            actor_id=current_agent(request).id,
            at=now(request),
            remote=remote_of(request),
        )
    except DuplicateCustomer as exc:
        raise ApiError(409, "conflict", str(exc), field="external_ref") from exc
    return web.json_response(await card_of(request, customer_id), status=201)
