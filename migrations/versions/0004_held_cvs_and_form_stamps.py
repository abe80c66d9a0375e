"""CVs held for a form shown again, and the form stamp each accepted enquiry used.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_cv",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_held_cv_created_at", "held_cv", ["created_at"], unique=False)
    with op.batch_alter_table("enquiry") as batch:
        batch.add_column(sa.Column("form_stamp", sa.String(length=32), nullable=True))
        batch.create_unique_constraint("uq_enquiry_form_stamp", ["form_stamp"])


def downgrade() -> None:
    with op.batch_alter_table("enquiry") as batch:
        batch.drop_constraint("uq_enquiry_form_stamp", type_="unique")
        batch.drop_column("form_stamp")
    op.drop_index("ix_held_cv_created_at", table_name="held_cv")
    op.drop_table("held_cv")
