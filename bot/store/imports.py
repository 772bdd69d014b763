"""Importing one schedule export: replace its conference and say what changed since last time."""

from __future__ import annotations

from dataclasses import dataclass

from bot.records import Conference
from bot.store.content import replace_conferences
from bot.store.db import Database


@dataclass(frozen=True)
class ImportReport:
    name: str
    slug: str
    talks: int
    added: int
    removed: int
    reimport: bool

    def describe(self) -> str:
        text = f"imported {self.name} ({self.slug}): {self.talks} talk(s)"
        if self.reimport:
            text += f", {self.added} new, {self.removed} removed since the last import"
        return text


async def import_conference(db: Database, conference: Conference, *, origin: str) -> ImportReport:
    """Replace the conference (by slug) with the imported one, in one transaction.

    Raises RecordError, changing nothing, when the slug belongs to a data-folder conference.
    """
    rows = await db.fetch_all(
        "SELECT t.guid FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE c.slug = ? AND t.guid IS NOT NULL",
        (conference.slug,),
    )
    before = {str(row[0]) for row in rows}
    await replace_conferences(db, [conference], origin=origin)
    after = {talk.guid for talk in conference.talks if talk.guid}
    return ImportReport(
        name=conference.name,
        slug=conference.slug,
        talks=len(conference.talks),
        added=len(after - before),
        removed=len(before - after),
        reimport=bool(before),
    )
