"""Every shape Slack sends a decision in, through the real app: text, blocks (rich_text, section fields,
context), legacy attachments, structured rosters and tables, and an app's post of any of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Candidate, Followup, InboxEvent
from tests.harness import MANAGER, Harness

TS = "1700000001.000100"
GREENHOUSE = {"subtype": "bot_message", "bot_id": "B0ATS", "username": "Greenhouse"}


def not_selected(h: Harness) -> dict[str, str]:
    """name -> manager of every open follow-up."""
    with h.deps.sessions.begin() as session:
        rows = session.execute(select(Candidate.name, Followup.manager_id)
                               .join(Followup, Followup.candidate_id == Candidate.id)).all()
    return dict(rows)


def post(h: Harness, text: str = "", **fields: Any) -> None:
    bot = fields.pop("bot", False)
    if bot:
        fields.update(GREENHOUSE)
    status = h.message(text, ts=TS, user=None if bot else MANAGER, fields=fields)
    assert status == 200


def test_a_decision_only_in_rich_text_blocks_is_recorded(harness: Harness) -> None:
    rich = [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
        {"type": "text", "text": "Decision for QA Lead: not moving forward with "},
        {"type": "link", "url": "https://ats.example/c/1", "text": "Lena Hartmann"},
        {"type": "text", "text": " after the onsite."}]}]}]
    post(harness, "", blocks=rich)
    assert not_selected(harness) == {"Lena Hartmann": MANAGER}
    [reply] = [c for c in harness.fake.calls_to("chat.postMessage") if c.args.get("thread_ts") == TS]
    assert "Lena Hartmann" in str(reply.args["blocks"])


def test_an_ats_card_in_section_fields_goes_to_the_channels_manager(harness: Harness) -> None:
    harness.command("channel-manager <@U0CHANMGR>")
    card = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Candidate status changed*"}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": "*Candidate:*\nMateus Carvalho Lima"},
            {"type": "mrkdwn", "text": "*Job:*\nProduct Designer II"},
            {"type": "mrkdwn", "text": "*Previous status:*\nOnsite Interview"},
            {"type": "mrkdwn", "text": "*New status:*\nNot Hired"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Updated by <@U03KLM8Q2> · Jobvite"}]},
    ]
    post(harness, "Candidate status changed", blocks=card, bot=True)
    assert not_selected(harness) == {"Mateus Carvalho Lima": "U0CHANMGR"}


def test_a_decision_in_legacy_attachments_is_recorded(harness: Harness) -> None:
    harness.command("channel-manager <@U0CHANMGR>")
    attachment = {"color": "#d00", "title": "Candidate rejected", "fallback": "Candidate rejected",
                  "fields": [{"title": "Candidate", "value": "Hana Kobayashi", "short": True},
                             {"title": "Job", "value": "Customer Success Manager", "short": True},
                             {"title": "Rejected by", "value": "Oliver Steinmetz", "short": True}]}
    post(harness, "", attachments=[attachment], bot=True)
    assert not_selected(harness) == {"Hana Kobayashi": "U0CHANMGR"}


def test_an_emoji_roster_and_a_table_are_read_row_by_row(harness: Harness) -> None:
    post(harness, "Debrief outcomes — Product Designer\n:x: Mariana Souza\n:x: Kwame Asante\n"
                  ":white_check_mark: Ilse van der Meer")
    assert set(not_selected(harness)) == {"Mariana Souza", "Kwame Asante"}


def test_a_markdown_table_in_a_code_block(harness: Harness) -> None:
    post(harness, "Final round results — *Senior Data Engineer*\n```\n| Candidate | Stage | Outcome |\n"
                  "|---|---|---|\n| Łukasz Wiśniewski | Final | Rejected |\n| Diego Fernández | Final | Rejected |\n"
                  "| Fatima Al-Sayed | Final | Offer accepted |\n```")
    assert set(not_selected(harness)) == {"Łukasz Wiśniewski", "Diego Fernández"}


def test_a_lookalike_in_blocks_gets_no_reply(harness: Harness) -> None:
    post(harness, "", blocks=[{"type": "section", "text": {"type": "mrkdwn",
                                                           "text": "Interview scheduled: *Omar Haddad* · Onsite"}}])
    assert not_selected(harness) == {}
    assert harness.fake.calls_to("chat.postMessage") == []


def test_a_message_event_with_no_channel_or_ts_is_acknowledged_and_forgotten(harness: Harness) -> None:
    decision = "Decision for QA Lead: not moving forward with Lena Hartmann."
    for event in (
        {"type": "message", "user": MANAGER, "text": decision, "ts": TS, "channel_type": "channel"},
        {"type": "message", "user": MANAGER, "text": decision, "channel": "C0HIRING", "channel_type": "channel"},
        {"type": "message", "subtype": "message_changed", "channel": "C0HIRING", "channel_type": "channel",
         "message": {"user": MANAGER, "text": decision}, "previous_message": {"text": "draft", "ts": TS}},
    ):
        assert harness.event(event) == 200
    assert not_selected(harness) == {}
    assert harness.fake.calls_to("chat.postMessage") == []
    with harness.deps.sessions.begin() as session:
        assert session.scalars(select(InboxEvent.event_id)).all() == []


def test_no_request_body_reaches_the_log(harness: Harness, caplog: Any) -> None:
    """Bolt's warning about a request nothing handles quotes its body; a name or an email in it must not reach
    the log."""
    import logging

    caplog.set_level(logging.INFO)
    harness.event({"type": "reaction_added", "user": MANAGER, "reaction": "tada",
                   "item": {"type": "message", "channel": "C0HIRING", "ts": TS,
                            "note": "Lena Hartmann <mailto:lena@example.com|lena@example.com>"}})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "nothing handles a request of type reaction_added (team=T0TEAM); answered 404" in logged
    assert "Lena" not in logged and "lena@example.com" not in logged


def test_invisible_characters_are_dropped_from_names_on_the_way_in(harness: Harness) -> None:
    harness.command("QA Lead: Om\u202ear Haddad (onsite), Le\u200bna Park (phone screen)")
    post(harness, "Decision for QA Lead: not moving forward with Om\u202ear Haddad or Lena\u200b Park.")
    assert set(not_selected(harness)) == {"Omar Haddad", "Lena Park"}
