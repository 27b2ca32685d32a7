"""issue 4 (agent desk): remembered caller choices, agent status

Revision ID: 0003
Revises: 0002

Reserved in the chain so that work on separate issues cannot create two heads;
a no-op until that issue's schema lands here.
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
