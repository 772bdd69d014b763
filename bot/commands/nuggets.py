"""/nugget: a random nugget of wisdom, optionally by a speaker, from a talk or on a topic.

`/nugget WORDS` is `/nugget random WORDS` (Discord, whose command groups cannot run bare,
offers it as /nugget random); the group's other subcommands are community nuggets
(bot/commands/nugget_commands.py).

The filter is the talk, else the speaker, else the free words (a talk's nuggets are all by its
speakers). "Another one" replays the very invocation that produced the nugget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.answer import Answer, follow_up
from bot.commands.answers import empty_store, note_shortened, nugget_answer
from bot.commands.nugget_commands import APPROVE, EDIT, REJECT, REVIEW, SUBMIT
from bot.commands.params import CONFERENCE, MAX_QUERY_LENGTH, Param, Text, clean_query, words
from bot.commands.registry import Call, Command
from bot.commands.scope import elsewhere, named, where
from bot.commands.talks import given
from bot.frozen import stamped
from bot.store import queries

if TYPE_CHECKING:
    from bot.core import Core


async def nugget(core: Core, call: Call) -> Answer:
    """A random nugget; narrowed to a speaker, a talk or a topic when one is given."""
    text, shortened = clean_query(call.text("talk") or call.text("speaker") or call.text("query"))
    conferences = call.conferences
    if not text:
        ids = await core.lookup.nugget_ids(conferences)  # (): every nugget
        if not ids and conferences:
            return _no_nugget(
                f"There are no nuggets in {named(conferences)}.{elsewhere(call.scope)}"
            )
        if not ids:
            return empty_store()
        return await _answer_of(core, ids[int(core.rng.random() * len(ids))], call)
    pool = await nugget_pool(core, text, conferences, given(call))
    if not pool:
        return note_shortened(
            _no_nugget(
                f"No nugget by or about “{text}”{where(call.scope)}. Try /nugget with no filter."
                + elsewhere(call.scope)
            ),
            shortened,
        )
    return note_shortened(await _answer_of(core, core.rng.choice(pool), call), shortened)


async def _answer_of(core: Core, nugget_id: int, call: Call) -> Answer:
    """The answer of the picked nugget, with "Another one" replaying `call`: the pick is
    chance, the answer of a pick is not, so it is kept per data version (a burst of /nugget
    renders each nugget once: bot/commands/answer_cache.py)."""
    key = (nugget_id, call.invocation, call.scope)
    kept, version = await core.nugget_answers.get(key)
    if kept is not None:
        return kept
    found = await queries.nugget_by_id(core.db, nugget_id)
    if found is None:
        return empty_store()
    answer = nugget_answer(found, follow_up("Another one", call.invocation))
    answer = stamped(answer, invocation=call.invocation)  # stamped once, here
    core.nugget_answers.keep(version, key, answer)
    return answer


async def nugget_pool(
    core: Core, text: str, conferences: tuple[str, ...] = (), refs_in: tuple[str, ...] = ()
) -> list[int]:
    """The nuggets by the speaker, on the words, or from the talk `text` names, of
    `conferences` (() for every one); a talk's full ref is looked for in `refs_in`."""
    speaker_ids = await core.lookup.resolve_speakers(text, conferences)
    if speaker_ids:
        pool = await queries.nugget_ids_for_speakers(core.db, speaker_ids, conferences)
        if pool:
            return pool
    expression = queries.fts_expression(text)
    pool = await queries.nugget_ids_matching(core.db, expression, conferences=conferences)
    if pool:
        return pool
    talks = await core.lookup.resolve_talks(text, conferences, refs_in=refs_in)
    if len(talks) == 1:
        return await queries.nugget_ids_for_talks(core.db, [talks[0].id])
    return []


def _no_nugget(text: str) -> Answer:
    return Answer(kind="not_found", title="No nugget found", text=text, found=False, ephemeral=True)


RANDOM = Command(
    "random",
    "A random nugget of wisdom from the talks",
    (
        # The free words are for text commands; Discord offers the two named options instead.
        words("query", "A speaker, a talk or a topic", "WHO OR WHAT", required=False, slash=False),
        Param(
            "speaker",
            Text(MAX_QUERY_LENGTH, shorten=True),
            "Only nuggets by this speaker",
            autocomplete="speakers",
            metavar="NAME",
        ),
        Param(
            "talk",
            Text(MAX_QUERY_LENGTH, shorten=True),
            "Only nuggets from this talk",
            autocomplete="talks",
        ),
        CONFERENCE,
    ),
    nugget,
    help="A random nugget of wisdom, optionally by a speaker, from a talk or on a topic.",
)

NUGGET = Command(
    "nugget",
    "A random nugget of wisdom from the talks, or submit one",
    RANDOM.params,
    nugget,
    help="A random nugget of wisdom, optionally by a speaker, from a talk or on a topic; "
    "/nugget submit WORDS | TALK | SPEAKER sends one for review.",
    subcommands=(RANDOM, SUBMIT, REVIEW, APPROVE, EDIT, REJECT),
    default="random",
)
