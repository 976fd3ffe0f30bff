"""`/interview-round`: log a round (text or modal), pending, digest (now, or daily/weekly/off), forget,
channel-manager (the channel's default manager for decisions apps post), help.

What only reads answers in the acknowledgement, through the engine that gives up on a lock within a second.
What writes (a round, a channel's digest or hiring manager) is acknowledged at once ("⏳ Logging …"), saved
after (bot.followups.saving: again while the database is busy, for a few seconds), and its outcome told through the
command's response_url: Slack's three seconds never decide whether the user hears "failed" for what was
saved."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.deps import Deps, before_ack
from bot.domain.errors import NotAllowed
from bot.domain.rounds import COMMAND, HELP_TEXT, RoundParseError, parse_round
from bot.domain.slack_text import escape, unescape
from bot.followups import actions as followups
from bot.followups import digests, nudges, privacy, recording, saving
from bot.followups.saving import is_busy
from bot.slack import blocks, metadata
from bot.slack.messages import BUSY, GENERIC_ERROR, UNSURE
from bot.slack.payloads import team_id_of

logger = logging.getLogger(__name__)
PENDING_SHOWN = 40
EVERYONE_REFUSED = (
    "The digest of everyone's follow-ups names every open candidate, so it goes only to the digest channel "
    f"and to Persona Grata admins (ADMIN_USERS). `{COMMAND} digest` shows the follow-ups decided or logged "
    "in this channel."
)
RETRIES = [ConnectionErrorRetryHandler(max_retry_count=1), RateLimitErrorRetryHandler(max_retry_count=2),
           ServerErrorRetryHandler(max_retry_count=2)]


def subscription_reply(frequency: str | None, channel_id: str, cron: str, tz: str) -> str:
    if frequency is None:
        return f"🔕 <#{channel_id}> won't get scheduled digests any more. `{COMMAND} digest` still posts one now."
    when = digests.daily_cron(cron) if frequency == "daily" else cron
    return (f"🗓️ <#{channel_id}> will get a {frequency} digest of the open candidate follow-ups decided or logged "
            f"in it (cron `{when}`, {tz}). `{COMMAND} digest off` stops it.")


def register(app: App, deps: Deps) -> None:
    app.command(COMMAND)(partial(handle_interview_round, deps))


@dataclass(frozen=True)
class Typed:
    """One `/interview-round` as typed, with what answers it: what every subcommand is given."""

    command: dict[str, Any]
    ack: Ack
    respond: Respond
    client: WebClient

    @property
    def text(self) -> str:
        return str(self.command.get("text") or "").strip()

    @property
    def words(self) -> list[str]:
        return unescape(self.text).lower().split()

    @property
    def team_id(self) -> str:
        return team_id_of(self.command)

    @property
    def user_id(self) -> str:
        return str(self.command.get("user_id"))

    @property
    def channel_id(self) -> str:
        return str(self.command.get("channel_id"))


def handle_interview_round(deps: Deps, ack: Ack, command: dict[str, Any], respond: Respond,
                           client: WebClient) -> None:
    """Reads answer in the acknowledgement. Writes are acknowledged first ("⏳ …"), then saved, and their
    outcome is told through the response_url (bot.followups.saving): a write can take longer than Slack's 3 s,
    and nobody is told "failed" for what was saved, nor the reverse. A database too busy to read in time
    changes nothing, and the user is told so."""
    typed = Typed(command, ack, respond, client)
    try:
        subcommand(typed.words)(deps, typed)
    except Exception as error:
        if not is_busy(error):
            raise
        logger.warning("%s: the database is busy (%s); nothing done, the user was told", COMMAND,
                       type(error).__name__)
        if ack.response is None:
            ack(text=BUSY)
        else:
            respond(text=BUSY, response_type="ephemeral", replace_original=False)


def subcommand(words: list[str]) -> Callable[[Deps, Typed], None]:
    """What handles the command's words: no words open the round modal; a subcommand's first word, with no
    more words than it takes, picks it from SUBCOMMANDS; anything else is a round to log."""
    if not words:
        return open_round_modal
    most, run = SUBCOMMANDS.get(words[0], (None, log_round))
    return run if most is None or len(words) <= most else log_round


def open_round_modal(deps: Deps, typed: Typed) -> None:
    typed.ack()
    typed.client.views_open(trigger_id=typed.command["trigger_id"], view=blocks.round_modal(
        manager_id=typed.user_id, private_metadata=metadata.encode(c=typed.channel_id)))


def show_help(deps: Deps, typed: Typed) -> None:
    typed.ack(text=HELP_TEXT)


def show_pending(deps: Deps, typed: Typed) -> None:
    items, total = followups.pending(before_ack(deps), team_id=typed.team_id, manager_id=typed.user_id,
                                     limit=PENDING_SHOWN)
    message = blocks.pending_message(items, total, deps.clock(), nudges.overdue_after(deps))
    typed.ack(text=message["text"], blocks=message["blocks"])


def digest(deps: Deps, typed: Typed) -> None:
    """`digest` posts this channel's now; `digest all` shows everyone's to an admin; `digest daily|weekly|off`
    sets the channel's scheduled one."""
    choice = typed.words[1] if len(typed.words) == 2 else None
    if choice is None:
        typed.ack()
        message = digests.digest_message(deps, team_id=typed.team_id, channel_id=typed.channel_id, now=deps.clock())
        typed.respond(text=message["text"], blocks=message["blocks"], response_type="in_channel")
    elif choice == "all":
        digest_everyone(deps, typed)
    elif choice in (*digests.FREQUENCIES, "off"):
        subscribe(deps, typed, None if choice == "off" else choice)
    else:
        typed.ack(text=f"`{COMMAND} digest` posts this channel's follow-ups now; `{COMMAND} digest weekly`, "
                       f"`daily` or `off` sets this channel's scheduled digest; `{COMMAND} digest all` shows "
                       "everyone's to an admin.")


def digest_everyone(deps: Deps, typed: Typed) -> None:
    if typed.user_id not in deps.settings.admin_users:
        typed.ack(text=EVERYONE_REFUSED)
        return
    typed.ack()
    message = digests.digest_message(deps, team_id=typed.team_id, channel_id=typed.channel_id, now=deps.clock(),
                                     everyone=True)
    typed.respond(text=message["text"], blocks=message["blocks"], response_type="ephemeral")


def subscribe(deps: Deps, typed: Typed, frequency: str | None) -> None:
    typed.ack(text=f"⏳ Saving <#{typed.channel_id}>'s digest setting…")
    outcome = digests.subscribe(before_ack(deps), frequency, team_id=typed.team_id, channel_id=typed.channel_id,
                                user_id=typed.user_id, now=deps.clock())
    answer(deps, typed.command, outcome, {"text": subscription_reply(
        frequency, typed.channel_id, deps.settings.digest_cron, deps.settings.digest_tz)})


def channel_manager(deps: Deps, typed: Typed) -> None:
    """`channel-manager` shows the channel's hiring manager for decisions apps post; with @someone, sets it."""
    quick = before_ack(deps)
    argument = " ".join(typed.text.split()[1:])
    if not argument.strip():
        typed.ack(text=recording.show_channel_manager(quick, team_id=typed.team_id, channel_id=typed.channel_id))
        return
    manager_id = recording.wanted_channel_manager(argument)
    if manager_id is None:
        typed.ack(text=f"I need one person, mentioned with @. {recording.CHANNEL_MANAGER_USAGE}")
        return
    typed.ack(text=f"⏳ Saving <#{typed.channel_id}>'s hiring manager…")
    try:
        outcome, done = recording.set_channel_manager(quick, manager_id, team_id=typed.team_id,
                                                      channel_id=typed.channel_id, user_id=typed.user_id,
                                                      now=deps.clock())
    except NotAllowed as refusal:
        answer(deps, typed.command, None, {"text": str(refusal)})
        return
    answer(deps, typed.command, outcome, {"text": done})


def forget(deps: Deps, typed: Typed) -> None:
    """`forget NAME`: the candidates of that name the user may erase, each with its Erase button."""
    name = unescape(typed.text).split(maxsplit=1)[1].strip() if len(typed.words) > 1 else ""
    if not name:
        typed.ack(text=f"Whom should I forget? `{COMMAND} forget Omar Haddad` erases that candidate's record.")
        return
    try:
        matches = privacy.forget_matches(before_ack(deps), team_id=typed.team_id, actor=typed.user_id, name=name)
    except NotAllowed as error:
        typed.ack(text=str(error))
        return
    if not matches:
        typed.ack(text=f"I have no record of anyone called *{escape(name)}*. Nothing to erase.")
        return
    prompt = blocks.forget_prompt(matches)
    typed.ack(text=prompt["text"], blocks=prompt["blocks"])


def log_round(deps: Deps, typed: Typed) -> None:
    """`ROLE: Name (stage), …`: acknowledged at once, saved after, the outcome told through the response_url."""
    try:
        spec = parse_round(typed.text)
    except RoundParseError as error:
        typed.ack(text=str(error))
        return
    typed.ack(text=f"⏳ Logging *{escape(spec.role)}*…")
    outcome = recording.log_command_round(before_ack(deps), spec, team_id=typed.team_id, user_id=typed.user_id,
                                          channel_id=typed.channel_id, now=deps.clock())
    answer(deps, typed.command, outcome, blocks.round_confirmation(
        spec.role, [c.name for c in spec.candidates], [c.stage for c in spec.candidates],
        spec.manager_id or typed.user_id, typed.user_id, findings=recording.strengths_findings(spec),
    ))


# first word -> (the most words it takes, None: any; what handles it). Other words log a round.
SUBCOMMANDS: dict[str, tuple[int | None, Callable[[Deps, Typed], None]]] = {
    "help": (1, show_help),
    "?": (1, show_help),
    "pending": (1, show_pending),
    "digest": (2, digest),
    "channel-manager": (None, channel_manager),
    "forget": (None, forget),
}


def answer(deps: Deps, command: dict[str, Any], outcome: saving.Outcome[Any] | None, saved: dict[str, Any]) -> None:
    """Tell whoever typed the command how its write went, through the command's response_url (retried on 429
    and 5xx), else by DM: `saved` when it was (or when there is no `outcome`, just something to say), else
    that nothing was saved, or, when that cannot be known, that it may have been."""
    status = saving.SAVED if outcome is None else outcome.status
    failed = {saving.BUSY: BUSY, saving.FAILED: GENERIC_ERROR, saving.UNKNOWN: UNSURE}
    message: dict[str, Any] = saved if status == saving.SAVED else {"text": failed[status]}
    url = str(command.get("response_url") or "")
    try:
        if url:
            response = WebhookClient(url, timeout=10, retry_handlers=RETRIES).send(
                text=message["text"], blocks=message.get("blocks"), response_type="ephemeral",
                replace_original=False)
            if response.status_code == 200:
                return
            why = f"http_{response.status_code}"
        else:
            why = "no response_url"
    except Exception as error:  # unreachable, timed out: the DM below
        why = type(error).__name__
    user_id = str(command.get("user_id"))
    try:
        deps.client.chat_postMessage(channel=user_id, text=message["text"], blocks=message.get("blocks"))
        logger.warning("%s: the response_url failed (%s); user=%s was told by DM", COMMAND, why, user_id)
    except Exception as error:
        logger.error("%s: user=%s could not be told how their command went (response_url: %s, DM: %s)", COMMAND,
                     user_id, why, type(error).__name__)
