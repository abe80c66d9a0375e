"""What an applicant typed, kept across the form's language switch for the page it redirects to.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_draft",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_form_draft_created_at", "form_draft", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_form_draft_created_at", table_name="form_draft")
    op.drop_table("form_draft")
