"""Words the app says when things go wrong."""

GENERIC_ERROR = "😕 Something went wrong on our side and nothing was changed. Please try again in a moment."
BUSY = ("⏳ The database is busy right now, so I did nothing and changed nothing. "
        "Please try again in a minute.")
UNSURE = ("⚠️ I lost touch with the database just as it was saving, so I can't tell whether that was saved. "
          "Please check before you try again, so that it isn't saved twice.")
