"""A programme day as a grid of rooms × start times, with recent changes marked: the value
the admin and public programme pages render. No web library; the day's talks come from
`load_day`, which reads them through the store's programme functions and the same change
marks as /schedule (bot/schedule_marks.py).

Rows are the day's distinct start times; a talk's cell spans the rows until it ends (or until
the next talk in its room starts, when two overlap), so a table reader hears each talk once.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from operator import itemgetter
from typing import NamedTuple

from bot.programme_days import conference_zone, current_conference, programme_days
from bot.schedule_marks import Marks, programme_marks
from bot.store.changes import TalkSnapshot
from bot.store.db import Database
from bot.store.programme import ScheduledConference, scheduled_conferences
from bot.store.programme_grid import DayTalk, grid_talks
from bot.store.rows import utc_text

MAX_DAY_TALKS = 5_000
MAX_DAYS = 31
NO_ROOM = "(no room)"


# The grid's parts are named tuples, not dataclasses: a 1,000-event day makes thousands of
# them per render, and a tuple is built several times faster.
class GridTalk(NamedTuple):
    """A talk as its cell shows it, the text made once here rather than in the template."""

    talk: DayTalk
    when: str  # '10:00–10:45'
    who: str  # the speakers, joined
    mark: str  # 'moved from 14:00; was in Room X', the kinds changed, or '' when unchanged


class Cell(NamedTuple):
    talks: tuple[GridTalk, ...]
    rowspan: int = 1
    colspan: int = 1  # empty cells side by side are one
    changed: bool = False  # a talk in it changed lately


class Row(NamedTuple):
    starts: datetime
    cells: tuple[Cell, ...]  # not those of the columns a cell above spans


@dataclass(frozen=True)
class Grid:
    rooms: tuple[str, ...]
    rows: tuple[Row, ...]
    talk_count: int


def build_grid(talks: Sequence[DayTalk], marks: Marks, zone: tzinfo) -> Grid:
    # Talks share their start and end times (and the store hands out one datetime per
    # distinct time): each is converted and formatted once.
    zoned: dict[datetime, tuple[datetime, str]] = {}
    for moment in {moment for talk in talks for moment in (talk.starts_at, talk.ends_at)}:
        if moment is not None:
            local = moment.astimezone(zone)
            zoned[moment] = (local, f"{local.hour:02d}:{local.minute:02d}")  # not strftime: 5x
    times = sorted({zoned[talk.starts_at][0] for talk in talks})
    row_of = {moment: index for index, moment in enumerate(times)}
    marking = bool(marks.changes)
    # The parts are made with tuple.__new__: a named tuple's own __new__ is a Python call.
    new = tuple.__new__
    join = ", ".join
    # (room, row) -> the talks starting there, and the latest end among them
    starting: dict[tuple[str, int], list[GridTalk]] = {}
    latest: dict[tuple[str, int], datetime] = {}
    for talk in talks:
        starts, start_text = zoned[talk.starts_at]
        ends, end_text = zoned[talk.ends_at] if talk.ends_at is not None else (starts, start_text)
        mark = ""
        if marking:
            kinds = marks.kinds(talk)
            mark = (marks.of(talk) or ", ".join(sorted(kinds))) if kinds else ""
        key = (talk.room or NO_ROOM, row_of[starts])
        shown = new(GridTalk, (talk, f"{start_text}–{end_text}", join(talk.speakers), mark))
        here = starting.get(key)
        if here is None:
            starting[key] = [shown]
            latest[key] = ends
        else:
            here.append(shown)
            if latest[key] < ends:
                latest[key] = ends
    room_names = sorted({room for room, _ in starting}, key=str.casefold)
    rows_of_room: dict[str, list[int]] = {room: [] for room in room_names}
    for room, index in sorted(starting, key=itemgetter(1)):
        rows_of_room[room].append(index)
    # Per row, the cells starting there (in column order: the rooms are walked in column
    # order), and the columns whose cell above ends there. The columns a cell covers are
    # bits of one int as the rows are walked: a 120-minute talk spans a dozen rows, and a
    # list entry per spanned row and column was most of the grid's time.
    count = len(times)
    starts_in: list[list[tuple[int, Cell]]] = [[] for _ in times]
    freed = [0] * (count + 1)
    for column, rows_here in enumerate(rows_of_room.values()):
        room = room_names[column]
        last = len(rows_here) - 1
        for position, index in enumerate(rows_here):
            limit = rows_here[position + 1] if position < last else count
            key = (room, index)
            span = max(1, bisect_left(times, latest[key], index + 1, limit) - index)
            items = tuple(starting[key])
            changed = marking and any(item.mark for item in items)
            starts_in[index].append((column, new(Cell, (items, span, 1, changed))))
            freed[index + span] |= 1 << column
    everything = (1 << len(room_names)) - 1
    busy = 0  # the columns a cell starting here or above takes up
    rows: list[Row] = []
    for index, moment in enumerate(times):
        busy &= ~freed[index]
        cells = starts_in[index]
        for column, _ in cells:
            busy |= 1 << column
        rows.append(new(Row, (moment, _row(cells, everything & ~busy))))
    return Grid(tuple(room_names), tuple(rows), len(talks))


def _row(starting: list[tuple[int, Cell]], free: int) -> tuple[Cell, ...]:
    """A row's cells left to right: those `starting` there (column order), and one cell for
    each run of `free` columns (bits), neither taken by a cell starting here nor spanned by
    one above (a grid of 70 rooms is mostly empty: far fewer cells to render and to read)."""
    if not free:
        return tuple(cell for _, cell in starting)
    out: list[Cell] = []
    add = out.append
    waiting = iter(starting)
    column, cell = next(waiting, (-1, None))
    while free:
        lowest = free & -free
        first = lowest.bit_length() - 1
        run = free & ~(free + lowest)  # the run of free columns from `first` on
        while cell is not None and column < first:
            add(cell)
            column, cell = next(waiting, (-1, None))
        add(_blanks(run.bit_length() - first))
        free ^= run
    if cell is not None:
        add(cell)
        out.extend(cell for _, cell in waiting)
    return tuple(out)


@functools.cache
def _blanks(columns: int) -> Cell:
    return Cell((), 1, columns)


@dataclass(frozen=True)
class DayView:
    conference: ScheduledConference
    conferences: tuple[ScheduledConference, ...]
    zone: tzinfo
    days: tuple[date, ...]
    day: date
    grid: Grid
    cancelled: tuple[TalkSnapshot, ...]


async def load_day(
    db: Database, now: datetime, conference: str = "", day: str = ""
) -> DayView | None:
    """The grid of `conference` (default: the one running now, else the next, else the last)
    on `day` (ISO date; default: today when it is a programme day, else the first). None
    when no conference has timed talks."""
    conferences = await scheduled_conferences(db)
    if not conferences:
        return None
    chosen = next((c for c in conferences if c.slug == conference), None)
    chosen = chosen or current_conference(conferences, now)
    zone = conference_zone(chosen)
    first, last = programme_days(chosen, zone)
    days = tuple(
        first + timedelta(days=offset)
        for offset in range(min((last - first).days, MAX_DAYS - 1) + 1)
    )
    wanted = _day(day)
    if wanted not in days:
        today = now.astimezone(zone).date()
        wanted = today if today in days else days[0]
    start = datetime.combine(wanted, datetime.min.time(), zone)
    end = start + timedelta(days=1)
    talks = await grid_talks(
        db,
        conference=chosen.slug,
        day=wanted.isoformat(),
        starts_after=utc_text(start) or "",
        starts_before=utc_text(end) or "",
        limit=MAX_DAY_TALKS,
    )
    marks = await programme_marks(db, chosen.slug, now, zone)
    return DayView(
        chosen,
        tuple(conferences),
        zone,
        days,
        wanted,
        build_grid(talks, marks, zone),
        tuple(marks.cancelled(start, end)),
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
