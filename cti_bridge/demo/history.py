"""What happened before the demo starts: past calls, their outcomes, tickets and their
histories, so that the first screen pop already has something to say.

Everything is planned in memory against customer refs and agent usernames (the database
ids come later, in :mod:`seed`), from a seeded generator and the ``now`` given, so a seed
and a moment always give the same history. Calls spread over the last six weeks in office
hours; each has a ``call_id`` of the form Asterisk's linkedid gives (``pbx1:EPOCH.SEQ``),
numbered in time order. Tickets follow the product's service-level targets
(:func:`cti_bridge.core.sla.due_at`); a drawn ticket whose target has passed was resolved
in time, so the one overdue ticket on the board is the scripted one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from cti_bridge.core import sla
from cti_bridge.demo import names
from cti_bridge.demo.people import (
    BIRTHDAY,
    CHURN,
    DUE_SOON,
    FAMILY,
    OVERDUE,
    SWITCHBOARD,
    DemoCustomer,
)

PBX = "pbx1"
AGENTS = ("agent1", "agent2", "agent3")
ZH_AGENT = "agent2"  # speaks Chinese, so takes most Chinese callers
SUPERVISOR = "supervisor"
DIDS = {"support": "+18005550100", "sales": "+18005550101", "vip": "+18005550102"}
HISTORY_DAYS = 42
CALL_CHANCE = 0.6
CODE_WEIGHTS = {"resolved": 40, "info": 20, "follow_up": 15, "sale": 10, "complaint": 6}
WRONG_NUMBER_CHANCE = 0.03
ABANDON_CHANCE, OUTBOUND_CHANCE = 0.12, 0.08
RECENT_TICKETS = 6
# A finished complaint: category, responsible party, root cause, corrective action.
COMPLAINT_FINDINGS = (
    ("billing", "Billing team", "Direct debit ran twice after the October system upgrade.",
     "Refunded; duplicate-run check added to the billing job."),
    ("process", "Field service, north depot", "Visit was booked on a technician's day off.",
     "Rota now synced with the booking calendar."),
    ("staff_conduct", "Store 14", "New staff member not trained on returns.",
     "Returns training for all new store staff."),
)  # fmt: skip


@dataclass
class CallPlan:
    customer_ref: str
    number: str  # the customer's number, E.164
    caller_name: str
    direction: str
    queue: str | None
    agent: str | None  # None: nobody answered
    offered_at: datetime
    wait: float
    talk: float | None  # None: abandoned
    code: str | None = None
    notes: str = ""
    call_id: str = ""  # given once all calls are known, in time order

    @property
    def answered_at(self) -> datetime | None:
        return None if self.talk is None else self.offered_at + timedelta(seconds=self.wait)

    @property
    def ended_at(self) -> datetime:
        return self.offered_at + timedelta(seconds=self.wait + (self.talk or 0))


@dataclass(frozen=True)
class EventPlan:
    at: datetime
    actor: str | None
    kind: str  # as the ticket store writes them: created, <field>_changed, comment
    data: dict[str, Any]


@dataclass
class TicketPlan:
    customer_ref: str
    call: CallPlan | None
    kind: str
    priority: str
    subject: str
    created_at: datetime
    due_at: datetime
    created_by: str | None
    assignee: str | None
    status: str = "open"
    resolved_at: datetime | None = None
    findings: tuple[str, str, str, str] = ("", "", "", "")
    events: list[EventPlan] = field(default_factory=list)


@dataclass
class History:
    calls: list[CallPlan] = field(default_factory=list)
    tickets: list[TicketPlan] = field(default_factory=list)


def make_history(customers: list[DemoCustomer], now: datetime, seed: int) -> History:
    """The calls and tickets before ``now``: the scripted ones, then drawn ones."""
    planner = _Planner(random.Random(seed), now, {c.ref: c for c in customers})
    planner.script()
    drawn = [c for c in customers if c.ref > DUE_SOON]
    planner.recent_work(planner.rng.sample(drawn, RECENT_TICKETS))
    for customer in customers:
        if customer.ref > DUE_SOON and planner.rng.random() < CALL_CHANCE:
            planner.draw_calls(customer)
    planner.history.calls.sort(key=lambda call: call.offered_at)
    for seq, call in enumerate(planner.history.calls, start=1):
        call.call_id = f"{PBX}:{int(call.offered_at.timestamp())}.{seq}"
    return planner.history


class _Planner:
    def __init__(self, rng: random.Random, now: datetime, by_ref: dict[str, DemoCustomer]):
        self.rng, self.now, self.by_ref = rng, now, by_ref
        self.history = History()

    def script(self) -> None:
        """The calls and tickets the demo's story is about."""
        ago, by = self.ago, self.by_ref
        self.call(by[BIRTHDAY], ago(days=20), "agent1", "sale")
        self.call(by[BIRTHDAY], ago(days=3), "agent3", "info")
        # Churn risk: two complaints inside 90 days, the second still open and half worked.
        first = self.call(by[CHURN], ago(days=52), "agent1", "complaint")
        findings = COMPLAINT_FINDINGS[0]
        self.ticket(first, "complaint", "high", status="closed", findings=findings, subject=0)
        self.call(by[CHURN], ago(days=30), "agent3", "info")
        self.call(by[CHURN], ago(hours=6), None, None)  # gave up in the queue
        second = self.call(by[CHURN], ago(hours=5), "agent3", "complaint")
        found = ("process", "Field service, north depot", "", "")
        self.ticket(
            second,
            "complaint",
            "normal",
            status="in_progress",
            assignee=SUPERVISOR,
            findings=found,
            subject=1,
        )
        # The overdue one: a VIP's repair visit, promised within a day, two days ago.
        repair = self.call(by[OVERDUE], ago(days=2, hours=3), ZH_AGENT, "follow_up")
        ticket = self.ticket(
            repair, "service", "normal", status="in_progress", assignee=ZH_AGENT, subject=0
        )
        ticket.events.append(
            EventPlan(ticket.created_at + timedelta(hours=3), ZH_AGENT, "comment",
                      {"text": names.REPAIR_COMMENT_ZH})
        )  # fmt: skip
        # The same home line and the same switchboard, different people.
        self.call(by[FAMILY[0]], ago(days=12), "agent1", "resolved")
        self.call(by[FAMILY[1]], ago(days=4), "agent3", "info")
        self.call(by[SWITCHBOARD[0]], ago(days=9), ZH_AGENT, "sale")
        self.call(by[SWITCHBOARD[1]], ago(days=2), ZH_AGENT, "info")
        # Falls due within the hour: a high-priority inquiry is promised within 8 hours.
        quote = self.call(by[DUE_SOON], ago(hours=7, minutes=15), "agent1", "follow_up")
        self.ticket(quote, "inquiry", "high", assignee="agent1", subject=1)

    def recent_work(self, customers: list[DemoCustomer]) -> None:
        """Requests from the last day or so, still being worked on and within target (a
        low-priority service request has three days, a day and a half for a VIP)."""
        for customer in customers:
            offered = self.ago(hours=self.rng.randint(2, 30))
            call = self.call(customer, offered, self.pick_agent(customer), "follow_up")
            status = self.rng.choice(("open", "in_progress", "waiting_customer"))
            self.ticket(call, "service", "low", status=status)

    def draw_calls(self, customer: DemoCustomer) -> None:
        complained = False
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3, 4))):
            offered = self.office_time(self.rng.randint(1, HISTORY_DAYS))
            if self.rng.random() < ABANDON_CHANCE:
                self.call(customer, offered, None, None)
                continue
            code = self.rng.choices(list(CODE_WEIGHTS), weights=list(CODE_WEIGHTS.values()))[0]
            if code == "complaint" and complained:
                code = "resolved"  # one complaint each: two would make a churn risk
            complained = complained or code == "complaint"
            if self.rng.random() < WRONG_NUMBER_CHANCE:
                code = "wrong_number"
            call = self.call(customer, offered, self.pick_agent(customer), code)
            if code in ("follow_up", "complaint"):
                self.drawn_ticket(call, code)

    def drawn_ticket(self, call: CallPlan, code: str) -> None:
        kind = "complaint" if code == "complaint" else self.rng.choice(("service", "inquiry"))
        priority = self.rng.choice(("low", "normal", "normal", "high"))
        customer = self.by_ref[call.customer_ref]
        due = sla.due_at(kind, priority, call.ended_at, vip=customer.vip, grade=customer.grade)
        if due >= self.now:  # still within its target: being worked on
            status = self.rng.choice(("open", "in_progress"))
            self.ticket(call, kind, priority, status=status)
            return
        age = self.now - call.ended_at
        status = "closed" if age > timedelta(days=7) else "resolved"
        findings = self.rng.choice(COMPLAINT_FINDINGS) if kind == "complaint" else None
        self.ticket(call, kind, priority, status=status, findings=findings)

    def call(
        self, customer: DemoCustomer, offered: datetime, agent: str | None, code: str | None
    ) -> CallPlan:
        """An inbound call (sometimes an agent's call-back); no agent means abandoned."""
        rng = self.rng
        outbound = agent is not None and code != "complaint" and rng.random() < OUTBOUND_CHANCE
        queue = "vip" if customer.vip else "sales" if code == "sale" else "support"
        zh = customer.language == "zh" and agent == ZH_AGENT
        notes = (
            rng.choice((names.CALL_NOTES_ZH if zh else names.CALL_NOTES_EN)[code]) if code else ""
        )
        call = CallPlan(
            customer_ref=customer.ref,
            number=customer.numbers[0],
            caller_name="" if outbound else customer.caller_name,
            direction="outbound" if outbound else "inbound",
            queue=None if outbound else queue,
            agent=agent,
            offered_at=offered,
            wait=float(rng.randint(4, 25) if outbound else rng.randint(5, 150)),
            talk=float(rng.randint(45, 900)) if agent else None,
            code=code,
            notes=notes,
        )  # fmt: skip
        self.history.calls.append(call)
        return call

    def ticket(
        self,
        call: CallPlan,
        kind: str,
        priority: str,
        *,
        status: str = "open",
        assignee: str | None = None,
        findings: tuple[str, str, str, str] | None = None,
        subject: int | None = None,
    ) -> TicketPlan:
        """A ticket opened at the end of ``call``, with the events that led to ``status``."""
        customer = self.by_ref[call.customer_ref]
        created = call.ended_at
        zh = customer.language == "zh"
        subjects = (names.TICKET_SUBJECTS_ZH if zh else names.TICKET_SUBJECTS_EN)[kind]
        title = self.rng.choice(subjects) if subject is None else subjects[subject]
        due = sla.due_at(kind, priority, created, vip=customer.vip, grade=customer.grade)
        ticket = TicketPlan(
            customer.ref, call, kind, priority, title, created, due, call.agent,
            assignee or call.agent, status, findings=findings or ("", "", "", ""),
        )  # fmt: skip
        if status in ("resolved", "closed"):
            window = min(due, self.now) - created
            ticket.resolved_at = created + window * self.rng.uniform(0.3, 0.9)
        ticket.events.extend(_events(ticket, self.now))
        self.history.tickets.append(ticket)
        return ticket

    def pick_agent(self, customer: DemoCustomer) -> str:
        if customer.language == "zh" and self.rng.random() < 0.75:
            return ZH_AGENT
        return self.rng.choice(AGENTS if self.rng.random() < 0.15 else ("agent1", "agent3"))

    def ago(self, *, days: int = 0, hours: int = 0, minutes: int = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours, minutes=minutes)

    def office_time(self, days_ago: int) -> datetime:
        """A moment in office hours (09:00-17:30 UTC) on a weekday ``days_ago`` days back."""
        day = self.now.date() - timedelta(days=days_ago)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        start = datetime.combine(day, time(9, 0), tzinfo=UTC)
        return start + timedelta(seconds=self.rng.randint(0, int(8.5 * 3600)))


def _events(ticket: TicketPlan, now: datetime) -> list[EventPlan]:
    """The history the ticket store would have written on the way to the ticket's state."""
    at, actor = ticket.created_at, ticket.created_by
    events = [EventPlan(at, actor, "created", {"kind": ticket.kind})]
    if ticket.assignee and ticket.assignee != actor:
        events.append(
            EventPlan(at, actor, "assignee_id_changed", {"from": None, "to": ticket.assignee})
        )
    end = ticket.resolved_at or min(now, ticket.created_at + timedelta(hours=4))
    step = (end - at) / 6
    worker = ticket.assignee or actor
    if ticket.status != "open":
        events.append(
            EventPlan(at + step, worker, "status_changed", _change("open", "in_progress"))
        )
    labels = ("category", "responsible_party", "root_cause", "corrective_action")
    for n, (label, value) in enumerate(zip(labels, ticket.findings, strict=True), start=2):
        if value:
            events.append(EventPlan(at + step * n, worker, f"{label}_changed", _change("", value)))
    if ticket.resolved_at is not None:
        events.append(
            EventPlan(
                ticket.resolved_at, worker, "status_changed", _change("in_progress", "resolved")
            )
        )
        closed_at = ticket.resolved_at + timedelta(days=2)
        if ticket.status == "closed" and closed_at < now:
            events.append(
                EventPlan(closed_at, SUPERVISOR, "status_changed", _change("resolved", "closed"))
            )
    return events


def _change(old: str, new: str) -> dict[str, Any]:
    return {"from": old, "to": new}
