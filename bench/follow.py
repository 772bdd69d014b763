"""Follow a live 1,000-event export for ~30 s: change-to-import latency, 304 share, CPU per poll.

    python -m bench.follow [--events 1000] [--seconds 30] [--interval 1] [--change-every 3]

A schedule server on 127.0.0.1 (tests.fakes.schedule_server, with ETag and Last-Modified)
runs in a subprocess, so this process's CPU time is the poller's alone; it republishes the
export with one talk retitled every `--change-every` seconds and says when. This process
follows it through `poll_due` (real store, real importer) at a bench-only interval below the
30 s minimum, and prints:

* change-to-import latency p50/p95 (publication to the import committed);
* the share of polls answered 304;
* CPU (process time, all threads) per unchanged poll, beside a same-run reference: one bare
  aiohttp conditional GET of the same URL on the same session (target ≤ 5 ms per poll);
  also per runner tick with nothing due, and per changed poll (fetch, parse, import).

The first import (from an empty database) is not counted as a change.

It only reports: a slow machine must not fail a build.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.make_pretalx import make_schedule
from bot.sources.follow import follow, poll_due
from bot.store.db import Database
from bot.store.sources import list_sources

REPO = Path(__file__).resolve().parents[1]
TARGET_CPU_MS = 5.0
TICK_SECONDS = 0.05


def export_bytes(document: dict[str, Any], version: int) -> bytes:
    day = document["schedule"]["conference"]["days"][0]
    first_room = next(iter(day["rooms"].values()))
    first_room[0]["title"] = f"Benchmark talk, revision {version}"
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


async def _serve(events: int, change_every: float) -> None:
    """The subprocess: serve the export, change it on a timer, report each change."""
    from tests.fakes.schedule_server import ScheduleServer

    document = make_schedule(events, days=2)
    version = 0
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    stdin_closed = asyncio.ensure_future(reader.read())
    async with ScheduleServer(export_bytes(document, version)) as server:
        _emit({"url": server.url, "bytes": len(server.body), "etag": server.etag})
        while not stdin_closed.done():
            await asyncio.wait({stdin_closed}, timeout=change_every)
            version += 1
            body = export_bytes(document, version)
            server.publish(body)
            _emit({"version": version, "etag": server.etag, "at": time.time()})


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


@dataclass
class Figures:
    size: int = 0
    published: dict[str, float] = field(default_factory=dict)  # etag -> when
    latencies: list[float] = field(default_factory=list)
    unchanged_cpu: list[float] = field(default_factory=list)
    imported_cpu: list[float] = field(default_factory=list)
    reference_cpu: list[float] = field(default_factory=list)
    idle_cpu: list[float] = field(default_factory=list)  # ticks with nothing due
    not_modified: int = 0
    same_body: int = 0
    failed: int = 0


async def _read_changes(stdout: asyncio.StreamReader, figures: Figures) -> None:
    while line := await stdout.readline():
        change = json.loads(line)
        figures.published[change["etag"]] = change["at"]


async def _bare_get_cpu(session: aiohttp.ClientSession, url: str, etag: str) -> float:
    started = time.process_time()
    async with session.get(url, headers={"If-None-Match": etag}) as reply:
        await reply.read()
    return time.process_time() - started


@contextlib.asynccontextmanager
async def changing_export(
    events: int, change_every: float
) -> AsyncIterator[tuple[dict[str, Any], asyncio.StreamReader]]:
    """The schedule server subprocess (`_serve`): its first line (url, bytes, etag) and the
    stream of its change lines (version, etag, at); stopped on exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.follow",
        "--serve",
        "--events",
        str(events),
        "--change-every",
        str(change_every),
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        first = json.loads(await asyncio.wait_for(process.stdout.readline(), 120))
        yield first, process.stdout
    finally:
        process.stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 10)
        if process.returncode is None:
            process.kill()


async def run(
    events: int, seconds: float, interval: float, change_every: float, fresh_session: bool
) -> Figures:
    figures = Figures()
    rng = random.Random(7)
    async with changing_export(events, change_every) as (first, stdout):
        url, figures.size = first["url"], first["bytes"]
        changes = asyncio.create_task(_read_changes(stdout, figures))
        try:
            with tempfile.TemporaryDirectory() as folder:
                db = await Database.open(Path(folder) / "bench.sqlite3")
                every = timedelta(seconds=interval)
                await follow(db, url, every, datetime.now(UTC), minimum=every)
                async with aiohttp.ClientSession() as session:
                    await _poll_for(db, session, url, seconds, rng, figures, fresh_session)
                await db.close()
        finally:
            changes.cancel()
    return figures


async def _poll_for(
    db: Database,
    session: aiohttp.ClientSession,
    url: str,
    seconds: float,
    rng: random.Random,
    figures: Figures,
    fresh_session: bool,
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.process_time()
        outcomes = await poll_due(
            db, datetime.now(UTC), rng=rng, session=None if fresh_session else session
        )
        cpu = time.process_time() - started
        finished = time.time()
        if not outcomes:
            figures.idle_cpu.append(cpu)
        for outcome in outcomes:
            if outcome.result == "imported":
                figures.imported_cpu.append(cpu)
                (source,) = await list_sources(db)
                published = figures.published.get(source.etag or "")
                if published is not None:
                    figures.latencies.append(finished - published)
            elif outcome.result == "unchanged":
                figures.unchanged_cpu.append(cpu)
                if outcome.detail == "not modified":
                    figures.not_modified += 1
                else:
                    figures.same_body += 1
                (source,) = await list_sources(db)
                figures.reference_cpu.append(await _bare_get_cpu(session, url, source.etag or ""))
            else:
                figures.failed += 1
        await asyncio.sleep(TICK_SECONDS)


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(figures: Figures, args: argparse.Namespace) -> str:
    polls = len(figures.imported_cpu) + len(figures.unchanged_cpu) + figures.failed
    lines = [
        f"followed a {args.events:,}-event export ({figures.size / 1e6:.1f} MB) for "
        f"{args.seconds:g} s, polling every {args.interval:g} s ±10 %, changed every "
        f"{args.change_every:g} s, "
        + ("a fresh HTTP session per poll" if args.fresh_session else "one HTTP session"),
        f"polls: {polls} ({len(figures.imported_cpu)} imported, {figures.not_modified} answered "
        f"304, {figures.same_body} same body, {figures.failed} failed); share answered 304: "
        f"{figures.not_modified / max(polls, 1):.0%}",
    ]
    if figures.latencies:
        lines.append(
            f"change-to-import latency: p50 {quantile(figures.latencies, 0.5):.2f} s, "
            f"p95 {quantile(figures.latencies, 0.95):.2f} s over {len(figures.latencies)} "
            f"changes (target p95 ≤ interval + 5 s = {args.interval + 5:g} s)"
        )
    if figures.unchanged_cpu and figures.reference_cpu:
        poll_ms = statistics.mean(figures.unchanged_cpu) * 1000
        bare_ms = statistics.mean(figures.reference_cpu) * 1000
        lines.append(
            f"CPU per unchanged poll: {poll_ms:.2f} ms mean (p95 "
            f"{quantile(figures.unchanged_cpu, 0.95) * 1000:.2f} ms) vs a bare aiohttp "
            f"conditional GET of the same URL {bare_ms:.2f} ms = {poll_ms / bare_ms:.1f}x "
            f"(target ≤ {TARGET_CPU_MS:g} ms)"
        )
    if figures.idle_cpu:
        lines.append(
            f"CPU per tick with nothing due: {statistics.mean(figures.idle_cpu) * 1000:.2f} ms "
            f"mean over {len(figures.idle_cpu)} ticks of {TICK_SECONDS * 1000:g} ms"
        )
    if figures.imported_cpu:
        lines.append(
            f"CPU per changed poll (fetch, parse, import): "
            f"{statistics.median(figures.imported_cpu) * 1000:.0f} ms median"
        )
    return "\n".join(lines)


def follow_arguments(doc: str | None) -> argparse.ArgumentParser:
    """The options this bench and bench.announce share: the export, how long, how often."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--events", type=int, default=1000, help="events in the export")
    parser.add_argument("--seconds", type=float, default=30, help="how long to follow it")
    parser.add_argument("--interval", type=float, default=1, help="poll interval (bench only)")
    parser.add_argument("--change-every", type=float, default=3, help="seconds between changes")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = follow_arguments(__doc__)
    parser.add_argument(
        "--fresh-session",
        action="store_true",
        help="let poll_due open its own HTTP session per poll (what a runner that passes none "
        "gets) instead of one long-lived session",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.events, args.change_every))
        return 0
    figures = asyncio.run(
        run(args.events, args.seconds, args.interval, args.change_every, args.fresh_session)
    )
    print(report(figures, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
