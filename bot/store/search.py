"""Full-text search: FTS5 expressions built from user words, bm25 ranking and snippets.

`fts_expression` quotes every user word (and looks for each only once), so user text is never
spliced into SQL or into FTS5 syntax; the functions here take its result.
"""

from __future__ import annotations

import contextlib
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answer import HIGHLIGHT_END, HIGHLIGHT_START
from bot.store.catalog import LABEL_COLUMNS, TalkLabel, label_of, scope_json, talk_labels
from bot.store.db import Database, QueryBudgetExceeded

MAX_FTS_WORDS = 12


_WORD = re.compile(r"\w+", re.UNICODE)


# bm25 weights for talk_search columns: title, speakers, summary, nuggets, transcript.
TALK_WEIGHTS = (10.0, 8.0, 3.0, 2.0, 0.5)


@dataclass(frozen=True)
class SearchHit:
    talk: TalkLabel
    snippet: str
    rank: float
    at_ms: int | None


def fts_expression(text: str, *, prefix_last: bool = False, any_word: bool = False) -> str:
    """Quote each word of `text` as an FTS5 string; '' when there is no word at all.

    A word said twice is looked for once (each repeat would multiply the work of matching,
    ranking and snipping), and at most MAX_FTS_WORDS distinct words are kept.
    """
    found = _WORD.findall(text)
    last = found[-1] if prefix_last and found else None
    words = _distinct(found[:-1] if last else found, MAX_FTS_WORDS - (1 if last else 0))
    if last is not None:
        words = [w for w in words if w.casefold() != last.casefold()] + [last]
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    if prefix_last:
        quoted[-1] += "*"
    return (" OR " if any_word else " ").join(quoted)


def _distinct(words: Sequence[str], limit: int) -> list[str]:
    """The first `limit` distinct words (case-insensitively), in order."""
    seen: dict[str, str] = {}
    for word in words:
        seen.setdefault(word.casefold(), word)
        if len(seen) == limit:
            break
    return list(seen.values())


_WEIGHTS = ", ".join(str(w) for w in TALK_WEIGHTS)

# The statements below (and SPEAKERS_MATCHING_SQL, NUGGET_BY_ID_SQL in bot/store/catalog.py)
# are module constants so that bench/core.py times exactly these against plain sqlite3.

# Rank inside FTS5 first (materialized), then label only the few best: joining before the
# LIMIT would label every match.
RANK_TALKS_SQL = (
    f"WITH ranked AS MATERIALIZED (SELECT rowid, bm25(talk_search, {_WEIGHTS}) AS score "
    "FROM talk_search WHERE talk_search MATCH ?1 AND (?2 = '[]' OR rowid IN "
    "(SELECT t.id FROM talks t JOIN conferences c ON c.id = t.conference_id "
    "WHERE c.slug IN (SELECT value FROM json_each(?2)))) ORDER BY score LIMIT ?3) "
    f"SELECT {LABEL_COLUMNS}, ranked.score FROM ranked JOIN talks t ON t.id = ranked.rowid "
    "JOIN conferences c ON c.id = t.conference_id ORDER BY ranked.score"
)


async def rank_talks(
    db: Database, expression: str, *, conferences: Sequence[str] = (), limit: int = 5
) -> list[TalkLabel]:
    """Talks matching an FTS5 expression, best first, labelled: one query, one thread hop
    (of `conferences`, when any are named)."""
    if not expression:
        return []
    rows = await db.fetch_all(RANK_TALKS_SQL, (expression, scope_json(conferences), limit))
    return [label_of(row, float(row["score"])) for row in rows]


async def vocabulary(db: Database) -> list[str]:
    """Every distinct (stemmed) word of the talk index: the spelling corrector's dictionary.

    Read one first letter at a time (then two, for a letter too big for one statement's
    budget), each its own statement: at 10,000 talks with transcripts the whole vocabulary
    takes over half a second, which one statement may not hold the connection for. Words
    of a part that does not fit even so are left out (they are not corrected to).
    """
    terms: list[str] = []
    for first in string.ascii_lowercase:
        try:
            terms += await _terms_from(db, first)
        except QueryBudgetExceeded:
            for second in string.ascii_lowercase:
                with contextlib.suppress(QueryBudgetExceeded):
                    terms += await _terms_from(db, first + second)
            with contextlib.suppress(QueryBudgetExceeded):
                terms += await _terms_from(db, first, exact=True)
    return terms


async def _terms_from(db: Database, prefix: str, *, exact: bool = False) -> list[str]:
    """The indexed words starting with `prefix` (just `prefix` itself when `exact`)."""
    if exact:
        sql, params = "SELECT term FROM talk_vocabulary WHERE term = ?", [prefix]
    else:
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        sql = "SELECT term FROM talk_vocabulary WHERE term >= ? AND term < ?"
        params = [prefix, after]
    return [str(row[0]) for row in await db.fetch_all(sql, params, own_budget=True)]


_IN_CONFERENCE = (
    "(:conferences = '[]' OR rowid IN (SELECT t.id FROM talks t JOIN conferences c "
    "ON c.id = t.conference_id WHERE c.slug IN (SELECT value FROM json_each(:conferences))))"
)


# Rank and snip in FTS5 alone: joining here would make SQLite build every match's snippet
# before sorting (measured 10x slower); the labels come from a second query. And sort by
# FTS5's own `rank` (bm25 with our weights): FTS5 then sorts the matches itself and SQLite
# builds the snippets of the page's rows only, not of every match (ORDER BY a bm25() column
# snipped all of them: 20x slower for a common word over transcripts).
SEARCH_SQL = (
    "SELECT rowid, rank AS score, "
    f"snippet(talk_search, -1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 24) AS snip, "
    f"(SELECT count(*) FROM talk_search WHERE talk_search MATCH :expression AND "
    f"{_IN_CONFERENCE}) AS total FROM talk_search WHERE talk_search MATCH :expression "
    f"AND rank MATCH 'bm25({_WEIGHTS})' "
    f"AND {_IN_CONFERENCE} ORDER BY rank LIMIT :limit OFFSET :offset"
)


async def search_talks(
    db: Database,
    expression: str,
    *,
    limit: int,
    offset: int = 0,
    timed: bool = True,
    conferences: Sequence[str] = (),
) -> tuple[list[SearchHit], int]:
    """Ranked full-text hits with a highlighted snippet each, and the total hit count (of
    `conferences`, when any are named).

    One query labels the hits; a second, only when `timed` (some talk has timed transcript
    cues), finds where in each talk the words are said.
    """
    if not expression:
        return [], 0
    params = {
        "expression": expression,
        "limit": limit,
        "offset": offset,
        "conferences": scope_json(conferences),
    }
    rows = await db.fetch_all(SEARCH_SQL, params)
    if not rows:  # no match at all, or a page past the last one: say which
        count = await db.fetch_one(
            "SELECT count(*) FROM talk_search WHERE talk_search MATCH :expression "
            f"AND {_IN_CONFERENCE}",
            {"expression": expression, "conferences": params["conferences"]},
        )
        return [], int(count[0]) if count else 0
    total = int(rows[0]["total"])
    labels = {label.id: label for label in await talk_labels(db, [int(r[0]) for r in rows])}
    ids = [int(row[0]) for row in rows if int(row[0]) in labels]
    cue_times = await _first_cue_times(db, expression, ids) if timed else {}
    hits = [
        SearchHit(
            talk=labels[int(row[0])],
            snippet=str(row["snip"]),
            rank=float(row["score"]),
            at_ms=cue_times.get(int(row[0])),
        )
        for row in rows
        if int(row[0]) in labels
    ]
    return hits, total


async def has_timed_transcripts(db: Database) -> bool:
    return await db.fetch_one("SELECT 1 FROM cue_search LIMIT 1") is not None


# A talk's cues have the rowids talk_id << CUE_ROWID_BITS onwards (see `cue_rowid`), so the
# cues of one talk are a rowid range that FTS5 searches alone: looking for the talk_id column
# instead (UNINDEXED) made FTS5 visit every matching cue of every talk, over a second at 10k
# talks for a common word.
CUE_ROWID_BITS = 20
MAX_CUES_PER_TALK = (1 << CUE_ROWID_BITS) - 1


def cue_rowid(talk_id: int, position: int) -> int:
    """The cue_search rowid of a talk's cue at `position` (< MAX_CUES_PER_TALK)."""
    return (talk_id << CUE_ROWID_BITS) | position


async def _first_cue_times(db: Database, expression: str, talk_ids: list[int]) -> dict[int, int]:
    """For talks with timed transcripts: where in the talk the first matching cue is."""
    if not talk_ids:
        return {}
    ranges = " UNION ALL ".join(
        f"SELECT ?{n * 3 + 2}, (SELECT min(start_ms) FROM cue_search WHERE cue_search "
        f"MATCH ?1 AND rowid BETWEEN ?{n * 3 + 3} AND ?{n * 3 + 4})"
        for n in range(len(talk_ids))
    )
    params: list[object] = [expression]
    for talk_id in talk_ids:
        params += [talk_id, cue_rowid(talk_id, 0), cue_rowid(talk_id, MAX_CUES_PER_TALK)]
    rows = await db.fetch_all(ranges, params)
    found = {int(row[0]): int(row[1]) for row in rows if row[1] is not None}
    if found or not await _cues_without_talk_rowids(db):
        return found
    marks = ",".join("?" * len(talk_ids))  # cues loaded before rowids were positions
    rows = await db.fetch_all(
        f"SELECT talk_id, min(start_ms) FROM cue_search WHERE cue_search MATCH ? "
        f"AND talk_id IN ({marks}) GROUP BY talk_id",
        [expression, *talk_ids],
    )
    return {int(row[0]): int(row[1]) for row in rows}


async def _cues_without_talk_rowids(db: Database) -> bool:
    """Whether the cues were loaded before their rowids said the talk (a reload fixes it)."""
    row = await db.fetch_one("SELECT rowid FROM cue_search ORDER BY rowid DESC LIMIT 1")
    return row is not None and int(row[0]) <= MAX_CUES_PER_TALK


async def nugget_ids_matching(
    db: Database, expression: str, limit: int = 200, conferences: Sequence[str] = ()
) -> list[int]:
    """Nuggets whose words match, best first (from talks of `conferences`, when named)."""
    if not expression:
        return []
    rows = await db.fetch_all(
        "SELECT rowid FROM nugget_search WHERE nugget_search MATCH ?1 AND (?3 = '[]' OR "
        "rowid IN (SELECT n.id FROM nuggets n JOIN talks t ON t.id = n.talk_id JOIN "
        "conferences c ON c.id = t.conference_id WHERE c.slug IN "
        "(SELECT value FROM json_each(?3)))) ORDER BY rank LIMIT ?2",
        (expression, limit, scope_json(conferences)),
    )
    return [int(row[0]) for row in rows]
