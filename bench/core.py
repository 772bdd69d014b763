"""Benchmark of the command core: `python -m bench.core` prints the figures, asserts nothing.

Side by side in one run, on a synthetic set of 10,000 talks and 100,000 nuggets:
- p50/p99 of talk, speaker, nugget and search through the core vs the raw sqlite3 query each
  one wraps (target: within 3x), each answer computed; then "talk again" and "search again":
  the same questions a second time, answered from the answer cache (bot/commands/answer_cache.py);
- load time of the bundled data (target <= 0.3 s) and of the 10k set;
- peak RSS of this process (target <= 120 MB);
- cold `confbot ask` vs `python -c "import sqlite3"` (target <= 4x).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bench.synthetic import FIRST, vocabulary, write_dataset
from bot.core import Core
from bot.store import queries
from bot.store.content import load_data_dir
from bot.store.db import Database

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data"

# The exact statements the core sends (bot/store/queries.py), with the parameters it would
# bind for a one-word query.
RAW_SQL: dict[str, tuple[str, Callable[[str], Sequence[object] | dict[str, object]]]] = {
    "talk": (queries.RANK_TALKS_SQL, lambda word: (f'{{title speakers}} : ("{word}")', "[]", 25)),
    "speaker": (
        queries.SPEAKERS_MATCHING_SQL,
        lambda word: (word, word + "%", "% " + word + "%", 25),
    ),
    # /nugget picks an id from the ids it keeps in memory, then reads that one nugget.
    "nugget": (queries.NUGGET_BY_ID_SQL, lambda word: (random.randint(1, 100_000),)),
    "search": (
        queries.SEARCH_SQL,
        lambda word: {"expression": f'"{word}"', "limit": 5, "offset": 0, "conferences": "[]"},
    ),
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def micros(seconds: float) -> str:
    return f"{seconds * 1e6:8.0f} µs" if seconds < 0.01 else f"{seconds * 1e3:8.1f} ms"


async def time_load(path: Path, data: Path, runs: int) -> list[float]:
    timings = []
    for run in range(runs):
        db_path = path / f"load-{data.name}-{run}.sqlite3"
        db = await Database.open(db_path)
        start = time.perf_counter()
        await load_data_dir(db, data)
        timings.append(time.perf_counter() - start)
        await db.close()
    return timings


async def time_core(
    call: Callable[[str], Awaitable[object]], words: list[str]
) -> tuple[list[float], float]:
    """Wall-clock time of each call, and the CPU time per call of the whole process (the
    event loop and SQLite's thread): a machine busy with other work moves the first far
    more than the second."""
    samples = []
    cpu = time.process_time()
    for word in words:
        start = time.perf_counter()
        await call(word)
        samples.append(time.perf_counter() - start)
    return samples, (time.process_time() - cpu) / len(words)


def time_raw(db_path: Path, command: str, words: list[str]) -> list[float]:
    sql, params = RAW_SQL[command]
    connection = sqlite3.connect(db_path)
    samples = []
    for word in words:
        start = time.perf_counter()
        connection.execute(sql, params(word)).fetchall()
        samples.append(time.perf_counter() - start)
    connection.close()
    return samples


def cold_start(args: list[str], env: dict[str, str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, env=env, capture_output=True, check=True)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


async def hop_baseline(db: Database, runs: int) -> tuple[float, float]:
    """`select 1` through aiosqlite: the thread hop every async query pays."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await db.fetch_one("SELECT 1")
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def load_in_subprocess(db_path: Path, data: Path, env: dict[str, str]) -> tuple[float, float]:
    """`confbot load` of a data folder as its own process: (seconds, peak RSS in MB)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--db", str(db_path), "--data", str(data), "load"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"confbot load failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


Row = tuple[str, tuple[float, float], tuple[float, float], float, float]


def uncached_core(db: Database, rng: random.Random) -> Core:
    """A core that computes every answer; the code before the answer cache (run with
    `--db`, its checkout on PYTHONPATH) has no such option and computes them anyway."""
    if "answer_cache_size" in inspect.signature(Core).parameters:
        return Core(db, rng=rng, answer_cache_size=0)
    return Core(db, rng=rng)


async def time_commands(db_path: Path, queries_count: int) -> tuple[list[Row], tuple[float, float]]:
    """The four commands through the core and their raw statements, on one database."""
    rng = random.Random(7)
    db = await Database.open(db_path)
    # Each answer computed (the answer cache off), as the code before the cache did; "again"
    # rows below are the same questions asked a second time, answered from the cache.
    core = uncached_core(db, rng)
    words = [rng.choice(vocabulary(2000, random.Random(42))) for _ in range(queries_count)]
    names = [rng.choice(FIRST) for _ in range(queries_count)]
    await core.talk(words[0])  # warm the name index once, as a running bot has
    await core.nugget()  # and the nugget ids it picks from
    rows = []
    for command, call, inputs in (
        ("talk", core.talk, words),
        ("speaker", core.speaker, names),
        ("nugget", lambda _word: core.nugget(), words),
        ("search", core.search, words),
    ):
        core_samples, core_cpu = await time_core(call, inputs)
        raw_cpu = time.process_time()
        raw_samples = time_raw(db_path, command, inputs)
        raw_cpu = (time.process_time() - raw_cpu) / len(inputs)
        rows.append(
            (command, percentiles(core_samples), percentiles(raw_samples), core_cpu, raw_cpu)
        )
    cached = Core(db, rng=rng)
    for command, inputs in (("talk", words), ("search", words)):
        call = cached.talk if command == "talk" else cached.search
        for word in inputs:
            await call(word)
        core_samples, core_cpu = await time_core(call, inputs)
        raw = next(row for row in rows if row[0] == command)
        rows.append((f"{command} again", percentiles(core_samples), raw[2], core_cpu, raw[4]))
    hop = await hop_baseline(db, queries_count)
    await db.close()
    return rows, hop


def print_commands(rows: list[Row], hop: tuple[float, float]) -> None:
    header = ("command", "core p50", "core p99", "raw p50", "raw p99")
    print(
        f"{header[0]:<12} " + " ".join(f"{h:>12}" for h in header[1:]) + "  p50 ratio (<= 3x)"
        "   CPU/cmd core, raw, ratio"
    )
    for command, (core_p50, core_p99), (raw_p50, raw_p99), core_cpu, raw_cpu in rows:
        print(
            f"{command:<12} {micros(core_p50):>12} {micros(core_p99):>12} "
            f"{micros(raw_p50):>12} {micros(raw_p99):>12}  {core_p50 / raw_p50:5.1f}x"
            f"          {micros(core_cpu).strip()}, {micros(raw_cpu).strip()}, "
            f"{core_cpu / raw_cpu:.1f}x"
        )
    print(f"{'hop':<12} {micros(hop[0]):>12} {micros(hop[1]):>12}   (aiosqlite `select 1`)")


async def run(talks: int, queries_count: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env = {k: v for k, v in env.items() if not k.startswith(("DISCORD_", "SLACK_", "CONFBOT_"))}
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        synthetic = root / "synthetic"
        write_dataset(synthetic, talks=talks)
        bundled_loads = await time_load(root, BUNDLED, runs=5)
        db_path = root / "synthetic.sqlite3"
        big_load, load_rss_mb = load_in_subprocess(db_path, synthetic, env)
        rows, hop = await time_commands(db_path, queries_count)
        serve_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        # As installed: bytecode cached (pip compiles it at install time). This machine sets
        # PYTHONDONTWRITEBYTECODE, which would recompile every module on every start.
        ask_env = {**env, "CONFBOT_DB": str(root / "load-data-0.sqlite3")}
        ask_env.pop("PYTHONDONTWRITEBYTECODE", None)
        cold_start([sys.executable, "-m", "bot", "ask", "/talk keynote"], ask_env, runs=1)
        ask = cold_start([sys.executable, "-m", "bot", "ask", "/talk keynote"], ask_env, runs=10)
        bare = cold_start([sys.executable, "-c", "import sqlite3"], ask_env, runs=10)
        floor = cold_start([sys.executable, "-c", "import asyncio, aiosqlite"], ask_env, runs=10)

    print(f"confbot core benchmark: {talks} talks, {talks * 10} nuggets, {queries_count} queries")
    print()
    print_commands(rows, hop)
    print()
    print(
        f"load bundled data: median {statistics.median(bundled_loads) * 1000:.0f} ms, "
        f"best {min(bundled_loads) * 1000:.0f} ms (target <= 300 ms)"
    )
    print(
        f"load {talks} synthetic talks (`confbot load`): {big_load:.2f} s, "
        f"peak RSS {load_rss_mb:.0f} MB"
    )
    print(f"peak RSS answering queries on the 10k set: {serve_rss_mb:.0f} MB (target <= 120 MB)")
    print(
        f'cold `confbot ask "/talk keynote"`: {ask * 1000:.0f} ms vs '
        f'`python -c "import sqlite3"`: {bare * 1000:.0f} ms = {ask / bare:.1f}x (target <= 4x)'
    )
    print(
        f"  (the floor for any asyncio + aiosqlite program here: {floor * 1000:.0f} ms "
        f"= {floor / bare:.1f}x)"
    )


def sized_main(
    bench: Callable[[int, int], Coroutine[Any, Any, None]],
    doc: str | None,
    argv: list[str] | None,
    *,
    on_db: Callable[[Path, int], None] | None = None,
) -> None:
    """Run a bench over the synthetic set with its --talks and --queries from the command
    line; with `on_db`, also --db: only time the commands on an existing database."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--talks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    if on_db is not None:
        parser.add_argument(
            "--db",
            type=Path,
            help="only time the commands, on this database of the synthetic set (made by "
            "`python -m bench.synthetic` and `confbot load`): to compare two versions of the "
            "code on the same data, each run on its own copy, taking turns",
        )
    args = parser.parse_args(argv)
    if on_db is not None and args.db is not None:
        on_db(args.db, args.queries)
        return
    asyncio.run(bench(args.talks, args.queries))


def _time_db(path: Path, queries: int) -> None:
    rows, hop = asyncio.run(time_commands(path, queries))
    print(f"confbot core benchmark: {path}, {queries} queries")
    print_commands(rows, hop)


def main(argv: list[str] | None = None) -> None:
    sized_main(run, __doc__, argv, on_db=_time_db)


if __name__ == "__main__":
    main()
