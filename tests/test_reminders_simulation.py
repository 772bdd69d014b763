"""A whole imported conference of talk reminders, with crashes, outages, failures and a
re-import.

CCCamp 2019 (the real frab export: 79 talks over five days, Europe/Berlin) is imported into a
real SQLite file. Six channels on two simulated platforms subscribe with different N and room
or track filters, and a fake clock walks from the day before the camp to its end, jumping to
each `next_wakeup` (at most 15 minutes, plus the jitter of a minute loop). On the way:

* the process dies (`SimulatedCrash`, a BaseException) between claim and send and between
  delivery and record; it restarts seconds to minutes later with a new Database and new
  services on the same file;
* the bot is down for two outages of a couple of hours;
* a platform answers 503 for two hours, rate limits and 5xx answers come at random;
* one channel loses its permission for good (the subscription must end up disabled);
* mid-camp, another process re-imports the schedule with one talk moved earlier, one moved
  later after its reminder went out, and one cancelled.

The oracles are the test's own: no channel gets two reminders for a talk, except one saying
it moved for the talk moved after its reminder (once per channel that had it); every reminder was
delivered after its due moment and before its talk started, for a talk that existed then; every
talk whose reminder window held a healthy stretch got exactly one; every other talk that
started is in the log as skipped or failed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.answer import Answer
from bot.delivery.model import PermanentSendError, TransientSendError
from bot.delivery.reminder_service import ReminderService, load_subscriptions, timed_talks
from bot.records import Conference
from bot.reminders import ReminderPost, ReminderSubscription
from bot.sources.detect import load_schedule
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.fakes.clock import FakeClock

pytestmark = pytest.mark.samples("samples/frab-camp2019.json")

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "frab-camp2019.json"
SEED = 2019
CHANNELS = (  # frontend, channel, minutes before, filter kind, filter value
    ("discord", "d-all", 10, "all", ""),
    ("discord", "d-curie", 30, "room", "curie"),
    ("discord", "d-security", 5, "track", "secur"),
    ("slack", "s-meitner", 15, "room", "MEIT"),
    ("slack", "s-art", 60, "track", "art"),
    ("slack", "s-broken", 20, "all", ""),
)
P_CRASH_BEFORE = P_CRASH_AFTER = 0.03
P_RATE_LIMIT = P_SERVER_ERROR = 0.02
HEALTHY = timedelta(minutes=3)  # a healthy stretch this long in a window must get it out
BACKOFF_TAIL = timedelta(minutes=11)  # a platform outage delays retries up to the 10 min cap

Interval = tuple[datetime, datetime]


class SimulatedCrash(BaseException):
    """The bot process dies."""


@dataclass(frozen=True)
class Message:
    channel_id: str
    talk_key: str
    idempotency_key: str
    at: datetime
    moved: bool = False


class World:
    """Both platforms: every delivered message, and what goes wrong when."""

    def __init__(self, rng: random.Random, clock: FakeClock) -> None:
        self.rng, self.clock = rng, clock
        self.messages: list[Message] = []
        self.platform_down: dict[str, list[Interval]] = {"discord": [], "slack": []}
        self.broken: dict[str, datetime] = {}
        self.stats: Counter[str] = Counter()

    def poster(self, frontend: str) -> Poster:
        return Poster(self, frontend)


class Poster:
    def __init__(self, world: World, frontend: str) -> None:
        self.world, self.frontend = world, frontend

    def _check(self, post: ReminderPost) -> None:
        now, rng = self.world.clock.now(), self.world.rng
        if any(a <= now < b for a, b in self.world.platform_down[self.frontend]):
            raise TransientSendError("503 service unavailable")
        if post.channel_id in self.world.broken and now >= self.world.broken[post.channel_id]:
            raise PermanentSendError("missing permission")
        if rng.random() < P_RATE_LIMIT:
            raise TransientSendError("rate limited", retry_after=rng.uniform(0.5, 10))
        if rng.random() < P_SERVER_ERROR:
            raise TransientSendError("502 bad gateway")

    async def send(self, post: ReminderPost, answer: Answer) -> str:
        assert answer.meta["idempotency_key"] == post.idempotency_key
        if self.world.rng.random() < P_CRASH_BEFORE:
            self.world.stats["crash before send"] += 1
            raise SimulatedCrash
        self._check(post)
        assert not post.cancelled  # no channel is reminded of the talk that gets cancelled
        message = Message(
            post.channel_id,
            post.talk_key,
            post.idempotency_key,
            self.world.clock.now(),
            moved=post.moved_from is not None,
        )
        self.world.messages.append(message)
        if self.world.rng.random() < P_CRASH_AFTER:
            self.world.stats["crash after send"] += 1
            raise SimulatedCrash
        return str(len(self.world.messages))

    async def find_existing(self, post: ReminderPost) -> str | None:
        self._check(post)
        for index, message in enumerate(self.world.messages):
            if message.idempotency_key == post.idempotency_key:
                return str(index + 1)
        return None


def changed_schedule(camp: Conference, at: datetime) -> tuple[Conference, dict[str, str]]:
    """The re-import: one talk moved earlier, one moved later after its reminder, one gone."""
    talks = sorted((t for t in camp.talks if t.starts_at), key=lambda t: (t.starts_at, t.slug))
    future = [t for t in talks if t.starts_at and t.starts_at >= at + timedelta(hours=4)]
    past = [t for t in talks if t.starts_at and t.starts_at < at - timedelta(hours=1)]
    earlier, cancelled, later = future[0], future[1], past[-1]
    out = []
    for talk in camp.talks:
        if talk is cancelled:
            continue
        if talk in (earlier, later):
            assert talk.starts_at and talk.ends_at
            shift = (
                timedelta(hours=-3) if talk is earlier else at + timedelta(hours=6) - talk.starts_at
            )
            talk = replace(talk, starts_at=talk.starts_at + shift, ends_at=talk.ends_at + shift)
        out.append(talk)
    guids = {
        "moved earlier": earlier.guid or "",
        "moved later": later.guid or "",
        "cancelled": cancelled.guid or "",
    }
    return replace(camp, talks=tuple(out)), guids


def healthy_stretch(bad: list[Interval], start: datetime, end: datetime) -> bool:
    """Does [start, end) hold a stretch of HEALTHY that no bad interval touches?"""
    cursor = start
    for a, b in sorted(bad):
        if b <= cursor:
            continue
        if a >= end:
            break
        if a - cursor >= HEALTHY:
            return True
        cursor = max(cursor, b)
    return end - cursor >= HEALTHY


async def test_reminders_over_a_whole_conference(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    camp = replace(load_schedule(SAMPLE), origin="import")
    starts = sorted(t.starts_at for t in camp.talks if t.starts_at)
    assert len(camp.talks) == 79
    day = starts[0].replace(hour=0, minute=0)  # the camp's first local midnight
    begin, end = day - timedelta(hours=12), starts[-1] + timedelta(hours=1)
    reimport_at = day + timedelta(days=2, hours=12)
    new_camp, changed = changed_schedule(camp, reimport_at)
    outages = [
        (day + timedelta(days=1, hours=13), day + timedelta(days=1, hours=15, minutes=30)),
        (day + timedelta(days=3, hours=16), day + timedelta(days=3, hours=18)),
    ]
    clock = FakeClock(begin)
    world = World(rng, clock)
    world.platform_down["slack"].append(
        (day + timedelta(days=3, hours=11), day + timedelta(days=3, hours=13))
    )
    world.broken["s-broken"] = day + timedelta(days=1, hours=10)
    bot_down: list[Interval] = list(outages)

    path = tmp_path / "confbot.sqlite3"
    db = await Database.open(path)
    await replace_conferences(db, [camp], origin="import")

    async def boot() -> tuple[Database, list[ReminderService]]:
        database = await Database.open(path)
        world.stats["starts"] += 1
        return database, [
            ReminderService(database, world.poster(f), frontend=f, clock=clock)
            for f in ("discord", "slack")
        ]

    db, services = await boot()
    by_frontend = {s.frontend: s for s in services}
    for frontend, channel, minutes, kind, value in CHANNELS:
        await by_frontend[frontend].subscribe(
            guild_id="guild",
            channel_id=channel,
            minutes_before=minutes,
            created_by="admin",
            can_post=True,
            conference="camp2019",
            filter_kind=kind,
            filter_value=value,
        )

    reimported = False
    while clock.moment < end:
        now = clock.moment
        if not reimported and now >= reimport_at:
            async with await Database.open(path) as other_process:
                await replace_conferences(other_process, [new_camp], origin="import")
            reimported, reimport_at = True, now
        outage = next(((a, b) for a, b in outages if a <= now < b), None)
        if outage is not None:
            await db.close()
            clock.moment = outage[1]
            db, services = await boot()
            continue
        try:
            for service in services:
                for outcome in await service.run_due():
                    world.stats[outcome.kind] += 1
        except SimulatedCrash:
            await db.close()
            downtime = timedelta(seconds=rng.uniform(5, 180))
            bot_down.append((now, now + downtime))
            clock.moment = now + downtime
            db, services = await boot()
            continue
        wakeups = [s.next_wakeup for s in services if s.next_wakeup is not None]
        events = [a for a, _ in outages if a > now] + ([] if reimported else [reimport_at])
        step = min([*wakeups, *events, now + timedelta(minutes=15)])
        clock.moment = max(step, now) + timedelta(seconds=rng.uniform(0, 20))
    subs = {s.channel_id: s for s in await load_subscriptions(db)}
    log = {
        (int(r["subscription_id"]), str(r["key"])): str(r["status"])
        for r in await db.fetch_all("SELECT * FROM deliveries")
    }
    await db.close()

    # -- the oracles ----------------------------------------------------------------------
    async with await Database.open(tmp_path / "a.sqlite3") as scratch:
        await replace_conferences(scratch, [camp], origin="import")
        before = {t.key: t for t in await timed_talks(scratch)}
    async with await Database.open(path) as final:
        after = {t.key: t for t in await timed_talks(final)}
    assert set(before) - set(after) == {changed["cancelled"]}

    keys = Counter((m.channel_id, m.idempotency_key) for m in world.messages)
    assert max(keys.values()) == 1, "a channel got one post twice"
    sent: Counter[tuple[str, str]] = Counter(
        (m.channel_id, m.talk_key) for m in world.messages if not m.moved
    )
    assert max(sent.values()) == 1, "a channel got two reminders for one talk"
    again = Counter((m.channel_id, m.talk_key) for m in world.messages if m.moved)
    assert {key for _, key in again} == {changed["moved later"]}
    for channel, key in again:
        first = next(m for m in world.messages if (m.channel_id, m.talk_key) == (channel, key))
        assert first.at < reimport_at, "reminded again of a move it was never told the start of"
    for message in world.messages:
        sub = subs[message.channel_id]
        schedule = before if message.at < reimport_at else after
        talk = schedule.get(message.talk_key)
        assert talk is not None, f"reminder for a cancelled talk: {message}"
        assert sub.matches(talk)
        assert sub.due(talk) <= message.at < talk.starts, f"sent outside its window: {message}"

    def must_send(sub: ReminderSubscription, key: str) -> bool:
        frontend = "discord" if sub.channel_id.startswith("d-") else "slack"
        bad = [*bot_down, *((a, b + BACKOFF_TAIL) for a, b in world.platform_down[frontend])]
        if sub.channel_id in world.broken:
            bad.append((world.broken[sub.channel_id], end))
        windows = []
        if key in before and sub.matches(before[key]):
            windows.append((sub.due(before[key]), min(before[key].starts, reimport_at)))
        if key in after and sub.matches(after[key]):
            windows.append((max(sub.due(after[key]), reimport_at), after[key].starts))
        return any(a < b and healthy_stretch(bad, a, b) for a, b in windows)

    checked = Counter[str]()
    for sub in subs.values():
        for key in set(before) | set(after):
            if must_send(sub, key):
                checked["must send"] += 1
                assert sent[(sub.channel_id, key)] == 1, f"missed {key} in {sub.channel_id}"
            talk = after.get(key)
            if talk and sub.matches(talk) and sent[(sub.channel_id, key)] == 0 and sub.enabled:
                checked["not sent"] += 1
                assert log.get((sub.id, key)) in ("skipped", "failed"), (sub.channel_id, key)

    assert not subs["s-broken"].enabled and "missing permission" in str(
        subs["s-broken"].disabled_reason
    )
    assert all(sub.enabled for channel, sub in subs.items() if channel != "s-broken")
    assert not any(
        m.channel_id == "s-broken" and m.at >= world.broken["s-broken"] for m in world.messages
    )
    moved_earlier = after[changed["moved earlier"]]
    assert sent[("d-all", moved_earlier.key)] == 1
    assert sent[("d-all", changed["moved later"])] == 1
    assert again[("d-all", changed["moved later"])] == 1  # and once more at its new time
    assert not any(m.talk_key == changed["cancelled"] for m in world.messages)
    for kind in ("sent", "recovered", "skipped", "retry", "failed", "disabled"):
        assert world.stats[kind] > 0, f"the simulation never produced {kind!r}"
    assert world.stats["crash before send"] and world.stats["crash after send"]
    print(
        f"\nreminder simulation: {len(world.messages)} messages", dict(checked), dict(world.stats)
    )
