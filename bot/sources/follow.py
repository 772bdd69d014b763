"""Follow organisers' live schedule sources: poll each when due, import what changed.

`poll_due(db, now)` is what a runner calls every tick. Each due source is claimed in the
database (so a tick that runs long, or a second process, never polls it twice), fetched
conditionally, and only a new body is parsed and imported with the same importer as
`confbot import`. A failed, truncated or invalid fetch keeps the last good programme, logs
one line (URL without credentials) and backs off exponentially; success resets the backoff.
Every next poll is jittered by ±10 % so many bots never poll an organiser in step.

Platform-neutral: times come in as `now`; nothing here knows a chat platform.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import aiohttp

from bot.records import RecordError
from bot.sources.detect import parse_schedule
from bot.sources.fetch import (
    DEFAULT_TIMEOUT_SECONDS,
    Failed,
    Fetched,
    Unchanged,
    fetch_source,
    redact_url,
)
from bot.sources.files import DEFAULT_LIMITS
from bot.store import sources as store
from bot.store.content import replace_conferences
from bot.store.db import Database
from bot.store.sources import Source

log = logging.getLogger(__name__)

MIN_INTERVAL = timedelta(seconds=30)
DEFAULT_INTERVAL = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=30)
JITTER = 0.10
# A programme is stale once no poll has confirmed it for this many intervals: one missed poll
# is jitter or a blip, two in a row is worth telling readers about.
STALE_AFTER_INTERVALS = 2

_INTERVAL = re.compile(r"(\d+)\s*([smh]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}


class IntervalError(ValueError):
    """An interval that cannot be read or is shorter than allowed; the message says which."""


def parse_interval(text: str, *, minimum: timedelta = MIN_INTERVAL) -> timedelta:
    """'30s', '2m', '1h' or plain seconds ('90') -> a timedelta of at least `minimum`."""
    match = _INTERVAL.fullmatch(text.strip().lower())
    if match is None:
        raise IntervalError(f"not an interval: {text!r}; use e.g. 30s, 2m, 1h or 90 (seconds)")
    interval = timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])
    check_interval(interval, minimum=minimum)
    return interval


def check_interval(interval: timedelta, *, minimum: timedelta = MIN_INTERVAL) -> None:
    if interval < minimum:
        raise IntervalError(
            f"an interval of {describe_interval(interval)} is too short: the minimum is "
            f"{describe_interval(minimum)}, so organisers' servers are not hammered"
        )


def describe_interval(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def follow(
    db: Database,
    url: str,
    interval: timedelta,
    now: datetime,
    *,
    minimum: timedelta = MIN_INTERVAL,
    timezone: str | None = None,
) -> bool:
    """Start following `url` (due at once), or change its interval; True when new.
    `timezone` is the zone of local times in an export that names none (classic Pentabarf).
    `minimum` is lowered only by benchmarks and tests."""
    check_interval(interval, minimum=minimum)
    if not url.startswith(("https://", "http://")):
        raise IntervalError(f"not an http:// or https:// URL: {redact_url(url)}")
    return await store.add_source(db, url, interval, now, timezone)


def next_delay(interval: timedelta, failures: int, rng: random.Random) -> timedelta:
    """The interval, doubled per consecutive failure up to MAX_BACKOFF (never below the
    interval itself), then jittered by ±10 %."""
    delay = interval
    if failures:
        delay = max(interval, min(interval * 2 ** min(failures, 32), MAX_BACKOFF))
    return delay * (1 + rng.uniform(-JITTER, JITTER))


@dataclass(frozen=True)
class PollOutcome:
    url: str  # redacted
    result: Literal["imported", "unchanged", "failed"]
    detail: str
    next_poll_at: datetime
    conference: str | None = None
    failures: int = 0
    batch_id: int | None = None
    """The batch of programme changes an import stored (None: it changed no talk)."""

    def describe(self) -> str:
        return f"{self.url}: {self.result}: {self.detail}"


async def poll_due(
    db: Database,
    now: datetime,
    *,
    everything: bool = False,
    time_limit: float = DEFAULT_TIMEOUT_SECONDS,
    rng: random.Random | None = None,
    session: aiohttp.ClientSession | None = None,
) -> list[PollOutcome]:
    """Poll every source due at `now` (all of them with `everything`) and record each
    outcome. Cheap when nothing is due: one indexed query."""
    due = await (store.list_sources(db) if everything else store.due_sources(db, now))
    if not due:
        return []
    chance = rng or random.Random()
    if session is not None:
        return await _poll_all(db, due, now, time_limit, chance, session)
    import aiohttp  # here: importing this module (every command table) stays cheap

    async with aiohttp.ClientSession() as own:
        return await _poll_all(db, due, now, time_limit, chance, own)


async def _poll_all(
    db: Database,
    due: Sequence[Source],
    now: datetime,
    time_limit: float,
    rng: random.Random,
    session: aiohttp.ClientSession,
) -> list[PollOutcome]:
    hold_until = now + timedelta(seconds=time_limit) + MIN_INTERVAL
    claimed = [s for s in due if await store.claim_poll(db, s, now, hold_until)]
    polls = [
        poll_source(db, s, now, time_limit=time_limit, rng=rng, session=session) for s in claimed
    ]
    outcomes: list[PollOutcome] = []
    results = await asyncio.gather(*polls, return_exceptions=True)
    for source, result in zip(claimed, results, strict=True):
        if isinstance(result, PollOutcome):
            outcomes.append(result)
            continue
        if not isinstance(result, Exception):
            raise result
        # A bug or a store error in one source must not lose the others' outcomes; it is
        # recorded like a failed fetch, and retried once the claim's hold has passed.
        log.error("source %s: poll failed unexpectedly", redact_url(source.url), exc_info=result)
        reason = f"internal error ({type(result).__name__}); see the log"
        outcomes.append(await _failed(db, source, reason, now, rng, next_poll_at=hold_until))
    return outcomes


async def poll_source(
    db: Database,
    source: Source,
    now: datetime,
    *,
    time_limit: float = DEFAULT_TIMEOUT_SECONDS,
    rng: random.Random | None = None,
    session: aiohttp.ClientSession | None = None,
) -> PollOutcome:
    """Fetch one source conditionally; import a new body; record and log the outcome."""
    chance = rng or random.Random()
    result = await fetch_source(
        source.url,
        etag=source.etag,
        last_modified=source.last_modified,
        body_hash=source.body_hash,
        time_limit=time_limit,
        session=session,
    )
    if isinstance(result, Fetched):
        try:
            return await _import(db, source, result, now, chance)
        except RecordError as error:
            result = Failed(f"not a usable schedule: {error}")
    if isinstance(result, Unchanged):
        upcoming = now + next_delay(source.interval, 0, chance)
        await store.record_success(
            db, source.id, now, upcoming, etag=result.etag, last_modified=result.last_modified
        )
        outcome = PollOutcome(
            redact_url(source.url), "unchanged", result.why, upcoming, source.conference_slug
        )
        log.debug("source %s", outcome.describe())
        return outcome
    return await _failed(db, source, result.reason, now, chance)


async def _import(
    db: Database, source: Source, fetched: Fetched, now: datetime, rng: random.Random
) -> PollOutcome:
    """Parse (off the event loop) and import a new body; RecordError when it is no schedule."""
    shown = redact_url(source.url)
    conference = await asyncio.to_thread(
        parse_schedule,
        fetched.text,
        origin_file=shown,
        limits=DEFAULT_LIMITS,
        timezone=source.timezone,
    )
    # The source's programme is what it says now: a conference it no longer describes (the
    # organisers changed the acronym) goes, as a folder removed from data/ does.
    origin = f"source:{shown}"
    conference = dataclasses.replace(conference, origin=origin)
    loaded = await replace_conferences(db, [conference], origin=origin, remove_other=True, now=now)
    upcoming = now + next_delay(source.interval, 0, rng)
    await store.record_success(
        db,
        source.id,
        now,
        upcoming,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        body_hash=fetched.body_hash,
        conference_slug=conference.slug,
    )
    detail = f"{conference.slug}: {len(conference.talks)} talk(s)"
    outcome = PollOutcome(
        shown, "imported", detail, upcoming, conference.slug, batch_id=loaded.batch_id
    )
    log.info("source %s", outcome.describe())
    return outcome


async def _failed(
    db: Database,
    source: Source,
    reason: str,
    now: datetime,
    rng: random.Random,
    *,
    next_poll_at: datetime | None = None,
) -> PollOutcome:
    """Record a failure (the last good programme stays), back off, log one line."""
    failures = source.failures + 1
    upcoming = next_poll_at or now + next_delay(source.interval, failures, rng)
    await store.record_failure(db, source.id, upcoming, failures=failures, error=reason)
    kept = (
        f"keeping {source.conference_slug} as imported {_utc(source.last_import_at)}"
        if source.conference_slug and source.last_import_at
        else "nothing imported from it yet"
    )
    detail = (
        f"{reason}; {kept}; failure {failures} in a row, next try at "
        f"{upcoming.astimezone(UTC):%H:%M:%S} UTC"
    )
    outcome = PollOutcome(
        redact_url(source.url), "failed", detail, upcoming, source.conference_slug, failures
    )
    log.warning("source %s", outcome.describe())
    return outcome


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Staleness:
    """A followed programme that no poll has confirmed for longer than its interval allows."""

    url: str  # redacted
    confirmed_at: datetime
    age: timedelta
    last_error: str | None

    def footer(self) -> str:
        """One line for under /now and /schedule."""
        why = f" ({self.last_error})" if self.last_error else ""
        return (
            f"Programme last confirmed {_ago(self.age)} ago from {self.url}{why}; "
            "it may be out of date."
        )


async def programme_staleness(
    db: Database, conference_slug: str, now: datetime
) -> Staleness | None:
    """The stalest followed source of `conference_slug` when it is overdue, else None (also
    for a conference that no source feeds)."""
    overdue = [
        Staleness(redact_url(s.url), s.last_success_at, now - s.last_success_at, s.last_error)
        for s in await store.sources_of_conference(db, conference_slug)
        if s.last_success_at is not None
        and now - s.last_success_at > s.interval * STALE_AFTER_INTERVALS
    ]
    return max(overdue, key=lambda s: s.age, default=None)


def _ago(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"
