"""Errors the user should see, worded for them."""


class UserFacingError(Exception):
    """`str(error)` is a friendly message shown to the person who acted; nothing was changed."""


class NotAllowed(UserFacingError):
    pass


class OutOfDate(UserFacingError):
    pass
