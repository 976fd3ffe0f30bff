"""Repository functions: they take a Session, use select(), may flush, and never commit.

The edge (a listener or a job) owns the unit of work: `with sessions.begin() as session: ...`.
Values cross the boundary as plain frozen dataclasses (storage.views), never as live ORM objects, because
listeners run on other threads after `ack()` and must not share a Session.

One module per table or topic; this package re-exports their public names, so callers keep writing
`repo.record_decision(...)` (and a test's monkeypatch of `repo.x` reaches every caller that looks it up here).
"""

from storage.repo.claims import (  # noqa: F401
    CLAIM_LOCK,
    CLOSED_STATUSES,
    NotFound,
    claim_rows,
)
from storage.repo.digests import (  # noqa: F401
    claim_digest,
    closed_since,
    count_overdue,
    finish_digest,
    forget_digest,
    last_digest_at,
    open_by_manager,
    overdue_followups,
    set_subscription,
    stats,
    subscription,
    subscriptions,
)
from storage.repo.erased import (  # noqa: F401
    decision_erased,
    followup_erased,
)
from storage.repo.erasure import (  # noqa: F401
    DIGEST_LAG,
    ERASED_LIST,
    ERASED_NUDGE,
    ERASED_QUESTION,
    candidate_match,
    erase_candidate,
    erase_expired,
    erase_unanswered_questions,
    erasure_updates,
    find_candidates,
)
from storage.repo.events import (  # noqa: F401
    GivenUp,
    claim_event,
    event_seen,
    inbox_claim,
    inbox_claim_untold,
    inbox_done,
    inbox_failed,
    inbox_give_up,
    inbox_given_up,
    inbox_given_up_count,
    inbox_hold,
    inbox_keep_many,
    inbox_release,
    inbox_renew,
    inbox_retry,
    inbox_told,
    purge_events,
    purge_given_up,
)
from storage.repo.followup_rows import (  # noqa: F401
    claim_notice,
    close_followup,
    count_open,
    finish_notice,
    followups,
    get_followup,
    mark_undeliverable,
    open_followups,
    reassign,
    recent_closed,
    set_note,
    snooze_followup,
    undeliverable_followups,
)
from storage.repo.outbox import (  # noqa: F401
    NAMING_POSTS,
    begin_post,
    claim_outbox,
    enqueue,
    enqueue_update,
    finish_outbox,
    outbox_rows,
    purge_outbox,
    record_post,
    release_outbox,
)
from storage.repo.people import (  # noqa: F401
    get_manager,
    get_managers,
    inactive_teams,
    save_manager,
    set_tone,
    set_workspace_active,
    workspace_active,
)
from storage.repo.rounds import (  # noqa: F401
    ats_decision_id,
    cancel_open_followup,
    channel_manager,
    command_round,
    decision_contents,
    find_open_round,
    get_decision,
    known_candidate_names,
    live_decision_id,
    log_round,
    open_round_manager,
    record_decision,
    role_for_names,
    round_contents,
    set_channel_manager,
    set_decision_reply,
    set_decision_role,
    thread_record,
    undo_decision,
)
from storage.repo.views_sql import (  # noqa: F401
    in_channel,
)
from storage.sweep_store import (  # noqa: F401
    begin_attempt,
    claim_due,
    record_nudge,
    record_nudge_alone,
    release_claim,
)
from storage.views import (  # noqa: F401
    CandidateMatch,
    DecisionContents,
    DecisionView,
    FollowupView,
    ManagerCount,
    ManagerView,
    NewCandidate,
    OutboxItem,
    RecordedDecision,
    RoundContents,
    Stats,
    ThreadRecord,
)
