"""The programme grid's layout (bot/frontends/web/grid.py `build_grid`): on a random day
of overlapping talks, the cells of every row are those a plain walk over rooms × start
times gives (`reference`): a talk's cell spans the rows until it ends or the next talk in
its room starts, spanned columns have no cell, and each run of empty columns is one cell."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.frontends.web.grid import NO_ROOM, build_grid
from bot.schedule_marks import Marks
from bot.store.programme_grid import DayTalk

ZONE = ZoneInfo("Europe/Berlin")
DAY = datetime(2025, 12, 27, 9, 0, tzinfo=UTC)

Shape = list[list[tuple[int, int, tuple[str, ...]]]]  # per row: (rowspan, colspan, slugs)


def random_day(seed: int, count: int) -> list[DayTalk]:
    rng = random.Random(seed)
    rooms = [f"Room {n}" for n in range(12)] + ["room 3b", "Ä-Saal", None]
    talks = []
    for number in range(count):
        start = DAY + timedelta(minutes=5 * rng.randrange(0, 200))
        end = (
            None
            if rng.random() < 0.05
            else start + timedelta(minutes=rng.choice((5, 20, 45, 90, 240)))
        )
        talks.append(
            DayTalk(
                "c",
                f"t{number}",
                f"T{number}",
                start,
                end,
                rng.choice(rooms),
                ("S",) * rng.randrange(3),
            )
        )
    talks.sort(key=lambda t: (t.starts_at, t.room is not None, t.room or ""))
    return talks


def reference(talks: list[DayTalk]) -> Shape:
    times = sorted({t.starts_at.astimezone(ZONE) for t in talks})
    rooms = sorted({t.room or NO_ROOM for t in talks}, key=str.casefold)
    starting: dict[tuple[str, int], list[str]] = defaultdict(list)
    latest: dict[tuple[str, int], datetime] = {}
    for t in talks:
        key = (t.room or NO_ROOM, times.index(t.starts_at.astimezone(ZONE)))
        starting[key].append(t.slug)
        end = (t.ends_at or t.starts_at).astimezone(ZONE)
        latest[key] = max(latest.get(key, end), end)
    span = {}
    for room, row in starting:
        after = [r for (other, r) in starting if other == room and r > row]
        until = min(after, default=len(times))
        span[(room, row)] = 1 + sum(
            1 for r in range(row + 1, until) if times[r] < latest[(room, row)]
        )
    covered = {(room, r) for (room, row), n in span.items() for r in range(row + 1, row + n)}
    shape: Shape = []
    for row in range(len(times)):
        cells: list[tuple[int, int, tuple[str, ...]]] = []
        blank_before = False
        for room in rooms:
            if (room, row) in starting:
                cells.append((span[(room, row)], 1, tuple(starting[(room, row)])))
                blank_before = False
            elif (room, row) in covered:
                blank_before = False
            elif blank_before:
                cells[-1] = (1, cells[-1][1] + 1, ())
            else:
                cells.append((1, 1, ()))
                blank_before = True
        shape.append(cells)
    return shape


@pytest.mark.parametrize("seed", range(6))
def test_rows_are_the_plain_walk_over_rooms_and_times(seed: int) -> None:
    talks = random_day(seed, 40 if seed % 2 else 400)
    grid = build_grid(talks, Marks(), ZONE)
    shape = [
        [(c.rowspan, c.colspan, tuple(i.talk.slug for i in c.talks)) for c in r.cells]
        for r in grid.rows
    ]
    assert shape == reference(talks)
    assert grid.rooms == tuple(sorted({t.room or NO_ROOM for t in talks}, key=str.casefold))
    assert grid.talk_count == len(talks) == sum(len(s) for r in shape for _, _, s in r)
    assert any(c[0] > 1 for r in shape for c in r) and any(c[1] > 1 for r in shape for c in r)
