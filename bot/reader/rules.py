"""The named rules, one per way people write a hiring decision; each reads a sentence and returns findings.

Pure: strings in, plain values out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.reader.names import (
    Kind,
    KnownNames,
    NameItem,
    Token,
    _Cursor,
    _match_known,
    _parse_item,
    is_capitalised_name_word,
    parse_names,
    parse_names_before,
    read_paren,
    tokenize,
)
from bot.reader.normalise import NO_MARK, YES_MARK, Unit
from bot.reader.signals import hedged, is_conditional, negated
from bot.reader.stages import _STAGE_RE, STAGE_PATTERN, canonical_stage, stage_field, stage_in_context

# --------------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """What one rule read in one unit."""

    rule: str
    kind: Kind
    items: tuple[NameItem, ...]
    unit: str
    weak: bool = False  # needs another decision in the message to count
    standalone: bool = True  # a hire reading alone is a decision (an accepted offer), or not ("going with A")
    hedged: bool = False
    resolved: bool = False  # names came from resolving "him", "them", "both of them"
    contextual: bool = False  # a loose verdict ("A is a no"): counts only in a message about hiring


@dataclass(frozen=True)
class Context:
    text: str  # the whole normalised message (text + attachments)
    known: KnownNames
    no_hire: bool  # the message says nobody was hired ("no hire for ...")


RuleFn = Callable[[Unit, list[Token], Context], list[Finding]]


@dataclass(frozen=True)
class Rule:
    name: str
    fn: RuleFn
    in_questions: bool = False  # may read inside a question sentence


def _tok_at(tokens: list[Token], offset: int) -> int:
    """Index of the first token starting at or after a character offset."""
    for k, t in enumerate(tokens):
        if t.start >= offset:
            return k
    return len(tokens)


def _with_stage(items: Sequence[NameItem], stage: str | None) -> tuple[NameItem, ...]:
    if stage is None:
        return tuple(items)
    return tuple(
        NameItem(i.name, i.stage or stage, i.lowercase, i.known, i.pronoun, i.role_hint) for i in items
    )


_YET_AFTER = re.compile(r"^\s*(?:yet|for the moment|so far)\b", re.IGNORECASE)


def _object_rule(
    name: str,
    kind: Kind,
    pattern: str,
    *,
    loose: bool = False,
    check_negation: bool = True,
    standalone: bool = True,
    weak: bool = False,
    subject_free: bool = False,
    skip_after: str | None = None,
    in_questions: bool = False,
    contextual: bool = False,
    application: bool = False,
    at_end: bool = False,
    need_after: str | None = None,
) -> Rule:
    """A rule "PHRASE NAMES": the names follow the phrase ("not moving forward with A and B").

    `application` also reads "A's application" / "A's candidacy"; `at_end` wants the names to end the
    sentence ("..., not B").
    """
    regex = re.compile(pattern, re.IGNORECASE)
    skip_re = re.compile(skip_after, re.IGNORECASE) if skip_after else None
    need_re = re.compile(need_after, re.IGNORECASE) if need_after else None

    def fn(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        for m in regex.finditer(unit.text):
            prefix = unit.text[: m.start()]
            if check_negation and negated(prefix):
                continue
            if subject_free:
                # "Omar declined our offer" is the candidate's verb, not ours
                prefix_tokens = tokenize(prefix)
                before = parse_names_before(prefix_tokens, len(prefix_tokens), ctx.known)
                if before is not None and prefix.strip():
                    continue
            start = _tok_at(tokens, m.end())
            names = parse_names(tokens, start, ctx.known, loose=loose, application=application)
            if names is None:
                continue
            rest = unit.text[tokens[names.end - 1].end :] if names.end > 0 else ""
            if _YET_AFTER.match(rest):
                continue
            if skip_re is not None and skip_re.match(rest):
                continue
            if at_end and rest.strip(" .!)"):
                continue
            if need_re is not None and not need_re.match(rest):
                continue
            stage = stage_in_context(unit.text[m.start() :]) or stage_in_context(prefix)
            found.append(
                Finding(
                    name,
                    kind,
                    _with_stage(names.items, stage),
                    unit.text,
                    weak=weak,
                    standalone=standalone,
                    hedged=hedged(unit.text),
                    contextual=contextual,
                )
            )
        return found

    return Rule(name, fn, in_questions=in_questions)


def _subject_rule(
    name: str,
    kind: Kind,
    pattern: str,
    *,
    standalone: bool = True,
    reason_aware: bool = False,
    weak: bool = False,
    contextual: bool = False,
    not_followed_by: str | None = None,
) -> Rule:
    """A rule "NAMES PHRASE": the names come before the phrase ("A and B were not selected")."""
    regex = re.compile(pattern, re.IGNORECASE)
    after_re = re.compile(not_followed_by, re.IGNORECASE) if not_followed_by else None

    def fn(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        for m in regex.finditer(unit.text):
            if after_re is not None and after_re.match(unit.text[m.end() :]):
                continue
            end = _tok_at(tokens, m.start())
            names = parse_names_before(tokens, end, ctx.known)
            if names is None:
                continue
            prefix = unit.text[: tokens[names.start].start]
            if is_conditional(prefix):
                continue
            verdict = kind
            if reason_aware:
                verdict = _archive_reason_kind(ctx.text, kind)
            stage = stage_in_context(unit.text[m.start() :]) or _paren_stage_after(unit.text[m.end() :])
            found.append(
                Finding(
                    name,
                    verdict,
                    _with_stage(names.items, stage),
                    unit.text,
                    weak=weak,
                    standalone=standalone,
                    hedged=hedged(unit.text),
                    contextual=contextual,
                )
            )
        return found

    return Rule(name, fn)


def _paren_stage_after(rest: str) -> str | None:
    m = re.match(r"\s*\(([^()]*)\)", rest)
    if not m:
        return None
    return read_paren(m.group(1))[0]


def _archive_reason_kind(text: str, default: Kind) -> Kind:
    m = re.search(r"\breason\s*:\s*([^\n)]+)", text, re.IGNORECASE)
    if not m:
        return default
    reason = m.group(1).lower()
    if re.search(
        r"withdr|candidate declined|declined (?:the |our )?offer|offer declined|took another|accepted another|"
        r"another offer|pulled out|no longer interested|ghosted|unresponsive",
        reason,
    ):
        return "withdrawn"
    if re.search(r"\bhired\b|\baccepted\b", reason) and not re.search(
            r"\b(?:hired|selected|chose|went with)\s+(?:an?other|someone|somebody|a different|the other|other)\b|"
            r"\bhired\W+(?:an?other|other|a different)\b|\bposition filled\b", reason):
        return "hired"  # "Archive reason: Hired"; but "Hired another candidate" says this one was not
    return default


_NEG = r"(?:\bnot|n't|\bnever|\bno\s+longer)"
_BY_OUTSIDER = (
    r"\s+by\s+(?!the\s+(?:panel|hiring|team|committee|recruit|interview|hm\b|debrief)|hm\b|us\b|@|"
    r"(?-i:[A-Z][\w'\-]+\s+[A-Z]))"
)
_BE = r"(?:was|were|is|are|has been|have been|had been|got|gets|will be|'s been|'re|'s)"

OBJECT_RULES: tuple[Rule, ...] = (
    _object_rule(
        "not_moving_forward",
        "not_selected",
        rf"{_NEG}\s+(?:be\s+|going\s+to\s+|to\s+|gonna\s+)?(?:be\s+)?"
        r"(?:mov(?:e|ing)|proceed(?:ing)?|go(?:ing)?|advanc(?:e|ing)|progress(?:ing)?|continu(?:e|ing))\s+"
        r"(?:forward\s+|ahead\s+|further\s+)?(?:with\s+)"
        rf"|{_NEG}\s+(?:be\s+|going\s+to\s+|to\s+|gonna\s+)?(?:be\s+)?(?:progress(?:ing)?|advanc(?:e|ing))\s+",
        loose=True,
        check_negation=False,
    ),
    _object_rule(
        "no_offer",
        "not_selected",
        rf"{_NEG}\s+(?:be\s+|going\s+to\s+|to\s+)?(?:be\s+)?(?:extend(?:ing)?|mak(?:e|ing)|send(?:ing)?|giv(?:e|ing))\s+"
        r"(?:an?\s+|any\s+)?offers?\s+(?:to|for)\s+|\bno\s+offers?\s+(?:for|to)\s+(?:either\s+)?",
        loose=True,
        check_negation=False,
    ),
    _object_rule(
        "passing_on",
        "not_selected",
        r"\bpass(?:ing|ed)?\s+on\s+",
        loose=True,
        skip_after=r"\s*(?:to|over\s+to|along)\b",  # "passing on Omar to the platform team" forwards him
    ),
    _object_rule(
        "decided_against",
        "not_selected",
        r"\bdecided\s+against\s+(?:(?:hiring|moving\s+forward\s+with|proceeding\s+with|extending\s+an?\s+offer\s+to|"
        r"making\s+an?\s+offer\s+to|an?\s+offer\s+for)\s+)?",
        loose=True,
    ),
    _object_rule(
        "declining", "not_selected", r"\bdeclin(?:e|ing|ed)\s+", subject_free=True, application=True
    ),
    _object_rule(
        "rejected",
        "not_selected",
        r"\breject(?:ed|ing)?\s+(?!from\b|for\b|by\b)",
        subject_free=True,
        application=True,
    ),
    _object_rule(
        "rejection_sent",
        "not_selected",
        r"\b(?:rejection|regrets?|decline)(?:\s+(?:email|note|letter|message))?\s+(?:was\s+|were\s+|has\s+been\s+)?"
        r"sent\s+to\s+"
        r"|\b(?:send|sent|sending|shoot|email)\s+(?:out\s+)?(?:a\s+|an\s+|the\s+|our\s+)?(?:decline|rejection|regrets?)"
        r"(?:\s+(?:email|note|letter|message))?\s+to\s+",
    ),
    _object_rule("no_to", "not_selected", r"\bno\s+to\s+", check_negation=False, contextual=True),
    _object_rule(
        "no_on",
        "not_selected",
        r"\b(?:no|thumbs[\s-]down|no[\s-]hire|hard\s+no|no[\s-]go)\s+"
        r"(?:from\s+(?:us|me|the\s+(?:panel|team))\s+)?on\s+",
        loose=True,
        check_negation=False,
        contextual=True,
    ),
    _object_rule(
        "close_out",
        "not_selected",
        r"\bclos(?:e|ed|es|ing)\s+out\s+|\bclos(?:e|ed|es|ing)\s+(?=(?:him|her|them)\s+out\b)",
        application=True,
    ),
    _object_rule(
        "its_a_no",
        "not_selected",
        r"\b(?:it's|it\s+is|that's|that\s+is|it\s+was|answer\s+is)\s+a\s+(?:no|pass|hard\s+no|no[\s-]hire)\s+"
        r"(?:from\s+(?:us|me)\s+)?(?:for|on)\s+",
        check_negation=False,
    ),
    _object_rule(
        "it_wont_be",
        "not_selected",
        rf"\b(?:it|that|the\s+offer)\s+(?:won't|will\s+{_NEG}|isn't|is\s+{_NEG})\s+(?:be\s+|go\s+to\s+)",
        check_negation=False,
    ),
    _object_rule("turning_down", "not_selected", r"\bturn(?:ing|ed|s)?\s+down\s+", subject_free=True),
    # hires
    _object_rule(
        "offer_to",
        "hired",
        r"\b(?:mak(?:e|ing)|made|extend(?:ing|ed)?|send(?:ing)?|sent|giv(?:e|ing)|gave)\s+(?:an?\s+|the\s+)?"
        r"offers?\s+(?:to|for)\s+|\boffer\s+(?:goes|going(?:\s+out)?|is\s+going(?:\s+out)?|went(?:\s+out)?|"
        r"is\s+out|out)\s+to\s+|(?:^|:\s*)offer\s+to\s+|\b(?:with|ahead\s+with)\s+an\s+offer\s+(?:for|to)\s+"
        r"|\boffer(?:ing|ed)\s+(?:the\s+)?(?:[\w\-]+\s+){0,4}(?:role|job|position)\s+to\s+",
    ),
    _object_rule(
        "hired", "hired", r"\b(?:we(?:'ve| have)?\s+)?hired\s+(?!for\b)|\bfilled\s+by\s+|\bwelcoming\s+"
    ),
    _object_rule("offer_accepted_by", "hired", r"\boffer\s+(?:was\s+)?accepted\s+(?:by\s+)?(?:[:\-—–]\s*)?"),
    _object_rule(
        "offer_declined_by",
        "withdrawn",
        r"\boffer\s+(?:was\s+|has\s+been\s+)?(?:declined|rejected|turned\s+down)\s+by\s+",
    ),
    _object_rule("yes_to", "hired", r"\byes\s+to\s+", standalone=False),
    _object_rule(
        "chose",
        "hired",
        r"\b(?:go(?:ing)?|went|gone)\s+with\s+|\b(?:chose|picked|selected|landed\s+on|decided\s+on|settled\s+on)\s+"
        r"|\bmov(?:e|ing)\s+(?:forward|ahead)\s+with\s+",
        standalone=False,
        skip_after=rf"\s*(?:to|for|into|through)\s+(?:the\s+|an?\s+)?(?:next\s+(?:round|stage|step)|{STAGE_PATTERN})",
    ),
    # "A gets the offer, not B": a name negated at the end of a sentence, next to a choice
    _object_rule(
        "not_contrast",
        "not_selected",
        r"(?:,|;|\s[—–-])\s*(?:but\s+|and\s+)?not\s+",
        check_negation=False,
        weak=True,
        at_end=True,
    ),
    # loops closed after a decision
    _object_rule(
        "close_the_loop",
        "not_selected",
        r"\b(?:close|closing|closed)\s+the\s+loop\s+with\s+|\bsend(?:ing)?\s+(?:our\s+|the\s+)?(?:regrets|"
        r"rejections?(?:\s+emails?)?)\s+to\s+",
        weak=True,
        in_questions=True,  # "Can someone help me close the loop with A and B?" asks for help, not a verdict
    ),
    _object_rule(
        "told_its_a_no",
        "not_selected",
        r"\b(?:let|tell|telling|told|inform|informing|informed|notify|notifying|notified)\s+",
        need_after=r"\s*(?:know\s+)?(?:that\s+)?(?:it's\s+a\s+no|it\s+is\s+a\s+no|we(?:'re|\s+are)\s+(?:not|passing)|"
        r"we\s+(?:won't|will\s+not|didn't|did\s+not|decided\s+not|passed|went\s+(?:with|another))|"
        r"(?:he|she|they)\s+(?:didn't|did\s+not|won't|weren't|wasn't)\s+(?:get|make|selected|chosen|move))",
    ),
    _object_rule(
        "reach_out",
        "not_selected",
        r"\b(?:call|email|ping|tell|notify|reach\s+out\s+to|follow\s+up\s+with|get\s+back\s+to|let)\s+",
        weak=True,
    ),
    _object_rule(
        "thank_finalists",
        "not_selected",
        r"\b(?:thank\s+you|thanks)(?:\s+(?:so\s+much|again))?\s+(?:to\s+)?",
        weak=True,
        # "thanks to Priya and Joaquín for running the search" thanks the interviewers
        skip_after=r"\s*,?\s*(?:for\s+(?:running|covering|sitting|helping|jumping|organi[sz]ing|doing|taking|hosting|"
                   r"coordinating|leading|the\s+help|your\s+help|all\s+the|setting|arranging|pairing|being\s+on)"
                   r"|who\s+(?:ran|interviewed|helped|covered))",
    ),
)

SUBJECT_RULES: tuple[Rule, ...] = (
    _subject_rule(
        "candidate_withdrew",
        "withdrawn",
        r"\s(?:has\s+|have\s+|had\s+|is\s+)?(?:withdr(?:ew|awn|aw|awing)|pull(?:ed|ing)\s+out|"
        r"dropp(?:ed|ing)\s+out|back(?:ed|ing)\s+out)\b"
        r"(?!\s+(?:her|his|their|the|a|an|its|our|my)\s+(?!application|candidacy|name|interest|self)\w)"
        r"|\s(?:let\s+us\s+know|told\s+us|informed\s+us|said|emailed|wrote)(?:\s+that)?\s+(?:she|he|they)"
        r"(?:'s|'re|\s+is|\s+are|\s+has|\s+have)?\s+(?:withdr(?:ew|awn|awing)|pull(?:ed|ing)\s+out|"
        r"dropp(?:ed|ing)\s+out|accepted\s+another|taking\s+another|took\s+another)\b"
        r"|\s(?:has\s+|have\s+)?(?:declined|rejected|turned\s+down|passed\s+on|said\s+no\s+to|didn't\s+accept|"
        r"did\s+not\s+accept)\s+(?:our|the|my|an?)\s+(?:[\w\-]+\s+)?offer"
        r"|\s(?:has\s+|have\s+)?(?:asked\s+to\s+be\s+)?(?:removed|taken\s+out)\s+(?:(?:herself|himself|themselves)\s+)?"
        r"(?:from|of)\s+(?:the\s+)?(?:consideration|process|running|pipeline)"
        r"|\s(?:is|'s|are|'re)\s+no\s+longer\s+(?:interested|available|looking|pursuing)"
        r"|\s(?:has\s+|have\s+)?(?:accepted|took|taken|went\s+with)\s+(?:another|a\s+competing|a\s+counter"
        r"|a\s+different|an\s+offer\s+elsewhere|a\s+role\s+elsewhere)",
    ),
    _subject_rule(
        "not_selected_subject",
        "not_selected",
        rf"\s(?:{_BE}\s+)?(?:both\s+)?(?:not\s+selected|not\s+chosen|not\s+successful|unsuccessful)\b"
        r"(?!\s+for\s+(?!(?:now|this|the|next|a|an|any|further|our|another|either)\b)[a-z])",
    ),
    _subject_rule(
        "wont_be_joining",
        "not_selected",
        rf"\s(?:won't|will\s+{_NEG})\s+be\s+join(?:ing)?\s+(?:us|the\s+team)\b",
    ),
    _subject_rule(
        "rejected_subject",
        "not_selected",
        rf"\s{_BE}\s+(?:both\s+|also\s+)?(?:rejected|declined|disqualified|turned\s+down|passed\s+on)\b"
        r"|\s(?:rejected|disqualified)\s+(?:from|for|after|at)\b",
        reason_aware=True,
        # "rejected by the visa office / three landlords": someone else's verdict, not ours
        not_followed_by=_BY_OUTSIDER,
    ),
    _subject_rule(
        "out_of_the_running",
        "not_selected",
        r"\s(?:is|are|'s|'re|was|were)\s+(?:now\s+)?out\s+of\s+(?:the\s+)?(?:running|race)\b",
    ),
    _subject_rule(
        "subject_not_a_fit",
        "not_selected",
        r"\s(?:(?:is|are|was|were|'s|'re)\s+not|isn't|aren't|wasn't|weren't)\s+(?:really\s+|quite\s+)?"
        r"(?:a|the)\s+(?:right\s+|good\s+|great\s+|strong\s+|close\s+enough\s+)?(?:fit|match)\b",
        contextual=True,
    ),
    _subject_rule(
        "subject_gets_a_no",
        "not_selected",
        r"\s(?:get|gets|got|getting)\s+(?:a\s+)?(?:no|pass|hard\s+no|rejection|decline)\b"
        r"(?!\s+(?:show|reply|response))",
        contextual=True,
    ),
    _subject_rule(
        "runner_up",
        "not_selected",
        r"\s(?:was|is|were|are)\s+(?:a\s+|the\s+)?(?:very\s+|really\s+)?(?:close\s+second|runners?[\s-]up)\b",
        weak=True,
    ),
    _subject_rule(
        "gets_the_offer",
        "hired",
        r"\s(?:gets|got|is\s+getting|will\s+get|receives|received|wins|won)\s+the\s+(?:offer|job|role)\b",
        standalone=False,
    ),
    _subject_rule("has_been_hired", "hired", r"\s(?:has|have)\s+been\s+hired\b"),
    _subject_rule(
        "ats_moved_to_status",
        "not_selected",
        r"\s(?:was\s+|has\s+been\s+|got\s+)?(?:moved|changed|set)\s+to\s+(?:the\s+)?(?:stage\s+|status\s+)?"
        r"(?:rejected|disqualified|not\s+selected|unsuccessful|not\s+a\s+fit)\b",
        reason_aware=True,
    ),
    _subject_rule(
        "didnt_make_it",
        "not_selected",
        rf"\s(?:did\s*{_NEG}|didn't|failed\s+to|couldn't|could\s+not)\s+"
        r"(?:make\s+it\s+(?:past|through|to)|pass|clear|get\s+through|get\s+past|get\s+the\s+(?:offer|job|role))\b",
    ),
    _subject_rule(
        "subject_not_moving_forward",
        "not_selected",
        rf"\s(?:will\s+{_NEG}|won't|is\s+{_NEG}|isn't|are\s+{_NEG}|aren't)\s+(?:be\s+)?"
        r"(?:moving|going|progressing|advancing)\s+(?:forward|ahead|further|on)\b"
        rf"|\s(?:will\s+{_NEG}|won't|is\s+{_NEG}|isn't|are\s+{_NEG}|aren't)\s+(?:be\s+)?"
        r"(?:getting|receiving|get|receive)\s+"
        r"(?:an?\s+|the\s+)?offers?\b",
    ),
    _subject_rule(
        "subject_is_a_no",
        "not_selected",
        r"\s(?:is|are|was|were)\s+(?:both\s+)?(?:a\s+)?(?:no|pass|no-hire|no\s+hire|hard\s+no|no\s+go)\b"
        r"(?!\s+(?:show|longer|brainer))",
    ),
    _subject_rule(
        "subject_is_a_yes",
        "hired",
        r"\s(?:is|are|was|were)\s+(?:a\s+)?(?:strong\s+)?(?:yes|hire)\b",
        standalone=False,
    ),
    _subject_rule(
        "accepted_offer",
        "hired",
        r"\s(?:has\s+|just\s+)?(?:accepted|signed)\b(?!\s+(?:another|a\s+competing|a\s+counter|a\s+different"
        r"|the\s+calendar|the\s+invite|the\s+meeting))",
    ),
    _subject_rule(
        "ats_status_arrow",
        "not_selected",
        r"\s*→\s*(?:rejected|archived|declined|disqualified|not\s+selected|not\s+a\s+fit|unsuccessful)\b",
        reason_aware=True,
    ),
    _subject_rule(
        "ats_archived",
        "not_selected",
        r"(?:'s\s+application(?:\s+for\s+[^\n]*?)?)?\s+(?:[—–-]\s+)?(?:was\s+|has\s+been\s+|got\s+)?(?:moved\s+to\s+|"
        r"marked\s+as\s+)?archived\b",
        reason_aware=True,
    ),
    _subject_rule(
        "ats_application_rejected",
        "not_selected",
        r"'s\s+application(?:\s+for\s+[^\n]*?)?\s+(?:was\s+|has\s+been\s+)?(?:moved\s+to\s+|marked\s+as\s+)?"
        r"(?:rejected|declined|not\s+selected)\b",
    ),
    _subject_rule(
        "ats_arrow_withdrawn", "withdrawn", r"\s*→\s*(?:withdrawn|withdrew|candidate\s+withdrew)\b"
    ),
    _subject_rule("ats_arrow_hired", "hired", r"\s*→\s*(?:hired|offer\s+accepted)\b"),
)

_LABELS: tuple[tuple[str, Kind, bool], ...] = (
    (
        r"not\s+selected|non[\s-]?selected|not-selected|rejected|declined|disqualified|no\s+hire|no-hire|no\s+offers?|not\s+moving\s+forward|passing"
        r"|pass|not\s+proceeding|unsuccessful|candidates?\s+rejected|(?:candidate\s+|application\s+)?archived"
        r"|application\s+rejected",
        "not_selected",
        True,
    ),
    (r"withdrawn|withdrew|candidate\s+withdrew|withdrawals?", "withdrawn", True),
    (r"hired|candidate\s+hired|offer\s+accepted|offer|making\s+an\s+offer|(?<!non-)(?<!non)(?<!not-)selected",
     "hired", True),
    (r"yes", "hired", False),
    (r"no", "not_selected", True),
)


def _label_rule() -> Rule:
    """ "Not selected: A, B", "Rejected after onsite: A", "Candidate withdrew: A", "Yes: A. No: B"."""
    compiled = [
        (
            re.compile(
                rf"(?:^|[:—–\-|·]\s*|\]\s*|\b(?:status\s+(?:changed\s+|updated\s+|set\s+)?to|new\s+status)\s*:?\s*)"
                rf"(?:\d+\s+)?(?:{alt})(?:\s+(?:for|after|at|from|in)\s+[^:—–\n]{{1,60}}?)?\s*[:—–·]\s*",
                re.IGNORECASE,
            ),
            kind,
            standalone,
        )
        for alt, kind, standalone in _LABELS
    ]

    def fn(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        for regex, kind, standalone in compiled:
            for m in regex.finditer(unit.text):
                names = parse_names(tokens, _tok_at(tokens, m.end()), ctx.known)
                if names is None:
                    continue
                stage = stage_in_context(m.group()) or stage_field(unit.text[tokens[names.end - 1].end :])
                verdict = _archive_reason_kind(ctx.text, kind) if "archived" in m.group().lower() else kind
                found.append(
                    Finding(
                        "label_list",
                        verdict,
                        _with_stage(names.items, stage),
                        unit.text,
                        standalone=standalone,
                        hedged=hedged(unit.text),
                    )
                )
        return found

    return Rule("label_list", fn)


_VERDICTS: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(r"^(?:withdrew|withdrawn|pulled out|dropped out)\b", re.I), "withdrawn"),
    (
        re.compile(
            r"^(?:no hire|no-hire|strong no|no|not moving forward|pass|passing|passed|reject(?:ed)?|"
            r"declined?|not selected|no offer|not a fit|not proceeding|"
            r"(?:we're|we are|it's|it is|that's|that is)\s+a\s+(?:no|pass|hard no))\b",
            re.I,
        ),
        "not_selected",
    ),
    (
        re.compile(
            r"^(?:strong hire|hire|hired|offer|offer extended|offer accepted|yes|making an offer|"
            r"extending an offer|selected|accepted|moving to offer|move to offer|to offer)\b",
            re.I,
        ),
        "hired",
    ),
)


_LINE_LABELS = frozenset({"update", "fyi", "decision", "result", "outcome", "verdict", "re"})


def _per_line_verdict(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
    """A debrief list line: "Priya Nair — strong hire", "Simon Pike: pass", "[NO] Marco Bianchi".

    Mid-line, only the "Name: verdict" form counts ("Sarah Connor: rejected. Kyle Reese: offer extended").
    """
    i = 0
    if len(tokens) > 2 and tokens[0].low in _LINE_LABELS and tokens[1].text == ":":
        i = 2  # "Update: Carla Mendes — we're a no"
    mark: str | None = None
    if len(tokens) > i and tokens[i].kind == "mark":
        mark = tokens[i].text
        i += 1
    names = parse_names(tokens, i, ctx.known)
    if names is None:
        return []
    rest_tok = tokens[names.end] if names.end < len(tokens) else None
    separators = {":", "—", "–", "-", "→"} if unit.line_start else {":"}
    verdict: Kind | None = None
    rest = ""
    if rest_tok is not None and rest_tok.text in separators:
        rest = unit.text[rest_tok.end :].strip()
        for regex, kind in _VERDICTS:
            if regex.match(rest):
                verdict = kind
                break
        if verdict is None and rest in {YES_MARK, NO_MARK}:
            # "Lena Park: ❌" — a lone mark as the whole verdict
            verdict = "hired" if rest == YES_MARK else "not_selected"
    if (
        verdict is None
        and mark is not None
        and unit.line_start
        and (rest_tok is None or rest_tok.text in {":", "—", "–", "-", "("})
    ):
        verdict = "hired" if mark == YES_MARK else "not_selected"
    if verdict is None:
        return []
    items = _with_stage(names.items, stage_in_context(rest))
    return [
        Finding(
            "per_line_verdict",
            verdict,
            items,
            unit.text,
            weak=mark is not None and rest_tok is None,
            hedged=hedged(unit.text),
        )
    ]


def _inline_mark(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
    """ "Thor Odinson ✅ offer, Loki Laufeyson ❌": a check or cross right after a name.

    Alone a mark is weak (people also mark availability that way); a verdict word after it
    ("✅ offer") makes it a decision.
    """
    found: list[Finding] = []
    for k, tok in enumerate(tokens):
        if tok.kind != "mark" or k == 0:
            continue
        names = parse_names_before(tokens, k, ctx.known)
        if names is None:
            continue
        rest = unit.text[tok.end :].strip()
        strong = any(regex.match(rest) for regex, _ in _VERDICTS)
        kind: Kind = "hired" if tok.text == YES_MARK else "not_selected"
        found.append(
            Finding("inline_mark", kind, names.items, unit.text, weak=not strong, hedged=hedged(unit.text))
        )
    return found


_CONTRAST = re.compile(
    r"\b(?:go(?:ing)?|went|gone)\s+with\s+|\b(?:chose|picked|selected|prefer(?:red)?|hired)\s+", re.IGNORECASE
)
_CONTRAST_SEP = re.compile(r"^\s*(?:instead\s+of|over|rather\s+than|ahead\s+of|not)\s+", re.IGNORECASE)


def _contrast(unit: Unit, tokens: list[Token], ctx: Context) -> list[Finding]:
    """ "Going with A instead of B", "chose A over B and C"."""
    found: list[Finding] = []
    for m in _CONTRAST.finditer(unit.text):
        if negated(unit.text[: m.start()]):
            continue
        chosen = parse_names(tokens, _tok_at(tokens, m.end()), ctx.known)
        if chosen is None:
            continue
        rest = unit.text[tokens[chosen.end - 1].end :]
        sep = _CONTRAST_SEP.match(rest)
        if not sep:
            continue
        others = parse_names(tokens, _tok_at(tokens, tokens[chosen.end - 1].end + sep.end()), ctx.known)
        if others is None:
            continue
        found.append(
            Finding(
                "going_with_instead",
                "hired",
                chosen.items,
                unit.text,
                standalone=False,
                hedged=hedged(unit.text),
            )
        )
        found.append(
            Finding("going_with_instead", "not_selected", others.items, unit.text, hedged=hedged(unit.text))
        )
    return found


_FINALISTS = re.compile(
    r"\b(?:between|finalists?\b[^.:]*?\b(?:were|are|was|is|:)|final\s+(?:round|two|three|four|candidates|"
    r"slate)\b[^.:]*?\b(?:were|are|was|is|:)|shortlist(?:ed)?\b[^.:]*?\b(?:were|are|was|is|:)|"
    r"interviewed|interviewing|top\s+(?:two|three|candidates)\b[^.:]*?\b(?:were|are|was|is|:))\s+",
    re.IGNORECASE,
)


def finalists(units: Sequence[Unit], ctx: Context) -> list[NameItem]:
    """The people a message names as the finalists ("it was between A and B", "finalists were A, B, C")."""
    found: list[NameItem] = []
    for unit in units:
        tokens = tokenize(unit.text)
        for m in _FINALISTS.finditer(unit.text):
            names = parse_names(tokens, _tok_at(tokens, m.end()), ctx.known)
            if names is not None and len(names.items) >= 2:
                found.extend(it for it in names.items if it.pronoun is None)
    return found


def mentioned_names(text: str, known: KnownNames) -> list[tuple[int, str]]:
    """Every full name (two or more name words, or a known name) mentioned in text, with its offset."""
    out: list[tuple[int, str]] = []
    for unit_text in text.split("\n"):
        base = text.find(unit_text)
        tokens = tokenize(unit_text)
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.kind == "word" and (is_capitalised_name_word(tok.text) or _match_known(tokens, i, known)):
                cur = _Cursor(tokens, i)
                item = _parse_item(cur, known, loose=False)
                if item is not None and item.pronoun is None and (len(item.name.split()) >= 2 or item.known):
                    out.append((base + tok.start, item.name))
                    i = max(cur.i, i + 1)
                    continue
            i += 1
    return out


_NO_HIRE = re.compile(
    r"\bno[\s-]+hire\b|\bnot\s+(?:to\s+)?hir(?:e|ing)\b|\bwon't\s+be\s+hiring\b|\bnobody\s+(?:cleared|passed|made)\b"
    r"|\bnone\s+of\s+(?:the\s+|them\b)|\bwithout\s+a\s+hire\b|\bnot\s+(?:to\s+)?fill(?:ing)?\b|\bunfilled\b",
    re.IGNORECASE,
)


_HIRING_WORDS = re.compile(
    r"\b(?:offers?|candidates?|interview(?:s|ed|ing|er|ers)?|onsite|on-site|debrief|hir(?:e|ed|ing)|role|position|"
    r"req|finalists?|recruit(?:er|ing)?|panel|screen|loop|scorecards?|applica(?:nt|tion)s?|feedback|regrets|"
    r"references|take-home|final round|headcount|HM|rejections?|regrets|no[\s-]hire)\b",
    re.IGNORECASE,
)


def mentions_hiring(text: str) -> bool:
    """Whether the message uses any hiring vocabulary at all."""
    return bool(_HIRING_WORDS.search(text))


def says_no_hire(text: str) -> bool:
    return bool(_NO_HIRE.search(text))


_ATS_FIELDS = re.compile(
    r"^\s*(candidate|candidate name|name|applicant|applicant name|job|job opening|opening|role|position|status|"
    r"new status|candidate status|application status|stage|current stage|reason|rejection reason|"
    r"archive reason|disposition)\s*:\s*(.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def ats_fields(text: str, known: KnownNames) -> list[Finding]:
    """A key-value ATS card: "Candidate: A / Job: X / Status: Rejected / Stage: Onsite"."""
    fields: dict[str, str] = {}
    for m in _ATS_FIELDS.finditer(text):
        fields.setdefault(m.group(1).lower(), m.group(2))
    candidate = (
        fields.get("candidate")
        or fields.get("candidate name")
        or fields.get("applicant")
        or fields.get("name")
    )
    if candidate is None:
        return []
    status = " ".join(
        fields.get(key, "") for key in ("status", "new status", "candidate status", "application status", "disposition")
    )
    status = status.strip().lower()
    header = re.search(
        r"^\s*(?:candidate\s+)?(rejected|archived|hired|withdrawn|withdrew|disqualified|offer\s+declined)\b",
        text,
        re.IGNORECASE | re.MULTILINE,
    ) or re.search(
        r"^\s*candidate\s+(rejected|hired|withdrew|withdrawn)\b", text, re.IGNORECASE | re.MULTILINE
    )
    signal = status or (header.group(1).lower() if header else "")
    kind: Kind | None = None
    if re.search(r"withdr|offer declined|declined offer", signal):
        kind = "withdrawn"
    elif re.search(r"(?<!not )\bhired\b|offer accepted", signal) and not re.search(
            r"reject|not selected|(?:other|another|different)\s+candidate|someone else|position filled", signal):
        # "Disposition: Not Selected - Other Candidate Hired" is about somebody else
        kind = "hired"
    elif re.search(
        r"reject|archiv|disqualif|declin|not selected|unsuccessful|not a fit|not qualified|over ?qualified|"
        r"under ?qualified|not hired",
        signal,
    ):
        kind = _archive_reason_kind(text, "not_selected")
    if kind is None:
        return []
    tokens = tokenize(candidate)
    names = parse_names(tokens, 0, known)
    if names is None or names.end != len(tokens):
        return []
    stage_raw = fields.get("stage") or fields.get("current stage") or ""
    stage_m = _STAGE_RE.search(stage_raw)
    stage = canonical_stage(stage_m.group()) if stage_m else None
    return [Finding("ats_fields", kind, _with_stage(names.items, stage), candidate)]


UNIT_RULES: tuple[Rule, ...] = (
    *OBJECT_RULES,
    *SUBJECT_RULES,
    _label_rule(),
    Rule("per_line_verdict", _per_line_verdict),
    Rule("inline_mark", _inline_mark),
    Rule("going_with_instead", _contrast),
)
RULE_NAMES: tuple[str, ...] = (
    *(r.name for r in UNIT_RULES),
    "ats_fields",
    "finalists_not_chosen",
    "no_hire_named",
)
