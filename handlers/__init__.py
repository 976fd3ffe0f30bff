"""Slack surfaces, one module each. Every module has `register(app, deps)`, which names each of its
listeners (module-level functions, bound to the Deps by handlers.replies.listener) once."""

from slack_bolt import App

from bot.deps import Deps
from bot.inbox import Inbox
from handlers import (
    actions,
    ats,
    commands,
    decisions,
    events,
    home,
    inbox_gate,
    lifecycle,
    limits,
    notices,
    rounds,
)


def register_all(app: App, deps: Deps, inbox: Inbox) -> None:
    inbox_gate.register(app, inbox)
    limits.register(app)
    commands.register(app, deps)
    events.register(app, deps)
    lifecycle.register(app, deps)
    home.register(app, deps)
    decisions.register(app, deps)
    rounds.register(app, deps)
    notices.register(app, deps)
    ats.register(app, deps)
    actions.register(app, deps)  # last: it ends with a catch-all for out-of-date buttons
