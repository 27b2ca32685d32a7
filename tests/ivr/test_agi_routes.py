"""Every FastAGI route, driven over TCP by a client that behaves like Asterisk, on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.calllog import CallLog, CallStart
from cti_bridge.store.ivr import IvrStore
from cti_bridge.store.models import Interaction
from cti_bridge.store.tickets import NewTicket, TicketStore
from tests.ivr.asterisk import AgiCall, run_agi
from tests.ivr.conftest import LOOKUP_DEFAULTS, Ivr
from tests.store.helpers import NOW, add_customer

JANE = "+1 555 123 4567"


async def jane_with_tickets(engine: AsyncEngine) -> tuple[int, int]:
    """A grade-A VIP with an open complaint and a newer service request in progress."""
    jane = await add_customer(
        engine, "Jane Doe", JANE, grade="A", vip=True, external_ref="ACC-1001"
    )
    tickets = TicketStore(engine)
    await tickets.create(
        NewTicket(jane, "complaint", "Rude technician"), actor_id=None, now=NOW - timedelta(days=2)
    )
    repair, _ = await tickets.create(
        NewTicket(jane, "service", "Repair the router"), actor_id=None, now=NOW
    )
    await tickets.update(repair["id"], {"status": "in_progress"}, actor_id=None, now=NOW)
    return jane, repair["id"]


async def test_lookup_sets_the_design_variables_for_a_known_caller(
    ivr: Ivr, engine: AsyncEngine
) -> None:
    jane, repair = await jane_with_tickets(engine)
    due = (await TicketStore(engine).get(repair, NOW) or {})["due_at"]
    # The trunk presents the number without +1: found by the match key.
    variables = await run_agi(ivr.port, AgiCall("lookup", callerid="5551234567"))
    assert (
        variables
        == {
            "CTI_CUSTOMER_ID": str(jane),
            "CTI_CUSTOMER_NAME": "Jane Doe",
            "CTI_GRADE": "A",
            "CTI_VIP": "1",
            "CTI_PRIORITY": "18",  # VIP 10 + grade A 5 + open complaint 3
            "CTI_TICKET_STATUS": "in_progress",
            "CTI_TICKET_DUE": due[:16].replace("T", " "),
            "CTI_MATCHES": "1",
            "CTI_STATUS": "ok",
        }
    )


async def test_unknown_withheld_and_shared_numbers_get_the_defaults(
    ivr: Ivr, engine: AsyncEngine
) -> None:
    await add_customer(engine, "Tom Miller", "+1 555 777 0000", grade="B")
    await add_customer(engine, "Ann Miller", "+1 555 777 0000", grade="A", vip=True)
    defaults = LOOKUP_DEFAULTS | {"CTI_STATUS": "ok"}
    for callerid, matches in (("+15559990000", "0"), ("anonymous", "0"), ("5557770000", "2")):
        variables = await run_agi(ivr.port, AgiCall("lookup", callerid=callerid))
        assert variables == defaults | {"CTI_MATCHES": matches}, callerid


async def test_lookup_by_account_argument_and_grade_rules(ivr: Ivr, engine: AsyncEngine) -> None:
    bob = await add_customer(engine, "Bob Chen", "+1 555 222 3333", grade="B", external_ref="B-7")
    variables = await run_agi(ivr.port, AgiCall("lookup", ("B-7",), callerid="anonymous"))
    assert variables["CTI_CUSTOMER_ID"] == str(bob)
    assert (variables["CTI_PRIORITY"], variables["CTI_VIP"]) == ("2", "0")
    assert variables["CTI_TICKET_STATUS"] == ""


async def test_identify_with_the_right_pin_attaches_the_account_to_the_call(
    ivr: Ivr, engine: AsyncEngine
) -> None:
    jane, _ = await jane_with_tickets(engine)
    await IvrStore(engine).set_pin(jane, "4711", NOW)
    call = AgiCall("identify", ("ACC-1001", "4711"), callerid="anonymous", linkedid="1700.5")
    variables = await run_agi(ivr.port, call)
    assert variables["CTI_IDENTIFIED"] == "1"
    assert variables["CTI_CUSTOMER_ID"] == str(jane)
    assert variables["CTI_PRIORITY"] == "18"
    assert "GET FULL VARIABLE ${CHANNEL(linkedid)}" in call.commands
    assert ivr.service.journeys.pop_field("pbx1:1700.5") == {
        "account": "ACC-1001",
        "customer_id": jane,
        "option": "",
        "digits": "",
    }
    # Later routes of the same call know the proven account even from a withheld number.
    status = await run_agi(ivr.port, AgiCall("ticket_status", callerid="", linkedid="1700.5"))
    assert status["CTI_TICKET_STATUS"] == "in_progress"


async def test_wrong_pins_lock_the_account_and_unknown_accounts_look_the_same(
    ivr: Ivr, engine: AsyncEngine
) -> None:
    jane, _ = await jane_with_tickets(engine)
    await IvrStore(engine).set_pin(jane, "4711", NOW)

    async def attempt(account: str, pin: str) -> dict[str, str]:
        return await run_agi(ivr.port, AgiCall("identify", (account, pin)))

    for account in ("ACC-1001", "ACC-NOPE"):
        answers = [await attempt(account, "0000") for _ in range(3)]
        assert [a["CTI_LOCKED"] for a in answers] == ["0", "0", "1"], account
        assert all(a["CTI_IDENTIFIED"] == "0" for a in answers)
        # Locked: even the right PIN is refused, the same way for both.
        assert await attempt(account, "4711") == answers[-1]
    assert "CTI_CUSTOMER_ID" not in answers[-1]


async def test_simultaneous_guesses_cannot_outrun_the_lockout(
    ivr: Ivr, engine: AsyncEngine
) -> None:
    """Twenty-five callers at once, the right PIN last: every attempt is counted before its
    PIN is checked, so the three wrong ones lock the account and the rest are refused."""
    jane, _ = await jane_with_tickets(engine)
    await IvrStore(engine).set_pin(jane, "4711", NOW)
    pins = [f"{n:04d}" for n in range(24)] + ["4711"]
    calls = [
        AgiCall("identify", ("ACC-1001", pin), linkedid=f"1800.{i}") for i, pin in enumerate(pins)
    ]
    answers = await asyncio.gather(*(run_agi(ivr.port, call) for call in calls))
    assert [a["CTI_IDENTIFIED"] for a in answers] == ["0"] * 25
    assert {a["CTI_STATUS"] for a in answers} == {"ok"}
    assert answers[-1]["CTI_LOCKED"] == "1"
    # Locked: the right PIN neither gets in nor clears the lockout.
    locked = {"CTI_IDENTIFIED": "0", "CTI_LOCKED": "1", "CTI_STATUS": "ok"}
    for _ in range(2):
        assert await run_agi(ivr.port, AgiCall("identify", ("ACC-1001", "4711"))) == locked


async def test_a_right_pin_before_the_limit_resets_the_count(ivr: Ivr, engine: AsyncEngine) -> None:
    jane, _ = await jane_with_tickets(engine)
    await IvrStore(engine).set_pin(jane, "4711", NOW)
    for pin in ("1", "2", "4711", "3", "4"):
        variables = await run_agi(ivr.port, AgiCall("identify", ("ACC-1001", pin)))
    assert variables["CTI_LOCKED"] == "0"
    bad = await run_agi(ivr.port, AgiCall("identify", ("", "4711")))
    assert bad == {"CTI_IDENTIFIED": "0", "CTI_LOCKED": "0", "CTI_STATUS": "invalid"}


async def test_ticket_status_by_caller(ivr: Ivr, engine: AsyncEngine) -> None:
    _, repair = await jane_with_tickets(engine)
    variables = await run_agi(ivr.port, AgiCall("ticket_status", callerid="+15551234567"))
    assert variables["CTI_TICKET_ID"] == str(repair)
    assert variables["CTI_TICKET_KIND"] == "service"
    assert variables["CTI_TICKET_STATUS"] == "in_progress"
    assert variables["CTI_TICKET_DUE"]
    nobody = await run_agi(ivr.port, AgiCall("ticket_status", callerid="+15550001111"))
    assert nobody["CTI_TICKET_STATUS"] == nobody["CTI_TICKET_ID"] == ""


async def test_callback_opens_one_service_ticket_per_call(ivr: Ivr, engine: AsyncEngine) -> None:
    jane, _ = await jane_with_tickets(engine)
    call = AgiCall("callback", ("+15559998888",), callerid="5551234567", linkedid="1700.9")
    first = await run_agi(ivr.port, call)
    again = await run_agi(ivr.port, AgiCall("callback", callerid="5551234567", linkedid="1700.9"))
    assert first["CTI_CALLBACK"] == again["CTI_CALLBACK"] == "1"
    assert first["CTI_TICKET_ID"] == again["CTI_TICKET_ID"]
    ticket = await TicketStore(engine).get(int(first["CTI_TICKET_ID"]), NOW)
    assert ticket is not None
    assert (ticket["customer_id"], ticket["kind"], ticket["priority"]) == (jane, "service", "high")
    assert ticket["call_id"] == "pbx1:1700.9"
    assert "+15559998888" in ticket["description"]
    assert ticket["due_at"] is not None  # on the service-level clock, so on the board
    stranger = await run_agi(ivr.port, AgiCall("callback", callerid="+15550001111"))
    assert stranger == {"CTI_CALLBACK": "0", "CTI_TICKET_ID": "", "CTI_STATUS": "unknown_caller"}


async def test_survey_is_stored_on_the_calls_interaction(ivr: Ivr, engine: AsyncEngine) -> None:
    jane, _ = await jane_with_tickets(engine)
    start = CallStart("pbx1:1700.20", "inbound", "+15551234567", "", "", "support", jane, NOW)
    await CallLog(engine).start(start)
    # The caller's channel after the queue is not the call's first: linkedid differs.
    call = AgiCall("survey", ("4",), uniqueid="1700.31", linkedid="1700.20")
    assert await run_agi(ivr.port, call) == {"CTI_SURVEY_SAVED": "1", "CTI_STATUS": "ok"}
    explicit = AgiCall("survey", ("5", "1700.20"), uniqueid="1700.31", linkedid="other")
    assert (await run_agi(ivr.port, explicit))["CTI_SURVEY_SAVED"] == "1"
    async with engine.connect() as conn:
        score = await conn.scalar(
            select(Interaction.satisfaction).where(Interaction.call_id == "pbx1:1700.20")
        )
    assert score == 5
    for args, status in ((("9",), "invalid"), (("",), "invalid"), (("3", "404.1"), "unknown_call")):
        answer = await run_agi(ivr.port, AgiCall("survey", args))
        assert answer == {"CTI_SURVEY_SAVED": "0", "CTI_STATUS": status}, args


async def test_menu_choices_are_remembered_for_the_pop(ivr: Ivr) -> None:
    await run_agi(ivr.port, AgiCall("choice", ("billing", "2"), linkedid="1700.40"))
    await run_agi(ivr.port, AgiCall("choice", ("invoice", "20261122"), linkedid="1700.40"))
    assert ivr.service.journeys.pop_field("pbx1:1700.40") == {
        "account": "",
        "customer_id": None,
        "option": "invoice",
        "digits": "20261122",
    }
    bad = await run_agi(ivr.port, AgiCall("choice", ("bad option!", "12"), linkedid="1700.41"))
    assert bad == {"CTI_STATUS": "invalid"}
    assert ivr.service.journeys.pop_field("pbx1:1700.41") is None
