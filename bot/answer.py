"""The platform-neutral answer value every command returns and every front end renders.

A front end turns an `Answer` into a Discord embed, Slack Block Kit blocks or terminal text;
it adds nothing but presentation. Text is plain (no markup) except for search highlights,
which are wrapped in HIGHLIGHT_START / HIGHLIGHT_END so each front end can render them its own
way after escaping the rest (see `render_highlights`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.commands.invocation import Invocation

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Choice:
    """One option of an ambiguous answer, a follow-up action ("another nugget"), or an
    autocomplete suggestion.

    A follow-up carries the `invocation` it replays (see `follow_up`); `command` and `query`
    name it for display, and are all an autocomplete suggestion has (`query` is the value).
    """

    label: str
    command: str
    query: str
    description: str = ""
    invocation: Invocation | None = None
    # Arguments a front end asks for (a form, each prefilled with its current value) and
    # adds to `invocation` before replaying it: the Edit button of /nugget review.
    form: tuple[tuple[str, str], ...] = ()


def follow_up(label: str, invocation: Invocation, description: str = "") -> Choice:
    """A choice or action that replays `invocation` when picked."""
    shown = invocation.get("query") or invocation.get("text")
    return Choice(label, invocation.command, shown, description, invocation)


@dataclass(frozen=True)
class Answer:
    """What a command says back.

    kind: "talk", "speaker", "nugget", "search", "choices", "not_found", "usage", "error",
    "wisdom", "schedule", "help". `found` is False for answers that report a miss.
    `ephemeral` asks the front end to show it only to the asker where the platform can.
    """

    kind: str
    title: str
    text: str = ""
    fields: tuple[Field, ...] = ()
    choices: tuple[Choice, ...] = ()
    actions: tuple[Choice, ...] = ()
    footer: str = ""
    url: str | None = None
    found: bool = True
    ephemeral: bool = False
    page: int = 1
    pages: int = 1
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    invocation: Invocation | None = field(default=None, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("invocation")
        for choice in (*data["choices"], *data["actions"]):
            choice.pop("invocation")
        data["text"] = strip_highlights(self.text)
        data["fields"] = [{**f, "value": strip_highlights(str(f["value"]))} for f in data["fields"]]
        return data


_HIGHLIGHT = re.compile(f"{HIGHLIGHT_START}(.*?){HIGHLIGHT_END}", re.DOTALL)


def render_highlights(text: str, escape: Callable[[str], str], start: str, end: str) -> str:
    """Escape the plain parts of `text` with `escape` and wrap highlights in start/end."""
    out: list[str] = []
    position = 0
    for match in _HIGHLIGHT.finditer(text):
        out.append(escape(_strip_markers(text[position : match.start()])))
        out.append(start + escape(_strip_markers(match.group(1))) + end)
        position = match.end()
    out.append(escape(_strip_markers(text[position:])))
    return "".join(out)


def strip_highlights(text: str) -> str:
    return _strip_markers(text)


def _strip_markers(text: str) -> str:
    return text.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
