"""IVR self-service: PINs, PIN lockouts, survey answers

Revision ID: 0005
Revises: 0004

``ivr_pins`` holds each customer's argon2-hashed IVR PIN; ``ivr_lockouts`` counts wrong
PINs per account reference as keyed in; ``interactions.satisfaction`` keeps the caller's
post-call survey answer (1-5).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ivr_pins",
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("pin_hash", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_ivr_pins_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_ivr_pins")),
    )
    op.create_table(
        "ivr_lockouts",
        sa.Column("account_ref", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_ref", name=op.f("pk_ivr_lockouts")),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("satisfaction")
    op.drop_table("ivr_lockouts")
    op.drop_table("ivr_pins")
