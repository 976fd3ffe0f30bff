"""Nothing a request or a response carried reaches the log: no body from Bolt, slack_sdk or us, at any level.

What Slack sends and answers names candidates (a message, a form's values, a dialog's submission, a thread's
parent). Our own lines log ids only. The libraries' lines are held to that too:

- below INFO they are dumps of requests and responses (slack_sdk's "Sending a request … body_params",
  "Received the following response … body", Bolt's "Responding with status … body", Socket Mode's messages),
  so the `slack_bolt` and `slack_sdk` loggers never go below INFO, whatever LOG_LEVEL says (bot.cli);
- at INFO and above a few quote a body (Bolt's "Unhandled request (…)", "Invalid request signature detected
  (… body: …)", Socket Mode's "Unsuccessful Bolt execution result (… body: …)", slack_sdk's "Failed to
  decode Slack API response: …"): `WithoutBodies` keeps the words before the details and drops the details.

The filter sits on the libraries' loggers (so no record carries a body, whoever handles it) and on the
app's log handlers (so a logger created later is covered too). Requests no listener handles are answered
404 with one line of our own naming the payload's type (bot.app.handle_error), not Bolt's warning.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType

LIBRARIES = ("slack_bolt", "slack_sdk")
FLOOR = logging.INFO  # the libraries' lines below it are request and response dumps
DETAILS = ("body", "payload", "response", "message:", "{", "[")  # what a line that quotes something shows
_OPENING = re.compile(r"\s+-\s|\s*[(:{\[]")
NOT_LOGGED = "(details not logged: they may carry personal data)"


class WithoutBodies(logging.Filter):
    """Keeps the libraries' lines, without what they quote of a request or a response; drops their lines
    below INFO. Lines of other loggers (ours) pass untouched: they log ids."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(LIBRARIES):
            return True
        if record.levelno < FLOOR:
            return False
        message = record.getMessage()
        lowered = message.lower()
        if any(mark in lowered for mark in DETAILS):
            opening = _OPENING.split(message, maxsplit=1)[0].strip() or "A message from " + record.name
            record.msg, record.args = f"{opening} {NOT_LOGGED}", ()
        return True


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def traceback_without_messages(exc_info: ExcInfo) -> str:
    """A traceback as Python prints it (frames, source lines, chained causes), but each exception shown by its
    type alone: an exception's message can quote what it failed on (a KeyError's key, a database error's
    bound parameters, a candidate's name in a ValueError), and tracebacks go to the same logs."""
    if exc_info[1] is None:
        return ""
    lines: list[str] = []
    for line in traceback.TracebackException(*exc_info, compact=True).format():
        if line.startswith(("Traceback ", "  ", "\nThe above exception", "\nDuring handling")):
            lines.append(line)
        else:  # "pkg.Error: its message" (possibly several lines): the type only
            head = line.split(":", 1)[0].strip()
            if head and " " not in head:
                lines.append(f"{head} {NOT_LOGGED}\n")
    return "".join(lines).rstrip("\n")


class PrivateFormatter(logging.Formatter):
    """The log lines' formatter: exceptions are written without their messages (traceback_without_messages)."""

    def formatException(self, ei: ExcInfo) -> str:
        return traceback_without_messages(ei)


def keep_bodies_out(*loggers: logging.Logger) -> None:
    """Put WithoutBodies on the given loggers (Bolt's app logger, whose filters Bolt copies to the loggers it
    makes for its middleware and listeners) and on the loggers of every slack_bolt and slack_sdk module
    imported so far (slack_sdk's are named after their modules). Idempotent."""
    names = [name for name in list(sys.modules) if name.startswith(LIBRARIES)]
    names += [name for name in list(logging.root.manager.loggerDict) if name.startswith(LIBRARIES)]
    for logger in [*loggers, *(logging.getLogger(name) for name in dict.fromkeys(names))]:
        _add(logger)


def guard_handler(handler: logging.Handler) -> logging.Handler:
    """The same filter on a log handler: whatever logger a record comes from, it is written without a body."""
    _add(handler)
    return handler


def floor_libraries(level: int | str) -> None:
    """The libraries' loggers log at `level`, but never below INFO."""
    number = logging.getLevelName(level) if isinstance(level, str) else level
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(max(int(number), FLOOR))


def _add(target: logging.Logger | logging.Handler) -> None:
    if not any(isinstance(f, WithoutBodies) for f in target.filters):
        target.addFilter(WithoutBodies())
