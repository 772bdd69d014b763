"""A year of daily wisdom for 50 channels, with crashes, outages and send failures.

The bot runs against a real SQLite file and a fake clock. Two simulated platforms (Discord-
and Slack-like) record every delivered message and misbehave on purpose:

* the process is killed (`SimulatedCrash`, a BaseException nothing may swallow) between claim
  and send, and after a delivery before it is recorded; its connection is abandoned, not
  closed, and a restart builds a new Database and new WisdomServices on the same file a few
  seconds to minutes later;
* the bot is down for multi-hour outages (some shorter, some longer than the grace window);
* a platform is down for hours (every call fails with a 503), rate limits and 5xx answers come
  at random;
* channels are deleted, lose their permission for days (and the admin subscribes again) or
  for a few minutes around a post; data reloads add and remove nuggets; admins press
  "post now", unsubscribe and subscribe again.

The clock jumps from one due moment (`next_wakeup`, plus the jitter of a minute loop) to the
next, so a year takes seconds. Over every delivered message the test then checks, with its own
oracles rather than the code under test: no channel gets two posts for one local date; no post
is missed while the bot had a healthy stretch inside the post's grace window; every scheduled
post went out at the right local time (and late only when something went wrong); no nugget
repeats within a cycle, and a new cycle never starts with the previous nugget.
"""

from __future__ import annotations

import bisect
import logging
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.answer import Answer
from bot.delivery.model import PermanentSendError, TransientSendError
from bot.delivery.wisdom_service import WisdomService, get_subscription
from bot.store.db import Database
from bot.wisdom import Outcome, WisdomInputError, WisdomPost, due_instant
from tests.fakes.clock import FakeClock

SEED = 20240101
START = datetime(2023, 12, 31, 12, 0, tzinfo=UTC)
END = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(hours=6)
LOOP_JITTER = 30.0  # seconds: the front end's minute loop runs run_due a little after due
ON_TIME = timedelta(seconds=60)
HEALTHY_STRETCH = timedelta(minutes=30)
FRONTENDS = ("discord", "slack")

# One post time per zone, chosen to hit its DST gap and fold (tests/test_wisdom.py checks the
# tricky times of day in these zones for every day of a year); each zone lives on one front
# end, and Kolkata and UTC post at the same moment, so fewer wake-ups cover 50 channels.
ZONE_TIMES: dict[str, tuple[str, str]] = {
    "Europe/Amsterdam": ("discord", "02:30"),  # gap in March, fold in October
    "America/New_York": ("slack", "02:30"),  # gap in March
    "Australia/Lord_Howe": ("discord", "02:15"),  # 30-minute gap in October
    "Asia/Kolkata": ("slack", "05:20"),  # +05:30: 23:50 UTC, the same moment as UTC's post
    "Pacific/Chatham": ("discord", "03:00"),  # +12:45/+13:45: gap in September, fold in April
    "UTC": ("slack", "23:50"),  # a ten-minute window: late posts never cross midnight
}

P_CRASH_BEFORE = 0.004
P_CRASH_AFTER = 0.004
P_RATE_LIMIT = 0.01
P_SERVER_ERROR = 0.005


class SimulatedCrash(BaseException):
    """The bot process dies."""


Interval = tuple[datetime, datetime]


def covers(intervals: list[Interval], moment: datetime) -> bool:
    return any(start <= moment < end for start, end in intervals)


def overlaps(intervals: list[Interval], start: datetime, end: datetime) -> bool:
    return any(a < end and start < b for a, b in intervals)


def merged(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def longest_free(intervals: list[Interval], start: datetime, end: datetime) -> timedelta:
    """The longest stretch of [start, end) that none of the (merged, sorted) intervals cover."""
    index = max(bisect.bisect_left(intervals, (start, start)) - 1, 0)
    longest = timedelta(0)
    cursor = start
    for a, b in intervals[index:]:
        if a >= end:
            break
        if b <= cursor:
            continue
        if a > cursor:
            longest = max(longest, a - cursor)
        cursor = max(cursor, b)
    return max(longest, end - cursor)


@dataclass(frozen=True)
class Channel:
    frontend: str
    guild_id: str
    channel_id: str
    zone: ZoneInfo
    post_time: time


@dataclass(frozen=True)
class Message:
    channel_id: str
    key: str
    local_date: date
    scheduled_at: datetime
    delivered_at: datetime
    nugget_key: str
    manual: bool
    message_id: str


@dataclass(frozen=True)
class Breakage:
    start: datetime
    end: datetime
    reason: str
    lookup_fails: bool


@dataclass
class World:
    rng: random.Random
    clock: FakeClock
    channels: dict[str, Channel]
    bot_outages: list[Interval] = field(default_factory=list)
    platform_outages: dict[str, list[Interval]] = field(default_factory=dict)
    broken: dict[str, list[Breakage]] = field(default_factory=dict)
    crash_downtime: list[Interval] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    first_attempt: dict[str, datetime] = field(default_factory=dict)
    failed_attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    enabled: dict[str, list[list[datetime]]] = field(default_factory=dict)
    pool_changes: list[tuple[datetime, frozenset[str]]] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)

    def unhealthy(self, channel: Channel) -> list[Interval]:
        """When a post to `channel` could not have gone out: bot down, platform down, broken."""
        return [
            *self.bot_outages,
            *self.crash_downtime,
            *self.platform_outages[channel.frontend],
            *((b.start, b.end) for b in self.broken.get(channel.channel_id, [])),
        ]

    def breakage(self, channel_id: str, moment: datetime) -> Breakage | None:
        for item in self.broken.get(channel_id, []):
            if item.start <= moment < item.end:
                return item
        return None

    def enable(self, channel_id: str, moment: datetime) -> None:
        spans = self.enabled.setdefault(channel_id, [])
        if not spans or len(spans[-1]) == 2:
            spans.append([moment])

    def disable(self, channel_id: str, moment: datetime) -> None:
        spans = self.enabled.get(channel_id, [])
        if spans and len(spans[-1]) == 1:
            spans[-1].append(moment)

    def pool_at(self, moment: datetime) -> frozenset[str]:
        pool = frozenset[str]()
        for changed, keys in self.pool_changes:
            if changed <= moment:
                pool = keys
        return pool


class SimPlatform:
    """One chat platform: delivers, deduplicates by nonce for 5 minutes, misbehaves."""

    def __init__(self, world: World, frontend: str) -> None:
        self.world = world
        self.frontend = frontend
        self.by_key: dict[str, Message] = {}

    def _trouble(self, post: WisdomPost, *, sending: bool) -> None:
        world = self.world
        now = world.clock.now()
        if covers(world.platform_outages[self.frontend], now):
            world.stats["platform-down errors"] += 1
            raise TransientSendError("503 Service Unavailable")
        breakage = world.breakage(post.channel_id, now)
        if breakage is not None and (sending or breakage.lookup_fails):
            world.stats["permanent errors"] += 1
            raise PermanentSendError(breakage.reason)
        roll = world.rng.random()
        if roll < P_RATE_LIMIT:
            world.stats["rate limits"] += 1
            raise TransientSendError("429 Too Many Requests", world.rng.uniform(0.5, 30.0))
        if roll < P_RATE_LIMIT + P_SERVER_ERROR:
            world.stats["server errors"] += 1
            raise TransientSendError("502 Bad Gateway")

    async def send(self, post: WisdomPost, answer: Answer) -> str:
        world = self.world
        now = world.clock.now()
        key = post.idempotency_key
        world.first_attempt.setdefault(key, now)
        assert answer.meta["idempotency_key"] == key
        try:
            if world.rng.random() < P_CRASH_BEFORE:
                world.stats["crashes between claim and send"] += 1
                raise SimulatedCrash
            self._trouble(post, sending=True)
        except (TransientSendError, PermanentSendError):
            world.failed_attempts[key] += 1
            raise
        existing = self.by_key.get(key)
        if existing is not None and now - existing.delivered_at <= timedelta(minutes=5):
            world.stats["resends deduplicated by nonce"] += 1
            return existing.message_id
        message = Message(
            channel_id=post.channel_id,
            key=key,
            local_date=post.local_date,
            scheduled_at=post.scheduled_at,
            delivered_at=now,
            nugget_key=post.nugget_key,
            manual=post.manual,
            message_id=f"{self.frontend}-{len(world.messages) + 1}",
        )
        world.messages.append(message)
        self.by_key[key] = message
        if world.rng.random() < P_CRASH_AFTER:
            world.stats["crashes after send, before record"] += 1
            raise SimulatedCrash
        return message.message_id

    async def find_existing(self, post: WisdomPost) -> str | None:
        self.world.stats["lookups"] += 1
        try:
            self._trouble(post, sending=False)
        except (TransientSendError, PermanentSendError):
            self.world.failed_attempts[post.idempotency_key] += 1
            raise
        existing = self.by_key.get(post.idempotency_key)
        return existing.message_id if existing else None


# --------------------------------------------------------------------------------------------
# Building the year


def make_channels() -> dict[str, Channel]:
    zones = list(ZONE_TIMES)
    channels: dict[str, Channel] = {}
    for index in range(50):
        zone = zones[index % len(zones)]
        frontend = ZONE_TIMES[zone][0]
        post_time = ZONE_TIMES[zone][1]
        hour, minute = (int(part) for part in post_time.split(":"))
        channel_id = f"{frontend[0]}{index:02d}"
        channels[channel_id] = Channel(
            frontend,
            f"{frontend}-guild-{index % 8}",
            channel_id,
            ZoneInfo(zone),
            time(hour, minute),
        )
    return channels


def nugget_pool(size: int, prefix: str = "n") -> list[str]:
    return [f"{prefix}{index:03d}" for index in range(size)]


async def load_content(db: Database, keys: list[str]) -> None:
    """A data load: content tables wiped and rebuilt, state tables untouched."""
    async with db.transaction() as connection:
        await connection.execute("DELETE FROM conferences")
        await connection.execute(
            "INSERT INTO conferences(id, slug, name, origin) VALUES "
            "(1, 'simconf', 'SimConf 2024', 'test'), (2, 'otherconf', 'OtherConf', 'test')"
        )
        await connection.execute(
            "INSERT INTO talks(id, conference_id, slug, title, kind, summary) VALUES "
            "(1, 1, 'one', 'Talk One', 'talk', ''), (2, 1, 'two', 'Talk Two', 'keynote', ''), "
            "(3, 2, 'three', 'Talk Three', 'talk', '')"
        )
        await connection.executemany(
            "INSERT INTO nuggets(key, talk_id, position, text, speaker, source) "
            "VALUES (?, ?, ?, ?, ?, 'transcript')",
            [
                (key, 1 + index % 3, index, f"Wisdom {key}.", None if index % 4 else f"S{index}")
                for index, key in enumerate(keys)
            ],
        )


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    channel_id: str = ""
    keys: tuple[str, ...] = ()


def random_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))


def plan_world(rng: random.Random, clock: FakeClock) -> tuple[World, list[Event]]:
    channels = make_channels()
    world = World(rng, clock, channels)
    year = (START + timedelta(days=2), END - timedelta(days=2))
    # Bot outages: half shorter than the grace window, half longer; never overlapping.
    outages: list[Interval] = []
    for index in range(14):
        hours = rng.uniform(0.1, 5.5) if index % 2 else rng.uniform(6.5, 40.0)
        begin = random_moment(rng, *year)
        outages.append((begin, begin + timedelta(hours=hours)))
    outages.sort()
    merged: list[Interval] = []
    for begin, end in outages:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    world.bot_outages = merged
    for frontend in FRONTENDS:
        spans = []
        for _ in range(6):
            begin = random_moment(rng, *year)
            spans.append((begin, begin + timedelta(hours=rng.uniform(0.3, 8.0))))
        world.platform_outages[frontend] = sorted(spans)
    events: list[Event] = []
    ids = sorted(channels)
    picked = rng.sample(ids, 10)
    # Deleted for good.
    for channel_id in picked[:2]:
        begin = random_moment(rng, START + timedelta(days=60), START + timedelta(days=300))
        world.broken[channel_id] = [
            Breakage(begin, END + timedelta(days=9), "Unknown Channel (deleted)", True)
        ]
    # Permission lost for days; the admin fixes it and subscribes again a day later.
    for channel_id in picked[2:5]:
        begin = random_moment(rng, *year)
        end = begin + timedelta(days=rng.uniform(1, 3))
        world.broken[channel_id] = [Breakage(begin, end, "Missing Permissions", False)]
        events.append(Event(end + timedelta(days=1), "resubscribe_if_disabled", channel_id))
    # Permission lost for a few minutes around one post: retried, not disabled.
    for channel_id in picked[5:7]:
        channel = channels[channel_id]
        day = (random_moment(rng, *year)).astimezone(channel.zone).date()
        due = due_instant(day, channel.post_time, channel.zone)
        world.broken[channel_id] = [
            Breakage(
                due - timedelta(minutes=1), due + timedelta(minutes=8), "Missing Access", False
            )
        ]
    # Unsubscribe and subscribe again: once the same day, twice days later.
    for number, channel_id in enumerate(picked[7:10]):
        begin = random_moment(rng, *year)
        events.append(Event(begin, "unsubscribe", channel_id))
        later = timedelta(hours=1) if number == 0 else timedelta(days=rng.uniform(1, 5))
        events.append(Event(begin + later, "subscribe", channel_id))
    # "Post now" pressed at random moments.
    for _ in range(20):
        events.append(Event(random_moment(rng, *year), "post_now", rng.choice(ids)))
    # Data reloads: nuggets added, removed, both.
    pool = nugget_pool(36)
    for number in range(3):
        if number == 0:
            pool = pool + nugget_pool(6, "a")
        elif number == 1:
            pool = [key for key in pool if key not in rng.sample(pool, 5)]
        else:
            pool = [key for key in pool if key not in rng.sample(pool, 2)] + nugget_pool(3, "b")
        events.append(Event(random_moment(rng, *year), "reload", keys=tuple(pool)))
    events.sort(key=lambda event: event.at)
    return world, events


# --------------------------------------------------------------------------------------------
# Running it


SKIP_LINE = re.compile(r"skipped (?:subscription #\d+ )?\S+ channel (\S+) for (\d{4}-\d\d-\d\d)")


class SkipLog(logging.Handler):
    """Collects the (channel, date) of every skip the service logs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.skipped: set[tuple[str, date]] = set()

    def emit(self, record: logging.LogRecord) -> None:
        found = SKIP_LINE.search(record.getMessage())
        if found is not None:
            self.skipped.add((found[1], date.fromisoformat(found[2])))


class Bot:
    """The process: a Database and one WisdomService per front end."""

    def __init__(self, world: World, path: Path, log: logging.Logger) -> None:
        self.world = world
        self.path = path
        self.log = log
        self.platforms = {frontend: SimPlatform(world, frontend) for frontend in FRONTENDS}
        self.db: Database | None = None
        self.services: dict[str, WisdomService] = {}
        self.killed: list[Database] = []

    async def start(self) -> None:
        self.db = await Database.open(self.path)
        self.services = {
            frontend: WisdomService(
                self.db,
                self.platforms[frontend],
                frontend=frontend,
                clock=self.world.clock,
                grace=GRACE,
                log=self.log,
            )
            for frontend in FRONTENDS
        }
        self.world.stats["starts"] += 1

    async def stop(self) -> None:
        if self.db is not None:
            await self.db.close()
        self.db = None
        self.services = {}

    def kill(self) -> None:
        """Die without closing anything (the connection is only cleaned up at the end)."""
        if self.db is not None:
            self.killed.append(self.db)
        self.db = None
        self.services = {}

    async def bury(self) -> None:
        await self.stop()
        for db in self.killed:
            await db.close()

    def note(self, outcomes: list[Outcome], frontend: str) -> None:
        for outcome in outcomes:
            self.world.stats[f"outcome {outcome.kind}"] += 1
            if outcome.kind == "disabled":
                self.world.disable(outcome.channel_id, self.world.clock.now())


async def run_year(path: Path) -> tuple[World, dict[str, int], SkipLog]:
    rng = random.Random(SEED)
    clock = FakeClock(START)
    world, events = plan_world(rng, clock)
    log = logging.getLogger("tests.wisdom_simulation")
    log.propagate = False
    log.setLevel(logging.INFO)
    skip_log = SkipLog()
    log.addHandler(skip_log)
    bot = Bot(world, path, log)
    await bot.start()
    assert bot.db is not None
    initial = nugget_pool(36)
    await load_content(bot.db, initial)
    world.pool_changes.append((START, frozenset(initial)))
    for channel in world.channels.values():
        await bot.services[channel.frontend].subscribe(
            guild_id=channel.guild_id,
            channel_id=channel.channel_id,
            post_time=f"{channel.post_time:%H:%M}",
            zone=channel.zone.key,
            created_by="sim-admin",
            can_post=True,
        )
        world.enable(channel.channel_id, START)

    async def crash() -> None:
        now = clock.now()
        restart = now + timedelta(seconds=rng.uniform(5, 180))
        world.crash_downtime.append((now, restart))
        bot.kill()
        clock.set(restart)
        await bot.start()

    pending = list(events)
    run_all = True
    try:
        while clock.now() < END:
            now = clock.now()
            outage = next((o for o in world.bot_outages if o[0] <= now < o[1]), None)
            if outage is not None:
                await bot.stop()
                world.stats["outages"] += 1
                clock.set(outage[1])
                await bot.start()
                run_all = True
                continue
            try:
                while pending and pending[0].at <= now:
                    await handle(pending.pop(0), bot, world)
                    run_all = True  # e.g. a new subscription: plan it at once
                for frontend, service in bot.services.items():
                    wakeup = service.next_wakeup
                    if run_all or wakeup is None or wakeup <= now:
                        bot.note(await service.run_due(), frontend)
                run_all = False
            except SimulatedCrash:
                await crash()
                run_all = True
                continue
            upcoming = [s.next_wakeup for s in bot.services.values() if s.next_wakeup]
            moment = min(upcoming, default=now + timedelta(hours=1))
            moment += timedelta(seconds=rng.uniform(0, LOOP_JITTER))
            if pending:
                moment = min(moment, pending[0].at)
            starts = [o[0] for o in world.bot_outages if o[0] > now]
            if starts:
                moment = min(moment, min(starts))
            clock.set(max(moment, now + timedelta(seconds=1)))
        assert bot.db is not None
        rows = await bot.db.fetch_all("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
        statuses = {str(row[0]): int(row[1]) for row in rows}
        skipped_rows = await bot.db.fetch_all(
            "SELECT s.channel_id, p.key AS local_date, p.error FROM deliveries p "
            "JOIN subscriptions s ON s.id = p.subscription_id WHERE p.status = 'skipped'"
        )
        unlogged = {
            (str(row[0]), date.fromisoformat(row[1]))
            for row in skipped_rows
            if not str(row[2]).startswith("unsubscribed")
        } - skip_log.skipped
        assert not unlogged, f"skips without a log line: {sorted(unlogged)[:5]}"
    finally:
        await bot.bury()
        log.removeHandler(skip_log)
    return world, statuses, skip_log


async def handle(event: Event, bot: Bot, world: World) -> None:
    now = world.clock.now()
    assert bot.db is not None
    if event.kind == "reload":
        await load_content(bot.db, list(event.keys))
        world.pool_changes.append((now, frozenset(event.keys)))
        world.stats["data reloads"] += 1
        return
    channel = world.channels[event.channel_id]
    service = bot.services[channel.frontend]
    if event.kind == "post_now":
        try:
            outcome = await service.post_now(channel.channel_id)
        except WisdomInputError:
            world.stats["post now refused"] += 1
            return
        world.stats[f"post now {outcome.kind}"] += 1
        bot.note([outcome], channel.frontend)
    elif event.kind == "unsubscribe":
        await service.unsubscribe(channel.channel_id, by="sim-admin")
        world.disable(channel.channel_id, now)
        world.stats["unsubscribes"] += 1
    elif event.kind in ("subscribe", "resubscribe_if_disabled"):
        current = await get_subscription(bot.db, channel.frontend, channel.channel_id)
        if event.kind == "resubscribe_if_disabled" and current is not None and current.enabled:
            return
        await service.subscribe(
            guild_id=channel.guild_id,
            channel_id=channel.channel_id,
            post_time=f"{channel.post_time:%H:%M}",
            zone=channel.zone.key,
            created_by="sim-admin",
            can_post=True,
        )
        world.enable(channel.channel_id, now)
        world.stats["re-subscribes"] += 1


# --------------------------------------------------------------------------------------------
# The properties


def expected_end(day: date, due: datetime, zone: ZoneInfo) -> datetime:
    """The post's window end, computed independently: grace, clipped at local midnight (none
    of the simulated zones changes its clocks at midnight)."""
    midnight = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return min(due + GRACE, midnight)


def wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


async def test_a_year_of_daily_wisdom_for_50_channels(tmp_path: Path) -> None:
    world, statuses, _ = await run_year(tmp_path / "confbot.sqlite3")
    by_channel: dict[str, list[Message]] = defaultdict(list)
    for message in world.messages:
        by_channel[message.channel_id].append(message)

    # 1. Never two posts for one local date: neither by the post's date nor by the calendar.
    for channel_id, messages in by_channel.items():
        zone = world.channels[channel_id].zone
        per_date = Counter(m.local_date for m in messages)
        per_day = Counter(m.delivered_at.astimezone(zone).date() for m in messages)
        assert max(per_date.values()) == 1, (channel_id, per_date.most_common(2))
        assert max(per_day.values()) == 1, (channel_id, per_day.most_common(2))

    # 2. Every scheduled post at the right local time; late only when something went wrong.
    late = 0
    for message in world.messages:
        if message.manual:
            continue
        channel = world.channels[message.channel_id]
        zone = channel.zone
        target = datetime.combine(message.local_date, channel.post_time)
        due = message.scheduled_at
        assert wall(due, zone) >= target, message
        assert wall(due - timedelta(seconds=1), zone) < target, message
        assert due.astimezone(zone).fold == 0, message
        assert due <= message.delivered_at < expected_end(message.local_date, due, zone), message
        if message.delivered_at - due > ON_TIME:
            late += 1
            excuse = overlaps(world.unhealthy(channel), due, message.delivered_at) or (
                world.failed_attempts.get(message.key, 0) > 0
            )
            assert excuse, f"late without a reason: {message}"

    # 3. Nothing missed while there was a healthy stretch inside the grace window.
    considered = missed_ok = 0
    delivered_dates = {(m.channel_id, m.local_date) for m in world.messages}
    for channel_id, channel in world.channels.items():
        unhealthy = merged(world.unhealthy(channel))
        for span in world.enabled.get(channel_id, []):
            begin = span[0]
            finish = span[1] if len(span) == 2 else END
            day = begin.astimezone(channel.zone).date() - timedelta(days=1)
            while True:
                due = due_instant(day, channel.post_time, channel.zone)
                end = expected_end(day, due, channel.zone)
                day += timedelta(days=1)
                if end > finish or end > END:
                    break
                if due < begin:
                    continue
                considered += 1
                if (channel_id, day - timedelta(days=1)) in delivered_dates:
                    continue
                healthy = longest_free(unhealthy, due, end)
                assert healthy < min(HEALTHY_STRETCH, end - due), (
                    f"{channel_id} missed {day - timedelta(days=1)} with {healthy} healthy"
                )
                missed_ok += 1

    # 4. No nugget repeats within a cycle; a new cycle never starts with the last nugget.
    cycles = 0
    for channel_id, messages in by_channel.items():
        seen: set[str] = set()
        last: str | None = None
        ordered = sorted(messages, key=lambda m: world.first_attempt[m.key])
        for message in ordered:
            pool = world.pool_at(world.first_attempt[message.key])
            assert message.nugget_key in pool, (channel_id, message)
            if seen >= pool:
                assert message.nugget_key != last, (channel_id, message)
                seen = set()
                cycles += 1
            assert message.nugget_key not in seen, f"{channel_id} repeated {message}"
            seen.add(message.nugget_key)
            last = message.nugget_key

    stats = world.stats
    manual = sum(1 for m in world.messages if m.manual)
    print(
        f"\nsimulated {(END - START).days} days, {len(world.channels)} channels: "
        f"{len(world.messages)} posts delivered ({manual} by 'post now'), {late} late, "
        f"{cycles} completed rotation cycles"
    )
    print(f"post log: {dict(sorted(statuses.items()))}")
    print(
        f"dates checked for misses: {considered}, missed with a good reason: {missed_ok}; "
        f"bot outages: {len(world.bot_outages)}, platform outages: "
        f"{sum(len(v) for v in world.platform_outages.values())}"
    )
    print("events: " + ", ".join(f"{name}: {count}" for name, count in sorted(stats.items())))
    assert len(world.messages) > 15_000
    assert stats["crashes between claim and send"] >= 40
    assert stats["crashes after send, before record"] >= 40
    assert stats["outcome recovered"] > 0 and stats["outcome disabled"] >= 2
    assert statuses.get("skipped", 0) > 0
