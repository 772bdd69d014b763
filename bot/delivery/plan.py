"""What a planner returns: the values that say what is due, what to resolve, what was missed.

A planner is a pure function of what the store loaded (subscriptions, content, the delivery
rows) and `now`; it returns a `Plan`, and `Engine.run` (bot/delivery/engine.py) carries it
out: it resolves the `pending` claims, records the `missed` ones, moves the `waits`, then
claims and sends the `due` ones. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol

from bot.delivery.model import P


class Row(Protocol):
    """A delivery row (or any row) as the store returns it: columns by name."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True)
class Job(Generic[P]):
    """One claimed delivery: the row (subscription, key), what to post, and its window."""

    subscription_id: int
    key: str
    post: P
    deadline: datetime
    """The end of the window: after it the job is closed, never sent."""
    attempts: int = 0
    error: str | None = None
    """The last send error recorded on the row, if any."""
    retry_until: datetime | None = None
    """A retry is never scheduled after this (a reminder: the talk's start)."""
    label: str = ""
    """How the log names the job ('for 2024-03-25', "'Opening talk'")."""


@dataclass(frozen=True)
class Due(Generic[P]):
    """What a planner says is due now: the post for (subscription, key), sent at the earliest
    at `due` and never after `deadline`."""

    subscription_id: int
    key: str
    post: P
    due: datetime
    deadline: datetime
    label: str = ""
    item: str | None = None
    """What the row stands for, where the kind keeps one (daily wisdom: the nugget key)."""
    cycle: int | None = None
    """Daily wisdom's rotation cycle (the post log is the rotation state)."""
    manual: bool = False
    """Asked for by an admin (`/wisdom now`) rather than planned."""
    reclaim: bool = False
    """May take over a row that ended skipped or failed (never one claimed or sent)."""
    lookup: bool = False
    """Ask the platform before sending (a taken-over row whose failed send may have gone out)."""
    retry_until: datetime | None = None


@dataclass(frozen=True)
class Close:
    """A pending claim that may no longer be sent: recorded if it was delivered after all,
    else closed as skipped (`skipped`) or, when sends had failed, as failed (`gave_up`).
    While the platform cannot tell, it stays pending until `check_until` (None: closed at
    once)."""

    skipped: str
    gave_up: str
    check_until: datetime | None = None


@dataclass(frozen=True)
class Pending(Generic[P]):
    """A claim found in the log whose time has come: sent again (after asking the platform
    whether it went out already) unless `close` says it may no longer be sent."""

    job: Job[P]
    close: Close | None = None


@dataclass(frozen=True)
class Missed(Generic[P]):
    """A delivery whose window closed before it could be claimed: recorded as skipped, never
    sent. `post` (when there is one) is kept as the row's snapshot; `reclaim` lets it replace
    an earlier skipped row of the same key (a reminder whose talk moved, missed again)."""

    subscription_id: int
    key: str
    due: datetime
    deadline: datetime
    reason: str
    post: P | None = None
    label: str = ""
    reclaim: bool = False


@dataclass(frozen=True)
class Wait(Generic[P]):
    """A pending claim that must not go out before `due` after all (its talk moved later):
    the row takes the new due moment, window and snapshot, and waits."""

    subscription_id: int
    key: str
    post: P
    due: datetime
    deadline: datetime
    reason: str


@dataclass(frozen=True)
class Plan(Generic[P]):
    """Everything one run of a kind has to do; `wakeup` is the planner's next moment of
    interest (the engine adds the retries its sends schedule)."""

    due: Sequence[Due[P]] = ()
    pending: Sequence[Pending[P]] = ()
    missed: Sequence[Missed[P]] = ()
    waits: Sequence[Wait[P]] = ()
    wakeup: datetime | None = None


def resolve_log(
    log: Sequence[Row],
    now: datetime,
    load: Callable[[str, datetime | None], P],
    close: Close,
) -> tuple[list[Pending[P]], list[datetime]]:
    """The plain rule for claims left in the log (a crash, a failed send): each claim whose
    backoff is over is sent again while its window is open and closed by `close` after it.
    Returns them and the moments the others back off until."""
    pending: list[Pending[P]] = []
    waiting: list[datetime] = []
    for row in log:
        if row["status"] != "claimed":
            continue
        retry = parse_ts(row["next_attempt_at"])
        if retry is not None and now < retry:
            waiting.append(retry)
            continue
        job = job_from_row(row, load(str(row["snapshot"]), parse_ts(row["attempted_at"])))
        pending.append(Pending(job, None if now < job.deadline else close))
    return pending, waiting


def job_from_row(
    row: Row,
    post: P,
    *,
    deadline: datetime | None = None,
    retry_until: datetime | None = None,
    label: str = "",
) -> Job[P]:
    """The job a claimed delivery row stands for (its window from the row unless given)."""
    return Job(
        int(row["subscription_id"]),
        str(row["key"]),
        post,
        deadline or need_ts(str(row["end_at"])),
        int(row["attempts"]),
        row["error"],
        retry_until=retry_until,
        label=label or f"subscription #{row['subscription_id']} {row['key']}",
    )


def parse_ts(text: str | None) -> datetime | None:
    """A stored moment (or None) as an aware UTC datetime."""
    return need_ts(text) if text else None


def need_ts(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
