"""decisions without a role; channel default managers; bot users remembered as such

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=200), nullable=True)
        batch_op.alter_column('role_key', existing_type=sa.String(length=200), nullable=True)
    with op.batch_alter_table('managers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_bot', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('channel_managers',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('manager_id', sa.String(length=32), nullable=False),
    sa.Column('set_by', sa.String(length=32), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'channel_id', name=op.f('pk_channel_managers'))
    )


def downgrade() -> None:
    op.drop_table('channel_managers')
    with op.batch_alter_table('managers', schema=None) as batch_op:
        batch_op.drop_column('is_bot')
    op.execute("DELETE FROM rounds WHERE role IS NULL")
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.alter_column('role_key', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('role', existing_type=sa.String(length=200), nullable=False)
