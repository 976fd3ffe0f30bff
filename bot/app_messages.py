"""Words the app says when things go wrong."""

GENERIC_ERROR = "😕 Something went wrong on our side and nothing was changed. Please try again in a moment."
BUSY = ("⏳ The database is busy right now, so I did nothing and changed nothing. "
        "Please try again in a minute.")
