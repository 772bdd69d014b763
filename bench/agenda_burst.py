"""A popular talk's reminders in one burst, against each fake at the platform's real rate
limits: `python -m bench.agenda_burst` prints only.

2,000 followers (`--followers`) of one talk, each reminded `--lead` minutes (10) before it
starts, through the delivery engine (the reminder service: claim, send, record) and the real
platform client: discord.py against `tests.fakes.discord.FakeDiscord`, slack_sdk against
`tests.fakes.slack.FakeSlack`, both enforcing the real limits (Discord: 50 requests a second
per token and the route buckets; Slack: its tiers and one chat.postMessage a second in a
channel). Each reminder goes to its own channel, as a direct message does (on Slack it is
posted to the user's id, which is the app's DM with that person); "discord-dm" also opens
each person's DM channel first (`OpensDm`, two requests a reminder). When the personal
agenda's DM service lands, `deliverer` below is the one line to change.

Printed per platform, on the real clock (the platforms count real seconds): the time to
deliver all of them, the 429s the fake sent (target 0: our pacing, not the platform, keeps
the limit), the reminders delivered exactly once, and the last one's margin before the talk
starts (target at least a minute), beside two references measured or computed in the same
run: the least time the limit allows (Discord: 2,000 requests at 50 a second, the first 50 at
once, take 39 s from the first to the last) and the same burst with the fake's limits and our
pacing off (what this machine's loop does unhindered; `--no-reference` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
from slack_sdk.web.async_client import AsyncWebClient

from bot.answer import Answer
from bot.clock import Clock
from bot.delivery.model import Poster
from bot.delivery.pacing import Rate
from bot.delivery.reminder_service import ReminderService
from bot.frontends.discord import ConfBot
from bot.frontends.discord.pacing import GLOBAL
from bot.frontends.slack.pacing import TIERS, SlackRates
from bot.frontends.slack.poster import SlackPoster
from bot.records import Conference, Speaker, Talk
from bot.reminders import ReminderPost
from bot.store import reminder_log
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.fakes.discord import FakeDiscord, running_bot
from tests.fakes.discord.ratelimits import DiscordRateLimits
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.ratelimits import SlackRateLimits

SLUG = "burstconf"
Service = ReminderService
UNLIMITED = Rate(1_000_000, 1.0)


@dataclass(frozen=True)
class Burst:
    platform: str
    followers: int
    elapsed: float
    refused: int
    once: int
    margin: timedelta
    kinds: Counter[str]

    def lines(self, minimum: float | None) -> list[str]:
        return [
            f"  delivered all {self.followers} in {self.elapsed:7.1f} s"
            + (f"   least the limit allows {minimum:6.1f} s" if minimum is not None else "")
            + (f"   ratio {self.elapsed / minimum:4.2f}" if minimum else ""),
            f"  429s received {self.refused} (target 0)   delivered exactly once "
            f"{self.once}/{self.followers}   outcomes {dict(self.kinds)}",
            f"  last reminder's margin before the start {_minutes(self.margin)} (target >= 1:00)",
        ]


def least_time(requests: int, rate: Rate) -> float:
    """The least time from the first to the last of `requests` that `rate` allows: the first
    `rate.count` go at once, then `rate.count` every `rate.per` seconds."""
    return max(0, math.ceil(requests / rate.count) - 1) * rate.per


def _minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    return f"{sign}{abs(seconds) // 60}:{abs(seconds) % 60:02d}"


def _conference(starts: datetime) -> Conference:
    talk = Talk(
        slug="the-popular-talk",
        title="The Popular Talk",
        speakers=(Speaker("Ada"),),
        summary="",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        room="Main hall",
        track="Keynotes",
    )
    return Conference(
        slug=SLUG, name="BurstConf", timezone="Europe/Berlin", origin="import", talks=(talk,)
    )


async def _follow(
    db: Database, frontend: str, guild: str, destinations: list[str], lead: int, now: datetime
) -> None:
    """One reminder subscription per follower, to the follower's own channel."""
    for destination in destinations:
        await reminder_log.upsert_subscription(
            db,
            frontend=frontend,
            guild_id=guild,
            channel_id=destination,
            conference=SLUG,
            minutes_before=lead,
            filter_kind="all",
            filter_value="",
            created_by="bench",
            now=now,
        )


def deliverer(db: Database, poster: Poster[ReminderPost], frontend: str, clock: Clock) -> Service:
    """What delivers the burst: the reminder service's channel posts, one channel a follower.
    The personal agenda's DM service replaces this one line when it lands."""
    return ReminderService(db, poster, frontend=frontend, clock=clock)


Setup = Callable[[Database, datetime, Clock], Awaitable[Service]]


class BurstClock:
    """The real clock from the moment the burst starts; until then it stands at the
    reminders' due time (setting up 2,000 followers is not the delivery's time)."""

    def __init__(self, due: datetime) -> None:
        self.due = due
        self.began: float | None = None

    def start(self) -> float:
        self.began = time.monotonic()
        return self.began

    def now(self) -> datetime:
        if self.began is None:
            return self.due
        return self.due + timedelta(seconds=time.monotonic() - self.began)


async def _burst(
    platform: str,
    followers: int,
    lead: int,
    setup: Setup,
    refused: Callable[[], int],
    once: Callable[[], int],
) -> Burst:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "burst.sqlite3")
        try:
            due = datetime.now(UTC).replace(microsecond=0)
            starts = due + timedelta(minutes=lead)
            await replace_conferences(db, [_conference(starts)], origin="import")
            clock = BurstClock(due)
            service = await setup(db, due, clock)
            began = clock.start()
            outcomes = await service.run_due()
            elapsed = time.monotonic() - began
            margin = starts - clock.now()
        finally:
            await db.close()
    kinds: Counter[str] = Counter(str(o.kind) for o in outcomes)
    return Burst(platform, followers, elapsed, refused(), once(), margin, kinds)


class OpensDm:
    """A stand-in for the personal agenda's DM poster (until it lands): opens the follower's
    DM channel (``POST /users/@me/channels``, once a person), then posts there through the
    Discord poster: two requests a reminder, both counted against the global limit."""

    def __init__(self, bot: ConfBot) -> None:
        self.bot = bot

    async def send(self, post: ReminderPost, answer: Answer) -> str:
        dm = await self.bot.create_dm(discord.Object(int(post.channel_id)))
        return await self.bot.poster.send(replace(post, guild_id="", channel_id=str(dm.id)), answer)

    async def find_existing(self, post: ReminderPost) -> str | None:
        return None


async def discord_burst(followers: int, lead: int, *, limited: bool, dms: bool = False) -> Burst:
    """Each follower's reminder in a channel of their own, or (`dms`) in a DM opened first."""
    limits = DiscordRateLimits() if limited else DiscordRateLimits(enabled=False)
    async with FakeDiscord(rate_limits=limits) as fake:
        if dms:
            users = [int(fake.add_user(f"follower{n}")["id"]) for n in range(followers)]
            targets, channels = users, [fake.dm_channel(user) for user in users]
        else:
            targets = channels = [fake.add_channel(f"dm-{n}") for n in range(followers)]
        bot = ConfBot(None, None, guild_ready_timeout=0.05)
        bot.poster.pacing.rate = GLOBAL if limited else UNLIMITED
        poster: Poster[ReminderPost] = OpensDm(bot) if dms else bot.poster
        async with running_bot(bot, fake, timeout=60.0):

            async def setup(db: Database, now: datetime, clock: Clock) -> Service:
                guild = str(fake.guild_id)
                await _follow(db, "discord", guild, [str(t) for t in targets], lead, now)
                return deliverer(db, poster, "discord", clock)

            def once() -> int:
                return sum(1 for c in channels if len(fake.channel_messages(c)) == 1)

            name = "discord-dm" if dms else "discord"
            return await _burst(name, followers, lead, setup, lambda: fake.rate_limited_count, once)


async def discord_dm_burst(followers: int, lead: int, *, limited: bool) -> Burst:
    return await discord_burst(followers, lead, limited=limited, dms=True)


async def slack_burst(followers: int, lead: int, *, limited: bool) -> Burst:
    limits = SlackRateLimits() if limited else SlackRateLimits(enabled=False)
    async with FakeSlack(rate_limits=limits) as fake:
        users = [fake.add_user(f"follower{n}") for n in range(followers)]
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        rates = SlackRates() if limited else SlackRates(post_per_channel=UNLIMITED)
        poster = SlackPoster(client, rates=rates)

        async def setup(db: Database, now: datetime, clock: Clock) -> Service:
            await _follow(db, "slack", fake.team_id, users, lead, now)
            return deliverer(db, poster, "slack", clock)

        def refused() -> int:
            return sum(1 for call in fake.calls if call.status == 429)

        def once() -> int:
            posts = Counter(str(post["channel"]) for post in fake.posted)
            return sum(1 for n in posts.values() if n == 1)

        return await _burst("slack", followers, lead, setup, refused, once)


RUNS: dict[str, Callable[..., Awaitable[Burst]]] = {
    "discord": discord_burst,
    "discord-dm": discord_dm_burst,
    "slack": slack_burst,
}
LEAST: dict[str, Callable[[int], float | None]] = {
    "discord": lambda followers: least_time(followers, GLOBAL),
    "discord-dm": lambda followers: least_time(2 * followers, GLOBAL),  # open, then post
    "slack": lambda followers: None,  # no published limit binds one post per channel
}


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=2000)
    parser.add_argument("--lead", type=int, default=10, help="minutes before the talk")
    parser.add_argument("--platform", choices=(*RUNS, "all"), default="all")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    platforms = tuple(RUNS) if args.platform == "all" else (args.platform,)
    print(f"{args.followers} followers of one talk, reminded {args.lead} minutes before it")
    for platform in platforms:
        run = RUNS[platform]
        burst = await run(args.followers, args.lead, limited=True)
        print(f"{platform}, real limits and our pacing:")
        for line in burst.lines(LEAST[platform](args.followers)):
            print(line)
        if platform == "slack":
            tier3 = least_time(args.followers, TIERS[3])
            verdict = "more" if tier3 > args.lead * 60 else "less"
            print(
                "  each reminder in its own channel, so one post a second a channel does not "
                "bind (Slack publishes no workspace-wide number);\n  a DM path that called "
                f"conversations.open for each person (Tier 3, 50 a minute) would need >= "
                f"{tier3:.0f} s, {verdict} than the {args.lead}-minute lead"
            )
        if not args.no_reference:
            free = await run(args.followers, args.lead, limited=False)
            print(
                f"  reference, same run, limits and pacing off: {free.elapsed:7.1f} s "
                f"({free.once}/{free.followers} once); limited/unlimited "
                f"{burst.elapsed / free.elapsed:4.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
