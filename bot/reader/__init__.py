"""The decision reader: a Slack message's text in, a reading of the hiring decision it states out.

Pure and offline: no Slack calls, no database, no logging. Only `read`, the reading (`Decision`), the
person type (`Person`) and the confidence below which the bot asks instead of recording are public; the
modules inside are its parts (`rules`: normalising, splitting, names, roles, stages and the rules;
`reading`: how they are put together).

The one exception to "offline" is `bot.reader.model`, the optional second reader (DECISION_READER=model):
it sends what the rules let through to an OpenAI-compatible endpoint, and logs a fallback's cause.
"""

from bot.reader.reading import CONFIDENCE_THRESHOLD, Decision, Person, read

__all__ = ["CONFIDENCE_THRESHOLD", "Decision", "Person", "read"]
