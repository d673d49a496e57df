"""Automations: recurring syncs with their schedule, runs (or skips) and each run's steps.

Revision ID: 0005_automations
Revises: 0004_worker
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_automations"
down_revision = "0004_worker"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "automations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_collection_id", sa.String(length=64), nullable=False),
        sa.Column("source_path", sa.String(length=1024), nullable=False),
        sa.Column("destination_collection_id", sa.String(length=64), nullable=False),
        sa.Column("destination_path", sa.String(length=1024), nullable=False),
        sa.Column("transfer_options", sa.JSON(), nullable=False),
        sa.Column("label_template", sa.String(length=128), nullable=False),
        sa.Column("follow_ups", sa.JSON(), nullable=False),
        sa.Column("schedule_preset", sa.String(length=16), nullable=False),
        sa.Column("schedule_fields", sa.JSON(), nullable=False),
        sa.Column("cron", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("max_runs", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paused_reason", sa.String(length=255), nullable=True),
        sa.Column("paused_for_tokens", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("runs_count", sa.Integer(), nullable=False),
        sa.Column("claim_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_automations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automations")),
    )
    op.create_index(op.f("ix_automations_user_id"), "automations", ["user_id"], unique=False)
    op.create_index(op.f("ix_automations_next_run_at"), "automations", ["next_run_at"], unique=False)

    op.create_table(
        "automation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("automation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("claim_key", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("skip_reason", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("bytes_transferred", sa.BigInteger(), nullable=True),
        sa.Column("files_transferred", sa.Integer(), nullable=True),
        sa.Column("files_skipped", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["automation_id"], ["automations.id"],
            name=op.f("fk_automation_runs_automation_id_automations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_automation_runs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_runs")),
        sa.UniqueConstraint("automation_id", "claim_key", name=op.f("uq_automation_runs_automation_id_claim_key")),
    )
    op.create_index(op.f("ix_automation_runs_automation_id"), "automation_runs", ["automation_id"], unique=False)
    op.create_index(op.f("ix_automation_runs_user_id"), "automation_runs", ["user_id"], unique=False)
    op.create_index(op.f("ix_automation_runs_status"), "automation_runs", ["status"], unique=False)

    op.create_table(
        "automation_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("step_type", sa.String(length=32), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("form_token", sa.String(length=64), nullable=True),
        sa.Column("submission_id", sa.String(length=64), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["automation_runs.id"], name=op.f("fk_automation_steps_run_id_automation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_steps")),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_automation_steps_run_id_position")),
    )
    op.create_index(op.f("ix_automation_steps_run_id"), "automation_steps", ["run_id"], unique=False)
    op.create_index(op.f("ix_automation_steps_task_id"), "automation_steps", ["task_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_automation_steps_task_id"), table_name="automation_steps")
    op.drop_index(op.f("ix_automation_steps_run_id"), table_name="automation_steps")
    op.drop_table("automation_steps")
    op.drop_index(op.f("ix_automation_runs_status"), table_name="automation_runs")
    op.drop_index(op.f("ix_automation_runs_user_id"), table_name="automation_runs")
    op.drop_index(op.f("ix_automation_runs_automation_id"), table_name="automation_runs")
    op.drop_table("automation_runs")
    op.drop_index(op.f("ix_automations_next_run_at"), table_name="automations")
    op.drop_index(op.f("ix_automations_user_id"), table_name="automations")
    op.drop_table("automations")
