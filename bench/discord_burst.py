"""Burst benchmark of the Discord front end: `python -m bench.discord_burst` prints only.

The real bot (`serve`, the function `confbot run` uses, pointed at the fake through the
DISCORD_API_BASE / DISCORD_GATEWAY_URL settings, after `sync_commands` to the fake's guild,
over a real SQLite file with the bundled data) answers bursts of slash commands fired by
`tests.fakes.discord.FakeDiscord`.

By default the fake runs in a subprocess: Discord is another machine, and a fake sharing the
bot's process (its one event loop and GIL) would charge its own JSON, validation and
bookkeeping to the bot. `--in-process` runs both in one process for comparison.

Two bursts by default: "talk" (1,000 /talk with varied queries) and "mixed" (/talk, /search,
/speaker, /nugget and /talk autocomplete). Each fires N commands with at most
`--concurrency` in flight (bounded batches), after a warm-up. Latency is measured by the fake,
from sending the interaction to holding the bot's answer (the interaction callback). Printed
per burst: answered count, throughput, p50/p99/max latency, and the CPU time per command of
the bot's process (event loop plus the SQLite thread) and of the fake's; then the bot's peak
RSS.

Machines differ by 3x, so the same bursts also go, against the same fake, to a trivial
discord.py bot (`bench.trivial_bot`: the same commands, each answering a constant embed: the
ceiling discord.py itself allows), and confbot's throughput is printed as a share of that
bot's (the goal: 0.9 or more), in `--rounds` turns (median ratio printed). The trivial bot
runs twice: answering with discord.py's public `send_message` ("public", the goal's
reference), and answering as confbot does, with no message asked back ("lean",
`bot/frontends/discord/callback.py`): like for like, what confbot's own code costs.
`--no-baseline` skips both. Once each bot is ready, the process settles its heap as `confbot
run` does once started (`bot.app.settle_heap`), for every bot alike.

`--profile-fake FILE` runs the fake's bursts under cProfile (confbot's into FILE, the trivial
bot's into FILE.trivial and FILE.trivial-lean; `python -m pstats FILE`). The fake's process
freezes what it holds out of the garbage collector before each burst (`gc.freeze`): it keeps
every request, interaction and message for tests to read, and full collections over that
growing history would otherwise be charged to each later command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import logging
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data"

TALK_QUERIES = (
    "keynote",
    "data",
    "python",
    "crontab",
    "vicki",
    "docker",
    "fairytale",
    "normconf-2022/an-ml-fairytale",
    "recommender",
    "spreadsheets",
    "geriatric data science",
    "closing",
    "sql",
    "testing",
)
SPEAKER_QUERIES = ("vicki", "vincent", "joel", "chris albon", "luca", "james")
SEARCH_QUERIES = ("crontab", "data", "pandas", "docker container", "airflow", "model")
PREFIXES = ("da", "ke", "py", "vi", "do", "sq", "")

MIXES = ("talk", "mixed")


@dataclass(frozen=True)
class Burst:
    mix: str
    sent: int
    answered: int
    failed: int
    elapsed: float
    latencies: list[float]
    errors: list[str]
    bot_cpu: float = 0.0  # CPU seconds the bot's process spent during the burst
    fake_cpu: float = 0.0  # CPU seconds the fake's process spent during the burst

    @property
    def rate(self) -> float:
        """Answered commands per second."""
        return self.answered / self.elapsed if self.elapsed else 0.0

    def line(self) -> str:
        lat = sorted(self.latencies)
        p50 = _percentile(lat, 50) * 1000
        p99 = _percentile(lat, 99) * 1000
        rate = self.rate
        return (
            f"{self.mix:<6} answered {self.answered}/{self.sent} ({self.failed} failed)  "
            f"{rate:7.0f} commands/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
            f"max {lat[-1] * 1000 if lat else 0:6.1f} ms"
        )

    def cpu_line(self) -> str:
        per = max(1, self.sent)
        return (
            f"{'':<6} CPU per command: bot {self.bot_cpu / per * 1e6:.0f} us "
            f"(both threads: event loop and SQLite), fake {self.fake_cpu / per * 1e6:.0f} us"
        )


def _percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, round(pct / 100 * len(values)) - 1))
    return values[index]


# --------------------------------------------------------------------------------------------
# The fake's side: fire the commands


def _command(rng: random.Random, mix: str) -> tuple[str, str, dict[str, Any]]:
    """(kind, command, options): kind is "invoke" or "autocomplete"."""
    if mix == "talk":
        return "invoke", "talk", {"query": rng.choice(TALK_QUERIES)}
    roll = rng.random()
    if roll < 0.45:
        return "invoke", "talk", {"query": rng.choice(TALK_QUERIES)}
    if roll < 0.60:
        return "invoke", "search", {"text": rng.choice(SEARCH_QUERIES)}
    if roll < 0.72:
        return "invoke", "speaker", {"query": rng.choice(SPEAKER_QUERIES)}
    if roll < 0.84:
        return "invoke", "nugget random", {}  # /nugget is a group: random, submit, review
    return "autocomplete", "talk", {"query": rng.choice(PREFIXES)}


async def fire(fake: Any, count: int, concurrency: int, mix: str, seed: int = 7) -> Burst:
    """Fire `count` commands at the bot through `fake`, `concurrency` at a time."""
    rng = random.Random(seed)
    plan = [_command(rng, mix) for _ in range(count)]
    latencies: list[float] = []
    errors: list[str] = []
    answered = 0
    queue: asyncio.Queue[tuple[str, str, dict[str, Any]]] = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)

    async def worker() -> None:
        nonlocal answered
        while True:
            try:
                kind, name, options = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            try:
                if kind == "autocomplete":
                    await fake.autocomplete(name, options, focused="query")
                else:
                    command, _, sub = name.partition(" ")
                    result = await fake.invoke(
                        command, options, subcommand=sub or None, wait_after_defer=True
                    )
                    if result.type is None or result.errors:
                        raise RuntimeError(f"{result!r}")
            except Exception as error:
                errors.append(f"/{name} {options}: {type(error).__name__}: {error}"[:300])
                continue
            latencies.append(time.perf_counter() - started)
            answered += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    elapsed = time.perf_counter() - started
    return Burst(mix, count, answered, count - answered, elapsed, latencies, errors[:5])


async def _serve_fake(profile_to: str | None = None) -> None:
    """The subprocess: a FakeDiscord on 127.0.0.1, driven by JSON lines on stdin. With
    `profile_to`, every burst (warm-ups too) runs under cProfile: the stats of confbot's
    bursts are dumped to that file, the trivial bot's to the same name + ".trivial"."""
    from tests.fakes.discord import FakeDiscord

    profilers: dict[str, cProfile.Profile] = {}

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with FakeDiscord(token="bench-token") as fake:
        _emit(
            {
                "api_base": fake.api_base,
                "gateway_url": fake.gateway_url,
                "token": fake.token,
                "guild_id": fake.guild_id,
            }
        )
        while line := await reader.readline():
            request = json.loads(line)
            if request["op"] == "quit":
                break
            if request["op"] == "ready":
                await _wait_for_identify(fake, int(request.get("identifies", 1)))
                await fake.wait_until_identified(timeout=30)
                await fake.wait_for_commands(guild_id=fake.guild_id, timeout=30)
                _emit({"ready": True})
            elif request["op"] == "burst":
                # The fake keeps every request, interaction and message of the run for tests to
                # read; without this the GC's full collections would go over all of that again
                # and again, a cost that grows with the run and that Discord does not have.
                gc.freeze()
                cpu = _cpu_seconds()
                who = str(request.get("who", "confbot"))
                profiler = profilers.setdefault(who, cProfile.Profile()) if profile_to else None
                if profiler is not None:
                    profiler.enable()
                burst = await fire(
                    fake, request["count"], request["concurrency"], request["mix"], request["seed"]
                )
                if profiler is not None:
                    profiler.disable()
                    suffix = "" if who == "confbot" else f".{who}"
                    profiler.dump_stats(f"{profile_to}{suffix}")
                _emit(
                    {
                        "burst": burst.__dict__,
                        "fake_cpu": _cpu_seconds() - cpu,
                        "unhandled": len(fake.unhandled),
                    }
                )


async def _wait_for_identify(fake: Any, count: int) -> None:
    """Until the `count`-th client (this run's bots take turns) has IDENTIFYed."""
    await fake.wait_until(
        lambda: fake.identify_count >= count or None, timeout=30, what=f"IDENTIFY #{count}"
    )


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# The bot's side


async def _open_core(folder: Path) -> tuple[Any, Any]:
    from bot.core import Core
    from bot.store.content import load_data_dir
    from bot.store.db import Database

    db = await Database.open(folder / "bench.sqlite3")
    await load_data_dir(db, BUNDLED)
    return db, Core(db, rng=random.Random(3))


class _FakeProcess:
    """The fake in a subprocess, spoken to in JSON lines."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, profile_to: str | None = None) -> tuple[_FakeProcess, dict[str, Any]]:
        profile = ["--profile-fake", profile_to] if profile_to else []
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.discord_burst",
            "--serve-fake",
            *profile,
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024,
        )
        fake = cls(process)
        return fake, await fake.read()

    async def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 300)
        if not line:
            raise RuntimeError("the fake process ended")
        payload: dict[str, Any] = json.loads(line)
        return payload

    async def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        await self.process.stdin.drain()
        return await self.read()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            assert self.process.stdin is not None
            self.process.stdin.write(b'{"op": "quit"}\n')
            await self.process.stdin.drain()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _start_bot(core: Any, db: Any, info: dict[str, Any]) -> asyncio.Task[None]:
    from bot.config import DiscordSettings, Secret
    from bot.frontends.discord import serve, sync_commands

    settings = DiscordSettings(
        token=Secret(info["token"]),
        api_base=info["api_base"],
        gateway_url=info["gateway_url"],
    )
    await sync_commands(settings, info["guild_id"])
    return asyncio.create_task(serve(core, db, settings, guild_ready_timeout=0.05))


def _settle_heap() -> None:
    """What `confbot run` does once its front ends have started; done for both bots, once
    each is ready, so neither's bursts pay full collections over start-up's objects."""
    from bot.app import settle_heap

    settle_heap()


async def _stop_bot(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(task, 10)


def _print_bursts(bursts: list[Burst]) -> None:
    for burst in bursts:
        print("  " + burst.line())
        if burst.bot_cpu:
            print("  " + burst.cpu_line())
        for error in burst.errors:
            print("    error:", error)


# The trivial bot's two ways to answer (bench/trivial_bot.py): the goal's reference first.
CEILINGS = {
    "public": "the trivial discord.py bot (constant embed, discord.py's send_message)",
    "lean": "the trivial bot answering as confbot does (callback.py: no message back)",
}


async def _start_baseline(info: dict[str, Any], ceiling: str) -> tuple[asyncio.Task[None], Any]:
    from bench.trivial_bot import serve_trivial
    from bot.frontends.discord.serve import discord_endpoints

    endpoints = discord_endpoints(info["api_base"], info["gateway_url"])
    endpoints.__enter__()
    serving = serve_trivial(info["token"], info["guild_id"], lean=ceiling == "lean")
    return asyncio.create_task(serving), endpoints


async def _bursts_through(
    fake: _FakeProcess, args: argparse.Namespace, who: str = "confbot"
) -> list[Burst]:
    bursts: list[Burst] = []
    for mix in args.mix:
        request = {"op": "burst", "concurrency": args.concurrency, "mix": mix, "who": who}
        await fake.ask({**request, "count": args.warmup, "seed": 1})
        cpu = _cpu_seconds()
        reply = await fake.ask({**request, "count": args.count, "seed": 2})
        reply["burst"]["bot_cpu"] = _cpu_seconds() - cpu
        reply["burst"]["fake_cpu"] = reply["fake_cpu"]
        bursts.append(Burst(**reply["burst"]))
    return bursts


Round = tuple[list[Burst], dict[str, list[Burst]]]  # confbot's bursts, each ceiling's


async def run_subprocess(args: argparse.Namespace) -> list[Round]:
    """`--rounds` rounds of confbot's bursts, then the trivial bot's, against one fake: taking
    turns spreads a busy machine's noise over both."""
    with tempfile.TemporaryDirectory() as folder:
        db, core = await _open_core(Path(folder))
        fake, info = await _FakeProcess.start(args.profile_fake)
        bot_task: asyncio.Task[None] | None = None
        rounds: list[Round] = []
        identifies = 0
        try:
            for _ in range(max(1, args.rounds)):
                bot_task = await _start_bot(core, db, info)
                identifies += 1
                await fake.ask({"op": "ready", "identifies": identifies})
                _settle_heap()
                bursts = await _bursts_through(fake, args)
                await _stop_bot(bot_task)
                bot_task = None
                baselines: dict[str, list[Burst]] = {}
                for ceiling in CEILINGS if args.baseline else ():
                    bot_task, endpoints = await _start_baseline(info, ceiling)
                    identifies += 1
                    try:
                        await fake.ask({"op": "ready", "identifies": identifies})
                        _settle_heap()
                        who = "trivial" if ceiling == "public" else f"trivial-{ceiling}"
                        baselines[ceiling] = await _bursts_through(fake, args, who)
                    finally:
                        await _stop_bot(bot_task)
                        bot_task = None
                        endpoints.__exit__(None, None, None)
                rounds.append((bursts, baselines))
            return rounds
        finally:
            if bot_task is not None:
                await _stop_bot(bot_task)
            await fake.stop()
            await db.close()


async def run_in_process(args: argparse.Namespace) -> list[Round]:
    from tests.fakes.discord import FakeDiscord

    with tempfile.TemporaryDirectory() as folder:
        db, core = await _open_core(Path(folder))
        async with FakeDiscord(token="bench-token") as fake:
            info = {
                "api_base": fake.api_base,
                "gateway_url": fake.gateway_url,
                "token": fake.token,
                "guild_id": fake.guild_id,
            }

            async def bursts_through() -> list[Burst]:
                bursts: list[Burst] = []
                for mix in args.mix:
                    await fire(fake, args.warmup, args.concurrency, mix, 1)
                    bursts.append(await fire(fake, args.count, args.concurrency, mix, 2))
                return bursts

            bot_task = await _start_bot(core, db, info)
            try:
                await fake.wait_until_identified(timeout=30)
                _settle_heap()
                bursts = await bursts_through()
            finally:
                await _stop_bot(bot_task)
                await db.close()
            baselines: dict[str, list[Burst]] = {}
            for identifies, ceiling in enumerate(CEILINGS if args.baseline else (), 2):
                bot_task, endpoints = await _start_baseline(info, ceiling)
                try:
                    await _wait_for_identify(fake, identifies)
                    await fake.wait_until_identified(timeout=30)
                    _settle_heap()
                    baselines[ceiling] = await bursts_through()
                finally:
                    await _stop_bot(bot_task)
                    endpoints.__exit__(None, None, None)
            return [(bursts, baselines)]


def _ratio(ours: Burst, ceiling: Burst) -> float:
    return ours.rate / ceiling.rate if ceiling.rate else 0.0


def _print_rounds(rounds: list[Round]) -> None:
    for number, (bursts, baselines) in enumerate(rounds, 1):
        print(f" round {number}: confbot")
        _print_bursts(bursts)
        for ceiling, baseline in baselines.items():
            print(f" round {number}: {CEILINGS[ceiling]}, same fake")
            _print_bursts(baseline)
            for ours, top in zip(bursts, baseline, strict=True):
                print(
                    f"  {ours.mix:<6} confbot {ours.rate:.0f}/s = {_ratio(ours, top):.2f} of "
                    f"{ceiling} ceiling {top.rate:.0f}/s"
                )
    for ceiling, what in CEILINGS.items():
        measured = [(b, c[ceiling]) for b, c in rounds if c.get(ceiling)]
        if not measured:
            continue
        goal = " (goal 0.90)" if ceiling == "public" else ""
        print(f" confbot as a share of {what}, median over the rounds{goal}:")
        for index, burst in enumerate(rounds[0][0]):
            ratios = [_ratio(b[index], c[index]) for b, c in measured]
            # CPU time per command is steadier than throughput on a machine others share.
            by_cpu = [c[index].bot_cpu / b[index].bot_cpu for b, c in measured if b[index].bot_cpu]
            cpu = (
                f"; {statistics.median(by_cpu):.2f} by the bot's CPU per command" if by_cpu else ""
            )
            print(
                f"  {burst.mix:<6} {statistics.median(ratios):.2f} by throughput "
                f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}){cpu}"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.discord_burst", description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="commands per burst")
    parser.add_argument("--concurrency", type=int, default=16, help="commands in flight")
    parser.add_argument("--warmup", type=int, default=100, help="commands before each burst")
    parser.add_argument(
        "--mix", nargs="+", choices=MIXES, default=list(MIXES), help="bursts to run"
    )
    parser.add_argument("--in-process", action="store_true", help="run the fake in-process")
    parser.add_argument(
        "--rounds", type=int, default=3, help="turns of confbot then the trivial bot (default 3)"
    )
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the trivial discord.py bot (and the ratio)",
    )
    parser.add_argument(
        "--profile-fake",
        metavar="FILE",
        help="run the fake's bursts under cProfile and dump the stats to FILE (read them with "
        "`python -m pstats FILE`); its CPU figures then include the profiler's overhead",
    )
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if args.profile_fake:
        args.profile_fake = str(Path(args.profile_fake).resolve())  # the fake runs in REPO
    if args.serve_fake:
        asyncio.run(_serve_fake(args.profile_fake))
        return
    where = "in this process" if args.in_process else "in a subprocess"
    print(
        f"Discord burst: {args.count} commands per burst, {args.concurrency} in flight, "
        f"real discord.py {_discord_version()} bot, FakeDiscord {where}"
    )
    started = time.perf_counter()
    runner = run_in_process if args.in_process else run_subprocess
    rounds = asyncio.run(runner(args))
    _print_rounds(rounds)
    every = [lat for bursts, _ in rounds for burst in bursts for lat in burst.latencies]
    if every:
        print(f"  confbot mean {statistics.fmean(every) * 1000:.1f} ms over {len(every)} commands")
    what = "bot, core, SQLite and the fake" if args.in_process else "bot, core and SQLite"
    print(f"  bot peak RSS {_peak_rss_mb():.1f} MB (this process: {what})")
    print(f"  total {time.perf_counter() - started:.1f} s")


def _discord_version() -> str:
    import discord

    return discord.__version__


if __name__ == "__main__":
    main()
