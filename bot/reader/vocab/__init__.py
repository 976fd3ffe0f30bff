"""The reader's vocabulary: word lists and phrase tables people extend, kept as data files in this folder.

- `verdicts.json`: the clause reader's verdict phrases by outcome (strong and weak), neutral phrases,
  hedges and hiring words;
- `role_heads.txt`, `role_words.txt`: the words job titles end in and may contain;
- `non_names.txt`, `common_words.txt`: capitalised words that are never names, and lower-case words that
  are never names on their own;
- `organisation_words.txt`: words that make a capitalised run a company, not a person;
- `things.txt`: nouns for things, whose verdict is no verdict on a person;
- `english_words.txt`: common English words that are not given names, built from wordfreq and the US
  Census name files by scripts/build_english_words.py.

Every list is read once, when this module is imported.
"""

from __future__ import annotations

from importlib import resources


def _words(name: str) -> frozenset[str]:
    """A word list of bot/reader/vocab (one or more words a line, "#" starts a comment)."""
    text = (resources.files("bot.reader.vocab") / name).read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())

TITLES = {"dr", "mr", "ms", "mrs", "mx", "miss", "prof", "professor", "sir", "dame"}

SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md"}

PARTICLES = frozenset(
    """
    van von de da del della der den di du la le bin binti al el ter ten dos das do i ibn zu af av st
    """.split()
)

# particles that are also the word "and": between two full names they join two people
JOINING_PARTICLES = frozenset({"i"})  # Catalan "Castells i Puig"; Spanish "y" always joins

ROLE_HEADS = _words("role_heads.txt")

ROLE_WORDS = ROLE_HEADS | _words("role_words.txt")

STAGE_WORDS = frozenset(
    """
    onsite on-site screen screening round panel take-home loop interview interviews debrief references
    offer final phone stage
    """.split()
)

NON_NAMES = _words("non_names.txt")

PRONOUNS = frozenset(
    phrase.replace("_", " ")
    for phrase in """
    him her them both either both_of_them either_of_them each_of_them all_of_them all_three all_two
    the_others the_rest the_other_two the_other_three the_other_finalists the_other_candidates
    the_remaining_candidates the_remaining_finalists everyone_else
    """.split()
)

ORGANISATION_WORDS = _words("organisation_words.txt")

COMMON_WORDS = _words("common_words.txt")

# nouns for things, whose verdicts are no verdicts on people ("rejected my request")
THING_NOUNS = _words("things.txt")

# common English words that are not given names (built by scripts/build_english_words.py)
ENGLISH_WORDS = _words("english_words.txt")
