"""/search: full-text search over titles, summaries, nuggets and transcripts, page by page.

All the words first, then any of them, then the words spelled as the index knows them
("dockr" finds docker, and the answer says so). Each page's "Next ▶" replays the same
invocation with another page, so a search narrowed to a conference stays narrowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.answer import Answer, Field
from bot.commands.answers import format_offset, note_shortened, speaker_line, talk_choice
from bot.commands.params import CONFERENCE, PAGE, clean_query, words
from bot.commands.registry import Call, Command, usage
from bot.commands.scope import elsewhere, where
from bot.store import queries
from bot.store.queries import SearchHit

if TYPE_CHECKING:
    from bot.core import Core

SEARCH_PAGE_SIZE = 5


async def search(core: Core, call: Call) -> Answer:
    text, shortened = clean_query(call.text("text"))
    if not text:
        return usage("search", "Give me a word or two to look for, e.g. /search crontab.")
    expression = queries.fts_expression(text)
    if not expression:
        return Answer(
            kind="not_found",
            title="Nothing to search for",
            text="That has no words to look for; try /search crontab.",
            found=False,
            ephemeral=True,
        )
    page = call.number("page", 1)
    conferences = call.conferences
    timed = (await core.lookup.name_index()).timed
    offset = (page - 1) * SEARCH_PAGE_SIZE

    async def run(expression: str) -> tuple[list[SearchHit], int]:
        return await queries.search_talks(
            core.db,
            expression,
            limit=SEARCH_PAGE_SIZE,
            offset=offset,
            timed=timed,
            conferences=conferences,
        )

    hits, total = await run(expression)
    if total == 0:
        hits, total = await run(queries.fts_expression(text, any_word=True))
    corrected_to = ""
    if total == 0:
        corrected, corrected_to = await core.lookup.corrected(text)
        if corrected:
            hits, total = await run(corrected)
    pages = max(1, -(-total // SEARCH_PAGE_SIZE))
    if not hits:
        return note_shortened(
            Answer(
                kind="not_found",
                title="Nothing found",
                text=f"Nothing in the talks, summaries or transcripts matches “{text}”"
                f"{where(call.scope)}.{elsewhere(call.scope)}"
                if total == 0
                else f"There are only {pages} page(s) of results.",
                found=False,
                ephemeral=True,
                pages=pages,
            ),
            shortened,
        )
    # Which conference a hit is from, when the page is not all from one.
    several = len({hit.talk.conference_name for hit in hits}) > 1 or len(conferences) > 1
    fields = tuple(
        Field(
            name=f"{hit.talk.title} — {speaker_line(hit.talk)}"
            + (f" · {hit.talk.conference_name}" if several else "")
            + (f" (at {format_offset(hit.at_ms)})" if hit.at_ms is not None else ""),
            value=hit.snippet,
        )
        for hit in hits
    )
    matched = f"{total} talk(s) match{where(call.scope)}."
    if corrected_to:
        matched = f"Nothing for “{text}”; showing results for “{corrected_to}”. {matched}"
    return note_shortened(
        Answer(
            kind="search",
            title=f"Search: {text}",
            text=matched,
            fields=fields,
            choices=tuple(talk_choice(hit.talk) for hit in hits),
            page=page,
            pages=pages,
            meta={"query": text},
        ),
        shortened,
    )


SEARCH = Command(
    "search",
    "Search titles, summaries, nuggets and transcripts",
    (
        words("text", "Words to look for, e.g. crontab", "TEXT"),
        CONFERENCE,
        PAGE,
    ),
    search,
    help="Full-text search over titles, summaries, nuggets and transcripts.",
    cached=True,
)
