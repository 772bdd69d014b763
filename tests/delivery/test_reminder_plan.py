"""The talk reminder planner, pure: (subscriptions, talks, delivery rows, cancelled talks, now)
in, a `Plan` out. No database, no poster, no clock: every case is a value in and a value out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.delivery.plan import Plan
from bot.delivery.reminder_answers import reminder_answer
from bot.delivery.reminder_plan import plan_reminders, settled
from bot.reminders import ReminderPost, ReminderSubscription, ReminderTalk
from bot.store.changes import TalkSnapshot
from bot.store.deliveries import ts

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # 14:00 in Europe/Berlin
BERLIN = ZoneInfo("Europe/Berlin")


def talk(key: str = "g1", *, at: datetime = START, room: str = "Curie") -> ReminderTalk:
    return ReminderTalk(
        key=key,
        ref=f"conf/{key}",
        conference="conf",
        title=f"Talk {key}",
        speakers=("Ada",),
        room=room,
        track="Security",
        starts=at,
        zone="Europe/Berlin",
    )


def sub(minutes: int = 10, sub_id: int = 1) -> ReminderSubscription:
    return ReminderSubscription(
        id=sub_id,
        frontend="discord",
        guild_id="g",
        channel_id=f"c{sub_id}",
        conference=None,
        minutes_before=minutes,
        filter_kind="all",
        filter_value="",
        created_by="admin",
        since=START - timedelta(days=2),
    )


def row(
    post: ReminderPost,
    status: str,
    *,
    retry: datetime | None = None,
    attempted: datetime | None = None,
) -> dict[str, Any]:
    """A delivery row as the store returns it, for `post`."""
    return {
        "subscription_id": post.subscription_id,
        "key": post.key,
        "status": status,
        "due_at": ts(post.scheduled_at),
        "end_at": ts(post.starts_at),
        "attempted_at": ts(attempted or post.scheduled_at),
        "attempts": 1 if retry else 0,
        "next_attempt_at": ts(retry) if retry else None,
        "error": "503" if retry else None,
        "snapshot": post.to_json(),
    }


def plan(
    now: datetime,
    talks: list[ReminderTalk],
    log: list[dict[str, Any]] = (),  # type: ignore[assignment]
    cancelled: dict[str, TalkSnapshot] | None = None,
    subs: list[ReminderSubscription] | None = None,
) -> Plan[ReminderPost]:
    return plan_reminders(subs or [sub()], talks, list(log), cancelled or {}, now)


def keys(result: Plan[ReminderPost]) -> dict[str, list[str]]:
    return {
        "due": [item.key for item in result.due],
        "pending": [item.job.key for item in result.pending],
        "missed": [item.key for item in result.missed],
        "waits": [item.key for item in result.waits],
    }


NOTHING: dict[str, list[str]] = {"due": [], "pending": [], "missed": [], "waits": []}


def test_a_reminder_waits_for_its_moment_then_is_due_until_the_talk_starts() -> None:
    early = plan(START - timedelta(minutes=11), [talk()])
    assert keys(early) == NOTHING and early.wakeup == START - timedelta(minutes=10)
    due = plan(START - timedelta(minutes=10), [talk()])
    [item] = due.due
    assert (item.key, item.due, item.deadline, item.retry_until) == (
        "g1",
        START - timedelta(minutes=10),
        START,
        START,
    )
    assert item.post.starts_at.tzinfo == BERLIN and f"{item.post.starts_at:%H:%M}" == "14:00"
    late = plan(START - timedelta(seconds=1), [talk()])
    assert keys(late)["due"] == ["g1"]


def test_a_talk_that_started_while_the_bot_was_down_is_missed_not_sent() -> None:
    result = plan(START + timedelta(minutes=1), [talk()])
    assert keys(result) == {**NOTHING, "missed": ["g1"]}
    assert result.missed[0].reason == "the talk started while the bot was down"


def test_talks_before_the_subscription_or_outside_its_filter_are_not_its_business() -> None:
    fresh = replace(sub(), since=START + timedelta(minutes=1))
    assert keys(plan(START - timedelta(minutes=5), [talk()], subs=[fresh])) == NOTHING
    curie = replace(sub(), filter_kind="room", filter_value="meitner")
    assert keys(plan(START - timedelta(minutes=5), [talk()], subs=[curie])) == NOTHING


def test_a_skipped_reminder_is_planned_again_only_when_its_talk_moved() -> None:
    missed = ReminderPost.make(sub(), talk())
    log = [row(missed, "skipped")]
    assert keys(plan(START + timedelta(minutes=1), [talk()], log)) == NOTHING
    later = talk(at=START + timedelta(hours=2))
    result = plan(START + timedelta(hours=2, minutes=-5), [later], log)
    assert keys(result)["due"] == ["g1"] and result.due[0].reclaim


def test_a_pending_claim_backs_off_then_is_sent_again_with_a_lookup() -> None:
    post = ReminderPost.make(sub(), talk())
    retry = START - timedelta(minutes=8)
    log = [row(post, "claimed", retry=retry)]
    waiting = plan(START - timedelta(minutes=9), [talk()], log)
    assert keys(waiting) == NOTHING and waiting.wakeup == retry
    again = plan(retry, [talk()], log)
    [pending] = again.pending
    assert pending.close is None and pending.job.deadline == START and pending.job.attempts == 1


def test_a_pending_claim_follows_a_move_later_and_is_closed_when_cancelled_or_started() -> None:
    post = ReminderPost.make(sub(), talk())
    log = [row(post, "claimed")]
    later = talk(at=START + timedelta(hours=1))
    moved = plan(START - timedelta(minutes=9), [later], log)
    [wait] = moved.waits
    assert (wait.key, wait.due, wait.deadline) == (
        "g1",
        later.starts - timedelta(minutes=10),
        later.starts,
    )
    gone = plan(START - timedelta(minutes=9), [], log)
    [closing] = gone.pending
    assert closing.close is not None and closing.close.skipped == "the talk was cancelled"
    started = plan(START + timedelta(minutes=1), [talk()], log)
    assert started.pending[0].close is not None
    assert started.pending[0].close.skipped == "the talk started before it went out"


def test_a_reminded_talk_that_moves_a_few_minutes_is_not_reminded_again() -> None:
    told = ReminderPost.make(sub(), talk())
    log = [row(told, "sent")]
    nudged = talk(at=START + timedelta(minutes=5))
    assert keys(plan(START - timedelta(minutes=4), [nudged], log)) == NOTHING


def test_a_reminded_talk_that_moves_more_is_reminded_again_at_its_new_time() -> None:
    told = ReminderPost.make(sub(), talk())
    log = [row(told, "sent")]
    later = talk(at=START + timedelta(minutes=30))
    waiting = plan(START - timedelta(minutes=5), [later], log)
    assert keys(waiting) == NOTHING and waiting.wakeup == later.starts - timedelta(minutes=10)
    result = plan(later.starts - timedelta(minutes=10), [later], log)
    [item] = result.due
    assert item.key == "g1@20240501T1230Z" and item.deadline == later.starts
    assert item.post.moved_from == START
    answer = reminder_answer(item.post)
    assert answer.title == "Moved, now starting in 10 minutes: Talk g1"
    assert dict((f.name, f.value) for f in answer.fields)["Moved from"].startswith(
        "Wednesday 1 May 14:00 CEST"
    )
    assert item.post.idempotency_key != told.idempotency_key
    # Told of the new time, a channel is not told again; moved back, it is.
    again = ReminderPost.make(sub(), later)
    log.append(row(replace(again, moved_from=START), "sent"))
    assert keys(plan(later.starts - timedelta(minutes=9), [later], log)) == NOTHING
    back = plan(START - timedelta(minutes=10), [talk()], log)
    assert keys(back)["due"] == ["g1@20240501T1200Z"]
    assert back.due[0].post.moved_from == later.starts


def test_a_talk_moved_earlier_after_its_reminder_into_the_past_gets_nothing_more() -> None:
    told = ReminderPost.make(sub(), talk())
    log = [row(told, "sent")]
    earlier = talk(at=START - timedelta(minutes=30))
    assert keys(plan(START - timedelta(minutes=9), [earlier], log)) == NOTHING


def test_a_reminded_talk_that_is_cancelled_gets_one_notice_until_it_would_have_ended() -> None:
    told = ReminderPost.make(sub(), talk())
    log = [row(told, "sent")]
    was = TalkSnapshot("Talk g1", START, START + timedelta(minutes=45), "Curie", ("Ada",))
    now = START - timedelta(minutes=5)
    result = plan(now, [], log, {"g1": was})
    [notice] = result.due
    assert notice.key == "g1#cancelled" and notice.due <= now
    assert notice.deadline == START + timedelta(minutes=45)
    answer = reminder_answer(notice.post)
    assert answer.text == "Cancelled: \x02Talk g1\x03 (was 14:00, Curie)"
    assert notice.post.idempotency_key not in (told.idempotency_key,)
    # Once claimed (whatever became of it) it is never planned again.
    log.append(row(notice.post, "sent"))
    assert keys(plan(now, [], log, {"g1": was})) == NOTHING
    # Too late, never reminded, or back in the programme: no notice.
    assert keys(plan(START + timedelta(hours=1), [], log[:1], {"g1": was})) == NOTHING
    assert keys(plan(now, [], [], {"g1": was})) == NOTHING
    assert keys(plan(now, [talk()], log[:1], {"g1": was})) == NOTHING


def test_a_pending_notice_is_closed_when_the_talk_comes_back() -> None:
    told = ReminderPost.make(sub(), talk())
    notice = replace(told, cancelled=True)
    log = [row(told, "sent"), row(notice, "claimed")]
    log[1]["end_at"] = ts(START + timedelta(hours=1))
    sending = plan(START, [], log, {})
    assert [(p.job.key, p.close) for p in sending.pending] == [("g1#cancelled", None)]
    back = plan(START, [talk()], log, {})
    [closing] = back.pending
    assert (
        closing.close is not None and closing.close.skipped == "the talk is back in the programme"
    )


def test_reminders_across_the_autumn_dst_change_are_n_minutes_of_real_time_before() -> None:
    # 02:30 happens twice in Berlin on 27 October 2024; the second time is 01:30 UTC.
    second = datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=BERLIN).astimezone(UTC)
    assert second == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    result = plan(second - timedelta(minutes=60), [talk(at=second)], subs=[sub(60)])
    [item] = result.due
    assert item.due == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first one
    times = dict((f.name, f.value) for f in reminder_answer(item.post).fields)
    assert times["Time"] == "Sunday 27 October 02:30 CET (01:30 UTC)"


def test_each_subscription_plans_its_own_keys_and_disabled_ones_nothing() -> None:
    off = replace(sub(5, sub_id=2), enabled=False)
    result = plan(START - timedelta(minutes=5), [talk(), talk("g2")], subs=[sub(10), off])
    assert [(item.subscription_id, item.key) for item in result.due] == [(1, "g1"), (1, "g2")]


def test_status_lists_a_reminder_again_after_a_move_until_it_has_a_row() -> None:
    told = ReminderPost.make(sub(), talk())
    log = [row(told, "sent")]
    later = talk(at=START + timedelta(minutes=30))
    assert settled(log, [talk()]) == {"g1"}
    assert settled(log, [talk(at=START + timedelta(minutes=4))]) == {"g1"}
    assert "g1" not in settled(log, [later])
    again = replace(ReminderPost.make(sub(), later), moved_from=START)
    assert "g1" in settled([*log, row(again, "claimed")], [later])
