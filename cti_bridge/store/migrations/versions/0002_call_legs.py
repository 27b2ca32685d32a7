"""issue 3 (call tracker): interaction legs

Revision ID: 0002
Revises: 0001

Reserved in the chain so that work on separate issues cannot create two heads;
a no-op until that issue's schema lands here.
"""

from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
