"""Daily wisdom pure logic: parsing, DST-proof due instants, planning, backoff, rotation."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.model import permanent_delay, transient_delay
from bot.wisdom import (
    SPEAKER_UNKNOWN,
    CycleState,
    Outcome,
    Pick,
    Subscription,
    WisdomInputError,
    WisdomPost,
    WisdomStatus,
    advance,
    channel_seed,
    cycle_order,
    due_instant,
    first_post_date,
    format_moment,
    idempotency_key,
    next_nugget,
    outcome_answer,
    parse_post_time,
    parse_zone,
    plan_slots,
    preview_answer,
    slot_for,
    status_answer,
    upcoming_nuggets,
    wisdom_answer,
)

AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")
CHATHAM = ZoneInfo("Pacific/Chatham")
ZONES = (AMS, NYC, LORD_HOWE, KOLKATA, CHATHAM, ZoneInfo("UTC"))
SIX_HOURS = timedelta(hours=6)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------
# Parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00", time(9)), ("9:05", time(9, 5)), (" 23:59 ", time(23, 59)), ("00:00", time(0))],
)
def test_parse_post_time_accepts_24_hour_times(text: str, expected: time) -> None:
    assert parse_post_time(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00", "'25:00' is not a valid time: the hour must be 00 to 23 (midnight is 00:00)."),
        ("24:00", "the hour must be 00 to 23 (midnight is 00:00)"),
        ("09:60", "'09:60' is not a valid time: the minutes must be 00 to 59."),
        ("9am", "'9am' is not a time in 24-hour HH:MM form, like 09:00 or 17:30. For 9am write"),
        ("9:30 PM", "For 9:30 PM write 21:30."),
        ("12am", "For 12am write 00:00."),
        ("12pm", "For 12pm write 12:00."),
        ("0900", "is not a time in 24-hour HH:MM form"),
        ("09:00:00", "is not a time in 24-hour HH:MM form"),
        ("", "is not a time in 24-hour HH:MM form"),
        ("noon", "like 09:00 or 17:30"),
    ],
)
def test_parse_post_time_explains_the_right_form(text: str, message: str) -> None:
    with pytest.raises(WisdomInputError) as caught:
        parse_post_time(text)
    assert message in str(caught.value)


def test_parse_zone_accepts_iana_names_in_any_case() -> None:
    assert parse_zone("Europe/Amsterdam").key == "Europe/Amsterdam"
    assert parse_zone(" europe/amsterdam ").key == "Europe/Amsterdam"
    assert parse_zone("utc").key == "UTC"
    assert parse_zone("Pacific/Chatham").key == "Pacific/Chatham"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Mars/Olympus_Mons", "'Mars/Olympus_Mons' is not a time zone I know."),
        ("Amsterdam", "Did you mean Europe/Amsterdam?"),
        ("Europe/Amsterdm", "Did you mean Europe/Amsterdam?"),
        ("new york", "Did you mean America/New_York?"),
        ("Lord Howe", "Did you mean Australia/Lord_Howe?"),
        ("../etc/passwd", "is not a time zone I know"),
        ("", "Give a time zone by its IANA name"),
    ],
)
def test_parse_zone_rejects_unknown_names_with_suggestions(name: str, message: str) -> None:
    with pytest.raises(WisdomInputError) as caught:
        parse_zone(name)
    assert message in str(caught.value)


# --------------------------------------------------------------------------------------------
# Due instants across DST and odd offsets


def test_amsterdam_0900_stays_0900_local_across_both_dst_changes() -> None:
    nine = time(9)
    assert due_instant(date(2024, 3, 30), nine, AMS) == utc(2024, 3, 30, 8)
    assert due_instant(date(2024, 3, 31), nine, AMS) == utc(2024, 3, 31, 7)
    assert due_instant(date(2024, 10, 26), nine, AMS) == utc(2024, 10, 26, 7)
    assert due_instant(date(2024, 10, 27), nine, AMS) == utc(2024, 10, 27, 8)
    day = date(2024, 1, 1)
    while day.year == 2024:
        assert wall(due_instant(day, nine, AMS), AMS) == datetime.combine(day, nine)
        day += timedelta(days=1)


def test_spring_forward_gap_posts_at_the_first_valid_moment_after() -> None:
    # Amsterdam 2024-03-31: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    assert due_instant(date(2024, 3, 31), time(2, 30), AMS) == utc(2024, 3, 31, 1)
    assert due_instant(date(2024, 3, 31), time(2, 0), AMS) == utc(2024, 3, 31, 1)
    assert due_instant(date(2024, 3, 31), time(3, 0), AMS) == utc(2024, 3, 31, 1)
    # New York 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert due_instant(date(2024, 3, 10), time(2, 30), NYC) == utc(2024, 3, 10, 7)


def test_fall_back_fold_posts_at_the_first_occurrence() -> None:
    # Amsterdam 2024-10-27: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    assert due_instant(date(2024, 10, 27), time(2, 30), AMS) == utc(2024, 10, 27, 0, 30)
    # New York 2024-11-03: 01:30 EDT (05:30 UTC) comes before 01:30 EST (06:30 UTC).
    assert due_instant(date(2024, 11, 3), time(1, 30), NYC) == utc(2024, 11, 3, 5, 30)


def test_lord_howe_half_hour_dst() -> None:
    # +10:30 in winter, +11:00 in summer; the clocks move by 30 minutes.
    assert due_instant(date(2024, 10, 5), time(9), LORD_HOWE) == utc(2024, 10, 4, 22, 30)
    assert due_instant(date(2024, 10, 6), time(9), LORD_HOWE) == utc(2024, 10, 5, 22)
    # 2024-10-06 02:00 jumps to 02:30: 02:15 posts at 02:30 local (15:30 UTC the day before).
    gap = due_instant(date(2024, 10, 6), time(2, 15), LORD_HOWE)
    assert gap == utc(2024, 10, 5, 15, 30)
    assert wall(gap, LORD_HOWE) == datetime(2024, 10, 6, 2, 30)
    # 2024-04-07 02:00 falls back to 01:30: 01:45 happens twice, the first one (+11:00) wins.
    assert due_instant(date(2024, 4, 7), time(1, 45), LORD_HOWE) == utc(2024, 4, 6, 14, 45)


def test_chatham_plus_1245_and_1345() -> None:
    assert due_instant(date(2024, 6, 1), time(9), CHATHAM) == utc(2024, 5, 31, 20, 15)
    assert due_instant(date(2024, 12, 1), time(9), CHATHAM) == utc(2024, 11, 30, 19, 15)
    # 2024-09-29 02:45 jumps to 03:45: 03:00 posts at 03:45 local.
    gap = due_instant(date(2024, 9, 29), time(3), CHATHAM)
    assert wall(gap, CHATHAM) == datetime(2024, 9, 29, 3, 45)
    # 2024-04-07 03:45 falls back to 02:45: 03:00 first at +13:45.
    assert due_instant(date(2024, 4, 7), time(3), CHATHAM) == utc(2024, 4, 6, 13, 15)


def test_kolkata_plus_0530_has_no_dst() -> None:
    for day in (date(2024, 1, 15), date(2024, 7, 15)):
        assert due_instant(day, time(9), KOLKATA) == datetime.combine(day, time(3, 30), UTC)


@pytest.mark.parametrize("zone", ZONES, ids=lambda zone: str(zone))
def test_due_instant_is_the_first_moment_the_wall_clock_reaches_the_time(zone: ZoneInfo) -> None:
    """An oracle independent of the implementation, for every day of 2024 and tricky times."""
    times = (time(0), time(1, 30), time(1, 45), time(2, 15), time(2, 30), time(3), time(9))
    for post_time in times:
        day = date(2024, 1, 1)
        while day.year == 2024:
            due = due_instant(day, post_time, zone)
            target = datetime.combine(day, post_time)
            assert due.tzinfo is not None and due.utcoffset() == timedelta(0)
            assert wall(due, zone) >= target
            assert wall(due - timedelta(seconds=1), zone) < target
            assert due.astimezone(zone).fold == 0
            day += timedelta(days=1)


# --------------------------------------------------------------------------------------------
# Slots, planning, start dates


def test_slot_window_is_grace_but_never_past_local_midnight() -> None:
    slot = slot_for(date(2024, 3, 25), time(9), AMS, SIX_HOURS)
    assert (slot.due, slot.end) == (utc(2024, 3, 25, 8), utc(2024, 3, 25, 14))
    late = slot_for(date(2024, 3, 25), time(23, 30), AMS, SIX_HOURS)
    assert late.end == utc(2024, 3, 25, 23)  # midnight CET
    assert late.open_at(utc(2024, 3, 25, 22, 59)) and not late.open_at(utc(2024, 3, 25, 23))


def test_plan_due_missed_and_upcoming() -> None:
    nine = time(9)
    plan = plan_slots(nine, AMS, date(2024, 3, 24), utc(2024, 3, 25, 7), SIX_HOURS)
    assert plan.missed == () and plan.due is None
    assert plan.upcoming.local_date == date(2024, 3, 25)
    plan = plan_slots(nine, AMS, date(2024, 3, 24), utc(2024, 3, 25, 13, 59), SIX_HOURS)
    assert plan.due is not None and plan.due.local_date == date(2024, 3, 25)
    assert plan.upcoming.local_date == date(2024, 3, 26)
    plan = plan_slots(nine, AMS, date(2024, 3, 24), utc(2024, 3, 28, 9), SIX_HOURS)
    assert [s.local_date.day for s in plan.missed] == [25, 26, 27]
    assert plan.due is not None and plan.due.local_date == date(2024, 3, 28)
    # With a grace longer than a day only the newest open date is due.
    plan = plan_slots(nine, AMS, date(2024, 3, 24), utc(2024, 3, 26, 9), timedelta(hours=30))
    assert [s.local_date.day for s in plan.missed] == [25]
    assert plan.due is not None and plan.due.local_date.day == 26


def test_first_post_date() -> None:
    assert first_post_date(time(9), AMS, utc(2024, 3, 25, 7, 59)) == date(2024, 3, 25)
    assert first_post_date(time(9), AMS, utc(2024, 3, 25, 8, 0)) == date(2024, 3, 25)
    assert first_post_date(time(9), AMS, utc(2024, 3, 25, 8, 1)) == date(2024, 3, 26)
    # 09:00 in Chatham on 26 March is 19:15 UTC on the 25th.
    assert first_post_date(time(9), CHATHAM, utc(2024, 3, 25, 19)) == date(2024, 3, 26)


# --------------------------------------------------------------------------------------------
# Backoff


def test_backoff() -> None:
    assert transient_delay(1, 2.5) == timedelta(seconds=2.5)
    assert transient_delay(1, 0.0) == timedelta(seconds=1)
    assert transient_delay(1, 1e9) == timedelta(hours=1)
    assert [transient_delay(n, None).total_seconds() for n in range(1, 8)] == [
        30,
        60,
        120,
        240,
        480,
        600,
        600,
    ]
    assert transient_delay(100, None) == timedelta(minutes=10)
    assert permanent_delay(1) == timedelta(minutes=5)
    assert permanent_delay(2) == timedelta(minutes=30)


# --------------------------------------------------------------------------------------------
# Rotation


def walk(pool: list[str], seed: int, days: int, state: CycleState | None = None) -> list[Pick]:
    state = state or CycleState()
    picks: list[Pick] = []
    for _ in range(days):
        pick = next_nugget(pool, state, seed)
        assert pick is not None
        picks.append(pick)
        state = advance(state, pick)
    return picks


def test_each_cycle_walks_the_whole_pool_without_repeats() -> None:
    pool = [f"k{i}" for i in range(7)]
    picks = walk(pool, seed=42, days=70)
    for start in range(0, 70, 7):
        cycle = picks[start : start + 7]
        assert sorted(p.key for p in cycle) == sorted(pool)
        assert {p.cycle for p in cycle} == {start // 7 + 1}
    assert [p.key for p in picks[:7]] != [p.key for p in picks[7:14]]  # reshuffled


@pytest.mark.parametrize("size", [2, 3, 5, 20])
def test_a_new_cycle_never_starts_with_the_last_nugget(size: int) -> None:
    pool = [f"k{i}" for i in range(size)]
    for seed in range(200):
        picks = walk(pool, seed, size * 6)
        keys = [p.key for p in picks]
        assert all(a != b for a, b in itertools.pairwise(keys)), (seed, keys)


def test_single_nugget_pool_repeats_and_empty_pool_gives_nothing() -> None:
    assert [p.key for p in walk(["only"], 1, 3)] == ["only"] * 3
    assert next_nugget([], CycleState(), 1) is None


def test_rotation_is_deterministic_per_seed_and_differs_between_channels() -> None:
    pool = [f"k{i}" for i in range(30)]
    assert walk(pool, 7, 30) == walk(list(reversed(pool)), 7, 30)
    assert [p.key for p in walk(pool, 7, 30)] != [p.key for p in walk(pool, 8, 30)]
    assert channel_seed("discord", "1") == channel_seed("discord", "1")
    assert channel_seed("discord", "1") != channel_seed("slack", "1")
    assert cycle_order(pool, 7, 1) == [p.key for p in walk(pool, 7, 30)]


def test_pool_changes_keep_the_walk_valid() -> None:
    pool = [f"k{i}" for i in range(10)]
    state = CycleState()
    seen: list[str] = []
    for _ in range(4):
        pick = next_nugget(pool, state, 3)
        assert pick is not None
        seen.append(pick.key)
        state = advance(state, pick)
    # A reload: two posted and two unposted nuggets disappear, three new ones arrive.
    unposted = [k for k in pool if k not in seen]
    changed = [k for k in pool if k not in (seen[0], seen[1], unposted[0], unposted[1])]
    changed += ["n1", "n2", "n3"]
    rest = walk(changed, 3, len(changed) - 2, state)
    keys = [p.key for p in rest]
    assert {p.cycle for p in rest} == {1}  # the new keys joined the current cycle
    assert set(keys) == set(changed) - set(seen)
    assert len(keys) == len(set(keys)) and not set(keys) & set(seen)
    after = next_nugget(changed, _replay(state, rest), 3)
    assert after is not None and after.cycle == 2 and after.key != keys[-1]


def _replay(state: CycleState, picks: list[Pick]) -> CycleState:
    for pick in picks:
        state = advance(state, pick)
    return state


def test_upcoming_nuggets_consumes_nothing() -> None:
    pool = ["a", "b", "c"]
    state = CycleState(1, frozenset({"a"}), "a")
    picks = upcoming_nuggets(pool, state, 5, 4)
    assert [p.cycle for p in picks] == [1, 1, 2, 2]
    assert picks[2].key != picks[1].key
    assert state == CycleState(1, frozenset({"a"}), "a")
    assert upcoming_nuggets([], state, 5, 4) == []


def test_random_pool_changes_never_repeat_within_a_cycle() -> None:
    rng = random.Random(11)
    pool = {f"k{i}" for i in range(12)}
    state = CycleState()
    seen: set[str] = set()
    last: str | None = None
    for step in range(600):
        if rng.random() < 0.05:
            pool -= set(rng.sample(sorted(pool), min(2, len(pool) - 3)))
            pool |= {f"n{step}-{i}" for i in range(rng.randint(0, 3))}
        pick = next_nugget(pool, state, 99)
        assert pick is not None and pick.key in pool
        if seen >= pool:
            assert pick.key != last
            seen = set()
        assert pick.key not in seen
        seen.add(pick.key)
        last = pick.key
        state = advance(state, pick)


# --------------------------------------------------------------------------------------------
# Posts and answers


def make_post(speaker: str | None = "Ada Lovelace", subscription_id: int = 12) -> WisdomPost:
    return WisdomPost(
        subscription_id=subscription_id,
        frontend="discord",
        guild_id="g",
        channel_id="c",
        local_date=date(2020, 11, 23),
        scheduled_at=utc(2020, 11, 23, 8),
        zone="Europe/Amsterdam",
        nugget_key="abc123",
        text="The engine might compose elaborate pieces of music.",
        speaker=speaker,
        source="Notes, 1843",
        talk_title="On the Analytical Engine",
        conference_name="EngineConf",
    )


def test_idempotency_key_is_short_deterministic_and_nonce_sized() -> None:
    assert idempotency_key(12, date(2020, 11, 23)) == "wisdom-12-20201123"
    assert make_post().idempotency_key == "wisdom-12-20201123"
    huge = idempotency_key(10**15, date(2020, 11, 23))
    assert len(huge) <= 25 and huge == idempotency_key(10**15, date(2020, 11, 23))
    assert huge != idempotency_key(10**15, date(2020, 11, 24))


def test_wisdom_answer_attributes_the_quote() -> None:
    answer = wisdom_answer(make_post())
    assert answer.kind == "wisdom"
    assert answer.title == "Nugget of wisdom for Monday 23 November"
    assert answer.text == "The engine might compose elaborate pieces of music."
    assert {f.name: f.value for f in answer.fields} == {
        "Speaker": "Ada Lovelace",
        "Talk": "On the Analytical Engine",
        "Conference": "EngineConf",
    }
    assert answer.footer == "Source: Notes, 1843"
    assert answer.meta["idempotency_key"] == "wisdom-12-20201123"
    unnamed = wisdom_answer(make_post(speaker=None))
    assert unnamed.fields[0].value == SPEAKER_UNKNOWN == "Speaker not named in the source"


def test_preview_status_and_outcome_answers() -> None:
    preview = preview_answer(make_post())
    assert preview.title == "Preview: nugget of wisdom for Monday 23 November"
    assert preview.ephemeral and "nothing was posted" in preview.footer
    assert {f.name: f.value for f in preview.fields}["Posts at"] == (
        "Monday 23 November 09:00 CET (08:00 UTC)"
    )
    assert not preview_answer(None).found
    sub = Subscription(
        id=1,
        frontend="discord",
        guild_id="g",
        channel_id="c",
        post_time=time(9),
        zone="Europe/Amsterdam",
        enabled=False,
        created_by="alice",
        created_at=utc(2020, 11, 1),
        start_date=date(2020, 11, 2),
        seed=1,
        failures=3,
        last_error="channel not found",
        last_error_at=utc(2020, 11, 23, 8),
        disabled_reason="channel not found (3 failed attempts in a row)",
    )
    status = status_answer(WisdomStatus(sub, None, None, None, {"sent": 20, "failed": 1}))
    shown = {f.name: f.value for f in status.fields}
    assert shown["State"] == "disabled"
    assert shown["Last error"] == "channel not found (Monday 23 November 09:00 CET (08:00 UTC))"
    assert shown["Disabled because"] == "channel not found (3 failed attempts in a row)"
    assert status.footer == "Posts so far: 1 failed, 20 sent"
    assert not status_answer(None).found
    outcome = Outcome("retry", 1, "c", date(2020, 11, 23), detail="rate limited")
    assert outcome_answer(outcome).title == "Will retry"
    assert format_moment(utc(2024, 7, 1, 7), AMS) == "Monday 1 July 09:00 CEST (07:00 UTC)"
