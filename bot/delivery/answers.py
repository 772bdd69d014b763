"""How daily wisdom looks as an `Answer`: the post itself, and what the admin commands say
(preview, subscribed, unsubscribed, status, an outcome, bad input). Built here, never in the
store or the engine; a front end renders them. `bot.wisdom` still exports every name."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.answer import Answer, Field
from bot.wisdom import (
    DEFAULT_GRACE,
    SPEAKER_UNKNOWN,
    Outcome,
    Subscription,
    WisdomInputError,
    WisdomPost,
    WisdomStatus,
    format_local_date,
    format_moment,
    format_post_time,
)


def wisdom_answer(post: WisdomPost) -> Answer:
    """The daily post as an Answer: the quote, attributed to speaker, talk and conference."""
    speaker = post.speaker.strip() if post.speaker and post.speaker.strip() else SPEAKER_UNKNOWN
    return Answer(
        kind="wisdom",
        title=f"Nugget of wisdom for {format_local_date(post.local_date)}",
        text=post.text,
        fields=(
            Field("Speaker", speaker, inline=True),
            Field("Talk", post.talk_title, inline=True),
            Field("Conference", post.conference_name, inline=True),
        ),
        footer=f"Source: {post.source}",
        meta={
            "idempotency_key": post.idempotency_key,
            "subscription_id": str(post.subscription_id),
            "local_date": post.local_date.isoformat(),
            "nugget_key": post.nugget_key,
        },
    )


def preview_answer(post: WisdomPost | None) -> Answer:
    """What the next post will be, shown only to the admin who asked."""
    if post is None:
        return Answer(
            kind="not_found",
            title="Nothing to preview",
            text="There are no nuggets loaded, or this channel has no active daily wisdom.",
            found=False,
            ephemeral=True,
        )
    base = wisdom_answer(post)
    when = format_moment(post.scheduled_at, ZoneInfo(post.zone))
    return Answer(
        kind="wisdom",
        title=f"Preview: {base.title[0].lower()}{base.title[1:]}",
        text=base.text,
        fields=(*base.fields, Field("Posts at", when)),
        footer=f"{base.footer} · preview only, nothing was posted",
        ephemeral=True,
        meta=dict(base.meta),
    )


def input_error_answer(error: WisdomInputError, title: str = "Daily wisdom") -> Answer:
    return Answer(kind="usage", title=title, text=str(error), found=False, ephemeral=True)


def subscribed_answer(subscription: Subscription, grace: timedelta = DEFAULT_GRACE) -> Answer:
    first = subscription.slot(subscription.start_date, grace)
    return Answer(
        kind="wisdom",
        title="Daily wisdom subscribed",
        text=(
            f"A nugget of wisdom will be posted here every day at "
            f"{format_post_time(subscription.post_time)} {subscription.zone}."
        ),
        fields=(Field("First post", format_moment(first.due, subscription.tz)),),
        ephemeral=True,
        meta={"subscription_id": str(subscription.id), "channel_id": subscription.channel_id},
    )


def unsubscribed_answer(subscription: Subscription | None) -> Answer:
    if subscription is None:
        return Answer(
            kind="not_found",
            title="Daily wisdom",
            text="This channel has no daily wisdom subscription.",
            found=False,
            ephemeral=True,
        )
    return Answer(
        kind="wisdom",
        title="Daily wisdom unsubscribed",
        text="No more daily nuggets will be posted here. Subscribe again to resume.",
        ephemeral=True,
        meta={"subscription_id": str(subscription.id), "channel_id": subscription.channel_id},
    )


def status_answer(status: WisdomStatus | None) -> Answer:
    if status is None:
        return unsubscribed_answer(None)
    sub = status.subscription
    zone = sub.tz
    fields: list[Field] = [
        Field("Posts at", f"{format_post_time(sub.post_time)} {sub.zone}", inline=True),
        Field("State", "enabled" if sub.enabled else "disabled", inline=True),
    ]
    if status.next_post is not None:
        fields.append(Field("Next post", format_moment(status.next_post.due, zone)))
    if status.last_post is not None and status.last_post.sent_at is not None:
        last = status.last_post
        fields.append(
            Field(
                "Last post",
                f"{format_local_date(last.local_date)}, sent "
                f"{format_moment(last.sent_at or last.scheduled_at, zone)}",
            )
        )
    else:
        fields.append(Field("Last post", "none yet"))
    if status.pending is not None:
        pending = status.pending
        retry = (
            f", retrying {format_moment(pending.next_attempt_at, zone)}"
            if pending.next_attempt_at is not None
            else ""
        )
        problem = pending.error or "not confirmed yet"
        fields.append(
            Field("Pending", f"{format_local_date(pending.local_date)}: {problem}{retry}")
        )
    if sub.last_error:
        when = f" ({format_moment(sub.last_error_at, zone)})" if sub.last_error_at else ""
        fields.append(Field("Last error", f"{sub.last_error}{when}"))
    else:
        fields.append(Field("Last error", "none"))
    if sub.disabled_reason:
        fields.append(Field("Disabled because", sub.disabled_reason))
    counts = ", ".join(f"{count} {name}" for name, count in sorted(status.counts.items()))
    return Answer(
        kind="wisdom",
        title="Daily wisdom status",
        text=(
            "Daily wisdom is on in this channel."
            if sub.enabled
            else "Daily wisdom is off in this channel; subscribe again to turn it back on."
        ),
        fields=tuple(fields),
        footer=f"Posts so far: {counts}" if counts else "",
        ephemeral=True,
        meta={"subscription_id": str(sub.id), "channel_id": sub.channel_id},
    )


def outcome_answer(outcome: Outcome) -> Answer:
    """The reply to "post now"."""
    titles = {
        "sent": "Posted",
        "recovered": "Already posted",
        "skipped": "Not posted",
        "retry": "Will retry",
        "failed": "Could not post",
        "disabled": "Could not post; daily wisdom disabled",
    }
    return Answer(
        kind="wisdom" if outcome.kind in ("sent", "recovered") else "error",
        title=titles[outcome.kind],
        text=outcome.detail,
        found=outcome.kind in ("sent", "recovered", "retry"),
        ephemeral=True,
        meta={"channel_id": outcome.channel_id, "local_date": outcome.local_date.isoformat()},
    )
