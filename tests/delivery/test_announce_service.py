"""The announcement service over a real store: each change batch is posted exactly once per
channel, across a restart, a crash between send and record, a failed send and re-imports; a
new subscription is not told what changed before it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.announce_plan import AnnouncementPost
from bot.delivery.announce_service import AnnouncementInputError, AnnouncementService
from bot.delivery.model import Poster, TransientSendError
from bot.records import Conference, Speaker, Talk
from bot.store import deliveries
from bot.store.db import Database
from bot.store.deliveries import CLAIM_RETRY
from bot.store.imports import import_conference
from tests.fakes.clock import FakeClock
from tests.fakes.poster import Crash, FakePoster, KilledAfterSending

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)
TEN = datetime(2024, 5, 6, 10, 0, tzinfo=BERLIN)


def talk(n: int, *, at: datetime = TEN, room: str = "Saal 1", title: str = "") -> Talk:
    return Talk(
        slug=f"talk-{n}",
        title=title or f"Talk {n}",
        speakers=(Speaker(f"Speaker {n}"),),
        summary="About it.",
        starts_at=at + timedelta(hours=n),
        ends_at=at + timedelta(hours=n, minutes=45),
        room=room,
        track="Main",
        guid=f"guid-{n}",
    )


def conference(*talks: Talk) -> Conference:
    return Conference("democon", "DemoCon 2024", talks, timezone="Europe/Berlin", origin="import")


FIRST = conference(talk(1), talk(2), talk(3))


async def publish(db: Database, version: Conference, clock: FakeClock) -> int | None:
    report = await import_conference(db, version, origin="import", now=clock.now())
    return report.batch_id


def service(
    db: Database, poster: Poster[AnnouncementPost], clock: FakeClock, frontend: str = "discord"
) -> AnnouncementService:
    return AnnouncementService(
        db, poster, frontend=frontend, clock=clock, log=logging.getLogger("test.announce")
    )


async def subscribe(announcer: AnnouncementService, channel: str = "c1", **kw: str) -> int:
    (sub,) = await announcer.subscribe(
        guild_id="g1",
        channel_id=channel,
        conferences=[kw.get("conference", "democon")],
        filter_kind=kw.get("kind", "all"),
        filter_value=kw.get("value", ""),
        created_by="admin",
    )
    return sub.id


async def kinds(announcer: AnnouncementService) -> list[str]:
    return [result.kind for result in await announcer.run_due()]


async def test_a_batch_is_posted_once_and_a_new_subscription_skips_older_batches(
    db: Database,
) -> None:
    clock = FakeClock(T0)
    poster = FakePoster(clock)
    announcer = service(db, poster, clock)
    await publish(db, FIRST, clock)
    moved = conference(talk(1, at=TEN + timedelta(minutes=30)), talk(2), talk(3))
    assert await publish(db, moved, clock) == 1  # before anyone subscribed
    sub_id = await subscribe(announcer)
    assert await kinds(announcer) == []  # batch 1 is older than the subscription

    clock.advance(timedelta(minutes=1))
    cancelled = conference(talk(1, at=TEN + timedelta(minutes=30)), talk(2))
    assert await publish(db, cancelled, clock) == 2
    assert await publish(db, cancelled, clock) is None  # an identical re-import: no batch
    assert await kinds(announcer) == ["sent"]
    assert await kinds(announcer) == []
    (message,) = poster.delivered
    assert message.answer.title == "Programme changes: DemoCon 2024"
    assert [(f.name, f.value) for f in message.answer.fields] == [
        ("Cancelled", "\x02Talk 3\x03 (was Mon 13:00, Saal 1)")
    ]
    rows = await deliveries.log_rows(db, [sub_id])
    assert [(r["key"], r["status"]) for r in rows] == [("batch-0000000002-001", "sent")]

    # Unsubscribed and back: what changed meanwhile is not posted, later changes are.
    await announcer.unsubscribe("c1", by="admin")
    clock.advance(timedelta(minutes=1))
    await publish(db, conference(talk(1), talk(2)), clock)
    assert await kinds(announcer) == []
    assert await subscribe(announcer) == sub_id
    assert await kinds(announcer) == []
    await publish(db, conference(talk(1), talk(2, room="Saal 9")), clock)
    assert await kinds(announcer) == ["sent"]
    assert "Saal 1 → Saal 9" in poster.delivered[-1].answer.fields[0].value


async def test_exactly_once_across_a_crash_after_sending_and_a_restart(db: Database) -> None:
    clock = FakeClock(T0)
    poster = FakePoster(clock)
    await publish(db, FIRST, clock)
    first = service(db, KilledAfterSending(poster), clock)
    sub_id = await subscribe(first)
    await publish(db, conference(talk(1), talk(2), talk(3, title="Talk three")), clock)
    with pytest.raises(Crash):
        await first.run_due()
    assert len(poster.delivered) == 1
    rows = await deliveries.log_rows(db, [sub_id])
    assert [r["status"] for r in rows] == ["claimed"]

    clock.advance(timedelta(minutes=2))  # a new process: it finds its post, records it
    restarted = service(db, poster, clock)
    assert await kinds(restarted) == ["recovered"]
    assert await kinds(service(db, poster, clock)) == []
    rows = await deliveries.log_rows(db, [sub_id])
    assert [(r["status"], r["message_id"]) for r in rows] == [("sent", "m1")]
    assert len(poster.delivered) == 1


async def test_a_failed_send_is_retried_with_the_same_key_and_other_channels_go_on(
    db: Database,
) -> None:
    clock = FakeClock(T0)
    poster = FakePoster(clock, errors=[TransientSendError("503")])
    announcer = service(db, poster, clock)
    await publish(db, FIRST, clock)
    await subscribe(announcer, "c1")
    await subscribe(announcer, "c2")
    await publish(db, conference(talk(1), talk(2)), clock)
    assert sorted(await kinds(announcer)) == ["retry", "sent"]
    assert announcer.next_wakeup is not None and announcer.next_wakeup > clock.now()
    assert await kinds(announcer) == []  # not yet: backing off
    clock.set(announcer.next_wakeup)
    assert await kinds(announcer) == ["sent"]
    assert sorted(m.post.channel_id for m in poster.delivered) == ["c1", "c2"]
    assert len(set(poster.keys())) == 2
    assert announcer.next_wakeup is None


async def test_a_filtered_subscription_and_another_front_end_see_only_their_own(
    db: Database,
) -> None:
    clock = FakeClock(T0)
    discord, slack = FakePoster(clock), FakePoster(clock)
    on_discord, on_slack = service(db, discord, clock), service(db, slack, clock, "slack")
    await publish(db, conference(talk(1), talk(2, room="Curie")), clock)
    await subscribe(on_discord, "c1", kind="room", value="curie")
    await subscribe(on_slack, "C9")
    await publish(db, conference(talk(1, room="Saal 2"), talk(2, room="Curie", title="X")), clock)
    assert await kinds(on_discord) == ["sent"]
    assert await kinds(on_slack) == ["sent"]
    assert [f.name for f in discord.delivered[0].answer.fields] == ["Retitled"]
    assert [f.name for f in slack.delivered[0].answer.fields] == ["Room changed", "Retitled"]
    assert (discord.delivered[0].post.channel_id, slack.delivered[0].post.channel_id) == (
        "c1",
        "C9",
    )


async def test_bad_filters_are_refused_and_nothing_is_stored(db: Database) -> None:
    announcer = service(db, FakePoster(FakeClock(T0)), FakeClock(T0))
    with pytest.raises(AnnouncementInputError, match="room NAME or track NAME"):
        await subscribe(announcer, kind="speaker", value="ada")
    with pytest.raises(AnnouncementInputError, match="Name the room"):
        await subscribe(announcer, kind="room", value="  ")
    assert await announcer.subscriptions("g1") == []


async def test_a_subscription_for_every_conference_and_the_list(db: Database) -> None:
    clock = FakeClock(T0)
    announcer = service(db, FakePoster(clock), clock)
    subs = await announcer.subscribe(
        guild_id="g1",
        channel_id="c1",
        conferences=[],
        filter_kind="track",
        filter_value=" main ",
        created_by="admin",
    )
    assert [(s.conference, s.filter_kind, s.filter_value) for s in subs] == [
        (None, "track", "main")
    ]
    assert subs[0].describe() == 'changes in a track matching "main" (all conferences)'
    assert [s.id for s in await announcer.subscriptions("g1")] == [subs[0].id]


async def test_a_claim_refused_during_another_transaction_is_tried_again_soon(
    db: Database,
) -> None:
    """Two front ends woken by one import claim at once; one finds the other's claim
    transaction open, so its claim is refused: it comes back in seconds, not at the next
    tick."""
    clock = FakeClock(T0)
    poster = FakePoster(clock)
    announcer = service(db, poster, clock)
    await publish(db, FIRST, clock)
    await subscribe(announcer)
    await publish(db, conference(talk(1), talk(2)), clock)
    inside, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with db.transaction():
            inside.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await inside.wait()
    assert await kinds(announcer) == []
    assert announcer.next_wakeup == clock.now() + CLAIM_RETRY
    release.set()
    await holder
    clock.set(announcer.next_wakeup)
    assert await kinds(announcer) == ["sent"] and len(poster.delivered) == 1
