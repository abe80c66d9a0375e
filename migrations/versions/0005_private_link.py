"""A secret per enquiry that its private link is signed over; the total of withdrawn enquiries.

Enquiries stored before this revision get a secret too, although their receipts went out
without a link: every row then has one, and the column can be required.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-15
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

enquiry = sa.table(
    "enquiry",
    sa.column("id", sa.Integer),
    sa.column("private_link_secret", sa.String),
)
running_total = sa.table(
    "running_total",
    sa.column("name", sa.String),
    sa.column("value", sa.Float),
)


def upgrade() -> None:
    with op.batch_alter_table("enquiry") as batch:
        batch.add_column(sa.Column("private_link_secret", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for (enquiry_id,) in connection.execute(sa.select(enquiry.c.id)).all():
        connection.execute(
            enquiry.update()
            .where(enquiry.c.id == enquiry_id)
            .values(private_link_secret=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("enquiry") as batch:
        batch.alter_column("private_link_secret", nullable=False)
    # No enquiry was withdrawn before there was a way to withdraw one.
    op.bulk_insert(running_total, [{"name": "withdrawn", "value": 0.0}])


def downgrade() -> None:
    op.execute(running_total.delete().where(running_total.c.name == "withdrawn"))
    with op.batch_alter_table("enquiry") as batch:
        batch.drop_column("private_link_secret")
