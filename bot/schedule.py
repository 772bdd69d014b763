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
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.answer import Answer, Choice, Field
from bot.clock import SYSTEM_CLOCK, Clock
from bot.programme_days import (
    DAY_TEXT_LIMIT,
    WEEKDAYS,
    bounded_moment,
    conference_zone,
    current_conference,
    earlier,
    near_programme,
    programme_days,
    resolve_day,
    shift_day,
)
from bot.schedule_marks import Marks, joined, programme_marks, staleness_footer
from bot.store import queries
from bot.store.changes import TalkSnapshot
from bot.store.content import utc_text
from bot.store.db import Database
from bot.store.queries import ScheduledConference, TalkView
from bot.text import clean

MAX_LISTED = 25
MAX_SUGGESTED_DAYS = 60


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
        return current_conference(conferences, moment) if conferences else None

    def _moment(self) -> datetime:
        """The clock's time, kept inside the calendar (bot.programme_days)."""
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
        marks = await programme_marks(self.db, current.slug, moment, conference_zone(current))
        stale = await staleness_footer(self.db, current.slug, moment)
        room_filter, exact = await self._room(room, current.slug)
        running = await queries.scheduled_talks(
            self.db,
            starts_before=_after(moment),
            # A talk running now started at most one longest-talk ago: bounds the scan.
            starts_after=utc_text(earlier(moment, current.longest_talk)),
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
        marks = await programme_marks(self.db, current.slug, moment, conference_zone(current))
        return _listing(title, chosen[:MAX_LISTED], footer=_at(moment, chosen[0]), marks=marks)

    async def schedule(
        self,
        day: str = "",
        room: str = "",
        conference: str | None = None,
        among: Sequence[str] = (),
    ) -> Answer:
        day, room = clean(day, DAY_TEXT_LIMIT), clean(room)
        conferences = [
            c
            for c in await queries.scheduled_conferences(self.db)
            if (c.slug == conference if conference is not None else not among or c.slug in among)
        ]
        if not conferences:
            return await self._nothing(room, "")
        moment = self._moment()
        current = current_conference(conferences, moment)
        zone = conference_zone(current)
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
        if near_programme(wanted, current, zone):
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
        typed = clean(prefix, DAY_TEXT_LIMIT).lower()
        conferences = [
            c for c in await self.conferences() if conference is None or c.slug == conference
        ]
        choices = [Choice(label=word, command="day", query=word) for word in ("today", "tomorrow")]
        if not conferences:
            choices += [Choice(label=d.title(), command="day", query=d) for d in WEEKDAYS]
        else:
            moment = self._moment()
            current = current_conference(conferences, moment)
            zone = conference_zone(current)
            first, last = programme_days(current, zone)
            span = min((last - first).days + 1, MAX_SUGGESTED_DAYS)
            days = [d for d in (shift_day(first, i) for i in range(span)) if d is not None]
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
        spans = "; ".join(f"{c.name}: {_span(c, conference_zone(c))}" for c in conferences)
        return Answer(
            kind="not_found", title="Nothing on", text=f"{message} ({spans})", found=False
        )


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
    first, last = programme_days(conference, zone)
    return f"{first:%a %d %b %Y} to {last:%a %d %b %Y}"


def _after(moment: datetime) -> str:
    """A bound just after `moment` (kept inside the calendar by `bounded_moment`): talks
    starting at this very second count as running."""
    return utc_text(moment + timedelta(seconds=1)) or ""
