"""Candidate names, emails and notes never go to the logs, whatever happens."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cli import configure_logging
from bot.slack import blocks
from storage.models import Candidate, Followup
from tests.harness import MONDAY, OTHER, Harness

SECRETS = ("Whitfield", "Haddad", "Marta", "Nowak", "marta@example.com", "incident-response", "Lena Park")


def test_nothing_personal_is_logged_through_a_whole_loop(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    harness.command("Staff Data Engineer: Dana Whitfield (onsite), Omar Haddad (final round), Lena Park, "
                    "Marta Nowak (final round; strengths: incident-response stories) marta@example.com")
    harness.command("Staff Data Engineer: Omar Haddad (")  # malformed
    harness.message("Decision for Staff Data Engineer: we're making an offer to Dana Whitfield.")
    harness.fake.fail_next("chat.postMessage", status=500, times=2)
    harness.sweep(MONDAY + timedelta(days=1))
    harness.sweep(MONDAY + timedelta(days=1, minutes=1))
    with harness.deps.sessions.begin() as session:
        ids = {c.name: f.id for f, c in session.execute(select(Followup, Candidate).join(Candidate))}
    harness.click(blocks.ACTION_CONTACTED, str(ids["Omar Haddad"]), user=OTHER)  # refused
    harness.click(blocks.ACTION_CONTACTED, str(ids["Omar Haddad"]))
    harness.click(blocks.ACTION_SNOOZE, selected=f"3d:{ids['Lena Park']}")
    harness.command("pending")
    harness.command("digest")
    logged = caplog.text
    assert "nudge sent" in logged and "refused action" in logged  # the logs do say what happened
    for secret in SECRETS:
        assert secret not in logged
