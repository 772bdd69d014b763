"""The next posts due, of every kind, as values: what the web console's overview lists.

The same planners' rules as `confbot wisdom` and `confbot reminders` (bot/delivery/reports.py),
asked for one next post per daily-wisdom subscription and the next reminders; nothing is
claimed or consumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.reminders import upcoming
from bot.store import reminder_log, wisdom_log
from bot.store.db import Database
from bot.store.reminder_log import load_subscriptions, timed_talks
from bot.store.wisdom_subscriptions import list_subscriptions
from bot.wisdom import DEFAULT_GRACE, format_post_time, plan_slots


@dataclass(frozen=True)
class NextPost:
    due: datetime
    kind: str  # 'wisdom' or 'reminder'
    subscription_id: int
    frontend: str
    channel_id: str
    what: str


async def next_posts(
    db: Database, now: datetime, *, grace: timedelta = DEFAULT_GRACE, limit: int = 10
) -> list[NextPost]:
    """The next `limit` posts due from `now`, soonest first."""
    now = now.astimezone(UTC)
    found: list[NextPost] = []
    last_dates, _ = await wisdom_log.last_dates(db)
    for daily in await list_subscriptions(db, include_disabled=False):
        last = last_dates.get(daily.id)
        after = max(
            daily.start_date - timedelta(days=1), date.fromisoformat(last) if last else date.min
        )
        plan = plan_slots(daily.post_time, daily.tz, after, now, grace)
        slot = plan.due or plan.upcoming
        found.append(
            NextPost(
                slot.due,
                "wisdom",
                daily.id,
                daily.frontend,
                daily.channel_id,
                f"daily wisdom at {format_post_time(daily.post_time)} {daily.zone}",
            )
        )
    talks, log = await timed_talks(db), await reminder_log.log_rows(db)
    for sub in await load_subscriptions(db):
        if not sub.enabled:
            continue
        done = {key for (sub_id, key) in log if sub_id == sub.id}
        for due, talk in upcoming(sub, talks, done, now)[:limit]:
            found.append(
                NextPost(
                    due,
                    "reminder",
                    sub.id,
                    sub.frontend,
                    sub.channel_id,
                    f"reminder: {talk.title} ({talk.room or 'no room'})",
                )
            )
    found.sort(key=lambda post: (post.due, post.subscription_id))
    return found[:limit]
