"""What a channel already reminded of a talk is told when the talk changes: cancelled (one
short notice, exactly once across restarts, crashes and re-imports) or moved more than a few
minutes (reminded again at the new time, saying it moved). The real service, store and
engine over SQLite in a temp dir, the one `FakeClock` and the one `FakePoster`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.reminder_service import ReminderService
from bot.records import Conference
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.poster import Crash, FakePoster, KilledAfterSending
from tests.store.test_reminders_store import make_talk

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)  # 11:00 in Berlin: alpha starts, beta an hour on


CONF = Conference(
    slug="testconf",
    name="TestConf",
    timezone="Europe/Berlin",
    origin="import",
    talks=(
        replace(make_talk("alpha", 0, guid="guid-alpha"), title="Alpha @everyone <!channel>"),
        make_talk("beta", 60, room="Meitner", guid="guid-beta"),
    ),
)


def without(conference: Conference, slug: str) -> Conference:
    return replace(conference, talks=tuple(t for t in conference.talks if t.slug != slug))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 - timedelta(hours=1))


@pytest.fixture
def poster(clock: FakeClock) -> FakePoster:
    return FakePoster(clock)


async def service_on(db: Database, poster: object, clock: FakeClock) -> ReminderService:
    return ReminderService(db, poster, frontend="discord", clock=clock)  # type: ignore[arg-type]


async def subscribe(service: ReminderService, channel: str = "c1", **kwargs: str) -> None:
    await service.subscribe(
        guild_id="g1",
        channel_id=channel,
        minutes_before=10,
        created_by="admin",
        can_post=True,
        **kwargs,
    )


async def run_at(service: ReminderService, clock: FakeClock, moment: datetime) -> list[str]:
    clock.set(moment)
    return [f"{o.kind}:{o.title}" for o in await service.run_due()]


async def test_a_reminded_channel_is_told_once_that_the_talk_is_cancelled(
    db: Database, clock: FakeClock, poster: FakePoster
) -> None:
    await replace_conferences(db, [CONF], origin="import")
    service = await service_on(db, poster, clock)
    await subscribe(service)  # every talk
    await subscribe(service, "c2", filter_kind="room", filter_value="meitner")  # not alpha
    alpha = "Alpha @everyone <!channel>"
    assert await run_at(service, clock, T0 - timedelta(minutes=10)) == [f"sent:{alpha}"]

    await replace_conferences(db, [without(CONF, "alpha")], origin="import")
    assert await run_at(service, clock, T0 - timedelta(minutes=8)) == [f"sent:{alpha}"]
    reminder, notice = poster.delivered
    assert notice.post.channel_id == "c1"
    assert notice.answer.title == "Talk cancelled"
    assert notice.answer.text == f"Cancelled: \x02{alpha}\x03 (was 11:00, Curie)"
    assert notice.answer.meta["idempotency_key"] not in (reminder.post.idempotency_key,)
    assert notice.answer.meta["idempotency_key"] == notice.post.idempotency_key

    # Never again: the next run, a restart, an identical re-import, the talk back and gone.
    assert await run_at(service, clock, T0 - timedelta(minutes=7)) == []
    async with await Database.open(db.path) as reopened:
        restarted = await service_on(reopened, poster, clock)
        await replace_conferences(reopened, [without(CONF, "alpha")], origin="import")
        assert await run_at(restarted, clock, T0 - timedelta(minutes=6)) == []
        await replace_conferences(reopened, [CONF], origin="import")
        assert await run_at(restarted, clock, T0 - timedelta(minutes=5)) == []
        await replace_conferences(reopened, [without(CONF, "alpha")], origin="import")
        assert await run_at(restarted, clock, T0 - timedelta(minutes=4)) == []
    assert len(poster.delivered) == 2
    rows = await db.fetch_all("SELECT key, status FROM deliveries ORDER BY key")
    assert [(r[0], r[1]) for r in rows] == [
        ("guid-alpha", "sent"),
        ("guid-alpha#cancelled", "sent"),
    ]


async def test_a_crash_after_the_notice_went_out_does_not_repeat_it(
    db: Database, clock: FakeClock, poster: FakePoster
) -> None:
    await replace_conferences(db, [CONF], origin="import")
    service = await service_on(db, poster, clock)
    await subscribe(service, filter_kind="room", filter_value="curie")
    await run_at(service, clock, T0 - timedelta(minutes=10))
    await replace_conferences(db, [without(CONF, "alpha")], origin="import")
    dying = await service_on(db, KilledAfterSending(poster), clock)
    with pytest.raises(Crash):
        await run_at(dying, clock, T0 - timedelta(minutes=9))
    restarted = await service_on(db, poster, clock)
    title = "Alpha @everyone <!channel>"
    assert await run_at(restarted, clock, T0 - timedelta(minutes=8)) == [f"recovered:{title}"]
    assert len(poster.delivered) == 2 and poster.delivered[1].answer.title == "Talk cancelled"


async def test_no_notice_without_a_reminder_or_after_the_talk_would_have_ended(
    db: Database, clock: FakeClock, poster: FakePoster
) -> None:
    await replace_conferences(db, [CONF], origin="import")
    service = await service_on(db, poster, clock)
    await subscribe(service)
    # Beta is cancelled before its reminder: no reminder, no notice.
    await replace_conferences(db, [without(CONF, "beta")], origin="import")
    await run_at(service, clock, T0 - timedelta(minutes=10))  # alpha's reminder
    assert await run_at(service, clock, T0 + timedelta(minutes=55)) == []
    # Alpha is cancelled only after it would have ended: too late to tell anyone.
    await replace_conferences(db, [without(without(CONF, "beta"), "alpha")], origin="import")
    assert await run_at(service, clock, T0 + timedelta(minutes=46)) == []
    assert [d.answer.title for d in poster.delivered] == [
        "Starting in 10 minutes: Alpha @everyone <!channel>"
    ]


async def test_a_talk_moved_after_its_reminder_is_reminded_again_saying_so(
    db: Database, clock: FakeClock, poster: FakePoster
) -> None:
    await replace_conferences(db, [CONF], origin="import")
    service = await service_on(db, poster, clock)
    await subscribe(service, filter_kind="room", filter_value="meitner")
    beta = CONF.talks[1]
    assert beta.starts_at is not None and beta.ends_at is not None
    assert await run_at(service, clock, beta.starts_at - timedelta(minutes=10)) == ["sent:Beta"]
    # Moved inside the reminder window by 3 minutes: nothing more; by 40: reminded again.
    nudged = replace(beta, starts_at=beta.starts_at + timedelta(minutes=3))
    await replace_conferences(db, [replace(CONF, talks=(CONF.talks[0], nudged))], origin="import")
    assert await run_at(service, clock, beta.starts_at - timedelta(minutes=5)) == []
    later = beta.starts_at + timedelta(minutes=40)
    moved = replace(beta, starts_at=later, ends_at=later + timedelta(minutes=30))
    await replace_conferences(db, [replace(CONF, talks=(CONF.talks[0], moved))], origin="import")
    assert await run_at(service, clock, later - timedelta(minutes=11)) == []
    assert service.next_wakeup == later - timedelta(minutes=10)
    [status] = await service.status("c1")
    assert [(due, t.title) for due, t in status.upcoming] == [
        (later - timedelta(minutes=10), "Beta")
    ]
    assert await run_at(service, clock, later - timedelta(minutes=10)) == ["sent:Beta"]
    assert await run_at(service, clock, later - timedelta(minutes=1)) == []
    again = poster.delivered[-1].answer
    assert again.title == "Moved, now starting in 10 minutes: Beta"
    fields = {f.name: f.value for f in again.fields}
    assert fields["Moved from"] == "Wednesday 1 May 12:00 CEST (10:00 UTC)"
    assert fields["Time"] == "Wednesday 1 May 12:40 CEST (10:40 UTC)"
    assert len(poster.delivered) == 2
