"""Text helpers for schedule exports: durations, event types and markup in text fields.

Both importers (JSON and XML) go through `schedule_document`, which uses these.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

_HOURS_MINUTES = re.compile(r"^(\d{1,9}):([0-5]\d)$")
_DAYS_HOURS_MINUTES = re.compile(r"^(\d{1,9}):([01]\d|2[0-3]):([0-5]\d)$")

# The longest event a schedule may hold: a camp's permanent installation runs for days; a
# year is a typo, and makes every "what's on now" scan cover that year.
MAX_DURATION = timedelta(days=31)

_HTML_BREAK = re.compile(r"<br\s*/?>|</p\s*>|</li\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_MARKDOWN_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*(?:\s+\"[^\"]*\")?\)")
_MARKDOWN_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MARKDOWN_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")

# Keyword in the lowercased event type -> Talk.kind; the first match wins, so "LightningTalk"
# is a lightning talk, not a talk.
_KIND_KEYWORDS = (
    ("keynote", "keynote"),
    ("lightning", "lightning"),
    ("workshop", "workshop"),
    ("hands-on", "workshop"),
    ("unconference", "unconference"),
    ("closing", "closing"),
    ("lecture", "talk"),
    ("talk", "talk"),
    ("vortrag", "talk"),
)


def parse_duration(text: str) -> timedelta:
    """'0:30', '01:30', '26:00' (hours:minutes) or '1:02:30' (days:hours:minutes), at most
    MAX_DURATION.

    The JSON schema allows only H:MM; the XSD also allows three parts, which CCCamp 2023's
    export used for days:hours:minutes (EventFahrplan reads it the same way).
    """
    text = text.strip()
    if match := _HOURS_MINUTES.match(text):
        duration = timedelta(hours=int(match[1]), minutes=int(match[2]))
    elif match := _DAYS_HOURS_MINUTES.match(text):
        duration = timedelta(days=int(match[1]), hours=int(match[2]), minutes=int(match[3]))
    else:
        raise ValueError(f"bad duration {text[:40]!r}; expected H:MM or D:HH:MM")
    if duration > MAX_DURATION:
        raise ValueError(f"duration {text!r} is longer than {MAX_DURATION.days} days")
    return duration


def talk_kind(event_type: str | None) -> str:
    """Map a schedule event type ('lecture', 'Talk 30 min', 'Workshop 110min', ...) to a kind."""
    lowered = (event_type or "").lower()
    for keyword, kind in _KIND_KEYWORDS:
        if keyword in lowered:
            return kind
    return "other"


def clean_markup(text: str | None) -> str:
    """Plain text from a schedule text field: \\r\\n -> \\n, HTML tags and entities, Markdown
    links, bold and heading marks removed; at most one blank line in a row."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Each pattern runs only when its marker is present: most texts have none (import speed).
    if "<" in text:
        text = _HTML_TAG.sub("", _HTML_BREAK.sub("\n", text))
    if "&" in text:
        text = html.unescape(text)
    if "](" in text:
        text = _MARKDOWN_LINK.sub(r"\1", text)
    if "**" in text or "__" in text:
        text = _MARKDOWN_STRONG.sub(r"\2", text)
    if "#" in text:
        text = _MARKDOWN_HEADING.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()
