"""The iCalendar feed builder on its own (no web server): RFC 5545 that the `icalendar`
package parses back, one event per timed talk, stable UIDs, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, vCategory

from bot.calendar_feed import build_feed, talk_uid
from bot.store.catalog import TalkView

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def categories(event: Component) -> list[str]:
    value = event.get("CATEGORIES")
    if value is None:
        return []
    assert isinstance(value, vCategory)
    return [str(category) for category in value.cats]


def talk(slug: str, starts: datetime | None, **changes: object) -> TalkView:
    values: dict[str, object] = {
        "id": 1,
        "ref": f"conf/{slug}",
        "slug": slug,
        "title": f"Talk {slug}",
        "kind": "talk",
        "summary": "What it is about; with a comma, and a\nnew line.",
        "speakers": ("Ada Lovelace", "Grace Hopper"),
        "speaker_note": None,
        "conference_slug": "conf",
        "conference_name": "Conf",
        "conference_timezone": "Europe/Amsterdam",
        "url": None,
        "source": None,
        "has_transcript": False,
        "transcript_source": None,
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=45) if starts else None,
        "room": "Curie",
        "track": "Hardware",
        "language": "en",
        "links": (),
    }
    values.update(changes)
    return TalkView(**values)  # type: ignore[arg-type]


def test_the_feed_parses_back_with_one_event_per_timed_talk() -> None:
    start = datetime(2024, 5, 6, 9, 30, tzinfo=AMSTERDAM)
    talks = [talk("a", start), talk("b", None), talk("c", start, ends_at=None, room=None)]
    stamp = datetime(2024, 5, 1, tzinfo=UTC)
    feed = build_feed(talks, name="Conf: all", stamp=stamp, link=lambda t: f"https://x/{t.slug}")
    calendar = Calendar.from_ical(feed)
    assert str(calendar["X-WR-CALNAME"]) == "Conf: all"
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [talk_uid(talks[0]), talk_uid(talks[2])]
    first = events[0]
    assert first.decoded("DTSTART") == datetime(2024, 5, 6, 7, 30, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime(2024, 5, 6, 8, 15, tzinfo=UTC)
    assert str(first["LOCATION"]) == "Curie" and str(first["URL"]) == "https://x/a"
    description = str(first["DESCRIPTION"])
    assert description.startswith("Speakers: Ada Lovelace, Grace Hopper")
    assert "with a comma, and a\nnew line." in description
    assert categories(first) == ["Hardware"]
    no_end = events[1]
    assert no_end.decoded("DTEND") - no_end.decoded("DTSTART") == timedelta(minutes=30)
    assert "LOCATION" not in no_end


def test_an_empty_programme_is_still_a_valid_calendar() -> None:
    feed = build_feed([], name="Nothing", stamp=datetime(2024, 1, 1, tzinfo=UTC))
    assert Calendar.from_ical(feed).walk("VEVENT") == []
