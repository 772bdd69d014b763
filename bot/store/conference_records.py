"""A stored conference read back as records (bot/records.py), nuggets included: what
`confbot nuggets export` writes in the bundled format.

The talks come back as they are loaded now, with every nugget in the pool (the source's and
the approved community ones, in their order); guids, biographies and cue timings are not
part of the bundled format, so they are not read.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.records import Conference, Nugget, Speaker, Talk
from bot.store.db import Database


async def conference_records(db: Database, slug: str) -> Conference | None:
    """The conference `slug` with its talks and their nuggets; None when it is not loaded."""
    row = await db.fetch_one(
        "SELECT id, name, year, url, timezone, description, origin FROM conferences WHERE slug = ?",
        (slug,),
    )
    if row is None:
        return None
    conference_id = int(row[0])
    speakers: dict[int, list[Speaker]] = {}
    for s in await db.fetch_all(
        "SELECT ts.talk_id, s.name FROM talk_speakers ts JOIN speakers s ON s.id = ts.speaker_id "
        "JOIN talks t ON t.id = ts.talk_id WHERE t.conference_id = ? ORDER BY ts.talk_id, "
        "ts.position",
        (conference_id,),
    ):
        speakers.setdefault(int(s[0]), []).append(Speaker(str(s[1])))
    nuggets: dict[int, list[Nugget]] = {}
    for n in await db.fetch_all(
        "SELECT n.talk_id, n.text, n.speaker, n.source FROM nuggets n "
        "JOIN talks t ON t.id = n.talk_id WHERE t.conference_id = ? ORDER BY n.talk_id, "
        "n.position",
        (conference_id,),
    ):
        nuggets.setdefault(int(n[0]), []).append(Nugget(str(n[1]), n[2], str(n[3])))
    talks = []
    for t in await db.fetch_all(
        "SELECT id, slug, title, kind, summary, speaker_note, transcript, transcript_source, "
        "url, source, starts_at, ends_at, room, track, language, description, schedule_day "
        "FROM talks WHERE conference_id = ? ORDER BY slug",
        (conference_id,),
    ):
        talk_id = int(t[0])
        talks.append(
            Talk(
                slug=str(t[1]),
                title=str(t[2]),
                kind=str(t[3]),
                summary=str(t[4]),
                speaker_note=t[5],
                transcript=t[6],
                transcript_source=t[7],
                url=t[8],
                source=t[9],
                starts_at=datetime.fromisoformat(t[10]) if t[10] else None,
                ends_at=datetime.fromisoformat(t[11]) if t[11] else None,
                room=t[12],
                track=t[13],
                language=t[14],
                description=t[15],
                schedule_day=date.fromisoformat(t[16]) if t[16] else None,
                speakers=tuple(speakers.get(talk_id, [])),
                nuggets=tuple(nuggets.get(talk_id, [])),
            )
        )
    return Conference(
        slug=slug,
        name=str(row[1]),
        year=row[2],
        url=row[3],
        timezone=row[4],
        description=row[5],
        origin=str(row[6]),
        talks=tuple(talks),
    )
