"""A person's agenda as an iCalendar (RFC 5545) feed: followed talks -> `text/calendar` text.

Pure: it gets the talks already chosen (`bot.delivery.agenda_plan.followed`) and their ends,
and builds the feed with the `icalendar` package, which folds lines, escapes text and writes
UTC times as RFC 5545 wants (our own string building would get those wrong). Each event's UID
is the talk's stable key, so a calendar app updates a moved talk in place instead of adding
it twice. Written to sit beside (or move onto) the web console's own feed builder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from bot.reminders import ReminderTalk

PRODID = "-//confbot//personal agenda//EN"
DEFAULT_LENGTH = timedelta(minutes=30)
"""A talk's length when the programme gives no end."""


def agenda_calendar(
    talks: Sequence[ReminderTalk],
    ends: Mapping[str, datetime],
    now: datetime,
    name: str = "My conference agenda",
) -> str:
    """The feed of `talks` (their ends by ref in `ends`), stamped `now`."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for talk in talks:
        event = Event()
        event.add("uid", f"{talk.key}@confbot")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("summary", talk.title)
        starts = talk.starts.astimezone(UTC)
        event.add("dtstart", starts)
        event.add("dtend", max(ends.get(talk.ref, starts + DEFAULT_LENGTH), starts))
        if talk.room:
            event.add("location", talk.room)
        details = [", ".join(talk.speakers)] if talk.speakers else []
        details += [f"Track: {talk.track}"] if talk.track else []
        if details:
            event.add("description", "\n".join(details))
        calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))
