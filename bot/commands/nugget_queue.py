"""Community nuggets: the one place their submission and review happen, for every caller.

The chat commands (/nugget submit, /nugget review and its buttons: bot/commands/
nugget_commands.py), the "Save as nugget" message actions, `confbot nuggets` and the web
console's Nuggets page all call a `NuggetQueue`; none of them touches the store
(bot/store/community_nuggets.py) or the rules (bot/nugget_rules.py) on its own.

    queue = NuggetQueue(db, lookup, clock)
    queued = await queue.submit(text, speaker=..., talk=..., by=Submitter(...))
    page = await queue.pending(page=1)           # ReviewItem: submission + transcript match
    await queue.approve(id, by="ada (123)")      # into the pool: /nugget, search, daily wisdom
    await queue.edit(id, by=..., text=..., speaker=..., talk=...)
    await queue.reject(id, by=...)
    hits = await queue.search_pool("crontab")

Every refusal is a `QueueError` whose text is the one line to show the person; values come
back as plain dataclasses (no `Answer`), so each caller presents them its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import SYSTEM_CLOCK, Clock
from bot.commands.lookup import Lookup
from bot.nugget_rules import (
    MAX_LENGTH,
    MAX_PER_HOUR,
    TranscriptMatch,
    find_in_transcript,
    length_problem,
)
from bot.store import community_nuggets as store
from bot.store.community_nuggets import DuplicateNugget, PoolNugget, Submission, TalkRef
from bot.store.db import Database
from bot.text import clean

PAGE_SIZE = 5
RATE_WINDOW = timedelta(hours=1)


class QueueError(ValueError):
    """A submission or a review step that cannot be done; str() is the line to show."""


@dataclass(frozen=True)
class Submitter:
    """Who submits, and from where: the front end, the platform's user id, how to show the
    person (`Caller.who`) and the link to the message the words come from (None when typed)."""

    frontend: str
    user: str
    who: str
    link: str | None = None


@dataclass(frozen=True)
class ReviewItem:
    """A submission as a reviewer sees it: with whether its words are in the talk's
    transcript, and where (None when the talk has no transcript or is not known)."""

    submission: Submission
    transcript: TranscriptMatch | None


@dataclass(frozen=True)
class ReviewPage:
    items: tuple[ReviewItem, ...]
    total: int
    page: int
    pages: int


class NuggetQueue:
    """Submission and review of community nuggets over one open database."""

    def __init__(self, db: Database, lookup: Lookup, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.lookup = lookup
        self.clock = clock

    # -- submitting

    async def submit(
        self,
        text: str,
        *,
        by: Submitter,
        speaker: str | None = None,
        talk: str | None = None,
        conference: str | None = None,
    ) -> ReviewItem:
        """Queue `text` for review: said by `speaker` (a known speaker; None: unattributed)
        in `talk` (its title, words or 'conference/slug'; None: the reviewer sets it)."""
        words = clean(text, MAX_LENGTH + 1)
        problem = length_problem(words)
        if problem:
            raise QueueError(problem)
        now = self.clock.now()
        if by.user:
            recent = await store.submitted_since(self.db, by.frontend, by.user, now - RATE_WINDOW)
            if recent >= MAX_PER_HOUR:
                raise QueueError(
                    f"You have submitted {MAX_PER_HOUR} nuggets in the last hour, the most "
                    "an hour allows; please try again later."
                )
        found = await self.find_talk(talk, conference) if talk else None
        said_by = await self.find_speaker(speaker, found) if speaker else None
        try:
            submission_id = await store.add(
                self.db,
                text=words,
                speaker=said_by,
                talk=found,
                frontend=by.frontend,
                submitter=by.user,
                submitted_by=by.who or by.user or by.frontend,
                link=by.link,
                at=now,
            )
        except DuplicateNugget:
            raise QueueError(
                "That nugget is already in the pool or waiting for review; thank you all the same."
            ) from None
        return await self.item(submission_id)

    async def find_talk(self, text: str, conference: str | None = None) -> TalkRef:
        """The one talk `text` names; a QueueError naming the candidates otherwise."""
        words = clean(text)
        labels = await self.lookup.resolve_talks(words, (conference,) if conference else ())
        exact = [label for label in labels if label.title.casefold() == words.casefold()]
        if len(labels) != 1 and len(exact) == 1:
            labels = exact
        if not labels:
            raise QueueError(f"No talk matches “{words}”; pick one from the list as you type.")
        if len(labels) > 1:
            refs = ", ".join(label.ref for label in labels[:5])
            raise QueueError(f"“{words}” could be several talks ({refs}); name one of them.")
        found = await store.talk_ref(self.db, labels[0].id)
        if found is None:
            raise QueueError(f"No talk matches “{words}”.")
        return found

    async def find_speaker(self, text: str, talk: TalkRef | None = None) -> str:
        """The known speaker `text` names (one of the talk's when the talk is known)."""
        words = clean(text)
        names = []
        for speaker_id in await self.lookup.resolve_speakers(words):
            view = await self.lookup.speaker_view(speaker_id)
            if view is not None:
                names.append((view.name, {t.ref for t in view.talks}))
        if talk is not None and len(names) > 1:
            names = [entry for entry in names if talk.ref in entry[1]] or names
        exact = [entry for entry in names if entry[0].casefold() == words.casefold()]
        if len(names) > 1 and len(exact) == 1:
            names = exact
        if not names:
            raise QueueError(
                f"No speaker is called “{words}”; leave the speaker out when you do not know."
            )
        if len(names) > 1:
            listed = ", ".join(name for name, _ in names[:5])
            raise QueueError(f"“{words}” could be {listed}; name one of them.")
        return names[0][0]

    # -- reviewing

    async def item(self, submission_id: int) -> ReviewItem:
        submission = await store.get(self.db, submission_id)
        if submission is None:
            raise QueueError(f"There is no submitted nugget #{submission_id}.")
        return await self._reviewed(submission)

    async def _reviewed(self, submission: Submission) -> ReviewItem:
        match = None
        if submission.talk_id is not None:
            transcript, cues = await store.transcript_of(self.db, submission.talk_id)
            match = find_in_transcript(submission.text, transcript, cues)
        return ReviewItem(submission, match)

    async def pending(
        self, page: int = 1, size: int = PAGE_SIZE, *, matches: bool = True
    ) -> ReviewPage:
        """The review queue, oldest first, one page of it (`matches`: each with whether its
        words are in its talk's transcript)."""
        page = max(1, page)
        found, total = await store.listed(self.db, "pending", limit=size, offset=(page - 1) * size)
        pages = max(1, -(-total // size))
        if not found and page > 1:
            return await self.pending(pages, size, matches=matches)
        if matches:
            items = tuple([await self._reviewed(s) for s in found])
        else:
            items = tuple(ReviewItem(s, None) for s in found)
        return ReviewPage(items, total, page, pages)

    async def approve(self, submission_id: int, *, by: str) -> ReviewItem:
        """Into the pool: /nugget, search and daily wisdom see it from now on."""
        current = await self._pending(submission_id)
        if current.submission.talk is None:
            raise QueueError(f"Nugget #{submission_id} has no talk yet: edit it and name one.")
        if current.submission.talk_id is None:
            raise QueueError(
                f"The talk of nugget #{submission_id} ({current.submission.talk.ref}) is not "
                "loaded now; edit it and name a talk that is."
            )
        if not await store.approve(self.db, submission_id, by=by, at=self.clock.now()):
            raise QueueError(f"Nugget #{submission_id} was reviewed meanwhile.")
        return await self.item(submission_id)

    async def reject(self, submission_id: int, *, by: str) -> ReviewItem:
        await self._pending(submission_id)
        if not await store.reject(self.db, submission_id, by=by, at=self.clock.now()):
            raise QueueError(f"Nugget #{submission_id} was reviewed meanwhile.")
        return await self.item(submission_id)

    async def edit(
        self,
        submission_id: int,
        *,
        by: str,
        text: str | None = None,
        speaker: str | None = None,
        talk: str | None = None,
    ) -> ReviewItem:
        """Change a pending submission's words, speaker or talk (None keeps it; an empty
        speaker makes it unattributed)."""
        current = (await self._pending(submission_id)).submission
        words = current.text if text is None else clean(text, MAX_LENGTH + 1)
        problem = length_problem(words)
        if problem:
            raise QueueError(problem)
        found = await self.find_talk(talk) if talk else current.talk
        said_by = current.speaker
        if speaker is not None:
            said_by = await self.find_speaker(speaker, found) if clean(speaker) else None
        try:
            changed = await store.edit(
                self.db, submission_id, text=words, speaker=said_by, talk=found
            )
        except DuplicateNugget:
            raise QueueError("Those words are already in the pool or waiting for review.") from None
        if not changed:
            raise QueueError(f"Nugget #{submission_id} was reviewed meanwhile.")
        return await self.item(submission_id)

    async def _pending(self, submission_id: int) -> ReviewItem:
        current = await self.item(submission_id)
        if current.submission.status != "pending":
            raise QueueError(
                f"Nugget #{submission_id} was already {current.submission.status}"
                + (
                    f" by {current.submission.reviewed_by}."
                    if current.submission.reviewed_by
                    else "."
                )
            )
        return current

    async def search_pool(self, words: str, limit: int = 20) -> list[PoolNugget]:
        """Nuggets in the pool (the data's and the approved ones) with these words."""
        return await store.search_pool(self.db, clean(words), limit=limit)
