"""How a front end's post loop logs what each run did: one line per outcome, the same on every
platform, INFO when it went as planned (sent, recovered after a crash, skipped), WARNING
otherwise. Agenda results are never logged here: the agenda service logs its runs itself,
without user ids."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.delivery.announce_plan import AnnouncementPost
from bot.delivery.announce_service import log_result
from bot.delivery.engine import Result
from bot.reminders import ReminderOutcome
from bot.wisdom import Outcome

_AS_PLANNED = ("sent", "recovered", "skipped")


def _level(kind: str) -> int:
    return logging.INFO if kind in _AS_PLANNED else logging.WARNING


def _tail(message_id: str | None, detail: str | None) -> str:
    return (f", message {message_id}" if message_id else "") + (f" ({detail})" if detail else "")


def log_wisdom(log: logging.Logger, outcome: Outcome) -> None:
    log.log(
        _level(outcome.kind),
        "daily wisdom for %s in channel %s: %s%s",
        outcome.local_date,
        outcome.channel_id,
        outcome.kind,
        _tail(outcome.message_id, outcome.detail),
    )


def log_reminder(log: logging.Logger, outcome: ReminderOutcome) -> None:
    log.log(
        _level(outcome.kind),
        "reminder for %r in channel %s: %s%s",
        outcome.title,
        outcome.channel_id,
        outcome.kind,
        _tail(outcome.message_id, outcome.detail),
    )


def log_run(log: logging.Logger, outcomes: Sequence[object]) -> None:
    """Log what one run of any delivery service did (the runner's report)."""
    for outcome in outcomes:
        if isinstance(outcome, Outcome):
            log_wisdom(log, outcome)
        elif isinstance(outcome, ReminderOutcome):
            log_reminder(log, outcome)
        elif isinstance(outcome, Result) and isinstance(outcome.post, AnnouncementPost):
            log_result(log, outcome)
