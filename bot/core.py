"""The command core: one object that answers command lines and invocations as `Answer`s.

Knows no platform. Every front end (console, Discord, Slack) asks it and only renders what
comes back. The commands themselves are declared in `bot.commands` (the table is
`bot.commands.table.COMMANDS`); `Core` holds what their handlers share (the database, the
name index, the programme, the random source) and keeps the short methods callers and tests
use (`talk`, `search`, ...), each of which is one invocation.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from bot.answer import Answer, Choice
from bot.clock import SYSTEM_CLOCK, Clock
from bot.commands.agenda import PausedNotices
from bot.commands.answer_cache import (
    ANSWER_CACHE_SIZE,
    AnswerCache,
    NuggetAnswers,
    SuggestionCache,
)
from bot.commands.answers import talk_answer
from bot.commands.delivery import Delivery
from bot.commands.invocation import Invocation
from bot.commands.lookup import MAX_CHOICES, Lookup
from bot.commands.params import MAX_PAGE, MAX_QUERY_LENGTH, clean_query
from bot.commands.programme import split_day
from bot.commands.registry import NOBODY, Caller, Message, split_command
from bot.commands.search import SEARCH_PAGE_SIZE
from bot.commands.table import COMMANDS
from bot.schedule import ScheduleAnswers
from bot.store.db import Database, QueryBudgetExceeded

__all__ = [
    "MAX_PAGE",
    "MAX_QUERY_LENGTH",
    "SEARCH_PAGE_SIZE",
    "Core",
    "clean_query",
    "split_command",
    "split_day",
    "talk_answer",
]


class Core:
    """The command logic over one open `Database`. Cheap to build; holds a fuzzy-match cache."""

    def __init__(
        self,
        db: Database,
        rng: random.Random | None = None,
        clock: Clock = SYSTEM_CLOCK,
        *,
        answer_cache_size: int = ANSWER_CACHE_SIZE,
    ) -> None:
        self.db = db
        self.rng = rng or random.Random()
        self.programme = ScheduleAnswers(db, clock)
        self.lookup = Lookup(db)
        # Per data version: the answers of the `cached` commands (/talk, /speaker, /search),
        # the talk and speaker autocomplete, and the answer of each nugget /nugget draws.
        self.answers = AnswerCache(self.lookup, answer_cache_size)
        self.suggested = SuggestionCache(self.lookup, answer_cache_size)
        self.nugget_answers = NuggetAnswers(self.lookup, answer_cache_size)
        self.commands = COMMANDS
        # The services that post on their own, by front end (each registers its own).
        self.delivery: dict[str, Delivery] = {}
        # Who is still to be told that their agenda DMs are paused (bot.commands.agenda).
        self.notices = PausedNotices(db)
        # Where the web console serves personal calendar feeds, when it runs (CALENDAR_PATH).
        self.calendar_base: str | None = None

    @property
    def version_check_seconds(self) -> float:
        return self.lookup.version_check_seconds

    @version_check_seconds.setter
    def version_check_seconds(self, seconds: float) -> None:
        self.lookup.version_check_seconds = seconds

    async def ask(self, line: str, caller: Caller = NOBODY) -> Answer:
        """Answer one command line such as '/talk keynote' or 'search data --page 2'."""
        parsed = self.commands.parse_line(line)
        if isinstance(parsed, Answer):
            return parsed
        return await self.run(parsed, caller)

    async def run(self, invocation: Invocation, caller: Caller = NOBODY) -> Answer:
        """Answer one invocation (what a button or a console follow-up replays), for
        `caller` (who may run the admin commands is the front end's say). All statements of
        one command share one query budget (bot.store.db): a command whose query the store
        had to stop is answered "too broad", however the front end called it."""
        try:
            with self.db.command_budget():
                answer = await self.commands.run(self, invocation, caller)
                return await self.notices.attach(caller, answer)
        except QueryBudgetExceeded:
            return too_broad()

    async def message_action(self, name: str, message: Message, caller: Caller = NOBODY) -> Answer:
        """Answer a message command ("Save as nugget") used on `message`, for `caller`."""
        try:
            with self.db.command_budget():
                return await self.commands.run_message(self, name, message, caller)
        except QueryBudgetExceeded:
            return too_broad()

    async def talk(self, query: str, conference: str | None = None) -> Answer:
        return await self.run(Invocation.of("talk", query=query, conference=conference))

    async def speaker(self, query: str) -> Answer:
        return await self.run(Invocation.of("speaker", query=query))

    async def nugget(self, query: str = "") -> Answer:
        return await self.run(Invocation.of("nugget", query=query))

    async def search(self, query: str, page: int = 1, conference: str | None = None) -> Answer:
        page = min(max(1, page), MAX_PAGE)
        return await self.run(Invocation.of("search", text=query, page=page, conference=conference))

    async def suggest_talks(
        self, prefix: str, limit: int = MAX_CHOICES, conferences: Sequence[str] = ()
    ) -> list[Choice]:
        """Autocomplete: talks whose title or speaker starts with the typed words."""
        return await self.lookup.suggest_talks(prefix, limit, conferences)

    async def suggest_speakers(
        self, prefix: str, limit: int = MAX_CHOICES, conferences: Sequence[str] = ()
    ) -> list[Choice]:
        return await self.lookup.suggest_speakers(prefix, limit, conferences)


def too_broad() -> Answer:
    """A query that ran past the store's time budget (bot.store.db) and was stopped."""
    return Answer(
        kind="error",
        title="Too broad",
        text="That search is too broad; try fewer or more specific words.",
        found=False,
        ephemeral=True,
    )
