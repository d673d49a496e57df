"""Sessions know their user, so "log out of all my sessions" can end every one of them.

Revision ID: 0003_session_owner
Revises: 0002_transfer_submissions
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_session_owner"
down_revision = "0002_transfer_submissions"
branch_labels = None
depends_on = None


def upgrade():
    # Stored session ids are now keyed hashes of the cookie's id: rows keyed by raw ids can never
    # be found again, so they are dropped (everyone logs in once more after this upgrade).
    op.execute("DELETE FROM sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index(batch.f("ix_sessions_user_id"))
        batch.drop_column("user_id")
