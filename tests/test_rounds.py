"""The /interview-round grammar: parse_round, parse_candidates, HELP_TEXT."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.domain.rounds import (
    HELP_TEXT,
    MAX_CANDIDATES,
    MAX_NAME_LENGTH,
    MAX_ROLE_LENGTH,
    CandidateEntry,
    RoundParseError,
    RoundSpec,
    parse_candidates,
    parse_round,
)

C = CandidateEntry


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Staff Data Engineer: Dana Whitfield (onsite), Omar Haddad (final round), "
            "Lena Park (phone screen)",
            RoundSpec(
                role="Staff Data Engineer",
                candidates=(
                    C("Dana Whitfield", stage="onsite"),
                    C("Omar Haddad", stage="final round"),
                    C("Lena Park", stage="phone screen"),
                ),
            ),
            id="stages",
        ),
        pytest.param(
            "Staff Data Engineer: Marta Nowak (final round; strengths: incident-response stories, "
            "clear system design) marta@example.com, Ben Ode",
            RoundSpec(
                role="Staff Data Engineer",
                candidates=(
                    C(
                        "Marta Nowak",
                        stage="final round",
                        strengths="incident-response stories, clear system design",
                        email="marta@example.com",
                    ),
                    C("Ben Ode"),
                ),
            ),
            id="strengths-with-commas-and-email",
        ),
        pytest.param(
            "Staff Data Engineer: Marta Nowak (final round) <mailto:marta@example.com|marta@example.com>",
            RoundSpec(
                "Staff Data Engineer", (C("Marta Nowak", stage="final round", email="marta@example.com"),)
            ),
            id="slack-mailto",
        ),
        pytest.param(
            "Staff Data Engineer for <@U0ABC|dana>: Dana Whitfield (onsite)",
            RoundSpec("Staff Data Engineer", (C("Dana Whitfield", stage="onsite"),), manager_id="U0ABC"),
            id="for-mention-with-label-before-colon",
        ),
        pytest.param(
            "Staff Data Engineer: Dana Whitfield (onsite), Omar Haddad for <@U0ABC>",
            RoundSpec(
                "Staff Data Engineer",
                (C("Dana Whitfield", stage="onsite"), C("Omar Haddad")),
                manager_id="U0ABC",
            ),
            id="for-mention-at-end",
        ),
        pytest.param(
            "Designer For <@W0ENT|sam>: Ana",
            RoundSpec("Designer", (C("Ana"),), manager_id="W0ENT"),
            id="enterprise-user-id-any-case-for",
        ),
        pytest.param(
            "R&amp;D Lead &lt;EMEA&gt;: Tomás Fernández (panel), Jean-Luc Moreau, Tom O'Brien, Zoë O’Neill",
            RoundSpec(
                "R&D Lead <EMEA>",
                (
                    C("Tomás Fernández", stage="panel"),
                    C("Jean-Luc Moreau"),
                    C("Tom O'Brien"),
                    C("Zoë O’Neill"),
                ),
            ),
            id="html-unescaped-accents-hyphens-apostrophes",
        ),
        pytest.param(
            "Data Analyst:\nDana Whitfield (Phone  Screen)\nOmar Haddad; Lena Park &lt;lena@example.com&gt;",
            RoundSpec(
                "Data Analyst",
                (
                    C("Dana Whitfield", stage="phone screen"),
                    C("Omar Haddad"),
                    C("Lena Park", email="lena@example.com"),
                ),
            ),
            id="newlines-semicolons-lowercased-stage-angle-email",
        ),
        pytest.param(
            "Data Analyst: Dana Whitfield, Omar Haddad, and Lena Park &amp; Ben Ode (onsite) and",
            RoundSpec(
                "Data Analyst",
                (C("Dana Whitfield"), C("Omar Haddad"), C("Lena Park"), C("Ben Ode", stage="onsite")),
            ),
            id="and-ampersand-separators",
        ),
        pytest.param(
            "Data Analyst: Dana Whitfield (technical; great SQL; calm under pressure), Ferdinand Anders",
            RoundSpec(
                "Data Analyst",
                (
                    C("Dana Whitfield", stage="technical", strengths="great SQL; calm under pressure"),
                    C("Ferdinand Anders"),
                ),
            ),
            id="unkeyed-details-become-strengths",
        ),
        pytest.param(
            "Data Analyst: Dana (stage: Take-Home, strengths: tidy notebooks, email: Dana@Example.COM)",
            RoundSpec(
                "Data Analyst",
                (C("Dana", stage="take-home", strengths="tidy notebooks", email="Dana@example.com"),),
            ),
            id="keyed-details-with-commas",
        ),
        pytest.param(
            "Data Analyst: Dana (onsite; dana@example.com), Omar (strengths: questions (lots of them))",
            RoundSpec(
                "Data Analyst",
                (
                    C("Dana", stage="onsite", email="dana@example.com"),
                    C("Omar", strengths="questions (lots of them)"),
                ),
            ),
            id="email-in-parentheses-nested-parentheses",
        ),
        pytest.param(
            "Staff Engineer (Platform): Dana Whitfield (), *Omar Haddad*",
            RoundSpec("Staff Engineer (Platform)", (C("Dana Whitfield"), C("Omar Haddad"))),
            id="parenthesized-role-empty-details-bold-name",
        ),
        pytest.param(
            "Data Analyst: Dana (she/her; onsite), Omar (they / them), Lena (He/Him/His)",
            RoundSpec("Data Analyst", (C("Dana", stage="onsite"), C("Omar"), C("Lena"))),
            id="pronouns-are-not-stages",
        ),
        pytest.param(
            "  Staff   Data Engineer :  Dana   Whitfield  ,, ,  ",
            RoundSpec("Staff Data Engineer", (C("Dana Whitfield"),)),
            id="whitespace-and-empty-entries",
        ),
        pytest.param(
            "Web Dev: Ana <mailto:ana@example.com|ana@example.com> (see <https://example.com/cv|cv>)",
            RoundSpec("Web Dev", (C("Ana", stage="see cv", email="ana@example.com"),)),
            id="slack-links-become-labels",
        ),
    ],
)
def test_parse_round(text: str, expected: RoundSpec) -> None:
    assert parse_round(text) == expected


def _example_of(message: str) -> str:
    match = re.search(r"For example:\n`/interview-round (.+)`", message)
    assert match, message
    return match.group(1)


def _as_slack_sends(example: str) -> str:
    return example.replace("@dana", "<@U0DANA|dana>")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("", "couldn't find the colon", id="empty"),
        pytest.param("Dana Whitfield, Omar Haddad", "couldn't find the colon", id="no-colon"),
        pytest.param(": Dana Whitfield", "role is missing", id="empty-role"),
        pytest.param(" -- : Dana Whitfield", "role is missing", id="punctuation-role"),
        pytest.param("Staff Data Engineer:", "didn't find any candidates", id="no-candidates"),
        pytest.param("Staff Data Engineer: , ;", "didn't find any candidates", id="only-separators"),
        pytest.param("Staff Data Engineer: (onsite)", "couldn't find a name in `(onsite)`", id="no-name"),
        pytest.param("Staff Data Engineer: dana@example.com", "couldn't find a name", id="only-email"),
        pytest.param("Staff Data Engineer: Dana, 123", "couldn't find a name in `123`", id="digits-name"),
        pytest.param(
            "Staff Data Engineer: Dana dana@example", "`dana@example` doesn't look like an email", id="email"
        ),
        pytest.param(
            "Staff Data Engineer: Dana a..b@example.com", "doesn't look like an email", id="email-dots"
        ),
        pytest.param(
            "Staff Data Engineer: Dana (email: nope)", "`nope` doesn't look like an email", id="email-key"
        ),
        pytest.param("Staff Data Engineer: Dana @dana", "doesn't look like an email", id="at-name-as-email"),
        pytest.param(
            "Staff Data Engineer: Dana a@example.com b@example.com", "more than one email", id="emails"
        ),
        pytest.param(
            "Staff Data Engineer: Dana (onsite, Omar", "never closed, after `(onsite, Omar`", id="open"
        ),
        pytest.param("Staff Data Engineer: Dana onsite), Omar", "closing parenthesis without", id="close"),
        pytest.param("Staff (Data Engineer: Dana", "never closed", id="open-in-role"),
        pytest.param(
            "Staff Data Engineer: Dana Whitfield, Omar, dana  whitfield",
            "`Dana Whitfield` is listed twice",
            id="duplicate",
        ),
        pytest.param(
            "Staff Data Engineer: Tom O'Brien, Tom O’Brien", "listed twice", id="duplicate-apostrophes"
        ),
        pytest.param("R" * (MAX_ROLE_LENGTH + 1) + ": Dana", f"up to {MAX_ROLE_LENGTH}", id="role-too-long"),
        pytest.param("Staff: " + "N" * (MAX_NAME_LENGTH + 1), f"up to {MAX_NAME_LENGTH}", id="name-too-long"),
        pytest.param(
            "Staff: "
            + ", ".join(f"Name {chr(65 + i % 26)}{chr(65 + i // 26)}" for i in range(MAX_CANDIDATES + 1)),
            f"That's {MAX_CANDIDATES + 1} candidates; I can take up to {MAX_CANDIDATES}",
            id="too-many-candidates",
        ),
        pytest.param("Staff Data Engineer for @dana: Dana", "`@dana`", id="plain-at-in-for-clause"),
        pytest.param("Staff Data Engineer: Dana for @dana.w", "`@dana.w`", id="plain-at-for-clause-at-end"),
        pytest.param("Staff for <@U1>: Dana for <@U2>", "one hiring manager", id="two-managers"),
        pytest.param("Staff Data Engineer <@U1>: Dana", "`for @name`", id="mention-in-role"),
        pytest.param(
            "Staff Data Engineer: Dana, <@U1|omar>", "@mention among the candidates", id="mention-as-name"
        ),
        pytest.param(
            "Staff Data Engineer: Dana: onsite", "couldn't read `Dana: onsite` as a name", id="colon-in-name"
        ),
    ],
)
def test_parse_round_errors_are_specific_and_show_a_working_example(text: str, fragment: str) -> None:
    with pytest.raises(RoundParseError) as caught:
        parse_round(text)
    message = str(caught.value)
    assert fragment in message
    assert "`/interview-round help`" in message
    assert parse_round(_as_slack_sends(_example_of(message))).candidates


def test_round_parse_error_is_a_value_error() -> None:
    assert issubclass(RoundParseError, ValueError)


def test_error_messages_escape_user_text_for_mrkdwn() -> None:
    with pytest.raises(RoundParseError) as caught:
        parse_round("Staff: Dana &lt;b&gt;`x`")
    message = str(caught.value)
    assert "&lt;b&gt;" in message
    assert "<b>" not in message
    assert "`x`" not in message


def test_long_user_text_is_shortened_in_messages() -> None:
    with pytest.raises(RoundParseError) as caught:
        parse_round("Staff: " + "N" * 500)
    assert "N" * 100 not in str(caught.value)
    assert "…" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("R" * MAX_ROLE_LENGTH + ": Dana", id="longest-role"),
        pytest.param("Staff: " + "N" * MAX_NAME_LENGTH, id="longest-name"),
        pytest.param(
            "Staff: " + ", ".join(f"Name {i:02d}x" for i in range(MAX_CANDIDATES)), id="most-candidates"
        ),
    ],
)
def test_limits_are_inclusive(text: str) -> None:
    assert parse_round(text).candidates


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            "Dana Whitfield (onsite)\n"
            "Omar Haddad (final round; strengths: crisp SQL, calm) omar@example.com\n",
            (
                C("Dana Whitfield", stage="onsite"),
                C("Omar Haddad", stage="final round", strengths="crisp SQL, calm", email="omar@example.com"),
            ),
            id="one-per-line",
        ),
        pytest.param(
            "Dana Whitfield, Omar Haddad (phone screen)",
            (C("Dana Whitfield"), C("Omar Haddad", stage="phone screen")),
            id="comma-separated",
        ),
        pytest.param("\r\nLena Park\r\n\r\n", (C("Lena Park"),), id="windows-newlines-blank-lines"),
    ],
)
def test_parse_candidates(lines: str, expected: tuple[CandidateEntry, ...]) -> None:
    assert parse_candidates(lines) == expected


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        ("", "didn't find any candidates"),
        ("Dana (onsite", "never closed"),
        ("Dana\ndana", "listed twice"),
    ],
)
def test_parse_candidates_errors(lines: str, fragment: str) -> None:
    with pytest.raises(RoundParseError, match=re.escape(fragment)):
        parse_candidates(lines)


def test_results_are_frozen() -> None:
    spec = parse_round("Staff: Dana")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.role = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.candidates[0].name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("word", ["help", "pending", "digest", "forget NAME", "strengths:", "for @", "email"])
def test_help_text_explains_the_grammar_and_subcommands(word: str) -> None:
    assert word in HELP_TEXT


def test_help_text_examples_parse() -> None:
    examples = re.findall(r"^(?:```)?/interview-round (.+?:.+?)(?:```)?$", HELP_TEXT, flags=re.MULTILINE)
    assert len(examples) == 3
    for example in examples:
        assert parse_round(_as_slack_sends(example)).candidates
