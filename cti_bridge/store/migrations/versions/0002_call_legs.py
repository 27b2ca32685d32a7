"""call tracker: interaction legs

Revision ID: 0002
Revises: 0001

Every agent leg of a call (offered, answered, transferred away...) gets a row in
``interaction_legs``; the call itself stays one ``interactions`` row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "interaction_legs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("call_id", sa.String(length=96), nullable=False),
        sa.Column("leg_no", sa.Integer(), nullable=False),
        sa.Column("agent_id", _ID, nullable=True),
        sa.Column("interface", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_interaction_legs_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["interactions.call_id"],
            name=op.f("fk_interaction_legs_call_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction_legs")),
        sa.UniqueConstraint("call_id", "leg_no", name=op.f("uq_interaction_legs_call_id")),
    )
    with op.batch_alter_table("interaction_legs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interaction_legs_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_interaction_legs_agent_id"), ["agent_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("interaction_legs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interaction_legs_agent_id"))
        batch_op.drop_index(batch_op.f("ix_interaction_legs_call_id"))
    op.drop_table("interaction_legs")
