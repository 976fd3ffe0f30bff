"""`/interview-round`: log a round (text or modal), pending, digest (now, or daily/weekly/off), forget,
channel-manager (the channel's default manager for decisions apps post), help.

What only reads answers in the acknowledgement, through the engine that gives up on a lock within a second.
What writes (a round, a channel's digest or hiring manager) is acknowledged at once ("⏳ Logging …"), saved
after (bot.followups.saving: again while the database is busy, for a few seconds), and its outcome told through the
command's response_url: Slack's three seconds never decide whether the user hears "failed" for what was
saved."""

from __future__ import annotations

import json
import logging
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
from bot.domain.rounds import HELP_TEXT, RoundParseError, parse_round
from bot.domain.slack_text import escape, unescape
from bot.followups import actions as followups
from bot.followups import digests, nudges, privacy, recording, saving
from bot.followups.saving import is_busy
from bot.slack import blocks
from bot.slack.messages import BUSY, GENERIC_ERROR, UNSURE

logger = logging.getLogger(__name__)
COMMAND = "/interview-round"
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
    quick = before_ack(deps)  # what is read before ack() gives up on a locked database within Slack's 3 s

    def handle_interview_round(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        try:
            interview_round(ack, command, respond, client)
        except Exception as error:
            if not is_busy(error):
                raise
            logger.warning("%s: the database is busy (%s); nothing done, the user was told", COMMAND,
                           type(error).__name__)
            if ack.response is None:
                ack(text=BUSY)
            else:
                respond(text=BUSY, response_type="ephemeral", replace_original=False)

    def interview_round(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """Reads answer in the acknowledgement. Writes are acknowledged first ("⏳ …"), then saved, and their
        outcome is told through the response_url (bot.followups.saving): a write can take longer than Slack's 3 s, and
        nobody is told "failed" for what was saved, nor the reverse."""
        text = (command.get("text") or "").strip()
        words = unescape(text).lower().split()
        team_id = str(command.get("team_id"))
        user_id = str(command.get("user_id"))
        channel_id = str(command.get("channel_id"))
        now = deps.clock()
        if not words:
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=blocks.round_modal(
                manager_id=user_id, private_metadata=json.dumps({"c": channel_id})))
            return
        if words[0] in ("help", "?") and len(words) == 1:
            ack(text=HELP_TEXT)
            return
        if words == ["pending"]:
            items, total = followups.pending(quick, team_id=team_id, manager_id=user_id, limit=PENDING_SHOWN)
            message = blocks.pending_message(items, total, now, nudges.overdue_after(deps))
            ack(text=message["text"], blocks=message["blocks"])
            return
        if words[0] == "digest" and len(words) <= 2:
            choice = words[1] if len(words) == 2 else None
            if choice is None:
                ack()
                message = digests.digest_message(deps, team_id=team_id, channel_id=channel_id, now=now)
                respond(text=message["text"], blocks=message["blocks"], response_type="in_channel")
                return
            if choice == "all":
                if user_id not in deps.settings.admin_users:
                    ack(text=EVERYONE_REFUSED)
                    return
                ack()
                message = digests.digest_message(deps, team_id=team_id, channel_id=channel_id, now=now,
                                                 everyone=True)
                respond(text=message["text"], blocks=message["blocks"], response_type="ephemeral")
                return
            if choice not in (*digests.FREQUENCIES, "off"):
                ack(text=f"`{COMMAND} digest` posts this channel's follow-ups now; `{COMMAND} digest weekly`, "
                         f"`daily` or `off` sets this channel's scheduled digest; `{COMMAND} digest all` shows "
                         "everyone's to an admin.")
                return
            frequency = None if choice == "off" else choice
            ack(text=f"⏳ Saving <#{channel_id}>'s digest setting…")
            outcome = digests.subscribe(quick, frequency, team_id=team_id, channel_id=channel_id, user_id=user_id,
                                        now=now)
            answer(deps, command, outcome, {"text": subscription_reply(
                frequency, channel_id, deps.settings.digest_cron, deps.settings.digest_tz)})
            return
        if words[0] == "channel-manager":
            argument = " ".join(text.split()[1:])
            if not argument.strip():
                ack(text=recording.show_channel_manager(quick, team_id=team_id, channel_id=channel_id))
                return
            manager_id = recording.wanted_channel_manager(argument)
            if manager_id is None:
                ack(text=f"I need one person, mentioned with @. {recording.CHANNEL_MANAGER_USAGE}")
                return
            ack(text=f"⏳ Saving <#{channel_id}>'s hiring manager…")
            try:
                outcome, done = recording.set_channel_manager(quick, manager_id, team_id=team_id,
                                                              channel_id=channel_id, user_id=user_id, now=now)
            except NotAllowed as refusal:
                answer(deps, command, None, {"text": str(refusal)})
                return
            answer(deps, command, outcome, {"text": done})
            return
        if words[0] == "forget":
            name = unescape(text).split(maxsplit=1)[1].strip() if len(words) > 1 else ""
            if not name:
                ack(text=f"Whom should I forget? `{COMMAND} forget Omar Haddad` erases that candidate's record.")
                return
            try:
                matches = privacy.forget_matches(quick, team_id=team_id, actor=user_id, name=name)
            except NotAllowed as error:
                ack(text=str(error))
                return
            if not matches:
                ack(text=f"I have no record of anyone called *{escape(name)}*. Nothing to erase.")
                return
            prompt = blocks.forget_prompt(matches)
            ack(text=prompt["text"], blocks=prompt["blocks"])
            return
        try:
            spec = parse_round(text)
        except RoundParseError as error:
            ack(text=str(error))
            return
        ack(text=f"⏳ Logging *{escape(spec.role)}*…")
        logged = recording.log_command_round(quick, spec, team_id=team_id, user_id=user_id, channel_id=channel_id,
                                             now=now)
        answer(deps, command, logged, blocks.round_confirmation(
            spec.role, [c.name for c in spec.candidates], [c.stage for c in spec.candidates],
            spec.manager_id or user_id, user_id, findings=recording.strengths_findings(spec),
        ))

    app.command(COMMAND)(handle_interview_round)


def answer(deps: Deps, command: dict[str, Any], outcome: saving.Outcome[Any] | None, saved: dict[str, Any]) -> None:
    """Tell whoever typed the command how its write went, through the command's response_url (retried on 429
    and 5xx), else by DM: `saved` when it was (or when there is no `outcome`, just something to say), else
    that nothing was saved, or, when that cannot be known, that it may have been."""
    status = saving.SAVED if outcome is None else outcome.status
    message: dict[str, Any] = saved if status == saving.SAVED else {
        "text": {saving.BUSY: BUSY, saving.FAILED: GENERIC_ERROR, saving.UNKNOWN: UNSURE}[status]}
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
