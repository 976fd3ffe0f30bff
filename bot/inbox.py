"""The inbox: message events kept before Slack is acknowledged, processed after, in the gaps between requests.

Bolt acknowledges an event before its listener runs, so Slack never delivers again one whose processing
failed afterwards. On the request path a message event is therefore only written to the `inbox` table,
and acknowledged once that row is committed; reading it, recording a decision and replying in its thread
happen afterwards, here.

Two things keep the acknowledgement as cheap as a bare app's under a burst:

- **Group commit.** While one request commits its row, the requests arriving meanwhile wait, and the
  next commit carries all of theirs: one transaction per group, not per event.
- **Acknowledgements first.** Processing (the decision reader, the database, the thread reply) waits
  until no request has been in flight for `quiet` seconds, or until the event is `max_delay` old, so a
  burst is acknowledged before what it brought is processed, and nothing waits longer than that.

Events of one channel are processed in order, by one of `lanes` threads. What this process fails to
process, or had not processed when it stopped, stays in the table for the redelivery job
(bot.jobs.redeliver), in this replica or another.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from bot.deps import Deps, before_ack, writer
from storage import repo
from storage.db import ACK_LOCK_WAIT, one_statement

logger = logging.getLogger(__name__)

LANES = 4
QUIET = 0.05  # seconds without a request in flight before processing resumes
MAX_DELAY = 2.0  # seconds an event may wait for a quiet moment
COMMIT_WAIT = 2 * ACK_LOCK_WAIT  # seconds a request waits for the commit carrying its row (or its turn to
# write one, which waits at most ACK_LOCK_WAIT for a lock): then Slack hears 503, inside its 3 seconds
BATCH = 256  # rows a commit carries at most
COMMIT_DELAY = 0.001  # seconds a commit may wait for requests in flight to join it


class InboxUnavailable(RuntimeError):
    """The event could not be kept (the database failed, or the inbox is stopping): Slack should retry."""


class Activity:
    """Requests in flight, so that background work can wait for a quiet moment. The request path only
    counts; waiters look every so often (a wake-up per request would cost the requests more)."""

    def __init__(self, quiet: float = QUIET) -> None:
        self.quiet = quiet
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_end = 0.0

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_end = time.monotonic()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def wait_quiet(self, deadline: float, stop: threading.Event) -> None:
        """Return once no request has been in flight for `quiet` seconds, at `deadline` (monotonic), or
        when `stop` is set."""
        while True:
            now = time.monotonic()
            with self._lock:
                busy, last_end = self._in_flight, self._last_end
            if now >= deadline or (not busy and now - last_end >= self.quiet):
                return
            pause = min(self.quiet if busy else last_end + self.quiet - now, deadline - now)
            if stop.wait(max(pause, 0.001)):
                return


class _Ticket:
    """One request's row, waiting for the commit that carries it (or for its turn to write one)."""

    __slots__ = ("body", "error", "raw", "state", "woken")

    def __init__(self, body: dict[str, Any], raw: str | None) -> None:
        self.body = body
        self.raw = raw
        self.woken = threading.Event()
        self.state = "waiting"  # -> "lead" (write the next commit) or "done"
        self.error: BaseException | None = None


class Inbox:
    """Keeps message events durably before the ack (`keep`) and processes them after it."""

    def __init__(self, deps: Deps, process: Callable[[dict[str, Any]], None], *, activity: Activity | None = None,
                 lanes: int = LANES, max_delay: float = MAX_DELAY) -> None:
        self._deps = deps
        self._process = process
        self.activity = activity or Activity()
        self._max_delay = max_delay
        self._lock = threading.Lock()
        self._joined = threading.Condition(self._lock)  # a request joined the queue
        self._waiting: list[_Ticket] = []
        self._writing = False  # a request is writing a commit; the others wait for it
        self._stopping = threading.Event()
        self._lanes: list[queue.SimpleQueue[tuple[dict[str, Any], float] | None]] = [
            queue.SimpleQueue() for _ in range(lanes)
        ]
        self._outstanding = 0  # handed to a lane, not yet processed
        self._idle = threading.Condition()
        self._threads = [threading.Thread(target=self._lane_loop, args=(lane,), name=f"inbox-lane-{n}", daemon=True)
                         for n, lane in enumerate(self._lanes)]
        for thread in self._threads:
            thread.start()

    # --- the request path: group commit -------------------------------------------------------------

    def keep(self, body: dict[str, Any], *, raw: str | None = None) -> None:
        """Write the event (and `raw`, its JSON, when at hand) to the inbox; return once it is committed,
        or raise InboxUnavailable.

        The first request to arrive writes; those arriving meanwhile wait, and the oldest of them then
        writes all of theirs in one commit, and so on: no thread hand-over when requests come one at a
        time, one commit per group when they come together."""
        ticket = _Ticket(body, raw)
        with self._lock:
            if self._stopping.is_set():
                raise InboxUnavailable("stopping")
            self._waiting.append(ticket)
            self._joined.notify()
            if not self._writing:
                self._writing = True
                ticket.state = "lead"
        if ticket.state != "lead" and not ticket.woken.wait(COMMIT_WAIT):
            with self._lock:
                if ticket.state == "waiting":  # not written, not our turn: give up (Slack retries)
                    if ticket in self._waiting:
                        self._waiting.remove(ticket)
                    raise InboxUnavailable("timed out waiting for the database")
        if ticket.state == "lead":
            self._write_one_commit()
        if ticket.error is not None:
            raise InboxUnavailable(type(ticket.error).__name__) from ticket.error

    def _write_one_commit(self) -> None:
        with self._joined:
            # Like PostgreSQL's commit_delay: while other requests are in flight and may be about to
            # join, wait a moment for them, so that one commit carries more rows.
            deadline = time.monotonic() + COMMIT_DELAY
            while len(self._waiting) < min(self.activity.in_flight, BATCH):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._joined.wait(remaining)
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
        error: BaseException | None = None
        try:
            now = self._deps.clock()
            with one_statement(writer(before_ack(self._deps))) as connection:
                repo.inbox_keep_many(connection, [_row(t, now) for t in batch])
        except Exception as failure:  # every request of the batch answers 503; Slack delivers again
            logger.error("could not keep %d events in the inbox: %s", len(batch), type(failure).__name__)
            error = failure
        if error is None:
            received = time.monotonic()
            with self._idle:
                self._outstanding += len(batch)
            for ticket in batch:
                event = ticket.body.get("event") or {}
                self._lanes[hash((ticket.body.get("team_id"), event.get("channel"))) % len(self._lanes)].put(
                    (ticket.body, received))
        with self._lock:
            for ticket in batch:
                ticket.error = error
                ticket.state = "done"
                ticket.woken.set()
            if self._waiting:  # hand the pen to the oldest waiter
                self._waiting[0].state = "lead"
                self._waiting[0].woken.set()
            else:
                self._writing = False

    # --- after the acknowledgement ------------------------------------------------------------------

    def _lane_loop(self, lane: queue.SimpleQueue[tuple[dict[str, Any], float] | None]) -> None:
        while True:
            item = lane.get()
            if item is None:
                return
            body, received = item
            try:
                self.activity.wait_quiet(received + self._max_delay, self._stopping)
                if not self._stopping.is_set():  # when stopping, the row stays in the table for redelivery
                    self._process(body)
            except Exception:
                logger.exception(
                    "event %s: processing failed; it stays in the inbox and will be retried", body.get("event_id")
                )
            finally:
                with self._idle:
                    self._outstanding -= 1
                    if self._outstanding == 0:
                        self._idle.notify_all()

    def drain(self, timeout: float = 15.0) -> None:
        """Wait until everything kept so far has been processed (for tests)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                writing = self._writing
            with self._idle:
                if not writing and self._outstanding == 0:
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("inbox still processing")
                self._idle.wait(min(remaining, 0.01))

    def stop(self, timeout: float = 10.0) -> None:
        """Take no new events; finish the ones being processed; leave the rest to redelivery."""
        with self._lock:
            self._stopping.set()
        for lane in self._lanes:
            lane.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))


def _row(ticket: _Ticket, now: datetime) -> dict[str, Any]:
    body = ticket.body
    return {
        "event_id": str(body["event_id"]),
        "team_id": str(body.get("team_id") or ""),
        "body": ticket.raw or json.dumps(body, separators=(",", ":")),
        "received_at": now,
    }
