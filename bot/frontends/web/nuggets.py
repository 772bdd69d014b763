"""The Nuggets page: the pool with search, and the review queue of the nuggets the community
submits (`/nugget submit`, "Save as nugget") with approve, edit and reject forms.

Every review step calls the one `NuggetQueue` (bot/commands/nugget_queue.py), as the chat's
/nugget review buttons do, so the checks and the refusals (each `QueueError`'s line) are the
chat's; each step is audited with the organiser who did it, and its result is shown on the
next page (post, redirect, get).
"""

from __future__ import annotations

from aiohttp import web

from bot.commands.nugget_queue import NuggetQueue, QueueError, ReviewItem, ReviewPage
from bot.frontends.web.auth import audit
from bot.frontends.web.context import Flash, context, visit
from bot.frontends.web.render import html, see_other
from bot.store.catalog import counts
from bot.store.nugget_pool import pool_page
from bot.text import parse_number

MAX_WORDS_LENGTH = 200
MAX_FIELD_LENGTH = 1000
QUEUE_PAGE_SIZE = 20
STEPS = ("approve", "edit", "reject")


def queue(request: web.Request) -> NuggetQueue:
    ctx = context(request)
    return NuggetQueue(ctx.db, ctx.core.lookup, ctx.clock)


def reviewer(request: web.Request) -> str:
    """The organiser as the queue records them, like the Subscriptions page's `created_by`."""
    user = visit(request).user
    return f"{user} (web:{user})"


async def review_queue(request: web.Request) -> ReviewPage:
    number = parse_number(request.query.get("page", "1"), minimum=1, maximum=10_000)
    return await queue(request).pending(number or 1, QUEUE_PAGE_SIZE)


async def page(request: web.Request) -> web.Response:
    ctx = context(request)
    words = request.query.get("q", "")[:MAX_WORDS_LENGTH]
    return html(
        request,
        "nuggets.html",
        title="Nuggets",
        words=words,
        nuggets=await pool_page(ctx.db, words),
        total=(await counts(ctx.db))["nuggets"],
        queue=await review_queue(request),
    )


def _field(request: web.Request, name: str) -> str | None:
    """A form field as typed (None when the form has no such field)."""
    value = visit(request).form.get(name)
    return value[:MAX_FIELD_LENGTH] if isinstance(value, str) else None


def _done(request: web.Request, flash: Flash) -> web.Response:
    context(request).flashes[visit(request).session_key] = flash
    return see_other("/nuggets#queue")


def _described(item: ReviewItem) -> str:
    nugget = item.submission
    talk = (nugget.talk.title or nugget.talk.ref) if nugget.talk else "no talk yet"
    return f"“{nugget.text}” ({nugget.speaker or 'unattributed'}, {talk})"


async def _edit(request: web.Request, submission_id: int) -> ReviewItem:
    """The edit form's fields; one left as it was shown keeps the submission's value."""
    current = (await queue(request).item(submission_id)).submission
    text, speaker, talk = (_field(request, name) for name in ("text", "speaker", "talk"))
    return await queue(request).edit(
        submission_id,
        by=reviewer(request),
        text=None if text is None or text.strip() == current.text else text,
        speaker=None if speaker is None or speaker.strip() == (current.speaker or "") else speaker,
        talk=None if not talk or (current.talk and talk.strip() == current.talk.ref) else talk,
    )


async def review(request: web.Request) -> web.Response:
    submission_id = int(request.match_info["id"])
    step = request.path.rsplit("/", 1)[1]
    try:
        if step == "approve":
            item = await queue(request).approve(submission_id, by=reviewer(request))
            flash = Flash(f"Approved #{submission_id}", f"{_described(item)} is in the pool now.")
        elif step == "reject":
            item = await queue(request).reject(submission_id, by=reviewer(request))
            flash = Flash(f"Rejected #{submission_id}", _described(item))
        else:
            item = await _edit(request, submission_id)
            flash = Flash(f"Edited #{submission_id}", _described(item))
    except QueueError as refused:
        await audit(request, f"nugget {step} refused", f"#{submission_id}: {refused}")
        return _done(request, Flash(f"Nugget #{submission_id}", str(refused), ok=False))
    await audit(request, f"nugget {step}", f"#{submission_id} {_described(item)}")
    return _done(request, flash)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/nuggets", page)
    for step in STEPS:
        app.router.add_post(rf"/nuggets/review/{{id:\d+}}/{step}", review)
