"""Settings: the one place that knows the environment's variable names.

`load_settings(environ)` turns a mapping (normally `os.environ` after python-dotenv has read `.env`)
into a frozen `Settings`, or raises `ConfigError` naming the first variable that is missing or
malformed. Nothing else in the project reads the environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypedDict, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.domain.timing import Offset, TimingError, WorkHours, parse_duration, parse_schedule, parse_work_hours

T = TypeVar("T")  # what a timing setting parses to

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///persona_grata.db"
DEFAULT_ASHBY_API_URL = "https://api.ashbyhq.com/"
DEFAULT_GREENHOUSE_API_URL = "https://harvest.greenhouse.io/v3/"  # Harvest v3 (bot.ats.harvest)
DEFAULT_GREENHOUSE_AUTH_URL = "https://auth.greenhouse.io/token"  # its OAuth token endpoint
DEFAULT_MODEL_TIMEOUT = 8.0
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


# Every variable load_settings reads: what a process started for a test or a benchmark is given
# explicitly, never inherited from the shell or a .env.
VARIABLES = (
    "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL", "PORT",
    "NUDGE_SCHEDULE", "SWEEP_INTERVAL", "CLAIM_LEASE", "WORK_HOURS", "DIGEST_CHANNEL", "DIGEST_CRON", "DIGEST_TZ",
    "DIGEST_EMPTY", "ADMIN_USERS", "ESCALATE_TO", "RETENTION_DAYS", "COMPANY_NAME", "LOG_LEVEL", "LOG_FORMAT",
    "GREENHOUSE_WEBHOOK_SECRET", "ATS_MIN_STAGE", "LEVER_WEBHOOK_TOKEN", "LEVER_API_KEY", "LEVER_API_URL",
    "ASHBY_WEBHOOK_SECRET", "ASHBY_API_KEY", "ASHBY_API_URL", "GREENHOUSE_API_KEY", "GREENHOUSE_API_URL",
    "GREENHOUSE_CLIENT_ID", "GREENHOUSE_CLIENT_SECRET", "GREENHOUSE_USER_ID", "GREENHOUSE_AUTH_URL",
    "ATS_SIGNATURE_MAX_AGE",
    "ASHBY_WEBHOOK_SECRET", "ASHBY_API_KEY", "ASHBY_API_URL", "DECISION_READER", "MODEL_BASE_URL", "MODEL_NAME",
    "MODEL_API_KEY", "MODEL_TIMEOUT",
)

# The values `.env.example` ships with, and what to paste instead: `serve` and `check` recognise them rather
# than trying them against Slack (tests/test_first_run.py checks that the two lists agree).
EXAMPLE_VALUES = {
    "SLACK_BOT_TOKEN": ("xoxb-your-bot-token",
                        "paste your Bot User OAuth Token (xoxb-…, OAuth & Permissions in your Slack app's settings)"),
    "SLACK_SIGNING_SECRET": ("your-signing-secret",
                             "paste your Signing Secret (Basic Information → App Credentials)"),
    "SLACK_APP_TOKEN": ("xapp-your-app-level-token",
                        "paste your App-Level Token with connections:write (Basic Information → App-Level "
                        "Tokens), or comment the line out to serve HTTP instead of Socket Mode"),
}


class ConfigError(ValueError):
    """A setting is missing or malformed. `str(error)` is one line that names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    nudge_schedule: tuple[Offset, ...] = field(
        default_factory=lambda: (Offset(1, "d"), Offset(3, "d"), Offset(7, "d"))
    )
    sweep_interval: Offset = field(default_factory=lambda: Offset(60, "s"))
    claim_lease: Offset = field(default_factory=lambda: Offset(60, "s"))
    work_hours: WorkHours | None = field(default_factory=lambda: parse_work_hours("09:00-17:00"))
    digest_channel: str | None = None
    digest_cron: str = "0 9 * * MON"
    digest_tz: str = "UTC"
    admin_users: frozenset[str] = frozenset()
    escalate_to: frozenset[str] = frozenset()
    digest_when_empty: bool = False
    retention_days: int = 180
    company_name: str | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    greenhouse_webhook_secret: str | None = None  # POST /ats/greenhouse answers 404 while unset
    lever_webhook_token: str | None = None  # POST /ats/lever answers 404 while unset (the signature token)
    lever_api_key: str | None = None  # Lever's API (HTTP basic, the key as user name): a delivery carries ids only
    lever_api_url: str = "https://api.lever.co/v1"
    ashby_webhook_secret: str | None = None  # POST /ats/ashby answers 404 while unset
    ashby_api_key: str | None = None  # Ashby's API (bot.ats.ashby fetches what a webhook lacks)
    ashby_api_url: str = DEFAULT_ASHBY_API_URL
    ats_min_stage: str | None = None  # the first ATS stage whose rejections get a follow-up (None: bot.ats)
    # Harvest v3 OAuth client credentials: the job's hiring managers (bot.ats.greenhouse, bot.ats.harvest)
    greenhouse_client_id: str | None = None
    greenhouse_client_secret: str | None = field(default=None, repr=False)
    greenhouse_user_id: str | None = None  # the token's `sub`; None: the credentials' service account
    greenhouse_api_url: str = DEFAULT_GREENHOUSE_API_URL
    greenhouse_auth_url: str = DEFAULT_GREENHOUSE_AUTH_URL
    # How far a signed time (Lever's triggeredAt) may be from our clock, either way: an older delivery is a
    # replay, refused with 401 (bot.ats.fresh)
    ats_signature_max_age: Offset = field(default_factory=lambda: Offset(5, "m"))
    decision_reader: str = "rules"  # "model": an OpenAI-compatible endpoint reads what the rules let through
    model_base_url: str | None = None  # e.g. http://127.0.0.1:11434/v1 (…/chat/completions is appended)
    model_name: str | None = None
    model_api_key: str | None = None  # optional: local servers take none
    model_timeout: float = DEFAULT_MODEL_TIMEOUT  # seconds, for one reading, a wait after a 429 included

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required(environ: Mapping[str, str], name: str, prefix: str | None = None) -> str:
    value = _get(environ, name)
    if value is None:
        raise ConfigError(name, "is not set (copy .env.example to .env and fill it in)")
    if prefix and not value.startswith(prefix):
        raise ConfigError(name, f"should start with {prefix!r}")
    return value


def _int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _get(environ, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(name, f"{value} is out of range ({low} to {high})")
    return value


def _api_url(raw: str | None) -> str:
    if raw is None:
        return DEFAULT_API_URL
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError("SLACK_API_URL", f"{raw!r} is not an http(s) URL")
    return raw if raw.endswith("/") else raw + "/"


def _http_url(name: str, raw: str | None, default: str) -> str:
    if raw is None:
        return default
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(name, f"{raw!r} is not an http(s) URL")
    return raw


def _greenhouse_harvest(environ: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """The Harvest v3 settings: client id and secret both or neither, a numeric user id, http(s) URLs.
    A Harvest v1 key (GREENHOUSE_API_KEY) is refused: Greenhouse no longer answers it, and running without the
    hiring managers it was set for would look like working."""
    if _get(environ, "GREENHOUSE_API_KEY") is not None:
        raise ConfigError("GREENHOUSE_API_KEY", "Harvest v1 API keys were retired on 2026-08-31: create Harvest V3 "
                          "(OAuth) credentials and set GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET instead")
    client_id, secret = _get(environ, "GREENHOUSE_CLIENT_ID"), _get(environ, "GREENHOUSE_CLIENT_SECRET")
    if client_id is not None and secret is None:
        raise ConfigError("GREENHOUSE_CLIENT_SECRET", "is not set, but GREENHOUSE_CLIENT_ID is (set both, or neither)")
    if secret is not None and client_id is None:
        raise ConfigError("GREENHOUSE_CLIENT_ID", "is not set, but GREENHOUSE_CLIENT_SECRET is (set both, or neither)")
    user_id = _get(environ, "GREENHOUSE_USER_ID")
    if user_id is not None and not user_id.isdigit():
        raise ConfigError("GREENHOUSE_USER_ID", f"{user_id!r} is not a Greenhouse user id (the number in "
                          "app.greenhouse.io/account/users/<id>)")
    return client_id, secret, user_id


def _timing(name: str, parse: Callable[[str], T], raw: str) -> T:
    try:
        return parse(raw)
    except TimingError as error:
        raise ConfigError(name, str(error)) from None


def _zone(name: str, raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(name, f"{raw!r} is not a time zone name (e.g. UTC, Europe/Berlin)") from None
    return raw


def _cron(raw: str, tz: str) -> str:
    try:
        CronTrigger.from_crontab(raw, timezone=ZoneInfo(tz))
    except ValueError as error:
        raise ConfigError("DIGEST_CRON", f"{raw!r} is not a 5-field cron expression ({error})") from None
    return raw


def _users(name: str, raw: str | None) -> frozenset[str]:
    if raw is None:
        return frozenset()
    users = {part.strip() for part in re.split(r"[,\s]+", raw) if part.strip()}
    for user in users:
        if not USER_ID.match(user):
            raise ConfigError(name, f"{user!r} is not a Slack user id (like U012AB3CD)")
    return frozenset(users)


def _choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (_get(environ, name) or default).lower()
    if value not in choices:
        raise ConfigError(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s)?", re.IGNORECASE)


def _model_timeout(raw: str | None) -> float:
    """MODEL_TIMEOUT: "8s", "8", "2.5s" or "500ms"; between 0.1 s and 120 s."""
    if raw is None:
        return DEFAULT_MODEL_TIMEOUT
    match = _SECONDS.fullmatch(raw)
    if match is None:
        raise ConfigError("MODEL_TIMEOUT", f"{raw!r} is not a duration in seconds (e.g. 8s, 2.5s, 500ms)")
    seconds = float(match[1]) / (1000 if (match[2] or "").lower() == "ms" else 1)
    if not 0.1 <= seconds <= 120:
        raise ConfigError("MODEL_TIMEOUT", f"{raw!r} is out of range (0.1s to 120s)")
    return seconds


class _ModelSettings(TypedDict):
    """The Settings fields _model fills, typed as there: checked where they are passed to Settings."""

    decision_reader: str
    model_base_url: str | None
    model_name: str | None
    model_api_key: str | None
    model_timeout: float


def _model(environ: Mapping[str, str]) -> _ModelSettings:
    """DECISION_READER and, for `model`, the endpoint: its URL and model name are required then."""
    reader = _choice(environ, "DECISION_READER", "rules", ("rules", "model"))
    base_url = _get(environ, "MODEL_BASE_URL")
    name = _get(environ, "MODEL_NAME")
    if reader == "model":
        if base_url is None:
            raise ConfigError("MODEL_BASE_URL", "is not set (DECISION_READER=model needs the endpoint, "
                                                "e.g. http://127.0.0.1:11434/v1)")
        if name is None:
            raise ConfigError("MODEL_NAME", "is not set (DECISION_READER=model needs the model's name)")
    if base_url is not None:
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError("MODEL_BASE_URL", f"{base_url!r} is not an http(s) URL")
        base_url = base_url.rstrip("/")
    return {"decision_reader": reader, "model_base_url": base_url, "model_name": name,
            "model_api_key": _get(environ, "MODEL_API_KEY"),
            "model_timeout": _model_timeout(_get(environ, "MODEL_TIMEOUT"))}


def example_values(environ: Mapping[str, str]) -> list[ConfigError]:
    """The credentials that still hold `.env.example`'s placeholder, each as the error to show."""
    found = []
    for name, (example, instead) in EXAMPLE_VALUES.items():
        value = _get(environ, name)
        if value is not None and value.casefold() == example:
            found.append(ConfigError(name, f"still holds the example value from .env.example: {instead}"))
    return found


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build Settings from the environment, or raise ConfigError naming the bad variable."""
    placeholders = example_values(environ)
    if placeholders:
        raise placeholders[0]
    bot_token = _required(environ, "SLACK_BOT_TOKEN", "xoxb-")
    signing_secret = _required(environ, "SLACK_SIGNING_SECRET")
    app_token = _get(environ, "SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN", "should start with 'xapp-' (an app-level token)")
    database_url = _get(environ, "DATABASE_URL") or DEFAULT_DATABASE_URL
    if "://" not in database_url:
        raise ConfigError("DATABASE_URL", f"{database_url!r} is not a database URL (e.g. sqlite:///persona_grata.db)")
    digest_tz = _zone("DIGEST_TZ", _get(environ, "DIGEST_TZ") or "UTC")
    digest_channel = _get(environ, "DIGEST_CHANNEL")
    if digest_channel is not None and not re.match(r"^[CGD][A-Z0-9]{2,}$", digest_channel):
        raise ConfigError("DIGEST_CHANNEL", f"{digest_channel!r} is not a Slack channel id (like C012AB3CD)")
    log_level = (_get(environ, "LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", f"{log_level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    sweep_interval = _timing("SWEEP_INTERVAL", parse_duration, _get(environ, "SWEEP_INTERVAL") or "60s")
    if sweep_interval.as_timedelta().total_seconds() < 1:
        raise ConfigError("SWEEP_INTERVAL", "must be at least 1s")
    claim_lease = _timing("CLAIM_LEASE", parse_duration, _get(environ, "CLAIM_LEASE") or "60s")
    if claim_lease.as_timedelta().total_seconds() < 2:
        raise ConfigError("CLAIM_LEASE", "must be at least 2s")
    max_age = _timing("ATS_SIGNATURE_MAX_AGE", parse_duration, _get(environ, "ATS_SIGNATURE_MAX_AGE") or "5m")
    if max_age.as_timedelta().total_seconds() < 1:
        raise ConfigError("ATS_SIGNATURE_MAX_AGE", "must be at least 1s")
    client_id, client_secret, greenhouse_user = _greenhouse_harvest(environ)
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=_api_url(_get(environ, "SLACK_API_URL")),
        database_url=database_url,
        port=_int(environ, "PORT", 3000, 1, 65535),
        nudge_schedule=_timing("NUDGE_SCHEDULE", parse_schedule, _get(environ, "NUDGE_SCHEDULE") or "1d,3d,7d"),
        sweep_interval=sweep_interval,
        claim_lease=claim_lease,
        work_hours=_timing("WORK_HOURS", parse_work_hours, _get(environ, "WORK_HOURS") or "09:00-17:00"),
        digest_channel=digest_channel,
        digest_cron=_cron(_get(environ, "DIGEST_CRON") or "0 9 * * MON", digest_tz),
        digest_tz=digest_tz,
        admin_users=_users("ADMIN_USERS", _get(environ, "ADMIN_USERS")),
        escalate_to=_users("ESCALATE_TO", _get(environ, "ESCALATE_TO")),
        digest_when_empty=_choice(environ, "DIGEST_EMPTY", "skip", ("skip", "post")) == "post",
        retention_days=_int(environ, "RETENTION_DAYS", 180, 1, 36500),
        company_name=_get(environ, "COMPANY_NAME"),
        log_level=log_level,
        log_format=_choice(environ, "LOG_FORMAT", "text", ("text", "json")),
        greenhouse_webhook_secret=_get(environ, "GREENHOUSE_WEBHOOK_SECRET"),
        ashby_webhook_secret=_get(environ, "ASHBY_WEBHOOK_SECRET"),
        ashby_api_key=_get(environ, "ASHBY_API_KEY"),
        ashby_api_url=_get(environ, "ASHBY_API_URL") or DEFAULT_ASHBY_API_URL,
        ats_min_stage=_get(environ, "ATS_MIN_STAGE"),
        lever_webhook_token=_get(environ, "LEVER_WEBHOOK_TOKEN"),
        lever_api_key=_get(environ, "LEVER_API_KEY"),
        lever_api_url=(_get(environ, "LEVER_API_URL") or "https://api.lever.co/v1").rstrip("/"),
        greenhouse_client_id=client_id,
        greenhouse_client_secret=client_secret,
        greenhouse_user_id=greenhouse_user,
        greenhouse_api_url=_http_url("GREENHOUSE_API_URL", _get(environ, "GREENHOUSE_API_URL"),
                                     DEFAULT_GREENHOUSE_API_URL),
        greenhouse_auth_url=_http_url("GREENHOUSE_AUTH_URL", _get(environ, "GREENHOUSE_AUTH_URL"),
                                      DEFAULT_GREENHOUSE_AUTH_URL),
        ats_signature_max_age=max_age,
        **_model(environ),
    )
