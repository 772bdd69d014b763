"""The talk reminder planner: pure code that says which reminders are due, missed, pending or
moved, and which channels are told that a talk they were reminded of is cancelled.

`plan_reminders(subscriptions, talks, log, cancelled, now)` takes what the store loaded (the
enabled subscriptions of one front end, the timed talks, their delivery rows, the talks whose
latest programme change is a cancellation) and returns the `Plan` that `Engine.run` carries
out. No I/O. For each subscription and matching talk that starts after it subscribed:

* *The reminder* (key: the talk key) is due at `start - N minutes` and may go out until the
  talk starts; one the bot was down for is missed (a 'skipped' row). A skipped row is planned
  again only when the talk moved since (its start is no longer the row's window end).
* *A pending claim* (a crash, a failed send) is sent again while its talk has not started; it
  waits when a re-import moved the talk later, and is closed once the talk started or was
  cancelled (the engine asks the platform first, so a delivered one is recorded, not resent).
* *After a move*: a channel already reminded of a talk whose start then moved more than
  `MOVED_AGAIN` from the start it was told is reminded again, N minutes before the new start,
  saying it moved (key: the talk key and the new start, so each new start is told once).
* *After a cancellation*: a channel already reminded of a talk that is then cancelled gets
  one notice, until the talk would have ended (key: the talk key and '#cancelled', once per
  channel, ever, across restarts and re-imports).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.delivery.plan import (
    Close,
    Due,
    Missed,
    Pending,
    Plan,
    Row,
    Wait,
    job_from_row,
    need_ts,
    parse_ts,
)
from bot.reminders import (
    MOVED_AGAIN,
    ReminderPost,
    ReminderSubscription,
    ReminderTalk,
    Step,
    base_key,
    cancelled_key,
    decide,
    moved_key,
)
from bot.store.changes import TalkSnapshot

NOTICE_WINDOW = timedelta(hours=1)
"""How long after the old start a cancellation notice may go out when the talk had no end."""

MISSED = "the talk started while the bot was down"


def plan_reminders(
    subscriptions: Sequence[ReminderSubscription],
    talks: Sequence[ReminderTalk],
    log: Sequence[Row],
    cancelled: Mapping[str, TalkSnapshot],
    now: datetime,
) -> Plan[ReminderPost]:
    """Everything one front end's reminders have to do at `now`; see the module docstring."""
    subs = {sub.id: sub for sub in subscriptions if sub.enabled}
    by_key = {talk.key: talk for talk in talks}
    mine = [row for row in log if int(row["subscription_id"]) in subs]
    rows = {(int(row["subscription_id"]), str(row["key"])): row for row in mine}
    told = last_told(mine)
    plan = _Planner(now)
    for (sub_id, key), row in rows.items():
        if row["status"] == "claimed":
            plan.pending_claim(subs[sub_id], row, by_key.get(base_key(key)))
    ordered = sorted(talks, key=lambda talk: talk.starts)
    for sub in subs.values():
        for talk in ordered:
            if talk.starts <= sub.since or not sub.matches(talk):
                continue
            if plan.talk(sub, talk, rows, told.get((sub.id, talk.key))) == "wait":
                break  # every later talk is due later still: nothing to do but wait
    for (sub_id, key), row in told.items():
        if key not in by_key and key in cancelled:
            plan.cancelled(subs[sub_id], row, cancelled[key], rows)
    return plan.result()


def last_told(log: Sequence[Row]) -> dict[tuple[int, str], Row]:
    """The latest delivered reminder (itself or again after a move) of each (subscription,
    talk key): its window end is the start the channel was told."""
    told: dict[tuple[int, str], Row] = {}
    for row in log:
        key = str(row["key"])
        if row["status"] != "sent" or key == cancelled_key(base_key(key)):
            continue
        talk = (int(row["subscription_id"]), base_key(key))
        if talk not in told or str(row["due_at"]) > str(told[talk]["due_at"]):
            told[talk] = row
    return told


def settled(log: Sequence[Row], talks: Sequence[ReminderTalk]) -> set[str]:
    """The talk keys one subscription's rows (`log`) leave nothing more to send for (status
    and reports list the others): every key with a row, except a talk that moved more than
    `MOVED_AGAIN` from the start the channel was told and has no row for its new start yet."""
    keys = {str(row["key"]) for row in log}
    told = {key: row for (_, key), row in last_told(log).items()}
    done = set(keys)
    for talk in talks:
        row = told.get(talk.key)
        if (
            row is not None
            and moved_key(talk.key, talk.starts) not in keys
            and abs(talk.starts - need_ts(str(row["end_at"]))) > MOVED_AGAIN
        ):
            done.discard(talk.key)
    return done


class _Planner:
    """The plan being built (a helper of `plan_reminders`, never seen outside)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.due: list[Due[ReminderPost]] = []
        self.pending: list[Pending[ReminderPost]] = []
        self.missed: list[Missed[ReminderPost]] = []
        self.waits: list[Wait[ReminderPost]] = []
        self.wakeups: list[datetime] = []

    def result(self) -> Plan[ReminderPost]:
        return Plan(
            self.due, self.pending, self.missed, self.waits, min(self.wakeups, default=None)
        )

    def pending_claim(self, sub: ReminderSubscription, row: Row, talk: ReminderTalk | None) -> None:
        """A claim left by a crash or a failed send, once its backoff is over."""
        retry = parse_ts(row["next_attempt_at"])
        if retry is not None and self.now < retry:
            self.wakeups.append(retry)
            return
        attempted = parse_ts(row["attempted_at"])
        was = ReminderPost.from_json(str(row["snapshot"]), attempted)
        if was.cancelled:  # a notice: sent while its window is open and the talk still gone
            job = job_from_row(row, was, label=_label(sub, was))
            if talk is None and self.now < job.deadline:
                self.pending.append(Pending(job))
                return
            reason = "not delivered before its window closed"
            reason = "the talk is back in the programme" if talk is not None else reason
            self.pending.append(Pending(job, Close(reason, reason)))
            return
        closing = _closing(was, talk, self.now)
        if closing is None and talk is not None:
            post = replace(_post(sub, talk, was.moved_from), attempted_at=attempted)
            if self.now < post.scheduled_at:  # moved later by a re-import: wait for it
                self.waits.append(
                    Wait(sub.id, post.key, post, post.scheduled_at, talk.starts, "the talk moved")
                )
                return
            job = job_from_row(
                row, post, deadline=talk.starts, retry_until=talk.starts, label=_label(sub, post)
            )
            self.pending.append(Pending(job))
            return
        reason = closing or "the talk was cancelled"
        job = job_from_row(row, was, retry_until=was.starts_at, label=_label(sub, was))
        self.pending.append(Pending(job, Close(reason, reason)))

    def talk(
        self,
        sub: ReminderSubscription,
        talk: ReminderTalk,
        rows: Mapping[tuple[int, str], Row],
        told: Row | None,
    ) -> Step | None:
        """The reminder of one talk for one channel, or the reminder again after a move;
        "wait" when it is due later (None when there is nothing to decide)."""
        moved_from = None
        key = talk.key
        if told is not None:
            announced = need_ts(str(told["end_at"]))
            if abs(talk.starts - announced) <= MOVED_AGAIN:
                return None
            moved_from = announced
            key = moved_key(talk.key, talk.starts)
        row = rows.get((sub.id, key))
        if row is not None and not (
            row["status"] == "skipped" and need_ts(str(row["end_at"])) != talk.starts
        ):
            return None  # claimed, delivered, given up, or skipped at this very start
        step = decide(self.now, sub.due(talk), talk.starts)
        if step == "wait":
            self.wakeups.append(sub.due(talk))
            return step
        post = _post(sub, talk, moved_from)
        if step == "send":
            self.due.append(
                Due(
                    sub.id,
                    key,
                    replace(post, attempted_at=self.now),
                    post.scheduled_at,
                    talk.starts,
                    label=_label(sub, post),
                    reclaim=row is not None,
                    retry_until=talk.starts,
                )
            )
        elif moved_from is None:  # a reminder again after a move that came too late: none
            self.missed.append(
                Missed(
                    sub.id,
                    key,
                    post.scheduled_at,
                    talk.starts,
                    MISSED,
                    post,
                    _label(sub, post),
                    reclaim=row is not None,
                )
            )
        return step

    def cancelled(
        self,
        sub: ReminderSubscription,
        told: Row,
        talk: TalkSnapshot,
        rows: Mapping[tuple[int, str], Row],
    ) -> None:
        """The notice to a channel that was reminded of a talk that is now cancelled (`talk`:
        what it was before)."""
        was = ReminderPost.from_json(str(told["snapshot"]))
        key = cancelled_key(was.talk_key)
        if (sub.id, key) in rows:
            return
        starts = talk.starts_at or was.starts_at
        ends = talk.ends_at or starts + NOTICE_WINDOW
        notice = replace(
            was,
            scheduled_at=need_ts(str(told["due_at"])),
            title=talk.title,
            room=talk.room,
            starts_at=starts.astimezone(ZoneInfo(was.zone)),
            moved_from=None,
            cancelled=True,
            attempted_at=self.now,
        )
        if self.now < ends:
            self.due.append(
                Due(sub.id, key, notice, notice.scheduled_at, ends, label=_label(sub, notice))
            )


def _post(
    sub: ReminderSubscription, talk: ReminderTalk, moved_from: datetime | None
) -> ReminderPost:
    post = ReminderPost.make(sub, talk)
    if moved_from is None:
        return post
    return replace(post, moved_from=moved_from.astimezone(ZoneInfo(talk.zone)))


def _closing(was: ReminderPost, talk: ReminderTalk | None, now: datetime) -> str | None:
    """Why a pending reminder may no longer be sent, or None while it may."""
    if talk is None:
        return "the talk was cancelled"
    if now >= talk.starts:
        return "the talk started before it went out"
    if was.moved_from is not None and was.key != moved_key(talk.key, talk.starts):
        return "the talk moved again"
    return None


def _label(sub: ReminderSubscription, post: ReminderPost) -> str:
    what = "the notice of cancelled " if post.cancelled else ""
    again = " (moved)" if post.moved_from is not None else ""
    return f"{sub.frontend} channel {sub.channel_id} for {what}{post.title!r}{again}"
