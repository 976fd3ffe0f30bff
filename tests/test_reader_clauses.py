"""The clause reader and the structured shapes it reads: pure tests, no Slack, no database."""

from __future__ import annotations

import pytest

from bot.domain.slack_text import message_texts
from bot.reader import read


def _not_selected(text: str, **kw: str) -> list[str]:
    reading = read(text, **kw)
    return [p.name for p in reading.not_selected] if reading else []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # a list running into its clause's verdict
        ("Making offers to Ananya Rao and Signe Berg. Lukas Hofmann, Zara Ahmed and Omid Karimi won't be moving"
         " forward.", ["Lukas Hofmann", "Zara Ahmed", "Omid Karimi"]),
        # a label before the names
        ("Decision (Head of Support): offer to Rebecca Stone. Not moving forward: Paul Young, Dmitri Volkov.",
         ["Paul Young", "Dmitri Volkov"]),
        # rows: "Name: [NO] final", "Name – declined", "Name → reject"
        ("Backend Engineer pipeline\nMateo Rossi: :x: final\nAiko Tanaka: :white_check_mark: offer accepted",
         ["Mateo Rossi"]),
        ("Recruiter screen batch — Executive Assistant\nPaloma Ruiz - declined\nGraham Whitlock - declined",
         ["Paloma Ruiz", "Graham Whitlock"]),
        # a markdown table and lined-up columns in a code block
        ("| Name | Interview | Result |\n|---|---|---|\n| Astrid Haugen | Final | Offer |\n"
         "| Roberto Chávez | Final | Rejected |", ["Roberto Chávez"]),
        ("Trial shifts\n```\nName                 Shift   Result\nMaria Lopes          Tue     Rejected\n"
         "Peni Vaka            Wed     Hired\n```", ["Maria Lopes"]),
        # a header over the lines under it
        ("Onsite results for Data Analyst\n*Offer*\n• Ilse van der Meer\n*Not moving forward*\n• Tomás Ruiz\n"
         "• Bao Nguyen", ["Tomás Ruiz", "Bao Nguyen"]),
        # lower case, in a message typed without capitals
        ("lowkey fun loop. anyway: offer to kieran walsh, pass on lin feng", ["Lin Feng"]),
    ],
)
def test_reads_verdicts_by_clause_row_and_header(text: str, names: list[str]) -> None:
    assert sorted(_not_selected(text)) == sorted(names)


def test_a_reply_names_people_of_its_thread_by_first_name() -> None:
    parent = "debrief for *Senior Backend Engineer* loop\ncandidates: Ingrid Solberg, Tomasz Wójcik, Aaliyah Brooks"
    reading = read("ingrid yes, making the offer today. tomasz and aaliyah are a no", context=parent)
    assert reading is not None
    assert [p.name for p in reading.not_selected] == ["Tomasz Wójcik", "Aaliyah Brooks"]
    assert reading.role == "Senior Backend Engineer"


@pytest.mark.parametrize(
    "text",
    [
        "To be clear, we are *not* rejecting Shira Levi — the HM just wants one more conversation.",
        "FYI we rejected the proposal from TalentBridge (the agency Grace Liu introduced).",
        "Finance rejected the headcount request for a second Security Engineer this quarter.",
        "Are we sure about rejecting Imran Siddiqui? His notes say strong hire.",
        "Hana Kobayashi rejected by the vendor portal again, IT is looking",
        "Once the panel weighs in we may decline Anika Das.",
        "Rui Santos is joining us on Monday as our new Staff SRE, say hi!",
        "Lena Park withdrew her PR after review.",
    ],
)
def test_silent_on_lookalikes(text: str) -> None:
    reading = read(text)
    assert reading is None or not reading.not_selected, reading


def test_the_one_who_acted_is_not_a_candidate() -> None:
    assert _not_selected("Jorge Ramirez was rejected for Account Manager by Taylor Swiftwater") == ["Jorge Ramirez"]
    assert _not_selected("Candidate: Victor Hugo\nJob: Data Analyst\nStatus: Rejected\nRejected by: Dana Whitfield") \
        == ["Victor Hugo"]


def test_message_texts_reads_blocks_and_attachments_once() -> None:
    message = {
        "text": "Candidate rejected",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Candidate rejected"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Candidate*\nJane Doe"},
                                           {"type": "mrkdwn", "text": "*Job*\nQA Lead"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Rejected by <@U1>"}]},
            {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
                {"type": "link", "url": "https://ats.example/c/1", "text": "John Roe"},
                {"type": "text", "text": " was archived"}]}]},
        ],
        "attachments": [{"title": "Rejected", "fields": [{"title": "Stage", "value": "Onsite"}]}],
    }
    assert message_texts(message) == (
        "Candidate rejected", "Candidate: Jane Doe", "Job: QA Lead", "Rejected by <@U1>",
        "<https://ats.example/c/1|John Roe> was archived", "Rejected", "Stage: Onsite",
    )
    assert message_texts({"text": "", "blocks": "not a list", "attachments": [None, 3]}) == ()


def test_invisible_characters_do_not_cut_a_name() -> None:
    reading = read("We are not moving forward with Om\u202ear Haddad for the QA Lead role.")
    assert reading is not None
    assert [p.name for p in reading.not_selected] == ["Omar Haddad"]
    names = _not_selected("Rejected: Lena\u200b Park and Tom\u200dás Ruiz for Data Analyst")
    assert names == ["Lena Park", "Tomás Ruiz"]


def test_batch_corpora_are_well_formed() -> None:
    """Every batch: about 100 labelled messages, at least 35% look-alikes, every expected name in the message."""
    import json
    from pathlib import Path

    batches = sorted((Path(__file__).parent / "corpora").glob("b*.jsonl"))
    assert len(batches) >= 20
    for path in batches:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(rows) >= 100, path.name
        lookalikes = [r for r in rows if not (r.get("rejected") or r.get("hired") or r.get("withdrawn"))]
        assert len(lookalikes) >= 0.35 * len(rows), path.name
        for row in rows:
            where = json.dumps([row["text"], row.get("thread_parent"), row.get("attachments"), row.get("blocks")],
                               ensure_ascii=False).lower()
            for name in (*row.get("rejected", ()), *row.get("hired", ()), *row.get("withdrawn", ())):
                assert name.lower() in where, (path.name, row["id"], name)


@pytest.mark.parametrize(
    ("text", "context", "names"),
    [
        # the languages teams mix into English
        ("Absage für Herr Tobias Wendler nach dem Finale, Panel was unanimous.", "", ["Tobias Wendler"]),
        ("Para Auxiliar Contable: Kevin Mora y Alba Serrano no avanzan.", "", ["Kevin Mora", "Alba Serrano"]),
        ("A Juliana Freitas e o Lucas Bezerra não seguem no processo para Analista de Dados.", "",
         ["Juliana Freitas", "Lucas Bezerra"]),
        ("Pour le poste de Développeur iOS: Mathieu Lavoie pas retenu.", "", ["Mathieu Lavoie"]),
        # a verb that takes an infinitive is no "said no to a thing"
        ("We've decided not to progress Callum Fraser or Ngozi Ibekwe for the Branch Manager role.", "",
         ["Callum Fraser", "Ngozi Ibekwe"]),
        # a no the writer tells someone
        ("ugh ok so I had to tell Maja Horvat no today for the barista job", "", ["Maja Horvat"]),
        # an ATS card whose candidate is its title line
        ("Candidate status changed\nGabriel Mbeki\nApplied for: Overnight Stocker\nStatus: *Rejected*", "",
         ["Gabriel Mbeki"]),
        # a reply under a parent asking how it went, naming nobody
        ("Not good to be honest. We say no, I write him tonight.",
         "how did the trial day with Oskar Lund go? (Barista / Shift Lead)", ["Oskar Lund"]),
        # whose offer it is
        ("We're rescinding Nadia Benali's offer for Yard Driver — MVR came back with a suspended CDL.", "",
         ["Nadia Benali"]),
        # "them" means the people of its own sentence, not the hire before them
        ("We've filled the front desk position! Giulia Bianchi starts the 14th. Taiwo Adeyemi and Cyrus Farahani"
         " were both strong but we're not moving forward with them.", "", ["Taiwo Adeyemi", "Cyrus Farahani"]),
        # a card's staff fields name no candidate
        ("Job Application Declined\nCandidate: Giovanni Russo\nJob Requisition: R-20931 Maintenance Technician\n"
         "Disposition: Not Selected - Other Candidate Hired\nRecruiter: Amber Kessler", "", ["Giovanni Russo"]),
    ],
)
def test_reads_wording_from_many_voices(text: str, context: str, names: list[str]) -> None:
    assert sorted(_not_selected(text, context=context)) == sorted(names)


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("Dr. Camila Alvarez just rejected my request for a standing desk.", ""),
        ("Ruth Goldberg flagged that our auto-email subject line literally says Application Rejected.", ""),
        ("Mi feedback para Joaquín Beltrán: strong no hire, but Carmen saw something good, let's talk in the"
         " debrief.", ""),
        ("Funmilayo Ogunleye is still in process! Please don't send her the regret email.", ""),
        ("Offer's out to Tamika Robinson for the dispatcher role, she accepted this am", ""),
        ("Tobias Ekström accepted the Staff Scientist offer! Huge thanks to Priya Raman and Joaquín Soto for"
         " running the search.", ""),
        ("I can't, sorry, have to decline – off-site in Stuttgart.", "Can someone take the 2pm phone screen with"
         " Priya Natarajan tomorrow? I'm double booked"),
    ],
)
def test_silent_on_more_lookalikes(text: str, context: str) -> None:
    reading = read(text, context=context)
    assert reading is None or not reading.not_selected, reading


def test_who_leaves_for_another_job_withdrew() -> None:
    reading = read("She called back — she's declining, took a full-time role elsewhere",
                   context="Lina Haddad — offer sent for Bookkeeper (part-time), awaiting signature")
    assert reading is not None and [p.name for p in reading.withdrawn] == ["Lina Haddad"]
    assert not reading.not_selected
    reading = read("Ibrahim Touré took the offer from Penske, so he's out. Gareth Lowe it is — offer this afternoon."
                   " Sam Reed is a no.")
    assert reading is not None
    assert [p.name for p in reading.not_selected] == ["Sam Reed"]
    assert [p.name for p in reading.withdrawn] == ["Ibrahim Touré"]


def test_an_app_card_names_its_owner_by_name() -> None:
    card = ("Job Application Declined\nCandidate: Giovanni Russo\nDisposition: Not Selected - Other Candidate Hired\n"
            "Recruiter: Amber Kessler\nHiring Manager: Claire Fontaine")
    reading = read(card)
    assert reading is not None and reading.manager_name == "Claire Fontaine"
    reading = read("*Sun-hee Cho* was rejected from *Registered Nurse - ICU* by Marguerite Delacroix\n"
                   "Rejection reason: Hired another candidate")
    assert reading is not None and reading.manager_name == "Marguerite Delacroix"
    reading = read("Not moving forward with Omar Haddad. Hiring manager: <@U0HM>")
    assert reading is not None and reading.manager_id == "U0HM" and reading.manager_name is None


@pytest.mark.parametrize(
    ("reply", "names"),
    [
        ("1 and 3 to next round, reject 2 and 4", ["Dmitri Volkov", "Rohan Mehta"]),
        ("#1 gets the offer, #2 and #3 are a no", ["Dmitri Volkov", "Anneke van der Berg"]),
        ("no on the second one, the first one comes in for a trial day", ["Dmitri Volkov"]),
    ],
)
def test_a_reply_names_people_by_their_place_in_the_parents_list(reply: str, names: list[str]) -> None:
    parent = ("Phone screen results (Junior Accountant):\n1. Ha-eun Choi\n2. Dmitri Volkov\n3. Anneke van der Berg\n"
              "4. Rohan Mehta")
    assert sorted(_not_selected(reply, context=parent)) == sorted(names)


def test_numbers_that_are_no_places_stay_numbers() -> None:
    parent = "Final round for Data Analyst: Ha-eun Choi, Dmitri Volkov"
    reading = read("we need 2 more candidates by friday, 3 pm works for the debrief", context=parent)
    assert reading is None or not reading.not_selected
