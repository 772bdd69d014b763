"""User text is cleaned in one place and numbers are read in one place (bot/text.py)."""

from __future__ import annotations

import pytest

from bot.text import (
    MAX_ARGUMENT_LENGTH,
    MAX_RAW_LENGTH,
    clean,
    clean_text,
    parse_number,
    replace_surrogates,
)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("  talk   keynote ", "talk keynote"),
        ("a\x00b\x1bc\x7fd\x9fe", "a b c d e"),  # C0 and C1 controls
        ("left\u202eright\u2066x\u2069", "left right x"),  # bidi override and isolates
        ("zero\u200bwidth\ufeffbom", "zero width bom"),
        ("tab\tand\nnewline", "tab and newline"),
        ("e\u0301cole", "\u00e9cole"),  # NFC
        ("\x02hit\x03", "hit"),  # no forged search highlights
        ("lone \udcff surrogate", "lone \ufffd surrogate"),
        ("\ud83d\ude00 paired", "\U0001f600 paired"),  # a pair is the character it encodes
    ],
)
def test_clean_text_normalises_strips_and_folds(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == (cleaned, False)
    cleaned.encode("utf-8")  # always bindable by SQLite


def test_clean_text_cuts_to_the_limit_and_says_so() -> None:
    assert clean_text("a" * 500) == ("a" * MAX_ARGUMENT_LENGTH, True)
    assert clean_text("abc    def", limit=4) == ("abc", True)
    text, shortened = clean_text("x " * (MAX_RAW_LENGTH * 10))
    assert shortened and len(text) <= MAX_ARGUMENT_LENGTH


def test_replace_surrogates_leaves_good_text_alone() -> None:
    text = "plain ascii"
    assert replace_surrogates(text) is text
    assert replace_surrogates("\udfff\ud800") == "\ufffd\ufffd"
    assert clean("\ud800" * 3) == "\ufffd\ufffd\ufffd"


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("2", 2),
        (" 7 ", 7),
        ("007", 7),
        ("0", 1),  # clamped to the minimum
        ("123456789012345678901234567890", 9999),  # clamped to the maximum, never int()'d
        ("²", None),
        ("①", None),
        ("٣", None),  # Arabic-Indic three: a digit, but not an ASCII one
        ("３", None),  # fullwidth
        ("-1", None),
        ("+1", None),
        ("1.5", None),
        ("", None),
        ("1e3", None),
    ],
)
def test_parse_number_reads_ascii_digits_only_within_bounds(typed: str, number: int | None) -> None:
    assert parse_number(typed, minimum=1, maximum=9999) == number


def test_parse_number_without_clamping_refuses_out_of_range() -> None:
    assert parse_number("0", minimum=1, maximum=5, clamp=False) is None
    assert parse_number("6", minimum=1, maximum=5, clamp=False) is None
    assert parse_number("5", minimum=1, maximum=5, clamp=False) == 5
