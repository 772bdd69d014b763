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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

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


@dataclass(frozen=True)
class GridTalk:
    """A talk as its cell shows it, the text made once here rather than in the template."""

    talk: DayTalk
    when: str  # '10:00–10:45'
    mark: str  # 'moved from 14:00; was in Room X', the kinds changed, or '' when unchanged


@dataclass(frozen=True)
class Cell:
    talks: tuple[GridTalk, ...]
    rowspan: int = 1
    colspan: int = 1  # empty cells side by side are one

    @property
    def changed(self) -> bool:
        return any(item.mark for item in self.talks)


EMPTY = Cell(())


@dataclass(frozen=True)
class Row:
    starts: datetime
    cells: tuple[Cell | None, ...]  # None where a cell above spans this row


@dataclass(frozen=True)
class Grid:
    rooms: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def talk_count(self) -> int:
        return sum(len(cell.talks) for row in self.rows for cell in row.cells if cell)


def build_grid(talks: Sequence[DayTalk], marks: Marks, zone: tzinfo) -> Grid:
    entries = [
        (talk, talk.starts_at.astimezone(zone), (talk.ends_at or talk.starts_at).astimezone(zone))
        for talk in talks
    ]
    room_names = sorted({talk.room or NO_ROOM for talk, _, _ in entries}, key=str.casefold)
    times = sorted({starts for _, starts, _ in entries})
    row_of = {moment: index for index, moment in enumerate(times)}
    starting: dict[str, dict[int, list[GridTalk]]] = defaultdict(lambda: defaultdict(list))
    latest: dict[tuple[str, int], datetime] = {}
    for talk, starts, ends in entries:
        kinds = marks.kinds(talk) if marks.changes else frozenset()
        mark = (marks.of(talk) or ", ".join(sorted(kinds))) if kinds else ""
        room, row = talk.room or NO_ROOM, row_of[starts]
        starting[room][row].append(GridTalk(talk, f"{starts:%H:%M}–{ends:%H:%M}", mark))
        latest[(room, row)] = max(ends, latest.get((room, row), ends))
    cells: list[list[Cell | None]] = [[None] * len(room_names) for _ in times]
    for column, room in enumerate(room_names):
        rows_here = sorted(starting[room])
        free = 0  # the first row not yet filled or spanned in this column
        for position, index in enumerate(rows_here):
            for blank in range(free, index):
                cells[blank][column] = EMPTY
            limit = rows_here[position + 1] if position + 1 < len(rows_here) else len(times)
            span = max(1, bisect_left(times, latest[(room, index)], index + 1, limit) - index)
            cells[index][column] = Cell(tuple(starting[room][index]), span)
            free = index + span
        for blank in range(free, len(times)):
            cells[blank][column] = EMPTY
    rows = tuple(Row(moment, _merged(cells[index])) for index, moment in enumerate(times))
    return Grid(tuple(room_names), rows)


def _merged(cells: list[Cell | None]) -> tuple[Cell | None, ...]:
    """The row with each run of empty cells as one cell spanning their columns (a grid of 70
    rooms is mostly empty; far fewer cells render and read faster)."""
    out: list[Cell | None] = []
    for cell in cells:
        last = out[-1] if out else None
        if _blank(cell) and last is not None and _blank(last):
            out[-1] = _blanks(last.colspan + 1)
        else:
            out.append(cell)
    return tuple(out)


@functools.cache
def _blanks(columns: int) -> Cell:
    return Cell((), 1, columns)


def _blank(cell: Cell | None) -> bool:
    return cell is not None and not cell.talks and cell.rowspan == 1


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
