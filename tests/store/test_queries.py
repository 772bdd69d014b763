"""Full-text expressions: user words quoted, each looked for once, at most MAX_FTS_WORDS."""

from __future__ import annotations

from bot.store.queries import MAX_FTS_WORDS, fts_expression


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
