"""The command core: talk, speaker, nugget and search, answered as platform-neutral `Answer`s.

Knows no platform. Every front end (console, Discord, Slack) calls the same methods and only
renders what comes back. Resolution order for `talk`: exact slug, talk kind ("keynote"),
full-text match with bm25 (ambiguous when the runner-up is close), then fuzzy matching of
titles and speaker names for typos, then "no match" with the nearest suggestions.
"""

from __future__ import annotations

import functools
import random
import re
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec
from zoneinfo import ZoneInfo

from bot.answer import Answer, Choice, Field
from bot.records import TALK_KINDS
from bot.schedule import Clock, ScheduleAnswers, system_clock
from bot.store import queries
from bot.store.content import DATA_VERSION_KEY, get_meta
from bot.store.db import Database, QueryBudgetExceeded
from bot.store.queries import NuggetView, SpeakerView, TalkLabel, TalkView
from bot.text import MAX_RAW_LENGTH, clean_text, parse_number

P = ParamSpec("P")

MAX_QUERY_LENGTH = 200
SEARCH_PAGE_SIZE = 5
MAX_PAGE = 9999
MAX_CHOICES = 25
AMBIGUITY_RATIO = 0.8
FUZZY_ACCEPT = 85.0
FUZZY_SUGGEST = 55.0
SPEAKER_FUZZY_ACCEPT = 75.0
SPELLING_ACCEPT = 75.0
VERSION_CHECK_SECONDS = 2.0
TALK_CACHE_SIZE = 1024
# Fuzzy scoring a long query against every title costs far more than it can find (WRatio
# turns to partial matching): 200 characters took 200 ms over 10,000 titles, 48 about 40 ms.
MAX_FUZZY_LENGTH = 48


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


def clean_query(text: str) -> tuple[str, bool]:
    """Strip control and bidi characters, fold whitespace, cut to MAX_QUERY_LENGTH.

    Returns the cleaned text and whether it had to be shortened (see bot.text).
    """
    return clean_text(text, MAX_QUERY_LENGTH)


@dataclass
class _NameIndex:
    """Titles, slugs and speaker names in memory: slug lookups and fuzzy matching cost no
    database round trip. Rebuilt when the store's data version changes."""

    version: str
    checked_at: float
    talk_ids: list[int]
    talk_labels: list[str]
    talk_conferences: list[str]
    speaker_ids: list[int]
    speaker_names: list[str]
    refs: dict[str, list[int]] = field(default_factory=dict)
    conference_by_id: dict[int, str] = field(default_factory=dict)
    talk_views: dict[int, TalkView] = field(default_factory=dict)
    speaker_views: dict[int, SpeakerView | None] = field(default_factory=dict)
    timed: bool = False
    vocabulary: list[str] | None = None
    known: set[str] = field(default_factory=set)


def _within_budget(
    handler: Callable[Concatenate[Core, P], Coroutine[Any, Any, Answer]],
) -> Callable[Concatenate[Core, P], Coroutine[Any, Any, Answer]]:
    """One command, one query budget (bot.store.db): a command whose query the store had to
    stop is answered "too broad", however the front end called it."""

    async def answer(self: Core, /, *args: P.args, **kwargs: P.kwargs) -> Answer:
        try:
            with self.db.command_budget():
                return await handler(self, *args, **kwargs)
        except QueryBudgetExceeded:
            return too_broad()

    functools.update_wrapper(answer, handler)
    return answer


class Core:
    """The command logic over one open `Database`. Cheap to build; holds a fuzzy-match cache."""

    def __init__(
        self, db: Database, rng: random.Random | None = None, clock: Clock = system_clock
    ) -> None:
        self.db = db
        self.rng = rng or random.Random()
        self.programme = ScheduleAnswers(db, clock)
        self.version_check_seconds = VERSION_CHECK_SECONDS
        self._names: _NameIndex | None = None

    # -- talk ------------------------------------------------------------------------------

    @_within_budget
    async def talk(self, query: str, conference: str | None = None) -> Answer:
        text, shortened = clean_query(query)
        if not text:
            return usage("talk", "Tell me which talk: a title, a speaker, or a few words.")
        matches = await self._resolve_talks(text, conference)
        if len(matches) == 1:
            return _note_shortened(talk_answer(await self._talk_view(matches[0].id)), shortened)
        if matches:
            return _note_shortened(
                Answer(
                    kind="choices",
                    title=f"Several talks match “{text}”",
                    text="Which one did you mean?",
                    choices=tuple(_talk_choice(t) for t in matches[:MAX_CHOICES]),
                ),
                shortened,
            )
        suggested = [i for i, _ in await self._fuzzy_talks(text, FUZZY_SUGGEST, 3, conference)]
        for ranked in await queries.rank_talks(
            self.db, queries.fts_expression(text, any_word=True), conference=conference, limit=3
        ):
            if ranked.id not in suggested:
                suggested.append(ranked.id)
        labels = await queries.talk_labels(self.db, suggested[:5])
        return _note_shortened(
            Answer(
                kind="not_found",
                title="No talk found",
                text=f"No talk matches “{text}”."
                + (" Did you mean one of these?" if labels else " Try /search with other words."),
                choices=tuple(_talk_choice(t) for t in labels),
                found=False,
                ephemeral=True,
            ),
            shortened,
        )

    async def _talk_view(self, talk_id: int) -> TalkView:
        """A talk with its nuggets; cached until the data version changes (talks are read far
        more often than they change, and this saves two database round trips)."""
        index = await self._name_index()
        view = index.talk_views.get(talk_id)
        if view is None:
            view = (await queries.talks_by_ids(self.db, [talk_id], with_nuggets=True))[0]
            if len(index.talk_views) >= TALK_CACHE_SIZE:
                index.talk_views.clear()
            index.talk_views[talk_id] = view
        return view

    async def _speaker_view(self, speaker_id: int) -> SpeakerView | None:
        """A speaker with their talks; cached like `_talk_view` (three round trips saved)."""
        index = await self._name_index()
        if speaker_id not in index.speaker_views:
            if len(index.speaker_views) >= TALK_CACHE_SIZE:
                index.speaker_views.clear()
            index.speaker_views[speaker_id] = await queries.speaker_by_id(self.db, speaker_id)
        return index.speaker_views[speaker_id]

    async def _resolve_talks(self, text: str, conference: str | None) -> list[TalkLabel]:
        """Talks that answer `text`: one is a match, several are a choice."""
        index = await self._name_index()
        by_ref = [
            talk_id
            for talk_id in index.refs.get(text.lower(), [])
            if conference is None or index.conference_by_id[talk_id] == conference
        ]
        if by_ref:
            return await queries.talk_labels(self.db, by_ref)
        kind = _KIND_ALIASES.get(text.lower())
        if kind:
            by_kind = await queries.talk_ids_by_kind(self.db, kind, conference)
            if by_kind:
                return await queries.talk_labels(self.db, by_kind)
        expression = queries.fts_expression(text)
        # A hit in a title or a speaker's name outranks any hit in a summary or transcript.
        ranked = await queries.rank_talks(
            self.db, _in_title_or_speakers(expression), conference=conference, limit=MAX_CHOICES
        ) or await queries.rank_talks(self.db, expression, conference=conference, limit=MAX_CHOICES)
        if not ranked:
            corrected = await self._corrected_expression(text)
            if corrected:
                ranked = await queries.rank_talks(
                    self.db, corrected, conference=conference, limit=MAX_CHOICES
                )
        if not ranked:
            fuzzy = await self._fuzzy_talks(text, FUZZY_ACCEPT, limit=5, conference=conference)
            if fuzzy:
                return await queries.talk_labels(self.db, _close_fuzzy(fuzzy))
        return _close_ranks(ranked)

    async def suggest_talks(self, prefix: str, limit: int = MAX_CHOICES) -> list[Choice]:
        """Autocomplete: talks whose title or speaker starts with the typed words."""
        text, _ = clean_query(prefix)
        if not text:
            ids = (await self._name_index()).talk_ids[:limit]
        else:
            # _in_title_or_speakers gives '' when the text has no word: straight to fuzzy.
            expression = _in_title_or_speakers(queries.fts_expression(text, prefix_last=True))
            ranked = await queries.rank_talks(self.db, expression, limit=limit)
            if ranked:
                return [_talk_choice(t) for t in ranked]
            ids = [i for i, _ in await self._fuzzy_talks(text, FUZZY_SUGGEST, limit=limit)]
        return [_talk_choice(t) for t in await queries.talk_labels(self.db, ids[:limit])]

    # -- speaker ---------------------------------------------------------------------------

    @_within_budget
    async def speaker(self, query: str) -> Answer:
        text, shortened = clean_query(query)
        if not text:
            return usage("speaker", "Tell me who: a first name, a last name or a full name.")
        speaker_ids = await self._resolve_speakers(text)
        if len(speaker_ids) == 1:
            speaker = await self._speaker_view(speaker_ids[0])
            if speaker is not None:
                return _note_shortened(speaker_answer(speaker), shortened)
        if speaker_ids:
            summaries = await queries.speaker_summaries(self.db, speaker_ids)
            return _note_shortened(
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
        index = await self._name_index()
        near = _closest(text, index.speaker_names, FUZZY_SUGGEST, 3)
        return _note_shortened(
            Answer(
                kind="not_found",
                title="No speaker found",
                text=f"No speaker matches “{text}”."
                + (" Did you mean one of these?" if near else ""),
                choices=tuple(
                    Choice(label=name, command="speaker", query=name) for name, _, _ in near
                ),
                found=False,
                ephemeral=True,
            ),
            shortened,
        )

    async def _resolve_speakers(self, text: str) -> list[int]:
        matches = await queries.speakers_matching(self.db, text, limit=MAX_CHOICES)
        if matches and matches[0][1].casefold() == text.casefold():
            return [matches[0][0]]
        if matches:
            return [speaker_id for speaker_id, _ in matches]
        index = await self._name_index()
        scored = _closest(text, index.speaker_names, SPEAKER_FUZZY_ACCEPT, 5)
        return [index.speaker_ids[i] for _, _, i in _close_scores(scored)]

    async def suggest_speakers(self, prefix: str, limit: int = MAX_CHOICES) -> list[Choice]:
        text, _ = clean_query(prefix)
        if not text:
            names = await queries.speaker_names(self.db)
        else:
            names = await queries.speakers_matching(self.db, text, limit=limit)
            if not names:
                index = await self._name_index()
                scored = _closest(text, index.speaker_names, FUZZY_SUGGEST, limit)
                names = [(index.speaker_ids[i], name) for name, _, i in scored]
        return [Choice(label=name, command="speaker", query=name) for _, name in names[:limit]]

    # -- nugget ----------------------------------------------------------------------------

    @_within_budget
    async def nugget(self, query: str = "") -> Answer:
        """A random nugget; narrowed to a speaker, a talk or a topic when `query` is given."""
        text, shortened = clean_query(query)
        if not text:
            nugget = await queries.random_nugget(self.db, self.rng.random())
            if nugget is None:
                return _empty_store()
            return nugget_answer(nugget)
        pool = await self._nugget_pool(text)
        if not pool:
            return _note_shortened(
                Answer(
                    kind="not_found",
                    title="No nugget found",
                    text=f"No nugget by or about “{text}”. Try /nugget with no filter.",
                    found=False,
                    ephemeral=True,
                ),
                shortened,
            )
        nugget = await queries.nugget_by_id(self.db, self.rng.choice(pool))
        if nugget is None:
            return _empty_store()
        return _note_shortened(nugget_answer(nugget, again=text), shortened)

    async def _nugget_pool(self, text: str) -> list[int]:
        speaker_ids = await self._resolve_speakers(text)
        if speaker_ids:
            pool = await queries.nugget_ids_for_speakers(self.db, speaker_ids)
            if pool:
                return pool
        pool = await queries.nugget_ids_matching(self.db, queries.fts_expression(text))
        if pool:
            return pool
        talks = await self._resolve_talks(text, None)
        if len(talks) == 1:
            return await queries.nugget_ids_for_talks(self.db, [talks[0].id])
        return []

    # -- search ----------------------------------------------------------------------------

    @_within_budget
    async def search(self, query: str, page: int = 1, conference: str | None = None) -> Answer:
        text, shortened = clean_query(query)
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
        page = max(1, page)
        timed = (await self._name_index()).timed
        offset = (page - 1) * SEARCH_PAGE_SIZE
        hits, total = await queries.search_talks(
            self.db,
            expression,
            limit=SEARCH_PAGE_SIZE,
            offset=offset,
            timed=timed,
            conference=conference,
        )
        if total == 0:
            hits, total = await queries.search_talks(
                self.db,
                queries.fts_expression(text, any_word=True),
                limit=SEARCH_PAGE_SIZE,
                offset=offset,
                timed=timed,
                conference=conference,
            )
        pages = max(1, -(-total // SEARCH_PAGE_SIZE))
        if not hits:
            return _note_shortened(
                Answer(
                    kind="not_found",
                    title="Nothing found",
                    text=f"Nothing in the talks, summaries or transcripts matches “{text}”."
                    if total == 0
                    else f"There are only {pages} page(s) of results.",
                    found=False,
                    ephemeral=True,
                    pages=pages,
                ),
                shortened,
            )
        fields = tuple(
            Field(
                name=f"{hit.talk.title} — {_speaker_line(hit.talk)}"
                + (f" (at {format_offset(hit.at_ms)})" if hit.at_ms is not None else ""),
                value=hit.snippet,
            )
            for hit in hits
        )
        return _note_shortened(
            Answer(
                kind="search",
                title=f"Search: {text}",
                text=f"{total} talk(s) match.",
                fields=fields,
                choices=tuple(_talk_choice(hit.talk) for hit in hits),
                page=page,
                pages=pages,
                meta={"query": text},
            ),
            shortened,
        )

    # -- dispatch --------------------------------------------------------------------------

    @_within_budget
    async def ask(self, line: str) -> Answer:
        """Answer one command line such as '/talk keynote' or 'speaker vincent'."""
        command, argument = split_command(line)
        flags = {name: value for name, value in _FLAG.findall(argument)}
        argument = _FLAG.sub("", argument).strip()
        conference = flags["conference"].lower() if "conference" in flags else None
        page = parse_number(flags.get("page", ""), minimum=1, maximum=MAX_PAGE) or 1
        if command == "talk":
            return await self.talk(argument, conference)
        if command == "now":
            return await self.programme.now(argument, conference)
        if command == "next":
            return await self.programme.next(argument, conference)
        if command == "schedule":
            day, room = split_day(argument)
            return await self.programme.schedule(day, room, conference)
        if command == "speaker":
            return await self.speaker(argument)
        if command == "nugget":
            return await self.nugget(argument)
        if command == "search":
            return await self.search(argument, page, conference)
        if command == "help" or not command:
            return help_answer()
        return usage(command, f"There is no /{command[:32]} command.", known=False)

    async def _corrected_expression(self, text: str) -> str:
        """An FTS5 expression with each unknown word replaced by its closest indexed word
        (as a prefix query, since indexed words are stemmed); '' when nothing changed."""
        index = await self._name_index()
        if index.vocabulary is None:
            index.vocabulary = await queries.vocabulary(self.db)
            index.known = set(index.vocabulary)
        terms, changed = [], False
        for word in list(dict.fromkeys(re.findall(r"\w+", text.lower())))[: queries.MAX_FTS_WORDS]:
            best = None
            if word not in index.known and len(word) >= 4:
                best = _closest_word(word, index.vocabulary)
            if best:
                terms.append(f'"{best[0]}"*')
                changed = True
            elif word in index.known:
                terms.append(f'"{word}"')
            else:
                changed = True  # an unknown word that has no near neighbour is left out
        return " ".join(terms) if changed and terms else ""

    # -- fuzzy index -----------------------------------------------------------------------

    async def _fuzzy_talks(
        self, text: str, cutoff: float, limit: int, conference: str | None = None
    ) -> list[tuple[int, float]]:
        index = await self._name_index()
        scored = _closest(text, index.talk_labels, cutoff, None if conference else limit)
        return [
            (index.talk_ids[i], float(score))
            for _, score, i in scored
            if conference is None or index.talk_conferences[i] == conference
        ][:limit]

    async def _name_index(self) -> _NameIndex:
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
        talks = await queries.talk_titles(self.db)
        speakers = await queries.speaker_names(self.db)
        refs: dict[str, list[int]] = {}
        for talk_id, _, conference_slug, slug in talks:
            refs.setdefault(slug, []).append(talk_id)
            refs.setdefault(f"{conference_slug}/{slug}", []).append(talk_id)
        self._names = _NameIndex(
            version=version,
            checked_at=now,
            talk_ids=[t[0] for t in talks],
            talk_labels=[t[1] for t in talks],
            talk_conferences=[t[2] for t in talks],
            speaker_ids=[s[0] for s in speakers],
            speaker_names=[s[1] for s in speakers],
            refs=refs,
            conference_by_id={t[0]: t[2] for t in talks},
            timed=await queries.has_timed_transcripts(self.db),
        )
        return self._names


def _closest(
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


def _closest_word(word: str, vocabulary: Sequence[str]) -> tuple[str, float, int] | None:
    from rapidfuzz import fuzz, process

    best = process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=SPELLING_ACCEPT)
    return (str(best[0]), float(best[1]), int(best[2])) if best else None


# "--conference SLUG" and "--page N" anywhere in a command line.
_FLAG = re.compile(r"\s*--(conference|page)\s+(\S{1,80})")


def _in_title_or_speakers(expression: str) -> str:
    return f"{{title speakers}} : ({expression})" if expression else ""


_DAY_WORDS = re.compile(
    r"^(today|tomorrow|yesterday|mon|monday|tue|tues|tuesday|wed|weds|wednesday|thu|thur|"
    r"thurs|thursday|fri|friday|sat|saturday|sun|sunday|\d{4}-\d{2}-\d{2}|day\s*\d{1,2}|"
    r"\d{1,2})(?:\s+(.*))?$",
    re.IGNORECASE,
)


def split_day(argument: str) -> tuple[str, str]:
    """'friday curie' -> ('friday', 'curie'); 'curie' -> ('', 'curie')."""
    match = _DAY_WORDS.match(argument.strip())
    if match:
        return match.group(1), (match.group(2) or "").strip()
    return "", argument.strip()


def split_command(line: str) -> tuple[str, str]:
    """'/talk  keynote' -> ('talk', 'keynote'); a bare word is a command; case-insensitive.
    The argument is not shortened here, so the command can say when it shortens it."""
    text, _ = clean_text(line, MAX_RAW_LENGTH)
    head, _, rest = text.partition(" ")
    return head.lstrip("/").lower(), rest.strip()


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


def _speaker_line(talk: TalkView | TalkLabel) -> str:
    if talk.speakers:
        return ", ".join(talk.speakers)
    return "speaker not named"


def _talk_choice(talk: TalkView | TalkLabel) -> Choice:
    return Choice(
        label=talk.title,
        command="talk",
        query=talk.ref,
        description=f"{_speaker_line(talk)} · {talk.conference_name}",
    )


def format_offset(milliseconds: int) -> str:
    seconds = milliseconds // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def talk_answer(talk: TalkView) -> Answer:
    fields = [
        Field("Speaker" if len(talk.speakers) == 1 else "Speakers", _speaker_line(talk), True),
        Field("Conference", talk.conference_name, True),
    ]
    if talk.kind != "talk":
        fields.append(Field("Kind", talk.kind, True))
    if talk.speaker_note:
        fields.append(Field("Who spoke", talk.speaker_note))
    if talk.starts_at:
        start = talk.starts_at
        if talk.conference_timezone:
            start = start.astimezone(ZoneInfo(talk.conference_timezone))
        when = start.strftime("%a %d %b %Y, %H:%M %Z").strip()
        fields.append(Field("When", when + (f" · {talk.room}" if talk.room else ""), True))
    for nugget in talk.nuggets[:4]:
        fields.append(Field("Nugget", _quote(nugget)))
    if talk.has_transcript:
        fields.append(
            Field(
                "Transcript",
                f"Full transcript available ({talk.transcript_source}); search it with /search.",
            )
        )
    actions: list[Choice] = []
    if talk.nuggets:
        actions.append(
            Choice(label="Another nugget from this talk", command="nugget", query=talk.ref)
        )
    return Answer(
        kind="talk",
        title=talk.title,
        text=talk.summary,
        fields=tuple(fields),
        actions=tuple(actions),
        footer=f"Source: {talk.source}" if talk.source else "",
        url=talk.url,
        meta={"ref": talk.ref},
    )


def speaker_answer(speaker: SpeakerView) -> Answer:
    lines = [f"• {t.title} ({t.conference_name}, {t.kind})" for t in speaker.talks]
    text = speaker.biography or ""
    return Answer(
        kind="speaker",
        title=speaker.name,
        text=text,
        fields=(Field("Talks" if len(lines) != 1 else "Talk", "\n".join(lines) or "none"),),
        choices=tuple(_talk_choice(t) for t in speaker.talks),
        actions=(
            Choice(label=f"A nugget from {speaker.name}", command="nugget", query=speaker.name),
        ),
        meta={"speaker": speaker.name},
    )


def nugget_answer(nugget: NuggetView, again: str = "") -> Answer:
    return Answer(
        kind="nugget",
        title="Nugget of wisdom",
        text=f"“{nugget.text}”",
        fields=(
            Field("Said by", nugget.speaker or "speaker not named in the source", True),
            Field("Talk", f"{nugget.talk_title} ({nugget.conference_name})", True),
        ),
        footer=f"Source: {nugget.source}",
        actions=(Choice(label="Another one", command="nugget", query=again),),
        meta={"nugget_key": nugget.key, "talk_ref": nugget.talk_ref},
    )


def _quote(nugget: NuggetView) -> str:
    return f"“{nugget.text}” — {nugget.speaker or 'speaker not named'}"


def usage(command: str, message: str, known: bool = True) -> Answer:
    return Answer(
        kind="usage",
        title=f"/{command}" if known else "Unknown command",
        text=message + ("" if known else " Try /help."),
        found=False,
        ephemeral=True,
    )


def help_answer() -> Answer:
    kinds = ", ".join(k for k in TALK_KINDS if k != "other")
    return Answer(
        kind="help",
        title="confbot commands",
        text="Ask about the conference talks.",
        fields=(
            Field(
                "/talk QUERY",
                f"A talk by title, speaker, words from its summary, or kind ({kinds}).",
            ),
            Field("/speaker NAME", "Who that is and what they spoke about (first names work)."),
            Field(
                "/nugget [WHO OR WHAT]",
                "A random nugget of wisdom, optionally by a speaker, from a talk or on a topic.",
            ),
            Field(
                "/search TEXT", "Full-text search over titles, summaries, nuggets and transcripts."
            ),
            Field("/now [ROOM]", "What's on right now (in the conference's time zone)."),
            Field("/next [ROOM]", "The next talk in each room."),
            Field("/schedule [DAY] [ROOM]", "A day's programme: today, tomorrow, friday, day 2."),
            Field(
                "--conference SLUG", "Add to /talk, /search, /now, /next or /schedule to narrow it."
            ),
        ),
        ephemeral=True,
    )


def too_broad() -> Answer:
    """A query that ran past the store's time budget (bot.store.db) and was stopped."""
    return Answer(
        kind="error",
        title="Too broad",
        text="That search is too broad; try fewer or more specific words.",
        found=False,
        ephemeral=True,
    )


def _empty_store() -> Answer:
    return Answer(
        kind="error",
        title="No data loaded",
        text="There are no talks loaded yet. An organiser can run `confbot load`.",
        found=False,
        ephemeral=True,
    )


def _note_shortened(answer: Answer, shortened: bool) -> Answer:
    if not shortened:
        return answer
    note = f"Your query was shortened to its first {MAX_QUERY_LENGTH} characters."
    footer = f"{answer.footer} · {note}" if answer.footer else note
    return Answer(**{**answer.__dict__, "footer": footer})
