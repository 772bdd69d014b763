"""Answers render as Discord embeds and components that Discord accepts, escaped, whatever the
data holds; buttons and select options carry the invocation they replay in their custom_id."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.answer import HIGHLIGHT_END, HIGHLIGHT_START, Answer, Choice, Field
from bot.commands.invocation import Invocation, Unpacked
from bot.core import Core
from bot.delivery.model import PermanentSendError, TransientSendError
from bot.frontends.discord.components import (
    QueryStash,
    Renderer,
    answer_view,
    ask_custom_id,
    parse_custom_id,
    parse_option_value,
    render,
)
from bot.frontends.discord.embeds import (
    CUSTOM_ID_MAX,
    EMBED_TOTAL_MAX,
    answer_embed,
    autocomplete_choices,
    escape,
    fit,
)
from bot.frontends.discord.poster import classify
from bot.frontends.discord.serve import INVITE_PERMISSIONS, invite_url
from bot.store.content import load_data_dir
from bot.store.db import Database
from tests.fakes.discord import message_problems

PINGING_TALK = '''title = "@everyone *look* at this"
speakers = ["Eve @here Ryan"]
kind = "talk"
summary = """Hey @everyone and @here: __this__ is **not** bold, <@123456789012345678> is not \
pinged, and `code` is not code."""
source = "a test file"

[[nuggets]]
text = "@everyone: ship it ~~now~~."
speaker = "Eve @here Ryan"
source = "a test file"
'''


def components(view: discord.ui.View | None) -> list[dict[str, Any]]:
    return [] if view is None else view.to_components()


def wire(answer: Answer, stash: QueryStash | None = None) -> dict[str, Any]:
    """The message payload the bot would send for `answer`."""
    rendered = render(answer, stash or QueryStash())
    return {
        "embeds": [rendered.embed.to_dict()],
        "components": components(rendered.view),
        "allowed_mentions": discord.AllowedMentions.none().to_dict(),
    }


def custom_ids(view: discord.ui.View | None) -> list[str]:
    found: list[str] = []
    for row in components(view):
        for item in row["components"]:
            if "custom_id" in item:
                found.append(item["custom_id"])
    return found


@pytest.fixture
async def pinging_core(data_copy: Path, tmp_path: Path) -> AsyncIterator[Core]:
    """The bundled data plus a talk whose every text tries to ping everyone."""
    (data_copy / "normconf-2022" / "ping-everyone.toml").write_text(PINGING_TALK)
    db = await Database.open(tmp_path / "pinging.sqlite3")
    try:
        await load_data_dir(db, data_copy)
        yield Core(db, rng=random.Random(1))
    finally:
        await db.close()


# -- embeds from real answers ----------------------------------------------------------------


async def test_a_talk_renders_title_speaker_conference_summary_nuggets(core: Core) -> None:
    answer = await core.talk("keynote")

    embed = answer_embed(answer)

    assert embed.title == "An ML Fairytale"
    assert embed.description is not None and "Vectorella" in embed.description
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Speaker"] == "Vicki Boykis"
    assert fields["Conference"] == "NormConf 2022"
    nuggets = [f.value for f in embed.fields if f.name == "Nugget"]
    assert any("Airflow is basically fancy crontab" in (n or "") for n in nuggets)
    assert embed.footer.text is not None and embed.footer.text.startswith("Source:")
    assert message_problems(wire(answer)) == []


async def test_a_talk_has_an_another_nugget_button_that_asks_again(core: Core) -> None:
    answer = await core.talk("keynote")
    stash = QueryStash()

    ids = custom_ids(answer_view(answer, stash))

    assert ids == ["cf:a:nugget?query=normconf-2022/an-ml-fairytale"]
    assert parse_custom_id(ids[0], stash) == Unpacked(
        Invocation.of("nugget", query="normconf-2022/an-ml-fairytale")
    )


async def test_a_talk_with_a_page_links_to_it(core: Core) -> None:
    answer = await core.talk("keynote")
    linked = Answer(**{**answer.__dict__, "url": "https://example.org/talks/fairytale"})

    embed = answer_embed(linked)
    view = answer_view(linked, QueryStash())

    assert embed.url == "https://example.org/talks/fairytale"
    buttons = [item for row in components(view) for item in row["components"]]
    assert {"type": 2, "style": 5, "url": "https://example.org/talks/fairytale"}.items() <= (
        buttons[-1].items()
    )
    unsafe = Answer(**{**answer.__dict__, "url": "javascript:alert(1)"})
    assert answer_embed(unsafe).url is None


async def test_an_ambiguous_talk_is_a_select_menu_that_replaces_the_message(core: Core) -> None:
    answer = await core.talk("data")
    assert answer.kind == "choices"
    stash = QueryStash()

    rows = components(answer_view(answer, stash))

    select = rows[0]["components"][0]
    assert select["type"] == 3 and select["custom_id"] == "cf:pick:e"
    assert len(select["options"]) == len(answer.choices)
    first = select["options"][0]
    assert parse_option_value(first["value"], stash) == Unpacked(
        Invocation.of("talk", query=answer.choices[0].query)
    )
    assert first["label"] == answer.choices[0].label


async def test_a_speaker_lists_talks_in_a_select_that_opens_a_new_message(core: Core) -> None:
    answer = await core.speaker("Vicki Boykis")

    rows = components(answer_view(answer, QueryStash()))

    assert rows[0]["components"][0]["custom_id"] == "cf:pick:n"
    assert rows[1]["components"][0]["custom_id"] == "cf:a:nugget?query=Vicki Boykis"


async def test_search_hits_are_ranked_fields_with_bold_highlights_and_pages(core: Core) -> None:
    answer = await core.search("data")
    assert answer.pages > 1
    stash = QueryStash()

    embed = answer_embed(answer)
    view = answer_view(answer, stash)

    assert [f.name for f in embed.fields] == [f.name for f in answer.fields]
    assert any("**" in (f.value or "") for f in embed.fields)
    assert embed.footer.text is not None and embed.footer.text.endswith(f"Page 1 of {answer.pages}")
    page_row = components(view)[-1]["components"]
    assert [b["label"] for b in page_row] == ["◀ Previous", "Next ▶"]
    assert [b["disabled"] for b in page_row] == [True, False]
    assert parse_custom_id(page_row[1]["custom_id"], stash) == Unpacked(
        Invocation.of("search", text="data", page=2)
    )


async def test_a_nugget_has_an_another_one_button(core: Core) -> None:
    answer = await core.nugget("Vicki Boykis")

    view = answer_view(answer, QueryStash())

    assert custom_ids(view) == ["cf:a:nugget random?query=Vicki Boykis"]
    assert components(view)[0]["components"][0]["label"] == "Another one"


# -- limits -----------------------------------------------------------------------------------


def oversized() -> Answer:
    return Answer(
        kind="search",
        title="T" * 1000,
        text=("word " + HIGHLIGHT_START + "hit" + HIGHLIGHT_END + " ") * 3000,
        fields=tuple(Field("N" * 500, "v_" * 2000, inline=False) for _ in range(40)),
        choices=tuple(
            Choice(
                label="L" * 300,
                command="talk",
                query=f"ref-{i}-" + "q" * 150,
                description="D" * 300,
            )
            for i in range(40)
        ),
        actions=tuple(Choice(label="A" * 200, command="nugget", query=f"n{i}") for i in range(9)),
        footer="F" * 5000,
        pages=3,
        meta={"query": "x" * 180},
    )


def test_every_embed_and_component_limit_is_kept() -> None:
    answer = oversized()
    stash = QueryStash()

    embed = answer_embed(answer)
    view = answer_view(answer, stash)

    assert embed.title is not None and len(embed.title) <= 256 and embed.title.endswith("…")
    assert embed.description is not None and len(embed.description) <= 4096
    assert len(embed.fields) <= 25
    for item in embed.fields:
        assert item.name is not None and 1 <= len(item.name) <= 256
        assert item.value is not None and 1 <= len(item.value) <= 1024
    assert embed.footer.text is None or len(embed.footer.text) <= 2048
    assert len(embed) <= EMBED_TOTAL_MAX
    payload = wire(answer, stash)
    assert message_problems(payload) == []
    rows = payload["components"]
    assert len(rows) <= 5
    select = rows[0]["components"][0]
    assert len(select["options"]) == 25
    assert all(len(o["label"]) <= 100 and len(o["description"]) <= 100 for o in select["options"])
    assert all(len(o["value"]) <= 100 for o in select["options"])
    assert all(len(cid) <= CUSTOM_ID_MAX for cid in custom_ids(view))


def test_empty_field_names_and_values_are_filled() -> None:
    answer = Answer(kind="talk", title="", fields=(Field("", ""),))

    payload = wire(answer)

    assert message_problems(payload) == []
    assert payload["embeds"][0]["title"] == "confbot"


def test_a_long_query_goes_through_the_stash_and_expires() -> None:
    now = [0.0]
    stash = QueryStash(ttl=60.0, clock=lambda: now[0])
    query = "a very long search " * 10
    invocation = Invocation.of("search", text=query, page=2)

    custom_id = ask_custom_id(invocation, stash, replace=True)

    assert len(custom_id) <= CUSTOM_ID_MAX and "#" in custom_id
    assert parse_custom_id(custom_id, stash) == Unpacked(invocation)
    assert ask_custom_id(invocation, stash, replace=True) == custom_id  # one token per query
    now[0] = 61.0
    assert parse_custom_id(custom_id, stash) == Unpacked(None)
    assert parse_custom_id(custom_id, QueryStash()) == Unpacked(None)  # a restart


async def test_an_answer_handed_out_again_is_rendered_once(core: Core) -> None:
    renderer, stash = Renderer(), QueryStash()
    answer = await core.talk("keynote")

    first = renderer(answer, stash)

    assert renderer(answer, stash) is first
    assert renderer(await core.talk("keynote"), stash) is first  # the core's cached answer
    fresh = renderer(await core.talk("docker"), stash)
    assert (
        fresh is not first
        and fresh.embed.to_dict() == render(await core.talk("docker"), stash).embed.to_dict()
    )


async def test_an_answer_whose_buttons_went_to_the_stash_is_rendered_each_time(
    core: Core,
) -> None:
    renderer, stash = Renderer(), QueryStash()
    answer = await core.search("a very long search " * 10)  # its page buttons are stashed
    assert answer.pages > 1 or answer.choices or answer.actions

    first = renderer(answer, stash)

    assert stash.puts > 0 and renderer(answer, stash) is not first


def test_buttons_made_before_invocations_still_work() -> None:
    stash = QueryStash()
    assert parse_custom_id("cf:q2:data", stash) == Unpacked(
        Invocation.of("search", text="data", page=2)
    )
    assert parse_custom_id("cf:n:Vicki Boykis", stash) == Unpacked(
        Invocation.of("nugget", query="Vicki Boykis")
    )
    assert parse_option_value("t:normconf-2022/an-ml-fairytale", stash) == Unpacked(
        Invocation.of("talk", query="normconf-2022/an-ml-fairytale")
    )
    assert parse_custom_id("cf:q2#gone", stash) == Unpacked(None)


def test_the_stash_is_bounded() -> None:
    stash = QueryStash(max_entries=3)
    tokens = [stash.put(f"query {i}") for i in range(5)]

    assert len(stash) == 3
    assert stash.get(tokens[0]) is None and stash.get(tokens[4]) == "query 4"


def test_custom_ids_that_are_not_ours_are_ignored() -> None:
    assert parse_custom_id("something:else", QueryStash()) is None
    assert parse_option_value("x:y", QueryStash()) is None


def test_fit_cuts_with_an_ellipsis_and_no_dangling_escape_or_bold() -> None:
    assert fit("short", 10) == "short"
    assert fit("abcdefghij" * 3, 10) == "abcdefg…"
    assert not fit("aaaaaa\\*bb", 9).endswith("\\…")
    cut = fit("**" + "x" * 50 + "**", 20)
    assert cut.count("**") % 2 == 0 and len(cut) <= 20


# -- escaping ---------------------------------------------------------------------------------


async def test_everyone_in_data_is_escaped_and_never_pings(pinging_core: Core) -> None:
    answer = await pinging_core.talk("look at this")
    assert answer.kind == "talk"

    payload = wire(answer)
    embed = payload["embeds"][0]

    assert payload["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in embed["title"] and "@\u200beveryone" in embed["title"]
    assert "\\*look\\*" in embed["title"]
    assert "@everyone" not in embed["description"] and "@here" not in embed["description"]
    assert "\\_\\_this\\_\\_" in embed["description"]
    assert "\\*\\*not\\*\\*" in embed["description"]
    assert "\\`code\\`" in embed["description"]
    for item in embed["fields"]:
        assert "@everyone" not in item["value"] and "@here" not in item["value"]
    nugget = await pinging_core.nugget("ship it")
    assert "@everyone" not in wire(nugget)["embeds"][0]["description"]


async def test_user_text_echoed_in_an_answer_is_escaped(core: Core) -> None:
    answer = await core.speaker("@everyone **zzqx**")

    embed = answer_embed(answer)

    assert embed.description is not None
    assert "@everyone" not in embed.description and "\\*\\*zzqx\\*\\*" in embed.description


def test_escape_neutralises_markdown_and_mentions() -> None:
    assert escape("@here *x* _y_") == "@\u200bhere \\*x\\* \\_y\\_"
    assert escape("plain words") == "plain words"


# -- autocomplete -----------------------------------------------------------------------------


async def test_autocomplete_choices_fit_discord(core: Core) -> None:
    choices = autocomplete_choices(await core.suggest_talks(""))

    assert 0 < len(choices) <= 25
    assert all(1 <= len(c.name) <= 100 and len(c.value) <= 100 for c in choices)


def test_autocomplete_skips_values_too_long_to_ask_and_caps_at_25() -> None:
    many = [Choice(label="x" * 150, command="talk", query=f"talk-{i}") for i in range(40)]
    too_long = Choice(label="long", command="talk", query="q" * 101)

    choices = autocomplete_choices([too_long, *many])

    assert len(choices) == 25
    assert choices[0].value == "talk-0" and len(choices[0].name) <= 100


# -- invite URL and poster errors -------------------------------------------------------------


def test_invite_url_asks_for_the_scopes_and_permissions_the_bot_needs() -> None:
    url = invite_url(1234)

    assert "client_id=1234" in url
    assert "scope=bot+applications.commands" in url
    assert f"permissions={INVITE_PERMISSIONS.value}" in url
    wanted = discord.Permissions(INVITE_PERMISSIONS.value)
    assert wanted.view_channel and wanted.send_messages and wanted.embed_links
    assert wanted.read_message_history and not wanted.administrator and not wanted.mention_everyone


class _Response:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = "test"
        self.headers = headers or {}


def _error(status: int, code: int, headers: dict[str, str] | None = None) -> discord.HTTPException:
    response: Any = _Response(status, headers)
    data = {"code": code, "message": "test"}
    if status == 404:
        return discord.NotFound(response, data)
    if status == 403:
        return discord.Forbidden(response, data)
    if status >= 500:
        return discord.DiscordServerError(response, data)
    return discord.HTTPException(response, data)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (404, 10003, PermanentSendError),
        (403, 50001, PermanentSendError),
        (403, 50013, PermanentSendError),
        (429, 0, TransientSendError),
        (500, 0, TransientSendError),
        (502, 0, TransientSendError),
        (401, 0, TransientSendError),
    ],
)
def test_poster_errors_are_sorted_for_the_scheduler(status: int, code: int, kind: type) -> None:
    assert isinstance(classify(_error(status, code)), kind)


def test_a_rate_limit_says_when_to_come_back() -> None:
    error = classify(_error(429, 0, {"Retry-After": "7"}))

    assert isinstance(error, TransientSendError) and error.retry_after == 7.0
