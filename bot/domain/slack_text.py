"""Slack's text format, both ways: `escape` what the bot sends, `unescape` and read what it receives.

Slack gives three characters a meaning in mrkdwn and in a message's fallback `text`: `&`, `<` and `>`
(`<!channel>`, `<@U123>`, `<https://…|label>`). Everything a person typed goes out through `escape`, once,
wherever it is sent; what Slack sends (message and command text) arrives with those three escaped and is
`unescape`d once on the way in. Modal fields arrive as typed and are not unescaped.

People type into `text`; apps (an ATS's notifications, workflow bots) often put what matters in
`blocks` (section text and fields, context, header, rich_text) or in legacy `attachments` (pretext,
title, text, fields), sometimes with `text` empty or a one-line summary. `message_texts` returns each
part once, in Slack's mrkdwn (links as `<url|label>`, users as `<@U…>`), for the reader to normalise.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

MAX_PARTS = 200  # a message has at most 50 blocks, an attachment a few dozen fields: bound the walk
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}

# Slack's markup tokens in what it sends, read by the round grammar (bot.domain.rounds) and the reader
# (bot.reader.normalise) alike. A user is U… (W… on Enterprise Grid). A channel is C…, or G… (a private
# channel made before 2021, and group DMs) or D… (a DM): a mention of any of them reads as "#name".
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL_MENTION = re.compile(r"<#[CGD][A-Z0-9]+(?:\|([^>]*))?>")  # group 1: the label Slack added, if any
SPECIAL_MENTION = re.compile(r"<!(\w+)(?:\^[^|>]*)?(?:\|[^>]*)?>")  # <!channel>, <!subteam^S1|@team>


def escape(text: str) -> str:
    """User text made inert in mrkdwn and in a message's `text`: `&`, `<`, `>` as Slack's entities, so a
    typed `<!channel>` or `<https://evil.example|click here>` shows as typed and links or mentions nothing."""
    return html.escape(text, quote=False)


def unescape(text: str) -> str:
    """What Slack escaped in message and command text, back as typed: only its three entities, once
    (`&amp;lt;` is the `&lt;` someone typed)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def visible(text: str) -> str:
    """The text without Unicode format characters (zero-width spaces and joiners, direction overrides):
    they are invisible, and "Om\u202ear Haddad" is one name."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def message_texts(message: Mapping[str, Any]) -> tuple[str, ...]:
    """`text`, then the lines of `blocks` and `attachments` that `text` doesn't already say."""
    text = message.get("text")
    parts: list[str] = [text] if isinstance(text, str) and text.strip() else []
    seen = {_squash(line) for part in parts for line in part.splitlines() if line.strip()}
    for part in (*blocks_text(message.get("blocks")), *attachments_text(message.get("attachments"))):
        lines = [line for line in part.splitlines() if line.strip() and _squash(line) not in seen]
        seen.update(_squash(line) for line in lines)
        if lines:
            parts.append("\n".join(lines))
    return tuple(parts[:MAX_PARTS])


def _squash(line: str) -> str:
    return " ".join(line.replace("*", "").split()).lower()


def blocks_text(blocks: Any) -> list[str]:
    """The text of Block Kit blocks: headers, sections (text and fields), context, rich_text."""
    out: list[str] = []
    for block in _dicts(blocks):
        kind = block.get("type")
        if kind in ("section", "header"):
            out.extend(_text_object(block.get("text")))
            fields = [t for f in _dicts(block.get("fields")) for t in _text_object(f)]
            out.extend(_fields(fields))
        elif kind == "context":
            line = " ".join(t for e in _dicts(block.get("elements")) for t in _text_object(e))
            if line.strip():
                out.append(line)
        elif kind == "rich_text":
            out.append(_rich_text(block.get("elements")))
        if len(out) >= MAX_PARTS:
            break
    return [part for part in out if part.strip()]


def _fields(texts: list[str]) -> list[str]:
    """Section fields come in pairs people read as "Title: value" ("*Candidate*\\nJane Doe")."""
    out: list[str] = []
    for text in texts:
        head, newline, rest = text.partition("\n")
        label = head.strip(" *_")
        if newline and label and rest.strip() and (":" not in label or label.endswith(":")):
            values = [" ".join(line.split()) for line in rest.splitlines() if line.strip()]
            out.append(f"{label.rstrip(':')}: {', '.join(values)}")  # one value a line: a list
        else:
            out.append(text)
    return out


def _rich_text(elements: Any, depth: int = 0) -> str:
    """rich_text_section / list / quote / preformatted, back to mrkdwn-like text, a line per section."""
    lines: list[str] = []
    for element in _dicts(elements):
        kind = element.get("type")
        if kind in ("rich_text_section", "rich_text_quote", "rich_text_preformatted"):
            lines.append("".join(_inline(e) for e in _dicts(element.get("elements"))))
        elif kind == "rich_text_list" and depth < 3:
            lines.extend(f"• {line}" for line in _rich_text(element.get("elements"), depth + 1).splitlines())
    return "\n".join(lines)


def _inline(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text") or "")
    if kind == "link":
        url, label = str(element.get("url") or ""), element.get("text")
        return f"<{url}|{label}>" if label else f"<{url}>"
    if kind == "user":
        return f"<@{element.get('user_id')}>"
    if kind == "channel":
        return f"<#{element.get('channel_id')}>"
    if kind == "emoji":
        return f":{element.get('name')}:"
    if kind == "broadcast":
        return f"<!{element.get('range')}>"
    return ""


def attachments_text(attachments: Any) -> list[str]:
    """The readable text of legacy attachments (what many ATS integrations post)."""
    parts: list[str] = []
    for attachment in _dicts(attachments):
        found: list[str] = []
        for key in ("pretext", "author_name", "title", "text"):
            value = attachment.get(key)
            if isinstance(value, str) and value.strip():
                found.append(value)
        for item in _dicts(attachment.get("fields")):
            title, value = item.get("title"), item.get("value")
            if title and value:
                found.append(f"{title}: {value}")
            elif value or title:
                found.append(str(value or title))
        found.extend(blocks_text(attachment.get("blocks")))
        if not found and isinstance(attachment.get("fallback"), str):
            found.append(attachment["fallback"])
        parts.extend(found)
    return parts


def _text_object(obj: Any) -> list[str]:
    if isinstance(obj, Mapping):
        text = obj.get("text")
        if isinstance(text, str):
            return [text]
        if obj.get("type") in ("mrkdwn", "plain_text"):
            return []
        return _text_object(text)
    if isinstance(obj, str):
        return [obj]
    return []


def _dicts(items: Any) -> Iterable[Mapping[str, Any]]:
    if not isinstance(items, list):
        return ()
    return (item for item in items[:MAX_PARTS] if isinstance(item, Mapping))
