"""The suggested personal note, its email subject and its mailto: link."""

from __future__ import annotations

import itertools
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from bot.domain.language import check
from bot.domain.notes import TONES, email_subject, first_name, mailto_url, stage_group, suggest_note

EARLY = ("phone screen", "recruiter call", "screening", "intro chat")
MIDDLE = ("technical", "take-home", "hiring manager", "coding exercise")
LATE = ("onsite", "final round", "panel", "virtual on-site loop")
UNKNOWN = (None, "", "mystery stage")
STAGES = EARLY + MIDDLE + LATE + UNKNOWN
STRENGTHS = (None, "incident-response stories, clear system design")

# Words that give, or hint at, a reason for the decision or promise a future job.
REASON_OR_PROMISE = re.compile(
    r"\b(because|since|due to|reason|lacked|lack|not strong enough|stronger|weaker|better|more experienced|"
    r"fit|instead|compared|other candidates?|unfortunately we found|future (?:roles?|openings?|positions?)|"
    r"keep your (?:resume|cv|details) on file|we will (?:contact|reach out)|will be in touch|"
    r"promise|guarantee)\b",
    re.IGNORECASE,
)


def note(**overrides: object) -> str:
    arguments: dict[str, object] = {"candidate_name": "Dana Whitfield", "role": "Staff Data Engineer"}
    arguments.update(overrides)
    return suggest_note(**arguments)  # type: ignore[arg-type]


def body_of(text: str) -> str:
    """The note without its greeting and sign-off."""
    paragraphs = text.split("\n\n")
    return " ".join(paragraphs[1:-1])


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


ALL_NOTES = [
    (tone, stage, strengths, variant)
    for tone, stage, strengths, variant in itertools.product(TONES, STAGES, STRENGTHS, range(9))
]


# --- stage groups and names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "group"),
    [
        *((s, "early") for s in EARLY),
        *((s, "middle") for s in MIDDLE),
        *((s, "late") for s in LATE),
        *((s, "unknown") for s in UNKNOWN),
        ("Final Round", "late"),
        ("Take Home", "middle"),
    ],
)
def test_stage_group(stage: str | None, group: str) -> None:
    assert stage_group(stage) == group


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("Dana Whitfield", "Dana"),
        ("Jean-Luc Moreau", "Jean-Luc"),
        ("Tomás Fernández", "Tomás"),
        ("Dr. Lena Park", "Lena"),
        ("Nowak, Marta", "Marta"),
        ("  Ben  ", "Ben"),
        ("Tom O'Brien", "Tom"),
        ("", "there"),
    ],
)
def test_first_name(name: str, first: str) -> None:
    assert first_name(name) == first


# --- the note ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tone", "stage", "strengths", "variant"), ALL_NOTES)
def test_every_note_is_careful(tone: str, stage: str | None, strengths: str | None, variant: int) -> None:
    text = note(
        stage=stage,
        strengths=strengths,
        tone=tone,
        variant=variant,
        manager_name="Omar Haddad",
        company="Acme",
    )
    assert REASON_OR_PROMISE.search(text) is None, text
    assert check(text) == (), text
    assert text.startswith(("Hi Dana,", "Dear Dana,"))
    assert "Staff Data Engineer" in text
    assert re.search(r"\bthank", text, re.IGNORECASE)
    assert re.search(r"won't be|will not be|not to (?:move forward|proceed)", text)
    assert re.search(r"(?:stay|keep|remain) in (?:touch|contact)", text)
    assert text.endswith("Omar Haddad\nAcme")
    assert not re.search(r"[*_`<>{}]", text), "plain text, no mrkdwn or unfilled placeholders"
    assert "  " not in text


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("stage", [*EARLY, *MIDDLE, *LATE])
def test_note_names_the_stage(tone: str, stage: str) -> None:
    text = note(stage=stage, tone=tone).lower()
    assert stage.split()[0] in text


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("stage", STAGES)
def test_strengths_are_woven_in(tone: str, stage: str | None) -> None:
    text = note(stage=stage, tone=tone, strengths="Incident-response stories, clear system design.")
    assert re.search(
        r"(especially|particularly) appreciated your incident-response stories and clear system design", text
    ), text


@pytest.mark.parametrize(
    ("strengths", "expected"),
    [
        ("clear system design", "appreciated your clear system design"),
        (
            "Clear communication; SQL depth, and calm debugging",
            "appreciated your clear communication, SQL depth and",
        ),
        ("how you handled the outage question", "appreciated how you handled the outage question"),
        ("her thoughtful questions", "appreciated your thoughtful questions"),
        ("Python skills", "appreciated your Python skills"),
    ],
)
def test_strengths_phrasing(strengths: str, expected: str) -> None:
    assert expected in note(strengths=strengths)


@pytest.mark.parametrize("tone", TONES)
def test_late_stages_offer_a_call_and_say_more(tone: str) -> None:
    for variant in range(3):
        early = note(stage="phone screen", tone=tone, variant=variant)
        late = note(stage="final round", tone=tone, variant=variant)
        assert re.search(r"\b(call|conversation)\b", late)
        assert not re.search(r"\bcall\b", early.replace("recruiter call", ""))
        assert len(late) > len(early)


@pytest.mark.parametrize("tone", ["warm", "formal"])
def test_middle_stages_acknowledge_effort(tone: str) -> None:
    for variant in range(3):
        assert re.search(
            r"effort|time and care|care it required", note(stage="take-home", tone=tone, variant=variant)
        )


@pytest.mark.parametrize("stage", [None, "mystery stage"])
def test_unknown_stage_makes_no_claims_about_it(stage: str | None) -> None:
    for tone, variant in itertools.product(TONES, range(3)):
        text = note(stage=stage, tone=tone, variant=variant)
        assert "mystery" not in text
        assert not re.search(r"\bcall\b|this stage|getting this far", text)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("strengths", STRENGTHS)
def test_brief_tone_is_two_or_three_sentences(stage: str | None, strengths: str | None) -> None:
    for variant in range(6):
        assert (
            2
            <= len(sentences(body_of(note(stage=stage, strengths=strengths, tone="brief", variant=variant))))
            <= 3
        )


@pytest.mark.parametrize("stage", STAGES)
def test_brief_is_shortest_and_formal_is_formal(stage: str | None) -> None:
    brief, warm, formal = (note(stage=stage, tone=tone) for tone in ("brief", "warm", "formal"))
    assert len(brief) < len(warm)
    assert formal.startswith("Dear Dana,")
    assert "won't" not in formal and "I'm" not in formal


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("stage", STAGES)
def test_variants_differ(tone: str, stage: str | None) -> None:
    notes = [note(stage=stage, tone=tone, variant=v, strengths="clear system design") for v in range(9)]
    assert len(set(notes)) == 9
    for a, b in itertools.pairwise(notes):
        assert a != b
    assert note(stage=stage, tone=tone, variant=1234) != note(stage=stage, tone=tone, variant=1235)
    assert note(stage=stage, tone=tone, variant=-1)


def test_same_inputs_same_note() -> None:
    assert note(stage="onsite", variant=7) == note(stage="onsite", variant=7)


@pytest.mark.parametrize(
    ("manager_name", "company", "ending"),
    [
        ("Omar Haddad", "Acme", "Omar Haddad\nAcme"),
        ("Omar Haddad", None, "Omar Haddad"),
        (None, "Acme", "\nAcme"),
        (None, None, ","),
        ("  ", "  ", ","),
    ],
)
def test_sign_off(manager_name: str | None, company: str | None, ending: str) -> None:
    assert note(manager_name=manager_name, company=company).endswith(ending)


def test_company_appears_in_the_body_when_given() -> None:
    assert "us at Acme" in note(stage="phone screen", variant=2, company="Acme")
    assert "Acme" not in note(stage="phone screen", variant=2)


@pytest.mark.parametrize(
    ("role", "phrase"),
    [
        ("Staff Data Engineer", "the Staff Data Engineer role"),
        ("Senior Designer position", "the Senior Designer position"),
    ],
)
def test_role_phrase(role: str, phrase: str) -> None:
    assert phrase in note(role=role, stage="phone screen")


def test_unknown_tone_is_refused() -> None:
    with pytest.raises(ValueError, match="tone"):
        note(tone="casual")


# --- subject and mailto: -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("company", "expected"),
    [
        (None, "Thank you for interviewing for Staff Data Engineer"),
        ("Acme", "Thank you for interviewing for Staff Data Engineer at Acme"),
    ],
)
def test_email_subject(company: str | None, expected: str) -> None:
    assert email_subject(role=" Staff  Data Engineer ", company=company) == expected
    assert check(expected) == ()


def parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    assert split.scheme == "mailto"
    query = {key: values[0] for key, values in parse_qs(split.query, keep_blank_values=True).items()}
    return unquote(split.path), query


def test_mailto_round_trips() -> None:
    body = note(stage="onsite", strengths="clear system design", manager_name="Omar", company="Acme & Co")
    subject = email_subject(role="R&D Lead", company="Acme & Co")
    url = mailto_url(email="tomás@example.com", subject=subject, body=body)
    address, query = parts(url)
    assert address == "tomás@example.com"
    assert query["subject"] == subject
    assert query["body"] == body.replace("\n", "\r\n")
    assert " " not in url and "+" not in url
    assert "%0D%0A" in url


@pytest.mark.parametrize("limit", [3000, 2000, 1000, 600, 400, 250, 150, 130])
def test_mailto_fits_the_limit_and_shortens_the_body_gracefully(limit: int) -> None:
    body = note(stage="final round", strengths="careful, detailed answers about incident reviews " * 60)
    subject = email_subject(role="Staff Data Engineer")
    url = mailto_url(email="dana@example.com", subject=subject, body=body, limit=limit)
    assert len(url) <= limit
    _, query = parts(url)
    assert query["subject"] == subject
    shortened = query["body"].replace("\r\n", "\n")
    assert shortened.endswith("…")
    kept = shortened.removesuffix("…").rstrip()
    assert body.startswith(kept)
    assert body[len(kept)] in " \n.,;:-", "cut at a sentence or word boundary"
    assert len(url) > limit * 2 // 3, "uses most of the room it has"


@pytest.mark.parametrize("limit", [3000, 1000, 300, 120, 100, 90, 80, 60, 40, 30, 24])
def test_mailto_never_exceeds_the_limit(limit: int) -> None:
    body = note(stage="onsite", strengths="Tomás’s thoughtful questions & answers " * 80, company="Zürich AG")
    url = mailto_url(
        email="dana@example.com",
        subject=email_subject(role="R&D Lead", company="Zürich AG"),
        body=body,
        limit=limit,
    )
    assert len(url) <= limit
    assert url.startswith("mailto:dana@example.com")
    for value in parts(url)[1].values():
        assert value.endswith("…") or value in body or value.startswith("Thank you")


def test_mailto_prefers_a_sentence_boundary() -> None:
    body = note(stage="final round", manager_name="Omar")
    url = mailto_url(email="dana@example.com", subject="Hi", body=body, limit=500)
    shortened = parts(url)[1]["body"]
    assert shortened.endswith((". …", ".…"))


def test_mailto_leaves_short_bodies_alone() -> None:
    url = mailto_url(email="dana@example.com", subject="Hi", body="Thanks!", limit=3000)
    assert url == "mailto:dana@example.com?subject=Hi&body=Thanks%21"


def test_mailto_default_limit_is_slacks_button_url_limit() -> None:
    body = note(stage="onsite", strengths="careful, detailed answers " * 200)
    url = mailto_url(email="dana@example.com", subject="Hi", body=body)
    assert 2900 < len(url) <= 3000


def test_mailto_with_a_subject_too_long_drops_the_body_then_shortens_the_subject() -> None:
    url = mailto_url(email="dana@example.com", subject="Thank you " * 50, body="Body", limit=120)
    assert len(url) <= 120
    address, query = parts(url)
    assert address == "dana@example.com"
    assert "body" not in query
    assert query["subject"].endswith("…")


def test_mailto_without_subject() -> None:
    assert mailto_url(email="dana@example.com", subject="", body="Hi") == "mailto:dana@example.com?body=Hi"


@pytest.mark.parametrize(("email", "limit"), [("", 3000), ("dana@example.com", 10)])
def test_mailto_refuses_what_cannot_fit(email: str, limit: int) -> None:
    with pytest.raises(ValueError, match="mailto"):
        mailto_url(email=email, subject="Hi", body="Hi", limit=limit)
