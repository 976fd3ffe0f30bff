"""The careful-language checker and its data file."""

from __future__ import annotations

import itertools
import json
import re
from importlib import resources

import pytest

from bot.domain.language import Finding, build_rules, categories, check, load_data, phrase_pattern, rules
from bot.domain.notes import TONES, suggest_note

REQUIRED_CATEGORIES = (
    "age",
    "family",
    "religion",
    "nationality",
    "disability",
    "health",
    "culture fit",
    "overqualified",
    "gender",
    "marital status",
)


@pytest.mark.parametrize(
    ("text", "phrase", "category"),
    [
        # age
        ("We want someone young for this team.", "young", "age"),
        ("She was the youngest person in the loop.", "youngest", "age"),
        ("Very energetic in the pairing session.", "energetic", "age"),
        ("A real digital native.", "digital native", "age"),
        ("A real Digital-Native.", "Digital-Native", "age"),
        ("Honestly too senior for us.", "too senior", "age"),
        ("Perfect for a recent grad.", "recent grad", "age"),
        ("He's a 55-year-old engineer.", "55-year-old", "age"),
        ("Probably in her 50s.", "in her 50s", "age"),
        ("An older candidate.", "older candidate", "age"),
        ("Might be set in his ways.", "set in his ways", "age"),
        ("Great high energy presence.", "high energy", "age"),
        # overqualified
        ("Overqualified for the role.", "Overqualified", "overqualified"),
        ("She's over-qualified.", "over-qualified", "overqualified"),
        # family
        ("She mentioned she is pregnant.", "pregnant", "family"),
        ("Has young children at home.", "young children", "family"),
        ("Worried about childcare.", "childcare", "family"),
        ("Planning maternity leave soon.", "maternity leave", "family"),
        ("He is caring for his elderly mother.", "caring for his elderly mother", "family"),
        # marital status
        ("Her husband works at Globex.", "husband", "marital status"),
        ("Recently divorced.", "divorced", "marital status"),
        # gender
        ("Quite aggressive for a woman.", "aggressive for a woman", "gender"),
        ("Strong, for a woman.", "for a woman", "gender"),
        ("A bit too emotional in the debrief.", "too emotional", "gender"),
        ("Nice girl.", "girl", "gender"),
        ("Very bubbly.", "bubbly", "gender"),
        # sexual orientation
        ("He mentioned he is gay.", "gay", "sexual orientation"),
        # religion
        ("She wears a hijab.", "hijab", "religion"),
        ("Can't work Saturdays for religious reasons.", "religious", "religion"),
        ("He needs time off for Ramadan.", "Ramadan", "religion"),
        # nationality
        ("Not a native English speaker.", "native English speaker", "nationality"),
        ("Thick accent on the phone.", "Thick accent", "nationality"),
        ("Had an accent.", "accent", "nationality"),
        ("English is not his first language.", "English is not his first language", "nationality"),
        ("Where is she really from?", "Where is she really from", "nationality"),
        ("He is a foreigner.", "foreigner", "nationality"),
        ("A foreign candidate.", "foreign", "nationality"),
        ("Needs a green card.", "green card", "nationality"),
        # disability
        ("He uses a wheelchair.", "wheelchair", "disability"),
        ("She mentioned her ADHD.", "ADHD", "disability"),
        ("He is deaf in one ear.", "deaf", "disability"),
        ("She is blind.", "blind", "disability"),
        ("Seemed a bit on the spectrum.", "on the spectrum", "disability"),
        ("His Asperger’s came up.", "Asperger’s", "disability"),
        # health
        ("Had cancer last year.", "cancer", "health"),
        ("Took medical leave.", "medical leave", "health"),
        ("Seemed ill during the call.", "ill", "health"),
        ("Mentioned mental health struggles.", "mental health", "health"),
        # culture fit
        ("Not a culture fit.", "culture fit", "culture fit"),
        ("Wouldn't fit in with the team.", "Wouldn't fit in", "culture fit"),
        ("Would fit in well.", "fit in", "culture fit"),
        ("Failed the beer test.", "beer test", "culture fit"),
        # reasons
        ("He lacked depth in Spark.", "lacked", "reason for decision"),
        ("We went with someone with more experience.", "someone with more experience", "reason for decision"),
        ("Not strong enough on design.", "Not strong enough", "reason for decision"),
        # others
        ("Asked about her current salary.", "current salary", "salary history"),
        ("He has a criminal record.", "criminal record", "criminal history"),
        ("She is a reservist.", "reservist", "military status"),
        ("Shares our political views.", "political views", "political views"),
    ],
)
def test_flags_each_category(text: str, phrase: str, category: str) -> None:
    findings = check(text)
    assert [f.phrase for f in findings] == [phrase]
    finding = findings[0]
    assert finding.category == category
    assert text[finding.start : finding.end] == phrase
    assert finding.why.endswith(".")
    assert finding.instead


@pytest.mark.parametrize(
    "text",
    [
        "Ten years in the energy sector; strong energy-trading background.",
        "Fixed a race condition with foreign keys and a foreign exchange feed.",
        "Chose the accent colors and the blind spot in the double-blind review.",
        "Migrated older versions of Spark; worked on genetic algorithms.",
        "Would you like us to schedule a call? Not up to date with the docs.",
        "Spoke with conviction about emotional intelligence and office politics.",
        "Booked travel accommodations; very observant in code review.",
        "Add a test; an ill-suited abstraction; visual aids in the deck.",
        "Christian Bale and Christiana Lopez interviewed for the family-owned business.",
        "Stayed calm under pressure, explained trade-offs clearly, asked thoughtful questions.",
        "Youngstown office; the team is growing.",
        "",
    ],
)
def test_ordinary_words_are_not_flagged(text: str) -> None:
    assert check(text) == ()


def test_findings_are_ordered_and_do_not_overlap() -> None:
    text = "Young blood, energetic, and her HUSBAND is in the military reserve; not a culture fit."
    findings = check(text)
    assert [f.phrase for f in findings] == ["Young blood", "energetic", "HUSBAND", "culture fit"]
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    for a, b in itertools.pairwise(findings):
        assert a.end <= b.start
    assert all(text[f.start : f.end] == f.phrase for f in findings)


def test_longest_match_wins_between_categories() -> None:
    (finding,) = check("She had pregnancy complications.")
    assert finding.phrase == "pregnancy complications"
    assert finding.category == "health"


def test_rule_specific_advice_overrides_the_category_default() -> None:
    (energetic,) = check("energetic")
    (young,) = check("young")
    assert energetic.category == young.category == "age"
    assert energetic.why != young.why
    assert "proactive" in energetic.instead


def test_finding_is_frozen() -> None:
    finding = check("young")[0]
    assert isinstance(finding, Finding)
    with pytest.raises(AttributeError):
        finding.phrase = "old"  # type: ignore[misc]


def test_curly_and_straight_apostrophes_both_match() -> None:
    assert [f.phrase for f in check("boys’ club and boys' club")] == ["boys’ club", "boys' club"]


@pytest.mark.parametrize(
    ("phrase", "text", "matches"),
    [
        ("digital native", "digital  native", True),
        ("digital native", "digital-native", True),
        ("digital native", "digitalnative", False),
        ("ill", "ill-suited", False),
        ("ill", "(ill)", True),
        ("young", "youngster", False),
        ("lgbtq+", "LGBTQ+ folks", True),
    ],
)
def test_phrase_pattern(phrase: str, text: str, matches: bool) -> None:
    assert bool(re.search(phrase_pattern(phrase), text, re.IGNORECASE)) is matches


# --- the data file --------------------------------------------------------------------------------


def test_data_file_is_readable_json_in_the_domain_package() -> None:
    raw = resources.files("bot.domain").joinpath("risky_phrases.json").read_text(encoding="utf-8")
    assert json.loads(raw) == load_data()


def test_data_is_loaded_and_compiled_once() -> None:
    assert load_data() is load_data()
    assert rules() is rules()


@pytest.mark.parametrize("category", REQUIRED_CATEGORIES)
def test_required_categories_are_covered(category: str) -> None:
    assert category in categories()


def test_categories_are_unique_and_well_formed() -> None:
    names = categories()
    assert len(names) == len(set(names))
    for category in load_data()["categories"]:
        for text in (category["why"], category["instead"]):
            assert text.strip() == text and text
        for entry in category["rules"]:
            assert entry.get("phrases") or entry.get("patterns")
            assert set(entry) <= {"phrases", "patterns", "why", "instead"}
            phrases = entry.get("phrases", [])
            assert len(phrases) == len({p.lower() for p in phrases}), "no duplicate phrases in a rule"


def test_every_why_is_one_sentence() -> None:
    for rule in rules():
        assert rule.why.endswith("."), rule.why
        inner = rule.why[:-1].replace("e.g.", "").replace(" v. ", " ")
        assert not re.search(r"[.!?]\s+[A-Z]", inner), rule.why


def test_every_phrase_in_the_file_is_flagged() -> None:
    for category in load_data()["categories"]:
        for entry in category["rules"]:
            for phrase in entry.get("phrases", []):
                found = check(f"x {phrase} x")
                assert found, phrase
                assert found[0].phrase.lower() == phrase.lower(), (phrase, found[0].phrase)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"categories": [{"category": "x", "why": "w.", "instead": "i", "rules": [{"patterns": ["("]}]}]},
            "does not compile",
        ),
        (
            {"categories": [{"category": "x", "why": "w.", "instead": "i", "rules": [{"phrases": []}]}]},
            "no phrases or patterns",
        ),
    ],
)
def test_bad_data_is_refused_clearly(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_rules(data)


# --- the generated notes pass their own check ------------------------------------------------------


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize(
    "stage",
    ["phone screen", "technical", "take-home", "hiring manager", "onsite", "final round", "panel", None],
)
def test_generated_notes_have_no_findings(tone: str, stage: str | None) -> None:
    for variant in range(9):
        text = suggest_note(
            candidate_name="Omar Haddad",
            role="Staff Data Engineer",
            stage=stage,
            strengths="calm debugging, clear system design",
            manager_name="Dana Whitfield",
            company="Acme",
            tone=tone,
            variant=variant,
        )
        assert check(text) == (), text
