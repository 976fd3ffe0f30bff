"""decisions have a source (slack, greenhouse, ...) and an id within it (an ATS application)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='slack', nullable=False))
        batch_op.add_column(sa.Column('external_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('external_id')
        batch_op.drop_column('source')
