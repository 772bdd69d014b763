"""The pacer on simulated time: at most `count` requests in any window of `per` seconds per
key, counted from each request's answer, every key of a request kept at once, a 429's pause
honoured, idle keys forgotten."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.delivery.pacing import Pacer, Rate


class SimulatedTime:
    """A monotonic clock that only moves when the pacer sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.alarms: list[tuple[float, Callable[[], None]]] = []
        """What happens elsewhere while the pacer sleeps: (moment, what)."""

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        for moment, happen in list(self.alarms):
            if moment <= self.now:
                self.alarms.remove((moment, happen))
                happen()


def pacer(time: SimulatedTime, margin: float = 0.0) -> Pacer:
    return Pacer(margin=margin, monotonic=time.monotonic, sleep=time.sleep)


def most_in_any_window(stamps: list[float], per: float) -> int:
    return max(sum(1 for t in stamps if start <= t < start + per) for start in stamps)


async def test_a_burst_is_spread_so_no_window_holds_more_than_the_rate() -> None:
    time = SimulatedTime()
    paced = pacer(time, margin=0.05)
    rate = Rate(50, 1.0)
    stamps = []
    for _ in range(500):
        await paced.acquire(("global", rate))
        stamps.append(time.now)
    assert most_in_any_window(stamps, 1.0) == 50
    # 500 at 50 a second: nine full windows of waiting (and the margin each time).
    assert stamps[-1] - stamps[0] == pytest.approx(9 * 1.05)
    # Only the first request of each new window waits; the rest of the window follows it.
    assert paced.waits == 9 and paced.waited == pytest.approx(stamps[-1] - stamps[0])


async def test_the_window_counts_from_the_answer_the_platform_saw_it_before() -> None:
    time = SimulatedTime()
    paced = pacer(time)
    rate = Rate(1, 1.0)
    async with paced.request(("k", rate)):
        time.now += 0.5  # a loaded machine: the platform may have seen it only now
    assert paced.delay(("k", rate)) == pytest.approx(1.0)

    first = await paced.start(("k", rate))  # a second later; its answer is slow to come

    time.alarms.append((1001.8, lambda: paced.finish(first)))
    await paced.start(("k", rate))  # waits for that answer, then a whole window
    assert time.now == pytest.approx(1001.8 + 1.0, abs=0.02)


async def test_each_key_is_counted_apart_and_every_key_of_a_request_is_kept() -> None:
    time = SimulatedTime()
    paced = pacer(time)
    per_channel, shared = Rate(1, 1.0), Rate(3, 1.0)
    for channel in ("a", "b", "c"):  # three channels, once each: no wait
        assert await paced.acquire((f"post:{channel}", per_channel), ("all", shared)) == 0
    assert time.slept == []
    # A fourth post, in a fresh channel, waits for the shared window.
    assert await paced.acquire(("post:d", per_channel), ("all", shared)) == pytest.approx(1.0)
    # A second post in channel a waits for its channel only (its window ended with that wait).
    assert paced.delay(("post:a", per_channel)) == 0
    await paced.acquire(("post:a", per_channel))
    assert paced.delay(("post:a", per_channel)) == pytest.approx(1.0)


async def test_a_pause_holds_the_key_back_for_the_platforms_retry_after() -> None:
    time = SimulatedTime()
    paced = pacer(time)
    paced.pause("method", 30.0)
    assert paced.delay(("method", Rate(100, 60.0))) == pytest.approx(30.0)
    assert paced.delay(("other", Rate(100, 60.0))) == 0
    assert await paced.acquire(("method", Rate(100, 60.0))) == pytest.approx(30.0)
    assert paced.pauses == 1


async def test_a_changed_rate_applies_at_once_and_idle_keys_are_forgotten() -> None:
    time = SimulatedTime()
    paced = pacer(time)
    for _ in range(5):
        await paced.acquire(("k", Rate(5, 1.0)))
    assert paced.delay(("k", Rate(2, 1.0))) == pytest.approx(1.0)
    for n in range(2048):  # one key per DM channel, each used once, long ago
        await paced.acquire((f"dm:{n}", Rate(1, 1.0)))
        time.now += 2.0
    assert len(paced._windows) < 1024


def test_a_rate_needs_a_count_and_a_window() -> None:
    with pytest.raises(ValueError, match="count >= 1"):
        Rate(0, 1.0)
    with pytest.raises(ValueError, match="per > 0"):
        Rate(5, 0.0)
    assert Rate(50, 1.0).scaled(2.0) == Rate(50, 2.0)
