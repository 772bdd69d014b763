"""/talk and /speaker: a talk by title, speaker, kind or words; a speaker by any part of a name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.answer import Answer, Choice
from bot.commands.answers import note_shortened, speaker_answer, talk_answer, talk_choice
from bot.commands.lookup import FUZZY_SUGGEST, MAX_CHOICES
from bot.commands.params import CONFERENCE, clean_query, words
from bot.commands.registry import Call, Command, usage
from bot.commands.scope import elsewhere, where
from bot.records import TALK_KINDS
from bot.store import queries

if TYPE_CHECKING:
    from bot.core import Core

KINDS = ", ".join(k for k in TALK_KINDS if k != "other")


async def talk(core: Core, call: Call) -> Answer:
    text, shortened = clean_query(call.text("query"))
    if not text:
        return usage("talk", "Tell me which talk: a title, a speaker, or a few words.")
    conferences = call.conferences
    lookup = core.lookup
    matches = await lookup.resolve_talks(text, conferences, refs_in=given(call))
    if len(matches) == 1:
        return note_shortened(talk_answer(await lookup.talk_view(matches[0].id)), shortened)
    if matches:
        return note_shortened(
            Answer(
                kind="choices",
                title=f"Several talks match “{text}”",
                text="Which one did you mean?",
                choices=tuple(talk_choice(t) for t in matches[:MAX_CHOICES]),
            ),
            shortened,
        )
    suggested = [i for i, _ in await lookup.fuzzy_talks(text, FUZZY_SUGGEST, 3, conferences)]
    for ranked in await queries.rank_talks(
        core.db, queries.fts_expression(text, any_word=True), conferences=conferences, limit=3
    ):
        if ranked.id not in suggested:
            suggested.append(ranked.id)
    labels = await queries.talk_labels(core.db, suggested[:5])
    return note_shortened(
        Answer(
            kind="not_found",
            title="No talk found",
            text=f"No talk matches “{text}”{where(call.scope)}."
            + (" Did you mean one of these?" if labels else " Try /search with other words.")
            + elsewhere(call.scope),
            choices=tuple(talk_choice(t) for t in labels),
            found=False,
            ephemeral=True,
        ),
        shortened,
    )


async def speaker(core: Core, call: Call) -> Answer:
    text, shortened = clean_query(call.text("query"))
    if not text:
        return usage("speaker", "Tell me who: a first name, a last name or a full name.")
    lookup = core.lookup
    speaker_ids = await lookup.resolve_speakers(text, call.conferences)
    if len(speaker_ids) == 1:
        found = await lookup.speaker_view(speaker_ids[0])
        if found is not None:
            return note_shortened(speaker_answer(found), shortened)
    if speaker_ids:
        summaries = await queries.speaker_summaries(core.db, speaker_ids)
        return note_shortened(
            Answer(
                kind="choices",
                title=f"Several speakers match “{text}”",
                text="Which one did you mean?",
                choices=tuple(
                    Choice(label=name, command="speaker", query=name, description=titles)
                    for _, name, titles in summaries
                ),
            ),
            shortened,
        )
    near = await lookup.fuzzy_speakers(text, FUZZY_SUGGEST, 3, call.conferences)
    return note_shortened(
        Answer(
            kind="not_found",
            title="No speaker found",
            text=f"No speaker matches “{text}”{where(call.scope)}."
            + (" Did you mean one of these?" if near else "")
            + elsewhere(call.scope),
            choices=tuple(Choice(label=name, command="speaker", query=name) for name, _, _ in near),
            found=False,
            ephemeral=True,
        ),
        shortened,
    )


def given(call: Call) -> tuple[str, ...]:
    """The conference asked for with --conference, if any (not the community's default)."""
    conference = call.text("conference")
    return (conference,) if conference else ()


TALK = Command(
    "talk",
    "Find a talk by title, speaker, kind or words",
    (
        words(
            "query",
            "A title, a speaker, a kind such as keynote, or a few words",
            "QUERY",
            autocomplete="talks",
        ),
        CONFERENCE,
    ),
    talk,
    help=f"A talk by title, speaker, words from its summary, or kind ({KINDS}).",
    cached=True,
)
SPEAKER = Command(
    "speaker",
    "Who a speaker is and what they talked about",
    (
        words("query", "A first name, a last name or a full name", "NAME", autocomplete="speakers"),
        CONFERENCE,
    ),
    speaker,
    help="Who that is and what they spoke about (first names work).",
    cached=True,
)
