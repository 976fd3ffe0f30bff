"""A modal's `private_metadata`: what it carries from the click that opened it to its submission.

One scheme for every modal: a JSON object with the version under "v" and short keys, since Slack allows
3,000 characters. The keys:

- "f": the follow-up a note or skip form is about; "d": the decision a role form is about;
- "c", "ts": the channel and message the form came from (a follow-up's DM, a decision message), "th": the
  thread it sits in when that is not its own, "a": who posted it;
- "p": the bot's reply to update once the form is saved (in channel "c").

A form opened before the scheme had a version (version 1) spelled the follow-up's keys out ("followup_id",
"channel", "ts"); such a form may still be open in someone's client when the bot is updated, so it is read
too. Anything else, or a form of a later version, is out of date: the user is asked to close it and try again.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain.errors import OutOfDate

VERSION = 2
_VERSION_1 = {"followup_id": "f", "channel": "c"}  # the keys that were renamed; the others kept theirs
OUT_OF_DATE = "This form is out of date; close it and try again."


def encode(**values: Any) -> str:
    """The metadata for a modal; values that are None are left out."""
    kept = {key: value for key, value in values.items() if value is not None}
    return json.dumps({"v": VERSION, **kept}, separators=(",", ":"))


def decode(view: dict[str, Any]) -> dict[str, Any]:
    """What a submitted view's metadata carries, keyed as `encode` keys it; OutOfDate when it is unreadable."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        raise OutOfDate(OUT_OF_DATE) from None
    if not isinstance(found, dict):
        raise OutOfDate(OUT_OF_DATE)
    version = found.pop("v", 1)
    if version == 1:
        return {_VERSION_1.get(str(key)) or str(key): value for key, value in found.items()}
    if version != VERSION:
        raise OutOfDate(OUT_OF_DATE)
    return found
