"""Change-to-announcement latency beside change-to-import latency, measured in the same run.

    python -m bench.announce [--events 1000] [--seconds 30] [--interval 1] [--change-every 3]

The schedule server of bench.follow (tests.fakes.schedule_server, ETag and Last-Modified) runs
in a subprocess and retitles one talk ("Benchmark talk, revision N") every `--change-every`
seconds, saying when. This process runs what `confbot run` runs: the composition root's
source runner (`bot.app.follow_sources`: poll, import, then wake the announcers) and one
front end's post loop (`bot.delivery.runner.Runner`) with an `AnnouncementService` whose
poster records when each post was handed to it (no network: the platform's own latency is
not ours). A channel is subscribed before the first import. It prints:

* change-to-import latency p50/p95 (publication to the import committed, as bench.follow);
* change-to-announcement latency p50/p95 (publication to the post handed to the poster);
* their ratio and the difference (what announcing adds after the import), and the share of
  changes announced (target p95 ≤ interval + 5 s).

It only reports: a slow machine must not fail a build.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.follow import changing_export, follow_arguments, quantile
from bot.answer import Answer
from bot.app import App, build_core, follow_sources
from bot.commands.delivery import Delivery
from bot.config import Settings
from bot.delivery.announce_plan import AnnouncementPost
from bot.delivery.announce_service import AnnouncementService
from bot.delivery.runner import Runner
from bot.sources.follow import follow
from bot.store.db import Database

REPO = Path(__file__).resolve().parents[1]
_REVISION = re.compile(r"revision (\d+)")


@dataclass
class Figures:
    size: int = 0
    published: dict[int, float] = field(default_factory=dict)  # version -> when
    batches: dict[int, float] = field(default_factory=dict)  # batch -> its import done
    announced: dict[int, tuple[int, float]] = field(default_factory=dict)
    """batch -> (the version it retitled the talk to, when its post reached the poster)"""

    def latencies(self) -> tuple[list[float], list[float]]:
        """(change-to-import, change-to-announcement) of each announced batch."""
        imports, posts = [], []
        for batch, (version, at) in sorted(self.announced.items()):
            if version in self.published and batch in self.batches:
                imports.append(self.batches[batch] - self.published[version])
                posts.append(at - self.published[version])
        return imports, posts


class TimingPoster:
    """A `Poster` that only notes when each announcement reached it."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.sent = 0

    async def send(self, post: AnnouncementPost, answer: Answer) -> str:
        at = time.time()
        # "revision 4 is now revision 5": the newest revision is what the batch published.
        versions = [int(v) for f in answer.fields for v in _REVISION.findall(f.value)]
        if versions:
            self.figures.announced.setdefault(post.batch_id, (max(versions), at))
        self.sent += 1
        return f"m{self.sent}"

    async def find_existing(self, post: AnnouncementPost) -> str | None:
        return None


async def _read_changes(stdout: asyncio.StreamReader, figures: Figures) -> None:
    while line := await stdout.readline():
        change = json.loads(line)
        figures.published[int(change["version"])] = float(change["at"])


async def run(events: int, seconds: float, interval: float, change_every: float) -> Figures:
    figures = Figures()
    async with changing_export(events, change_every) as (first, stdout):
        url, figures.size = first["url"], first["bytes"]
        changes = asyncio.create_task(_read_changes(stdout, figures))
        try:
            with tempfile.TemporaryDirectory() as folder:
                db = await Database.open(Path(folder) / "bench.sqlite3")
                try:
                    await _follow_for(db, url, seconds, interval, figures)
                finally:
                    await db.close()
        finally:
            changes.cancel()
    return figures


async def _follow_for(
    db: Database, url: str, seconds: float, interval: float, figures: Figures
) -> None:
    every = timedelta(seconds=interval)
    await follow(db, url, every, datetime.now(UTC), minimum=every)
    app = App(Settings.from_env({}), db, build_core(db))
    announcer = AnnouncementService(db, TimingPoster(figures), frontend="bench")
    await announcer.subscribe(
        guild_id="g",
        channel_id="c",
        conferences=[],
        filter_kind="all",
        filter_value="",
        created_by="bench",
    )
    posts = Runner([announcer], interval=60.0)
    announcer.waker = posts.wake
    app.core.delivery["bench"] = Delivery(programme=announcer)
    sources = follow_sources(app)

    def imported(index: int, outcomes: Sequence[Any]) -> None:
        for outcome in outcomes:
            if outcome.batch_id is not None:
                figures.batches[outcome.batch_id] = time.time()

    sources.report = imported
    polling, posting = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(sources.run(polling)), asyncio.create_task(posts.run(posting))]
    await asyncio.sleep(seconds)
    polling.set()  # no more imports; then one last post run for the last import's changes
    await asyncio.wait(tasks[:1], timeout=30)
    await asyncio.wait_for(posts.wake(), 30)
    posting.set()
    posts.wake()
    await asyncio.wait(tasks, timeout=10)


def report(figures: Figures, args: argparse.Namespace) -> str:
    lines = [
        f"followed a {args.events:,}-event export ({figures.size / 1e6:.1f} MB) for "
        f"{args.seconds:g} s, polling every {args.interval:g} s ±10 %, changed every "
        f"{args.change_every:g} s; one subscribed channel"
    ]
    imports, posts = figures.latencies()
    if not posts:
        return "\n".join([*lines, "no change was both imported and announced"])
    added = [post - done for post, done in zip(posts, imports, strict=True)]
    p50i, p95i = quantile(imports, 0.5), quantile(imports, 0.95)
    p50a, p95a = quantile(posts, 0.5), quantile(posts, 0.95)
    lines += [
        f"change-to-import latency (reference): p50 {p50i:.2f} s, p95 {p95i:.2f} s over "
        f"the same {len(imports)} changes",
        f"change-to-announcement latency: p50 {p50a:.2f} s, p95 {p95a:.2f} s over {len(posts)} "
        f"announcements = {p50a / p50i:.2f}x / {p95a / p95i:.2f}x the import latency (p50 / "
        f"p95); announcing adds {quantile(added, 0.5) * 1000:.0f} ms (median, per change) "
        f"(target p95 ≤ interval + 5 s = {args.interval + 5:g} s)",
        f"imports that changed the programme, announced: {len(figures.announced)} of "
        f"{len(figures.batches)}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = follow_arguments(__doc__).parse_args(argv)
    figures = asyncio.run(run(args.events, args.seconds, args.interval, args.change_every))
    print(report(figures, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
