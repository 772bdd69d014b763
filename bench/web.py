"""Benchmarks of the web console: `python -m bench.web` prints only.

1. Render: the Programme page of a day with 1,000 events (synthetic pretalx export,
   bench/make_pretalx.py), timed as the page makes it (the day's talks from the store, the
   change marks, the grid, the Jinja2 template), p50 and p99 over `--renders` runs; beside it,
   measured in the same run, the store query alone and a trivial template (one heading), and
   the ratio of each. Target: p99 <= 20 ms. Before it, with the programme loaded, the heap is
   settled as `confbot run` settles it once its front ends have started
   (`bot.app.settle_heap`: start-up out of the cyclic collector's sight). Then the page as
   served over HTTP to one client (the rendered grid is cached under the data version for a
   minute) beside a trivial aiohttp handler.
2. Load: `wrk` (Debian's package, a second process) with 50 connections on loopback fetching
   that Programme page with a session cookie, for `--seconds`, while this process's bot core
   answers a burst of commands (/talk, /search, /speaker, /nugget, 8 at a time, 1,000 a
   second) in the same event loop, as `confbot run` serves chat and web together. Printed:
   requests/s and the p50/p99 latency wrk saw; the command burst's p50/p99 during the load
   beside the same burst alone; and wrk against a trivial aiohttp handler in this process as
   the ceiling (its requests/s, and ours as a share of it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from markupsafe import Markup

from bench.make_pretalx import write_schedule
from bot.app import settle_heap
from bot.config import WebSettings
from bot.core import Core
from bot.frontends.web.auth import SESSION_COOKIE
from bot.frontends.web.credentials import new_token, token_digest
from bot.frontends.web.grid import DayView, load_day
from bot.frontends.web.programme import GridPage
from bot.frontends.web.render import environment
from bot.frontends.web.server import build_app
from bot.sources.detect import load_schedule
from bot.store import web_auth
from bot.store.content import load_data_dir
from bot.store.db import Database
from bot.store.imports import import_conference
from bot.store.programme import day_talks, scheduled_conferences
from bot.store.programme_grid import grid_talks
from bot.store.rows import utc_text

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 20.0
COMMANDS = ("/talk keynote", "/search data", "/speaker vincent", "/nugget", "/talk docker")


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def pct(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


async def busiest_day(db: Database) -> tuple[str, str, int]:
    """The conference slug and the schedule day with the most talks, and their count."""
    (conference,) = await scheduled_conferences(db)
    assert conference.first_day is not None and conference.last_day is not None
    best = ("", 0)
    day = conference.first_day
    while day <= conference.last_day:
        talks = await day_talks(
            db,
            day=day.isoformat(),
            starts_after="9999",
            starts_before="0000",
            conference=conference.slug,
            limit=100_000,
        )
        best = max(best, (day.isoformat(), len(talks)), key=lambda item: item[1])
        day += timedelta(days=1)
    return conference.slug, best[0], best[1]


async def time_renders(db: Database, slug: str, day: str, runs: int) -> None:
    env = environment()
    page = env.get_template("programme.html")
    fragment = env.get_template("grid.html")
    trivial = env.from_string("<h1>{{ title }}</h1>")
    clock = FixedClock(datetime.now(UTC))
    common = {"user": "bench", "csrf": "x", "nav": (), "here": "/programme", "flash": None}
    # (wall-clock, CPU) seconds per run; CPU time is the process's, the SQLite thread's too,
    # so a machine busy with others' work slows the first figure, not the second.
    full: list[tuple[float, float]] = []
    query: list[tuple[float, float]] = []
    tiny: list[tuple[float, float]] = []
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    html = ""
    view: DayView | None = None
    for _ in range(runs):
        began, cpu = time.perf_counter(), time.process_time()
        view = await load_day(db, clock.now(), slug, day)
        assert view is not None
        grid = Markup(fragment.render(view=view, base="/programme", talk_link=False))
        kept = GridPage(view, grid, clock.now())
        html = page.render(title="Programme", grid=kept, public=False, **common)
        full.append((time.perf_counter() - began, time.process_time() - cpu))
        began, cpu = time.perf_counter(), time.process_time()
        await grid_talks(
            db,
            conference=slug,
            day=day,
            starts_after=utc_text(start) or "",
            starts_before=utc_text(start + timedelta(days=1)) or "",
            limit=5_000,
        )
        query.append((time.perf_counter() - began, time.process_time() - cpu))
        began, cpu = time.perf_counter(), time.process_time()
        trivial.render(title="Programme")
        tiny.append((time.perf_counter() - began, time.process_time() - cpu))
    assert view is not None
    print(
        f"Programme page, {view.grid.talk_count} events in {len(view.grid.rooms)} rooms, "
        f"{len(view.grid.rows)} start times ({len(html) // 1024} KiB of HTML), {runs} renders "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):"
    )
    for label, samples in (
        ("page, grid not cached (query + marks + grid + templates)", full),
        ("reference, the page's store query alone", query),
        ("reference, a trivial template", tiny),
    ):
        walls, cpus = [s[0] for s in samples], [s[1] for s in samples]
        ratio = (
            ""
            if samples is full
            else f"; page / this at p50: {pct([s[0] for s in full], 0.5) / pct(walls, 0.5):.1f}x"
        )
        print(
            f"  {label}: wall p50 {ms(pct(walls, 0.5))}, p99 {ms(pct(walls, 0.99))}; "
            f"CPU p50 {ms(pct(cpus, 0.5))}, p99 {ms(pct(cpus, 0.99))}{ratio}"
        )
    p99 = pct([s[0] for s in full], 0.99)
    verdict = "within" if p99 <= TARGET_MS / 1000 else "OVER"
    print(f"  target: wall p99 <= {TARGET_MS:.0f} ms: {verdict}")


async def wrk(url: str, seconds: int, cookie: str = "") -> tuple[float, float, float]:
    """requests/s, p50 and p99 latency (seconds) from wrk with 50 connections."""
    args = ["-t2", "-c50", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    process = await asyncio.create_subprocess_exec(
        "wrk", *args, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    text = out.decode()
    if process.returncode != 0 or "Requests/sec" not in text:
        raise RuntimeError(f"wrk failed: {err.decode()}{text}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1])  # type: ignore[index]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non_2xx:
        raise RuntimeError(f"wrk saw {non_2xx[1]} failed responses")
    return rate, _latency(text, "50%"), _latency(text, "99%")


def _latency(text: str, label: str) -> float:
    found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", text)
    assert found is not None, text
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}[found[2]]
    return float(found[1]) * scale


BURST_RATE = 1_000  # commands a second: a big conference's attendees all asking at once


async def burst(
    core: Core, stop: asyncio.Event, width: int = 8, rate: float = BURST_RATE
) -> list[float]:
    """Answer commands `width` at a time, `rate` a second in all, until `stop`; each
    answer's latency. Commands reach a front end over the network at some rate; a loop that
    asked as fast as it could would keep the event loop to itself (an answer from the answer
    cache never waits on anything) and measure nothing a bot meets."""
    latencies: list[float] = []
    rng = random.Random(7)
    interval = width / rate

    async def worker() -> None:
        while not stop.is_set():
            began = time.perf_counter()
            await core.ask(rng.choice(COMMANDS))
            latencies.append(time.perf_counter() - began)
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))

    await asyncio.gather(*(worker() for _ in range(width)))
    return latencies


async def timed_burst(core: Core, seconds: float) -> list[float]:
    stop = asyncio.Event()
    task = asyncio.create_task(burst(core, stop))
    await asyncio.sleep(seconds)
    stop.set()
    return await task


async def trivial_site() -> tuple[web.AppRunner, str]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="<h1>hello</h1>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/"


async def load(db: Database, slug: str, day: str, seconds: int) -> None:
    clock = FixedClock(datetime.now(UTC))
    core = Core(db, rng=random.Random(7), clock=clock)
    token = new_token()
    now = clock.now()
    await web_auth.add_session(db, token_digest(token), "bench", "x", now, now + timedelta(days=1))
    app = build_app(core, db, WebSettings(port=1), clock=clock)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}/programme?conference={slug}&day={day}"
    ceiling_runner, ceiling_url = await trivial_site()
    try:
        await served(url, f"{SESSION_COOKIE}={token}", ceiling_url)
        alone = await timed_burst(core, seconds)
        stop = asyncio.Event()
        during = asyncio.create_task(burst(core, stop))
        rate, p50, p99 = await wrk(url, seconds, f"{SESSION_COOKIE}={token}")
        stop.set()
        loaded = await during
        ceiling, c50, c99 = await wrk(ceiling_url, seconds)
    finally:
        await runner.cleanup()
        await ceiling_runner.cleanup()
    print(f"50 connections from wrk (another process) on loopback, {seconds} s each:")
    print(
        f"  Programme page (1,000 events) with a command burst beside it: {rate:.0f} req/s, "
        f"p50 {ms(p50)}, p99 {ms(p99)}"
    )
    print(
        f"  reference, a trivial aiohttp handler, no burst: {ceiling:.0f} req/s, p50 {ms(c50)}, "
        f"p99 {ms(c99)} (ours: {rate / ceiling:.1%} of its req/s)"
    )
    print(
        f"  the command burst during the load: {len(loaded)} answers, p50 "
        f"{ms(statistics.median(loaded))}, p99 {ms(pct(loaded, 0.99))}"
    )
    print(
        f"  reference, the same burst alone:   {len(alone)} answers, p50 "
        f"{ms(statistics.median(alone))}, p99 {ms(pct(alone, 0.99))} "
        f"(p50 during / alone: {statistics.median(loaded) / statistics.median(alone):.1f}x)"
    )


async def served(url: str, cookie: str, ceiling_url: str, runs: int = 200) -> None:
    """The page over HTTP, one request at a time (the grid from its cache after the first),
    beside the trivial handler the same way."""
    async with aiohttp.ClientSession(headers={"Cookie": cookie}) as http:
        times: dict[str, list[float]] = {url: [], ceiling_url: []}
        for _ in range(runs):
            for target, samples in times.items():
                began = time.perf_counter()
                async with http.get(target) as response:
                    await response.read()
                    assert response.status == 200, response.status
                samples.append(time.perf_counter() - began)
    ours, ceiling = times[url], times[ceiling_url]
    print(f"One client on loopback, {runs} requests each:")
    print(
        f"  Programme page as served (grid cached after the first): p50 {ms(pct(ours, 0.5))}, "
        f"p99 {ms(pct(ours, 0.99))}"
    )
    print(
        f"  reference, the trivial handler: p50 {ms(pct(ceiling, 0.5))}, "
        f"p99 {ms(pct(ceiling, 0.99))} (ours / trivial: {pct(ours, 0.5) / pct(ceiling, 0.5):.1f}x "
        "at p50)"
    )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schedule.json"
        write_schedule(path, args.events, days=args.days)
        db = await Database.open(Path(folder) / "bench.sqlite3")
        try:
            await load_data_dir(db, REPO / "data")
            await import_conference(db, load_schedule(path), origin="import:bench")
            slug, day, count = await busiest_day(db)
            print(f"{args.events} synthetic events over {args.days} days; {day} has {count}")
            db.query_budget = 0  # the bench measures, the budget would cut it short
            settle_heap()  # what `confbot run` does once started
            await time_renders(db, slug, day, args.renders)
            if shutil.which("wrk") is None:
                print("wrk is missing (apt-get install wrk, or `make bench`): no load figures")
                return
            await load(db, slug, day, args.seconds)
        finally:
            await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=4_000, help="events in the export")
    parser.add_argument("--days", type=int, default=4, help="days they are spread over")
    parser.add_argument("--renders", type=int, default=200, help="page renders to time")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of each wrk run")
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
