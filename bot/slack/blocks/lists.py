"""Lists of follow-ups: pending, the digest, escalations, undeliverable notices and the App Home."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.slack_text import escape
from bot.slack import delivery
from bot.slack.blocks.common import (
    ACTION_OPEN_ROUND,
    ACTION_REASSIGN,
    MESSAGE_BLOCKS,
    REASSIGN_BLOCK,
    SECTION_LIMIT,
    VIEW_BLOCKS,
    Block,
    button,
    clip,
    context,
    days_waiting,
    plain,
    section,
    slack_date,
)
from bot.slack.blocks.decisions import names_list
from bot.slack.blocks.nudges import followup_actions
from storage.views import FollowupView


def followup_line(f: FollowupView, now: datetime, overdue_after: int, *, flag_undeliverable: bool = True) -> str:
    stage = f" ({escape(f.stage)})" if f.stage else ""
    role = f": {escape(f.role)}" if f.role else ""
    overdue = " ⚠️ *overdue*" if f.nudges_sent >= overdue_after else ""
    if f.undeliverable_at is not None and flag_undeliverable:
        overdue = " ⛔ *can't DM the manager*"
    return f"• *{escape(f.candidate_name)}*{role}{stage}, {days_waiting(f.decided_at, now)}{overdue}"


def _packed_sections(lines: Sequence[str]) -> list[Block]:
    """Pack lines into as few sections as fit 3,000 characters each."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = clip(line, SECTION_LIMIT)
        if chunk and size + len(line) + 1 > SECTION_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def pending_message(followups: Sequence[FollowupView], total: int, now: datetime, overdue_after: int) -> dict:
    if not followups:
        text = "🎉 You have no open candidate follow-ups. Every loop is closed."
        return {"text": text, "blocks": [section(text)]}
    header = f"*Your open candidate follow-ups ({total})*, oldest first:"
    lines = [followup_line(f, now, overdue_after) for f in followups]
    blocks = [section(header), *_packed_sections(lines)]
    more = total - len(followups)
    if more > 0:
        blocks.append(context(f"…and {more} more. Open the Persona Grata App Home to see them all."))
    blocks = blocks[:MESSAGE_BLOCKS]
    return {"text": f"You have {total} open candidate follow-ups.", "blocks": blocks}


@dataclass(frozen=True)
class DigestContent:
    """Everything a digest shows, gathered by bot.followups.digests from bounded queries."""

    total: int
    managers: Sequence[Any]  # storage.views.ManagerCount, the manager with the oldest open first
    oldest: Sequence[FollowupView]  # the oldest open follow-ups (bounded), oldest first
    overdue: int
    closed_count: int  # closed since the last digest in this channel
    closed_recent: Sequence[FollowupView]
    stats: Any  # storage.views.Stats over 30 days
    since: datetime | None  # when the last digest in this channel was posted
    channel_id: str | None = None  # whose follow-ups: this channel's (decided or logged there); None: everyone's


def stats_line(stats: Any, period: str = "last 30 days") -> str:
    parts = []
    if stats.closure_rate is not None:
        parts.append(f"closure rate {round(stats.closure_rate * 100)}% ({stats.closed} of {stats.decided})")
    if stats.median_days_to_contact is not None:
        parts.append(f"median {stats.median_days_to_contact:.1f} days from decision to a personal note")
    return f"📈 {period.capitalize()}: " + ", ".join(parts) if parts else ""


def digest_message(content: DigestContent, now: datetime, overdue_after: int, *, max_lines: int = 60
                   ) -> dict[str, Any]:
    """Open closures grouped by manager (oldest first), inside 50 blocks however many are open."""
    closed_line = ""
    if content.closed_count:
        names = names_list([f.candidate_name for f in content.closed_recent[:5]])
        more = content.closed_count - min(5, len(content.closed_recent))
        since = f" since {slack_date(content.since)}" if content.since else " recently"
        closed_line = f"✅ Closed{since}: {content.closed_count} ({names}{f' and {more} more' if more > 0 else ''})"
    stats = stats_line(content.stats)
    here = f"<#{content.channel_id}>" if content.channel_id else ""
    if content.total == 0:
        text = (f"✅ All loops closed in {here}: every candidate decided or logged here has heard back personally."
                if here else "✅ All loops closed: every candidate who was not selected has heard back personally.")
        extra = [context(line) for line in (closed_line, stats) if line]
        return {"text": text, "blocks": [section(text), *extra]}
    count = len(content.managers)
    summary = ((f"Decided or logged in {here} · " if here else "Everyone's · ")
               + f"{content.total} open across {count} manager{'s' if count != 1 else ''}"
               + (f" · ⚠️ {content.overdue} overdue (every reminder sent, still open)" if content.overdue else ""))
    blocks: list[Block] = [
        {"type": "header", "text": plain("Candidate follow-ups still open", 150)},
        context(summary),
    ]
    by_manager: dict[str, list[FollowupView]] = {}
    for f in content.oldest:
        by_manager.setdefault(f.manager_id, []).append(f)
    shown = 0
    managers_shown = 0
    tail_blocks = 1 + (1 if closed_line or stats else 0)
    for manager in content.managers:
        items = by_manager.get(manager.manager_id, [])
        room = max_lines - shown
        if room <= 0 or not items:
            break
        lines = [f"<@{manager.manager_id}> ({manager.open} open)"]
        lines += [followup_line(f, now, overdue_after) for f in items[:room]]
        listed = min(room, len(items))
        if manager.open > listed:
            lines.append(f"   …and {manager.open - listed} more for <@{manager.manager_id}>")
        new_blocks = _packed_sections(lines)
        if len(blocks) + len(new_blocks) > MESSAGE_BLOCKS - tail_blocks:
            break
        blocks.extend(new_blocks)
        shown += listed
        managers_shown += 1
    rest = content.total - shown
    if rest > 0:
        others = count - managers_shown
        tail = f" for {others} more manager{'s' if others != 1 else ''}" if others > 0 else ""
        blocks.append(context(f"…and {rest} more{tail}. Each manager sees their own list in the App Home."))
    footer = "\n".join(line for line in (closed_line, stats) if line)
    if footer:
        blocks.append(context(footer))
    text = f"{content.total} candidate follow-ups {f'from {here} ' if here else ''}are still open."
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCKS]}


def escalation_message(items: Sequence[FollowupView], total: int, now: datetime, overdue_after: int
                       ) -> dict[str, Any]:
    lines = [followup_line(f, now, overdue_after) + f" (<@{f.manager_id}>)" for f in items]
    blocks: list[Block] = [
        section(f"⚠️ *{total} candidate follow-up{'s are' if total != 1 else ' is'} still open after every "
                "reminder.* A nudge from you may help the hiring managers close the loop:"),
        *_packed_sections(lines)[:40],
    ]
    if total > len(items):
        blocks.append(context(f"…and {total - len(items)} more."))
    return {"text": f"{total} candidate follow-ups are overdue.", "blocks": blocks[:MESSAGE_BLOCKS]}


def unreachable_notice(manager_id: str, items: Sequence[FollowupView], *, now: datetime, overdue_after: int,
                       shown: int = 30) -> dict[str, Any]:
    """Told once about follow-ups whose manager Slack will never deliver a DM to: who, which role, why,
    and a user picker to hand them all to someone else."""
    error = next((f.undeliverable_error for f in items if f.undeliverable_error), None) or "unknown_error"
    why = delivery.reason(error)
    count = len(items)
    them = "them" if count != 1 else "it"
    lines = [followup_line(f, now, overdue_after, flag_undeliverable=False) for f in items[:shown]]
    blocks: list[Block] = [
        section(f"⛔ *I can't DM <@{manager_id}>*, so {count} candidate follow-up{'s are' if count != 1 else ' is'} "
                f"stuck: {escape(why)} (Slack says `{escape(error)}`). Nobody is being reminded about "
                f"{'these candidates' if count != 1 else 'this candidate'}:"),
        *_packed_sections(lines)[:MESSAGE_BLOCKS - 4],
    ]
    if count > shown:
        blocks.append(context(f"…and {count - shown} more for <@{manager_id}>."))
    blocks.append({
        "type": "actions", "block_id": f"{REASSIGN_BLOCK}{manager_id}",
        "elements": [{"type": "users_select", "action_id": ACTION_REASSIGN,
                      "placeholder": plain("Reassign to…")}],
    })
    blocks.append(context(f"Pick who should follow up instead: I'll move {them} to them and remind them as usual. "
                          "I won't post about this again."))
    text = f"I can't DM <@{manager_id}>: {count} candidate follow-up{'s need' if count != 1 else ' needs'} a new owner."
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCKS]}


def reassign_from(block_id: object) -> str | None:
    """The unreachable manager a notice's picker is about (its block id), or None if it is not one."""
    raw = str(block_id or "")
    if not raw.startswith(REASSIGN_BLOCK):
        return None
    user = raw[len(REASSIGN_BLOCK):]
    return user if user.isalnum() else None


def reassigned_message(*, from_manager: str, to_manager: str, actor: str, count: int) -> dict[str, Any]:
    text = (f"✅ <@{actor}> gave {count} candidate follow-up{'s' if count != 1 else ''} of <@{from_manager}>'s to "
            f"<@{to_manager}>. I'll remind <@{to_manager}> from now on.")
    return {"text": text, "blocks": [section(text)]}


def home_view(
    *, open_followups: Sequence[FollowupView], total_open: int, recent: Sequence[FollowupView], now: datetime,
    overdue_after: int, overdue: int = 0, stats: Any = None,
) -> dict[str, Any]:
    """A manager's App Home: their open follow-ups (oldest first) with the DM's buttons, recent closures,
    their own stats and a button to log a round. Inside 100 blocks however many are open."""
    blocks: list[Block] = [
        {"type": "header", "text": plain("Your candidate follow-ups", 150)},
        {"type": "actions", "block_id": "home_actions",
         "elements": [button("📋 Log an interview round", ACTION_OPEN_ROUND, "home", style="primary")]},
    ]
    summary = f"{total_open} open, oldest first" + (f" · ⚠️ {overdue} overdue" if overdue else "")
    if stats is not None and stats_line(stats):
        summary += "\n" + stats_line(stats)
    if not open_followups:
        blocks.append(section("🎉 No open follow-ups. Every candidate you interviewed has heard back from you."))
        if stats is not None and stats_line(stats):
            blocks.append(context(stats_line(stats)))
    else:
        blocks.append(context(summary))
    recent_blocks: list[Block] = []
    if recent:
        recent_blocks = [{"type": "divider"}, section("*Recently closed*"), *_packed_sections([
            f"• {escape(f.candidate_name)}" + (f": {escape(f.role)}" if f.role else "") + ", "
            + ("contacted" if f.status == "contacted" else "no note needed")
            + f" on {slack_date(f.closed_at)}"
            for f in recent if f.closed_at
        ])[:3]]
    budget = VIEW_BLOCKS - len(recent_blocks) - 2
    shown = 0
    for f in open_followups:
        if len(blocks) + 2 > budget:
            break
        blocks.append(section(followup_line(f, now, overdue_after)))
        blocks.append(followup_actions(f.id, block_id=f"home:{f.id}"))
        shown += 1
    if total_open > shown:
        blocks.append(context(f"…and {total_open - shown} more, shown as you close these."))
    blocks.extend(recent_blocks)
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS]}
