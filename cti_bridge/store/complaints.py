"""The complaint workflow: a complaint moves forward one step at a time, each step
timestamped and attributed in the ticket's history (``TicketEvent`` kind
``complaint_step``).

received -> contained (the customer was contacted and the immediate problem contained:
the first response) -> cause_found (responsible party, root-cause category from the
settings, root cause) -> action_verified (corrective action taken and checked) -> closed
(the ticket is closed and its clock stops).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cti_bridge.core.pop import ticket_json
from cti_bridge.core.states import TicketKind, TicketStatus
from cti_bridge.core.ticket_access import ChangeRefused, Editor
from cti_bridge.store.board import COMPLAINT_STEPS
from cti_bridge.store.models import Ticket, TicketEvent
from cti_bridge.store.tickets import TicketStore, ticket_detail

# What each step must record: field -> maximum length.
REQUIRED: dict[str, dict[str, int]] = {
    "contained": {"note": 10_000},
    "cause_found": {"responsible_party": 200, "category": 64, "root_cause": 10_000},
    "action_verified": {"corrective_action": 10_000, "note": 10_000},
    "closed": {},
}
# Fields written to the ticket's own columns (the rest only to the step's history entry).
TICKET_FIELDS = ("responsible_party", "category", "root_cause", "corrective_action")


class StepError(ValueError):
    """The step cannot be taken: ``status`` says how to answer (404, 409, 422)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    fields: dict[str, str]
    note: str = ""


def next_step(current: str) -> str | None:
    index = COMPLAINT_STEPS.index(current or "received")
    return COMPLAINT_STEPS[index + 1] if index + 1 < len(COMPLAINT_STEPS) else None


def check_step(current: str, step: Step, categories: tuple[str, ...]) -> None:
    """Only the next step may be taken, with everything it must record."""
    expected = next_step(current)
    if step.name != expected:
        where = f"the complaint is at '{current or 'received'}'"
        raise StepError(409, f"{where}; the next step is {expected or 'none (closed)'}")
    for field in REQUIRED[step.name]:
        if field != "note" and not step.fields.get(field):
            raise StepError(422, f"'{field}' is required for {step.name}", field)
    if step.name == "contained" and not step.note:
        raise StepError(422, "'note' (what was agreed with the customer) is required", "note")
    category = step.fields.get("category")
    if category is not None and category not in categories:
        raise StepError(422, f"'category' must be one of {', '.join(categories)}", "category")


class ComplaintBook:
    def __init__(self, tickets: TicketStore, categories: tuple[str, ...]) -> None:
        self._tickets = tickets
        self.categories = categories

    async def advance(
        self,
        ticket_id: int,
        step: Step,
        *,
        actor_id: int | None,
        now: datetime,
        editor: Editor | None = None,
    ) -> dict[str, Any]:
        """Take the next step; with an ``editor``, only as a ticket change is allowed (the
        assignee or a supervisor; an agent taking an unassigned complaint takes it)."""
        async with self._tickets.sessions.begin() as db:
            ticket = await db.get(Ticket, ticket_id, with_for_update=True)
            if ticket is None or ticket.kind != TicketKind.COMPLAINT:
                raise StepError(404, f"no complaint with id {ticket_id}")
            if editor is not None:  # a failed step below rolls a take back with it
                await self._take_if_pooled(db, ticket, step, editor, now)
            check_step(ticket.complaint_step, step, self.categories)
            previous = ticket.complaint_step or "received"
            for field in TICKET_FIELDS:
                if field in step.fields:
                    setattr(ticket, field, step.fields[field])
            ticket.complaint_step = step.name
            ticket.updated_at = now
            status = _status_for(step.name, ticket.status)
            if status != ticket.status:
                ticket.status = status
                if status == TicketStatus.CLOSED:
                    ticket.resolved_at = ticket.resolved_at or now
                self._tickets.replan(ticket, {"status": status}, now, None)
            data = {"step": step.name, "from": previous, **step.fields}
            if step.note:
                data["note"] = step.note
            db.add(
                TicketEvent(
                    ticket_id=ticket_id, actor_id=actor_id, at=now, kind="complaint_step", data=data
                )
            )
            result = ticket_json(ticket_detail(ticket), now)
        self._tickets.changed()
        return result

    async def _take_if_pooled(
        self, db: AsyncSession, ticket: Ticket, step: Step, editor: Editor, now: datetime
    ) -> None:
        try:
            vetted = await self._tickets.vetted(db, ticket, {"complaint_step": step.name}, editor)
        except ChangeRefused as exc:
            raise StepError(exc.status, str(exc)) from exc
        if "assignee_id" in vetted and ticket.assignee_id != editor.id:
            data = {"from": ticket.assignee_id, "to": editor.id}
            ticket.assignee_id = editor.id
            db.add(
                TicketEvent(
                    ticket_id=ticket.id, actor_id=editor.id, at=now, kind="assignee_id_changed",
                    data=data,
                )
            )  # fmt: skip


def _status_for(step: str, status: TicketStatus) -> TicketStatus:
    if step == "closed":
        return TicketStatus.CLOSED
    # Containing the complaint is the first response: the ticket is being worked on.
    if step == "contained" and status == TicketStatus.OPEN:
        return TicketStatus.IN_PROGRESS
    return status
