"""The console reads a typed choice number with the one number parser (bot/text.py)."""

from __future__ import annotations

import io

import pytest

from bot.core import Core
from bot.frontends.console import ConsoleSession


@pytest.mark.parametrize("typed", ["²", "①", "٢", "０", "99999999999999999999999", "\udcff"])
async def test_a_number_in_other_digits_after_a_choice_is_answered(core: Core, typed: str) -> None:
    out = io.StringIO()
    session = ConsoleSession(core, out)
    await session.handle("/speaker james")
    assert session.last is not None and len(session.last.choices) >= 2
    assert await session.handle(typed)
    assert session.last is not None


async def test_an_ascii_number_still_picks_the_choice(core: Core) -> None:
    out = io.StringIO()
    session = ConsoleSession(core, out)
    await session.handle("/speaker james")
    assert session.last is not None
    wanted = session.last.choices[1].label
    await session.handle("2")
    assert session.last is not None and session.last.title == wanted
