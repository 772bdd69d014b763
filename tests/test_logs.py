"""One logging set-up, one redaction filter: no configured secret reaches the log, from any
logger, in a message, its arguments or a traceback."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.config import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.test_run_startup import confbot_run, discord_env, slack_env

SECRET = "xapp-1-A0123-456-0123456789abcdef"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A root handler as `logs.setup` makes one, kept for this test only."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(logs.FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


def test_every_place_a_secret_can_hide_in_a_record_is_redacted(stream: io.StringIO) -> None:
    logs.protect(SECRET)
    library = logging.getLogger("slack_sdk.web.async_base_client")  # not one of ours
    library.warning("headers: %s", {"Authorization": f"Bearer {SECRET}"})
    library.warning(f"plain {SECRET}")
    try:
        raise RuntimeError(f"token {SECRET} refused")
    except RuntimeError:
        library.exception("failed")
    text = stream.getvalue()
    assert SECRET not in text
    assert text.count(logs.REDACTED) == 3
    assert "RuntimeError: token [redacted] refused" in text


def test_short_values_are_not_taken_for_secrets(stream: io.StringIO) -> None:
    logs.protect("abc")
    logging.getLogger("confbot").warning("abc stays")
    assert "abc stays" in stream.getvalue()


def test_the_settings_name_every_secret_once() -> None:
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": "discord-token-123",
            "SLACK_BOT_TOKEN": "xoxb-bot-token",
            "SLACK_APP_TOKEN": "xapp-app-token",
            "SLACK_SIGNING_SECRET": "signing-secret",
        }
    )
    assert sorted(settings.secrets()) == sorted(
        ["discord-token-123", "xoxb-bot-token", "xapp-app-token", "signing-secret"]
    )


async def test_no_token_reaches_the_log_of_confbot_run_even_at_debug(tmp_path: Path) -> None:
    """At DEBUG every library logs its requests and payloads; none may show a token."""
    async with FakeDiscord() as discord, FakeSlack() as slack:
        env = {
            **discord_env(discord),
            **slack_env(slack, SLACK_APP_TOKEN=slack.app_token),
            "CONFBOT_LOG_LEVEL": "DEBUG",
        }
        async with confbot_run(tmp_path, **env) as run:
            await discord.wait_until_identified(timeout=60)
            await slack.wait_for_socket(timeout=60)
            await discord.invoke("talk", {"query": "keynote"}, timeout=10)
            code = await run.stop()
    assert code == 0, run.log[-3000:]
    for secret in (discord.token, slack.bot_token, slack.app_token):
        assert secret not in run.log
