"""iCalendar (RFC 5545) feeds of timed talks, made with the `icalendar` package.

Platform- and web-free on purpose: the web console serves the whole programme, one room and
one track through it, and a personal agenda can reuse it for a person's followed talks. A
feed is built from `TalkView`s (bot/store/catalog.py); a talk without a start is left out.
Times are written in UTC, which every calendar reads; each event's UID is the talk's
`conference/slug` reference, stable across re-imports, so a calendar that subscribed to the
feed updates a moved talk instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from bot.store.catalog import TalkView

PRODUCT_ID = "-//confbot//programme feed//EN"
UID_DOMAIN = "confbot"
DEFAULT_LENGTH = timedelta(minutes=30)  # a talk whose export gives no end


def talk_uid(talk: TalkView) -> str:
    return f"{talk.ref}@{UID_DOMAIN}"


def build_feed(
    talks: Iterable[TalkView],
    *,
    name: str,
    stamp: datetime,
    link: Callable[[TalkView], str] | None = None,
) -> bytes:
    """The feed `name` of every timed talk in `talks`, as the bytes of a .ics file. `stamp`
    is when it was made (each event's DTSTAMP); `link(talk)` its page, when there is one."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for talk in talks:
        if talk.starts_at is None:
            continue
        starts = talk.starts_at.astimezone(UTC)
        ends = (talk.ends_at or talk.starts_at + DEFAULT_LENGTH).astimezone(UTC)
        event = Event()
        event.add("uid", talk_uid(talk))
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", starts)
        event.add("dtend", max(ends, starts))
        event.add("summary", talk.title)
        details = [talk.summary] if talk.summary else []
        if talk.speakers:
            details.insert(0, "Speakers: " + ", ".join(talk.speakers))
        if details:
            event.add("description", "\n\n".join(details))
        if talk.room:
            event.add("location", talk.room)
        if talk.track:
            event.add("categories", [talk.track])
        if link is not None:
            event.add("url", link(talk))
        calendar.add_component(event)
    return bytes(calendar.to_ical())
