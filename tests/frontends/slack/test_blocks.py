"""Answers from the real core become Block Kit that Slack accepts, shows safely and keeps small."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.answer import HIGHLIGHT_END, HIGHLIGHT_START, Answer, Choice, Field
from bot.commands.invocation import Invocation, Stash
from bot.core import Core, talk_answer
from bot.frontends.slack.blocks import (
    MAX_BLOCKS,
    PAGE_NEXT,
    PAGE_PREV,
    answer_blocks,
    answer_message,
    button_value,
    clip,
    escape,
    parse_button_value,
    replaces_original,
)
from bot.store import queries
from bot.store.db import Database
from bot.wisdom import WisdomPost, wisdom_answer
from tests.fakes.slack import validate_message

Block = dict[str, Any]


def blocks_of(answer: Answer, kind: str) -> list[Block]:
    return [block for block in answer_blocks(answer) if block["type"] == kind]


def buttons(answer: Answer) -> list[Block]:
    return [element for block in blocks_of(answer, "actions") for element in block["elements"]]


def all_texts(payload: Any) -> list[str]:
    """Every "text" string anywhere in a message payload."""
    if isinstance(payload, dict):
        found = [payload["text"]] if isinstance(payload.get("text"), str) else []
        return found + [t for value in payload.values() for t in all_texts(value)]
    if isinstance(payload, list):
        return [t for item in payload for t in all_texts(item)]
    return []


def mrkdwn_objects(payload: Any) -> list[Block]:
    if isinstance(payload, dict):
        found = [payload] if payload.get("type") == "mrkdwn" else []
        return found + [o for value in payload.values() for o in mrkdwn_objects(value)]
    if isinstance(payload, list):
        return [o for item in payload for o in mrkdwn_objects(item)]
    return []


# -- real answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "/talk keynote",
        "/talk data",
        "/talk zzzqqqxxx",
        "/speaker vincent",
        "/speaker zzzqqq",
        "/nugget",
        "/nugget vicki",
        "/search data",
        "/search data --page 2",
        "/search",
        "/help",
    ],
)
async def test_every_kind_of_real_answer_is_a_message_slack_accepts(core: Core, line: str) -> None:
    message = answer_message(await core.ask(line))
    assert validate_message(message) is None
    assert message["text"]
    assert message["blocks"][0]["type"] == "header"


async def test_every_bundled_talk_renders_within_slacks_limits(bundled_db: Database) -> None:
    ids = [row[0] for row in await queries.talk_titles(bundled_db)]
    talks = await queries.talks_by_ids(bundled_db, ids, with_nuggets=True)
    assert len(talks) == len(ids) > 10
    for talk in talks:
        assert validate_message(answer_message(talk_answer(talk))) is None, talk.ref


async def test_a_talk_shows_title_summary_side_by_side_facts_nuggets_link_and_a_nugget_button(
    core: Core,
) -> None:
    answer = await core.talk("keynote")
    blocks = answer_blocks(answer)

    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "An ML Fairytale", "emoji": True},
    }
    assert "Vectorella" in blocks[1]["text"]["text"]
    facts = next(b for b in blocks if "fields" in b)["fields"]
    assert facts[0]["text"] == "*Speaker*\nVicki Boykis"
    assert facts[1]["text"] == "*Conference*\nNormConf 2022"
    nuggets = [
        b["text"]["text"] for b in blocks if b.get("text", {}).get("text", "")[:8] == "*Nugget*"
    ]
    assert any("Airflow is basically fancy crontab" in n for n in nuggets)
    [context] = blocks_of(answer, "context")
    assert any("Source:" in e["text"] for e in context["elements"])
    if answer.url:
        assert any(e["text"].startswith("<http") for e in context["elements"])
    [button] = buttons(answer)
    assert button["text"]["text"] == "Another nugget from this talk"
    assert button["value"] == f"nugget?query={answer.meta['ref']}"
    assert not replaces_original(button["action_id"])


async def test_an_ambiguous_answer_lists_the_choices_and_offers_one_button_each(core: Core) -> None:
    answer = await core.talk("data")
    assert answer.kind == "choices"
    listing = answer_blocks(answer)[2]["text"]["text"]
    for choice in answer.choices:
        assert f"• *{escape(choice.label)}*" in listing

    offered = buttons(answer)
    assert [b["text"]["text"] for b in offered] == [clip(c.label, 75) for c in answer.choices]
    assert [b["value"] for b in offered] == [f"talk?query={c.query}" for c in answer.choices]
    assert all(replaces_original(b["action_id"]) for b in offered)  # the pick replaces the question
    assert len({b["action_id"] for b in offered}) == len(offered)


async def test_a_nugget_has_an_another_one_button(core: Core) -> None:
    answer = await core.nugget()
    [button] = buttons(answer)
    assert (button["text"]["text"], button["value"]) == ("Another one", "nugget random?")


async def test_search_highlights_are_bold_and_pages_have_previous_and_next_buttons(
    core: Core,
) -> None:
    first = await core.search("data")
    assert (first.page, first.pages) == (1, 2)
    texts = " ".join(all_texts(answer_blocks(first)))
    assert "*data*" in texts
    assert HIGHLIGHT_START not in texts and HIGHLIGHT_END not in texts
    pager = blocks_of(first, "actions")[-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in pager] == [(PAGE_NEXT, "search?page=2&text=data")]
    assert any(
        e["text"] == "Page 1 of 2" for b in blocks_of(first, "context") for e in b["elements"]
    )

    second = await core.search("data", 2)
    pager = blocks_of(second, "actions")[-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in pager] == [(PAGE_PREV, "search?page=1&text=data")]


# -- mentions and escaping -----------------------------------------------------------------

HOSTILE = "<!everyone> <!channel> <!here> <@U123> <#C123|general> <https://evil.example|x> & co"


def hostile_answer() -> Answer:
    return Answer(
        kind="choices",
        title=HOSTILE,
        text=f"{HIGHLIGHT_START}{HOSTILE}{HIGHLIGHT_END} in the text",
        fields=(Field(HOSTILE, HOSTILE, True), Field("Quote", HOSTILE)),
        choices=(Choice(HOSTILE, "talk", HOSTILE, HOSTILE),),
        actions=(Choice(HOSTILE, "nugget", HOSTILE),),
        footer=HOSTILE,
    )


def test_mentions_and_links_in_data_text_are_escaped_everywhere() -> None:
    message = answer_message(hostile_answer())
    texts = all_texts(message)
    assert texts
    for text in texts:
        assert "<" not in text and ">" not in text, text
    assert any("&lt;!everyone&gt; &lt;!channel&gt;" in t for t in texts)
    assert any("&lt;@U123&gt;" in t for t in texts)
    assert any("&amp; co" in t for t in texts)
    # mrkdwn objects are verbatim: Slack does not auto-link names or parse bare mentions
    assert all(o["verbatim"] is True for o in mrkdwn_objects(message))


async def test_a_query_full_of_mentions_comes_back_escaped_from_the_real_core(core: Core) -> None:
    answer = await core.speaker("<!channel> <@U0123>")
    assert answer.text.startswith("No speaker matches “<!channel> <@U0123>”")
    dumped = json.dumps(answer_message(answer), ensure_ascii=False)
    assert "<!channel>" not in dumped and "<@U0123>" not in dumped
    assert "No speaker matches “&lt;!channel&gt; &lt;@U0123&gt;”" in dumped


def test_only_http_links_are_shown_and_they_cannot_break_out_of_the_link() -> None:
    base = Answer(kind="talk", title="t", footer="f")
    bad = Answer(**{**base.__dict__, "url": "javascript:alert(1)"})
    tricky = Answer(**{**base.__dict__, "url": "https://example.org/a b|<!everyone>"})
    assert not any("<" in t for t in all_texts(answer_blocks(bad)))
    [link] = [t for t in all_texts(answer_blocks(tricky)) if t.startswith("<http")]
    assert link == "<https://example.org/a%20b%7C%3C!everyone%3E|Open the talk page>"


# -- limits --------------------------------------------------------------------------------


def huge_answer() -> Answer:
    return Answer(
        kind="search",
        title="T" * 500,
        text="word " * 2_000,
        fields=tuple(Field(f"Field {i}", ("x & y " * 1_000), inline=i % 3 != 0) for i in range(80)),
        choices=tuple(Choice("L" * 200, "talk", "q" * 3_000) for _ in range(40)),
        actions=tuple(Choice(f"Action {i}", "nugget", "") for i in range(8)),
        footer="F" * 5_000,
        url="https://example.org/" + "p" * 3_000,
        page=2,
        pages=3,
        meta={"query": "q"},
        invocation=Invocation.of("search", text="q", page=2),
    )


def test_an_oversized_answer_is_cut_to_every_slack_limit_with_an_ellipsis() -> None:
    stash = Stash()
    message = answer_message(huge_answer(), stash)
    blocks = message["blocks"]

    assert validate_message(message) is None
    assert len(blocks) == MAX_BLOCKS
    assert blocks[0]["text"]["text"].endswith("…")
    assert len(blocks[0]["text"]["text"]) == 150
    assert blocks[1]["text"]["text"].endswith("…")
    assert len(blocks[1]["text"]["text"]) == 3_000
    assert any("more not shown" in t for t in all_texts(blocks))
    for block in blocks:
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2_000
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            for button in block["elements"]:
                assert len(button["text"]["text"]) <= 75
                assert len(button["value"]) <= 2_000
    # the buttons and the footer survive the cut: they come last
    assert blocks[-1]["type"] == "context"
    assert {b["block_id"] for b in blocks if b["type"] == "actions"} == {
        "confbot_choices_0",
        "confbot_actions_0",
        "confbot_pages_0",
    }


def test_clipping_never_splits_an_html_entity() -> None:
    assert clip(escape("&" * 100), 10) == "&amp;…"  # not "&amp;&amp…"
    assert clip("short", 10) == "short"


def test_button_values_carry_the_whole_invocation() -> None:
    talk = Invocation.of("talk", query="normconf-2022/an-ml-fairytale")
    assert button_value(talk) == "talk?query=normconf-2022/an-ml-fairytale"
    search = Invocation.of("search", text="a|b&c=d%", page=3, conference="normconf-2022")
    assert parse_button_value(button_value(search) or "") == search
    assert parse_button_value("nugget?") == Invocation("nugget")


def test_button_values_made_before_invocations_are_still_read() -> None:
    assert parse_button_value("search:2|crontab") == Invocation.of("search", text="crontab", page=2)
    assert parse_button_value("nugget|") == Invocation("nugget")
    assert parse_button_value("frobnicate|x") is None


def test_the_daily_post_names_speaker_talk_and_conference() -> None:
    post = WisdomPost(
        subscription_id=1,
        frontend="slack",
        guild_id="T1",
        channel_id="C1",
        local_date=date(2024, 11, 23),
        scheduled_at=datetime(2024, 11, 23, 8, tzinfo=UTC),
        zone="Europe/Amsterdam",
        nugget_key="k",
        text="Ship it <@U1>",
        speaker=None,
        source="the video",
        talk_title="A talk",
        conference_name="NormConf 2022",
    )
    message = answer_message(wisdom_answer(post))
    assert validate_message(message) is None
    texts = all_texts(message)
    assert "Nugget of wisdom for Saturday 23 November" in texts
    assert "Ship it &lt;@U1&gt;" in texts
    assert "*Speaker*\nSpeaker not named in the source" in texts
    assert "*Conference*\nNormConf 2022" in texts


@pytest.mark.parametrize("page", ["²", "①", "٣", "", "0", "-1", "99999999999999999999999"])
def test_a_button_page_in_other_digits_is_read_as_a_page(page: str) -> None:
    invocation = parse_button_value(f"search:{page}|crontab")
    assert invocation is not None and invocation.command == "search"
    assert invocation.get("text") == "crontab"
    number = invocation.get("page")
    assert number == "" or 1 <= int(number) <= 9999
