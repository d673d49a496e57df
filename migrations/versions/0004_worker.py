"""The background worker: task watching columns, token health, notifications and their settings.

Revision ID: 0004_worker
Revises: 0003_session_owner
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_worker"
down_revision = "0003_session_owner"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tracked_tasks") as batch:
        batch.add_column(sa.Column("next_check_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("poll_claim", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("poll_failures", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("pause_notified", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("faults_notified", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("ended_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_tracked_tasks_next_check_at"), ["next_check_at"], unique=False)
    # Tasks submitted before the worker existed and not known to have ended are watched from now on.
    op.execute(
        "UPDATE tracked_tasks SET next_check_at = CURRENT_TIMESTAMP "
        "WHERE last_status IS NULL OR last_status IN ('ACTIVE', 'INACTIVE')"
    )

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("tokens_dead_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("tokens_dead_reason", sa.String(length=255), nullable=True))

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("email_status", sa.String(length=16), server_default="none", nullable=False),
        sa.Column("email_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("email_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.create_index(batch.f("ix_notifications_user_id"), ["user_id"], unique=False)
        batch.create_index("ix_notifications_user_id_read_at", ["user_id", "read_at"], unique=False)

    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email_kinds", sa.JSON(), nullable=False),
        sa.Column("globus_emails", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_settings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_settings")),
    )


def downgrade():
    op.drop_table("notification_settings")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_user_id_read_at")
        batch.drop_index(batch.f("ix_notifications_user_id"))
    op.drop_table("notifications")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("tokens_dead_reason")
        batch.drop_column("tokens_dead_at")
    with op.batch_alter_table("tracked_tasks") as batch:
        batch.drop_index(batch.f("ix_tracked_tasks_next_check_at"))
        batch.drop_column("ended_at")
        batch.drop_column("faults_notified")
        batch.drop_column("pause_notified")
        batch.drop_column("poll_failures")
        batch.drop_column("poll_claim")
        batch.drop_column("next_check_at")
