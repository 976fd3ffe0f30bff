"""Read hiring decisions out of Slack messages.

`read` takes the raw text of a message and returns a `Decision` (who was hired, who was not selected,
who withdrew, for which role, and how sure the reading is), or None when the message is not a decision
about a person. It is pure: no Slack calls, no database, no logging.

The reading merges two readers: the named rules of `bot.reader.rules` (one per way of writing a decision,
on the normaliser, name parser, role and stage finders of the sibling modules) and the clause reader of
`bot.reader.clauses`; the names of the rules that fired are kept on the `Decision`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from bot.domain.keys import name_key
from bot.reader import scorer
from bot.reader.clauses import (
    VOTES,
    Gazetteer,
    Verdict,
    about_hiring,
    asks_a_favour,
    asks_for_a_decision,
    clean_name,
    clean_people,
    hedges,
    read_clauses,
)
from bot.reader.names import NO_KNOWN, KnownNames, NameItem, tokenize
from bot.reader.normalise import Unit, normalise, split_units
from bot.reader.roles import find_role
from bot.reader.rules import (
    UNIT_RULES,
    Context,
    Finding,
    ats_fields,
    finalists,
    mentioned_names,
    mentions_hiring,
    says_no_hire,
)
from bot.reader.signals import (
    find_manager,
    find_manager_name,
    hedged,
    is_conditional,
    marked_roster,
    negated,
    only_a_vote,
    settled,
)
from bot.reader.stages import stage_field, stage_in_header
from bot.reader.vocab import ROLE_HEADS, ROLE_WORDS

__all__ = ["CONFIDENCE_THRESHOLD", "Decision", "Person", "read"]

CONFIDENCE_THRESHOLD: float = 0.6
ASK_FLOOR: float = 0.5  # a reading only the clause reader makes is dropped below this, not asked about

# which reading wins when rules disagree about a person: a withdrawal, then a plain hire ("A accepted
# our offer"), then not selected, then a hire read from a choice ("moving forward with A")
_RANK = {"withdrawn": 3.0, "hired": 2.0, "not_selected": 1.0}


@dataclass(frozen=True)
class Person:
    name: str  # as written, cleaned: "Tomás Fernández", "Jean-Luc Moreau"; titles like Dr./Ms. dropped
    stage: str | None = None  # "onsite", "final round", "phone screen", ... lower-case, or None


@dataclass(frozen=True)
class Decision:
    role: str | None
    hired: tuple[Person, ...]
    not_selected: tuple[Person, ...]
    withdrawn: tuple[Person, ...]
    manager_id: str | None
    confidence: float
    rules: tuple[str, ...]
    manager_name: str | None = None  # the owner an app's card names by name ("Hiring Manager: Claire Fontaine")


def read(text: str, *, known_names: Sequence[str] = (), attachments_text: str = "", context: str = ""
         ) -> Decision | None:
    """Return the reading of a Slack message's text, or None when it is not a decision about a person.

    `context` is the text of the thread's parent when the message is a reply in a thread: the people it
    names can be referred to by first name ("tomasz and aaliyah are a no"), and its role is the reply's
    when the reply names none.

    The rules read first (`read_rules`); then the scorer (`bot.reader.scorer`) gives its opinion on every
    person the message names, adding those the rules missed and taking out those it is sure were not
    turned down."""
    rules = read_rules(text, known_names=known_names, attachments_text=attachments_text, context=context)
    return second_opinion(rules, text, known_names=known_names, attachments_text=attachments_text,
                          context=context)


def scored_people(reading: Decision | None, text: str, *, known_names: Sequence[str] = (),
                  attachments_text: str = "", context: str = "") -> tuple[scorer.Message, list[str]] | None:
    """The message as the scorer sees it and the people it scores: every full name the message mentions,
    the thread parent's people it names (by first name too), and the people of the rules' reading."""
    plain = normalise("\n".join(part for part in (text, attachments_text) if part and part.strip()))
    if not plain:
        return None
    parent = normalise(context) if context else ""
    parent_names = _parent_names(parent) if parent else []
    known = KnownNames.of([*known_names, *parent_names])
    names = [n for _, n in mentioned_names(plain, known)]
    names.extend(n for n in parent_names if scorer.occurrences(plain, n)[0])
    if reading is not None:
        names.extend(p.name for p in (*reading.not_selected, *reading.hired, *reading.withdrawn))
    if not names or len({name_key(n) for n in names}) > scorer.MOST_PEOPLE:
        return None  # a list that long is the rules' to read (and `distinct` is quadratic)
    people = [n for n in scorer.distinct(names) if clean_name(n)]
    if not people:
        return None
    return scorer.Message(plain, parent, people), people


def second_opinion(reading: Decision | None, text: str, *, known_names: Sequence[str] = (),
                   attachments_text: str = "", context: str = "", model: scorer.Model | None = None,
                   message_model: scorer.Model | None = None, seen: tuple[scorer.Message, list[str]] | None = None,
                   bars: tuple[float, float, float] | None = None) -> Decision | None:
    """The rules' reading with the scorer's opinion of each person applied (see `read`), then the whole
    message's: a message the scorer is sure states no one's rejection (below VETO_BELOW) turns nobody down.
    `model`, `message_model`, `seen` and `bars` are for training: other weights, the people already scored,
    and other (ADD_AT, NEW_AT, DROP_BELOW)."""
    seen = seen or scored_people(reading, text, known_names=known_names, attachments_text=attachments_text,
                                 context=context)
    if seen is None:
        return reading
    opinion = _per_person(reading, seen, model=model, bars=bars)
    if opinion is None or not opinion.not_selected:
        return opinion
    message, people = seen
    if scorer.probability(message.about(reply=bool(context), people=len(people)),
                          message_model or scorer.message_model()) >= scorer.VETO_BELOW:
        return opinion
    if not (opinion.hired or opinion.withdrawn):
        return None
    return replace(opinion, not_selected=(), rules=(*opinion.rules, "scorer_veto"))


def _per_person(reading: Decision | None, seen: tuple[scorer.Message, list[str]], *, model: scorer.Model | None,
                bars: tuple[float, float, float] | None) -> Decision | None:
    add_at, new_at, drop_below = bars or (scorer.ADD_AT, scorer.NEW_AT, scorer.DROP_BELOW)
    message, people = seen
    chance = {name_key(n): scorer.probability(message.features(n), model) for n in people}
    decided = {name_key(p.name) for p in reading.hired + reading.withdrawn} if reading is not None else set()
    refused = {name_key(p.name) for p in reading.not_selected} if reading is not None else set()
    add_at = add_at if reading is not None else new_at
    likely = [n for n in people if chance[name_key(n)] >= add_at and name_key(n) not in decided | refused
              and not any(_overlap(n, r) for r in refused | decided)]
    units = split_units(message.plain) if likely else []
    added = tuple(Person(n) for n in likely if _decides_about(message, units, n))
    if reading is None:
        plain, parent = message.plain, message.parent
        role = find_role(plain) or _role_before_a_noun(plain) or (find_role(parent) if parent else None)
        if not added or not (role or mentions_hiring(plain) or about_hiring(plain)
                             or (parent and about_hiring(parent))):
            return None  # "Kim Park is not a fit for the on-call rotation": a verdict needs a hiring context
        manager_id = find_manager(plain)
        return Decision(
            role=role,
            hired=(), not_selected=added, withdrawn=(), manager_id=manager_id,
            confidence=round(max(chance[name_key(p.name)] for p in added), 2), rules=("scorer",),
            manager_name=None if manager_id else find_manager_name(plain),
        )
    kept = tuple(p for p in reading.not_selected if chance.get(name_key(p.name), 1.0) >= drop_below)
    if not added and len(kept) == len(reading.not_selected):
        return reading
    if not (kept or added or reading.withdrawn or reading.hired):
        return None
    return replace(reading, not_selected=kept + added, rules=(*reading.rules, "scorer"))


def _decides_about(message: scorer.Message, units: Sequence[Unit], name: str) -> bool:
    """Whether the sentence that names a person the rules did not read could decide about them: not a
    question, not "we are not rejecting A", not a proposal or one interviewer's vote."""
    spans, _ = message.found[name]
    plain = message.plain
    if not spans or only_a_vote(plain) or ("[NO]" in plain and not marked_roster(plain)):
        return False  # one interviewer's vote; crosses for who can make the offsite
    start = spans[0][0]
    at = 0
    for unit in units:
        found = plain.find(unit.text, at)
        if found < 0:
            continue
        at = found
        if found <= start < found + len(unit.text):
            return not (unit.question or negated(unit.text[:start - found]) or hedges(unit.text))
    return True


def _overlap(name: str, key: str) -> bool:
    """Whether one names part of the other ("Joaquín" and "joaquín ferreira")."""
    a, b = set(name_key(name).split()), set(key.split())
    return a <= b or b <= a


def read_rules(text: str, *, known_names: Sequence[str] = (), attachments_text: str = "", context: str = ""
               ) -> Decision | None:
    """The rules' reading alone (see `read`)."""
    raw = "\n".join(part for part in (text, attachments_text) if part and part.strip())
    # an emoji between two thoughts ends the first: "offering to Adaeze Okonkwo :tada: Declining Brianna Keel"
    raw = _EMOJI_BREAK.sub(". ", raw) if _EMOJI_BREAK.search(raw) else raw
    plain = normalise(raw)
    if not plain:
        return None
    parent = normalise(context) if context else ""
    parent_names = _parent_names(parent) if parent else []
    if parent and len(raw) <= _SHORT_REPLY:
        # "1 and 3 to next round, reject 2 and 4", "no on the second one": places in the parent's list
        raw = _by_position(raw, _listed(context, parent, parent_names))
        plain = normalise(raw)
    known = KnownNames.of([*known_names, *parent_names])
    units = split_units(plain)
    answered = [u for u in units if not u.question]
    said = "\n".join(u.text for u in answered)
    ctx = Context(plain, known, says_no_hire(said))

    findings = _apply_rules(units, ctx)
    findings.extend(ats_fields(plain, known))
    role = find_role(plain) or _role_before_a_noun(plain) or (find_role(parent) if parent else None)
    hiring_words = mentions_hiring(plain)
    if role is None and not hiring_words and all(f.contextual for f in findings):
        # "Lena said no to pineapple", "Kim is not a fit for on-call": loose verdicts need a hiring context
        # (a role, hiring words, or another reading such as "we go with A")
        findings = []
    findings = _resolve_pronouns(findings, plain, known)
    findings = _drop_unsupported(findings, ctx, roster=role is not None and marked_roster(plain))
    findings.extend(_implied_not_selected(findings, answered, ctx, plain))

    people, decisive = _decided(findings, plain, known)
    # people only: "Search Committee", "Capitol Hill" are spelled like names
    names = [n for n in (*parent_names, *(n for _, n in mentioned_names(plain, known))) if clean_name(n)]
    hiring = role is not None or hiring_words or about_hiring(plain) or bool(parent and about_hiring(parent))
    verdicts = read_clauses(plain, names=names, hiring=hiring, context_names=parent_names,
                            context_asks=bool(parent_names) and asks_for_a_decision(parent),
                            context_favour=bool(parent) and asks_a_favour(parent))
    if any(v.strong for v in verdicts) and any(f.rule == "no_hire_named" for f in findings):
        # "no hire" sweeps everyone a message names into not selected; where the clause reader gave people
        # their own verdicts ("Hire: A, B / Do not hire: C"), the sweep keeps only those it read as not selected
        refused = {v.name.lower() for v in verdicts if v.kind == "not_selected"}
        findings = [f for f in findings if f.rule != "no_hire_named"] + [
            Finding(f.rule, f.kind, kept, f.unit, hedged=f.hedged)
            for f in findings if f.rule == "no_hire_named"
            if (kept := tuple(i for i in f.items if i.name.lower() in refused))]
        people, decisive = _decided(findings, plain, known)
    people, added = _merge(people, verdicts, Gazetteer([*names, *(v.name for v in verdicts)]), _contested(findings))
    hired, not_selected, withdrawn = people = _withdrew_themselves(clean_people(_without_actors(people, plain)), plain)
    if findings and {f.rule for f in findings} == {"no_hire_named"} and not added and VOTES.search(plain):
        return None  # "my scorecard for Camille Dubois: No hire" is one interviewer's vote
    if not (not_selected or withdrawn) and not (hired and (decisive or any(v.strong for v in added))):
        return None

    vote = only_a_vote(said)
    deliberate = bool(findings) and all(hedges(f.unit or plain) for f in findings) and not settled(said)
    if vote and not findings and not any(v.strong and v.kind == "not_selected" and not _VOTE_WORDS.search(plain)
                                          for v in added):
        return None  # "Mi feedback para Joaquín Beltrán: strong no hire": one interviewer's vote
    if (vote or deliberate or any(f.hedged for f in findings)) and not verdicts:
        # one interviewer's vote, "leaning no", "we might pass": a look-alike, not a decision to ask about
        return None
    rules = tuple(dict.fromkeys([*(f.rule for f in findings), *(["clauses"] if added else [])]))
    confidence = _confidence(findings, role, people, known, hiring_words=hiring_words, vote=vote) if findings else 0.97
    if added:
        confidence = min(confidence, _clause_confidence(added, role=role, hiring=hiring))
        if confidence < ASK_FLOOR and not findings:
            return None  # lower-case words near "rejected" with nothing else about hiring: too little to ask about
    return Decision(
        role=role,
        hired=hired,
        not_selected=not_selected,
        withdrawn=withdrawn,
        manager_id=(manager_id := find_manager(plain)),
        confidence=confidence,
        rules=rules,
        manager_name=None if manager_id else find_manager_name(plain),
    )


# an emoji between two thoughts ends the first: "offer accepted by Kai :tada: Declined: Rosa Delgado"
_EMOJI_BREAK = re.compile(
    r"(?<=[\w)*_])\s*:(?!x:|white_check_mark:|heavy_check_mark:|no_entry|negative_squared|heavy_multiplication)"
    r"[a-z0-9_+\-']+:(?=\s+\w)")

_ROLE_BEFORE_NOUN = re.compile(
    r"\b(?:for|the|our|a|an)\s+((?:[A-Za-z][\w/&'-]*\s+){0,3}?[A-Za-z][\w/&'-]*)\s+"
    r"(?:role|position|spot|job|req|requisition|opening|posting|process|search|vacancy|loop)\b")


# job-title heads, and titles that are family names too and so only count before "role", "spot", …
_JOB_BEFORE_A_NOUN = ROLE_HEADS | {"cook", "server", "porter"}


def _role_before_a_noun(plain: str) -> str | None:
    """"for the housekeeper spot", "the night shift RN posting": a title typed any way, before a word that
    means a job, when it ends in a job-title noun."""
    for m in _ROLE_BEFORE_NOUN.finditer(plain):
        words = m.group(1).split()
        while words and words[0].lower() in {"the", "a", "an", "our", "this", "that", "new", "open"}:
            words = words[1:]
        if words and words[-1].lower().rstrip("s") in _JOB_BEFORE_A_NOUN:
            return " ".join(words)
    return None


_People = tuple[tuple[Person, ...], tuple[Person, ...], tuple[Person, ...]]

# "Jamal Wright's paid trial day", "Noa Ben-David's test": in a thread's parent, the one whose thing it is
# is who the thread is about
_POSSESSIVE_NAME = re.compile(r"\b((?:[A-ZÀ-ÖØ-Þ][\w'’-]+\s+){1,3}[A-ZÀ-ÖØ-Þ][\w-]+)['’]s\b")


_SHORT_REPLY = 400
_NUMBERED = re.compile(r"^\W{0,3}(?:#\s?)?([1-9])[.):]\s+(.+)$", re.MULTILINE)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_ORDINAL = re.compile(r"\b(?:the\s+)?(first|second|third|fourth|fifth|1st|2nd|3rd|4th)\s+(?:one|candidate|guy|person|"
                      r"applicant|finalist)\b|\bthe\s+(first|second|third|fourth|fifth)\b(?!\s+(?:round|interview|time|"
                      r"stage|day|week|call|screen|of))", re.IGNORECASE)
# a number that stands for a place in a list: "#2", "1 and 3", "2, 4 no", "no to 3"; not "3 pm", "2 more"
_PLACE = re.compile(r"(?<![\w#.:/$€£-])#?([1-9])(?![\w.:%/$€£-])"
                    r"(?!\s*(?:am|pm|h|hrs?|hours?|days?|weeks?|months?|years?|more|of|out|x|min|mins|minutes|people|"
                    r"candidates|ppl|seats?|spots?|openings?|rounds?)\b)", re.IGNORECASE)
_LISTED_NUMBERS = re.compile(r"(?<![\w#.:/])#?[1-9](?:\s*(?:,|and|&|\+|/)\s*#?[1-9])+(?![\w.:%/])"
                             r"|(?:^|(?<=[\s(]))#[1-9]\b|\b(?:no\.?|number|candidate|option)\s*#?[1-9]\b"
                             r"|(?<![\w#.:/])[1-9](?=\s*(?:[:=—–-]|\s+(?:no|yes|is|are|gets?|goes?|to|on|out|in|"
                             r"hire|reject|pass|offer)\b))", re.IGNORECASE)


def _listed(context: str, parent: str, names: Sequence[str]) -> list[str]:
    """The people of a thread's parent in the order it lists them: its numbered lines (`context`, as typed),
    else as it (`parent`, normalised) names them."""
    numbered = {int(m.group(1)): normalise(m.group(2)) for m in _NUMBERED.finditer(context)}
    if len(numbered) >= 2:
        out = []
        for place in sorted(numbered):
            found = [n for _, n in mentioned_names(numbered[place], NO_KNOWN)]
            clean = clean_name(numbered[place].split(" — ")[0].split(" - ")[0].split("(")[0].strip())
            out.append(found[0] if found else (clean or ""))
        return out if all(out) and list(sorted(numbered)) == list(range(1, len(out) + 1)) else []
    positions = sorted((parent.find(n), n) for n in names if parent.find(n) >= 0)
    return [n for _, n in positions]


def _by_position(reply: str, listed: list[str]) -> str:
    """The reply with each place in its parent's list written as the person there."""
    if not 2 <= len(listed) <= 9:
        return reply

    def name(place: int) -> str | None:
        return listed[place - 1] if 1 <= place <= len(listed) else None

    def ordinal(m: re.Match[str]) -> str:
        word = (m.group(1) or m.group(2)).lower()
        return name(_ORDINALS[word]) or m.group()

    reply = _ORDINAL.sub(ordinal, reply)

    def places(m: re.Match[str]) -> str:
        return _PLACE.sub(lambda n: name(int(n.group(1))) or n.group(), m.group())

    return _LISTED_NUMBERS.sub(places, reply)


# "Kiri, Ngozi and Valentina all finished the take-home": a list of single names in a thread's parent
_CAPITAL_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’-]+"
_NAME_LIST = re.compile(rf"\b{_CAPITAL_WORD}(?:\s*,\s*{_CAPITAL_WORD})*\s*(?:,\s*)?(?:and|&)\s+{_CAPITAL_WORD}"
                        rf"|\b{_CAPITAL_WORD}(?:\s*,\s*{_CAPITAL_WORD}){{2,}}")


def _single_names(parent: str, full: list[str]) -> list[str]:
    taken = {part.lower() for name in full for part in name.split()}
    out: list[str] = []
    for m in _NAME_LIST.finditer(parent):
        words = [w for w in re.split(r"\s*,\s*|\s+(?:and|&)\s+|\s+", m.group()) if w and w not in ("and", "&")]
        if len(words) >= 2 and all(clean_name(w) and w.lower() not in taken and w.lower() not in ROLE_WORDS
                                   for w in words):
            out.extend(w for w in words if w not in out)
    return out


def _parent_names(parent: str) -> list[str]:
    names = [n for _, n in mentioned_names(parent, NO_KNOWN)]
    names.extend(_single_names(parent, names))
    for m in _POSSESSIVE_NAME.finditer(parent):
        name = clean_name(m.group(1))
        if name and len(name.split()) >= 2 and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return names


def _contested(findings: Sequence[Finding]) -> set[str]:
    """People the rules read as not selected only loosely: through a pronoun ("I'll call them"), a weak
    phrase, or while another rule read them as hired ("no on Tomás and Priya, Anna gets the offer")."""
    firm = {i.name.lower() for f in findings if f.kind == "not_selected" and not (f.weak or f.resolved)
            for i in f.items}
    hired = {i.name.lower() for f in findings if f.kind == "hired" for i in f.items}
    loose = {i.name.lower() for f in findings if f.kind == "not_selected" for i in f.items}
    return (loose - firm) | (loose & hired)


def _merge(people: _People, verdicts: Sequence[Verdict], gazetteer: Gazetteer, contested: Collection[str] = frozenset()
           ) -> tuple[_People, list[Verdict]]:
    """The rules' reading, with first names made whole from the message and its thread, plus the people only
    the clause reader gave a verdict."""
    groups: list[list[Person]] = [[], [], []]
    seen: set[str] = set()
    slot = {"hired": 0, "not_selected": 1, "withdrawn": 2}
    # a hire or a withdrawal the clause reader reads in a person's own clause wins over a rule that swept
    # them into a list of people not selected ("no on Tomás and Priya, Anna gets the offer"; "Imogen Clarke
    # archived — Withdrew, accepted competing offer")
    spared = {v.name.lower(): slot[v.kind] for v in verdicts if v.kind != "not_selected"}
    # where the clause reader read the message, a loose reading keeps only the people it refused too
    understood = any(v.strong for v in verdicts)
    refused = {v.name.lower() for v in verdicts if v.kind == "not_selected"}
    for index, group in enumerate(people):
        for person in group:
            name = gazetteer.resolve(person.name) or person.name
            if name.lower() not in seen:
                seen.add(name.lower())
                loose = index == 1 and person.name.lower() in contested
                moved = spared.get(name.lower()) if loose else None
                if loose and moved is None and understood and name.lower() not in refused:
                    continue  # "Taiwo and Cyrus were strong but we're not moving forward with them": not Giulia
                groups[index if moved is None else moved].append(Person(name, person.stage))
    added = []
    for verdict in verdicts:
        if verdict.name.lower() in seen:
            continue
        seen.add(verdict.name.lower())
        groups[slot[verdict.kind]].append(Person(verdict.name))
        added.append(verdict)
    return (tuple(groups[0]), tuple(groups[1]), tuple(groups[2])), added


_VOTE_WORDS = re.compile(r"\bno[\s-]hire\b|\bhire\b|\bvotes?\b|\bscorecard", re.IGNORECASE)

# the one person a message is about left of their own accord: took another offer, stayed, withdrew
_LEFT_OF_THEIR_OWN_ACCORD = re.compile(
    r"\b(?:accepted|took|taking|signed|chose|got|went\s+with|going\s+with)\s+(?:"
    r"(?:another|a\s+competing|a\s+counter[\s-]?|an?\s+in-house|a\s+full[\s-]time|the\s+union|a\s+union)\s+(?:[\w-]+\s+)?"
    r"(?:offer|counter(?:[\s-]?offer)?|role|job|position|spot|proposal)"
    r"|(?:an?|the)\s+(?:[\w-]+\s+)?(?:offer|role|job|position|spot|proposal)\s+(?:at|from|with|elsewhere|somewhere)"
    r"|a\s+(?:[\w-]+\s+)?(?:job|role|spot|position)\b(?!\s+(?:with|at)\s+us))"
    r"|\bcounter[\s-]?offer\b|\bdeclined\s+by\s+(?:the\s+)?candidate\b|\bcandidate\s+withdrew\b"
    r"|\b(?:going|went)\s+with\s+a\s+competitor\b|\bdecided\s+to\s+stay\b|\bstaying\s+(?:at|with|in)\s+(?:her|his|their)\b"
    r"|\breason\W{0,4}(?:candidate\s+)?withdr[ae]w",
    re.IGNORECASE)


def _withdrew_themselves(people: _People, plain: str) -> _People:
    """"D'Angelo Harris is out — he accepted a counter from his current company": someone read as not
    selected left of their own accord; no one is owed a note for that. The reason is theirs when it is the
    only person of the reading, or the nearest person named before it in its sentence."""
    hired, not_selected, withdrawn = people
    reasons = list(_LEFT_OF_THEIR_OWN_ACCORD.finditer(plain))
    if not reasons or not not_selected:
        return people
    if len(not_selected) == 1 and not hired and not withdrawn:
        return (), (), not_selected
    low = plain.lower()
    everyone = [*hired, *not_selected, *withdrawn]
    left: list[Person] = []
    for reason in reasons:
        sentence_start = max(low.rfind(stop, 0, reason.start()) for stop in (".", "!", "?", "\n", ";")) + 1
        nearest: tuple[int, Person] | None = None
        for person in everyone:
            for part in {person.name.lower(), person.name.split()[0].lower()}:
                at = low.rfind(part, sentence_start, reason.start())
                if at >= 0 and (nearest is None or at > nearest[0]):
                    nearest = (at, person)
        if nearest is not None and nearest[1] in not_selected and nearest[1] not in left:
            left.append(nearest[1])
    if not left:
        return people
    return hired, tuple(p for p in not_selected if p not in left), (*withdrawn, *left)


def _without_actors(people: _People, plain: str) -> _People:
    """The one who rejected is no candidate: "… disqualified from Customer Success Manager by Oliver Steinmetz"."""
    def acted(name: str) -> bool:
        spots = [m.start() for m in re.finditer(re.escape(name), plain, re.IGNORECASE)]
        return bool(spots) and all(re.search(r"\bby:?\s*[*_]?$", plain[max(0, i - 6) : i], re.IGNORECASE)
                                   for i in spots)

    if len(people[1]) > 50:  # a long roster is no ATS card with one actor: bound the work
        return people
    return people[0], tuple(p for p in people[1] if not acted(p.name)), people[2]


def _clause_confidence(added: Sequence[Verdict], *, role: str | None, hiring: bool) -> float:
    strong = all(v.strong for v in added)
    score = 0.9 if strong else 0.75
    if role is None and not hiring:
        score -= 0.15 if strong else 0.3  # "reject kevin o'malley" says what it is; "marco no" does not
    if any(v.lowercase for v in added):
        score -= 0.1
    if any(" " not in v.name for v in added):
        score -= 0.05
    return round(score, 2)


def _apply_rules(units: Sequence[Unit], ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    for unit in units:
        tokens = tokenize(unit.text)
        for rule in UNIT_RULES:
            if unit.question and not rule.in_questions:
                continue
            for finding in rule.fn(unit, tokens, ctx):
                if not unit.question and _conditional_before(unit.text, finding):
                    continue
                findings.append(finding)
    return findings


def _conditional_before(unit_text: str, finding: Finding) -> bool:
    """A verdict inside "if ...", "whether ...", "we'd ..." is hypothetical."""
    first = next((i.name for i in finding.items if i.pronoun is None), None)
    cut = unit_text.find(first) if first else -1
    prefix = unit_text[:cut] if cut >= 0 else unit_text
    return is_conditional(prefix)


def _resolve_pronouns(findings: list[Finding], plain: str, known: KnownNames) -> list[Finding]:
    """Replace "him", "her", "them", "both of them" with the names mentioned before them."""
    mentions = mentioned_names(plain, known)
    hired = {i.name.lower() for f in findings if f.kind == "hired" for i in f.items if i.pronoun is None}
    out: list[Finding] = []
    for f in findings:
        if all(i.pronoun is None for i in f.items):
            out.append(f)
            continue
        offset = plain.find(f.unit)
        before = [name for pos, name in mentions if pos < offset + len(f.unit) and name.lower() not in hired]
        items: list[NameItem] = []
        for item in f.items:
            if item.pronoun is None:
                items.append(item)
                continue
            own = {i.name for i in f.items if i.pronoun is None}
            candidates = [n for n in dict.fromkeys(before) if n not in own]
            # only names mentioned before the pronoun's own sentence position count
            if item.pronoun in {"him", "her"}:
                chosen = candidates[-1:] if candidates else []
            else:
                chosen = candidates
            items.extend(NameItem(n, item.stage, pronoun=None, known=True) for n in chosen)
        if items:
            out.append(
                Finding(
                    f.rule,
                    f.kind,
                    tuple(items),
                    f.unit,
                    weak=f.weak,
                    standalone=f.standalone,
                    hedged=f.hedged,
                    resolved=True,
                )
            )
    return out


# weak readings that a choice alone supports: "going with A; close the loop with B", "A gets the offer,
# not B", "A was a close second"
_AFTER_A_CHOICE = frozenset({"close_the_loop", "not_contrast", "runner_up"})


def _drop_unsupported(findings: list[Finding], ctx: Context, *, roster: bool = False) -> list[Finding]:
    """Weak readings count only next to a real decision in the same message.

    "Close the loop with B" / "send regrets to B" count next to any decision, even a choice ("we're going
    with A"); "call B", "thanks C" or a bare cross mark only next to an explicit one. Bare marks also
    count as a verdict list when they both tick and cross names under a role and not about availability
    (`roster`): "Payments Engineer / ✅ Dmitri Volkov / ❌ Sofia Andersson".
    """
    strong = [f for f in findings if not f.weak and (f.kind != "hired" or f.standalone)]
    choice = [f for f in findings if not f.weak]
    marks = [f for f in findings if f.weak and f.rule in {"per_line_verdict", "inline_mark"}]
    verdict_list = roster and {f.kind for f in marks} == {"hired", "not_selected"}
    kept: list[Finding] = []
    for f in findings:
        if not f.weak:
            kept.append(f)
        elif strong or ctx.no_hire or (f.rule in _AFTER_A_CHOICE and choice) or (verdict_list and f in marks):
            kept.append(f)
    return kept


def _implied_not_selected(
    findings: list[Finding], answered: Sequence[Unit], ctx: Context, plain: str
) -> list[Finding]:
    """Finalists who were not chosen, and everyone named in a "no hire" message."""
    chosen = {i.name.lower() for f in findings if f.kind == "hired" for i in f.items}
    decided = {i.name.lower() for f in findings for i in f.items}
    extra: list[Finding] = []
    if chosen:
        rest = [i for i in finalists(answered, ctx) if i.name.lower() not in decided]
        if rest:
            extra.append(Finding("finalists_not_chosen", "not_selected", tuple(rest), ""))
    if ctx.no_hire and not chosen:
        withdrawn = {i.name.lower() for f in findings if f.kind == "withdrawn" for i in f.items}
        named = [
            NameItem(n)
            for _, n in mentioned_names("\n".join(u.text for u in answered), ctx.known)
            if n.lower() not in withdrawn and n.lower() not in decided
        ]
        if named:
            # "my vote: no hire on A, waiting on Sam's feedback" is not settled
            pending = hedged("\n".join(u.text for u in answered))
            extra.append(
                Finding("no_hire_named", "not_selected", tuple(dict.fromkeys(named)), "", hedged=pending)
            )
    return extra


def _decided(findings: list[Finding], plain: str, known: KnownNames) -> tuple[_People, list[Finding]]:
    """The people the rules' findings decide about, and the findings that decide (a hire read from a choice
    alone, "moving forward with A", decides nothing unless someone else was not selected)."""
    people = _people_by_kind(findings, plain, known)
    decisive = [f for f in findings if f.kind != "hired" or f.standalone]
    if not any(people[1:]) and not any(f.kind == "hired" for f in decisive):
        people = ((), (), ())
    return people, decisive


def _people_by_kind(
    findings: list[Finding], plain: str, known: KnownNames
) -> tuple[tuple[Person, ...], tuple[Person, ...], tuple[Person, ...]]:
    full_names = [n for _, n in mentioned_names(plain, known)]
    message_stage = stage_field(plain) if "stage" in plain.lower() else _header_stage(plain)
    chosen: dict[str, tuple[str, float, Person]] = {}
    order: list[str] = []
    for f in findings:
        rank = _RANK[f.kind] if f.kind != "hired" or f.standalone else 0.5
        for item in f.items:
            if item.pronoun is not None:
                continue
            name = _fullest(item.name, full_names)
            key = name.lower()
            stage = item.stage or (message_stage if f.kind != "hired" else None)
            person = Person(name, stage)
            if key not in chosen:
                chosen[key] = (f.kind, rank, person)
                order.append(key)
                continue
            kind, previous_rank, previous = chosen[key]
            if rank > previous_rank:
                chosen[key] = (f.kind, rank, Person(name, previous.stage or stage))
            elif previous.stage is None and stage is not None:
                chosen[key] = (kind, previous_rank, Person(previous.name, stage))
    by_kind: dict[str, list[Person]] = {"hired": [], "not_selected": [], "withdrawn": []}
    for key in order:
        kind, _, person = chosen[key]
        by_kind[kind].append(person)
    return tuple(by_kind["hired"]), tuple(by_kind["not_selected"]), tuple(by_kind["withdrawn"])


def _header_stage(plain: str) -> str | None:
    """The stage a recap's header line names: "Final round results (Data Analyst):" over a list of verdicts."""
    header, newline, _ = plain.partition("\n")
    if not newline or len(header) > 80:
        return None
    return stage_in_header(header)


def _fullest(name: str, full_names: Sequence[str]) -> str:
    """A lone first name becomes the full name mentioned elsewhere in the message, if exactly one fits."""
    if " " in name:
        return name
    fits = {n for n in full_names if n.split()[0].lower() == name.lower() and " " in n}
    return fits.pop() if len(fits) == 1 else name


def _confidence(
    findings: Sequence[Finding],
    role: str | None,
    people: tuple[tuple[Person, ...], tuple[Person, ...], tuple[Person, ...]],
    known: KnownNames,
    *,
    hiring_words: bool,
    vote: bool = False,
) -> float:
    score = 0.97
    if role is None:
        score -= 0.15
        if not hiring_words:
            score -= 0.15
    everyone = [p for group in people for p in group]
    items = {i.name.lower(): i for f in findings for i in f.items}
    if any(items.get(p.name.lower()) is not None and items[p.name.lower()].lowercase for p in everyone):
        score -= 0.2
    if any(" " not in p.name and p.name.lower() not in known.tokens for p in everyone):
        score -= 0.1
    if all(f.weak or (f.kind == "hired" and not f.standalone) for f in findings):
        score -= 0.1
    if any(f.resolved for f in findings):
        score -= 0.05
    if vote or any(f.hedged for f in findings):
        score -= 0.4
    return round(max(0.0, min(1.0, score)), 2)
