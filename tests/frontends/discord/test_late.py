"""One timer for every answer in progress (bot/frontends/discord/late.py): an answer that
takes the timeout is called late once; one that comes in time never is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.frontends.discord.late import LateAnswers


async def test_an_answer_that_comes_in_time_is_never_called_late() -> None:
    late = LateAnswers(0.02)
    called: list[str] = []
    key = late.watch(lambda: called.append("late"))
    late.done(key)
    await asyncio.sleep(0.06)
    assert called == []
    assert len(late) == 0


async def test_a_slow_answer_is_called_late_once_after_the_timeout() -> None:
    late = LateAnswers(0.03)
    loop = asyncio.get_running_loop()
    started = loop.time()
    called: list[float] = []
    late.watch(lambda: called.append(loop.time() - started))
    await asyncio.sleep(0.01)
    assert called == []
    await asyncio.sleep(0.1)
    assert len(called) == 1
    assert called[0] >= 0.03
    assert len(late) == 0


async def test_each_slow_answer_is_called_at_its_own_deadline_among_many_in_time() -> None:
    late = LateAnswers(0.04)
    loop = asyncio.get_running_loop()
    called: dict[str, float] = {}
    starts: dict[str, float] = {}

    def mark(name: str) -> Callable[[], None]:
        return lambda: called.__setitem__(name, loop.time())

    for round_ in range(3):
        for _ in range(200):  # answered at once: never called
            late.done(late.watch(mark("fast")))
        name = f"slow{round_}"
        starts[name] = loop.time()
        late.watch(mark(name))
        await asyncio.sleep(0.015)
    await asyncio.sleep(0.1)
    assert sorted(called) == ["slow0", "slow1", "slow2"]
    for name, started in starts.items():
        assert called[name] - started >= 0.04
    assert called["slow0"] < called["slow1"] < called["slow2"]


async def test_a_failing_deferral_does_not_keep_the_others_from_theirs() -> None:
    late = LateAnswers(0.01)
    called: list[str] = []

    def broken() -> None:
        raise RuntimeError("the interaction is gone")

    late.watch(broken)
    late.watch(lambda: called.append("second"))
    await asyncio.sleep(0.05)
    assert called == ["second"]
