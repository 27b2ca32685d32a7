"""Who may change a ticket, as a pure rule (the API tests drive it over HTTP)."""

from __future__ import annotations

import pytest

from cti_bridge.core.ticket_access import ChangeRefused, Editor, TicketFacts, takes, vet_change

ANN, BOB, SUE = (
    Editor(id=1, supervisor=False),
    Editor(id=2, supervisor=False),
    Editor(id=3, supervisor=True),
)


def facts(
    kind: str = "service", status: str = "open", step: str = "", assignee: int | None = 1
) -> TicketFacts:
    return TicketFacts(id=7, kind=kind, status=status, complaint_step=step, assignee_id=assignee)


def test_the_assignee_and_supervisors_change_a_ticket_others_do_not() -> None:
    assert vet_change(facts(), {"subject": "x"}, ANN) == {"subject": "x"}
    assert vet_change(facts(), {"subject": "x"}, SUE) == {"subject": "x"}
    with pytest.raises(ChangeRefused) as refused:
        vet_change(facts(), {"subject": "x"}, BOB)
    assert refused.value.status == 403


def test_a_pooled_ticket_is_taken_by_the_agent_who_changes_it() -> None:
    pooled = facts(assignee=None)
    changes = vet_change(pooled, {"status": "in_progress"}, BOB)
    assert changes == {"status": "in_progress", "assignee_id": BOB.id}
    assert takes(pooled, changes, BOB)
    assert vet_change(pooled, {}, BOB) == {}  # nothing changed, nothing taken
    assert not takes(pooled, vet_change(pooled, {"priority": "high"}, SUE), SUE)


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_a_complaint_closes_only_through_its_steps(status: str) -> None:
    for editor in (ANN, SUE):
        with pytest.raises(ChangeRefused) as refused:
            vet_change(facts("complaint"), {"status": status}, editor)
        assert refused.value.status == 409 and "/api/tickets/7/complaint-steps" in str(
            refused.value
        )
    closed = facts("complaint", status="closed", step="closed")
    with pytest.raises(ChangeRefused):
        vet_change(closed, {"status": "open"}, SUE)
    assert vet_change(closed, {"subject": "typo"}, SUE) == {"subject": "typo"}
    assert vet_change(facts("service"), {"status": status}, ANN) == {"status": status}
