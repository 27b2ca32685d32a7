"""issue 5 (SLA monitor, complaints, reports)

Revision ID: 0004
Revises: 0003

Reserved in the chain so that work on separate issues cannot create two heads;
a no-op until that issue's schema lands here.
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
