"""`confbot run` as a real process at start-up: refused tokens, half a Slack configuration, no
Bolt warning, and platforms that are away or slow when it starts (against the local fakes)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.test_cli import clean_env


class Run:
    """A `confbot run` process whose stderr is read as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace"))

    @property
    def log(self) -> str:
        return "".join(self.lines)

    async def wait_for_line(self, needle: str, within: float = 60) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while needle not in self.log:
            if self.process.returncode is not None or loop.time() > deadline:
                raise AssertionError(f"no {needle!r} in the log:\n{self.log}")
            await asyncio.sleep(0.05)

    async def exit_code(self, within: float = 60) -> int:
        """Wait for the process to end by itself."""
        try:
            code = await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            raise AssertionError(f"still running after {within} s; the log:\n{self.log}") from None
        await self._reader
        return code

    async def stop(self) -> int:
        """SIGINT, as Ctrl-C or a service manager would; the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        return await self.exit_code(60)


@contextlib.asynccontextmanager
async def confbot_run(tmp_path: Path, *args: str, **settings: str) -> AsyncIterator[Run]:
    """`confbot run ARGS` as a real process on tmp_path/run.sqlite3, with `settings` as its
    environment (nothing else of ours)."""
    env = clean_env(tmp_path / "run.sqlite3")
    env.update(settings)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    run = Run(process)
    try:
        yield run
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def slack_env(slack: FakeSlack, **more: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_API_URL": slack.api_url, **more}


def discord_env(discord: FakeDiscord, **more: str) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": discord.token,
        "DISCORD_API_BASE": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        **more,
    }


# -- Slack: refused tokens, half a configuration, no warning ------------------------------


async def test_a_rejected_slack_app_token_is_one_line_and_exit_1(tmp_path: Path) -> None:
    async with FakeSlack() as slack:
        env = slack_env(slack, SLACK_APP_TOKEN="xapp-1-A0-1-not-the-app-token")
        async with confbot_run(tmp_path, **env) as run:
            code = await run.exit_code(30)
        assert slack.calls_to("apps.connections.open")[0].error == "invalid_auth"
    assert code == 1, run.log
    not_info = [line for line in run.lines if " INFO " not in line]
    assert not_info == [
        "confbot: Slack refused the app-level token (SLACK_APP_TOKEN): invalid_auth\n"
    ]
    assert "Slack connected" not in run.log


async def test_slack_starts_without_a_warning(tmp_path: Path) -> None:
    async with (
        FakeSlack() as slack,
        confbot_run(tmp_path, **slack_env(slack, SLACK_APP_TOKEN=slack.app_token)) as run,
    ):
        await run.wait_for_line("Slack Socket Mode connected")
        code = await run.stop()
    assert code == 0, run.log
    assert not [line for line in run.lines if " WARNING " in line or " ERROR " in line], run.log


async def test_a_slack_bot_token_alone_serves_ask_and_console_and_run_says_what_is_missing(
    tmp_path: Path,
) -> None:
    env = clean_env(tmp_path / "alone.sqlite3")
    env["SLACK_BOT_TOKEN"] = "xoxb-1-2-only-the-bot-token"

    def confbot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    asked = confbot("ask", "/talk keynote")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.startswith("An ML Fairytale")
    console = confbot("console", stdin="/talk keynote\nquit\n")
    assert console.returncode == 0, console.stderr
    assert "An ML Fairytale" in console.stdout
    run = confbot("run")
    assert run.returncode == 1
    assert run.stderr.startswith("confbot: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN")
    assert "SLACK_SIGNING_SECRET" in run.stderr and len(run.stderr.splitlines()) == 1


# -- platforms away or slow at start-up ------------------------------------------------


async def test_a_discord_away_at_start_is_retried_until_it_is_back(tmp_path: Path) -> None:
    """The first gateway connections fail (discord.py 2.7.1 then raises AttributeError on
    `ws.sequence`) and the first login gets a 503: each is one log line, then it serves."""
    async with FakeDiscord() as discord:
        discord.fail_next("/users/@me", status=503, message="Service Unavailable")
        discord.refuse_gateway_next(2)
        async with confbot_run(tmp_path, **discord_env(discord)) as run:
            await discord.wait_until_identified(timeout=60)
            answer = await discord.invoke("talk", {"query": "keynote"}, timeout=10)
            code = await run.stop()
        assert discord.gateway_refusals == 2
    assert answer.embeds[0]["title"] == "An ML Fairytale"
    assert code == 0, run.log
    retries = [line for line in run.lines if "retrying in" in line]
    assert len(retries) == 3, run.log
    assert "Discord refused the login (503)" in retries[0]
    assert "the first gateway connection failed (WSServerHandshakeError)" in retries[1]
    assert "Traceback" not in run.log and discord.token not in run.log


async def test_a_slow_discord_gateway_at_start_is_waited_for(tmp_path: Path) -> None:
    async with FakeDiscord() as discord:
        discord.hello_delay = 3.0
        async with confbot_run(tmp_path, **discord_env(discord)) as run:
            await discord.wait_until_identified(timeout=60)
            code = await run.stop()
    assert code == 0, run.log
    assert "Traceback" not in run.log


async def test_a_slack_away_at_start_is_retried_until_it_is_back(tmp_path: Path) -> None:
    async with FakeSlack() as slack:
        slack.unavailable_next("auth.test", times=2)
        slack.rate_limit_next("apps.connections.open", retry_after=1)
        async with confbot_run(
            tmp_path, **slack_env(slack, SLACK_APP_TOKEN=slack.app_token)
        ) as run:
            await slack.wait_for_socket(timeout=60)
            user, channel = slack.add_user("ada"), slack.add_channel("general")
            reply = await slack.socket_slash_command(
                "/talk", "keynote", user_id=user, channel_id=channel, wait_responses=1
            )
            code = await run.stop()
    assert "An ML Fairytale" in str(reply.responses[0].blocks)
    assert code == 0, run.log
    retries = [line for line in run.lines if "retrying in" in line]
    assert len(retries) == 3, run.log
    assert "Slack answered service_unavailable (HTTP 503)" in retries[0]
    assert "Slack Socket Mode: Slack answered ratelimited (HTTP 429)" in retries[2]
    assert "Traceback" not in run.log and slack.bot_token not in run.log


async def test_a_platform_away_for_the_whole_window_is_one_line_and_exit_1(
    tmp_path: Path,
) -> None:
    async with FakeSlack() as slack:
        slack.unavailable_next("auth.test", times=1000)
        env = slack_env(slack, SLACK_APP_TOKEN=slack.app_token, CONFBOT_START_RETRY_SECONDS="2")
        async with confbot_run(tmp_path, **env) as run:
            code = await run.exit_code(60)
    assert code == 1, run.log
    assert run.lines[-1].startswith("confbot: Slack answered service_unavailable (HTTP 503)")
    assert "gave up after" in run.lines[-1]
    assert "Traceback" not in run.log
