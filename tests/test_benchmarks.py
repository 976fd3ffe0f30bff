"""The benchmark script runs, end to end, at its tiny size, and prints its table.

No timing is asserted here: the numbers (and whether targets are met) are the script's business.
PostgreSQL is used when reachable, as the script itself decides.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("1 ack", "2 record", "3 sweep", "4 digest", "5 memory")


@pytest.mark.e2e
def test_bench_script_prints_its_table_at_tiny_size() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--size", "tiny"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    out = completed.stdout
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    assert "## Persona Grata benchmarks (tiny)" in out
    assert "Machine: " in out and "Python " in out
    assert "| # | measurement | db | measured | target | result |" in out
    table = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| # ")]
    for section in SECTIONS:
        rows = [line for line in table if line.startswith(f"| {section} |")]
        assert rows, f"no rows for {section}:\n{out}"
        assert any(" sqlite |" in line for line in rows), f"no SQLite rows for {section}:\n{out}"
    assert "**error**" not in out, out
    assert all(line.rstrip().endswith(("| met |", "| **missed** |", "| — |")) for line in table), out


def test_bench_refuses_an_unknown_section() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--only", "nonsense"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 2
    assert "unknown section" in completed.stderr
