"""When an enquiry failed for good and when its applicant was told; the total of resent copies.

Enquiries that had failed before this revision kept no time of their failure. They are given
the time of the upgrade: their applicants are told a day after it (ENQUIRY_FAILURE_NOTICE_AFTER),
unless the operator resends them first, as for any enquiry that fails from now on. Nothing
tells an applicant at once about a failure that may be months old and handled since.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

enquiry = sa.table(
    "enquiry",
    sa.column("status", sa.String),
    sa.column("failed_at", sa.DateTime),
)
running_total = sa.table(
    "running_total",
    sa.column("name", sa.String),
    sa.column("value", sa.Float),
)


def upgrade() -> None:
    with op.batch_alter_table("enquiry") as batch:
        batch.add_column(sa.Column("failed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("applicant_told_of_failure_at", sa.DateTime(), nullable=True))
    # Naive UTC, as every time the site stores.
    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(enquiry.update().where(enquiry.c.status == "failed").values(failed_at=now))
    # Until now a resent copy was never sent at all (it was counted as sent, wrongly).
    op.bulk_insert(running_total, [{"name": "resent", "value": 0.0}])


def downgrade() -> None:
    op.execute(running_total.delete().where(running_total.c.name == "resent"))
    with op.batch_alter_table("enquiry") as batch:
        batch.drop_column("applicant_told_of_failure_at")
        batch.drop_column("failed_at")
