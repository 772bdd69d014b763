"""The daily wisdom planner, pure: (subscriptions, last dates, claims, now) in, then the
nuggets chosen for what is due, then a `Plan` out. No database, no poster, no clock."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.delivery.plan import Plan
from bot.delivery.wisdom_plan import (
    CRASHED,
    GAVE_UP,
    LOOKUP_GIVE_UP,
    choose_nuggets,
    dump_post,
    plan_days,
    plan_wisdom,
    post_from_row,
)
from bot.delivery.wisdom_rules import CycleState
from bot.store.deliveries import ts
from bot.wisdom import Subscription, WisdomPost, channel_seed

GRACE = timedelta(hours=6)
POOL = ["k1", "k2", "k3"]


def sub(zone: str = "Europe/Amsterdam", at: time = time(9, 0), sub_id: int = 1) -> Subscription:
    return Subscription(
        id=sub_id,
        frontend="discord",
        guild_id="g",
        channel_id=f"c{sub_id}",
        post_time=at,
        zone=zone,
        enabled=True,
        created_by="admin",
        created_at=datetime(2024, 3, 1, tzinfo=UTC),
        start_date=date(2024, 3, 20),
        seed=channel_seed("discord", f"c{sub_id}"),
    )


def details(keys: list[str]) -> dict[str, dict[str, Any]]:
    return {
        key: {
            "nugget_text": f"Nugget {key}",
            "speaker": "Ada",
            "source": "talk",
            "talk_title": "A talk",
            "conference_name": "Conf",
        }
        for key in keys
    }


def plan(
    subs: list[Subscription],
    now: datetime,
    *,
    last: dict[int, date] | None = None,
    claims: list[dict[str, Any]] = (),  # type: ignore[assignment]
    pool: list[str] = POOL,
    states: dict[int, CycleState] | None = None,
) -> Plan[WisdomPost]:
    days = plan_days({s.id: s for s in subs}, last or {}, list(claims), now, GRACE)
    picks = choose_nuggets(days.due, {s.id: pool for s in subs}, states or {})
    return plan_wisdom(days, picks, details(pool), now)


def claim_row(post: WisdomPost, *, end: datetime, retry: datetime | None = None) -> dict[str, Any]:
    return {
        "subscription_id": post.subscription_id,
        "key": post.local_date.isoformat(),
        "status": "claimed",
        "due_at": ts(post.scheduled_at),
        "end_at": ts(end),
        "attempted_at": ts(post.scheduled_at),
        "attempts": 1 if retry else 0,
        "next_attempt_at": ts(retry) if retry else None,
        "error": "503" if retry else None,
        "snapshot": dump_post(post),
        "item": post.nugget_key,
        "manual": 0,
        "idempotency_key": "wisdom-1-20240325",
    }


def test_nothing_is_due_before_the_local_time_and_the_wakeup_says_when() -> None:
    now = datetime(2024, 3, 25, 7, 59, tzinfo=UTC)  # 08:59 in Amsterdam (CET)
    result = plan([sub()], now, last={1: date(2024, 3, 24)})
    assert list(result.due) == [] and list(result.missed) == []
    assert result.wakeup == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)


def test_the_date_due_carries_the_next_nugget_of_the_walk_and_its_window() -> None:
    now = datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    result = plan([sub()], now, last={1: date(2024, 3, 24)})
    [item] = result.due
    assert item.key == "2024-03-25" and item.due == now and item.deadline == now + GRACE
    assert item.item in POOL and item.cycle == 1
    assert item.post.text == f"Nugget {item.item}" and item.post.attempted_at == now
    assert item.post.idempotency_key == "wisdom-1-20240325"
    again = plan(
        [sub()],
        now,
        last={1: date(2024, 3, 24)},
        states={1: CycleState(1, frozenset({item.item or ""}), item.item)},
    )
    assert again.due[0].item != item.item  # the walk moves on


def test_dates_missed_while_down_are_recorded_and_only_the_latest_open_one_is_due() -> None:
    now = datetime(2024, 3, 27, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam on the 27th
    result = plan([sub()], now, last={1: date(2024, 3, 24)})
    assert [m.key for m in result.missed] == ["2024-03-25", "2024-03-26"]
    assert result.missed[0].reason.startswith("missed: not posted between Monday 25 March")
    assert [d.key for d in result.due] == ["2024-03-27"]


def test_spring_forward_posts_at_the_first_moment_after_the_gap() -> None:
    # 02:30 does not exist in Amsterdam on 31 March 2024: the post is due at 03:00 CEST.
    night = sub(at=time(2, 30))
    before = plan([night], datetime(2024, 3, 31, 0, 59, tzinfo=UTC), last={1: date(2024, 3, 30)})
    assert list(before.due) == [] and before.wakeup == datetime(2024, 3, 31, 1, 0, tzinfo=UTC)
    result = plan([night], datetime(2024, 3, 31, 1, 0, tzinfo=UTC), last={1: date(2024, 3, 30)})
    assert [(d.key, d.due) for d in result.due] == [
        ("2024-03-31", datetime(2024, 3, 31, 1, 0, tzinfo=UTC))
    ]


def test_fall_back_posts_once_at_the_first_of_the_two_times() -> None:
    # 02:30 happens twice in Amsterdam on 27 October 2024 (00:30 and 01:30 UTC).
    night = sub(at=time(2, 30))
    first = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    result = plan([night], first, last={1: date(2024, 10, 26)})
    assert [(d.key, d.due) for d in result.due] == [("2024-10-27", first)]
    later = plan([night], first + timedelta(hours=1), last={1: date(2024, 10, 27)})
    assert list(later.due) == [] and later.wakeup == datetime(2024, 10, 28, 1, 30, tzinfo=UTC)


def test_a_late_post_never_lands_on_the_next_local_date() -> None:
    evening = sub(zone="Asia/Kolkata", at=time(22, 0))  # +05:30, so 16:30 UTC
    due = datetime(2024, 3, 25, 16, 30, tzinfo=UTC)
    result = plan([evening], due, last={1: date(2024, 3, 24)})
    assert result.due[0].deadline == datetime(2024, 3, 25, 18, 30, tzinfo=UTC)  # local midnight


def test_no_nuggets_means_nothing_due_and_a_look_again_soon() -> None:
    now = datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    result = plan([sub()], now, last={1: date(2024, 3, 24)}, pool=[])
    assert list(result.due) == [] and result.wakeup == now + timedelta(minutes=1)


def test_claims_left_pending_are_sent_again_in_their_window_then_closed() -> None:
    now = datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    [item] = plan([sub()], now, last={1: date(2024, 3, 24)}).due
    row = claim_row(item.post, end=item.deadline, retry=now + timedelta(minutes=1))
    last = {1: date(2024, 3, 25)}
    waiting = plan([sub()], now + timedelta(seconds=30), last=last, claims=[row])
    assert list(waiting.pending) == [] and waiting.wakeup == now + timedelta(minutes=1)
    again = plan([sub()], now + timedelta(minutes=1), last=last, claims=[row])
    [pending] = again.pending
    assert pending.close is None and pending.job.post.text == item.post.text
    assert pending.job.post.stored_key == "wisdom-1-20240325"
    closed = plan([sub()], item.deadline, last=last, claims=[row])
    [late] = closed.pending
    assert late.close is not None
    assert (late.close.skipped, late.close.gave_up) == (CRASHED, GAVE_UP)
    assert late.close.check_until == item.deadline + LOOKUP_GIVE_UP
    assert list(closed.due) == []  # the claimed date is not planned again


def test_a_snapshot_round_trips_through_its_row() -> None:
    now = datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    [item] = plan([sub()], now, last={1: date(2024, 3, 24)}).due
    assert json.loads(dump_post(item.post))["text"] == item.post.text
    row = claim_row(item.post, end=item.deadline)
    back = post_from_row(sub(), row)
    assert back.nugget_key == item.post.nugget_key and back.local_date == item.post.local_date
    assert back.scheduled_at == item.post.scheduled_at and back.attempted_at == now


def test_several_channels_are_due_in_order_of_their_moment() -> None:
    now = datetime(2024, 3, 25, 12, 0, tzinfo=UTC)
    subs = [sub(at=time(12, 30), sub_id=1), sub(zone="UTC", at=time(11, 0), sub_id=2)]
    result = plan(subs, now, last={1: date(2024, 3, 24), 2: date(2024, 3, 24)})
    assert [d.subscription_id for d in result.due] == [2, 1]  # 11:00 UTC before 11:30 UTC
