"""The real Bolt app from `build_app`, against the local fake Slack, over HTTP and Socket Mode.

Every slash command and click is a real signed request (HTTP mode) or a real Socket Mode
envelope; what the app sends back is what reached the fake (response_url posts and Web API
calls). The daily post runs on the real wisdom service over real SQLite with an injected
clock, so no test waits for a real minute to pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.answer import Answer
from bot.commands.invocation import Invocation
from bot.commands.registry import NOBODY, Caller
from bot.config import Secret, SlackSettings
from bot.core import Core
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.slack import build_app, post_loop, serve
from bot.frontends.slack.app import (
    CORE_COMMANDS,
    ERROR_LINE,
    REFUSAL_LINE,
    REMIND_COMMAND,
    REQUIRED_SCOPES,
    WISDOM_COMMAND,
)
from bot.frontends.slack.poster import METADATA_EVENT, SlackPoster
from bot.store.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack, InteractionResult, ResponsePost, serve_bolt_http

AMS = "Europe/Amsterdam"
# Saturday 23 November 2024, 07:00 UTC = 08:00 in Amsterdam: a 09:00 post is due at 08:00 UTC.
START = datetime(2024, 11, 23, 7, 0, tzinfo=UTC)
DUE = datetime(2024, 11, 23, 8, 0, tzinfo=UTC)


async def eventually(check: Callable[[], bool]) -> None:
    """Wait (at most about 5 s) until `check()` holds; for effects that follow a reply."""
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


@dataclass
class Driver:
    """Sends commands and clicks to an app running in one transport."""

    fake: FakeSlack
    transport: str  # "http" or "socket"
    url: str = ""

    async def command(
        self, command: str, text: str = "", *, user: str, channel: str, wait: int = 1
    ) -> InteractionResult:
        if self.transport == "http":
            return await self.fake.http_slash_command(
                self.url, command, text, user_id=user, channel_id=channel, wait_responses=wait
            )
        return await self.fake.socket_slash_command(
            command, text, user_id=user, channel_id=channel, wait_responses=wait
        )

    async def click(
        self,
        action_id: str,
        message: ResponsePost,
        *,
        user: str,
        channel: str,
        ephemeral: bool = False,
        wait: int = 1,
    ) -> InteractionResult:
        if self.transport == "http":
            return await self.fake.http_block_action(
                self.url,
                action_id,
                user_id=user,
                channel_id=channel,
                message=message,
                ephemeral=ephemeral,
                wait_responses=wait,
            )
        return await self.fake.socket_block_action(
            action_id,
            user_id=user,
            channel_id=channel,
            message=message,
            ephemeral=ephemeral,
            wait_responses=wait,
        )


@contextlib.asynccontextmanager
async def running(fake: FakeSlack, app: AsyncApp, transport: str) -> AsyncIterator[Driver]:
    if transport == "http":
        async with serve_bolt_http(app) as url:
            yield Driver(fake, transport, url)
    else:
        async with fake.socket_mode(app):
            yield Driver(fake, transport)


@dataclass
class Workspace:
    fake: FakeSlack
    driver: Driver
    service: WisdomService
    clock: FakeClock
    general: str
    random: str
    alice: str  # a member
    bob: str  # a workspace admin
    carol: str  # a member listed in SLACK_ADMIN_USER_IDS

    async def command(
        self, command: str, text: str = "", *, user: str | None = None, wait: int = 1
    ) -> ResponsePost:
        result = await self.driver.command(
            command, text, user=user or self.alice, channel=self.general, wait=wait
        )
        assert result.acked
        assert result.ack is None  # acked at once, empty: the answer goes through respond()
        return result.responses[-1]

    async def click(
        self,
        action_id: str,
        message: ResponsePost,
        *,
        ephemeral: bool = False,
        user: str | None = None,
    ) -> ResponsePost:
        result = await self.driver.click(
            action_id,
            message,
            user=user or self.alice,
            channel=self.general,
            ephemeral=ephemeral,
        )
        assert result.acked
        return result.responses[-1]


def settings_for(fake: FakeSlack, transport: str, admins: frozenset[str]) -> SlackSettings:
    return SlackSettings(
        bot_token=Secret(fake.bot_token),
        app_token=Secret(fake.app_token if transport == "socket" else ""),
        signing_secret=Secret(fake.signing_secret),
        api_url=fake.api_url,
        admin_user_ids=admins,
    )


@pytest.fixture(params=["http", "socket"])
async def ws(
    request: pytest.FixtureRequest, core: Core, bundled_db: Database
) -> AsyncIterator[Workspace]:
    transport: str = request.param
    async with FakeSlack() as fake:
        general = fake.add_channel("general")
        random_channel = fake.add_channel("random")
        alice = fake.add_user("alice")
        bob = fake.add_user("bob", admin=True)
        carol = fake.add_user("carol")
        clock = FakeClock(START)
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        service = WisdomService(bundled_db, SlackPoster(client), frontend="slack", clock=clock)
        settings = settings_for(fake, transport, frozenset({carol}))
        app = build_app(core, service, settings, client)
        async with running(fake, app, transport) as driver:
            yield Workspace(
                fake, driver, service, clock, general, random_channel, alice, bob, carol
            )


def texts(payload: Any) -> list[str]:
    if isinstance(payload, dict):
        found = [payload["text"]] if isinstance(payload.get("text"), str) else []
        return found + [t for value in payload.values() for t in texts(value)]
    if isinstance(payload, list):
        return [t for item in payload for t in texts(item)]
    return []


def header(message: ResponsePost | dict[str, Any]) -> str:
    blocks = message.blocks if isinstance(message, ResponsePost) else message["blocks"]
    assert blocks[0]["type"] == "header"
    return str(blocks[0]["text"]["text"])


def button_ids(message: ResponsePost) -> list[str]:
    return [
        element["action_id"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


# -- the four commands ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "text", "title"),
    [
        ("/talk", "keynote", "An ML Fairytale"),
        ("/speaker", "vicki", "Vicki Boykis"),
        ("/nugget", "", "Nugget of wisdom"),
        ("/search", "crontab", "Search: crontab"),
    ],
)
async def test_each_command_is_acked_and_answered_in_the_channel_with_block_kit(
    ws: Workspace, command: str, text: str, title: str
) -> None:
    reply = await ws.command(command, text)
    assert reply.ok, reply.error  # the fake validated the blocks against Slack's limits
    assert reply.response_type == "in_channel"
    assert header(reply) == title
    assert reply.text and reply.text.startswith(title)
    assert reply.payload["unfurl_links"] is False


async def test_a_miss_is_answered_only_to_the_asker(ws: Workspace) -> None:
    reply = await ws.command("/talk", "zzqxv wvvqz")
    assert reply.ok
    assert reply.response_type == "ephemeral"
    assert header(reply) == "No talk found"


async def test_mentions_typed_into_a_command_never_reach_slack_unescaped(ws: Workspace) -> None:
    reply = await ws.command("/speaker", "<!everyone> <!channel> <@U0000000001>")
    dumped = json.dumps(reply.payload, ensure_ascii=False)
    for mention in ("<!everyone>", "<!channel>", "<@U0000000001>"):
        assert mention not in dumped
    assert "&lt;!everyone&gt; &lt;!channel&gt; &lt;@U0000000001&gt;" in dumped


# -- buttons -------------------------------------------------------------------------------


async def test_an_ambiguous_talk_offers_buttons_and_a_pick_replaces_the_question(
    ws: Workspace,
) -> None:
    question = await ws.command("/talk", "data")
    assert header(question) == "Several talks match “data”"
    picks = [i for i in button_ids(question) if i.startswith("confbot_pick_")]
    assert len(picks) >= 2
    label = question.blocks[-1]["elements"][1]["text"]["text"]

    answer = await ws.click(picks[1], question)
    assert answer.ok
    assert answer.replace_original
    assert header(answer) == label


async def test_another_nugget_is_a_button_that_posts_a_new_nugget(ws: Workspace) -> None:
    first = await ws.command("/nugget")
    assert button_ids(first) == ["confbot_action_0"]

    second = await ws.click("confbot_action_0", first)
    assert second.ok
    assert not second.replace_original
    assert second.response_type == "in_channel"
    assert header(second) == "Nugget of wisdom"
    assert button_ids(second) == ["confbot_action_0"]  # and it can be clicked again


async def test_search_pages_through_results_with_next_and_previous(ws: Workspace) -> None:
    first = await ws.command("/search", "data")
    assert "Page 1 of 2" in texts(first.blocks)
    assert "confbot_page_next" in button_ids(first)

    second = await ws.click("confbot_page_next", first)
    assert second.replace_original
    assert "Page 2 of 2" in texts(second.blocks)
    assert "confbot_page_prev" in button_ids(second)
    assert "confbot_page_next" not in button_ids(second)


async def test_the_next_page_of_a_narrowed_search_stays_in_its_conference(ws: Workspace) -> None:
    first = await ws.command("/search", "data --conference normconf-2022")
    assert "6 talk(s) match." in texts(first.blocks) and "Page 1 of 2" in texts(first.blocks)
    everywhere = " ".join(texts((await ws.command("/search", "data")).blocks))
    assert "10 talk(s) match." in everywhere and "Data management" in everywhere  # TuMoCon's

    second = await ws.click("confbot_page_next", first)

    assert "Page 2 of 2" in texts(second.blocks)
    assert "6 talk(s) match." in texts(second.blocks)  # not every conference's talks
    assert "Data management" not in " ".join(texts(second.blocks))


async def test_a_workspace_that_uses_a_conference_searches_it_on_every_page(
    ws: Workspace,
) -> None:
    used = await ws.command("/conference", "use normconf-2022", user=ws.bob)
    assert "default to normconf-2022" in " ".join(texts(used.blocks))

    first = await ws.command("/search", "data")
    second = await ws.click("confbot_page_next", first)

    assert "6 talk(s) match in normconf-2022." in texts(first.blocks)
    assert "Page 2 of 2" in texts(second.blocks)
    assert "6 talk(s) match in normconf-2022." in texts(second.blocks)  # the clicker's default
    assert "Data management" not in " ".join(texts(second.blocks))  # TuMoCon's


async def test_speaker_and_nugget_default_to_the_workspaces_conference(ws: Workspace) -> None:
    await ws.command("/conference", "use tumocon-2023", user=ws.bob)

    missed = await ws.command("/speaker", "vicki")
    reached = await ws.command("/speaker", "vicki --conference normconf-2022")
    nuggets = [" ".join(texts((await ws.command("/nugget", "")).blocks)) for _ in range(4)]
    unknown = await ws.command("/nugget", "--conference nosuch")

    assert header(missed) == "No speaker found" and missed.response_type == "ephemeral"
    assert "in tumocon-2023" in " ".join(texts(missed.blocks))
    assert header(reached) == "Vicki Boykis"
    assert all("(TuMoCon 2023)" in text for text in nuggets)
    assert "No conference `nosuch`; known: normconf-2022, tumocon-2023." in " ".join(
        texts(unknown.blocks)
    )


async def test_a_pick_of_conference_list_passes_the_admin_gate(ws: Workspace) -> None:
    listed = await ws.command("/conference", "list")

    refused = await ws.click("confbot_open_0", listed, ephemeral=True)
    picked = await ws.click("confbot_open_0", listed, ephemeral=True, user=ws.bob)
    after = await ws.command("/search", "data")

    assert header(refused) == "Not allowed"
    assert "Commands here now default to normconf-2022" in " ".join(texts(picked.blocks))
    assert "6 talk(s) match in normconf-2022." in texts(after.blocks)


async def test_a_misspelt_search_says_what_it_searched_for(ws: Workspace) -> None:
    answer = await ws.command("/search", "dockr")
    assert "showing results for “docker”" in " ".join(texts(answer.blocks))


async def test_a_did_you_mean_suggestion_in_a_private_answer_replaces_it(ws: Workspace) -> None:
    miss = await ws.command("/speaker", "wormerdom")
    assert (miss.response_type, header(miss)) == ("ephemeral", "No speaker found")
    answer = await ws.click("confbot_pick_0", miss, ephemeral=True)
    assert answer.replace_original
    assert header(answer) == "Vincent Warmerdam"


# -- /wisdom: admins only ------------------------------------------------------------------


async def test_a_member_who_is_not_an_admin_is_refused_privately_and_nothing_changes(
    ws: Workspace,
) -> None:
    for text in ("subscribe 09:00 Europe/Amsterdam", "now", "preview", "status", "unsubscribe"):
        reply = await ws.command("/wisdom", text, user=ws.alice)
        assert reply.response_type == "ephemeral"
        assert REFUSAL_LINE in texts(reply.blocks)
    assert await ws.service.subscriptions() == []
    assert ws.fake.posted == []
    assert all(call.args["user"] == ws.alice for call in ws.fake.calls_to("users.info"))


async def test_wisdom_without_a_subcommand_explains_itself(ws: Workspace) -> None:
    reply = await ws.command("/wisdom", "", user=ws.alice)
    assert reply.response_type == "ephemeral"
    assert any("/wisdom subscribe [#channel] HH:MM [Zone]" in t for t in texts(reply.blocks))


async def test_a_workspace_admin_subscribes_the_channel_and_the_daily_post_goes_out(
    ws: Workspace,
) -> None:
    reply = await ws.command("/wisdom", "subscribe 09:00 Europe/Amsterdam", user=ws.bob)
    assert reply.response_type == "ephemeral"
    assert header(reply) == "Daily wisdom subscribed"
    [sub] = await ws.service.subscriptions()
    assert (sub.channel_id, sub.guild_id, sub.zone) == (ws.general, ws.fake.team_id, AMS)
    assert sub.created_by == ws.bob

    assert await ws.service.run_due() == []  # 08:00 in Amsterdam: not yet
    ws.clock.set(DUE + timedelta(seconds=30))
    [outcome] = await ws.service.run_due()
    assert outcome.kind == "sent"

    post = await ws.fake.wait_for_post(ws.general)
    assert header(post) == "Nugget of wisdom for Saturday 23 November"
    assert post["unfurl_links"] is False
    assert post["metadata"]["event_type"] == METADATA_EVENT
    assert post["metadata"]["event_payload"]["idempotency_key"] == f"wisdom-{sub.id}-20241123"
    assert outcome.message_id == post["ts"]
    assert await ws.service.run_due() == []  # once per local date

    status = await ws.command("/wisdom", "status", user=ws.bob)
    assert header(status) == "Daily wisdom status"
    assert any(t.startswith("*Last post*\nSaturday 23 November") for t in texts(status.blocks))


async def test_a_listed_admin_id_may_manage_wisdom_without_being_a_workspace_admin(
    ws: Workspace,
) -> None:
    reply = await ws.command("/wisdom", "subscribe 17:30 UTC", user=ws.carol)
    assert header(reply) == "Daily wisdom subscribed"
    assert ws.fake.calls_to("users.info") == []  # the list is enough: Slack was not asked


async def test_subscribe_names_another_channel_and_defaults_to_the_admins_time_zone(
    ws: Workspace,
) -> None:
    reply = await ws.command("/wisdom", f"subscribe <#{ws.random}|random> 08:15", user=ws.bob)
    assert header(reply) == "Daily wisdom subscribed"
    [sub] = await ws.service.subscriptions()
    assert (sub.channel_id, sub.zone) == (ws.random, "Europe/Berlin")  # bob's Slack zone


async def test_subscribing_a_channel_the_bot_cannot_post_in_is_refused_with_a_hint(
    ws: Workspace,
) -> None:
    outside = ws.fake.add_channel("secret", private=True, member=False)
    reply = await ws.command("/wisdom", f"subscribe <#{outside}> 09:00 {AMS}", user=ws.bob)
    assert reply.response_type == "ephemeral"
    assert any("/invite @confbot" in t for t in texts(reply.blocks))
    assert await ws.service.subscriptions() == []


@pytest.mark.parametrize("public_scope", [False, True])
async def test_a_public_channel_without_the_bot_needs_chat_write_public(
    ws: Workspace, public_scope: bool
) -> None:
    lobby = ws.fake.add_channel("lobby", member=False)
    if public_scope:
        ws.fake.bot_scopes += ",chat:write.public"
    reply = await ws.command("/wisdom", f"subscribe <#{lobby}|lobby> 09:00 {AMS}", user=ws.bob)
    subscribed = header(reply) == "Daily wisdom subscribed"
    assert subscribed is public_scope
    assert len(await ws.service.subscriptions()) == int(public_scope)


async def test_a_channel_name_slack_did_not_turn_into_an_id_is_questioned(ws: Workspace) -> None:
    reply = await ws.command("/wisdom", f"subscribe #random 09:00 {AMS}", user=ws.bob)
    assert header(reply) == "Which channel?"
    assert await ws.service.subscriptions() == []


async def test_bad_time_and_zone_are_explained_and_nothing_is_stored(ws: Workspace) -> None:
    reply = await ws.command("/wisdom", "subscribe 9am Amsterdam", user=ws.bob)
    joined = " ".join(texts(reply.blocks))
    assert "For 9am write 09:00" in joined
    assert "Europe/Amsterdam" in joined
    assert await ws.service.subscriptions() == []


async def test_preview_now_and_unsubscribe(ws: Workspace) -> None:
    await ws.command("/wisdom", f"subscribe 09:00 {AMS}", user=ws.bob)

    preview = await ws.command("/wisdom", "preview", user=ws.bob)
    assert preview.response_type == "ephemeral"
    assert header(preview).startswith("Preview: nugget of wisdom for Saturday 23 November")
    assert ws.fake.posted == []

    now = await ws.command("/wisdom", "now", user=ws.bob)
    assert header(now) == "Posted"
    post = await ws.fake.wait_for_post(ws.general)
    assert texts(post["blocks"])[1:3] == texts(preview.blocks)[1:3]  # the previewed nugget

    again = await ws.command("/wisdom", "now", user=ws.bob)
    assert any("already posted" in t for t in texts(again.blocks))

    gone = await ws.command("/wisdom", "unsubscribe", user=ws.bob)
    assert header(gone) == "Daily wisdom unsubscribed"
    [sub] = await ws.service.subscriptions()
    assert not sub.enabled


# -- failures from Slack -------------------------------------------------------------------


async def test_a_deleted_channel_answers_channel_not_found_and_nothing_crashes(
    ws: Workspace,
) -> None:
    await ws.command("/wisdom", f"subscribe <#{ws.random}> 09:00 {AMS}", user=ws.bob)
    ws.fake.delete_channel(ws.random)
    ws.clock.set(DUE)

    [outcome] = await ws.service.run_due()
    assert outcome.kind == "retry"
    assert "channel_not_found" in outcome.detail
    assert ws.fake.posted == []
    [sub] = await ws.service.subscriptions()
    assert sub.last_error == "channel_not_found"

    status = await ws.command("/wisdom", f"status <#{ws.random}>", user=ws.bob)
    assert any("channel_not_found" in t for t in texts(status.blocks))
    assert header(await ws.command("/talk", "keynote")) == "An ML Fairytale"  # still serving


async def test_a_rate_limited_daily_post_is_retried_after_the_time_slack_asks_for(
    ws: Workspace,
) -> None:
    await ws.command("/wisdom", f"subscribe 09:00 {AMS}", user=ws.bob)
    ws.fake.rate_limit_next("chat.postMessage", retry_after=30)
    ws.clock.set(DUE)

    [first] = await ws.service.run_due()
    assert (first.kind, first.retry_at) == ("retry", DUE + timedelta(seconds=30))
    assert ws.fake.posted == []

    ws.clock.set(DUE + timedelta(seconds=31))
    [second] = await ws.service.run_due()
    assert second.kind == "sent"
    await ws.fake.wait_for_post(ws.general)


async def test_post_now_when_rate_limited_says_it_will_retry(ws: Workspace) -> None:
    await ws.command("/wisdom", f"subscribe 09:00 {AMS}", user=ws.bob)
    ws.fake.rate_limit_next("chat.postMessage", retry_after=5)
    reply = await ws.command("/wisdom", "now", user=ws.bob)
    assert header(reply) == "Will retry"
    assert any("ratelimited" in t for t in texts(reply.blocks))


async def test_a_rate_limited_response_url_is_retried_once(ws: Workspace) -> None:
    ws.fake.rate_limit_next("response_url", retry_after=0)
    result = await ws.driver.command("/talk", "keynote", user=ws.alice, channel=ws.general, wait=2)
    refused, delivered = result.responses
    assert (refused.ok, refused.error) == (False, "ratelimited")
    assert delivered.ok
    assert header(delivered) == "An ML Fairytale"


async def test_a_refused_answer_is_logged_and_the_app_keeps_serving(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="confbot.slack")
    ws.fake.fail_next("response_url", error="channel_not_found")
    result = await ws.driver.command("/nugget", "", user=ws.alice, channel=ws.general, wait=1)
    assert result.responses[0].error == "channel_not_found"
    await eventually(lambda: "Slack refused an answer (nugget, HTTP 400" in caplog.text)
    assert header(await ws.command("/nugget")) == "Nugget of wisdom"


async def test_when_slack_cannot_say_who_is_an_admin_the_user_is_told_to_retry(
    ws: Workspace,
) -> None:
    ws.fake.rate_limit_next("users.info", retry_after=1)
    reply = await ws.command("/wisdom", f"subscribe 09:00 {AMS}", user=ws.bob)
    assert reply.response_type == "ephemeral"
    assert any("could not check whether you are an admin" in t for t in texts(reply.blocks))
    assert await ws.service.subscriptions() == []


# -- one error handler ---------------------------------------------------------------------


class BrokenCore(Core):
    def __init__(self, db: Database, secret: str) -> None:
        super().__init__(db)
        self.secret = secret

    async def run(self, invocation: Invocation, caller: Caller = NOBODY) -> Answer:
        if invocation.command == "talk":
            raise RuntimeError(f"the database fell over while holding {self.secret}")
        return await super().run(invocation, caller)


@pytest.mark.parametrize("transport", ["http", "socket"])
async def test_an_unexpected_error_is_logged_with_its_traceback_and_answered_in_one_line(
    transport: str, bundled_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="confbot.slack")
    async with FakeSlack() as fake:
        channel, user = fake.add_channel("general"), fake.add_user("alice")
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        app = build_app(
            BrokenCore(bundled_db, fake.bot_token),
            None,
            settings_for(fake, transport, frozenset()),
            client,
        )
        async with running(fake, app, transport) as driver:
            broken = await driver.command("/talk", "keynote", user=user, channel=channel)
            fine = await driver.command("/speaker", "vicki", user=user, channel=channel)

    assert broken.acked  # the ack stands although the listener failed right after it
    [reply] = broken.responses
    assert (reply.response_type, reply.text) == ("ephemeral", ERROR_LINE)
    assert header(fine.responses[0]) == "Vicki Boykis"
    assert "Traceback" in caplog.text and "RuntimeError" in caplog.text
    assert fake.bot_token not in caplog.text
    assert "[redacted]" in caplog.text


# -- HTTP mode: signatures -----------------------------------------------------------------


async def test_a_badly_signed_request_gets_401_and_nothing_reaches_slack(
    core: Core, bundled_db: Database
) -> None:
    async with FakeSlack() as fake:
        channel, user = fake.add_channel("general"), fake.add_user("bob", admin=True)
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        service = WisdomService(bundled_db, SlackPoster(client), frontend="slack")
        app = build_app(core, service, settings_for(fake, "http", frozenset()), client)
        async with serve_bolt_http(app) as url:
            forged = fake.signed_slash_command(
                "/wisdom", "now", user_id=user, channel_id=channel, secret="not-the-secret"
            )
            result = await fake.deliver(url, forged)
            good = await fake.http_slash_command(
                url, "/talk", "keynote", user_id=user, channel_id=channel, wait_responses=1
            )
    assert (result.status, result.acked) == (401, False)
    assert [r.url for r in fake.responses] == [good.response_url]
    assert good.status == 200


# -- the post loop and serve() -------------------------------------------------------------


async def test_the_post_loop_posts_at_start_up_and_stops_when_told(ws: Workspace) -> None:
    await ws.command("/wisdom", f"subscribe 09:00 {AMS}", user=ws.bob)
    ws.clock.set(DUE)
    stop = asyncio.Event()
    task = asyncio.create_task(post_loop(ws.service, interval=3600, stop=stop))
    post = await ws.fake.wait_for_post(ws.general)
    assert header(post).startswith("Nugget of wisdom for")
    stop.set()
    await asyncio.wait_for(task, 5)


@pytest.mark.parametrize("transport", ["http", "socket"])
async def test_serve_connects_answers_posts_due_wisdom_and_logs_without_secrets(
    transport: str, core: Core, bundled_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="confbot.slack")
    clock = FakeClock(DUE)
    async with FakeSlack() as fake:
        channel, user = fake.add_channel("general"), fake.add_user("alice")
        # a subscription made earlier (another run of the bot): due now
        setup = WisdomService(bundled_db, SlackPoster(fake_client(fake)), frontend="slack")
        setup.clock = FakeClock(START)
        await setup.subscribe(
            guild_id=fake.team_id,
            channel_id=channel,
            post_time="09:00",
            zone=AMS,
            created_by="U1",
            can_post=True,
        )
        settings = SlackSettings(
            bot_token=Secret(fake.bot_token),
            app_token=Secret(fake.app_token if transport == "socket" else ""),
            signing_secret=Secret(fake.signing_secret),
            port=0,  # any free port: serve reports the URL it listens on
            api_url=fake.api_url.rstrip("/"),  # the trailing slash is added
        )
        stop = asyncio.Event()
        ready = asyncio.Event()
        events_url: list[str | None] = []

        def on_ready(url: str | None) -> None:
            events_url.append(url)
            ready.set()

        task = asyncio.create_task(
            serve(
                core,
                bundled_db,
                settings,
                stop=stop,
                clock=clock,
                host="127.0.0.1",
                on_ready=on_ready,
            )
        )
        await asyncio.wait_for(ready.wait(), 5)
        post = await fake.wait_for_post(channel)  # the post loop ran at start-up
        if transport == "socket":
            result = await fake.socket_slash_command(
                "/talk", "keynote", user_id=user, channel_id=channel, wait_responses=1
            )
        else:
            [url] = events_url
            assert url is not None and url.endswith("/slack/events")
            result = await fake.http_slash_command(
                url, "/talk", "keynote", user_id=user, channel_id=channel, wait_responses=1
            )
        stop.set()
        await asyncio.wait_for(task, 10)

    assert header(post) == "Nugget of wisdom for Saturday 23 November"
    assert header(result.responses[0]) == "An ML Fairytale"
    assert "Slack connected as @confbot in team Fake Conf" in caplog.text
    assert "Slack stopped: 1 command(s) and 0 button click(s) served, 1 daily post(s)" in (
        caplog.text
    )
    for secret in (fake.bot_token, fake.app_token, fake.signing_secret):
        assert secret not in caplog.text
    if transport == "socket":
        assert fake.calls_to("apps.connections.open")[0].token == fake.app_token


async def test_serve_refuses_to_start_with_a_token_slack_does_not_know(
    core: Core, bundled_db: Database
) -> None:
    async with FakeSlack() as fake:
        settings = SlackSettings(
            bot_token=Secret("xoxb-not-a-real-token"),
            app_token=Secret(fake.app_token),
            api_url=fake.api_url,
        )
        with pytest.raises(Exception, match="invalid_auth") as caught:
            await serve(core, bundled_db, settings, stop=asyncio.Event())
    assert "xoxb-not-a-real-token" not in str(caught.value)


def fake_client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


async def test_the_fake_reached_no_unknown_methods(ws: Workspace) -> None:
    await ws.command("/wisdom", f"subscribe 09:00 {AMS}", user=ws.bob)
    ws.clock.set(DUE)
    await ws.service.run_due()
    await ws.command("/talk", "keynote")
    assert ws.fake.unknown_methods == []
    async with (
        aiohttp.ClientSession() as session,  # the fake is still healthy
        session.post(ws.fake.api_url + "api.test") as resp,
    ):
        assert (await resp.json())["ok"]


def test_the_manifest_declares_the_commands_the_app_serves_with_socket_mode_on() -> None:
    manifest = (Path(__file__).resolve().parents[3] / "slack-manifest.yml").read_text()
    commands = re.findall(r"^    - command: (/\w+)$", manifest, re.MULTILINE)
    scopes = set(re.findall(r"^      - ([a-z_.:]+)$", manifest, re.MULTILINE))
    assert commands == list(CORE_COMMANDS)  # the admin commands are in the table too
    assert CORE_COMMANDS[-3:] == (WISDOM_COMMAND, REMIND_COMMAND, "/programme")
    assert scopes >= REQUIRED_SCOPES | {"chat:write.public", "channels:read", "groups:read"}
    assert {"channels:history", "groups:history"} <= scopes  # find_existing after a crash
    assert re.search(r"^  socket_mode_enabled: true$", manifest, re.MULTILINE)
    assert re.search(r"^  interactivity:\n    is_enabled: true$", manifest, re.MULTILINE)
