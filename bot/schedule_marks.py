"""What /now, /next and /schedule add to a listing from the live programme: marks of recent
changes ("moved from 14:00", "was in Room X", cancelled talks) and the staleness footer.

`programme_marks` reads the changes detected in the last `MARK_WINDOW` of the clock once per
answer (`bot.store.changes.recent_changes`); `Marks.of(talk)` is the one builder of a talk's
mark, and `Marks.cancelled(start, end)` the talks of a day that were cancelled. The footer
is `bot.sources.follow.programme_staleness`'s, when a followed source is overdue.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

from bot.sources.follow import programme_staleness
from bot.store.changes import ProgrammeChange, TalkSnapshot, recent_changes
from bot.store.db import Database

MARK_WINDOW = timedelta(hours=24)
"""How long a change stays marked beside its talk."""

_Numbered = tuple[int, ProgrammeChange]  # a change and its place among the marks' changes
_Shown = tuple[str, datetime | None]  # a title and a start


class ShownTalk(Protocol):
    """What a mark needs of a talk: a `TalkView`, or a programme grid's leaner row."""

    @property
    def conference_slug(self) -> str: ...

    @property
    def slug(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def starts_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Marks:
    """The recent changes of one conference, and the zone its times are shown in."""

    changes: tuple[ProgrammeChange, ...] = ()
    zone: tzinfo = UTC

    def of(self, talk: ShownTalk) -> str:
        """'moved from 14:00' (or 'moved from Wed 14:00' from another day), 'was in Room X',
        both joined by '; ', or '' for a talk that did not change lately."""
        return self._mark(self._of_talk(talk), talk)

    def shown(self, talk: ShownTalk) -> str:
        """What a programme grid shows beside `talk`: its mark (`of`), else the kinds of its
        recent changes ('new', 'speakers, title'), or '' when it did not change lately."""
        changes = self._of_talk(talk)  # once: a day's grid asks this of a thousand talks
        if not changes:
            return ""
        return self._mark(changes, talk) or ", ".join(sorted({c.kind for c in changes}))

    def _mark(self, changes: list[ProgrammeChange], talk: ShownTalk) -> str:
        marks: dict[str, str] = {}
        for change in changes:
            if change.old is None:
                continue
            if change.kind == "moved" and change.old.starts_at is not None:
                marks["moved"] = f"moved from {self._when(change.old.starts_at, talk)}"
            elif change.kind == "room" and change.old.room:
                marks["room"] = f"was in {change.old.room}"
        return "; ".join(marks[kind] for kind in ("moved", "room") if kind in marks)

    def kinds(self, talk: ShownTalk) -> frozenset[str]:
        """Every kind of recent change to `talk` ('new', 'moved', 'room', 'title', ...)."""
        return frozenset(change.kind for change in self._of_talk(talk))

    def _of_talk(self, talk: ShownTalk) -> list[ProgrammeChange]:
        """The changes to `talk`, oldest first: those under its key, and those whose new side
        has its title and start (a talk keyed by its guid)."""
        if not self.changes:
            return []
        by_key, by_shown = self._index
        found = by_key.get(f"{talk.conference_slug}/{talk.slug}", [])
        also = by_shown.get((talk.title, talk.starts_at), [])
        if also and also != found:  # often the same: a talk's key and its new side agree
            # each once, in order
            found = sorted(dict([*found, *also]).items()) if found else also
        return [change for _, change in found if change.conference == talk.conference_slug]

    @functools.cached_property
    def _index(self) -> tuple[dict[str, list[_Numbered]], dict[_Shown, list[_Numbered]]]:
        """The changes (numbered in order) by talk key and by the title and start of their
        new side: a page of a thousand talks looks each one up instead of reading them all."""
        by_key: dict[str, list[_Numbered]] = defaultdict(list)
        by_shown: dict[_Shown, list[_Numbered]] = defaultdict(list)
        for number, change in enumerate(self.changes):
            by_key[change.talk_key].append((number, change))
            if change.new is not None:
                by_shown[(change.new.title, change.new.starts_at)].append((number, change))
        return dict(by_key), dict(by_shown)

    def cancelled(self, start: datetime, end: datetime) -> list[TalkSnapshot]:
        """The talks that were to start in [start, end) and were cancelled lately."""
        gone: dict[str, TalkSnapshot] = {}
        for change in self.changes:
            if change.kind == "new":
                gone.pop(change.talk_key, None)  # cancelled, then back again
            old = change.old
            if change.kind != "cancelled" or old is None or old.starts_at is None:
                continue
            if start <= old.starts_at < end:
                gone[change.talk_key] = old
        return sorted(gone.values(), key=lambda s: s.starts_at or start)

    def when(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%a %H:%M}"

    def _when(self, old: datetime, talk: ShownTalk) -> str:
        before = old.astimezone(self.zone)
        if talk.starts_at is not None and talk.starts_at.astimezone(self.zone).date() == (
            before.date()
        ):
            return f"{before.hour:02d}:{before.minute:02d}"  # not strftime: 5x
        return f"{before:%a %H:%M}"


async def programme_marks(
    db: Database, conference: str, moment: datetime, zone: tzinfo | None = None
) -> Marks:
    """The marks of `conference`'s changes detected in the last MARK_WINDOW before `moment`."""
    changes = await recent_changes(db, conference, moment - MARK_WINDOW)
    return Marks(tuple(c for c in changes if c.detected_at <= moment), zone or UTC)


async def staleness_footer(db: Database, conference: str, moment: datetime) -> str:
    """The footer that says a followed programme is overdue, or ''."""
    stale = await programme_staleness(db, conference, moment)
    return stale.footer() if stale is not None else ""


def joined(*parts: str) -> str:
    """Footer parts joined by ' · ', the empty ones left out."""
    return " · ".join(part for part in parts if part)
