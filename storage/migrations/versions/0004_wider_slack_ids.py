"""Slack's ids and message timestamps in columns of 64 characters (were 32)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 10:00:00.000000

A team id of 33 characters failed every write on PostgreSQL (503, and Slack retried for ever). The edge
now refuses ids longer than storage.models.SLACK_ID_LENGTH with 400; these columns hold every id it lets
through. On SQLite VARCHAR lengths are not enforced, so nothing is rebuilt there (migrations/env.py
compares String columns without their length on SQLite).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = 32, 64
COLUMNS = {
    'rounds': ('team_id', 'manager_id', 'channel_id', 'source_ts', 'created_by'),
    'decisions': ('team_id', 'channel_id', 'message_ts', 'author_id', 'reply_ts'),
    'candidates': ('team_id',),
    'followups': ('team_id', 'manager_id', 'created_by', 'last_nudge_channel', 'last_nudge_ts', 'closed_by'),
    'nudges': ('channel_id', 'ts'),
    'processed_events': ('team_id',),
    'inbox': ('team_id',),
    'digest_runs': ('team_id', 'channel_id', 'ts'),
    'digest_subscriptions': ('team_id', 'channel_id', 'created_by'),
    'workspaces': ('team_id',),
    'managers': ('team_id', 'user_id'),
    'channel_managers': ('team_id', 'channel_id', 'manager_id', 'set_by'),
}


def _resize(old: int, new: int) -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, existing_type=sa.String(length=old), type_=sa.String(length=new))


def upgrade() -> None:
    _resize(OLD, NEW)


def downgrade() -> None:
    _resize(NEW, OLD)
