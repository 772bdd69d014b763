"""The terminal front end: renders an `Answer` as text and runs an interactive prompt.

Needs no token and imports neither discord nor slack, so `confbot ask` starts fast.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from typing import TextIO

from bot.answer import Answer, render_highlights
from bot.core import Core, split_command
from bot.text import parse_number

PROMPT = "confbot> "
WELCOME = (
    "confbot console. Try: /talk keynote · /speaker vincent · /nugget · /search crontab\n"
    "A number picks a choice, 'more' shows the next search page, 'again' repeats the "
    "follow-up action, 'help' lists commands, 'quit' leaves."
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
        lines.append(f"Page {answer.page} of {answer.pages} (type 'more' for the next).")
    if answer.url:
        lines.append(answer.url)
    if answer.footer:
        lines.append(answer.footer)
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"


def render_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _identity(text: str) -> str:
    return text


class ConsoleSession:
    """One interactive session: remembers the last answer so '2' or 'more' can follow it."""

    def __init__(self, core: Core, out: TextIO = sys.stdout) -> None:
        self.core = core
        self.out = out
        self.last: Answer | None = None

    async def handle(self, line: str) -> bool:
        """Answer one input line; False when the user wants to leave."""
        text = line.strip()
        if not text:
            return True
        if text.lower() in {"quit", "exit", "/quit", "/exit"}:
            return False
        answer = await self._answer(text)
        self.last = answer
        self.out.write(render_text(answer) + "\n")
        self.out.flush()
        return True

    async def _answer(self, text: str) -> Answer:
        last = self.last
        choices = last.choices if last else ()
        number = parse_number(text, minimum=1, maximum=len(choices), clamp=False)
        if number is not None:
            choice = choices[number - 1]
            return await self.core.ask(f"/{choice.command} {choice.query}")
        if last and text.lower() in {"more", "next"} and last.kind == "search":
            return await self.core.search(last.meta.get("query", ""), last.page + 1)
        if last and text.lower() in {"again", "another"} and last.actions:
            action = last.actions[0]
            return await self.core.ask(f"/{action.command} {action.query}")
        command, _ = split_command(text)
        if command in {"help", "?"}:
            return await self.core.ask("/help")
        return await self.core.ask(text if text.startswith("/") else "/" + text)


async def run_console(
    core: Core,
    read_line: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
) -> None:
    """Read lines until EOF or 'quit'; input is read off the event loop's thread."""
    session = ConsoleSession(core, out)
    out.write(WELCOME + "\n")
    while True:
        try:
            line = await asyncio.to_thread(read_line, PROMPT)
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            return
        if not await session.handle(line):
            return
