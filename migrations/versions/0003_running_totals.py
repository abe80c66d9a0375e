"""Running totals for monitoring: counts that purging enquiries does not take back.

Each starts from the enquiries still stored when this runs; those purged before are not known.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

enquiry = sa.table(
    "enquiry",
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
)

# The names in openpositions/enquiries/totals.py, as they were when this revision was written.
TRAPS = ("honeypot", "too_fast")


def upgrade() -> None:
    running_total = op.create_table(
        "running_total",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    connection = op.get_bind()

    def count(*conditions: sa.ColumnElement[bool]) -> float:
        query = sa.select(sa.func.count()).select_from(enquiry).where(*conditions)
        return float(connection.execute(query).scalar_one())

    attempts = connection.execute(sa.select(sa.func.sum(enquiry.c.attempts))).scalar_one()
    starting = {
        "accepted": count(),
        "sent": count(enquiry.c.status == "sent"),
        "failed": count(enquiry.c.status == "failed"),
        "delivery_attempts": float(attempts or 0),
        # No time was measured before: the sum and count of send times start at zero together.
        "send_seconds": 0.0,
        "sends_timed": 0.0,
        **{f"spam_{trap}": 0.0 for trap in TRAPS},
    }
    op.bulk_insert(running_total, [{"name": n, "value": v} for n, v in starting.items()])


def downgrade() -> None:
    op.drop_table("running_total")
