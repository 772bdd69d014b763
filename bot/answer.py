"""The platform-neutral answer value every command returns and every front end renders.

A front end turns an `Answer` into a Discord embed, Slack Block Kit blocks or terminal text;
it adds nothing but presentation. Text is plain (no markup) except for search highlights,
which are wrapped in HIGHLIGHT_START / HIGHLIGHT_END so each front end can render them its own
way after escaping the rest (see `render_highlights`), and moments (`moment`): an instant the
reader should see in their own time zone, which Discord renders as `<t:UNIX:t>`, Slack as
`<!date^UNIX^{time}|fallback>` and every other place as the conference's local time.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.commands.invocation import Invocation

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
MOMENT_START = "\x04"
MOMENT_END = "\x05"

MomentStyle = Literal["time", "datetime", "relative"]
_STYLES: tuple[MomentStyle, ...] = ("time", "datetime", "relative")


@dataclass(frozen=True)
class Moment:
    """An instant to show in the reader's own zone; `zone` (the conference's) is for the
    places that cannot (the console, a notification's fallback text)."""

    unix: int
    style: MomentStyle
    zone: str

    @property
    def local(self) -> datetime:
        return datetime.fromtimestamp(self.unix, UTC).astimezone(_zone(self.zone))

    def fallback(self) -> str:
        """'14:05 CEST', or 'Sat 27 Jul 14:05 CEST' for a date and a relative moment."""
        local = self.local
        if self.style == "time":
            return local.strftime("%H:%M %Z").strip()
        return local.strftime("%a %d %b %H:%M %Z").strip()


def moment(at: datetime, zone: str, style: MomentStyle = "time") -> str:
    """`at` as a marker inside answer text; each front end renders it in its own syntax."""
    return f"{MOMENT_START}{int(at.timestamp())}|{style}|{zone}{MOMENT_END}"


_MOMENT = re.compile(f"{MOMENT_START}(-?[0-9]+)\\|([a-z]+)\\|([^{MOMENT_END}]*){MOMENT_END}")


def render_moments(text: str, plain: Callable[[str], str], render: Callable[[Moment], str]) -> str:
    """`text` with each moment marker turned into `render(moment)` and the rest into
    `plain(rest)` (escaping and highlights are applied to the rest only)."""
    if MOMENT_START not in text:
        return plain(text)
    out: list[str] = []
    position = 0
    for match in _MOMENT.finditer(text):
        out.append(plain(text[position : match.start()]))
        out.append(render(_moment(match)))
        position = match.end()
    out.append(plain(text[position:]))
    return "".join(out)


def _moment(match: re.Match[str]) -> Moment:
    style: MomentStyle = next((known for known in _STYLES if known == match.group(2)), "datetime")
    return Moment(int(match.group(1)), style, match.group(3))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


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
    if MOMENT_START in text:  # a place that cannot show a moment gets the conference's time
        text = _MOMENT.sub(lambda match: _moment(match).fallback(), text)
    return text.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
