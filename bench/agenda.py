"""The personal agenda at scale: 10,000 people × 20 follows, `/agenda` latency and the
planner's cost per tick, each beside a reference measured in the same run.

    python -m bench.agenda [--people 10000] [--follows 20] [--asks 400] [--ticks 30]

A synthetic timed conference (3 days, 10 rooms, 12 tracks, 420 talks, one speaker each of
210) is loaded into a fresh SQLite file; every person follows `--follows` things: mostly
single talks, some speakers, a track and a room. Then:

* `/agenda all` through the command core (registry, store, planner rules, answer) for
  `--asks` random people: p50 and p99, beside the raw query of the same person's follows
  (one indexed SELECT through the same connection);
* the agenda service's planning for one tick at a busy moment of the programme (the store
  reads, the follows of the talks soon, the pure planner, the delivery rows): per tick, beside
  a trivial reference (one `SELECT 1` round trip through the same connection); the pure
  planner alone is printed too.

Machines differ and this one is shared: read the ratios. It only reports.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.commands.registry import Caller
from bot.core import Core
from bot.delivery.agenda_plan import fold, plan, recent, soon, wanted
from bot.delivery.agenda_service import AgendaService
from bot.records import Conference, Speaker, Talk
from bot.store import agenda, agenda_runs
from bot.store.changes import changes_since
from bot.store.content import replace_conferences
from bot.store.db import Database
from bot.store.reminder_log import timed_talks
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster

START = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
ROOMS = [f"Room {n}" for n in range(10)]
TRACKS = [f"Track {n}" for n in range(12)]
SPEAKERS = [f"Speaker Number{n}" for n in range(210)]


def conference() -> Conference:
    talks = []
    for day in range(3):
        for slot in range(14):  # 08:00 .. 21:00, one talk an hour in each room
            for index, room in enumerate(ROOMS):
                number = (day * 14 + slot) * len(ROOMS) + index
                starts = START + timedelta(days=day, hours=slot)
                talks.append(
                    Talk(
                        slug=f"talk-{number}",
                        title=f"Benchmark talk {number}",
                        speakers=(Speaker(SPEAKERS[number % len(SPEAKERS)]),),
                        summary="A talk.",
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=45),
                        room=room,
                        track=TRACKS[number % len(TRACKS)],
                    )
                )
    return Conference("bench-2026", "Bench 2026", talks=tuple(talks), timezone="Europe/Berlin")


async def populate(db: Database, people: int, follows: int, rng: random.Random) -> None:
    """`people` Slack people with `follows` follows each, written in bulk."""
    talks = await timed_talks(db)
    now = START - timedelta(days=1)
    await db.execute_many(
        "INSERT INTO subscriptions (kind, frontend, guild_id, channel_id, created_by, created_at,"
        " updated_at, minutes_before, since_at) VALUES ('agenda', 'slack', '', ?, 'self', ?, ?,"
        " 10, ?)",
        [(f"U{n:07d}", now.isoformat(), now.isoformat(), now.isoformat()) for n in range(people)],
    )
    ids = [p.id for p in await agenda.people(db, "slack")]
    await db.execute_many(
        "INSERT INTO agenda_people (subscription_id) VALUES (?)", [(i,) for i in ids]
    )
    rows = []
    for person in ids:
        chosen: set[tuple[str, str]] = {("track", rng.choice(TRACKS)), ("room", rng.choice(ROOMS))}
        while len(chosen) < 5:
            chosen.add(("speaker", fold(rng.choice(SPEAKERS))))
        while len(chosen) < follows:
            chosen.add(("talk", rng.choice(talks).key))
        rows += [(person, "T1", kind, value, "", value, now.isoformat()) for kind, value in chosen]
    await db.execute_many(
        "INSERT INTO agenda_follows (subscription_id, community, kind, value, conference, label,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


async def timed(action: Callable[[], Awaitable[object]], times: int) -> list[float]:
    """Wall milliseconds of each of `times` runs of `action`."""
    out = []
    for _ in range(times):
        started = time.perf_counter()
        await action()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def line(name: str, figure: float, reference_name: str, reference: float) -> None:
    ratio = figure / reference if reference else float("inf")
    print(f"{name:<40} {figure:9.2f} ms   {reference_name:<22} {reference:7.3f} ms   x{ratio:.0f}")


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.sqlite3")
        try:
            await replace_conferences(db, [conference()], origin="import")
            loading = time.perf_counter()
            async with db.transaction():
                await populate(db, args.people, args.follows, rng)
            print(
                f"{args.people} people × {args.follows} follows written in "
                f"{time.perf_counter() - loading:.1f} s"
            )
            busy = START + timedelta(days=1, hours=5, minutes=50)
            clock = FakeClock(START + timedelta(hours=1))
            core = Core(db, clock=clock)
            people = await agenda.people(db, "slack")
            sample = [rng.choice(people) for _ in range(args.asks)]
            answers = iter(sample)
            await core.ask("/agenda all", Caller("slack", sample[0].user_id, "T1", "C1"))  # warm

            async def ask() -> None:
                person = next(answers)
                await core.ask("/agenda all", Caller("slack", person.user_id, "T1", "C1"))

            raw_people = iter(sample)

            async def raw() -> None:
                await agenda.follows_of(db, next(raw_people).id, "T1")

            asked = await timed(ask, args.asks)
            queried = await timed(raw, args.asks)
            print(f"/agenda all for {args.asks} random people (of {args.people}):")
            line("  /agenda p50", p(asked, 50), "raw follows query p50", p(queried, 50))
            line("  /agenda p99", p(asked, 99), "raw follows query p99", p(queried, 99))

            service = AgendaService(db, FakePoster(clock), frontend="slack", clock=clock)
            planned, _, _ = await service.plan_now(busy)

            async def tick() -> None:
                await service.plan_now(busy)

            async def trivial() -> None:
                await db.fetch_one("SELECT 1")

            talks = await timed_talks(db)
            changes = recent(await changes_since(db, busy - timedelta(hours=6)), busy)
            longest = await agenda_runs.longest_lead(db, "slack")
            near = soon(talks, busy, longest)
            follows, everyone = await agenda_runs.follows_matching(
                db, "slack", wanted(near, changes)
            )

            async def pure() -> None:
                plan(everyone, follows, talks, changes, busy, longest=longest)

            quiet_at = busy - timedelta(minutes=30)  # nothing due within the horizon
            quiet_plan, _, _ = await service.plan_now(quiet_at)

            async def quiet() -> None:
                await service.plan_now(quiet_at)

            ticks = await timed(tick, args.ticks)
            quiets = await timed(quiet, args.ticks)
            pures = await timed(pure, args.ticks)
            async with db.transaction():  # as if every DM due at `busy` had gone out
                await db.execute_many(
                    "INSERT INTO deliveries (subscription_id, key, status, due_at, end_at) "
                    "VALUES (?, ?, 'sent', ?, ?)",
                    [(d.subscription_id, d.key, "x", "x") for d in planned.due],
                )
            after, _, _ = await service.plan_now(busy)
            afters = await timed(tick, args.ticks)
            trivials = await timed(trivial, args.ticks)
            ref = p(trivials, 50)
            print(
                f"planner per tick ({len(follows)} follows of the talks at 14:00, "
                f"of {len(people) * args.follows}; store reads and the pure planner):"
            )
            line(
                f"  nothing within the horizon ({len(quiet_plan.due)} due)",
                p(quiets, 50),
                "SELECT 1 p50",
                ref,
            )
            line(
                f"  at the lead time ({len(planned.due)} DMs due)",
                p(ticks, 50),
                "SELECT 1 p50",
                ref,
            )
            line("    its pure planner alone", p(pures, 50), "SELECT 1 p50", ref)
            line(
                f"  after they went out ({len(after.due)} due)", p(afters, 50), "SELECT 1 p50", ref
            )
        finally:
            await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--follows", type=int, default=20)
    parser.add_argument("--asks", type=int, default=400)
    parser.add_argument("--ticks", type=int, default=30)
    asyncio.run(main(parser.parse_args()))
