"""Saving what someone asked for after Slack was acknowledged, and knowing whether it was saved.

A slash command must be answered within three seconds, and a write can take longer (a lock held by another
connection, several statements each slow, Slack asked first whether a user is a person). Writing first and
acknowledging after meant Slack's error for a round that was stored a moment later. So a command that writes
acknowledges first ("⏳ Logging …"), then saves, then says how it went through its response_url, and says only
what is true:

- **saved**: the unit of work committed (or, when the commit itself failed, the database shows it was saved);
- **busy**: the database stayed locked for `patience` seconds; each try gave up on its lock within a second
  (the acknowledgement path's engine) and rolled back, so nothing was saved;
- **failed**: something else went wrong before the commit, and it rolled back: nothing was saved;
- **unknown**: the commit itself failed (the connection dropped as it committed) and the database could not be
  asked afterwards. Only then is the user told that it may or may not have been saved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from storage.db import is_busy

logger = logging.getLogger(__name__)

T = TypeVar("T")
PATIENCE = 8.0  # seconds a save tries again while the database is locked, before the user is told it is busy
PAUSE = 0.25  # seconds between two tries
pause = time.sleep  # how it waits them (a test holding the lock releases it here instead)

SAVED, BUSY, FAILED, UNKNOWN = "saved", "busy", "failed", "unknown"


@dataclass(frozen=True)
class Outcome(Generic[T]):
    status: str  # SAVED | BUSY | FAILED | UNKNOWN
    value: T | None = None  # what the unit of work returned (or what `stored` found), when saved
    error: BaseException | None = None


def save(sessions: sessionmaker[Session], work: Callable[[Session], T], *, stored: Callable[[], T | None],
         patience: float | None = None, what: str = "a save") -> Outcome[T]:
    """Run `work` in a unit of work on `sessions` (the acknowledgement path's, which gives up on a lock
    within a second), again while the database is busy, for up to `patience` seconds. `stored` reads whether
    what `work` writes is in the database (its value, or None): it is asked only when the commit itself
    failed, the one moment when the outcome is not known. `what` names it in the logs (ids only)."""
    deadline = time.monotonic() + (PATIENCE if patience is None else patience)
    while True:
        committing = False
        try:
            with sessions.begin() as session:
                value = work(session)
                committing = True  # the block is done: what fails from here on is the commit
            return Outcome(SAVED, value)
        except Exception as error:
            if committing:
                return _ask(stored, error, what)
            if not is_busy(error):
                logger.error("%s failed before it committed; nothing was saved", what, exc_info=error)
                return Outcome(FAILED, error=error)
            if time.monotonic() + PAUSE >= deadline:
                logger.warning("%s: the database stayed busy (%s); nothing was saved", what, type(error).__name__)
                return Outcome(BUSY, error=error)
        pause(PAUSE)


def _ask(stored: Callable[[], T | None], error: Exception, what: str) -> Outcome[T]:
    try:
        value = stored()
    except Exception as again:
        logger.error("%s: the commit failed (%s) and the database could not say whether it was saved (%s)", what,
                     type(error).__name__, type(again).__name__)
        return Outcome(UNKNOWN, error=error)
    logger.warning("%s: the commit failed (%s); the database says it was %s", what, type(error).__name__,
                   "saved" if value is not None else "not saved")
    return Outcome(SAVED, value) if value is not None else Outcome(FAILED, error=error)


def save_setting(sessions: sessionmaker[Session], reads: sessionmaker[Session], *,
                 write: Callable[[Session], object], read: Callable[[Session], object], wanted: object,
                 what: str) -> Outcome[bool]:
    """`save` for a setting (a channel's digest, its default manager): written by `write`, and known to be
    saved when `read` finds `wanted` there."""
    def work(session: Session) -> bool:
        write(session)
        return True

    def stored() -> bool | None:
        with reads.begin() as session:
            return True if read(session) == wanted else None

    return save(sessions, work, stored=stored, what=what)
