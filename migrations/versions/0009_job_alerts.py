"""Job alerts: subscriptions and their categories, the positions the site saw open, the alert
mails with the positions each announces (once per subscription, by the database's keys), the
alerts' running totals, and when the check last began.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TOTAL_NAMES = (
    "alerts_sent",
    "alerts_failed",
    "confirmations_sent",
    "subscriptions_confirmed",
    "subscriptions_suspended",
    "unsubscribed",
)


def upgrade() -> None:
    op.create_table(
        "alert_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("transport_email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("consented_at", sa.DateTime(), nullable=False),
        sa.Column("consent_wording", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmations_day", sa.Date(), nullable=True),
        sa.Column("confirmations_sent", sa.Integer(), nullable=False),
        sa.Column("confirmation_due_at", sa.DateTime(), nullable=True),
        sa.Column("suspended_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
        sa.UniqueConstraint("secret"),
    )
    for column in ("asked_at", "confirmation_due_at", "state"):
        op.create_index(f"ix_alert_subscription_{column}", "alert_subscription", [column])
    op.create_table(
        "alert_subscription_category",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["alert_subscription.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subscription_id", "category"),
    )
    op.create_index(
        "ix_alert_subscription_category_category", "alert_subscription_category", ["category"]
    )
    op.create_table(
        "alert_position",
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.create_table(
        "alert_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["alert_subscription.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "day"),
    )
    op.create_index("ix_alert_mail_due_at", "alert_mail", ["due_at"])
    op.create_table(
        "alert_mail_position",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("position_slug", sa.String(length=100), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["mail_id"], ["alert_mail.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscription_id"], ["alert_subscription.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subscription_id", "position_slug"),
    )
    op.create_index("ix_alert_mail_position_mail_id", "alert_mail_position", ["mail_id"])
    total = op.create_table(
        "alert_total",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(total, [{"name": name, "value": 0} for name in TOTAL_NAMES])
    op.create_table(
        "alert_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("alert_check")
    op.drop_table("alert_total")
    op.drop_index("ix_alert_mail_position_mail_id", table_name="alert_mail_position")
    op.drop_table("alert_mail_position")
    op.drop_index("ix_alert_mail_due_at", table_name="alert_mail")
    op.drop_table("alert_mail")
    op.drop_table("alert_position")
    op.drop_index(
        "ix_alert_subscription_category_category", table_name="alert_subscription_category"
    )
    op.drop_table("alert_subscription_category")
    for column in ("asked_at", "confirmation_due_at", "state"):
        op.drop_index(f"ix_alert_subscription_{column}", table_name="alert_subscription")
    op.drop_table("alert_subscription")
