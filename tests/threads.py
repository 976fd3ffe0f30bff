"""The arrange steps the decision tests share: a logged round, a decision message, the bot's reply in its
thread, and a button clicked on that reply, as Slack sends the click (the payload carries the message,
with its thread_ts)."""

from __future__ import annotations

from typing import Any

from tests.fake_slack import TEAM_ID
from tests.harness import CHANNEL, MANAGER, Harness

ROUND = "Staff Data Engineer: Dana Whitfield (onsite), Omar Haddad (final round), Lena Park (phone screen)"
TS = "1700000000.000500"  # the decision message
REPLY_TS = "1700000099.000100"  # the bot's reply in its thread, as a click on it carries it


def thread_posts(h: Harness) -> list[Any]:
    """The bot's posts in a thread: replies to decisions and questions about them."""
    return [c for c in h.fake.calls_to("chat.postMessage") if c.args.get("thread_ts")]


def element(message_blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    """The interactive element of a message with this action_id."""
    for block in message_blocks:
        for item in block.get("elements", []):
            if isinstance(item, dict) and item.get("action_id") == action_id:
                return item
    raise AssertionError(f"no {action_id} element")


def reply_button(h: Harness, action_id: str) -> dict[str, Any]:
    """The button with this action_id on the bot's latest post in a thread."""
    return element(thread_posts(h)[-1].args["blocks"], action_id)


def click_in_thread(h: Harness, action: dict[str, Any], *, message_ts: str = REPLY_TS, thread_ts: str = TS,
                    user: str = MANAGER, message_blocks: list[dict[str, Any]] | None = None) -> None:
    """Click `action` (an element of the message, or the action Slack reports: a users_select's pick) on the
    bot's message `message_ts` in the thread `thread_ts`."""
    payload = {
        "type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": user}, "api_app_id": "A0APP",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL},
        "channel": {"id": CHANNEL}, "trigger_id": "1.2.3", "response_url": h.fake.response_url(),
        "message": {"ts": message_ts, "thread_ts": thread_ts, "blocks": message_blocks or []},
        "actions": [{"block_id": "b", "action_ts": "1700000100.000100", **action}],
    }
    status, _ = h.interact(payload)
    assert status == 200


def pressed(action_id: str, value: str) -> dict[str, Any]:
    """A button as Slack reports its click."""
    return {"action_id": action_id, "type": "button", "value": value}


def text_input(block: str, value: str | None) -> dict[str, Any]:
    """A modal's plain-text field as its submission carries it (block and action id alike); Slack sends
    null for one left empty."""
    return {block: {block: {"type": "plain_text_input", "value": value or None}}}


def user_input(block: str, user: str) -> dict[str, Any]:
    """A modal's users_select as its submission carries it."""
    return {block: {block: {"type": "users_select", "selected_user": user}}}


def decision_form(role: str = "Staff Data Engineer", manager: str = MANAGER, not_selected: str = "",
                  hired: str = "", withdrawn: str = "") -> dict[str, Any]:
    """The decision modal's values as submitted."""
    return {**text_input("role", role), **user_input("manager", manager), **text_input("not_selected", not_selected),
            **text_input("hired", hired), **text_input("withdrawn", withdrawn)}
