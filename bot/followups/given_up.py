"""Kept events the inbox gave up on (their attempts ran out): whoever can act is told, once.

A Slack message gets a reply in its thread (the parent's, for a reply) saying nothing was recorded and how to
record it by hand; the admins (ESCALATE_TO, else ADMIN_USERS, as for an unreachable manager) get a DM with a
link to it. An ATS delivery has no thread: the admins get a DM naming the vendor, when it came, and whom it
is about (admins may see a candidate's name in Slack, as in the ATS manager picker; the logs never do).

The row stays in the inbox until `persona-grata inbox retry` puts it back. Which replica tells is settled by
the inbox's claim (repo.inbox_claim_untold); `tell` says whether the telling is over (posted, or nobody can
ever be told) or should be tried again later.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.ats import Malformed, vendors
from bot.deps import Deps, sweeping
from bot.domain.slack_text import escape
from bot.followups.unreachable import LONGEST_PACING_WAIT
from bot.slack import delivery
from bot.slack.blocks import context, section, slack_date
from bot.slack.blocks.common import SECTION_LIMIT, clip

logger = logging.getLogger(__name__)

BY_HAND = ("Record it by hand: the *Record hiring decision* shortcut on the message (⋯ → More message "
           "shortcuts), or `/interview-round`.")
RETRY = "Once the cause is fixed, `persona-grata inbox retry` processes it again."


def tell(deps: Deps, body: dict[str, Any], *, received_at: datetime, error: str | None) -> bool:
    """Tell about one given-up row. True when done (someone was told, or every destination refuses for
    good); False when nothing was posted and a later try may be (Slack failing, rate limits)."""
    messages: list[tuple[str, tuple[dict[str, Any], str | None]]]
    if body.get("ats"):
        messages = [(admin, ats_notice(body, received_at=received_at)) for admin in admins(deps)]
    else:
        messages = slack_notices(deps, body)
    if not messages:
        logger.warning("given up: event %s (%s); nobody to tell (set ADMIN_USERS or ESCALATE_TO)",
                       body.get("event_id"), error)
        return True
    team_id = str(body.get("team_id") or deps.team_id or "")
    posted, retry = 0, False
    for channel, (message, thread_ts) in messages:
        if deps.pacer.wait(team_id=team_id, channel=channel, at_most=LONGEST_PACING_WAIT) is None:
            retry = True  # Slack asked for a long wait: after it
            continue
        try:
            sweeping(deps).chat_postMessage(channel=channel, text=message["text"], blocks=message["blocks"],
                                            thread_ts=thread_ts, unfurl_links=False, unfurl_media=False)
            posted += 1
        except (SlackApiError, OSError) as failure:
            why = delivery.failure(failure)
            if why.retry_after is not None:
                deps.pacer.hold(team_id=team_id, seconds=why.retry_after)
            retry = retry or not why.unreachable
            logger.warning("given up: event %s: could not tell %s: %s", body.get("event_id"), channel, why.error)
    logger.info("given up: event %s (%s): told %d of %d", body.get("event_id"), error, posted, len(messages))
    # Once anything went out, nothing is posted again (a second thread reply would be noise); else try later.
    return posted > 0 or not retry


def admins(deps: Deps) -> list[str]:
    """Who hears about a given-up row: ESCALATE_TO, else ADMIN_USERS."""
    return sorted(deps.settings.escalate_to or deps.settings.admin_users)


def slack_notices(deps: Deps, body: dict[str, Any]) -> list[tuple[str, tuple[dict[str, Any], str | None]]]:
    """(channel, (message, thread ts)) for a given-up message event: its thread, then each admin."""
    event = body.get("event") or {}
    # an edit or a deletion is about the message it changed: its thread, its link
    message = event.get("message") or event.get("previous_message") or event
    channel, ts = str(event.get("channel") or ""), str(message.get("ts") or "")
    if not channel or not ts:
        return [(admin, (unreadable_notice(), None)) for admin in admins(deps)]
    thread = str(message.get("thread_ts") or ts)
    link = permalink(deps, channel, ts)
    out: list[tuple[str, tuple[dict[str, Any], str | None]]] = [(channel, (thread_notice(), thread))]
    out += [(admin, (admin_notice(link, channel), None)) for admin in admins(deps)]
    return out


def permalink(deps: Deps, channel: str, ts: str) -> str | None:
    try:
        found = sweeping(deps).chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except (SlackApiError, OSError) as failure:
        logger.warning("given up: no permalink for a message in %s: %s", channel, delivery.failure(failure).error)
        return None
    return str(found) if found else None


def thread_notice() -> dict[str, Any]:
    text = f"⚠️ I could not process this message, so nothing from it is recorded. {BY_HAND}"
    return {"text": text, "blocks": [section(text)]}


def admin_notice(link: str | None, channel: str) -> dict[str, Any]:
    where = f"<{link}|a message> in <#{channel}>" if link else f"a message in <#{channel}>"
    text = (f"⚠️ I gave up on {where} after every attempt failed: nothing from it is recorded, and its thread "
            f"was told. Its author can record it by hand (the *Record hiring decision* shortcut, or "
            f"`/interview-round`). {RETRY}")
    return {"text": text, "blocks": [section(text)]}


def unreadable_notice() -> dict[str, Any]:
    text = f"⚠️ I gave up on a Slack event I could not read: nothing from it is recorded. {RETRY}"
    return {"text": text, "blocks": [section(text)]}


def ats_notice(body: dict[str, Any], *, received_at: datetime) -> tuple[dict[str, Any], None]:
    """An admin's DM about a given-up ATS delivery: the vendor, when it came, whom it is about when it says."""
    vendor = str(body.get("ats"))
    about = ""
    module = vendors().get(vendor)
    if module is not None:
        try:
            event = module.parse(body.get("payload"))
        except Malformed:
            event = None
        if event is not None and event.person is not None and event.person.name:
            about = f" about {escape(event.person.name)}" + (f" ({escape(event.role)})" if event.role else "")
    source = escape(vendor.capitalize())
    when = slack_date(received_at, "{date_short} {time}")
    delivery_id = escape(str(body.get("event_id")))
    text = clip(f"⚠️ I gave up on a {source} delivery{about}, received {when}, after every attempt failed: "
                f"nothing from it is recorded. Check the logs for the cause (delivery {delivery_id}), or record "
                f"the decision by hand with `/interview-round`. {RETRY}", SECTION_LIMIT)
    return {"text": text, "blocks": [section(text), context(f"{source} · {when}")]}, None
