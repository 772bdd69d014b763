"""`confbot source add|list|remove|poll` and `confbot import URL`, driven in-process through
`bot.cli.main` as a user types them, against a schedule server on 127.0.0.1 (in a thread, as
`main` runs its own event loop) and a real SQLite file."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import shared_bytes
from tests.fakes.schedule_server import ScheduleServer

DEMOCON = shared_bytes("samples/pretalx-democon.json")


@pytest.fixture
def server() -> Iterator[ScheduleServer]:
    with ScheduleServer(DEMOCON, slow_seconds=5).in_thread() as running:
        yield running


@pytest.fixture
def confbot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Confbot]:
    monkeypatch.chdir(tmp_path)  # no .env there
    for key in list(os.environ):
        if key.startswith(("DISCORD_", "SLACK_", "CONFBOT_")):
            monkeypatch.delenv(key)
    yield Confbot(tmp_path / "cli.sqlite3", capsys)


class Confbot:
    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        """Exit status, stdout and stderr of `confbot --db DB ARGS...`."""
        self.capsys.readouterr()
        try:
            code = main(["--db", str(self.db), *args])
        except SystemExit as stop:  # argparse refusing the arguments
            code = int(stop.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err

    def talk_count(self, conference: str) -> int:
        with sqlite3.connect(self.db) as db:
            row = db.execute(
                "SELECT count(*) FROM talks t JOIN conferences c ON c.id = t.conference_id "
                "WHERE c.slug = ?",
                (conference,),
            ).fetchone()
        return int(row[0])


@pytest.mark.samples("samples/pretalx-democon.json")
def test_add_poll_list_and_remove_a_source(confbot: Confbot, server: ScheduleServer) -> None:
    code, out, _ = confbot("source", "add", server.url, "--every", "2m")
    assert (code, out) == (
        0,
        f"following {server.url} every 2m; `confbot run` polls it, or `confbot source poll` now\n",
    )

    code, out, _ = confbot("source", "poll")
    assert (code, out) == (0, f"{server.url}: imported: democon: 36 talk(s)\n")
    assert confbot.talk_count("democon") == 36

    code, out, _ = confbot("source", "poll")
    assert (code, out) == (0, "no source is due; `confbot source poll --all` polls them anyway\n")
    assert server.counts.requests == 1

    code, out, _ = confbot("source", "poll", "--all")
    assert (code, out) == (0, f"{server.url}: unchanged: not modified\n")

    server.mode = "unavailable"
    code, out, _ = confbot("source", "poll", "--all")
    assert code == 1
    assert out.startswith(f"{server.url}: failed: answered HTTP 503; keeping democon as imported")
    assert confbot.talk_count("democon") == 36

    code, out, _ = confbot("source", "list")
    lines = out.splitlines()
    assert code == 0 and lines[:2] == ["1 followed source(s):", server.url]
    assert lines[2].startswith("  every 2m; conference democon; last sync 20")
    assert "; next poll 20" in lines[2]
    assert lines[3] == "  last error: answered HTTP 503 (1 in a row)"

    code, out, _ = confbot("source", "add", server.url, "--every", "90")
    assert (code, out.split(";")[0]) == (0, f"now polling {server.url} every 90s")

    assert confbot("source", "remove", server.url)[:2] == (
        0,
        f"stopped following {server.url}; its programme stays imported\n",
    )
    assert confbot("source", "list")[1] == "0 followed source(s)\n"
    code, _, err = confbot("source", "remove", server.url)
    assert code == 2 and "no followed source" in err
    assert confbot.talk_count("democon") == 36


def test_an_interval_under_30_seconds_is_refused(confbot: Confbot) -> None:
    code, _, err = confbot("source", "add", "https://example.org/s.json", "--every", "10s")
    assert code == 2
    assert "an interval of 10s is too short: the minimum is 30s" in err
    assert confbot("source", "list")[1] == "0 followed source(s)\n"


@pytest.mark.samples("samples/pretalx-democon.json")
def test_listings_and_outcomes_never_show_credentials(
    confbot: Confbot, server: ScheduleServer
) -> None:
    secret = server.url.replace("http://", "http://alice:hunter2@") + "?token=s3cret"
    assert confbot("source", "add", secret)[0] == 0
    polled = confbot("source", "poll")
    listed = confbot("source", "list")
    assert server.counts.full_bodies == 1  # the credentials were used
    for code, out, err in (polled, listed):
        assert code == 0
        assert "hunter2" not in out + err and "s3cret" not in out + err
        assert f"{server.url}?token=***" in out
    assert confbot("source", "remove", f"{server.url}?token=***")[0] == 0  # as listed


@pytest.mark.samples("samples/pretalx-democon.json")
def test_import_url_uses_the_same_fetcher(confbot: Confbot, server: ScheduleServer) -> None:
    code, out, _ = confbot("import", server.url)
    assert code == 0 and out.startswith("imported DemoCon (democon): 36 talk(s)")
    server.mode = "truncated"
    code, _, err = confbot("import", server.url)
    assert code == 1
    assert err == (
        f"confbot: {server.url} truncated: the connection dropped before the whole body arrived; "
        "nothing was imported\n"
    )
    assert confbot.talk_count("democon") == 36
