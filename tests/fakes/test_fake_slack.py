"""The Slack fake runs a real Bolt AsyncApp over HTTP and Socket Mode, faithfully."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import (
    MAX_BLOCKS,
    MAX_SECTION_FIELDS,
    MAX_SECTION_TEXT,
    MAX_TEXT,
    FakeSlack,
    serve_bolt_http,
)

PING_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*pong*"}},
    {
        "type": "actions",
        "block_id": "ping_actions",
        "elements": [
            {
                "type": "button",
                "action_id": "ping_again",
                "value": "again",
                "text": {"type": "plain_text", "text": "Again"},
            }
        ],
    },
]


def build_app(fake: FakeSlack) -> AsyncApp:
    """A tiny Bolt app: /ping answers with a button, the button answers, /announce posts."""
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    app = AsyncApp(client=client, signing_secret=fake.signing_secret)

    @app.command("/ping")
    async def ping(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="pong", blocks=PING_BLOCKS)

    @app.action("ping_again")
    async def ping_again(ack: AsyncAck, respond: AsyncRespond, body: dict[str, Any]) -> None:
        await ack()
        value = body["actions"][0]["value"]
        await respond(text=f"clicked {value} by {body['user']['id']}", replace_original=True)

    @app.command("/announce")
    async def announce(
        ack: AsyncAck, respond: AsyncRespond, client: AsyncWebClient, command: dict[str, Any]
    ) -> None:
        await ack(text="Announcing…")
        try:
            await client.chat_postMessage(channel=command["channel_id"], text=command["text"])
        except SlackApiError as exc:
            await respond(text=f"could not post: {exc.response['error']}")

    return app


@dataclass
class Workspace:
    fake: FakeSlack
    app: AsyncApp
    channel: str
    user: str


@pytest.fixture
async def ws() -> AsyncIterator[Workspace]:
    async with FakeSlack() as fake:
        channel = fake.add_channel("general")
        user = fake.add_user("alice", admin=False)
        yield Workspace(fake, build_app(fake), channel, user)


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.post(url, data=body, headers=headers) as resp,
    ):
        return resp.status, await resp.text()


# ------------------------------------------------------------------ HTTP mode


async def test_signed_http_slash_command_is_acked_and_its_respond_reaches_the_fake(
    ws: Workspace,
) -> None:
    fake = ws.fake
    async with serve_bolt_http(ws.app) as url:
        body, headers = fake.signed_slash_command(
            "/ping", "", user_id=ws.user, channel_id=ws.channel
        )
        status, _ = await post(url, body, headers)
        assert status == 200
        reply = await fake.wait_for_response()

    assert reply.ok
    assert reply.text == "pong"
    assert reply.response_type == "ephemeral"
    assert reply.blocks[1]["elements"][0]["action_id"] == "ping_again"
    assert fake.calls_to("auth.test")[0].ok  # Bolt authorized with the bot token


async def test_http_slash_command_helper_reports_ack_and_responses(ws: Workspace) -> None:
    async with serve_bolt_http(ws.app) as url:
        result = await ws.fake.http_slash_command(
            url, "/ping", user_id=ws.user, channel_id=ws.channel, wait_responses=1
        )
    assert (result.status, result.acked, result.ack) == (200, True, None)
    assert [r.text for r in result.responses] == ["pong"]


async def test_badly_signed_http_slash_command_gets_401_and_nothing_is_posted(
    ws: Workspace,
) -> None:
    fake = ws.fake
    async with serve_bolt_http(ws.app) as url:
        body, headers = fake.signed_slash_command(
            "/announce", "hi", user_id=ws.user, channel_id=ws.channel, secret="not-the-secret"
        )
        status, _ = await post(url, body, headers)
    assert status == 401
    assert fake.responses == []
    assert fake.posted == []
    assert fake.calls == []


async def test_http_slash_command_signed_more_than_five_minutes_ago_gets_401(
    ws: Workspace,
) -> None:
    fake = ws.fake
    async with serve_bolt_http(ws.app) as url:
        request = fake.signed_slash_command(
            "/ping", user_id=ws.user, channel_id=ws.channel, timestamp=int(time.time()) - 6 * 60
        )
        result = await fake.deliver(url, request)
    assert (result.status, result.acked) == (401, False)
    assert fake.responses == []


async def test_button_click_over_http_reaches_its_handler(ws: Workspace) -> None:
    fake = ws.fake
    async with serve_bolt_http(ws.app) as url:
        ping = await fake.http_slash_command(
            url, "/ping", user_id=ws.user, channel_id=ws.channel, wait_responses=1
        )
        request = fake.signed_block_action(
            "ping_again",
            user_id=ws.user,
            channel_id=ws.channel,
            message=ping.responses[0],
            ephemeral=True,
        )
        assert request.payload["actions"][0]["block_id"] == "ping_actions"
        click = await fake.deliver(url, request, wait_responses=1)

    assert click.status == 200
    reply = click.responses[0]
    assert reply.text == f"clicked again by {ws.user}"
    assert reply.replace_original


async def test_handler_posts_to_channel_with_chat_post_message(ws: Workspace) -> None:
    fake = ws.fake
    async with serve_bolt_http(ws.app) as url:
        result = await fake.http_slash_command(
            url, "/announce", "Keynote starts now", user_id=ws.user, channel_id=ws.channel
        )
        message = await fake.wait_for_post(ws.channel)

    assert result.ack_text == "Announcing…"
    assert message["text"] == "Keynote starts now"
    assert fake.messages_in(ws.channel)[0]["ts"] == message["ts"]


# ------------------------------------------------------------------ Socket Mode


async def test_socket_mode_slash_command_is_acked_by_envelope_id_and_answered(
    ws: Workspace,
) -> None:
    fake = ws.fake
    async with fake.socket_mode(ws.app):
        assert fake.socket_messages == []  # the hello went to the app, nothing came back
        result = await fake.socket_slash_command(
            "/announce", "Lunch!", user_id=ws.user, channel_id=ws.channel
        )
        message = await fake.wait_for_post(ws.channel)

    assert result.acked
    assert fake.socket_messages[0]["envelope_id"] == result.envelope_id
    assert result.ack == {"text": "Announcing…"}
    assert message["text"] == "Lunch!"
    assert fake.calls_to("apps.connections.open")[0].token == fake.app_token


async def test_a_plain_socket_mode_handler_with_its_own_web_client_works(ws: Workspace) -> None:
    fake = ws.fake
    # apps.connections.open goes through `web_client` (default: app.client) with the app token.
    handler = AsyncSocketModeHandler(
        ws.app, app_token=fake.app_token, web_client=AsyncWebClient(base_url=fake.api_url)
    )
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        result = await fake.socket_slash_command(
            "/ping", user_id=ws.user, channel_id=ws.channel, wait_responses=1
        )
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    assert result.acked
    assert result.responses[0].text == "pong"


async def test_socket_mode_button_click_reaches_its_handler(ws: Workspace) -> None:
    fake = ws.fake
    async with fake.socket_mode(ws.app):
        ping = await fake.socket_slash_command(
            "/ping", user_id=ws.user, channel_id=ws.channel, wait_responses=1
        )
        click = await fake.socket_block_action(
            "ping_again",
            user_id=ws.user,
            channel_id=ws.channel,
            message=ping.responses[0],
            wait_responses=1,
        )
    assert click.acked and click.ack is None
    assert click.responses[0].text == f"clicked again by {ws.user}"


async def test_replace_original_edits_the_posted_message_whose_button_was_clicked(
    ws: Workspace,
) -> None:
    fake = ws.fake
    await ws.app.client.chat_postMessage(channel=ws.channel, text="pong", blocks=PING_BLOCKS)
    posted = await fake.wait_for_post(ws.channel)
    async with fake.socket_mode(ws.app):
        click = await fake.socket_block_action(
            "ping_again", user_id=ws.user, channel_id=ws.channel, message=posted, wait_responses=1
        )
    assert click.payload["message"]["ts"] == posted["ts"]
    [message] = fake.messages_in(ws.channel)
    assert message["text"] == f"clicked again by {ws.user}"
    assert "blocks" not in message  # replaced as a whole: the button is gone


async def test_dropped_socket_reconnects_through_apps_connections_open(ws: Workspace) -> None:
    fake = ws.fake
    async with fake.socket_mode(ws.app):
        assert fake.socket_connections == 1
        await fake.drop_socket()
        await fake.wait_for_socket(connections=2)
        result = await fake.socket_slash_command(
            "/ping", user_id=ws.user, channel_id=ws.channel, wait_responses=1
        )
    assert len(fake.calls_to("apps.connections.open")) == 2
    assert result.acked
    assert result.responses[0].text == "pong"


async def test_disconnect_message_makes_the_client_reconnect(ws: Workspace) -> None:
    fake = ws.fake
    async with fake.socket_mode(ws.app):
        await fake.send_socket_disconnect("refresh_requested")
        await fake.wait_for_socket(connections=2)
        result = await fake.socket_slash_command("/ping", user_id=ws.user, channel_id=ws.channel)
    assert result.acked


# ------------------------------------------------------------------ Web API fidelity


async def test_post_to_deleted_channel_fails_with_channel_not_found(ws: Workspace) -> None:
    fake = ws.fake
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    fake.delete_channel(ws.channel)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=ws.channel, text="hello?")
    assert caught.value.response["error"] == "channel_not_found"
    assert fake.posted == []


async def test_handler_sees_channel_not_found_for_a_deleted_channel(ws: Workspace) -> None:
    fake = ws.fake
    fake.delete_channel(ws.channel)
    async with fake.socket_mode(ws.app):
        result = await fake.socket_slash_command(
            "/announce", "hi", user_id=ws.user, channel_id=ws.channel, wait_responses=1
        )
    assert result.responses[0].text == "could not post: channel_not_found"


async def test_rate_limited_call_raises_by_default_without_retrying(ws: Workspace) -> None:
    fake = ws.fake
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    fake.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=ws.channel, text="hi")
    response = caught.value.response
    assert (response.status_code, response["error"]) == (429, "ratelimited")
    assert response.headers["Retry-After"] == "7"
    assert len(fake.calls_to("chat.postMessage")) == 1  # AsyncWebClient did not retry


async def test_rate_limit_retry_handler_retries_after_a_429(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The handler sleeps Retry-After + random.random() seconds: remove the jitter.
    monkeypatch.setattr(random, "random", lambda: 0.0)
    fake = ws.fake
    client = AsyncWebClient(
        token=fake.bot_token,
        base_url=fake.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake.rate_limit_next("chat.postMessage", retry_after=0)
    response = await client.chat_postMessage(channel=ws.channel, text="hi")
    assert response["ok"]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


@pytest.mark.parametrize(
    ("blocks", "text", "error"),
    [
        ([{"type": "divider"}] * (MAX_BLOCKS + 1), "many", "invalid_blocks"),
        (
            [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * (MAX_SECTION_TEXT + 1)}}],
            "long",
            "invalid_blocks",
        ),
        (
            [
                {
                    "type": "section",
                    "fields": [{"type": "mrkdwn", "text": "f"}] * (MAX_SECTION_FIELDS + 1),
                }
            ],
            "fields",
            "invalid_blocks",
        ),
        (None, "x" * (MAX_TEXT + 1), "msg_too_long"),
    ],
    ids=["51-blocks", "3001-char-section", "11-fields", "40001-char-text"],
)
async def test_over_limit_messages_are_refused(
    ws: Workspace, blocks: list[dict[str, Any]] | None, text: str, error: str
) -> None:
    fake = ws.fake
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=ws.channel, text=text, blocks=blocks)
    assert caught.value.response["error"] == error
    assert fake.posted == []


async def test_over_limit_respond_payload_is_refused_at_the_response_url(
    ws: Workspace,
) -> None:
    fake = ws.fake
    url = fake.response_url()
    respond = AsyncRespond(response_url=url)
    answer = await respond(text="many", blocks=[{"type": "divider"}] * (MAX_BLOCKS + 1))
    assert answer.status_code == 400
    assert '"invalid_blocks"' in answer.body
    assert (fake.responses[0].ok, fake.responses[0].error) == (False, "invalid_blocks")


async def test_wrong_token_gets_invalid_auth_and_unknown_methods_are_logged(
    ws: Workspace,
) -> None:
    fake = ws.fake
    with pytest.raises(SlackApiError) as caught:
        await AsyncWebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()
    assert caught.value.response["error"] == "invalid_auth"

    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    with pytest.raises(SlackApiError) as caught:
        await client.api_call("pins.add", params={"channel": ws.channel})
    assert caught.value.response["error"] == "unknown_method"
    assert fake.unknown_methods == ["pins.add"]


async def test_users_info_reports_admins_and_conversations_info_reports_channels(
    ws: Workspace,
) -> None:
    fake = ws.fake
    admin = fake.add_user("bob", admin=True)
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)

    bob = (await client.users_info(user=admin))["user"]
    alice = (await client.users_info(user=ws.user))["user"]
    assert (bob["is_admin"], bob["is_owner"]) == (True, False)
    assert (alice["is_admin"], alice["is_owner"]) == (False, False)
    channel = (await client.conversations_info(channel=ws.channel))["channel"]
    assert channel["name"] == "general"


async def test_fail_next_injects_one_error(ws: Workspace) -> None:
    fake = ws.fake
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    fake.fail_next("chat.postEphemeral", error="user_not_in_channel")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postEphemeral(channel=ws.channel, user=ws.user, text="psst")
    assert caught.value.response["error"] == "user_not_in_channel"
    await client.chat_postEphemeral(channel=ws.channel, user=ws.user, text="psst")
    assert [e["text"] for e in fake.ephemerals] == ["psst"]


async def test_chat_update_edits_a_posted_message(ws: Workspace) -> None:
    fake = ws.fake
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    posted = await client.chat_postMessage(channel=ws.channel, text="draft")
    await client.chat_update(channel=ws.channel, ts=posted["ts"], text="final")
    assert [m["text"] for m in fake.messages_in(ws.channel)] == ["final"]
    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel=ws.channel, ts="1.000000", text="x")
    assert caught.value.response["error"] == "message_not_found"
