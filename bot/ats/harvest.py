"""Greenhouse's Harvest v3 API: an OAuth 2.0 client-credentials token, cached, and Bearer GETs with it.

Harvest v1/v2 (HTTP basic auth with an API key) went out of service on 2026-08-31; v3 is the only Harvest a
Greenhouse customer can create credentials for. How v3 is reached, as Greenhouse documents it
(https://harvestdocs.greenhouse.io/docs/authentication, "Custom integrations: OAuth 2.0 Client Credentials"):

- the token: `POST https://auth.greenhouse.io/token` (GREENHOUSE_AUTH_URL), HTTP basic auth with
  client_id:client_secret, an `application/x-www-form-urlencoded` body `grant_type=client_credentials` and,
  optionally, `sub=<Greenhouse user id>` (the user the calls are made as; without it, the service account
  attached to the credentials). The answer carries `access_token`, `token_type` and `expires_at` (an ISO time,
  as Greenhouse's own client reads it: github.com/grnhse/greenhouse-tools-php, HarvestAuthClient); an
  `expires_in` (seconds, RFC 6749 section 5.1) is read too, and with neither the token is kept for an hour,
  the access-token lifetime Greenhouse documents (https://harvestdocs.greenhouse.io/docs/harvest-partner-oauth,
  "Key Token Lifetimes").
- the calls: `Authorization: Bearer <access_token>` on `https://harvest.greenhouse.io/v3/...`
  (GREENHOUSE_API_URL).

The token is kept per process (one cache per set of credentials, under a lock: two deliveries processed at
once fetch it once), fetched again a minute before it expires, and fetched again once when Harvest answers
401 (revoked, or expired early); a second 401 is an error. Rate limiting
(https://harvestdocs.greenhouse.io/docs/api-rate-limiting): a 429 carries `Retry-After` in seconds; a wait of
up to RETRY_AFTER_MAX is waited once, a longer one (or a second 429) raises HarvestBusy, which is not a
VendorUnavailable: the delivery stays in the inbox and is processed again later, as a Lever or Ashby delivery
is when their API can't answer. Neither the secret nor a token is ever logged or put in an error's text.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from bot.ats import API_TIMEOUT, VendorUnavailable

REFRESH_BEFORE = timedelta(minutes=1)  # a token this close to its expiry is fetched again before use
DEFAULT_LIFETIME = timedelta(hours=1)  # when the token's answer says no expiry (see the docstring)
RETRY_AFTER_MAX = 5.0  # seconds: a longer Retry-After is not waited here, the inbox tries again later

sleep: Callable[[float], None] = time.sleep  # tests replace it, so that no test waits
timeout: float = API_TIMEOUT  # seconds per request; a test of a hanging Harvest shortens it


class HarvestUnavailable(VendorUnavailable):
    """Harvest (or its token endpoint) could not answer: the web hook's people are used instead."""


class HarvestBusy(RuntimeError):
    """Harvest asked us to wait longer than RETRY_AFTER_MAX: the delivery is processed again later."""


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    user_id: str | None  # the token's `sub`
    auth_url: str


@dataclass
class _Token:
    value: str
    expires: datetime


class TokenCache:
    """One set of credentials' access token, shared by every delivery this process handles."""

    def __init__(self, credentials: Credentials, clock: Callable[[], datetime] | None = None) -> None:
        self.credentials = credentials
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._token: _Token | None = None

    def get(self) -> str:
        """A token good for at least REFRESH_BEFORE more, fetched when the kept one is not."""
        with self._lock:
            if self._token is None or self.clock() >= self._token.expires - REFRESH_BEFORE:
                self._token = self._fetch()
            return self._token.value

    def refused(self, token: str) -> None:
        """Harvest answered 401 to `token`: forget it (unless another thread already replaced it)."""
        with self._lock:
            if self._token is not None and self._token.value == token:
                self._token = None

    def _fetch(self) -> _Token:
        c = self.credentials
        form = {"grant_type": "client_credentials", **({"sub": c.user_id} if c.user_id else {})}
        basic = base64.b64encode(f"{c.client_id}:{c.client_secret}".encode()).decode()
        request = Request(c.auth_url, data=urlencode(form).encode(), method="POST", headers={
            "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {basic}"})
        answer = _send(request, "Greenhouse's token endpoint")
        value = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            raise HarvestUnavailable("Greenhouse's token endpoint: no access_token in its answer")
        return _Token(value, self.clock() + _lifetime(answer, self.clock()))


def _lifetime(answer: dict[str, Any], now: datetime) -> timedelta:
    """How long a token is good for: `expires_in` seconds, else until `expires_at`, else DEFAULT_LIFETIME."""
    seconds = answer.get("expires_in")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return timedelta(seconds=seconds)
    at = answer.get("expires_at")
    if isinstance(at, str):
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is not None:
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            if when > now:
                return when - now
    return DEFAULT_LIFETIME


_caches: dict[Credentials, TokenCache] = {}
_caches_lock = threading.Lock()


def cache_for(credentials: Credentials) -> TokenCache:
    """The process's token cache for these credentials (made on first use)."""
    with _caches_lock:
        found = _caches.get(credentials)
        if found is None:
            found = _caches[credentials] = TokenCache(credentials)
        return found


def get(api_url: str, credentials: Credentials, path: str, query: dict[str, str]) -> Any:
    """GET `path` (relative to GREENHOUSE_API_URL) with a Bearer token: its JSON. A 401 fetches a new token
    once; a 429 is waited out once when short (HarvestBusy when not); anything else that fails is
    HarvestUnavailable naming `path`'s resource and the HTTP status, never a credential."""
    url = api_url.rstrip("/") + "/" + path + ("?" + urlencode(query) if query else "")
    what = f"Greenhouse Harvest, {path}"
    cache = cache_for(credentials)
    refreshed = waited = False
    while True:
        token = cache.get()
        request = Request(url, method="GET", headers={"Accept": "application/json",
                                                      "Authorization": f"Bearer {token}"})
        try:
            return _send(request, what, raw_errors=True)
        except HTTPError as error:
            if error.code == 401 and not refreshed:
                cache.refused(token)
                refreshed = True
                continue
            if error.code == 429 and not waited:
                _wait(error.headers, what)
                waited = True
                continue
            if error.code == 429:
                raise HarvestBusy(f"{what}: HTTP 429 again after waiting") from None
            raise HarvestUnavailable(f"{what}: HTTP {error.code}") from None


def _wait(headers: Message | None, what: str) -> None:
    """Wait what a 429's Retry-After asks, when it is short; HarvestBusy when it is long or unreadable."""
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        seconds = float(raw) if raw is not None else RETRY_AFTER_MAX
    except ValueError:
        seconds = RETRY_AFTER_MAX + 1  # an HTTP date: too far to reason about here
    if seconds > RETRY_AFTER_MAX:
        raise HarvestBusy(f"{what}: HTTP 429, Retry-After {raw}")
    sleep(max(seconds, 0.0))


def _send(request: Request, what: str, *, raw_errors: bool = False) -> Any:
    """One request's JSON answer. HTTPError passes through when `raw_errors` (the caller decides on 401/429);
    otherwise every failure is HarvestUnavailable (HarvestBusy for a 429 from the token endpoint)."""
    try:
        with urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except HTTPError as error:
        if raw_errors:
            raise
        if error.code == 429:
            raise HarvestBusy(f"{what}: HTTP 429") from None
        raise HarvestUnavailable(f"{what}: HTTP {error.code}") from None
    except (URLError, OSError, ValueError) as error:
        raise HarvestUnavailable(f"{what}: {type(error).__name__}") from None
