"""The live programme: what's on now, what's next, and a day's schedule, as `Answer`s.

Platform-neutral like the core. The clock is injected, so tests and rehearsals can stand at
any moment of a conference. Times are shown in the conference's time zone when it has one,
otherwise in the offset the schedule gave.

Every argument (room, day, autocomplete prefix) is cleaned and capped by bot.text, and every
date computed from user input or the clock is kept inside the calendar: a day or a moment at
the edge of it (year 1, year 9999) is answered, never an OverflowError.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.answer import Answer, Choice, Field
from bot.clock import SYSTEM_CLOCK, Clock
from bot.schedule_marks import Marks, joined, programme_marks, staleness_footer
from bot.store import queries
from bot.store.changes import TalkSnapshot
from bot.store.content import utc_text
from bot.store.db import Database
from bot.store.queries import ScheduledConference, TalkView
from bot.text import clean, parse_number

MAX_LISTED = 25
MAX_DAY_LENGTH = 40
MAX_SUGGESTED_DAYS = 60
# Moments are kept a year inside the calendar, so a day or a longest talk either side of one
# can be computed in any time zone.
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ScheduleAnswers:
    """`now`, `next` and `schedule` over the timed talks in the store."""

    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock

    async def _conference(
        self, conference: str | None, moment: datetime, among: Sequence[str] = ()
    ) -> ScheduledConference | None:
        """The named conference, or the one that is on (or next) when none is named (of
        `among`, the community's conferences, when given)."""
        conferences = await queries.scheduled_conferences(self.db)
        if among and conference is None:
            conferences = [c for c in conferences if c.slug in among]
        if conference is not None:
            return next((c for c in conferences if c.slug == conference), None)
        return _current_conference(conferences, moment) if conferences else None

    def _moment(self) -> datetime:
        """The clock's time, kept inside [EARLIEST, LATEST]."""
        return bounded_moment(self.clock.now())

    async def now(
        self, room: str = "", conference: str | None = None, among: Sequence[str] = ()
    ) -> Answer:
        room = clean(room)
        moment = self._moment()
        current = await self._conference(conference, moment, among)
        if current is None:
            return await self._nothing(room, "Nothing is on right now.")
        stamp = utc_text(moment) or ""
        marks = await programme_marks(self.db, current.slug, moment, _zone(current))
        stale = await staleness_footer(self.db, current.slug, moment)
        room_filter, exact = await self._room(room, current.slug)
        running = await queries.scheduled_talks(
            self.db,
            starts_before=_after(moment),
            # A talk running now started at most one longest-talk ago: bounds the scan.
            starts_after=utc_text(_earlier(moment, current.longest_talk)),
            ends_after=stamp,
            conference=current.slug,
            room=room_filter,
            exact_room=exact,
            limit=MAX_LISTED,
        )
        if running:
            return _listing(
                "On now" + (f" in rooms matching “{room}”" if room else ""),
                running,
                footer=joined(_at(moment, running[0]), stale),
                marks=marks,
            )
        upcoming = await queries.scheduled_talks(
            self.db,
            starts_before="9999",
            starts_after=stamp,
            conference=current.slug,
            room=room_filter,
            exact_room=exact,
            limit=3,
        )
        if not upcoming:
            return await self._nothing(room, "Nothing is on right now, and nothing is coming up.")
        answer = _listing(
            "Nothing on right now. Coming up:",
            upcoming,
            footer=joined(_at(moment, upcoming[0]), stale),
            marks=marks,
        )
        return Answer(**{**answer.__dict__, "found": False})

    async def next(
        self, room: str = "", conference: str | None = None, among: Sequence[str] = ()
    ) -> Answer:
        room = clean(room)
        moment = self._moment()
        current = await self._conference(conference, moment, among)
        if current is None:
            return await self._nothing(room, "Nothing else is scheduled.")
        room_filter, exact = await self._room(room, current.slug)
        chosen = await queries.next_per_room(
            self.db,
            after=utc_text(moment) or "",
            conference=current.slug,
            room=room_filter,
            exact_room=exact,
            limit=MAX_LISTED,
        )
        if not chosen:
            return await self._nothing(room, "Nothing else is scheduled.")
        title = "Next up" + (f" in rooms matching “{room}”" if room else " in each room")
        marks = await programme_marks(self.db, current.slug, moment, _zone(current))
        return _listing(title, chosen[:MAX_LISTED], footer=_at(moment, chosen[0]), marks=marks)

    async def schedule(
        self,
        day: str = "",
        room: str = "",
        conference: str | None = None,
        among: Sequence[str] = (),
    ) -> Answer:
        day, room = clean(day, MAX_DAY_LENGTH), clean(room)
        conferences = [
            c
            for c in await queries.scheduled_conferences(self.db)
            if (c.slug == conference if conference is not None else not among or c.slug in among)
        ]
        if not conferences:
            return await self._nothing(room, "")
        moment = self._moment()
        current = _current_conference(conferences, moment)
        zone = _zone(current)
        today = moment.astimezone(zone).date()
        # Past midnight, while the talks filed under yesterday still run, it is still that day.
        last_end = await queries.day_last_end(
            self.db, conference=current.slug, day=(today - timedelta(days=1)).isoformat()
        )
        if last_end is not None and moment < last_end:
            today -= timedelta(days=1)
        wanted = resolve_day(day, today, current, zone)
        if wanted is None:
            return Answer(
                kind="usage",
                title="/schedule",
                text=f"I can't read “{day}” as a day. Try today, tomorrow, friday, "
                "2019-08-22 or day 2.",
                found=False,
                ephemeral=True,
            )
        talks: list[TalkView] = []
        window: tuple[datetime, datetime] | None = None
        if _near_programme(wanted, current, zone):
            start = datetime.combine(wanted, datetime.min.time(), zone)
            end = start + timedelta(days=1)
            window = (start, end)
            room_filter, exact = await self._room(room, current.slug)
            talks = await queries.day_talks(
                self.db,
                day=wanted.isoformat(),
                starts_before=utc_text(end) or "",
                starts_after=utc_text(start) or "",
                conference=current.slug,
                room=room_filter,
                exact_room=exact,
                limit=500,
            )
        title = f"{current.name}: {wanted:%A %d %B %Y}" + (
            f", rooms matching “{room}”" if room else ""
        )
        marks = await programme_marks(self.db, current.slug, moment, zone)
        stale = await staleness_footer(self.db, current.slug, moment)
        gone = [s for s in marks.cancelled(*window) if _in_room(s.room, room)] if window else []
        if not talks and not gone:
            return Answer(
                kind="schedule",
                title=title,
                text="Nothing is scheduled then." + f" The programme runs {_span(current, zone)}.",
                found=False,
                footer=stale,
            )
        answer = _listing(title, talks[:MAX_LISTED], footer=stale, marks=marks, cancelled=gone)
        if len(talks) > MAX_LISTED:
            more = len(talks) - MAX_LISTED
            answer = Answer(
                **{
                    **answer.__dict__,
                    "text": f"{len(talks)} talks; {more} more not shown: "
                    "narrow it down with a room.",
                }
            )
        return answer

    async def _room(self, room: str, conference: str) -> tuple[str, bool]:
        """The room filter: a room named exactly as asked (any case) wins over the rooms
        whose names merely contain it, so "one" lists room One, not Stonewall."""
        wanted = room.strip()
        if not wanted:
            return "", False
        folded = wanted.casefold()
        for name in await self.rooms(conference):
            if name.casefold() == folded:
                return name, True
        return wanted, False

    async def rooms(self, conference: str | None = None) -> list[str]:
        """The rooms of the timed talks (of one conference, by slug, if given)."""
        return await queries.rooms(self.db, conference)

    async def conferences(self) -> list[ScheduledConference]:
        """The conferences with timed talks, in programme order."""
        return await queries.scheduled_conferences(self.db)

    async def suggest_rooms(self, prefix: str, conference: str | None = None) -> list[Choice]:
        """Autocomplete: rooms whose name contains the typed text."""
        typed = clean(prefix).lower()
        return [
            Choice(label=room, command="room", query=room)
            for room in await self.rooms(conference)
            if typed in room.lower()
        ][:MAX_LISTED]

    async def suggest_conferences(self, prefix: str) -> list[Choice]:
        """Autocomplete: slugs of the timed conferences whose slug or name has the typed text."""
        typed = clean(prefix).lower()
        return [
            Choice(label=c.name, command="conference", query=c.slug, description=c.slug)
            for c in await self.conferences()
            if typed in c.slug.lower() or typed in c.name.lower()
        ][:MAX_LISTED]

    async def suggest_days(self, prefix: str, conference: str | None = None) -> list[Choice]:
        """Autocomplete: today, tomorrow, the programme's weekdays and day 1..N."""
        typed = clean(prefix, MAX_DAY_LENGTH).lower()
        conferences = [
            c for c in await self.conferences() if conference is None or c.slug == conference
        ]
        choices = [Choice(label=word, command="day", query=word) for word in ("today", "tomorrow")]
        if not conferences:
            choices += [Choice(label=d.title(), command="day", query=d) for d in WEEKDAYS]
        else:
            moment = self._moment()
            current = _current_conference(conferences, moment)
            zone = _zone(current)
            first, last = _programme_days(current, zone)
            span = min((last - first).days + 1, MAX_SUGGESTED_DAYS)
            days = [d for d in (_shift(first, i) for i in range(span)) if d is not None]
            choices += [
                Choice(
                    label=f"{day:%A}",
                    command="day",
                    query=WEEKDAYS[day.weekday()],
                    description=f"day {number} · {day:%d %b}",
                )
                for number, day in enumerate(days[:7], start=1)
            ]
            choices += [
                Choice(
                    label=f"day {number}",
                    command="day",
                    query=f"day {number}",
                    description=f"{day:%a %d %b}",
                )
                for number, day in enumerate(days, start=1)
            ]
        return [c for c in choices if typed in c.query or typed in c.label.lower()][:MAX_LISTED]

    async def _nothing(self, room: str, message: str) -> Answer:
        conferences = await queries.scheduled_conferences(self.db)
        if not conferences:
            return Answer(
                kind="not_found",
                title="No timed schedule",
                text="No conference here has talk times yet. An organiser can import one "
                "with `confbot import schedule.json`.",
                found=False,
                ephemeral=True,
            )
        if room:
            message = f"No talk in a room matching “{room}” then."
        spans = "; ".join(f"{c.name}: {_span(c, _zone(c))}" for c in conferences)
        return Answer(
            kind="not_found", title="Nothing on", text=f"{message} ({spans})", found=False
        )


def resolve_day(
    text: str, today: date, conference: ScheduledConference, zone: tzinfo
) -> date | None:
    """'' / today / tomorrow / yesterday / a weekday / 2019-08-22 / 'day 2' -> a date.

    None when `text` is not a day, or names one outside the calendar (the day after
    9999-12-31)."""
    word = clean(text, MAX_DAY_LENGTH).lower()
    first_day, last_day = _programme_days(conference, zone)
    if word == "today" or (word == "" and first_day <= today <= last_day):
        return today
    if word == "":
        return first_day  # outside the conference: its first day is the useful answer
    if word == "tomorrow":
        return _shift(today, 1)
    if word == "yesterday":
        return _shift(today, -1)
    index = next((i for i, d in enumerate(WEEKDAYS) if len(word) >= 3 and d.startswith(word)), None)
    if index is not None:
        # The first such weekday of the programme (it may fall after it: then nothing is on).
        return _shift(first_day, (index - first_day.weekday()) % 7)
    match = re.fullmatch(r"(?:day ?)?([0-9]{1,2})", word, re.ASCII)
    if match:
        number = parse_number(match.group(1))
        return None if number is None else _shift(first_day, number - 1)
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


def _earlier(moment: datetime, delta: timedelta) -> datetime:
    try:
        return max(moment - delta, EARLIEST)
    except OverflowError:
        return EARLIEST


def _shift(day: date, days: int) -> date | None:
    """`day` plus `days` days; None past either end of the calendar."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def _programme_days(conference: ScheduledConference, zone: tzinfo) -> tuple[date, date]:
    """The first and last day of a conference's programme: the schedule days the export
    filed its talks under, else the local days of its first and last talk."""
    first = conference.first_day or bounded_moment(conference.first_start).astimezone(zone).date()
    last = conference.last_day or bounded_moment(conference.last_end).astimezone(zone).date()
    return first, max(first, last)


def _near_programme(day: date, conference: ScheduledConference, zone: tzinfo) -> bool:
    """Whether talks of the conference can fall on `day` (so it is worth a query): days far
    from the programme, such as 0001-01-01, are answered without building their bounds."""
    first, last = _programme_days(conference, zone)  # a year inside the calendar
    return first - timedelta(days=1) <= day <= last + timedelta(days=1)


def _current_conference(
    conferences: Sequence[ScheduledConference], moment: datetime
) -> ScheduledConference:
    """The conference running now, else the next one, else the most recent."""
    for conference in conferences:
        if _earlier(conference.first_start, timedelta(days=1)) <= moment <= conference.last_end:
            return conference
    future = [c for c in conferences if c.first_start > moment]
    return future[0] if future else conferences[-1]


def _zone(conference: ScheduledConference) -> tzinfo:
    """The conference's IANA zone, else the fixed offset its schedule gave (never the
    server's own zone)."""
    if conference.timezone:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(conference.timezone)
    return timezone(conference.first_offset) if conference.first_offset is not None else UTC


def _local(talk: TalkView, moment: datetime) -> datetime:
    if talk.conference_timezone:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError, OverflowError):
            return moment.astimezone(ZoneInfo(talk.conference_timezone))
    offset = talk.starts_at.tzinfo if talk.starts_at else None
    try:
        return moment.astimezone(offset or UTC)
    except OverflowError:  # a talk at the very edge of the calendar: shown as stored
        return moment


def _in_room(room: str | None, wanted: str) -> bool:
    return not wanted or wanted.lower() in (room or "").lower()


def _listing(
    title: str,
    talks: Sequence[TalkView],
    footer: str = "",
    marks: Marks | None = None,
    cancelled: Sequence[TalkSnapshot] = (),
) -> Answer:
    """The one listing of /now, /next and /schedule: each talk with its mark of a recent
    change, then the cancelled talks (of /schedule's day)."""
    marks = marks or Marks()
    fields = []
    for talk in talks:
        assert talk.starts_at is not None
        start = _local(talk, talk.starts_at)
        when = f"{start:%a %H:%M}"
        if talk.ends_at:
            when += f"–{_local(talk, talk.ends_at):%H:%M}"
        speakers = ", ".join(talk.speakers) or "speaker not named"
        mark = marks.of(talk)
        fields.append(
            Field(
                name=f"{when}" + (f" · {talk.room}" if talk.room else ""),
                value=f"{talk.title} — {speakers}" + (f" ({mark})" if mark else ""),
            )
        )
    for gone in cancelled[: max(0, MAX_LISTED - len(fields))]:
        assert gone.starts_at is not None
        fields.append(
            Field(
                name=marks.when(gone.starts_at) + (f" · {gone.room}" if gone.room else ""),
                value=f"{gone.title} — cancelled",
            )
        )
    return Answer(
        kind="schedule",
        title=title,
        fields=tuple(fields),
        choices=tuple(
            Choice(label=t.title, command="talk", query=t.ref, description=t.room or "")
            for t in talks
        ),
        footer=footer,
    )


def _at(moment: datetime, talk: TalkView) -> str:
    local = _local(talk, moment)
    return f"As of {local:%a %d %b %H:%M} {local.tzname() or ''}".strip()


def _span(conference: ScheduledConference, zone: tzinfo) -> str:
    first, last = _programme_days(conference, zone)
    return f"{first:%a %d %b %Y} to {last:%a %d %b %Y}"


def _after(moment: datetime) -> str:
    """A bound just after `moment` (kept inside the calendar by `bounded_moment`): talks
    starting at this very second count as running."""
    return utc_text(moment + timedelta(seconds=1)) or ""
