"""The IVR inside the daemon: ``/ivr/v1/*`` over HTTP with bearer tokens, the FastAGI
listener started and stopped with it, and what the caller did reaching the agent's pop."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.app import Daemon
from cti_bridge.ivr.service import Caller
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import DatabaseSettings, Secret, Settings, WebSettings
from cti_bridge.store.calllog import CallLog, CallStart
from cti_bridge.store.ivr import IvrStore
from tests.clients import Running, add_team, receive, started
from tests.ivr.asterisk import AgiCall, run_agi
from tests.ivr.conftest import IVR_SETTINGS
from tests.patience import PATIENCE
from tests.stack import pbx_settings
from tests.store.helpers import NOW, add_customer

TOKEN = "ivr-token-1"
# Budgets far above any machine's noise: these tests are not about the budget.
IVR = dataclasses.replace(IVR_SETTINGS, tokens=(Secret("other-token"), Secret(TOKEN)))
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def running(db_url: str) -> AsyncIterator[Running]:
    settings = Settings(web=WebSettings(port=0), database=DatabaseSettings(url=db_url), ivr=IVR)
    async with started(settings) as running:
        yield running


def engine_of(running: Running) -> AsyncEngine:
    assert running.daemon.engine is not None
    return running.daemon.engine


async def test_lookup_over_http_as_json_and_as_curl_vars(running: Running) -> None:
    jane = await add_customer(engine_of(running), "Jane Doe", "+1 555 123 4567", vip=True)
    async with running.client() as http:
        response = await http.get("/ivr/v1/lookup", params={"caller": "5551234567"}, headers=AUTH)
        assert response.status == 200
        variables = (await response.json())["variables"]
        assert (variables["CTI_CUSTOMER_ID"], variables["CTI_VIP"]) == (str(jane), "1")
        assert variables["CTI_PRIORITY"] == "10"  # VIP 10, grade C 0
        response = await http.get(
            "/ivr/v1/lookup", params={"caller": "anonymous", "format": "vars"}, headers=AUTH
        )
        assert response.content_type == "text/plain"
        lines = (await response.text()).splitlines()
        assert lines[:5] == [
            "CTI_CUSTOMER_ID=",
            "CTI_CUSTOMER_NAME=",
            "CTI_GRADE=",
            "CTI_VIP=0",
            "CTI_PRIORITY=0",
        ]
        response = await http.get(
            "/ivr/v1/lookup", params={"caller": "+15551234567", "format": "hash"}, headers=AUTH
        )
        hashed = parse_qs(await response.text(), keep_blank_values=True)
        assert (hashed["CTI_CUSTOMER_NAME"], hashed["CTI_GRADE"]) == (["Jane Doe"], ["C"])


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Bearer "}],
)
async def test_a_missing_or_wrong_token_gets_401(running: Running, headers: dict[str, str]) -> None:
    await add_customer(engine_of(running), "Jane Doe", "+1 555 123 4567")
    async with running.client() as http:
        for method, path in (("GET", "/ivr/v1/lookup"), ("POST", "/ivr/v1/identify")):
            response = await http.request(
                method, path, params={"caller": "+15551234567"}, headers=headers
            )
            assert response.status == 401
            body = await response.json()
            assert body["error"]["code"] == "unauthenticated"
            assert "Jane" not in await response.text()
        spec = await (await http.get("/api/openapi.json")).json()
        assert spec["paths"]["/ivr/v1/lookup"]["get"]["security"] == [{"ivr_token": []}]


async def test_identify_callback_survey_and_choice_over_http(running: Running) -> None:
    engine = engine_of(running)
    jane = await add_customer(engine, "Jane", "+1 555 123 4567", external_ref="ACC-9")
    await IvrStore(engine).set_pin(jane, "2468", NOW)
    await CallLog(engine).start(CallStart("pbx1:77.1", "inbound", "", "", "", "q", jane, NOW))
    async with running.client() as http:

        async def post(path: str, data: dict[str, str]) -> dict[str, str]:
            response = await http.post(path, data=data, headers=AUTH)  # a form, like CURL()
            assert response.status == 200, await response.text()
            return (await response.json())["variables"]  # type: ignore[no-any-return]

        wrong = await post("/ivr/v1/identify", {"account": "ACC-9", "pin": "1111"})
        assert (wrong["CTI_IDENTIFIED"], wrong["CTI_LOCKED"]) == ("0", "0")
        right = await post(
            "/ivr/v1/identify", {"account": "ACC-9", "pin": "2468", "call_id": "pbx1:77.1"}
        )
        assert (right["CTI_IDENTIFIED"], right["CTI_CUSTOMER_ID"]) == ("1", str(jane))
        await post("/ivr/v1/choice", {"call_id": "pbx1:77.1", "option": "repair", "digits": "3"})
        callback = await post("/ivr/v1/callback", {"call_id": "pbx1:77.1"})
        assert callback["CTI_CALLBACK"] == "1"
        response = await http.post(
            "/ivr/v1/survey", json={"call_id": "pbx1:77.1", "score": "5"}, headers=AUTH
        )
        assert (await response.json())["variables"]["CTI_SURVEY_SAVED"] == "1"
        status = await http.get(
            "/ivr/v1/ticket_status", params={"call_id": "pbx1:77.1"}, headers=AUTH
        )
        assert (await status.json())["variables"]["CTI_TICKET_ID"] == callback["CTI_TICKET_ID"]
    journeys = running.daemon.ivr.journeys
    assert journeys.pop_field("pbx1:77.1") == {
        "account": "ACC-9",
        "customer_id": jane,
        "option": "ticket_status",
        "digits": "3",
    }


async def test_simultaneous_guesses_over_http_cannot_outrun_the_lockout(running: Running) -> None:
    engine = engine_of(running)
    jane = await add_customer(engine, "Jane", "+1 555 123 4567", external_ref="ACC-7")
    await IvrStore(engine).set_pin(jane, "2468", NOW)
    async with running.client() as http:

        async def identify(pin: str) -> dict[str, str]:
            form = {"account": "ACC-7", "pin": pin}
            response = await http.post("/ivr/v1/identify", data=form, headers=AUTH)
            assert response.status == 200, await response.text()
            return (await response.json())["variables"]  # type: ignore[no-any-return]

        pins = [f"{n:04d}" for n in range(24)] + ["2468"]  # the right one last
        answers = await asyncio.gather(*(identify(pin) for pin in pins))
        assert [a["CTI_IDENTIFIED"] for a in answers] == ["0"] * 25
        assert answers[-1]["CTI_LOCKED"] == "1"
        # Locked: the right PIN neither gets in nor clears the lockout.
        for _ in range(2):
            assert await identify("2468") == {
                "CTI_IDENTIFIED": "0",
                "CTI_LOCKED": "1",
                "CTI_STATUS": "ok",
            }


async def test_the_daemon_runs_the_fastagi_listener(running: Running) -> None:
    port = running.daemon.ivr.agi_port
    assert port is not None
    variables = await run_agi(port, AgiCall("lookup", callerid="+15550001111"))
    assert variables["CTI_STATUS"] == "ok"
    await running.daemon.ivr.stop()
    with pytest.raises(ConnectionRefusedError):  # closed with the daemon's IVR
        await run_agi(port, AgiCall("lookup"))


async def test_the_pop_carries_what_the_caller_did_in_the_ivr(
    db_url: str, sim: PbxSimulator
) -> None:
    daemon = Daemon(pbx_settings(db_url, sim.port).replace(ivr=IVR))
    await daemon.start()
    try:
        stack = Running(daemon, f"http://127.0.0.1:{daemon.web_port}", await add_team(daemon))
        assert await daemon.links["pbx1"].wait_connected(PATIENCE)
        assert daemon.web_parts.ivr is not None
        assert daemon.engine is not None
        await add_customer(daemon.engine, "Jane Doe", "+1 555 123 4567")
        async with stack.ws("ann") as ann:
            call = sim.place_call(
                "direct_answered", caller_number="+15551234567", agents=["PJSIP/1001"]
            )
            # The dialplan's choice reaches the bridge before the call rings an agent.
            daemon.web_parts.ivr.choice(Caller("", f"pbx1:{call.linkedid}"), "billing", "21")
            pop = await receive(ann)
            assert pop["ivr"] == {
                "account": "",
                "customer_id": None,
                "option": "billing",
                "digits": "21",
            }
            await call.wait()
            # The caller asks for a callback on the next call: that pop shows the ticket.
            asked = await daemon.web_parts.ivr.callback(Caller("+15551234567"))
            assert (asked["CTI_CALLBACK"], asked["CTI_STATUS"]) == ("1", "ok")
            sim.place_call("direct_answered", caller_number="+15551234567", agents=["PJSIP/1001"])
            while (message := await receive(ann))["type"] != "screen_pop":
                pass
            assert message["ivr"] is None
            subjects = [t["subject"] for t in message["customer"]["open_tickets"]]
            assert subjects == ["Callback requested in the IVR"]
    finally:
        await daemon.stop()


async def test_http_ivr_needs_configured_tokens(db_url: str) -> None:
    settings = Settings(
        web=WebSettings(port=0),
        database=DatabaseSettings(url=db_url),
        ivr=dataclasses.replace(IVR, tokens=()),
    )
    daemon = Daemon(settings)
    await daemon.start()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{daemon.web_port}") as http:
            response = await http.get("/ivr/v1/lookup", headers={"Authorization": "Bearer "})
            assert response.status == 401
    finally:
        await daemon.stop()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 200_000, 400),  # the JSON parser's recursion runs out
        (b'{"call_id": "c-1", "score": 1e999999}', 200),  # a number: sent on as text
        (b'{"call_id": "c-1", "score": NaN}', 400),
        (b'{"call_id": "\\ud800", "score": "3"}', 422),  # no text for the database
    ],
)
async def test_hostile_json_bodies_get_a_clear_error(
    running: Running, body: bytes, status: int
) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    async with running.client() as http:
        response = await http.post("/ivr/v1/survey", data=body, headers=headers)
        assert response.status == status, await response.text()
        if status != 200:
            assert (await response.json())["error"]["code"] in ("invalid_json", "invalid")
