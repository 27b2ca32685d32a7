"""Screen-pop assembly: customer records in, the ``screen_pop`` message of DESIGN §6.3 out.

Pure: the store hands over plain records, the caller passes today's date and the time, and
this module decides the care flags and shapes the message. Keeping it here means the rules
("churn risk is two complaints in 90 days or an overdue ticket") are tested without a
database and read the same for the pop, the customer API and the IVR.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cti_bridge.core.events import CallOffered
from cti_bridge.core.phones import CallerNumber
from cti_bridge.core.recordings import recording_url
from cti_bridge.core.states import OPEN_TICKET_STATUSES

# Two complaints inside this window make a customer a churn risk.
CHURN_WINDOW_DAYS = 90
CHURN_COMPLAINTS = 2
RECENT_INTERACTIONS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketView:
    id: int
    kind: str
    status: str
    priority: str
    subject: str
    created_at: datetime
    due_at: datetime | None
    assignee: str | None = None

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketDetail:
    """A whole ticket, as the ticket API returns it."""

    id: int
    customer_id: int
    call_id: str | None
    kind: str
    status: str
    priority: str
    subject: str
    description: str
    assignee_id: int | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    resolved_at: datetime | None
    category: str
    responsible_party: str
    root_cause: str
    corrective_action: str
    complaint_step: str
    channel: str
    response_due_at: datetime | None
    responded_at: datetime | None
    sla_target: str
    sla_state: str
    sla_level: int
    sla_running_since: datetime | None

    @property
    def open(self) -> bool:
        return self.status in OPEN_TICKET_STATUSES

    def overdue(self, now: datetime) -> bool:
        """Only an open ticket is overdue; a closed one past its due time is just late."""
        return self.open and self.due_at is not None and self.due_at < now


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionView:
    call_id: str
    at: datetime
    direction: str
    outcome: str
    agent: str | None
    code: str | None
    notes: str
    queue: str | None = None
    # The recording's file name (no directory); the JSON gives where to play it.
    recording: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerSummary:
    """Enough to tell candidates apart when a number matches several customers."""

    id: int
    name: str
    company: str
    grade: str
    vip: bool
    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerRecord:
    id: int
    name: str
    company: str
    grade: str
    segment: str
    vip: bool
    birthday: date | None
    notes: str
    region: str = ""
    language: str = ""
    email: str = ""
    external_ref: str | None = None
    phones: tuple[str, ...] = ()
    open_tickets: tuple[TicketView, ...] = ()
    recent_interactions: tuple[InteractionView, ...] = ()
    complaints_in_window: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerMatch:
    """The result of looking a caller up: one customer, several candidates, or nobody."""

    customer: CustomerRecord | None
    candidates: tuple[CustomerSummary, ...] = ()
    # The lookup could not be made (database down or too slow): the pop goes out anyway.
    failed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoffNote:
    """A disposition or note an earlier agent saved on the call."""

    agent: str
    at: datetime
    code: str | None
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Handoff:
    """What the agent a caller is transferred to learns from the agent before."""

    from_agent: str
    notes: tuple[HandoffNote, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "from_agent": self.from_agent,
            "notes": [
                {"agent": n.agent, "at": iso(n.at), "code": n.code, "text": n.text}
                for n in self.notes
            ],
        }


def is_birthday(birthday: date | None, today: date) -> bool:
    """29 February birthdays are celebrated on 28 February in other years."""
    if birthday is None:
        return False
    if (birthday.month, birthday.day) == (today.month, today.day):
        return True
    leap_day = (birthday.month, birthday.day) == (2, 29)
    return leap_day and (today.month, today.day) == (2, 28) and not _is_leap(today.year)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def care_flags(customer: CustomerRecord, today: date, now: datetime) -> list[str]:
    """The flags an agent must see before answering, in a fixed order."""
    flags = []
    if is_birthday(customer.birthday, today):
        flags.append("birthday_today")
    if any(t.kind == "complaint" for t in customer.open_tickets):
        flags.append("open_complaint")
    overdue = any(t.overdue(now) for t in customer.open_tickets)
    if customer.complaints_in_window >= CHURN_COMPLAINTS or overdue:
        flags.append("churn_risk")
    return flags


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with milliseconds and ``Z``, the format of every time on the wire."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ticket_json(ticket: TicketView | TicketDetail, now: datetime) -> dict[str, Any]:
    """A ticket on the wire: the summary a customer card lists, or the whole ticket."""
    if isinstance(ticket, TicketDetail):
        return _detail_json(ticket, now)
    return {
        "id": ticket.id,
        "kind": ticket.kind,
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "created_at": iso(ticket.created_at),
        "due_at": iso(ticket.due_at),
        "overdue": ticket.overdue(now),
        "assignee": ticket.assignee,
    }


def _detail_json(ticket: TicketDetail, now: datetime) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "customer_id": ticket.customer_id,
        "call_id": ticket.call_id,
        "kind": ticket.kind,
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "description": ticket.description,
        "assignee_id": ticket.assignee_id,
        "created_by_id": ticket.created_by_id,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "due_at": iso(ticket.due_at),
        "resolved_at": iso(ticket.resolved_at),
        "overdue": ticket.overdue(now),
        "category": ticket.category,
        "responsible_party": ticket.responsible_party,
        "root_cause": ticket.root_cause,
        "corrective_action": ticket.corrective_action,
        "complaint_step": ticket.complaint_step,
        "channel": ticket.channel,
        "response_due_at": iso(ticket.response_due_at),
        "responded_at": iso(ticket.responded_at),
        "sla": {
            "target": ticket.sla_target,
            "state": ticket.sla_state,
            "level": ticket.sla_level,
            "paused": ticket.open and ticket.sla_running_since is None,
        },
    }


def interaction_json(item: InteractionView) -> dict[str, Any]:
    return {
        "call_id": item.call_id,
        "at": iso(item.at),
        "direction": item.direction,
        "queue": item.queue,
        "agent": item.agent,
        "outcome": item.outcome,
        "code": item.code,
        "notes": item.notes,
        "recording": recording_url(item.call_id, item.recording),
    }


def summary_json(candidate: CustomerSummary) -> dict[str, Any]:
    return {
        "id": candidate.id,
        "name": candidate.name,
        "company": candidate.company,
        "grade": candidate.grade,
        "vip": candidate.vip,
        "phones": list(candidate.phones),
    }


def customer_json(customer: CustomerRecord, today: date, now: datetime) -> dict[str, Any]:
    """The customer card, as in the pop and in ``GET /api/customers/{id}``."""
    return {
        "id": customer.id,
        "external_ref": customer.external_ref,
        "name": customer.name,
        "company": customer.company,
        "grade": customer.grade,
        "segment": customer.segment,
        "vip": customer.vip,
        "birthday": customer.birthday.isoformat() if customer.birthday else None,
        "region": customer.region,
        "language": customer.language,
        "email": customer.email,
        "phones": list(customer.phones),
        "flags": care_flags(customer, today, now),
        "open_tickets": [ticket_json(t, now) for t in customer.open_tickets],
        "recent_interactions": [
            interaction_json(i) for i in customer.recent_interactions[:RECENT_INTERACTIONS]
        ],
        "notes": customer.notes,
    }


def caller_json(offer_name: str, caller: CallerNumber) -> dict[str, Any]:
    name = "" if caller.withheld else _clean_name(offer_name)
    return {
        "number": caller.display,
        "raw": caller.raw,
        "name": name,
        "withheld": caller.withheld,
    }


def _clean_name(name: str) -> str:
    """Asterisk writes ``<unknown>`` where there is no name."""
    stripped = name.strip()
    return "" if stripped.lower() in ("<unknown>", "unknown", "anonymous") else stripped


def build_screen_pop(
    offer: CallOffered,
    caller: CallerNumber,
    match: CallerMatch,
    *,
    today: date,
    now: datetime,
    offered_at: datetime,
    dialed: str = "",
    handoff: Handoff | None = None,
    ivr: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``screen_pop`` message for one ringing agent (without ``seq``: the bus adds it).

    ``handoff`` is set on the pop of an agent the caller is transferred to: who handed the
    caller over and the notes logged on the call so far (warm hand-off). The field is
    always present, ``null`` on every other pop. ``ivr`` is what the caller did in the IVR
    before reaching the queue (account, option, digits); ``null`` when nothing."""
    customer = None if match.customer is None else customer_json(match.customer, today, now)
    message: dict[str, Any] = {
        "type": "screen_pop",
        "call_id": offer.call_id,
        "offered_at": iso(offered_at),
        "direction": offer.direction.value,
        "caller": caller_json(offer.caller.name, caller),
        "dialed": dialed or offer.dialed,
        "queue": offer.queue,
        "customer": customer,
        "matches": [summary_json(c) for c in match.candidates],
    }
    message["handoff"] = None if handoff is None else handoff.as_json()
    message["ivr"] = None if ivr is None else dict(ivr)
    return message
