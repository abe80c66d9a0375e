"""The fingerprint of each enquiry of the last ten minutes, once: the database refuses a second.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recent_enquiry",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint"),
    )
    op.create_index("ix_recent_enquiry_received_at", "recent_enquiry", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_recent_enquiry_received_at", table_name="recent_enquiry")
    op.drop_table("recent_enquiry")
