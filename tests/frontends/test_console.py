"""The console: follow-ups replay the invocation they came from, a bad number or a page past the
end keeps the choices and says what is valid, help lists the console words, Ctrl-C interrupts
a read that waits for a line, and a terminal gets line editing and history."""

from __future__ import annotations

import io
import os
import re
import signal
import sys
import threading

import pytest

from bot.core import Core
from bot.frontends.console import (
    ConsoleSession,
    enable_line_editing,
    interruptible,
    run_console,
)


async def session_output(core: Core, *lines: str) -> list[str]:
    """What the console prints for each line, in order."""
    out = io.StringIO()
    session = ConsoleSession(core, out)
    printed = []
    for line in lines:
        start = out.tell()
        await session.handle(line)
        printed.append(out.getvalue()[start:])
    return printed


async def test_more_keeps_the_conference_of_the_search(core: Core) -> None:
    first, second = await session_output(core, "/search data --conference normconf-2022", "more")
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second
    listed = [line for line in second.splitlines() if re.match(r"  \d+\. ", line)]
    assert listed and all("NormConf 2022" in line for line in listed)


async def test_a_bad_number_keeps_the_choices_and_says_which_are_valid(core: Core) -> None:
    _, bad, odd, picked = await session_output(core, "/speaker james", "7", "²", "2")
    assert "a number from 1 to 2" in bad
    assert "a number from 1 to 2" in odd  # "²".isdigit() is True, and int("²") raises
    assert "James Kirk\n==========" in picked


async def test_more_past_the_last_page_says_so_and_keeps_the_choices(core: Core) -> None:
    _, second, beyond, picked = await session_output(core, "/search data", "more", "more", "1")
    assert "Page 2 of 2" in second
    assert "last page (2 of 2)" in beyond
    assert "Conference:" in picked  # choice 1 of the second page still opens


async def test_help_lists_the_console_words_and_the_conferences(core: Core) -> None:
    _, shown, picked = await session_output(core, "/speaker james", "help", "1")
    for word in ("a number", "more", "again", "quit", "/search TEXT", "--conference"):
        assert word in shown, word
    assert "normconf-2022" in shown and "tumocon-2023" in shown
    assert "James David Long\n" in picked  # help did not lose the choices


async def test_again_replays_the_nugget_with_its_filter(core: Core) -> None:
    outputs = await session_output(core, "/nugget --speaker Vicki Boykis", "again", "again")
    assert all("Said by: Vicki Boykis" in output for output in outputs)


async def test_a_number_typed_in_superscript_after_a_search_is_an_answer(core: Core) -> None:
    out = io.StringIO()
    lines = iter(["/search crontab --page ²", "/search crontab", "³", "quit"])
    await run_console(core, lambda _: next(lines), out)
    assert "--page wants a whole number" in out.getvalue()
    assert "The last answer takes a number from 1 to" in out.getvalue()


def test_ctrl_c_interrupts_a_read_that_is_waiting_for_input() -> None:
    """What asyncio's own Ctrl-C handler does not do: it only cancels the main task, and a
    read already waiting for a line went on waiting for Enter."""
    waiting, _never_written = os.pipe()
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    try:
        with pytest.raises(KeyboardInterrupt), interruptible():
            timer.start()
            os.read(waiting, 1)  # blocks until the signal
    finally:
        timer.cancel()
        os.close(waiting)
        os.close(_never_written)


async def test_the_console_leaves_quietly_on_ctrl_c_and_on_end_of_input(core: Core) -> None:
    def interrupted(prompt: str) -> str:
        raise KeyboardInterrupt

    def ended(prompt: str) -> str:
        raise EOFError

    for read_line in (interrupted, ended):
        out = io.StringIO()
        await run_console(core, read_line, out)
        assert out.getvalue().endswith("quit' leaves.\n\n")


def test_line_editing_is_turned_on_only_for_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert enable_line_editing(io.StringIO()) is False
    assert enable_line_editing(Terminal()) is True
    assert "readline" in sys.modules  # input() now edits lines and keeps a history


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


async def test_a_nugget_submitted_on_the_console_is_queued_and_review_needs_an_admin(
    core: Core,
) -> None:
    queued, again, review, another = await session_output(
        core,
        "/nugget submit Counting is most of the real work here. | An ML Fairytale | Vicki",
        "/nugget submit counting is MOST of the real work, here!",
        "/nugget review",
        "/nugget",
    )
    assert "Queued for review" in queued and "Said by: Vicki Boykis" in queued
    assert "already in the pool or waiting for review" in again
    assert "Only admins can use /nugget review." in review
    assert "Nugget of wisdom" in another and "Counting is most" not in another  # pool only
