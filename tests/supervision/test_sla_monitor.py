"""The SLA monitor on a real daemon and database (SQLite and PostgreSQL) with a clock the
test moves: one alert per transition, at the moment it happens, to the right people,
and across restarts neither repeated nor missed.

Default policy, around the clock: a normal complaint has a 4 h first-response target, so
it is due soon after 3 h 12 min (80 %), overdue at 4 h (level 1) and escalated one hour
later (level 2)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from cti_bridge.store.models import SlaAlert, Ticket
from cti_bridge.store.service_levels import SlaStore
from cti_bridge.store.tickets import NewTicket
from tests.clients import Running
from tests.store.helpers import add_customer
from tests.supervision.helpers import FakeClock, next_alert, no_alert, running, settle

MIN = 60.0


async def open_complaint(run: Running, customer: int, **extra: Any) -> dict[str, Any]:
    async with await run.login("ann") as ann:
        response = await ann.post(
            "/api/tickets",
            json={"customer_id": customer, "kind": "complaint", "subject": "Cold soup", **extra},
        )
        assert response.status == 201, await response.text()
        ticket: dict[str, Any] = await response.json()
        return ticket


async def alert_rows(run: Running) -> list[tuple[int, str, str, int, bool]]:
    async with run.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        rows = await conn.execute(
            select(
                SlaAlert.ticket_id,
                SlaAlert.kind,
                SlaAlert.target,
                SlaAlert.level,
                SlaAlert.delivered_at.is_not(None),
            ).order_by(SlaAlert.id)
        )
        return [tuple(r) for r in rows]


async def test_one_alert_per_transition_across_restarts(db_url: str) -> None:
    clock = FakeClock()
    async with running(db_url, clock) as run:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        ticket = await open_complaint(run, jane)
        assert ticket["response_due_at"] == "2026-11-23T13:00:00.000Z"
        assert ticket["due_at"] == "2026-11-24T09:00:00.000Z"
        async with run.ws("sue") as sue, run.ws("ann") as ann, run.ws("bob") as bob:
            clock.advance(3 * 60 * MIN + 11 * MIN)
            assert await settle(run) == 0
            clock.advance(1 * MIN)
            run.daemon.supervision.monitor.poke()
            soon = await next_alert(sue)
            assert (soon["kind"], soon["target"], soon["level"]) == (
                "ticket_due_soon",
                "response",
                0,
            )
            assert soon["ticket"]["id"] == ticket["id"]
            assert soon["at"] == "2026-11-23T12:12:00.000Z"
            assert (await next_alert(ann))["alert_id"] == soon["alert_id"]
            assert await settle(run) == 0  # the same standing is not announced again
            await no_alert(sue)
            await no_alert(bob)  # neither assignee nor supervisor
            last_seq = soon["seq"]
    # Down while the ticket goes overdue; the next run announces it once.
    clock.advance(50 * MIN)
    async with running(db_url, clock) as run, run.ws("sue") as sue:
        await sue.send(json.dumps({"type": "resume", "last_seq": last_seq}))
        overdue = await next_alert(sue)
        assert (overdue["kind"], overdue["level"]) == ("ticket_overdue", 1)
        assert overdue["at"] == "2026-11-23T13:02:00.000Z"
        await no_alert(sue)
        async with run.ws("ada") as ada:
            clock.advance(58 * MIN)  # 5 h after opening: one hour past due
            run.daemon.supervision.monitor.poke()
            escalated = await next_alert(ada)
            assert (escalated["kind"], escalated["level"]) == ("ticket_overdue", 2)
            assert (await next_alert(sue))["alert_id"] == escalated["alert_id"]
    # A restart with nothing new to say says nothing.
    async with running(db_url, clock) as run, run.ws("sue") as sue:
        assert await settle(run) == 0
        await no_alert(sue)
        rows = await alert_rows(run)
    assert rows == [
        (ticket["id"], "ticket_due_soon", "response", 0, True),
        (ticket["id"], "ticket_overdue", "response", 1, True),
        (ticket["id"], "ticket_overdue", "response", 2, True),
    ]


async def test_an_alert_recorded_but_not_delivered_goes_out_at_the_next_start(
    db_url: str,
) -> None:
    clock = FakeClock()
    async with running(db_url, clock) as run:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        ticket = await open_complaint(run, jane)
        await run.daemon.supervision.monitor.stop()
        # What a crash between the commit and the delivery leaves behind.
        clock.advance(4 * 60 * MIN)
        store = SlaStore(run.daemon.engine, run.daemon.settings.sla.policy)  # type: ignore[arg-type]
        recorded = await store.settle(ticket["id"], run.daemon.web_parts.now())
        assert recorded is not None and recorded.kind == "ticket_overdue"
    async with running(db_url, clock) as run, run.ws("sue") as sue:
        await sue.send(json.dumps({"type": "resume", "last_seq": 1}))
        alert = await next_alert(sue)
        assert alert["alert_id"] == recorded.alert_id
        await no_alert(sue)
        assert [r[1:] for r in await alert_rows(run)] == [("ticket_overdue", "response", 1, True)]


async def test_waiting_on_the_customer_stops_the_clock(db_url: str) -> None:
    clock = FakeClock()
    async with running(db_url, clock) as run, run.ws("sue") as sue:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        ticket = await open_complaint(run, jane)
        clock.advance(60 * MIN)
        async with await run.login("ann") as ann:
            # Working on it: the first response; then waiting on the customer for a week.
            await ann.patch(f"/api/tickets/{ticket['id']}", json={"status": "in_progress"})
            paused = await (
                await ann.patch(f"/api/tickets/{ticket['id']}", json={"status": "waiting_customer"})
            ).json()
            assert paused["due_at"] is None and paused["sla"]["paused"] is True
        clock.advance(7 * 24 * 60 * MIN)
        assert await settle(run) == 0
        await no_alert(sue)
        async with await run.login("ann") as ann:  # a new day, a new log-in
            resumed = await (
                await ann.patch(f"/api/tickets/{ticket['id']}", json={"status": "in_progress"})
            ).json()
        # 1 h of the 24 h resolution target was spent before the pause: 23 h remain.
        assert resumed["due_at"] == "2026-12-01T09:00:00.000Z"
        assert resumed["sla"] == {
            "target": "resolution",
            "state": "on_time",
            "level": 0,
            "paused": False,
        }


async def test_a_due_time_moved_into_the_past_alerts_at_once(db_url: str) -> None:
    clock = FakeClock()
    async with running(db_url, clock) as run, run.ws("sue") as sue, run.ws("ann") as ann_ws:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        ticket = await open_complaint(run, jane)
        async with await run.login("ann") as ann:
            await ann.patch(f"/api/tickets/{ticket['id']}", json={"status": "in_progress"})
        async with await run.login("sue") as supervisor:
            response = await supervisor.patch(
                f"/api/tickets/{ticket['id']}", json={"due_at": "2026-11-23T08:00:00Z"}
            )
            assert response.status == 200
        # No clock movement and no explicit pass: the change itself wakes the monitor.
        alert = await next_alert(sue)
        assert (alert["kind"], alert["target"], alert["level"]) == (
            "ticket_overdue",
            "resolution",
            1,
        )
        assert (await next_alert(ann_ws))["alert_id"] == alert["alert_id"]


async def test_tickets_from_before_the_monitor_are_planned_from_their_due_time(
    db_url: str,
) -> None:
    clock = FakeClock()
    async with running(db_url, clock) as run:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        created, _ = await run.daemon.web_parts.tickets.create(
            NewTicket(jane, "service", "Old router"), actor_id=None, now=run.daemon.web_parts.now()
        )
        await run.daemon.web_parts.tickets.update(
            created["id"], {"status": "in_progress"}, actor_id=None, now=run.daemon.web_parts.now()
        )
        # As an older version (or a bulk loader) wrote it: a due time, no clock.
        async with run.daemon.engine.begin() as conn:  # type: ignore[union-attr]
            await conn.execute(
                update(Ticket)
                .where(Ticket.id == created["id"])
                .values(
                    resolution_target=None,
                    responded_at=None,
                    sla_next_at=None,
                    sla_running_since=None,
                    due_at=run.daemon.web_parts.now() + timedelta(hours=2),
                )
            )
        async with run.ws("sue") as sue:
            clock.advance(2 * 60 * MIN)
            assert await settle(run) == 1
            alert = await next_alert(sue)
            assert alert["kind"] == "ticket_overdue" and alert["ticket"]["id"] == created["id"]
            # Being worked on when it was adopted: its first response is behind it.
            assert alert["target"] == "resolution"
        async with run.daemon.engine.connect() as conn:  # type: ignore[union-attr]
            unplanned = await conn.scalar(
                select(func.count()).where(Ticket.resolution_target.is_(None))
            )
        assert unplanned == 0
