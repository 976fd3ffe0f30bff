"""Buttons and modals on nudges and App Home: Mark contacted, Snooze, Not needed (and its modal), the tone,
Edit note (and its modal), and the erasure prompt's buttons; last, the catch-all for out-of-date buttons."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.domain.errors import OutOfDate, UserFacingError
from bot.domain.lengths import SKIP_REASON_LENGTH
from bot.domain.rounds import COMMAND
from bot.followups import actions as followups
from bot.followups import privacy
from bot.slack import blocks, metadata
from bot.slack.payloads import team_id_of
from handlers.replies import listener


def register(app: App, deps: Deps) -> None:
    app.action(blocks.ACTION_CONTACTED)(listener(deps, handle_contacted))
    app.action(blocks.ACTION_SNOOZE)(listener(deps, handle_snooze))
    app.action(blocks.ACTION_SKIP)(listener(deps, handle_skip))
    app.view(blocks.VIEW_SKIP)(listener(deps, handle_skip_submission))
    app.action(blocks.ACTION_TONE)(listener(deps, handle_tone))
    app.action(blocks.ACTION_EDIT_NOTE)(listener(deps, handle_edit_note))
    app.view(blocks.VIEW_NOTE)(listener(deps, handle_note_submission))
    app.action(blocks.ACTION_FORGET)(listener(deps, handle_forget))
    app.action(blocks.ACTION_FORGET_CANCEL)(handle_forget_cancel)
    app.action(blocks.ACTION_EMAIL)(handle_link)
    app.action(re.compile(".*"))(handle_unknown_action)
    app.view(re.compile(".*"))(handle_link)  # an old modal: close it quietly


def clicked(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(channel, ts) of the message whose button was clicked; (None, None) on App Home."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return None, None
    return container.get("channel_id"), container.get("message_ts")


def selected(action: dict[str, Any]) -> tuple[str, int]:
    """A select's choice and the follow-up it is about: its options' values are "choice:followup_id"."""
    choice, _, followup_id = str((action.get("selected_option") or {}).get("value") or "").partition(":")
    return choice, followups.parse_id(followup_id)


def handle_contacted(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    ack()
    f, _ = followups.mark_contacted(deps, followups.parse_id(action.get("value")), team_id=team_id_of(body),
                                    actor=body["user"]["id"], now=deps.clock())
    followups.show(deps, f, *clicked(body))


def handle_snooze(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    ack()
    choice, followup_id = selected(action)
    f, until = followups.snooze(deps, followup_id, team_id=team_id_of(body), actor=body["user"]["id"],
                                choice=choice, now=deps.clock())
    followups.show(deps, f, *clicked(body), snoozed_until=until)


def handle_tone(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    ack()
    tone, followup_id = selected(action)
    f = followups.choose_tone(deps, followup_id, team_id=team_id_of(body), actor=body["user"]["id"], tone=tone)
    followups.show(deps, f, *clicked(body))


def handle_skip(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                respond: Respond) -> None:
    ack()
    f, private_metadata = open_for_modal(deps, body, action)
    client.views_open(trigger_id=body["trigger_id"], view=blocks.skip_modal(f, private_metadata))


def handle_edit_note(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                     respond: Respond) -> None:
    ack()
    f, private_metadata = open_for_modal(deps, body, action)
    note = followups.current_note(deps, f, now=deps.clock())
    client.views_open(trigger_id=body["trigger_id"], view=blocks.note_modal(
        candidate_name=f.candidate_name, note=note, private_metadata=private_metadata))


def open_for_modal(deps: Deps, body: dict[str, Any], action: dict[str, Any]) -> tuple[Any, str]:
    """The open follow-up a button is about (if the clicker may act on it), and the modal's metadata
    that brings the clicked message along, to update it on submit."""
    f = followups.load_open(deps, followups.parse_id(action.get("value")), team_id=team_id_of(body),
                            actor=body["user"]["id"])
    container = body.get("container") or {}
    return f, metadata.encode(f=f.id, c=container.get("channel_id"), ts=container.get("message_ts"))


def handle_skip_submission(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    values = view.get("state", {}).get("values", {})
    reason, error = skip_reason(values)
    if error:
        ack(response_action="errors", errors=error)
        return
    if refusal := refused(deps, body, view):
        ack(response_action="errors", errors={"reason": refusal})
        return
    ack()
    carried = metadata.decode(view)
    f, _ = followups.skip(deps, int(carried["f"]), team_id=team_id_of(body), actor=body["user"]["id"],
                          now=deps.clock(), reason=reason)
    followups.show(deps, f, channel=carried.get("c"), ts=carried.get("ts"))


def skip_reason(values: dict[str, Any]) -> tuple[str, dict[str, str] | None]:
    """The reason the skip form gives (its label, then the detail typed), or the error to show on the form."""
    picked = ((values.get("reason") or {}).get("reason") or {}).get("selected_option") or {}
    labels = dict(blocks.SKIP_REASONS)
    if picked.get("value") not in labels:
        return "", {"reason": "Pick a reason from the list."}
    detail = (((values.get("detail") or {}).get("detail") or {}).get("value") or "").strip()
    reason = labels[picked["value"]] + (f": {detail}" if detail else "")
    if len(reason) > SKIP_REASON_LENGTH:
        room = SKIP_REASON_LENGTH - len(reason) + len(detail)
        return "", {"detail": f"This can be up to {room} characters; it is {len(detail)}."}
    return reason, None


def handle_note_submission(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    note = str((((view.get("state") or {}).get("values") or {}).get("note") or {}).get("note", {}).get("value")
               or "")
    if refusal := refused(deps, body, view):
        ack(response_action="errors", errors={"note": refusal})
        return
    ack()
    carried = metadata.decode(view)
    f = followups.edit_note(deps, int(carried["f"]), team_id=team_id_of(body), actor=body["user"]["id"], note=note)
    followups.show(deps, f, channel=carried.get("c"), ts=carried.get("ts"))


def refused(deps: Deps, body: dict[str, Any], view: dict[str, Any]) -> str | None:
    """Why a follow-up modal's submission can't be saved (it is out of date, or its candidate was erased since
    it opened, say), shown on the form itself; None when it can. The write checks again."""
    try:
        carried = metadata.decode(view)
        followup_id = followups.parse_id(carried.get("f"))
    except OutOfDate:
        return metadata.OUT_OF_DATE
    try:
        followups.load_for(deps, followup_id, team_id=team_id_of(body), actor=body["user"]["id"])
    except UserFacingError as error:
        return str(error)
    return None


def handle_forget(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    ack()
    privacy.forget(deps, followups.parse_id(action.get("value")), team_id=team_id_of(body),
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
        respond(text=f"That button is out of date. Try `{COMMAND} pending` for your current follow-ups.",
                response_type="ephemeral", replace_original=False)
