"""`confbot web-login` and `confbot web-password`, run as an organiser runs them, and
`confbot run` serving the web console when CONFBOT_WEB_PORT is set."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from bot.frontends.web.credentials import verify_password
from bot.store import web_auth
from bot.store.db import Database
from tests.test_cli import clean_env
from tests.test_cli import confbot as run


def test_web_login_prints_a_one_time_link_to_the_configured_address(tmp_path: Path) -> None:
    result = run(tmp_path, "web-login", "--user", "ada", CONFBOT_WEB_PORT="8088")
    assert result.returncode == 0, result.stderr
    link, note = result.stdout.strip().splitlines()
    assert link.startswith("http://127.0.0.1:8088/login/link/") and len(link) > 70
    assert "within 10 minutes" in note
    behind = run(
        tmp_path,
        "web-login",
        CONFBOT_WEB_PORT="8088",
        CONFBOT_WEB_URL="https://bot.example.org/",
    )
    assert behind.stdout.startswith("https://bot.example.org/login/link/")


def test_web_login_without_a_port_says_what_to_set(tmp_path: Path) -> None:
    result = run(tmp_path, "web-login")
    assert result.returncode == 2 and "CONFBOT_WEB_PORT" in result.stderr


async def stored_hash(path: Path, user: str) -> str | None:
    async with await Database.open(path) as db:
        return await web_auth.password_hash(db, user)


def test_web_password_stores_only_a_scrypt_hash(tmp_path: Path) -> None:
    result = run(tmp_path, "web-password", "--password-stdin", stdin="a long passphrase\n")
    assert result.returncode == 0, result.stderr
    assert "password set for organiser" in result.stdout
    stored = asyncio.run(stored_hash(tmp_path / "cli.sqlite3", "organiser"))
    assert stored is not None and stored.startswith("scrypt$")
    assert verify_password("a long passphrase", stored)
    assert b"a long passphrase" not in (tmp_path / "cli.sqlite3").read_bytes()
    short = run(tmp_path, "web-password", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 12 characters" in short.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(url, allow_redirects=False) as response:
                    return response.status, response.headers.get("Location", "")
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def test_confbot_run_serves_the_console_on_the_configured_port(tmp_path: Path) -> None:
    port = free_port()
    env = {**clean_env(tmp_path / "cli.sqlite3"), "CONFBOT_WEB_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status, location = asyncio.run(wait_for(f"http://127.0.0.1:{port}/"))
        assert (status, location) == (303, "/login?next=/")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert f"web console on http://127.0.0.1:{port}" in stderr
    assert "starting the console" not in stderr  # the web console is a front end
