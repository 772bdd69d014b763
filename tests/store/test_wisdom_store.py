"""Daily wisdom store and service: claims, restarts, grace, failures, admin commands.

Real SQLite files in tmp_path, a fake clock that only moves when a test moves it, and a fake
platform (`FakePlatform`) that records every delivered message.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.answer import Answer
from bot.delivery.model import PermanentSendError, TransientSendError
from bot.delivery.wisdom_service import (
    WisdomService,
    get_subscription,
    list_subscriptions,
    post_log,
    wisdom_report,
)
from bot.store.db import Database
from bot.wisdom import WisdomInputError, WisdomPost, outcome_answer, preview_answer, status_answer
from tests.fakes.clock import FakeClock

AMS = "Europe/Amsterdam"


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in the service may swallow it)."""


@dataclass
class Delivered:
    message_id: str
    post: WisdomPost
    answer: Answer
    at: datetime


@dataclass
class FakePlatform:
    """A chat platform: messages per idempotency key, with scripted failures.

    `send_errors` are raised by the next sends, in order; `crash_before` / `crash_after`
    kill the process before or after the next delivery. `lookup` False makes
    `find_existing` unable to tell (returns None); `nonce_window` deduplicates a resend with
    the same key like Discord's enforce_nonce does.
    """

    clock: FakeClock
    lookup: bool = True
    nonce_window: timedelta | None = None
    send_errors: list[Exception] = field(default_factory=list)
    lookup_errors: list[Exception] = field(default_factory=list)
    crash_before: bool = False
    crash_after: bool = False
    delivered: list[Delivered] = field(default_factory=list)
    send_calls: int = 0
    lookup_calls: int = 0
    on_send: list[WisdomPost] = field(default_factory=list)

    async def send(self, post: WisdomPost, answer: Answer) -> str:
        self.send_calls += 1
        self.on_send.append(post)
        if self.crash_before:
            self.crash_before = False
            raise Crash("killed between claim and send")
        if self.send_errors:
            raise self.send_errors.pop(0)
        now = self.clock.now()
        if self.nonce_window is not None:
            for message in self.delivered:
                same = message.post.idempotency_key == post.idempotency_key
                if same and now - message.at <= self.nonce_window:
                    return message.message_id
        message_id = f"m{len(self.delivered) + 1}"
        self.delivered.append(Delivered(message_id, post, answer, now))
        if self.crash_after:
            self.crash_after = False
            raise Crash("killed after send, before recording it")
        return message_id

    async def find_existing(self, post: WisdomPost) -> str | None:
        self.lookup_calls += 1
        if self.lookup_errors:
            raise self.lookup_errors.pop(0)
        if not self.lookup:
            return None
        for message in self.delivered:
            if message.post.idempotency_key == post.idempotency_key:
                return message.message_id
        return None

    def dates(self, channel: str = "c1") -> list[date]:
        return [m.post.local_date for m in self.delivered if m.post.channel_id == channel]


async def add_nuggets(db: Database, keys: list[str]) -> None:
    """Content rows as a data load would write them (only what the rotation needs)."""
    await db.execute(
        "INSERT OR IGNORE INTO conferences(id, slug, name, origin) "
        "VALUES (1, 'testconf', 'TestConf 2024', 'test')"
    )
    await db.execute(
        "INSERT OR IGNORE INTO talks(id, conference_id, slug, title, kind, summary) "
        "VALUES (1, 1, 'a-talk', 'A Talk About Things', 'talk', '')"
    )
    for position, key in enumerate(keys):
        speaker = None if key.endswith("0") else f"Speaker {key}"
        await db.execute(
            "INSERT INTO nuggets(key, talk_id, position, text, speaker, source) "
            "VALUES (?, 1, ?, ?, ?, 'transcript')",
            (key, position, f"Quote {key}.", speaker),
        )


async def replace_nuggets(db: Database, keys: list[str]) -> None:
    """A data reload: content wiped and rebuilt, state untouched."""
    await db.execute("DELETE FROM nuggets")
    await add_nuggets(db, keys)


KEYS = [f"k{i:02d}" for i in range(10)]
START = datetime(2024, 3, 25, 6, 0, tzinfo=UTC)  # Monday; 09:00 CET is 08:00 UTC


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "confbot.sqlite3"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
    await add_nuggets(database, KEYS)
    yield database
    await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def platform(clock: FakeClock) -> FakePlatform:
    return FakePlatform(clock)


def make_service(
    db: Database, platform: FakePlatform, clock: FakeClock, frontend: str = "discord"
) -> WisdomService:
    return WisdomService(db, platform, frontend=frontend, clock=clock)


async def subscribe(
    service: WisdomService, channel: str = "c1", post_time: str = "09:00", zone: str = AMS
) -> int:
    sub = await service.subscribe(
        guild_id="g1",
        channel_id=channel,
        post_time=post_time,
        zone=zone,
        created_by="alice",
        can_post=True,
    )
    return sub.id


async def count(db: Database, sql: str) -> int:
    row = await db.fetch_one(sql)
    assert row is not None
    return int(row[0])


# --------------------------------------------------------------------------------------------
# Subscribing


async def test_subscribe_stores_everything_and_resubscribe_updates_the_same_row(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    first = await service.subscribe(
        guild_id="g1",
        channel_id="c1",
        post_time="9:00",
        zone="europe/amsterdam",
        created_by="alice",
        can_post=True,
    )
    assert first.zone == AMS and first.post_time.hour == 9 and first.enabled
    assert first.created_by == "alice" and first.start_date == date(2024, 3, 25)
    await subscribe(service, "c2", "17:30", "Asia/Kolkata")
    again = await service.subscribe(
        guild_id="g1",
        channel_id="c1",
        post_time="07:15",
        zone="UTC",
        created_by="bob",
        can_post=True,
    )
    assert again.id == first.id and again.zone == "UTC" and again.created_by == "bob"
    subs = await list_subscriptions(db, guild_id="g1")
    assert [(s.channel_id, s.zone) for s in subs] == [("c1", "UTC"), ("c2", "Asia/Kolkata")]


@pytest.mark.parametrize(
    ("post_time", "zone", "can_post", "expected"),
    [
        ("09:00", "Mars/Olympus_Mons", True, "'Mars/Olympus_Mons' is not a time zone"),
        ("09:00", "Amsterdam", True, "Did you mean Europe/Amsterdam?"),
        ("25:00", AMS, True, "the hour must be 00 to 23"),
        ("9am", AMS, True, "For 9am write 09:00"),
        ("09:00", AMS, False, "I cannot post in that channel"),
    ],
)
async def test_bad_subscribe_input_is_refused_with_a_clear_message_and_nothing_stored(
    db: Database,
    platform: FakePlatform,
    clock: FakeClock,
    post_time: str,
    zone: str,
    can_post: bool,
    expected: str,
) -> None:
    service = make_service(db, platform, clock)
    with pytest.raises(WisdomInputError) as caught:
        await service.subscribe(
            guild_id="g1",
            channel_id="c1",
            post_time=post_time,
            zone=zone,
            created_by="alice",
            can_post=can_post,
        )
    assert expected in str(caught.value)
    assert await count(db, "SELECT COUNT(*) FROM subscriptions WHERE kind = 'wisdom'") == 0
    assert await count(db, "SELECT COUNT(*) FROM deliveries") == 0


async def test_several_problems_are_reported_together(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    with pytest.raises(WisdomInputError) as caught:
        await service.subscribe(
            guild_id="g1",
            channel_id="c1",
            post_time="9am",
            zone="Nowhere/Land",
            created_by="alice",
            can_post=False,
        )
    message = str(caught.value)
    assert "HH:MM" in message and "Nowhere/Land" in message and "cannot post" in message
    assert await count(db, "SELECT COUNT(*) FROM subscriptions WHERE kind = 'wisdom'") == 0


# --------------------------------------------------------------------------------------------
# Posting on time, claims before sends


async def test_posts_once_at_the_local_time_and_claims_before_sending(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    statuses_during_send: list[str] = []

    original_send = platform.send

    async def checking_send(post: WisdomPost, answer: Answer) -> str:
        row = await db.fetch_one(
            "SELECT status FROM deliveries WHERE subscription_id = ? AND key = ?",
            (post.subscription_id, post.local_date.isoformat()),
        )
        statuses_during_send.append(str(row[0]) if row else "missing")
        return await original_send(post, answer)

    platform.send = checking_send  # type: ignore[method-assign]

    assert await service.run_due() == []
    assert service.next_wakeup == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    clock.set(datetime(2024, 3, 25, 7, 59, 59, tzinfo=UTC))
    assert await service.run_due() == []
    clock.set(datetime(2024, 3, 25, 8, 0, 30, tzinfo=UTC))
    outcomes = await service.run_due()
    assert [o.kind for o in outcomes] == ["sent"]
    assert await service.run_due() == []  # the next minute's run posts nothing more
    assert statuses_during_send == ["claimed"]
    assert platform.dates() == [date(2024, 3, 25)]
    message = platform.delivered[0]
    assert message.answer.title == "Nugget of wisdom for Monday 25 March"
    assert message.answer.meta["idempotency_key"] == f"wisdom-{sub_id}-20240325"
    log = await post_log(db, sub_id)
    assert log[0].status == "sent" and log[0].message_id == "m1"
    # After the spring-forward (31 March) 09:00 local is 07:00 UTC.
    clock.set(datetime(2024, 3, 31, 6, 59, tzinfo=UTC))
    await service.run_due()
    assert service.next_wakeup == datetime(2024, 3, 31, 7, 0, tzinfo=UTC)
    clock.set(datetime(2024, 3, 31, 7, 0, tzinfo=UTC))
    await service.run_due()
    assert platform.delivered[-1].post.scheduled_at == datetime(2024, 3, 31, 7, 0, tzinfo=UTC)


async def test_only_its_own_front_end_is_posted(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    slack_platform = FakePlatform(clock)
    discord = make_service(db, platform, clock, "discord")
    slack = make_service(db, slack_platform, clock, "slack")
    await subscribe(discord, "c1")
    await subscribe(slack, "c1")  # the same channel id on another platform is another channel
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    await discord.run_due()
    assert len(platform.delivered) == 1 and slack_platform.delivered == []
    await slack.run_due()
    assert len(slack_platform.delivered) == 1


# --------------------------------------------------------------------------------------------
# Restarts


async def restart(
    db: Database, db_path: Path, platform: FakePlatform, clock: FakeClock
) -> tuple[Database, WisdomService]:
    await db.close()
    fresh = await Database.open(db_path)
    return fresh, make_service(fresh, platform, clock)


async def test_crash_between_claim_and_send_posts_once_after_restart(
    db: Database, db_path: Path, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    platform.crash_before = True
    with pytest.raises(Crash):
        await service.run_due()
    assert platform.delivered == []
    clock.advance(timedelta(seconds=20))
    db, service = await restart(db, db_path, platform, clock)
    outcomes = await service.run_due()
    assert [o.kind for o in outcomes] == ["sent"]
    assert len(platform.delivered) == 1
    assert platform.on_send[0].nugget_key == platform.on_send[1].nugget_key  # same claim
    assert platform.lookup_calls == 1
    assert (await post_log(db, sub_id))[0].status == "sent"
    await db.close()


async def test_crash_after_delivery_is_recovered_without_a_second_post(
    db: Database, db_path: Path, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    platform.crash_after = True
    with pytest.raises(Crash):
        await service.run_due()
    db, service = await restart(db, db_path, platform, clock)
    clock.advance(timedelta(hours=2))
    outcomes = await service.run_due()
    assert [(o.kind, o.message_id) for o in outcomes] == [("recovered", "m1")]
    assert len(platform.delivered) == 1 and platform.send_calls == 1
    record = (await post_log(db, sub_id))[0]
    assert record.status == "sent" and record.message_id == "m1"
    await db.close()


async def test_platform_without_lookup_relies_on_the_nonce(
    db: Database, db_path: Path, clock: FakeClock
) -> None:
    blind = FakePlatform(clock, lookup=False, nonce_window=timedelta(minutes=5))
    service = make_service(db, blind, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    blind.crash_after = True
    with pytest.raises(Crash):
        await service.run_due()
    clock.advance(timedelta(seconds=40))
    db, service = await restart(db, db_path, blind, clock)
    outcomes = await service.run_due()
    assert [o.kind for o in outcomes] == ["sent"]
    assert blind.send_calls == 2 and len(blind.delivered) == 1  # the resend was deduplicated
    assert blind.on_send[0].idempotency_key == blind.on_send[1].idempotency_key
    assert (await post_log(db, sub_id))[0].message_id == "m1"
    await db.close()


async def test_claim_left_by_a_crash_after_the_window_is_skipped_not_posted(
    db: Database, db_path: Path, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    platform.crash_before = True
    with pytest.raises(Crash):
        await service.run_due()
    clock.set(datetime(2024, 3, 25, 20, 0, tzinfo=UTC))  # down for 12 hours
    db, service = await restart(db, db_path, platform, clock)
    outcomes = await service.run_due()
    assert [o.kind for o in outcomes] == ["skipped"]
    assert platform.delivered == []
    record = (await post_log(db, sub_id))[0]
    assert record.status == "skipped" and "stopped before posting" in (record.error or "")
    # The nugget was not used up: the next day posts the one that was claimed.
    clock.set(datetime(2024, 3, 26, 8, 0, tzinfo=UTC))
    await service.run_due()
    assert platform.delivered[0].post.nugget_key == platform.on_send[0].nugget_key
    await db.close()


async def test_a_claim_that_cannot_be_checked_is_retried_with_backoff_then_closed(
    db: Database, db_path: Path, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    platform.crash_before = True
    with pytest.raises(Crash):
        await service.run_due()
    clock.set(datetime(2024, 3, 25, 20, 0, tzinfo=UTC))  # back after the window closed
    db, service = await restart(db, db_path, platform, clock)
    platform.lookup_errors = [TransientSendError("503"), TransientSendError("503")]
    first = await service.run_due()
    assert [(o.kind, o.retry_at) for o in first] == [("retry", clock.now() + timedelta(seconds=30))]
    clock.advance(timedelta(seconds=29))
    assert await service.run_due() == [] and platform.lookup_calls == 1  # no hammering
    clock.advance(timedelta(seconds=1))
    second = await service.run_due()
    assert [(o.kind, o.retry_at) for o in second] == [("retry", clock.now() + timedelta(minutes=1))]
    clock.advance(timedelta(minutes=1))
    assert [o.kind for o in await service.run_due()] == ["failed"]  # checked: never posted
    assert platform.delivered == [] and platform.lookup_calls == 3
    record = (await post_log(db, sub_id))[0]
    assert record.status == "failed" and "503" in (record.error or "")
    await db.close()


# --------------------------------------------------------------------------------------------
# The grace window


async def test_post_missed_while_down_goes_out_on_start_up_within_grace(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    await subscribe(service)
    clock.set(datetime(2024, 3, 25, 13, 59, tzinfo=UTC))  # 5h59m late
    restarted = make_service(db, platform, clock)
    outcomes = await restarted.run_due()
    assert [o.kind for o in outcomes] == ["sent"]
    assert platform.dates() == [date(2024, 3, 25)]


async def test_post_missed_beyond_grace_is_skipped_and_logged(
    db: Database, platform: FakePlatform, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 27, 14, 30, tzinfo=UTC))  # down from Monday to Wednesday
    restarted = make_service(db, platform, clock)
    with caplog.at_level(logging.WARNING, logger="bot.delivery.wisdom_service"):
        outcomes = await restarted.run_due()
    assert [(o.kind, o.local_date.day) for o in outcomes] == [
        ("skipped", 25),
        ("skipped", 26),
        ("skipped", 27),
    ]
    assert platform.delivered == []
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 3
    log = await post_log(db, sub_id)
    assert {r.status for r in log} == {"skipped"} and all("missed" in (r.error or "") for r in log)
    clock.set(datetime(2024, 3, 28, 8, 0, tzinfo=UTC))
    await restarted.run_due()
    assert platform.dates() == [date(2024, 3, 28)]


async def test_grace_is_configurable_and_never_crosses_local_midnight(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = WisdomService(
        db, platform, frontend="discord", clock=clock, grace=timedelta(minutes=30)
    )
    await subscribe(service, "c1", "09:00")
    await subscribe(service, "late", "23:30")
    clock.set(datetime(2024, 3, 25, 8, 31, tzinfo=UTC))  # 31 minutes late
    outcomes = await service.run_due()
    assert [(o.kind, o.channel_id) for o in outcomes] == [("skipped", "c1")]
    # 23:30 CET is 22:30 UTC; at 23:05 UTC it is 00:05 local on the next day: too late.
    clock.set(datetime(2024, 3, 25, 23, 5, tzinfo=UTC))
    outcomes = await service.run_due()
    assert [(o.kind, o.channel_id) for o in outcomes] == [("skipped", "late")]


# --------------------------------------------------------------------------------------------
# Send failures


async def test_rate_limit_is_retried_after_retry_after_without_blocking(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    platform.send_errors = [TransientSendError("rate limited", retry_after=12.5)]
    outcomes = await service.run_due()
    assert [o.kind for o in outcomes] == ["retry"]
    assert outcomes[0].retry_at == clock.now() + timedelta(seconds=12.5)
    assert service.next_wakeup == outcomes[0].retry_at
    clock.advance(timedelta(seconds=12))
    assert await service.run_due() == []
    clock.advance(timedelta(seconds=1))
    outcomes = await service.run_due()
    assert [o.kind for o in outcomes] == ["sent"]
    assert len(platform.delivered) == 1
    record = (await post_log(db, sub_id))[0]
    assert record.status == "sent" and record.attempts == 1


async def test_server_errors_back_off_exponentially_then_fail_when_the_window_closes(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    platform.send_errors = [TransientSendError("503 Service Unavailable") for _ in range(200)]
    delays: list[timedelta] = []
    while True:
        outcomes = await service.run_due()
        if outcomes and outcomes[0].kind != "retry":
            break
        assert outcomes and outcomes[0].retry_at is not None
        delays.append(outcomes[0].retry_at - clock.now())
        clock.set(outcomes[0].retry_at)
    assert delays[:6] == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 600)]
    assert max(delays) == timedelta(minutes=10)
    assert [o.kind for o in outcomes] == ["failed"]
    record = (await post_log(db, sub_id))[0]
    assert record.status == "failed" and "503" in (record.error or "")
    sub = await get_subscription(db, "discord", "c1")
    assert sub is not None and sub.enabled and sub.last_error == "503 Service Unavailable"
    assert platform.delivered == []


async def test_unexpected_poster_errors_never_crash_the_loop(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    platform.send_errors = [RuntimeError("boom")]
    outcomes = await service.run_due()
    assert [o.kind for o in outcomes] == ["retry"]
    clock.advance(timedelta(seconds=30))
    assert [o.kind for o in await service.run_due()] == ["sent"]


async def test_permanent_failures_disable_after_three_and_status_says_why(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    platform.send_errors = [PermanentSendError("missing permission: Send Messages")]
    platform.lookup_errors = [PermanentSendError("missing permission: Read Message History")] * 2
    first = await service.run_due()
    assert [o.kind for o in first] == ["retry"]
    assert first[0].retry_at == clock.now() + timedelta(minutes=5)
    clock.advance(timedelta(minutes=5))
    second = await service.run_due()
    assert [o.kind for o in second] == ["retry"]
    assert second[0].retry_at == clock.now() + timedelta(minutes=30)
    clock.advance(timedelta(minutes=30))
    third = await service.run_due()
    assert [o.kind for o in third] == ["disabled"]
    sub = await get_subscription(db, "discord", "c1")
    assert sub is not None and not sub.enabled and sub.failures == 3
    assert sub.disabled_reason == (
        "missing permission: Read Message History (3 failed attempts in a row)"
    )
    assert (await post_log(db, sub_id))[0].status == "failed"
    status = await service.status("c1")
    assert status is not None and status.next_post is None
    rendered = status_answer(status)
    shown = {f.name: f.value for f in rendered.fields}
    assert "3 failed attempts" in shown["Disabled because"]
    assert "Read Message History" in shown["Last error"]
    clock.set(datetime(2024, 3, 26, 8, 0, tzinfo=UTC))
    assert await service.run_due() == []
    assert platform.delivered == []
    # Fixing the permission and subscribing again turns it back on.
    clock.set(datetime(2024, 3, 26, 12, 0, tzinfo=UTC))
    await subscribe(service)
    clock.set(datetime(2024, 3, 27, 8, 0, tzinfo=UTC))
    assert [o.kind for o in await service.run_due()] == ["sent"]
    sub = await get_subscription(db, "discord", "c1")
    assert sub is not None and sub.enabled and sub.failures == 0


async def test_a_success_resets_the_consecutive_failure_count(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    await subscribe(service)
    for day in (25, 26):
        clock.set(datetime(2024, 3, day, 8, 0, tzinfo=UTC))
        platform.send_errors = [PermanentSendError("channel not found")] * 2
        await service.run_due()
        clock.advance(timedelta(minutes=5))
        await service.run_due()
        clock.advance(timedelta(minutes=30))
        assert [o.kind for o in await service.run_due()] == ["sent"]
    sub = await get_subscription(db, "discord", "c1")
    assert sub is not None and sub.enabled and sub.failures == 0
    assert platform.dates() == [date(2024, 3, 25), date(2024, 3, 26)]


# --------------------------------------------------------------------------------------------
# Admin commands: preview, post now, status, unsubscribe


async def test_preview_does_not_consume_and_matches_the_next_post(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    await subscribe(service)
    first = await service.preview("c1")
    again = await service.preview("c1")
    assert first is not None and again == first
    assert first.local_date == date(2024, 3, 25)
    assert preview_answer(first).title == "Preview: nugget of wisdom for Monday 25 March"
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    await service.run_due()
    assert platform.delivered[0].post.nugget_key == first.nugget_key
    tomorrow = await service.preview("c1")
    assert tomorrow is not None and tomorrow.local_date == date(2024, 3, 26)
    assert tomorrow.nugget_key != first.nugget_key
    clock.set(datetime(2024, 3, 26, 8, 0, tzinfo=UTC))
    await service.run_due()
    assert platform.delivered[1].post.nugget_key == tomorrow.nugget_key
    assert await service.preview("nope") is None


async def test_post_now_takes_todays_slot_and_refuses_a_second_post(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 7, 0, tzinfo=UTC))  # before today's 09:00
    outcome = await service.post_now("c1")
    assert outcome.kind == "sent" and outcome_answer(outcome).found
    assert "counts as today's post; the next one is due Tuesday 26 March 09:00 CET" in (
        outcome.detail
    )
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    assert await service.run_due() == []
    with pytest.raises(WisdomInputError, match="already posted"):
        await service.post_now("c1")
    assert len(platform.delivered) == 1 and platform.delivered[0].post.manual
    log = await post_log(db, sub_id)
    assert [(r.local_date, r.status, r.manual) for r in log] == [(date(2024, 3, 25), "sent", True)]
    clock.set(datetime(2024, 3, 26, 8, 0, tzinfo=UTC))
    await service.run_due()
    assert platform.dates() == [date(2024, 3, 25), date(2024, 3, 26)]
    assert platform.delivered[0].post.nugget_key != platform.delivered[1].post.nugget_key
    with pytest.raises(WisdomInputError, match="no daily wisdom subscription"):
        await service.post_now("other")


async def test_post_now_after_a_skipped_day_posts_it(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    await subscribe(service)
    clock.set(datetime(2024, 3, 25, 15, 0, tzinfo=UTC))  # beyond grace: skipped
    assert [o.kind for o in await service.run_due()] == ["skipped"]
    outcome = await service.post_now("c1")
    assert outcome.kind == "sent"
    assert platform.dates() == [date(2024, 3, 25)]


async def test_status_shows_next_post_in_local_and_utc_and_the_last_post(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    await subscribe(service)
    status = await service.status("c1")
    assert status is not None and status.next_post is not None
    assert status.next_post.due == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    shown = {f.name: f.value for f in status_answer(status).fields}
    assert shown["Next post"] == "Monday 25 March 09:00 CET (08:00 UTC)"
    assert shown["Last post"] == "none yet" and shown["Last error"] == "none"
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    await service.run_due()
    status = await service.status("c1")
    assert status is not None and status.last_post is not None
    assert status.last_post.message_id == "m1" and status.counts == {"sent": 1}
    shown = {f.name: f.value for f in status_answer(status).fields}
    assert shown["Next post"] == "Tuesday 26 March 09:00 CET (08:00 UTC)"
    assert shown["Last post"].startswith("Monday 25 March, sent Monday 25 March 09:00 CET")
    assert await service.status("nope") is None


async def test_unsubscribe_then_resubscribe_the_same_day_never_posts_twice(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    await service.run_due()
    unsubscribed = await service.unsubscribe("c1", by="bob")
    assert unsubscribed is not None and not unsubscribed.enabled
    assert unsubscribed.disabled_reason == "unsubscribed by bob"
    clock.set(datetime(2024, 3, 25, 9, 0, tzinfo=UTC))
    await subscribe(service, "c1", "11:00")  # 11:00 CET is 10:00 UTC, still ahead today
    clock.set(datetime(2024, 3, 25, 10, 0, tzinfo=UTC))
    assert await service.run_due() == []
    clock.set(datetime(2024, 3, 26, 10, 0, tzinfo=UTC))
    await service.run_due()
    assert platform.dates() == [date(2024, 3, 25), date(2024, 3, 26)]
    assert await service.unsubscribe("nope", by="bob") is None


async def test_rotation_survives_a_data_reload(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    await subscribe(service)
    day = datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    reloaded = [*KEYS[3:], "n1", "n2", "n3", "n4", "n5"]  # three nuggets gone, five new
    posted: list[str] = []
    pools: list[set[str]] = []
    for index in range(40):
        if index == 4:
            await replace_nuggets(db, reloaded)
        clock.set(day + timedelta(days=index))
        await service.run_due()
        posted.append(platform.delivered[-1].post.nugget_key)
        pools.append(set(KEYS if index < 4 else reloaded))
    seen: set[str] = set()
    cycles = 1
    for index, (key, pool) in enumerate(zip(posted, pools, strict=True)):
        assert key in pool
        if seen >= pool:  # the cycle is complete: a new one starts, not with the last nugget
            assert key != posted[index - 1]
            seen = set()
            cycles += 1
        assert key not in seen, f"{key} repeated within a cycle"
        seen.add(key)
    assert cycles == 4


async def test_never_claims_inside_another_coroutines_transaction(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    """A claim inside someone else's transaction (a data load) would vanish with its rollback
    after the post went out; the service waits until the transaction is over."""
    service = make_service(db, platform, clock)
    sub_id = await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    with pytest.raises(RuntimeError, match="load failed"):
        async with db.transaction():
            await db.execute("DELETE FROM nuggets WHERE key = 'k09'")
            assert await service.run_due() == []
            with pytest.raises(WisdomInputError, match="cannot be claimed right now"):
                await service.post_now("c1")
            raise RuntimeError("load failed")
    assert platform.delivered == []
    assert service.next_wakeup == clock.now() + timedelta(seconds=5)
    clock.advance(timedelta(seconds=5))
    assert [o.kind for o in await service.run_due()] == ["sent"]
    assert [r.status for r in await post_log(db, sub_id)] == ["sent"]


async def test_no_nuggets_means_no_post_and_no_crash(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    await db.execute("DELETE FROM nuggets")
    service = make_service(db, platform, clock)
    await subscribe(service)
    clock.set(datetime(2024, 3, 25, 8, 0, tzinfo=UTC))
    assert await service.run_due() == []
    assert await service.preview("c1") is None
    with pytest.raises(WisdomInputError, match="no nuggets"):
        await service.post_now("c1")
    await add_nuggets(db, KEYS)
    clock.advance(timedelta(minutes=1))
    assert [o.kind for o in await service.run_due()] == ["sent"]


async def test_wisdom_report_lists_subscriptions_and_simulates_days(
    db: Database, platform: FakePlatform, clock: FakeClock
) -> None:
    service = make_service(db, platform, clock)
    await subscribe(service, "c1", "09:00", AMS)
    await subscribe(service, "c2", "02:30", AMS)
    report = await wisdom_report(db, 7, datetime(2024, 3, 27, 15, 0, tzinfo=UTC))
    lines = report.splitlines()
    assert lines[0] == "Daily wisdom: 2 subscriptions"
    assert "09:00 Europe/Amsterdam, enabled; by alice; last post none" in lines[1]
    planned = [line for line in lines if "UTC  #" in line]
    assert len(planned) == 14
    # The spring-forward night: 02:30 does not exist, the post goes at 03:00 CEST.
    gap_day = [line for line in planned if "2024-03-31 03:00 CEST" in line]
    assert len(gap_day) == 1 and "2024-03-31 01:00 UTC" in gap_day[0]
    keys = [line.split("[")[1].split("]")[0] for line in planned if "#1 " in line]
    assert len(set(keys)) == 7
    # The report consumes nothing and agrees with the preview.
    preview = await service.preview("c1")
    assert preview is not None
    report = await wisdom_report(db, 1, clock.now())
    assert f"[{preview.nugget_key}]" in [line for line in report.splitlines() if "#1 " in line][-1]
    assert await count(db, "SELECT COUNT(*) FROM deliveries") == 0
    report = await wisdom_report(db, 1, datetime(2024, 3, 20, tzinfo=UTC))
    assert "(nothing scheduled)" in report
