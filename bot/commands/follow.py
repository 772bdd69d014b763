"""/follow and /unfollow talk|speaker|track|room: what goes on a person's own agenda.

A follow belongs to one person (the caller's platform user id) in one community (the Discord
server or Slack workspace it was made in); only its owner sees it, so every answer is private.
A talk answer's "Remind me" button is `follow talk` with the talk's reference. Following a
speaker, a track or a room takes in the talks added to the programme later too (the planner,
`bot.delivery.agenda_plan`, matches follows against the programme each time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.answer import Answer, Choice, follow_up, moment
from bot.commands.answers import talk_choice
from bot.commands.invocation import Invocation
from bot.commands.lookup import MAX_CHOICES
from bot.commands.params import CONFERENCE, MAX_NAME_LENGTH, Param, Text, clean_query, words
from bot.commands.registry import Call, Command, Handler, group_usage, usage
from bot.delivery.agenda_plan import fold, followed
from bot.reminders import ReminderTalk
from bot.store import agenda
from bot.store.agenda import Follow
from bot.store.reminder_log import timed_talks

if TYPE_CHECKING:
    from bot.core import Core

CONSOLE = "console"
"""Who the console's one local user is, as a person of the agenda."""


def who(call: Call) -> tuple[str, str]:
    """(front end, user id) of the caller; the console is one person."""
    return call.caller.frontend or CONSOLE, call.caller.user or CONSOLE


def community(call: Call) -> str:
    return call.caller.place


AGENDA_ACTIONS = (
    follow_up("My agenda today", Invocation("agenda today")),
    follow_up("All my talks", Invocation("agenda all")),
)


def private(title: str, text: str, *, found: bool = True, kind: str = "agenda") -> Answer:
    """An answer only the caller sees, with the buttons to their agenda."""
    return Answer(
        kind=kind, title=title, text=text, found=found, ephemeral=True, actions=AGENDA_ACTIONS
    )


def when(talk: ReminderTalk) -> str:
    """'Sat 27 Jul 14:00 CEST · Room A', the start as a moment (each reader's own zone)."""
    room = f" · {talk.room}" if talk.room else ""
    return moment(talk.starts, talk.zone, "datetime") + room


def _names(talks: Sequence[ReminderTalk], kind: str, conference: str | None) -> list[str]:
    found: dict[str, str] = {}
    for talk in talks:
        if conference and talk.conference != conference:
            continue
        names = (
            talk.speakers if kind == "speaker" else (talk.track if kind == "track" else talk.room,)
        )
        for name in names:
            if name:
                found.setdefault(fold(name), name)
    return sorted(found.values(), key=str.casefold)


def resolve_name(
    talks: Sequence[ReminderTalk], kind: str, text: str, conference: str | None
) -> str | list[str]:
    """The one speaker, track or room of the programme `text` names (whole name, else the
    only one containing it), or the candidates (none, or several)."""
    names = _names(talks, kind, conference)
    wanted = fold(text)
    exact = [name for name in names if fold(name) == wanted]
    if exact:
        return exact[0]
    partial = [name for name in names if wanted in fold(name)]
    return partial[0] if len(partial) == 1 else partial


async def _talk_target(
    core: Core, call: Call, talks: Sequence[ReminderTalk]
) -> ReminderTalk | Answer:
    """The timed talk the caller means, or the answer that says why there is none."""
    text, _ = clean_query(call.text("query"))
    if not text:
        return usage(call.invocation.command, "Tell me which talk: a title or a speaker.")
    by_ref = {talk.ref: talk for talk in talks}
    if text in by_ref:
        return by_ref[text]
    matches = await core.lookup.resolve_talks(text, call.conferences)
    if len(matches) > 1:
        return Answer(
            kind="choices",
            title=f"Several talks match “{text}”",
            text="Which one shall I remind you of?",
            choices=tuple(
                Choice(t.title, call.invocation.command, t.ref, talk_choice(t).description)
                for t in matches[:MAX_CHOICES]
            ),
            ephemeral=True,
        )
    if not matches:
        return private("No talk found", f"No talk matches “{text}”.", found=False, kind="not_found")
    talk = by_ref.get(matches[0].ref)
    if talk is None:
        return private(
            "No time in the programme",
            f"“{matches[0].title}” has no time in the programme, so I cannot remind you of it.",
            found=False,
            kind="not_found",
        )
    return talk


async def follow_talk(core: Core, call: Call) -> Answer:
    talks = await timed_talks(core.db)
    target = await _talk_target(core, call, talks)
    if isinstance(target, Answer):
        return target
    return await _store(core, call, "talk", target.key, target.conference, target.title, talks)


def _follow_name(kind: str) -> Handler:
    async def handle(core: Core, call: Call) -> Answer:
        text, _ = clean_query(call.text("name"))
        if not text:
            return usage(call.invocation.command, f"Tell me which {kind}: its name.")
        talks = await timed_talks(core.db)
        conference = call.optional("conference")
        found = resolve_name(talks, kind, text, conference)
        if isinstance(found, list):
            return _no_such(call, kind, text, found)
        value = fold(found) if kind == "speaker" else found
        return await _store(core, call, kind, value, conference or "", found, talks)

    return handle


def _no_such(call: Call, kind: str, text: str, candidates: list[str]) -> Answer:
    if candidates:
        return Answer(
            kind="choices",
            title=f"Several {kind}s match “{text}”",
            text="Which one did you mean?",
            choices=tuple(Choice(n, call.invocation.command, n) for n in candidates[:MAX_CHOICES]),
            ephemeral=True,
        )
    return private(
        f"No such {kind}",
        f"No {kind} of the timed programme matches “{text}”.",
        found=False,
        kind="not_found",
    )


async def _store(
    core: Core,
    call: Call,
    kind: str,
    value: str,
    conference: str,
    label: str,
    talks: Sequence[ReminderTalk],
) -> Answer:
    frontend, user = who(call)
    now = core.programme.clock.now()
    person = await agenda.ensure_person(core.db, frontend, user, now)
    follow = Follow(person.id, community(call), kind, value, conference, label, now)
    new = await agenda.add_follow(core.db, follow)
    upcoming = [talk for talk in followed([follow], talks) if talk.starts > now]
    lines = [f"• {talk.title} — {when(talk)}" for talk in upcoming[:5]]
    if len(upcoming) > 5:
        lines.append(f"… and {len(upcoming) - 5} more (/agenda all)")
    what = label if kind == "talk" else f"the {kind} {label}"
    head = f"You follow {what}." if new else f"You already follow {what}."
    lead = f"I will send you a direct message {person.minutes_before} minutes before "
    lead += "it starts." if kind == "talk" else "each of its talks, also ones added later."
    if not person.enabled:
        lead = "Your reminders are paused; /agenda resumes them."
    return private("Following" if new else "Already following", "\n".join([head, lead, *lines]))


async def _unfollow(core: Core, call: Call, kind: str, text: str) -> Answer:
    frontend, user = who(call)
    person = await agenda.person(core.db, frontend, user)
    mine = await agenda.follows_of(core.db, person.id, community(call)) if person else []
    mine = [f for f in mine if f.kind == kind]
    wanted = fold(text)
    hits = [f for f in mine if wanted in (fold(f.label), fold(f.value))]
    hits = hits or [f for f in mine if wanted in fold(f.label)]
    if person is None or not hits:
        listed = ", ".join(f.label for f in mine) or "nothing"
        return private(
            "Not following",
            f"You follow no {kind} matching “{text}” here. Your {kind}s: {listed}.",
            found=False,
        )
    if len({f.value for f in hits}) > 1:
        return Answer(
            kind="choices",
            title=f"Several of your {kind}s match “{text}”",
            text="Which one shall I drop?",
            choices=tuple(Choice(f.label, call.invocation.command, f.label) for f in hits),
            ephemeral=True,
        )
    removed = await agenda.remove_follow(core.db, person.id, community(call), kind, hits[0].value)
    return private("Unfollowed", f"You no longer follow {', '.join(sorted(set(removed)))}.")


def _unfollow_handler(kind: str, param: str) -> Handler:
    async def handle(core: Core, call: Call) -> Answer:
        text, _ = clean_query(call.text(param))
        if not text:
            return usage(call.invocation.command, f"Tell me which {kind} to unfollow.")
        return await _unfollow(core, call, kind, text)

    return handle


TALK_QUERY = words("query", "A talk title or speaker", "TALK", autocomplete="talks")


def _name(kind: str) -> Param:
    return Param(
        "name",
        Text(MAX_NAME_LENGTH),
        f"The {kind}'s name",
        required=True,
        positional=True,
        autocomplete="speakers"
        if kind == "speaker"
        else ("tracks" if kind == "track" else "rooms"),
        metavar="NAME",
    )


async def _follow_usage(core: Core, call: Call) -> Answer:
    command = core.commands.get("follow")
    return usage("follow", group_usage(command) if command else "")


async def _unfollow_usage(core: Core, call: Call) -> Answer:
    command = core.commands.get("unfollow")
    return usage("unfollow", group_usage(command) if command else "")


FOLLOW = Command(
    "follow",
    "Follow a talk, speaker, track or room: a DM before each talk",
    (),
    _follow_usage,
    help="Put a talk, a speaker, a track or a room on your own agenda (only you see it).",
    private=True,
    subcommands=(
        Command("talk", "Follow one talk", (TALK_QUERY, CONFERENCE), follow_talk, private=True),
        Command(
            "speaker",
            "Follow a speaker's talks",
            (_name("speaker"),),
            _follow_name("speaker"),
            private=True,
        ),
        Command(
            "track",
            "Follow a track's talks",
            (_name("track"), CONFERENCE),
            _follow_name("track"),
            private=True,
        ),
        Command(
            "room",
            "Follow a room's talks",
            (_name("room"), CONFERENCE),
            _follow_name("room"),
            private=True,
        ),
    ),
)
UNFOLLOW = Command(
    "unfollow",
    "Stop following a talk, speaker, track or room",
    (),
    _unfollow_usage,
    help="Take a talk, a speaker, a track or a room off your agenda.",
    private=True,
    subcommands=tuple(
        Command(
            kind,
            f"Unfollow a {kind}",
            (TALK_QUERY if kind == "talk" else _name(kind),),
            _unfollow_handler(kind, "query" if kind == "talk" else "name"),
            private=True,
        )
        for kind in ("talk", "speaker", "track", "room")
    ),
)
