"""bot.lanes: a key's items in order, one at a time; a slow key holds up no other key."""

from __future__ import annotations

import threading

from bot.lanes import KeyedLanes


def test_a_slow_key_holds_up_no_other_key_and_each_key_keeps_its_order() -> None:
    gate = threading.Event()
    done: list[tuple[str, int]] = []
    others_done = threading.Event()
    lock = threading.Lock()

    def handle(item: tuple[str, int]) -> None:
        if item == ("slow", 1):
            gate.wait(10)
        with lock:
            done.append(item)
            if sum(1 for key, _ in done if key != "slow") == 6:
                others_done.set()

    lanes: KeyedLanes[tuple[str, int]] = KeyedLanes(2, handle)
    try:
        lanes.put("slow", ("slow", 1))
        lanes.put("slow", ("slow", 2))  # waits for its own key's first item only
        for n in range(1, 4):
            lanes.put("a", ("a", n))
            lanes.put("b", ("b", n))
        # every other key's items are handled while the slow key's first item is still being handled
        assert others_done.wait(10)
        assert ("slow", 2) not in done
        gate.set()
    finally:
        lanes.stop()
    for key in ("slow", "a", "b"):
        assert [n for k, n in done if k == key] == sorted(n for k, n in done if k == key)
    assert len(done) == 8


def test_a_failing_item_stops_nothing() -> None:
    done: list[int] = []

    def handle(item: int) -> None:
        if item == 1:
            raise RuntimeError("boom")
        done.append(item)

    lanes: KeyedLanes[int] = KeyedLanes(1, handle)
    for n in range(1, 4):
        lanes.put("k", n)
    lanes.stop()
    assert done == [2, 3]
