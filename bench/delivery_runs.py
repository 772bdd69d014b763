"""What a run of the talk reminder planner costs: `python -m bench.delivery_runs`.

A 10,000-talk conference (five days, 20 rooms) in a temp SQLite file and 50 reminder
subscriptions (all talks, or one room). Printed, each beside a reference measured in the same
run: a `run_due` with nothing due (load, plan, `Engine.run`), before the conference and three
hours into it (the talks since then past, each with its row), against the loads alone (the same four
reads the service makes, so the ratio is what planning and the engine add); and a run with
every subscription's next reminder due at once (claim, send through an in-memory poster,
record) per reminder, against one bare INSERT of a delivery row through aiosqlite.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.answer import Answer
from bot.delivery.reminder_service import ReminderService, load_subscriptions, timed_talks
from bot.records import Conference, Speaker, Talk
from bot.reminders import ReminderPost
from bot.store import deliveries
from bot.store.changes import cancelled_talks
from bot.store.content import replace_conferences
from bot.store.db import Database

START = datetime(2030, 6, 3, 8, 0, tzinfo=UTC)


class MemoryPoster:
    """A platform that takes every post at once."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, post: ReminderPost, answer: Answer) -> str:
        self.sent += 1
        return f"m{self.sent}"

    async def find_existing(self, post: ReminderPost) -> str | None:
        return None


class StillClock:
    """A clock that stands still until the bench moves it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def conference(talks: int) -> Conference:
    rows = []
    for index in range(talks):
        room = index % 20
        start = START + timedelta(days=index // 2000, minutes=30 * ((index // 20) % 100))
        rows.append(
            Talk(
                slug=f"talk-{index}",
                title=f"Talk {index}",
                speakers=(Speaker(f"Speaker {index % 500}"),),
                summary="",
                starts_at=start,
                ends_at=start + timedelta(minutes=25),
                room=f"Room {room}",
                guid=f"guid-{index}",
            )
        )
    return Conference("bench", "BenchConf", tuple(rows), timezone="Europe/Berlin", origin="import")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def run(talks: int, channels: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.sqlite3")
        await replace_conferences(db, [conference(talks)], origin="import")
        poster = MemoryPoster()
        clock = StillClock(START - timedelta(hours=2))
        service = ReminderService(db, poster, frontend="discord", clock=clock)
        for index in range(channels):
            await service.subscribe(
                guild_id="g",
                channel_id=f"c{index}",
                minutes_before=10 + index % 30,
                created_by="bench",
                can_post=True,
                filter_kind="all" if index % 2 else "room",
                filter_value="" if index % 2 else f"Room {index % 20}",
            )

        async def loads() -> None:
            subs = await load_subscriptions(db, frontend="discord")
            await timed_talks(db)
            await deliveries.log_rows(db, [sub.id for sub in subs])
            await cancelled_talks(db)

        async def idle(moment: datetime, when: str) -> None:
            clock.moment = moment
            await service.run_due()  # records what was missed until then
            runs, reference = [], []
            for _ in range(rounds):
                began = time.perf_counter()
                assert await service.run_due() == []
                runs.append(time.perf_counter() - began)
                began = time.perf_counter()
                await loads()
                reference.append(time.perf_counter() - began)
            run_p50, load_p50 = statistics.median(runs), statistics.median(reference)
            print(
                f"run_due, nothing due, {when}: p50 {ms(run_p50)}; the loads alone: p50 "
                f"{ms(load_p50)}; ratio {run_p50 / load_p50:.2f}x"
            )

        print(f"{talks} talks, {channels} subscriptions, {rounds} rounds")
        await idle(START - timedelta(hours=2), "before the conference")
        clock.moment = START - timedelta(minutes=9)  # every subscription's first one is due
        began = time.perf_counter()
        outcomes = await service.run_due()
        burst = time.perf_counter() - began
        sent = sum(1 for o in outcomes if o.kind == "sent")
        inserts = []
        for index in range(200):
            began = time.perf_counter()
            await db.execute(
                "INSERT INTO deliveries (subscription_id, key, status, due_at, end_at) "
                "VALUES (1, ?, 'skipped', '', '')",
                (f"bench-{index}",),
            )
            inserts.append(time.perf_counter() - began)
        per, insert = burst / max(sent, 1), statistics.median(inserts)
        print(
            f"a run with {sent} reminders due: {ms(burst)}, {ms(per)} a reminder; one bare "
            f"INSERT: {ms(insert)}; ratio {per / insert:.1f}x"
        )
        await idle(START + timedelta(hours=3, minutes=1), "three hours in")
        await db.close()


def main(argv: list[str] | None = None) -> None:
    logging.getLogger("bot").setLevel(logging.ERROR)  # thousands of "skipped" lines otherwise
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--talks", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    asyncio.run(run(args.talks, args.channels, args.rounds))


if __name__ == "__main__":
    main()
