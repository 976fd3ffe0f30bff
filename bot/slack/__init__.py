"""Presentation: what the bot shows in Slack (Block Kit builders, messages, payload parsing, what Slack's errors mean).
Built from plain values and domain types; imports no service and no storage but the plain views (storage.views)."""
