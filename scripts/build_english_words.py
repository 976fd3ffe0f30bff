"""Build bot/reader/vocab/english_words.txt: common English words that are not given names.

The reader reads names typed in lower case ("pass on lena hartmann") and must not read "review", "tests"
or "leadership" as one; nor a capitalised run of everyday words ("Deep Dive", "Capitol Hill") as a person.
This list is that knowledge, built once from two maintained data sources and committed as a reviewable
data file, so the bot itself depends on neither:

- the most frequent English words of `wordfreq` (Robyn Speer, https://github.com/rspeer/wordfreq);
- minus the given names and the 10,000 most frequent family names of the US Census 1990 name files shipped
  by the `names` package (https://github.com/treyhunner/names), so "grace", "will", "park" or "hall" can
  still be names.

Run it in any environment with both installed (they are not the project's dependencies):

    python -m venv /tmp/vocab && /tmp/vocab/bin/pip install wordfreq names
    /tmp/vocab/bin/python scripts/build_english_words.py
"""

from __future__ import annotations

import re
from pathlib import Path

import names  # type: ignore[import-not-found]
import wordfreq  # type: ignore[import-not-found]

COUNT = 12_000
OUT = Path(__file__).resolve().parent.parent / "bot" / "reader" / "vocab" / "english_words.txt"


SURNAMES = 10_000  # the most frequent family names, often words too (Brown, Park, Hall) or common on the web (Kumar)


def census_names() -> set[str]:
    """Every given name, and the most frequent family names, of the US Census 1990 files."""
    folder = Path(names.__file__).parent
    out: set[str] = set()
    for file, limit in (("dist.male.first", None), ("dist.female.first", None), ("dist.all.last", SURNAMES)):
        lines = [line for line in (folder / file).read_text().splitlines() if line.strip()]
        out.update(line.split()[0].lower() for line in lines[:limit])
    return out


def main() -> None:
    first = census_names()
    words = [w for w in wordfreq.top_n_list("en", COUNT)
             if re.fullmatch(r"[a-z][a-z'-]*[a-z]", w) and w not in first]
    header = (
        f"# Common English words that are not given names: the {COUNT} most frequent English words of wordfreq,\n"
        "# less the given names and the 10,000 most frequent family names of the US Census 1990 files of the\n"
        "# `names` package. Built by"
        " scripts/build_english_words.py; do not edit by hand (add to common_words.txt instead).\n"
    )
    lines = [" ".join(words[i : i + 16]) for i in range(0, len(words), 16)]
    OUT.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {OUT}")


if __name__ == "__main__":
    main()
