"""Followed schedule sources as a service of the delivery runner (`bot.delivery.runner`).

`SourceService.run_due()` polls every source due on the injected clock with
`bot.sources.follow.poll_due` (which claims, fetches conditionally, imports and logs each
outcome); `next_wakeup` is the earliest next poll of any source, so the runner wakes for it.
A database or other unexpected error is logged and the service tries again at the next tick:
following a source never ends the loop. The outcomes of the last run are kept in `last`.
When an import stored a batch of programme changes, `after_changes` is called (the
composition root wakes the announcement services with it, so a change is posted right after
its import instead of at the post loop's next tick).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.clock import SYSTEM_CLOCK, Clock
from bot.sources.follow import PollOutcome, poll_due
from bot.store.db import Database
from bot.store.sources import list_sources

log = logging.getLogger("confbot.sources")


class SourceService:
    """Polls the followed sources when they are due; see the module docstring."""

    def __init__(
        self,
        db: Database,
        clock: Clock = SYSTEM_CLOCK,
        *,
        after_changes: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.after_changes = after_changes
        self.next_wakeup: datetime | None = None
        self.last: list[PollOutcome] = []

    async def run_due(self) -> Sequence[PollOutcome]:
        try:
            self.last = await poll_due(self.db, self.clock.now())
            sources = await list_sources(self.db)
        except Exception:
            log.exception("sources: polling failed; trying again at the next tick")
            self.last, self.next_wakeup = [], None
            return []
        self.next_wakeup = min((s.next_poll_at for s in sources), default=None)
        if self.after_changes is not None and any(o.batch_id for o in self.last):
            self.after_changes()
        return self.last
