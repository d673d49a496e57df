"""Researcher pages: transfer submissions (saved before the upstream call) and tracked tasks.

Revision ID: 0002_transfer_submissions
Revises: 0001_portal_core
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_transfer_submissions"
down_revision = "0001_portal_core"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "transfer_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("form_token", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_transfer_submissions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_submissions")),
        sa.UniqueConstraint("user_id", "form_token", name=op.f("uq_transfer_submissions_user_id_form_token")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_transfer_submissions_submission_id")),
    )
    op.create_index(op.f("ix_transfer_submissions_user_id"), "transfer_submissions", ["user_id"], unique=False)
    op.create_index(op.f("ix_transfer_submissions_task_id"), "transfer_submissions", ["task_id"], unique=False)

    op.create_table(
        "tracked_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=True),
        sa.Column("source_collection_id", sa.String(length=64), nullable=True),
        sa.Column("destination_collection_id", sa.String(length=64), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("resubmitted_from", sa.String(length=64), nullable=True),
        sa.Column("last_status", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status_checked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_tracked_tasks_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["transfer_submissions.id"],
            name=op.f("fk_tracked_tasks_submission_id_transfer_submissions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracked_tasks")),
        sa.UniqueConstraint("task_id", name=op.f("uq_tracked_tasks_task_id")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_tracked_tasks_submission_id")),
    )
    op.create_index(op.f("ix_tracked_tasks_user_id"), "tracked_tasks", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_tracked_tasks_user_id"), table_name="tracked_tasks")
    op.drop_table("tracked_tasks")
    op.drop_index(op.f("ix_transfer_submissions_task_id"), table_name="transfer_submissions")
    op.drop_index(op.f("ix_transfer_submissions_user_id"), table_name="transfer_submissions")
    op.drop_table("transfer_submissions")
