"""The agenda service runs its planner through the one engine: a DM once per person and talk
at the lead time, moved with its talk, none for a cancelled one, and a refused DM pauses the
person at the first failure (no retry storm) until /agenda resumes them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.core import Core
from bot.delivery.agenda_service import AgendaService
from bot.delivery.model import PermanentSendError
from bot.records import Conference
from bot.store import agenda
from bot.store.agenda import Follow
from bot.store.db import Database
from bot.store.imports import import_conference
from tests.commands.conftest import START, walk_conference
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster

USER = "U0AGENDA1"


async def setup(db: Database, clock: FakeClock, *follows: tuple[str, str]) -> int:
    await import_conference(db, walk_conference(), origin="import", now=clock.now())
    person = await agenda.ensure_person(db, "slack", USER, clock.now())
    for kind, value in follows:
        await agenda.add_follow(db, Follow(person.id, "T1", kind, value, "", value, clock.now()))
    return person.id


async def test_one_dm_per_followed_talk_at_its_lead_time(db: Database) -> None:
    clock = FakeClock(START - timedelta(hours=1))
    await setup(db, clock, ("room", "Hall A"))
    poster = FakePoster(clock)
    service = AgendaService(db, poster, frontend="slack", clock=clock)
    results = await service.run_due()
    while not results:  # the post loop: each run at the service's next wake-up
        assert service.next_wakeup is not None and service.next_wakeup <= START
        clock.set(service.next_wakeup)
        results = await service.run_due()
    assert clock.now() == START - timedelta(minutes=10)  # at the lead time, not before
    assert [r.kind for r in results] == ["sent"]
    assert [r.kind for r in await service.run_due()] == []  # exactly once
    [dm] = poster.delivered
    assert dm.post.channel_id == USER and dm.answer.title.startswith("In 10 minutes: ")
    assert "Hall A" in dm.answer.title
    clock.set(START + timedelta(hours=1, minutes=-10))
    assert [r.kind for r in await service.run_due()] == ["sent"]  # the next talk in Hall A


async def test_a_moved_talk_is_told_and_reminded_at_its_new_time_a_cancelled_one_told(
    db: Database,
) -> None:
    clock = FakeClock(START - timedelta(hours=2))
    await setup(db, clock, ("talk", "walk-2026/hall-a-0"), ("talk", "walk-2026/hall-b-0"))
    poster = FakePoster(clock)
    service = AgendaService(db, poster, frontend="slack", clock=clock)
    conference = walk_conference()
    talks = []
    for talk in conference.talks:
        if talk.slug == "hall-a-0":
            assert talk.starts_at is not None and talk.ends_at is not None
            talk = dataclasses.replace(
                talk,
                starts_at=talk.starts_at + timedelta(hours=5),
                ends_at=talk.ends_at + timedelta(hours=5),
            )
        if talk.slug != "hall-b-0":  # cancelled
            talks.append(talk)
    clock.advance(timedelta(minutes=30))
    changed = Conference(conference.slug, conference.name, talks=tuple(talks), timezone="UTC")
    await import_conference(db, changed, origin="import", now=clock.now())
    results = await service.run_due()
    titles = sorted(d.answer.title for d in poster.delivered)
    assert [r.kind for r in results] == ["sent", "sent"]
    assert titles == ["Cancelled: Data talk 0 in Hall B", "Moved: Data talk 0 in Hall A"]
    clock.set(START - timedelta(minutes=10))  # the old time: nothing
    assert await service.run_due() == []
    clock.set(START + timedelta(hours=5, minutes=-10))  # the new time: the reminder
    assert [r.kind for r in await service.run_due()] == ["sent"]
    assert poster.delivered[-1].answer.title == "In 10 minutes: Data talk 0 in Hall A"
    assert len(poster.delivered) == 3


async def test_a_refused_dm_pauses_the_person_once_and_agenda_resumes(db: Database) -> None:
    clock = FakeClock(START + timedelta(minutes=55))  # two followed talks due at once
    await setup(db, clock, ("room", "Hall A"), ("room", "Hall B"))
    poster = FakePoster(clock, errors=[PermanentSendError("cannot_dm_bot")])
    paused: list[tuple[str, str]] = []
    service = AgendaService(
        db, poster, frontend="slack", clock=clock, on_pause=lambda f, u: paused.append((f, u))
    )
    assert [r.kind for r in await service.run_due()] == ["disabled"]  # one attempt, not two
    assert paused == [("slack", USER)] and poster.delivered == []
    assert await service.run_due() == []  # paused: no retry storm
    core = Core(db, clock=clock)
    from bot.commands.registry import Caller

    caller = Caller("slack", USER, "T1", "C1")
    first = await core.ask("/talk Data talk 1 in Hall A", caller)
    assert first.ephemeral and "cannot_dm_bot" in first.footer and "/agenda" in first.footer
    again = await core.ask("/talk Data talk 1 in Hall A", caller)
    assert "cannot_dm_bot" not in again.footer  # told once
    shown = await core.ask("/agenda all", caller)
    assert "on again" in " ".join(f.value for f in shown.fields)
    clock.set(START + timedelta(hours=1, minutes=50))
    assert [r.kind for r in await service.run_due()] == ["sent", "sent"]
