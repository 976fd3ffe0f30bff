"""Hostile text everywhere: what people type never becomes live Slack markup in what the bot sends.

Roles, names, stages, strengths, notes, skip reasons, forget and channel-manager arguments carrying
`<!channel>`, `<!subteam^…>`, `<#C…>`, `<@U…>`, `<https://…|click here>` and `&` go through every surface
of the real app (the decision thread reply, Add the role, Edit, Undo, an unsure reading, the manager
question, the Logged confirmations, the nudge DM and each of its updates, the note modal, pending, the
digest, the App Home, the escalation DM, errors). Then EVERY call the fake Slack recorded, and every
acknowledgement, is inspected: in mrkdwn and in the fallback `text` the only live `<…>` are the bot's own
mentions of people it resolved, its channel links and dates; `&`, `<`, `>` typed by people are escaped
exactly once; plain-text fields (a modal's prefilled inputs, field errors) carry what was typed, unescaped;
the email draft's mailto: link is percent-encoded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from bot import reader
from bot.domain.slack_text import escape
from bot.followups import digests
from bot.reader import Decision, Person
from bot.slack import blocks, metadata
from storage.models import Candidate, Followup
from storage.models import Decision as DecisionRow
from tests.fake_slack import TEAM_ID, FakeSlack
from tests.harness import ADMIN, CHANNEL, MANAGER, MONDAY, OTHER, Harness, pin_reading
from tests.threads import text_input, user_input

# What people may type. Each is stored as typed and must come out escaped once.
ROLE = "<!channel> <!subteam^S0EVIL|@evil> Eng & Ops <https://evil.example|click here>"
ROLE_FROM_COMMAND = "<!channel> <!subteam^S0EVIL> Eng & Ops"  # no link: its colon would end the role
ROLE_TYPED = "&lt;!channel&gt; &lt;!subteam^S0EVIL&gt; Eng &amp; Ops"  # as Slack sends it in a command
NAME_EVIL = "Eve <@U0EVIL> Ng&Co"
NAME_LINK = "Lin <https://evil.example|click here>"
NAME_CHANNEL = "Cal <#C0GENERAL>"
STAGE = "final <!here> round"
STRENGTHS = "<!everyone> & <https://evil.example|click here> design"
NOTE = "Hi <!channel>, thanks & see <https://evil.example|this> <@U0EVIL>"
DETAIL = "told them <!here> & <https://evil.example|there>"
DECISION_TS = "1700000000.000500"

# The bot's own live tokens: people it resolved, the channel it was asked about, dates.
OWN_TOKEN = re.compile(
    rf"<@(?:{MANAGER}|{OTHER}|{ADMIN})>|<#{CHANNEL}>|<!date\^\d+\^\{{[a-z_]+\}}(?: \{{time\}})?\|[^<>|]*>"
)
QUOTE_MARK = re.compile(r"(?m)^>")  # the bot's own block quote of the note


def live_markup(text: str) -> list[str]:
    """What in a mrkdwn string (or a fallback `text`) is markup the bot did not mean, or escaped twice."""
    problems = []
    rest = QUOTE_MARK.sub("", OWN_TOKEN.sub("", text))
    for found in re.findall(r"<[^>]{0,60}>?|>", rest):
        problems.append(f"live {found!r}")
    if re.search(r"&(?!amp;|lt;|gt;)", rest):
        problems.append("a raw '&'")
    if re.search(r"&amp;(?:amp|lt|gt);", text):
        problems.append("escaped twice")
    return problems


def plain_problems(text: str) -> list[str]:
    """Plain text is shown as is: an entity in it is an escape too many."""
    return ["escaped in plain text"] if re.search(r"&(?:amp|lt|gt);", text) else []


def walk(value: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """(path, kind, text) of every text a payload shows: mrkdwn, plain text, prefilled inputs, URLs."""
    if isinstance(value, dict):
        kind = value.get("type")
        if kind in ("mrkdwn", "plain_text") and isinstance(value.get("text"), str):
            yield path, kind, value["text"]
        if kind == "plain_text_input" and isinstance(value.get("initial_value"), str):
            yield path + ".initial_value", "plain_text", value["initial_value"]
        if isinstance(value.get("url"), str):
            yield path + ".url", "url", value["url"]
        for key, item in value.items():
            if key not in ("text", "url", "initial_value") or not isinstance(item, str):
                yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


def problems_in(method: str, args: dict[str, Any]) -> list[str]:
    found = []
    if isinstance(args.get("text"), str):  # a message's fallback text: mrkdwn, and what notifications show
        found += [f"{method} text: {p}" for p in live_markup(args["text"])]
    for attachment in args.get("attachments") or ():
        for key in ("text", "pretext", "fallback"):
            if isinstance(attachment.get(key), str):
                found += [f"{method} attachment {key}: {p}" for p in live_markup(attachment[key])]
    for key in ("blocks", "view"):
        for path, kind, text in walk(args.get(key), key):
            if kind == "mrkdwn":
                found += [f"{method} {path}: {p} in {text[:120]!r}" for p in live_markup(text)]
            elif kind == "plain_text":
                found += [f"{method} {path}: {p}" for p in plain_problems(text)]
            elif re.search(r"[<>\s]", text) or (text.startswith("mailto:") and "&" in text.replace("&body=", "")):
                found.append(f"{method} {path}: a URL not encoded: {text[:120]!r}")
    for field, error in (args.get("errors") or {}).items():  # a modal's field errors are plain text
        found += [f"{method} errors.{field}: {p}" for p in plain_problems(error)]
    return found


class Recorder:
    """Every acknowledgement the app gave (what it answered Slack directly), next to the fake's calls."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.acks: list[dict[str, Any]] = []

    def command(self, text: str, **kw: Any) -> dict[str, Any]:
        answer = self.h.command(text, **kw)
        self.acks.append(answer)
        return answer

    def submit(self, callback_id: str, values: dict[str, Any], metadata: str, **kw: Any) -> dict[str, Any]:
        status, body = self.h.submit_view(callback_id, values, private_metadata=metadata, **kw)
        assert status == 200
        answer = json.loads(body) if body else {}
        self.acks.append(answer)
        return answer

    def everything(self) -> list[tuple[str, dict[str, Any]]]:
        with self.h.fake.lock:
            calls = [(c.method, c.args) for c in self.h.fake.calls]
        return calls + [("ack", a) for a in self.acks]


def click(h: Harness, action_id: str, value: str, *, channel: str = CHANNEL, message_ts: str = "1700000099.000100",
          thread_ts: str | None = DECISION_TS, selected: str | None = None, container: str = "message") -> None:
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "type": "button", "value": value}
    if selected is not None:
        action = {"action_id": action_id, "block_id": "b", "type": "static_select",
                  "selected_option": {"value": selected}}
    where = ({"type": "message", "message_ts": message_ts, "channel_id": channel} if container == "message"
             else {"type": "view", "view_id": "V0HOME"})
    message: dict[str, Any] = {"ts": message_ts, "blocks": []}
    if thread_ts:
        message["thread_ts"] = thread_ts
    status, _ = h.interact({
        "type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": MANAGER}, "api_app_id": "A0APP",
        "container": where, "channel": {"id": channel}, "trigger_id": "1.2.3",
        "response_url": h.fake.response_url(), "message": message, "actions": [action],
    })
    assert status == 200


def button(args: dict[str, Any], action_id: str) -> str:
    value = blocks.button_value(args.get("blocks"), action_id)
    assert value is not None, f"no {action_id} button"
    return value


def followup_ids(h: Harness) -> dict[str, int]:
    with h.deps.sessions.begin() as session:
        rows = session.execute(select(Candidate.name, Followup.id).join(Followup)).all()
    return {name: followup_id for name, followup_id in rows}


@pytest.fixture
def hostile(db_url: str, fake_slack: FakeSlack) -> Iterator[Harness]:
    h = Harness(db_url=db_url, fake=fake_slack, ESCALATE_TO=ADMIN, DIGEST_CHANNEL="C0DIGEST",
                NUDGE_SCHEDULE="1d,2d")
    yield h
    h.close()
    assert fake_slack.invalid == [], "the app sent messages or views Slack would refuse"


def test_hostile_text_never_becomes_live_markup_anywhere(hostile: Harness, monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    h = hostile
    r = Recorder(h)

    # 1. A round logged with the command: the role, a stage and strengths as typed, then "Logged …".
    logged = r.command(escape(f"{ROLE_FROM_COMMAND}: Dana Whitfield (onsite), Omar Haddad ({STAGE}; strengths: "
                              f"{STRENGTHS}) omar@example.com, Lena Park"))
    assert "&lt;!channel&gt;" in logged["text"], logged
    with h.deps.sessions.begin() as session:
        omar = session.scalars(select(Candidate).where(Candidate.name == "Omar Haddad")).one()
        assert (omar.stage, omar.strengths) == (STAGE, STRENGTHS)  # stored as typed, unescaped once

    # 2. The decision for it, read from a message: the thread reply names the role and the people.
    pin_reading(monkeypatch, "We hired Dana.", Decision(
        role=ROLE_FROM_COMMAND, hired=(Person("Dana Whitfield"),), not_selected=(), withdrawn=(),
        manager_id=None, confidence=1.0, rules=("pinned",)))
    assert h.message("We hired Dana.", ts=DECISION_TS) == 200
    reply = h.fake.calls_to("chat.postMessage")[-1].args
    assert "&lt;!channel&gt;" in reply["text"] and "Omar Haddad" in json.dumps(reply["blocks"])

    # 3. A decision with no role whose names are hostile (a model reader may read anything): Add the role.
    pin_reading(monkeypatch, "No to all three.", Decision(
        role=None, hired=(Person(NAME_LINK),), not_selected=(Person(NAME_EVIL, STAGE),),
        withdrawn=(Person(NAME_CHANNEL),), manager_id=None, confidence=1.0, rules=("pinned",)))
    assert h.message("No to all three.", ts="1700000000.000600") == 200
    no_role = h.fake.calls_to("chat.postMessage")[-1].args
    assert "Eve &lt;@U0EVIL&gt; Ng&amp;Co" in no_role["text"], no_role["text"]
    click(h, blocks.ACTION_ADD_ROLE, button(no_role, blocks.ACTION_ADD_ROLE), thread_ts="1700000000.000600")
    role_view = h.fake.calls_to("views.open")[-1].args["view"]
    r.submit(blocks.VIEW_ROLE, text_input("role", ROLE), role_view["private_metadata"])
    assert "Eng &amp; Ops &lt;https://evil.example|click here&gt;" in h.fake.calls_to("chat.update")[-1].args["text"]

    # 4. Edit it: the modal is prefilled as typed; saved with a name that has an '&'.
    click(h, blocks.ACTION_EDIT, button(no_role, blocks.ACTION_EDIT), thread_ts="1700000000.000600")
    edit_view = h.fake.calls_to("views.open")[-1].args["view"]
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in edit_view["blocks"]}
    assert prefilled["role"] == ROLE and prefilled["not_selected"] == f"{NAME_EVIL} ({STAGE})"
    errors = r.submit(blocks.VIEW_DECISION, {
        **text_input("role", ROLE), **user_input("manager", MANAGER),
        **text_input("not_selected", f"{NAME_EVIL} ({STAGE})"), **text_input("hired", None),
        **text_input("withdrawn", None)}, edit_view["private_metadata"])
    assert errors.get("response_action") == "errors", errors  # a name with '<@…>' in it is refused
    errors = r.submit(blocks.VIEW_DECISION, {
        **text_input("role", ROLE), **user_input("manager", MANAGER),
        **text_input("not_selected", f"Eve Ng&Co <b> ({STAGE})"), **text_input("hired", None),
        **text_input("withdrawn", None)}, edit_view["private_metadata"])
    assert "Eve Ng&Co <b>" in errors["errors"]["not_selected"], errors  # plain text: as typed
    r.submit(blocks.VIEW_DECISION, {
        **text_input("role", ROLE), **user_input("manager", MANAGER),
        **text_input("not_selected", f"Zed Ng&Co ({STAGE})\nLena Quist"),
        **text_input("hired", None), **text_input("withdrawn", None)}, edit_view["private_metadata"])
    assert "Zed Ng&amp;Co" in json.dumps(h.fake.calls_to("chat.update")[-1].args["blocks"])

    # 5. An unsure reading (asked about) and an app's post with nobody to own it (who is the manager?).
    pin_reading(monkeypatch, "Leaning no on Eve.", Decision(
        role=ROLE, hired=(), not_selected=(Person(NAME_EVIL, STAGE),), withdrawn=(), manager_id=None,
        confidence=reader.CONFIDENCE_THRESHOLD / 2, rules=("pinned",)))
    h.message("Leaning no on Eve.", ts="1700000000.000700")
    pin_reading(monkeypatch, "ATS: rejected Eve.", Decision(
        role=None, hired=(), not_selected=(Person(NAME_EVIL, STAGE),), withdrawn=(), manager_id=None,
        confidence=1.0, rules=("pinned",)))
    h.message("ATS: rejected Eve.", user=None, ts="1700000000.000800",
              fields={"subtype": "bot_message", "bot_id": "B0ATS"})
    asked = [c.args for c in h.fake.calls_to("chat.postMessage")[-2:]]
    assert all("Eve &lt;@U0EVIL&gt; Ng&amp;Co" in json.dumps(a["blocks"]) for a in asked), asked

    # 6. A round from the modal, hired named: "Logged …" and the decision's confirmation arrive by DM.
    r.submit(blocks.VIEW_ROUND, {**text_input("role", ROLE + " II"), **user_input("manager", MANAGER),
                                 **text_input("candidates", "Ann Ng&Co (onsite)\nBo Li (phone screen)"),
                                 **text_input("hired", "Bo Li")}, metadata.encode(c=CHANNEL))

    # 7. Undo a decision (its reply says who undid it) after logging one more.
    pin_reading(monkeypatch, "Not Kim.", Decision(
        role="Ops", hired=(), not_selected=(Person("Kim Ode"),), withdrawn=(), manager_id=None,
        confidence=1.0, rules=("pinned",)))
    h.message("Not Kim.", ts="1700000000.000900")
    with h.deps.sessions.begin() as session:
        kim = session.scalars(select(DecisionRow.id).where(DecisionRow.message_ts == "1700000000.000900")).one()
    click(h, blocks.ACTION_UNDO, str(kim), thread_ts="1700000000.000900")

    # 8. The nudges, and every update of them.
    report = h.sweep(MONDAY + timedelta(days=1, hours=1))
    assert report.sent >= 3, report
    ids = followup_ids(h)
    nudge = next(c.args for c in h.fake.calls_to("chat.postMessage")
                 if c.args.get("metadata") and "Omar Haddad" in c.args["text"])
    assert "&lt;!channel&gt;" in nudge["text"]
    mailto = next(path_text for _, kind, path_text in walk(nudge["blocks"]) if kind == "url")
    assert "%3C%21channel%3E" in mailto and "<!channel>" in unquote(mailto.split("&body=")[0])
    assert "&lt;!everyone&gt; &amp; &lt;https://evil.example|click here&gt;" in json.dumps(nudge["blocks"])
    dm = "D" + MANAGER[1:]
    click(h, blocks.ACTION_TONE, "", channel=dm, thread_ts=None, selected=f"formal:{ids['Omar Haddad']}")
    click(h, blocks.ACTION_EDIT_NOTE, str(ids["Omar Haddad"]), channel=dm, thread_ts=None)
    note_view = h.fake.calls_to("views.open")[-1].args["view"]
    r.submit(blocks.VIEW_NOTE, text_input("note", NOTE), note_view["private_metadata"])
    click(h, blocks.ACTION_EDIT_NOTE, str(ids["Omar Haddad"]), channel=dm, thread_ts=None)
    assert h.fake.calls_to("views.open")[-1].args["view"]["blocks"][1]["element"]["initial_value"] == NOTE
    click(h, blocks.ACTION_SNOOZE, "", channel=dm, thread_ts=None, selected=f"1d:{ids['Omar Haddad']}")
    click(h, blocks.ACTION_SKIP, str(ids["Zed Ng&Co"]), channel=dm, thread_ts=None)
    skip_view = h.fake.calls_to("views.open")[-1].args["view"]
    r.submit(blocks.VIEW_SKIP, {"reason": {"reason": {"type": "static_select", "selected_option": {"value": "other"}}},
                                **text_input("detail", DETAIL)}, skip_view["private_metadata"])
    click(h, blocks.ACTION_CONTACTED, str(ids["Lena Park"]), channel=dm, thread_ts=None)
    click(h, blocks.ACTION_CONTACTED, str(ids["Ann Ng&Co"]), container="view", thread_ts=None)
    h.sweep(MONDAY + timedelta(days=3, hours=1))  # the reminders, the snoozed one with its new note

    # 9. The lists: pending, the digest (the channel's, then the workspace's), App Home, the escalation.
    r.command("pending")
    r.command("digest")
    r.command("digest", channel="C0DIGEST")
    r.command("digest all", user=ADMIN)
    h.event({"type": "app_home_opened", "user": MANAGER, "channel": "D0MANAGER", "tab": "home",
             "event_ts": "1700000000.1"})
    digests.scheduled(h.deps, MONDAY + timedelta(days=7), "weekly")
    h.sweep(MONDAY + timedelta(days=6, hours=1))
    digests.escalate(h.deps, MONDAY + timedelta(days=8))

    # 10. Echoes of what was typed: forget, channel-manager, a round the grammar refuses.
    r.command("forget Eve &lt;@U0EVIL&gt; Ng&amp;Co")
    r.command("forget &lt;!channel&gt; nobody")
    r.command("channel-manager &lt;!channel&gt; &lt;https://evil.example|x&gt;")
    r.command("channel-manager <@U0OTHER|other>")
    r.command("channel-manager")
    r.command(f"{ROLE_TYPED}: Ann &lt;!here&gt; (onsite")
    r.command(f"{ROLE_TYPED}: Ann &lt;!here&gt;")

    everything = r.everything()
    surfaces = {method for method, _ in everything}
    assert {"chat.postMessage", "chat.update", "views.open", "views.publish", "respond", "ack"} <= surfaces
    problems = [p for method, args in everything for p in problems_in(method, args)]
    assert problems == []
    sent = json.dumps([args for _, args in everything])
    for escaped in ("&lt;!channel&gt;", "&lt;!subteam^S0EVIL", "&lt;#C0GENERAL&gt;", "Eve &lt;@U0EVIL&gt; Ng&amp;Co",
                    "&lt;https://evil.example|click here&gt;", "&lt;!here&gt;", "&lt;!everyone&gt;"):
        assert escaped in sent, f"{escaped} was never shown (dropped instead of escaped?)"


@pytest.mark.parametrize(
    "text",
    [
        "Hi <!channel> & <!subteam^S0EVIL|@evil> <https://evil.example|click> <#C0GEN> <@U0EVIL>",
        "x" * 2998 + "&<",
        "&" * 3100,
    ],
)
def test_escaped_text_is_never_cut_inside_an_entity(text: str) -> None:
    section = blocks.section(escape(text))
    assert live_markup(section["text"]["text"]) == []
