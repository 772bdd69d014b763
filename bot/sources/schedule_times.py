"""Times in a schedule document: an event's start and end instants and its schedule day.

An event's `date` carries its UTC offset and is the authoritative start instant. Without it
(classic Pentabarf), the start is the day's date plus the local `start`; a start before the
day's `day_start` (pretalx, frab) or before the conference's `day_change` (Pentabarf) falls on
the next calendar day but stays in its schedule day. Local times take the conference's zone,
else the offset of the day's `day_start`; with neither, the import is refused and says to pass
a zone (`confbot import --timezone`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.records import EARLIEST_YEAR, LATEST_YEAR
from bot.sources.schedule_fields import FieldReader
from bot.sources.schedule_text import parse_duration


class TimeReader(FieldReader):
    """The time fields of one document; `day_change` is set by the conference reader."""

    # Classic Pentabarf's <day_change>: a local time before it belongs to the day before.
    day_change: time | None = None

    def conference_anchor(self) -> str:
        """Where the conference object starts in the raw text: JSON's key or XML's tag."""
        return '"conference"' if '"conference"' in self.raw_text else "<conference>"

    def schedule_day(self, day: Mapping[str, object]) -> date | None:
        """The date the export files the day under (its `date`), which a talk after
        midnight keeps; None when the day has no readable date (then the talk's own local
        date counts: its start, read from the event's `date`, is what matters)."""
        raw = day.get("date")
        try:
            found = date.fromisoformat(raw.strip()[:10]) if isinstance(raw, str) else None
        except ValueError:
            return None
        return found if found is not None and EARLIEST_YEAR <= found.year <= LATEST_YEAR else None

    def start_instant(
        self,
        event: Mapping[str, object],
        day: Mapping[str, object],
        zone: ZoneInfo | None,
        *,
        anchor: str | None,
    ) -> datetime:
        """The event's `date` (with its offset); else the day's date plus the local `start`."""
        raw_date = self.text(event, "date", field="date", anchor=anchor)
        if raw_date:
            return self.instant(raw_date.strip(), field="date", anchor=anchor)
        start = self.text(event, "start", field="start", anchor=anchor)
        if not start:
            raise self.error(
                "'date' is missing (and there is no 'start')", field="date", anchor=anchor
            )
        try:
            wall_clock = time.fromisoformat(start.strip())
        except ValueError:
            raise self.error(
                f"bad start time {start!r}", field="start", anchor=anchor, value=start
            ) from None
        where = day_anchor(day)
        day_date_text = self.required_text(day, "date", field="day.date", anchor=where)
        day_date = self.calendar_date(day_date_text, field="day.date", anchor=where)
        day_start_text = self.text(day, "day_start", field="day.day_start", anchor=where)
        offset_zone: tzinfo | None = None
        local_start = _naive_time(day_start_text) if zone is not None else None
        if local_start is not None:  # a day start without offset, in the conference's zone
            changes_at = local_start
        elif day_start_text and day_start_text.strip():
            day_start = self.instant(day_start_text.strip(), field="day.day_start", anchor=where)
            offset_zone, changes_at = day_start.tzinfo, day_start.time()
        elif self.day_change is not None:
            changes_at = self.day_change
        else:
            changes_at = time(0)
        if wall_clock < changes_at:
            day_date += timedelta(days=1)  # after midnight: still the previous schedule day
        if zone is None and offset_zone is None:
            raise self.error(
                "the export gives no time zone (no time_zone_name, no UTC offsets); pass"
                " --timezone ZONE to confbot import (or confbot source add), an IANA name such"
                " as Europe/Brussels",
                field="conference.time_zone_name",
                anchor=self.conference_anchor(),
            )
        return datetime.combine(day_date, wall_clock, tzinfo=zone or offset_zone)

    def end_instant(
        self, event: Mapping[str, object], starts_at: datetime, *, anchor: str | None
    ) -> datetime:
        """Start plus `duration` (computed in UTC, so a DST change cannot bend it); an event
        with no duration but an `end` date-time uses that."""
        duration_text = self.text(event, "duration", field="duration", anchor=anchor)
        if duration_text is None:
            end_text = self.text(event, "end", field="end", anchor=anchor)
            if not end_text:
                raise self.error("'duration' is missing", field="duration", anchor=anchor)
            ends_at = self.instant(end_text.strip(), field="end", anchor=anchor)
        else:
            try:
                duration = parse_duration(duration_text)
            except ValueError as error:
                raise self.error(
                    str(error), field="duration", anchor=anchor, value=duration_text
                ) from None
            in_utc = starts_at.astimezone(UTC) + duration
            ends_at = in_utc.astimezone(starts_at.tzinfo)
        if ends_at < starts_at:
            raise self.error("the event ends before it starts", field="end", anchor=anchor)
        return ends_at


def _naive_time(text: str | None) -> time | None:
    """The wall-clock time of an ISO date-time without a UTC offset, else None."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return moment.time() if moment.tzinfo is None else None


def day_anchor(day: Mapping[str, object]) -> str | None:
    """Text to find a day by in the raw file: its day_start, else its date."""
    for key in ("day_start", "date"):
        value = day.get(key)
        if isinstance(value, str) and value:
            return value
    return None
