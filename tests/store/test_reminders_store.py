"""Talk reminders in the store: validation, claims, restarts, failures, re-imports.

Real SQLite files in tmp_path, a fake clock that only moves when a test moves it, and a fake
platform that records every delivered message and fails on request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.answer import Answer
from bot.delivery.model import PermanentSendError, TransientSendError
from bot.delivery.reminder_service import ReminderService, reminders_report
from bot.records import Conference, Speaker, Talk
from bot.reminders import ReminderInputError, ReminderPost
from bot.sources.detect import load_schedule
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.fakes.clock import FakeClock

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)  # the first talk starts here


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in the service may swallow it)."""


@dataclass
class FakePlatform:
    """Delivered messages by idempotency key; `errors` are raised by the next sends (a
    `Crash` in it kills the process before delivery), `crash_after` kills it after one."""

    clock: FakeClock
    errors: list[BaseException] = field(default_factory=list)
    lookup_errors: list[Exception] = field(default_factory=list)
    crash_after: bool = False
    delivered: list[tuple[ReminderPost, Answer, datetime]] = field(default_factory=list)
    sends: int = 0

    async def send(self, post: ReminderPost, answer: Answer) -> str:
        self.sends += 1
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append((post, answer, self.clock.now()))
        if self.crash_after:
            self.crash_after = False
            raise Crash("killed after sending, before recording")
        return f"m{len(self.delivered)}"

    async def find_existing(self, post: ReminderPost) -> str | None:
        if self.lookup_errors:
            raise self.lookup_errors.pop(0)
        for index, (sent, _, _) in enumerate(self.delivered):
            if sent.idempotency_key == post.idempotency_key:
                return f"m{index + 1}"
        return None

    def titles(self) -> list[str]:
        return [post.title for post, _, _ in self.delivered]


def make_talk(slug: str, minutes: int, room: str = "Curie", guid: str | None = None) -> Talk:
    start = T0 + timedelta(minutes=minutes)
    return Talk(
        slug=slug,
        title=slug.title(),
        speakers=(Speaker("Ada"),),
        summary="",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        room=room,
        track="Security" if room == "Curie" else "Art",
        guid=guid,
    )


CONF = Conference(
    slug="testconf",
    name="TestConf",
    timezone="Europe/Berlin",
    origin="import",
    talks=(
        make_talk("alpha", 0, guid="guid-alpha"),
        make_talk("beta", 60, room="Meitner"),
        make_talk("gamma", 120, guid="guid-gamma"),
        make_talk("delta", 180, room="Meitner", guid="guid-delta"),
    ),
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 - timedelta(hours=2))


@pytest.fixture
def platform(clock: FakeClock) -> FakePlatform:
    return FakePlatform(clock)


@pytest.fixture
async def service(db: Database, clock: FakeClock, platform: FakePlatform) -> ReminderService:
    await replace_conferences(db, [CONF], origin="import")
    return ReminderService(db, platform, frontend="discord", clock=clock)


async def subscribe(service: ReminderService, minutes: int = 10, **kwargs: str) -> int:
    sub = await service.subscribe(
        guild_id="g1",
        channel_id=kwargs.pop("channel_id", "c1"),
        minutes_before=minutes,
        created_by="admin",
        can_post=True,
        **kwargs,
    )
    return sub.subscription.id


async def run_at(service: ReminderService, clock: FakeClock, moment: datetime) -> list[str]:
    clock.moment = moment
    return [f"{o.kind}:{o.title}" for o in await service.run_due()]


async def log_status(db: Database) -> dict[str, str]:
    rows = await db.fetch_all("SELECT key, status FROM deliveries ORDER BY key")
    return {str(row[0]): str(row[1]) for row in rows}


# -- subscribing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minutes_before": "ten"}, "'ten' is not a number of minutes"),
        ({"minutes_before": "0"}, "out of range; give 1 to 1440"),
        ({"minutes_before": 2000}, "out of range"),
        (
            {"conference": "nope"},
            "I know no conference 'nope' with a schedule. Pick one of: testconf",
        ),
        ({"filter_kind": "room", "filter_value": "hall 9"}, "The rooms are: Curie, Meitner"),
        ({"filter_kind": "track", "filter_value": "music"}, "The tracks are: Art, Security"),
        ({"filter_kind": "speaker", "filter_value": "x"}, "filter by room or track"),
        ({"can_post": False}, "I cannot post in that channel"),
    ],
)
async def test_subscribe_rejects_bad_input_and_stores_nothing(
    service: ReminderService, db: Database, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "guild_id": "g1",
        "channel_id": "c1",
        "minutes_before": 10,
        "created_by": "admin",
        "can_post": True,
        **kwargs,
    }
    with pytest.raises(ReminderInputError, match=message):
        await service.subscribe(**args)  # type: ignore[arg-type]
    assert await db.fetch_all("SELECT * FROM subscriptions WHERE kind = 'reminder'") == []


async def test_subscribe_names_every_problem_at_once(service: ReminderService) -> None:
    with pytest.raises(ReminderInputError) as caught:
        await service.subscribe(
            guild_id="g1",
            channel_id="c1",
            minutes_before="x",
            created_by="a",
            can_post=False,
            conference="nope",
        )
    assert str(caught.value).count("\n") == 2


async def test_subscribe_again_updates_instead_of_duplicating(service: ReminderService) -> None:
    first = await subscribe(service, 10, filter_kind="room", filter_value="curie")
    again = await subscribe(service, 5, filter_kind="room", filter_value="CURIE")
    other = await subscribe(service, 5, filter_kind="room", filter_value="meit")
    assert first == again != other
    subs = await service.subscriptions()
    assert [(s.id, s.minutes_before) for s in subs] == [(first, 5), (other, 5)]


# -- the loop ------------------------------------------------------------------------------


async def test_each_reminder_goes_out_once_at_its_due_moment(
    service: ReminderService, clock: FakeClock, platform: FakePlatform
) -> None:
    await subscribe(service, 10, filter_kind="room", filter_value="curie")
    assert await run_at(service, clock, T0 - timedelta(minutes=11)) == []
    assert service.next_wakeup == T0 - timedelta(minutes=10)
    assert await run_at(service, clock, T0 - timedelta(minutes=10)) == ["sent:Alpha"]
    assert await run_at(service, clock, T0 - timedelta(minutes=5)) == []
    assert await run_at(service, clock, T0 + timedelta(minutes=115)) == ["sent:Gamma"]
    assert await run_at(service, clock, T0 + timedelta(hours=5)) == []
    assert platform.titles() == ["Alpha", "Gamma"]
    answer = platform.delivered[0][1]
    assert answer.title == "Starting in 10 minutes: Alpha"
    assert answer.meta["idempotency_key"] == platform.delivered[0][0].idempotency_key


async def test_missed_while_down_goes_out_late_until_the_talk_starts_then_is_skipped(
    service: ReminderService,
    clock: FakeClock,
    platform: FakePlatform,
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await subscribe(service, 30)
    with caplog.at_level(logging.WARNING):
        outcomes = await run_at(service, clock, T0 + timedelta(minutes=50))
    assert outcomes == ["skipped:Alpha", "sent:Beta"]  # alpha started at T0; beta at T0+60
    assert "the talk started while the bot was down" in caplog.text
    assert platform.titles() == ["Beta"]
    assert await log_status(db) == {"guid-alpha": "skipped", "testconf/beta": "sent"}


async def test_talks_before_the_subscription_are_ignored(
    service: ReminderService, clock: FakeClock, db: Database
) -> None:
    clock.moment = T0 + timedelta(minutes=90)
    await subscribe(service, 60)
    assert await run_at(service, clock, T0 + timedelta(minutes=91)) == ["sent:Gamma"]
    assert await log_status(db) == {"guid-gamma": "sent"}


async def test_crash_between_claim_and_send_is_sent_once_after_restart(
    service: ReminderService, clock: FakeClock, platform: FakePlatform, db: Database
) -> None:
    await subscribe(service, 10, filter_kind="room", filter_value="curie")
    platform.errors.append(Crash("killed"))
    with pytest.raises(Crash):
        await run_at(service, clock, T0 - timedelta(minutes=10))
    assert await log_status(db) == {"guid-alpha": "claimed"}
    async with await Database.open(db.path) as reopened:
        restarted = ReminderService(reopened, platform, frontend="discord", clock=clock)
        assert await run_at(restarted, clock, T0 - timedelta(minutes=9)) == ["sent:Alpha"]
        assert await run_at(restarted, clock, T0 - timedelta(minutes=8)) == []
    assert platform.titles() == ["Alpha"]


async def test_crash_after_delivery_is_recovered_without_a_second_message(
    service: ReminderService, clock: FakeClock, platform: FakePlatform, db: Database
) -> None:
    await subscribe(service, 10, filter_kind="room", filter_value="curie")
    platform.crash_after = True
    with pytest.raises(Crash):
        await run_at(service, clock, T0 - timedelta(minutes=10))
    restarted = ReminderService(db, platform, frontend="discord", clock=clock)
    assert await run_at(restarted, clock, T0 - timedelta(minutes=9)) == ["recovered:Alpha"]
    assert platform.sends == 1
    assert await log_status(db) == {"guid-alpha": "sent"}


async def test_crashed_claim_whose_talk_started_is_closed_not_sent_late(
    service: ReminderService, clock: FakeClock, platform: FakePlatform, db: Database
) -> None:
    await subscribe(service, 10, filter_kind="room", filter_value="curie")
    platform.errors.append(Crash("killed"))
    with pytest.raises(Crash):
        await run_at(service, clock, T0 - timedelta(minutes=10))
    platform.lookup_errors.append(TransientSendError("503"))  # cannot even check: still closed
    assert await run_at(service, clock, T0 + timedelta(minutes=1)) == ["skipped:Alpha"]
    assert platform.delivered == []
    assert await log_status(db) == {"guid-alpha": "skipped"}


async def test_transient_errors_back_off_without_sleeping_then_give_up_at_the_start(
    service: ReminderService, clock: FakeClock, platform: FakePlatform, db: Database
) -> None:
    await subscribe(service, 10, filter_kind="room", filter_value="curie")
    due = T0 - timedelta(minutes=10)
    platform.errors += [TransientSendError("rate limited", retry_after=20), TransientSendError()]
    assert await run_at(service, clock, due) == ["retry:Alpha"]
    assert service.next_wakeup == due + timedelta(seconds=20)
    assert await run_at(service, clock, due + timedelta(seconds=10)) == []  # backing off
    assert await run_at(service, clock, due + timedelta(seconds=20)) == ["retry:Alpha"]
    assert service.next_wakeup == due + timedelta(seconds=80)  # 60 s: second attempt
    assert await run_at(service, clock, due + timedelta(seconds=80)) == ["sent:Alpha"]
    platform.errors += [TransientSendError("503")] * 30
    outcomes = []
    while clock.moment < T0 + timedelta(minutes=125):
        outcomes += await run_at(service, clock, clock.moment + timedelta(minutes=1))
    assert outcomes[0] == "retry:Gamma" and outcomes[-1] == "failed:Gamma"
    assert await log_status(db) == {"guid-alpha": "sent", "guid-gamma": "failed"}
    assert platform.titles() == ["Alpha"]


async def test_permanent_errors_disable_after_three_and_success_resets(
    service: ReminderService, clock: FakeClock, platform: FakePlatform, db: Database
) -> None:
    await subscribe(service, 10)
    forbidden = PermanentSendError("missing permission")
    platform.errors += [forbidden, forbidden]
    assert await run_at(service, clock, T0 - timedelta(minutes=10)) == ["retry:Alpha"]
    assert service.next_wakeup == T0 - timedelta(minutes=5)  # first permanent retry: 5 min
    assert await run_at(service, clock, T0 - timedelta(minutes=5)) == ["retry:Alpha"]
    assert await run_at(service, clock, T0 + timedelta(minutes=50)) == [
        "failed:Alpha",
        "sent:Beta",
    ]
    assert (await service.subscriptions())[0].failures == 0
    platform.errors += [forbidden] * 3
    assert await run_at(service, clock, T0 + timedelta(minutes=110)) == ["retry:Gamma"]
    assert await run_at(service, clock, T0 + timedelta(minutes=115)) == ["retry:Gamma"]
    assert service.next_wakeup == T0 + timedelta(minutes=120)  # 30 min, capped at the start
    assert await run_at(service, clock, T0 + timedelta(minutes=170)) == [
        "failed:Gamma",
        "disabled:Delta",
    ]
    sub = (await service.subscriptions())[0]
    assert not sub.enabled and sub.disabled_reason is not None
    assert "missing permission (3 failed attempts in a row)" in sub.disabled_reason
    assert await run_at(service, clock, T0 + timedelta(minutes=175)) == []
    assert platform.titles() == ["Beta"]


async def test_disabling_stops_the_other_claims_of_the_same_run(
    service: ReminderService, clock: FakeClock, platform: FakePlatform, db: Database
) -> None:
    await subscribe(service, 240)  # every talk is due at once
    platform.errors += [PermanentSendError("channel deleted")] * 3
    outcomes = await run_at(service, clock, T0 - timedelta(minutes=1))
    assert outcomes == ["retry:Alpha", "retry:Beta", "disabled:Gamma"]
    assert platform.delivered == []
    assert set((await log_status(db)).values()) == {"failed"}


async def test_unsubscribe_skips_pending_claims_and_resubscribing_never_repeats(
    service: ReminderService, clock: FakeClock, platform: FakePlatform, db: Database
) -> None:
    await subscribe(service, 10, filter_kind="room", filter_value="curie")
    await run_at(service, clock, T0 - timedelta(minutes=10))
    platform.errors.append(TransientSendError())
    await run_at(service, clock, T0 + timedelta(minutes=110))
    gone = await service.unsubscribe("c1", by="admin")
    assert [s.enabled for s in gone] == [False]
    assert await service.unsubscribe("c1", by="admin") == []
    assert await log_status(db) == {"guid-alpha": "sent", "guid-gamma": "skipped"}
    clock.moment = T0 - timedelta(minutes=30)  # (even a clock going back does not repeat)
    await subscribe(service, 10, filter_kind="room", filter_value="curie")
    assert await run_at(service, clock, T0 - timedelta(minutes=10)) == []
    assert platform.titles() == ["Alpha"]


async def test_a_data_load_in_progress_postpones_claims(
    service: ReminderService, clock: FakeClock, db: Database
) -> None:
    await subscribe(service, 10)
    async with db.transaction():
        assert await run_at(service, clock, T0 - timedelta(minutes=10)) == []
    assert service.next_wakeup == T0 - timedelta(minutes=10, seconds=-5)
    assert await run_at(service, clock, T0 - timedelta(minutes=9)) == ["sent:Alpha"]


# -- re-imports ----------------------------------------------------------------------------


async def test_reimport_moves_one_earlier_one_later_cancels_one_and_keeps_the_others(
    service: ReminderService, clock: FakeClock, platform: FakePlatform, db: Database
) -> None:
    await subscribe(service, 10)
    assert await run_at(service, clock, T0 - timedelta(minutes=10)) == ["sent:Alpha"]
    talks = {talk.slug: talk for talk in CONF.talks}
    moved = T0 + timedelta(minutes=30)
    changed = replace(
        CONF,
        talks=(
            replace(talks["alpha"], starts_at=T0 + timedelta(hours=5)),  # after its reminder
            replace(talks["beta"], starts_at=moved, ends_at=moved + timedelta(minutes=30)),
            talks["delta"],  # gamma is cancelled
        ),
    )
    await replace_conferences(db, [changed], origin="import")
    assert await run_at(service, clock, moved - timedelta(minutes=10)) == ["sent:Beta"]
    assert await run_at(service, clock, T0 + timedelta(minutes=170)) == ["sent:Delta"]
    # Alpha moved five hours after its reminder went out: reminded again, saying it moved.
    assert await run_at(service, clock, T0 + timedelta(hours=5, minutes=-11)) == []
    assert await run_at(service, clock, T0 + timedelta(hours=5, minutes=-10)) == ["sent:Alpha"]
    assert await run_at(service, clock, T0 + timedelta(hours=5, minutes=-9)) == []
    assert platform.titles() == ["Alpha", "Beta", "Delta", "Alpha"]  # none for gamma
    again = platform.delivered[-1][1]
    assert again.title == "Moved, now starting in 10 minutes: Alpha"
    assert [f.value for f in again.fields if f.name == "Moved from"] == [
        "Wednesday 1 May 11:00 CEST (09:00 UTC)"
    ]
    assert again.meta["idempotency_key"] != platform.delivered[0][1].meta["idempotency_key"]
    assert await log_status(db) == {
        "guid-alpha": "sent",
        "guid-alpha@20240501T1400Z": "sent",
        "guid-delta": "sent",
        "testconf/beta": "sent",
    }


async def test_reimport_cancelling_a_pending_claim_closes_it(
    service: ReminderService, clock: FakeClock, platform: FakePlatform, db: Database
) -> None:
    await subscribe(service, 10, filter_kind="room", filter_value="curie")
    platform.errors.append(TransientSendError())
    assert await run_at(service, clock, T0 - timedelta(minutes=10)) == ["retry:Alpha"]
    await replace_conferences(db, [replace(CONF, talks=CONF.talks[1:])], origin="import")
    assert await run_at(service, clock, T0 - timedelta(minutes=9)) == ["failed:Alpha"]
    assert platform.delivered == []


@pytest.mark.parametrize("in_time", [True, False])
async def test_reimport_moving_a_skipped_talk_later_gives_it_a_reminder_or_one_more_skip(
    service: ReminderService,
    clock: FakeClock,
    platform: FakePlatform,
    db: Database,
    in_time: bool,
) -> None:
    await subscribe(service, 10, filter_kind="room", filter_value="curie")
    assert await run_at(service, clock, T0 + timedelta(minutes=5)) == ["skipped:Alpha"]
    later = replace(CONF.talks[0], starts_at=T0 + timedelta(hours=4))
    await replace_conferences(db, [replace(CONF, talks=(later, *CONF.talks[1:]))], origin="import")
    if in_time:
        assert await run_at(service, clock, T0 + timedelta(hours=4, minutes=-10)) == [
            "skipped:Gamma",
            "sent:Alpha",
        ]
        return
    # Down again across the new time: skipped again (its row takes the new window), once.
    moment = T0 + timedelta(hours=4, minutes=1)
    assert await run_at(service, clock, moment) == ["skipped:Gamma", "skipped:Alpha"]
    assert await run_at(service, clock, moment + timedelta(minutes=1)) == []
    row = await db.fetch_one("SELECT end_at FROM deliveries WHERE key = 'guid-alpha'")
    assert row is not None and datetime.fromisoformat(row[0]) == T0 + timedelta(hours=4)
    assert platform.delivered == []


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_frab_sample_by_track(db: Database, clock: FakeClock, platform: FakePlatform) -> None:
    camp = load_schedule(SAMPLES / "frab-camp2019.json")
    await replace_conferences(db, [camp], origin="import")
    service = ReminderService(db, platform, frontend="slack", clock=clock)
    clock.moment = datetime(2019, 8, 20, tzinfo=UTC)
    subscribed = await service.subscribe(
        guild_id="t",
        channel_id="C1",
        minutes_before="15",
        created_by="admin",
        can_post=True,
        conference="CAMP2019",
        filter_kind="track",
        filter_value="hardware",
    )
    status = (await service.status("C1"))[0]
    assert status == subscribed and status.counts == {}
    first_due, first = status.upcoming[0]
    assert first.track == "Hardware & Making" and first_due == first.starts - timedelta(minutes=15)
    await run_at(service, clock, datetime(2019, 8, 26, tzinfo=UTC))
    assert platform.delivered == []  # all missed: the bot was "down" the whole camp
    assert (await service.status("C1"))[0].counts == {"skipped": 14}
    report = await reminders_report(db, clock.now())
    assert "#1 slack guild t channel C1: 15 minutes before each talk in a track" in report
    assert "(nothing scheduled)" in report


async def test_report_lists_the_next_reminders(service: ReminderService, db: Database) -> None:
    assert "0 subscriptions" in await reminders_report(db, T0)
    await subscribe(service, 10, filter_kind="room", filter_value="meitner")
    report = await reminders_report(db, T0 - timedelta(hours=1))
    assert "2024-05-01 09:50 UTC  #1 discord/c1  Beta (Meitner, 10:00 UTC)" in report
    assert "Delta" in report and "Alpha" not in report
