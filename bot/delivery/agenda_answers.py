"""How a personal agenda direct message looks as an `Answer`: the reminder before a followed
talk, the note that it moved, the note that it was cancelled.

Times are moments (`bot.answer.moment`), so each reader sees them in their own zone; the
engine never builds a platform payload, each front end's poster renders this.
"""

from __future__ import annotations

from bot.answer import Answer, Field, moment
from bot.delivery.agenda_plan import AgendaPost

FOOTER = "Your agenda · /agenda to see it, /unfollow to drop a talk"


def agenda_answer(post: AgendaPost) -> Answer:
    """The DM for `post`."""
    starts = moment(post.starts_at, post.zone, "time")
    soon = moment(post.starts_at, post.zone, "relative")
    fields = [Field("Starts", f"{starts} ({soon})", True)]
    if post.room:
        fields.append(Field("Room", post.room, True))
    if post.speakers:
        name = "Speaker" if len(post.speakers) == 1 else "Speakers"
        fields.append(Field(name, ", ".join(post.speakers), True))
    if post.kind == "moved":
        title = f"Moved: {post.title}"
        was = (
            f" (it was {moment(post.old_starts_at, post.zone, 'datetime')})"
            if post.old_starts_at is not None
            else ""
        )
        text = f"A talk you follow moved to {moment(post.starts_at, post.zone, 'datetime')}{was}."
        text += " Your reminder moves with it."
    elif post.kind == "cancelled":
        title = f"Cancelled: {post.title}"
        text = (
            f"A talk you follow, due {moment(post.starts_at, post.zone, 'datetime')}, was "
            "cancelled. There will be no reminder for it."
        )
        fields = [f for f in fields if f.name != "Starts"]
    else:
        unit = "minute" if post.minutes_before == 1 else "minutes"
        title = f"In {post.minutes_before} {unit}: {post.title}"
        text = f"A talk you follow starts at {starts} ({soon})."
    return Answer(
        kind="agenda_dm",
        title=title,
        text=text,
        fields=tuple(fields),
        footer=FOOTER,
        meta={"idempotency_key": post.idempotency_key},
    )
