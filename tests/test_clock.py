"""The one clock protocol: the system clock, and the rehearsal clock organisers run the bot on
(`confbot run --at ... --speed ...`) to watch a conference day in minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import SYSTEM_CLOCK, Clock, RehearsalClock, wall_seconds
from tests.fakes.clock import FakeClock

START = datetime(2019, 8, 21, 9, 55, tzinfo=ZoneInfo("Europe/Berlin"))


class Monotonic:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def test_the_system_clock_is_aware_and_utc() -> None:
    now = SYSTEM_CLOCK.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_a_rehearsal_starts_at_its_moment_and_runs_n_times_faster() -> None:
    real = Monotonic()
    clock = RehearsalClock(START, 60, monotonic=real)
    assert clock.now() == START
    real.value += 5.0  # five real seconds
    assert clock.now() == START + timedelta(minutes=5)
    assert clock.now().astimezone(UTC) == datetime(2019, 8, 21, 8, 0, tzinfo=UTC)


def test_a_rehearsal_at_speed_one_runs_in_real_time() -> None:
    real = Monotonic()
    clock = RehearsalClock(START, monotonic=real)
    real.value += 90.0
    assert clock.now() == START + timedelta(seconds=90)


def test_a_wait_until_a_simulated_moment_is_scaled_to_real_seconds() -> None:
    assert wall_seconds(RehearsalClock(START, 60), 300.0) == 5.0
    assert wall_seconds(SYSTEM_CLOCK, 300.0) == 300.0
    assert wall_seconds(FakeClock(START), 300.0) == 300.0


def test_a_rehearsal_needs_an_aware_start_and_a_positive_speed() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RehearsalClock(datetime(2019, 8, 21, 9, 55))
    with pytest.raises(ValueError, match="above 0"):
        RehearsalClock(START, 0)


def test_every_clock_is_a_clock() -> None:
    clocks: list[Clock] = [SYSTEM_CLOCK, RehearsalClock(START), FakeClock(START)]
    assert all(clock.now().tzinfo is not None for clock in clocks)
