"""The `/interview-round` command grammar: text -> RoundSpec, or a friendly RoundParseError.

    ROLE [for @manager]: Name (stage; strengths: ...) email, Name (stage), ... [for @manager]

Entries are separated by commas, semicolons, newlines or "and" outside parentheses, so strengths may
contain commas: ``Marta Nowak (final round; strengths: incident response, clear design)``.
Pure functions: no Slack calls, no logging.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.domain.lengths import NAME_LENGTH, ROLE_LENGTH, SLACK_ID_LENGTH, STAGE_LENGTH
from bot.domain.slack_text import CHANNEL_MENTION, SPECIAL_MENTION, USER_MENTION, escape, unescape, visible

MAX_ROLE_LENGTH = ROLE_LENGTH  # what the database holds is what may be typed (storage.models)
MAX_NAME_LENGTH = NAME_LENGTH
MAX_STAGE_LENGTH = STAGE_LENGTH
MAX_CANDIDATES = 50

COMMAND = "/interview-round"
EXAMPLE = "Staff Data Engineer: Dana Whitfield (onsite), Omar Haddad (final round)"
EXAMPLE_STRENGTHS = (
    "Staff Data Engineer: Marta Nowak (final round; strengths: incident-response stories, "
    "clear system design) marta@example.com, Ben Ode"
)


@dataclass(frozen=True)
class CandidateEntry:
    name: str
    stage: str | None = None  # "onsite", "final round", "phone screen": as written, lower-cased
    strengths: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class RoundSpec:
    role: str
    candidates: tuple[CandidateEntry, ...]
    manager_id: str | None = None  # from "for <@U123>" / "for <@U123|dana>"; None = the caller


class RoundParseError(ValueError):
    """str(error) is a friendly, specific explanation for the user (Slack mrkdwn, user text escaped), with
    an example; `plain` is the same for a plain-text place (a modal field's error)."""

    @property
    def plain(self) -> str:
        return unescape(str(self).replace("`", ""))


HELP_TEXT = f"""\
*Log an interview round* so I can remind you to follow up personally with everyone who isn't selected.

`{COMMAND} ROLE: Name (stage; strengths: ...) email, Name (stage), ...`

• *Role* first, then a colon, then the candidates.
• Separate candidates with commas, semicolons or new lines.
• In parentheses after a name (all optional): the *stage* they reached (phone screen, technical, onsite, \
final round...) and, after a semicolon, `strengths:` what stood out. Commas inside the parentheses are fine.
• An *email* after the name lets me prepare an email draft for you.
• `for @someone` logs the round for another hiring manager (pick them from Slack's autocomplete).

*Examples*
```{COMMAND} {EXAMPLE}, Lena Park (phone screen)
{COMMAND} {EXAMPLE_STRENGTHS}
{COMMAND} Product Designer for @dana: Tomás Fernández (panel), Jean-Luc Moreau (portfolio review)```

*Other commands*
• `{COMMAND}` with nothing after it opens a form instead.
• `{COMMAND} pending`: your open follow-ups.
• `{COMMAND} digest`: the open follow-ups decided or logged in this channel, grouped by manager, oldest \
first (`digest weekly`, `daily` or `off` schedules it); admins: `digest all` shows everyone's, to you alone.
• `{COMMAND} forget NAME`: stop tracking a candidate and erase what I stored about them.
• `{COMMAND} channel-manager @someone`: the hiring manager for decisions apps (an ATS, a workflow) post in \
this channel; `channel-manager` alone shows it, `channel-manager off` clears it.
• `{COMMAND} help`: this message."""

# --- Slack formatting -------------------------------------------------------------------------------

_FOR_MENTION = re.compile(r"(?<![\w@])for\s+" + USER_MENTION.pattern, re.IGNORECASE)
_FOR_PLAIN_AT = re.compile(r"(?<![\w@])for\s+@([\w][\w.\-]*)", re.IGNORECASE)
_MAILTO = re.compile(r"<mailto:([^|>]+)(?:\|[^>]*)?>", re.IGNORECASE)
_LINK = re.compile(r"<((?:https?|ftp)://[^|>]+)(?:\|([^>]*))?>", re.IGNORECASE)

_EMAIL = re.compile(
    r"[^\s@<>()\[\],;:\"\\]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}",
)
_SEPARATOR = re.compile(r"[,;\n]|\s+(?:and|&)\s+", re.IGNORECASE)
_LEADING_AND = re.compile(r"^(?:and|&)\s+", re.IGNORECASE)
_TRAILING_AND = re.compile(r"\s+(?:and|&)$", re.IGNORECASE)
_KEYED = re.compile(r"^(strengths?|notes?|stage|email)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_KEY_AFTER_COMMA = re.compile(r",\s*(?=(?:strengths?|notes?|stage|email)\s*:)", re.IGNORECASE)
_NAME_FORBIDDEN = set(":()<>[]{}|=")
# "(she/her)" after a name is the candidate's pronouns, not a stage: it is dropped, not stored.
_PRONOUNS = re.compile(r"^(?:she|he|they|ze|xe|any)\s*/\s*[a-z]+(?:\s*/\s*[a-z]+)?$", re.IGNORECASE)


def _unslack(text: str) -> str:
    """Turn Slack's link syntax into plain text and undo its HTML escaping (user mentions are kept)."""
    text = _MAILTO.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = CHANNEL_MENTION.sub(lambda m: "#" + (m.group(1) or "channel"), text)
    text = SPECIAL_MENTION.sub(lambda m: "@" + m.group(1), text)
    text = unescape(text)
    return unicodedata.normalize("NFC", visible(text))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _show(text: str, limit: int = 60) -> str:
    """User text made safe to quote inside `backticks` in mrkdwn."""
    text = _squash(text).replace("`", "'")
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return escape(text) or " "


def _error(problem: str, example: str = EXAMPLE) -> RoundParseError:
    return RoundParseError(
        f"{problem}\nFor example:\n`{COMMAND} {example}`\nType `{COMMAND} help` for the details."
    )


# --- Splitting at the top level (outside parentheses) -----------------------------------------------


def _check_parentheses(text: str) -> None:
    depth = 0
    opened_at = 0
    for i, char in enumerate(text):
        if char == "(":
            if depth == 0:
                opened_at = i
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                before = text[max(0, i - 30) : i + 1]
                raise _error(
                    f"There's a closing parenthesis without an opening one near `{_show(before)}`.\n"
                    "Put each candidate's stage and strengths in one pair of parentheses after their name.",
                    EXAMPLE_STRENGTHS,
                )
    if depth > 0:
        raise _error(
            f"A parenthesis is never closed, after `{_show(text[opened_at:], 40)}`.\n"
            "Close it with `)` after the stage and strengths.",
            EXAMPLE_STRENGTHS,
        )


def _top_level_spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of `pattern` matches that start outside parentheses."""
    depth_at = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        depth_at.append(depth)
        if char == ")":
            depth -= 1
    return [m.span() for m in pattern.finditer(text) if depth_at[m.start()] == 0]


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    last = 0
    for start, end in _top_level_spans(text, _SEPARATOR):
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    return parts


# --- Entries --------------------------------------------------------------------------------------


def _normalize_email(token: str) -> str:
    email = token.strip().strip("<>").rstrip(".,;")
    if email.lower().startswith("mailto:"):
        email = email[len("mailto:") :]
    if (
        len(email) > 254
        or _EMAIL.fullmatch(email) is None
        or ".." in email
        or email.startswith(".")
        or ".@" in email
    ):
        raise _error(
            f"`{_show(email)}` doesn't look like an email address. Write it like `marta@example.com`, "
            "or leave it out.",
            EXAMPLE_STRENGTHS,
        )
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _parenthesized(entry: str) -> tuple[str, list[str]]:
    """Split an entry into its text outside parentheses and the contents of each top-level group."""
    outside: list[str] = []
    groups: list[str] = []
    depth = 0
    current: list[str] = []
    for char in entry:
        if char == "(":
            if depth == 0:
                current = []
                outside.append(" ")
            else:
                current.append(char)
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                groups.append("".join(current))
                outside.append(" ")
            else:
                current.append(char)
        elif depth > 0:
            current.append(char)
        else:
            outside.append(char)
    return "".join(outside), groups


def _details(groups: list[str]) -> tuple[str | None, str | None, str | None]:
    """(stage, strengths, email) from the parenthesized parts of one entry."""
    stage: str | None = None
    strengths: list[str] = []
    email: str | None = None
    for group in groups:
        for raw in _KEY_AFTER_COMMA.sub(";", group).split(";"):
            part = _squash(raw)
            if not part:
                continue
            keyed = _KEYED.match(part)
            key, value = (keyed.group(1).lower(), _squash(keyed.group(2))) if keyed else ("", part)
            if not value or (not key and _PRONOUNS.match(value)):
                continue
            if key == "email" or (not key and "@" in value and " " not in value):
                email = _normalize_email(value)
            elif key == "stage" or (not key and stage is None and not strengths):
                stage = value.lower()
            else:
                strengths.append(value)
    return stage, "; ".join(strengths) or None, email


def _parse_entry(entry: str) -> CandidateEntry:
    outside, groups = _parenthesized(entry)
    stage, strengths, email = _details(groups)
    name_words: list[str] = []
    for token in outside.split():
        if "@" in token:
            if email is not None:
                raise _error(
                    f"`{_show(entry)}` has more than one email address. Give each candidate one.",
                    EXAMPLE_STRENGTHS,
                )
            email = _normalize_email(token)
        elif token.strip("*_~`"):
            name_words.append(token.strip("*_~`"))
    name = _TRAILING_AND.sub("", " ".join(name_words)).strip(" -–—")
    if not any(char.isalpha() for char in name):
        raise _error(
            f"I couldn't find a name in `{_show(entry)}`. Each candidate starts with their name; "
            "stage, strengths and email come after it.",
            EXAMPLE_STRENGTHS,
        )
    if len(name) > MAX_NAME_LENGTH:
        raise _error(
            f"The name `{_show(name)}` is {len(name)} characters long; names can be up to "
            f"{MAX_NAME_LENGTH}. Did a comma go missing between two candidates?",
        )
    if stage is not None and len(stage) > MAX_STAGE_LENGTH:
        raise _error(
            f"The stage `{_show(stage)}` (for {_show(name, 40)}) is {len(stage)} characters long; a stage can be "
            f"up to {MAX_STAGE_LENGTH}. Put strengths after a semicolon: `(onsite; strengths: ...)`.",
            EXAMPLE_STRENGTHS,
        )
    if any(char in _NAME_FORBIDDEN for char in name):
        raise _error(
            f"I couldn't read `{_show(name)}` as a name. Put the stage and strengths in parentheses "
            "right after the name.",
            EXAMPLE_STRENGTHS,
        )
    return CandidateEntry(name=name, stage=stage, strengths=strengths, email=email)


def _name_key(name: str) -> str:
    return _squash(unicodedata.normalize("NFC", name)).replace("’", "'").casefold()


def _entries(text: str) -> tuple[CandidateEntry, ...]:
    _check_parentheses(text)
    if USER_MENTION.search(text):
        raise _error(
            "I found an @mention among the candidates. To log the round for another manager, write "
            "`for @name` right after the role.",
            "Staff Data Engineer for @dana: Dana Whitfield (onsite), Omar Haddad (final round)",
        )
    raw_entries = [_LEADING_AND.sub("", part.strip()) for part in _split_top_level(text)]
    candidates = tuple(_parse_entry(raw) for raw in raw_entries if raw.strip())
    if not candidates:
        raise _error("I didn't find any candidates. List them after the role and a colon.")
    if len(candidates) > MAX_CANDIDATES:
        raise _error(
            f"That's {len(candidates)} candidates; I can take up to {MAX_CANDIDATES} in one round. "
            "Split them into two rounds for the same role.",
        )
    seen: dict[str, str] = {}
    for candidate in candidates:
        key = _name_key(candidate.name)
        if key in seen:
            raise _error(
                f"`{_show(seen[key])}` is listed twice. List each candidate once; if two people share "
                "a name, add an initial or their email to tell them apart.",
            )
        seen[key] = candidate.name
    return candidates


# --- Public API ------------------------------------------------------------------------------------


def parse_candidates(lines: str) -> tuple[CandidateEntry, ...]:
    """Candidates written one per line or comma-separated, each `Name (stage; strengths: ...) email`, as
    typed in a modal's field: Slack sends those unescaped, so nothing is unescaped here (a typed `&amp;`
    stays `&amp;`), and a typed `<https://…|…>` is text, not a link."""
    return _entries(unicodedata.normalize("NFC", visible(lines)))


def parse_round(text: str) -> RoundSpec:
    """Parse the text of `/interview-round ROLE [for @manager]: candidates [for @manager]`."""
    text = (text or "").strip()
    plain_at = _FOR_PLAIN_AT.search(text)
    if plain_at:
        raise _error(
            f"I couldn't tell who `@{_show(plain_at.group(1))}` is: Slack didn't send it as a mention. "
            "Pick the person from Slack's autocomplete list as you type their name, so it turns into a link.",
            "Staff Data Engineer for @dana: Dana Whitfield (onsite), Omar Haddad (final round)",
        )
    managers = {m.group(1) for m in _FOR_MENTION.finditer(text)}
    if len(managers) > 1:
        raise _error("A round has one hiring manager, but I found several `for @...`. Name just one.")
    if any(len(manager) > SLACK_ID_LENGTH for manager in managers):
        raise _error(
            "I couldn't read the `for @...` mention: that is no Slack user I know of. Pick the person from "
            "Slack's autocomplete list as you type their name.",
            "Staff Data Engineer for @dana: Dana Whitfield (onsite), Omar Haddad (final round)",
        )
    text = _unslack(_FOR_MENTION.sub(" ", text))
    _check_parentheses(text)

    colons = _top_level_spans(text, re.compile(":"))
    if not colons:
        raise _error(
            "Start with the role, then a colon, then the candidates. "
            "I couldn't find the colon after the role."
        )
    colon = colons[0][0]
    role = _squash(text[:colon])
    if not any(char.isalnum() for char in role):
        raise _error("The role is missing: write it before the colon.")
    if len(role) > MAX_ROLE_LENGTH:
        raise _error(
            f"The role is {len(role)} characters long; it can be up to {MAX_ROLE_LENGTH}. "
            "Did the colon after the role go missing?",
        )
    if USER_MENTION.search(role):
        raise _error(
            "To log the round for another manager, write `for @name` right after the role.",
            "Staff Data Engineer for @dana: Dana Whitfield (onsite), Omar Haddad (final round)",
        )
    candidates = _entries(text[colon + 1 :])
    return RoundSpec(role=role, candidates=candidates, manager_id=next(iter(managers), None))
