"""The terminal reports of `confbot wisdom` and `confbot reminders`: every subscription, then
what the planners would post next. They read the store and consume nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.delivery.reminder_plan import settled
from bot.reminders import ReminderSubscription, ReminderTalk, upcoming
from bot.store import reminder_log, wisdom_log
from bot.store.communities import community_pool
from bot.store.db import Database
from bot.store.reminder_log import load_subscriptions, timed_talks
from bot.store.wisdom_log import nugget_details, rotation
from bot.store.wisdom_subscriptions import _need_dt, list_subscriptions
from bot.wisdom import (
    DEFAULT_GRACE,
    CycleState,
    Slot,
    Subscription,
    format_post_time,
    plan_slots,
    upcoming_nuggets,
)


async def wisdom_report(
    db: Database, days: int, now: datetime, *, grace: timedelta = DEFAULT_GRACE
) -> str:
    """`confbot wisdom`: every subscription, then the posts of the next `days` days (local
    date and time, UTC, which nugget) as the rotation would make them. Consumes nothing."""
    now = now.astimezone(UTC)
    subs = await list_subscriptions(db)
    lines = [f"Daily wisdom: {len(subs)} subscription{'s' if len(subs) != 1 else ''}"]
    if not subs:
        lines.append("  (none; subscribe a channel from Discord or Slack)")
        return "\n".join(lines)
    last_dates, last_sent = await wisdom_log.last_dates(db)
    for sub in subs:
        state = "enabled" if sub.enabled else f"disabled ({sub.disabled_reason})"
        sent = last_sent.get(sub.id)
        lines.append(
            f"  #{sub.id} {sub.frontend} guild {sub.guild_id} channel {sub.channel_id}: "
            f"{format_post_time(sub.post_time)} {sub.zone}, {state}; by {sub.created_by}; "
            f"last post {sent or 'none'}"
            + (f"; last error: {sub.last_error}" if sub.last_error else "")
        )
    active = [sub for sub in subs if sub.enabled]
    pool, states = await rotation(db, [sub.id for sub in active])
    horizon = now + timedelta(days=days)
    planned: list[tuple[datetime, Subscription, date, str | None]] = []
    for sub in active:
        pending = await wisdom_log.open_claims(db, sub.id, now)
        for row in pending:
            planned.append(
                (
                    _need_dt(row["due_at"]),
                    sub,
                    date.fromisoformat(row["key"]),
                    row["item"],
                )
            )
        last = last_dates.get(sub.id)
        after = max(
            sub.start_date - timedelta(days=1), date.fromisoformat(last) if last else date.min
        )
        plan = plan_slots(sub.post_time, sub.tz, after, now, grace)
        slots: list[Slot] = [plan.due] if plan.due is not None else []
        slot = plan.upcoming
        while slot.due < horizon:
            slots.append(slot)
            slot = sub.slot(slot.local_date + timedelta(days=1), grace)
        quoted = await community_pool(db, sub.frontend, sub.guild_id, pool)
        picks = upcoming_nuggets(quoted, states.get(sub.id, CycleState()), sub.seed, len(slots))
        for index, slot in enumerate(slots):
            key = picks[index].key if index < len(picks) else None
            planned.append((slot.due, sub, slot.local_date, key))
    details = await nugget_details(db, sorted({key for *_, key in planned if key}))
    lines.append("")
    lines.append(f"Next {days} day{'s' if days != 1 else ''} from {now:%Y-%m-%d %H:%M} UTC:")
    if not planned:
        lines.append("  (nothing scheduled)")
    for due, sub, local_date, key in sorted(planned, key=lambda item: (item[0], item[1].id)):
        local = due.astimezone(sub.tz)
        if key is None:
            what = "(no nuggets loaded)"
        elif key in details:
            row = details[key]
            text = str(row["nugget_text"])
            text = text if len(text) <= 60 else text[:59] + "…"
            who = row["speaker"] or "unnamed speaker"
            what = f'[{key}] "{text}" ({who}, {row["talk_title"]})'
        else:
            what = f"[{key}] (no longer in the data)"
        lines.append(
            f"  {local_date:%a %Y-%m-%d} {local:%H:%M} {local.tzname() or sub.zone:<6} "
            f"{due:%Y-%m-%d %H:%M} UTC  #{sub.id} {sub.frontend}/{sub.channel_id}  {what}"
        )
    return "\n".join(lines)


async def reminders_report(db: Database, now: datetime, *, limit: int = 20) -> str:
    """`confbot reminders`: every subscription, then the next `limit` reminders due."""
    subs = await load_subscriptions(db)
    lines = [f"Reminders: {len(subs)} subscription{'s' if len(subs) != 1 else ''}"]
    talks, log = await timed_talks(db), await reminder_log.log_rows(db)
    planned: list[tuple[datetime, ReminderSubscription, ReminderTalk]] = []
    for sub in subs:
        rows = [row for (sub_id, _), row in log.items() if sub_id == sub.id]
        sent = sum(1 for row in rows if row["status"] == "sent")
        state = "enabled" if sub.enabled else f"disabled ({sub.disabled_reason})"
        lines.append(
            f"  #{sub.id} {sub.frontend} guild {sub.guild_id} channel {sub.channel_id}: "
            f"{sub.describe()}; {state}; {sent} sent; by {sub.created_by}"
            + (f"; last error: {sub.last_error}" if sub.last_error else "")
        )
        if sub.enabled:
            done = settled(rows, talks)
            planned += [(due, sub, talk) for due, talk in upcoming(sub, talks, done, now)]
    lines.append(f"\nNext reminders from {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC:")
    planned.sort(key=lambda item: (item[0], item[1].id, item[2].key))
    for due, sub, talk in planned[:limit]:
        lines.append(
            f"  {due.astimezone(UTC):%Y-%m-%d %H:%M} UTC  #{sub.id} {sub.frontend}/"
            f"{sub.channel_id}  {talk.title} ({talk.room or 'no room'}, "
            f"{talk.starts.astimezone(UTC):%H:%M} UTC)"
        )
    if not planned:
        lines.append("  (nothing scheduled)")
    return "\n".join(lines)
