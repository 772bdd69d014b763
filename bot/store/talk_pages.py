"""What a talk's public page reads: the talk by conference and slug with its nuggets, and its
transcript, as timed cues when it has them (cue_search, by the talk's rowid range) or as
plain text."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.catalog import TalkView, talks_by_ids
from bot.store.db import Database
from bot.store.names import talk_ids_by_ref
from bot.store.search import MAX_CUES_PER_TALK, cue_rowid

MAX_CUES_SHOWN = 5_000


@dataclass(frozen=True)
class CueLine:
    start_ms: int
    text: str

    @property
    def at(self) -> str:
        """'12:34', or '1:02:03' past an hour."""
        seconds = self.start_ms // 1000
        hours, rest = divmod(seconds, 3600)
        return (
            f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
            if hours
            else f"{rest // 60}:{rest % 60:02d}"
        )


async def talk_page(db: Database, conference: str, slug: str) -> TalkView | None:
    ids = await talk_ids_by_ref(db, f"{conference}/{slug}".lower())
    talks = await talks_by_ids(db, ids[:1], with_nuggets=True)
    return talks[0] if talks else None


async def transcript_cues(db: Database, talk_id: int) -> list[CueLine]:
    rows = await db.fetch_all(
        "SELECT start_ms, text FROM cue_search WHERE rowid BETWEEN ? AND ? ORDER BY rowid LIMIT ?",
        (cue_rowid(talk_id, 0), cue_rowid(talk_id, MAX_CUES_PER_TALK), MAX_CUES_SHOWN),
    )
    return [CueLine(int(row[0]), str(row[1])) for row in rows]


async def transcript_text(db: Database, talk_id: int) -> str:
    row = await db.fetch_one("SELECT transcript FROM talks WHERE id = ?", (talk_id,))
    return str(row[0]) if row and row[0] else ""
