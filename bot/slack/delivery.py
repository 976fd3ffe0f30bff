"""What Slack's answer to a post means for it: try again later (when, per follow-up), or never.

A post that fails is one of three things:
- **unreachable**: Slack will never deliver a DM to that person (no such user, a deactivated account, a
  bot...). Retrying cannot help; someone has to pick another manager.
- **rate limited** (429): try again after Retry-After, and post nothing else to that workspace until then.
- **anything else** (a 5xx, a timeout, an error answer not listed here): try again after a back-off that
  doubles with each failure in a row, up to an hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.errors import SlackApiError

# Slack's errors that mean the person can never receive a DM from the bot, and what to tell an admin.
UNREACHABLE = {
    "user_not_found": "Slack has no such user (the account may have been deleted)",
    "users_not_found": "Slack has no such user (the account may have been deleted)",
    "account_inactive": "their Slack account is deactivated",
    "cannot_dm_bot": "that user is a bot, and bots can't receive DMs",
    "channel_not_found": "Slack can't open a DM with them (they may have left the workspace)",
    "not_in_channel": "the bot isn't allowed into a DM with them",
    "is_archived": "their DM with the bot is archived",
}
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


@dataclass(frozen=True)
class Failure:
    error: str  # Slack's error code, or the exception's name: safe to log
    unreachable: bool  # never retry: the person cannot be DMed
    retry_after: float | None = None  # seconds Slack asked us to wait (a 429)
    unknown: bool = False  # no answer at all (a timeout): Slack may have posted it


def reason(error: str) -> str:
    """Why a DM cannot be delivered, in words for an admin."""
    return UNREACHABLE.get(error, "Slack refuses to deliver DMs to them")


def slack_error(error: Exception) -> str:
    """What went wrong, for logs and the database: Slack's error code, or the exception's type."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or f"http_{error.response.status_code}")
    return type(error).__name__


def failure(error: Exception) -> Failure:
    """What a post's exception (SlackApiError, or an OSError such as a timeout) means."""
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error") or f"http_{error.response.status_code}")
        retry_after = retry_after_of(error.response.headers) if error.response.status_code == 429 else None
        return Failure(code, code in UNREACHABLE, retry_after)
    return Failure(type(error).__name__, False, unknown=True)


def retry_after_of(headers: Mapping[str, object] | None) -> float:
    """Retry-After in seconds (a 429 without one: a second)."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(0.0, float(str(raw)))
            except ValueError:
                break
    return 1.0


def backoff(failures: int, retry_after: float | None = None) -> timedelta:
    """How long to leave a follow-up alone after its `failures`-th failure in a row: 30 s, 1 min, 2 min...
    up to an hour, and never sooner than Slack's Retry-After."""
    delay: timedelta = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** min(max(failures, 1) - 1, 20))  # 2 ** int: Any
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay
