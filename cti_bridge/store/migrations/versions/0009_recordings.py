"""the call's recording

Revision ID: 0009
Revises: 0008

``interactions.recording`` names the file MixMonitor wrote for the call (the name only:
the bridge serves it from ``[recordings] directory``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recording", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("recording")
