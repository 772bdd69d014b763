"""The `confbot` command line, run as a real process against a temp database."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from bot.answer import Answer
from bot.cli import build_parser
from bot.config import SETTINGS_HELP
from bot.delivery.reminder_service import ReminderService
from bot.reminders import ReminderPost
from bot.store.db import Database
from tests.conftest import REPO, SHARED
from tests.fakes.clock import FakeClock


def clean_env(db: Path) -> dict[str, str]:
    """The environment without platform tokens or confbot settings, and our db."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "SLACK_", "CONFBOT_"))
    }
    env["CONFBOT_DB"] = str(db)
    env["PYTHONPATH"] = str(REPO)
    return env


def confbot(
    tmp_path: Path, *args: str, data: Path | None = None, stdin: str = "", **settings: str
) -> subprocess.CompletedProcess[str]:
    env = {**clean_env(tmp_path / "cli.sqlite3"), **settings}
    if data is not None:
        env["CONFBOT_DATA"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no .env there
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_ask_loads_the_bundled_data_on_first_use_and_answers(tmp_path: Path) -> None:
    result = confbot(tmp_path, "ask", "/talk keynote")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("An ML Fairytale\n")
    assert "Vicki Boykis" in result.stdout
    assert (tmp_path / "cli.sqlite3").exists()


def test_ask_json_prints_the_answer_value(tmp_path: Path) -> None:
    result = confbot(tmp_path, "ask", "--json", "/speaker james")
    assert result.returncode == 0
    answer = json.loads(result.stdout)
    assert answer["kind"] == "choices"
    assert [c["label"] for c in answer["choices"]] == ["James David Long", "James Kirk"]


def test_a_miss_is_an_answer_and_a_usage_error_exits_2(tmp_path: Path) -> None:
    assert confbot(tmp_path, "ask", "/talk zzzqqqxxx").returncode == 0
    assert confbot(tmp_path, "ask", "/frobnicate").returncode == 2
    assert confbot(tmp_path, "ask", "/talk").returncode == 2
    assert confbot(tmp_path, "no-such-command").returncode == 2


def test_load_reports_and_is_idempotent(tmp_path: Path) -> None:
    first = confbot(tmp_path, "load")
    assert first.returncode == 0 and "15 talk(s)" in first.stdout
    second = confbot(tmp_path, "load")
    assert second.returncode == 0 and "unchanged" in second.stdout


def test_a_bad_data_file_exits_nonzero_naming_file_line_field_and_keeps_the_data(
    tmp_path: Path, data_copy: Path
) -> None:
    assert confbot(tmp_path, "load", data=data_copy).returncode == 0
    bad = data_copy / "normconf-2022" / "broken.toml"
    bad.write_text('title = "Broken"\nspeakers = ["A"]\nkind = 7\n')
    result = confbot(tmp_path, "load", data=data_copy)
    assert result.returncode == 1
    assert f"{bad}:3: field 'kind': must be text" in result.stderr
    assert "unchanged" in result.stderr
    still = confbot(tmp_path, "ask", "/talk keynote", data=data_copy)
    assert still.returncode == 0 and "An ML Fairytale" in still.stdout
    assert "keeping the data already loaded" in still.stderr


def test_the_terminal_path_imports_neither_discord_nor_slack(tmp_path: Path) -> None:
    code = (
        "import sys; from bot.cli import main; code = main(['ask', '/nugget']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'discord', 'slack_bolt', "
        "'slack_sdk'})); sys.exit(code)"
    )
    env = clean_env(tmp_path / "x.sqlite3")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_help_documents_every_setting_and_command(tmp_path: Path) -> None:
    result = confbot(tmp_path, "--help")
    assert result.returncode == 0
    for setting in SETTINGS_HELP:
        assert setting in result.stdout
    for command in ("run", "load", "ask", "console"):
        assert command in result.stdout


def test_every_subcommand_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    parser = build_parser()
    subcommands = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    assert len(subcommands.choices) >= 10
    for name in subcommands.choices:
        assert f"confbot {name}" in readme, name


def test_every_setting_is_in_env_example_and_readme() -> None:
    example = (REPO / ".env.example").read_text()
    readme = (REPO / "README.md").read_text()
    for setting in SETTINGS_HELP:
        assert f"{setting}=" in example, setting
        assert setting in readme, setting


def test_console_answers_lines_and_follows_choices(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "c.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        input="/speaker james\n2\nsearch data\nmore\nquit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Several speakers match “james”" in out
    assert "James Kirk\n==========" in out  # choice 2 followed
    assert "Page 2 of" in out
    assert "starting the console" in result.stderr


CAMP = SHARED / "samples" / "frab-camp2019.json"
SRT = SHARED / "samples" / "bornhack2021-how-to-open-source-your-code-properly.srt"


@pytest.mark.samples("samples/frab-camp2019.json")
def test_import_then_reimport_moves_talks_and_drops_cancelled_ones(tmp_path: Path) -> None:
    first = confbot(tmp_path, "import", str(CAMP))
    assert first.returncode == 0, first.stderr
    assert "imported Chaos Communication Camp 2019 (camp2019): 79 talk(s)" in first.stdout

    document = json.loads(CAMP.read_text())
    curie = document["schedule"]["conference"]["days"][0]["rooms"]["Curie"]
    cancelled = curie.pop(1)
    moved = curie[0]
    moved["date"] = moved["date"].replace("T11:00:00", "T11:15:00")
    moved["start"] = "11:15"
    changed = tmp_path / "camp-changed.json"
    changed.write_text(json.dumps(document))

    second = confbot(tmp_path, "import", str(changed))
    assert second.returncode == 0, second.stderr
    assert "78 talk(s); 1 moved, 1 cancelled since the last import" in second.stdout
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        guids = {row[0] for row in db.execute("SELECT guid FROM talks WHERE guid IS NOT NULL")}
        start = db.execute("SELECT starts_utc FROM talks WHERE guid = ?", (moved["guid"],))
        assert cancelled["guid"] not in guids
        assert start.fetchone() == ("2019-08-21T09:15:00Z",)
    now = confbot(tmp_path, "ask", "--at", "2019-08-21T11:20+02:00", "/now curie")
    assert moved["title"] in now.stdout
    assert cancelled["title"] not in now.stdout


@pytest.mark.samples("samples/frab-camp2019.json")
def test_a_truncated_export_imports_nothing(tmp_path: Path) -> None:
    assert confbot(tmp_path, "import", str(CAMP)).returncode == 0
    before = sqlite3.connect(tmp_path / "cli.sqlite3").execute("SELECT count(*) FROM talks")
    count = before.fetchone()
    half = tmp_path / "half.json"
    half.write_text(CAMP.read_text()[: len(CAMP.read_text()) // 2])
    result = confbot(tmp_path, "import", str(half))
    assert result.returncode == 1
    assert f"{half}:" in result.stderr and "nothing was imported" in result.stderr
    after = sqlite3.connect(tmp_path / "cli.sqlite3").execute("SELECT count(*) FROM talks")
    assert after.fetchone() == count


@pytest.mark.samples(
    "samples/frab-camp2019.json", "samples/bornhack2021-how-to-open-source-your-code-properly.srt"
)
def test_an_attached_transcript_is_searchable_with_times_and_survives_reimport(
    tmp_path: Path,
) -> None:
    assert confbot(tmp_path, "import", str(CAMP)).returncode == 0
    talk = "camp2019/camp2019-10386-opening-ceremony"
    attached = confbot(tmp_path, "transcript", talk, str(SRT))
    assert attached.returncode == 0, attached.stderr
    assert "attached 1036 cue(s) to “Opening Ceremony”" in attached.stdout
    assert confbot(tmp_path, "import", str(CAMP)).returncode == 0
    found = confbot(tmp_path, "ask", "/search licenses folder")
    assert "Opening Ceremony" in found.stdout
    assert "(at " in found.stdout
    unknown = confbot(tmp_path, "transcript", "camp2019/no-such-talk", str(SRT))
    assert unknown.returncode == 2 and "no talk" in unknown.stderr


@pytest.mark.samples(
    "samples/frab-camp2019.json",
    "samples/bornhack2021-how-to-open-source-your-code-properly.srt",
)
def test_a_truncated_transcript_is_refused_and_the_one_attached_before_kept(
    tmp_path: Path,
) -> None:
    assert confbot(tmp_path, "import", str(CAMP)).returncode == 0
    talk = "camp2019/camp2019-10386-opening-ceremony"
    assert confbot(tmp_path, "transcript", talk, str(SRT)).returncode == 0
    text = SRT.read_text(encoding="utf-8")
    cut = tmp_path / "cut.srt"
    cut.write_text(text[: text.index("\n2\n") + 3])  # ends at cue 2's number
    refused = confbot(tmp_path, "transcript", talk, str(cut))
    assert refused.returncode != 0
    assert f"{cut}:9: not a valid SRT file: cue '2' has no timing line" in refused.stderr
    vtt = tmp_path / "cut.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n\n00:00:03.000 -->")
    refused = confbot(tmp_path, "transcript", talk, str(vtt))
    assert refused.returncode != 0
    assert f"{vtt}:6: not a valid WebVTT file" in refused.stderr and "SRT" not in refused.stderr
    found = confbot(tmp_path, "ask", "/search licenses folder")
    assert "Opening Ceremony" in found.stdout and "(at " in found.stdout


@pytest.mark.samples("samples/fosdem2017-pentabarf.xml")
def test_a_classic_pentabarf_export_imports_with_a_timezone(tmp_path: Path) -> None:
    fosdem = SHARED / "samples" / "fosdem2017-pentabarf.xml"
    refused = confbot(tmp_path, "import", str(fosdem))
    assert refused.returncode == 1
    assert "--timezone" in refused.stderr and "nothing was imported" in refused.stderr
    imported = confbot(tmp_path, "import", "--timezone", "Europe/Brussels", str(fosdem))
    assert imported.returncode == 0, imported.stderr
    assert "imported FOSDEM 2017 (fosdem-2017): 668 talk(s)" in imported.stdout
    again = confbot(tmp_path, "import", "--timezone", "Europe/Brussels", str(fosdem))
    assert "668 talk(s); unchanged since the last import" in again.stdout
    day = confbot(tmp_path, "ask", "--at", "2017-02-04T09:40+01:00", "/schedule day 1 janson")
    assert "Welcome to FOSDEM 2017" in day.stdout and "Sat 09:30" in day.stdout


def test_wisdom_lists_subscriptions_and_simulates_days(tmp_path: Path) -> None:
    wisdom = confbot(tmp_path, "wisdom", "--days", "3")
    assert wisdom.returncode == 0
    assert wisdom.stdout.startswith("Daily wisdom: 0 subscriptions")


SEVEN_UTC = FakeClock(datetime(2019, 8, 21, 7, 0, tzinfo=UTC))


class UnusedPoster:
    async def send(self, post: ReminderPost, answer: Answer) -> str:
        raise AssertionError("listing reminders must not send anything")

    async def find_existing(self, post: ReminderPost) -> str | None:
        raise AssertionError("listing reminders must not look anything up")


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_reminders_lists_subscriptions_and_the_next_reminders(tmp_path: Path) -> None:
    assert confbot(tmp_path, "import", str(CAMP)).returncode == 0
    async with await Database.open(tmp_path / "cli.sqlite3") as db:
        service = ReminderService(
            db,
            UnusedPoster(),
            frontend="discord",
            clock=FakeClock(datetime(2019, 8, 21, 7, 0, tzinfo=UTC)),
        )
        await service.subscribe(
            guild_id="g",
            channel_id="c",
            minutes_before=10,
            created_by="admin",
            can_post=True,
            filter_kind="room",
            filter_value="curie",
        )
    listing = confbot(tmp_path, "reminders", "--at", "2019-08-21T10:00+02:00")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.startswith("Reminders: 1 subscription")
    assert "Opening Ceremony" in listing.stdout


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_import_from_a_url_and_a_failing_url(tmp_path: Path) -> None:
    async def schedule(request: web.Request) -> web.Response:
        return web.Response(body=CAMP.read_bytes(), content_type="application/json")

    async def too_large(request: web.Request) -> web.Response:
        padded = CAMP.read_bytes() + b" " * 1_000_000  # still valid JSON, over 1 MB
        return web.Response(body=padded, content_type="application/json")

    app = web.Application()
    app.router.add_get("/camp/schedule.json", schedule)
    app.router.add_get("/camp/padded.json", too_large)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        for path, expected_code, expected_text in (
            ("/camp/schedule.json", 0, "imported Chaos Communication Camp 2019"),
            ("/missing.json", 1, "answered HTTP 404; nothing was imported"),
            ("/camp/padded.json", 1, "larger than 1 MB (raise CONFBOT_IMPORT_MAX_MB"),
        ):
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "import",
                f"http://127.0.0.1:{port}{path}",
                cwd=tmp_path,
                env={**clean_env(tmp_path / "cli.sqlite3"), "CONFBOT_IMPORT_MAX_MB": "1"},
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(process.communicate(), 60)
            assert process.returncode == expected_code
            assert expected_text in (out + err).decode()
            assert b"Traceback" not in err
    finally:
        await runner.cleanup()


def test_reimporting_the_same_file_changes_nothing_in_the_database(tmp_path: Path) -> None:
    assert confbot(tmp_path, "import", str(CAMP)).returncode == 0
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        before = list(db.iterdump())
    again = confbot(tmp_path, "import", str(CAMP))
    assert again.returncode == 0, again.stderr
    assert "79 talk(s); unchanged since the last import" in again.stdout
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        assert list(db.iterdump()) == before
