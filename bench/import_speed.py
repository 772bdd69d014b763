"""Time importing a synthetic 10,000-event pretalx schedule JSON, and `/now` on it.

    python -m bench.import_speed [--events 10000] [--runs 3]

Prints the best and the median of the parse runs (`load_schedule`; target 2 s or less for
10,000 events), the whole import into SQLite (parse + one-transaction load, as
`confbot import` does), and p50/p99 of `/now` and `/next` through the core at moments spread
over the conference. It only reports: a slow machine must not fail a build.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bench.make_pretalx import write_schedule
from bot.core import Core
from bot.sources.detect import load_schedule
from bot.store.content import replace_conferences
from bot.store.db import Database

TARGET_SECONDS = 2.0


def time_import(path: Path, runs: int) -> list[float]:
    """Seconds per `load_schedule(path)` call, one entry per run."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        load_schedule(path)
        timings.append(time.perf_counter() - started)
    return timings


class _SteppedClock:
    """A `bot.clock.Clock` that stands where the benchmark puts it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


async def time_answers(
    path: Path, folder: Path, samples: int
) -> tuple[float, dict[str, list[float]]]:
    """Import into a fresh database; then time /now and /next at moments across the event."""
    conference = load_schedule(path)
    db = await Database.open(folder / "bench.sqlite3")
    started = time.perf_counter()
    await replace_conferences(db, [load_schedule(path)], origin="import")
    import_seconds = time.perf_counter() - started
    starts = sorted(t.starts_at for t in conference.talks if t.starts_at)
    first, last = starts[0], starts[-1]
    rng = random.Random(5)
    moments = [first + (last - first) * rng.random() for _ in range(samples)]
    timings: dict[str, list[float]] = {"now": [], "next": []}
    clock = _SteppedClock(first)
    core = Core(db, clock=clock)  # one long-lived core, as in the bot
    for moment in moments:
        clock.moment = moment
        for command in timings:
            begun = time.perf_counter()
            await core.ask(f"/{command}")
            timings[command].append(time.perf_counter() - begun)
    await db.close()
    return import_seconds, timings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=10_000, help="events in the schedule")
    parser.add_argument("--runs", type=int, default=3, help="timed imports")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pretalx-bench.json"
        write_schedule(path, arguments.events)
        size_mb = path.stat().st_size / 1_000_000
        talks = len(load_schedule(path).talks)
        timings = time_import(path, arguments.runs)
        import_seconds, answers = asyncio.run(time_answers(path, Path(folder), 300))
    best, median = min(timings), statistics.median(timings)
    verdict = "within" if best <= TARGET_SECONDS else "OVER"
    print(f"load_schedule: {talks} events, {size_mb:.1f} MB of JSON, {arguments.runs} runs")
    print(f"  best   {best:.3f} s")
    print(f"  median {median:.3f} s")
    print(f"  target {TARGET_SECONDS:.1f} s: {verdict}")
    print(f"import into SQLite (parse + load in one transaction): {import_seconds:.3f} s")
    for command, samples in answers.items():
        ordered = sorted(samples)
        p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]
        print(f"/{command} on it: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
