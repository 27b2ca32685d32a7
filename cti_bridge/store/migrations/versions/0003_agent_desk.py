"""agent desk: remembered caller choices, customer notes

Revision ID: 0003
Revises: 0002

``agents.status`` and ``agents.language`` already exist (0001); the desk adds the number ->
customer choices agents make for ambiguous callers, and free-text notes on a customer.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "caller_choices",
        sa.Column("id", ID, nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_caller_choices_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_caller_choices_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_choices")),
        sa.UniqueConstraint("number", name=op.f("uq_caller_choices_number")),
    )
    with op.batch_alter_table("caller_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_caller_choices_customer_id"), ["customer_id"], unique=False
        )
    op.create_table(
        "customer_notes",
        sa.Column("id", ID, nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("call_id", sa.String(length=96), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_customer_notes_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_notes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_notes")),
        sa.UniqueConstraint("request_id", name=op.f("uq_customer_notes_request_id")),
    )
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_notes_customer_created", ["customer_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_notes_customer_created")
    op.drop_table("customer_notes")
    with op.batch_alter_table("caller_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caller_choices_customer_id"))
    op.drop_table("caller_choices")
