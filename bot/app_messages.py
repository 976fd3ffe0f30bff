"""Words the app says when things go wrong."""

GENERIC_ERROR = "😕 Something went wrong on our side and nothing was changed. Please try again in a moment."
