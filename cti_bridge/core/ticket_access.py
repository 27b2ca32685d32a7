"""Who may change a ticket, and what a change may do to a complaint.

- Supervisors and admins change any ticket.
- An agent changes the tickets assigned to them, and no others.
- An unassigned ticket (an IVR callback no assignment rule took, or one a supervisor
  unassigned) belongs to the pool: any agent may work it, and the first change they make
  takes it (they become its assignee, recorded in its history). Two agents racing for it:
  the first takes it, the second is refused as for anyone else's ticket.
- A complaint is resolved and closed only through its steps (``POST
  /api/tickets/{id}/complaint-steps``), which record who contained it, its cause and its
  corrective action: a change of its status to ``resolved`` or ``closed`` is refused, for
  supervisors too, and a complaint closed by its steps keeps its status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLOSING_STATUSES = ("resolved", "closed")
COMPLAINT_STEPS_HINT = (
    "a complaint is resolved and closed through its steps: POST "
    "/api/tickets/{id}/complaint-steps with contained, cause_found, action_verified, closed"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Editor:
    """Who is changing the ticket."""

    id: int
    supervisor: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketFacts:
    """What the rules look at in the ticket as it is now."""

    id: int
    kind: str
    status: str
    complaint_step: str
    assignee_id: int | None


class ChangeRefused(Exception):
    """The change is not allowed: ``status`` is 403 (not yours) or 409 (not this way)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


def vet_change(ticket: TicketFacts, changes: dict[str, Any], editor: Editor) -> dict[str, Any]:
    """The changes to apply (with ``assignee_id`` added when an agent takes a pooled
    ticket), or :class:`ChangeRefused`."""
    if not editor.supervisor and ticket.assignee_id not in (None, editor.id):
        raise ChangeRefused(
            403, "this ticket is assigned to another agent; only they or a supervisor change it"
        )
    _vet_complaint(ticket, changes)
    if not editor.supervisor and ticket.assignee_id is None and changes:
        return {**changes, "assignee_id": editor.id}
    return changes


def takes(ticket: TicketFacts, changes: dict[str, Any], editor: Editor) -> bool:
    """Whether these (vetted) changes take a pooled ticket for the agent."""
    return not editor.supervisor and ticket.assignee_id is None and "assignee_id" in changes


def _vet_complaint(ticket: TicketFacts, changes: dict[str, Any]) -> None:
    if ticket.kind != "complaint" or "status" not in changes:
        return
    status = changes["status"]
    hint = COMPLAINT_STEPS_HINT.replace("{id}", str(ticket.id))
    if status in CLOSING_STATUSES and status != ticket.status:
        raise ChangeRefused(409, f"'status' cannot be set to {status} here; {hint}", "status")
    if ticket.complaint_step == "closed" and status != ticket.status:
        raise ChangeRefused(409, "this complaint was closed through its steps; open a new one")
