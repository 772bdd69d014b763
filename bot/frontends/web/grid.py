"""A programme day as a grid of rooms × start times, with recent changes marked: the value
the admin and public programme pages render. No web library; the day's talks come from
`load_day`, which reads them through the store's programme functions and the same change
marks as /schedule (bot/schedule_marks.py).

Rows are the day's distinct start times; a talk's cell spans the rows until it ends (or until
the next talk in its room starts, when two overlap), so a table reader hears each talk once.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
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
    # Rows are the distinct start times. The store hands out one datetime per distinct time:
    # each is converted, formatted and placed in the rows once, an end at the first row
    # starting at or after it (where its cell stops spanning). The times in `zone` are sorted
    # and searched: sharing one tzinfo, they compare many times faster than the store's.
    zoned = {moment: moment.astimezone(zone) for moment in {talk.starts_at for talk in talks}}
    times = sorted(set(zoned.values()))  # a set: the two 02:30 of a DST fold are one row
    row_of = {local: row for row, local in enumerate(times)}
    at: dict[datetime, tuple[str, int]] = {
        moment: (f"{local.hour:02d}:{local.minute:02d}", row_of[local])  # not strftime: 5x
        for moment, local in zoned.items()
    }
    for moment in {talk.ends_at for talk in talks}:
        if moment is not None and moment not in at:
            local = moment.astimezone(zone)
            at[moment] = (f"{local.hour:02d}:{local.minute:02d}", bisect_left(times, local))
    marking = bool(marks.changes)
    # The parts are made with tuple.__new__: a named tuple's own __new__ is a Python call.
    new = tuple.__new__
    join = ", ".join
    # (room, row) -> the talks starting there, the row the latest of them ends at, and
    # whether one changed lately
    starting: dict[tuple[str, int], list[GridTalk]] = {}
    reach: dict[tuple[str, int], int] = {}
    changed: set[tuple[str, int]] = set()
    for talk in talks:
        start_text, row = at[talk.starts_at]
        end = talk.ends_at
        end_text, end_row = (start_text, row) if end is None else at[end]
        mark = marks.shown(talk) if marking else ""
        key = (talk.room or NO_ROOM, row)
        shown = new(GridTalk, (talk, f"{start_text}–{end_text}", join(talk.speakers), mark))
        here = starting.get(key)
        if here is None:
            starting[key] = [shown]
            reach[key] = end_row
        else:
            here.append(shown)
            if reach[key] < end_row:
                reach[key] = end_row
        if mark:
            changed.add(key)
    room_names = sorted({room for room, _ in starting}, key=str.casefold)
    rows_of_room: dict[str, list[int]] = {room: [] for room in room_names}
    for room, row in sorted(starting, key=itemgetter(1)):
        rows_of_room[room].append(row)
    # Per row, the cells starting there and their columns (in column order: the rooms are
    # walked in column order), and the columns whose cell above ends there. The columns a
    # cell covers are bits of one int as the rows are walked: a 120-minute talk spans a dozen
    # rows, and a list entry per spanned row and column was most of the grid's time.
    count = len(times)
    cells_in: list[list[Cell]] = [[] for _ in times]
    columns_in: list[list[int]] = [[] for _ in times]
    taken = [0] * count
    freed = [0] * (count + 1)
    for column, rows_here in enumerate(rows_of_room.values()):
        room = room_names[column]
        bit = 1 << column
        nexts = rows_here[1:]
        nexts.append(count)
        for row, limit in zip(rows_here, nexts, strict=True):
            key = (room, row)
            end_row = reach[key]
            span = (end_row if end_row < limit else limit) - row
            if span < 1:  # no end, or one at or before its start
                span = 1
            cell = new(Cell, (tuple(starting[key]), span, 1, key in changed))
            cells_in[row].append(cell)
            columns_in[row].append(column)
            taken[row] |= bit
            freed[row + span] |= bit
    everything = (1 << len(room_names)) - 1
    blanks = [Cell((), 1, columns) for columns in range(len(room_names) + 1)]
    busy = 0  # the columns a cell starting here or above takes up
    rows: list[Row] = []
    for row, moment in enumerate(times):
        busy = (busy & ~freed[row]) | taken[row]
        free = everything & ~busy
        cells = _row(cells_in[row], columns_in[row], free, blanks) if free else cells_in[row]
        rows.append(new(Row, (moment, tuple(cells))))
    return Grid(tuple(room_names), tuple(rows), len(talks))


def _row(cells: list[Cell], columns: list[int], free: int, blanks: list[Cell]) -> list[Cell]:
    """A row's cells left to right: those starting there (at `columns`, in order), and one
    cell for each run of `free` columns (bits), neither taken by a cell starting here nor
    spanned by one above (a grid of 70 rooms is mostly empty: far fewer cells to render and
    to read). `blanks[n]` is the empty cell n columns wide."""
    out: list[Cell] = []
    add = out.append
    for column, cell in zip(columns, cells, strict=True):
        below = free & ((1 << column) - 1)
        if below:
            free ^= below
            _add_blanks(below, blanks, add)
        add(cell)
    if free:
        _add_blanks(free, blanks, add)
    return out


def _add_blanks(free: int, blanks: list[Cell], add: Callable[[Cell], None]) -> None:
    """One empty cell for each run of `free` columns (bits), lowest first."""
    while free:
        lowest = free & -free
        run = free & ~(free + lowest)  # the run of free columns from the lowest on
        add(blanks[run.bit_length() - lowest.bit_length() + 1])
        free ^= run


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
