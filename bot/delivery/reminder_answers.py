"""How talk reminders look as `Answer`s: the reminder itself (also after a move), the notice
of a cancelled talk, and what the /remind admin commands say (subscribed, unsubscribed, the
list, status, bad input)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.answer import HIGHLIGHT_END, HIGHLIGHT_START, Answer, Field
from bot.reminders import (
    ReminderInputError,
    ReminderPost,
    ReminderStatus,
    ReminderSubscription,
    ReminderTalk,
)
from bot.wisdom import format_moment


def reminder_answer(post: ReminderPost) -> Answer:
    """The reminder as posted: "Starting in 10 minutes: <title>" with speakers, room, time;
    after a move "Moved: starting in 10 minutes: <title>" and the start it moved from; the
    notice of a cancelled talk as one line ("Cancelled: *<title>* (was 14:00, Room)")."""
    zone = ZoneInfo(post.zone)
    meta = {
        "idempotency_key": post.idempotency_key,
        "subscription_id": str(post.subscription_id),
        "talk_key": post.talk_key,
    }
    if post.cancelled:
        where = f", {post.room}" if post.room else ""
        local = post.starts_at.astimezone(zone)
        return Answer(
            kind="reminder",
            title="Talk cancelled",
            text=f"Cancelled: {HIGHLIGHT_START}{post.title}{HIGHLIGHT_END} "
            f"(was {local:%H:%M}{where})",
            footer=post.talk_ref,
            meta=meta,
        )
    unit = "minute" if post.minutes_before == 1 else "minutes"
    fields = [
        Field("Speaker", ", ".join(post.speakers) or "not named", inline=True),
        Field("Room", post.room or "not announced", inline=True),
        Field("Time", format_moment(post.starts_at, zone), inline=True),
    ]
    starting = f"in {post.minutes_before} {unit}: {post.title}"
    title = f"Starting {starting}"
    if post.moved_from is not None:
        title = f"Moved, now starting {starting}"
        fields.append(Field("Moved from", format_moment(post.moved_from, zone)))
    return Answer(
        kind="reminder", title=title, fields=tuple(fields), footer=post.talk_ref, meta=meta
    )


def input_error_answer(error: ReminderInputError) -> Answer:
    return Answer(kind="usage", title="Reminders", text=str(error), found=False, ephemeral=True)


def _next_line(items: tuple[tuple[datetime, ReminderTalk], ...]) -> str:
    if not items:
        return "none scheduled"
    due, talk = items[0]
    return f"{talk.title}, {format_moment(due, ZoneInfo(talk.zone))}"


def subscribed_answer(status: ReminderStatus) -> Answer:
    sub = status.subscription
    return Answer(
        kind="reminder",
        title="Reminders subscribed",
        text=f"I will post a reminder here {sub.describe()}.",
        fields=(Field("Next reminder", _next_line(status.upcoming)),),
        ephemeral=True,
        meta={"subscription_id": str(sub.id), "channel_id": sub.channel_id},
    )


def unsubscribed_answer(subs: list[ReminderSubscription]) -> Answer:
    if not subs:
        return Answer(
            kind="not_found",
            title="Reminders",
            text="This channel has no reminder subscription.",
            found=False,
            ephemeral=True,
        )
    lines = "\n".join(f"#{sub.id}: {sub.describe()}" for sub in subs)
    return Answer(kind="reminder", title="Reminders unsubscribed", text=lines, ephemeral=True)


def subscriptions_answer(subs: list[ReminderSubscription]) -> Answer:
    """The list command: every reminder subscription (of a guild or channel)."""
    if not subs:
        return unsubscribed_answer([])
    lines = [
        f"#{sub.id} in channel {sub.channel_id}: {sub.describe()}"
        + ("" if sub.enabled else f" (off: {sub.disabled_reason})")
        for sub in subs
    ]
    return Answer(kind="reminder", title="Reminder subscriptions", text="\n".join(lines))


def status_answer(statuses: list[ReminderStatus]) -> Answer:
    if not statuses:
        return unsubscribed_answer([])
    fields: list[Field] = []
    for status in statuses:
        sub = status.subscription
        counts = ", ".join(f"{n} {name}" for name, n in sorted(status.counts.items())) or "none"
        state = "on" if sub.enabled else f"off ({sub.disabled_reason})"
        error = f"; last error: {sub.last_error}" if sub.last_error else ""
        fields.append(
            Field(
                f"#{sub.id}: {sub.describe()}",
                f"State: {state}. Next: {_next_line(status.upcoming)}. "
                f"Reminders so far: {counts}{error}",
            )
        )
    return Answer(kind="reminder", title="Reminder status", fields=tuple(fields), ephemeral=True)
