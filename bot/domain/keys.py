"""How two spellings of one name or one role are told to be the same: the keys the database matches on
(a candidate's name within a round, a round's role). Storage imports them from here."""

from __future__ import annotations

import re


def name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def role_key(role: str | None) -> str | None:
    return re.sub(r"[^\w]+", " ", role).strip().casefold() if role else None
