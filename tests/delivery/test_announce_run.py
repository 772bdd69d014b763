"""Change announcements end to end: `confbot run` as a real process follows a local schedule
server, an admin subscribes a channel on the fake Discord and one on the fake Slack with
/programme, the organisers change the export, and each channel gets the change once, also
after a restart; a title with @everyone pings nobody."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sources.follow import follow
from bot.store.db import Database
from tests.fakes.discord import FakeDiscord
from tests.fakes.schedule_server import ScheduleServer
from tests.fakes.slack import FakeSlack
from tests.sources.test_follow import DEMOCON, retitled
from tests.test_cli import clean_env
from tests.test_run_startup import confbot_run, discord_env, slack_env

POLL = timedelta(seconds=1)
HOSTILE = "Focused @everyone <!channel> hardware"
SECOND = "Focused seventh generation hardware"


async def sync_commands(tmp_path: Path, discord: FakeDiscord) -> None:
    """`confbot sync --global` against the fake, as an admin does once after installing."""
    env = {**clean_env(tmp_path / "run.sqlite3"), **discord_env(discord)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sync",
        "--global",
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, errors = await process.communicate()
    assert process.returncode == 0, errors.decode()


def discord_text(message: dict[str, Any]) -> str:
    return "\n".join(
        f"{embed.get('title')}\n"
        + "\n".join(f"{f['name']}: {f['value']}" for f in embed.get("fields", []))
        for embed in message.get("embeds", [])
    )


def slack_text(post: dict[str, Any]) -> str:
    return str(post.get("blocks"))


def announcements_in(discord: FakeDiscord) -> list[dict[str, Any]]:
    return [
        m
        for m in discord.channel_messages(discord.channel_id)
        if "Programme changes" in discord_text(m)
    ]


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_confbot_run_announces_a_followed_change_once_on_discord_and_slack(
    tmp_path: Path,
) -> None:
    async with ScheduleServer(DEMOCON) as server, FakeDiscord() as discord, FakeSlack() as slack:
        async with await Database.open(tmp_path / "run.sqlite3") as db:
            await follow(db, server.url, POLL, datetime.now(UTC), minimum=POLL)
        await sync_commands(tmp_path, discord)
        env = {**discord_env(discord), **slack_env(slack, SLACK_APP_TOKEN=slack.app_token)}
        slack.bot_scopes += ",channels:history"  # as slack-manifest.yml asks: lookups work
        admin = slack.add_user("ada", admin=True)
        channel = slack.add_channel("programme")
        async with confbot_run(tmp_path, **env) as run:
            try:
                await discord.wait_until_identified(timeout=30)
                await slack.wait_for_socket(timeout=30)
                await run.wait_for_line(": imported", within=30)
                await run.wait_for_line("ready as", within=30)  # the guild's channels known
                on_discord = await discord.invoke(
                    "programme",
                    {"channel": discord.channel_id},
                    subcommand="subscribe",
                    user=discord.add_member("grace", admin=True),
                    timeout=10,
                )
                assert on_discord.embeds[0]["title"] == "Programme changes subscribed"
                on_slack = await slack.socket_slash_command(
                    "/programme",
                    f"subscribe <#{channel}>",
                    user_id=admin,
                    channel_id=channel,
                    wait_responses=1,
                )
                assert "Programme changes subscribed" in str(on_slack.responses[0].blocks)

                server.publish(retitled(HOSTILE))
                posted = await discord.wait_for_message(discord.channel_id, timeout=30)
                post = await slack.wait_for_post(channel, timeout=30)
            finally:
                code = await run.stop()
        assert code == 0, run.log
        assert "Traceback" not in run.log
        shown = discord_text(posted)
        assert shown.startswith("Programme changes: ") and "Retitled" in shown
        assert "seventh" not in shown and "hardware" in shown
        assert "@everyone" not in shown and posted["mention_everyone"] is False
        assert "Retitled" in slack_text(post) and "hardware" in slack_text(post)
        assert "<!channel>" not in slack_text(post) and "@everyone" in slack_text(post)
        assert post["metadata"]["event_type"] == "confbot_programme_changes"

        # A restart posts nothing twice; the next change is posted once more.
        async with confbot_run(tmp_path, **env) as run:
            try:
                await slack.wait_for_socket(connections=2, timeout=30)
                await run.wait_for_line("ready as", within=30)  # the new process, both up
                server.publish(retitled(SECOND))
                try:
                    second = await discord.wait_for_message(discord.channel_id, timeout=30)
                    again = await slack.wait_for_post(channel, timeout=30)
                except TimeoutError as error:
                    raise AssertionError(run.log) from error
            finally:
                code = await run.stop()
        assert code == 0, run.log
        assert SECOND in discord_text(second) and SECOND in slack_text(again)
        assert len(announcements_in(discord)) == 2
        assert len([p for p in slack.posted if p.get("channel") == channel]) == 2
