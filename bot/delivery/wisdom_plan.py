"""The daily wisdom planner: pure code that says which posts are due, missed or pending, and
which nugget each due post carries.

Planning is in two steps, because a nugget is only chosen (and its text only read) for what
is due: `plan_days(subscriptions, last dates, claims, now, grace)` says, from the dates alone,
which claims to resolve, which dates were missed and which are due now; `choose_nuggets`
picks each due date's nugget from the pool and the rotation state read from the post log;
`plan_wisdom` turns those picks and the nuggets' details into the `Plan` that `Engine.run`
carries out. No I/O; the time and rotation rules are bot/delivery/wisdom_rules.py.

* A subscription posts once per local date, from its start date on, at its local time (DST
  gaps and repeats as bot.delivery.wisdom_rules says), and may go out late until the end of
  its grace window, never on the next local date.
* A date whose window closed unposted is missed (a 'skipped' row, which gives nothing back to
  the rotation); only the latest open date is due.
* A pending claim (a crash, a failed send) is sent again while its window is open, after its
  backoff; once it has closed it is closed (the engine asks the platform first), and while the
  platform cannot tell it stays pending for `LOOKUP_GIVE_UP`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.delivery.plan import Close, Due, Missed, Pending, Plan, Row, job_from_row, parse_ts
from bot.delivery.wisdom_rules import CycleState, Pick, Slot, next_nugget, plan_slots
from bot.wisdom import Subscription, WisdomPost, format_moment, format_post_time

LOOKUP_GIVE_UP = timedelta(hours=24)
"""How long after its window a claim whose delivery cannot be checked stays pending."""

CRASHED = (
    "claimed but the bot stopped before posting it, and it was not back before the window closed"
)
GAVE_UP = "gave up when its window closed"
NO_NUGGETS_RETRY = timedelta(minutes=1)


@dataclass(frozen=True)
class Days:
    """What the dates alone say: claims to resolve, dates missed, dates due now (each still
    needing a nugget), and the next moment of interest."""

    pending: tuple[Pending[WisdomPost], ...]
    missed: tuple[Missed[WisdomPost], ...]
    due: tuple[tuple[Subscription, Slot], ...]
    wakeup: datetime | None


def plan_days(
    subscriptions: Mapping[int, Subscription],
    last_dates: Mapping[int, date],
    claims: Sequence[Row],
    now: datetime,
    grace: timedelta,
) -> Days:
    """The dates of every enabled subscription at `now`: `last_dates` is the newest date in
    each one's post log, `claims` its rows still claimed (with the columns of `deliveries`)."""
    pending: list[Pending[WisdomPost]] = []
    missed: list[Missed[WisdomPost]] = []
    due: list[tuple[Subscription, Slot]] = []
    wakeups: list[datetime] = []
    for row in claims:
        sub = subscriptions.get(int(row["subscription_id"]))
        if sub is None:
            continue  # disabled meanwhile
        retry = parse_ts(row["next_attempt_at"])
        if retry is not None and now < retry:
            wakeups.append(retry)  # backing off
            continue
        post = post_from_row(sub, row)
        job = job_from_row(row, post, label=label(sub, post.local_date))
        close = (
            None if now < job.deadline else Close(CRASHED, GAVE_UP, job.deadline + LOOKUP_GIVE_UP)
        )
        pending.append(Pending(job, close))
    for sub in subscriptions.values():
        after = max(sub.start_date - timedelta(days=1), last_dates.get(sub.id, date.min))
        days = plan_slots(sub.post_time, sub.tz, after, now, grace)
        missed += [_missed(sub, slot) for slot in days.missed]
        if days.due is not None:
            due.append((sub, days.due))
        wakeups.append(days.upcoming.due)
    return Days(tuple(pending), tuple(missed), tuple(due), min(wakeups, default=None))


def choose_nuggets(
    due: Sequence[tuple[Subscription, Slot]],
    pools: Mapping[int, Sequence[str]],
    states: Mapping[int, CycleState],
) -> list[tuple[Subscription, Slot, Pick]]:
    """Each due date's nugget: the next of its channel's walk through the pool it quotes
    (`pools`, by subscription id; none when that pool is empty)."""
    picks = []
    for sub, slot in due:
        pick = next_nugget(pools.get(sub.id, ()), states.get(sub.id, CycleState()), sub.seed)
        if pick is not None:
            picks.append((sub, slot, pick))
    return picks


def plan_wisdom(
    days: Days,
    picks: Sequence[tuple[Subscription, Slot, Pick]],
    details: Mapping[str, Row],
    now: datetime,
) -> Plan[WisdomPost]:
    """The plan: the pending claims and missed dates of `days`, and a post for each pick whose
    nugget is still loaded (`details`, by nugget key), due in date order."""
    dues = [
        Due(
            sub.id,
            slot.local_date.isoformat(),
            wisdom_post(sub, slot, pick, details[pick.key], attempted_at=now),
            slot.due,
            slot.end,
            label=label(sub, slot.local_date),
            item=pick.key,
            cycle=pick.cycle,
        )
        for sub, slot, pick in sorted(picks, key=lambda item: (item[1].due, item[0].id))
        if pick.key in details
    ]
    wakeups = [days.wakeup] if days.wakeup is not None else []
    if len(dues) < len(days.due):  # no nuggets loaded (or one vanished): look again soon
        wakeups.append(now + NO_NUGGETS_RETRY)
    return Plan(dues, days.pending, days.missed, (), min(wakeups, default=None))


def wisdom_post(
    sub: Subscription,
    slot: Slot,
    pick: Pick,
    nugget: Row,
    *,
    manual: bool = False,
    attempted_at: datetime | None = None,
    stored_key: str | None = None,
) -> WisdomPost:
    """The post of `slot`'s date carrying nugget `pick` (`nugget`: its text and attribution)."""
    return WisdomPost(
        subscription_id=sub.id,
        frontend=sub.frontend,
        guild_id=sub.guild_id,
        channel_id=sub.channel_id,
        local_date=slot.local_date,
        scheduled_at=slot.due,
        zone=sub.zone,
        nugget_key=pick.key,
        text=str(nugget["nugget_text"]),
        speaker=nugget["speaker"],
        source=str(nugget["source"]),
        talk_title=str(nugget["talk_title"]),
        conference_name=str(nugget["conference_name"]),
        manual=manual,
        attempted_at=attempted_at,
        stored_key=stored_key,
    )


def dump_post(post: WisdomPost) -> str:
    """A post's snapshot in its delivery row: the nugget and its attribution (JSON)."""
    return json.dumps(
        {
            "text": post.text,
            "speaker": post.speaker,
            "source": post.source,
            "talk_title": post.talk_title,
            "conference_name": post.conference_name,
        },
        ensure_ascii=False,
    )


def post_from_row(sub: Subscription, row: Row) -> WisdomPost:
    """The post a claimed row stands for, from the snapshot taken when it was claimed."""
    snapshot = json.loads(row["snapshot"]) if row["snapshot"] else {}
    return WisdomPost(
        subscription_id=sub.id,
        frontend=sub.frontend,
        guild_id=sub.guild_id,
        channel_id=sub.channel_id,
        local_date=date.fromisoformat(str(row["key"])),
        scheduled_at=parse_ts(str(row["due_at"])) or datetime.min,
        zone=sub.zone,
        nugget_key=str(row["item"]),
        text=str(snapshot["text"]),
        speaker=snapshot.get("speaker"),
        source=str(snapshot["source"]),
        talk_title=str(snapshot["talk_title"]),
        conference_name=str(snapshot["conference_name"]),
        manual=bool(row["manual"]),
        stored_key=row["idempotency_key"],
        # The claim is written right before the first send, so no delivery is older.
        attempted_at=parse_ts(row["attempted_at"]),
    )


def label(sub: Subscription, local_date: date) -> str:
    """How the log names one post: 'discord channel c1 for 2024-03-25'."""
    return f"{sub.frontend} channel {sub.channel_id} for {local_date}"


def _missed(sub: Subscription, slot: Slot) -> Missed[WisdomPost]:
    zone = sub.tz
    if slot.end <= slot.due:
        reason = (
            f"missed: {format_post_time(sub.post_time)} on {slot.local_date} does not "
            f"occur in {sub.zone} before the day ends"
        )
    else:
        reason = (
            f"missed: not posted between {format_moment(slot.due, zone)} and "
            f"{format_moment(slot.end, zone)} (the bot was not running, or no nuggets "
            "were loaded)"
        )
    return Missed(
        sub.id,
        slot.local_date.isoformat(),
        slot.due,
        slot.end,
        reason,
        label=label(sub, slot.local_date),
    )
