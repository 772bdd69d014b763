"""Talk reminders, the pure part: input parsing, filters, due rules, keys and answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.model import NONCE_MAX_LENGTH
from bot.delivery.reminder_answers import (
    reminder_answer,
    status_answer,
    subscribed_answer,
    subscriptions_answer,
    unsubscribed_answer,
)
from bot.reminders import (
    ReminderInputError,
    ReminderPost,
    ReminderStatus,
    ReminderSubscription,
    ReminderTalk,
    decide,
    parse_filter,
    parse_minutes,
    talk_key,
    upcoming,
)

START = datetime(2019, 8, 21, 9, 0, tzinfo=UTC)


def talk(
    key: str = "g1", *, room: str = "Curie", track: str = "Security", hours: int = 0
) -> ReminderTalk:
    return ReminderTalk(
        key=key,
        ref=f"camp2019/{key}",
        conference="camp2019",
        title=f"Talk {key}",
        speakers=("Ada", "Grace"),
        room=room,
        track=track,
        starts=START + timedelta(hours=hours),
        zone="Europe/Berlin",
    )


def sub(
    kind: str = "all", value: str = "", *, conference: str | None = None, minutes: int = 10
) -> ReminderSubscription:
    return ReminderSubscription(
        id=7,
        frontend="discord",
        guild_id="g",
        channel_id="c",
        conference=conference,
        minutes_before=minutes,
        filter_kind="room" if kind == "room" else "track" if kind == "track" else "all",
        filter_value=value,
        created_by="admin",
        since=START - timedelta(days=1),
    )


@pytest.mark.parametrize(("text", "expected"), [("10", 10), (" 1 ", 1), (1440, 1440)])
def test_parse_minutes_accepts_whole_minutes(text: str | int, expected: int) -> None:
    assert parse_minutes(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ten", "not a number"),
        ("2.5", "not a number"),
        ("0", "out of range"),
        ("1441", "out of range"),
    ],
)
def test_parse_minutes_explains_bad_input(text: str, message: str) -> None:
    with pytest.raises(ReminderInputError, match=message):
        parse_minutes(text)


def test_parse_filter() -> None:
    assert parse_filter("all", "ignored") == ("all", "")
    assert parse_filter(" Room ", " curie ") == ("room", "curie")
    assert parse_filter("track", "Sec") == ("track", "Sec")
    with pytest.raises(ReminderInputError, match="room or track"):
        parse_filter("speaker", "x")
    with pytest.raises(ReminderInputError, match="Name the room"):
        parse_filter("room", "  ")


def test_filters_match_case_insensitive_substrings_and_conference() -> None:
    assert sub().matches(talk())
    assert sub("room", "CUR").matches(talk())
    assert not sub("room", "meit").matches(talk())
    assert sub("track", "secur").matches(talk())
    assert not sub("track", "art").matches(talk())
    assert not sub("room", "x").matches(talk(room=""))
    assert sub(conference="camp2019").matches(talk())
    assert not sub(conference="other").matches(talk())


def test_talk_key_prefers_the_guid() -> None:
    assert talk_key("abc-1", "camp2019", "opening") == "abc-1"
    assert talk_key(None, "camp2019", "opening") == "camp2019/opening"


def test_decide_waits_sends_until_start_then_skips() -> None:
    due, starts = START - timedelta(minutes=10), START
    assert decide(due - timedelta(seconds=1), due, starts) == "wait"
    assert decide(due, due, starts) == "send"
    assert decide(starts - timedelta(seconds=1), due, starts) == "send"
    assert decide(starts, due, starts) == "skip"


def test_upcoming_lists_open_matching_talks_by_due() -> None:
    talks = [
        talk("b", hours=2),
        talk("a", hours=1),
        talk("m", room="Meitner"),
        talk("done", hours=3),
    ]
    items = upcoming(sub("room", "curie"), talks, {"done"}, START - timedelta(hours=1))
    assert [(due - START, t.key) for due, t in items] == [
        (timedelta(minutes=50), "a"),
        (timedelta(hours=1, minutes=50), "b"),
    ]
    assert upcoming(sub(), talks, set(), START + timedelta(hours=5)) == []


def test_post_key_is_a_deterministic_discord_nonce_and_round_trips() -> None:
    post = ReminderPost.make(sub(), talk())
    again = ReminderPost.make(sub(minutes=5), talk(room="moved"))
    assert post.idempotency_key == again.idempotency_key  # identity: subscription and talk
    assert post.idempotency_key.startswith("r-")
    assert len(post.idempotency_key) == NONCE_MAX_LENGTH
    assert ReminderPost.make(sub(), talk("g2")).idempotency_key != post.idempotency_key
    assert post.scheduled_at == START - timedelta(minutes=10)
    assert post.starts_at.utcoffset() == timedelta(hours=2)  # local: CEST
    assert ReminderPost.from_json(post.to_json()) == post


def test_reminder_answer() -> None:
    answer = reminder_answer(ReminderPost.make(sub(), talk()))
    assert answer.kind == "reminder"
    assert answer.title == "Starting in 10 minutes: Talk g1"
    fields = {f.name: f.value for f in answer.fields}
    assert fields == {
        "Speaker": "Ada, Grace",
        "Room": "Curie",
        "Time": "Wednesday 21 August 11:00 CEST (09:00 UTC)",
    }
    assert answer.meta["idempotency_key"].startswith("r-")
    one = reminder_answer(ReminderPost.make(sub(minutes=1), talk(room="")))
    assert one.title.startswith("Starting in 1 minute:")
    assert {f.name: f.value for f in one.fields}["Room"] == "not announced"


def test_admin_answers() -> None:
    room = sub("room", "curie", conference="camp2019")
    assert room.describe() == '10 minutes before each talk in a room matching "curie" (camp2019)'
    assert sub(minutes=1).describe() == "1 minute before each talk (all conferences)"
    subscribed = subscribed_answer(ReminderStatus(room, {}, ((START, talk()),)))
    assert "post a reminder here 10 minutes" in subscribed.text
    assert subscribed.fields[0].value.startswith("Talk g1, Wednesday 21 August 11:00 CEST")
    assert subscribed_answer(ReminderStatus(room)).fields[0].value == "none scheduled"
    assert not unsubscribed_answer([]).found
    assert "#7" in unsubscribed_answer([room]).text
    assert "#7 in channel c" in subscriptions_answer([room]).text
    status = status_answer([ReminderStatus(room, {"sent": 3, "skipped": 1}, ())])
    assert "3 sent, 1 skipped" in status.fields[0].value
    assert not status_answer([]).found
