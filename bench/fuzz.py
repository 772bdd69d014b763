"""Hostile input at scale: `python -m bench.fuzz` prints the figures, asserts nothing.

On a synthetic set of 10,000 talks with timed transcripts (bench/synthetic.py) plus the
CCCamp 2019 schedule (timed talks and rooms, from ../shared/samples when it is there), it
sends a seeded hostile set through every entry point a front end uses (`Core.ask` for each
command, and autocomplete) and prints, side by side in one run with the same number of
benign queries:
- inputs per second, and the exceptions that escaped (target: 0);
- p50 / p99 answer time over the hostile set, the worst single answer and what it was
  (target: worst <= 250 ms), beside the benign p50 / p99 and the ratio; in wall-clock time
  and in CPU time of the process (all threads: the SQLite worker too), which other work on
  a shared machine does not inflate;
- how many hostile inputs hit the store's query budget (answered "too broad").

The hostile set draws on the same pieces as the property tests (tests/fuzz/strategies.py):
unicode of every plane with lone surrogates, digits of other scripts, control and bidi
characters, huge strings, FTS5 and SQL syntax, LIKE wildcards, dates at the calendar's edges,
repeated and common words, mentions.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.synthetic import FIRST, SPOKEN, vocabulary, write_dataset
from bot.answer import Answer, Choice
from bot.core import Core
from bot.store.content import load_data_dir, replace_conferences
from bot.store.db import Database
from tests.fakes.clock import FakeClock
from tests.fuzz import strategies as pieces

REPO = Path(__file__).resolve().parents[1]
CAMP = REPO.parent / "shared" / "samples" / "frab-camp2019.json"
DURING_CAMP = datetime(2019, 8, 21, 11, 10, tzinfo=ZoneInfo("Europe/Berlin"))

CONFERENCES = ["camp2019", "synthconf-01", "%", "\udcff", "a" * 80]
Call = Callable[[Core], Awaitable[Answer | list[Choice]]]


def hostile_argument(rng: random.Random) -> str:
    kind = rng.randrange(9)
    if kind == 0:  # random code points of every plane, surrogates included
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(1, 40)))
    if kind == 1:
        piece = rng.choice(["a", "%", "_", "\\", "you ", "\udcff", "²", "\u202e", '"', "𝟘 "])
        return piece * rng.randint(201, 60_000)
    if kind == 2:  # one common word, many times
        return " ".join([rng.choice(pieces.COMMON_WORDS)] * rng.randint(2, 80))
    if kind == 3:  # many common words: the broadest query there is
        return " ".join(rng.choices(SPOKEN, k=rng.randint(6, 40)))
    tokens = (
        pieces.WORDS
        + pieces.OTHER_DIGITS
        + pieces.SURROGATES
        + pieces.CONTROLS
        + pieces.FTS5_SYNTAX
        + pieces.SQL_SYNTAX
        + pieces.DAYS
        + pieces.MENTIONS
        + pieces.COMMON_WORDS
    )
    return " ".join(rng.choice(tokens) for _ in range(rng.randint(1, 8)))


def hostile_inputs(rng: random.Random, count: int) -> list[tuple[str, Call]]:
    """`count` (label, call) pairs: command lines through Core.ask, and autocomplete."""
    inputs: list[tuple[str, Call]] = []
    for _ in range(count):
        argument = hostile_argument(rng)
        if rng.random() < 0.2:
            which = rng.choice(["talks", "speakers", "rooms", "days", "conferences"])
            inputs.append((f"suggest {which} {argument!r}", _suggest(which, argument)))
            continue
        command = rng.choice(pieces.COMMANDS)
        parts = ["/" + command, argument]
        if rng.random() < 0.3:
            parts.append(f"--page {rng.choice([*pieces.OTHER_DIGITS, '0', '9999', '٣', '-1'])}")
        if rng.random() < 0.2:
            parts.append("--conference " + rng.choice(CONFERENCES))
        if command == "schedule" and rng.random() < 0.5:
            parts.insert(1, rng.choice(pieces.DAYS))
        line = " ".join(parts)
        inputs.append((line, _ask(line)))
    return inputs


def benign_inputs(rng: random.Random, count: int) -> list[tuple[str, Call]]:
    """The same number of ordinary questions: a word, a name, a room."""
    words = vocabulary(2000, random.Random(42))
    inputs: list[tuple[str, Call]] = []
    for _ in range(count):
        line = rng.choice(
            [
                f"/talk {rng.choice(words)}",
                f"/search {rng.choice(words)}",
                f"/search {rng.choice(words)} {rng.choice(words)}",
                f"/speaker {rng.choice(FIRST)}",
                f"/nugget {rng.choice(FIRST)}",
                "/nugget",
                "/now",
                f"/next {rng.choice(['curie', 'hall', ''])}",
                f"/schedule {rng.choice(['today', 'tomorrow', 'day 2', 'friday'])}",
            ]
        )
        inputs.append((line, _ask(line)))
    return inputs


def _ask(line: str) -> Call:
    return lambda core: core.ask(line)


def _suggest(which: str, text: str) -> Call:
    def call(core: Core) -> Awaitable[Answer | list[Choice]]:
        if which == "talks":
            return core.suggest_talks(text)
        if which == "speakers":
            return core.suggest_speakers(text)
        if which == "rooms":
            return core.programme.suggest_rooms(text)
        if which == "days":
            return core.programme.suggest_days(text)
        return core.programme.suggest_conferences(text)

    return call


@dataclass
class Run:
    samples: list[tuple[float, str]]  # wall-clock seconds and the input
    cpu: list[float]  # CPU seconds of the process, per input
    escaped: collections.Counter[str]  # exceptions by kind
    too_broad: int  # answers that hit the query budget
    wall: float  # of the whole run


async def measure(core: Core, inputs: list[tuple[str, Call]]) -> Run:
    samples: list[tuple[float, str]] = []
    cpu: list[float] = []
    escaped: collections.Counter[str] = collections.Counter()
    too_broad = 0
    started = time.perf_counter()
    for label, call in inputs:
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            result = await call(core)
        except Exception as error:  # the figure this benchmark exists for
            escaped[f"{type(error).__name__}: {str(error)[:60]}"] += 1
            result = None
        samples.append((time.perf_counter() - start, label))
        cpu.append(time.process_time() - start_cpu)
        if isinstance(result, Answer) and result.title == "Too broad":
            too_broad += 1
    return Run(samples, cpu, escaped, too_broad, time.perf_counter() - started)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


async def build(db_path: Path, talks: int, transcript_words: int) -> float:
    """Write and load the synthetic set (and import the camp schedule); the load's seconds."""
    with tempfile.TemporaryDirectory() as temp:
        data = Path(temp) / "synthetic"
        write_dataset(data, talks=talks, transcript_words=transcript_words)
        db = await Database.open(db_path)
        start = time.perf_counter()
        await load_data_dir(db, data)
        if CAMP.is_file():
            from bot.sources.detect import load_schedule

            await replace_conferences(db, [load_schedule(CAMP)], origin="import")
        elapsed = time.perf_counter() - start
        await db.close()
    return elapsed


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as temp:
        db_path = args.db or Path(temp) / "fuzz.sqlite3"
        load_seconds = None
        if not db_path.exists():
            load_seconds = await build(db_path, args.talks, args.transcript_words)
        db = await Database.open(db_path, query_budget=args.budget_ms / 1000)
        core = Core(db, rng=random.Random(3), clock=FakeClock(DURING_CAMP))
        await core.ask("/talk warm")  # the name index, as a running bot has it
        await core.ask("/talk dockr")  # and the spelling vocabulary
        rng = random.Random(args.seed)
        hostile = hostile_inputs(rng, args.inputs)
        benign = benign_inputs(rng, args.inputs)
        quiet = await measure(core, benign)
        loud = await measure(core, hostile)
        await db.close()

    samples, escaped = loud.samples, loud.escaped
    times = [t for t, _ in samples]
    benign_times = [t for t, _ in quiet.samples]
    worst_time, worst_label = max(samples)
    print(
        f"confbot fuzz benchmark: {args.talks} talks with {args.transcript_words}-word timed "
        f"transcripts, {args.inputs} hostile and {args.inputs} benign inputs, "
        f"query budget {args.budget_ms:.0f} ms"
    )
    if load_seconds is not None:
        print(f"(built and loaded the set in {load_seconds:.1f} s)")
    print()
    print(f"inputs per second (hostile): {len(samples) / loud.wall:8.0f}")
    print(f"exceptions escaped:          {sum(escaped.values()):8d}   (target 0)")
    for kind, count in escaped.most_common(10):
        print(f"    {count:6d} × {kind}")
    if quiet.escaped:
        print(f"  (benign set: {sum(quiet.escaped.values())} escaped)")
    print(f"answered 'too broad':        {loud.too_broad:8d}   (the query budget stopped a query)")
    print()
    print(f"{'':9} {'p50':>11} {'p99':>11} {'worst':>11}")
    print(
        f"{'hostile':9} {ms(statistics.median(times)):>11} {ms(percentile(times, 0.99)):>11} "
        f"{ms(worst_time):>11}   (target: worst <= 250 ms)"
    )
    print(
        f"{'benign':9} {ms(statistics.median(benign_times)):>11} "
        f"{ms(percentile(benign_times, 0.99)):>11} {ms(max(benign_times)):>11}"
    )
    p50_ratio = statistics.median(times) / statistics.median(benign_times)
    p99_ratio = percentile(times, 0.99) / percentile(benign_times, 0.99)
    print(f"ratio hostile / benign: p50 {p50_ratio:.1f}x, p99 {p99_ratio:.1f}x")
    print("CPU time per answer (not inflated by other work on the machine):")
    for name, cpu in (("hostile", loud.cpu), ("benign", quiet.cpu)):
        print(
            f"{name:9} {ms(statistics.median(cpu)):>11} {ms(percentile(cpu, 0.99)):>11} "
            f"{ms(max(cpu)):>11}"
        )
    print(f"worst single answer: {worst_label[:100]!r}")
    slowest = sorted(samples, reverse=True)[1:6]
    print("next slowest:")
    for seconds, label in slowest:
        print(f"  {ms(seconds)}  {label[:90]!r}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--talks", type=int, default=10_000)
    parser.add_argument("--transcript-words", type=int, default=600)
    parser.add_argument("--inputs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--budget-ms", type=float, default=200.0)
    parser.add_argument(
        "--db",
        type=Path,
        help="reuse (or build once into) this database file instead of a temporary one",
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
