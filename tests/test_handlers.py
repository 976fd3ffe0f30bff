"""Listeners alone: each is a module-level function, so a test imports it and calls it with a fake ack and
respond, no app, no HTTP, no database where the listener answers before reaching one. What Bolt injects is
checked against the installed slack_bolt, so the Deps bound with functools.partial stay invisible to it.

Also here: the pieces every listener shares, the private_metadata codec, team_id_of, and the Slack markup
the round grammar and the reader both read."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt.util.utils import get_arg_names_of_callable

from bot.domain.errors import NotAllowed, OutOfDate
from bot.domain.rounds import HELP_TEXT, parse_round
from bot.reader.normalise import normalise
from bot.slack import blocks, metadata
from bot.slack.payloads import team_id_of
from handlers import actions, commands, decisions, home, inbox_gate, notices
from handlers.replies import listener


class Recorder:
    """A stand-in for Bolt's ack or respond: records each call's keyword arguments."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.response: Any = None

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        self.response = kwargs


def fake_deps(*, admins: tuple[str, ...] = ()) -> Any:
    """Deps for a listener that must answer before it reaches the database or Slack: anything else fails."""
    return SimpleNamespace(settings=SimpleNamespace(admin_users=admins), clock=None, client=None, ack_path=None)


def command(text: str, **kw: str) -> dict[str, Any]:
    return {"text": text, "team_id": "T0TEAM", "user_id": "U0ME", "channel_id": "C0HERE",
            "response_url": "", "trigger_id": "1.2.3", **kw}


def run(text: str, deps: Any = None) -> tuple[Recorder, Recorder]:
    ack, respond = Recorder(), Recorder()
    commands.handle_interview_round(deps or fake_deps(), ack, command(text), respond, client=None)  # type: ignore[arg-type]
    return ack, respond


# --- what Bolt sees --------------------------------------------------------------------------------------


def test_bolt_injects_the_arguments_after_the_bound_deps() -> None:
    deps = fake_deps()
    assert get_arg_names_of_callable(listener(deps, actions.handle_contacted)) == ["ack", "body", "action",
                                                                                  "respond"]
    assert get_arg_names_of_callable(listener(deps, decisions.handle_role_submission)) == ["ack", "body", "view"]
    assert listener(deps, notices.handle_reassign).__name__ == "handle_reassign"  # for the failure logs
    registered = [commands.register, home.register]
    recorded: list[Any] = []
    app = SimpleNamespace(command=lambda _: recorded.append, event=lambda _: recorded.append)
    for register in registered:
        register(app, deps)  # type: ignore[arg-type]
    assert [get_arg_names_of_callable(f) for f in recorded] == [["ack", "command", "respond", "client"],
                                                                 ["event", "body"]]
    middleware: list[Any] = []
    inbox_gate.register(SimpleNamespace(middleware=middleware.append), inbox=None)  # type: ignore[arg-type]
    assert get_arg_names_of_callable(middleware[0]) == ["req", "body", "context", "next", "logger"]


def test_a_refusal_raised_after_the_ack_is_told_to_whoever_clicked() -> None:
    def handle_refused(deps: Any, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        raise NotAllowed("Only the hiring manager can do that.")

    ack, respond = Recorder(), Recorder()
    listener(fake_deps(), handle_refused)(ack=ack, body={"response_url": "https://hooks.example/1"}, respond=respond)
    assert ack.calls == [{}]
    assert respond.calls == [{"text": "Only the hiring manager can do that.", "response_type": "ephemeral",
                              "replace_original": False}]


# --- /interview-round: the dispatch table -----------------------------------------------------------------


@pytest.mark.parametrize(("words", "handler"), [
    ([], commands.open_round_modal),
    (["help"], commands.show_help),
    (["?"], commands.show_help),
    (["help", "me"], commands.log_round),  # a subcommand with more words than it takes is a round
    (["pending"], commands.show_pending),
    (["pending", "engineer"], commands.log_round),
    (["digest"], commands.digest),
    (["digest", "weekly"], commands.digest),
    (["digest", "weekly", "please"], commands.log_round),
    (["channel-manager", "<@u0x>", "now"], commands.channel_manager),
    (["forget", "omar", "haddad"], commands.forget),
    (["staff", "engineer:", "omar"], commands.log_round),
])
def test_the_first_word_picks_the_subcommand(words: list[str], handler: Any) -> None:
    assert commands.subcommand(words) is handler


def test_help_is_answered_in_the_acknowledgement() -> None:
    ack, respond = run("help")
    assert ack.calls == [{"text": HELP_TEXT}] and respond.calls == []


def test_everyone_s_digest_is_refused_to_a_non_admin_before_anything_is_read() -> None:
    ack, respond = run("digest all", fake_deps(admins=("U0ADMIN",)))
    assert ack.calls == [{"text": commands.EVERYONE_REFUSED}] and respond.calls == []


@pytest.mark.parametrize(("text", "answer"), [
    ("digest hourly", "`/interview-round digest` posts this channel's follow-ups now"),
    ("forget", "Whom should I forget?"),
    ("channel-manager Dana", "I need one person, mentioned with @."),
    ("Staff Data Engineer", "Start with the role, then a colon, then the candidates."),
])
def test_what_cannot_be_done_is_said_in_the_acknowledgement(text: str, answer: str) -> None:
    ack, respond = run(text)
    [said] = ack.calls
    assert said["text"].startswith(answer), said
    assert respond.calls == []


# --- modals: refused on the form before anything is read ----------------------------------------------------


def submission(private_metadata: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"private_metadata": private_metadata, "state": {"values": values}}


SKIP_PICKED = {"reason": {"reason": {"selected_option": {"value": "internal"}}}}


@pytest.mark.parametrize(("view", "errors"), [
    (submission(metadata.encode(f=7), {}), {"reason": "Pick a reason from the list."}),
    (submission("not json", SKIP_PICKED), {"reason": metadata.OUT_OF_DATE}),
    (submission(json.dumps({"v": 99, "f": 7}), SKIP_PICKED), {"reason": metadata.OUT_OF_DATE}),
    (submission(metadata.encode(f="x"), SKIP_PICKED), {"reason": metadata.OUT_OF_DATE}),
])
def test_a_skip_form_that_cannot_be_saved_says_why_on_the_form(view: dict[str, Any], errors: dict[str, str]) -> None:
    ack = Recorder()
    actions.handle_skip_submission(fake_deps(), ack, {"user": {"id": "U0ME"}}, view)  # type: ignore[arg-type]
    assert ack.calls == [{"response_action": "errors", "errors": errors}]


def test_a_role_form_without_its_decision_is_out_of_date() -> None:
    ack = Recorder()
    view = submission(metadata.encode(p="1.2"), {"role": {"role": {"value": "Staff Data Engineer"}}})
    decisions.handle_role_submission(fake_deps(), ack, {"user": {"id": "U0ME"}}, view)  # type: ignore[arg-type]
    assert ack.calls == [{"response_action": "errors", "errors": {"role": metadata.OUT_OF_DATE}}]


def test_an_out_of_date_button_is_answered_only_where_there_is_a_response_url() -> None:
    ack, respond = Recorder(), Recorder()
    actions.handle_unknown_action(ack, respond, {"response_url": "https://hooks.example/1"})  # type: ignore[arg-type]
    actions.handle_unknown_action(ack, respond, {})  # type: ignore[arg-type]
    assert ack.calls == [{}, {}]
    assert [call["text"] for call in respond.calls] == [
        "That button is out of date. Try `/interview-round pending` for your current follow-ups."]


# --- private_metadata ------------------------------------------------------------------------------------


def test_metadata_round_trips_with_its_version_and_leaves_out_nothing_set() -> None:
    encoded = metadata.encode(c="C0HERE", ts="1.2", th=None, a="U0ME")
    assert json.loads(encoded) == {"v": metadata.VERSION, "c": "C0HERE", "ts": "1.2", "a": "U0ME"}
    assert metadata.decode({"private_metadata": encoded}) == {"c": "C0HERE", "ts": "1.2", "a": "U0ME"}
    assert len(metadata.encode(f=2**62, c="C" * 20, ts="1" * 20)) < blocks.VALUE_LIMIT


def test_a_form_opened_before_the_version_key_is_still_read() -> None:
    old_followup_form = json.dumps({"followup_id": 7, "channel": "D0ME", "ts": "1.2"})
    assert metadata.decode({"private_metadata": old_followup_form}) == {"f": 7, "c": "D0ME", "ts": "1.2"}
    old_decision_form = json.dumps({"c": "C0HERE", "ts": "1.2", "p": "1.3"}, separators=(",", ":"))
    assert metadata.decode({"private_metadata": old_decision_form}) == {"c": "C0HERE", "ts": "1.2", "p": "1.3"}
    assert metadata.decode({"private_metadata": ""}) == {}


@pytest.mark.parametrize("raw", ["[1, 2]", "\"c\"", "{", json.dumps({"v": 3, "c": "C0HERE"})])
def test_metadata_of_another_shape_or_a_later_version_is_out_of_date(raw: str) -> None:
    with pytest.raises(OutOfDate):
        metadata.decode({"private_metadata": raw})


# --- the workspace a request came from -----------------------------------------------------------------------


@pytest.mark.parametrize(("body", "team"), [
    ({"type": "block_actions", "team": {"id": "T0CLICK"}, "user": {"id": "U0ME", "team_id": "T0USER"}}, "T0CLICK"),
    ({"command": "/interview-round", "team_id": "T0TYPED"}, "T0TYPED"),
    ({"type": "event_callback", "team_id": "T0EVENT", "event": {"team": "T0OTHER"}}, "T0EVENT"),
    ({"type": "event_callback", "event": {"team": "T0INNER"}}, "T0INNER"),
    ({"event_id": "gh-1", "team_id": "T0ATS", "ats": "greenhouse"}, "T0ATS"),
    ({"type": "block_actions", "team": None, "event": "not an event"}, ""),
])
def test_team_id_of_every_kind_of_request(body: dict[str, Any], team: str) -> None:
    assert team_id_of(body) == team


# --- Slack markup: one set of patterns for the round grammar and the reader ---------------------------------


@pytest.mark.parametrize("channel", ["C0PUBLIC", "G0PRIVATE", "D0DIRECT"])
def test_a_channel_mention_reads_as_its_name_in_a_round_and_in_a_decision(channel: str) -> None:
    assert parse_round(f"Data Engineer <#{channel}|hiring>: Omar Haddad").role == "Data Engineer #hiring"
    assert normalise(f"see <#{channel}|hiring> and <#{channel}>") == "see #hiring and #channel"


def test_what_is_not_a_channel_id_is_not_read_as_a_channel() -> None:
    assert normalise("<#U0PERSON|dana>") == "<#U0PERSON|dana>"
