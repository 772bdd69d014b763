"""Community nuggets at scale: `python -m bench.nuggets [--talks 10000] [--count 300]`.

On a synthetic store (ten nuggets a talk: 10,000 talks -> 100,000 nuggets in the pool) it
times, through the real `NuggetQueue` and `Core`: a submission (rate limit, talk lookup,
duplicate check against the pool and the queue, insert), a refused duplicate of a pool
nugget, `/nugget review` of the oldest pending one (with its transcript check), and an
approval into the pool. Beside each, in the same run, the reference: one plain INSERT of the
same row through aiosqlite (the thread hop and the write every submission needs at least),
and the ratio. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from bench.synthetic import vocabulary, write_dataset
from bot.commands.invocation import Invocation
from bot.commands.nugget_queue import NuggetQueue, QueueError, Submitter
from bot.commands.registry import Caller
from bot.core import Core
from bot.store.content import load_data_dir
from bot.store.db import Database

ADMIN = Caller("discord", "1", "G1", "C1", admin=True, name="bench")


async def timed(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


def line(label: str, samples: list[float], reference: list[float]) -> str:
    p50, ref50 = statistics.median(samples), statistics.median(reference)
    p99 = sorted(samples)[int(len(samples) * 0.99) - 1]
    return (
        f"{label:<34} p50 {p50 * 1000:7.2f} ms  p99 {p99 * 1000:7.2f} ms  "
        f"(plain INSERT p50 {ref50 * 1000:.2f} ms: {p50 / ref50:.1f}x)"
    )


async def run(talks: int, count: int) -> None:
    rng = random.Random(11)
    words = vocabulary(2000, random.Random(5))
    with tempfile.TemporaryDirectory() as temp:
        data = Path(temp) / "data"
        write_dataset(data, talks=talks)
        async with await Database.open(Path(temp) / "bench.sqlite3") as db:
            await load_data_dir(db, data)
            core = Core(db, rng=rng)
            queue = NuggetQueue(db, core.lookup)
            row = await db.fetch_one("SELECT count(*) FROM nuggets")
            pool = int(row[0]) if row else 0
            a_pool_nugget = await db.fetch_one("SELECT text FROM nuggets ORDER BY id LIMIT 1")
            assert a_pool_nugget is not None

            def quote(n: int) -> str:
                return " ".join(rng.choice(words) for _ in range(12)).capitalize() + f" q{n}."

            def submit(n: int) -> Callable[[], Awaitable[object]]:
                by = Submitter("discord", f"user-{n // 5}", f"user-{n // 5}")
                talk = f"synthconf-{n % 10:02d}/talk-{n:05d}"
                return lambda: queue.submit(quote(n), by=by, talk=talk)

            async def insert(n: int) -> None:
                await db.execute(
                    "INSERT INTO community_nuggets(text, normalised, frontend, submitter, "
                    "submitted_by, submitted_at) VALUES (?, ?, 'bench', 'x', 'x', '2026-01-01')",
                    (f"reference {n}", f"reference {n}"),
                )

            reference = await timed([partial(insert, n) for n in range(count)])
            await db.execute("DELETE FROM community_nuggets WHERE frontend = 'bench'")
            submitted = await timed([submit(n) for n in range(count)])

            async def refused(n: int) -> None:
                by = Submitter("slack", f"dup-{n}", "d")  # one each: never the rate limit
                try:
                    await queue.submit(str(a_pool_nugget[0]), by=by)
                except QueueError as error:
                    assert "already in the pool" in str(error), error
                    return
                raise AssertionError("a pool nugget was queued again")

            duplicates = await timed([partial(refused, n) for n in range(count)])
            pending = await queue.pending(size=count, matches=False)
            ids = [item.submission.id for item in pending.items]
            reviews = await timed(
                [partial(core.run, Invocation.of("nugget review", id=i), ADMIN) for i in ids]
            )
            approvals = await timed([partial(queue.approve, i, by="bench") for i in ids])
    print(f"bench.nuggets: {talks} talks, {pool} nuggets in the pool, {count} of each call")
    print(line("submit (queued)", submitted, reference))
    print(line("submit (duplicate of the pool)", duplicates, reference))
    print(line("/nugget review ID", reviews, reference))
    print(line("approve (into the pool)", approvals, reference))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=10000)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args(argv)
    asyncio.run(run(args.talks, args.count))


if __name__ == "__main__":
    main()
