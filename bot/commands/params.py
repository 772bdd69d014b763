"""Typed command parameters, parsed once, in one place, with one clear message per bad value.

A `Param` says what a command takes: its name, its `ParamType` (text with a length cap, a
number within limits, a conference slug, a day), whether it is required, whether the free
words of a text command line go to it (`positional`), and where its autocomplete comes from.
Every front end hands the raw values to `parse_args`; handlers only ever see parsed values.

The admin commands (/wisdom, /remind) use the types here too: `TimeOfDay`, `Zone`, `Channel`,
and a `Number(1, 1440)` for minutes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.text import MAX_RAW_LENGTH, parse_number
from bot.text import clean_text as text_cleaner
from bot.wisdom import zone_suggestions

MAX_QUERY_LENGTH = 200
MAX_NAME_LENGTH = 100
MAX_PAGE = 9999

_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")
_CHANNEL = re.compile(r"<#([A-Z0-9]{2,30})(?:\|[^>]{0,80})?>|([CG][A-Z0-9]{6,30}|[0-9]{15,25})")

_AM_PM = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?\s*([ap])\.?m\.?", re.IGNORECASE)

Autocomplete = Literal[
    "talks", "speakers", "conferences", "scheduled", "rooms", "tracks", "days", "zones"
]
Value = str | int


class ParamError(ValueError):
    """A value a parameter cannot take; `str(error)` is the one line the user sees, `title`
    (when given) the heading of the answer that says so."""

    def __init__(self, message: str, title: str = "") -> None:
        super().__init__(message)
        self.title = title


def clean_text(text: str) -> str:
    """The one cleaner (bot.text): NFC, controls, bidi and lone surrogates out, whitespace
    folded; raw input beyond bot.text.MAX_RAW_LENGTH is never looked at."""
    return text_cleaner(text, MAX_RAW_LENGTH)[0]


def clean_query(text: str) -> tuple[str, bool]:
    """`clean_text` cut to MAX_QUERY_LENGTH; also whether it had to be shortened."""
    return text_cleaner(text, MAX_QUERY_LENGTH)


def parse_whole_number(text: str) -> int | None:
    """A whole number written in ASCII digits, else None ("²".isdigit() is True in Python);
    the one number parser is bot.text.parse_number."""
    return parse_number(text)


@dataclass(frozen=True)
class Text:
    """Free text: cleaned, at most `max_length` characters. A longer query is shortened
    (the handler says so); a longer name is refused."""

    max_length: int = MAX_QUERY_LENGTH
    shorten: bool = False

    def parse(self, raw: str, label: str) -> Value:
        text = clean_text(raw)
        if len(text) <= self.max_length or self.shorten:
            return text
        raise ParamError(f"{label} is at most {self.max_length} characters long.")


@dataclass(frozen=True)
class Number:
    """A whole number in ASCII digits from `minimum`; above `maximum` it is capped."""

    minimum: int = 1
    maximum: int = MAX_PAGE
    max_length: int = 40

    def parse(self, raw: str, label: str) -> Value:
        number = parse_whole_number(raw)
        if number is None or number < self.minimum:
            raise ParamError(
                f"{label} wants a whole number from {self.minimum} to {self.maximum}, "
                f"such as {self.minimum + 1}; “{clean_text(raw)[:20]}” is not one."
            )
        return min(number, self.maximum)


@dataclass(frozen=True)
class Slug:
    """A conference's short name, as /help and autocomplete show it (lower-cased)."""

    max_length: int = MAX_NAME_LENGTH

    def parse(self, raw: str, label: str) -> Value:
        slug = clean_text(raw).lower()
        if not _SLUG.fullmatch(slug):
            raise ParamError(
                f"{label} wants a conference's short name such as normconf-2022; "
                f"“{clean_text(raw)[:40]}” is not one."
            )
        return slug


def known_conference(slug: str, known: Sequence[str]) -> str:
    """`slug` when a loaded conference has it, else the one line naming the known ones
    (`known` comes from the core's lookup; the registry asks it once per invocation)."""
    if slug in known:
        return slug
    names = ", ".join(known) if known else "none is loaded yet"
    raise ParamError(f"No conference `{slug[:40]}`; known: {names}.")


@dataclass(frozen=True)
class TimeOfDay:
    """A local time of day, 'HH:MM' (24-hour clock), as text: '9:05' -> '09:05'."""

    max_length: int = 5

    def parse(self, raw: str, label: str) -> Value:
        text = clean_text(raw)
        match = _TIME.fullmatch(text)
        if match is None or int(match[1]) > 23 or int(match[2]) > 59:
            raise ParamError(
                f"{label} wants a time of day such as 09:00 (24-hour clock); "
                f"“{text[:20]}” is not one.{_am_pm_hint(text)}"
            )
        return f"{int(match[1]):02d}:{match[2]}"


@dataclass(frozen=True)
class Zone:
    """An IANA time zone name such as Europe/Amsterdam."""

    max_length: int = 64

    def parse(self, raw: str, label: str) -> Value:
        name = clean_text(raw)
        if _ZONE.fullmatch(name):
            try:
                ZoneInfo(name)
                return name
            except (ZoneInfoNotFoundError, ValueError):
                pass
        close = zone_suggestions(name) if len(name) <= self.max_length else []
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise ParamError(
            f"{label} wants a time zone such as Europe/Amsterdam; “{name[:40]}” is not one." + hint
        )


@dataclass(frozen=True)
class Channel:
    """A channel: its id, or a mention of it (``<#C0123|general>`` on Slack, ``<#123>`` on
    Discord); the id as text."""

    max_length: int = 100

    def parse(self, raw: str, label: str) -> Value:
        match = _CHANNEL.fullmatch(clean_text(raw))
        if match is None:
            raise ParamError(
                f"I cannot tell which channel “{clean_text(raw)[:40]}” is: {label} wants a "
                "channel picked from the # list (so its id comes along), or its id (like "
                "C0123456789).",
                title="Which channel?",
            )
        return match[1] or match[2]


def _am_pm_hint(text: str) -> str:
    """' For 9am write 09:00.' for a 12-hour time, else ''."""
    match = _AM_PM.fullmatch(text)
    if match is None:
        return ""
    hour, minute = int(match[1]), int(match[2] or 0)
    if not (1 <= hour <= 12 and minute <= 59):
        return ""
    hour = hour % 12 + (12 if match[3].lower() == "p" else 0)
    return f" For {text} write {hour:02d}:{minute:02d}."


ParamType = Text | Number | Slug | TimeOfDay | Zone | Channel


@dataclass(frozen=True)
class Param:
    """One parameter of a command."""

    name: str
    type: ParamType
    help: str
    required: bool = False
    positional: bool = False
    autocomplete: Autocomplete | None = None
    slash: bool = True  # offered as a Discord option (a positional catch-all may not be)
    metavar: str = field(default="")

    @property
    def label(self) -> str:
        return self.metavar or self.name.upper()

    def parse(self, raw: str) -> Value:
        return self.type.parse(raw, self.name if self.positional else f"--{self.name}")


def words(
    name: str,
    help: str,
    metavar: str,
    *,
    required: bool = True,
    autocomplete: Autocomplete | None = None,
    slash: bool = True,
) -> Param:
    """The free words of a command line: shortened to MAX_QUERY_LENGTH when longer."""
    return Param(
        name,
        Text(MAX_QUERY_LENGTH, shorten=True),
        help,
        required=required,
        positional=True,
        autocomplete=autocomplete,
        slash=slash,
        metavar=metavar,
    )


CONFERENCE = Param(
    "conference",
    Slug(),
    "Only this conference (its short name)",
    autocomplete="conferences",
    metavar="SLUG",
)
# The programme commands only know the conferences with talk times.
SCHEDULED = Param(
    "conference",
    Slug(),
    "Only this conference (its short name)",
    autocomplete="scheduled",
    metavar="SLUG",
)
ROOM = Param("room", Text(MAX_NAME_LENGTH), "Part of a room name, e.g. curie", autocomplete="rooms")
DAY = Param("day", Text(40), "today, tomorrow, friday, day 2 or 2019-08-22", autocomplete="days")
PAGE = Param("page", Number(1, MAX_PAGE), "Which page of the results", metavar="N")
