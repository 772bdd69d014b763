"""The days of a conference programme: which day a word names, the conference in session,
its time zone, and the calendar's edges.

Pure functions, no I/O, shared by the programme answers (bot/schedule.py). Every date computed
from user input or the clock is kept inside the calendar: a day or a moment at the edge of it
(year 1, year 9999) gives None or a bounded moment, never an OverflowError.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.store.queries import ScheduledConference
from bot.text import clean, parse_number

DAY_TEXT_LIMIT = 40
# Moments are kept a year inside the calendar, so a day or a longest talk either side of one
# can be computed in any time zone.
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def resolve_day(
    text: str, today: date, conference: ScheduledConference, zone: tzinfo
) -> date | None:
    """'' / today / tomorrow / yesterday / a weekday / 2019-08-22 / 'day 2' -> a date.

    None when `text` is not a day, or names one outside the calendar (the day after
    9999-12-31)."""
    word = clean(text, DAY_TEXT_LIMIT).lower()
    first_day, last_day = programme_days(conference, zone)
    if word == "today" or (word == "" and first_day <= today <= last_day):
        return today
    if word == "":
        return first_day  # outside the conference: its first day is the useful answer
    if word == "tomorrow":
        return shift_day(today, 1)
    if word == "yesterday":
        return shift_day(today, -1)
    index = next((i for i, d in enumerate(WEEKDAYS) if len(word) >= 3 and d.startswith(word)), None)
    if index is not None:
        # The first such weekday of the programme (it may fall after it: then nothing is on).
        return shift_day(first_day, (index - first_day.weekday()) % 7)
    match = re.fullmatch(r"(?:day ?)?([0-9]{1,2})", word, re.ASCII)
    if match:
        number = parse_number(match.group(1))
        return None if number is None else shift_day(first_day, number - 1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        return None


def bounded_moment(moment: datetime) -> datetime:
    """`moment` in UTC, kept inside [EARLIEST, LATEST] (a clock or a rehearsal `--at` may
    stand at the very edge of the calendar, where one more hour overflows)."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return EARLIEST if moment.year < 5000 else LATEST
    return min(max(utc, EARLIEST), LATEST)


def earlier(moment: datetime, delta: timedelta) -> datetime:
    try:
        return max(moment - delta, EARLIEST)
    except OverflowError:
        return EARLIEST


def shift_day(day: date, days: int) -> date | None:
    """`day` plus `days` days; None past either end of the calendar."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def programme_days(conference: ScheduledConference, zone: tzinfo) -> tuple[date, date]:
    """The first and last day of a conference's programme: the schedule days the export
    filed its talks under, else the local days of its first and last talk."""
    first = conference.first_day or bounded_moment(conference.first_start).astimezone(zone).date()
    last = conference.last_day or bounded_moment(conference.last_end).astimezone(zone).date()
    return first, max(first, last)


def near_programme(day: date, conference: ScheduledConference, zone: tzinfo) -> bool:
    """Whether talks of the conference can fall on `day` (so it is worth a query): days far
    from the programme, such as 0001-01-01, are answered without building their bounds."""
    first, last = programme_days(conference, zone)  # a year inside the calendar
    return first - timedelta(days=1) <= day <= last + timedelta(days=1)


def current_conference(
    conferences: Sequence[ScheduledConference], moment: datetime
) -> ScheduledConference:
    """The conference running now, else the next one, else the most recent."""
    for conference in conferences:
        if earlier(conference.first_start, timedelta(days=1)) <= moment <= conference.last_end:
            return conference
    future = [c for c in conferences if c.first_start > moment]
    return future[0] if future else conferences[-1]


def conference_zone(conference: ScheduledConference) -> tzinfo:
    """The conference's IANA zone, else the fixed offset its schedule gave (never the
    server's own zone)."""
    if conference.timezone:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(conference.timezone)
    return timezone(conference.first_offset) if conference.first_offset is not None else UTC
