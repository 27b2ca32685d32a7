"""multi-node, durability

Revision ID: 0006
Revises: 0005

Changes no schema: running several nodes and journaling writes during a database outage
need none (they live in Redis and a local file). The revision keeps its place in the
chain, which databases already upgraded record.
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
