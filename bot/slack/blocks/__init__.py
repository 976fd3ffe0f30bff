"""Block Kit builders, one module per surface. Builders take plain values (domain types,
storage.views dataclasses) and return Slack payloads; they import no service and no repository.

Every builder stays inside Slack's limits however long the input (50 blocks a message, 100 a view,
3,000 characters a section text, 75 a button label) and every message comes with a fallback `text`.
Every user-typed string (names, roles, stages, strengths, notes, reasons) goes into mrkdwn and into the
fallback `text` through `bot.domain.slack_text.escape`, once; plain_text fields (a modal's prefilled inputs) carry
it as typed. Only the bot's own `<@U…>`, `<#C…>` and `<!date…>` tokens are live.

This package re-exports every builder and id, so listeners and services write `blocks.nudge_message(...)`
whatever module it lives in.
"""

from bot.slack.blocks.common import (  # noqa: F401
    ACTION_ADD_ROLE,
    ACTION_ATS_ASSIGN,
    ACTION_ATS_CLAIM,
    ACTION_CONFIRM,
    ACTION_CONTACTED,
    ACTION_EDIT,
    ACTION_EDIT_DRAFT,
    ACTION_EDIT_NOTE,
    ACTION_EMAIL,
    ACTION_FORGET,
    ACTION_FORGET_CANCEL,
    ACTION_OPEN_ROUND,
    ACTION_PICK_MANAGER,
    ACTION_REASSIGN,
    ACTION_SKIP,
    ACTION_SNOOZE,
    ACTION_TONE,
    ACTION_UNDO,
    BUTTON_TEXT,
    FIELD_LIMITS,
    LINES_LIMIT,
    MESSAGE_BLOCKS,
    REASSIGN_BLOCK,
    ROLE_LIMIT,
    SECTION_LIMIT,
    SHORTCUT_RECORD,
    SKIP_REASONS,
    TOKEN_LENGTH,
    TONE_LABELS,
    VALUE_LIMIT,
    VIEW_BLOCKS,
    VIEW_DECISION,
    VIEW_NOTE,
    VIEW_ROLE,
    VIEW_ROUND,
    VIEW_SKIP,
    Block,
    Limit,
    about,
    button,
    clip,
    context,
    days_waiting,
    plain,
    quote,
    section,
    slack_date,
    too_long,
)
from bot.slack.blocks.decisions import (  # noqa: F401
    ats_assigned,
    ats_manager_question,
    button_value,
    cleared_reply,
    confirm_prompt,
    decision_reply,
    manager_question,
    names_list,
    people_lines,
    question_refused,
    reading_summary,
    round_confirmation,
    undone_reply,
)
from bot.slack.blocks.erased import (  # noqa: F401
    erased_list,
    erased_message,
    erased_note,
    erased_question,
    erased_reply,
    forget_prompt,
)
from bot.slack.blocks.lists import (  # noqa: F401
    DigestContent,
    digest_message,
    escalation_message,
    followup_line,
    home_view,
    pending_message,
    reassign_from,
    reassigned_message,
    stats_line,
    unreachable_notice,
)
from bot.slack.blocks.modals import (  # noqa: F401
    decision_modal,
    note_modal,
    role_input,
    role_modal,
    round_modal,
    skip_modal,
)
from bot.slack.blocks.nudges import (  # noqa: F401
    NudgeContent,
    careful_language,
    closed_message,
    followup_actions,
    note_tools,
    nudge_message,
    snoozed_message,
)
