"""The console: follow-ups replay the invocation they came from, a bad number or a page past the
end keeps the choices and says what is valid, help lists the console words, and on a real
terminal Ctrl-C leaves at once and the arrow keys recall history."""

from __future__ import annotations

import contextlib
import io
import os
import re
import select
import sys
import time
from pathlib import Path

import pytest

from bot.core import Core
from bot.frontends.console import ConsoleSession, run_console
from tests.conftest import REPO


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


# -- on a real terminal ------------------------------------------------------------------------


class Terminal:
    """`confbot console` on a pseudo-terminal that is its controlling terminal, so Ctrl-C is
    a real SIGINT from the line discipline, as when a person presses it."""

    def __init__(self, db: Path) -> None:
        import pty

        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
        env.update(CONFBOT_DB=str(db), PYTHONPATH=str(REPO), TERM="xterm")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become confbot
            os.chdir(REPO)
            os.execve(sys.executable, [sys.executable, "-m", "bot", "console"], env)
        self.seen = b""

    def wait_for(self, text: bytes, limit: float = 60.0) -> bytes:
        """Read until `text` shows up (the limit only keeps a broken run from hanging)."""
        end = time.monotonic() + limit
        while text not in self.seen and time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:
                    break
        assert text in self.seen, self.seen[-500:]
        seen, self.seen = self.seen, b""
        return seen

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def exit_code(self, limit: float = 30.0) -> int | None:
        end = time.monotonic() + limit
        while time.monotonic() < end:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            select.select([self.fd], [], [], 0.2)
            with contextlib.suppress(OSError):
                os.read(self.fd, 65536)
        return None

    def close(self) -> None:
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_ctrl_c_leaves_at_once_and_the_arrow_keys_recall_history(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path / "tty.sqlite3")
    try:
        terminal.wait_for(b"confbot> ")
        terminal.type(b"/talk keynote\r")
        terminal.wait_for(b"An ML Fairytale")
        terminal.wait_for(b"confbot> ")
        terminal.type(b"\x1b[A\r")  # up arrow: the last line again
        recalled = terminal.wait_for(b"confbot> ")
        assert b"An ML Fairytale" in recalled and b"^[[A" not in recalled
        terminal.type(b"\x03")  # Ctrl-C at the prompt, no Enter after it
        assert terminal.exit_code() == 0
    finally:
        terminal.close()
