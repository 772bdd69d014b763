"""A new kind of delivery is a planner alone: a test-only "announce once at T" planner runs
through the one engine and store (no SQL, no send or record code of its own) and posts
exactly once, across a crash between send and record, a transient failure and reruns."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.answer import Answer
from bot.delivery.engine import Engine
from bot.delivery.model import TransientSendError
from bot.delivery.plan import Close, Due, Plan, resolve_log
from bot.store import deliveries
from bot.store.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.poster import Crash, FakePoster, KilledAfterSending

LOG = logging.getLogger("confbot.test.announce")
T = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
WINDOW = timedelta(hours=1)
CLOSED = "not delivered before its window closed"


@dataclass(frozen=True)
class Announcement:
    """The post of the new kind; what a poster needs (bot.delivery.model.Post) and a text."""

    subscription_id: int
    frontend: str
    guild_id: str
    channel_id: str
    scheduled_at: datetime
    text: str
    attempted_at: datetime | None = None

    @property
    def idempotency_key(self) -> str:
        return f"a-{self.subscription_id}-{self.scheduled_at:%Y%m%d%H%M}"


def dump(post: Announcement) -> str:
    data = asdict(post)
    del data["attempted_at"]
    data["scheduled_at"] = post.scheduled_at.isoformat()
    return json.dumps(data)


def load(text: str, attempted_at: datetime | None) -> Announcement:
    data = json.loads(text)
    data["scheduled_at"] = datetime.fromisoformat(data["scheduled_at"])
    return Announcement(**data, attempted_at=attempted_at)


def announcement_answer(post: Announcement) -> Answer:
    return Answer(
        kind="announcement",
        title="Announcement",
        text=post.text,
        meta={"idempotency_key": post.idempotency_key},
    )


def plan(
    subscriptions: Sequence[tuple[int, str]],
    log: Sequence[Mapping[str, Any]],
    now: datetime,
) -> Plan[Announcement]:
    """The whole new kind: pure (subscriptions, content, delivery log, now) -> a plan: the
    claims left in the log resolved by the plain rule, the announcement due once."""
    pending, backing_off = resolve_log(log, now, load, Close(CLOSED, CLOSED))
    done = {(int(row["subscription_id"]), str(row["key"])) for row in log}
    key = f"announce-{T:%Y%m%dT%H%M}"
    due = [
        Due(
            sub_id,
            key,
            Announcement(sub_id, "discord", "g1", channel, T, "Doors open!"),
            T,
            T + WINDOW,
        )
        for sub_id, channel in subscriptions
        if (sub_id, key) not in done and now >= T
    ]
    wakeup = min([*backing_off, T] if now < T else backing_off, default=None)
    return Plan(due, pending, wakeup=wakeup)


async def add_subscription(db: Database, channel_id: str) -> int:
    # The table's kind CHECK knows 'wisdom' and 'reminder'; a real new kind adds itself there
    # in a migration. The test borrows a reminder row: the planner is what is new.
    rows = await db.execute_returning(
        "INSERT INTO subscriptions (kind, frontend, guild_id, channel_id, created_by, "
        "created_at, updated_at, minutes_before, since_at) "
        "VALUES ('reminder', 'discord', 'g1', ?1, 'test', ?2, ?2, 10, ?2) RETURNING id",
        (channel_id, T.isoformat()),
    )
    return int(rows[0][0])


async def run(
    engine: Engine[Announcement], subs: list[tuple[int, str]], now: datetime
) -> list[str]:
    log = await deliveries.log_rows(engine.db, [sub_id for sub_id, _ in subs])
    results = await engine.run(plan(subs, log, now), now, dump=dump)
    return [result.kind for result in results]


async def test_an_announcement_is_posted_exactly_once_across_a_crash(db: Database) -> None:
    clock = FakeClock(T - timedelta(minutes=5))
    poster = FakePoster(clock)
    subs = [(await add_subscription(db, "c1"), "c1")]

    def engine(with_poster: Any) -> Engine[Announcement]:
        return Engine(db, with_poster, announcement_answer, clock=clock, log=LOG, name="announce")

    assert await run(engine(poster), subs, clock.now()) == []  # not due yet

    clock.set(T + timedelta(minutes=1))
    with pytest.raises(Crash):  # sent, then killed before it was recorded
        await run(engine(KilledAfterSending(poster)), subs, clock.now())
    assert len(poster.delivered) == 1
    rows = await deliveries.log_rows(db, [subs[0][0]])
    assert [row["status"] for row in rows] == ["claimed"]

    clock.advance(timedelta(minutes=1))  # the restart finds its own post and records it
    assert await run(engine(poster), subs, clock.now()) == ["recovered"]
    assert await run(engine(poster), subs, clock.now()) == []
    clock.advance(timedelta(days=1))
    assert await run(engine(poster), subs, clock.now()) == []
    rows = await deliveries.log_rows(db, [subs[0][0]])
    assert [(row["status"], row["message_id"]) for row in rows] == [("sent", "m1")]
    assert len(poster.delivered) == 1
    assert poster.delivered[0].answer.text == "Doors open!"


async def test_a_failed_announcement_is_retried_with_the_same_key_then_closed(
    db: Database,
) -> None:
    clock = FakeClock(T)
    poster = FakePoster(clock, errors=[TransientSendError("503")])
    subs = [(await add_subscription(db, "c1"), "c1"), (await add_subscription(db, "c2"), "c2")]
    engine: Engine[Announcement] = Engine(
        db, poster, announcement_answer, clock=clock, log=LOG, name="announce"
    )
    assert sorted(await run(engine, subs, clock.now())) == ["retry", "sent"]
    clock.advance(timedelta(minutes=2))
    assert await run(engine, subs, clock.now()) == ["sent"]
    assert len(set(poster.keys())) == 2 and len(poster.delivered) == 2

    # A claim whose window closed before it could be sent is closed, never sent late.
    late = [(await add_subscription(db, "c3"), "c3")]
    clock.set(T + timedelta(minutes=1))
    poster.errors.append(TransientSendError("503"))
    assert await run(engine, late, clock.now()) == ["retry"]
    clock.set(T + WINDOW + timedelta(minutes=1))
    assert await run(engine, late, clock.now()) == ["failed"]
    rows = await deliveries.log_rows(db, [late[0][0]])
    assert [row["status"] for row in rows] == ["failed"]
    assert len(poster.delivered) == 2
    assert all(key.startswith("a-") for key in poster.keys())  # noqa: SIM118
