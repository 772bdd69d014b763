"""The terminal front end: renders an `Answer` as text and runs an interactive prompt.

Needs no token and imports neither discord nor slack, so `confbot ask` starts fast. The prompt
reads in the main thread with Python's own Ctrl-C handling (so Ctrl-C leaves at once), with
line editing and history from `readline` when stdin is a terminal. Follow-ups replay the
`Invocation` the last answer carries: a number picks a choice, `more` the next page, `again`
the first action; a bad number or a page past the last says what is valid and keeps the
choices.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from bot.answer import Answer, Field, render_highlights
from bot.commands.params import parse_whole_number
from bot.commands.registry import NOBODY, Caller, split_command
from bot.commands.table import COMMANDS
from bot.core import Core

PROMPT = "confbot> "
WELCOME = (
    "confbot console. Try: /talk keynote · /speaker vincent · /nugget · /search crontab\n"
    "A number picks a choice, 'more' shows the next search page, 'again' repeats the "
    "follow-up action, 'help' lists commands, 'quit' leaves."
)
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})
MORE_WORDS = frozenset({"more", "next"})
AGAIN_WORDS = frozenset({"again", "another"})
CONSOLE_WORDS = (
    Field("a number", "Pick that choice of the last answer."),
    Field("more", "The next page of the last search."),
    Field("again", "The last answer's first follow-up (\u201cAnother one\u201d)."),
    Field("quit", "Leave (Ctrl-D and Ctrl-C too)."),
)


def render_text(answer: Answer) -> str:
    """An answer as plain readable text; search highlights as *word*."""

    def plain(text: str) -> str:
        return render_highlights(text, _identity, "*", "*")

    lines = [answer.title, "=" * min(len(answer.title), 72)]
    if answer.text:
        lines += [plain(answer.text), ""]
    for field in answer.fields:
        value = plain(field.value)
        if "\n" in value or len(value) > 60:
            lines.append(f"{field.name}:")
            lines += ["  " + part for part in value.splitlines()]
        else:
            lines.append(f"{field.name}: {value}")
    if answer.choices:
        lines.append("")
        lines.append("Choices:")
        for number, choice in enumerate(answer.choices, start=1):
            detail = f" — {choice.description}" if choice.description else ""
            lines.append(f"  {number}. {choice.label}{detail}  (/{choice.command} {choice.query})")
    if answer.pages > 1:
        more = " (type 'more' for the next)" if answer.page < answer.pages else ""
        lines.append(f"Page {answer.page} of {answer.pages}{more}.")
    if answer.url:
        lines.append(answer.url)
    if answer.footer:
        lines.append(answer.footer)
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"


def render_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _identity(text: str) -> str:
    return text


def _note(title: str, text: str) -> Answer:
    return Answer(kind="usage", title=title, text=text, found=False, ephemeral=True)


class ConsoleSession:
    """One interactive session: remembers the last answer so '2' or 'more' can follow it.
    Every command and follow-up runs for `caller` (the terminal has no community: NOBODY)."""

    def __init__(self, core: Core, out: TextIO = sys.stdout, caller: Caller = NOBODY) -> None:
        self.core = core
        self.out = out
        self.caller = caller
        self.last: Answer | None = None

    async def handle(self, line: str) -> bool:
        """Answer one input line; False when the user wants to leave."""
        text = line.strip()
        if not text:
            return True
        if text.lower() in QUIT_WORDS:
            return False
        answer, keep = await self._answer(text)
        if not keep:
            self.last = answer
        self.out.write(render_text(answer) + "\n")
        self.out.flush()
        return True

    async def _answer(self, text: str) -> tuple[Answer, bool]:
        """The answer to `text`, and whether the last answer stays the one to follow."""
        last, word = self.last, text.lower()
        if last is not None and text.isdigit():  # any digits here, "²" too: parsed below
            return await self._pick(last, text)
        if last is not None and word in MORE_WORDS:
            return await self._more(last)
        if last is not None and word in AGAIN_WORDS and last.actions:
            invocation = COMMANDS.replay(last.actions[0], last.invocation)
            if invocation is not None:
                return await self.core.run(invocation, self.caller), False
        command, _ = split_command(text)
        if command in {"help", "?"}:
            return await self._help(), last is not None
        line = text if text.startswith("/") else "/" + text
        return await self.core.ask(line, self.caller), False

    async def _pick(self, last: Answer, text: str) -> tuple[Answer, bool]:
        number = parse_whole_number(text)
        count = len(last.choices)
        if number is None or not 1 <= number <= count:
            valid = f"a number from 1 to {count}" if count else "no number: it has no choices"
            return _note("No such choice", f"The last answer takes {valid}."), True
        invocation = COMMANDS.replay(last.choices[number - 1], last.invocation)
        if invocation is None:
            return _note("No such choice", "That choice cannot be followed here."), True
        return await self.core.run(invocation, self.caller), False

    async def _more(self, last: Answer) -> tuple[Answer, bool]:
        replayed = last.invocation
        command = COMMANDS.get(replayed.command) if replayed else None
        if replayed is None or command is None or command.param("page") is None:
            return _note("Nothing more", "'more' follows a search: try /search crontab."), True
        if last.page >= last.pages:
            text = f"That was the last page ({last.page} of {last.pages})."
            return _note("No more pages", text), True
        return await self.core.run(replayed.with_args(page=last.page + 1), self.caller), False

    async def _help(self) -> Answer:
        answer = await self.core.ask("/help", self.caller)
        fields = (*answer.fields, *CONSOLE_WORDS)
        return Answer(**{**answer.__dict__, "fields": fields})


@contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt at once while inside (asyncio's own handler only
    cancels the main task, which leaves a blocking read waiting for Enter)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def enable_line_editing(stdin: TextIO = sys.stdin) -> bool:
    """Arrow keys, line editing and history for `input` when stdin is a terminal."""
    if not stdin.isatty():
        return False
    try:
        import readline  # noqa: F401  (importing it is what turns editing on)
    except ImportError:  # not every Python has it (Windows)
        return False
    return True


async def run_console(
    core: Core,
    read_line: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
) -> None:
    """Read lines until EOF, Ctrl-C or 'quit'. Nothing else runs on the loop meanwhile, so
    the line is read in this thread, where Ctrl-C can interrupt it."""
    if read_line is input:
        enable_line_editing()
    session = ConsoleSession(core, out)
    out.write(WELCOME + "\n")
    while True:
        try:
            with interruptible():
                line = read_line(PROMPT)
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            return
        if not await session.handle(line):
            return
