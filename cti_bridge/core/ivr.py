"""What the IVR is told: customer facts in, the ``CTI_*`` channel variables out (DESIGN 6.4).

Pure: no database, no sockets. The same variables go over FastAGI (``SET VARIABLE``) and
over HTTP (JSON, or ``KEY=VALUE`` lines for Asterisk's ``CURL()``), so the two can never
disagree. An unknown caller, a number shared by several customers and a database that did
not answer in time all give the *defaults*: empty id, ``CTI_VIP=0``, ``CTI_PRIORITY=0`` and
empty texts, so the dialplan can always go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

LOOKUP_VARIABLES = (
    "CTI_CUSTOMER_ID",
    "CTI_CUSTOMER_NAME",
    "CTI_GRADE",
    "CTI_VIP",
    "CTI_PRIORITY",
    "CTI_TICKET_STATUS",
    "CTI_TICKET_DUE",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorityRules:
    """Points added to ``CTI_PRIORITY`` per rule (from the ``[ivr]`` settings)."""

    vip: int = 10
    grade_a: int = 5
    grade_b: int = 2
    grade_c: int = 0
    open_complaint: int = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrTicket:
    """The caller's latest open ticket, as the dialplan can speak it."""

    id: int
    kind: str
    status: str
    due_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrCustomer:
    id: int
    external_ref: str | None
    name: str
    grade: str
    vip: bool
    open_complaint: bool
    latest_ticket: IvrTicket | None


def priority(customer: IvrCustomer | None, rules: PriorityRules) -> int:
    """``CTI_PRIORITY`` for ``QUEUE_PRIO``: the sum of the rules that apply (higher first)."""
    if customer is None:
        return 0
    grade_points = {"A": rules.grade_a, "B": rules.grade_b, "C": rules.grade_c}
    points = grade_points.get(customer.grade, 0)
    if customer.vip:
        points += rules.vip
    if customer.open_complaint:
        points += rules.open_complaint
    return max(0, points)


def due_text(moment: datetime | None) -> str:
    """Due time as ``YYYY-MM-DD HH:MM`` UTC: ``SayUnixTime``/``STRPTIME`` can read it."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def lookup_variables(customer: IvrCustomer | None, rules: PriorityRules) -> dict[str, str]:
    """The seven lookup variables, defaults for nobody."""
    if customer is None:
        return dict.fromkeys(LOOKUP_VARIABLES, "") | {"CTI_VIP": "0", "CTI_PRIORITY": "0"}
    return {
        "CTI_CUSTOMER_ID": str(customer.id),
        "CTI_CUSTOMER_NAME": customer.name,
        "CTI_GRADE": customer.grade,
        "CTI_VIP": "1" if customer.vip else "0",
        "CTI_PRIORITY": str(priority(customer, rules)),
        **ticket_variables(customer.latest_ticket),
    }


def ticket_variables(ticket: IvrTicket | None) -> dict[str, str]:
    if ticket is None:
        return {"CTI_TICKET_STATUS": "", "CTI_TICKET_DUE": ""}
    return {"CTI_TICKET_STATUS": ticket.status, "CTI_TICKET_DUE": due_text(ticket.due_at)}


def latest_open(tickets: list[IvrTicket]) -> IvrTicket | None:
    """The ticket to tell the caller about: the most recently opened (highest id) one."""
    return max(tickets, key=lambda t: t.id, default=None)


def as_vars_text(variables: dict[str, str]) -> str:
    """``KEY=VALUE`` lines for ``CURL()``; line breaks in values would forge other keys."""
    lines = (f"{k}={v.replace(chr(10), ' ').replace(chr(13), ' ')}" for k, v in variables.items())
    return "\n".join(lines) + "\n"
