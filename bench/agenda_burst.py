"""A popular talk's DMs in one burst, against each fake at the platform's real rate limits:
`python -m bench.agenda_burst` prints only.

2,000 followers (`--followers`) of one talk, each with a 10-minute (`--lead`) lead, sent their
personal agenda DM through the agenda service and the delivery engine (claim, send, record)
and the real platform client: discord.py against `tests.fakes.discord.FakeDiscord`, slack_sdk
against `tests.fakes.slack.FakeSlack`, both enforcing the real limits (Discord: 50 requests a
second per token and the route buckets; Slack: its tiers and one chat.postMessage a second in
a channel). On Discord each DM looks the user up, opens the DM channel and posts (three
requests). On Slack each follower's IM channel was opened when they followed
(`bot.frontends.slack.dm_channels`; in setup, outside the measured time, with the limits off:
real follows are spread over days), so the burst is chat.postMessage only; the
conversations.open calls made during the burst are printed (target 0).

Printed per platform, on the real clock (the platforms count real seconds): the time to
deliver all of them, the 429s the fake sent (target 0: our pacing, not the platform, keeps
the limit), the DMs delivered exactly once, and the last one's margin before the talk
starts (target at least a minute), beside two references measured or computed in the same
run: the least time the limit allows (Discord: 6,000 requests at 50 a second, the first 50 at
once, take 119 s from the first to the last) and the same burst with the fake's limits and our
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

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.delivery.agenda_plan import AgendaPost
from bot.delivery.agenda_service import AgendaService
from bot.delivery.model import Poster
from bot.delivery.pacing import Pacer, Rate
from bot.frontends.discord import ConfBot
from bot.frontends.discord.pacing import GLOBAL
from bot.frontends.slack.dm_channels import DmChannels
from bot.frontends.slack.pacing import TIERS, SlackRates
from bot.frontends.slack.poster import SlackPoster
from bot.records import Conference, Speaker, Talk
from bot.reminders import talk_key
from bot.store import agenda
from bot.store.agenda import Follow
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.fakes.discord import FakeDiscord, running_bot
from tests.fakes.discord.ratelimits import DiscordRateLimits
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.ratelimits import SlackRateLimits

SLUG = "burstconf"
TALK_SLUG = "the-popular-talk"
Service = AgendaService
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
    opened: int | None = None
    """Slack: the conversations.open calls made during the burst."""

    def lines(self, minimum: float | None) -> list[str]:
        return [
            f"  delivered all {self.followers} in {self.elapsed:7.1f} s"
            + (f"   least the limit allows {minimum:6.1f} s" if minimum is not None else "")
            + (f"   ratio {self.elapsed / minimum:4.2f}" if minimum else ""),
            f"  429s received {self.refused} (target 0)   delivered exactly once "
            f"{self.once}/{self.followers}   outcomes {dict(self.kinds)}",
            f"  last DM's margin before the start {_minutes(self.margin)} (target >= 1:00)",
        ] + (
            [f"  conversations.open during the burst {self.opened} (target 0)"]
            if self.opened is not None
            else []
        )


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
        slug=TALK_SLUG,
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
    db: Database, frontend: str, community: str, users: list[str], lead: int, now: datetime
) -> None:
    """Each user follows the talk, with `lead` minutes as their lead time."""
    key = talk_key(None, SLUG, TALK_SLUG)
    for user in users:
        person = await agenda.ensure_person(db, frontend, user, now)
        await agenda.add_follow(
            db, Follow(person.id, community, "talk", key, SLUG, "The Popular Talk", now)
        )
        await agenda.set_minutes(db, person.id, lead, now)


def deliverer(db: Database, poster: Poster[AgendaPost], frontend: str, clock: Clock) -> Service:
    """What delivers the burst: the personal agenda's DM service."""
    return AgendaService(db, poster, frontend=frontend, clock=clock)


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


async def discord_burst(followers: int, lead: int, *, limited: bool) -> Burst:
    """Each follower's DM: the poster looks the user up, opens the DM channel and posts."""
    limits = DiscordRateLimits() if limited else DiscordRateLimits(enabled=False)
    async with FakeDiscord(rate_limits=limits) as fake:
        users = [int(fake.add_user(f"follower{n}")["id"]) for n in range(followers)]
        bot = ConfBot(None, None, guild_ready_timeout=0.05)
        bot.poster.pacing.rate = GLOBAL if limited else UNLIMITED
        async with running_bot(bot, fake, timeout=60.0):

            async def setup(db: Database, now: datetime, clock: Clock) -> Service:
                guild = str(fake.guild_id)
                await _follow(db, "discord", guild, [str(u) for u in users], lead, now)
                return deliverer(db, bot.poster, "discord", clock)

            def once() -> int:
                channels = [fake.dm_channel(user) for user in users]
                return sum(1 for c in channels if len(fake.channel_messages(c)) == 1)

            return await _burst(
                "discord", followers, lead, setup, lambda: fake.rate_limited_count, once
            )


async def slack_burst(followers: int, lead: int, *, limited: bool) -> Burst:
    """Each follower's DM, posted to the IM channel stored when they followed."""
    limits = SlackRateLimits() if limited else SlackRateLimits(enabled=False)
    async with FakeSlack(rate_limits=limits) as fake:
        users = [fake.add_user(f"follower{n}") for n in range(followers)]
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        rates = SlackRates() if limited else SlackRates(post_per_channel=UNLIMITED)
        opened_before = 0

        async def setup(db: Database, now: datetime, clock: Clock) -> Service:
            nonlocal opened_before
            await _follow(db, "slack", fake.team_id, users, lead, now)
            # What each follow did when it happened, days before: open and store the IM.
            limits.enabled, was = False, limits.enabled
            early = DmChannels(client, db, rates=SlackRates(tiers={3: UNLIMITED}))
            for user in users:
                await early.open(user)
            limits.enabled = was
            opened_before = len(fake.calls_to("conversations.open"))
            pacer = Pacer()
            dms = DmChannels(client, db, pacer=pacer, rates=rates)
            poster = SlackPoster(client, pacer=pacer, rates=rates, dm_channels=dms)
            return deliverer(db, poster, "slack", clock)

        def refused() -> int:
            return sum(1 for call in fake.calls if call.status == 429)

        def once() -> int:
            posts = Counter(str(post["channel"]) for post in fake.posted)
            return sum(1 for n in posts.values() if n == 1)

        burst = await _burst("slack", followers, lead, setup, refused, once)
        return replace(burst, opened=len(fake.calls_to("conversations.open")) - opened_before)


RUNS: dict[str, Callable[..., Awaitable[Burst]]] = {
    "discord": discord_burst,
    "slack": slack_burst,
}
LEAST: dict[str, Callable[[int], float | None]] = {
    "discord": lambda followers: least_time(3 * followers, GLOBAL),  # user, open, post
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
    print(f"{args.followers} followers of one talk, DMed {args.lead} minutes before it")
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
                "  each DM in its own IM channel, so one post a second a channel does not "
                "bind (Slack publishes no workspace-wide number);\n  opening each IM at "
                f"send time (conversations.open, Tier 3, 50 a minute) would need >= "
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
