"""Daily wisdom: the pure scheduling and rotation logic, with no I/O and an injected clock.

The service (`bot/delivery/wisdom_service.py`, over `bot/store/wisdom_log.py`) keeps
subscriptions and the post log in SQLite and posts; this module decides *what* is due
*when*, which nugget comes next, and how a post looks as an `Answer`. Every front end
(Discord, Slack, terminal) shares it.

Time rules
----------
* A subscription posts once per *local date* of its IANA zone, at its local `HH:MM`. The
  instant is recomputed for every date, so 09:00 Europe/Amsterdam stays 09:00 across DST.
* A local time that does not exist on a date (02:30 on a spring-forward day) posts at the
  first valid moment after it: the transition itself (03:00 local). A local time that occurs
  twice (fall-back) posts at the first occurrence.
* A post may go out late (bot down, platform errors) until its *end*: the grace window after
  the due instant (default 6 hours), but never after the local date is over, so a late post
  can never land on the same local date as the next day's post.

Rotation rules
--------------
Every channel walks the whole nugget pool in an order derived from its own seed and the cycle
number (a hash rank per key, so adding or removing keys does not reshuffle the others). Keys
posted (or claimed) in the current cycle are skipped, keys that left the pool are ignored, and
new keys join the current cycle. When every key in the pool has been posted, a new cycle
starts whose first nugget is never the last one posted.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.delivery.model import NONCE_MAX_LENGTH, OutcomeKind
from bot.delivery.wisdom_rules import (
    CycleState,
    Pick,
    Plan,
    Slot,
    advance,
    channel_seed,
    cycle_order,
    due_instant,
    first_post_date,
    local_day_start,
    local_today,
    next_nugget,
    plan_slots,
    slot_for,
    upcoming_nuggets,
)

DEFAULT_GRACE = timedelta(hours=6)
"""How long after its due instant a post may still go out (bot was down, platform errors)."""

SPEAKER_UNKNOWN = "Speaker not named in the source"

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# --------------------------------------------------------------------------------------------
# Errors


class WisdomInputError(ValueError):
    """Bad input to an admin command; `str(error)` is a message fit to show the admin."""


# --------------------------------------------------------------------------------------------
# Parsing admin input

_HH_MM = re.compile(r"^(\d{1,2}):(\d{2})$")
_AM_PM = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?$", re.IGNORECASE)


def parse_post_time(text: str) -> time:
    """Parse a local post time in 24-hour HH:MM form ("09:00", "17:30"; "9:00" is fine too).

    Anything else ("9am", "25:00", "09:00:00") raises WisdomInputError saying how to write it.
    """
    raw = text.strip()
    match = _HH_MM.match(raw)
    if match is None:
        hint = ""
        am_pm = _AM_PM.match(raw)
        if am_pm is not None:
            hour, minute = int(am_pm.group(1)), int(am_pm.group(2) or 0)
            if 1 <= hour <= 12 and minute <= 59:
                hour = hour % 12 + (12 if am_pm.group(3).lower() == "p" else 0)
                hint = f" For {raw} write {hour:02d}:{minute:02d}."
        raise WisdomInputError(
            f"'{raw}' is not a time in 24-hour HH:MM form, like 09:00 or 17:30.{hint}"
        )
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23:
        raise WisdomInputError(
            f"'{raw}' is not a valid time: the hour must be 00 to 23 (midnight is 00:00). "
            "Write the time in 24-hour HH:MM form, like 09:00 or 17:30."
        )
    if minute > 59:
        raise WisdomInputError(
            f"'{raw}' is not a valid time: the minutes must be 00 to 59. "
            "Write the time in 24-hour HH:MM form, like 09:00 or 17:30."
        )
    return time(hour, minute)


def format_post_time(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_suggestions(name: str, limit: int = 3) -> list[str]:
    """Zone names close to `name`: the same city ("amsterdam" -> Europe/Amsterdam) if there is
    one, otherwise similar spellings of the full name or of the city."""
    wanted = name.strip().replace(" ", "_").lower()
    if not wanted:
        return []
    names = sorted(_zone_names())
    city = wanted.rsplit("/", 1)[-1]
    same_city = [z for z in names if z.rsplit("/", 1)[-1].lower() == city]
    if same_city:
        return same_city[:limit]
    lowered = {z.lower(): z for z in names}
    cities: dict[str, list[str]] = {}
    for zone in names:
        cities.setdefault(zone.rsplit("/", 1)[-1].lower(), []).append(zone)
    out: list[str] = []
    for close in difflib.get_close_matches(wanted, lowered, n=limit, cutoff=0.75):
        out.append(lowered[close])
    for close in difflib.get_close_matches(city, cities, n=limit, cutoff=0.75):
        out += cities[close]
    return list(dict.fromkeys(out))[:limit]


def parse_zone(name: str) -> ZoneInfo:
    """An IANA time zone by name ("Europe/Amsterdam"; case does not matter).

    Unknown names raise WisdomInputError naming close matches when there are any.
    """
    raw = name.strip()
    if not raw:
        raise WisdomInputError(
            "Give a time zone by its IANA name, like Europe/Amsterdam or America/New_York."
        )
    names = _zone_names()
    key = raw if raw in names else {z.lower(): z for z in names}.get(raw.lower())
    if key is not None:
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):  # listed but unreadable: treat as unknown
            pass
    suggestions = zone_suggestions(raw)
    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    raise WisdomInputError(
        f"'{raw}' is not a time zone I know. Use an IANA name like Europe/Amsterdam, "
        f"America/New_York or UTC.{hint}"
    )


# --------------------------------------------------------------------------------------------
# Values shared with the front ends


@dataclass(frozen=True)
class Subscription:
    """A channel that gets daily wisdom."""

    id: int
    frontend: str
    guild_id: str
    channel_id: str
    post_time: time
    zone: str
    enabled: bool
    created_by: str
    created_at: datetime
    start_date: date
    seed: int
    failures: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    disabled_reason: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def slot(self, local_date: date, grace: timedelta = DEFAULT_GRACE) -> Slot:
        return slot_for(local_date, self.post_time, self.tz, grace)


def idempotency_key(subscription_id: int, local_date: date) -> str:
    """A short deterministic key for one channel's post on one local date, usable as a Discord
    nonce (at most 25 characters): "wisdom-12-20241123"."""
    key = f"wisdom-{subscription_id}-{local_date:%Y%m%d}"
    if len(key) <= NONCE_MAX_LENGTH:
        return key
    digest = hashlib.sha256(f"{subscription_id}:{local_date.isoformat()}".encode()).hexdigest()
    return f"w-{digest[: NONCE_MAX_LENGTH - 2]}"


@dataclass(frozen=True)
class WisdomPost:
    """One daily-wisdom post for one channel and local date, ready to render and send."""

    subscription_id: int
    frontend: str
    guild_id: str
    channel_id: str
    local_date: date
    scheduled_at: datetime
    zone: str
    nugget_key: str
    text: str
    speaker: str | None
    source: str
    talk_title: str
    conference_name: str
    manual: bool = False
    attempted_at: datetime | None = None
    """When the first send of this post was attempted (its claim is written right before it);
    an earlier delivery can only be found from then on. None before any attempt."""
    stored_key: str | None = None
    """The idempotency key its delivery row holds (from before a renumbering), if any."""

    @property
    def idempotency_key(self) -> str:
        return self.stored_key or idempotency_key(self.subscription_id, self.local_date)


Status = Literal["claimed", "sent", "skipped", "failed"]


@dataclass(frozen=True)
class PostRecord:
    """One row of the post log."""

    subscription_id: int
    local_date: date
    status: Status
    scheduled_at: datetime
    end_at: datetime
    manual: bool
    nugget_key: str | None
    text: str | None
    claimed_at: datetime | None
    sent_at: datetime | None
    message_id: str | None
    attempts: int
    next_attempt_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class Outcome:
    """What happened to one post during a `run_due` or `post_now`.

    sent: delivered now. recovered: a claim left by a crash turned out delivered already.
    skipped: window closed with nothing posted. retry: failed, will retry at `retry_at`.
    failed: given up on this date. disabled: the subscription was disabled (`detail` says why).
    """

    kind: OutcomeKind
    subscription_id: int
    channel_id: str
    local_date: date
    message_id: str | None = None
    detail: str = ""
    retry_at: datetime | None = None


@dataclass(frozen=True)
class WisdomStatus:
    """Everything the status command shows for one channel."""

    subscription: Subscription
    next_post: Slot | None
    last_post: PostRecord | None
    pending: PostRecord | None
    counts: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Answers


def format_local_date(value: date) -> str:
    """'Monday 23 November' (English, independent of the process locale)."""
    return f"{_WEEKDAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]}"


def format_moment(moment: datetime, zone: ZoneInfo) -> str:
    """'Monday 23 November 09:00 CET (08:00 UTC)'."""
    local = moment.astimezone(zone)
    utc = moment.astimezone(UTC)
    return (
        f"{format_local_date(local.date())} {local:%H:%M} {local.tzname() or zone.key} "
        f"({utc:%H:%M} UTC)"
    )


if TYPE_CHECKING:  # at run time `__getattr__` below imports them on first use (no cycle)
    from bot.delivery.answers import input_error_answer as input_error_answer
    from bot.delivery.answers import outcome_answer as outcome_answer
    from bot.delivery.answers import preview_answer as preview_answer
    from bot.delivery.answers import status_answer as status_answer
    from bot.delivery.answers import subscribed_answer as subscribed_answer
    from bot.delivery.answers import unsubscribed_answer as unsubscribed_answer
    from bot.delivery.answers import wisdom_answer as wisdom_answer

_ANSWERS = frozenset(
    {
        "wisdom_answer",
        "preview_answer",
        "input_error_answer",
        "subscribed_answer",
        "unsubscribed_answer",
        "status_answer",
        "outcome_answer",
    }
)
"""The answer builders, now in bot.delivery.answers; still importable from here."""


if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name in _ANSWERS:
            from bot.delivery import answers

            return getattr(answers, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CycleState",
    "Pick",
    "Plan",
    "Slot",
    "advance",
    "channel_seed",
    "cycle_order",
    "due_instant",
    "first_post_date",
    "local_day_start",
    "local_today",
    "next_nugget",
    "plan_slots",
    "slot_for",
    "upcoming_nuggets",
]
