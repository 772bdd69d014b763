"""/wisdom and /remind as the command table declares them: the Slack words spread over their
parameters, every bad value explained once in one answer, minutes refused (not capped) out
of range, and the time zones as an autocomplete source. (On each front end, with the real
services: tests/frontends/*/test_*_e2e.py and test_*_reminders.py.)"""

from __future__ import annotations

from bot.commands.invocation import Invocation
from bot.commands.registry import Caller
from bot.commands.suggest import suggestions
from bot.commands.table import COMMANDS
from bot.core import Core

ADMIN = Caller("test", "U1", "T1", "C0HERE01", admin=True)


def parsed(line: str) -> dict[str, str]:
    invocation = COMMANDS.parse_line(line)
    assert isinstance(invocation, Invocation), line
    return invocation.as_dict()


def test_the_slack_words_of_wisdom_subscribe_go_to_channel_time_and_zone() -> None:
    assert parsed("/wisdom subscribe <#C0123456|general> 09:00 Europe/Amsterdam") == {
        "channel": "<#C0123456|general>",
        "time": "09:00",
        "timezone": "Europe/Amsterdam",
    }
    assert parsed("/wisdom subscribe 08:15") == {"time": "08:15"}
    assert parsed("/wisdom status <#C0123456>") == {"channel": "<#C0123456>"}


def test_the_slack_words_of_remind_subscribe_go_to_channel_minutes_and_filter() -> None:
    assert parsed("/remind subscribe <#C0CURIE01> 5 room Curie") == {
        "channel": "<#C0CURIE01>",
        "minutes": "5",
        "room": "Curie",
    }
    assert parsed("/remind subscribe 10 track a --conference camp2019") == {
        "minutes": "10",
        "track": "a",
        "conference": "camp2019",
    }
    assert parsed("/remind subscribe 10 speaker ada")["filter"] == "speaker ada"


async def test_every_bad_value_is_explained_once_in_one_answer(core: Core) -> None:
    answer = await core.ask("/wisdom subscribe 25:00 Mars/Olympus", ADMIN)
    assert answer.kind == "usage" and answer.ephemeral
    assert answer.text.count("25:00") == 1 and answer.text.count("Mars/Olympus") == 1
    hinted = await core.ask("/wisdom subscribe 9am Amsterdam", ADMIN)
    assert "For 9am write 09:00" in hinted.text and "Europe/Amsterdam" in hinted.text


async def test_a_channel_name_without_its_id_is_questioned(core: Core) -> None:
    answer = await core.ask("/remind subscribe #talks 10", ADMIN)
    assert answer.title == "Which channel?" and "I cannot tell which channel" in answer.text


async def test_minutes_out_of_range_are_refused_not_capped(core: Core) -> None:
    for minutes in ("0", "2000"):
        answer = await core.ask(f"/remind subscribe {minutes}", ADMIN)
        assert answer.kind == "usage" and "out of range; give 1 to 1440" in answer.text


async def test_the_admin_commands_need_an_admin(core: Core) -> None:
    for line in ("/wisdom status", "/remind list"):
        refused = await core.ask(line)
        assert (refused.title, refused.found) == ("Not allowed", False), line


async def test_without_a_service_the_admin_hears_it_is_not_running(core: Core) -> None:
    wisdom = await core.ask("/wisdom status", ADMIN)
    reminders = await core.ask("/remind status", ADMIN)
    assert "not running" in wisdom.text and "not running" in reminders.text


async def test_time_zones_are_an_autocomplete_source(core: Core) -> None:
    found = await suggestions(core, "zones", "amster", {})
    common = await suggestions(core, "zones", "", {})
    assert found[0].label == "Europe/Amsterdam"
    assert 0 < len(common) <= 25 and "UTC" in [c.label for c in common]
    assert COMMANDS.get("wisdom subscribe") is not None
    timezone = COMMANDS.get("wisdom subscribe").param("timezone")  # type: ignore[union-attr]
    assert timezone is not None and timezone.autocomplete == "zones"
