"""What the commands look things up with: talks and speakers by name, with fuzzy matching.

Resolution order for a talk: exact slug, talk kind ("keynote"), full-text match with bm25
(ambiguous when the runner-up is close), then a spelling-corrected full-text match, then fuzzy
matching of titles and speaker names. Titles, slugs and speaker names are held in memory
(`_NameIndex`), rebuilt when the store's data version changes.
"""

from __future__ import annotations

import re
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answer import Choice
from bot.commands.answers import talk_choice
from bot.commands.params import clean_query
from bot.commands.scope import CommunityConferences
from bot.store import queries
from bot.store.content import DATA_VERSION_KEY, get_meta
from bot.store.db import Database
from bot.store.names import conference_slugs, talk_ids_by_ref, talk_slugs
from bot.store.queries import SpeakerView, TalkLabel, TalkView

MAX_CHOICES = 25
AMBIGUITY_RATIO = 0.8
FUZZY_ACCEPT = 85.0
FUZZY_SUGGEST = 55.0
SPEAKER_FUZZY_ACCEPT = 75.0
SPELLING_ACCEPT = 75.0
VERSION_CHECK_SECONDS = 2.0
TALK_CACHE_SIZE = 1024
MAX_NUGGET_SCOPES = 64  # sets of conferences whose nugget ids are kept at once

_KIND_ALIASES = {
    "keynote": "keynote",
    "keynotes": "keynote",
    "closing": "closing",
    "closing address": "closing",
    "closing remarks": "closing",
    "unconference": "unconference",
    "unconference session": "unconference",
    "unconference sessions": "unconference",
    "lightning": "lightning",
    "lightning talk": "lightning",
    "workshop": "workshop",
}


# Fuzzy scoring a long query against every title costs far more than it can find (WRatio
# turns to partial matching): 200 characters took 200 ms over 10,000 titles, 48 about 40 ms.
MAX_FUZZY_LENGTH = 48


@dataclass
class _Names:
    """Ids and names side by side, for fuzzy matching in memory."""

    ids: list[int]
    names: list[str]
    conferences: list[frozenset[str]] = field(default_factory=list)  # each one's slugs


@dataclass
class _NameIndex:
    """What the lookup keeps per data version: cached views and, loaded only when a fuzzy
    match first needs them, every title and speaker name (slugs are looked up in SQL, so a
    cold answer on a large database does not read them all). Rebuilt when the version
    changes."""

    version: str
    checked_at: float
    talks: _Names | None = None
    speakers: _Names | None = None
    talk_views: dict[int, TalkView] = field(default_factory=dict)
    speaker_views: dict[int, SpeakerView | None] = field(default_factory=dict)
    timed: bool = False
    vocabulary: list[str] | None = None
    known: set[str] = field(default_factory=set)
    slugs: list[str] | None = None
    nuggets_of: dict[tuple[str, ...], array[int]] = field(default_factory=dict)
    # Every talk slug, read on the second slug lookup of a version: a running bot then
    # answers "no such slug" (most words) without a round trip; a one-shot `confbot ask`
    # never reads them all.
    talk_slugs: frozenset[str] | None = None
    slug_lookups: int = 0


class Lookup:
    """Talk and speaker resolution over one open `Database`; holds the name index, and the
    conferences each community is about (`communities`, re-read as often as the index)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.version_check_seconds = VERSION_CHECK_SECONDS
        self._names: _NameIndex | None = None
        self.communities = CommunityConferences(db, lambda: self.version_check_seconds)

    async def talk_view(self, talk_id: int) -> TalkView:
        """A talk with its nuggets; cached until the data version changes (talks are read far
        more often than they change, and this saves two database round trips)."""
        index = await self.name_index()
        view = index.talk_views.get(talk_id)
        if view is None:
            view = (await queries.talks_by_ids(self.db, [talk_id], with_nuggets=True))[0]
            if len(index.talk_views) >= TALK_CACHE_SIZE:
                index.talk_views.clear()
            index.talk_views[talk_id] = view
        return view

    async def speaker_view(self, speaker_id: int) -> SpeakerView | None:
        """A speaker with their talks; cached like `_talk_view` (three round trips saved)."""
        index = await self.name_index()
        if speaker_id not in index.speaker_views:
            if len(index.speaker_views) >= TALK_CACHE_SIZE:
                index.speaker_views.clear()
            index.speaker_views[speaker_id] = await queries.speaker_by_id(self.db, speaker_id)
        return index.speaker_views[speaker_id]

    async def resolve_talks(
        self, text: str, conferences: Sequence[str] = (), refs_in: Sequence[str] | None = None
    ) -> list[TalkLabel]:
        """Talks that answer `text` (of `conferences`; () for every one): one is a match,
        several are a choice. A full 'conference/slug' ref names its conference itself, so
        it is looked for in `refs_in` instead when given (a talk picked from anywhere opens
        in a community that defaults to other conferences)."""
        ref = text.lower()
        in_ref = conferences if refs_in is None or "/" not in ref else refs_in
        by_ref = await self.talk_ids_by_ref(ref, in_ref)
        if by_ref:
            return await queries.talk_labels(self.db, by_ref)
        kind = _KIND_ALIASES.get(text.lower())
        if kind:
            by_kind = await queries.talk_ids_by_kind(self.db, kind, conferences)
            if by_kind:  # only MAX_CHOICES are offered: label no more (thousands, imported)
                return await queries.talk_labels(self.db, by_kind[:MAX_CHOICES])
        expression = queries.fts_expression(text)
        # A hit in a title or a speaker's name outranks any hit in a summary or transcript.
        ranked = await queries.rank_talks(
            self.db, in_title_or_speakers(expression), conferences=conferences, limit=MAX_CHOICES
        ) or await queries.rank_talks(
            self.db, expression, conferences=conferences, limit=MAX_CHOICES
        )
        if not ranked:
            corrected = await self.corrected_expression(text)
            if corrected:
                ranked = await queries.rank_talks(
                    self.db, corrected, conferences=conferences, limit=MAX_CHOICES
                )
        if not ranked:
            fuzzy = await self.fuzzy_talks(text, FUZZY_ACCEPT, limit=5, conferences=conferences)
            if fuzzy:
                return await queries.talk_labels(self.db, _close_fuzzy(fuzzy))
        return _close_ranks(ranked)

    async def suggest_talks(
        self, prefix: str, limit: int = MAX_CHOICES, conferences: Sequence[str] = ()
    ) -> list[Choice]:
        """Autocomplete: talks whose title or speaker starts with the typed words (of
        `conferences`, when any are named)."""
        text, _ = clean_query(prefix)
        if not text:
            talks, wanted = await self.talk_names(), frozenset(conferences)
            ids = [
                talk_id
                for talk_id, of in zip(talks.ids, talks.conferences, strict=True)
                if not wanted or of & wanted
            ][:limit]
        else:
            # _in_title_or_speakers gives '' when the text has no word: straight to fuzzy.
            expression = in_title_or_speakers(queries.fts_expression(text, prefix_last=True))
            ranked = await queries.rank_talks(
                self.db, expression, conferences=conferences, limit=limit
            )
            if ranked:
                return [talk_choice(t) for t in ranked]
            fuzzy = await self.fuzzy_talks(text, FUZZY_SUGGEST, limit, conferences)
            ids = [i for i, _ in fuzzy]
        return [talk_choice(t) for t in await queries.talk_labels(self.db, ids[:limit])]

    # -- speaker ---------------------------------------------------------------------------

    async def resolve_speakers(self, text: str, conferences: Sequence[str] = ()) -> list[int]:
        """Speakers that answer `text` (who spoke at one of `conferences`; () for any)."""
        matches = await queries.speakers_matching(
            self.db, text, limit=MAX_CHOICES, conferences=conferences
        )
        if matches and matches[0][1].casefold() == text.casefold():
            return [matches[0][0]]
        if matches:
            return [speaker_id for speaker_id, _ in matches]
        scored = await self.fuzzy_speakers(text, SPEAKER_FUZZY_ACCEPT, 5, conferences)
        return [speaker_id for _, _, speaker_id in _close_scores(scored)]

    async def fuzzy_speakers(
        self, text: str, cutoff: float, limit: int, conferences: Sequence[str] = ()
    ) -> list[tuple[str, float, int]]:
        """(name, score, speaker id) of the speakers whose names are most like `text`."""
        speakers = await self.speaker_names()
        wanted = frozenset(conferences)
        scored = closest(text, speakers.names, cutoff, None if wanted else limit)
        return [
            (name, score, speakers.ids[i])
            for name, score, i in scored
            if not wanted or speakers.conferences[i] & wanted
        ][:limit]

    async def suggest_speakers(
        self, prefix: str, limit: int = MAX_CHOICES, conferences: Sequence[str] = ()
    ) -> list[Choice]:
        """Autocomplete: speakers by any part of a name (who spoke at one of `conferences`,
        when any are named)."""
        text, _ = clean_query(prefix)
        if not text and conferences:
            speakers, wanted = await self.speaker_names(), frozenset(conferences)
            names = [
                name
                for name, of in zip(speakers.names, speakers.conferences, strict=True)
                if of & wanted
            ]
        elif not text:
            names = [name for _, name in await queries.speaker_names(self.db)]
        else:
            found = await queries.speakers_matching(
                self.db, text, limit=limit, conferences=conferences
            )
            names = [name for _, name in found]
            if not names:
                scored = await self.fuzzy_speakers(text, FUZZY_SUGGEST, limit, conferences)
                names = [name for name, _, _ in scored]
        return [Choice(label=name, command="speaker", query=name) for name in names[:limit]]

    async def nugget_ids(self, conferences: Sequence[str]) -> Sequence[int]:
        """The ids of these conferences' nuggets, in id order, kept until the data changes
        (a random nugget of a community is then one indexed read, like any other)."""
        index = await self.name_index()
        key = tuple(sorted(set(conferences)))
        ids = index.nuggets_of.get(key)
        if ids is None:
            if len(index.nuggets_of) >= MAX_NUGGET_SCOPES:
                index.nuggets_of.clear()
            ids = index.nuggets_of[key] = array("q", await queries.nugget_ids_of(self.db, key))
        return ids

    async def talk_ids_by_ref(self, ref: str, conferences: Sequence[str] = ()) -> list[int]:
        """Talks whose slug, or 'conference/slug', is `ref` (see bot.store.names)."""
        index = await self.name_index()
        if index.talk_slugs is None:
            index.slug_lookups += 1
            if index.slug_lookups > 1:
                index.talk_slugs = frozenset(await talk_slugs(self.db))
        if index.talk_slugs is not None and ref.rpartition("/")[2] not in index.talk_slugs:
            return []
        return await talk_ids_by_ref(self.db, ref, conferences)

    async def conference_slugs(self) -> list[str]:
        """Every loaded conference's short name, sorted (kept until the data changes)."""
        index = await self.name_index()
        if index.slugs is None:
            index.slugs = await conference_slugs(self.db)
        return index.slugs

    async def corrected_expression(self, text: str) -> str:
        """An FTS5 expression with each unknown word replaced by its closest indexed word
        (as a prefix query, since indexed words are stemmed); '' when nothing changed."""
        return (await self.corrected(text))[0]

    async def corrected(self, text: str) -> tuple[str, str]:
        """(`corrected_expression`, the corrected words as a user would read them)."""
        index = await self.name_index()
        if index.vocabulary is None:
            index.vocabulary = await queries.vocabulary(self.db)
            index.known = set(index.vocabulary)
        terms, shown, changed = [], [], False
        for word in list(dict.fromkeys(re.findall(r"\w+", text.lower())))[: queries.MAX_FTS_WORDS]:
            best = None
            if word not in index.known and len(word) >= 4:
                best = closest_word(word, index.vocabulary)
            if best:
                terms.append(f'"{best[0]}"*')
                shown.append(best[0])
                changed = True
            elif word in index.known:
                terms.append(f'"{word}"')
                shown.append(word)
            else:
                changed = True  # an unknown word that has no near neighbour is left out
        if not (changed and terms):
            return "", ""
        return " ".join(terms), " ".join(shown)

    # -- fuzzy index -----------------------------------------------------------------------

    async def fuzzy_talks(
        self, text: str, cutoff: float, limit: int, conferences: Sequence[str] = ()
    ) -> list[tuple[int, float]]:
        talks = await self.talk_names()
        wanted = frozenset(conferences)
        scored = closest(text, talks.names, cutoff, None if wanted else limit)
        return [
            (talks.ids[i], float(score))
            for _, score, i in scored
            if not wanted or talks.conferences[i] & wanted
        ][:limit]

    async def talk_names(self) -> _Names:
        index = await self.name_index()
        if index.talks is None:
            talks = await queries.talk_titles(self.db)
            index.talks = _Names(
                ids=[t[0] for t in talks],
                names=[t[1] for t in talks],
                conferences=[frozenset((t[2],)) for t in talks],
            )
        return index.talks

    async def speaker_names(self) -> _Names:
        index = await self.name_index()
        if index.speakers is None:
            speakers = await queries.speaker_names(self.db)
            spoke_at = await queries.speaker_conferences(self.db)
            index.speakers = _Names(
                ids=[s[0] for s in speakers],
                names=[s[1] for s in speakers],
                conferences=[spoke_at.get(s[0], frozenset()) for s in speakers],
            )
        return index.speakers

    async def name_index(self) -> _NameIndex:
        """The name index, re-validated against the data version at most every few seconds
        (so a reload by `confbot load` in another process shows up quickly)."""
        now = time.monotonic()
        index = self._names
        if index is not None and now - index.checked_at < self.version_check_seconds:
            return index
        version = await get_meta(self.db, DATA_VERSION_KEY) or "0"
        if index is not None and index.version == version:
            index.checked_at = now
            return index
        self._names = _NameIndex(
            version=version,
            checked_at=now,
            timed=await queries.has_timed_transcripts(self.db),
        )
        return self._names


def closest(
    text: str, candidates: Sequence[str], cutoff: float, limit: int | None
) -> list[tuple[str, float, int]]:
    """The candidates most like `text` (rapidfuzz WRatio, 0-100), best first, as
    (candidate, score, position). rapidfuzz is imported here, off the cold-start path."""
    from rapidfuzz import fuzz, process, utils

    text = text[:MAX_FUZZY_LENGTH]
    return [
        (str(choice), float(score), int(position))
        for choice, score, position in process.extract(
            text,
            candidates,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=cutoff,
            limit=limit,
        )
    ]


def closest_word(word: str, vocabulary: Sequence[str]) -> tuple[str, float, int] | None:
    from rapidfuzz import fuzz, process

    best = process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=SPELLING_ACCEPT)
    return (str(best[0]), float(best[1]), int(best[2])) if best else None


def in_title_or_speakers(expression: str) -> str:
    return f"{{title speakers}} : ({expression})" if expression else ""


def _close_ranks(ranked: Sequence[TalkLabel]) -> list[TalkLabel]:
    """The best hit alone, or every hit whose bm25 score is within AMBIGUITY_RATIO of it."""
    if not ranked:
        return []
    best = abs(ranked[0].score)
    return [r for r in ranked if abs(r.score) >= best * AMBIGUITY_RATIO][:MAX_CHOICES]


def _close_fuzzy(scored: Sequence[tuple[int, float]]) -> list[int]:
    best = scored[0][1]
    return [talk_id for talk_id, score in scored if score >= best - 3]


def _close_scores(scored: Sequence[tuple[str, float, int]]) -> list[tuple[str, float, int]]:
    if not scored:
        return []
    best = scored[0][1]
    return [item for item in scored if item[1] >= best - 3]
