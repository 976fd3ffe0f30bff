"""Fixing a reading: Undo, Edit and Add the role on the thread reply, Confirm on an unsure reading, the
manager picked in answer to "who is the hiring manager?", the decision and role modals, and the "Record
hiring decision" message shortcut."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import reader
from bot.deps import Deps, before_ack
from bot.domain.errors import NotAllowed, OutOfDate
from bot.domain.slack_text import message_texts
from bot.followups import actions as followups
from bot.followups import recording
from bot.followups.saving import is_busy
from bot.slack import blocks
from bot.slack.messages import BUSY
from handlers.replies import friendly_errors, team_of

# the model's share of the shortcut's trigger_id, which Slack honours for 3 s: the modal opens in time, with the
# rules' reading when the model is slower
SHORTCUT_BUDGET = 2.0


def _metadata(**values: Any) -> str:
    return json.dumps({k: v for k, v in values.items() if v is not None}, separators=(",", ":"))


def register(app: App, deps: Deps) -> None:
    friendly = friendly_errors(deps)
    quick = before_ack(deps)  # for what is read before ack(): it gives up on a locked database within Slack's 3 s

    @friendly
    def handle_undo(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        actor = body["user"]["id"]
        view = recording.undo(
            deps, followups.parse_id(action.get("value")), team_id=team_of(body), actor=actor, now=deps.clock()
        )
        container = body.get("container") or {}
        followups.refresh_message(deps, channel=container.get("channel_id") or view.channel_id,
                                  ts=container.get("message_ts") or view.reply_ts, message=blocks.undone_reply(actor))

    @friendly
    def handle_edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                    respond: Respond) -> None:
        ack()
        decision_id = followups.parse_id(action.get("value"))
        view = recording.decision_for(deps, decision_id, team_id=team_of(body), actor=body["user"]["id"])
        if view.nudged:
            raise OutOfDate("A reminder already went out for this decision, so it can't be edited now.")
        if view.message_ts is None:  # from an ATS: no Slack message to read again
            raise OutOfDate("This decision came from the ATS, so it is changed there, not here.")
        metadata = _metadata(c=view.channel_id, ts=view.message_ts, a=view.author_id)
        client.views_open(trigger_id=body["trigger_id"],
                          view=blocks.decision_modal(recording.reading_of(deps, decision_id), metadata))

    def _draft(body: dict[str, Any], action: dict[str, Any]
               ) -> tuple[reader.Decision, str | None, str, str, str]:
        """The reading a question carries, its author, channel, the decision message's ts and the thread's."""
        value = str(action.get("value") or "")
        reading, author = recording.draft_from_value(value)
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        thread_ts = message.get("thread_ts")
        if not channel or not thread_ts:
            raise OutOfDate("That button is out of date.")
        return reading, author, str(channel), recording.draft_message_ts(value) or str(thread_ts), str(thread_ts)

    @friendly
    def handle_confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        reading, author, channel, message_ts, thread_ts = _draft(body, action)
        actor = body["user"]["id"]
        owners = [owner for owner in (author, reading.manager_id) if owner]
        if owners and not followups.may_act(actor, owners=owners, admins=deps.settings.admin_users):
            raise NotAllowed("Only the person who posted this, the hiring manager or an admin can confirm it.")
        recording.record_reading(  # with no manager named, the person who confirms it is the manager
            deps, reading, team_id=team_of(body), channel_id=channel, message_ts=message_ts,
            author_id=author or actor, now=deps.clock(), reply_to=actor,
            reply_ts=(body.get("container") or {}).get("message_ts"), thread_ts=thread_ts,
        )

    @friendly
    def handle_pick_manager(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        manager = action.get("selected_user")
        value = blocks.button_value((body.get("message") or {}).get("blocks"), blocks.ACTION_CONFIRM)
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        thread_ts = (body.get("message") or {}).get("thread_ts")
        if not manager or value is None or not channel or not thread_ts:
            raise OutOfDate("That question is out of date.")
        recording.pick_manager(deps, value, manager_id=str(manager), actor=body["user"]["id"], team_id=team_of(body),
                               channel_id=str(channel), thread_ts=str(thread_ts),
                               question_ts=container.get("message_ts"), now=deps.clock())

    @friendly
    def handle_add_role(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                        respond: Respond) -> None:
        ack()
        decision_id = followups.parse_id(action.get("value"))
        recording.decision_for(deps, decision_id, team_id=team_of(body), actor=body["user"]["id"])
        metadata = _metadata(d=decision_id, p=(body.get("container") or {}).get("message_ts"))
        client.views_open(trigger_id=body["trigger_id"], view=blocks.role_modal(metadata))

    @friendly
    def handle_role_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        role = recording.role_from_form(view.get("state", {}).get("values", {}))
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
            decision_id = int(metadata["d"])
        except (ValueError, KeyError, TypeError):
            ack(response_action="errors", errors={"role": "This form is out of date; close it and try again."})
            return
        problem = recording.role_too_long(role) if role else "Which role was this decision for?"
        if problem:
            ack(response_action="errors", errors={"role": problem})
            return
        actor, team_id = body["user"]["id"], team_of(body)
        if _refused(ack, lambda: recording.decision_for(quick, decision_id, team_id=team_id, actor=actor)):
            return
        ack()
        recording.set_role(deps, decision_id, role, team_id=team_id, actor=actor, reply_ts=metadata.get("p"),
                           now=deps.clock())

    @friendly
    def handle_edit_draft(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                          respond: Respond) -> None:
        ack()
        try:
            reading, author, channel, message_ts, thread_ts = _draft(body, action)
        except OutOfDate:
            reading, author = None, None
            container = body.get("container") or {}
            channel = str(container.get("channel_id"))
            thread_ts = str((body.get("message") or {}).get("thread_ts") or container.get("message_ts"))
            message_ts = thread_ts
        metadata = _metadata(c=channel, ts=message_ts, th=thread_ts if thread_ts != message_ts else None, a=author,
                             p=(body.get("container") or {}).get("message_ts"))
        client.views_open(trigger_id=body["trigger_id"], view=blocks.decision_modal(
            reading, metadata, default_manager=body["user"]["id"]))

    @friendly
    def handle_shortcut(ack: Ack, body: dict[str, Any], shortcut: dict[str, Any], client: WebClient,
                        respond: Respond) -> None:
        ack()
        message = shortcut.get("message") or {}
        text = "\n".join(message_texts(message))
        reading = reader.read(text)
        if deps.model is not None:  # someone picked this message as a decision: the model reads it, quickly
            reading = deps.model.read(text, rules=reading, budget=min(SHORTCUT_BUDGET, deps.model.endpoint.timeout),
                                      chosen=True)
        metadata = _metadata(c=(shortcut.get("channel") or {}).get("id"), ts=message.get("ts"),
                             a=message.get("user"))
        client.views_open(trigger_id=shortcut["trigger_id"], view=blocks.decision_modal(
            reading, metadata, default_manager=message.get("user") or body["user"]["id"]))

    @friendly
    def handle_decision_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        reading, errors = recording.reading_from_form(view.get("state", {}).get("values", {}))
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
            channel, message_ts = str(metadata["c"]), str(metadata["ts"])
        except (ValueError, KeyError, TypeError):
            errors = {"role": "This form is out of date; close it and try again."}
        if reading is None or errors:
            ack(response_action="errors", errors=errors)
            return
        actor = body["user"]["id"]
        team_id = team_of(body)
        def may_replace() -> None:
            existing = recording.live_decision(quick, team_id=team_id, channel_id=channel, message_ts=message_ts)
            if existing is not None:
                recording.decision_for(quick, existing, team_id=team_id, actor=actor)

        if _refused(ack, may_replace):
            return
        ack()
        recording.record_reading(
            deps, reading, team_id=team_id, channel_id=channel, message_ts=message_ts,
            author_id=metadata.get("a") or actor, now=deps.clock(), replace=True, reply_to=actor,
            reply_ts=metadata.get("p"), thread_ts=metadata.get("th"),
        )

    app.action(blocks.ACTION_UNDO)(handle_undo)
    app.action(blocks.ACTION_EDIT)(handle_edit)
    app.action(blocks.ACTION_CONFIRM)(handle_confirm)
    app.action(blocks.ACTION_PICK_MANAGER)(handle_pick_manager)
    app.action(blocks.ACTION_ADD_ROLE)(handle_add_role)
    app.view(blocks.VIEW_ROLE)(handle_role_submission)
    app.action(blocks.ACTION_EDIT_DRAFT)(handle_edit_draft)
    app.shortcut(blocks.SHORTCUT_RECORD)(handle_shortcut)
    app.view(blocks.VIEW_DECISION)(handle_decision_submission)


def _refused(ack: Ack, check: Callable[[], object]) -> bool:
    """Run a modal's check before its ack; answer its refusal, or a busy database, under the role field."""
    try:
        check()
    except (NotAllowed, OutOfDate) as error:
        ack(response_action="errors", errors={"role": str(error)})
        return True
    except Exception as error:
        if not is_busy(error):
            raise
        ack(response_action="errors", errors={"role": BUSY})
        return True
    return False
