"""Answers kept per data version, for the commands whose answer depends on nothing else.

A command declared `cached` (/talk, /speaker, /search) answers from its arguments, the
conferences its community defaults to and the loaded data alone: no clock, no random pick, no
state of the caller's. Its answer is kept under (invocation, community conferences) until the
store's data version changes (a load, an import, an approved nugget; checked as often as the
name index, `Lookup.name_index`). Talk and speaker autocomplete is kept the same way, and so
is the answer of each nugget /nugget picks (the pick is chance; its answer is not). A
conference's attendees ask the same few things at the same moment ("/talk keynote" when it
starts), so a burst of them costs one answer. Answers and choices are frozen values, so one
can be handed to many callers.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Generic, TypeVar

from bot.answer import Answer, Choice
from bot.commands.invocation import Invocation

if TYPE_CHECKING:
    from bot.commands.lookup import Lookup

ANSWER_CACHE_SIZE = 1024  # a full cache of /talk choice lists on 10,000 talks: about 17 MB
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PerVersion(Generic[K, V]):
    """Up to `size` values of the current data version (0: keep none)."""

    def __init__(self, lookup: Lookup, size: int = ANSWER_CACHE_SIZE) -> None:
        self.lookup = lookup
        self.size = size
        self.hits = 0
        self._version: object = None
        self._kept: dict[K, V] = {}

    async def get(self, key: K) -> tuple[V | None, object]:
        """The kept value (None on a miss) and the data version it is of, for `keep`."""
        if not self.size:
            return None, None
        version = await self.lookup.name_index()  # a new object when the data version changed
        if version is not self._version:
            self._version = version
            self._kept = {}
            return None, version
        value = self._kept.get(key)
        if value is not None:
            self.hits += 1
        return value, version

    def keep(self, version: object, key: K, value: V) -> None:
        """Keep `value`, made after `get` missed, unless the data version changed meanwhile
        (it may then be of the old data)."""
        if not self.size or version is None or version is not self._version:
            return
        if len(self._kept) >= self.size:
            self._kept.clear()  # a burst rarely spans more; simpler than an LRU
        self._kept[key] = value


AnswerKey = tuple[Invocation, tuple[str, ...]]  # the invocation, the community's conferences
SuggestionKey = tuple[str, str, tuple[str, ...]]  # the source, what is typed, the conferences
NuggetKey = tuple[int, Invocation, tuple[str, ...]]  # the nugget picked, the invocation, scope
AnswerCache = PerVersion[AnswerKey, Answer]
SuggestionCache = PerVersion[SuggestionKey, tuple[Choice, ...]]
NuggetAnswers = PerVersion[NuggetKey, Answer]
