"""an ATS decision has no Slack message: decisions.message_ts may be NULL, and is for the ATS rows

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('message_ts', existing_type=sa.String(length=64), nullable=True)
    # ATS decisions recorded before this revision carry their delivery's id as a stand-in ts
    op.execute("UPDATE decisions SET message_ts = NULL WHERE source <> 'slack' AND external_id IS NOT NULL "
               "AND channel_id = ''")


def downgrade() -> None:
    op.execute("UPDATE decisions SET message_ts = 'ats-' || CAST(id AS VARCHAR(20)) WHERE message_ts IS NULL")
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('message_ts', existing_type=sa.String(length=64), nullable=False)
