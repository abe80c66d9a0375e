"""An enquiry carries several documents and the answers to its position's questions.

Each enquiry's CV moves from its own columns to a row of enquiry_document (key "cv"), with the
professor's first mail as the one that carried it; the enquiry gains its answers. The documents
held for forms shown again gain their size and digest (for the duplicate check), under a new
name: the tokens that forms in use carry still find them.

Downgrading keeps each enquiry's CV and drops its other documents and its answers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

enquiry = sa.table(
    "enquiry",
    sa.column("id", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("notified_at", sa.DateTime),
    sa.column("cv_filename", sa.String),
    sa.column("cv_size", sa.Integer),
    sa.column("cv_data", sa.LargeBinary),
)
enquiry_document = sa.table(
    "enquiry_document",
    sa.column("enquiry_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("label", sa.String),
    sa.column("filename", sa.String),
    sa.column("size", sa.Integer),
    sa.column("data", sa.LargeBinary),
    sa.column("added_at", sa.DateTime),
    sa.column("added_later", sa.Boolean),
    sa.column("mail_number", sa.Integer),
    sa.column("mail_sent_at", sa.DateTime),
)
held_cv = sa.table(
    "held_cv",
    sa.column("id", sa.String),
    sa.column("filename", sa.String),
    sa.column("data", sa.LargeBinary),
    sa.column("created_at", sa.DateTime),
)
held_document = sa.table(
    "held_document",
    sa.column("id", sa.String),
    sa.column("filename", sa.String),
    sa.column("data", sa.LargeBinary),
    sa.column("size", sa.Integer),
    sa.column("digest", sa.String),
    sa.column("created_at", sa.DateTime),
)


def upgrade() -> None:
    op.create_table(
        "enquiry_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enquiry_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_later", sa.Boolean(), nullable=False),
        sa.Column("mail_number", sa.Integer(), nullable=True),
        sa.Column("mail_sent_at", sa.DateTime(), nullable=True),
        sa.Column("applicant_told_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["enquiry_id"], ["enquiry.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enquiry_id", "key"),
    )
    # In the database, row by row: no CV passes through this process.
    op.execute(
        sa.insert(enquiry_document).from_select(
            [
                "enquiry_id", "key", "label", "filename", "size", "data", "added_at",
                "added_later", "mail_number", "mail_sent_at",
            ],
            sa.select(
                enquiry.c.id,
                sa.literal("cv"),
                sa.literal("CV"),
                sa.func.coalesce(enquiry.c.cv_filename, "cv.pdf"),
                sa.func.coalesce(enquiry.c.cv_size, sa.func.length(enquiry.c.cv_data)),
                enquiry.c.cv_data,
                enquiry.c.created_at,
                sa.false(),
                sa.literal(1),
                enquiry.c.notified_at,
            ).where(enquiry.c.cv_data.is_not(None)),
        )
    )  # fmt: skip
    with op.batch_alter_table("enquiry") as batch:
        batch.add_column(sa.Column("answers", sa.JSON(), server_default="[]", nullable=False))
        batch.drop_column("cv_filename")
        batch.drop_column("cv_size")
        batch.drop_column("cv_data")

    op.create_table(
        "held_document",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_held_document_created_at", "held_document", ["created_at"])
    connection = op.get_bind()
    # One held CV at a time in this process: the digest is computed here.
    for (held_id,) in connection.execute(sa.select(held_cv.c.id)).all():
        row = connection.execute(sa.select(held_cv).where(held_cv.c.id == held_id)).one()
        connection.execute(
            sa.insert(held_document).values(
                id=row.id,
                filename=row.filename,
                data=row.data,
                size=len(row.data),
                digest=hashlib.sha256(row.data).hexdigest(),
                created_at=row.created_at,
            )
        )
    op.drop_index("ix_held_cv_created_at", table_name="held_cv")
    op.drop_table("held_cv")


def downgrade() -> None:
    op.create_table(
        "held_cv",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_held_cv_created_at", "held_cv", ["created_at"], unique=False)
    op.execute(
        sa.insert(held_cv).from_select(
            ["id", "filename", "data", "created_at"],
            sa.select(
                held_document.c.id,
                held_document.c.filename,
                held_document.c.data,
                held_document.c.created_at,
            ),
        )
    )
    op.drop_index("ix_held_document_created_at", table_name="held_document")
    op.drop_table("held_document")

    with op.batch_alter_table("enquiry") as batch:
        batch.add_column(sa.Column("cv_filename", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("cv_size", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cv_data", sa.LargeBinary(), nullable=True))
        batch.drop_column("answers")
    cv = sa.select(enquiry_document).where(
        enquiry_document.c.enquiry_id == enquiry.c.id, enquiry_document.c.key == "cv"
    )
    op.execute(
        sa.update(enquiry).values(
            cv_filename=cv.with_only_columns(enquiry_document.c.filename).scalar_subquery(),
            cv_size=cv.with_only_columns(enquiry_document.c.size).scalar_subquery(),
            cv_data=cv.with_only_columns(enquiry_document.c.data).scalar_subquery(),
        )
    )
    op.drop_table("enquiry_document")
