"""multi-node, durability

Revision ID: 0006
Revises: 0005

Reserved in the chain so that work on separate issues cannot create two heads;
a no-op until that issue's schema lands here.
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
