"""service levels, complaints: ticket SLA clock and standing, SLA alert outbox

Revision ID: 0004
Revises: 0003

Tickets get the service-level clock (targets, business time spent, running since), the
standing the monitor last announced with the instant it must look again (indexed), the
complaint step and the channel. ``sla_alerts`` is the outbox of announced transitions.
Existing tickets keep NULL targets: the monitor plans them from their due time at start.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def _ticket_columns() -> list[sa.Column[object]]:
    # Server defaults fill the rows already there; the models supply values from now on.
    return [
        sa.Column("complaint_step", sa.String(20), nullable=False, server_default=""),
        sa.Column("channel", sa.String(16), nullable=False, server_default="phone"),
        sa.Column("response_due_at", _TS, nullable=True),
        sa.Column("responded_at", _TS, nullable=True),
        sa.Column("response_target", sa.Float(), nullable=True),
        sa.Column("resolution_target", sa.Float(), nullable=True),
        sa.Column("sla_calendar", sa.String(32), nullable=False, server_default=""),
        sa.Column("sla_consumed", sa.Float(), nullable=False, server_default="0"),
        sa.Column("sla_running_since", _TS, nullable=True),
        sa.Column("sla_target", sa.String(12), nullable=False, server_default="response"),
        sa.Column("sla_state", sa.String(12), nullable=False, server_default="on_time"),
        sa.Column("sla_level", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sla_next_at", _TS, nullable=True),
        sa.Column("sla_rev", sa.Integer(), nullable=False, server_default="0"),
    ]


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for column in _ticket_columns():
            batch_op.add_column(column)
        batch_op.create_index(batch_op.f("ix_tickets_sla_next_at"), ["sla_next_at"], unique=False)
        # Tickets without a clock (older rows, bulk loads) are found without a scan.
        batch_op.create_index(
            batch_op.f("ix_tickets_resolution_target"), ["resolution_target"], unique=False
        )
        # The board lists the (few) overdue and due-soon tickets without reading the rest.
        batch_op.create_index(batch_op.f("ix_tickets_sla_state"), ["sla_state"], unique=False)
    op.create_table(
        "sla_alerts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_sla_alerts_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_alerts")),
    )
    with op.batch_alter_table("sla_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_alerts_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sla_alerts_delivered_at"), ["delivered_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("sla_alerts")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_sla_state"))
        batch_op.drop_index(batch_op.f("ix_tickets_resolution_target"))
        batch_op.drop_index(batch_op.f("ix_tickets_sla_next_at"))
        for column in reversed(_ticket_columns()):
            batch_op.drop_column(column.name)
