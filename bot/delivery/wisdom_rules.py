"""The daily wisdom rules: when a post is due in a time zone (DST gaps and
repeats, the grace window, missed dates) and which nugget comes next (the seeded rotation
that never repeats within a cycle). No I/O; `bot.wisdom` re-exports every name."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# --------------------------------------------------------------------------------------------
# Time arithmetic


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock reading of `moment` in `zone`."""
    return moment.astimezone(zone).replace(tzinfo=None)


def due_instant(local_date: date, post_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `post_time` happens on `local_date` in `zone`.

    A wall time in a DST gap resolves to the first valid moment after it (the transition); a
    wall time that happens twice resolves to its first occurrence.
    """
    wall = datetime.combine(local_date, post_time)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(first, zone) == wall:
        return first  # exists; fold=0 is the earlier of two occurrences
    # In a gap: fold=0 uses the offset before the jump, fold=1 the one after, so the
    # transition lies between the two readings. Find the first second whose wall-clock time
    # is at or past `wall`: that is the first valid moment after the missing time.
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low = int(min(first, second).timestamp())
    high = int(max(first, second).timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), zone) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def local_day_start(local_date: date, zone: ZoneInfo) -> datetime:
    """The first moment (UTC) of `local_date` in `zone`."""
    return due_instant(local_date, time(0, 0), zone)


@dataclass(frozen=True)
class Slot:
    """One local date's post: due at `due`, deliverable while `due <= now < end`."""

    local_date: date
    due: datetime
    end: datetime

    def open_at(self, now: datetime) -> bool:
        return self.due <= now < self.end


@functools.lru_cache(maxsize=8192)
def slot_for(local_date: date, post_time: time, zone: ZoneInfo, grace: timedelta) -> Slot:
    due = due_instant(local_date, post_time, zone)
    next_day = local_day_start(local_date + timedelta(days=1), zone)
    return Slot(local_date, due, min(due + grace, next_day))


@dataclass(frozen=True)
class Plan:
    """What to do for one subscription at `now`, given the last local date already handled.

    `missed`: dates whose window closed unposted (record as skipped). `due`: the date to post
    now, if any. `upcoming`: the next date still in the future.
    """

    missed: tuple[Slot, ...]
    due: Slot | None
    upcoming: Slot


def plan_slots(
    post_time: time, zone: ZoneInfo, after: date, now: datetime, grace: timedelta
) -> Plan:
    """Walk the local dates after `after` up to `now`.

    Dates whose window is over are missed; of the dates whose window is open, only the latest
    is due (older ones are missed too, which only matters with a grace over a day).
    """
    missed: list[Slot] = []
    due: Slot | None = None
    day = after + timedelta(days=1)
    while True:
        slot = slot_for(day, post_time, zone, grace)
        if slot.due > now:
            return Plan(tuple(missed), due, slot)
        if now < slot.end:
            if due is not None:
                missed.append(due)
            due = slot
        else:
            missed.append(slot)
        day += timedelta(days=1)


def first_post_date(post_time: time, zone: ZoneInfo, now: datetime) -> date:
    """The first local date whose post is due at or after `now` (used as a start date)."""
    day = now.astimezone(zone).date() - timedelta(days=1)
    while due_instant(day, post_time, zone) < now:
        day += timedelta(days=1)
    return day


def local_today(zone: ZoneInfo, now: datetime) -> date:
    return now.astimezone(zone).date()


# --------------------------------------------------------------------------------------------
# Rotation


@dataclass(frozen=True)
class CycleState:
    """Where a channel is in its walk: the cycle number, the keys posted (or claimed) in that
    cycle and the last key posted."""

    cycle: int = 0
    posted: frozenset[str] = frozenset()
    last: str | None = None


@dataclass(frozen=True)
class Pick:
    key: str
    cycle: int


@functools.lru_cache(maxsize=1 << 16)
def _rank(seed: int, cycle: int, key: str) -> bytes:
    return hashlib.sha256(f"{seed}:{cycle}:{key}".encode()).digest()[:12]


def cycle_order(pool: Iterable[str], seed: int, cycle: int) -> list[str]:
    """The order in which `cycle` walks `pool` for a channel with `seed`."""
    return sorted(set(pool), key=lambda key: (_rank(seed, cycle, key), key))


def next_nugget(pool: Collection[str], state: CycleState, seed: int) -> Pick | None:
    """The next nugget for a channel, or None when the pool is empty. Consumes nothing."""
    keys = set(pool)
    if not keys:
        return None
    remaining = keys - state.posted
    if state.cycle == 0:
        cycle = 1  # nothing posted yet: the first cycle
    elif remaining:
        cycle = state.cycle
    else:  # every key in the pool was posted: reshuffle, never repeating the last one
        cycle = state.cycle + 1
        remaining = keys
        if len(keys) > 1 and state.last in keys:
            remaining = keys - {state.last}
    key = min(remaining, key=lambda k: (_rank(seed, cycle, k), k))
    return Pick(key, cycle)


def advance(state: CycleState, pick: Pick) -> CycleState:
    """The state after posting `pick`."""
    if pick.cycle != state.cycle:
        return CycleState(pick.cycle, frozenset({pick.key}), pick.key)
    return CycleState(state.cycle, state.posted | {pick.key}, pick.key)


def upcoming_nuggets(pool: Collection[str], state: CycleState, seed: int, count: int) -> list[Pick]:
    """The next `count` picks, as if each were posted in turn (for previews and reports)."""
    picks: list[Pick] = []
    for _ in range(count):
        pick = next_nugget(pool, state, seed)
        if pick is None:
            break
        picks.append(pick)
        state = advance(state, pick)
    return picks


def channel_seed(frontend: str, channel_id: str) -> int:
    """A stable per-channel seed (the same channel keeps its walk when re-subscribed)."""
    digest = hashlib.sha256(f"wisdom:{frontend}:{channel_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
