"""Errors the user should see, worded for them."""


class UserFacingError(Exception):
    """`str(error)` is a friendly message shown to the person who acted; nothing was changed."""


class NotAllowed(UserFacingError):
    pass


class OutOfDate(UserFacingError):
    pass


ERASED_FOLLOWUP = ("🗑️ This candidate's record was erased, so nothing can be changed or saved for them any more. "
                   "Nothing was saved.")
ERASED_DECISION = ("🗑️ The record of someone in this decision was erased, so the decision can't be changed any "
                   "more. Nothing was changed.")


class Erased(OutOfDate):
    """The write targets a candidate whose personal data was erased: refused, whatever the button or form."""

    def __init__(self, message: str = ERASED_FOLLOWUP) -> None:
        super().__init__(message)
