"""The scorer: a learned second opinion on each person a message names (bot/reader/scorer.py).

Pure tests of the model and of how `read` applies it, then one through the real app. Which wordings the
trained weights read is the benchmark's business (`scripts/train_scorer.py --cross-validate`); the pinned
examples here are ones the rules alone get wrong, so a retraining that loses them shows.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from bot.reader import read, scorer
from bot.reader.reading import Decision, read_rules, scored_people, second_opinion
from storage.models import Candidate, Followup
from tests.harness import Harness
from tests.threads import TS

MISSED = "Kitchen Porter: after the trial we will not be able to proceed with Callum Reid. Offer goes to Mehmet Yilmaz."
PAST = ("Got a note from Brendan Kavanagh asking why he was rejected last spring for the Analyst role. "
        "Can someone find his scorecards?")
SURE = scorer.Model(bias=20.0, weights={})  # every person scores 1.0: what is left is the gates
DOUBTFUL = scorer.Model(bias=-20.0, weights={})  # every person scores 0.0


def _names(reading: Decision | None) -> list[str]:
    return [p.name for p in reading.not_selected] if reading else []


def _opinion(text: str, model: scorer.Model, context: str = "", whole: scorer.Model = SURE) -> Decision | None:
    rules = read_rules(text, context=context)
    return second_opinion(rules, text, context=context, model=model, message_model=whole)


def test_the_weights_are_features_the_scorer_writes() -> None:
    data = json.loads(scorer.WEIGHTS.read_text(encoding="utf-8"))
    shapes = re.compile(r"^(?:bias|lower|unseen|in_parent|bullet|pipe_row|csv_row|line_start|question_clause"
                        r"|occ=(?:full|part|none)|ntok=\d|nothers=\d|(?:L|R|LN|M)\d?:.+|(?:LB|RB):.+_.+"
                        r"|(?:VC|VL|VM):\w+)$")
    strays = [k for k in data["weights"] if not shapes.match(k)]
    assert not strays, strays[:5]
    whole = re.compile(r"^(?:bias|asks|reply|people=\d|M:.+|VM:\w+)$")
    strays = [k for k in data["message"]["weights"] if not whole.match(k)]
    assert not strays, strays[:5]
    assert data["examples"] > 1000 and "b01" in data["trained_on"]


def test_features_are_the_words_of_the_clause_and_the_shape_of_the_line() -> None:
    message = scorer.Message("Backend Engineer\n• Dana Frost — not moving forward", "", ["Dana Frost"])
    features = message.features("Dana Frost")
    # " — " ends the clause: a row's verdict after it is read as the line's words
    assert {"bias", "occ=full", "ntok=2", "bullet", "line_start", "LN:forward", "VL:not_selected_strong",
            "M:backend"} <= features
    assert not any("dana" in f.lower() for f in features)  # the name itself is masked, never a feature


def test_a_probability_is_a_logistic_of_the_weights() -> None:
    model = scorer.Model(bias=0.0, weights={"a": 2.0, "b": -2.0})
    assert scorer.probability({"bias"}, model) == 0.5
    assert scorer.probability({"a"}, model) > 0.85 > 0.15 > scorer.probability({"b"}, model)
    assert scorer.probability({"a"} | {f"x{i}" for i in range(10_000)}, scorer.Model(1e9, {})) == pytest.approx(1.0)


def test_distinct_keeps_the_fullest_name() -> None:
    assert scorer.distinct(["Maria", "Maria Lopez", "maria lopez", "Ana Ruiz"]) == ["Maria Lopez", "Ana Ruiz"]


def test_read_adds_a_person_the_rules_miss() -> None:
    assert "Callum Reid" not in _names(read_rules(MISSED))
    reading = read(MISSED)
    assert reading is not None and _names(reading) == ["Callum Reid"]
    assert [p.name for p in reading.hired] == ["Mehmet Yilmaz"] and "scorer" in reading.rules
    assert reading.confidence >= 0.6


def test_read_takes_out_a_person_the_model_is_sure_was_not_turned_down_now() -> None:
    assert _names(read_rules(PAST)) == ["Brendan Kavanagh"]
    assert read(PAST) is None


def test_a_message_only_the_scorer_reads_becomes_a_decision_with_its_role() -> None:
    reading = _opinion("Picker role: Tomasz Brenner, see notes from the trial shift.", SURE)
    assert reading is not None and _names(reading) == ["Tomasz Brenner"]
    assert reading.rules == ("scorer",) and reading.role is not None and reading.confidence == 1.0


@pytest.mark.parametrize("text", [
    "Picker role: are we passing on Tomasz Brenner?",  # a question
    "For the Picker role we are not rejecting Tomasz Brenner, one more chat first.",  # negated
    "Picker role: my vote is no hire on Tomasz Brenner.",  # one interviewer's vote
    "Picker role: maybe we pass on Tomasz Brenner, thoughts?",  # a proposal
    "Tomasz Brenner is not a fit for the on-call rotation this week.",  # no hiring context
    "Offsite availability\n✅ Dmitri Volkov\n❌ Tomasz Brenner (Picker)",  # crosses for who can come
])
def test_the_scorer_alone_does_not_answer_look_alikes(text: str) -> None:
    assert "Tomasz Brenner" not in _names(_opinion(text, SURE))


def test_a_sure_no_takes_out_every_person_and_the_reading_with_them() -> None:
    text = "Decision for Staff Data Engineer: not moving forward with Omar Haddad."
    assert _names(read_rules(text)) == ["Omar Haddad"]
    assert _opinion(text, DOUBTFUL) is None
    both = "Staff Data Engineer: offer to Ana Ruiz, not moving forward with Omar Haddad."
    reading = _opinion(both, DOUBTFUL)
    assert reading is not None and not reading.not_selected and [p.name for p in reading.hired] == ["Ana Ruiz"]


def test_a_reply_is_scored_with_its_thread_parent_s_people() -> None:
    parent = "Debrief for Line Cook: finalists Joaquín Ferreira and Kwame Mensah. Decide here please."
    seen = scored_people(None, "joaquín is a no from all of us, sorry", context=parent)
    assert seen is not None and seen[1] == ["Joaquín Ferreira"]
    reading = _opinion("joaquín is a no from all of us, sorry", SURE, context=parent)
    assert _names(reading) == ["Joaquín Ferreira"]


def test_a_long_list_of_names_is_left_to_the_rules() -> None:
    names = [f"Person{chr(65 + i // 26)}{chr(97 + i % 26)} Example" for i in range(scorer.MOST_PEOPLE + 1)]
    text = "Barista roster: " + ", ".join(names)
    assert scored_people(None, text) is None
    assert _opinion(text, SURE) is None
    assert second_opinion(None, "", model=SURE) is None


def test_a_person_is_scored_once_however_often_they_are_named() -> None:
    message = scorer.Message("Ana Ruiz. " * 500 + "Ana Ruiz is a no for Barista.", "", ["Ana Ruiz"])
    assert len([f for f in message.features("Ana Ruiz") if f.startswith("R0:")]) <= 3


def test_the_app_records_a_decision_only_the_scorer_read(harness: Harness) -> None:
    harness.message(MISSED, ts=TS)
    with harness.deps.sessions.begin() as session:
        names = session.scalars(select(Candidate.name).join(Followup, Followup.candidate_id == Candidate.id)).all()
    assert names == ["Callum Reid"]




def test_a_message_sure_to_turn_nobody_down_records_no_one() -> None:
    text = "Decision for Staff Data Engineer: not moving forward with Omar Haddad."
    assert _names(_opinion(text, SURE, whole=SURE)) == ["Omar Haddad"]
    assert _opinion(text, SURE, whole=DOUBTFUL) is None
    both = "Staff Data Engineer: offer to Ana Ruiz, not moving forward with Omar Haddad."
    reading = _opinion(both, SURE, whole=DOUBTFUL)
    assert reading is not None and not reading.not_selected and [p.name for p in reading.hired] == ["Ana Ruiz"]
    assert "scorer_veto" in reading.rules


def test_message_features_say_whether_it_asks_and_whether_it_is_a_reply() -> None:
    message = scorer.Message("Are we passing on Omar Haddad?", "", ["Omar Haddad"])
    assert {"bias", "asks", "reply", "people=1", "M:passing"} <= message.about(reply=True, people=1)
    assert "reply" not in message.about(reply=False, people=1)
    assert not any("omar" in f for f in message.about(reply=False, people=1))
