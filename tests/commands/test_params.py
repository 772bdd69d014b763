"""Typed parameters are parsed once, with one clear message per bad value: numbers only in
ASCII digits, every free text capped, conference slugs checked."""

from __future__ import annotations

import pytest

from bot.commands.invocation import Invocation
from bot.commands.params import (
    MAX_PAGE,
    Number,
    ParamError,
    Slug,
    Text,
    parse_whole_number,
)
from bot.core import Core
from bot.text import MAX_RAW_LENGTH


def test_only_ascii_digits_are_a_number() -> None:
    assert "²".isdigit()  # why int(text) after text.isdigit() was not enough
    assert parse_whole_number("²") is None
    assert parse_whole_number("٣") is None  # an Arabic-Indic three
    assert parse_whole_number(" 12 ") == 12
    assert parse_whole_number("-1") is None and parse_whole_number("") is None


def test_a_number_outside_its_range_says_what_is_valid() -> None:
    page = Number(1, MAX_PAGE)
    with pytest.raises(ParamError, match="from 1 to 9999"):
        page.parse("0", "--page")
    with pytest.raises(ParamError, match="“²” is not one"):
        page.parse("²", "--page")
    assert page.parse("99999999999999999999", "--page") == MAX_PAGE  # capped, not refused


def test_text_is_cleaned_and_a_name_over_its_cap_is_refused() -> None:
    assert Text(100).parse("  Hall\x00  A ", "room") == "Hall A"
    with pytest.raises(ParamError, match="at most 100 characters"):
        Text(100).parse("x" * 50_000, "room")
    # A query is cut later (the handler says so); raw text past MAX_RAW_LENGTH is never read.
    assert len(str(Text(200, shorten=True).parse("x" * 50_000, "query"))) == MAX_RAW_LENGTH


def test_a_conference_slug_is_lower_case_and_checked() -> None:
    assert Slug().parse("NormConf-2022", "--conference") == "normconf-2022"
    with pytest.raises(ParamError, match="short name"):
        Slug().parse("norm conf; drop", "--conference")


@pytest.mark.parametrize(
    "line",
    [
        "/search crontab --page ²",
        "/search crontab --page 0",
        "/search crontab --conference 'x'",
        "/next " + "x" * 50_000,
        "/now " + "%_" * 25_000,
        "/schedule today " + "y" * 50_000,
    ],
)
async def test_a_bad_value_is_one_usage_line_not_a_crash(walk_core: Core, line: str) -> None:
    """Before: int("²") raised, and a 50,000-character room made SQLite refuse the LIKE
    pattern ("LIKE or GLOB pattern too complex")."""
    answer = await walk_core.ask(line)
    assert answer.kind == "usage" and not answer.found
    assert answer.text.count("\n") == 0 and len(answer.text) < 300
    assert "Usage: /" in answer.text


async def test_a_bad_value_from_a_button_is_answered_the_same_way(core: Core) -> None:
    answer = await core.run(Invocation.of("search", text="crontab", page="²"))
    assert answer.kind == "usage" and "--page wants a whole number" in answer.text
