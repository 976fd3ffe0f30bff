"""Pacing Web API posts on purpose, so a burst of due nudges never turns into a 429 storm.

Slack allows chat.postMessage about one message a second per channel (bursts tolerated) and several
hundred a minute per workspace. The pacer spaces posts to stay under both; 429s are still retried
after Retry-After by the client, but should not happen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

PER_CHANNEL_INTERVAL = 1.0  # seconds between posts to one channel (a manager's DM)
PER_WORKSPACE_PER_MINUTE = 240


class Pacer:
    def __init__(
        self,
        *,
        per_channel_interval: float = PER_CHANNEL_INTERVAL,
        per_workspace_per_minute: int = PER_WORKSPACE_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_channel_interval = per_channel_interval
        self.workspace_interval = 60.0 / per_workspace_per_minute
        self.clock = clock
        self.sleep = sleep
        self._next_channel: dict[tuple[str, str], float] = {}
        self._next_workspace: dict[str, float] = {}
        self._lock = threading.Lock()

    def hold(self, *, team_id: str, seconds: float) -> None:
        """Slack answered 429 with Retry-After `seconds`: no post to this workspace before then."""
        with self._lock:
            until = self.clock() + max(0.0, seconds)
            self._next_workspace[team_id] = max(self._next_workspace.get(team_id, until), until)

    def wait(self, *, team_id: str, channel: str, at_most: float | None = None) -> float | None:
        """Block until a post to `channel` in `team_id` is within the limits; returns the time waited.
        With `at_most`: None, without waiting or taking the slot, when it would take longer than that."""
        with self._lock:
            now = self.clock()
            at = max(now, self._next_channel.get((team_id, channel), now), self._next_workspace.get(team_id, now))
            if at_most is not None and at - now > at_most:
                return None
            self._next_channel[(team_id, channel)] = at + self.per_channel_interval
            self._next_workspace[team_id] = at + self.workspace_interval
            if len(self._next_channel) > 10_000:  # forget channels whose slot has long passed
                self._next_channel = {k: v for k, v in self._next_channel.items() if v > now}
        waited = at - now
        if waited > 0:
            self.sleep(waited)
        return waited


class VirtualClock:
    """A monotonic clock that only moves when slept on: for tests and benchmarks of pacing."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
