"""Benchmark of community defaults: `python -m bench.community` prints figures, asserts nothing.

On the synthetic set of bench.core (10 conferences, 10,000 talks, 100,000 nuggets), the same
one-word /talk, /speaker, /nugget and /search through `Core.run`, in one run, for:
- the console (no community): the reference;
- a server about one conference (/conference use synthconf-03);
- a server about three of them;
- the same one-conference server with the community cache re-read before every command
  (what a query per command for the community's conferences would cost).
Each figure is printed beside the reference and as a ratio of it (the machine is shared and
noisy; only same-run ratios compare).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.core import micros, percentiles, sized_main
from bench.synthetic import FIRST, vocabulary, write_dataset
from bot.commands.invocation import Invocation
from bot.commands.registry import NOBODY, Caller
from bot.core import Core
from bot.store.content import load_data_dir
from bot.store.db import Database

ONE = Caller("discord", "1", "G-one", "C1", admin=True)
THREE = Caller("discord", "1", "G-three", "C1", admin=True)
COMMANDS: dict[str, Callable[[str], Invocation]] = {
    "talk": lambda word: Invocation.of("talk", query=word),
    "speaker": lambda word: Invocation.of("speaker", query=word),
    "nugget": lambda word: Invocation.of("nugget"),
    "search": lambda word: Invocation.of("search", text=word),
}


async def timed(core: Core, caller: Caller, command: str, words: list[str]) -> list[float]:
    make = COMMANDS[command]
    samples = []
    for word in words:
        start = time.perf_counter()
        await core.run(make(word), caller)
        samples.append(time.perf_counter() - start)
    return samples


async def run(talks: int, count: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        write_dataset(root / "synthetic", talks=talks)
        db = await Database.open(root / "synthetic.sqlite3")
        await load_data_dir(db, root / "synthetic")
        core = Core(db, rng=rng)
        await core.ask("/conference use synthconf-03", ONE)
        await core.ask("/conference use synthconf-01 synthconf-03 synthconf-07", THREE)
        words = [rng.choice(vocabulary(2000, random.Random(42))) for _ in range(count)]
        names = [rng.choice(FIRST) for _ in range(count)]
        await core.talk(words[0])  # warm the name index once, as a running bot has
        rows = []
        for command in COMMANDS:
            inputs = names if command == "speaker" else words
            # Taking turns, so that other work on the machine falls on all four alike.
            console, one, three, uncached = [], [], [], []
            for start in range(0, count, 50):
                part = inputs[start : start + 50]
                console += await timed(core, NOBODY, command, part)
                one += await timed(core, ONE, command, part)
                three += await timed(core, THREE, command, part)
                core.version_check_seconds = 0.0  # re-read the community before each command
                uncached += await timed(core, ONE, command, part)
                core.version_check_seconds = 2.0
            rows.append((command, console, one, three, uncached))
        await db.close()

    print(f"community defaults: {talks} talks in 10 conferences, {count} commands each")
    print()
    print(
        f"{'command':<8} {'console p50':>12} {'1 conf p50':>12} {'3 confs p50':>12} "
        f"{'uncached p50':>13}   ratios to the console (1 conf, 3 confs, uncached)"
    )
    for command, console, one, three, uncached in rows:
        base = percentiles(console)[0]
        figures = [percentiles(s)[0] for s in (one, three, uncached)]
        print(
            f"{command:<8} {micros(base):>12} {micros(figures[0]):>12} "
            f"{micros(figures[1]):>12} {micros(figures[2]):>13}   "
            + ", ".join(f"{f / base:.2f}x" for f in figures)
        )
    print()
    print("uncached: the community's conferences, the data version and the loaded slugs read")
    print("before every command (the console pays the data version only every 2 s)")


def main(argv: list[str] | None = None) -> None:
    sized_main(run, __doc__, argv)


if __name__ == "__main__":
    main()
