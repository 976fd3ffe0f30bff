"""APScheduler wiring. The scheduler only ticks; the database holds every due time."""

from __future__ import annotations

import logging
from datetime import UTC
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.deps import Deps
from bot.followups import digests, outbox, privacy, purge, sweep
from bot.inbox import Inbox

logger = logging.getLogger(__name__)


def run_sweep(deps: Deps) -> None:
    sweep.sweep(deps, deps.clock())


def run_outbox(deps: Deps) -> None:
    outbox.deliver_due(deps, deps.clock())


def run_digest(deps: Deps, frequency: str) -> None:
    digests.scheduled(deps, deps.clock(), frequency)


def run_escalation(deps: Deps) -> None:
    digests.escalate(deps, deps.clock())


def run_daily_cleanup(deps: Deps) -> None:
    now = deps.clock()
    purge.purge(deps, now)
    privacy.retention(deps, now)


def run_redelivery(deps: Deps, inbox: Inbox) -> None:
    inbox.redeliver(deps.clock())


def build_scheduler(deps: Deps, *, inbox: Inbox | None = None) -> BackgroundScheduler:
    """`inbox`: kept Slack events whose processing failed are processed again from it; None: no such job."""
    settings = deps.settings
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    interval = int(settings.sweep_interval.as_timedelta().total_seconds())
    scheduler.add_job(
        run_sweep, IntervalTrigger(seconds=interval), args=[deps], id="sweep", replace_existing=True,
        next_run_time=deps.clock(),
    )
    scheduler.add_job(
        run_outbox, IntervalTrigger(seconds=interval), args=[deps], id="outbox", replace_existing=True,
        next_run_time=deps.clock(),
    )
    zone = ZoneInfo(settings.digest_tz)
    for frequency in digests.FREQUENCIES:
        scheduler.add_job(
            run_digest, CronTrigger.from_crontab(digests.cron_for(deps, frequency), timezone=zone),
            args=[deps, frequency], id=f"digest-{frequency}", replace_existing=True, misfire_grace_time=3600,
        )
    if settings.escalate_to:
        scheduler.add_job(
            run_escalation, CronTrigger.from_crontab(digests.daily_cron(settings.digest_cron), timezone=zone),
            args=[deps], id="escalation", replace_existing=True, misfire_grace_time=3600,
        )
    if inbox is not None:
        scheduler.add_job(
            run_redelivery, IntervalTrigger(minutes=1), args=[deps, inbox], id="redelivery",
            replace_existing=True,
        )
    scheduler.add_job(
        run_daily_cleanup, CronTrigger(hour=3, minute=17, timezone=UTC), args=[deps], id="cleanup",
        replace_existing=True,
        misfire_grace_time=6 * 3600,
    )
    return scheduler
