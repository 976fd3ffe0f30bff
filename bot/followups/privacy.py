"""Candidates' personal data: erased RETENTION_DAYS after it stops being needed, or now, on request.

Erasing keeps the rows (and so the anonymous counts behind closure rates and medians) but drops names,
emails, strengths, notes and skip reasons. `/interview-round forget NAME` erases one candidate at once,
after a confirmation.

An erasure really erases: every message the bot posted that names the candidate (each nudge DM, the
decision's thread reply, confirmation DMs) is updated to its erased form and their manager's App Home is
published again, through the outbox (paced, retried until done, in the unit of work of the erasure, so a
crash loses none of it); questions nobody answered are erased after RETENTION_DAYS too, and so are the
messages and ATS deliveries the bot gave up on (`persona-grata inbox list`), whose people were never
recorded. From then on every write aimed at the candidate (a button on an old message, a form opened
before) is refused (bot.domain.errors.Erased).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.domain.errors import NotAllowed, OutOfDate
from bot.followups import outbox
from bot.followups.actions import may_act
from storage import repo

logger = logging.getLogger(__name__)


def retention(deps: Deps, now: datetime) -> int:
    """The daily job: erase what is older than RETENTION_DAYS. Returns how many candidates were erased."""
    cutoff = now - timedelta(days=deps.settings.retention_days)
    with deps.sessions.begin() as session:
        erased = repo.erase_expired(session, cutoff=cutoff, now=now)
        questions = repo.erase_unanswered_questions(session, cutoff=cutoff, now=now)
        given_up = repo.purge_given_up(session, before=cutoff)
    if erased or questions or given_up:
        logger.info("retention: erased %d candidates' personal data, %d unanswered questions and %d given-up inbox "
                    "rows (older than %d days); the outbox updates their messages", erased, questions, given_up,
                    deps.settings.retention_days)
    return erased


def forget_matches(deps: Deps, *, team_id: str, actor: str, name: str) -> list[repo.CandidateMatch]:
    """The candidates called `name` that the actor may erase (their manager, whoever logged them, admins)."""
    with deps.sessions.begin() as session:
        matches = repo.find_candidates(session, team_id=team_id, name=name)
    allowed = [m for m in matches if may_act(actor, owners=m.owners, admins=deps.settings.admin_users)]
    if matches and not allowed:
        raise NotAllowed("Only a candidate's hiring manager, whoever logged them, or an admin can erase them.")
    return allowed


def forget(deps: Deps, candidate_id: int, *, team_id: str, actor: str, now: datetime) -> None:
    """Erase one candidate now; an open follow-up is closed and its reminder says the record was erased."""
    with deps.sessions.begin() as session:
        match = repo.candidate_match(session, candidate_id)
    if match is None or match.team_id != team_id:
        raise OutOfDate("That candidate was already erased.")
    if not may_act(actor, owners=match.owners, admins=deps.settings.admin_users):
        raise NotAllowed("Only a candidate's hiring manager, whoever logged them, or an admin can erase them.")
    with deps.sessions.begin() as session:
        owed = repo.erase_candidate(session, candidate_id, now=now, actor=actor)
    logger.info("candidate=%s erased on request of user=%s; %d messages to update", candidate_id, actor, len(owed))
    outbox.deliver(deps, owed, now)  # what fails now is retried by the outbox job
