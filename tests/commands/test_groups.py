"""What the admin commands (/wisdom, /remind) need from the table, shown on a stand-in group:
subcommands, an admin flag the registry enforces, and time, zone, channel and minutes
parameters parsed like every other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.answer import Answer, Field
from bot.commands.invocation import Invocation
from bot.commands.params import Channel, Number, Param, TimeOfDay, Zone
from bot.commands.registry import Call, Caller, Command, Registry

if TYPE_CHECKING:
    from bot.core import Core


async def echo(core: Core, call: Call) -> Answer:
    return Answer(
        kind="wisdom",
        title=call.invocation.command,
        fields=tuple(Field(name, str(value)) for name, value in sorted(call.values.items())),
        meta={"user": call.caller.user},
    )


SUBSCRIBE = Command(
    "subscribe",
    "Post every day at a local time",
    (
        Param("time", TimeOfDay(), "A local time, e.g. 09:00", required=True, positional=True),
        Param("zone", Zone(), "An IANA time zone"),
        Param("channel", Channel(), "The channel (default: this one)"),
        Param("minutes", Number(1, 1440), "Minutes before"),
    ),
    echo,
)
DEMO = Command(
    "demo",
    "A stand-in admin group",
    (),
    echo,
    admin=True,
    subcommands=(SUBSCRIBE, Command("status", "Next post", (), echo)),
)
TABLE = Registry((DEMO,))
ADMIN = Caller(frontend="slack", user="U1", place="T1", channel="C0000001", admin=True)


def values(answer: Answer) -> dict[str, str]:
    return {f.name: f.value for f in answer.fields}


async def test_a_subcommand_is_parsed_with_typed_parameters_and_run_for_an_admin(
    core: Core,
) -> None:
    line = "/demo subscribe 9:05 --zone Europe/Amsterdam --channel <#C0123456|general>"
    invocation = TABLE.parse_line(line)
    assert invocation == Invocation.of(
        "demo subscribe", time="9:05", zone="Europe/Amsterdam", channel="<#C0123456|general>"
    )
    assert isinstance(invocation, Invocation)

    answer = await TABLE.run(core, invocation, ADMIN)

    assert answer.title == "demo subscribe" and answer.meta["user"] == "U1"
    assert values(answer) == {"channel": "C0123456", "time": "09:05", "zone": "Europe/Amsterdam"}
    assert answer.invocation == invocation.with_args(time="09:05", channel="C0123456")


async def test_the_registry_refuses_an_admin_command_to_anyone_else(core: Core) -> None:
    invocation = Invocation.of("demo status")
    refused = await TABLE.run(core, invocation, Caller(user="U2"))
    assert (refused.title, refused.found) == ("Not allowed", False)
    assert (await TABLE.run(core, invocation, ADMIN)).title == "demo status"


async def test_each_bad_value_gets_its_own_line(core: Core) -> None:
    for line, message in [
        ("/demo subscribe 25:00", "a time of day such as 09:00"),
        ("/demo subscribe 09:00 --zone Mars/Olympus", "a time zone such as Europe/Amsterdam"),
        ("/demo subscribe 09:00 --channel general", "a channel picked from the # list"),
        ("/demo subscribe 09:00 --minutes ²", "a whole number from 1 to 1440"),
    ]:
        invocation = TABLE.parse_line(line)
        assert isinstance(invocation, Invocation), line
        answer = await TABLE.run(core, invocation, ADMIN)
        assert answer.kind == "usage" and message in answer.text, (line, answer.text)


def test_a_bare_group_or_an_unknown_subcommand_shows_the_subcommands() -> None:
    for line in ("/demo", "/demo frobnicate"):
        answer = TABLE.parse_line(line)
        assert isinstance(answer, Answer) and "/demo subscribe|status" in answer.text


def test_the_leaves_are_the_runnable_commands() -> None:
    assert [c.name for c in TABLE.leaves()] == ["demo subscribe", "demo status"]
    assert all(c.admin for c in TABLE.leaves())
