"""The address each enquiry's mail travels to, stored when it is accepted; and when the
operator was told that it waits too long.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

enquiry = sa.table(
    "enquiry",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("transport_email", sa.String),
)


def ascii_form(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).ascii_email or email
    except EmailNotValidError:
        return email


def upgrade() -> None:
    with op.batch_alter_table("enquiry") as batch:
        batch.add_column(sa.Column("transport_email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("overdue_alerted_at", sa.DateTime(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(enquiry.c.id, enquiry.c.email)).all():
        connection.execute(
            enquiry.update()
            .where(enquiry.c.id == row.id)
            .values(transport_email=ascii_form(row.email))
        )
    with op.batch_alter_table("enquiry") as batch:
        batch.alter_column("transport_email", nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("enquiry") as batch:
        batch.drop_column("overdue_alerted_at")
        batch.drop_column("transport_email")
