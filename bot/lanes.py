"""Work kept in order per key, done by a few threads, so that one key's slow item holds up only that key.

The inbox processes a channel's message events in the order Slack sent them, and must not let one
channel's slow message (a 40,000-character one, a Slack call timing out) hold up the others. Threads fed
by `hash(key) % n` queues keep the order but make every channel sharing a queue wait; here any idle thread
takes the next key with work waiting, and a key is worked on by one thread at a time.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class KeyedLanes(Generic[T]):
    """`put(key, item)`; `handle(item)` is called for each item on one of `workers` threads: the items of one
    key one at a time, in the order they were put; items of different keys side by side."""

    def __init__(self, workers: int, handle: Callable[[T], None], *, name: str = "lane") -> None:
        self._handle = handle
        self._changed = threading.Condition()
        self._pending: dict[Hashable, deque[T]] = {}  # a key's items not yet handled, oldest first
        self._ready: deque[Hashable] = deque()  # keys with items waiting and no thread on them
        self._busy: set[Hashable] = set()  # keys a thread is handling an item of
        self._stopping = False
        self._threads = [threading.Thread(target=self._loop, name=f"{name}-{n}", daemon=True) for n in range(workers)]
        for thread in self._threads:
            thread.start()

    def put(self, key: Hashable, item: T) -> None:
        with self._changed:
            waiting = self._pending.setdefault(key, deque())
            waiting.append(item)
            if len(waiting) == 1 and key not in self._busy:
                self._ready.append(key)
                self._changed.notify()

    def stop(self, timeout: float = 10.0) -> None:
        """Handle what was put (`handle` may skip work once its owner is stopping), then end the threads."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self) -> None:
        while True:
            with self._changed:
                while not self._ready and not self._stopping:
                    self._changed.wait()
                if not self._ready:
                    return  # stopping, and nothing is left that no other thread is on
                key = self._ready.popleft()
                self._busy.add(key)
                item = self._pending[key].popleft()
            try:
                self._handle(item)
            except Exception:  # the handler reports its own failures; a lane thread never dies of one
                logger.exception("lane %s: an item failed", threading.current_thread().name)
            finally:
                with self._changed:
                    self._busy.discard(key)
                    if self._pending[key]:
                        self._ready.append(key)
                        self._changed.notify()
                    else:
                        del self._pending[key]
