"""the channels a follow-up belongs to (decided in, logged in), for a channel's own digest

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_in', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('logged_in', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_followups_decided_in', ['team_id', 'decided_in', 'status'], unique=False)
        batch_op.create_index('ix_followups_logged_in', ['team_id', 'logged_in', 'status'], unique=False)
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidates_decision_id'), ['decision_id'], unique=False)
    # Follow-ups recorded before this revision: where their decision was posted, where their round was logged.
    op.execute(
        "UPDATE followups SET "
        "decided_in = (SELECT decisions.channel_id FROM candidates JOIN decisions "
        "ON decisions.id = candidates.decision_id WHERE candidates.id = followups.candidate_id), "
        "logged_in = (SELECT rounds.channel_id FROM candidates JOIN rounds "
        "ON rounds.id = candidates.round_id WHERE candidates.id = followups.candidate_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidates_decision_id'))
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_logged_in')
        batch_op.drop_index('ix_followups_decided_in')
        batch_op.drop_column('logged_in')
        batch_op.drop_column('decided_in')
