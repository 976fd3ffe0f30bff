"""Buttons and modals on nudges, App Home and decision replies."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.domain.errors import OutOfDate, UserFacingError
from bot.domain.lengths import SKIP_REASON_LENGTH
from bot.followups import actions as followups
from bot.followups import privacy
from bot.slack import blocks
from handlers.replies import friendly_errors, team_of


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(container type, channel, message ts) of the clicked surface."""
    container = body.get("container") or {}
    return container.get("type"), container.get("channel_id"), container.get("message_ts")


OUT_OF_DATE_FORM = "This form is out of date; close it and try again."


def modal_followup(view: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """The follow-up id and the clicked message a follow-up modal carries, or None if it is not one."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        return followups.parse_id(metadata.get("followup_id")), metadata
    except (ValueError, AttributeError, OutOfDate):
        return None


def register(app: App, deps: Deps) -> None:
    friendly = friendly_errors(deps)

    def show(f: Any, *, channel: str | None, ts: str | None, snoozed_until: Any = None) -> None:
        """Show a follow-up's new state in the message acted on, in its latest DM, and in its manager's
        App Home."""
        now = deps.clock()
        message = followups.render(deps, f, now=now, snoozed_until=snoozed_until)
        followups.refresh_message(deps, channel=channel, ts=ts, message=message)
        if f.last_nudge_ts and f.last_nudge_ts != ts:
            followups.refresh_message(deps, channel=f.last_nudge_channel, ts=f.last_nudge_ts, message=message)
        followups.publish_home(deps, team_id=f.team_id, user_id=f.manager_id, now=now)

    def refresh(body: dict[str, Any], f: Any, *, snoozed_until: Any = None) -> None:
        kind, channel, ts = _where(body)
        clicked_message = kind == "message"
        show(f, channel=channel if clicked_message else None, ts=ts if clicked_message else None,
             snoozed_until=snoozed_until)

    def refused(body: dict[str, Any], followup_id: int) -> str | None:
        """Why a follow-up modal's submission can't be saved (its candidate was erased since it opened, say),
        shown on the form itself; None when it can. The write checks again."""
        try:
            followups.load_for(deps, followup_id, team_id=team_of(body), actor=body["user"]["id"])
        except UserFacingError as error:
            return str(error)
        return None

    def open_for_modal(body: dict[str, Any], action: dict[str, Any]) -> tuple[Any, str]:
        """The open follow-up a button is about (if the clicker may act on it), and the modal's metadata
        that brings the clicked message along, to update it on submit."""
        f = followups.load_open(
            deps, followups.parse_id(action.get("value")), team_id=team_of(body), actor=body["user"]["id"]
        )
        _, channel, ts = _where(body)
        return f, json.dumps({"followup_id": f.id, "channel": channel, "ts": ts})

    @friendly
    def handle_contacted(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        f, _ = followups.mark_contacted(
            deps, followups.parse_id(action.get("value")), team_id=team_of(body), actor=body["user"]["id"],
            now=deps.clock(),
        )
        refresh(body, f)

    @friendly
    def handle_snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        raw = str((action.get("selected_option") or {}).get("value") or "")
        choice, _, followup_id = raw.partition(":")
        f, until = followups.snooze(
            deps, followups.parse_id(followup_id), team_id=team_of(body), actor=body["user"]["id"], choice=choice,
            now=deps.clock(),
        )
        refresh(body, f, snoozed_until=until)

    @friendly
    def handle_skip(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        f, metadata = open_for_modal(body, action)
        client.views_open(trigger_id=body["trigger_id"], view=blocks.skip_modal(f, metadata))

    @friendly
    def handle_skip_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        reason_value = ((values.get("reason") or {}).get("reason") or {}).get("selected_option") or {}
        labels = dict(blocks.SKIP_REASONS)
        if reason_value.get("value") not in labels:
            ack(response_action="errors", errors={"reason": "Pick a reason from the list."})
            return
        detail = (((values.get("detail") or {}).get("detail") or {}).get("value") or "").strip()
        reason = labels[reason_value["value"]] + (f": {detail}" if detail else "")
        if len(reason) > SKIP_REASON_LENGTH:
            room = SKIP_REASON_LENGTH - len(reason) + len(detail)
            ack(response_action="errors",
                errors={"detail": f"This can be up to {room} characters; it is {len(detail)}."})
            return
        found = modal_followup(view)
        if found is None:
            ack(response_action="errors", errors={"reason": OUT_OF_DATE_FORM})
            return
        followup_id, metadata = found
        refusal = refused(body, followup_id)
        if refusal:
            ack(response_action="errors", errors={"reason": refusal})
            return
        ack()
        f, _ = followups.skip(
            deps, followup_id, team_id=team_of(body), actor=body["user"]["id"], now=deps.clock(), reason=reason
        )
        show(f, channel=metadata.get("channel"), ts=metadata.get("ts"))

    @friendly
    def handle_tone(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        raw = str((action.get("selected_option") or {}).get("value") or "")
        tone, _, followup_id = raw.partition(":")
        f = followups.choose_tone(
            deps, followups.parse_id(followup_id), team_id=team_of(body), actor=body["user"]["id"], tone=tone
        )
        refresh(body, f)

    @friendly
    def handle_edit_note(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                         respond: Respond) -> None:
        ack()
        f, metadata = open_for_modal(body, action)
        note = followups.current_note(deps, f, now=deps.clock())
        client.views_open(trigger_id=body["trigger_id"], view=blocks.note_modal(
            candidate_name=f.candidate_name, note=note, private_metadata=metadata))

    @friendly
    def handle_note_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        note = str((((view.get("state") or {}).get("values") or {}).get("note") or {}).get("note", {}).get("value")
                   or "")
        found = modal_followup(view)
        if found is None:
            ack(response_action="errors", errors={"note": OUT_OF_DATE_FORM})
            return
        followup_id, metadata = found
        refusal = refused(body, followup_id)
        if refusal:
            ack(response_action="errors", errors={"note": refusal})
            return
        ack()
        f = followups.edit_note(deps, followup_id, team_id=team_of(body), actor=body["user"]["id"], note=note)
        show(f, channel=metadata.get("channel"), ts=metadata.get("ts"))

    @friendly
    def handle_forget(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        privacy.forget(deps, followups.parse_id(action.get("value")), team_id=team_of(body),
                       actor=body["user"]["id"], now=deps.clock())
        respond(text="🗑️ Erased. Their name, email, strengths and notes are gone, no reminder will follow, and my "
                     "earlier messages about them no longer name them.", replace_original=True)

    def handle_forget_cancel(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Nothing was erased.", replace_original=True)

    def handle_link(ack: Ack) -> None:
        ack()  # a URL button (the email draft): Slack opens the link; nothing to do here

    def handle_unknown_action(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        ack()
        if body.get("response_url") or body.get("response_urls"):  # else there is nowhere to say it
            respond(text="That button is out of date. Try `/interview-round pending` for your current follow-ups.",
                    response_type="ephemeral", replace_original=False)

    app.action(blocks.ACTION_CONTACTED)(handle_contacted)
    app.action(blocks.ACTION_SNOOZE)(handle_snooze)
    app.action(blocks.ACTION_SKIP)(handle_skip)
    app.view(blocks.VIEW_SKIP)(handle_skip_submission)
    app.action(blocks.ACTION_TONE)(handle_tone)
    app.action(blocks.ACTION_EDIT_NOTE)(handle_edit_note)
    app.view(blocks.VIEW_NOTE)(handle_note_submission)
    app.action(blocks.ACTION_FORGET)(handle_forget)
    app.action(blocks.ACTION_FORGET_CANCEL)(handle_forget_cancel)
    app.action(blocks.ACTION_EMAIL)(handle_link)
    app.action(re.compile(".*"))(handle_unknown_action)
    app.view(re.compile(".*"))(handle_link)  # an old modal: close it quietly
