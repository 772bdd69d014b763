"""/agenda: a person's own agenda (today, tomorrow, all), their lead time, their calendar
feed link, and forgetting them; and the once-only notice that their DMs are paused.

Every answer is private (only the caller sees it). Showing the agenda, or changing the lead
time, resumes DMs that a refused direct message paused (`bot.delivery.agenda_service`). Times
are moments (`bot.answer.moment`): each reader sees them in their own zone on Discord and
Slack, the console in the conference's.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.answer import Answer, Field
from bot.commands.follow import AGENDA_ACTIONS, community, private, when, who
from bot.commands.params import Number, Param, ParamError, Text, Value, parse_whole_number
from bot.commands.registry import Call, Caller, Command, Handler, group_usage
from bot.delivery.agenda_plan import MAX_MINUTES, MIN_MINUTES, followed
from bot.store import agenda
from bot.store.db import Database

if TYPE_CHECKING:
    from bot.core import Core

CALENDAR_PATH = "/agenda/calendar/{token}.ics"
"""Where the web console serves a person's feed (bot.frontends.agenda_feed)."""
MAX_LISTED = 20


def _day_filter(day: str) -> tuple[str, int | None]:
    """('today', 0), ('tomorrow', 1) or ('upcoming', None): days from now in the talk's zone."""
    return {"today": ("today", 0), "tomorrow": ("tomorrow", 1)}.get(day, ("upcoming", None))


async def show(core: Core, call: Call, day: str) -> Answer:
    frontend, user = who(call)
    now = core.programme.clock.now()
    person = await agenda.person(core.db, frontend, user)
    follows = await agenda.follows_of(core.db, person.id, community(call)) if person else []
    paused = person is not None and not person.enabled
    resumed = await agenda.resume(core.db, person.id, now) if person and paused else False
    if not follows:
        return private(
            "Your agenda is empty",
            "Follow talks with /follow talk, a speaker with /follow speaker, or a track or room; "
            "or press “Remind me” under a talk.",
        )
    word, offset = _day_filter(day)
    talks = followed(follows, await agenda.followed_talks(core.db, follows, after=now))
    if offset is not None:
        talks = [
            talk
            for talk in talks
            if talk.starts.astimezone(ZoneInfo(talk.zone)).date()
            == (now.astimezone(ZoneInfo(talk.zone)) + timedelta(days=offset)).date()
        ]
    assert person is not None
    lines = [f"• {talk.title} — {when(talk)}" for talk in talks[:MAX_LISTED]]
    if len(talks) > MAX_LISTED:
        lines.append(f"… and {len(talks) - MAX_LISTED} more")
    following = ", ".join(f.label if f.kind == "talk" else f"{f.kind} {f.label}" for f in follows)
    notes = [f"A direct message {person.minutes_before} minutes before each talk."]
    if resumed:
        notes.insert(0, "Your direct messages are on again.")
    return Answer(
        kind="agenda",
        title=f"Your agenda ({word})",
        text="\n".join(lines) or f"No followed talk {word}.",
        fields=(Field("Following", following[:1000]), Field("Reminders", " ".join(notes))),
        ephemeral=True,
        actions=AGENDA_ACTIONS,
    )


def _show(day: str) -> Handler:
    async def handle(core: Core, call: Call) -> Answer:
        return await show(core, call, day)

    return handle


async def minutes(core: Core, call: Call) -> Answer:
    frontend, user = who(call)
    now = core.programme.clock.now()
    person = await agenda.ensure_person(core.db, frontend, user, now)
    lead = call.number("minutes", person.minutes_before)
    await agenda.set_minutes(core.db, person.id, lead, now)
    resumed = await agenda.resume(core.db, person.id, now)
    again = " Your direct messages are on again." if resumed else ""
    return private("Lead time", f"I will message you {lead} minutes before each talk.{again}")


async def forget_me(core: Core, call: Call) -> Answer:
    frontend, user = who(call)
    gone = await agenda.forget(core.db, frontend, user)
    core.notices.forget(frontend, user)
    if not gone:
        return private("Nothing to forget", "I hold no agenda, follows or reminders of yours.")
    return private(
        "Forgotten",
        "I deleted everything I held about you: your follows, lead time, calendar link and the "
        "record of reminders sent to you.",
    )


async def calendar(core: Core, call: Call) -> Answer:
    frontend, user = who(call)
    reset = call.text("action") == "reset"
    person = await agenda.ensure_person(core.db, frontend, user, core.programme.clock.now())
    token = await agenda.calendar_token(core.db, person.id, reset=reset)
    path = CALENDAR_PATH.format(token=token)
    link = f"{core.calendar_base.rstrip('/')}{path}" if core.calendar_base else path
    head = (
        "Your new calendar link (the old one no longer works):"
        if reset
        else ("Your personal calendar feed; add it to your calendar app by URL:")
    )
    return private(
        "Your calendar feed",
        f"{head}\n{link}\nKeep it secret: anyone with it sees your agenda. "
        "/agenda calendar reset replaces it.",
    )


class Action(Text):
    def parse(self, raw: str, label: str) -> Value:
        text = str(super().parse(raw, label)).lower()
        if text not in ("", "reset"):
            raise ParamError(f"/agenda calendar takes only “reset”, not “{text[:20]}”.")
        return text


class Minutes(Number):
    """Minutes before each talk, refused (not capped) outside MIN..MAX."""

    def parse(self, raw: str, label: str) -> Value:
        number = parse_whole_number(raw)
        if number is None or not self.minimum <= number <= self.maximum:
            raise ParamError(
                f"Give the minutes before each talk as a whole number from {MIN_MINUTES} to "
                f"{MAX_MINUTES}, e.g. /agenda minutes 10."
            )
        return number


MINUTES = Param(
    "minutes",
    Minutes(MIN_MINUTES, MAX_MINUTES),
    f"Minutes before each talk ({MIN_MINUTES} to {MAX_MINUTES}; default 10)",
    required=True,
    positional=True,
    metavar="N",
)
ACTION = Param(
    "action", Action(10), "reset: a new link, the old one stops working", positional=True
)


async def _usage(core: Core, call: Call) -> Answer:
    group = core.commands.get("agenda")
    return private("/agenda", group_usage(group) if group else "", found=False, kind="usage")


AGENDA = Command(
    "agenda",
    "Your own agenda: followed talks, lead time, calendar, forget-me",
    (),
    _usage,
    help="Your followed talks (only you see them), the minutes before each DM, your calendar "
    "feed, and /agenda forget-me.",
    private=True,
    subcommands=(
        Command("today", "Your followed talks today", (), _show("today")),
        Command("tomorrow", "Your followed talks tomorrow", (), _show("tomorrow")),
        Command("all", "All your followed talks still to come", (), _show("all")),
        Command("minutes", "How many minutes before each talk you get a DM", (MINUTES,), minutes),
        Command("calendar", "A secret link to your agenda as a calendar feed", (ACTION,), calendar),
        Command("forget-me", "Delete everything the bot holds about you", (), forget_me),
    ),
)


class PausedNotices:
    """Who is still to be told, once, that their direct messages are paused.

    Kept in memory (loaded from the store at the first command) so the command path asks the
    database only for the few it concerns; the agenda services add to it when they pause
    someone."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: set[tuple[str, str]] | None = None
        self._loading = asyncio.Lock()  # a burst of first commands loads it once

    def add(self, frontend: str, user: str) -> None:
        if self._pending is not None:
            self._pending.add((frontend, user))

    def forget(self, frontend: str, user: str) -> None:
        if self._pending is not None:
            self._pending.discard((frontend, user))

    async def attach(self, caller: Caller, answer: Answer) -> Answer:
        """`answer`, with the notice and made private, when the caller is still to be told."""
        if not caller.user:
            return answer
        if self._pending is None:
            async with self._loading:
                if self._pending is None:
                    self._pending = set(await agenda.paused_with_notice(self.db))
        person = (caller.frontend, caller.user)
        if person not in self._pending:
            return answer
        self._pending.discard(person)
        reason = await agenda.take_notice(self.db, *person)
        if reason is None:
            return answer
        notice = (
            f"I could not send you your agenda reminders, so I paused them: {reason}. "
            "Once that is fixed, run /agenda to turn them back on."
        )
        footer = f"{notice} · {answer.footer}" if answer.footer else notice
        return Answer(**{**answer.__dict__, "ephemeral": True, "footer": footer})
