"""The Slack app manifest users create the app from (`persona-grata manifest`)."""

from __future__ import annotations

from typing import Any

import yaml

from bot.domain.rounds import COMMAND

BOT_SCOPES = [
    "chat:write",
    "commands",
    "im:write",
    "im:history",
    "users:read",
    "users:read.email",  # ATS webhooks: the recruiter an ATS names, matched by email (users.lookupByEmail)
    "channels:history",
    "groups:history",
]
BOT_EVENTS = ["message.channels", "message.groups", "app_home_opened", "app_uninstalled", "tokens_revoked"]


def manifest(*, request_url: str | None = None, name: str = "Persona Grata") -> dict[str, Any]:
    """Socket Mode by default; with `request_url` (https://host/slack/events), HTTP mode."""
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Log an interview round, see pending follow-ups, post a digest",
        "usage_hint": "ROLE: Name (stage), Name (stage) | pending | digest | channel-manager @user | help",
        "should_escape": True,
    }
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if request_url:
        command["url"] = request_url
        events["request_url"] = request_url
        interactivity["request_url"] = request_url
    return {
        "display_information": {
            "name": name,
            "description": "Every interviewee who isn't selected hears back personally.",
            "long_description": (
                "Persona Grata reads hiring decisions in the channels it is invited to and reminds each "
                "hiring manager, at a sensible hour in their own time zone, to send a short personal note to "
                "every interviewee who was not selected, with a suggested note and a one-click Mark contacted "
                "button. Channel digests and an App Home keep the team's open loops visible until every one "
                "is closed."
            ),
            "background_color": "#2f4858",
        },
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
            "shortcuts": [
                {
                    "name": "Record hiring decision",
                    "type": "message",
                    "callback_id": "record_decision",
                    "description": "Record who was hired and who was not selected, from this message",
                }
            ],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": request_url is None,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(*, request_url: str | None = None) -> str:
    return yaml.safe_dump(manifest(request_url=request_url), sort_keys=False, allow_unicode=True)
