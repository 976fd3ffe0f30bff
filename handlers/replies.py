"""How a listener is handed to Bolt (`listener`), and telling the person who acted what went wrong.

Listeners are module-level functions that take the Deps first, `handle_x(deps, ack, body, ...)`, so a test
imports one and calls it with a fake ack. `listener(deps, handle_x)` binds the Deps with functools.partial:
Bolt finds the arguments to inject by name with inspect.getfullargspec(inspect.unwrap(f)), which reads a
partial's remaining arguments (and the wrapper below passes on its __wrapped__, the partial).

Listeners ack first and then work; an exception escaping a listener after ack() makes Bolt log a
missing ack and fall through to the next matching listener. So every listener is wrapped: a
UserFacingError becomes a friendly ephemeral message, anything else is logged with its traceback
and answered with a generic apology. Nothing is changed in either case.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain.errors import UserFacingError
from bot.followups.saving import is_busy
from bot.slack.messages import BUSY, GENERIC_ERROR

logger = logging.getLogger(__name__)


def tell(deps: Deps, kwargs: dict[str, Any], message: str) -> None:
    """Reply ephemerally through response_url when there is one, else by DM to the actor."""
    respond = kwargs.get("respond")
    body = kwargs.get("body") or {}
    try:
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            respond(text=message, response_type="ephemeral", replace_original=False)
            return
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        if user:
            deps.client.chat_postMessage(channel=user, text=message)
    except (SlackApiError, OSError):
        logger.warning("could not tell the user about an error", exc_info=True)


def listener(deps: Deps, handle: Callable[..., Any]) -> Callable[..., Any]:
    """`handle(deps, ack, body, ...)` as Bolt calls it: the Deps bound, what it raises told to the user."""
    return friendly(deps, functools.partial(handle, deps), name=handle.__name__)


def friendly(deps: Deps, handle: Callable[..., Any], *, name: str) -> Callable[..., Any]:
    """`handle`, telling the user of what it raises (and logging it) instead of raising it to Bolt."""

    @functools.wraps(handle)
    def wrapper(**kwargs: Any) -> Any:
        try:
            return handle(**kwargs)
        except UserFacingError as error:
            tell(deps, kwargs, str(error))
        except Exception as error:
            if is_busy(error):  # a lock held too long: nothing was changed, and trying again will work
                logger.warning("listener %s: the database is busy (%s)", name, type(error).__name__)
                tell(deps, kwargs, BUSY)
            else:
                logger.exception("listener %s failed", name)
                tell(deps, kwargs, GENERIC_ERROR)
        return None

    wrapper.__name__ = wrapper.__qualname__ = name
    return wrapper
