"""How long the decision reader takes on long messages built to be hard for it, at growing lengths.

Slack allows 40,000 characters a message. A reader whose work grows faster than the message would let one
long message hold up its channel's inbox lane; this prints each shape's time at 1k, 10k and 40k
characters and the ratio 40k / 10k (about 4 for linear work).

    python benchmarks/reader_speed.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.reader import read  # noqa: E402

SHAPES = {
    "titles": "Not moving forward with " + "Mr. " * 12000,
    "long roster": "Rejected: " + ", ".join(f"Name{i} Surname{i}" for i in range(5000)),
    "lower-case objects": "pass on " + "ab " * 15000,
    "bare no": "x no " * 10000,
    "open quote": '"' + "a " * 25000,
    "table rows": "| Jane Doe | Onsite | Rejected |\n" * 2000,
    "marks and names": ":x: Jane Doe " * 4000,
    "salutation": "Hi " + "Jane " * 10000 + ",",
    "role words": "for the " + "senior " * 7000 + "engineer role",
    "sentences": "We are not moving forward with Omar Haddad. " * 1000,
}
SIZES = (1_000, 10_000, 40_000)


def timed(text: str) -> float:
    start = time.perf_counter()
    read(text)
    return time.perf_counter() - start


def main() -> int:
    print(f"| shape | {' | '.join(f'{n // 1000}k chars' for n in SIZES)} | 40k / 10k |")
    print("|---|" + "---|" * (len(SIZES) + 1))
    worst = 0.0
    for name, text in SHAPES.items():
        times = [min(timed(text[:n]) for _ in range(2)) for n in SIZES]
        worst = max(worst, times[-1])
        print(f"| {name} | {' | '.join(f'{t * 1000:.0f} ms' for t in times)} | {times[-1] / max(times[1], 1e-9):.1f} |")
    print(f"\nslowest 40k message: {worst * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
