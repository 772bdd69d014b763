"""The agenda planner is pure: lead time, moves, cancellations, DST and talks added later by
a followed speaker or track, from plain values and a moment (no database, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.answer import Moment, moment, strip_highlights
from bot.delivery.agenda_plan import AgendaPost, fold, plan
from bot.reminders import ReminderTalk
from bot.store.agenda import Follow, Person
from bot.store.changes import ProgrammeChange, TalkSnapshot

T = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


def person(pid: int = 1, minutes: int = 10, enabled: bool = True) -> Person:
    return Person(pid, "discord", f"u{pid}", minutes, enabled, None, False, None)


def talk(key: str = "g1", starts: datetime = T, **extra: object) -> ReminderTalk:
    values: dict[str, object] = {
        "ref": f"conf/{key}",
        "conference": "conf",
        "title": f"Talk {key}",
        "speakers": ("Ada Lovelace",),
        "room": "Hall A",
        "track": "Data",
        "starts": starts,
        "zone": "Europe/Berlin",
    }
    values.update(extra)
    return ReminderTalk(key=key, **values)  # type: ignore[arg-type]


def follow(kind: str, value: str, pid: int = 1, at: datetime = T - timedelta(days=1)) -> Follow:
    return Follow(pid, "g", kind, value, "", value, at)


def keys(result: object) -> list[tuple[int, str]]:
    return [(d.subscription_id, d.key) for d in result.due]  # type: ignore[attr-defined]


def test_a_reminder_is_due_its_lead_time_before_the_talk_and_until_it_starts() -> None:
    people, follows, talks = [person(minutes=15)], [follow("talk", "g1")], [talk()]
    assert plan(people, follows, talks, [], T - timedelta(minutes=16)).due == []
    assert plan(people, follows, talks, [], T - timedelta(minutes=16)).next_due == T - timedelta(
        minutes=15
    )
    due = plan(people, follows, talks, [], T - timedelta(minutes=15)).due
    assert keys(plan(people, follows, talks, [], T - timedelta(minutes=15))) == [
        (1, "talk:g1@20260504T1400Z")
    ]
    assert due[0].due == T - timedelta(minutes=15) and due[0].deadline == T
    assert due[0].post.channel_id == "u1" and due[0].post.minutes_before == 15
    assert plan(people, follows, talks, [], T).due == []  # started: never late


def test_a_paused_person_and_an_unfollowed_talk_get_nothing() -> None:
    now = T - timedelta(minutes=5)
    assert plan([person(enabled=False)], [follow("talk", "g1")], [talk()], [], now).due == []
    assert plan([person()], [follow("talk", "other")], [talk()], [], now).due == []


def test_speaker_track_and_room_follows_pick_up_talks_added_later() -> None:
    now = T - timedelta(minutes=5)
    follows = [
        follow("speaker", fold("ADA  lovelace"), pid=1),
        follow("track", "data", pid=2),
        follow("room", "hall a", pid=3),
    ]
    people = [person(1), person(2), person(3)]
    assert plan(people, follows, [], [], now).due == []  # nothing in the programme yet
    added = [talk("new1"), talk("new2", track=None, room="Hall B", speakers=("Bob",))]
    assert sorted(keys(plan(people, follows, added, [], now))) == [
        (1, "talk:new1@20260504T1400Z"),
        (2, "talk:new1@20260504T1400Z"),
        (3, "talk:new1@20260504T1400Z"),
    ]


def test_a_followed_talk_that_moves_is_reminded_at_its_new_time_and_the_follower_told() -> None:
    later = T + timedelta(hours=2)
    detected = T - timedelta(minutes=30)
    moved = ProgrammeChange(
        "conf",
        "g1",
        "moved",
        TalkSnapshot("Talk g1", T, None, "Hall A", ("Ada Lovelace",)),
        TalkSnapshot("Talk g1", later, None, "Hall A", ("Ada Lovelace",)),
        batch_id=1,
        detected_at=detected,
    )
    follows = [follow("talk", "g1", pid=1), follow("talk", "g1", pid=2, at=detected + timedelta(1))]
    people = [person(1), person(2)]
    now = T - timedelta(minutes=5)  # the old reminder time: nothing, the talk is later now
    result = plan(people, follows, [talk(starts=later)], [moved], now)
    assert keys(result) == [(1, "moved:g1@20260504T1600Z")]  # only who followed before
    note = result.due[0].post
    assert note.kind == "moved" and note.old_starts_at == T and note.starts_at == later
    assert result.next_due == later - timedelta(minutes=10)
    at_new_time = plan(people, follows, [talk(starts=later)], [moved], later - timedelta(minutes=9))
    assert (1, "talk:g1@20260504T1600Z") in keys(at_new_time)
    assert (2, "talk:g1@20260504T1600Z") in keys(at_new_time)


def test_a_cancelled_talk_is_told_instead_of_reminded() -> None:
    detected = T - timedelta(hours=1)
    cancelled = ProgrammeChange(
        "conf",
        "g1",
        "cancelled",
        TalkSnapshot("Talk g1", T, None, "Hall A", ("Ada Lovelace",)),
        None,
        batch_id=2,
        detected_at=detected,
    )
    follows = [follow("talk", "g1", pid=1), follow("speaker", "ada lovelace", pid=2)]
    now = T - timedelta(minutes=5)
    result = plan([person(1), person(2)], follows, [], [cancelled], now, {"conf": "Europe/Berlin"})
    assert sorted(keys(result)) == [(1, "cancelled:g1"), (2, "cancelled:g1")]
    assert all(d.post.kind == "cancelled" and d.deadline == T for d in result.due)
    assert result.due[0].post.zone == "Europe/Berlin"
    assert plan([person(1)], follows, [], [cancelled], T + timedelta(minutes=1)).due == []


def test_a_track_follower_is_told_of_a_cancelled_talk_in_that_track() -> None:
    before = TalkSnapshot("Talk g1", T, None, "Hall A", ("Ada Lovelace",), track="Data")
    cancelled = ProgrammeChange(
        "conf", "g1", "cancelled", before, None, batch_id=2, detected_at=T - timedelta(hours=1)
    )
    follows = [follow("track", "data", pid=1), follow("track", "security", pid=2)]
    result = plan([person(1), person(2)], follows, [], [cancelled], T - timedelta(minutes=5))
    assert keys(result) == [(1, "cancelled:g1")] and result.due[0].post.kind == "cancelled"


def test_lead_time_across_a_dst_change_is_counted_in_real_minutes() -> None:
    # Berlin springs forward at 02:00 on 29 March 2026: 03:05 CEST is 01:05 UTC.
    starts = datetime(2026, 3, 29, 1, 5, tzinfo=UTC)
    now = datetime(2026, 3, 29, 0, 50, tzinfo=UTC)  # 01:50 CET, before the switch
    result = plan([person(minutes=15)], [follow("talk", "g1")], [talk(starts=starts)], [], now)
    [due] = result.due
    assert due.due == starts - timedelta(minutes=15) == now  # 15 real minutes, not 75
    shown = strip_highlights(moment(due.post.starts_at, due.post.zone, "time"))
    assert shown == "03:05 CEST"
    assert Moment(int(starts.timestamp()), "time", "Europe/Berlin").local.hour == 3


def test_the_snapshot_survives_a_round_trip_and_the_key_is_a_valid_nonce() -> None:
    [due] = plan([person()], [follow("talk", "g1")], [talk()], [], T - timedelta(minutes=1)).due
    post = due.post
    assert AgendaPost.from_json(post.to_json()) == post
    assert len(post.idempotency_key) <= 25
