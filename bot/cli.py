"""`persona-grata`: serve, manifest, db upgrade, db check, inbox list/retry. The one place that reads the
environment."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from dotenv import load_dotenv

from bot import log_filters
from bot.config import ConfigError, Settings, example_values, load_settings

logger = logging.getLogger("persona_grata")


def _settings() -> Settings:
    try:
        return load_settings(os.environ)
    except ConfigError as error:
        print(f"persona-grata: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


class JsonFormatter(log_filters.PrivateFormatter):
    """LOG_FORMAT=json: one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if log_format == "json"
        else log_filters.PrivateFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    logging.basicConfig(level=level, handlers=[log_filters.guard_handler(handler)])
    log_filters.floor_libraries(level)  # their debug output echoes request and response bodies
    # Alembic narrates every plugin it sets up and every context it opens at INFO; `serve` says in one
    # line what the migrations did instead. Its own lines come back with LOG_LEVEL=DEBUG.
    logging.getLogger("alembic").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


def _db_url_settings() -> str:
    from bot.config import DEFAULT_DATABASE_URL

    return (os.environ.get("DATABASE_URL") or "").strip() or DEFAULT_DATABASE_URL


def cmd_serve(_args: argparse.Namespace) -> int:
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    from slack_sdk.errors import SlackApiError

    from bot.deps import make_client
    from bot.server import serve_http, serve_socket_mode
    from storage.db import make_engine, upgrade

    engine = make_engine(settings.database_url)
    try:
        before, after = upgrade(engine)
    except Exception as error:
        print(f"persona-grata: DATABASE_URL: cannot migrate the database ({type(error).__name__}: {error})",
              file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if before == after:
        logger.info("database schema is up to date (migration %s)", after)
    else:
        logger.info("database schema migrated from %s to %s", before or "empty", after)
    try:
        auth = make_client(settings).auth_test()
    except SlackApiError as error:
        print(f"persona-grata: SLACK_BOT_TOKEN: Slack refused the token ({error.response.get('error')})",
              file=sys.stderr)
        return 2
    except OSError as error:
        print(f"persona-grata: SLACK_API_URL: cannot reach Slack at {settings.slack_api_url} ({error})",
              file=sys.stderr)
        return 2
    team_id = auth.get("team_id")
    logger.info("authenticated as bot user=%s team=%s", auth.get("user_id"), team_id)
    if settings.decision_reader == "model":
        from urllib.parse import urlparse

        logger.info("decision reader: model %s at %s (timeout %gs), the rules' reading when it fails",
                    settings.model_name, urlparse(settings.model_base_url or "").netloc.rpartition("@")[2],
                    settings.model_timeout)
    _mark_installed(settings, team_id)
    identity = {key: auth.get(key) for key in ("team_id", "user_id", "bot_id")}
    if settings.socket_mode:
        serve_socket_mode(settings, identity)
    else:
        serve_http(settings, identity)
    return 0


def _mark_installed(settings: Settings, team_id: str | None) -> None:
    """A token Slack accepts means the app is installed there (again): its work may go on."""
    if not team_id:
        return
    from datetime import UTC, datetime

    from storage import repo
    from storage.db import make_engine, make_sessions

    engine = make_engine(settings.database_url)
    try:
        with make_sessions(engine).begin() as session:
            if not repo.workspace_active(session, team_id):
                repo.set_workspace_active(session, team_id, active=True, reason="auth.test", now=datetime.now(UTC))
    finally:
        engine.dispose()


def cmd_check(_args: argparse.Namespace) -> int:
    """Check configuration, database and token; say what is wrong. Exit 1 when anything is."""
    placeholders = example_values(os.environ)
    if placeholders:  # say every one, not only the first, and don't try them against Slack
        for error in placeholders:
            print(f"configuration: FAILED: {error}")
        return 1
    try:
        settings = load_settings(os.environ)
    except ConfigError as error:
        print(f"configuration: FAILED: {error}")
        return 1
    print(f"configuration: ok ({'Socket Mode' if settings.socket_mode else f'HTTP on port {settings.port}'})")
    failed = False
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from slack_sdk.errors import SlackApiError

    from bot.deps import make_client
    from storage.db import alembic_config, make_engine

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
        if current == head:
            print(f"database: ok (migrations at {head})")
        else:
            print(f"database: FAILED: migrations at {current}, code expects {head}: run `persona-grata db upgrade`")
            failed = True
    except Exception as error:  # any failure to reach or read the database is the finding
        print(f"database: FAILED: {type(error).__name__}: {error}")
        failed = True
    finally:
        engine.dispose()
    try:
        auth = make_client(settings).auth_test()
        print(f"slack token: ok (bot user {auth.get('user_id')} in team {auth.get('team_id')})")
    except SlackApiError as error:
        print(f"slack token: FAILED: Slack refused it ({error.response.get('error')})")
        failed = True
    except OSError as error:
        print(f"slack token: FAILED: cannot reach {settings.slack_api_url} ({error})")
        failed = True
    if settings.decision_reader == "model":
        failed = not _check_model(settings) or failed
    return 1 if failed else 0


# A made-up decision (no real candidate's data) for `check` to have the model read.
CHECK_MESSAGE = "Decision for QA Lead: not moving forward with Ada Example after the onsite."


def _check_model(settings: Settings) -> bool:
    """DECISION_READER=model: the endpoint answers a reading of CHECK_MESSAGE, in time and in the schema."""
    import time

    from bot.reader.model import ModelFailure, ModelReader, check_against

    reader = ModelReader.configured(settings)
    assert reader is not None
    where = f"{settings.model_name} at {settings.model_base_url}"
    started = time.monotonic()
    try:
        answer = reader.ask(CHECK_MESSAGE, budget=settings.model_timeout)
    except ModelFailure as failure:
        print(f"model reader: FAILED: {where}: {failure} (MODEL_TIMEOUT {settings.model_timeout:g}s); "
              "the rules' reading would be used for every message")
        return False
    seconds = time.monotonic() - started
    people = check_against(answer, CHECK_MESSAGE).people
    right = answer["is_decision"] and [(k, p.name) for k, p in people] == [("not_selected", "Ada Example")]
    verdict = "and read the sample decision right" if right else "but misread the sample decision"
    print(f"model reader: ok ({where} answered in {seconds:.1f}s, {verdict})")
    return True


def cmd_manifest(args: argparse.Namespace) -> int:
    from bot.manifest import manifest_yaml

    print(manifest_yaml(request_url=args.request_url), end="")
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    """Print the suggested note for a candidate, and any careful-language notes, without Slack."""
    from bot.domain import language, notes

    note = notes.suggest_note(
        candidate_name=args.name, role=args.role, stage=args.stage, strengths=args.strengths,
        manager_name=args.manager, company=args.company or (os.environ.get("COMPANY_NAME") or None),
        tone=args.tone, variant=args.variant,
    )
    print(note)
    findings = {(f.phrase.casefold(), f.category): f for f in language.check(note)}
    for f in language.check(args.strengths or ""):
        findings.setdefault((f.phrase.casefold(), f.category), f)
    for finding in findings.values():
        print(f"\ncareful: \"{finding.phrase}\" ({finding.category}): {finding.why} Instead: {finding.instead}",
              file=sys.stderr)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from storage.db import check, make_engine, upgrade

    engine = make_engine(_db_url_settings())
    try:
        if args.action == "upgrade":
            upgrade(engine)
            print("database is up to date")
        else:
            check(engine)
            print("models and migrations agree")
    finally:
        engine.dispose()
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    """The inbox's given-up rows (their attempts ran out): `list` says what they are (ids, kind, when, attempts,
    the failure's class; never names or text); `retry` puts them back, attempts counted afresh, for the
    redelivery job of a running bot to process within a few minutes."""
    from storage import repo
    from storage.db import make_engine, make_sessions

    engine = make_engine(_db_url_settings())
    try:
        with make_sessions(engine).begin() as session:
            if args.action == "retry":
                print(f"{repo.inbox_retry(session)} given-up inbox events put back: the running bot processes "
                      "them again within a few minutes")
                return 0
            rows = repo.inbox_given_up(session)
    finally:
        engine.dispose()
    for row in rows:
        print(f"{row.event_id}\t{row.kind}\t{row.received_at.isoformat()}\tattempts={row.attempts}\t"
              f"{row.last_error or '-'}")
    print(f"{len(rows)} given-up inbox events", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="persona-grata",
        description="A Slack bot that makes sure every interviewee who was not selected hears back personally.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")
    serve.set_defaults(func=cmd_serve)
    check = commands.add_parser("check", help="check configuration, database and the Slack token")
    check.set_defaults(func=cmd_check)
    manifest = commands.add_parser("manifest", help="print the Slack app manifest (YAML)")
    manifest.add_argument(
        "--request-url", help="HTTP mode: your public https://.../slack/events URL (default: Socket Mode)"
    )
    manifest.set_defaults(func=cmd_manifest)
    preview = commands.add_parser("preview", help="print the suggested note for a candidate, without Slack")
    preview.add_argument("--name", required=True, help='the candidate, e.g. "Omar Haddad"')
    preview.add_argument("--role", required=True, help='e.g. "Staff Data Engineer"')
    preview.add_argument("--stage", help='the stage they reached, e.g. "final round"')
    preview.add_argument("--strengths", help="what stood out, woven into the note")
    preview.add_argument("--tone", default="warm", choices=["warm", "brief", "formal"])
    preview.add_argument("--manager", help="your name, to sign the note")
    preview.add_argument("--company", help="your company (default: COMPANY_NAME)")
    preview.add_argument("--variant", type=int, default=0, help="another phrasing of the same note")
    preview.set_defaults(func=cmd_preview)
    db = commands.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "check"])
    db.set_defaults(func=cmd_db)
    inbox = commands.add_parser("inbox", help="events the bot gave up on after every attempt failed")
    inbox.add_argument("action", choices=["list", "retry"],
                       help="list: ids, kind, received, attempts, error class; retry: put them back")
    inbox.set_defaults(func=cmd_inbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    # The working directory's .env fills in what the environment does not set. PYTHON_DOTENV_DISABLED=1
    # (python-dotenv) skips it: the tests and benchmarks set it for every process they start, so a
    # developer's .env never changes what they run.
    load_dotenv(dotenv_path=os.path.join(os.getcwd(), ".env"))
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
