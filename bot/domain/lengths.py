"""How long a value may be: the widths of the database's text columns, as plain numbers.

They live in the domain, not in storage/models.py, so the parsers and builders that check a value before it
is saved need not import storage (tests/test_layers.py); storage imports them from here.
"""

# The one place for lengths. storage/models.py declares its columns with them, and the edge checks what
# people type and what Slack sends against them (bot/domain/rounds.py, bot/followups/recording.py,
# bot/slack/payloads.py), so an oversized value is refused with a message naming the field and its
# limit, on SQLite (which ignores VARCHAR lengths) exactly as on PostgreSQL.
SLACK_ID_LENGTH = 64  # team, user, channel, bot and event ids, message timestamps: Slack's are 9-17 today
ROLE_LENGTH = 200
NAME_LENGTH = 200
EMAIL_LENGTH = 320
STAGE_LENGTH = 100
SKIP_REASON_LENGTH = 500
DISPLAY_NAME_LENGTH = 200  # a manager's name, from users.info
TZ_LENGTH = 64  # an IANA time zone name, from users.info
