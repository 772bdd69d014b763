"""One timer for every answer in progress: the Discord bot defers an interaction whose answer
has taken `timeout` seconds (Discord wants a reply within 3), and most answers come within a
millisecond.

A timer each (`loop.call_later`, then `cancel`) cost more than a kept answer: asyncio keeps a
cancelled timer in its heap until its time comes, so a burst of a thousand commands a second
holds two thousand of them, and every new one is sifted through that heap by Python-level
comparisons. Here an answer is one entry in an insertion-ordered dict, removed when it comes;
the one timer is set for the oldest entry's deadline. The timeout is fixed, so the oldest
entry is always the first due.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable

log = logging.getLogger("confbot.discord")


class LateAnswers:
    """Calls an answer's `running_late` once `timeout` seconds have passed since `watch`,
    unless `done` came first."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._waiting: dict[int, tuple[float, Callable[[], None]]] = {}
        self._keys = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, running_late: Callable[[], None]) -> int:
        """Start the clock of one answer; the key is for `done`."""
        loop = asyncio.get_running_loop()
        key = next(self._keys)
        deadline = loop.time() + self.timeout
        self._waiting[key] = (deadline, running_late)
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._fire)
        return key

    def done(self, key: int) -> None:
        """The answer came (or failed): it will not be called late."""
        self._waiting.pop(key, None)

    def __len__(self) -> int:
        return len(self._waiting)

    def _fire(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._waiting:
            key = next(iter(self._waiting))
            deadline, running_late = self._waiting[key]
            if deadline > now:
                self._timer = loop.call_at(deadline, self._fire)
                return
            del self._waiting[key]
            try:
                running_late()
            except Exception:  # one answer's deferral must not stop the others'
                log.exception("deferring a late answer failed")
