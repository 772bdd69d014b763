"""Importing one schedule export: update its conference in place and say what changed."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from bot.records import Conference
from bot.store.changes import TalkChange, summarise
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
    changed: bool = True
    changes: tuple[TalkChange, ...] = ()
    batch_id: int | None = None

    def count(self, kind: str) -> int:
        """How many talks changed in this way ('new', 'cancelled', 'moved', 'room', ...)."""
        return Counter(change.kind for change in self.changes)[kind]

    def describe(self) -> str:
        text = f"imported {self.name} ({self.slug}): {self.talks} talk(s)"
        if not self.reimport:
            return text
        if not self.changed:
            return text + "; unchanged since the last import"
        return text + f"; {summarise(self.changes)} since the last import"


def export_digest(raw: bytes) -> str:
    """The digest an import remembers of the export's bytes (see `unchanged_import`)."""
    return hashlib.sha256(raw).hexdigest()


async def unchanged_import(db: Database, digest: str) -> ImportReport | None:
    """The report of re-importing an export whose bytes are those of the last import of a
    conference (so it need not even be parsed), else None. A followed source that has since
    updated the conference (origin 'source:URL') makes the export worth parsing again."""
    row = await db.fetch_one(
        "SELECT c.name, c.slug, (SELECT count(*) FROM talks t WHERE t.conference_id = c.id) "
        "FROM conferences c WHERE c.fingerprint = ? AND c.origin = 'import'",
        (digest,),
    )
    if row is None:
        return None
    return ImportReport(str(row[0]), str(row[1]), int(row[2]), 0, 0, True, changed=False)


async def import_conference(
    db: Database,
    conference: Conference,
    *,
    origin: str,
    now: datetime | None = None,
    digest: str | None = None,
) -> ImportReport:
    """Bring the conference (by slug) to the imported one, in one transaction, keeping the
    ids of talks that stay; the programme changes are stored and returned.

    `digest` (of the export's bytes) is remembered for `unchanged_import`. Raises
    RecordError, changing nothing, when the slug belongs to a data-folder conference.
    """
    row = await db.fetch_one("SELECT 1 FROM conferences WHERE slug = ?", (conference.slug,))
    report = await replace_conferences(db, [conference], origin=origin, now=now)
    if digest is not None:
        await db.execute(
            "UPDATE conferences SET fingerprint = ? WHERE slug = ? AND fingerprint != ?",
            (digest, conference.slug, digest),
        )
    return ImportReport(
        name=conference.name,
        slug=conference.slug,
        talks=len(conference.talks),
        added=sum(1 for c in report.changes if c.kind == "new"),
        removed=sum(1 for c in report.changes if c.kind == "cancelled"),
        reimport=row is not None,
        changed=report.changed,
        changes=report.changes,
        batch_id=report.batch_id,
    )
