"""Full-text search: user words quoted, each looked for once, at most MAX_FTS_WORDS; where in
a talk the words are said is found among that talk's cues alone."""

from __future__ import annotations

import pytest

from bot.sources.transcripts import cues_to_text, parse_transcript
from bot.store.content import attach_transcript
from bot.store.db import Database, QueryBudgetExceeded
from bot.store.search import (
    CUE_ROWID_BITS,
    MAX_FTS_WORDS,
    fts_expression,
    search_talks,
    vocabulary,
)
from tests.conftest import SHARED

SRT = SHARED / "samples" / "bornhack2021-how-to-open-source-your-code-properly.srt"
TALK = "normconf-2022/datas-desire-paths"


def test_every_word_is_quoted_and_fts5_syntax_is_not_spliced() -> None:
    assert fts_expression('docker" OR title:*') == '"docker" "OR" "title"'
    assert fts_expression("NEAR(a b) ^c -d") == '"NEAR" "a" "b" "c" "d"'
    assert fts_expression("!!! ...") == ""


def test_a_repeated_word_is_looked_for_once() -> None:
    assert fts_expression("you you YOU You") == '"you"'
    assert fts_expression("you and you", any_word=True) == '"you" OR "and"'


def test_at_most_the_first_distinct_words_are_kept() -> None:
    words = [f"w{i}" for i in range(40)]
    expression = fts_expression(" ".join(words + words))
    assert expression == " ".join(f'"{w}"' for w in words[:MAX_FTS_WORDS])


def test_the_last_word_stays_a_prefix_when_it_repeats_an_earlier_one() -> None:
    assert fts_expression("dock docker dock", prefix_last=True) == '"docker" "dock"*'
    assert fts_expression("you you", prefix_last=True) == '"you"*'
    many = " ".join(f"w{i}" for i in range(40)) + " last"
    expression = fts_expression(many, prefix_last=True)
    assert expression.endswith('"last"*') and expression.count('"') == 2 * MAX_FTS_WORDS


async def _with_cues(db: Database) -> int:
    cues = parse_transcript(SRT)
    await attach_transcript(db, TALK, cues, cues_to_text(cues), SRT.name)
    row = await db.fetch_one(
        "SELECT t.id FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE c.slug || '/' || t.slug = ?",
        (TALK,),
    )
    assert row is not None
    return int(row[0])


async def test_a_talks_cues_are_one_rowid_range_and_give_where_words_are_said(
    bundled_db: Database,
) -> None:
    talk_id = await _with_cues(bundled_db)
    rows = await bundled_db.fetch_all("SELECT rowid, talk_id FROM cue_search")
    assert rows and all(int(r[0]) >> CUE_ROWID_BITS == int(r[1]) == talk_id for r in rows)
    hits, _ = await search_talks(bundled_db, fts_expression("license"), limit=5)
    timed = [hit for hit in hits if hit.talk.ref == TALK]
    assert timed and timed[0].at_ms is not None and timed[0].at_ms > 0


async def test_cues_loaded_before_the_rowid_ranges_are_still_found(bundled_db: Database) -> None:
    await _with_cues(bundled_db)
    expression = fts_expression("license")
    hits, _ = await search_talks(bundled_db, expression, limit=5)
    expected = {hit.talk.id: hit.at_ms for hit in hits}
    async with bundled_db.transaction() as connection:  # as an older confbot stored them
        await connection.execute(
            "CREATE TEMP TABLE old_cues AS SELECT text, talk_id, start_ms FROM cue_search"
        )
        await connection.execute("DELETE FROM cue_search")
        await connection.execute(
            "INSERT INTO cue_search(text, talk_id, start_ms) SELECT * FROM old_cues"
        )
    hits, _ = await search_talks(bundled_db, expression, limit=5)
    assert {hit.talk.id: hit.at_ms for hit in hits} == expected


async def test_the_vocabulary_read_letter_by_letter_is_the_whole_vocabulary(
    bundled_db: Database,
) -> None:
    await _with_cues(bundled_db)
    rows = await bundled_db.fetch_all(
        "SELECT term FROM talk_vocabulary WHERE term GLOB '[a-z]*' ORDER BY term"
    )
    assert await vocabulary(bundled_db) == [str(r[0]) for r in rows]


async def test_a_letter_too_big_for_the_budget_is_read_two_letters_at_a_time(
    bundled_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.store.search as search

    real = search._terms_from

    async def big_t(db: Database, prefix: str, *, exact: bool = False) -> list[str]:
        if prefix == "t":
            raise QueryBudgetExceeded("too big")
        return await real(db, prefix, exact=exact)

    monkeypatch.setattr(search, "_terms_from", big_t)
    words = await vocabulary(bundled_db)
    assert "talk" in words and "the" in words
    assert words == sorted(words)
