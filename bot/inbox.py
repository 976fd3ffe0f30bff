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

Events of one channel are processed in order, one at a time, by one of `lanes` threads; any idle one takes
the next channel with events waiting, so a slow message holds up only its own channel (bot.lanes). What
this process fails to process, or had not processed when it stopped, stays in the table for the redelivery
job (`redeliver`), in this replica or another.

**One worker at a time.** A row is claimed under a lease (`claimed_by`, `claim_expires`, CLAIM_LEASE) as it
is processed, like the outbox's and the sweep's rows: it is born claimed by the replica that kept it, the
lease is renewed every third of its length while this process holds the row (waiting in a lane, or being
processed, however slowly), and the redelivery job only takes rows whose lease ran out (PostgreSQL: `FOR
UPDATE SKIP LOCKED`), so a row is processed by one worker at a time, on one replica or several. A failure
hands the row back, free after REDELIVER_AFTER; a process that dies stops renewing, and another replica
takes its rows once their leases run out.

**Given up, never in silence.** A row whose last attempt (REDELIVER_ATTEMPTS redeliveries) fails is given up:
kept, no longer redelivered, and told about once (bot.followups.given_up: the message's thread and the
admins; the admins for an ATS delivery). Which replica tells is settled by a claim on the row, like a
redelivery's; `persona-grata inbox retry` puts given-up rows back once the cause is fixed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.deps import Deps, before_ack, writer
from bot.followups import given_up
from bot.lanes import KeyedLanes
from bot.slack.payloads import team_id_of
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
REDELIVER_AFTER = timedelta(minutes=1)  # a row is redelivered no sooner after it was received, or handed back
REDELIVER_ATTEMPTS = 5
REDELIVER_BATCH = 100
TELL_AGAIN_AFTER = timedelta(minutes=5)  # a notice about a given-up row Slack did not take is tried again then


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
                 lanes: int = LANES, max_delay: float = MAX_DELAY, tell: Teller | None = None) -> None:
        self._deps = deps
        self._process = process
        self._tell = tell or given_up.tell
        self.activity = activity or Activity()
        self._max_delay = max_delay
        self._lease = deps.settings.claim_lease.as_timedelta()
        self._lock = threading.Lock()
        self._joined = threading.Condition(self._lock)  # a request joined the queue
        self._waiting: list[_Ticket] = []
        self._writing = False  # a request is writing a commit; the others wait for it
        self._stopping = threading.Event()
        self._outstanding = 0  # handed to a lane, not yet processed
        self._idle = threading.Condition()
        # The rows this process holds (waiting in a lane, or being processed): event id -> when the lease we
        # last wrote for it runs out. Renewed by the lease keeper; one holder per row in this process.
        self._held: dict[str, datetime] = {}
        self._processing: set[str] = set()
        self._held_lock = threading.Lock()
        # a channel's events in order, one at a time; any idle lane takes the next channel with events waiting,
        # so one channel's slow message holds up no other channel (bot.lanes)
        self._lanes: KeyedLanes[tuple[dict[str, Any], float]] = KeyedLanes(lanes, self._lane_item, name="inbox-lane")
        self._threads = [threading.Thread(target=self._keep_leases, name="inbox-leases", daemon=True)]
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
            expires = now + self._lease
            with one_statement(writer(before_ack(self._deps))) as connection:
                repo.inbox_keep_many(connection, [_row(t, now) for t in batch], claimer=self._deps.replica_id,
                                     expires=expires)
        except Exception as failure:  # every request of the batch answers 503; Slack delivers again
            logger.error("could not keep %d events in the inbox: %s", len(batch), type(failure).__name__)
            error = failure
        if error is None:
            received = time.monotonic()
            mine: list[_Ticket] = []
            with self._held_lock:  # a delivery of a row this process holds already is that holder's to process
                for ticket in batch:
                    event_id = str(ticket.body["event_id"])
                    if event_id not in self._held:
                        self._held[event_id] = expires
                        mine.append(ticket)
            with self._idle:
                self._outstanding += len(mine)
            for ticket in mine:
                event = ticket.body.get("event") or {}
                self._lanes.put((ticket.body.get("team_id"), event.get("channel")), (ticket.body, received))
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

    def _lane_item(self, item: tuple[dict[str, Any], float]) -> None:
        body, received = item
        try:
            self.activity.wait_quiet(received + self._max_delay, self._stopping)
            if not self._stopping.is_set():  # when stopping, the row is handed back for redelivery
                self._run(body)
        finally:
            with self._idle:
                self._outstanding -= 1
                if self._outstanding == 0:
                    self._idle.notify_all()

    def _run(self, body: dict[str, Any]) -> bool:
        """Process one held row, if it is still ours; a failure hands it back for redelivery. True when done."""
        event_id = str(body.get("event_id"))
        with self._held_lock:
            self._processing.add(event_id)
        try:
            if not self._still_held(event_id):
                logger.info("event %s: another worker holds it or has processed it; left to them", event_id)
                return False
            self._process(body)
            return True
        except Exception as error:
            logger.exception("event %s: processing failed; it stays in the inbox and will be retried", event_id)
            self._failed(event_id, type(error).__name__)
            return False
        finally:
            with self._held_lock:
                self._processing.discard(event_id)
                self._held.pop(event_id, None)

    def _still_held(self, event_id: str) -> bool:
        """Whether this process still holds the row: surely while the lease we last wrote has more than half
        to run (nobody may take it before it runs out); else the database says, renewing it if so."""
        now = self._deps.clock()
        with self._held_lock:
            expires = self._held.get(event_id)
        if expires is not None and expires - now > self._lease / 2:
            return True
        with self._deps.sessions.begin() as session:
            held = repo.inbox_hold(session, event_id, claimer=self._deps.replica_id, now=now, lease=self._lease)
        if held:
            with self._held_lock:
                self._held[event_id] = now + self._lease
        return held

    def _failed(self, event_id: str, error: str) -> None:
        """Hand the row back after a failure, free after REDELIVER_AFTER; or, its last attempt spent, give it up
        (the redelivery job tells about it)."""
        now = self._deps.clock()
        try:
            with self._deps.sessions.begin() as session:
                gave_up = repo.inbox_failed(session, event_id, claimer=self._deps.replica_id, now=now,
                                            free_from=now + REDELIVER_AFTER, error=error,
                                            max_attempts=REDELIVER_ATTEMPTS)
        except Exception as failure:  # the lease runs out instead; the redelivery job gives it up then
            logger.warning("could not hand back inbox event %s (%s); it is free when its lease runs out", event_id,
                           type(failure).__name__)
            return
        if gave_up:
            logger.error("event %s: given up after %d redeliveries (%s); kept in the inbox, to be told about",
                         event_id, REDELIVER_ATTEMPTS, error)

    def _hand_back(self, event_ids: list[str], *, free_from: datetime | None = None) -> None:
        try:
            with self._deps.sessions.begin() as session:
                repo.inbox_release(session, event_ids, claimer=self._deps.replica_id, free_from=free_from)
        except Exception as error:  # the lease runs out instead
            logger.warning("could not hand back %d inbox events (%s); they are free when their lease runs out",
                           len(event_ids), type(error).__name__)

    # --- leases -------------------------------------------------------------------------------------

    def renew(self, now: datetime) -> int:
        """Renew the leases of every row this process holds (the lease keeper calls it every third of the
        lease, with the clock; the redelivery job before it looks for rows whose lease ran out). A row found
        held by someone else (or gone) is checked again before it is processed."""
        with self._held_lock:
            held = list(self._held)
        if not held:
            return 0
        try:
            with self._deps.sessions.begin() as session:
                renewed = repo.inbox_renew(session, held, claimer=self._deps.replica_id, now=now, lease=self._lease)
        except Exception as error:
            logger.warning("could not renew the leases of %d inbox events: %s", len(held), type(error).__name__)
            return 0
        with self._held_lock:
            for event_id in held:
                if event_id in self._held:
                    self._held[event_id] = now + self._lease if event_id in renewed else now
        return len(renewed)

    def _keep_leases(self) -> None:
        interval = max(self._lease.total_seconds() / 3, 0.5)
        while not self._stopping.wait(interval):
            self.renew(self._deps.clock())

    # --- the redelivery job -------------------------------------------------------------------------

    def redeliver(self, now: datetime) -> int:
        """Process the kept rows nobody holds (their processing failed, or the process holding them died or
        stopped), received at least REDELIVER_AFTER ago, at most REDELIVER_ATTEMPTS times each. Rows held by
        a worker, here or on another replica, are left to it. Returns how many were processed."""
        self.renew(now)  # what this process holds is not free for the taking, however slow it is
        with self._deps.sessions.begin() as session:
            bodies = repo.inbox_claim(session, now=now, received_before=now - REDELIVER_AFTER,
                                      claimer=self._deps.replica_id, lease=self._lease,
                                      max_attempts=REDELIVER_ATTEMPTS, limit=REDELIVER_BATCH)
        ours: list[dict[str, Any]] = []
        with self._held_lock:
            for body in bodies:
                event_id = str(body.get("event_id"))
                if event_id not in self._held:  # else a lane of ours has it
                    self._held[event_id] = now + self._lease
                    ours.append(body)
        done = 0
        for index, body in enumerate(ours):
            if self._deps.stopping.is_set() or self._stopping.is_set():
                rest = [str(b.get("event_id")) for b in ours[index:]]
                self._hand_back(rest)
                with self._held_lock:
                    for event_id in rest:
                        self._held.pop(event_id, None)
                break
            done += self._run(body)
        if bodies:
            logger.info("redelivered %d of %d kept events", done, len(bodies))
        self.tell_given_up(now)
        return done

    def tell_given_up(self, now: datetime) -> int:
        """Give up the rows whose attempts ran out (also ones left by a version that did not), and tell about
        each given-up row nobody was told about: once, whichever replica claims it. Returns how many were
        told about."""
        with self._deps.sessions.begin() as session:
            repo.inbox_give_up(session, now=now, max_attempts=REDELIVER_ATTEMPTS)
            rows = repo.inbox_claim_untold(session, now=now, claimer=self._deps.replica_id, lease=self._lease,
                                           limit=REDELIVER_BATCH)
        told = 0
        for event_id, body, received_at, error in rows:
            try:
                finished = self._tell(self._deps, body, received_at=received_at, error=error)
            except Exception as failure:
                logger.warning("given up: event %s: telling failed (%s); tried again later", event_id,
                               type(failure).__name__)
                finished = False
            with self._deps.sessions.begin() as session:
                if finished:
                    repo.inbox_told(session, event_id, claimer=self._deps.replica_id, now=now)
                else:
                    repo.inbox_release(session, [event_id], claimer=self._deps.replica_id,
                                       free_from=now + TELL_AGAIN_AFTER)
            told += finished
        return told

    def given_up_count(self) -> int | None:
        """How many rows are given up (for /healthz); None when the database does not say."""
        try:
            with self._deps.sessions.begin() as session:
                return repo.inbox_given_up_count(session)
        except Exception as error:
            logger.warning("could not count the given-up inbox events: %s", type(error).__name__)
            return None

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
        """Take no new events; finish the ones being processed; hand the rest back for redelivery."""
        with self._lock:
            self._stopping.set()
        deadline = time.monotonic() + timeout
        self._lanes.stop(timeout)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._held_lock:
            waiting = [event_id for event_id in self._held if event_id not in self._processing]
            for event_id in waiting:
                del self._held[event_id]
        if waiting:
            self._hand_back(waiting)


class Teller(Protocol):
    def __call__(self, deps: Deps, body: dict[str, Any], *, received_at: datetime, error: str | None) -> bool: ...


def done(deps: Deps, event_id: str) -> None:
    """The event's work is finished: its row leaves the inbox, and no replica redelivers it."""
    with deps.sessions.begin() as session:
        repo.inbox_done(session, event_id)


def seen(deps: Deps, event_id: str) -> bool:
    """Whether an event (or an ATS delivery) with this id was processed already: a redelivery."""
    with deps.sessions.begin() as session:
        return repo.event_seen(session, event_id)


def _row(ticket: _Ticket, now: datetime) -> dict[str, Any]:
    body = ticket.body
    return {
        "event_id": str(body["event_id"]),
        "team_id": team_id_of(body),
        "body": ticket.raw or json.dumps(body, separators=(",", ":")),
        "received_at": now,
    }
